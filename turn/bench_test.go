package turn

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRelayUclient measures relay throughput and server CPU per relayed
// packet with turnutils_uclient sessions echoing through turnutils_peer on
// loopback. Run it on its own:
//
//	go test -run '^$' -bench RelayUclient -benchtime 1x ./turn
//
// pkts/s counts relayed packets in both directions (client→peer and
// peer→client) while traffic flows; cpu-µs/pkt is this process's user+system
// time (the server; uclient and the peer are other processes) per relayed
// packet.
func BenchmarkRelayUclient(b *testing.B) {
	sizes := []struct {
		name    string
		length  string
		clients string
	}{
		{"audio-200B", "200", "20"},
		{"video-1000B", "1000", "20"},
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			for b.Loop() {
				benchRelay(b, sz.length, sz.clients)
			}
		})
	}
}

func benchRelay(b *testing.B, length, clients string) {
	peer := strconv.Itoa(startPeer(b))
	ts := startServer(b, func(c *Config) { allowLoopback(c); c.BandwidthBytesPerSecond, c.UserQuota = -1, -1 })
	var ru0 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0); err != nil {
		b.Fatal(err)
	}
	done := make(chan ucResult, 1)
	go func() {
		r, _ := runUclient(b.Context(), "turnutils_uclient", []string{"-c", "-W", string(ts.secret), "-u", "bench",
			"-e", "127.0.0.1", "-r", peer, "-n", "3000", "-m", clients, "-l", length, "-z", "1",
			"-p", port(ts.udpAddr), "127.0.0.1"})
		done <- r
	}()
	r, first, last, total := sampleRelayed(ts, done)
	var ru1 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru1); err != nil {
		b.Fatal(err)
	}
	if r.exit != 0 || total == 0 {
		b.Fatalf("uclient exit %d, relayed %v packets\n%s", r.exit, total, r.out)
	}
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	secs := last.Sub(first).Seconds()
	bytes := counterValue(ts.metrics.bytesToPeer) + counterValue(ts.metrics.bytesToClient)
	b.ReportMetric(total/secs, "pkts/s")
	b.ReportMetric(bytes*8/secs/1e6, "Mbit/s")
	b.ReportMetric(float64(cpu.Microseconds())/total, "cpu-µs/pkt")
	b.ReportMetric(float64(r.lost), "lost")
	b.Logf("%v relayed packets (%v to peer, %v to client) in %.2f s, %.1f MB, server CPU %s; uclient sent %d, received %d, lost %d",
		total, counterValue(ts.metrics.packetsToPeer), counterValue(ts.metrics.packetsToClient), secs, bytes/1e6, cpu,
		r.sendMsgs, r.recvMsgs, r.lost)
}

// sampleRelayed polls the relayed-packet counters until uclient ends and
// returns when traffic started and stopped and how many packets passed.
func sampleRelayed(ts *testServer, done <-chan ucResult) (r ucResult, first, last time.Time, total float64) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r = <-done:
			return r, first, last, total
		case now := <-tick.C:
			n := counterValue(ts.metrics.packetsToPeer) + counterValue(ts.metrics.packetsToClient)
			if n > total {
				if total == 0 {
					first = now
				}
				total, last = n, now
			}
		}
	}
}
