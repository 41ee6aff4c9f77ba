package sfu

import "github.com/prometheus/client_golang/prometheus"

// metrics are the SFU's collectors. Counters on the media path are updated
// per packet with atomic adds only (no labels looked up per packet).
type metrics struct {
	rooms        prometheus.Gauge
	participants prometheus.Gauge
	upTracks     prometheus.Gauge
	downTracks   prometheus.Gauge

	packetsForwarded prometheus.Counter
	bytesForwarded   prometheus.Counter
	packetsDropped   prometheus.Counter
	nacksReceived    prometheus.Counter
	retransmitted    prometheus.Counter
	keyframeRequests prometheus.Counter
	keyframeSent     prometheus.Counter
	keyframesSeen    prometheus.Counter
	layerSwitches    prometheus.Counter
	layersMessages   prometheus.Counter

	joinsRefused *prometheus.CounterVec // by error code
}

// newMetrics builds the collectors and registers them with reg (nil keeps
// them unregistered, for tests and embedders without metrics).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "conclave", Subsystem: "sfu", Name: name, Help: help})
	}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "conclave", Subsystem: "sfu", Name: name, Help: help})
	}
	m := &metrics{
		rooms:            g("rooms", "Rooms with at least one participant."),
		participants:     g("participants", "Participants in all rooms."),
		upTracks:         g("up_tracks", "Tracks published to the SFU."),
		downTracks:       g("down_tracks", "Subscriber copies of published tracks."),
		packetsForwarded: c("packets_forwarded_total", "RTP packets written to subscribers."),
		bytesForwarded:   c("bytes_forwarded_total", "RTP payload bytes written to subscribers."),
		packetsDropped:   c("packets_dropped_total", "RTP packets not forwarded (malformed, unknown payload type, write errors)."),
		nacksReceived:    c("nacks_received_total", "Sequence numbers subscribers asked to be resent."),
		retransmitted:    c("packets_retransmitted_total", "Packets resent from the packet cache."),
		keyframeRequests: c("keyframe_requests_total", "PLI/FIR from subscribers and keyframe needs of new subscribers."),
		keyframeSent:     c("keyframe_requests_forwarded_total", "PLIs sent to publishers after throttling."),
		keyframesSeen:    c("keyframes_received_total", "Video key frames publishers sent (found in the RTP payload descriptor)."),
		layerSwitches:    c("layer_switches_total", "Changes of the simulcast encoding a subscriber receives (each at a key frame)."),
		layersMessages:   c("layers_messages_total", "layers messages sent to publishers (pausing or resuming simulcast encodings)."),
		joinsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "conclave", Subsystem: "sfu",
			Name: "joins_refused_total", Help: "Joins refused, by error code."}, []string{"code"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, col := range []prometheus.Collector{m.rooms, m.participants, m.upTracks, m.downTracks,
		m.packetsForwarded, m.bytesForwarded, m.packetsDropped, m.nacksReceived, m.retransmitted,
		m.keyframeRequests, m.keyframeSent, m.keyframesSeen, m.layerSwitches, m.layersMessages, m.joinsRefused} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}
