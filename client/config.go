package client

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Publish says which clips a client sends. The zero value publishes nothing (a pure
// subscriber).
type Publish struct {
	Video bool // the VP8 clip, source "camera"
	Audio bool // the Opus clip, source "microphone"
	// Simulcast publishes the video as one track with three encodings, RIDs "q", "h" and
	// "f" (160x90, 320x180 and 640x360 clips), when the server's welcome lists the
	// "simulcast" feature; a server without it gets the single 640x360 clip (logged). The
	// encodings follow the server's `layers` messages (see Client.ActiveLayers). Only with
	// Video.
	Simulcast bool
	// Speaking marks the microphone's packets as voice (RFC 6464 level -30 dBov with the V
	// bit), so the server counts the bot as a speaker; otherwise they carry the level of
	// silence. Only with Audio.
	Speaking bool
}

// Config describes one client. URL, Room and Name are required; the rest is optional.
// Callbacks run on the client's own goroutines: they must return quickly and must not call
// Close or Leave.
type Config struct {
	// URL is the signaling endpoint, wss://HOST/ws (ws:// for loopback tests).
	URL string
	// Origin is sent as the Origin header; the server compares it with Host. Empty: derived
	// from URL (https://HOST for wss, http://HOST for ws), as a browser would send it.
	Origin string
	// TLSConfig verifies the server for wss:// (for example RootCAs with Conclave's CA).
	// Nil: the system roots.
	TLSConfig *tls.Config
	// Room and Name are the `join` fields; Room is lower-cased as the web client does.
	Room, Name string
	// Token is the optional `token` of `join`, checked by the server's join policy when it
	// has one; empty sends none.
	Token string
	// Password is the optional room password of `join` (rooms with password access).
	Password string
	// Publish selects the tracks to send.
	Publish Publish

	// ICEServers, when non-nil, replaces the ICE servers the server hands out in `welcome`.
	ICEServers []webrtc.ICEServer
	// ICEIPFilter, when set, keeps only the local addresses it accepts as host candidates,
	// and loopback addresses are offered too. Tests pass one that accepts only loopback so
	// that no packet leaves the machine.
	ICEIPFilter func(net.IP) bool
	// NetworkTypes, when set, limits the candidates gathered, for example to TCP only, as on
	// a network that blocks UDP. Nil: pion's defaults (UDP and TCP).
	NetworkTypes []webrtc.NetworkType
	// RelayOnly uses TURN relay candidates only (ICE transport policy "relay").
	RelayOnly bool
	// Net, when set, opens every socket of the client: ICE and TURN (pion's
	// SettingEngine.SetNet) and the signaling WebSocket's TCP connection. Tests pass one
	// whose sockets live in another network namespace. Nil: the host's network.
	Net transport.Net

	// Logger receives the client's logs; nil discards them.
	Logger *slog.Logger
	// LoggerFactory receives pion's logs; nil bridges them to Logger (pion info as debug).
	LoggerFactory logging.LoggerFactory

	// OnTrack is called when a remote track starts, OnTrackEnded when it ends (the
	// server stopped sending it, or the PeerConnection closed).
	OnTrack, OnTrackEnded func(RemoteTrack)
	// OnTrackAnnounced is called when a server offer announces a track this client is to
	// receive (its `tracks` field), before any packet of it: pion's OnTrack, and so
	// Config.OnTrack, waits for the first packet, while a browser's ontrack fires at
	// negotiation. A bot that shows videos reports their tile sizes from here
	// (Client.SetVideoSize): a server that sends a video only to shown tiles sends nothing
	// before. Called on the session's goroutine, possibly before Join returns; again for
	// every track after a Resume.
	OnTrackAnnounced func(RemoteTrack)
	// OnRTP is called for every RTP packet received on a remote track; pkt is only valid
	// during the call (copy what you keep). Tests use it to compare payloads byte for byte.
	OnRTP func(t RemoteTrack, pkt *rtp.Packet)
	// OnSend is called for every RTP packet the client's sources send, with the local track
	// ID (for a simulcast track, the packets of all its encodings, each its own sequence);
	// pkt is only valid during the call.
	OnSend func(trackID string, pkt *rtp.Packet)
	// OnRelay is called for every `relay` message, with the sender's participant ID and the
	// opaque data. With E2EE on, the key protocol's messages (announce, key, ack, msg) are
	// consumed by the client and not passed on.
	OnRelay func(from string, data json.RawMessage)

	// Secret is the 32-byte room secret of the meeting link (#k=…). When set, the client
	// speaks the E2EE key protocol (docs/e2ee.md): it encrypts every frame it publishes,
	// decrypts what it receives (dropping what does not decrypt) and chats encrypted. Nil:
	// no E2EE, frames go out in clear and received payloads are only counted.
	Secret []byte
	// OnChat is called for every chat message that decrypted (E2EE only).
	OnChat func(Chat)
	// OnFrame is called, with E2EE on, for every complete frame received on a remote track:
	// sealed as it arrived, plain the decrypted frame or nil if it was dropped. Both are
	// only valid during the call.
	OnFrame func(t RemoteTrack, sealed, plain []byte)

	// frameMarker, when set (tests only, see export_test.go), is appended to every frame
	// the sources send, before encryption.
	frameMarker []byte
}

// Validate reports every problem with the config, each wrapping ErrBadConfig.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		errs = append(errs, fmt.Errorf("url is empty: %w", ErrBadConfig))
	case err != nil:
		errs = append(errs, fmt.Errorf("url %q: %w: %w", c.URL, ErrBadConfig, err))
	case u.Scheme != "ws" && u.Scheme != "wss":
		errs = append(errs, fmt.Errorf("url %q: scheme must be ws or wss: %w", c.URL, ErrBadConfig))
	}
	if c.Room == "" {
		errs = append(errs, fmt.Errorf("room is empty: %w", ErrBadConfig))
	}
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("name is empty: %w", ErrBadConfig))
	}
	if c.Publish.Simulcast && !c.Publish.Video {
		errs = append(errs, fmt.Errorf("simulcast without video: %w", ErrBadConfig))
	}
	if c.Publish.Speaking && !c.Publish.Audio {
		errs = append(errs, fmt.Errorf("speaking without audio: %w", ErrBadConfig))
	}
	if c.Secret != nil && len(c.Secret) != 32 {
		errs = append(errs, fmt.Errorf("secret of %d bytes, want 32: %w", len(c.Secret), ErrBadConfig))
	}
	return errors.Join(errs...)
}

// origin returns the Origin header to send: Config.Origin, or the page origin a browser on
// the same host would send.
func (c Config) origin() string {
	if c.Origin != "" {
		return c.Origin
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return ""
	}
	scheme := "https"
	if u.Scheme == "ws" {
		scheme = "http"
	}
	return scheme + "://" + u.Host
}

// logger returns Config.Logger or a logger that discards everything.
func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}
