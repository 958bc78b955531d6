// Browser layer of `npm test` for the simulator page (www/): Vite builds it (as `npm start` does),
// Debian's headless Chromium (playwright-core, never a downloaded browser) opens it from a localhost
// server, and a user's steps are checked against the npm package run in Node on the same inputs:
// the page publishes its last inputs and report JSON on window.drrSimulator, and every figure must
// equal Node's byte for byte (same wasm, same inputs → same bits; tolerance 0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { margin, liquidationPrices, whatIf, maxSize } from 'drr-margin';
import { listen } from '../../scripts/serve.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const artefacts = join(repo, 'test-results');
const dist = join(repo, 'target/www');
let server, browser, base, page;
const problems = [];

before(async () => {
  await build({ configFile: join(repo, 'www/vite.config.js'), logLevel: 'warn' });
  server = await listen(0, dist);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  mkdirSync(artefacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const generation = () => page.evaluate(() => window.drrSimulator.generation);
async function settled(after) {
  await page.waitForFunction((g) => window.drrSimulator?.ready && window.drrSimulator.generation > g && document.body.dataset.generation == window.drrSimulator.generation, after, { timeout: 30_000 });
  // Let a newer recompute (queued by the same action) finish too.
  await page.waitForTimeout(300);
  await page.waitForFunction(() => !document.getElementById('status').textContent.startsWith('computing'), null, { timeout: 30_000 });
  return page.evaluate(() => structuredClone({ inputs: window.drrSimulator.inputs, reports: window.drrSimulator.reports, liquidation: window.drrSimulator.liquidation, curves: window.drrSimulator.curves }));
}
function assertSameAsNode(state) {
  const { market, account, params } = state.inputs;
  for (const mode of ['isolated', 'cross', 'portfolio']) {
    let expected = null;
    try { expected = JSON.stringify(margin(market, { ...account, mode }, params)); } catch { /* the page shows the refusal */ }
    assert.equal(state.reports[mode], expected, `${mode} report = Node's`);
  }
  if (state.liquidation.error) assert.throws(() => liquidationPrices(market, account, params), (e) => state.liquidation.error.startsWith(e.code));
  else assert.deepEqual(state.liquidation, liquidationPrices(market, account, params), 'liquidation prices = Node\'s');
}
const usd0 = (x) => x.toLocaleString('en-US', { maximumFractionDigits: 0, minimumFractionDigits: 0 });

test('sample portfolio: margin panel equals the npm package in Node', async () => {
  await page.goto(base);
  const state = await settled(0);
  await page.locator('#data-label', { hasText: 'sample' }).waitFor();
  assert.equal(state.inputs.account.id, 'sample-trader');
  assertSameAsNode(state);
  const cross = JSON.parse(state.reports.cross);
  assert.equal(await page.locator('td[data-mode=cross][data-field="Initial margin"]').textContent(), usd0(cross.initialMargin.value));
  assert.equal(await page.locator('td[data-mode=cross][data-field="Equity"]').textContent(), usd0(cross.equity.value));
  assert.ok(await page.locator('#heatmap td.worst').count() >= 1, 'worst scenario outlined');
  // Heatmap cells show the raw scenario P&L (gains included), titles the counted one beside it.
  const rows = JSON.parse(state.reports.portfolio).portfolio.scenarios;
  const best = rows.reduce((a, b) => (b.rawPnlUsd > a.rawPnlUsd ? b : a));
  assert.ok(best.rawPnlUsd > 0, 'the sample book gains in some scenario');
  const titles = await page.locator('#heatmap td').evaluateAll((cells) => cells.map((c) => c.title));
  assert.ok(titles.some((t) => t.includes(`P&L ${best.rawPnlUsd} USD, counted ${best.pnlUsd} USD`)), 'best raw cell shown');
  assert.ok(await page.locator('#pnl-chart canvas').count() === 1, 'uPlot chart drawn');
  await page.screenshot({ path: join(artefacts, 'simulator-sample.png'), fullPage: true });
});

test('a what-if slider moves the liquidation prices and the chart markers', async (t) => {
  const before = JSON.parse(await page.locator('#pnl-chart').getAttribute('data-liquidation'));
  const g = await generation();
  await page.locator('#vol').evaluate((el) => { el.value = '50'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const state = await settled(g);
  assertSameAsNode(state);
  const moved = JSON.parse(await page.locator('#pnl-chart').getAttribute('data-liquidation'));
  assert.ok(before.length > 0 && moved.length > 0, 'sample account has BTC liquidation prices');
  assert.notDeepEqual(moved, before, 'vol +50 % moves the liquidation prices');
  assert.equal(await page.locator('#vol-out').textContent(), '+50 %');
  await page.screenshot({ path: join(artefacts, 'simulator-vol-slider.png'), fullPage: true });
  // Past oracle.maxStalenessMs (60 s in the drr profile) the engine refuses; the panel says so.
  const g2 = await generation();
  await page.locator('#stale').evaluate((el) => { el.value = '90'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const stale = await settled(g2);
  assertSameAsNode(stale);
  assert.equal(stale.reports.cross, null);
  await page.locator('#margin-table td.error', { hasText: 'E_STALE_ORACLE' }).first().waitFor();
  const g3 = await generation();
  await page.click('#sliders-reset');
  await settled(g3);
  // A drag (many input events at once) ends on the last value, computed once more after the burst.
  const g4 = await generation();
  await page.locator('#spot').evaluate((el) => { for (let v = -1; v >= -30; v--) { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); } });
  const dragged = await settled(g4);
  t.diagnostic(`recompute after a slider move (margin ×3 modes, liquidation prices, 3 × 61-point curves): ${Math.round(await page.evaluate(() => window.drrSimulator.latency))} ms`);
  assert.equal(dragged.inputs.market.underlyings.BTC.index.price, 98500 * (1 - 0.3));
  assertSameAsNode(dragged);
  // Keyboard: arrow keys move a focused slider.
  const g5 = await generation();
  await page.focus('#days');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const days = await settled(g5);
  assert.equal(await page.locator('#days-out').textContent(), '3 d');
  assert.equal(days.inputs.market.now, 1795507200000 + 3 * 86_400_000);
  const g6 = await generation();
  await page.click('#sliders-reset');
  await settled(g6);
});

test('a strategy preset builds legs and the margin figures equal Node', async () => {
  const g = await generation();
  await page.selectOption('#underlying', 'BTC');
  await page.selectOption('#preset', 'short-iron-condor');
  await page.click('#preset-apply');
  const state = await settled(g);
  assert.equal(state.inputs.account.positions.length, 4);
  assert.deepEqual(state.inputs.account.positions.map((p) => Math.sign(p.size)), [1, -1, -1, 1]);
  assert.equal(await page.locator('#legs tbody tr').count(), 4);
  assertSameAsNode(state);
  // P&L at expiry (positions only), against the closed form: between the short strikes every leg
  // expires worthless, so the P&L is the credit, −Σ today's position values (1 h of time value left, the forward ≈ 0.5 % above the index: 5 % inside the short strikes it is < 1 USD).
  const { curves } = state;
  assert.equal(curves.breakevens.length, 2, `iron condor breakevens: ${curves.breakevens}`);
  const cross = JSON.parse(state.reports.cross);
  const credit = -cross.positions.reduce((sum, p) => sum + p.value, 0);
  assert.ok(credit > 0, 'a short iron condor is opened for a credit');
  const [, kShortPut, kShortCall] = state.inputs.account.positions.map((p) => Number(p.instrument.split('-')[2]));
  let checked = 0;
  curves.prices.forEach((s, i) => {
    if (s > kShortPut * 1.05 && s < kShortCall * 0.95) { assert.ok(Math.abs(curves.atExpiry[i] - credit) < 1, `P&L at ${s}: ${curves.atExpiry[i]} vs credit ${credit}`); checked++; }
  });
  assert.ok(checked >= 3);
  assert.ok(curves.breakevens[0] < kShortPut && curves.breakevens[1] > kShortCall, 'breakevens outside the short strikes');
  assert.match(page.url(), /#p=/, 'the URL hash encodes the portfolio');
  await page.screenshot({ path: join(artefacts, 'simulator-iron-condor.png'), fullPage: true });
  // The shared link restores the same legs in a new page.
  const other = await browser.newPage();
  await other.goto(page.url());
  await other.waitForFunction(() => window.drrSimulator?.ready, null, { timeout: 30_000 });
  const legs = await other.evaluate(() => window.drrSimulator.inputs.account.positions);
  assert.deepEqual(legs, state.inputs.account.positions);
  await other.close();
  // Legs from the chain and the futures list: a perpetual gets today's mark as its entry price.
  const g2 = await generation();
  await page.click('button[aria-label="buy BTC_USDC-PERPETUAL"]');
  const withPerp = await settled(g2);
  const perp = withPerp.inputs.account.positions.at(-1);
  assert.deepEqual(perp, { instrument: 'BTC_USDC-PERPETUAL', size: 1, entryPrice: 98525 });
  assertSameAsNode(withPerp);
  for (const mode of ['isolated', 'cross', 'portfolio']) assert.notEqual(withPerp.reports[mode], null, mode);
  const g3 = await generation();
  await page.click('#legs button[aria-label="remove BTC_USDC-PERPETUAL"]');
  const removed = await settled(g3);
  assert.equal(removed.inputs.account.positions.length, 4);
});

test('pre-trade ticket: before/after equals whatIf in Node; an oversized order is refused visibly', async () => {
  await page.fill('#t-instrument', 'BTC_USDC-PERPETUAL');
  await page.selectOption('#t-side', 'buy');
  await page.fill('#t-size', '1');
  await page.click('#ticket-form button[type=submit]');
  await page.locator('#ticket-out table, #ticket-out .error').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#ticket-out .error').count(), 0, await page.locator('#ticket-out').textContent());
  const { inputs, whatIf: w, maxSize: m } = await page.evaluate(() => structuredClone(window.drrSimulator.ticket));
  assert.deepEqual(w, whatIf(inputs.market, inputs.account, inputs.order, inputs.params));
  assert.deepEqual(m, maxSize(inputs.market, inputs.account, inputs.order.instrument, inputs.order.side, inputs.params, { sizeIncrement: 0.01 }));
  assert.ok(m.size > 1, 'the sample collateral allows more than 1 BTC');
  await page.locator('#ticket-out .accepted').waitFor();
  await page.fill('#t-size', String(Math.ceil(m.size * 3)));
  await page.click('#ticket-form button[type=submit]');
  await page.locator('#ticket-out .refusal').waitFor({ timeout: 30_000 });
  await page.locator('#ticket').screenshot({ path: join(artefacts, 'simulator-ticket-refused.png') });
});

test('live mode: the seeded oracle stream drives the MarginEngine and updates are logged with hashes', async () => {
  // The sample account (an iron condor's margin is its max loss, flat in spot: few updates).
  const g = await generation();
  await page.click('#reset');
  await settled(g);
  await page.click('#live-start');
  await page.waitForFunction(() => Number(document.getElementById('live-log').dataset.count) >= 3, null, { timeout: 20_000 });
  await page.waitForTimeout(2000);
  await page.click('#live-stop');
  const hashes = await page.locator('#live-log td.hash').evaluateAll((cells) => cells.map((c) => c.title));
  assert.ok(hashes.length >= 3);
  assert.ok(Number(await page.locator('#live-log').getAttribute('data-events')) > hashes.length - 1, 'oracle events counted');
  for (const h of hashes) assert.match(h, /^[0-9a-f]{64}$/);
  await page.locator('#live').screenshot({ path: join(artefacts, 'simulator-live.png') });
});

// A minimal WebSocket server (RFC 6455 handshake; unmasked text frames < 64 KiB from the server).
function wsServer(messages) {
  const server = http.createServer();
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    messages.forEach((m, i) => setTimeout(() => {
      const payload = Buffer.from(JSON.stringify(m));
      const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 255]);
      socket.write(Buffer.concat([header, payload]));
    }, 300 * (i + 1)));
    socket.on('error', () => {});
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

test('live mode from a WebSocket feed: engine events in, logged updates out', async () => {
  const now = 1795507200000;
  const feed = [0.95, 0.9, 0.85].map((f) => ({ type: 'indexUpdate', underlying: 'BTC', price: 98500 * f, conf: 10, publishTime: now }));
  const ws = await wsServer(feed);
  await page.fill('#ws-url', `ws://127.0.0.1:${ws.address().port}/`);
  await page.click('#live-start');
  await page.waitForFunction(() => Number(document.getElementById('live-log').dataset.events) >= 3, null, { timeout: 20_000 });
  await page.click('#live-stop');
  await page.fill('#ws-url', '');
  const summary = await page.locator('#live-summary').textContent();
  assert.ok(Number(await page.locator('#live-log').getAttribute('data-count')) >= 2, `the first update and at least one threshold crossing (${summary})`);
  assert.match(await page.locator('#live-prices').textContent(), /^BTC 83,725\.00/);
  ws.close();
});

test('own account JSON pasted, state exported', async () => {
  const { readFileSync } = await import('node:fs');
  const pm = readFileSync(join(repo, 'tests/fixtures/account-portfolio.json'), 'utf8');
  const g = await generation();
  await page.click('#data details summary');
  await page.fill('#paste', pm);
  await page.click('#paste-apply');
  const state = await settled(g);
  assert.equal(state.inputs.account.id, 'sample-trader-pm');
  assert.equal(await page.locator('#mode').inputValue(), 'portfolio');
  await page.locator('#data-label', { hasText: 'your account' }).waitFor();
  assertSameAsNode(state);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(exported.account, JSON.parse(pm));
  assert.equal(exported.market.now, state.inputs.market.now);
});

test('phone width stays readable and no console error happened', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(artefacts, 'simulator-phone.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll')).slice(0, 5).map((e) => `${e.tagName}#${e.id}`));
  assert.ok(overflow <= 1, `no horizontal page scroll at 390 px (overflow ${overflow}: ${wide})`);
  assert.deepEqual(problems, []);
});
