// Pricing benchmark in Node: drr-margin (WebAssembly) against npm peers, in one process, on the
// same options as `cargo bench --bench pricing`; the inputs, cases, checks and table are
// bench/pricing-suite.mjs's (bench/browser.mjs runs the same suite in headless Chromium).
// Run: `npm run bench` (build pkg/ first: `bash scripts/build-pkg.sh`). Options: `--n 10000`
// rows, `--reps 7` timed repetitions. A benchmark, not a test: exits 0.
import os from 'node:os';
import { priceBatch, impliedVolBatch, price, impliedVol } from 'drr-margin';
import { pricingSuite } from './pricing-suite.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const peers = {};
const loadNotes = [];
for (const name of ['black-scholes', 'greeks', 'implied-volatility', '@quantlib/ql']) {
  try {
    const m = await import(name);
    peers[name] = m.default ?? m;
  } catch (e) {
    loadNotes.push(`${name}: failed to load: ${e.message}`);
  }
}
const env = `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const lines = pricingSuite({
  lib: { priceBatch, impliedVolBatch, price, impliedVol },
  peers,
  loadNotes,
  now: () => performance.now(),
  n: arg('n', 10_000),
  reps: arg('reps', 7),
  env,
});
for (const line of lines) console.log(line);
