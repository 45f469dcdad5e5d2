// Clicks (and types) through the web app on phone-sized pages, against the real pipeline:
// - alice generates a voucher; amounts and accounts show as a bank shows them, the cap comes from the server;
// - alice, on a second phone, shows another voucher in counter mode; someone in the queue photographs it;
// - bob redeems the first by uploading the picture alice's page offers for download, keyboard only, into an
//   account at another bank whose holder and bank names are markup with script in it; alice sees it REDEEMED
//   live over one stream that the ingress keeps cutting (ingress.live-status.max-age) and the page resumes;
// - alice has eight live vouchers on her Manage page: one live connection, and the page's calls still go through;
//   she generates and cancels one keyboard only, after a confirmation; the names show as text and nothing runs;
// - her session ends (the API answers 401) on a call and on the live stream: she signs in again, nothing is lost;
// - the photo of the counter code, two steps old, is refused; the code on the screen now is taken, once;
// - a second redemption of the first voucher is refused; carol scans one with the camera; bob stops the camera;
// - bob changes a setting keyboard only; every page passes axe (WCAG 2.2 AA) in English and in Chinese.
// Usage: node flow.mjs <base url> <screenshot directory>
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync, writeFileSync } from 'node:fs';

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
// A fake camera that films a test pattern (no QR): the camera can be started and stopped.
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true };
const started = Date.now();
const step = (name) => console.log(`step (${Math.round((Date.now() - started) / 1000)} s): ${name}`);
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
// Names a payee may type for an account at another bank: were they ever parsed as HTML, they would set window.__xss.
const HOLDER = '<img src=x onerror=window.__xss=1>';
const BANK = '<b>Evil</b> Bank <svg onload=window.__xss=2>';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectNothingRan(page) {
  check(await page.evaluate(() => window.__xss) === undefined, 'script from the holder or bank name ran');
}

async function expectText(page, selector, text, timeout = 20_000) {
  await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.includes(t), [selector, text], { timeout })
    .catch(async (error) => {
      const shown = await page.evaluate((s) => document.querySelector(s)?.textContent, selector).catch(() => '?');
      throw new Error(`${selector} shows "${shown?.trim()}", not "${text}": ${error.message}`);
    });
}

async function signIn(page, customer) {
  await page.goto(base);
  await page.click(`[data-customer="${customer}"]`);
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#generate-account option').length > 0);
}

/** Polls a condition of the test's own (what it recorded) until it holds, at most for the timeout. */
async function until(condition, message, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The API as a customer's own client calls it, with a fresh sign-in (one confirms one voucher). */
async function call(customer, method, path, body) {
  const signedIn = await fetch(`${base}/dev/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ customerId: customer }) }).then((response) => response.json());
  const response = await fetch(`${base}${path}`, { method, body: body && JSON.stringify(body),
    headers: { Authorization: `Bearer ${signedIn.accessToken}`, 'Content-Type': 'application/json', Prefer: 'wait=10' } });
  check(response.ok, `${method} ${path}: ${response.status}`);
  return response.json();
}

/** Until the customer's list, as the API answers it, satisfies {@code condition}. */
async function listed(customer, condition, message, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  while (!condition((await call(customer, 'GET', '/api/vouchers?size=50')).items)) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---- accessibility: axe on the page as it is, in English and in Chinese ----

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
let axeRuns = 0;

async function axe(page, name) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  axeRuns++;
  const bad = results.violations.filter((violation) => ['serious', 'critical'].includes(violation.impact));
  check(bad.length === 0, `accessibility of ${name}: ${bad.map((violation) => `${violation.id} (${violation.impact}): `
    + `${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`).join('; ')}`);
}

/** Checks the page in its language and in the other one, and switches back; the focus stays where it was. */
async function accessible(page, name) {
  const language = () => page.evaluate(() => document.documentElement.lang);
  const first = await language();
  await axe(page, `${name} (${first})`);
  // A script click: it works while a modal dialog makes the button inert, and moves no focus.
  await page.evaluate(() => document.querySelector('#language').click());
  await page.waitForFunction((was) => document.documentElement.lang !== was, first);
  await axe(page, `${name} (${await language()})`);
  await page.evaluate(() => document.querySelector('#language').click());
  await page.waitForFunction((was) => document.documentElement.lang === was, first);
}

// ---- the keyboard alone ----

/** Presses Tab (or Shift+Tab) until the element is focused: it must be reachable that way. */
async function tabTo(page, selector, { backwards = false, max = 60 } = {}) {
  for (let presses = 0; presses < max; presses++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${selector} is not reached with the ${backwards ? 'Shift+' : ''}Tab key`);
}

/**
 * Opens a file input's chooser from the keyboard: Tab to it, Space. Chromium drops the key now and then on a
 * busy machine (no chooser comes), so the customer's second and third try are made too.
 */
async function chooseFileByKeyboard(page, selector, file) {
  for (let attempt = 1; ; attempt++) {
    await tabTo(page, selector);
    try {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10_000 }), page.keyboard.press('Space')]);
      await chooser.setFiles(file);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** In the focused select, presses the arrow keys until the option with the value is chosen. */
async function chooseByKeyboard(page, value) {
  for (const key of ['ArrowDown', 'ArrowUp']) {
    for (let presses = 0; presses < 12; presses++) {
      if (await page.evaluate((v) => document.activeElement.value === v, value)) return;
      await page.keyboard.press(key);
    }
  }
  throw new Error(`no option ${value} in the focused select`);
}

// ---- the live connections of a page ----

/** The page's status streams: every one it opened (ids, Last-Event-ID, answer), and those open now. */
function liveStreams(page) {
  const streams = { opened: [], open: new Set() };
  page.on('request', (request) => {
    if (!request.url().includes('/api/vouchers/events')) return;
    const stream = { ids: new URL(request.url()).searchParams.get('ids').split(','), lastEventId: request.headers()['last-event-id'] };
    streams.opened.push(stream);
    streams.open.add(request);
    request.response().then((answer) => { stream.status = answer?.status(); }, () => {});
  });
  const closed = (request) => streams.open.delete(request);
  page.on('requestfinished', closed);
  page.on('requestfailed', closed);
  return streams;
}

try {
  step('the sign-in page: a strict Content-Security-Policy, accessible');
  const alice = await (await browser.newContext(phone)).newPage();
  const aliceStreams = liveStreams(alice);
  const response = await alice.goto(base);
  const policy = response.headers()['content-security-policy'] ?? '';
  check(policy.includes("script-src 'self'") && !policy.includes('unsafe-inline'),
    `the page has a strict Content-Security-Policy: ${policy}`);
  await shot(alice, '1-sign-in');
  await accessible(alice, 'sign-in');

  step('alice generates a voucher: her account by name, the cap from the server, amounts as the locale writes them');
  await signIn(alice, 'alice');
  const limits = await call('alice', 'GET', '/api/limits');
  const account = await alice.$eval('#generate-account option', (option) => option.textContent);
  check(account.includes('••••') && !account.includes('alice-cny'), `the account shows by name and masked number: ${account}`);
  await expectText(alice, '#generate-cap', '1,000.00');
  check(limits.voucherCaps.CNY === '1000.00', 'the server gives the cap');
  await alice.fill('#generate-amount', '1000.01');
  await alice.click('#generate-form button[type=submit]');
  await expectText(alice, '#generate-error', '¥1,000.00');
  // A decimal comma, as many keypads type one, is no amount: read as 150 it froze a hundred times what was meant.
  await alice.fill('#generate-amount', '1,50');
  await alice.click('#generate-form button[type=submit]');
  await expectText(alice, '#generate-error', 'Enter an amount such as 12.34.');
  await alice.fill('#generate-amount', '12.34');
  await shot(alice, '2-generate');
  await accessible(alice, 'generate');
  await alice.click('#generate-form button[type=submit]');
  await alice.waitForSelector('#voucher-qr[src]');
  await expectText(alice, '#voucher-status', 'Unused');
  await expectText(alice, '#voucher-amount', '¥12.34');
  await shot(alice, '3-voucher-qr');
  await accessible(alice, 'the voucher');
  const [download] = await Promise.all([alice.waitForEvent('download'), alice.click('#voucher-download')]);
  const qrPicture = `${shots}/downloaded-qr.png`;
  await download.saveAs(qrPicture);
  const firstId = download.suggestedFilename().replace(/^voucher-|\.png$/g, '');

  step('alice, on a second phone, shows another voucher in counter mode; someone in the queue photographs it');
  const counter = await (await browser.newContext(phone)).newPage();
  await signIn(counter, 'alice');
  await counter.fill('#generate-amount', '3.00');
  await counter.click('#generate-form button[type=submit]');
  await counter.waitForSelector('#voucher-qr[src]', { timeout: 30_000 });
  await counter.check('#counter-mode');
  await expectText(counter, '#counter-next', ' s');
  await counter.waitForFunction(() => document.querySelector('#voucher-qr').src.startsWith('blob:') && document.querySelector('#voucher-download').hidden);
  // Every picture the counter screen shows, in order: the page changes it at each new step of the server's.
  await counter.evaluate(() => {
    const qr = document.querySelector('#voucher-qr');
    window.shown = [qr.src];
    new MutationObserver(() => window.shown.push(qr.src)).observe(qr, { attributes: true, attributeFilter: ['src'] });
  });
  const oldPhoto = `${shots}/counter-photo-old.png`;
  await counter.locator('#voucher-qr').screenshot({ path: oldPhoto });
  // Counted after the photo: the photo is of this picture or an older one.
  const photographed = await counter.evaluate(() => window.shown.length - 1);
  await shot(counter, '14-counter-mode');
  await accessible(counter, 'counter mode');

  step('bob redeems the first voucher by uploading the downloaded picture, keyboard only, into an account at another bank');
  const bob = await (await browser.newContext(phone)).newPage();
  await signIn(bob, 'bob');
  // Signed in, the focus is on the first tab.
  await tabTo(bob, '[data-tab="redeem"]');
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('#redeem:not([hidden])');
  // The camera starts and stops on the customer's word (here a fake one filming a test pattern).
  await tabTo(bob, '#scan-start');
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('#camera:not([hidden])');
  check(await bob.evaluate(() => document.activeElement.id) === 'scan-stop', 'the stop control takes the focus');
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('#camera', { state: 'hidden' });
  check(await bob.evaluate(() => document.querySelector('#camera').srcObject.getTracks().every((track) => track.readyState === 'ended')),
    'stopping ends the camera');
  await chooseFileByKeyboard(bob, '#redeem-picture', qrPicture);
  await bob.waitForSelector('#redeem-form:not([hidden])');
  await expectText(bob, '#redeem-preview', '¥12.34'); // the face value, before an amount is chosen
  await tabTo(bob, 'input[name="destination"][value="own"]');
  await bob.keyboard.press('ArrowDown');
  check(await bob.isChecked('input[name="destination"][value="external"]'), 'the arrow key chooses another bank');
  await tabTo(bob, '#redeem-bank');
  await bob.keyboard.type(BANK);
  await bob.keyboard.press('Tab');
  await bob.keyboard.type(HOLDER);
  await bob.keyboard.press('Tab');
  await bob.keyboard.type('6222 0202 0000 4321');
  await shot(bob, '4-redeem-confirm');
  await accessible(bob, 'redeem');
  const redemptionsSent = [];
  bob.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/redemptions') redemptionsSent.push(request.url());
  });
  await tabTo(bob, '#redeem-form button[type=submit]');
  await bob.keyboard.press('Enter');
  await bob.keyboard.press('Enter'); // pressed again while the bank answers
  await bob.waitForSelector('#redeem-result.ok', { timeout: 20_000 });
  check(redemptionsSent.length === 1, `one redemption sent for two presses, not ${redemptionsSent.length}`);
  await expectText(bob, '#redeem-result', '¥12.34');
  await shot(bob, '5-redeemed');
  await accessible(bob, 'redeemed');

  step('alice sees it redeemed, live, over a stream the ingress cut and her page resumed from its last event id');
  await expectText(alice, '#voucher-status', 'Redeemed');
  await shot(alice, '6-voucher-redeemed-live');
  const firstStreams = aliceStreams.opened.filter((stream) => stream.ids.includes(firstId));
  check(firstStreams.length >= 2, `the stream was cut and resumed: ${JSON.stringify(firstStreams)}`);
  check(firstStreams.every((stream) => /^-?\d+(\.-?\d+)*$/.test(stream.lastEventId ?? '')
      && stream.lastEventId.split('.').length === stream.ids.length),
    `every stream resumes from the last event id: ${JSON.stringify(firstStreams)}`);

  step('alice has eight live vouchers: her Manage page follows them over one connection, and its calls go through');
  for (let i = 1; i <= 7; i++) await call('alice', 'POST', '/api/vouchers', { accountId: 'alice-cny', amount: `1.0${i}`, currency: 'CNY' });
  // The list follows the vouchers by a commit or two of its index: the page reads it once, as it opens.
  await listed('alice', (items) => items.filter((item) => ['PENDING', 'UNUSED'].includes(item.status)).length >= 8,
    'alice has eight live vouchers listed');
  await alice.click('[data-tab="manage"]');
  await alice.waitForFunction(() => document.querySelectorAll('#manage-list li .cancel').length >= 8, null, { timeout: 20_000 });
  const liveIds = await alice.$$eval('#manage-list li', (items) => items
    .filter((item) => ['PENDING', 'UNUSED', 'REDEEMING'].includes(item.querySelector('.status').dataset.status))
    .map((item) => item.dataset.voucher));
  // One stream follows up to 20 (ingress.live-status.max-vouchers): the newest, the ones on top.
  await until(() => aliceStreams.opened.some((stream) => liveIds.slice(0, 20).every((id) => stream.ids.includes(id))),
    `one stream follows the ${liveIds.length} live vouchers`);
  await until(() => aliceStreams.open.size === 1, `one live connection, not ${aliceStreams.open.size}`);
  // With six or more streams the browser would hold every later call of the page; these go through.
  await alice.click('[data-tab="settings"]');
  await alice.waitForFunction(() => document.querySelector('#settings-mode').value !== '', null, { timeout: 10_000 });
  await alice.click('[data-tab="manage"]');
  await alice.waitForFunction(() => document.querySelectorAll('#manage-list li .cancel').length >= 8, null, { timeout: 10_000 });
  await until(() => aliceStreams.open.size === 1, `one live connection, not ${aliceStreams.open.size}`);

  step("alice's Manage page shows the holder and bank names as text, and nothing in them runs");
  await alice.waitForFunction(([holder, bank]) => [...document.querySelectorAll('#manage-list li')]
    .some((item) => item.textContent.includes(holder) && item.textContent.includes(bank)), [HOLDER, BANK], { timeout: 20_000 });
  check(await alice.evaluate(() => document.querySelectorAll('#manage-list img, #manage-list svg').length) === 0,
    'the names became elements');
  check(await alice.evaluate(() => [...document.querySelectorAll('#manage-list small')].every((line) => line.children.length === 0)),
    'the names became markup');
  check(!(await alice.textContent('#manage-list')).includes('alice-cny'), 'accounts show by name, not by id');
  await expectNothingRan(alice);
  await alice.locator('#manage-list li', { hasText: HOLDER }).first().locator('summary').click();
  await shot(alice, '7-manage');
  await accessible(alice, 'manage');

  step('alice generates a voucher keyboard only');
  await tabTo(alice, '[data-tab="generate"]', { backwards: true });
  await alice.keyboard.press('Enter');
  await alice.waitForSelector('#generate:not([hidden])');
  if (await alice.isVisible('#voucher-new')) {
    await tabTo(alice, '#voucher-new');
    await alice.keyboard.press('Enter');
  }
  await tabTo(alice, '#generate-amount');
  await alice.keyboard.type('5.00');
  // Its picture is not had the first time (the bank busy): the page says so and asks again.
  await alice.route('**/qr.png', (route) => route.fulfill({ status: 503, contentType: 'application/problem+json',
    headers: { 'Retry-After': '1' }, body: JSON.stringify({ status: 503, code: 'TEMPORARILY_UNAVAILABLE' }) }), { times: 1 });
  await tabTo(alice, '#generate-form button[type=submit]');
  await alice.keyboard.press('Enter');
  await expectText(alice, '#generate-error', 'The service is busy');
  await alice.waitForSelector('#voucher-qr[src]', { timeout: 30_000 });
  await alice.waitForFunction(() => document.querySelector('#generate-error').textContent === '');
  await expectText(alice, '#voucher-amount', '¥5.00');

  step('alice cancels it on the Manage page keyboard only, after a confirmation');
  await tabTo(alice, '[data-tab="manage"]', { backwards: true });
  await alice.keyboard.press('Enter');
  await alice.waitForFunction(() => document.querySelector('#manage-list li .cancel'), null, { timeout: 20_000 });
  await tabTo(alice, '#manage-status');
  await chooseByKeyboard(alice, 'UNUSED');
  await tabTo(alice, '#manage-filter button[type=submit]');
  await alice.keyboard.press('Enter');
  await alice.waitForFunction(() => [...document.querySelectorAll('#manage-list li')].every((item) => item.querySelector('.cancel'))
    && document.querySelector('#manage-list li b')?.textContent.includes('5.00'), null, { timeout: 20_000 });
  await tabTo(alice, '#manage-list li:first-child .cancel');
  await alice.keyboard.press('Enter');
  await alice.waitForSelector('#cancel-dialog[open]');
  check(await alice.evaluate(() => document.activeElement.id) === 'cancel-keep', 'the dialog opens on "Keep it"');
  await expectText(alice, '#cancel-text', '¥5.00');
  await shot(alice, '16-cancel-confirm');
  await accessible(alice, 'cancel confirmation');
  await alice.keyboard.press('Escape');
  await alice.waitForSelector('#cancel-dialog', { state: 'hidden' });
  check(await alice.isVisible('#manage-list li:first-child .cancel'), 'Escape keeps the voucher');
  await tabTo(alice, '#manage-list li:first-child .cancel');
  await alice.keyboard.press('Enter');
  await alice.waitForSelector('#cancel-dialog[open]');
  await tabTo(alice, '#cancel-confirm');
  await alice.keyboard.press('Enter');
  await expectText(alice, '#manage-list li:first-child', 'Cancelled');
  await expectText(alice, '#manage-message', '¥5.00');
  await shot(alice, '8-cancelled');

  step("alice's session ends on a call: she signs in again over the page, and the call goes through with her filter kept");
  await alice.selectOption('#manage-status', 'CANCELLED');
  await alice.route((url) => url.pathname === '/api/vouchers' && url.search !== '', (route) => route.fulfill({ status: 401, contentType: 'application/problem+json',
    body: JSON.stringify({ code: 'UNAUTHENTICATED', status: 401 }) }), { times: 1 });
  await alice.click('#manage-filter button[type=submit]');
  await alice.waitForSelector('#session-dialog[open]');
  await shot(alice, '17-session-expired');
  await accessible(alice, 'session ended');
  await alice.route('**/dev/token', (route) => route.fulfill({ status: 503, contentType: 'application/problem+json',
    body: JSON.stringify({ code: 'UNAVAILABLE', status: 503 }) }), { times: 1 });
  await alice.click('#session-again');
  await expectText(alice, '#session-error', 'Signing in did not work');
  check(await alice.isVisible('#session-dialog'), 'a sign-in that failed says so and keeps the dialog for another try');
  await alice.click('#session-again');
  await alice.waitForSelector('#session-dialog', { state: 'hidden' });
  await alice.waitForFunction(() => [...document.querySelectorAll('#manage-list li .status')].length > 0
    && [...document.querySelectorAll('#manage-list li .status')].every((status) => status.dataset.status === 'CANCELLED'), null, { timeout: 20_000 });
  check(await alice.inputValue('#manage-status') === 'CANCELLED', 'the filter is kept');

  step('and on the live stream: the resumed stream is refused, she signs in again, it resumes');
  await alice.selectOption('#manage-status', 'UNUSED');
  await alice.click('#manage-filter button[type=submit]');
  await alice.waitForFunction(() => document.querySelectorAll('#manage-list li .cancel').length >= 8, null, { timeout: 20_000 });
  await alice.route((url) => url.pathname === '/api/vouchers/events', (route) => route.fulfill({ status: 401, contentType: 'application/problem+json',
    body: JSON.stringify({ code: 'UNAUTHENTICATED', status: 401 }) }), { times: 1 });
  await alice.waitForSelector('#session-dialog[open]', { timeout: 20_000 });
  const before = aliceStreams.opened.length;
  await alice.click('#session-again');
  await alice.waitForSelector('#session-dialog', { state: 'hidden' });
  await until(() => aliceStreams.opened.slice(before).some((stream) => stream.status === 200), 'the stream resumes after the sign-in');

  step('a second redemption of the first voucher, by its saved picture, is refused with a message, before any form');
  await bob.setInputFiles('#redeem-picture', []);
  await bob.setInputFiles('#redeem-picture', qrPicture);
  await bob.waitForSelector('#redeem-result.refused', { timeout: 20_000 });
  check(await bob.isHidden('#redeem-form'), 'no amount is asked for a voucher already redeemed');
  await expectText(bob, '#redeem-result', 'already been redeemed');
  await shot(bob, '9-refused');

  step('carol scans a voucher with the camera (jsQR reading a fake camera that films the QR)');
  await alice.click('[data-tab="generate"]');
  await alice.click('#voucher-new');
  await alice.fill('#generate-amount', '2.00');
  await alice.click('#generate-form button[type=submit]');
  await alice.waitForSelector('#voucher-qr[src]', { timeout: 30_000 });
  const frame = await alice.evaluate(async () => {
    const qr = document.querySelector('#voucher-qr');
    const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 640, 480);
    context.drawImage(qr, 140, 60, 360, 360);
    return canvas.toDataURL('image/jpeg', 0.9).split(',')[1];
  });
  const film = `${shots}/camera.mjpeg`;
  writeFileSync(film, Buffer.concat(Array.from({ length: 30 }, () => Buffer.from(frame, 'base64'))));
  const cameraBrowser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${film}`],
  });
  try {
    const carol = await (await cameraBrowser.newContext({ ...phone, permissions: ['camera'] })).newPage();
    await signIn(carol, 'carol');
    await carol.click('[data-tab="redeem"]');
    await carol.click('#scan-start');
    await carol.waitForSelector('#redeem-form:not([hidden])', { timeout: 30_000 });
    await carol.click('#redeem-form button[type=submit]');
    await carol.waitForSelector('#redeem-result.ok', { timeout: 20_000 });
    await expectText(carol, '#redeem-result', '¥2.00');
    await shot(carol, '13-scanned-with-camera');
  } finally {
    await cameraBrowser.close();
  }

  step('bob changes a setting keyboard only');
  await tabTo(bob, '[data-tab="settings"]', { backwards: true });
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('#settings:not([hidden])');
  await bob.waitForFunction(() => document.querySelectorAll('#settings-redemption option').length > 1);
  await tabTo(bob, '#settings-redemption');
  await chooseByKeyboard(bob, 'bob-cny');
  await tabTo(bob, '#settings-form button[type=submit]');
  await bob.keyboard.press('Enter');
  await expectText(bob, '#settings-message', 'Saved');
  check((await call('bob', 'GET', '/api/settings')).defaultRedemptionAccountId === 'bob-cny', 'the setting is saved');
  check(await bob.$$eval('#settings-redemption option', (options) => options.every((option) => option.value)),
    'a default once set offers no "None": a PUT keeps what it leaves out');
  await shot(bob, '10-settings');
  await accessible(bob, 'settings');

  step("bob signs out and carol signs in on his phone: nothing of his redemptions stays in her page");
  check(await bob.inputValue('#redeem-bank') === BANK, "bob's page offers the bank he was paid into last");
  // His list (of the vouchers he redeemed) is still on its way when he signs out: it must not land in carol's page.
  await bob.evaluate(() => { document.querySelector('#manage-role').value = 'payee'; });
  let releaseBobsList;
  const bobsListHeld = new Promise((resolve) => { releaseBobsList = resolve; });
  const isList = (url) => url.pathname === '/api/vouchers' && url.search !== '';
  await bob.route(isList, async (route) => { await bobsListHeld; await route.continue(); }, { times: 1 });
  const bobsList = bob.waitForResponse((response) => isList(new URL(response.url())));
  await bob.click('[data-tab="manage"]');
  await bob.click('#signout');
  await bob.click('[data-customer="carol"]');
  await bob.waitForSelector('#app:not([hidden])');
  releaseBobsList();
  await bobsList;
  check(await bob.waitForFunction(() => document.querySelectorAll('#manage-list li').length > 0, null, { timeout: 2_000 })
    .then(() => false, () => true), "bob's list, answered after he signed out, is not drawn in carol's page");
  for (const field of ['#redeem-bank', '#redeem-name', '#redeem-number']) {
    check(await bob.inputValue(field) === '', `carol's form holds nothing of bob's in ${field}`);
  }
  check(await bob.isChecked('input[name="destination"][value="own"]'), "carol's redemption goes into her own account");

  step('the photo of the counter code, two steps old, is refused; the code on the screen now is taken, once');
  // The counter screen changes its code at each step: two changes after the photo, it is two steps old.
  await counter.waitForFunction((index) => window.shown.length - 1 >= index + 2, photographed, { timeout: 100_000, polling: 500 });
  await bob.click('[data-tab="redeem"]');
  await bob.setInputFiles('#redeem-picture', oldPhoto);
  await bob.waitForSelector('#redeem-result.refused', { timeout: 20_000 });
  await expectText(bob, '#redeem-result', 'counter code has changed');
  await shot(bob, '15-counter-code-expired');
  const nowPhoto = `${shots}/counter-photo-now.png`;
  await counter.locator('#voucher-qr').screenshot({ path: nowPhoto });
  await bob.setInputFiles('#redeem-picture', []);
  await bob.setInputFiles('#redeem-picture', nowPhoto);
  await bob.waitForSelector('#redeem-form:not([hidden])');
  await expectText(bob, '#redeem-preview', '¥3.00');
  await bob.check('input[name="destination"][value="own"]');
  await bob.click('#redeem-form button[type=submit]');
  await bob.waitForSelector('#redeem-result.ok', { timeout: 20_000 });
  await expectText(bob, '#redeem-result', '¥3.00');
  await expectText(counter, '#voucher-status', 'Redeemed');
  check(await counter.isHidden('#voucher-qr'), 'the counter screen shows no code once the voucher is redeemed');
  await bob.setInputFiles('#redeem-picture', []);
  await bob.setInputFiles('#redeem-picture', nowPhoto);
  await bob.waitForSelector('#redeem-result.refused', { timeout: 20_000 });
  await expectText(bob, '#redeem-result', 'already been redeemed');

  step('the pages in Chinese');
  await bob.click('[data-tab="settings"]');
  await bob.waitForSelector('#settings:not([hidden])');
  const savedMode = await bob.inputValue('#settings-mode');
  const otherMode = savedMode === 'REDEEM_ON_SCAN' ? 'SCAN_THEN_CONFIRM' : 'REDEEM_ON_SCAN';
  await bob.selectOption('#settings-mode', otherMode);
  await bob.click('#language');
  check(await bob.inputValue('#settings-mode') === otherMode, 'a mode chosen and not saved yet stays chosen in the other language');
  await bob.selectOption('#settings-mode', savedMode);
  await expectText(bob, 'nav', '兑付');
  await expectText(bob, '#settings-redemption', '人民币账户');
  await expectText(bob, '#settings-message', '已保存');
  await shot(bob, '11-settings-zh');
  await bob.click('[data-tab="redeem"]');
  await shot(bob, '12-redeem-zh');
  await bob.click('[data-tab="manage"]');
  await bob.selectOption('#manage-role', 'payee');
  await bob.click('#manage-filter button[type=submit]');
  await bob.waitForFunction(() => document.querySelectorAll('#manage-list li').length > 0, null, { timeout: 20_000 });
  await expectText(bob, '#manage-list', '已兑付');
  check(await bob.$$eval('#manage-status option', (options) => options.every((option) => /[^\x00-\x7F]/.test(option.textContent))),
    'every status of the filter is in Chinese');
  await expectText(bob, '#manage-list', '¥');
  await bob.click('#manage-list li:first-child summary');
  await expectText(bob, '#manage-list li:first-child', '人民币账户');
  await shot(bob, '18-manage-zh');
  await expectNothingRan(alice);
  console.log(`accessibility: ${axeRuns} axe checks, no serious or critical violation`);
  console.log('browser flow passed');
} finally {
  await browser.close();
}
