package sfu

import "fmt"

// Video only for the tiles a subscriber shows (docs/protocol.md,
// "video-size"): a client reports the size of each received video's tile,
// 0x0 when it is off screen (another page of the grid, a hidden self view),
// and the server sends that video only while it is shown. Audio always flows.

// features lists the optional messages this server understands, in welcome.
func features() []string { return []string{"video-size", "simulcast"} }

// maxTileSide bounds a reported tile side in CSS pixels.
const maxTileSide = 16384

type videoSizeMsg struct {
	TrackID string `json:"trackId"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
}

func (videoSizeMsg) messageType() string { return "video-size" }

func (m *videoSizeMsg) validate() error {
	if err := validTrackID(m.TrackID); err != nil {
		return err
	}
	if m.Width < 0 || m.Height < 0 || m.Width > maxTileSide || m.Height > maxTileSide {
		return fmt.Errorf("%w: tile size %dx%d", ErrBadMessage, m.Width, m.Height)
	}
	return nil
}

// onVideoSize pauses or resumes our copy of a published video. A track we
// do not receive (it just ended) is ignored.
func (p *Participant) onVideoSize(m videoSizeMsg) {
	simulcast := false
	for u, sub := range p.subs {
		if u.info.TrackID != m.TrackID || u.info.Kind != "video" {
			continue
		}
		sub.tileW, sub.tileH = m.Width, m.Height
		if u.simulcast {
			simulcast = true
			continue
		}
		if m.Width > 0 && m.Height > 0 {
			sub.down.setTarget(0) // the only encoding
		} else {
			sub.down.hide()
		}
	}
	if simulcast {
		p.selectLayers(p.sfu.now())
	}
}

// tendMedia is the participant's periodic media work: measuring and
// pausing its own simulcast encodings, choosing those it receives.
func (p *Participant) tendMedia() {
	now := p.sfu.now()
	for _, u := range p.published {
		p.tendLayers(u, now)
	}
	p.selectLayers(now)
}
