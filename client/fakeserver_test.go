package client_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// glareServer is a one-participant signaling peer built on a real pion PeerConnection, for
// testing the client's negotiation without the SFU. It plays the impolite side and forces a
// glare: it answers the client's first offer with an offer of its own (ignoring the client's,
// as the SFU does when its offer is already under way), so the client has to drop its offer,
// answer, and offer again. It sends one VP8 track as participant p_srv and counts what the
// client sends.
type glareServer struct {
	t   *testing.T
	srv *httptest.Server
	api *webrtc.API

	offersSeen atomic.Int32
	received   sync.Map // kind → *atomic.Int64 packets from the client
	published  chan string
	relays     chan string

	wg sync.WaitGroup
}

func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

func newGlareServer(t *testing.T) *glareServer {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIPFilter(loopbackOnly)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	g := &glareServer{t: t, published: make(chan string, 4), relays: make(chan string, 4),
		api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(func() {
		g.srv.Close()
		g.wg.Wait()
	})
	return g
}

func (g *glareServer) url() string { return "ws" + g.srv.URL[len("http"):] + "/ws" }

func (g *glareServer) packets(kind string) int64 {
	v, ok := g.received.Load(kind)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// serve runs one signaling session until the socket closes.
func (g *glareServer) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		g.t.Errorf("accept: %v", err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer conn.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		_ = conn.Write(ctx, websocket.MessageText, b)
	}
	pc, track := g.newPeer(send)
	defer pc.Close()
	if _, _, err := conn.Read(ctx); err != nil { // join
		return
	}
	send(map[string]any{"type": "welcome", "v": 1, "participantId": "p_bot", "resumeToken": "tok",
		"participants": []any{map[string]any{"id": "p_srv", "name": "Server"}}})
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		sendVideo(ctx, track)
	}()
	var pending []webrtc.ICECandidateInit
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return
		}
		pending = g.handle(pc, send, b, pending)
	}
}

func (g *glareServer) newPeer(send func(any)) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	pc, err := g.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		g.t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8},
		"srv-video", "srv")
	if err != nil {
		g.t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		g.t.Fatal(err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			send(map[string]any{"type": "candidate", "candidate": init})
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		n, _ := g.received.LoadOrStore(tr.Kind().String(), new(atomic.Int64))
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			n.(*atomic.Int64).Add(1)
		}
	})
	return pc, track
}

// handle applies one client message; it returns the candidates still waiting for a remote
// description.
func (g *glareServer) handle(pc *webrtc.PeerConnection, send func(any), b []byte, pending []webrtc.ICECandidateInit) []webrtc.ICECandidateInit {
	var m struct {
		Type      string                   `json:"type"`
		SDP       string                   `json:"sdp"`
		TrackID   string                   `json:"trackId"`
		Candidate *webrtc.ICECandidateInit `json:"candidate"`
		Data      json.RawMessage          `json:"data"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		g.t.Errorf("bad client message %s: %v", b, err)
		return pending
	}
	switch m.Type {
	case "publish":
		g.published <- m.TrackID
	case "relay":
		g.relays <- string(m.Data)
		send(map[string]any{"type": "relay", "from": "p_srv", "data": m.Data})
	case "candidate":
		if m.Candidate == nil {
			return pending
		}
		if pc.RemoteDescription() == nil {
			return append(pending, *m.Candidate)
		}
		_ = pc.AddICECandidate(*m.Candidate)
	case "offer":
		if g.offersSeen.Add(1) == 1 {
			// Impolite: our offer "crossed" theirs; ignore theirs and send ours.
			offer, _ := pc.CreateOffer(nil)
			_ = pc.SetLocalDescription(offer)
			mid := pc.GetTransceivers()[0].Mid()
			send(map[string]any{"type": "offer", "sdp": offer.SDP, "tracks": map[string]any{
				mid: map[string]string{"participantId": "p_srv", "trackId": "srv-video", "kind": "video", "source": "camera"}}})
			return pending
		}
		g.setRemote(pc, webrtc.SDPTypeOffer, m.SDP)
		ans, _ := pc.CreateAnswer(nil)
		_ = pc.SetLocalDescription(ans)
		send(map[string]any{"type": "answer", "sdp": ans.SDP})
	case "answer":
		g.setRemote(pc, webrtc.SDPTypeAnswer, m.SDP)
	}
	if pc.RemoteDescription() != nil {
		for _, c := range pending {
			_ = pc.AddICECandidate(c)
		}
		pending = nil
	}
	return pending
}

func (g *glareServer) setRemote(pc *webrtc.PeerConnection, typ webrtc.SDPType, sdp string) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: typ, SDP: sdp}); err != nil {
		g.t.Errorf("server: set remote %s: %v", typ, err)
	}
}

// sendVideo writes a small fake VP8 stream (payload content does not matter to the client).
func sendVideo(ctx context.Context, track *webrtc.TrackLocalStaticRTP) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true}, Payload: []byte{0x10, 0, 0, 0}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.SequenceNumber++
			p.Timestamp += 1800
			_ = track.WriteRTP(p)
		}
	}
}
