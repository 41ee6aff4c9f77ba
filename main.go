// Command conclave runs a private video-meeting service: automatic TLS,
// TURN, an SFU for end-to-end encrypted media, the web client and an admin
// panel, in one process. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"conclave/appliance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := appliance.Main(ctx, os.Args[1:], appliance.OSStdio())
	stop()
	os.Exit(code)
}
