package sfu

import (
	"encoding/json"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// micTrack is an up-track as the speaker meter sees it: a microphone (or
// another source) whose audio level travels with extension ID 3.
func micTrack(source string) *UpTrack {
	u := &UpTrack{upTrackParams: upTrackParams{participantID: "p_" + source,
		info: TrackInfo{TrackID: source, Kind: "audio", Source: source},
		exts: []webrtc.RTPHeaderExtensionParameter{{URI: absSendTimeURI, ID: 2}, {URI: audioLevelURI, ID: 3}}}}
	if source == "camera" {
		u.info.Kind = "video"
	}
	return u
}

// levelHeader is an RTP header with the audio level extension (ID 3)
// level, V bit voice, or none when level < 0.
func levelHeader(level int, voice bool) *rtp.Header {
	h := &rtp.Header{Version: 2}
	if level >= 0 {
		b := byte(level)
		if voice {
			b |= 0x80
		}
		_ = h.SetExtension(3, []byte{b})
	}
	return h
}

// phase is a stretch of packets every 20 ms with one level.
type phase struct {
	d     time.Duration
	level int // -1: no extension
	voice bool
}

// feedLevels runs phases through u from time start and returns the state at the
// end of each phase: when the current speech started (0: silent).
func feedLevels(u *UpTrack, start time.Duration, phases []phase) (sinces []time.Duration, end time.Duration) {
	now := start
	for _, ph := range phases {
		h := levelHeader(ph.level, ph.voice)
		for t := time.Duration(0); t < ph.d; t += 20 * time.Millisecond {
			now += 20 * time.Millisecond
			u.observeSpeech(h, now)
		}
		sinces = append(sinces, time.Duration(u.speech.since.Load()))
	}
	return sinces, now
}

func TestSpeechMeter(t *testing.T) {
	const ms = time.Millisecond
	loud, quiet, silence := 20, 100, 127
	tests := []struct {
		name     string
		source   string
		phases   []phase
		speaking []bool // after each phase
	}{
		{"loud speech starts within 600 ms, not within 300", "microphone",
			[]phase{{300 * ms, loud, true}, {300 * ms, loud, true}}, []bool{false, true}},
		{"quiet never speaks", "microphone", []phase{{2 * time.Second, quiet, true}}, []bool{false}},
		{"silence ends speech after about 600 ms, not 300", "microphone",
			[]phase{{time.Second, loud, true}, {300 * ms, silence, true}, {500 * ms, silence, true}},
			[]bool{true, true, false}},
		{"a short pause keeps speaking", "microphone",
			[]phase{{time.Second, loud, true}, {200 * ms, silence, true}, {time.Second, loud, true}},
			[]bool{true, true, true}},
		{"a clear V bit is silence once V was seen", "microphone",
			[]phase{{time.Second, loud, true}, {time.Second, loud, false}}, []bool{true, false}},
		{"V ignored from a sender that never sets it", "microphone",
			[]phase{{time.Second, loud, false}}, []bool{true}},
		{"no extension in the packets", "microphone", []phase{{time.Second, -1, false}}, []bool{false}},
		{"screen audio is never a speaker", "screen-audio", []phase{{time.Second, loud, true}}, []bool{false}},
		{"video is never a speaker", "camera", []phase{{time.Second, loud, true}}, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sinces, _ := feedLevels(micTrack(tc.source), 10*time.Second, tc.phases)
			for i, s := range sinces {
				if (s != 0) != tc.speaking[i] {
					t.Errorf("after phase %d: since %v, want speaking %v", i, s, tc.speaking[i])
				}
			}
		})
	}
	// The speech starts when the smoothed level crossed the threshold.
	u := micTrack("microphone")
	sinces, end := feedLevels(u, 10*time.Second, []phase{{time.Second, loud, true}})
	if start := sinces[0] - 10*time.Second; start < 100*ms || start > 500*ms {
		t.Errorf("speech started %v after the first packet, want within 100-500 ms", start)
	}
	if since, ok := u.speaking(end); !ok || since != sinces[0] {
		t.Errorf("speaking(now) = %v %v", since, ok)
	}
	if _, ok := u.speaking(end + speechStale + time.Millisecond); ok {
		t.Errorf("still speaking when no packet came for %v", speechStale)
	}
	u.muted.Store(true)
	if _, ok := u.speaking(end); ok {
		t.Errorf("a muted track speaks")
	}
}

func TestObserveSpeechDoesNotAllocate(t *testing.T) {
	u := micTrack("microphone")
	h := levelHeader(30, true)
	now := time.Second
	if n := testing.AllocsPerRun(1000, func() {
		now += 20 * time.Millisecond
		u.observeSpeech(h, now)
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
}

// speakerRoom is a room whose members each publish one microphone.
func speakerRoom(ids ...string) (*Room, map[string]*UpTrack) {
	r := newRoom("talk")
	tracks := map[string]*UpTrack{}
	for _, id := range ids {
		r.members[id] = &Participant{id: id}
		u := micTrack("microphone")
		r.published[id] = []*UpTrack{u}
		tracks[id] = u
	}
	return r, tracks
}

// speak sets a track's meter as speaking since since, seen at now.
func speak(u *UpTrack, since, now time.Duration) {
	u.speech.since.Store(int64(since))
	u.speech.seen.Store(int64(now))
}

func TestEvalSpeakers(t *testing.T) {
	const s = time.Second
	r, tr := speakerRoom("p_a", "p_b", "p_c")
	step := func(now time.Duration, wantActive []string, wantDominant string, wantSent bool) {
		t.Helper()
		msg, members, stop := r.evalSpeakers(now)
		if stop {
			t.Fatalf("at %v: the loop stops with microphones in the room", now)
		}
		if (msg != nil) != wantSent {
			t.Fatalf("at %v: message %s, want one: %v", now, msg, wantSent)
		}
		if msg == nil {
			return
		}
		var m serverMsg
		if err := json.Unmarshal(msg, &m); err != nil || m.Type != "speakers" || len(members) != len(r.members) {
			t.Fatalf("at %v: %s to %d members (%v)", now, msg, len(members), err)
		}
		if !slices.Equal(m.Active, wantActive) || m.Dominant != wantDominant || m.Active == nil {
			t.Errorf("at %v: active %v dominant %q, want %v %q", now, m.Active, m.Dominant, wantActive, wantDominant)
		}
	}
	step(10*s, nil, "", false) // nobody speaks: nothing to say
	speak(tr["p_a"], 10*s, 10*s)
	step(10*s+100*time.Millisecond, []string{"p_a"}, "", true)
	speak(tr["p_b"], 10*s+200*time.Millisecond, 10*s+200*time.Millisecond)
	step(10*s+200*time.Millisecond, nil, "", false) // a change within 300 ms waits
	step(10*s+400*time.Millisecond, []string{"p_b", "p_a"}, "", true)
	step(10*s+500*time.Millisecond, nil, "", false) // no change
	for _, id := range []string{"p_a", "p_b"} {
		tr[id].speech.seen.Store(int64(11 * s))
	}
	step(11*s, []string{"p_b", "p_a"}, "p_a", true) // a spoke for 1 s
	step(11*s+300*time.Millisecond, []string{"p_b", "p_a"}, "p_b", true)
	tr["p_b"].gated.Store(true) // held by a moderator: not heard
	tr["p_a"].muted.Store(true)
	speak(tr["p_c"], 11*s+300*time.Millisecond, 11*s+600*time.Millisecond)
	step(11*s+600*time.Millisecond, []string{"p_c"}, "p_b", true)
	step(12*s+200*time.Millisecond, []string{}, "p_b", true) // c's last packet is stale
	delete(r.members, "p_b")
	step(12*s+500*time.Millisecond, []string{}, "", true) // the dominant left
	if got := r.speakersLocked(); got != nil {
		t.Errorf("speakers for a joiner %+v, want none", got)
	}
	clear(r.published)
	r.speakers.running = true
	if msg, _, stop := r.evalSpeakers(13 * s); !stop || msg != nil || r.speakers.running {
		t.Errorf("no microphones left: stop %v, message %s", stop, msg)
	}
}

// levelAPI is testAPI with the audio level extension, as browsers offer.
func levelAPI(t *testing.T) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: audioLevelURI},
		webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// publishLevel adds a microphone to p that sends a packet every 20 ms
// carrying the audio level in level (with the V bit), until the test ends.
func publishLevel(t *testing.T, p *testPeer, level *atomic.Int32) {
	t.Helper()
	publishAudio(t, p, "audio-"+p.name, "microphone", level)
}

// publishAudio is publishLevel for any audio track ID and source.
func publishAudio(t *testing.T, p *testPeer, trackID, source string, level *atomic.Int32) {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2}, trackID, "stream-"+p.name)
	if err != nil {
		t.Fatal(err)
	}
	p.sendJSON(map[string]any{"type": "publish", "trackId": track.ID(), "kind": "audio", "source": source})
	var sender *webrtc.RTPSender
	p.do(func() {
		tr, err := p.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			p.errorf("add track: %v", err)
			return
		}
		sender, p.needOffer = tr.Sender(), true
	})
	if sender == nil {
		t.Fatal("no sender")
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped }) // before p closes
	p.wg.Add(1)
	go func() { // drain RTCP until p closes its connection
		defer p.wg.Done()
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var id int
		for seq := uint16(0); ; seq++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			for _, e := range sender.GetParameters().HeaderExtensions {
				if e.URI == audioLevelURI {
					id = e.ID
				}
			}
			h := rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}
			if id != 0 {
				_ = h.SetExtension(uint8(id), []byte{0x80 | byte(level.Load())})
			}
			_ = track.WriteRTP(&rtp.Packet{Header: h, Payload: make([]byte, 60)})
		}
	}()
}

func TestSpeakers(t *testing.T) {
	_, url := newTestSFU(t, Config{})
	api := levelAPI(t)
	loud := dialPeerWith(t, api, url, "talk", "loud", "")
	quiet := dialPeerWith(t, api, url, "talk", "quiet", "")
	ear := dialPeerWith(t, api, url, "talk", "ear", "")
	var loudLevel, quietLevel atomic.Int32
	loudLevel.Store(20)   // -20 dBov: speech
	quietLevel.Store(100) // -100 dBov: a quiet room
	publishLevel(t, loud, &loudLevel)
	publishLevel(t, quiet, &quietLevel)

	for _, p := range []*testPeer{ear, quiet} {
		p.waitEvent(15*time.Second, "loud speaking and dominant", func(m serverMsg) bool {
			return m.Type == "speakers" && slices.Equal(m.Active, []string{loud.id}) && m.Dominant == loud.id
		})
	}
	loudLevel.Store(127) // silence
	ear.waitEvent(5*time.Second, "nobody speaking", func(m serverMsg) bool {
		return m.Type == "speakers" && len(m.Active) == 0 && m.Active != nil && m.Dominant == loud.id
	})
	for _, m := range drainEvents(ear) {
		if m.Type == "speakers" && slices.Contains(m.Active, quiet.id) {
			t.Errorf("the quiet publisher was listed: %v", m.Active)
		}
	}

	// A joiner learns who is dominant with its welcome.
	late := dialRaw(t, url)
	late.join("talk", "late")
	if m := nextOfType(late, "speakers"); m.Dominant != loud.id || len(m.Active) != 0 {
		t.Errorf("joiner's speakers: active %v dominant %q", m.Active, m.Dominant)
	}
}

// BenchmarkObserveSpeech is the per-packet cost of the speaker meter on a
// microphone's forwarding path.
func BenchmarkObserveSpeech(b *testing.B) {
	u := micTrack("microphone")
	h := levelHeader(30, true)
	now := time.Second
	b.ReportAllocs()
	for b.Loop() {
		now += 20 * time.Millisecond
		u.observeSpeech(h, now)
	}
}
