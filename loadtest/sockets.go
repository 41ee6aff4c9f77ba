package loadtest

import (
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// botSocketBuffer is the receive and send buffer of every UDP socket a bot opens. The bots of
// a load test share a few cores with each other (and often with the server): with the
// kernel's 200 KiB default, a bot that waits a few milliseconds for a core loses packets, asks
// for them again, and the server's retransmissions inflate what is measured (a 30-bot class
// lost 595,000 datagrams in 15 s and drew 731,000 retransmissions). The server's media socket
// has the same size (sfu/batch.go).
const botSocketBuffer = 4 << 20

// bufferedNet is the operating system's network with larger UDP socket buffers; every bot
// uses it for its ICE sockets (client.Config.Net).
type bufferedNet struct{ *stdnet.Net }

var _ transport.Net = bufferedNet{}

func newBufferedNet() (bufferedNet, error) {
	n, err := stdnet.NewNet()
	return bufferedNet{n}, err
}

// ListenUDP implements transport.Net.
func (n bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err == nil {
		sizeBuffers(c)
	}
	return c, err
}

// ListenPacket implements transport.Net.
func (n bufferedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err == nil {
		sizeBuffers(c)
	}
	return c, err
}

// sizeBuffers asks for botSocketBuffer both ways; the kernel caps it at net.core.rmem_max and
// wmem_max, and a refusal leaves the default (more retransmissions, same results).
func sizeBuffers(c any) {
	if uc, ok := c.(interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}); ok {
		_ = uc.SetReadBuffer(botSocketBuffer)
		_ = uc.SetWriteBuffer(botSocketBuffer)
	}
}
