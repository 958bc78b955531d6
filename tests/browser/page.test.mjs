// Browser layer of `npm test`: Debian's headless Chromium (driven by playwright-core, never a
// downloaded browser) loads www/ from a localhost server, as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { listen } from '../../scripts/serve.mjs';

const artefacts = new URL('../../test-results/', import.meta.url).pathname;
let server, browser, base;

before(async () => {
  server = await listen(0);
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('www/ computes an option value in the browser with no console error', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/www/`);
  const output = page.locator('#price[data-value]');
  await output.waitFor({ timeout: 10_000 });
  const first = Number(await output.getAttribute('data-value'));
  // The same inputs through the package inside the page must give the same number.
  const direct = await page.evaluate(async () => {
    const { price } = await import('drr-margin');
    return price({ kind: 'call', forward: 100000, strike: 110000, t: 30 / 365, vol: 0.6, rate: 0 }).price;
  });
  assert.ok(first > 0 && Number.isFinite(first));
  assert.equal(first, direct);
  // Editing an input recomputes; an invalid one shows the coded error instead of NaN.
  await page.fill('input[name=vol]', '80');
  await page.waitForFunction((old) => document.querySelector('#price').dataset.value !== old, String(first));
  assert.ok(Number(await output.getAttribute('data-value')) > first, 'higher vol → higher call value');
  await page.fill('input[name=strike]', '-1');
  await page.locator('#error', { hasText: 'E_INVALID_INPUT' }).waitFor();
  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: `${artefacts}/www-pricer.png`, fullPage: true });
  assert.deepEqual(problems, []);
});
