package appliance

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
)

// listenTCP binds addr and turns the two common failures into advice.
func listenTCP(flagName, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("--%s %s: address already in use (another program listens there; pick another port)", flagName, addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("--%s %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE: use `conclave install`, or a port such as :8443)", flagName, addr)
	}
	return nil, fmt.Errorf("--%s %s: %w", flagName, addr, err)
}

// listenUDP binds a UDP socket with the same advice as listenTCP.
func listenUDP(flagName, addr string) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err == nil {
		return pc, nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("--%s %s: address already in use (another program listens there; pick another port)", flagName, addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("--%s %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)", flagName, addr)
	}
	return nil, fmt.Errorf("--%s %s: %w", flagName, addr, err)
}

// portOf is the TCP port a listener is bound to, 0 for nil.
func portOf(ln net.Listener) int {
	if ln == nil {
		return 0
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok {
		return ta.Port
	}
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// listenIPs are the addresses clients may use to reach a listener.
func listenIPs(ln net.Listener) []netip.Addr { return addrIPs(ln.Addr()) }

// addrIPs are the addresses a socket bound to addr can be reached at: its
// own IP when bound to one, else loopback plus every interface address.
// Reading interface addresses sends nothing on the network.
func addrIPs(addr net.Addr) []netip.Addr {
	var bound net.IP
	switch a := addr.(type) {
	case *net.TCPAddr:
		bound = a.IP
	case *net.UDPAddr:
		bound = a.IP
	}
	if bound != nil && !bound.IsUnspecified() {
		if ip, ok := netip.AddrFromSlice(bound); ok {
			return []netip.Addr{ip.Unmap()}
		}
	}
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ips
	}
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr().Unmap()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
			continue
		}
		ips = append(ips, ip)
	}
	return ips
}

// tlsHosts are the names and IPs the built-in CA's leaf must cover: every
// way a browser on the LAN may address this box.
func (a *Appliance) tlsHosts() []string {
	hosts := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && checkDomain(h) == nil {
		hosts = append(hosts, h)
	}
	for _, ip := range listenIPs(a.httpsLn) {
		hosts = append(hosts, ip.String())
	}
	if a.cfg.PublicIP != "" {
		hosts = append(hosts, a.cfg.PublicIP)
	}
	return hosts
}
