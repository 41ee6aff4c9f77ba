package sfu

// vp8IDs continues the VP8 PictureID and TL0PICIDX of one down-track
// across a change of simulcast layer. Each encoding numbers its pictures
// on its own; a receiver that saw picture 900 of one layer and then 17 of
// another would take the new key frame for an old picture and drop it
// (libwebrtc's frame buffer does). So after a switch the output goes on
// from the last number sent: out = in + delta, per field, in the field's
// own modulus (7 or 15 bits for the PictureID, 8 for TL0PICIDX).
//
// A plain value, guarded by the down-track's mu like the rewriter.
type vp8IDs struct {
	seen     bool   // a PictureID was forwarded
	lastPID  uint16 // highest output PictureID (15-bit space)
	lastTL0  uint8  // latest output TL0PICIDX
	pidDelta uint16
	tl0Delta uint8
}

// switchTo makes the source picture (pid, tl0) the next output picture.
func (v *vp8IDs) switchTo(pid uint16, tl0 uint8) {
	if !v.seen {
		return // nothing sent yet: keep the source's numbers
	}
	v.pidDelta = (v.lastPID + 1 - pid) & 0x7fff
	v.tl0Delta = v.lastTL0 + 1 - tl0
}

// out maps a source packet's fields to the output ones and records them.
func (v *vp8IDs) out(pid uint16, tl0 uint8, pidBits int) (uint16, uint8) {
	mask := uint16(0x7fff)
	if pidBits == 7 {
		mask = 0x7f
	}
	o := (pid + v.pidDelta) & mask
	t := tl0 + v.tl0Delta
	if !v.seen || seqNewer15(o, v.lastPID&mask) {
		v.lastPID, v.lastTL0 = o, t
	}
	v.seen = true
	return o, t
}

// seqNewer15 reports whether a comes after b in 15-bit PictureID space.
func seqNewer15(a, b uint16) bool { d := (a - b) & 0x7fff; return d != 0 && d < 0x4000 }

// readVP8IDs returns the PictureID (and its width in bits: 0 when absent)
// and TL0PICIDX of a VP8 payload.
func readVP8IDs(payload []byte, d vp8Desc) (pid uint16, bits int, tl0 uint8) {
	switch d.pidLen {
	case 1:
		pid, bits = uint16(payload[d.pid]&0x7f), 7
	case 2:
		pid, bits = uint16(payload[d.pid]&0x7f)<<8|uint16(payload[d.pid+1]), 15
	}
	if d.tl0 != 0 {
		tl0 = payload[d.tl0]
	}
	return pid, bits, tl0
}

// writeVP8IDs stores pid and tl0 into the descriptor of payload (a copy
// the down-track owns), in the widths the descriptor already has.
func writeVP8IDs(payload []byte, d vp8Desc, pid uint16, tl0 uint8) {
	switch d.pidLen {
	case 1:
		payload[d.pid] = byte(pid & 0x7f)
	case 2:
		payload[d.pid] = 0x80 | byte(pid>>8&0x7f)
		payload[d.pid+1] = byte(pid)
	}
	if d.tl0 != 0 {
		payload[d.tl0] = tl0
	}
}
