// The web app: plain ES modules, no build step. Every call goes to the HTTP API of SPEC section 3.
import { texts } from './i18n.js';

const $ = (selector) => document.querySelector(selector);
const state = { language: localStorage.getItem('language') || 'en', token: null, customer: null, accounts: [], settings: null, streams: new Map() };

// ---- language ----

function t(key) {
  return texts[state.language][key] ?? texts.en[key] ?? key;
}

function reason(code) {
  return texts[state.language].reasons[code] ?? texts.en.reasons[code] ?? `${texts[state.language].reasons.UNKNOWN} (${code})`;
}

function statusText(status) {
  return texts[state.language].statuses[status] ?? status;
}

function applyLanguage() {
  document.documentElement.lang = state.language === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((node) => { node.placeholder = t(node.dataset.i18nPlaceholder); });
  $('#language').textContent = state.language === 'zh' ? 'English' : '中文';
  renderAccounts();
  if (state.lastRedemption) showRedemption(...state.lastRedemption);
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

async function api(method, path, { body, form, prefer, raw } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (prefer) headers.Prefer = prefer;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Refusal(problem.code ?? 'UNKNOWN', response.status);
  }
  return raw ? response : response.status === 204 ? null : response.json();
}

async function signIn(customer) {
  const response = await fetch('/dev/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customerId: customer }) });
  if (!response.ok) throw new Refusal('UNKNOWN', response.status);
  state.token = (await response.json()).accessToken;
  state.customer = customer;
  state.signedInAt = Date.now();
}

/** Live status: Server-Sent Events read with fetch, which, unlike EventSource, can send the token. */
async function follow(voucherId, onVoucher) {
  stopFollowing(voucherId);
  const controller = new AbortController();
  state.streams.set(voucherId, controller);
  try {
    const response = await fetch(`/api/vouchers/${voucherId}/events`, { headers: { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' }, signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event:(.*)$/m.exec(message)?.[1]?.trim();
        const data = message.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).join('\n');
        if (event === 'voucher' && data) onVoucher(JSON.parse(data));
      }
    }
  } catch (error) {
    if (error.name !== 'AbortError') console.warn('live status stopped', error);
  }
}

function stopFollowing(voucherId) {
  state.streams.get(voucherId)?.abort();
  state.streams.delete(voucherId);
}

// ---- sign-in and tabs ----

document.querySelectorAll('[data-customer]').forEach((button) => button.addEventListener('click', async () => {
  await signIn(button.dataset.customer);
  $('#customer').textContent = state.customer;
  $('#signin').hidden = true;
  $('#app').hidden = false;
  await loadAccountsAndSettings();
  showTab('generate');
}));

$('#signout').addEventListener('click', () => {
  state.streams.forEach((controller) => controller.abort());
  state.streams.clear();
  Object.assign(state, { token: null, customer: null });
  $('#app').hidden = true;
  $('#signin').hidden = false;
});

document.querySelectorAll('[data-tab]').forEach((button) => button.addEventListener('click', () => showTab(button.dataset.tab)));

function showTab(name) {
  document.querySelectorAll('.tab').forEach((section) => { section.hidden = section.id !== name; });
  document.querySelectorAll('[data-tab]').forEach((button) => button.toggleAttribute('aria-current', button.dataset.tab === name));
  document.querySelectorAll('[data-tab]').forEach((button) => { if (button.dataset.tab === name) button.setAttribute('aria-current', 'page'); });
  if (name === 'manage') listVouchers();
  if (name === 'settings' || name === 'redeem' || name === 'generate') loadAccountsAndSettings();
}

async function loadAccountsAndSettings() {
  [state.accounts, state.settings] = await Promise.all([api('GET', '/api/accounts'), api('GET', '/api/settings')]);
  renderAccounts();
}

function renderAccounts() {
  const settings = state.settings ?? {};
  accountOptions($('#generate-account'), settings.defaultGenerationAccountId);
  accountOptions($('#redeem-account'), settings.defaultRedemptionAccountId);
  accountOptions($('#settings-generation'), settings.defaultGenerationAccountId, true);
  accountOptions($('#settings-redemption'), settings.defaultRedemptionAccountId, true);
  if (state.settings) {
    $('#settings-mode').value = settings.redemptionMode;
    $('#settings-stepup').value = settings.stepUpPolicy;
    const last = settings.lastUsedRedemptionDestination;
    if (last?.type === 'EXTERNAL_ACCOUNT') {
      $('#redeem-bank').value = last.bank; $('#redeem-name').value = last.name; $('#redeem-number').value = last.number;
    } else if (last?.accountId) {
      $('#redeem-account').value = last.accountId;
    }
  }
}

function accountOptions(select, selected, withNone) {
  const options = state.accounts.map((account) => {
    const option = new Option(`${account.accountId} · ${account.available} ${account.currency} ${t('available')}`, account.accountId);
    option.selected = account.accountId === selected;
    return option;
  });
  if (withNone) options.unshift(new Option(t('none'), ''));
  select.replaceChildren(...options);
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

const AMOUNT = /^\d{1,7}(\.\d{1,2})?$/;

$('#generate-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const amount = $('#generate-amount').value.trim();
  $('#generate-error').textContent = '';
  if (!AMOUNT.test(amount) || Number(amount) <= 0) {
    $('#generate-error').textContent = reason('INVALID_AMOUNT');
    return;
  }
  if (Number(amount) > 1000) {
    $('#generate-error').textContent = reason('AMOUNT_EXCEEDS_VOUCHER_CAP');
    return;
  }
  const account = state.accounts.find((candidate) => candidate.accountId === $('#generate-account').value);
  const expires = $('#generate-expires').value;
  const body = { accountId: account.accountId, amount, currency: account.currency, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
  try {
    showVoucher(await generateConfirmed(body));
  } catch (error) {
    $('#generate-error').textContent = reason(error.code);
  }
});

/** Generates; when the bank asks for the password (step-up), confirms by signing in again and retries. */
async function generateConfirmed(body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api('POST', '/api/vouchers', { body, prefer: 'wait=10' });
    } catch (error) {
      if (error.code !== 'STEP_UP_REQUIRED' || attempt >= 3) throw error;
      $('#generate-error').textContent = t('confirmStepUp');
      // A sign-in counts once and is dated to the second: the next one must be a later second.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1100 - (Date.now() - state.signedInAt))));
      await signIn(state.customer);
      $('#generate-error').textContent = '';
    }
  }
}

async function showVoucher(voucher) {
  $('#generate-form').hidden = true;
  $('#voucher').hidden = false;
  $('#voucher-amount').textContent = `${voucher.amount} ${voucher.currency}`;
  renderVoucherStatus(voucher);
  if (voucher.status === 'UNUSED') {
    const picture = await api('GET', `/api/vouchers/${voucher.id}/qr.png`, { raw: true }).then((response) => response.blob());
    const url = URL.createObjectURL(picture);
    $('#voucher-qr').src = url;
    $('#voucher-download').href = url;
    $('#voucher-download').download = `voucher-${voucher.id}.png`;
  } else {
    $('#voucher-qr').removeAttribute('src');
    $('#generate-error').textContent = voucher.reason ? reason(voucher.reason) : '';
  }
  countdown(new Date(voucher.expiresAt));
  follow(voucher.id, renderVoucherStatus);
}

function renderVoucherStatus(voucher) {
  $('#voucher-status').textContent = statusText(voucher.status);
  $('#voucher-status').dataset.status = voucher.status;
}

let ticking;
function countdown(expiresAt) {
  clearInterval(ticking);
  const tick = () => {
    const left = Math.max(0, expiresAt.getTime() - Date.now());
    const hours = Math.floor(left / 3_600_000), minutes = Math.floor(left / 60_000) % 60, seconds = Math.floor(left / 1000) % 60;
    $('#voucher-countdown').textContent = left === 0 ? t('expired') : `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  };
  tick();
  ticking = setInterval(tick, 1000);
}

$('#voucher-new').addEventListener('click', () => {
  $('#voucher').hidden = true;
  $('#generate-form').hidden = false;
  $('#generate-amount').value = '';
  $('#generate-error').textContent = '';
});

// ---- redeem ----

let picture = null;

$('#redeem-picture').addEventListener('change', async () => {
  picture = $('#redeem-picture').files[0];
  scannedCode = null;
  state.lastRedemption = null;
  $('#redeem-result').textContent = '';
  if (!picture) return;
  if (state.settings?.redemptionMode === 'REDEEM_ON_SCAN') {
    await redeemPicture({});
  } else {
    $('#redeem-form').hidden = false;
  }
});

$('#redeem-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const amount = $('#redeem-amount').value.trim();
  if (amount && (!AMOUNT.test(amount) || Number(amount) <= 0)) {
    showRedemption(null, 'INVALID_AMOUNT');
    return;
  }
  const external = document.querySelector('input[name="destination"]:checked').value === 'external';
  const fields = external
    ? { 'externalAccount.bank': $('#redeem-bank').value, 'externalAccount.name': $('#redeem-name').value, 'externalAccount.number': $('#redeem-number').value }
    : { accountId: $('#redeem-account').value };
  const confirmed = { ...fields, ...(amount ? { amount } : {}) };
  await (picture ? redeemPicture(confirmed) : redeemScanned(confirmed));
});

async function redeemPicture(fields) {
  const form = new FormData();
  form.append('image', picture);
  Object.entries(fields).forEach(([name, value]) => form.append(name, value));
  $('#redeem-result').textContent = t('working');
  $('#redeem-result').className = '';
  try {
    showRedemption(await api('POST', '/api/redemptions', { form, prefer: 'wait=10' }));
  } catch (error) {
    showRedemption(null, error.code);
  }
}

function showRedemption(redemption, refusal) {
  state.lastRedemption = [redemption, refusal];
  const result = $('#redeem-result');
  if (redemption?.status === 'SUCCEEDED') {
    result.textContent = t('redeemedOk').replace('{amount}', redemption.amount).replace('{currency}', redemption.currency);
    result.className = 'ok';
    $('#redeem-form').hidden = true;
    loadAccountsAndSettings();
  } else if (redemption?.status === 'PENDING') {
    result.textContent = t('pending');
    result.className = '';
  } else {
    result.textContent = reason(refusal ?? redemption?.reason ?? 'UNKNOWN');
    result.className = 'refused';
  }
}

// Scanning with the camera: the browser's own QR reader where it has one, jsQR otherwise.
let scannedCode = null;

if (navigator.mediaDevices?.getUserMedia) {
  $('#scan').hidden = false;
  $('#scan-start').addEventListener('click', scanWithCamera);
}

async function scanWithCamera() {
  const video = $('#camera');
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (error) {
    showRedemption(null, 'CAMERA_UNAVAILABLE');
    return;
  }
  video.hidden = false;
  await video.play();
  const read = 'BarcodeDetector' in window ? barcodeDetector() : await jsQrReader();
  const look = async () => {
    const code = video.readyState >= 2 ? await read(video) : null;
    if (!code) { requestAnimationFrame(look); return; }
    video.srcObject.getTracks().forEach((track) => track.stop());
    video.hidden = true;
    picture = null;
    scannedCode = code;
    if (state.settings?.redemptionMode === 'REDEEM_ON_SCAN') {
      await redeemScanned({});
    } else {
      $('#redeem-form').hidden = false;
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
  if (fields.accountId || !fields['externalAccount.bank']) {
    body.accountId = fields.accountId ?? state.settings?.defaultRedemptionAccountId ?? state.accounts[0]?.accountId;
  } else {
    body.externalAccount = { bank: fields['externalAccount.bank'], name: fields['externalAccount.name'], number: fields['externalAccount.number'] };
  }
  $('#redeem-result').textContent = t('working');
  try {
    showRedemption(await api('POST', '/api/redemptions', { body, prefer: 'wait=10' }));
  } catch (error) {
    showRedemption(null, error.code);
  }
}

// ---- manage ----

$('#manage-filter').addEventListener('submit', (event) => { event.preventDefault(); listVouchers(); });

async function listVouchers() {
  const query = new URLSearchParams({ role: $('#manage-role').value, size: '50' });
  if ($('#manage-status').value) query.set('status', $('#manage-status').value);
  if ($('#manage-from').value) query.set('from', new Date($('#manage-from').value).toISOString());
  if ($('#manage-to').value) query.set('to', new Date(new Date($('#manage-to').value).getTime() + 86_400_000).toISOString());
  const page = await api('GET', `/api/vouchers?${query}`);
  $('#manage-message').textContent = page.items.length ? '' : t('nothing');
  $('#manage-list').replaceChildren();
  for (const voucher of page.items) {
    const item = document.createElement('li');
    item.dataset.voucher = voucher.id;
    $('#manage-list').append(item);
    renderItem(item, voucher);
    if (['PENDING', 'UNUSED', 'REDEEMING'].includes(voucher.status)) follow(voucher.id, (changed) => renderItem(item, changed));
  }
}

function renderItem(item, voucher) {
  const locale = state.language === 'zh' ? 'zh-CN' : 'en';
  const summary = element('summary', {}, element('b', {}, `${voucher.amount} ${voucher.currency}`));
  if (voucher.redeemedAmount) summary.append(` · ${t('redeemed')} ${voucher.redeemedAmount}`);
  summary.append(element('small', {}, new Date(voucher.createdAt).toLocaleString(locale)));
  const details = element('details', {}, summary,
    element('small', {}, `${t('validUntilShort')} ${new Date(voucher.expiresAt).toLocaleString(locale)}`));
  if (voucher.reason) details.append(element('small', {}, reason(voucher.reason)));
  const into = voucher.destination ? (voucher.destination.accountId ?? `${voucher.destination.bank} · ${voucher.destination.name} · ${voucher.destination.number}`) : '';
  if (into) details.append(element('small', {}, `${t('destination')} ${into}`));
  if (voucher.accountId) details.append(element('small', {}, `${t('account')} ${voucher.accountId}`));
  const status = element('span', { className: 'status' }, statusText(voucher.status));
  status.dataset.status = voucher.status;
  item.replaceChildren(details, element('div', {}, status));
  if (voucher.status === 'UNUSED' && voucher.role === 'payer') {
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = t('cancel');
    cancel.addEventListener('click', async () => {
      try {
        renderItem(item, await api('POST', `/api/vouchers/${voucher.id}/cancel`));
      } catch (error) {
        $('#manage-message').textContent = reason(error.code);
      }
    });
    item.append(cancel);
  }
}

// ---- settings ----

$('#settings-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { redemptionMode: $('#settings-mode').value, stepUpPolicy: $('#settings-stepup').value };
  if ($('#settings-generation').value) body.defaultGenerationAccountId = $('#settings-generation').value;
  if ($('#settings-redemption').value) body.defaultRedemptionAccountId = $('#settings-redemption').value;
  try {
    state.settings = await api('PUT', '/api/settings', { body });
    $('#settings-message').textContent = t('saved');
  } catch (error) {
    $('#settings-message').textContent = reason(error.code);
  }
});

applyLanguage();
