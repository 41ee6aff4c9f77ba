// Checks the shipped js/e2ee/keys.js and safety.js against the Go side's
// vectors (testdata/e2ee/vectors.json at the repository root). Every
// function resolves to JSON: {ran: {group: n}, failures: [...]}.

const b64 = (s) => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};
const hex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');

export async function runKeyVectors(base, vectorsURL) {
  const k = await import(`${base}keys.js`);
  const safety = await import(`${base}safety.js`);
  const framing = await import(`${base}framing.js`);
  const sframe = await import(`${base}sframe.js`);
  const v = await (await fetch(vectorsURL)).json();
  const ran = {};
  const failures = [];
  const check = (group, ok, msg) => {
    ran[group] = (ran[group] ?? 0) + 1;
    if (!ok) failures.push(`${group}: ${msg}`);
  };
  const same = (group, got, want, what) => check(group, got === want, `${what}: got ${got}, want ${want}`);
  const sameBytes = (group, got, want, what) => same(group, hex(got), hex(b64(want)), what);

  const room = v.room;
  const keys = await k.roomKeys(b64(v.secret));
  sameBytes('derive', keys.mac, v.macKey, 'macKey');
  sameBytes('derive', keys.wrap, v.wrapKey, 'wrapKey');
  same('derive', k.b64u(b64(v.secret)), v.secret, 'b64u round trip');

  const byPid = new Map(v.participants.map((p) => [p.pid, p]));
  for (const p of v.participants) {
    const a = await k.announce(keys, room, p.pid, p.index, b64(p.point));
    same('announce', JSON.stringify(a), JSON.stringify(p.announce), `announce of ${p.pid}`);
    const e = await k.verifyAnnounce(keys, room, p.pid, p.announce);
    check('announce', e && e.index === p.index && hex(e.ecdh) === hex(b64(p.point)), `verify ${p.pid}`);
    check('announce', (await k.verifyAnnounce(keys, room, 'p_mallory', p.announce)) === null, `${p.pid}'s announce accepted from another sender`);
    check('announce', (await k.verifyAnnounce(keys, room, p.pid, { ...p.announce, index: p.index + 1 })) === null, `${p.pid}'s announce accepted with another index`);
    check('announce', (await k.verifyAnnounce(keys, 'other-room', p.pid, p.announce)) === null, `${p.pid}'s announce accepted in another room`);
    const other = await k.roomKeys(new Uint8Array(32));
    check('announce', (await k.verifyAnnounce(other, room, p.pid, p.announce)) === null, `${p.pid}'s announce accepted under another secret`);
  }

  const priv = async (p) => crypto.subtle.importKey('jwk', p.jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  /** @type {Map<string, Uint8Array>} */
  const pairKeys = new Map();
  for (const pr of v.pairs) {
    const from = byPid.get(pr.from);
    const to = byPid.get(pr.to);
    const raw = await k.pairKeyBytes(await priv(from), b64(to.point), keys, room, pr.from, pr.to);
    sameBytes('pair', raw, pr.pairKey, `pairKey ${pr.from}->${pr.to}`);
    // The receiver derives the same key from its own private key.
    const back = await k.pairKeyBytes(await priv(to), b64(from.point), keys, room, pr.from, pr.to);
    sameBytes('pair', back, pr.pairKey, `pairKey ${pr.from}->${pr.to} seen from ${pr.to}`);
    pairKeys.set(`${pr.from}>${pr.to}`, raw);
  }

  let key = b64(v.ratchet[0]);
  for (let i = 1; i < v.ratchet.length; i++) {
    key = await k.ratchet(key);
    sameBytes('ratchet', key, v.ratchet[i], `ratchet step ${i}`);
  }

  for (const m of v.keyMessages) {
    const pk = await k.aesKey(pairKeys.get(`${m.from}>${m.to}`));
    const f = { room, from: m.from, to: m.to, index: byPid.get(m.from).index, gen: m.gen, step: m.step };
    const msg = await k.wrapKey(pk, f, b64(m.baseKey), b64(m.nonce));
    same('key', JSON.stringify(msg), JSON.stringify(m.message), `key message ${m.gen}/${m.step}`);
    const out = await k.unwrapKey(pk, f, m.message);
    check('key', out && hex(out) === hex(b64(m.baseKey)), `unwrap ${m.gen}/${m.step}`);
    check('key', (await k.unwrapKey(pk, { ...f, step: m.step + 1 }, m.message)) === null, `unwrap accepted another step`);
    check('key', (await k.unwrapKey(pk, { ...f, to: 'p_mallory' }, m.message)) === null, `unwrap accepted another recipient`);
  }

  for (const m of v.msgs) {
    sameBytes('msg', await k.hkdf(b64(m.baseKey), 'conclave v1 msg', 16), m.msgKey, 'msgKey');
    const mk = await k.msgKey(b64(m.baseKey));
    const f = { room, from: m.from, index: byPid.get(m.from).index, gen: m.gen, step: m.step };
    const sealed = await k.sealMsg(mk, f, JSON.parse(m.body), b64(m.nonce));
    same('msg', JSON.stringify(sealed), JSON.stringify(m.message), 'sealed msg');
    const body = await k.openMsg(mk, f, m.message);
    same('msg', JSON.stringify(body), m.body, 'opened body');
    check('msg', (await k.openMsg(mk, { ...f, from: 'p_bob' }, m.message)) === null, 'opened with another sender');
  }

  for (const fr of v.frames) {
    const kid = fr.index << 6 | (fr.gen & 3) << 4 | (fr.step & 15);
    same('frame', kid, fr.kid, 'kid layout');
    const s = new sframe.Sender();
    await s.setKey(kid, b64(fr.baseKey));
    const enc = await framing.encryptFrame(s, fr.codec, b64(fr.plaintext));
    same('frame', k.b64u(enc), fr.encrypted, `${fr.codec} frame`);
    const r = new sframe.Receiver();
    await r.addKey(kid, b64(fr.baseKey));
    const dec = await framing.decryptFrame(r, fr.codec, b64(fr.encrypted));
    same('frame', k.b64u(dec.frame), fr.plaintext, `${fr.codec} frame decrypted`);
  }

  const entries = v.safety.pids.map((pid) => ({ pid, index: byPid.get(pid).index, ecdh: b64(byPid.get(pid).point) }));
  const code = await safety.safetyCode(room, entries.reverse());
  sameBytes('safety', code.hash, v.safety.hash, 'hash');
  same('safety', code.indexes.join(','), v.safety.emoji.join(','), 'emoji indexes');
  same('safety', code.digits, v.safety.digitsGrouped, 'digits');
  same('safety', new Set(safety.SAFETY_EMOJI).size, 64, 'distinct emoji');
  return JSON.stringify({ ran, failures });
}
