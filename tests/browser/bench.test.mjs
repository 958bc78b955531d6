// `npm run bench:browser` keeps working: bench/browser.mjs (Vite bundle of the margin and pricing
// suites with the npm peers, served cross-origin isolated, Debian's headless Chromium) runs at a
// tiny size and prints every case with a time. A smoke test of the harness, not a benchmark: the
// figures are not judged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { marginCases } from '../../bench/margin-suite.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));

test('bench/browser.mjs runs both suites in Chromium and prints every case', () => {
  const out = execFileSync('node', ['bench/browser.mjs', '--reps', '3', '--legs', '40', '--n', '200', '--pricing-reps', '1'], {
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
  for (const peer of ['black-scholes', 'greeks', 'implied-volatility', '@quantlib/ql']) {
    assert.match(out, new RegExp(`^${peer}\\s`, 'm'), `peer ${peer} timed in the page`);
  }
});
