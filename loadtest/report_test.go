package loadtest

import "testing"

func TestParseExposition(t *testing.T) {
	text := `# HELP process_cpu_seconds_total Total user and system CPU time.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
conclave_sfu_packets_forwarded_total 1000
conclave_turn_relayed_packets_total{direction="to_peer"} 3
conclave_turn_relayed_packets_total{direction="to_client"} 4
weird_metric{a="b c"} 7 1700000000
bad line
`
	got := parseExposition(text)
	want := map[string]float64{"process_cpu_seconds_total": 12.5, forwardedMetric: 1000,
		"conclave_turn_relayed_packets_total": 7, "weird_metric": 7}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	tests := []struct{ p, want float64 }{{50, 3}, {95, 5}, {0, 1}, {100, 5}}
	for _, tt := range tests {
		if got := percentile(xs, tt.p); got != tt.want {
			t.Errorf("p%v: got %v, want %v", tt.p, got, tt.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty input")
	}
}
