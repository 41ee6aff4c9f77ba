package certs

import (
	"context"
	"log/slog"
	"time"
)

// handleEvent turns certmagic events into our lifecycle log lines, metrics
// and the error shown by Status.
func (m *Manager) handleEvent(ctx context.Context, source, event string, data map[string]any) {
	log := m.log.With("source", source)
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	switch event {
	case "cert_obtaining":
		// Internal leaves are local and routine; ACME orders are news.
		level := slog.LevelDebug
		if source == sourceACME {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "obtaining certificate", "name", name, "renewal", renewal)
	case "cert_obtained":
		log.Info("certificate obtained", "name", name, "renewal", renewal, "issuer", data["issuer"])
		m.met.obtained.WithLabelValues(source).Inc()
		if source == sourceACME {
			m.clearError(name)
		}
	case "cert_failed":
		err, _ := data["error"].(error)
		log.Warn("certificate not obtained; certmagic retries with backoff", "name", name, "renewal", renewal,
			slog.Any("err", err))
		if source == sourceACME {
			m.met.acmeFailures.Inc()
			m.setError(name, err)
		}
	case "cert_ocsp_revoked":
		log.Warn("certificate revoked; replacing it", "data", data)
	default:
		log.Debug("certificate event", "event", event, "data", data)
	}
}

// setError records the latest failure for Status.
func (m *Manager) setError(name string, err error) {
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastErr, m.lastErrName, m.lastErrTime = msg, name, m.cfg.now()
}

// clearError forgets the recorded failure once the same name succeeds, so
// a success for one domain does not hide another domain's failure.
func (m *Manager) clearError(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastErrName == name {
		m.lastErr, m.lastErrName, m.lastErrTime = "", "", time.Time{}
	}
}
