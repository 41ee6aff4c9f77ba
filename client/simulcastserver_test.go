package client_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// ridServer is a one-participant signaling peer on a real pion PeerConnection that receives
// what a client publishes and counts it per RID, as the SFU's receiving side would. It lists
// the given features in its welcome, answers every client offer, records the offers, and
// lets a test send messages (`layers`) and PLIs to the client.
type ridServer struct {
	t        *testing.T
	srv      *httptest.Server
	api      *webrtc.API
	features []string

	mu       sync.Mutex
	offers   []string
	messages []json.RawMessage       // everything but offers and candidates
	streams  map[string]*ridCounters // by RID ("" for a single encoding) and kind
	send     func(any)
	pc       *webrtc.PeerConnection
}

// ridCounters is what arrived on one received RTP stream.
type ridCounters struct {
	ssrc      webrtc.SSRC
	packets   int
	keyFrames int  // VP8 frames starting with a key frame
	firstKey  bool // the first frame was a key frame
	frames    int
	// Since mark(): packets, key frames, and whether the first frame was a key frame.
	sinceMark, keysSinceMark int
	keyAfterMark             *bool
	tracks                   int             // OnTrack calls for this RID
	seqs                     map[uint16]int  // packets received per sequence number
	ssrcs                    map[uint32]bool // SSRCs seen in packets read from the track
}

func newRIDServer(t *testing.T, features ...string) *ridServer {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil { // with the RID extensions
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIPFilter(loopbackOnly)
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	r := &ridServer{t: t, features: features, streams: make(map[string]*ridCounters),
		api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.srv.Close()
	})
	return r
}

func (r *ridServer) url() string { return "ws" + r.srv.URL[len("http"):] + "/ws" }

// serve runs one signaling session until the socket closes.
func (r *ridServer) serve(w http.ResponseWriter, req *http.Request) {
	conn, err := websocket.Accept(w, req, nil)
	if err != nil {
		r.t.Errorf("accept: %v", err)
		return
	}
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	defer conn.CloseNow()
	var wmu sync.Mutex
	send := func(v any) {
		b, _ := json.Marshal(v)
		wmu.Lock()
		defer wmu.Unlock()
		_ = conn.Write(ctx, websocket.MessageText, b)
	}
	pc, err := r.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		r.t.Errorf("new pc: %v", err)
		return
	}
	defer pc.Close()
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			send(map[string]any{"type": "candidate", "candidate": c.ToJSON()})
		}
	})
	pc.OnTrack(r.onTrack)
	r.mu.Lock()
	r.send, r.pc = send, pc
	r.mu.Unlock()
	if _, _, err := conn.Read(ctx); err != nil { // join
		return
	}
	send(map[string]any{"type": "welcome", "v": 1, "participantId": "p_bot", "resumeToken": "tok",
		"index": 1, "features": r.features})
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return
		}
		r.handle(pc, send, b)
	}
}

func (r *ridServer) handle(pc *webrtc.PeerConnection, send func(any), b []byte) {
	var m struct {
		Type      string                   `json:"type"`
		SDP       string                   `json:"sdp"`
		Candidate *webrtc.ICECandidateInit `json:"candidate"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		r.t.Errorf("bad client message %s: %v", b, err)
		return
	}
	switch m.Type {
	case "offer":
		r.mu.Lock()
		r.offers = append(r.offers, m.SDP)
		r.mu.Unlock()
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			r.t.Errorf("server: set remote offer: %v", err)
			return
		}
		ans, _ := pc.CreateAnswer(nil)
		_ = pc.SetLocalDescription(ans)
		send(map[string]any{"type": "answer", "sdp": ans.SDP})
	case "candidate":
		if m.Candidate != nil {
			_ = pc.AddICECandidate(*m.Candidate)
		}
	default:
		r.mu.Lock()
		r.messages = append(r.messages, json.RawMessage(b))
		r.mu.Unlock()
	}
}

// onTrack counts one received stream's packets and VP8 frames until it ends.
func (r *ridServer) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	key := tr.RID() + "/" + tr.Kind().String()
	r.mu.Lock()
	c, ok := r.streams[key]
	if !ok {
		c = &ridCounters{ssrc: tr.SSRC(), seqs: make(map[uint16]int), ssrcs: make(map[uint32]bool)}
		r.streams[key] = c
	}
	c.tracks++
	r.mu.Unlock()
	var vp8 codecs.VP8Packet
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		r.mu.Lock()
		c.packets++
		c.sinceMark++
		c.seqs[p.SequenceNumber]++
		c.ssrcs[p.SSRC] = true
		payload, err := vp8.Unmarshal(p.Payload)
		if tr.Kind() == webrtc.RTPCodecTypeVideo && err == nil && vp8.S == 1 && vp8.PID == 0 && len(payload) > 0 {
			key := payload[0]&0x01 == 0
			if c.frames == 0 {
				c.firstKey = key
			}
			if c.keyAfterMark == nil {
				c.keyAfterMark = &key
			}
			c.frames++
			if key {
				c.keyFrames++
				c.keysSinceMark++
			}
		}
		r.mu.Unlock()
	}
}

// counters returns a copy of the counters of stream rid/kind (zero if none arrived).
func (r *ridServer) counters(rid, kind string) ridCounters {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.streams[rid+"/"+kind]; ok {
		out := *c
		out.seqs, out.ssrcs = maps.Clone(c.seqs), maps.Clone(c.ssrcs)
		return out
	}
	return ridCounters{}
}

// nack asks the client to send packet seq of a received stream again.
func (r *ridServer) nack(ssrc webrtc.SSRC, seq uint16) error {
	r.mu.Lock()
	pc := r.pc
	r.mu.Unlock()
	return pc.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: uint32(ssrc),
		Nacks: []rtcp.NackPair{{PacketID: seq}}}})
}

// mark restarts the since-mark counts of every stream.
func (r *ridServer) mark() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.streams {
		c.sinceMark, c.keysSinceMark, c.keyAfterMark = 0, 0, nil
	}
}

// sendToClient writes one message to the client.
func (r *ridServer) sendToClient(v any) {
	r.mu.Lock()
	send := r.send
	r.mu.Unlock()
	send(v)
}

// pli asks for a key frame on one received stream.
func (r *ridServer) pli(ssrc webrtc.SSRC) error {
	r.mu.Lock()
	pc := r.pc
	r.mu.Unlock()
	return pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}})
}

// firstOffer returns the first offer the client sent ("" before it).
func (r *ridServer) firstOffer() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.offers) == 0 {
		return ""
	}
	return r.offers[0]
}

// received returns the non-SDP messages the client sent.
func (r *ridServer) received() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]json.RawMessage(nil), r.messages...)
}
