package turn

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// rawClient speaks TURN with hand-built STUN messages, to send what no
// well-behaved client library would (an IPv6-family XOR-PEER-ADDRESS on an
// IPv4 allocation) and to issue Refresh at will.
type rawClient struct {
	t                         *testing.T
	conn                      net.PacketConn
	server                    net.Addr
	username, password, realm string
	nonce                     stun.Nonce
	data                      chan []byte // payloads of Data indications and ChannelData
}

func newRawClient(t *testing.T, server net.Addr, username, password string) *rawClient {
	t.Helper()
	return &rawClient{t: t, conn: listenUDP(t), server: server, username: username, password: password,
		data: make(chan []byte, 16)}
}

// do sends a request and returns the response with the same transaction ID,
// queueing Data indications that arrive meanwhile.
func (c *rawClient) do(setters ...stun.Setter) *stun.Message {
	c.t.Helper()
	req, err := stun.Build(setters...)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.WriteTo(req.Raw, c.server); err != nil {
		c.t.Fatal(err)
	}
	for {
		m := c.read(2 * time.Second)
		if m == nil {
			c.t.Fatalf("no response to %v", req.Type)
		}
		if m.TransactionID == req.TransactionID {
			return m
		}
	}
}

// read returns the next STUN message other than a Data indication within d,
// or nil; relayed payloads go to c.data.
func (c *rawClient) read(d time.Duration) *stun.Message {
	c.t.Helper()
	buf := make([]byte, 1600)
	deadline := time.Now().Add(d)
	for {
		if err := c.conn.SetReadDeadline(deadline); err != nil {
			c.t.Fatal(err)
		}
		n, _, err := c.conn.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		if err != nil {
			c.t.Fatal(err)
		}
		if n >= 4 && buf[0]&0xC0 == 0x40 { // ChannelData (RFC 8656 section 12.4)
			if l := int(binary.BigEndian.Uint16(buf[2:4])); 4+l <= n {
				c.data <- append([]byte(nil), buf[4:4+l]...)
			}
			continue
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if m.Decode() != nil {
			continue
		}
		if m.Type == stun.NewType(stun.MethodData, stun.ClassIndication) {
			if v, err := m.Get(stun.AttrData); err == nil {
				c.data <- v
			}
			continue
		}
		return m
	}
}

// request sends an authenticated request, learning the nonce on first use.
func (c *rawClient) request(method stun.Method, attrs ...stun.Setter) *stun.Message {
	c.t.Helper()
	if c.nonce == nil {
		m := c.do(stun.TransactionID, stun.NewType(method, stun.ClassRequest), requestedUDP)
		if err := c.nonce.GetFrom(m); err != nil {
			c.t.Fatalf("no nonce in challenge: %v", err)
		}
		var realm stun.Realm
		if err := realm.GetFrom(m); err != nil {
			c.t.Fatalf("no realm in challenge: %v", err)
		}
		c.realm = realm.String()
	}
	setters := append([]stun.Setter{stun.TransactionID, stun.NewType(method, stun.ClassRequest)}, attrs...)
	setters = append(setters, stun.NewUsername(c.username), stun.NewRealm(c.realm), c.nonce,
		stun.NewLongTermIntegrity(c.username, c.realm, c.password))
	return c.do(setters...)
}

// allocate returns the relayed address.
func (c *rawClient) allocate() *net.UDPAddr {
	c.t.Helper()
	m := c.request(stun.MethodAllocate, requestedUDP)
	if code := errorCode(m); code != 0 {
		c.t.Fatalf("allocate: error %d", code)
	}
	var relayed stun.XORMappedAddress
	if err := relayed.GetFromAs(m, stun.AttrXORRelayedAddress); err != nil {
		c.t.Fatal(err)
	}
	return &net.UDPAddr{IP: relayed.IP, Port: relayed.Port}
}

// send issues a Send indication (unauthenticated, no response).
func (c *rawClient) send(peer stun.Setter, payload []byte) {
	c.t.Helper()
	m, err := stun.Build(stun.TransactionID, stun.NewType(stun.MethodSend, stun.ClassIndication), peer,
		stun.RawAttribute{Type: stun.AttrData, Value: payload})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.conn.WriteTo(m.Raw, c.server); err != nil {
		c.t.Fatal(err)
	}
}

// errorCode is the response's ERROR-CODE, or 0 for a success response.
func errorCode(m *stun.Message) stun.ErrorCode {
	if m.Type.Class == stun.ClassSuccessResponse {
		return 0
	}
	var ec stun.ErrorCodeAttribute
	if err := ec.GetFrom(m); err != nil {
		return -1
	}
	return ec.Code
}

// requestedUDP is REQUESTED-TRANSPORT: UDP (RFC 8656 section 18.7).
var requestedUDP = stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{17, 0, 0, 0}}

// xorPeer encodes XOR-PEER-ADDRESS by hand with an explicit family, because
// pion's encoders pick IPv4 for ::ffff:a.b.c.d (RFC 8489 section 14.2).
type xorPeer struct {
	family byte // 0x01 IPv4, 0x02 IPv6
	ip     net.IP
	port   uint16
}

func (x xorPeer) AddTo(m *stun.Message) error {
	const cookie = 0x2112A442
	ip := x.ip.To16()
	if x.family == 0x01 {
		ip = x.ip.To4()
	}
	key := binary.BigEndian.AppendUint32(nil, cookie)
	key = append(key, m.TransactionID[:]...)
	v := []byte{0, x.family, 0, 0}
	binary.BigEndian.PutUint16(v[2:], x.port^uint16(cookie>>16))
	for i, b := range ip {
		v = append(v, b^key[i])
	}
	m.Add(stun.AttrXORPeerAddress, v)
	return nil
}
