package turn

import "errors"

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNoSecrets means Config.Secrets is nil or returned no non-empty secret.
	ErrNoSecrets = errors.New("turn: no shared secret")
	// ErrNoRelayIP means Config.RelayIP is not a usable unicast address.
	ErrNoRelayIP = errors.New("turn: relay ip missing or not unicast")
	// ErrPortRange means RelayPortMin/RelayPortMax do not form a valid range.
	ErrPortRange = errors.New("turn: invalid relay port range")
	// ErrNoPeers means neither AllowedPeers nor TestAllowPeerIPs names a peer,
	// so the relay could reach nothing.
	ErrNoPeers = errors.New("turn: no allowed relay peer")
	// ErrBadPeer means an AllowedPeers or TestAllowPeerIPs entry is unusable
	// (invalid, unspecified, multicast or port 0).
	ErrBadPeer = errors.New("turn: invalid allowed peer")
	// ErrBadLimit means a duration in Config is negative.
	ErrBadLimit = errors.New("turn: invalid limit")
	// ErrTCPRelayDisabled is returned for TCP (RFC 6062) relay requests: the
	// SFU speaks UDP, and a TCP relay would be a proxy into the host.
	ErrTCPRelayDisabled = errors.New("turn: tcp relay disabled")
	// ErrRelayPort means a client asked for a relay port outside the range.
	ErrRelayPort = errors.New("turn: requested relay port outside range")
	// ErrClosed is returned by operations on a closed Server.
	ErrClosed = errors.New("turn: server closed")
	// ErrCloseTimeout means Close gave up waiting for connections and relay
	// sockets to wind down.
	ErrCloseTimeout = errors.New("turn: close timed out")
	// ErrSelfTest wraps the reason a relay self-test failed.
	ErrSelfTest = errors.New("turn: relay self-test failed")
	// ErrBadUsername means a TURN REST username is not "expiry:user".
	ErrBadUsername = errors.New("turn: malformed rest username")
)
