package client

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"

	"conclave/client/e2ee"
	"conclave/sframe"
)

// vp8Packet builds an RTP packet with a one-byte VP8 descriptor (S bit, partition 0).
func vp8Packet(seq uint16, start, marker bool, payload string) *rtp.Packet {
	d := byte(0)
	if start {
		d = 0x10
	}
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Marker: marker},
		Payload: append([]byte{d}, payload...)}
}

func TestAssembler(t *testing.T) {
	tests := []struct {
		name string
		pkts []*rtp.Packet
		want []string
	}{
		{"one packet", []*rtp.Packet{vp8Packet(1, true, true, "abc")}, []string{"abc"}},
		{"three packets", []*rtp.Packet{vp8Packet(1, true, false, "ab"), vp8Packet(2, false, false, "cd"),
			vp8Packet(3, false, true, "e")}, []string{"abcde"}},
		{"gap drops the frame", []*rtp.Packet{vp8Packet(1, true, false, "ab"), vp8Packet(3, false, true, "e"),
			vp8Packet(4, true, true, "next")}, []string{"next"}},
		{"joined mid-frame", []*rtp.Packet{vp8Packet(7, false, true, "tail"), vp8Packet(8, true, true, "x")}, []string{"x"}},
		{"sequence wraps", []*rtp.Packet{vp8Packet(65535, true, false, "a"), vp8Packet(0, false, true, "b")}, []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := assembler{vp8: true}
			var got []string
			for _, p := range tt.pkts {
				if f, ok := a.push(p); ok {
					got = append(got, string(f))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTrackDecryptorHold: a frame whose key is not there yet waits for it (then decrypts),
// and one whose key never comes is dropped after keyWait; a tampered frame is a failure.
func TestTrackDecryptorHold(t *testing.T) {
	table := e2ee.NewRecvTable()
	c := &Client{ring: &keyring{table: table}}
	s := &session{c: c, log: slog.New(slog.DiscardHandler)}
	ctr := &recvCounter{}
	d := &trackDecryptor{s: s, ctr: ctr, table: table, codec: sframe.CodecOpus}
	key := bytes.Repeat([]byte{5}, 16)
	snd, _ := sframe.NewSender(e2ee.Suite, sframe.KID{SenderIndex: 3}.Pack(), key)
	frame := func(seq uint16) *rtp.Packet {
		f, _ := sframe.EncryptFrame(snd, sframe.CodecOpus, []byte("opus frame"))
		return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: f}
	}
	t0 := time.Now()
	d.packet(frame(1), t0)
	d.packet(frame(2), t0.Add(100*time.Millisecond))
	if len(d.held) != 2 || ctr.decrypted.Load() != 0 {
		t.Fatalf("held %d, decrypted %d; want 2 held", len(d.held), ctr.decrypted.Load())
	}
	if err := table.Set(3, e2ee.SenderKey{Key: key}, t0); err != nil {
		t.Fatal(err)
	}
	d.packet(frame(3), t0.Add(200*time.Millisecond))
	if ctr.decrypted.Load() != 3 || len(d.held) != 0 {
		t.Fatalf("after the key: decrypted %d, held %d; want 3, 0", ctr.decrypted.Load(), len(d.held))
	}
	other, _ := sframe.NewSender(e2ee.Suite, sframe.KID{SenderIndex: 4}.Pack(), key)
	f, _ := sframe.EncryptFrame(other, sframe.CodecOpus, []byte("no key ever"))
	d.packet(&rtp.Packet{Payload: f}, t0)
	d.packet(frame(4), t0.Add(keyWait))
	bad := frame(5)
	bad.Payload[len(bad.Payload)-1] ^= 1
	d.packet(bad, t0.Add(keyWait))
	if ctr.keyMissing.Load() != 1 || ctr.failures.Load() != 1 || ctr.frames.Load() != 6 {
		t.Errorf("key missing %d, failures %d, frames %d; want 1, 1, 6", ctr.keyMissing.Load(), ctr.failures.Load(), ctr.frames.Load())
	}
}
