// Benchmark: margin() on a 500-leg BTC options book through the npm package in Node (WASM); the
// cases, the timing and the table are bench/margin-suite.mjs's (bench/browser.mjs runs the same
// suite in headless Chromium). Median of repetitions after warm-up.
//
// Usage: node bench/margin.mjs [legs] [--reps N] [--pkg path/to/drr_margin.js]
//   --pkg loads another build of the Node package (e.g. an older one, for before/after).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { runMarginSuite, marginTable } from './margin-suite.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const reps = Number(option('--reps', 31));
const pkgPath = option('--pkg', undefined);
const pkg = await import(pkgPath ? pathToFileURL(pkgPath).href : 'drr-margin');
const report = await import('../js/report.js');
const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(args[0] ?? 500);

const clock = {
  wall: () => performance.now(),
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e3;
  },
};
const rows = runMarginSuite({ pkg, report, market, legs, reps, clock, columnsIn: !pkgPath });
console.log(`margin() on ${legs} legs, Node ${process.version}, median of ${reps}${pkgPath ? `, ${pkgPath}` : ''}`);
for (const line of marginTable(rows)) console.log(line);
