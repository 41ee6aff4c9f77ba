package sfu

import (
	"strings"

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
	if len(payload) == 0 || payload[0]&0x10 == 0 || payload[0]&0x07 != 0 {
		return false // not the start of partition 0
	}
	i := 1
	if payload[0]&0x80 != 0 { // X: extension byte I L T K
		if len(payload) < 2 {
			return false
		}
		x := payload[1]
		i = 2
		if x&0x80 != 0 { // I: PictureID, 7 or 15 bits (M flag)
			if len(payload) <= i {
				return false
			}
			if payload[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID|Y|KEYIDX
			i++
		}
	}
	return len(payload) > i && payload[i]&0x01 == 0
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
