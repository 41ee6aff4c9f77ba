package turn

import (
	"slices"
	"testing"
)

func TestURLs(t *testing.T) {
	tests := []struct {
		name      string
		host      string
		turn, tls int
		want      []string
	}{
		{"name", "meet.example.org", 3478, 443, []string{
			"turn:meet.example.org:3478?transport=udp", "turn:meet.example.org:3478?transport=tcp",
			"turns:meet.example.org:443?transport=tcp"}},
		{"ipv6", "2001:db8::1", 3478, 8443, []string{
			"turn:[2001:db8::1]:3478?transport=udp", "turn:[2001:db8::1]:3478?transport=tcp",
			"turns:[2001:db8::1]:8443?transport=tcp"}},
		{"tls only", "10.0.0.5", 0, 443, []string{"turns:10.0.0.5:443?transport=tcp"}},
		{"none", "h", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URLs(tt.host, tt.turn, tt.tls); !slices.Equal(got, tt.want) {
				t.Fatalf("URLs = %q, want %q", got, tt.want)
			}
		})
	}
}
