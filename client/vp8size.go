package client

// vp8KeyFrameSize reads the picture size from a VP8 key frame (RFC 6386 §9.1): a 3-byte frame
// tag whose bit 0 is 0 on a key frame, the start code 9d 01 2a, then the width and height as
// 16-bit little-endian values whose low 14 bits are the size (the top 2 bits are the scaling
// mode, ignored). ok is false for a delta frame or anything that is not a well-formed key
// frame header. frame comes off the network: every length is checked.
func vp8KeyFrameSize(frame []byte) (width, height int, ok bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 {
		return 0, 0, false
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	width = int(frame[6]) | int(frame[7]&0x3f)<<8
	height = int(frame[8]) | int(frame[9]&0x3f)<<8
	return width, height, true
}
