// Package netlab builds a two-host network for tests that need a real link
// between a server and a client: two new network namespaces, A and B,
// joined by a veth pair, with a token-bucket bandwidth limit that can be
// changed while the test runs. Nothing is configured in the namespace the
// test runs in, and no packet of the lab crosses it, so it is safe to run
// as root on a developer's machine as well as in CI.
//
// Code reaches the namespaces in two ways: In runs a function on an OS
// thread inside one (for code that opens its sockets synchronously, such as
// appliance.New), and Net is a pion transport.Net whose sockets are created
// inside one (for WebRTC clients: webrtc.SettingEngine.SetNet).
package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// Side names one of the lab's two namespaces.
type Side int

const (
	// A is the server's side; the bandwidth limit applies to what it sends to B.
	A Side = iota
	// B is the constrained client's side.
	B
)

// String is "A" or "B".
func (s Side) String() string {
	if s == A {
		return "A"
	}
	return "B"
}

// Interface names and addresses. Each namespace is new and private, so
// fixed names cannot collide with the host's or another lab's.
const (
	vethA = "vethA"
	vethB = "vethB"
	// The prefix is from 10/8 but never routed anywhere: only the veth knows it.
	prefixLen = 24
)

// Token-bucket parameters used by Shape. burst is 8 KiB, about five
// full-size packets: enough that the bucket never starves at 500 kbit/s
// (it must hold at least one MTU plus what the rate earns in a timer tick),
// small enough that a video key frame cannot slip past the limit in one
// burst. latency 100 ms bounds the queue (rate × 100 ms + burst, about
// 14 KiB at 500 kbit/s), like a modest home router's buffer: congestion
// shows up as growing delay first, then loss, which is what a bandwidth
// estimator must react to.
const (
	tbfBurst   = "8kb"
	tbfLatency = "100ms"
)

// Options configure a lab.
type Options struct {
	// Kbit, when positive, limits A → B to that many kbit/s from the start
	// (see Shape).
	Kbit int
}

// Lab is two network namespaces joined by a veth pair.
type Lab struct {
	// AddrA and AddrB are the veth addresses in A and B (10.213.0.1 and
	// 10.213.0.2, /24).
	AddrA, AddrB netip.Addr

	home *os.File
	ns   [2]*netns
	nets [2]*Net

	mu     sync.Mutex
	shaped bool
	closed bool
}

// requireEnv is testenv.ToolsRequired's switch: CI sets it to 1 after
// installing the tools, and tests then fail instead of skipping. netlab
// reads it itself to stay a leaf (testenv imports the whole appliance,
// and SFU tests may want a lab too).
const requireEnv = "CONCLAVE_REQUIRE_BROWSER"

// New builds a lab and removes it when the test ends. It skips the test
// when the machine cannot (not root, or ip, tc or nsenter missing), and
// fails it instead when CONCLAVE_REQUIRE_BROWSER=1 (CI; see
// testenv.ToolsRequired).
func New(t testing.TB, o Options) *Lab {
	t.Helper()
	if err := Supported(); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v (needs root, iproute2 and util-linux; CI requires it)", err)
	}
	l, err := build()
	if err != nil {
		t.Fatalf("netlab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("netlab: %v", err)
		}
	})
	if o.Kbit > 0 {
		if err := l.Shape(o.Kbit); err != nil {
			t.Fatalf("netlab: %v", err)
		}
	}
	return l
}

// Supported reports why a lab cannot be built here, nil if it can.
func Supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root", ErrUnsupported)
	}
	for _, tool := range []string{"ip", "tc", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not found: %w", ErrUnsupported, tool, err)
		}
	}
	// Root in a container may still lack CAP_SYS_ADMIN: try once.
	home, err := openHome()
	if err != nil {
		return err
	}
	defer home.Close()
	ns, err := newNetns(home)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return ns.close()
}

// build creates both namespaces, the veth pair and the Nets; on failure it
// removes what it made.
func build() (l *Lab, err error) {
	home, err := openHome()
	if err != nil {
		return nil, err
	}
	l = &Lab{home: home, AddrA: netip.AddrFrom4([4]byte{10, 213, 0, 1}),
		AddrB: netip.AddrFrom4([4]byte{10, 213, 0, 2})}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	for i := range l.ns {
		if l.ns[i], err = newNetns(home); err != nil {
			return nil, err
		}
	}
	if err := l.link(); err != nil {
		return nil, err
	}
	for i, side := range []Side{A, B} {
		if l.nets[i], err = newNet(l.ns[i]); err != nil {
			return nil, fmt.Errorf("net %s: %w", side, err)
		}
	}
	return l, nil
}

// link creates the veth pair in A with its peer in B, addresses both ends
// and brings them and both loopbacks up. addrgenmode none keeps IPv6
// link-local addresses off the veth, so ICE offers one candidate per host.
func (l *Lab) link() error {
	a, b := l.ns[A], l.ns[B]
	if err := a.run([]*os.File{b.file}, "ip", "link", "add", vethA, "type", "veth",
		"peer", "name", vethB, "netns", "/proc/self/fd/4"); err != nil {
		return err
	}
	for _, end := range []struct {
		ns   *netns
		dev  string
		addr netip.Addr
	}{{a, vethA, l.AddrA}, {b, vethB, l.AddrB}} {
		steps := [][]string{
			{"link", "set", end.dev, "addrgenmode", "none"},
			{"addr", "add", netip.PrefixFrom(end.addr, prefixLen).String(), "dev", end.dev},
			{"link", "set", end.dev, "up"},
			{"link", "set", "lo", "up"},
		}
		for _, s := range steps {
			if err := end.ns.run(nil, "ip", s...); err != nil {
				return err
			}
		}
	}
	return nil
}

// Shape limits what A sends to B to kbit kilobits per second with a
// token-bucket filter on A's veth (see tbfBurst and tbfLatency); 0 removes
// the limit. It may be called at any time, as often as needed.
func (l *Lab) Shape(kbit int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	switch {
	case kbit < 0:
		return fmt.Errorf("%w: %d kbit/s", ErrBadRate, kbit)
	case kbit == 0 && !l.shaped:
		return nil
	case kbit == 0:
		if err := l.ns[A].run(nil, "tc", "qdisc", "del", "dev", vethA, "root"); err != nil {
			return fmt.Errorf("remove limit: %w", err)
		}
		l.shaped = false
		return nil
	}
	if err := l.ns[A].run(nil, "tc", "qdisc", "replace", "dev", vethA, "root", "tbf",
		"rate", strconv.Itoa(kbit)+"kbit", "burst", tbfBurst, "latency", tbfLatency); err != nil {
		return fmt.Errorf("limit to %d kbit/s: %w", kbit, err)
	}
	l.shaped = true
	return nil
}

// In runs fn on an OS thread inside namespace side and returns its error.
// Sockets fn opens stay in that namespace; goroutines it starts run in the
// test's own namespace (open their sockets through Net instead).
func (l *Lab) In(side Side, fn func() error) error {
	if err := l.check(side); err != nil {
		return err
	}
	return l.ns[side].do(fn)
}

// Net is the pion transport.Net whose sockets are created inside namespace
// side (A or B) and whose interfaces are that namespace's: give it to
// webrtc.SettingEngine.SetNet or client.Config.Net, or its DialContext to
// an http.Transport.
func (l *Lab) Net(side Side) *Net {
	return l.nets[side]
}

func (l *Lab) check(side Side) error {
	if side != A && side != B {
		return fmt.Errorf("%w: %d", ErrBadSide, side)
	}
	return nil
}

// Close removes the lab: it drops the namespaces, which the kernel frees
// (with the veth pair) once the last socket in them is closed. New calls
// it at the end of the test; calling it again does nothing.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, n := range l.ns {
		if n != nil {
			errs = append(errs, n.close())
		}
	}
	errs = append(errs, l.home.Close())
	return errors.Join(errs...)
}
