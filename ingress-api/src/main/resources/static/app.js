// The web app: plain ES modules, no build step. Every call goes to the HTTP API (SPEC section 3 and its additions).
// What the API returns becomes text nodes, never markup (docs/security.md).
import { texts } from './i18n.js';
import { FINAL, LiveStatus } from './live.js';
import { currencyName, dateTime, masked, money, parseAmount, toMinor, fractionDigits } from './format.js';

const $ = (selector) => document.querySelector(selector);
const state = {
  language: localStorage.getItem('language') === 'zh' ? 'zh' : 'en',
  token: null, customer: null, signedInAt: 0,
  accounts: [], settings: null, limits: null,
  shown: null, // the voucher on the Generate tab's voucher panel
  lastRedemption: null,
  preview: null, // what the code being redeemed stands for, under scan, then confirm
  manage: new Map(), // voucher id -> { item, voucher, stop }
  manageListing: 0, // the latest list asked for: an answer to an earlier one is dropped
};

// ---- language ----

const locale = () => (state.language === 'zh' ? 'zh-CN' : 'en');

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (all, name) => (values[name] ?? all));
}

function t(key, values = {}) {
  return fill(texts[state.language][key] ?? texts.en[key] ?? key, values);
}

function reason(code, values = {}) {
  const known = texts[state.language].reasons[code] ?? texts.en.reasons[code];
  return known ? fill(known, values) : `${texts[state.language].reasons.UNKNOWN} (${code})`;
}

function statusText(status) {
  return texts[state.language].statuses[status] ?? status;
}

const formatMoney = (amount, currency) => money(amount, currency, locale());

// Messages on the page are kept as how to write them, so that they change language with the page.
const messages = new Map();

/** Shows the message (a function that writes it in the page's language) in the node; none clears it. */
function say(node, message) {
  if (message) messages.set(node, message);
  else messages.delete(node);
  node.textContent = message ? message() : '';
}

function applyLanguage() {
  document.documentElement.lang = state.language === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.querySelectorAll('[data-i18n-aria-label]').forEach((node) => node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel)));
  document.querySelectorAll('[data-status-option]').forEach((option) => { option.textContent = statusText(option.value); });
  const language = $('#language');
  language.textContent = state.language === 'zh' ? 'English' : '中文';
  language.lang = state.language === 'zh' ? 'en' : 'zh-CN';
  renderAccounts({ redraw: true });
  renderLimits();
  if (state.shown) renderShownVoucher();
  state.manage.forEach(({ item, voucher }) => renderItem(item, voucher));
  messages.forEach((message, node) => { node.textContent = message(); });
  if (state.lastRedemption) renderRedemption();
}

$('#language').addEventListener('click', () => {
  state.language = state.language === 'zh' ? 'en' : 'zh';
  localStorage.setItem('language', state.language);
  applyLanguage();
});

// ---- the API ----

class Refusal extends Error {
  constructor(code, status) { super(code); this.code = code; this.status = status; }
}

/** A key that makes a POST safe to send again: the bank acts on it once. */
function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The keys of calls whose outcome is not known (no answer, or busy through every resend), by what they asked: the
 * customer's "try again" of the same call sends the same key, so that a call the bank did take is not taken twice.
 */
const keysOfUnknownOutcome = new Map();

/** What a keyed call asks, for keysOfUnknownOutcome: a picture by its file, the other fields by value. */
function callOf(method, path, body, form) {
  const fields = form ? [...form.entries()].map(([name, value]) =>
    [name, value instanceof File ? `${value.name}/${value.size}/${value.lastModified}` : value]) : [];
  return JSON.stringify([method, path, body ?? null, fields]);
}

/**
 * Calls the API with the customer's token. When the bank says the session is over (401), the customer is asked
 * to sign in again over the page as it is, and the call is then sent again: nothing on the page is lost. A keyed
 * call (a POST that must happen once) carries an Idempotency-Key; when it got no answer, or the answer that the bank
 * is busy, it is sent again with the same key (a new key could freeze or pay twice), after the wait the bank asks for.
 */
async function api(method, path, { body, form, prefer, raw, keyed } = {}) {
  // A call made before a sign-out neither goes on (a resend would carry the next customer's token with this one's
  // body) nor answers into the next customer's page.
  const session = signOuts;
  const signedOutSince = () => session !== signOuts;
  const call = keyed && callOf(method, path, body, form);
  const key = keyed && (keysOfUnknownOutcome.get(call) ?? idempotencyKey());
  // Kept for the customer's next try unless the bank answered what became of the call.
  const settled = (known) => {
    if (!keyed) return;
    if (known) keysOfUnknownOutcome.delete(call);
    else keysOfUnknownOutcome.set(call, key);
  };
  // Only the resends for no or a busy answer count: a call sent again after signing in again is not one.
  for (let resends = 0; ;) {
    if (signedOutSince()) throw new Refusal('SIGNED_OUT', 0);
    const headers = { Authorization: `Bearer ${state.token}` };
    if (prefer) headers.Prefer = prefer;
    if (key) headers['Idempotency-Key'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    } catch {
      const wait = key && resendAfter(null, resends);
      if (!wait) {
        settled(false);
        throw new Refusal('NETWORK', 0);
      }
      await pause(wait);
      resends++;
      continue;
    }
    if (signedOutSince()) throw new Refusal('SIGNED_OUT', 0);
    if (response.status === 401 && state.customer) {
      await sessionEnded();
      continue;
    }
    if (!response.ok) {
      const wait = key && resendAfter(response, resends);
      const problem = await response.json().catch(() => ({}));
      if (wait) {
        await pause(wait);
        resends++;
        continue;
      }
      settled(response.status < 500 && response.status !== 429);
      throw new Refusal(problem.code ?? 'UNKNOWN', response.status);
    }
    settled(true);
    const answer = raw ? response : response.status === 204 ? null : await response.json();
    if (signedOutSince()) throw new Refusal('SIGNED_OUT', 0);
    return answer;
  }
}

/** Whether a call ended because the customer signed out meanwhile: nothing of it is said to whoever is signed in now. */
function endedBySignOut(error) {
  return error?.code === 'SIGNED_OUT';
}

const MAX_RESENDS = 3;

/**
 * How long to wait before sending a keyed call again, or nothing: a call not answered (no response), or answered
 * busy (429, 502–504) with a wait of at most a few seconds; a longer wait (too many wrong codes) is the customer's.
 */
function resendAfter(response, resends) {
  if (resends >= MAX_RESENDS) return null;
  if (!response) return 1000 * 2 ** resends;
  if (![429, 502, 503, 504].includes(response.status)) return null;
  const seconds = Number(response.headers.get('Retry-After') ?? '1');
  return Number.isFinite(seconds) && seconds <= 5 ? Math.max(seconds, 1) * 1000 : null;
}

function pause(millis) {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

async function signIn(customer) {
  const response = await fetch('/dev/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customerId: customer }) });
  if (!response.ok) throw new Refusal('UNKNOWN', response.status);
  state.token = (await response.json()).accessToken;
  state.customer = customer;
  state.signedInAt = Date.now();
}

const live = new LiveStatus({ token: () => state.token, sessionEnded: () => sessionEnded() });

// ---- the session ----

let signingInAgain = null;

/** Resolves once the customer signed in again; rejects (SIGNED_OUT) if they sign out instead, or are signed out. */
function sessionEnded() {
  if (!state.customer) return Promise.reject(new Refusal('SIGNED_OUT', 401));
  if (!signingInAgain) {
    signingInAgain = new Promise((resolve, reject) => {
      const dialog = $('#session-dialog');
      const again = $('#session-again');
      const out = $('#session-out');
      const close = () => {
        again.removeEventListener('click', onAgain);
        out.removeEventListener('click', onOut);
        dialog.removeEventListener('cancel', stay);
        say($('#session-error'));
        dialog.close();
        signingInAgain = null;
      };
      const onAgain = async () => {
        again.disabled = true;
        say($('#session-error'));
        try {
          await signIn(state.customer);
        } catch {
          // Not signed in: the dialog stays, saying so, for another try or a sign-out.
          say($('#session-error'), () => reason('SIGN_IN_AGAIN_FAILED'));
          return;
        } finally {
          again.disabled = false;
        }
        close();
        resolve();
      };
      const onOut = () => {
        close();
        reject(new Refusal('SIGNED_OUT', 401));
        signOut();
      };
      const stay = (event) => event.preventDefault(); // Escape does not dismiss it: the page needs a choice
      again.addEventListener('click', onAgain);
      out.addEventListener('click', onOut);
      dialog.addEventListener('cancel', stay);
      dialog.showModal();
    });
  }
  return signingInAgain;
}

// ---- sign-in and tabs ----

document.querySelectorAll('[data-customer]').forEach((button) => button.addEventListener('click', async () => {
  say($('#signin-error'));
  try {
    await signIn(button.dataset.customer);
  } catch (refused) {
    // The demo sign-in exists only where the ingress signs its own demo tokens; elsewhere, or down, it says so.
    say($('#signin-error'), () => reason('SIGN_IN_UNAVAILABLE'));
    return;
  }
  $('#customer').textContent = state.customer;
  $('#signin').hidden = true;
  $('#app').hidden = false;
  await showTab('generate');
  document.querySelector('[data-tab="generate"]').focus();
}));

/** Counts sign-outs: an answer to a request made before the last one is not shown. */
let signOuts = 0;

function signOut() {
  signOuts++;
  $('#generate-form button[type=submit]').disabled = false;
  $('#redeem-form button[type=submit]').disabled = false;
  live.stopAll();
  stopQr();
  // Nothing of this customer's codes stays in the page for the next one: not the picture, nor the mode.
  clearPicture();
  $('#counter-mode').checked = false;
  state.manage.forEach(({ stop }) => stop());
  state.manage.clear();
  state.manageListing++; // a listing under way answers into nobody's page
  $('#manage-list').replaceChildren();
  resetVoucherPanel();
  keysOfUnknownOutcome.clear();
  Object.assign(state, { token: null, customer: null, accounts: [], settings: null, limits: null, lastRedemption: null });
  renderAccounts(); // no list keeps this customer's accounts, nor the choice in them, for the next one
  previewing++;
  stopScanning(false);
  resetRedeemForm();
  $('#redeem-picture').value = '';
  // Nor the account at another bank the last one was paid into: the next one could send their money there.
  ['#redeem-bank', '#redeem-name', '#redeem-number'].forEach((field) => { $(field).value = ''; });
  document.querySelector('input[name="destination"][value="own"]').checked = true;
  destinationChosen();
  say($('#redeem-result'));
  $('#app').hidden = true;
  $('#signin').hidden = false;
  document.querySelector('[data-customer]').focus();
}

$('#signout').addEventListener('click', signOut);

document.querySelectorAll('[data-tab]').forEach((button) => button.addEventListener('click', () => showTab(button.dataset.tab)));

async function showTab(name) {
  document.querySelectorAll('.tab').forEach((section) => { section.hidden = section.id !== name; });
  document.querySelectorAll('[data-tab]').forEach((button) => {
    if (button.dataset.tab === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  });
  if (name === 'manage') {
    await listVouchers();
    return;
  }
  try {
    await loadAccountsAndSettings();
  } catch (error) {
    // The tab stays usable with what it had; the customer sees why its figures may be old.
    if (!endedBySignOut(error)) say($(TAB_MESSAGES[name]), () => reason(error.code));
  }
}

/** Where each tab tells the customer what went wrong. */
const TAB_MESSAGES = { generate: '#generate-error', redeem: '#redeem-result', settings: '#settings-message' };

async function loadAccountsAndSettings() {
  const session = signOuts;
  const limits = state.limits ? Promise.resolve(state.limits) : api('GET', '/api/limits');
  const answers = await Promise.all([api('GET', '/api/accounts'), api('GET', '/api/settings'), limits]);
  // Not into the page of whoever signed in since: their accounts, or the other bank's account last paid into.
  if (session !== signOuts) return;
  [state.accounts, state.settings, state.limits] = answers;
  // The server's bound, which its operators may set lower than the page's default: a stream asking more is refused.
  if (state.limits?.maxLiveVouchers) live.maxVouchers = state.limits.maxLiveVouchers;
  renderAccounts();
  renderLimits();
}

// ---- accounts and limits ----

/** An account as the customer knows it: the currency's name and the masked number, never the raw id. */
function accountName(account) {
  return t('accountName', { currency: currencyName(account.currency, locale()), number: masked(account.accountId) });
}

function accountOf(accountId) {
  return state.accounts.find((account) => account.accountId === accountId);
}

/**
 * Draws the account lists and the settings from what the bank said last. Only redrawn ({@code redraw}: another
 * language), what the customer chose and has not saved stays chosen.
 */
function renderAccounts({ redraw = false } = {}) {
  const settings = state.settings ?? {};
  // The last used destination is offered when the form is first drawn, not over what the payee chose since.
  const redeemAccountChosen = $('#redeem-account').value;
  accountOptions($('#generate-account'), settings.defaultGenerationAccountId);
  accountOptions($('#redeem-account'), settings.defaultRedemptionAccountId);
  accountOptions($('#settings-generation'), settings.defaultGenerationAccountId, true);
  accountOptions($('#settings-redemption'), settings.defaultRedemptionAccountId, true);
  if (state.settings) {
    if (!redraw) {
      $('#settings-mode').value = settings.redemptionMode;
      $('#settings-stepup').value = settings.stepUpPolicy;
    }
    const last = settings.lastUsedRedemptionDestination;
    if (last?.type === 'EXTERNAL_ACCOUNT' && !$('#redeem-bank').value) {
      $('#redeem-bank').value = last.bank; $('#redeem-name').value = last.name; $('#redeem-number').value = last.number;
    } else if (last?.accountId && !redeemAccountChosen && accountOf(last.accountId)?.status === 'ACTIVE') {
      $('#redeem-account').value = last.accountId;
    }
  }
  renderAvailable();
}

function accountOptions(select, selected, noneWhileUnset) {
  const keep = select.value;
  // A closed account neither freezes nor receives: it is not offered.
  const options = state.accounts.filter((account) => account.status === 'ACTIVE')
    .map((account) => new Option(accountName(account), account.accountId));
  // A default once set can be changed, not cleared (a PUT keeps the fields it leaves out): "None" is no choice then.
  if (noneWhileUnset && !selected) options.unshift(new Option(t('none'), ''));
  select.replaceChildren(...options);
  // What the customer chose stays chosen when the list is drawn again (another language, fresh balances).
  select.value = keep && options.some((option) => option.value === keep) ? keep : (selected ?? options[0]?.value ?? '');
}

function renderAvailable() {
  const account = accountOf($('#generate-account').value);
  $('#generate-available').textContent = account ? t('availableBalance', { amount: formatMoney(account.available, account.currency) }) : '';
  renderLimits();
}

$('#generate-account').addEventListener('change', renderAvailable);
$('#generate-amount').addEventListener('input', () => say($('#generate-error')));

function capOf(currency) {
  return state.limits?.voucherCaps?.[currency] ?? state.limits?.defaultVoucherCap;
}

function renderLimits() {
  const seconds = state.limits?.counterCodeSeconds ?? 30;
  $('#counter-label').textContent = t('counterMode', { seconds });
  const account = accountOf($('#generate-account').value);
  const cap = account && capOf(account.currency);
  const daily = state.limits?.accounts?.find((limits) => limits.accountId === account?.accountId)?.dailyOutwardLimit;
  const hints = [];
  if (cap) hints.push(t('capHint', { cap: formatMoney(cap, account.currency) }));
  if (daily) hints.push(t('dailyLimitHint', { limit: formatMoney(daily, account.currency) }));
  $('#generate-cap').textContent = hints.join(' · ');
}

/**
 * A new element with the given properties and children. Strings become text nodes, never markup: what
 * the API returns (a holder name, a bank, an account id) is shown as written, whatever it contains.
 */
function element(tag, properties, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// ---- generate ----

$('#generate-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = $('#generate-error');
  say(error);
  const account = accountOf($('#generate-account').value);
  if (!account) return;
  const digits = fractionDigits(account.currency, account.available);
  const amount = parseAmount($('#generate-amount').value, digits);
  if (!amount) {
    say(error, () => reason('INVALID_AMOUNT'));
    $('#generate-amount').focus();
    return;
  }
  const cap = capOf(account.currency);
  if (cap && toMinor(amount, digits) > toMinor(cap, digits)) {
    say(error, () => reason('AMOUNT_EXCEEDS_VOUCHER_CAP', { cap: formatMoney(cap, account.currency) }));
    $('#generate-amount').focus();
    return;
  }
  const expires = $('#generate-expires').value;
  const body = { accountId: account.accountId, amount, currency: account.currency, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
  // One generation at a time: a second tap while the bank answers would freeze a second voucher.
  await whileDisabled($('#generate-form button[type=submit]'), async (session) => {
    try {
      const voucher = await generateConfirmed(body);
      if (session === signOuts) showVoucher(voucher); // not into the session of whoever signed in since
    } catch (refusal) {
      if (session === signOuts) say(error, () => reason(refusal.code, { cap: formatMoney(cap, account.currency) }));
    }
  });
});

/** Generates; when the bank asks for the password (step-up), confirms by signing in again and retries. */
function generateConfirmed(body) {
  // A request refused for step-up stays refused under its key: a confirmed retry is a new request.
  return confirmed(() => api('POST', '/api/vouchers', { body, prefer: 'wait=10', keyed: true }), $('#generate-error'));
}

/** Makes the call; when the bank asks for the password (step-up), says so in the node, signs in again and calls again. */
async function confirmed(call, messageNode) {
  const session = signOuts;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error.code !== 'STEP_UP_REQUIRED' || attempt >= 3) throw error;
      say(messageNode, () => t('confirmStepUp'));
      // A sign-in counts once and is dated to the second: the next one must be a later second.
      await pause(Math.max(0, 1100 - (Date.now() - state.signedInAt)));
      // Signed out meanwhile: not signed in again for whoever is signed in now, nor their call made.
      if (session !== signOuts) throw new Refusal('SIGNED_OUT', 0);
      await signIn(state.customer);
      say(messageNode);
    }
  }
}

let stopShownFollow = () => {};

function showVoucher(voucher) {
  stopShownFollow();
  stopQr();
  // Until this voucher's picture arrives, nothing: never the last voucher's code under this one's amount.
  clearPicture();
  state.shown = voucher;
  $('#generate-form').hidden = true;
  $('#voucher').hidden = false;
  // Counter mode stays as the payer left it for this sign-in: at a counter, the next voucher never shows its own
  // code first (a photo of it would redeem it).
  renderShownVoucher();
  if (voucher.status === 'UNUSED') {
    showQr(voucher.id, $('#counter-mode').checked);
  } else {
    say($('#generate-error'), voucher.reason && (() => reason(voucher.reason)));
  }
  countdown(endOf(voucher));
  stopShownFollow = live.follow(voucher, (changed) => {
    // Generated PENDING (the bank answered before the hold was placed): its code shows once it is issued, and
    // its end (none until then) comes with it.
    const issuedNow = state.shown.status !== 'UNUSED' && changed.status === 'UNUSED';
    const endChanged = endOf(changed) !== endOf(state.shown);
    state.shown = changed;
    renderShownVoucher();
    if (endChanged) countdown(endOf(changed));
    if (issuedNow) showQr(changed.id, $('#counter-mode').checked);
  }, { first: true });
  $('#voucher-title').focus();
}

function renderShownVoucher() {
  const voucher = state.shown;
  $('#voucher-amount').textContent = formatMoney(voucher.amount, voucher.currency);
  $('#voucher-status').textContent = statusText(voucher.status);
  $('#voucher-status').dataset.status = voucher.status;
  const usable = voucher.status === 'UNUSED' && Date.parse(voucher.expiresAt) > Date.now();
  if (!usable) stopQr();
  $('#voucher-qr').hidden = !usable;
  $('#counter-switch').hidden = !usable;
  $('#voucher-download').hidden = !usable || $('#counter-mode').checked;
  $('#counter-hint').hidden = !usable || !$('#counter-mode').checked;
  const seconds = state.limits?.counterCodeSeconds ?? 30;
  $('#voucher-qr').alt = $('#counter-mode').checked ? t('counterAlt', { seconds }) : t('qrAlt');
}

// The QR on screen: the voucher's own code (a picture to save and send), or in counter mode a code that changes
// every step and is taken for one more step only, so that a photo of the screen is useless a minute later.
const qr = { generation: 0, timer: null, ticker: null, url: null, counter: false };

function stopQr() {
  qr.generation++;
  clearTimeout(qr.timer);
  clearInterval(qr.ticker);
  $('#counter-next').textContent = '';
}

function clearPicture() {
  $('#voucher-qr').removeAttribute('src');
  $('#voucher-download').removeAttribute('href');
  if (qr.url) URL.revokeObjectURL(qr.url);
  qr.url = null;
  qr.counter = false;
}

function setPicture(blob, counter) {
  const url = URL.createObjectURL(blob);
  $('#voucher-qr').src = url;
  if (qr.url) URL.revokeObjectURL(qr.url);
  qr.url = url;
  qr.counter = counter;
  return url;
}

async function showQr(voucherId, counter) {
  stopQr();
  const generation = qr.generation;
  renderShownVoucher();
  try {
    if (!counter) {
      const picture = await api('GET', `/api/vouchers/${voucherId}/qr.png`, { raw: true }).then((response) => response.blob());
      if (generation !== qr.generation) return;
      const url = setPicture(picture, false);
      say($('#generate-error'));
      $('#voucher-download').href = url;
      $('#voucher-download').download = `voucher-${voucherId}.png`;
      return;
    }
    // The voucher's own code goes at once, not when the counter code comes (nor never, if it does not).
    if (!qr.counter) clearPicture();
    // When the code now gives way first, then the picture: a step that ends between the two calls then gives a
    // picture newer than its time, fetched again at once, where the other order kept the older code up a whole step.
    const { refreshAt } = await api('GET', `/api/vouchers/${voucherId}/counter-code`);
    const picture = await api('GET', `/api/vouchers/${voucherId}/counter-qr.png`, { raw: true }).then((response) => response.blob());
    if (generation !== qr.generation) return;
    setPicture(picture, true);
    say($('#generate-error'));
    const at = new Date(refreshAt).getTime();
    const tick = () => { $('#counter-next').textContent = t('nextCode', { seconds: Math.max(0, Math.ceil((at - Date.now()) / 1000)) }); };
    tick();
    qr.ticker = setInterval(tick, 1000);
    qr.timer = setTimeout(() => showQr(voucherId, true), Math.max(1000, at - Date.now() + 150));
  } catch (error) {
    if (generation !== qr.generation) return;
    if (error.code === 'VOUCHER_NOT_USABLE') {
      $('#voucher-qr').hidden = true;
    } else {
      // A voucher's own code not had is said (its panel showed it unused, with no picture); one not had for now (the
      // bank busy, no network) is asked for again, as a counter code is.
      if (!counter) say($('#generate-error'), () => reason(error.code));
      if (counter || error.status === 0 || error.status === 429 || error.status >= 500) {
        qr.timer = setTimeout(() => showQr(voucherId, counter), 2000);
      }
    }
  }
}

$('#counter-mode').addEventListener('change', () => {
  if (state.shown?.status === 'UNUSED') showQr(state.shown.id, $('#counter-mode').checked);
});

/** The end to count down to: none once the voucher is final (redeemed, cancelled, rejected…), nor before it has one. */
function endOf(voucher) {
  return FINAL.has(voucher.status) ? null : voucher.expiresAt;
}

let ticking;
/** Counts down to the voucher's end; nothing while it has none (PENDING, answered 202: expiresAt is null). */
function countdown(expiresAt) {
  clearInterval(ticking);
  $('#voucher-countdown').textContent = '';
  if (!expiresAt) return;
  const end = new Date(expiresAt).getTime();
  const tick = () => {
    const left = Math.max(0, end - Date.now());
    const hours = Math.floor(left / 3_600_000), minutes = Math.floor(left / 60_000) % 60, seconds = Math.floor(left / 1000) % 60;
    $('#voucher-countdown').textContent = left === 0 ? t('expired') : `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
    if (left === 0) {
      clearInterval(ticking);
      if (state.shown) renderShownVoucher(); // the code goes when it runs out, not when the EXPIRED event comes
    }
  };
  tick();
  ticking = setInterval(tick, 1000);
}

function resetVoucherPanel() {
  stopShownFollow();
  stopShownFollow = () => {};
  stopQr();
  clearInterval(ticking);
  state.shown = null;
  $('#voucher').hidden = true;
  $('#generate-form').hidden = false;
  $('#generate-amount').value = '';
  say($('#generate-error'));
}

$('#voucher-new').addEventListener('click', () => {
  resetVoucherPanel();
  $('#generate-amount').focus();
});

// ---- redeem ----

let picture = null;

function destinationChosen() {
  const external = document.querySelector('input[name="destination"]:checked').value === 'external';
  $('#redeem-account').disabled = external;
  ['#redeem-bank', '#redeem-name', '#redeem-number'].forEach((selector) => { $(selector).disabled = !external; });
  return external;
}

document.querySelectorAll('input[name="destination"]').forEach((radio) => radio.addEventListener('change', destinationChosen));

$('#redeem-picture').addEventListener('change', async () => {
  picture = $('#redeem-picture').files[0];
  scannedCode = null;
  state.lastRedemption = null;
  say($('#redeem-result'));
  if (!picture) return;
  if (state.settings?.redemptionMode === 'REDEEM_ON_SCAN') {
    await redeemPicture({});
  } else {
    const form = new FormData();
    form.append('image', picture);
    await confirmAfterPreview({ form });
  }
});

/** What a voucher that is not redeemable says to its payee instead. */
const REFUSAL_OF_STATUS = { REDEEMING: 'ALREADY_REDEEMED', REDEEMED: 'ALREADY_REDEEMED', REDEEM_FAILED: 'ALREADY_REDEEMED',
  CANCELLED: 'CANCELLED', EXPIRED: 'EXPIRED' };

/** The codes this bank makes (a voucher's, or a counter code; the prefixes of VoucherCodes): anything else a camera reads is not sent. */
const VOUCHER_CODE = /^(QRV1|QRV2|QRC1)\./;

/** Refusals after which the code read is of no more use: the form goes, and a new scan or picture is needed. */
const CODE_SPENT = new Set(['INVALID_CODE', 'CODE_EXPIRED', 'ALREADY_REDEEMED', 'CANCELLED', 'EXPIRED',
  'VOUCHER_NOT_ISSUED', 'TOO_MANY_WRONG_CODES']);

let previewing = 0; // the latest preview asked for: an answer to an earlier one is dropped

/** Forgets the code read and its form: after a refusal that spends it, a new picture, or a sign-out. */
function resetRedeemForm() {
  state.preview = null;
  picture = null;
  scannedCode = null;
  $('#redeem-form').hidden = true;
  $('#redeem-amount').value = '';
  $('#redeem-amount').placeholder = '';
  say($('#redeem-preview'));
}

/**
 * Scan, then confirm: what the code stands for is shown before the payee chooses an amount, since a redemption,
 * partial or not, is the voucher's only one. The code comes back from the bank (read from a picture, if one was
 * sent), and the redemption is sent with it.
 */
async function confirmAfterPreview(request) {
  const asked = ++previewing;
  resetRedeemForm();
  say($('#redeem-result'), () => t('working'));
  let preview;
  try {
    preview = await api('POST', '/api/redemptions/preview', request);
  } catch (error) {
    if (asked !== previewing) return;
    $('#redeem-picture').value = ''; // the same picture can be chosen again to try again
    showRedemption(null, error.code);
    return;
  }
  if (asked !== previewing) return;
  if (preview.status !== 'UNUSED') {
    $('#redeem-picture').value = '';
    showRedemption(null, REFUSAL_OF_STATUS[preview.status] ?? 'VOUCHER_NOT_ISSUED');
    return;
  }
  state.lastRedemption = null;
  say($('#redeem-result'));
  state.preview = preview;
  scannedCode = preview.code;
  say($('#redeem-preview'), () => t('previewOf', { amount: formatMoney(preview.amount, preview.currency),
    until: dateTime(preview.expiresAt, locale()) }));
  $('#redeem-amount').placeholder = preview.amount;
  $('#redeem-form').hidden = false;
  $('#redeem-amount').focus();
}

$('#redeem-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const typed = $('#redeem-amount').value.trim();
  const account = accountOf($('#redeem-account').value);
  const currency = state.preview?.currency ?? account?.currency ?? 'CNY';
  const amount = typed ? parseAmount(typed, fractionDigits(currency, state.preview?.amount ?? account?.available)) : null;
  if (typed && !amount) {
    showRedemption(null, 'INVALID_AMOUNT');
    return;
  }
  const external = destinationChosen();
  const fields = external
    ? { 'externalAccount.bank': $('#redeem-bank').value, 'externalAccount.name': $('#redeem-name').value, 'externalAccount.number': $('#redeem-number').value }
    : { accountId: $('#redeem-account').value };
  // Another bank needs all three: in a picture's form blank fields count as not sent, and none sent would leave the
  // choice of account to the bank (under redeem on scan, the payee's own default).
  if (external && Object.values(fields).some((value) => !value.trim())) {
    showRedemption(null, 'INVALID_EXTERNAL_ACCOUNT');
    return;
  }
  const confirmed = { ...fields, ...(amount ? { amount } : {}) };
  // One redemption at a time: a second tap while the bank answers sent it again, under another key.
  await whileDisabled($('#redeem-form button[type=submit]'), () => (picture ? redeemPicture(confirmed) : redeemScanned(confirmed)));
});

/**
 * Makes the call (given the session it is made in) with its button disabled; then enables the button, unless the
 * customer signed out meanwhile (the sign-out did), and gives it back the keyboard's focus, lost to the page meanwhile.
 */
async function whileDisabled(button, call) {
  button.disabled = true;
  const session = signOuts;
  try {
    return await call(session);
  } finally {
    if (session === signOuts) {
      button.disabled = false;
      if (document.activeElement === document.body) button.focus();
    }
  }
}

async function redeemPicture(fields) {
  const form = new FormData();
  form.append('image', picture);
  Object.entries(fields).forEach(([name, value]) => form.append(name, value));
  say($('#redeem-result'), () => t('working'));
  $('#redeem-result').className = '';
  await redeemShowingAnswer(fields, { form, prefer: 'wait=10', keyed: true }, { form: pictureOnly() });
}

/**
 * Sends a redemption and shows its answer, unless another code was read (or the customer signed out) meanwhile:
 * the answer would replace that code's form and say its outcome for the other voucher's (the Manage tab says it).
 */
async function redeemShowingAnswer(fields, request, previewRequest) {
  const asked = previewing;
  try {
    const redemption = await api('POST', '/api/redemptions', request);
    if (asked === previewing) showRedemption(redemption);
  } catch (error) {
    if (asked !== previewing) return;
    if (!(await confirmInstead(error, fields, previewRequest))) showRedemption(null, error.code);
  }
}

function pictureOnly() {
  const form = new FormData();
  form.append('image', picture);
  return form;
}

/**
 * Sent with no account, as redeem on scan does, and refused for want of one: the redemption mode was changed to
 * "scan, then confirm" elsewhere (another device). The settings are read again and the payee confirms, as that
 * mode asks, instead of being refused at every scan. True if so.
 */
async function confirmInstead(error, fields, preview) {
  if (error.code !== 'DESTINATION_REQUIRED' || Object.keys(fields).some((name) => name !== 'amount')) return false;
  const session = signOuts;
  try {
    await loadAccountsAndSettings();
  } catch {
    return session !== signOuts; // the refusal is shown as it is, unless the customer signed out
  }
  // Signed out meanwhile: the code is not the next customer's to redeem.
  if (session !== signOuts) return true;
  await confirmAfterPreview(preview);
  return true;
}

/** Shows a redemption's outcome (or a refusal) and does what it calls for: once per answer. */
function showRedemption(redemption, refusal) {
  state.lastRedemption = [redemption, refusal];
  renderRedemption();
  if (redemption?.status === 'SUCCEEDED') {
    $('#redeem-form').hidden = true;
    loadAccountsAndSettings().catch(() => {}); // fresh balances if they come; the outcome is said either way
  } else if (redemption?.status === 'PENDING') {
    settleLater(redemption.id);
  } else if (CODE_SPENT.has(refusal ?? redemption?.reason)) {
    resetRedeemForm();
  }
}

/** Writes the last redemption's outcome in the page's language: again after a switch of language, nothing more. */
function renderRedemption() {
  const [redemption, refusal] = state.lastRedemption;
  const result = $('#redeem-result');
  messages.delete(result); // written from state.lastRedemption
  if (redemption?.status === 'SUCCEEDED') {
    result.textContent = t('redeemedOk', { amount: formatMoney(redemption.amount, redemption.currency) });
    result.className = 'ok';
  } else if (redemption?.status === 'PENDING') {
    result.textContent = t('pending');
    result.className = '';
  } else {
    result.textContent = reason(refusal ?? redemption?.reason ?? 'UNKNOWN');
    result.className = 'refused';
  }
}

/** A redemption answered before it settled (the bank waits 10 s at most) is read again until it has. */
async function settleLater(redemptionId) {
  for (let look = 0; look < 30; look++) {
    await pause(2000);
    if (state.lastRedemption?.[0]?.id !== redemptionId) return; // another redemption took its place on the page
    const current = await api('GET', `/api/redemptions/${encodeURIComponent(redemptionId)}`).catch(() => null);
    if (current && current.status !== 'PENDING' && state.lastRedemption?.[0]?.id === redemptionId) {
      showRedemption(current);
      return;
    }
  }
}

// Scanning with the camera: the browser's own QR reader where it has one, jsQR otherwise.
let scannedCode = null;
let scanning = null;

if (navigator.mediaDevices?.getUserMedia) {
  $('#scan').hidden = false;
  $('#scan-start').addEventListener('click', scanWithCamera);
  $('#scan-stop').addEventListener('click', () => stopScanning(true));
}

function stopScanning(focusStart) {
  scanning?.getTracks().forEach((track) => track.stop());
  scanning = null;
  $('#camera').hidden = true;
  $('#scan-stop').hidden = true;
  $('#scan-start').hidden = false;
  if (focusStart) $('#scan-start').focus();
}

async function scanWithCamera() {
  const video = $('#camera');
  try {
    scanning = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch {
    showRedemption(null, 'CAMERA_UNAVAILABLE');
    return;
  }
  const stream = scanning;
  video.srcObject = stream;
  video.hidden = false;
  $('#scan-start').hidden = true;
  $('#scan-stop').hidden = false;
  $('#scan-stop').focus();
  await video.play();
  const read = 'BarcodeDetector' in window ? barcodeDetector() : await jsQrReader();
  const look = async () => {
    if (scanning !== stream) return; // stopped
    const code = video.readyState >= 2 ? await read(video) : null;
    // Another QR code in view (a poster, a menu) is not a voucher's: it is neither sent nor counted as a wrong code.
    if (!code || !VOUCHER_CODE.test(code)) { requestAnimationFrame(look); return; }
    stopScanning(false);
    picture = null;
    scannedCode = code;
    state.lastRedemption = null;
    if (state.settings?.redemptionMode === 'REDEEM_ON_SCAN') {
      await redeemScanned({});
    } else {
      await confirmAfterPreview({ body: { code } });
    }
  };
  look();
}

function barcodeDetector() {
  const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
  return async (video) => (await detector.detect(video))[0]?.rawValue;
}

async function jsQrReader() {
  if (!window.jsQR) {
    await new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement('script'), { src: 'vendor/jsQR.js', onload: resolve, onerror: reject });
      document.head.append(script);
    });
  }
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    return window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height)?.data;
  };
}

async function redeemScanned(fields) {
  const body = { code: scannedCode, ...(fields.amount ? { amount: fields.amount } : {}) };
  // The destination the payee chose, as typed. None chosen (redeemed on scan) is named to the bank as none: it
  // applies the payee's settings (their default account, else their first open one in the voucher's currency).
  if ('externalAccount.bank' in fields) {
    body.externalAccount = { bank: fields['externalAccount.bank'], name: fields['externalAccount.name'], number: fields['externalAccount.number'] };
  } else if (fields.accountId) {
    body.accountId = fields.accountId;
  }
  say($('#redeem-result'), () => t('working'));
  await redeemShowingAnswer(fields, { body, prefer: 'wait=10', keyed: true }, { body: { code: scannedCode } });
}

// ---- manage ----

$('#manage-filter').addEventListener('submit', (event) => { event.preventDefault(); listVouchers(); });

async function listVouchers() {
  const query = new URLSearchParams({ role: $('#manage-role').value, size: '50' });
  if ($('#manage-status').value) query.set('status', $('#manage-status').value);
  if ($('#manage-from').value) query.set('from', new Date(`${$('#manage-from').value}T00:00`).toISOString());
  if ($('#manage-to').value) query.set('to', new Date(new Date(`${$('#manage-to').value}T00:00`).getTime() + 86_400_000).toISOString());
  say($('#manage-message'), () => t('loading'));
  // Opening the tab and changing the filter at once ask twice; the answers may come back in either order.
  const listing = ++state.manageListing;
  let page;
  try {
    page = await api('GET', `/api/vouchers?${query}`);
    // A page reads a bounded part of the list: filtered by a rare status, it may come back empty with more after it.
    for (let more = 0; !page.items.length && page.next && more < 20; more++) {
      query.set('cursor', page.next);
      page = await api('GET', `/api/vouchers?${query}`);
    }
  } catch (error) {
    if (listing === state.manageListing) say($('#manage-message'), () => reason(error.code));
    return;
  }
  if (listing !== state.manageListing) return;
  state.manage.forEach(({ stop }) => stop());
  state.manage.clear();
  say($('#manage-message'), !page.items.length && (() => t(page.next ? 'nothingYet' : 'nothing')));
  const list = $('#manage-list');
  list.replaceChildren();
  for (const voucher of page.items) {
    const item = element('li');
    item.dataset.voucher = voucher.id;
    list.append(item);
    const entry = { item, voucher, stop: () => {} };
    state.manage.set(voucher.id, entry);
    renderItem(item, voucher);
    // One stream for all of them (live.js), however many are live.
    entry.stop = live.follow(voucher, (changed) => {
      entry.voucher = changed;
      renderItem(item, changed);
    });
  }
}

function destinationText(destination) {
  if (!destination) return '';
  if (destination.type === 'EXTERNAL_ACCOUNT') {
    return t('externalAccount', { bank: destination.bank, name: destination.name, number: masked(destination.number) });
  }
  const own = accountOf(destination.accountId);
  return own ? accountName(own) : t('payeeAccount', { number: masked(destination.accountId) });
}

function renderItem(item, voucher) {
  const open = item.querySelector('details')?.open ?? false;
  const amount = element('b', {}, formatMoney(voucher.amount, voucher.currency));
  const status = element('span', { className: 'status' }, statusText(voucher.status));
  status.dataset.status = voucher.status;
  const summary = element('summary', {}, element('span', { className: 'line' }, amount, ' ', status),
    element('small', {}, `${t('created')} ${dateTime(voucher.createdAt, locale())}`));
  const details = element('details', { open }, summary,
    element('small', {}, `${t('validUntilShort')} ${dateTime(voucher.expiresAt, locale())}`));
  if (voucher.redeemedAmount) details.append(element('small', {}, t('redeemedPart', { amount: formatMoney(voucher.redeemedAmount, voucher.currency) })));
  if (voucher.reason) details.append(element('small', {}, reason(voucher.reason)));
  const into = destinationText(voucher.destination);
  if (into) details.append(element('small', {}, `${t('destination')} ${into}`));
  const account = voucher.accountId && accountOf(voucher.accountId);
  if (voucher.accountId) details.append(element('small', {}, t('paidFrom', { account: account ? accountName(account) : masked(voucher.accountId) })));
  const actions = element('div', { className: 'actions' });
  if (voucher.status === 'UNUSED' && voucher.role === 'payer') {
    amount.id = `amount-${voucher.id}`;
    const show = element('button', { type: 'button', className: 'show' }, t('showVoucher'));
    show.setAttribute('aria-describedby', amount.id);
    show.addEventListener('click', async () => {
      const session = signOuts;
      await showTab('generate');
      if (session === signOuts) showVoucher(voucher);
    });
    const cancel = element('button', { type: 'button', className: 'cancel' }, t('cancel'));
    cancel.setAttribute('aria-describedby', amount.id);
    cancel.addEventListener('click', () => cancelVoucher(voucher));
    actions.append(show, cancel);
  }
  item.replaceChildren(details, actions);
}

/** Asks before cancelling; resolves whether the customer confirmed. */
function confirmCancel(voucher) {
  const dialog = $('#cancel-dialog');
  $('#cancel-text').textContent = t('cancelQuestion', { amount: formatMoney(voucher.amount, voucher.currency) });
  return new Promise((resolve) => {
    const done = (confirmed) => () => {
      $('#cancel-keep').removeEventListener('click', keep);
      $('#cancel-confirm').removeEventListener('click', confirm);
      dialog.removeEventListener('cancel', keep);
      dialog.close();
      resolve(confirmed);
    };
    const keep = done(false);
    const confirm = done(true);
    $('#cancel-keep').addEventListener('click', keep);
    $('#cancel-confirm').addEventListener('click', confirm);
    dialog.addEventListener('cancel', keep);
    dialog.showModal();
  });
}

async function cancelVoucher(voucher) {
  if (!await confirmCancel(voucher)) return;
  const message = $('#manage-message');
  try {
    const cancelled = await api('POST', `/api/vouchers/${voucher.id}/cancel`, { keyed: true });
    const entry = state.manage.get(voucher.id);
    // A 202 shows the voucher as it was, without its code: the list keeps it until the cancel is known.
    if (entry && cancelled.status === 'CANCELLED') {
      entry.voucher = cancelled;
      renderItem(entry.item, cancelled);
    }
    // Answered 202 when the pipeline took longer than the bank waits: the list shows it cancelled when it is.
    say(message, () => cancelled.status === 'CANCELLED'
      ? t('cancelledOk', { amount: formatMoney(cancelled.amount, cancelled.currency) })
      : t('cancelPending'));
  } catch (error) {
    if (endedBySignOut(error)) return;
    say(message, () => reason(error.code));
  }
  // The button is gone with the voucher's new state: the news is where the focus goes.
  message.focus();
}

// ---- settings ----

$('#settings-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { redemptionMode: $('#settings-mode').value, stepUpPolicy: $('#settings-stepup').value };
  if ($('#settings-generation').value) body.defaultGenerationAccountId = $('#settings-generation').value;
  if ($('#settings-redemption').value) body.defaultRedemptionAccountId = $('#settings-redemption').value;
  say($('#settings-message'));
  try {
    // Weakening a protection needs a fresh sign-in, as confirming a voucher does.
    state.settings = await confirmed(() => api('PUT', '/api/settings', { body }), $('#settings-message'));
    // Drawn again from the answer, not kept as chosen: what the form shows is what the bank holds.
    ['#settings-generation', '#settings-redemption'].forEach((selector) => { $(selector).selectedIndex = -1; });
    renderAccounts();
    say($('#settings-message'), () => t('saved'));
  } catch (error) {
    if (!endedBySignOut(error)) say($('#settings-message'), () => reason(error.code));
  }
});

destinationChosen();
applyLanguage();
