package appliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/pion/webrtc/v4"

	"conclave/internal/pionlog"
	"conclave/sfu"
	"conclave/turn"
)

// turnCredentialTTL is how long the TURN credentials of one join stay valid
// for new allocations. Existing allocations outlive it (expiry is checked on
// Allocate only), and a rejoin mints new ones.
const turnCredentialTTL = 12 * time.Hour

// startMedia binds the media and TURN sockets and starts the SFU and the
// TURN server. The TURN relay may reach exactly the SFU's media addresses.
func (a *Appliance) startMedia(ctx context.Context) error {
	mediaConn, err := listenUDP("media-udp", a.cfg.MediaUDPAddr)
	if err != nil {
		return err
	}
	a.mediaAddr = mediaConn.LocalAddr()
	mediaPort := mediaConn.LocalAddr().(*net.UDPAddr).Port
	hostIPs := mediaHostIPs(mediaConn.LocalAddr())
	a.iceTCP = newChanListener(a.httpsLn.Addr())
	var nat []string
	if a.cfg.PublicIP != "" {
		nat = []string{a.cfg.PublicIP}
	}
	a.sfu, err = sfu.New(sfu.Config{
		Logger:        a.logger, // sfu adds component=sfu itself
		LoggerFactory: pionlog.Factory{Logger: a.logger},
		Registerer:    a.registry,
		UDPConn:       mediaConn,
		TCPListener:   a.iceTCP,
		NAT1To1IPs:    nat,
		HostIPs:       hostIPs,
		ICEServers:    a.iceServers,
		Authorizer:    joinPolicy{a.admin},
		LastN:         a.cfg.LastN,
	})
	if err != nil {
		mediaConn.Close()
		return fmt.Errorf("sfu: %w", err)
	}
	return a.startTURN(ctx, hostIPs, mediaPort)
}

// listenTURN binds --turn for UDP and TCP on one port: TURN URLs name one
// port for both transports. With port 0 (tests) TCP takes the port UDP was
// given, which another program may hold for TCP (CI saw it once, a busy
// namespace's outgoing connection): then both are bound again, a few
// times, on a new port.
func listenTURN(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		udp, err := listenUDP("turn", addr)
		if err != nil {
			return nil, nil, err
		}
		tcpAddr := addr
		if port == "0" {
			tcpAddr = net.JoinHostPort(host, strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port))
		}
		tcp, err := listenTCP("turn", tcpAddr)
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || try == 4 {
			return nil, nil, err
		}
	}
}

// startTURN binds --turn (UDP and TCP) and starts the TURN server; TURN over
// TLS reaches it through the TLS-port demux.
func (a *Appliance) startTURN(ctx context.Context, hostIPs []netip.Addr, mediaPort int) error {
	a.turnSecrets = &turnSecrets{store: a.store, now: time.Now}
	if _, err := a.turnSecrets.load(ctx); err != nil {
		return fmt.Errorf("turn secret: %w", err)
	}
	udp, tcp, err := listenTURN(a.cfg.TURNAddr)
	if err != nil {
		return err
	}
	a.turnAddr = tcp.Addr()
	peers := make([]netip.AddrPort, 0, len(hostIPs)+1)
	for _, ip := range hostIPs {
		peers = append(peers, netip.AddrPortFrom(ip, uint16(mediaPort)))
	}
	if ip, err := netip.ParseAddr(a.cfg.PublicIP); err == nil {
		peers = append(peers, netip.AddrPortFrom(ip.Unmap(), uint16(mediaPort)))
	}
	a.turn, err = turn.New(turn.Config{
		Logger:        a.logger, // turn adds component=turn itself
		LoggerFactory: pionlog.Factory{Logger: a.logger},
		Registerer:    a.registry,
		UDPConn:       udp,
		TCPListener:   tcp,
		Secrets:       a.turnSecrets.secrets,
		RelayIP:       preferIPv4(hostIPs),
		AllowedPeers:  peers,
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return fmt.Errorf("turn: %w", err)
	}
	return nil
}

// iceServers are the TURN servers handed to a participant with its
// welcome: UDP and TCP on --turn, and TURN over TLS on the TLS port for
// networks that let nothing else through.
func (a *Appliance) iceServers(participantID string) []webrtc.ICEServer {
	if a.turn == nil {
		return nil
	}
	user, pass, _, uris := a.turnGrant(participantID)
	return []webrtc.ICEServer{{URLs: uris, Username: user, Credential: pass}}
}

// turnGrant is what a TURN user gets: credentials, their lifetime and the
// server URIs. The admin API hands out the same (POST /api/v1/turn/credentials).
func (a *Appliance) turnGrant(user string) (username, password string, ttl time.Duration, uris []string) {
	username, password = a.TURNCredentials(user)
	uris = turn.URLs(a.bannerHosts()[0], a.turnAddr.(*net.TCPAddr).Port, portOf(a.httpsLn))
	return username, password, turnCredentialTTL, uris
}

// MediaAddr is the bound address of the shared media UDP socket.
func (a *Appliance) MediaAddr() net.Addr { return a.mediaAddr }

// TURNAddr is the bound address of the TURN TCP listener; UDP uses the same
// port.
func (a *Appliance) TURNAddr() net.Addr { return a.turnAddr }

// TURNCredentials mints TURN REST credentials for user, valid for new
// allocations for turnCredentialTTL: what a participant gets with its
// welcome, for tools and tests that speak TURN without joining a room.
func (a *Appliance) TURNCredentials(user string) (username, password string) {
	return turn.Credentials(a.turnSecrets.current(), user, turnCredentialTTL, time.Now())
}

// mediaHostIPs are the addresses the SFU offers as host candidates and the
// TURN relay may reach: the media socket's own address when bound to one,
// else every non-loopback interface address, else loopback.
func mediaHostIPs(addr net.Addr) []netip.Addr {
	var ips []netip.Addr
	for _, ip := range addrIPs(addr) {
		if !ip.IsLoopback() {
			ips = append(ips, ip)
		}
	}
	if len(ips) > 0 {
		return ips
	}
	if ua, ok := addr.(*net.UDPAddr); ok && !ua.IP.IsUnspecified() {
		if ip, ok := netip.AddrFromSlice(ua.IP); ok {
			return []netip.Addr{ip.Unmap()}
		}
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
}

// preferIPv4 picks the relay address: browsers on dual-stack LANs reach an
// IPv4 relay most reliably.
func preferIPv4(ips []netip.Addr) netip.Addr {
	for _, ip := range ips {
		if ip.Is4() {
			return ip
		}
	}
	return ips[0]
}

// selfTestTimeout bounds the TURN relay self-test at start.
const selfTestTimeout = 5 * time.Second

// selfTestTURN checks once at start that a relayed connection reaches the
// SFU; the TURN server logs a warning with the reason if not.
func (a *Appliance) selfTestTURN(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, selfTestTimeout)
	defer cancel()
	_ = a.turn.SelfTest(ctx) // logged by the TURN server
}

// closeMedia stops the SFU (telling participants the server is going away)
// and then TURN.
func (a *Appliance) closeMedia() error {
	var errs []error
	if a.sfu != nil {
		if err := a.sfu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sfu: %w", err))
		}
		a.sfu = nil
	}
	if a.turn != nil {
		if err := a.turn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close turn: %w", err))
		}
		a.turn = nil
	}
	return errors.Join(errs...)
}
