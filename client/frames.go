package client

import (
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"conclave/client/e2ee"
	"conclave/sframe"
)

const (
	// keyWait is how long a frame whose KID has no key waits for its key message.
	keyWait = 500 * time.Millisecond
	// maxHeldFrames bounds the frames waiting for a key on one track (500 ms of 50 fps).
	maxHeldFrames = 32
)

// assembler rebuilds encoded frames from RTP packets: an Opus packet is one frame; a VP8
// frame runs from the packet starting partition 0 to the packet with the marker bit, with
// consecutive sequence numbers (a frame with a gap is dropped, as a decoder would).
type assembler struct {
	vp8     bool
	buf     []byte
	next    uint16
	inFrame bool
	desc    codecs.VP8Packet
}

// push adds one packet and returns a complete frame (a new slice) when it ends one.
func (a *assembler) push(pkt *rtp.Packet) ([]byte, bool) {
	if !a.vp8 {
		return slices.Clone(pkt.Payload), len(pkt.Payload) > 0
	}
	payload, err := a.desc.Unmarshal(pkt.Payload)
	if err != nil {
		a.inFrame = false
		return nil, false
	}
	switch {
	case a.desc.S == 1 && a.desc.PID == 0:
		a.buf, a.inFrame = a.buf[:0], true
	case !a.inFrame || pkt.SequenceNumber != a.next:
		a.inFrame = false
		return nil, false
	}
	a.buf = append(a.buf, payload...)
	a.next = pkt.SequenceNumber + 1
	if !pkt.Marker {
		return nil, false
	}
	a.inFrame = false
	return slices.Clone(a.buf), true
}

// heldFrame is a frame waiting for its key.
type heldFrame struct {
	data []byte
	at   time.Time
}

// trackDecryptor decrypts the frames of one remote track; the track's reader goroutine
// owns it.
type trackDecryptor struct {
	s       *session
	info    RemoteTrack
	ctr     *recvCounter
	table   *e2ee.RecvTable
	codec   sframe.Codec
	asm     assembler
	held    []heldFrame
	lastKID uint64 // KID of the last frame that decrypted; 0 before the first
	ssrc    webrtc.SSRC
}

func newTrackDecryptor(s *session, t *webrtc.TrackRemote, info RemoteTrack, ctr *recvCounter) *trackDecryptor {
	codec := codecOf(info.Kind)
	return &trackDecryptor{s: s, info: info, ctr: ctr, table: s.c.ring.table, codec: codec,
		asm: assembler{vp8: codec == sframe.CodecVP8}, ssrc: t.SSRC()}
}

// packet feeds one RTP packet; a frame it completes is decrypted (or held for its key).
func (d *trackDecryptor) packet(pkt *rtp.Packet, now time.Time) {
	frame, ok := d.asm.push(pkt)
	if !ok {
		return
	}
	d.ctr.frames.Add(1)
	d.retryHeld(now)
	if !d.try(frame, now) {
		if len(d.held) == maxHeldFrames {
			d.drop(d.held[0].data)
			d.held = d.held[1:]
		}
		d.held = append(d.held, heldFrame{data: frame, at: now})
	}
}

// retryHeld tries the held frames again (a key may have come) and drops those that waited
// keyWait.
func (d *trackDecryptor) retryHeld(now time.Time) {
	kept := d.held[:0]
	for _, h := range d.held {
		switch {
		case d.try(h.data, now):
		case now.Sub(h.at) >= keyWait:
			d.drop(h.data)
		default:
			kept = append(kept, h)
		}
	}
	d.held = kept
}

func (d *trackDecryptor) drop(sealed []byte) {
	d.ctr.keyMissing.Add(1)
	if f := d.s.c.cfg.OnFrame; f != nil {
		f(d.info, sealed, nil)
	}
}

// try decrypts one frame; it returns false only for a frame to hold (no key yet). A new KID
// asks the sender for a key frame: a delta frame after a key switch cannot be decoded.
func (d *trackDecryptor) try(sealed []byte, now time.Time) bool {
	plain, kid, err := d.table.Decrypt(d.codec, sealed, now)
	if errors.Is(err, e2ee.ErrNoKey) {
		return false
	}
	onFrame := d.s.c.cfg.OnFrame
	if err != nil {
		if errors.Is(err, sframe.ErrReplay) {
			d.ctr.replayed.Add(1)
		} else {
			d.ctr.failures.Add(1)
		}
		d.s.log.Debug("frame dropped", "from", d.info.ParticipantID, "kind", d.info.Kind, slog.Any("err", err))
		if onFrame != nil {
			onFrame(d.info, sealed, nil)
		}
		return true
	}
	d.ctr.decrypted.Add(1)
	if d.codec == sframe.CodecVP8 {
		d.ctr.frame(plain)
	}
	if v := kid.Pack(); v != d.lastKID {
		d.lastKID = v
		if d.codec == sframe.CodecVP8 {
			d.requestKeyFrame()
		}
	}
	if onFrame != nil {
		onFrame(d.info, sealed, plain)
	}
	return true
}

func (d *trackDecryptor) requestKeyFrame() {
	pli := &rtcp.PictureLossIndication{MediaSSRC: uint32(d.ssrc)}
	if err := d.s.pc.WriteRTCP([]rtcp.Packet{pli}); err != nil {
		d.s.log.Debug("send pli", slog.Any("err", err))
	}
}
