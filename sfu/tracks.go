package sfu

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// onPublish records what the client says about a track it is about to
// send (docs/protocol.md: publish comes before the offer that adds it).
func (p *Participant) onPublish(m publishMsg) {
	if _, ok := p.announced[m.TrackID]; !ok && len(p.announced) >= p.sfu.cfg.MaxTracksPerParticipant {
		p.sendError(fmt.Errorf("%w: at most %d", ErrTooManyTracks, p.sfu.cfg.MaxTracksPerParticipant))
		return
	}
	p.announced[m.TrackID] = m
}

// onUnpublish ends a published track now; the client's next offer stops
// its transceiver.
func (p *Participant) onUnpublish(m unpublishMsg) {
	delete(p.announced, m.TrackID)
	if u := p.published[m.TrackID]; u != nil {
		p.dropUpTrack(u)
	}
}

// onMute records and announces a track's mute state.
func (p *Participant) onMute(m muteMsg) {
	if a, ok := p.announced[m.TrackID]; ok {
		a.Muted = m.Muted
		p.announced[m.TrackID] = a
	}
	u := p.published[m.TrackID]
	if u == nil {
		return
	}
	u.muted.Store(m.Muted)
	if !m.Muted {
		u.gated.Store(false) // the publisher unmuted after a moderator's mute
	}
	p.room.broadcast(p, encode(muteOut{Type: "mute", ParticipantID: p.id, TrackID: m.TrackID, Muted: m.Muted}))
}

// onTrack turns a track the client started sending into an UpTrack,
// starts its reader and publishes it to the room.
func (p *Participant) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	id := remote.ID() // the msid track ID, chosen by the client
	if validTrackID(id) != nil {
		id = fmt.Sprintf("ssrc-%d", remote.SSRC())
	}
	if u, ok := p.published[id]; ok {
		// Another simulcast encoding of a track we have.
		l := u.addLayer(remote.RID(), uint32(remote.SSRC()))
		if l == nil {
			p.logger.Debug("ignoring an encoding of a published track", "track", id, "rid", remote.RID())
			return
		}
		p.startReaders(u, l, remote, receiverRTCP{receiver, remote.RID()})
		p.logger.Info("simulcast encoding added", "track", id, "rid", l.rid)
		return
	}
	if _, known := layerIndex(remote.RID()); !known || (remote.RID() != "" && remote.Kind() != webrtc.RTPCodecTypeVideo) {
		p.logger.Debug("ignoring an encoding with an unknown RID", "track", id, "rid", remote.RID())
		return
	}
	if len(p.published) >= p.sfu.cfg.MaxTracksPerParticipant {
		p.sendError(fmt.Errorf("%w: at most %d", ErrTooManyTracks, p.sfu.cfg.MaxTracksPerParticipant))
		return
	}
	u := newUpTrack(upTrackParams{participantID: p.id, info: p.trackInfo(id, remote.Kind()),
		rid: remote.RID(), ssrc: uint32(remote.SSRC()), codec: remote.Codec(),
		exts:      receiver.GetParameters().HeaderExtensions,
		writeRTCP: p.pc.WriteRTCP, now: p.sfu.now, keyframeInterval: p.sfu.cfg.KeyframeInterval,
		metrics: p.sfu.metrics, bytesIn: &p.traffic.in, batch: p.sfu.sendBatcher()})
	p.published[id] = u
	p.sfu.metrics.upTracks.Inc()
	first, _ := layerIndex(remote.RID())
	p.startReaders(u, u.layer(first), remote, receiverRTCP{receiver, remote.RID()})
	p.logger.Info("track published", "track", id, "kind", u.info.Kind, "codec", u.codec.MimeType, "rid", remote.RID())
	p.room.publish(p, u)
}

// startReaders starts the two goroutines of an encoding of an up-track:
// its RTP reader and the drain of its RTCP.
func (p *Participant) startReaders(u *UpTrack, l *layer, remote *webrtc.TrackRemote, rtcpIn receiverRTCP) {
	p.readers = append(p.readers, remote, rtcpIn)
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		u.readLoop(l, remote, &p.halted)
		p.post(trackEndedEvent{up: u})
	}()
	go func() {
		defer p.wg.Done()
		drainRTCP(rtcpIn, &p.halted)
	}()
}

// trackInfo is what the client announced for a track, or the default
// source of its kind.
func (p *Participant) trackInfo(id string, kind webrtc.RTPCodecType) TrackInfo {
	info := TrackInfo{TrackID: id, Kind: kind.String(), Source: "camera"}
	if kind == webrtc.RTPCodecTypeAudio {
		info.Source = "microphone"
	}
	if a, ok := p.announced[id]; ok && a.Kind == info.Kind {
		info.Source, info.Muted = a.Source, a.Muted
	}
	return info
}

// dropUpTrack ends one of our published tracks in the room. Idempotent.
func (p *Participant) dropUpTrack(u *UpTrack) {
	if p.published[u.info.TrackID] != u {
		return
	}
	delete(p.published, u.info.TrackID)
	p.sfu.metrics.upTracks.Dec()
	p.room.unpublish(p, u)
}

// subscribe sends another participant's track to this client: a new
// send-only transceiver, its RTCP goroutine, and an offer.
func (p *Participant) subscribe(u *UpTrack) {
	if _, ok := p.subs[u]; ok {
		return
	}
	select {
	case <-u.Done():
		return // ended before we got here
	default:
	}
	d := newDownTrack(u, p.id, p.sfu.metrics, p.bwe)
	d.bytesOut = &p.traffic.out
	tr, err := p.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		p.logger.Warn("subscribe", "track", u.info.TrackID, slog.Any("err", err))
		return
	}
	// Our own mids, never numeric: a pion client numbers its mids from 0
	// when it creates an offer, and keeps them when that offer loses a
	// collision; the same mid on both sides would pair its sender with our
	// sender.
	p.midSeq++
	if err := tr.SetMid(fmt.Sprintf("s%d", p.midSeq)); err != nil {
		p.logger.Warn("set mid", slog.Any("err", err))
	}
	p.subs[u] = &subscription{down: d, transceiver: tr, tileW: -1, tileH: -1}
	sender := tr.Sender()
	p.readers = append(p.readers, sender)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		d.rtcpLoop(sender, &p.halted)
	}()
	p.neg.needed = true
}

// unsubscribe stops sending a track that ended. Its m-line stays, inactive.
func (p *Participant) unsubscribe(u *UpTrack) {
	sub := p.subs[u]
	if sub == nil {
		return
	}
	delete(p.subs, u)
	sub.down.detach()
	if err := p.pc.RemoveTrack(sub.transceiver.Sender()); err != nil {
		p.logger.Debug("remove track", slog.Any("err", err))
	}
	p.neg.needed = true
}

// drainRTCP reads the publisher's RTCP for one track (sender reports)
// until the receiver stops. Reading is what lets pion's report interceptor
// see them, so that our receiver reports carry the timestamps the
// publisher needs to measure the round trip; we use nothing else in them.
func drainRTCP(r rtcpReader, halted *atomic.Bool) {
	buf := make([]byte, maxPacketSize)
	for failures := 0; failures < maxReadErrors; {
		_, _, err := r.Read(buf)
		switch {
		case err == nil:
			failures = 0
		case endOfTrack(err) || halted.Load():
			return
		default:
			failures++
		}
	}
}

// receiverRTCP reads the RTCP of one encoding of a receiver (pion wants
// ReadSimulcast for a layer of a simulcast track).
type receiverRTCP struct {
	r   *webrtc.RTPReceiver
	rid string
}

// Read implements rtcpReader.
func (rr receiverRTCP) Read(b []byte) (int, interceptor.Attributes, error) {
	if rr.rid == "" {
		return rr.r.Read(b)
	}
	return rr.r.ReadSimulcast(b, rr.rid)
}

// SetReadDeadline implements deadliner.
func (rr receiverRTCP) SetReadDeadline(t time.Time) error {
	if rr.rid == "" {
		return rr.r.SetReadDeadline(t)
	}
	return rr.r.SetReadDeadlineSimulcast(t, rr.rid)
}
