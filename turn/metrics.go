package turn

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Server's collectors. Per-packet counters are curried once
// so the relay path does no label lookup.
type metrics struct {
	reg prometheus.Registerer // nil: collectors exist but are not exported

	allocations  prometheus.Gauge
	allocated    prometheus.Counter
	bytes        *prometheus.CounterVec // direction
	packets      *prometheus.CounterVec // direction
	denials      *prometheus.CounterVec // reason
	authFailures *prometheus.CounterVec // reason

	bytesToPeer, bytesToClient     prometheus.Counter
	packetsToPeer, packetsToClient prometheus.Counter
	deniedPort, deniedSource       prometheus.Counter
	deniedBandwidth                prometheus.Counter
}

// Label values of conclave_turn_relayed_*_total{direction}.
const (
	dirToPeer   = "to_peer"
	dirToClient = "to_client"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reg: reg,
		allocations: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "conclave_turn_allocations", Help: "Live TURN allocations.",
		}),
		allocated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "conclave_turn_allocations_total", Help: "TURN allocations created.",
		}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_turn_relayed_bytes_total", Help: "Payload bytes relayed, by direction.",
		}, []string{"direction"}),
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_turn_relayed_packets_total", Help: "Packets relayed, by direction.",
		}, []string{"direction"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_turn_denials_total",
			Help: "Refused relay operations: peer_<class> (permission), peer_port, peer_source, bandwidth, quota_*, tcp_relay, relay_port.",
		}, []string{"reason"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_turn_auth_failures_total", Help: "Refused TURN credentials, by reason.",
		}, []string{"reason"}),
	}
	m.bytesToPeer = m.bytes.WithLabelValues(dirToPeer)
	m.bytesToClient = m.bytes.WithLabelValues(dirToClient)
	m.packetsToPeer = m.packets.WithLabelValues(dirToPeer)
	m.packetsToClient = m.packets.WithLabelValues(dirToClient)
	m.deniedPort = m.denials.WithLabelValues("peer_port")
	m.deniedSource = m.denials.WithLabelValues("peer_source")
	m.deniedBandwidth = m.denials.WithLabelValues("bandwidth")
	if reg == nil {
		return m, nil
	}
	for i, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors()[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("register turn metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.allocations, m.allocated, m.bytes, m.packets, m.denials, m.authFailures}
}

// unregister removes the collectors, so a new Server can register again.
func (m *metrics) unregister() error {
	if m.reg == nil {
		return nil
	}
	var errs []error
	for _, c := range m.collectors() {
		if !m.reg.Unregister(c) {
			errs = append(errs, fmt.Errorf("unregister turn metrics: collector %T missing", c))
		}
	}
	return errors.Join(errs...)
}

func (m *metrics) deny(reason string)       { m.denials.WithLabelValues(reason).Inc() }
func (m *metrics) authFailed(reason string) { m.authFailures.WithLabelValues(reason).Inc() }
