package sframe

// VP8KeyFrameSize reads the picture size from the start of a VP8 key frame (RFC 6386 section
// 9.1): the 3-byte frame tag, whose bit 0 is 0 on a key frame, the start code 9d 01 2a, then
// the width and height as 16-bit little-endian values whose low 14 bits are the size (the top
// 2 bits, the scaling mode, are ignored). These are the ten bytes VP8PrefixLen leaves clear,
// so the size can be read from an encrypted frame too (the SFU does, to pick simulcast
// encodings). ok is false for a delta frame or anything that is not a well-formed key frame
// header; frame comes off the network, and every length is checked.
func VP8KeyFrameSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < vp8KeyPrefix || frame[0]&0x01 != 0 {
		return 0, 0, false
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	width = int(frame[6]) | int(frame[7]&0x3f)<<8
	height = int(frame[8]) | int(frame[9]&0x3f)<<8
	return width, height, true
}
