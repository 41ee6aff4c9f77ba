package certs

import "errors"

// Sentinel errors. Validate wraps them in a *FlagError naming the flag.
var (
	// ErrUnknownMode is returned for a --tls value that is not a Mode.
	ErrUnknownMode = errors.New("certs: unknown TLS mode")
	// ErrMissing is returned when a mode needs a value that is not set.
	ErrMissing = errors.New("certs: value required")
	// ErrUnused is returned for a flag the mode in force would ignore.
	ErrUnused = errors.New("certs: flag not used by this TLS mode")
	// ErrBadName is returned for a --domain or host that cannot be in a certificate.
	ErrBadName = errors.New("certs: invalid name")
	// ErrBadURL is returned for an --acme-ca that is not an absolute https URL.
	ErrBadURL = errors.New("certs: invalid ACME directory URL")
	// ErrNoCertificates is returned for a PEM file that holds no certificate.
	ErrNoCertificates = errors.New("certs: no certificate in PEM data")
	// ErrRootMismatch is returned when the stored root certificate and key do
	// not belong together, or only one of them exists.
	ErrRootMismatch = errors.New("certs: built-in CA root certificate and key do not match")
	// ErrNameNotAllowed is returned by the built-in CA for a name it was not
	// configured to issue for; it never issues on demand.
	ErrNameNotAllowed = errors.New("certs: name not managed by the built-in CA")
	// ErrNoCertificate is returned from a handshake when no certificate can
	// be served (TLS mode off, or an unknown name without a default).
	ErrNoCertificate = errors.New("certs: no certificate available")

	// errNoRoot means neither root file exists yet: a first start.
	errNoRoot = errors.New("certs: no built-in CA root yet")
)

// FlagError is one configuration problem, tied to the flag that causes it.
type FlagError struct {
	Flag string // e.g. "--tls-cert"
	Err  error
}

// Error implements error as "--flag: problem".
func (e *FlagError) Error() string { return e.Flag + ": " + e.Err.Error() }

// Unwrap returns the underlying problem, usually wrapping a sentinel above.
func (e *FlagError) Unwrap() error { return e.Err }
