// `npm run bench:browser` keeps working: bench/browser.mjs (Vite bundle of the margin, pricing,
// engine and what-if suites with the npm peers, served cross-origin isolated, Debian's headless
// Chromium) runs at a tiny size and prints every case with a time. A smoke test of the harness, not a benchmark: the
// figures are not judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { marginCases } from '../../bench/margin-suite.mjs';

// The engine and what-if cases' labels (bench/engine-suite.mjs, bench/whatif-suite.mjs).
const engineCases = ['index, portfolio', 'index, untouched account', 'trade, portfolio', 'index, cross',
  'trade, cross', 'index, 20 portfolio accounts'];
const whatIfCases = ["whatIf 'none'", "whatIf 'estimate' (default: 2 + 8)", "whatIf 'estimate', order form",
  "whatIf 'exact', cold", "whatIf 'exact', order form", 'liquidationPrices', 'maxSize (increment 0.001)',
  "whatIf 'estimate' (default), option order", 'maxSize of that option'];

const repo = fileURLToPath(new URL('../../', import.meta.url));

test('bench/browser.mjs runs every suite in Chromium and prints every case', () => {
  const out = execFileSync('node', ['bench/browser.mjs', '--reps', '3', '--legs', '40', '--n', '200', '--pricing-reps', '1',
    '--per-rep', '2', '--whatif-legs', '12'], {
    cwd: repo, encoding: 'utf8', timeout: 240_000,
  });
  assert.match(out, /HeadlessChrome/);
  assert.match(out, /crossOriginIsolated true/, 'the page is cross-origin isolated (5 µs timer)');
  assert.doesNotMatch(out, /warning: not cross-origin isolated/);
  for (const [label] of marginCases(40)) {
    const line = out.split('\n').find((l) => l.startsWith(label));
    assert.ok(line, `margin case "${label}" printed`);
    assert.match(line, /\d+\.\d{3} ms/, `"${label}" has a time`);
  }
  for (const row of ['priceBatch', 'price() per option', 'impliedVolBatch', 'impliedVol() per option']) {
    assert.match(out, new RegExp(`drr-margin\\s+${row.replace(/[()]/g, '\\$&')}.*\\d+\\.\\d`), `pricing row ${row}`);
  }
  for (const label of engineCases) {
    assert.match(out, new RegExp(`^${label}.*median +\\d+\\.\\d µs/event`, 'm'), `engine case "${label}"`);
  }
  for (const label of whatIfCases) {
    const line = out.split('\n').find((l) => l.startsWith(label));
    assert.match(line ?? '', /median \d+\.\d{3} ms/, `what-if case "${label}"`);
  }
  for (const peer of ['black-scholes', 'greeks', 'implied-volatility', '@quantlib/ql']) {
    assert.match(out, new RegExp(`^${peer}\\s`, 'm'), `peer ${peer} timed in the page`);
  }
});
