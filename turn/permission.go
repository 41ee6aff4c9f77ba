package turn

import (
	"net"
	"net/netip"
	"slices"

	pionturn "github.com/pion/turn/v5"
)

// peerPolicy decides where relays may send. It is an allow-list: the SFU's
// media IP:port(s) (and, in tests, TestAllowPeerIPs on any port). Everything
// else is denied, whatever its class; the class only names the denial in
// metrics and logs. Immutable after New, so safe for concurrent use.
type peerPolicy struct {
	peers   []netip.AddrPort // AllowedPeers, unmapped
	anyPort []netip.Addr     // TestAllowPeerIPs, unmapped
	host    []netip.Addr     // this host's interface addresses, for classification
}

func newPeerPolicy(peers []netip.AddrPort, testIPs []netip.Addr, host []netip.Addr) *peerPolicy {
	p := &peerPolicy{host: host}
	for _, ap := range peers {
		p.peers = append(p.peers, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	for _, ip := range testIPs {
		p.anyPort = append(p.anyPort, ip.Unmap())
	}
	return p
}

// hostAddrs lists this host's interface addresses; errors yield none, since
// they only refine denial labels (deny is the default regardless).
func hostAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if pfx, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, pfx.Addr().Unmap())
		}
	}
	return out
}

// allowIP reports whether ip may get a TURN permission. ip must be unmapped.
func (p *peerPolicy) allowIP(ip netip.Addr) bool {
	if slices.Contains(p.anyPort, ip) {
		return true
	}
	for _, ap := range p.peers {
		if ap.Addr() == ip {
			return true
		}
	}
	return false
}

// allowAddrPort reports whether a relay may exchange packets with ap: the
// PermissionHandler sees only the IP, so the port is checked here, on every
// packet (TESTPLAN fact 4). ap must be unmapped.
func (p *peerPolicy) allowAddrPort(ap netip.AddrPort) bool {
	return slices.Contains(p.peers, ap) || slices.Contains(p.anyPort, ap.Addr())
}

// permissionHandler returns the pion PermissionHandler for CreatePermission
// and ChannelBind. pion passes net.IP as 4 or 16 bytes; an IPv4-mapped IPv6
// peer (::ffff:127.0.0.1, family IPv6) reaches us on an IPv4 allocation
// because pion's family check uses To4 (TESTPLAN fact 2), so unmap before
// comparing.
func (p *peerPolicy) permissionHandler(denied func(reason string)) pionturn.PermissionHandler {
	return func(_ net.Addr, peerIP net.IP) bool {
		ip, ok := netip.AddrFromSlice(peerIP)
		if !ok {
			denied("peer_invalid")
			return false
		}
		ip = ip.Unmap()
		if p.allowIP(ip) {
			return true
		}
		denied("peer_" + p.classify(ip))
		return false
	}
}

// Well-known special-purpose ranges netip has no predicate for.
var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")  // RFC 6598
	thisNet     = netip.MustParsePrefix("0.0.0.0/8")      // RFC 791 "this network"
	reserved4   = netip.MustParsePrefix("240.0.0.0/4")    // RFC 1112
	nat64       = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215
	sixToFour   = netip.MustParsePrefix("2002::/16")      // RFC 3056
	teredo      = netip.MustParsePrefix("2001::/32")      // RFC 4380
	v4Compat    = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible
	broadcast4  = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	metadataIP4 = netip.AddrFrom4([4]byte{169, 254, 169, 254})
)

// classify names the kind of a denied address, for metrics and logs.
func (p *peerPolicy) classify(ip netip.Addr) string {
	switch {
	case ip.IsUnspecified() || thisNet.Contains(ip):
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsMulticast():
		return "multicast"
	case ip == broadcast4:
		return "broadcast"
	case ip == metadataIP4:
		return "metadata"
	case ip.IsLinkLocalUnicast():
		return "link_local"
	case ip.IsPrivate():
		return "private"
	case cgnat.Contains(ip):
		return "cgnat"
	case nat64.Contains(ip) || nat64Local.Contains(ip):
		return "nat64"
	case sixToFour.Contains(ip):
		return "6to4"
	case teredo.Contains(ip):
		return "teredo"
	case reserved4.Contains(ip) || v4Compat.Contains(ip):
		return "reserved"
	case slices.Contains(p.host, ip):
		return "host"
	}
	return "public"
}

// addrPortOf converts the net.Addr pion hands a relay socket, allocation-free.
func addrPortOf(addr net.Addr) (netip.AddrPort, bool) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || a.Port < 0 || a.Port > 65535 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(ip.Unmap(), uint16(a.Port)), true
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || a.Port < 0 || a.Port > 65535 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(ip.Unmap(), uint16(a.Port)), true
	}
	return netip.AddrPort{}, false
}
