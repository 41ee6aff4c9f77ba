package turn

import (
	"net"
	"net/netip"
	"testing"
)

// sfuMedia stands for the SFU's media address in policy tests (TEST-NET-3:
// never contacted).
var sfuMedia = netip.MustParseAddrPort("203.0.113.10:7882")

// TestPermissionHandler is TESTPLAN T5. Every address is offered to the
// handler as pion may pass it: a 4-byte slice (IPv4 only) and a 16-byte one.
func TestPermissionHandler(t *testing.T) {
	tests := []struct {
		ip    string
		allow bool
		class string // expected denial class
	}{
		{"203.0.113.10", true, ""},
		{"::ffff:203.0.113.10", true, ""},
		{"203.0.113.11", false, "public"},
		{"127.0.0.1", false, "loopback"},
		{"127.255.255.254", false, "loopback"},
		{"0.0.0.0", false, "unspecified"},
		{"0.1.2.3", false, "unspecified"},
		{"::", false, "unspecified"},
		{"::1", false, "loopback"},
		{"::ffff:127.0.0.1", false, "loopback"},
		{"::ffff:169.254.169.254", false, "metadata"},
		{"::ffff:10.0.0.1", false, "private"},
		{"64:ff9b::7f00:1", false, "nat64"},
		{"64:ff9b:1::a9fe:a9fe", false, "nat64"},
		{"2002:7f00:1::", false, "6to4"},
		{"2001:0:7f00:1::", false, "teredo"},
		{"::127.0.0.1", false, "reserved"},
		{"169.254.169.254", false, "metadata"},
		{"169.254.1.1", false, "link_local"},
		{"10.1.2.3", false, "private"},
		{"100.64.0.1", false, "cgnat"},
		{"172.16.0.1", false, "private"},
		{"192.168.1.1", false, "private"},
		{"224.0.0.1", false, "multicast"},
		{"239.255.255.250", false, "multicast"},
		{"255.255.255.255", false, "broadcast"},
		{"240.0.0.1", false, "reserved"},
		{"fe80::1", false, "link_local"},
		{"fd00::1", false, "private"},
		{"fc00::1", false, "private"},
		{"ff02::1", false, "multicast"},
		{"2001:db8::1", false, "public"},
		{"8.8.8.8", false, "public"},
	}
	p := newPeerPolicy([]netip.AddrPort{sfuMedia}, nil, nil)
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		for _, form := range ipForms(ip) {
			t.Run(tt.ip+"/"+form.name, func(t *testing.T) {
				var denied []string
				ok := p.permissionHandler(func(r string) { denied = append(denied, r) })(nil, form.ip)
				if ok != tt.allow {
					t.Fatalf("permission(%v as %d bytes) = %v, want %v", form.ip, len(form.ip), ok, tt.allow)
				}
				if want := "peer_" + tt.class; !tt.allow && (len(denied) != 1 || denied[0] != want) {
					t.Fatalf("denial reasons %v, want [%s]", denied, want)
				}
			})
		}
	}
}

type ipForm struct {
	name string
	ip   net.IP
}

// ipForms returns ip as the slices pion can hand the PermissionHandler.
func ipForms(ip netip.Addr) []ipForm {
	forms := []ipForm{{"16", net.IP(ip.AsSlice())}}
	if ip.Is4() {
		b16 := netip.AddrFrom16(ip.As16()).AsSlice() // ::ffff:a.b.c.d
		forms = []ipForm{{"4", net.IP(ip.AsSlice())}, {"16", net.IP(b16)}}
	}
	return forms
}

// TestPermissionDeniesHostAddrs: every address of this host is denied unless
// it is an allowed peer (T5, "every address from net.InterfaceAddrs()").
func TestPermissionDeniesHostAddrs(t *testing.T) {
	host := hostAddrs()
	if len(host) == 0 {
		t.Fatal("net.InterfaceAddrs returned nothing; loopback at least expected")
	}
	p := newPeerPolicy([]netip.AddrPort{sfuMedia}, nil, host)
	handler := p.permissionHandler(func(string) {})
	for _, ip := range host {
		for _, form := range ipForms(ip) {
			if handler(nil, form.ip) {
				t.Errorf("host address %v (%s bytes) allowed", ip, form.name)
			}
		}
	}
	// A host address that is the SFU's is allowed, on its port only.
	sfu := netip.AddrPortFrom(host[0], 7882)
	p = newPeerPolicy([]netip.AddrPort{sfu}, nil, host)
	if !p.permissionHandler(func(string) {})(nil, net.IP(host[0].AsSlice())) {
		t.Errorf("allowed peer %v on a host address denied", sfu)
	}
	if p.allowAddrPort(netip.AddrPortFrom(host[0], 8443)) {
		t.Errorf("other port on allowed peer host %v allowed", host[0])
	}
}

func TestPermissionInvalidSlice(t *testing.T) {
	var denied []string
	p := newPeerPolicy([]netip.AddrPort{sfuMedia}, nil, nil)
	if p.permissionHandler(func(r string) { denied = append(denied, r) })(nil, net.IP{1, 2, 3}) {
		t.Fatal("3-byte IP allowed")
	}
	if len(denied) != 1 || denied[0] != "peer_invalid" {
		t.Fatalf("denials %v, want [peer_invalid]", denied)
	}
}

// TestAllowAddrPort is the relay socket's port filter, as a table.
func TestAllowAddrPort(t *testing.T) {
	testIP := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name    string
		testIPs []netip.Addr
		addr    net.Addr
		want    bool
	}{
		{"sfu", nil, udp("203.0.113.10", 7882), true},
		{"sfu mapped", nil, udp("::ffff:203.0.113.10", 7882), true},
		{"sfu 4-byte", nil, &net.UDPAddr{IP: net.ParseIP("203.0.113.10").To4(), Port: 7882}, true},
		{"sfu other port", nil, udp("203.0.113.10", 8443), false},
		{"sfu port 0", nil, udp("203.0.113.10", 0), false},
		{"other ip sfu port", nil, udp("203.0.113.11", 7882), false},
		{"loopback", nil, udp("127.0.0.1", 7882), false},
		{"test ip any port", []netip.Addr{testIP}, udp("127.0.0.1", 40000), true},
		{"test ip mapped", []netip.Addr{testIP}, udp("::ffff:127.0.0.1", 40000), true},
		{"test ip other loopback", []netip.Addr{testIP}, udp("127.0.0.2", 40000), false},
		{"tcp addr", nil, &net.TCPAddr{IP: net.ParseIP("203.0.113.10"), Port: 7882}, true},
		{"non-ip addr", nil, &net.UnixAddr{Name: "/tmp/x", Net: "unixgram"}, false},
		{"bad port", nil, &net.UDPAddr{IP: net.ParseIP("203.0.113.10"), Port: 70000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeerPolicy([]netip.AddrPort{sfuMedia}, tt.testIPs, nil)
			ap, ok := addrPortOf(tt.addr)
			got := ok && p.allowAddrPort(ap)
			if got != tt.want {
				t.Fatalf("allow %v = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func udp(ip string, port int) *net.UDPAddr {
	return &net.UDPAddr{IP: net.ParseIP(ip), Port: port}
}
