package turn

import (
	"net"
	"testing"
)

func TestQuotas(t *testing.T) {
	a1 := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1000}
	a1b := &net.TCPAddr{IP: net.ParseIP("::ffff:198.51.100.1"), Port: 2000} // same IP, mapped, TCP
	a2 := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 2), Port: 1000}
	type op struct {
		add  bool // add (true) or remove (false) before checking
		user string
		src  net.Addr
	}
	tests := []struct {
		name             string
		user, ip, global int
		ops              []op
		checkUser        string
		checkSrc         net.Addr
		want             string
	}{
		{"empty", 1, 1, 1, nil, "u", a1, ""},
		{"user full", 2, 10, 10, []op{{true, "u", a1}, {true, "u", a2}}, "u", a1, quotaUser},
		{"other user fits", 2, 10, 10, []op{{true, "u", a1}, {true, "u", a2}}, "v", a2, ""},
		{"ip full across transports and mapping", 10, 2, 10, []op{{true, "u", a1}, {true, "v", a1b}}, "w", a1, quotaIP},
		{"global full", 10, 10, 2, []op{{true, "u", a1}, {true, "v", a2}}, "w", a2, quotaGlobal},
		{"removal frees", 1, 1, 1, []op{{true, "u", a1}, {false, "u", a1}}, "u", a1, ""},
		{"negative is unlimited", -1, -1, -1, []op{{true, "u", a1}, {true, "u", a1}}, "u", a1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQuotas(tt.user, tt.ip, tt.global)
			for _, o := range tt.ops {
				if o.add {
					q.add(o.user, o.src)
				} else {
					q.remove(o.user, o.src)
				}
			}
			if got := q.check(tt.checkUser, tt.checkSrc); got != tt.want {
				t.Fatalf("check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQuotasShrink(t *testing.T) {
	q := newQuotas(5, 5, 5)
	a := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 1000}
	q.add("u", a)
	q.remove("u", a)
	if len(q.byUser) != 0 || len(q.byIP) != 0 || q.live() != 0 {
		t.Fatalf("after add+remove: users %d, ips %d, total %d; want all 0", len(q.byUser), len(q.byIP), q.live())
	}
}
