package appliance_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"conclave/appliance"
	"conclave/internal/testenv"
)

// TestACMEDownServesBuiltInCertificateAtOnce: an intranet box whose ACME CA
// is unreachable must still come up, serving its built-in certificate,
// within 5 s (TESTPLAN A3); ACME keeps retrying in the background.
func TestACMEDownServesBuiltInCertificateAtOnce(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	caURL := "https://" + closed.Addr().String() + "/dir"
	closed.Close() // nothing listens there any more

	start := time.Now()
	a := testenv.StartAppliance(t, testenv.Options{Configure: func(c *appliance.Config) {
		c.TLSMode = "acme"
		c.Domains = []string{"meet.test"}
		c.ACMECA = caURL
	}})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("healthy after %v, want within 5 s", elapsed)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.Roots, ServerName: "meet.test"}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(a.URL + "/healthz")
	if err != nil {
		t.Fatalf("meet.test over the built-in fallback certificate: %v", err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent while only the fallback certificate is served")
	}
}
