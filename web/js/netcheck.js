// @ts-check
/**
 * The connection check: which ways to the meeting server this network
 * lets through, for people to read in plain words. Each TURN address of
 * the welcome's ICE servers is tried on its own, with a peer connection
 * that may only use relay candidates: a relay candidate gathered through
 * turn:…?transport=udp proves UDP reaches the server, through
 * transport=tcp that TCP does, through turns: that TLS on the HTTPS port
 * does. Whether the meeting itself flows directly over UDP is read from
 * the live connection's selected candidate pair. No DOM.
 */

/** How long one TURN address may take to yield a relay candidate. */
const GATHER_MS = 5000;

/**
 * @typedef {'udp' | 'tcp' | 'tls'} Way
 * @typedef {{ direct: boolean | null, udp: boolean | null, tcp: boolean | null, tls: boolean | null }} NetResult
 *   null: not tried (the server offers no such address)
 */

/**
 * Classifies a TURN URL.
 * @param {string} url
 * @returns {Way | null}
 */
export function wayOf(url) {
  if (url.startsWith('turns:')) return 'tls';
  if (!url.startsWith('turn:')) return null;
  return /[?&]transport=tcp\b/.test(url) ? 'tcp' : 'udp';
}

/**
 * Gathers candidates through one TURN address; resolves whether a relay
 * candidate came.
 * @param {RTCIceServer} server with one URL
 * @returns {Promise<boolean>}
 */
async function relayWorks(server) {
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
  try {
    pc.createDataChannel('probe');
    const found = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), GATHER_MS);
      pc.addEventListener('icecandidate', (ev) => {
        if (ev.candidate?.type === 'relay') {
          clearTimeout(timer);
          resolve(true);
        } else if (ev.candidate === null) {
          clearTimeout(timer);
          resolve(false);
        }
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    return /** @type {boolean} */ (await found);
  } finally {
    pc.close();
  }
}

/**
 * Reports whether a live connection carries its media directly over UDP
 * (not relayed, not over TCP); null when it is not connected.
 * @param {RTCPeerConnection | null} pc
 * @returns {Promise<boolean | null>}
 */
async function directUDP(pc) {
  if (!pc || pc.connectionState !== 'connected') return null;
  const stats = await pc.getStats();
  /** @type {any} */
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  return !!local && local.candidateType !== 'relay' && local.protocol === 'udp';
}

/**
 * Runs the check.
 * @param {RTCIceServer[]} iceServers from the welcome
 * @param {RTCPeerConnection | null} pc the meeting's connection
 * @returns {Promise<NetResult>}
 */
export async function checkNetwork(iceServers, pc) {
  /** @type {NetResult} */
  const out = { direct: await directUDP(pc), udp: null, tcp: null, tls: null };
  /** @type {Promise<void>[]} */
  const probes = [];
  for (const s of iceServers) {
    for (const url of [s.urls].flat()) {
      const way = wayOf(url);
      if (!way) continue;
      probes.push(relayWorks({ urls: url, username: s.username, credential: s.credential }).then((ok) => {
        out[way] = (out[way] ?? false) || ok;
      }));
    }
  }
  await Promise.all(probes);
  return out;
}

/**
 * Sums the result up: 'good' when media can flow over UDP, 'slow' when
 * only TCP or TLS get through, 'bad' when nothing does.
 * @param {NetResult} r
 * @returns {'good' | 'slow' | 'bad'}
 */
export function verdict(r) {
  if (r.direct || r.udp) return 'good';
  if (r.tcp || r.tls) return 'slow';
  return 'bad';
}
