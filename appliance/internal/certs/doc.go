// Package certs provides every TLS mode of Conclave behind one *tls.Config.
//
// Modes (see Mode):
//   - acme: certificates from an ACME CA (Let's Encrypt by default, or any
//     directory given with --acme-ca, e.g. step-ca) through certmagic, with
//     HTTP-01 and TLS-ALPN-01 challenges. A built-in CA serves every name at
//     once while ACME has not produced a certificate yet, so start-up never
//     waits for the network.
//   - internal: a built-in CA, implemented as a certmagic Issuer, whose root
//     is kept in <data>/pki and reused across restarts so that a browser that
//     trusted it once keeps trusting it. Leaves cover localhost, the host's
//     names and IPs and every --domain, and are renewed by certmagic.
//   - files: an operator's certificate and key, reloaded when they change.
//   - off: no TLS at all (the appliance allows it only on loopback).
//   - auto: acme when a public domain is configured, else internal.
//
// Certificates are never obtained on demand: a handshake for a name we do not
// manage gets the default certificate and never starts an ACME order.
//
// A Manager is built by New and stopped by Close; its methods are safe for
// concurrent use.
package certs
