// @ts-check
/**
 * Shows the connection check (../netcheck.js) in a dialog, in plain
 * words: each way to the server, whether it works, and what that means.
 */
import { byId } from './dom.js';
import { t } from '../i18n.js';
import { verdict } from '../netcheck.js';

/**
 * Opens the dialog, shows "checking", then the result.
 * @param {Promise<import('../netcheck.js').NetResult>} running
 */
export async function showNetCheck(running) {
  const dialog = byId('netcheck-dialog', HTMLDialogElement);
  const list = byId('netcheck-list', HTMLElement);
  const summary = byId('netcheck-summary', HTMLElement);
  list.replaceChildren();
  summary.textContent = t('netChecking');
  if (!dialog.open) dialog.showModal();
  const r = await running;
  /** @type {[string, boolean | null][]} */
  const rows = [['netDirect', r.direct], ['netUDP', r.udp], ['netTCP', r.tcp], ['netTLS', r.tls]];
  list.replaceChildren(...rows.filter(([key, ok]) => key !== 'netDirect' || ok !== null).map(([key, ok]) => {
    const li = document.createElement('li');
    li.dataset.ok = String(ok);
    li.textContent = `${t(key)}: ${t(ok === null ? 'netUntested' : ok ? 'netOk' : 'netBlocked')}`;
    return li;
  }));
  const v = verdict(r);
  summary.dataset.verdict = v;
  summary.textContent = t(v === 'good' ? 'netSummaryGood' : v === 'slow' ? 'netSummarySlow' : 'netSummaryBad');
}
