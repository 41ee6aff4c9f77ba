package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password policy (OWASP Password Storage Cheat Sheet).
const (
	minPasswordRunes = 10
	// maxPasswordBytes bounds the input hashed per request.
	maxPasswordBytes = 1024
	// maxConcurrentHashes bounds memory: each Argon2id hash holds its whole
	// memory parameter (19 MiB) while it runs, so a login flood on a 2-core
	// box queues here instead of exhausting RAM.
	maxConcurrentHashes = 2
)

// argonParams are Argon2id's cost parameters and output sizes.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	saltLen uint32
	keyLen  uint32
}

// defaultArgonParams is OWASP's first Argon2id configuration: 19 MiB, two
// passes, one lane.
func defaultArgonParams() argonParams {
	return argonParams{memory: 19456, time: 2, threads: 1, saltLen: 16, keyLen: 32}
}

// Bounds on parameters read back from the database, so a damaged or hostile
// row cannot make a login allocate gigabytes or spin for minutes.
const (
	maxStoredMemory = 1 << 20 // KiB (1 GiB)
	maxStoredTime   = 16
)

// hasher hashes and verifies passwords, at most cap(sem) at a time.
type hasher struct {
	params argonParams
	sem    chan struct{}
}

func newHasher(p argonParams, concurrency int) *hasher {
	return &hasher{params: p, sem: make(chan struct{}, concurrency)}
}

// derive runs Argon2id once a slot is free, or gives up when ctx ends.
func (h *hasher) derive(ctx context.Context, password string, salt []byte, p argonParams) ([]byte, error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for password hashing slot: %w", ctx.Err())
	}
	defer func() { <-h.sem }()
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen), nil
}

// hash returns the PHC string for password with a fresh salt.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// verify reports whether password matches the PHC string encoded, and whether
// the hash should be replaced because it uses other parameters than h's.
func (h *hasher) verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, p != h.params, nil
}

// burn does the work of one verification for a user who does not exist, so
// that a login for an unknown user takes as long as a wrong password.
func (h *hasher) burn(ctx context.Context, password string) error {
	_, err := h.derive(ctx, password, make([]byte, h.params.saltLen), h.params)
	return err
}

// validatePassword applies the length policy to a new password. Length is
// counted in characters for the minimum (what a person types) and in bytes for
// the maximum (what we hash).
func validatePassword(password string) error {
	if len(password) > maxPasswordBytes {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(password) < minPasswordRunes {
		return ErrWeakPassword
	}
	return nil
}

// errBadHash reports a stored hash that is not a PHC string we can verify.
var errBadHash = errors.New("admin: malformed password hash")

// encodePHC formats $argon2id$v=19$m=M,t=T,p=P$SALT$KEY.
func encodePHC(p argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses a string written by encodePHC, within sane bounds.
func parsePHC(s string) (p argonParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" ||
		parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	if p, err = parseArgonCosts(parts[3]); err != nil {
		return p, nil, nil, err
	}
	b64 := base64.RawStdEncoding
	salt, serr := b64.DecodeString(parts[4])
	key, kerr := b64.DecodeString(parts[5])
	if serr != nil || kerr != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	p.saltLen, p.keyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// parseArgonCosts parses "m=M,t=T,p=P".
func parseArgonCosts(s string) (argonParams, error) {
	var p argonParams
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return p, errBadHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, errBadHash
		}
		vals[i] = n
	}
	if vals[0] < 8 || vals[0] > maxStoredMemory || vals[1] < 1 || vals[1] > maxStoredTime ||
		vals[2] < 1 || vals[2] > 255 || vals[0] < 8*vals[2] {
		return p, errBadHash
	}
	p.memory, p.time, p.threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	return p, nil
}
