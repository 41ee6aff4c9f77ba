package appliance_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"conclave/internal/testenv"
)

// TestPprofOnTheMetricsListener: the Go profiler answers on the metrics
// listener (loopback by default) with a real CPU profile, and not on the
// public HTTPS port.
func TestPprofOnTheMetricsListener(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	resp, err := http.Get("http://" + a.MetricsAddr().String() + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CPU profile: %d, %v", resp.StatusCode, err)
	}
	// A pprof profile is a gzipped protocol buffer.
	if _, err := gzip.NewReader(bytes.NewReader(body)); err != nil {
		t.Errorf("the CPU profile (%d bytes) is not gzip: %v", len(body), err)
	}
	pub, err := a.Client.Get(a.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	pub.Body.Close()
	if pub.StatusCode == http.StatusOK {
		t.Error("the profiler answers on the public HTTPS port")
	}
}
