// @ts-check
// The room page's meeting link maker. The secret after #k= is made here, in
// the browser, and kept in this browser's localStorage for the room; it is
// never sent to the server (a URL fragment never is).

(() => {
  const card = document.getElementById('meeting-link');
  if (!card) return;
  const slug = card.dataset.slug || '';
  const name = card.dataset.name || slug;
  const key = 'conclave.meetingLink.' + slug;
  const output = /** @type {HTMLInputElement} */ (document.getElementById('link-output'));
  const copy = /** @type {HTMLButtonElement} */ (document.getElementById('link-copy'));
  const mail = /** @type {HTMLAnchorElement} */ (document.getElementById('link-mail'));
  const made = /** @type {HTMLElement} */ (document.getElementById('link-made'));
  const warning = /** @type {HTMLElement} */ (document.getElementById('link-warning'));
  const make = /** @type {HTMLButtonElement} */ (document.getElementById('link-new'));
  const status = /** @type {HTMLElement} */ (document.getElementById('link-status'));

  /** @returns {{link: string, made: string} | null} */
  function load() {
    try {
      const v = JSON.parse(localStorage.getItem(key) || 'null');
      return v && typeof v.link === 'string' && typeof v.made === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  /**
   * 32 random bytes in unpadded base64url, as web/js/lib/roomlink.js makes them.
   * @returns {string}
   */
  function secret() {
    const b = crypto.getRandomValues(new Uint8Array(32));
    let s = '';
    for (const x of b) s += String.fromCharCode(x);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function show() {
    const v = load();
    output.value = v ? v.link : '';
    copy.disabled = !v;
    warning.hidden = !v;
    make.textContent = v ? 'Make a new link' : 'Make a meeting link';
    if (v) {
      const subject = encodeURIComponent('Meeting link: ' + name);
      const body = encodeURIComponent('Join the meeting "' + name + '" with this link:\n\n' + v.link + '\n');
      mail.href = 'mailto:?subject=' + subject + '&body=' + body;
      mail.removeAttribute('aria-disabled');
      made.textContent = 'Made in this browser on ' + new Date(v.made).toLocaleString() + '.';
    } else {
      mail.removeAttribute('href');
      mail.setAttribute('aria-disabled', 'true');
      made.textContent = '';
    }
  }

  make.addEventListener('click', () => {
    if (load() && !window.confirm('Make a new link? The old link stops matching this room\'s meetings: ' +
        'people who have it must get the new one.')) return;
    const link = location.origin + '/r/' + encodeURIComponent(slug) + '#k=' + secret();
    try {
      localStorage.setItem(key, JSON.stringify({ link, made: new Date().toISOString() }));
      status.textContent = '';
    } catch {
      status.textContent = 'This browser cannot store the link: copy it now, it will not be shown again.';
    }
    show();
    if (!load()) {
      output.value = link;
      copy.disabled = false;
    }
    output.select();
  });

  show();
})();
