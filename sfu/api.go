package sfu

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// URIs of the header extensions we negotiate. Only audioLevelURI travels
// end to end; the others are hop by hop (see extmap.go).
const (
	audioLevelURI  = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
	absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
)

// videoFeedback is the RTCP feedback we accept and answer on video: NACK
// from our own packet cache, PLI and FIR forwarded to the publisher, TWCC.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBTransportCC},
}

// mediaCodecs lists the codecs we forward, with Chrome's usual payload
// types: VP8, VP9 and Opus, and RTX for the video codecs. Every room is
// end-to-end encrypted, so only codecs whose clear prefix the clients and we
// agree on (docs/e2ee.md) are negotiated: no H.264 or AV1 (they need
// NAL/OBU-aware encryption), and no RED, ULPFEC or FlexFEC (an SFU cannot
// strip or rebuild redundancy it cannot read). pion answers and offers only
// registered codecs, so a client offer of RED or FEC gets an answer without.
func mediaCodecs() []struct {
	kind  webrtc.RTPCodecType
	codec webrtc.RTPCodecParameters
} {
	video := func(mime, fmtp string, pt uint8) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback}}
	}
	rtx := func(apt, pt uint8) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", apt)}}
	}
	opus := webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}}}
	type entry = struct {
		kind  webrtc.RTPCodecType
		codec webrtc.RTPCodecParameters
	}
	v := webrtc.RTPCodecTypeVideo
	return []entry{
		{webrtc.RTPCodecTypeAudio, opus},
		{v, video(webrtc.MimeTypeVP8, "", 96)}, {v, rtx(96, 97)},
		{v, video(webrtc.MimeTypeVP9, "profile-id=0", 98)}, {v, rtx(98, 99)},
		{v, video(webrtc.MimeTypeVP9, "profile-id=2", 100)}, {v, rtx(100, 101)},
	}
}

// newMediaEngine registers our codecs and header extensions. pion numbers
// extensions in registration order, so every PeerConnection that we offer
// to first uses the same IDs; a client that offers first picks its own, and
// the down path remaps IDs by URI (extmap.go).
func newMediaEngine() (*webrtc.MediaEngine, error) {
	me := &webrtc.MediaEngine{}
	for _, c := range mediaCodecs() {
		if err := me.RegisterCodec(c.codec, c.kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.codec.MimeType, err)
		}
	}
	exts := []struct {
		uri   string
		kinds []webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		// The RID extensions matter for video (simulcast) only, but are in
		// every m-line we offer: a browser offers on a new m-line only the
		// extensions our offers used (web/js/peer.js, Chrome's BUNDLE ID
		// collisions), and Chromium refuses its own simulcast offer without
		// RID. A server offer with only someone's audio came first (the others
		// had no camera) and the camera was never sent.
		{sdp.SDESRTPStreamIDURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		{sdp.SDESRepairRTPStreamIDURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		{audioLevelURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio}},
		{sdp.TransportCCURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		{absSendTimeURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
	}
	for _, e := range exts {
		for _, k := range e.kinds {
			if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, k); err != nil {
				return nil, fmt.Errorf("register header extension %s: %w", e.uri, err)
			}
		}
	}
	return me, nil
}

// newInterceptors registers the interceptors we want and no others: the NACK
// generator (asks publishers to resend what we lost), RTCP sender and
// receiver reports, and TWCC feedback for what we receive. Not pion's NACK
// responder: we answer NACKs from our own packet cache (uptrack.go), which holds each packet once for all
// subscribers. Not intervalpli: keyframes are requested only when needed.
func newInterceptors(lf logging.LoggerFactory) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor(nack.WithGeneratorLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("nack generator: %w", err)
	}
	recv, err := report.NewReceiverInterceptor(report.WithReceiverLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("receiver reports: %w", err)
	}
	send, err := report.NewSenderInterceptor(report.WithSenderLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("sender reports: %w", err)
	}
	fb, err := twcc.NewSenderInterceptor(twcc.WithLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("twcc feedback: %w", err)
	}
	// The loops about received media start with the first received stream
	// (lazyloop.go); sender reports serve what we send. What we send is
	// numbered for transport-cc by the down-tracks themselves (bwe.go), not
	// by pion's extension interceptor: the estimate needs each number's send
	// time and size, and one interceptor less is cheaper per packet.
	for _, f := range []interceptor.Factory{lazyLoopFactory{gen}, lazyLoopFactory{recv}, send, lazyLoopFactory{fb}} {
		reg.Add(f)
	}
	return reg, nil
}

// newAPI builds the one *webrtc.API every PeerConnection shares. The
// returned closers are the ICE muxes; Close of the SFU closes them (and with
// them cfg.UDPConn and cfg.TCPListener). On error nothing was started.
func newAPI(cfg Config) (*webrtc.API, []io.Closer, error) {
	lf := cfg.LoggerFactory
	if lf == nil {
		lf = discardLoggerFactory{}
	}
	me, err := newMediaEngine()
	if err != nil {
		return nil, nil, err
	}
	reg, err := newInterceptors(lf)
	if err != nil {
		return nil, nil, err
	}
	se, closers, err := newSettingEngine(cfg, lf)
	if err != nil {
		return nil, nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
	return api, closers, nil
}

// newSettingEngine sets up the transport: one UDP port for every
// PeerConnection, optional ICE-TCP, host addresses restricted to HostIPs.
func newSettingEngine(cfg Config, lf logging.LoggerFactory) (webrtc.SettingEngine, []io.Closer, error) {
	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, 2*time.Second)
	// A client re-offers the simulcast encodings it paused (on our layers
	// message) as "~q"; echoing the pause in the answer would make the
	// browser pause them itself, outside the layers protocol that decides
	// which encodings run.
	se.SetIgnoreRidPauseForRecv(true)
	hosts := hostIPs(cfg)
	se.SetIncludeLoopbackCandidate(allLoopback(hosts))
	if len(hosts) > 0 {
		se.SetIPFilter(func(ip net.IP) bool { return containsIP(hosts, ip) })
	}
	if len(cfg.NAT1To1IPs) > 0 {
		rule := webrtc.ICEAddressRewriteRule{External: cfg.NAT1To1IPs,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			return se, nil, fmt.Errorf("nat 1:1 ips: %w", err)
		}
	}
	addrs, err := hostListenAddrs(cfg.UDPConn, hosts)
	if err != nil {
		return se, nil, err
	}
	var bc *batchConn
	if uc, ok := cfg.UDPConn.(*net.UDPConn); ok {
		sizeSocketBuffers(uc, cfg.Logger)
		if bc, err = newBatchConn(uc); err != nil { // batch.go: one sendmmsg per forwarded packet
			return se, nil, fmt.Errorf("media udp socket: %w", err)
		}
	}
	// Nothing can fail from here on: the muxes start reading their sockets.
	var udp udpMux
	if bc != nil {
		udp = batchedMux{udpMux: webrtc.NewICEUDPMux(lf.NewLogger("ice-udp-mux"), bc), conn: bc}
	} else {
		udp = webrtc.NewICEUDPMux(lf.NewLogger("ice-udp-mux"), cfg.UDPConn)
	}
	if addrs != nil {
		udp = hostUDPMux{udpMux: udp, addrs: addrs}
	}
	se.SetICEUDPMux(udp)
	closers := []io.Closer{udp}
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.TCPListener != nil {
		tcp := webrtc.NewICETCPMux(lf.NewLogger("ice-tcp-mux"), cfg.TCPListener, 8)
		se.SetICETCPMux(tcp)
		closers = append(closers, tcp)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	return se, closers, nil
}

// hostIPs is cfg.HostIPs, or the UDP socket's own address when it is bound
// to one and HostIPs is empty.
func hostIPs(cfg Config) []netip.Addr {
	if len(cfg.HostIPs) > 0 {
		out := make([]netip.Addr, len(cfg.HostIPs))
		for i, ip := range cfg.HostIPs {
			out[i] = ip.Unmap()
		}
		return out
	}
	if ua, ok := cfg.UDPConn.LocalAddr().(*net.UDPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ua.IP); ok && !ip.IsUnspecified() {
			return []netip.Addr{ip.Unmap()}
		}
	}
	return nil
}

func allLoopback(ips []netip.Addr) bool {
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return len(ips) > 0
}

func containsIP(ips []netip.Addr, ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	for _, h := range ips {
		if h == a {
			return true
		}
	}
	return false
}
