package client

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"conclave/sframe"
)

// rtpMTU matches pion's own packetizer size for TrackLocalStaticSample, which fits every
// path we care about (TURN over TLS adds its own headers on top).
const rtpMTU = 1200

// packetSink receives every packet a source sends. It must not keep pkt after it returns.
type packetSink func(pkt *rtp.Packet)

// looper turns a clip into an endless stream of RTP packets. When the clip ends it starts
// again from the first frame, but the sequence numbers and timestamps carry on from where
// they were: a receiver sees one continuous stream, never a restart. It is not safe for
// concurrent use; the source goroutine owns it.
type looper struct {
	clip       clip
	next       int
	packetizer rtp.Packetizer
}

// newLooper starts the stream at the given sequence number and timestamp.
func newLooper(c clip, payloader rtp.Payloader, seq uint16, ts uint32) *looper {
	p := rtp.NewPacketizerWithOptions(rtpMTU, payloader, rtp.NewFixedSequencer(seq), c.clockRate,
		rtp.WithTimestamp(ts))
	return &looper{clip: c, packetizer: p}
}

// nextFrame packetizes the next frame of the clip, wrapping around at its end. transform,
// when not nil, turns the frame into what is sent (E2EE); a frame it fails on is skipped,
// the RTP clock moving on as for a dropped frame.
func (l *looper) nextFrame(transform func([]byte) ([]byte, error)) ([]*rtp.Packet, error) {
	f := l.clip.frames[l.next]
	l.next = (l.next + 1) % len(l.clip.frames)
	data := f.data
	if transform != nil {
		var err error
		if data, err = transform(data); err != nil {
			l.packetizer.SkipSamples(f.samples)
			return nil, err
		}
	}
	return l.packetizer.Packetize(data, f.samples), nil
}

// skip advances the RTP clock by n frames without sending anything. The clip position stays:
// the next frame sent is the one after the last sent, so a video decoder never misses a
// reference frame.
func (l *looper) skip(n int) {
	for range n {
		l.packetizer.SkipSamples(l.clip.frames[l.next].samples)
	}
}

// idle moves the clip and the RTP clock on by one frame without sending it: a paused
// simulcast encoding keeps pace with the others, and restarts from a key frame
// (jumpToKeyframe) anyway.
func (l *looper) idle() {
	l.packetizer.SkipSamples(l.clip.frames[l.next].samples)
	l.next = (l.next + 1) % len(l.clip.frames)
}

// jumpToKeyframe makes the next frame a key frame: the next one in the clip, wrapping
// around. It is how a bot answers a PLI or FIR, as an encoder would by encoding a key frame;
// the content jumps ahead, the RTP clock does not. A clip without key frames (audio) stays.
func (l *looper) jumpToKeyframe() {
	if len(l.clip.keyframes) == 0 {
		return
	}
	for _, k := range l.clip.keyframes {
		if k >= l.next {
			l.next = k
			return
		}
	}
	l.next = l.clip.keyframes[0]
}

// localTrack is what a source writes to: pion's TrackLocalStaticRTP, or a ridTrack for an
// encoding of a simulcast track.
type localTrack interface {
	webrtc.TrackLocal
	Codec() webrtc.RTPCodecCapability
	WriteRTP(p *rtp.Packet) error
}

// source paces a looper in real time onto a local track: one frame per clip interval. Each
// encoding of a simulcast track is a source of its own.
type source struct {
	kind   string // "video" or "audio"
	source string // "camera" or "microphone", as announced in `publish`
	rid    string // the encoding's RID ("q", "h", "f") on a simulcast track; "" otherwise
	mid    string // fixed, non-numeric: see session.publish
	track  localTrack
	loop   *looper
	onSend packetSink // nil: no hook
	codec  sframe.Codec
	// seal encrypts a frame (E2EE); nil sends frames in clear. Set before run starts.
	seal   func(codec sframe.Codec, frame []byte) ([]byte, error)
	marker []byte // appended to every frame before seal (tests)
	log    *slog.Logger

	keyframeWanted atomic.Bool // set by the RTCP reader on PLI or FIR, taken by run
	paused         atomic.Bool // a simulcast encoding no subscriber receives (`layers`)
	packets        atomic.Uint64
	bytes          atomic.Uint64
}

// payloaderFor returns pion's RTP payloader for the codecs bots send.
func payloaderFor(kind string) rtp.Payloader {
	if kind == kindVideo {
		// Picture IDs let receivers detect lost frames, as browsers do.
		return &codecs.VP8Payloader{EnablePictureID: true}
	}
	return &codecs.OpusPayloader{}
}

// run sends frames until ctx is done, one per tick. When the process stalls (a loaded load
// test machine), time.Ticker drops the missed ticks; run then moves the RTP clock on by the
// frames it could not send, as a camera whose encoder dropped frames would, so receivers'
// jitter buffers keep tracking the wall clock instead of growing by every stall.
func (s *source) run(ctx context.Context) {
	interval := s.loop.clip.interval
	transform := s.transform()
	t := time.NewTicker(interval)
	defer t.Stop()
	start, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if missed := framesDue(now.Sub(start), interval) - sent - 1; missed > 0 {
				s.loop.skip(missed)
				sent += missed
			}
			sent++
			if s.paused.Load() {
				s.loop.idle()
				continue
			}
			if s.keyframeWanted.Swap(false) {
				s.loop.jumpToKeyframe()
			}
			s.sendFrame(transform)
		}
	}
}

// readRTCP reads the RTCP of the source's encoding until the sender stops, and asks for a key
// frame on PLI or FIR. Reading it at all matters: the NACK responder and the report
// interceptors only see RTCP that someone reads.
func (s *source) readRTCP(sender *webrtc.RTPSender) {
	read := sender.ReadRTCP
	if s.rid != "" {
		read = func() ([]rtcp.Packet, interceptor.Attributes, error) { return sender.ReadSimulcastRTCP(s.rid) }
	}
	for {
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.keyframeWanted.Store(true)
			}
		}
	}
}

// framesDue is how many frames a source started elapsed ago should have sent by now.
func framesDue(elapsed, interval time.Duration) int {
	return int(elapsed / interval)
}

// transform is what happens to a clip frame before it is packetized: the test marker, then
// E2EE. Nil when neither applies.
func (s *source) transform() func([]byte) ([]byte, error) {
	if s.seal == nil && s.marker == nil {
		return nil
	}
	return func(frame []byte) ([]byte, error) {
		if s.marker != nil {
			frame = append(slices.Clip(frame), s.marker...)
		}
		if s.seal == nil {
			return frame, nil
		}
		return s.seal(s.codec, frame)
	}
}

// sendFrame writes one frame's packets to the track.
func (s *source) sendFrame(transform func([]byte) ([]byte, error)) {
	pkts, err := s.loop.nextFrame(transform)
	if err != nil {
		s.log.Warn("frame not sent", "kind", s.kind, slog.Any("err", err))
		return
	}
	for _, p := range pkts {
		// A write error means one binding (one PeerConnection) failed while the track still
		// wrote to the others; before negotiation there is no binding and the packet goes
		// nowhere. Either way the packet counts as sent: it is what a camera would have
		// produced, and the session notices a dead connection by itself.
		_ = s.track.WriteRTP(p)
		s.packets.Add(1)
		s.bytes.Add(uint64(len(p.Payload)))
		if s.onSend != nil {
			s.onSend(p)
		}
	}
}

func codecOf(kind string) sframe.Codec {
	if kind == kindVideo {
		return sframe.CodecVP8
	}
	return sframe.CodecOpus
}

func sourceOf(kind string) string {
	if kind == kindVideo {
		return "camera"
	}
	return "microphone"
}

// randomID returns 16 random hex digits, enough to keep track and stream IDs of bots apart.
func randomID() string {
	return fmt.Sprintf("%016x", rand.Uint64())
}
