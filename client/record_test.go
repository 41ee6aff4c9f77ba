package client_test

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"conclave/client"

	"github.com/pion/rtp"
)

// pktRec is one RTP packet as sent or received: its sequence number, when, and a digest of
// its payload (byte-exact forwarding means equal digests).
type pktRec struct {
	seq uint16
	at  time.Time
	sum [sha256.Size]byte
}

// recorder keeps every packet one bot sent and received, for the forwarding checks.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]pktRec // by local track ID
	recv map[string][]pktRec // by remote participant ID + "/" + track ID
}

func newRecorder() *recorder {
	return &recorder{sent: make(map[string][]pktRec), recv: make(map[string][]pktRec)}
}

// hook sets the recorder's callbacks in cfg.
func (r *recorder) hook(cfg *client.Config) {
	cfg.OnSend = func(trackID string, p *rtp.Packet) {
		rec := pktRec{seq: p.SequenceNumber, at: time.Now(), sum: sha256.Sum256(p.Payload)}
		r.mu.Lock()
		r.sent[trackID] = append(r.sent[trackID], rec)
		r.mu.Unlock()
	}
	cfg.OnRTP = func(t client.RemoteTrack, p *rtp.Packet) {
		rec := pktRec{seq: p.SequenceNumber, at: time.Now(), sum: sha256.Sum256(p.Payload)}
		key := t.ParticipantID + "/" + t.TrackID
		r.mu.Lock()
		r.recv[key] = append(r.recv[key], rec)
		r.mu.Unlock()
	}
}

func (r *recorder) sentOn(trackID string) []pktRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pktRec(nil), r.sent[trackID]...)
}

func (r *recorder) receivedOn(participantID, trackID string) []pktRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pktRec(nil), r.recv[participantID+"/"+trackID]...)
}

// seqOffset finds the constant the SFU added to the sequence numbers, by a vote over the
// received payloads that were sent exactly once.
func seqOffset(sent, recv []pktRec) uint16 {
	bySum := make(map[[sha256.Size]byte][]uint16)
	for _, p := range sent {
		bySum[p.sum] = append(bySum[p.sum], p.seq)
	}
	votes := make(map[uint16]int)
	for _, p := range recv {
		if seqs := bySum[p.sum]; len(seqs) == 1 {
			votes[p.seq-seqs[0]]++
		}
	}
	var offset uint16
	best := -1
	for off, n := range votes {
		if n > best {
			offset, best = off, n
		}
	}
	return offset
}

// delivery compares what one track sent with what one subscriber received.
type delivery struct {
	window   int // sent packets inside the measured window
	matched  int // of those, received with the same payload
	mismatch int // received packets whose payload differs from what was sent at that seq
	offset   uint16
}

func (d delivery) ratio() float64 {
	if d.window == 0 {
		return 0
	}
	return float64(d.matched) / float64(d.window)
}

func (d delivery) String() string {
	return fmt.Sprintf("%d/%d (%.2f%%), %d payload mismatches", d.matched, d.window, 100*d.ratio(), d.mismatch)
}

// compare lines sent and received packets up. The SFU rewrites sequence numbers by a constant
// offset per subscriber (seqOffset). The window
// leaves out the head (before the subscription settled: skip after the first receipt) and the
// tail (still in flight: tail before the last send).
func compare(sent, recv []pktRec, skip, tail time.Duration) delivery {
	var d delivery
	if len(sent) == 0 || len(recv) == 0 {
		return d
	}
	d.offset = seqOffset(sent, recv)
	recvBySeq := make(map[uint16][sha256.Size]byte, len(recv))
	for _, p := range recv {
		recvBySeq[p.seq-d.offset] = p.sum
	}
	sentBySeq := make(map[uint16][sha256.Size]byte, len(sent))
	for _, p := range sent {
		sentBySeq[p.seq] = p.sum
	}
	for seq, sum := range recvBySeq {
		if s, ok := sentBySeq[seq]; ok && s != sum {
			d.mismatch++
		}
	}
	from, to := recv[0].at.Add(skip), sent[len(sent)-1].at.Add(-tail)
	for _, p := range sent {
		if p.at.Before(from) || p.at.After(to) {
			continue
		}
		d.window++
		if got, ok := recvBySeq[p.seq]; ok && got == p.sum {
			d.matched++
		}
	}
	return d
}
