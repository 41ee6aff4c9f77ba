package e2ee

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"conclave/sframe"
)

var update = flag.Bool("update", false, "rewrite testdata/e2ee/vectors.json")

// vectorsPath is the file the browser tests read; it lives at the repository root.
var vectorsPath = filepath.Join("..", "..", "testdata", "e2ee", "vectors.json")

func u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type vecParticipant struct {
	PID      string            `json:"pid"`
	Index    uint8             `json:"index"`
	D        string            `json:"d"`
	X        string            `json:"x"`
	Y        string            `json:"y"`
	Point    string            `json:"point"`
	JWK      map[string]string `json:"jwk"`
	Announce json.RawMessage   `json:"announce"`
	MAC      string            `json:"mac"`
}

type vecPair struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Shared  string `json:"shared"`
	PairKey string `json:"pairKey"`
}

type vecKeyMsg struct {
	From    string          `json:"from"`
	To      string          `json:"to"`
	Gen     uint32          `json:"gen"`
	Step    uint32          `json:"step"`
	BaseKey string          `json:"baseKey"`
	Nonce   string          `json:"nonce"`
	AAD     string          `json:"aad"`
	CT      string          `json:"ct"`
	Message json.RawMessage `json:"message"`
}

type vecMsg struct {
	From    string          `json:"from"`
	Gen     uint32          `json:"gen"`
	Step    uint32          `json:"step"`
	BaseKey string          `json:"baseKey"`
	MsgKey  string          `json:"msgKey"`
	Nonce   string          `json:"nonce"`
	Body    string          `json:"body"`
	AAD     string          `json:"aad"`
	CT      string          `json:"ct"`
	Message json.RawMessage `json:"message"`
}

type vecFrame struct {
	Codec     string `json:"codec"`
	Index     uint8  `json:"index"`
	Gen       uint32 `json:"gen"`
	Step      uint32 `json:"step"`
	KID       uint64 `json:"kid"`
	BaseKey   string `json:"baseKey"`
	CTR       uint64 `json:"ctr"`
	Plain     string `json:"plaintext"`
	Encrypted string `json:"encrypted"`
}

type vecSafety struct {
	PIDs          []string `json:"pids"`
	Hash          string   `json:"hash"`
	Emoji         [6]int   `json:"emoji"`
	Digits        string   `json:"digits"`
	DigitsGrouped string   `json:"digitsGrouped"`
}

type vectors struct {
	Comment      string           `json:"comment"`
	Secret       string           `json:"secret"`
	Link         string           `json:"link"`
	Room         string           `json:"room"`
	MACKey       string           `json:"macKey"`
	WrapKey      string           `json:"wrapKey"`
	Participants []vecParticipant `json:"participants"`
	Pairs        []vecPair        `json:"pairs"`
	Ratchet      []string         `json:"ratchet"`
	KeyMessages  []vecKeyMsg      `json:"keyMessages"`
	Ack          json.RawMessage  `json:"ack"`
	Msgs         []vecMsg         `json:"msgs"`
	Frames       []vecFrame       `json:"frames"`
	Safety       vecSafety        `json:"safety"`
}

// fixedBytes is n bytes counting up from start.
func fixedBytes(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

type vecPeer struct {
	pid   string
	index uint8
	priv  *ecdh.PrivateKey
}

// vecPeers are three participants with private keys d = SHA-256("conclave vector " + name).
func vecPeers(t *testing.T) []vecPeer {
	var out []vecPeer
	for _, p := range []struct {
		name  string
		index uint8
	}{{"alice", 7}, {"bob", 12}, {"carol", 200}} {
		d := sha256.Sum256([]byte("conclave vector " + p.name))
		priv, err := ecdh.P256().NewPrivateKey(d[:])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vecPeer{pid: "p_" + p.name, index: p.index, priv: priv})
	}
	return out
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func makeVectors(t *testing.T) vectors {
	secret := fixedBytes(0, 32)
	room := "brisk-otter-42"
	keys, err := NewRoomKeys(secret, room)
	if err != nil {
		t.Fatal(err)
	}
	v := vectors{
		Comment: "Conclave E2EE v1 test vectors (docs/e2ee.md); see README.md. Made by client/e2ee TestWriteVectors -update.",
		Secret:  u(secret), Room: room, Link: "https://meet.example.org/r/" + room + "#k=" + u(secret),
		MACKey: u(keys.macKey), WrapKey: u(keys.wrapKey),
	}
	peers := vecPeers(t)
	var entries []Entry
	for _, p := range peers {
		v.Participants = append(v.Participants, vecParticipantOf(t, keys, p))
		pub := p.priv.PublicKey()
		entries = append(entries, Entry{PID: p.pid, Index: p.index, ECDH: pub.Bytes(), Public: pub})
	}
	alice, bob := peers[0], peers[1]
	pab := vecPairOf(t, keys, alice, bob)
	pba := vecPairOf(t, keys, bob, alice)
	v.Pairs = []vecPair{
		{From: alice.pid, To: bob.pid, Shared: u(pab.shared), PairKey: u(keys.pairKey(pab.shared, alice.pid, bob.pid))},
		{From: bob.pid, To: alice.pid, Shared: u(pba.shared), PairKey: u(keys.pairKey(pba.shared, bob.pid, alice.pid))},
	}
	chain := [][]byte{fixedBytes(0xa0, 16)}
	for range 3 {
		next, err := sframe.Ratchet(Suite, chain[len(chain)-1])
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, next)
	}
	for _, c := range chain {
		v.Ratchet = append(v.Ratchet, u(c))
	}
	v.KeyMessages = []vecKeyMsg{
		vecKeyMsgOf(t, keys, pab, alice.index, SenderKey{Gen: 0, Step: 0, Key: chain[0]}, fixedBytes(0x10, 12)),
		vecKeyMsgOf(t, keys, pab, alice.index, SenderKey{Gen: 3, Step: 2, Key: chain[2]}, fixedBytes(0x20, 12)),
	}
	v.Ack = mustJSON(t, Ack{Gen: 3, Step: 2})
	v.Msgs = []vecMsg{vecMsgOf(t, keys, alice, SenderKey{Gen: 3, Step: 2, Key: chain[2]}, fixedBytes(0x30, 12),
		`{"kind":"chat","id":"m1","text":"Grüße 👋","ts":1732579200000}`)}
	v.Frames = []vecFrame{
		vecFrameOf(t, sframe.CodecVP8, alice.index, SenderKey{Gen: 3, Step: 2, Key: chain[2]}, append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}, fixedBytes(0x40, 10)...)),
		vecFrameOf(t, sframe.CodecVP8, alice.index, SenderKey{Gen: 3, Step: 2, Key: chain[2]}, append([]byte{0x31}, fixedBytes(0x50, 10)...)),
		vecFrameOf(t, sframe.CodecOpus, alice.index, SenderKey{Gen: 0, Step: 0, Key: chain[0]}, fixedBytes(0x60, 10)),
	}
	code := ComputeSafetyCode(room, entries)
	v.Safety = vecSafety{PIDs: []string{alice.pid, bob.pid, peers[2].pid}, Hash: u(code[:]), Emoji: code.Emoji(),
		Digits: code.Digits(), DigitsGrouped: code.String()}
	return v
}

func vecParticipantOf(t *testing.T, keys *RoomKeys, p vecPeer) vecParticipant {
	pub := p.priv.PublicKey().Bytes()
	a := keys.NewAnnounce(p.pid, p.index, p.priv.PublicKey())
	x, y := u(pub[1:33]), u(pub[33:])
	return vecParticipant{PID: p.pid, Index: p.index, D: u(p.priv.Bytes()), X: x, Y: y, Point: u(pub),
		JWK:      map[string]string{"kty": "EC", "crv": "P-256", "d": u(p.priv.Bytes()), "x": x, "y": y},
		Announce: mustJSON(t, a), MAC: u(a.MAC)}
}

func vecPairOf(t *testing.T, keys *RoomKeys, me, peer vecPeer) *Pair {
	p, err := keys.NewPair(me.priv, me.pid, peer.priv.PublicKey(), peer.pid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func vecKeyMsgOf(t *testing.T, keys *RoomKeys, p *Pair, index uint8, sk SenderKey, nonce []byte) vecKeyMsg {
	m, err := p.Wrap(index, sk, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return vecKeyMsg{From: p.myPID, To: p.peerPID, Gen: sk.Gen, Step: sk.Step, BaseKey: u(sk.Key), Nonce: u(nonce),
		AAD: u(keys.keyAAD(p.myPID, p.peerPID, index, sk.Gen, sk.Step)), CT: u(m.CT), Message: mustJSON(t, m)}
}

func vecMsgOf(t *testing.T, keys *RoomKeys, from vecPeer, sk SenderKey, nonce []byte, body string) vecMsg {
	m, err := keys.SealMsg(from.pid, from.index, sk, nonce, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return vecMsg{From: from.pid, Gen: sk.Gen, Step: sk.Step, BaseKey: u(sk.Key), MsgKey: u(msgKey(sk.Key)),
		Nonce: u(nonce), Body: body, AAD: u(keys.msgAAD(from.pid, from.index, sk.Gen, sk.Step)), CT: u(m.CT),
		Message: mustJSON(t, m)}
}

func vecFrameOf(t *testing.T, codec sframe.Codec, index uint8, sk SenderKey, frame []byte) vecFrame {
	kid := kidOf(index, sk.Gen, sk.Step)
	s, err := sframe.NewSender(Suite, kid, sk.Key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sframe.EncryptFrame(s, codec, frame)
	if err != nil {
		t.Fatal(err)
	}
	return vecFrame{Codec: codec.String(), Index: index, Gen: sk.Gen, Step: sk.Step, KID: kid, BaseKey: u(sk.Key),
		CTR: 0, Plain: u(frame), Encrypted: u(out)}
}

// TestWriteVectors checks the committed vectors.json against a fresh computation; with
// -update it rewrites the file instead.
func TestWriteVectors(t *testing.T) {
	b, err := json.MarshalIndent(makeVectors(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(vectorsPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", vectorsPath, len(b))
		return
	}
	got, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("read %s: %v (run go test -run TestWriteVectors -update)", vectorsPath, err)
	}
	if !bytes.Equal(got, b) {
		t.Fatalf("%s differs from a fresh computation; rerun with -update if the change is intended", vectorsPath)
	}
}
