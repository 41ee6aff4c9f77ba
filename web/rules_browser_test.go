package web_test

import (
	"testing"

	"conclave/internal/testenv"
)

// TestBrowserClientRules checks the meeting client's rules that need no
// server, in Chromium, module by module: the language choice and plurals,
// hand order and who may do what (roomstate.js), connection quality
// (quality.js), the connection check (netcheck.js), including that a
// TURN address nobody answers counts as blocked, and simulcast layers
// (layers.js).
func TestBrowserClientRules(t *testing.T) {
	srv := newTLSServer(t)
	b := testenv.NewBrowser(t, testenv.BrowserOptions{TrustSPKIs: []string{testenv.SPKIHash(srv.Certificate())}})
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/r/t?lang=en")
	p.WaitFor(`document.documentElement.lang === "en"`)
	// run evaluates expr with the module as m and returns its JSON.
	run := func(module, expr string) string {
		t.Helper()
		return testenv.Eval[string](p, `import(new URL("./`+module+`", document.querySelector("script[type=module]").src))
			.then(async (m) => JSON.stringify(await (`+expr+`)))`)
	}

	tests := []struct{ name, module, expr, want string }{
		{"browser language de-AT", "i18n.js", `m.chooseLanguage(["de-AT", "en"])`, `"de"`},
		{"stored choice wins", "i18n.js", `m.chooseLanguage(["de-DE"], "en")`, `"en"`},
		{"unknown languages fall back", "i18n.js", `m.chooseLanguage(["fr-FR", "ja"])`, `"en"`},
		{"unknown stored choice ignored", "i18n.js", `m.chooseLanguage(["de"], "xx")`, `"de"`},
		{"plural one", "i18n.js", `m.t("participants", { n: 1 })`, `"1 participant"`},
		{"plural other", "i18n.js", `m.t("participants", { n: 3 })`, `"3 participants"`},
		{"placeholder", "i18n.js", `m.t("handRaisedBy", { name: "Ada" })`, `"Ada raised their hand"`},
		{"unknown key shows itself", "i18n.js", `m.t("no.such.key")`, `"no.such.key"`},
		{"hands in the order they went up", "roomstate.js", `(() => { const s = new m.RoomState();
			s.setHand("p_c", true, 30); s.setHand("p_a", true, 10); s.setHand("p_b", true, 20); s.setHand("p_a", false, 0);
			return [s.handOrder(), s.handNumber("p_c"), s.handNumber("p_a")]; })()`, `[["p_b","p_c"],2,0]`},
		{"equal times ordered by ID everywhere", "roomstate.js", `(() => { const s = new m.RoomState();
			s.setHand("p_z", true, 5); s.setHand("p_y", true, 5); return s.handOrder(); })()`, `["p_y","p_z"]`},
		{"school mode holds a participant", "roomstate.js", `(() => { const s = new m.RoomState();
			s.welcome({ room: { locked: false, schoolMode: true }, self: { role: "participant", canUnmute: false, canShare: false },
				participants: [{ id: "p_t", name: "T", role: "moderator" }] }, "p_me", "Me");
			return [s.mayUnmute, s.mayShare, s.moderator, s.mayModerate("p_t"), s.hasRoomState]; })()`, `[false,false,false,false,true]`},
		{"a moderator is never held and acts on others only", "roomstate.js", `(() => { const s = new m.RoomState();
			s.welcome({ room: { schoolMode: true }, self: { role: "moderator" }, participants: [{ id: "p_b", name: "B" }] }, "p_me", "Me");
			return [s.mayUnmute, s.mayModerate("p_b"), s.mayModerate("p_me"), s.mayModerate("p_gone")]; })()`, `[true,true,false,false]`},
		{"an old server has no room state", "roomstate.js", `(() => { const s = new m.RoomState();
			s.welcome({ participants: [] }, "p_me", "Me"); return [s.hasRoomState, s.mayUnmute, s.moderator]; })()`, `[false,true,false]`},
		{"promotion of ourselves", "roomstate.js", `(() => { const s = new m.RoomState();
			s.welcome({ participants: [] }, "p_me", "Me"); const r = s.upsert({ id: "p_me", name: "Me", role: "moderator" });
			return [r.promoted, s.moderator, s.members.size]; })()`, `[true,true,0]`},
		{"quality: clean", "quality.js", `m.rate(1000, 0, 0.005)`, `"good"`},
		{"quality: some loss", "quality.js", `m.rate(950, 50, 0.01)`, `"fair"`},
		{"quality: heavy loss", "quality.js", `m.rate(800, 200, 0.01)`, `"poor"`},
		{"quality: jitter", "quality.js", `m.rate(1000, 0, 0.2)`, `"poor"`},
		{"quality: nothing received", "quality.js", `m.rate(0, 0, 0)`, `""`},
		{"TURN URL kinds", "netcheck.js", `["turn:h:3478?transport=udp", "turn:h:3478?transport=tcp", "turns:h:443?transport=tcp", "stun:h"].map(m.wayOf)`,
			`["udp","tcp","tls",null]`},
		{"verdicts", "netcheck.js", `[m.verdict({ direct: true, udp: false, tcp: false, tls: false }),
			m.verdict({ direct: null, udp: false, tcp: false, tls: true }), m.verdict({ direct: false, udp: false, tcp: false, tls: false })]`,
			`["good","slow","bad"]`},
		{"video sizes: first sizes, then only real changes", "videosizes.js", `(() => { const v = new m.VideoSizes();
			const a = v.update([{ trackId: "t1", width: 640, height: 360 }, { trackId: "t2", width: 0, height: 0 }]);
			const b = v.update([{ trackId: "t1", width: 660, height: 371 }, { trackId: "t2", width: 0, height: 0 }]);
			const c = v.update([{ trackId: "t1", width: 0, height: 0 }, { trackId: "t2", width: 320, height: 180 }]);
			const d = v.update([{ trackId: "t2", width: 1280.4, height: 720 }]);
			return [a.length, b.length, c.map((x) => x.trackId + ":" + x.width), d.map((x) => x.type + ":" + x.width)]; })()`,
			`[2,0,["t1:0","t2:320"],["video-size:1280"]]`},
		{"layers: well formed or not", "layers.js", `[m.parseLayers({ trackId: "t", active: ["q", 3, "f"] }), m.parseLayers({ trackId: "t" }),
			m.parseLayers({ trackId: 1, active: [] }), m.parseLayers(null), m.parseLayers({ trackId: "t", active: [] })]`,
			`[{"trackId":"t","active":["q","f"]},null,null,null,{"trackId":"t","active":[]}]`},
		{"layers: the camera's encodings", "layers.js", `m.cameraEncodings().map((e) => [e.rid, e.scaleResolutionDownBy ?? 1, e.maxBitrate])`,
			`[["q",4,150000],["h",2,500000],["f",1,1500000]]`},
		// A sender that counts setParameters calls made while another is in
		// flight (a browser refuses them: their transactionId is stale): the
		// changes go one at a time, and the wishes that came meanwhile as
		// one call with the newest.
		{"layers: one setParameters at a time, newest last", "layers.js", `(async () => {
			const enc = [{ rid: "q", active: true }, { rid: "h", active: true }, { rid: "f", active: true }, { active: true }];
			let busy = false, calls = 0, overlaps = 0;
			const sender = {
				getParameters: () => ({ encodings: enc.map((e) => ({ ...e })) }),
				setParameters: async (p) => { if (busy) overlaps++; busy = true; calls++;
					await new Promise((r) => setTimeout(r, 5)); p.encodings.forEach((e, i) => { enc[i].active = e.active; }); busy = false; },
			};
			const l = new m.SenderLayers(sender, () => {});
			const first = l.active;
			l.set(["q"]);
			await new Promise((r) => setTimeout(r, 1)); // the first call is in flight
			l.set([]); l.set(["h", "x"]); await l.set(["h", "f"]);
			const after = enc.map((e) => e.active);
			await l.apply(); // nothing to change: no call
			return [first, l.active, after, overlaps, calls]; })()`, `[null,["h","f"],[false,true,true,true],0,2]`},
		{"layers: a refusing sender is logged, not thrown", "layers.js", `(async () => {
			const logged = [];
			const sender = { getParameters: () => ({ encodings: [{ rid: "q", active: true }] }),
				setParameters: () => Promise.reject(new DOMException("stopped", "InvalidStateError")) };
			const l = new m.SenderLayers(sender, (...a) => logged.push(a[0]), ["h"]);
			await l.apply();
			return [l.active, logged]; })()`, `[["h"],["layers: cannot set the encodings"]]`},
		{"a TURN server that does not answer is blocked", "netcheck.js",
			`m.checkNetwork([{ urls: ["turn:127.0.0.1:9?transport=udp", "turn:127.0.0.1:9?transport=tcp"], username: "u", credential: "c" }], null)`,
			`{"direct":null,"udp":false,"tcp":false,"tls":null}`},
	}
	for _, tt := range tests {
		if got := run(tt.module, tt.expr); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	checkClean(t, p)
}
