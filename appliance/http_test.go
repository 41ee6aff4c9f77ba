package appliance

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHSTSOnlyForPubliclyTrustedDomains(t *testing.T) {
	tests := []struct {
		name    string
		trusted bool
		host    string
		want    bool
	}{
		{"ACME domain with a public certificate", true, "meet.example.org", true},
		{"ACME domain with port", true, "meet.example.org:443", true},
		{"LAN IP although ACME works for the domain", true, "192.168.1.5:8443", false},
		{"domain while the fallback certificate is served", false, "meet.example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := securityHeaders(func() bool { return tt.trusted }, []string{"meet.example.org"})(
				http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Host = tt.host
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tt.want {
				t.Fatalf("got HSTS %v, want %v", got, tt.want)
			}
		})
	}
}
