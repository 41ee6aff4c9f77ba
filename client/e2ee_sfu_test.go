package client_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"conclave/client"

	"github.com/pion/transport/v5/test"
)

// TestE2EEThreeBotsAndAnOutsider: three bots with the same room secret decrypt all of each
// other's media with no failures, agree on the safety code and read each other's chat; a
// fourth bot with another secret decrypts nothing, nobody decrypts its media, and its chat
// and theirs do not cross.
func TestE2EEThreeBotsAndAnOutsider(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	var bots []*e2eeBot
	for _, name := range []string{"ada", "bob", "cy"} {
		bots = append(bots, joinE2EE(t, url, "e2ee", name, botOpts{secret: secretOf(1), publish: true}))
	}
	waitFor(t, 15*time.Second, "every bot decrypting every other", func() bool { return decrypting(bots, 1) })
	eve := joinE2EE(t, url, "e2ee", "eve", botOpts{secret: secretOf(2), publish: true})
	for _, b := range bots {
		if err := b.SendChat("hello from " + b.name); err != nil {
			t.Fatalf("chat: %v", err)
		}
	}
	if err := eve.SendChat("eve was here"); err != nil {
		t.Fatalf("chat: %v", err)
	}
	// Two seconds of media, a video key frame included, after eve joined.
	waitFor(t, 15*time.Second, "media from eve at everyone", func() bool {
		for _, b := range bots {
			if b.Received(eve.ParticipantID(), "video").Frames < 30 || b.Received(eve.ParticipantID(), "audio").KeyMissing < 50 {
				return false
			}
		}
		return decrypting(bots, 100)
	})
	waitFor(t, 5*time.Second, "chat at everyone", func() bool {
		for _, b := range bots {
			for _, o := range bots {
				if o != b && len(b.chatTexts(o.ParticipantID())) == 0 {
					return false
				}
			}
		}
		return true
	})
	codes := map[string]bool{}
	for _, b := range bots {
		for _, o := range bots {
			if o == b {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				st := b.Received(o.ParticipantID(), kind)
				t.Logf("%s from %s %s: %d packets, %d frames, %d decrypted, %d failures, %d replayed, %d no key",
					b.name, o.name, kind, st.Packets, st.Frames, st.Decrypted, st.DecryptFailures, st.Replayed, st.KeyMissing)
				if st.DecryptFailures != 0 || st.KeyMissing != 0 {
					t.Errorf("%s from %s %s: %d failures, %d without key; want none", b.name, o.name, kind, st.DecryptFailures, st.KeyMissing)
				}
				if kind == "video" && (st.Width != 640 || st.Height != 360 || st.KeyFrames == 0) {
					t.Errorf("%s from %s: %dx%d from %d key frames, want 640x360 read from decrypted key frames",
						b.name, o.name, st.Width, st.Height, st.KeyFrames)
				}
			}
			if got := b.chatTexts(o.ParticipantID()); !slices.Equal(got, []string{"hello from " + o.name}) {
				t.Errorf("%s got chat %q from %s", b.name, got, o.name)
			}
		}
		if from := eve.Received(b.ParticipantID(), "video"); from.KeyFrames != 0 {
			t.Errorf("eve read %d key frames from %s's video without its key, want 0", from.KeyFrames, b.name)
		}
		if from := eve.Received(b.ParticipantID(), "video"); from.Decrypted != 0 || from.Frames == 0 {
			t.Errorf("eve decrypted %d of %d video frames from %s, want 0 of some", from.Decrypted, from.Frames, b.name)
		}
		if st := b.Received(eve.ParticipantID(), "video"); st.Decrypted != 0 {
			t.Errorf("%s decrypted %d video frames from eve", b.name, st.Decrypted)
		}
		if got := b.chatTexts(eve.ParticipantID()); len(got) != 0 {
			t.Errorf("%s read eve's chat %q", b.name, got)
		}
		code, verified, _ := b.SafetyCode()
		if len(verified) != 2 || slices.Contains(verified, eve.ParticipantID()) {
			t.Errorf("%s verified %v, want the two others only", b.name, verified)
		}
		codes[code.String()] = true
	}
	if len(codes) != 1 {
		t.Errorf("safety codes differ: %v", codes)
	}
	if eveStats := eve.Stats(); eveStats.Decrypted != 0 || len(eve.chatTexts(bots[0].ParticipantID())) != 0 {
		t.Errorf("eve decrypted %d frames and read %d chats", eveStats.Decrypted, len(eve.chatTexts(bots[0].ParticipantID())))
	}
}

// TestE2EEForwardSecrecy: after a bot leaves, the others move to a new generation that the
// keys the leaver held cannot decrypt; a bot that joins afterwards cannot decrypt the frames
// sent before it joined.
func TestE2EEForwardSecrecy(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	ada := joinE2EE(t, url, "fs", "ada", botOpts{secret: secretOf(1), publish: true})
	bob := joinE2EE(t, url, "fs", "bob", botOpts{secret: secretOf(1), publish: true})
	cy := joinE2EE(t, url, "fs", "cy", botOpts{secret: secretOf(1), publish: true})
	waitFor(t, 15*time.Second, "every bot decrypting every other", func() bool { return decrypting([]*e2eeBot{ada, bob, cy}, 20) })
	leaverKeys := cy.KeyTable()
	gen0 := ada.SenderKey().Gen
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	leftAt := time.Now()
	if err := cy.Leave(ctx); err != nil {
		t.Fatalf("leave: %v", err)
	}
	waitFor(t, 10*time.Second, "a new generation at ada and bob", func() bool {
		return ada.SenderKey().Gen > gen0 && bob.SenderKey().Gen > gen0
	})
	t.Logf("new generation in use %v after the leave", time.Since(leftAt).Round(time.Millisecond))
	gen1 := ada.SenderKey().Gen
	inGen := func(g uint32) func(sealedFrame) bool {
		return func(f sealedFrame) bool { k, ok := f.kid(); return ok && k.Generation == uint8(g&3) }
	}
	waitFor(t, 5*time.Second, "frames of the new generation at bob", func() bool {
		return len(bob.framesFrom(ada.ParticipantID(), inGen(gen1))) >= 40
	})
	newFrames := bob.framesFrom(ada.ParticipantID(), inGen(gen1))
	oldFrames := bob.framesFrom(ada.ParticipantID(), inGen(gen0))
	if n := decryptWith(leaverKeys, newFrames); n != 0 {
		t.Errorf("the leaver's keys decrypt %d of %d new-generation frames", n, len(newFrames))
	}
	if n := decryptWith(leaverKeys, oldFrames); n == 0 {
		t.Errorf("control: the leaver's keys decrypt none of %d frames from before it left", len(oldFrames))
	}
	for _, f := range newFrames {
		if !f.ok {
			t.Fatalf("bob failed to decrypt a new-generation frame from ada")
		}
	}
	// A joiner: the frames so far were sent before it joined.
	before := bob.framesFrom(ada.ParticipantID(), func(sealedFrame) bool { return true })
	dee := joinE2EE(t, url, "fs", "dee", botOpts{secret: secretOf(1), publish: true})
	waitFor(t, 15*time.Second, "dee decrypting ada and bob", func() bool {
		return dee.Received(ada.ParticipantID(), "video").Decrypted > 10 && dee.Received(bob.ParticipantID(), "video").Decrypted > 10
	})
	if n := decryptWith(dee.KeyTable(), before); n != 0 {
		t.Errorf("the joiner's keys decrypt %d of %d frames sent before it joined", n, len(before))
	}
	t.Logf("leaver: 0/%d new, %d old frames; joiner: 0/%d earlier frames", len(newFrames), len(oldFrames), len(before))
	for _, b := range []*e2eeBot{ada, bob, dee} {
		if st := b.Stats(); st.DecryptFailures != 0 {
			t.Errorf("%s: %d decrypt failures", b.name, st.DecryptFailures)
		}
	}
}

// TestE2EECiphertextTap: a plaintext marker in every frame of the E2EE bots never shows up in
// what the SFU forwards, at a subscriber without keys or at the bots themselves, while the
// bots' decrypted frames hold it; a control bot sending in clear shows the tap can see it.
func TestE2EECiphertextTap(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	marker := []byte("CONCLAVE-PLAINTEXT-MARKER-7f3a")
	ada := joinE2EE(t, url, "tap", "ada", botOpts{secret: secretOf(1), publish: true, marker: marker})
	bob := joinE2EE(t, url, "tap", "bob", botOpts{secret: secretOf(1), publish: true, marker: marker})
	clear := joinE2EE(t, url, "tap", "clear", botOpts{publish: true, marker: marker})
	tap := joinE2EE(t, url, "tap", "tap", botOpts{})
	// 30 s: four bots joining and exchanging keys on a CI machine that runs every package's
	// tests at once took longer than 15 s once.
	logged := time.Now()
	waitFor(t, 30*time.Second, "two seconds of media at the tap", func() bool {
		ok := decrypting([]*e2eeBot{ada, bob}, 30) && tap.Received(ada.ParticipantID(), "video").Packets > 100 &&
			tap.Received(clear.ParticipantID(), "video").Packets > 100
		if !ok && time.Since(logged) > 5*time.Second {
			logged = time.Now()
			t.Logf("waiting: ada decrypted %d of bob's video, bob %d of ada's; the tap got %d packets of ada's video, %d of clear's",
				ada.Received(bob.ParticipantID(), "video").Decrypted, bob.Received(ada.ParticipantID(), "video").Decrypted,
				tap.Received(ada.ParticipantID(), "video").Packets, tap.Received(clear.ParticipantID(), "video").Packets)
		}
		return ok
	})
	for _, b := range []*e2eeBot{ada, bob, clear, tap} {
		_ = b.Close() // nothing arrives any more while the streams are read
	}
	for _, b := range []*e2eeBot{ada, bob, clear, tap} {
		b.mu.Lock()
		for key, stream := range b.streams {
			fromClear := bytes.HasPrefix([]byte(key), []byte(clear.ParticipantID()+"/"))
			if got := bytes.Contains(stream, marker); got != fromClear {
				t.Errorf("%s: marker in %d forwarded bytes of %s: %v, want %v", b.name, len(stream), key, got, fromClear)
			}
		}
		b.mu.Unlock()
	}
	bob.mu.Lock()
	defer bob.mu.Unlock()
	for _, kind := range []string{"audio", "video"} {
		if !bytes.Contains(bob.plains[ada.ParticipantID()+"/"+kind], marker) {
			t.Errorf("control: bob's decrypted %s frames from ada lack the marker", kind)
		}
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if len(tap.streams) != 6 {
		t.Errorf("tap saw %d tracks, want 6", len(tap.streams))
	}
}

// TestE2EEResume: a bot that loses its socket and resumes keeps decrypting and being
// decrypted (its announce, sent again, makes the other resend its key), with no failures.
func TestE2EEResume(t *testing.T) {
	t.Cleanup(test.CheckRoutines(t))
	url := startSFU(t)
	ada := joinE2EE(t, url, "resume", "ada", botOpts{secret: secretOf(1), publish: true})
	bob := joinE2EE(t, url, "resume", "bob", botOpts{secret: secretOf(1), publish: true})
	waitFor(t, 15*time.Second, "both decrypting", func() bool { return decrypting([]*e2eeBot{ada, bob}, 10) })
	bob.DropSocket()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := bob.Resume(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	fromAda, fromBob := bob.Received(ada.ParticipantID(), "video").Decrypted, ada.Received(bob.ParticipantID(), "video").Decrypted
	waitFor(t, 15*time.Second, "decrypting both ways after the resume", func() bool {
		return bob.Received(ada.ParticipantID(), "video").Decrypted > fromAda+20 &&
			ada.Received(bob.ParticipantID(), "video").Decrypted > fromBob+20
	})
	if err := bob.SendChat("back"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "chat after the resume", func() bool { return len(ada.chatTexts(bob.ParticipantID())) == 1 })
	for _, b := range []*e2eeBot{ada, bob} {
		if st := b.Stats(); st.DecryptFailures != 0 {
			t.Errorf("%s: %d decrypt failures", b.name, st.DecryptFailures)
		}
	}
	plain := joinE2EE(t, url, "resume", "plain", botOpts{})
	if err := plain.SendChat("x"); !errors.Is(err, client.ErrNoE2EE) {
		t.Errorf("chat without a secret: got %v, want ErrNoE2EE", err)
	}
}
