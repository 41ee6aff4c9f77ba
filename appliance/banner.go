package appliance

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"conclave/appliance/internal/certs"
)

// maxBannerHosts keeps the banner readable on a box with many interfaces.
const maxBannerHosts = 4

// bannerHosts are the host names people should type: the domains when
// given, else this box's addresses with the LAN ones first.
func (a *Appliance) bannerHosts() []string {
	if len(a.cfg.Domains) > 0 {
		return a.cfg.Domains
	}
	if a.cfg.PublicIP != "" {
		// Behind 1:1 NAT the LAN addresses are no use to anyone outside.
		return []string{a.cfg.PublicIP}
	}
	if isLoopbackAddr(a.httpsLn.Addr().String()) {
		return []string{"localhost"}
	}
	var hosts []string
	for _, ip := range listenIPs(a.httpsLn) {
		if !ip.IsLoopback() && len(hosts) < maxBannerHosts {
			hosts = append(hosts, ip.String())
		}
	}
	if len(hosts) == 0 || isUnspecified(a.httpsLn) {
		hosts = append(hosts, "localhost")
	}
	return hosts
}

func isUnspecified(ln net.Listener) bool {
	ta, ok := ln.Addr().(*net.TCPAddr)
	return ok && ta.IP.IsUnspecified()
}

// hostURL is scheme://host[:port]/ with the port left out when it is the
// scheme's default.
func hostURL(scheme, host string, port int) string {
	h := hostForURL(host)
	if !(scheme == "https" && port == 443 || scheme == "http" && port == 80) {
		h = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return scheme + "://" + h + "/"
}

// SetupURL is the one-time admin setup link, "" once an admin exists.
func (a *Appliance) SetupURL() string {
	if a.setupToken == "" {
		return ""
	}
	hosts := a.bannerHosts()
	return hostURL("https", hosts[0], portOf(a.httpsLn)) + "admin/setup?token=" + url.QueryEscape(a.setupToken)
}

// printBanner tells the person at the console where to go. It is the only
// place the setup token is printed; the log never carries it.
func (a *Appliance) printBanner() {
	var b strings.Builder
	hosts := a.bannerHosts()
	st := a.certs.Status()
	fmt.Fprintf(&b, "\nConclave %s is running.\n\n", a.version)
	for i, h := range hosts {
		label := "  Open:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(&b, "%-13s%s\n", label, hostURL("https", h, portOf(a.httpsLn)))
	}
	if a.httpLn != nil {
		fmt.Fprintf(&b, "%-13s%s (redirects to HTTPS)\n", "  HTTP:", hostURL("http", hosts[0], portOf(a.httpLn)))
	}
	switch {
	case a.certs.RootPEM() != nil && st.Mode != certs.ModeACME:
		fmt.Fprintf(&b, "%-13sbuilt-in CA; browsers warn until they trust its root:\n", "  TLS:")
		where := hostURL("https", hosts[0], portOf(a.httpsLn)) + "ca.crt"
		if a.httpLn != nil {
			where = hostURL("http", hosts[0], portOf(a.httpLn)) + "ca.crt"
		}
		fmt.Fprintf(&b, "%-13sdownload %s (also %s)\n", "", where, filepath.Join(a.cfg.DataDir, pkiDir, "root.crt"))
		fmt.Fprintf(&b, "%-13sSHA-256 %s\n", "", a.certs.RootFingerprint())
	default:
		fmt.Fprintf(&b, "%-13s%s\n", "  TLS:", st.Mode)
	}
	if u := a.SetupURL(); u != "" {
		fmt.Fprintf(&b, "\n  First run: create the admin account within an hour at\n    %s\n", u)
		fmt.Fprintf(&b, "  (the token is also in %s)\n", filepath.Join(a.cfg.DataDir, setupTokenFile))
	}
	b.WriteString("\n")
	_, _ = a.out.Write([]byte(b.String()))
}
