package sfu

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// rtpReader is the read side of a published track (*webrtc.TrackRemote).
type rtpReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
}

// deadliner is what the owner of a read loop uses to stop it: a read
// deadline in the past makes the blocked read return.
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

// maxReadErrors ends a track whose reads keep failing without any packet in
// between: a stream pion no longer serves, not a burst of bad packets (each
// bad packet is one failed read, and a good one resets the count).
const maxReadErrors = 1 << 16

// readLoop is the reader goroutine of one of the track's encodings: it
// reads every packet the publisher sends on it and forwards it until the
// track ends, or until halted is set and its read fails. The track ends
// (u.done) when its first reader returns.
func (u *UpTrack) readLoop(l *layer, r rtpReader, halted *atomic.Bool) {
	defer u.end()
	buf := make([]byte, maxPacketSize)
	var h rtp.Header
	failures := 0
	for {
		n, _, err := r.Read(buf)
		if err != nil {
			if endOfTrack(err) || halted.Load() {
				return
			}
			// A packet pion's interceptors could not parse (S2 of the
			// test plan): drop it and keep reading.
			u.metrics.packetsDropped.Inc()
			if failures++; failures >= maxReadErrors {
				return
			}
			continue
		}
		failures = 0
		u.forward(l, &h, buf[:n])
	}
}

// endOfTrack tells the errors that mean the track is gone for good.
func endOfTrack(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed)
}

// forward parses pkt, a packet of encoding l, into h (reused, so nothing
// is allocated), stores it for NACKs and offers it to every subscriber,
// which sends it if l is the encoding it forwards. The payload may be end
// to end encrypted: only its clear descriptor and VP8 header are read, to
// tell key frames and their size (keydetect.go).
func (u *UpTrack) forward(l *layer, h *rtp.Header, pkt []byte) {
	hl, err := h.Unmarshal(pkt)
	if err != nil || h.Version != 2 || h.PayloadType != uint8(u.codec.PayloadType) {
		u.metrics.packetsDropped.Inc()
		return
	}
	payload, ok := rtpPayload(h, pkt, hl)
	if !ok {
		u.metrics.packetsDropped.Inc()
		return
	}
	if u.bytesIn != nil {
		u.bytesIn.Add(uint64(len(payload)))
	}
	l.bytes.Add(uint64(len(payload)))
	now := u.now()
	l.lastPacket.Store(int64(now))
	if u.gated.Load() {
		return // muted by a moderator: nothing leaves
	}
	key := u.isKey != nil && u.isKey(payload)
	if key {
		u.metrics.keyframesSeen.Inc()
		if u.vp8 {
			if w, h, ok := vp8KeyframeSize(payload); ok {
				l.width.Store(w)
				l.height.Store(h)
			}
		}
	}
	l.cache.store(h.SequenceNumber, pkt)
	if u.audio {
		u.observeSpeech(h, now) // active speakers: reads the audio level only (speaker.go)
	}
	if u.batch != nil {
		u.batch.begin()
	}
	for _, d := range *u.downs.Load() {
		d.writeRTP(l, h, payload, key, now)
	}
	if u.batch != nil {
		u.batch.end()
	}
}

// rtpPayload returns the payload of pkt, whose header h is hl bytes long,
// without its padding (whose length it records in h.PaddingSize, so that
// the packet is rebuilt with the same padding). ok is false for a padding
// count of zero or longer than the payload (RFC 3550 section 5.1).
func rtpPayload(h *rtp.Header, pkt []byte, hl int) (payload []byte, ok bool) {
	h.PaddingSize = 0
	if !h.Padding {
		return pkt[hl:], true
	}
	if len(pkt) <= hl {
		return nil, false
	}
	pad := int(pkt[len(pkt)-1])
	if pad == 0 || pad > len(pkt)-hl {
		return nil, false
	}
	h.PaddingSize = byte(pad)
	return pkt[hl : len(pkt)-pad], true
}
