package sframe

import (
	"strconv"
	"testing"
)

// BenchmarkEncrypt measures EncryptFrame on VP8 delta frames of typical audio-packet and
// video-frame sizes, and reports the bytes the framing adds.
func BenchmarkEncrypt(b *testing.B) {
	for _, s := range []Suite{AES128GCMSHA256, AES128CTRHMACSHA256_80} {
		for _, size := range []int{1200, 30 * 1024} {
			b.Run(strconv.Itoa(int(s))+"/"+strconv.Itoa(size), func(b *testing.B) {
				snd, err := NewSender(s, KID{SenderIndex: 200, Generation: 1, Step: 2}.Pack(), testKey(7))
				if err != nil {
					b.Fatal(err)
				}
				snd.ctr = 1 << 20 // a 3-byte counter, as after a few hours of sending
				frame := make([]byte, size)
				frame[0] = 0x31
				b.SetBytes(int64(size))
				var out []byte
				for b.Loop() {
					if out, err = EncryptFrame(snd, CodecVP8, frame); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(out)-size), "overhead-B/frame")
			})
		}
	}
}

// BenchmarkDecrypt measures DecryptFrame on the same frames.
func BenchmarkDecrypt(b *testing.B) {
	for _, size := range []int{1200, 30 * 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			snd, rcv := newPair(b, AES128GCMSHA256, 200<<6)
			frame := make([]byte, size)
			frame[0] = 0x31
			frames := make([][]byte, 4096)
			for i := range frames {
				frames[i], _ = EncryptFrame(snd, CodecVP8, frame)
			}
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if i == len(frames) {
					b.StopTimer()
					rcv.AddKey(200<<6, testKey(7)) // reset the replay window
					i = 0
					b.StartTimer()
				}
				if _, _, err := DecryptFrame(rcv, CodecVP8, frames[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
