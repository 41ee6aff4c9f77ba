package certs

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the conclave_tls_* collectors. The expiry gauge is computed
// at scrape time from what is actually served, so it needs no bookkeeping on
// renewals or reloads.
type metrics struct {
	reg            prometheus.Registerer
	acmeFailures   prometheus.Counter
	obtained       *prometheus.CounterVec
	reloadFailures prometheus.Counter
	expiry         *expiryCollector
}

// expiryCollector reports the not-after time of the certificate served for
// each managed name.
type expiryCollector struct {
	desc  *prometheus.Desc
	certs func() []CertificateStatus
}

func (c *expiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *expiryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, cs := range c.certs() {
		if cs.NotAfter.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue,
			float64(cs.NotAfter.Unix()), cs.Name, cs.Source)
	}
}

// newMetrics builds the collectors and registers them when reg is not nil.
func newMetrics(reg prometheus.Registerer, certs func() []CertificateStatus) (*metrics, error) {
	m := &metrics{
		reg: reg,
		acmeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "conclave_tls_acme_failures_total",
			Help: "Failed ACME attempts to obtain or renew a certificate (each retry counts).",
		}),
		obtained: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_tls_certificates_obtained_total",
			Help: "Certificates obtained or renewed, by source (acme, internal).",
		}, []string{"source"}),
		reloadFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "conclave_tls_files_reload_failures_total",
			Help: "Changed --tls-cert/--tls-key files that could not be loaded (the previous pair stays in use).",
		}),
		expiry: &expiryCollector{
			desc: prometheus.NewDesc("conclave_tls_certificate_expiry_timestamp_seconds",
				"Not-after time (Unix seconds) of the certificate served for each name.",
				[]string{"name", "source"}, nil),
			certs: certs,
		},
	}
	if reg == nil {
		return m, nil
	}
	var registered []prometheus.Collector
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, r := range registered {
				reg.Unregister(r)
			}
			return nil, fmt.Errorf("register tls metrics: %w", err)
		}
		registered = append(registered, c)
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.acmeFailures, m.obtained, m.reloadFailures, m.expiry}
}

// unregister removes the collectors so that a new Manager can register
// again on the same registry (restarts in tests, config reloads).
func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors() {
		m.reg.Unregister(c)
	}
}
