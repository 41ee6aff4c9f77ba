package appliance

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestClassifyFirstByte(t *testing.T) {
	tests := []struct {
		name string
		b    byte
		want connKind
	}{
		{"TLS handshake record", 0x16, kindTLS},
		{"RFC 4571 frame of a small STUN message", 0x00, kindRFC4571},
		{"RFC 4571 frame up to 1023 bytes", 0x03, kindRFC4571},
		{"HTTP GET", 'G', kindPlainHTTP},
		{"HTTP POST", 'P', kindPlainHTTP},
		{"TLS alert record is not a client hello", 0x15, kindUnknown},
		{"SSLv2-style hello", 0x80, kindUnknown},
		{"lower-case junk", 'g', kindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyFirstByte(tt.b); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassifyInner(t *testing.T) {
	tests := []struct {
		b    byte
		want connKind
	}{
		{0x00, kindSTUN}, // Binding / Allocate request
		{0x01, kindSTUN}, // success response
		{'G', kindPlainHTTP},
		{'P', kindPlainHTTP},
	}
	for _, tt := range tests {
		if got := classifyInner(tt.b); got != tt.want {
			t.Errorf("classifyInner(%#x) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

// startDemux runs a demux with a self-signed TLS config and recording hooks.
func startDemux(t *testing.T) (addr string, dm *demux, roots *x509.CertPool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // only to borrow its certificate for 127.0.0.1
	cert := srv.TLS.Certificates[0]
	roots = x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	srv.Close()
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dm = newDemux(ln, tlsCfg, slog.New(slog.DiscardHandler), nil)
	return ln.Addr().String(), dm, roots
}

func TestDemuxRoutes(t *testing.T) {
	addr, dm, roots := startDemux(t)
	ice := make(chan []byte, 1)
	turn := make(chan []byte, 1)
	readHook := func(ch chan []byte, n int) ConnHandler {
		return func(c net.Conn) {
			defer c.Close()
			b := make([]byte, n)
			if _, err := io.ReadFull(c, b); err == nil {
				ch <- b
			}
		}
	}
	dm.iceTCP = readHook(ice, 4)
	dm.turnTLS = readHook(turn, 4)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { dm.run(ctx); close(done) }()
	httpSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	})}
	go httpSrv.Serve(dm.http)
	redirSrv := &http.Server{Handler: httpsRedirect(8443)}
	go redirSrv.Serve(dm.redirect)
	t.Cleanup(func() {
		httpSrv.Close()
		redirSrv.Close()
		cancel()
		<-done
	})

	t.Run("RFC 4571 goes to ICE-TCP with its first bytes intact", func(t *testing.T) {
		c := dial(t, addr)
		c.Write([]byte{0x00, 0x14, 0x00, 0x01})
		expectBytes(t, ice, []byte{0x00, 0x14, 0x00, 0x01})
	})
	t.Run("STUN inside TLS without ALPN goes to TURN", func(t *testing.T) {
		c := tls.Client(dial(t, addr), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
		c.Write([]byte{0x00, 0x03, 0x00, 0x00})
		expectBytes(t, turn, []byte{0x00, 0x03, 0x00, 0x00})
	})
	for _, proto := range []string{"h2", "http/1.1"} {
		t.Run("TLS with ALPN "+proto+" is served as HTTPS", func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, NextProtos: []string{proto}},
				ForceAttemptHTTP2: proto == "h2"}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[proto]
			if string(body) != want {
				t.Fatalf("got protocol %q, want %q", body, want)
			}
		})
	}
	t.Run("plain HTTP on the TLS port is redirected", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /r/x?y=1 HTTP/1.1\r\nHost: box.lan:8443\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://box.lan:8443/r/x?y=1" {
			t.Fatalf("got %d %q, want 301 to https://box.lan:8443/r/x?y=1", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("junk is closed", func(t *testing.T) {
		c := dial(t, addr)
		c.Write([]byte{0xFF, 0xFF})
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("got %d bytes, want the connection closed", n)
		}
	})
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func expectBytes(t *testing.T, ch chan []byte, want []byte) {
	t.Helper()
	select {
	case got := <-ch:
		if string(got) != string(want) {
			t.Fatalf("got % x, want % x", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hook never got the connection")
	}
}

func TestHTTPSRedirect(t *testing.T) {
	tests := []struct {
		host, port, uri, want string
	}{
		{"meet.example.org", "443", "/r/a", "https://meet.example.org/r/a"},
		{"meet.example.org:80", "443", "/", "https://meet.example.org/"},
		{"192.168.1.5:8080", "8443", "/x?y=z", "https://192.168.1.5:8443/x?y=z"},
		{"[fd00::5]:8080", "8443", "/", "https://[fd00::5]:8443/"},
		{"[fd00::5]", "443", "/", "https://[fd00::5]/"},
		{"[::1]", "8443", "/", "https://[::1]:8443/"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, tt.uri, nil)
		req.Host = tt.host
		port := 443
		if tt.port == "8443" {
			port = 8443
		}
		httpsRedirect(port).ServeHTTP(rec, req)
		if got := rec.Header().Get("Location"); got != tt.want {
			t.Errorf("host %q: got %q, want %q", tt.host, got, tt.want)
		}
	}
}
