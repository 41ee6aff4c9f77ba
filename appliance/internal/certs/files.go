package certs

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// fileSource serves the operator's --tls-cert/--tls-key pair and reloads
// it when either file changes, as jech/cert does. It is served directly,
// not through certmagic: certmagic would only add OCSP fetching, a network
// call an air-gapped box cannot make.
type fileSource struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
	seen              fileStamp // of the last load attempt; only the poller touches it
}

// fileStamp identifies a version of the pair cheaply (mtime and size of both
// files; err set when one could not be stat'ed).
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
	err               string
}

func statPair(certFile, keyFile string) fileStamp {
	var st fileStamp
	ci, cerr := os.Stat(certFile)
	ki, kerr := os.Stat(keyFile)
	if err := errors.Join(cerr, kerr); err != nil {
		st.err = err.Error()
		return st
	}
	st.certMod, st.certSize = ci.ModTime(), ci.Size()
	st.keyMod, st.keySize = ki.ModTime(), ki.Size()
	return st
}

// load reads the pair. The stamp is taken first, so a file replaced during
// the read changes the stamp again and is reloaded at the next poll.
func (f *fileSource) load() error {
	f.seen = statPair(f.certFile, f.keyFile)
	pair, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return fmt.Errorf("load %s and %s: %w", f.certFile, f.keyFile, err)
	}
	f.cur.Store(&pair)
	return nil
}

// current returns the pair in use; never nil once startFiles succeeded.
func (f *fileSource) current() *tls.Certificate { return f.cur.Load() }

// startFiles loads the pair and starts the owned polling goroutine.
func (m *Manager) startFiles() error {
	m.files = &fileSource{certFile: m.cfg.CertFile, keyFile: m.cfg.KeyFile}
	if err := m.files.load(); err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	m.warnIfExpired(m.files.current())
	m.wg.Add(1)
	go m.watchFiles()
	return nil
}

// watchFiles polls the files until Close. Polling rather than inotify: it
// also works when the files are replaced by rename (certbot, cert-manager
// symlink swaps) and on network filesystems.
func (m *Manager) watchFiles() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.filesPollInterval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.pollFiles()
		}
	}
}

// pollFiles reloads the pair if it changed. A pair that does not load
// (half-written, mismatched, corrupt) leaves the previous one in service;
// the problem is logged once per version of the files, not every poll.
func (m *Manager) pollFiles() {
	f := m.files
	st := statPair(f.certFile, f.keyFile)
	if st == f.seen {
		return
	}
	var err error
	if st.err != "" { // e.g. removed before being replaced
		f.seen, err = st, errors.New(st.err)
	} else {
		err = f.load()
	}
	if err != nil {
		m.log.Warn("certificate files changed but cannot be loaded; still serving the previous pair",
			"cert_file", f.certFile, "key_file", f.keyFile, slog.Any("err", err))
		m.met.reloadFailures.Inc()
		m.setError(sourceFiles, err)
		return
	}
	leaf := f.current().Leaf
	m.log.Info("certificate files reloaded", "cert_file", f.certFile,
		"names", leaf.DNSNames, "not_after", leaf.NotAfter)
	m.clearError(sourceFiles)
	m.warnIfExpired(f.current())
}

// warnIfExpired flags an operator's certificate that clients will refuse.
func (m *Manager) warnIfExpired(c *tls.Certificate) {
	if c.Leaf != nil && time.Now().After(c.Leaf.NotAfter) {
		m.log.Warn("certificate from --tls-cert has expired", "not_after", c.Leaf.NotAfter)
	}
}
