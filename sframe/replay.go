package sframe

// ReplayWindow is how many counters behind the highest accepted one a Receiver still accepts
// (once each). Conclave's single per-participant counter advances ~150 times a second across
// audio, video and simulcast layers, so 1024 covers several seconds of reordering.
const ReplayWindow = 1024

// window is a sliding anti-replay window over one key's counters (as in RFC 3711 section
// 3.3.2), a ring of ReplayWindow bits indexed by counter modulo ReplayWindow.
type window struct {
	seen bool // any counter accepted yet
	max  uint64
	bits [ReplayWindow / 64]uint64
}

func (w *window) bit(ctr uint64) (word int, mask uint64) {
	i := ctr % ReplayWindow
	return int(i / 64), 1 << (i % 64)
}

// check reports whether ctr may still be accepted.
func (w *window) check(ctr uint64) bool {
	if !w.seen || ctr > w.max {
		return true
	}
	if w.max-ctr >= ReplayWindow {
		return false
	}
	word, mask := w.bit(ctr)
	return w.bits[word]&mask == 0
}

// accept records ctr, reporting false if it was not acceptable.
func (w *window) accept(ctr uint64) bool {
	if !w.check(ctr) {
		return false
	}
	switch {
	case !w.seen:
		w.seen, w.max = true, ctr
	case ctr > w.max:
		w.advance(ctr)
	}
	word, mask := w.bit(ctr)
	w.bits[word] |= mask
	return true
}

// advance moves the top of the window to ctr, forgetting the counters that fall out of it.
func (w *window) advance(ctr uint64) {
	if ctr-w.max >= ReplayWindow {
		w.bits = [ReplayWindow / 64]uint64{}
	} else {
		for d := ctr - w.max; d > 0; d-- { // counting down: ctr may be 2^64-1
			word, mask := w.bit(w.max + d)
			w.bits[word] &^= mask
		}
	}
	w.max = ctr
}
