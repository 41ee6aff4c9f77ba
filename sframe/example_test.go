package sframe_test

import (
	"bytes"
	"fmt"

	"conclave/sframe"
)

// A bot publishing VP8 under sender index 3, generation 0, step 0, and a peer decrypting it.
func ExampleEncryptFrame() {
	baseKey := bytes.Repeat([]byte{0x42}, 16) // in Conclave: random, sent wrapped to each peer
	kid := sframe.KID{SenderIndex: 3}.Pack()
	snd, err := sframe.NewSender(sframe.AES128GCMSHA256, kid, baseKey)
	if err != nil {
		panic(err)
	}
	rcv := sframe.NewReceiver(sframe.AES128GCMSHA256)
	if err := rcv.AddKey(kid, baseKey); err != nil {
		panic(err)
	}
	delta := []byte{0x31, 0xde, 0xad, 0xbe, 0xef} // a VP8 delta frame: 1 clear byte
	wire, err := sframe.EncryptFrame(snd, sframe.CodecVP8, delta)
	if err != nil {
		panic(err)
	}
	frame, gotKID, err := sframe.DecryptFrame(rcv, sframe.CodecVP8, wire)
	if err != nil {
		panic(err)
	}
	k, _ := sframe.UnpackKID(gotKID)
	fmt.Printf("%d -> %d bytes, sender %v, same frame: %v\n", len(delta), len(wire), k, bytes.Equal(frame, delta))
	// Output: 5 -> 23 bytes, sender 3/g0/s0, same frame: true
}
