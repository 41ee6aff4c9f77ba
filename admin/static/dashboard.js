// @ts-check
// The dashboard's live view: it listens to /admin/events (server-sent
// events) and redraws the meetings and server figures from each snapshot.
// Everything is built with DOM methods, never innerHTML, so names that
// participants chose cannot inject markup.

(() => {
  const status = document.getElementById('live-status');
  if (!status) return;
  const base = status.dataset.base || '/admin';
  const meetings = document.getElementById('meetings');
  const count = document.getElementById('meetings-count');

  /**
   * @typedef {{id: string, name: string, role: string, joined: string, turn: boolean,
   *   lobby: boolean, bitrate_in: number, bitrate_out: number}} Participant
   * @typedef {{room: string, started: string, duration_seconds: number, participants: Participant[]}} Meeting
   * @typedef {{version: string, uptime: string, cpu_seconds: number, rss: string, tls_mode: string,
   *   cert_expiry: string, cert_days_left: number, cert_error: string, ca_fingerprint: string}} Health
   * @typedef {{at: string, meetings: Meeting[], health: Health | null}} Snapshot
   */

  /**
   * @param {string} tag
   * @param {Record<string, string>} [attrs]
   * @param {(Node | string)[]} [children]
   * @returns {HTMLElement}
   */
  function el(tag, attrs = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  /** @param {number} s */
  function duration(s) {
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
    if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
    if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
    return `${sec} s`;
  }

  /** @param {number} bps */
  function bitrate(bps) {
    if (bps >= 1e6) return (bps / 1e6).toFixed(1) + ' Mbit/s';
    if (bps >= 1000) return Math.floor(bps / 1000) + ' kbit/s';
    return bps + ' bit/s';
  }

  /** @param {string} iso */
  function date(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) || d.getFullYear() < 2000 ? '—' : d.toLocaleTimeString();
  }

  /**
   * A POST form with one button; data-confirm asks first (admin.js).
   * @param {string} action @param {string} label @param {string} cls @param {string} [confirm]
   */
  function actionForm(action, label, cls, confirm) {
    const f = el('form', { method: 'post', action });
    if (confirm) f.dataset.confirm = confirm;
    f.append(el('button', { type: 'submit', class: 'btn btn-sm ' + cls }, [label]));
    return f;
  }

  /** @param {Meeting} m */
  function meetingCard(m) {
    const room = encodeURIComponent(m.room);
    const head = el('div', { class: 'meeting-head' }, [
      el('div', {}, [
        el('h3', {}, [el('a', { href: `${base}/rooms/${room}` }, [m.room])]),
        el('span', { class: 'hint' }, [`${m.participants.length} participant${m.participants.length === 1 ? '' : 's'} · running for ${duration(m.duration_seconds)}`]),
      ]),
      actionForm(`${base}/meetings/${room}/end`, 'End meeting', 'btn-danger', `End the meeting in ${m.room} for everyone?`),
    ]);
    const rows = m.participants.map((p) => {
      const id = encodeURIComponent(p.id);
      const nameCell = el('td', {}, [p.name]);
      if (p.lobby) nameCell.append(' ', el('span', { class: 'badge badge-warn' }, ['waiting']));
      return el('tr', {}, [
        nameCell,
        el('td', { class: 'opt' }, [el('span', { class: 'badge' }, [p.role])]),
        el('td', { class: 'opt' }, [date(p.joined)]),
        el('td', {}, [p.turn ? el('span', { class: 'badge badge-warn' }, ['TURN relay']) : 'direct']),
        el('td', { class: 'num opt' }, [bitrate(p.bitrate_in)]),
        el('td', { class: 'num' }, [bitrate(p.bitrate_out)]),
        el('td', { class: 'actions' }, p.lobby ? [
          actionForm(`${base}/meetings/${room}/participants/${id}/admit`, 'Let in', ''),
          actionForm(`${base}/meetings/${room}/participants/${id}/deny`, 'Deny', 'btn-danger'),
        ] : [
          actionForm(`${base}/meetings/${room}/participants/${id}/mute`, 'Mute', 'btn-secondary'),
          actionForm(`${base}/meetings/${room}/participants/${id}/remove`, 'Remove', 'btn-danger',
            `Remove ${p.name} from the meeting?`),
        ]),
      ]);
    });
    const classes = ['', 'opt', 'opt', '', 'num opt', 'num', 'actions'];
    const header = el('tr', {}, ['Name', 'Role', 'Joined', 'Network', 'In', 'Out', 'Actions'].map((h, i) =>
      el('th', classes[i] ? { class: classes[i] } : {}, [h])));
    const table = el('table', { class: 'table' }, [el('thead', {}, [header]), el('tbody', {}, rows)]);
    return el('article', { class: 'card meeting', 'data-room': m.room }, [head, el('div', { class: 'table-wrap' }, [table])]);
  }

  /** @param {Meeting[]} list */
  function renderMeetings(list) {
    if (!meetings) return;
    if (count) count.textContent = `${list.length} running`;
    if (list.length === 0) {
      meetings.replaceChildren(el('p', { class: 'empty' },
        ['No meetings right now. They appear here as soon as someone joins a room.']));
      return;
    }
    meetings.replaceChildren(...list.map(meetingCard));
  }

  /** @param {string} field @param {string} text */
  function setField(field, text) {
    for (const e of document.querySelectorAll(`[data-field="${field}"]`)) e.textContent = text;
  }

  /** @param {Health} h */
  function renderHealth(h) {
    setField('version', h.version);
    setField('uptime', h.uptime);
    setField('cpu', h.cpu_seconds.toFixed(1) + ' s');
    setField('rss', h.rss);
    const known = new Date(h.cert_expiry).getFullYear() > 2000;
    setField('cert', known ? `${h.cert_days_left} days left` : 'unknown');
    setField('cert_error', h.cert_error);
    const alert = document.getElementById('cert-error');
    if (alert) alert.hidden = !h.cert_error;
  }

  const source = new EventSource(status.dataset.events || `${base}/events`);
  source.addEventListener('open', () => status.classList.add('on'));
  source.addEventListener('error', () => status.classList.remove('on'));
  source.addEventListener('snapshot', (ev) => {
    /** @type {Snapshot} */
    const snap = JSON.parse(/** @type {MessageEvent} */ (ev).data);
    status.classList.add('on');
    status.dataset.at = snap.at;
    renderMeetings(snap.meetings);
    if (snap.health) renderHealth(snap.health);
  });
})();
