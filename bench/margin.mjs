// Benchmark: margin() on a 500-leg BTC options book (bench/book.mjs: 3 expiries, calls/puts with
// mixed signs, plus a BTC and an ETH perpetual) against the sample market, in cross and portfolio
// modes, through the npm package in Node (WASM). Median of repetitions after warm-up.
//
// Usage: node bench/margin.mjs [legs] [--reps N] [--pkg path/to/drr_margin.js]
//   --pkg loads another build of the Node package (e.g. an older one, for before/after).
//
// Besides the whole call it times the JavaScript-side parts of it on the same data, so the split
// is visible: JSON.stringify of the inputs (the package passes values as JSON text) and JSON.parse
// of a report of the same text (how the report becomes a JS object). What remains is the work in
// WASM: decoding, validating, computing and encoding, plus the string copies across the boundary.
import { book } from './book.mjs';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const reps = Number(option('--reps', 31));
const pkg = option('--pkg', undefined);
const { margin } = await import(pkg ? pathToFileURL(pkg).href : 'drr-margin');

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(args[0] ?? 500);
const account = book(legs);

function median(f) {
  for (let i = 0; i < 5; i++) f();
  const xs = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[reps >> 1], min: xs[0] };
}
const ms = (x) => `${x.toFixed(3)} ms`.padStart(10);

console.log(`margin() on ${account.positions.length} legs, Node ${process.version}, median of ${reps}${pkg ? `, ${pkg}` : ''}`);
console.log(`${'case'.padEnd(34)}${'whole call'.padStart(12)}${'(min)'.padStart(11)}${'stringify in'.padStart(14)}${'parse out'.padStart(11)}${'in WASM'.padStart(11)}  report`);
const cases = [
  ['cross (standard + DRR + liquidity)', { ...account, mode: 'cross' }, undefined],
  ['portfolio (risk matrix, 35 rows)', { ...account, mode: 'portfolio' }, undefined],
  ['cross, deribit-standard', { ...account, mode: 'cross' }, { profile: 'deribit-standard' }],
  ['portfolio, deribit-portfolio', { ...account, mode: 'portfolio' }, { profile: 'deribit-portfolio' }],
];
for (const [label, acct, params] of cases) {
  const whole = median(() => margin(market, acct, params));
  const text = JSON.stringify(margin(market, acct, params));
  const stringify = median(() => { JSON.stringify(market); JSON.stringify(acct); if (params) JSON.stringify(params); });
  const parse = median(() => JSON.parse(text));
  const wasm = whole.median - stringify.median - parse.median;
  console.log(`${label.padEnd(34)}${ms(whole.median)}${ms(whole.min)} ${ms(stringify.median)} ${ms(parse.median)} ${ms(wasm)}  ${(text.length / 1024).toFixed(0)} KB`);
}
