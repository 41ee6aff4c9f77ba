// @ts-check
// Small behaviours of every admin page, without inline script (the CSP
// forbids it): confirmation of destructive forms and copy buttons.

document.addEventListener('submit', (ev) => {
  const form = /** @type {HTMLElement} */ (ev.target);
  const question = form.dataset?.confirm;
  if (question && !window.confirm(question)) ev.preventDefault();
}, true);

document.addEventListener('click', async (ev) => {
  const button = /** @type {HTMLElement} */ (ev.target).closest?.('[data-copy]');
  if (!(button instanceof HTMLButtonElement)) return;
  const field = document.getElementById(button.dataset.copy || '');
  if (!(field instanceof HTMLInputElement)) return;
  await copyText(field, button);
});

/**
 * Copies the field's value and says so on the button for a moment.
 * @param {HTMLInputElement} field
 * @param {HTMLButtonElement} button
 */
async function copyText(field, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = 'Copied';
  } catch {
    field.select();
    button.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { button.textContent = label; }, 1600);
}
