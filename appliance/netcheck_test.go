package appliance_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"conclave/internal/testenv"
)

// TestNetCheckCredentials: POST /net-check lends short-lived TURN
// credentials for every way to the relay, at most 6 a minute per address,
// and refuses a cross-site POST.
func TestNetCheckCredentials(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	post := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/net-check", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post("https://evil.example")
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	resp = post("")
	var got struct {
		IceServers []struct {
			URLs                 []string `json:"urls"`
			Username, Credential string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /net-check: %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if len(got.IceServers) != 1 || got.IceServers[0].Username == "" || got.IceServers[0].Credential == "" ||
		!strings.Contains(strings.Join(got.IceServers[0].URLs, " "), "turns:") {
		t.Fatalf("got %+v, want one TURN server with credentials and a turns: URL", got)
	}
	for i := 2; i <= 7; i++ {
		resp := post("")
		resp.Body.Close()
		if want := map[bool]int{true: http.StatusOK, false: http.StatusTooManyRequests}[i <= 6]; resp.StatusCode != want {
			t.Errorf("check %d in a minute: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

// TestBrowserNetCheckBeforeJoining: the pre-join screen's "Check my
// connection" tries UDP, TCP and TLS to the relay and says they work (all
// do on loopback).
func TestBrowserNetCheckBeforeJoining(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	p := meetingBrowser(t, a).NewPage(t)
	p.Navigate(a.URL + "/r/check?lang=en#k=" + randomKey(t))
	p.WaitFor(`!document.getElementById("prejoin").hidden`)
	p.Do(chromedp.Click(chromedp.CSS("#prejoin-netcheck")))
	p.WaitFor(`document.getElementById("netcheck-summary").dataset.verdict !== undefined`)
	rows := testenv.Eval[[]string](p, `[...document.querySelectorAll("#netcheck-list li")].map((li) => li.dataset.ok + " " + li.textContent)`)
	if len(rows) != 3 {
		t.Fatalf("rows %q, want UDP, TCP and TLS (no live connection yet)", rows)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r, "true ") {
			t.Errorf("%q: want working on loopback", r)
		}
	}
	if v := testenv.Eval[string](p, `document.getElementById("netcheck-summary").dataset.verdict`); v != "good" {
		t.Errorf("verdict %q, want good", v)
	}
	p.Screenshot(screenshotPath(t, "prejoin-netcheck.png"))
	checkPageClean(t, peerPage{"prejoin", p})
}
