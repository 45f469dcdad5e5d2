// Clicks through the web app on phone-sized pages: alice generates a voucher; bob redeems it by
// uploading the QR picture that alice's page offers for download, into an account at another bank
// whose holder and bank names are markup with script in it; alice sees it REDEEMED live; her Manage
// page shows those names as text and runs nothing; alice cancels another one; bob's second redemption
// of the first gets a refusal message.
// Usage: node flow.mjs <base url> <screenshot directory>
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';

const [base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true };
const step = (name) => console.log(`step: ${name}`);
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
  await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.includes(t), [selector, text], { timeout });
}

async function signIn(page, customer) {
  await page.goto(base);
  await page.click(`[data-customer="${customer}"]`);
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.querySelectorAll('#generate-account option').length > 0);
}

try {
  const alice = await (await browser.newContext(phone)).newPage();
  const response = await alice.goto(base);
  const policy = response.headers()['content-security-policy'] ?? '';
  check(policy.includes("script-src 'self'") && !policy.includes('unsafe-inline'),
    `the page has a strict Content-Security-Policy: ${policy}`);
  await shot(alice, '1-sign-in');

  step('alice generates a voucher');
  await signIn(alice, 'alice');
  await alice.fill('#generate-amount', '12.34');
  await shot(alice, '2-generate');
  await alice.click('#generate-form button[type=submit]');
  await alice.waitForSelector('#voucher-qr[src]');
  await expectText(alice, '#voucher-status', 'Unused');
  await shot(alice, '3-voucher-qr');
  const [download] = await Promise.all([alice.waitForEvent('download'), alice.click('#voucher-download')]);
  const qrPicture = `${shots}/downloaded-qr.png`;
  await download.saveAs(qrPicture);

  step('bob redeems it by uploading the downloaded picture, into an account at another bank');
  const bob = await (await browser.newContext(phone)).newPage();
  await signIn(bob, 'bob');
  await bob.click('[data-tab="redeem"]');
  await bob.setInputFiles('#redeem-picture', qrPicture);
  await bob.waitForSelector('#redeem-form:not([hidden])');
  await bob.check('input[name="destination"][value="external"]');
  await bob.fill('#redeem-bank', BANK);
  await bob.fill('#redeem-name', HOLDER);
  await bob.fill('#redeem-number', '6222 0202 0000');
  await shot(bob, '4-redeem-confirm');
  await bob.click('#redeem-form button[type=submit]');
  await bob.waitForSelector('#redeem-result.ok', { timeout: 20_000 });
  await expectText(bob, '#redeem-result', '12.34');
  await shot(bob, '5-redeemed');

  step('alice sees it redeemed, live');
  await expectText(alice, '#voucher-status', 'Redeemed');
  await shot(alice, '6-voucher-redeemed-live');

  step('alice generates another and cancels it');
  await alice.click('#voucher-new');
  await alice.fill('#generate-amount', '5.00');
  await alice.click('#generate-form button[type=submit]');
  await alice.waitForSelector('#voucher-qr[src]', { timeout: 30_000 });
  await alice.click('[data-tab="manage"]');
  await alice.waitForSelector('#manage-list li button');

  step("alice's Manage page shows the holder and bank names as text, and nothing in them runs");
  await alice.waitForFunction(([holder, bank]) => [...document.querySelectorAll('#manage-list li')]
    .some((item) => item.textContent.includes(holder) && item.textContent.includes(bank)), [HOLDER, BANK], { timeout: 20_000 });
  check(await alice.evaluate(() => document.querySelectorAll('#manage-list img, #manage-list svg').length) === 0,
    'the names became elements');
  check(await alice.evaluate(() => [...document.querySelectorAll('#manage-list small')].every((line) => line.children.length === 0)),
    'the names became markup');
  await expectNothingRan(alice);
  await alice.locator('#manage-list li', { hasText: HOLDER }).locator('summary').click();
  await shot(alice, '7-manage');
  await alice.click('#manage-list li button');
  await expectText(alice, '#manage-list li:first-child', 'Cancelled');
  await shot(alice, '8-cancelled');

  step('a second redemption of the first voucher is refused with a message');
  await bob.setInputFiles('#redeem-picture', []);
  await bob.setInputFiles('#redeem-picture', qrPicture);
  await bob.waitForSelector('#redeem-form:not([hidden])');
  await bob.click('#redeem-form button[type=submit]');
  await bob.waitForSelector('#redeem-result.refused', { timeout: 20_000 });
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
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${film}`],
  });
  try {
    const carol = await (await cameraBrowser.newContext({ ...phone, permissions: ['camera'] })).newPage();
    await signIn(carol, 'carol');
    await carol.click('[data-tab="redeem"]');
    await carol.click('#scan-start');
    await carol.waitForSelector('#redeem-form:not([hidden])', { timeout: 30_000 });
    await carol.click('#redeem-form button[type=submit]');
    await carol.waitForSelector('#redeem-result.ok', { timeout: 20_000 });
    await expectText(carol, '#redeem-result', '2.00');
    await shot(carol, '13-scanned-with-camera');
  } finally {
    await cameraBrowser.close();
  }

  step('settings, and the pages in Chinese');
  await bob.click('[data-tab="settings"]');
  await shot(bob, '10-settings');
  await bob.click('#language');
  await expectText(bob, 'nav', '兑付');
  await shot(bob, '11-settings-zh');
  await bob.click('[data-tab="redeem"]');
  await shot(bob, '12-redeem-zh');
  await expectNothingRan(alice);
  console.log('browser flow passed');
} finally {
  await browser.close();
}
