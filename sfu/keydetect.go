package sfu

import (
	"strings"

	"conclave/sframe"

	"github.com/pion/webrtc/v4"
)

// Key-frame detection from RTP payloads that are end-to-end encrypted
// (docs/e2ee.md). Only what the clients leave in clear is read: the RTP
// payload descriptor, which the browser's packetizer writes outside the
// encrypted frame, and for VP8 the one clear byte at the start of every
// frame. Never the frame itself. These functions allocate nothing: they
// run once per forwarded video packet.

// keyframeFunc reports whether an RTP payload starts a key frame.
type keyframeFunc func(payload []byte) bool

// keyframeDetector is the detector for a codec, nil for codecs without one
// (audio: every frame is independent).
func keyframeDetector(codec webrtc.RTPCodecCapability) keyframeFunc {
	switch strings.ToLower(codec.MimeType) {
	case strings.ToLower(webrtc.MimeTypeVP8):
		return vp8Keyframe
	case strings.ToLower(webrtc.MimeTypeVP9):
		return vp9Keyframe
	}
	return nil
}

// vp8Keyframe reads the RFC 7741 payload descriptor: the first packet of a
// frame's first partition has S=1 and PID=0, and the byte after the
// descriptor is the frame tag's first byte, whose bit 0 (the inverted P
// bit) is 0 on a key frame. E2EE keeps that byte clear on every VP8 frame
// (10 bytes on key frames, 1 on delta frames).
func vp8Keyframe(payload []byte) bool {
	d, ok := parseVP8(payload)
	return ok && d.start && len(payload) > d.size && payload[d.size]&0x01 == 0
}

// vp8Desc is where the fields of a VP8 payload descriptor (RFC 7741
// section 4.2) are in a packet; offsets are 0 when the field is absent (it
// can never be at offset 0).
type vp8Desc struct {
	size   int  // descriptor length: the VP8 payload starts here
	start  bool // S=1 and PID=0: the packet starts a frame
	pid    int  // offset of the PictureID
	pidLen int  // 1 (7 bits) or 2 (15 bits, M=1)
	tl0    int  // offset of TL0PICIDX
}

// parseVP8 locates the descriptor's fields. ok is false for a payload too
// short for the descriptor it announces.
func parseVP8(payload []byte) (d vp8Desc, ok bool) {
	if len(payload) == 0 {
		return d, false
	}
	d.start = payload[0]&0x10 != 0 && payload[0]&0x07 == 0
	d.size = 1
	if payload[0]&0x80 == 0 { // no X: no extension fields
		return d, true
	}
	if len(payload) < 2 {
		return d, false
	}
	x := payload[1]
	d.size = 2
	if x&0x80 != 0 { // I: PictureID, 7 or 15 bits (M flag)
		if len(payload) <= d.size {
			return d, false
		}
		d.pid, d.pidLen = d.size, 1
		if payload[d.size]&0x80 != 0 {
			d.pidLen = 2
		}
		d.size += d.pidLen
	}
	if x&0x40 != 0 { // L: TL0PICIDX
		d.tl0 = d.size
		d.size++
	}
	if x&0x30 != 0 { // T or K: TID|Y|KEYIDX
		d.size++
	}
	return d, len(payload) >= d.size
}

// vp8KeyframeSize reads the width and height of a VP8 key frame from its
// first packet: after the payload descriptor, the frame header's ten bytes
// that E2EE leaves clear (sframe.VP8KeyFrameSize).
func vp8KeyframeSize(payload []byte) (width, height uint32, ok bool) {
	d, ok := parseVP8(payload)
	if !ok || !d.start {
		return 0, 0, false
	}
	w, h, ok := sframe.VP8KeyFrameSize(payload[d.size:])
	return uint32(w), uint32(h), ok
}

// vp9Keyframe reads the VP9 payload descriptor only (draft-ietf-payload-vp9
// / RFC 9628): a key frame's first packet is not inter-predicted (P=0),
// begins a frame (B=1) and belongs to spatial layer 0. E2EE encrypts VP9
// frames whole, so the payload after the descriptor is never read.
func vp9Keyframe(payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	b0 := payload[0]
	if b0&0x40 != 0 || b0&0x08 == 0 { // P set, or not B
		return false
	}
	if b0&0x20 == 0 { // no L: no layer indices, so spatial layer 0
		return true
	}
	i := 1
	if b0&0x80 != 0 { // I: PictureID, 7 or 15 bits
		if len(payload) <= i {
			return false
		}
		if payload[i]&0x80 != 0 {
			i++
		}
		i++
	}
	// Layer indices: TID(3) U(1) SID(3) D(1).
	return len(payload) > i && (payload[i]>>1)&0x07 == 0
}
