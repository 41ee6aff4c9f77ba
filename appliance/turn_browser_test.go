package appliance_test

import (
	"fmt"
	"strings"
	"testing"

	"conclave/internal/testenv"
)

// TestBrowserCallOnlyThroughTURNOverTLS: a browser that may use nothing but
// TURN over TLS on the main port (?ice=turns: relay-only, turns: servers
// only, as on a network that lets only HTTPS through) holds a call with a
// browser on an open network; video decodes both ways.
func TestBrowserCallOnlyThroughTURNOverTLS(t *testing.T) {
	a := testenv.StartAppliance(t, testenv.Options{})
	b := meetingBrowser(t, a)
	link := a.URL + "/r/firewalled?name=%s&autojoin=1%s#k=" + randomKey(t)
	open := peerPage{name: "Open", p: b.NewPage(t)}
	open.p.Navigate(fmt.Sprintf(link, "Open", ""))
	walled := peerPage{name: "Walled", p: b.NewPage(t)}
	walled.p.Navigate(fmt.Sprintf(link, "Walled", "&ice=turns"))
	for _, pp := range []peerPage{open, walled} {
		pp.p.WaitFor(`window.conclave.participants().length === 2`)
	}
	ids := map[string]string{"Open": open.selfID(), "Walled": walled.selfID()}
	for _, pp := range []peerPage{open, walled} {
		other := ids["Open"]
		if pp.name == "Open" {
			other = ids["Walled"]
		}
		waitRising(t, pp, map[string][]string{other: {"camera"}}, func(s inbound) float64 {
			return float64(s.FramesDecoded)
		})
	}
	// The walled page's selected pair must be a relay candidate.
	relayed := testenv.Eval[bool](walled.p, `(async () => {
		const stats = await window.conclave.pc.getStats();
		for (const s of stats.values()) {
			if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
				const local = stats.get(s.localCandidateId);
				return local && local.candidateType === 'relay' && local.relayProtocol === 'tls';
			}
		}
		return false;
	})()`)
	if !relayed {
		t.Error("the walled page's connection does not go through a TURN-over-TLS relay")
	}
	m := metrics(t, a)
	if !strings.Contains(m, `conclave_tls_port_connections_total{kind="turn_tls"}`) {
		t.Errorf("no TURN-over-TLS connection on the TLS port:\n%s", grepLines(m, "tls_port"))
	}
	checkPageClean(t, walled)
}
