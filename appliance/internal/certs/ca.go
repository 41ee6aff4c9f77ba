package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// localCA is the built-in CA's root: an ECDSA P-256 key and a self-signed
// certificate valid for ten years, kept in <data>/pki so that a browser that
// trusted it once keeps trusting it after a restart (unlike Galène's
// in-memory fallback certificate).
type localCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte // root.crt as written
}

const (
	rootCertName = "root.crt"
	rootKeyName  = "root.key"
)

// loadOrCreateCA loads the root from dir, or creates it when neither file
// exists. A lone file or a mismatched pair is an error rather than a silent
// replacement: replacing the root breaks every client that trusted it. An
// expired root is moved aside and replaced, with a Warn.
func loadOrCreateCA(dir string, now func() time.Time, log *slog.Logger) (*localCA, error) {
	if err := ensurePrivateDir(dir); err != nil {
		return nil, err
	}
	certPath, keyPath := filepath.Join(dir, rootCertName), filepath.Join(dir, rootKeyName)
	ca, err := loadCA(certPath, keyPath)
	switch {
	case errors.Is(err, errNoRoot):
		log.Info("creating built-in CA root", "path", certPath)
		return createCA(certPath, keyPath, now())
	case err != nil:
		return nil, err
	case now().After(ca.cert.NotAfter):
		log.Warn("built-in CA root expired; creating a new one (clients must trust it again)",
			"path", certPath, "not_after", ca.cert.NotAfter)
		suffix := ".expired-" + ca.cert.NotAfter.UTC().Format("20060102")
		for _, p := range []string{certPath, keyPath} {
			if err := os.Rename(p, p+suffix); err != nil {
				return nil, fmt.Errorf("move expired root aside: %w", err)
			}
		}
		return createCA(certPath, keyPath, now())
	}
	if err := os.Chmod(keyPath, 0o600); err != nil {
		return nil, fmt.Errorf("restrict %s: %w", keyPath, err)
	}
	return ca, nil
}

// loadCA reads the pair; errNoRoot only when both files are missing (a lone
// missing file wraps fs.ErrNotExist inside ErrRootMismatch).
func loadCA(certPath, keyPath string) (*localCA, error) {
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	if errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist) {
		return nil, errNoRoot
	}
	if certErr != nil || keyErr != nil {
		return nil, fmt.Errorf("%w: read %s and %s: %w", ErrRootMismatch, certPath, keyPath, errors.Join(certErr, keyErr))
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", certPath, err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("parse %s: no PEM block", keyPath)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", keyPath, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok || !publicKeysEqual(key.Public(), cert.PublicKey) || !cert.IsCA {
		return nil, fmt.Errorf("%w: %s, %s", ErrRootMismatch, certPath, keyPath)
	}
	return &localCA{cert: cert, key: key, pem: certPEM}, nil
}

// createCA generates and writes a new root; the key is written first so that
// a crash in between leaves a lone key, which loadCA reports instead of
// silently pairing a new certificate with it.
func createCA(certPath, keyPath string, now time.Time) (*localCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Conclave local CA " + fmt.Sprintf("%032X", serial)[:8], Organization: []string{"Conclave"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(rootLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // leaves only, no intermediates
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create root certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new root: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode root key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return &localCA{cert: cert, key: key, pem: certPEM}, nil
}

// fingerprint is the SHA-256 of the root's DER, uppercase hex with colons,
// the form browsers show.
func (ca *localCA) fingerprint() string {
	sum := sha256.Sum256(ca.cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// ensurePrivateDir creates dir with mode 0700, and narrows it to 0700 if it
// already exists wider: it holds private keys.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("restrict %s: %w", dir, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file in the same directory and
// renames it over path, so readers never see half a key.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, perm)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// parseCertPEM returns the first certificate in data.
func parseCertPEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, ErrNoCertificates
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// publicKeysEqual compares two public keys of any standard type.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// randomSerial returns a positive 128-bit serial number.
func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}
