package sfu

import (
	"fmt"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// checkDescription refuses a client description that pion would reject
// only after changing its signalling state. pion cannot roll back
// (pion/webrtc#2133), so such a description would leave the session stuck;
// catching the usual causes first keeps a bad offer or answer a non-fatal
// bad-sdp. It mirrors what pion's SetRemoteDescription requires: a mid on
// every media section, ICE credentials, a DTLS fingerprint and parseable
// candidates.
func checkDescription(desc webrtc.SessionDescription) error {
	parsed, err := desc.Unmarshal()
	if err != nil {
		return fmt.Errorf("%w: parse: %w", ErrBadSDP, err)
	}
	for _, check := range []func(*sdp.SessionDescription) error{checkMids, checkICE, checkFingerprint} {
		if err := check(parsed); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSDP, err)
		}
	}
	return nil
}

func checkMids(d *sdp.SessionDescription) error {
	for i, md := range d.MediaDescriptions {
		if mid, _ := md.Attribute("mid"); mid == "" {
			return fmt.Errorf("media section %d has no mid", i)
		}
	}
	return nil
}

// checkICE wants one ufrag and password, at session level or on media
// sections, and candidates that parse.
func checkICE(d *sdp.SessionDescription) error {
	ufrag, _ := d.Attribute("ice-ufrag")
	pwd, _ := d.Attribute("ice-pwd")
	for _, md := range d.MediaDescriptions {
		if u, ok := md.Attribute("ice-ufrag"); ok {
			if ufrag != "" && u != ufrag {
				return fmt.Errorf("media sections disagree on ice-ufrag")
			}
			ufrag = u
		}
		if p, ok := md.Attribute("ice-pwd"); ok && pwd == "" {
			pwd = p
		}
		for _, a := range md.Attributes {
			if !a.IsICECandidate() {
				continue
			}
			if _, err := ice.UnmarshalCandidate(a.Value); err != nil {
				return fmt.Errorf("candidate %.64q: %w", a.Value, err)
			}
		}
	}
	if ufrag == "" || pwd == "" {
		return fmt.Errorf("no ice-ufrag or ice-pwd")
	}
	return nil
}

// checkFingerprint wants a DTLS fingerprint of the form "algorithm value".
func checkFingerprint(d *sdp.SessionDescription) error {
	fp, _ := d.Attribute("fingerprint")
	for _, md := range d.MediaDescriptions {
		if f, ok := md.Attribute("fingerprint"); ok && fp == "" {
			fp = f
		}
	}
	algo, value, ok := strings.Cut(fp, " ")
	if !ok || algo == "" || value == "" || strings.Contains(value, " ") {
		return fmt.Errorf("no valid fingerprint")
	}
	return nil
}
