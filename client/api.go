package client

import (
	"fmt"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"conclave/internal/pionlog"
)

// newAPI builds the pion API of one client: the default codecs (so a bot can subscribe to
// whatever a browser publishes), the default interceptors (NACK both ways, RTCP reports,
// TWCC) with simulcast retransmissions named as such, the audio level extension, no mDNS (no multicast traffic from
// bots), the candidate filter and the network of the config.
func newAPI(cfg Config) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	// The microphone's level, as browsers send it (level.go).
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: audioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register audio level: %w", err)
	}
	reg := &interceptor.Registry{}
	// First: the last interceptor in the chain before the network, below the NACK responder.
	reg.Add(repairedRIDFactory{})
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if cfg.ICEIPFilter != nil {
		se.SetIPFilter(cfg.ICEIPFilter)
		se.SetIncludeLoopbackCandidate(true)
	}
	if cfg.NetworkTypes != nil {
		se.SetNetworkTypes(cfg.NetworkTypes)
	}
	if cfg.Net != nil {
		se.SetNet(cfg.Net)
	}
	se.LoggerFactory = cfg.LoggerFactory
	if se.LoggerFactory == nil {
		se.LoggerFactory = pionlog.Factory{Logger: cfg.logger()}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}
