package appliance_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"conclave/client"
	"conclave/internal/testenv"
)

// apiCall makes one JSON API request with a bearer token and decodes the
// answer into out (unless nil); it returns the status.
func apiCall(t *testing.T, a *testenv.Appliance, token, method, path string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d, decode: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// joinPace keeps tryJoin under the SFU's limit of joins per address (5 a
// second), so that a rate-limited answer comes from the room policy.
const joinPace = 250 * time.Millisecond

// tryJoin joins like joinBot but returns the error instead of failing.
func tryJoin(t *testing.T, a *testenv.Appliance, room, name string, edit func(*client.Config)) (*client.Client, error) {
	t.Helper()
	time.Sleep(joinPace)
	cfg := client.Config{
		URL:         strings.Replace(a.URL, "https://", "wss://", 1) + "/ws",
		TLSConfig:   &tls.Config{RootCAs: a.Roots},
		Room:        room,
		Name:        name,
		ICEIPFilter: loopbackOnly,
		Logger:      discardLogger(),
	}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, err := client.Join(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, err
}

// errorCode is the protocol error code of a refused join, "" if none.
func errorCode(err error) string {
	var se *client.ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// TestJoinPolicyThroughTheSFU: rooms made through the JSON API are
// enforced by the SFU for real joins: members-only refuses guests, a wrong
// password is refused and then throttled, the lobby holds a guest until a
// moderator admits or denies it, and the room's size limit holds.
func TestJoinPolicyThroughTheSFU(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	token := createToken(t, a.Config.DataDir, "policy") // a service token acts as an admin
	rooms := []map[string]any{
		{"slug": "staff", "access": "members"},
		{"slug": "maths", "access": "password", "password": "pythagoras 7b"},
		{"slug": "waiting", "lobby": true},
		{"slug": "small", "max_participants": 2},
	}
	for _, r := range rooms {
		if code := apiCall(t, a, token, http.MethodPost, "/api/v1/rooms", r, nil); code != http.StatusCreated {
			t.Fatalf("create room %v: %d", r["slug"], code)
		}
	}

	t.Run("members only", func(t *testing.T) {
		if _, err := tryJoin(t, a, "staff", "Guest", nil); errorCode(err) != "members-only" {
			t.Errorf("a guest: %v, want members-only", err)
		}
		if _, err := tryJoin(t, a, "staff", "Staff bot", func(c *client.Config) { c.Token = token }); err != nil {
			t.Errorf("with a token: %v", err)
		}
	})

	t.Run("password", func(t *testing.T) {
		if _, err := tryJoin(t, a, "maths", "No password", nil); errorCode(err) != "password-required" {
			t.Errorf("without a password: %v, want password-required", err)
		}
		if _, err := tryJoin(t, a, "maths", "Pupil", func(c *client.Config) { c.Password = "pythagoras 7b" }); err != nil {
			t.Errorf("the right password: %v", err)
		}
		var codes []string
		for range 6 {
			_, err := tryJoin(t, a, "maths", "Guesser", func(c *client.Config) { c.Password = "euclid" })
			codes = append(codes, errorCode(err))
		}
		t.Logf("six wrong passwords: %v", codes)
		if codes[0] != "wrong-password" || codes[5] != "rate-limited" {
			t.Errorf("wrong passwords: %v, want wrong-password first and rate-limited at last", codes)
		}
		if !strings.Contains(a.Logs.String(), "too many attempts") {
			t.Error("the log shows no refusal by the room's password throttle (was it the SFU's join limit?)")
		}
		// Throttled: now even the right password from this address waits.
		if _, err := tryJoin(t, a, "maths", "Pupil 2", func(c *client.Config) { c.Password = "pythagoras 7b" }); errorCode(err) != "rate-limited" {
			t.Errorf("the right password while throttled: %v, want rate-limited", err)
		}
	})

	t.Run("lobby", func(t *testing.T) {
		teacher, err := tryJoin(t, a, "waiting", "Teacher", func(c *client.Config) { c.Token = token })
		if err != nil {
			t.Fatalf("the moderator: %v", err)
		}
		// The teacher in the meeting lets one in and turns one away; the
		// dashboard's API lets the third in.
		for _, verdict := range []string{"admit", "deny", "api-admit"} {
			result := make(chan error, 1)
			go func() {
				_, err := tryJoin(t, a, "waiting", "Guest "+verdict, nil)
				result <- err
			}()
			pid := waitKnock(t, a, token, "waiting", "Guest "+verdict)
			if verdict == "api-admit" {
				if code := apiCall(t, a, token, http.MethodPost, "/api/v1/meetings/waiting/participants/"+pid+"/admit", nil, nil); code != http.StatusNoContent {
					t.Fatalf("admit through the API: %d", code)
				}
			} else if err := teacher.Send(map[string]string{"type": verdict, "participantId": pid}); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-result:
				if verdict != "deny" && err != nil {
					t.Errorf("admitted guest: %v", err)
				}
				if verdict == "deny" && errorCode(err) != "lobby-denied" {
					t.Errorf("denied guest: %v, want lobby-denied", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("the guest was neither admitted nor refused after %s", verdict)
			}
		}
	})

	t.Run("max participants", func(t *testing.T) {
		for _, name := range []string{"One", "Two"} {
			if _, err := tryJoin(t, a, "small", name, nil); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if _, err := tryJoin(t, a, "small", "Three", nil); errorCode(err) != "room-full" {
			t.Errorf("a third in a room of 2: %v, want room-full", err)
		}
	})
}

// waitKnock finds the lobby entry of name through the meetings API, as the
// dashboard does, and returns its participant ID.
func waitKnock(t *testing.T, a *testenv.Appliance, token, room, name string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Meetings []struct {
				Room         string
				Participants []struct {
					ID, Name string
					Lobby    bool
				}
			}
		}
		if code := apiCall(t, a, token, http.MethodGet, "/api/v1/meetings", nil, &list); code != http.StatusOK {
			t.Fatalf("GET /api/v1/meetings: %d", code)
		}
		for _, m := range list.Meetings {
			for _, p := range m.Participants {
				if m.Room == room && p.Name == name && p.Lobby {
					return p.ID
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never showed in the lobby of %s", name, room)
	return ""
}
