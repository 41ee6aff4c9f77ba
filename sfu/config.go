package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures an SFU. Zero values of the optional fields take the
// defaults documented on each field; New fills them in.
type Config struct {
	// Logger receives the SFU's logs (component=sfu). Required.
	Logger *slog.Logger
	// LoggerFactory receives pion's logs. Nil discards them.
	LoggerFactory logging.LoggerFactory
	// Registerer receives the SFU's collectors. Nil keeps them private.
	Registerer prometheus.Registerer

	// UDPConn is the one media socket every PeerConnection shares (ICE UDP
	// mux). Required. The SFU owns it from New on and closes it in Close.
	UDPConn net.PacketConn
	// TCPListener yields ICE-TCP connections (RFC 4571 framing, first bytes
	// intact), for example those the TLS-port demux classified. Optional;
	// when set the SFU owns it and closes it in Close, and its Addr is the
	// port advertised in TCP candidates.
	TCPListener net.Listener
	// NAT1To1IPs are public addresses that replace the host addresses in
	// candidates (1:1 NAT, --public-ip). Optional.
	NAT1To1IPs []string
	// HostIPs are the only addresses host candidates may use. When every one
	// is a loopback address, loopback candidates are enabled (tests, dev).
	// Empty: the UDPConn's own address if it is bound to one, else every
	// non-loopback interface address (pion's default).
	HostIPs []netip.Addr
	// ICEServers returns the STUN/TURN servers handed to a participant in
	// its welcome. Optional.
	ICEServers func(participantID string) []webrtc.ICEServer
	// Authorizer admits joins (auth.go). Nil lets anyone join any room,
	// with no moderators and no lobby.
	Authorizer Authorizer
	// LobbyTimeout is how long a join may wait in a room's lobby for a
	// moderator's decision (default 10 min); then it gets lobby-timeout.
	LobbyTimeout time.Duration

	// MaxParticipants per room (default 100, at most 255: every
	// participant holds one of the 255 E2EE sender indexes of its room).
	// A Grant may set a room's limit per join (Grant.MaxParticipants).
	MaxParticipants int
	// MaxTracksPerParticipant (default 4: camera, microphone, screen,
	// screen audio).
	MaxTracksPerParticipant int
	// MaxMessageBytes is the largest signalling message (default 65536);
	// larger ones close the socket with 1009.
	MaxMessageBytes int64
	// JoinsPerSecondPerIP and JoinBurstPerIP limit joins from one remote
	// address (defaults 5 and 10).
	JoinsPerSecondPerIP float64
	JoinBurstPerIP      int
	// MessagesPerSecond and MessageBurst limit messages on one socket
	// (defaults 50 and 200).
	MessagesPerSecond float64
	MessageBurst      int
	// ResumeWindow is how long a participant whose socket or ICE connection
	// was lost stays in its room waiting for a resume (default 30 s).
	ResumeWindow time.Duration

	// Tunables; tests shorten them.

	// PingInterval between WebSocket pings (default 15 s); a ping not
	// answered within twice the interval closes the socket.
	PingInterval time.Duration
	// JoinTimeout bounds the wait for the first message (default 10 s).
	JoinTimeout time.Duration
	// NegotiationTimeout bounds the wait for an answer to a server offer
	// (default 15 s).
	NegotiationTimeout time.Duration
	// WriteTimeout bounds one WebSocket write (default 10 s).
	WriteTimeout time.Duration
	// KeyframeInterval is the least time between two keyframe requests sent
	// to one publisher for one track (default 500 ms).
	KeyframeInterval time.Duration
	// ICEDisconnectedTimeout and ICEFailedTimeout are pion's ICE timeouts
	// (defaults 5 s and 25 s).
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	// SendQueue is how many outgoing messages may wait for one socket
	// (default 256); a socket that falls further behind is closed.
	SendQueue int
	// LastN is how many of the most recent speakers' cameras a subscriber
	// keeps receiving (their lowest simulcast encoding) while their tiles
	// are off screen, so that a speaker view switches at once (default 3;
	// negative: none).
	LastN int
}

// Defaults of Config.
const (
	DefaultMaxParticipants         = 100
	DefaultMaxTracksPerParticipant = 4
	DefaultMaxMessageBytes         = 64 << 10
	DefaultResumeWindow            = 30 * time.Second
	DefaultLobbyTimeout            = 10 * time.Minute
	// MaxSenderIndex is the largest E2EE sender index, and so the most
	// participants a room can hold (docs/e2ee.md: 8 bits of the key ID).
	MaxSenderIndex = 255
)

// withDefaults returns c with every zero optional field set to its default.
func (c Config) withDefaults() Config {
	setDefault(&c.MaxParticipants, DefaultMaxParticipants)
	setDefault(&c.MaxTracksPerParticipant, DefaultMaxTracksPerParticipant)
	setDefault(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	setDefault(&c.JoinsPerSecondPerIP, 5)
	setDefault(&c.JoinBurstPerIP, 10)
	setDefault(&c.MessagesPerSecond, 50)
	setDefault(&c.MessageBurst, 200)
	setDefault(&c.ResumeWindow, DefaultResumeWindow)
	setDefault(&c.LobbyTimeout, DefaultLobbyTimeout)
	setDefault(&c.PingInterval, 15*time.Second)
	setDefault(&c.JoinTimeout, 10*time.Second)
	setDefault(&c.NegotiationTimeout, 15*time.Second)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.KeyframeInterval, 500*time.Millisecond)
	setDefault(&c.ICEDisconnectedTimeout, 5*time.Second)
	setDefault(&c.ICEFailedTimeout, 25*time.Second)
	setDefault(&c.SendQueue, 256)
	setDefault(&c.LastN, 3)
	return c
}

func setDefault[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports every problem with c, naming the field each time. Zero
// optional fields are valid (they take defaults).
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Logger == nil {
		add("Logger is required")
	}
	if c.UDPConn == nil {
		add("UDPConn is required (the shared media socket)")
	}
	for _, ip := range c.NAT1To1IPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			add("NAT1To1IPs: %q is not an IP address", ip)
		}
	}
	for _, ip := range c.HostIPs {
		if !ip.IsValid() || ip.IsUnspecified() {
			add("HostIPs: %q is not a usable host address", ip)
		}
	}
	for _, name := range c.negativeFields() {
		add("%s must not be negative", name)
	}
	if c.MaxParticipants > MaxSenderIndex {
		add("MaxParticipants %d is more than the %d sender indexes of a room", c.MaxParticipants, MaxSenderIndex)
	}
	if c.MaxMessageBytes > 0 && c.MaxMessageBytes < 4096 {
		add("MaxMessageBytes %d is too small for an SDP (at least 4096)", c.MaxMessageBytes)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// negativeFields names the numeric fields set below zero.
func (c Config) negativeFields() []string {
	fields := []struct {
		name string
		bad  bool
	}{
		{"MaxParticipants", c.MaxParticipants < 0},
		{"MaxTracksPerParticipant", c.MaxTracksPerParticipant < 0},
		{"MaxMessageBytes", c.MaxMessageBytes < 0},
		{"JoinsPerSecondPerIP", c.JoinsPerSecondPerIP < 0},
		{"JoinBurstPerIP", c.JoinBurstPerIP < 0},
		{"MessagesPerSecond", c.MessagesPerSecond < 0},
		{"MessageBurst", c.MessageBurst < 0},
		{"ResumeWindow", c.ResumeWindow < 0},
		{"LobbyTimeout", c.LobbyTimeout < 0},
		{"PingInterval", c.PingInterval < 0},
		{"JoinTimeout", c.JoinTimeout < 0},
		{"NegotiationTimeout", c.NegotiationTimeout < 0},
		{"WriteTimeout", c.WriteTimeout < 0},
		{"KeyframeInterval", c.KeyframeInterval < 0},
		{"ICEDisconnectedTimeout", c.ICEDisconnectedTimeout < 0},
		{"ICEFailedTimeout", c.ICEFailedTimeout < 0},
		{"SendQueue", c.SendQueue < 0},
	}
	var out []string
	for _, f := range fields {
		if f.bad {
			out = append(out, f.name)
		}
	}
	return out
}
