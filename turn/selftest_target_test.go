package turn

import (
	"net"
	"net/netip"
	"testing"
)

func TestSelfTestTarget(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.10")
	v6 := netip.MustParseAddr("2001:db8::10")
	tests := []struct {
		name   string
		listen *net.UDPAddr
		relay  netip.Addr
		want   string
	}{
		{"dual-stack wildcard, IPv4 relay: IPv4 loopback", &net.UDPAddr{IP: net.IPv6unspecified, Port: 3478}, v4, "127.0.0.1:3478"},
		{"IPv4 wildcard", &net.UDPAddr{IP: net.IPv4zero, Port: 3478}, v4, "127.0.0.1:3478"},
		{"wildcard, IPv6 relay", &net.UDPAddr{IP: net.IPv6unspecified, Port: 3478}, v6, "[::1]:3478"},
		{"bound address kept", &net.UDPAddr{IP: net.ParseIP("192.0.2.10"), Port: 3478}, v4, "192.0.2.10:3478"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selfTestTarget(tt.listen, tt.relay)
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
