// Packaging test (as automerge does): the npm package as a user installs it — `npm pack` of this
// repository, unpacked into a fresh app's node_modules — bundled by a Vite production build and
// opened in Debian's headless Chromium. The page computes a margin report on the main thread
// and in a module Web Worker, and answers the price()/impliedVol() requests of
// tests/packaging/vite-app/pricing.json; each must equal what Node computes from the same inputs,
// byte for byte (the JSON text; errors by code and message), with no console error. A missing file in package.json "files"
// or a broken `exports` condition fails here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { margin, price, impliedVol } from 'drr-margin';
import { listen } from '../../scripts/serve.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(repo, 'tests/fixtures');
const artefacts = join(repo, 'test-results');
let work, server, browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'drr-margin-vite-'));
  const app = join(work, 'app');
  cpSync(join(repo, 'tests/packaging/vite-app'), app, { recursive: true });
  cpSync(join(fixtures, 'market.json'), join(app, 'market.json'));
  cpSync(join(fixtures, 'account-portfolio.json'), join(app, 'account.json'));
  // Install the package exactly as published: only what package.json "files" lists.
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--silent', '--pack-destination', work],
    { cwd: repo, encoding: 'utf8' }));
  const installed = join(app, 'node_modules/drr-margin');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, filename), '-C', installed, '--strip-components=1']);
  await build({ root: app, logLevel: 'warn', build: { outDir: join(app, 'dist'), emptyOutDir: true } });
  server = await listen(0, join(app, 'dist'));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('Vite production build: main thread and Web Worker compute what Node computes', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  const read = async (id) => {
    const out = page.locator(`#${id}[data-report], #${id}[data-error]`);
    await out.waitFor({ timeout: 15_000 });
    const error = await out.getAttribute('data-error');
    assert.equal(error, null, `${id}: ${error}`);
    return out.getAttribute('data-report');
  };
  const [mainThread, worker] = [await read('main'), await read('worker')];
  const { readFileSync } = await import('node:fs');
  const market = JSON.parse(readFileSync(join(fixtures, 'market.json'), 'utf8'));
  const account = JSON.parse(readFileSync(join(fixtures, 'account-portfolio.json'), 'utf8'));
  const inNode = JSON.stringify(margin(market, account, { profile: 'deribit-portfolio' }));
  assert.equal(mainThread, inNode, 'browser main thread = Node, byte for byte');
  assert.equal(worker, inNode, 'Web Worker = Node, byte for byte');
  const pricing = JSON.parse(readFileSync(join(repo, 'tests/packaging/vite-app/pricing.json'), 'utf8'));
  const answer = (f, request) => {
    try {
      return { result: f(request) };
    } catch (err) {
      return { error: [err.name, err.code, err.field, err.message] };
    }
  };
  const pricingInNode = JSON.stringify({
    price: pricing.price.map((request) => answer(price, request)),
    impliedVol: pricing.impliedVol.map((request) => answer(impliedVol, request)),
  }, (_, v) => (Object.is(v, -0) ? '-0' : v));
  assert.equal(await read('pricing'), pricingInNode, 'price()/impliedVol() in the browser = Node');
  assert.match(pricingInNode, /"result"/);
  assert.match(pricingInNode, /E_INVALID_INPUT|E_INVALID_VOL/);
  assert.match(pricingInNode, /E_NO_ARBITRAGE_BOUND/);
  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: join(artefacts, 'packaging-vite.png') });
  assert.deepEqual(problems, []);
});
