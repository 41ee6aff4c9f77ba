package certs

import (
	"fmt"
	"net/netip"
	"strings"
)

// nonPublicSuffixes are special-use or private-use suffixes that no public
// CA will issue for (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal, and
// the customary home router ".lan").
var nonPublicSuffixes = [...]string{
	".local", ".lan", ".home.arpa", ".internal", ".test", ".example", ".invalid", ".localhost",
}

// normalizeName lowercases name, drops a trailing dot and IPv6 brackets, and
// reports whether the result can be a certificate subject: a DNS name or an
// IP without zone. Wildcards are refused: they need DNS-01, which we don't do.
func normalizeName(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimSuffix(n, ".")
	if strings.HasPrefix(n, "[") && strings.HasSuffix(n, "]") {
		n = n[1 : len(n)-1]
	}
	if addr, err := netip.ParseAddr(n); err == nil {
		if addr.Zone() != "" {
			return "", false // fe80::1%eth0 cannot be a SAN
		}
		return addr.Unmap().String(), true
	}
	return n, validDNSName(n)
}

// validDNSName is a conservative LDH check (RFC 1123 labels, 253 octets).
func validDNSName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// isIP reports whether a normalized name is an IP address.
func isIP(n string) bool {
	_, err := netip.ParseAddr(n)
	return err == nil
}

// isUnroutable reports an IP no client can connect to (0.0.0.0, ::,
// multicast), e.g. a wildcard listen address passed as a host by mistake.
func isUnroutable(n string) bool {
	addr, err := netip.ParseAddr(n)
	return err == nil && (addr.IsUnspecified() || addr.IsMulticast())
}

// isPublicName reports whether a public CA could issue for name: a DNS name
// with a dot, not localhost and not under a special-use suffix.
func isPublicName(name string) bool {
	n, ok := normalizeName(name)
	if !ok || isIP(n) || n == "localhost" || !strings.Contains(n, ".") {
		return false
	}
	for _, s := range nonPublicSuffixes {
		if strings.HasSuffix(n, s) || n == s[1:] {
			return false
		}
	}
	return true
}

// checkDomain validates one --domain value for the mode in force.
func checkDomain(d string, mode Mode) error {
	n, ok := normalizeName(d)
	if !ok {
		return fmt.Errorf("%w: %q is not a DNS name or IP address (wildcards are not supported)", ErrBadName, d)
	}
	if mode == ModeACME && isIP(n) {
		return fmt.Errorf("%w: %q is an IP address; ACME certificates here are for names (IPs get built-in CA leaves)", ErrBadName, d)
	}
	return nil
}

// dedup returns names without repeats, keeping the first occurrence.
func dedup(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// internalNames are the subjects of the built-in CA's leaves: localhost, the
// --domain values, then Hosts. Unusable hosts are returned in skipped so the
// caller can log them; they are never silently dropped.
func (c Config) internalNames() (names, skipped []string) {
	names = []string{"localhost"}
	for _, d := range append(append([]string(nil), c.Domains...), c.Hosts...) {
		n, ok := normalizeName(d)
		if !ok || isUnroutable(n) {
			skipped = append(skipped, d)
			continue
		}
		names = append(names, n)
	}
	return dedup(names), skipped
}

// defaultName is the subject whose certificate a handshake gets when it
// carries no SNI for an IP we have no leaf for, or an unknown SNI: the first
// domain, else the host name, else localhost.
func (c Config) defaultName(internal []string) string {
	if d := c.dnsDomains(); len(d) > 0 {
		return d[0]
	}
	for _, n := range internal {
		if !isIP(n) && n != "localhost" {
			return n
		}
	}
	return "localhost"
}
