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
	"conclave/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	// loadtest is a client of a Conclave server, not part of it: it lives
	// beside the appliance, which must not import the bots (DESIGN.md).
	if len(os.Args) > 1 && os.Args[1] == "loadtest" {
		code = loadtest.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		code = appliance.Main(ctx, os.Args[1:], appliance.OSStdio())
	}
	stop()
	os.Exit(code)
}
