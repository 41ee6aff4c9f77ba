package sfu

import (
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/webrtc/v4"
)

// TestLazyLoops: a PeerConnection that receives nothing starts none of
// the receive-side RTCP loops (three fewer goroutines each than pion's
// interceptors bound eagerly).
func TestLazyLoops(t *testing.T) {
	lazy, err := newInterceptors(discardLoggerFactory{})
	if err != nil {
		t.Fatal(err)
	}
	withLazy, withEager := idleGoroutines(t, lazy), idleGoroutines(t, eagerRegistry(t))
	// Three loops each, less the odd goroutine of pion's own that comes and
	// goes (the race detector's runs count 29 fewer, others 30).
	if withEager-withLazy < 2*10 {
		t.Fatalf("10 idle PeerConnections: %d goroutines lazily, %d eagerly; want at least 20 fewer", withLazy, withEager)
	}
}

// idleGoroutines is how many goroutines 10 new PeerConnections start.
func idleGoroutines(t *testing.T, reg *interceptor.Registry) int {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Logger: slog.New(slog.DiscardHandler), UDPConn: conn,
		HostIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}.withDefaults()
	me, err := newMediaEngine()
	if err != nil {
		t.Fatal(err)
	}
	se, muxes, err := newSettingEngine(cfg, discardLoggerFactory{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, m := range muxes {
			_ = m.Close()
		}
	}()
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	before := runtime.NumGoroutine()
	for range 10 {
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
	}
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine() - before
}

// eagerRegistry is newInterceptors without lazyLoopFactory.
func eagerRegistry(t *testing.T) *interceptor.Registry {
	t.Helper()
	reg := &interceptor.Registry{}
	gen, err1 := nack.NewGeneratorInterceptor()
	recv, err2 := report.NewReceiverInterceptor()
	send, err3 := report.NewSenderInterceptor()
	fb, err4 := twcc.NewSenderInterceptor()
	ext, err5 := twcc.NewHeaderExtensionInterceptor()
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []interceptor.Factory{gen, recv, send, fb, ext} {
		reg.Add(f)
	}
	return reg
}
