// The WASM benchmarks in a browser: Vite bundles bench/browser/ (the margin, pricing, engine and
// what-if suites, the package's browser entry js/web.js → pkg/web, and the npm peers), a
// localhost server serves
// it cross-origin isolated (so that performance.now() is precise to 5 µs), and Debian's headless
// Chromium (playwright-core, never a downloaded browser) runs it; the tables print here. The
// same suites run in Node as bench/margin.mjs, bench/pricing.mjs, bench/engine.mjs and
// bench/whatif.mjs. No CPU clock in a page: the margin table's JS-side parts are wall-clock medians.
//
// Usage: node bench/browser.mjs [--only margin,pricing,engine,whatif] [--reps 31] [--legs 500]
//   [--n 10000] [--pricing-reps 7] [--per-rep 200] [--whatif-legs 100]
// (build pkg/ first: `bash scripts/build-pkg.sh`; `npm run bench:browser` does both checks).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { listen } from '../scripts/serve.mjs';
import { marginTable } from './margin-suite.mjs';
import { engineTable } from './engine-suite.mjs';
import { whatIfTable } from './whatif-suite.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const query = new URLSearchParams();
const flags = [['only', 'only'], ['reps', 'reps'], ['n', 'n'], ['pricing-reps', 'pricingReps'], ['legs', 'legs'],
  ['per-rep', 'perRep'], ['whatif-legs', 'whatIfLegs']];
for (const [flag, key] of flags) {
  const value = option(flag);
  if (value !== undefined) query.set(key, value);
}

const dist = join(repo, 'target/bench-browser');
await build({
  configFile: false,
  root: join(repo, 'bench/browser'),
  base: './',
  logLevel: 'warn',
  resolve: { alias: { 'drr-margin': join(repo, 'js/web.js') } },
  build: { outDir: dist, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 20_000 },
});
const server = await listen(0, dist, {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/?${query}`);
  await page.waitForFunction(() => window.drrBench !== undefined, null, { timeout: 15 * 60_000, polling: 500 });
  const result = await page.evaluate(() => window.drrBench);
  if (result.error || errors.length > 0) {
    console.error(`bench/browser: the page failed: ${result.error ?? errors.join('\n')}`);
    failed = true;
  } else {
    console.log(`${result.env} (${await browser.version()})`);
    if (!result.isolated) console.log('warning: not cross-origin isolated: performance.now() is coarsened to 100 µs');
    if (result.margin) {
      console.log(`\nmargin() on ${query.get('legs') ?? 500} legs in Chromium, median of ${query.get('reps') ?? 31}`);
      for (const line of marginTable(result.margin)) console.log(line);
    }
    if (result.pricing) {
      console.log('');
      for (const line of result.pricing) console.log(line);
    }
    if (result.engine) {
      console.log(`\nMarginEngine.apply, 50-option account in Chromium, ${query.get('perRep') ?? 200} events × 9 reps`);
      for (const line of engineTable(result.engine)) console.log(line);
    }
    if (result.whatIf) {
      console.log(`\n${query.get('whatIfLegs') ?? 100} positions (cross, drr profile) in Chromium`);
      for (const line of whatIfTable(result.whatIf)) console.log(line);
    }
  }
} finally {
  await browser.close();
  server.close();
}
process.exitCode = failed ? 1 : 0;
