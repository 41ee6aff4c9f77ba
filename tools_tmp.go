//go:build tools

// Package main pins dependencies that the packages below will import; removed once they do.
package main

import (
	_ "github.com/caddyserver/certmagic"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coder/websocket"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/letsencrypt/pebble/v2/wfe"
	_ "github.com/pion/turn/v5"
	_ "github.com/pion/webrtc/v4"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "golang.org/x/crypto/argon2"
	_ "modernc.org/sqlite"
)
