package sfu

import (
	"encoding/binary"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BenchmarkForwardPion measures the same per-packet work as
// BenchmarkForward, but writing into a real pion PeerConnection on
// loopback: our code plus pion's interceptors, SRTP and the UDP send. The
// receiving pion client runs in the same process and cannot keep up, so
// the allocations reported are mostly its SRTP error paths; a memory
// profile (-memprofile, focus DownTrack.writeRTP) shows none on the send
// path.
func BenchmarkForwardPion(b *testing.B) {
	up, _ := newForwardFixture(b, 0)
	down := newDownTrack(up, "p_sub", up.metrics, nil)
	sfuPC, clientPC := connectedPair(b, down)
	received := make(chan struct{})
	clientPC.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() {
			defer close(received)
			buf := make([]byte, 1500)
			for {
				if _, _, err := tr.Read(buf); err != nil {
					return
				}
			}
		}()
	})
	pkt := testPacket(0)
	var h rtp.Header
	// The first packets make the client's OnTrack fire.
	for i := range 50 {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		up.forward(up.layer(0), &h, pkt)
		time.Sleep(time.Millisecond)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	start := time.Now()
	for i := 50; b.Loop(); i++ {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		up.forward(up.layer(0), &h, pkt)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "packets/s")
	b.StopTimer()
	_ = sfuPC.Close()
	_ = clientPC.Close()
	select {
	case <-received:
	case <-time.After(5 * time.Second):
	}
}

// connectedPair connects a PeerConnection of the SFU's API sending track
// to a plain pion client, without signalling (full SDP, no trickle).
func connectedPair(b *testing.B, track webrtc.TrackLocal) (sfuPC, clientPC *webrtc.PeerConnection) {
	b.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{Logger: slog.New(slog.DiscardHandler), UDPConn: conn,
		HostIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}.withDefaults()
	api, muxes, err := newAPI(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, m := range muxes {
			_ = m.Close()
		}
	})
	if sfuPC, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		b.Fatal(err)
	}
	if clientPC, err = testAPI(b).NewPeerConnection(webrtc.Configuration{}); err != nil {
		b.Fatal(err)
	}
	if _, err = sfuPC.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		b.Fatal(err)
	}
	exchange(b, sfuPC, clientPC)
	deadline := time.Now().Add(10 * time.Second)
	for sfuPC.ConnectionState() != webrtc.PeerConnectionStateConnected {
		if time.Now().After(deadline) {
			b.Fatal("pair did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return sfuPC, clientPC
}

// exchange runs one offer/answer with complete candidate lists.
func exchange(b *testing.B, offerer, answerer *webrtc.PeerConnection) {
	b.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		b.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	if err = offerer.SetLocalDescription(offer); err != nil {
		b.Fatal(err)
	}
	<-gathered
	if err = answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		b.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		b.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	if err = answerer.SetLocalDescription(answer); err != nil {
		b.Fatal(err)
	}
	<-gathered
	if err = offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		b.Fatal(err)
	}
}
