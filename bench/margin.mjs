// Benchmark: margin() on a 500-leg BTC options book (bench/book.mjs: 3 expiries, calls/puts with
// mixed signs, plus a BTC and an ETH perpetual) against the sample market, in cross and portfolio
// modes, and `distinctBook` (the same size with every leg a different instrument, as an exchange
// account holds them), through the npm package in Node (WASM). Median of repetitions after warm-up.
//
// Usage: node bench/margin.mjs [legs] [--reps N] [--pkg path/to/drr_margin.js]
//   --pkg loads another build of the Node package (e.g. an older one, for before/after).
//
// Figures: wall-clock median and minimum, and the CPU-time median (see median() below).
// Besides the whole call it times the JavaScript-side parts of it on the same data, so the split
// is visible: the inputs' JS side (JSON.stringify of the market, params and account, whose
// positions the package sends as columns: js/report.js accountColumns) and the
// building of the report object ("report out": js/report.js's reportFromParts on the parts the
// WASM side returns; for an older build without `__marginParts`, JSON.parse of the report's text).
// What remains is the work in WASM: decoding, validating, computing and encoding, plus the copies
// across the boundary. Every case is run 20 times before any is timed (JIT tier-up).
//
// The package keeps the risk matrix's pricing-node values for the last market it validated
// (src/wasm/market_cache.rs): repeating a portfolio call on the same market reprices no node.
// The "market moved every call" cases alternate two markets whose BTC index differs by 0.01 %,
// so every call validates its market and prices every node, as the first call after a new
// snapshot does.
import { book, distinctBook } from './book.mjs';
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
const { margin, __marginParts } = await import(pkg ? pathToFileURL(pkg).href : 'drr-margin');
const { reportFromParts, accountColumns } = await import('../js/report.js');

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(args[0] ?? 500);
const account = book(legs);
const distinct = distinctBook(legs);

// Each call is timed twice: wall clock (process.hrtime) and the process's CPU time
// (process.cpuUsage, user + system). On a loaded machine the wall-clock median includes waiting for
// a CPU; the CPU-time median does not, and is the figure to quote there.
function median(f) {
  for (let i = 0; i < 5; i++) f();
  const wall = [];
  const cpu = [];
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    f();
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1e3);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: wall[reps >> 1], min: wall[0], cpu: cpu[reps >> 1] };
}
const ms = (x) => `${x.toFixed(3)} ms`.padStart(10);

console.log(`margin() on ${account.positions.length} legs, Node ${process.version}, median of ${reps}${pkg ? `, ${pkg}` : ''}`);
console.log(`${'case'.padEnd(34)}${'wall'.padStart(11)}${'(min)'.padStart(11)}${'CPU'.padStart(11)}${'inputs (JS)'.padStart(14)}${'report out'.padStart(11)}${'in WASM'.padStart(11)}  report`);
const moved = structuredClone(market);
moved.underlyings.BTC.index.price *= 1.0001;
let tick = 0;
const moving = () => (tick++ % 2 === 0 ? moved : market);
const cases = [
  ['cross (standard + DRR + liquidity)', { ...account, mode: 'cross' }, undefined],
  ['portfolio (risk matrix, 35 rows)', { ...account, mode: 'portfolio' }, undefined],
  ['cross, deribit-standard', { ...account, mode: 'cross' }, { profile: 'deribit-standard' }],
  ['portfolio, deribit-portfolio', { ...account, mode: 'portfolio' }, { profile: 'deribit-portfolio' }],
  ['cross, distinct instruments', { ...distinct, mode: 'cross' }, undefined],
  ['portfolio, distinct instruments', { ...distinct, mode: 'portfolio' }, undefined],
  ['portfolio, market moved every call', { ...account, mode: 'portfolio' }, undefined, true],
  ['portfolio distinct, market moved', { ...distinct, mode: 'portfolio' }, undefined, true],
];
for (let i = 0; i < 20; i++) for (const [, acct, params] of cases) margin(market, acct, params);
for (const [label, acct, params, moves] of cases) {
  const whole = median(() => margin(moves ? moving() : market, acct, params));
  const text = JSON.stringify(margin(market, acct, params));
  // The JS side of the inputs: the texts the binding stringifies, and the position columns
  // (js/report.js) where the package sends them (builds before them: the whole account's text).
  const columnsIn = !pkg && accountColumns !== undefined;
  const stringify = median(() => {
    JSON.stringify(market);
    const columns = columnsIn ? accountColumns(acct) : null;
    JSON.stringify(columns === null ? acct : columns.rest);
    if (params) JSON.stringify(params);
  });
  const parts = __marginParts?.(market, acct, params);
  const parse = parts ? median(() => reportFromParts(parts)) : median(() => JSON.parse(text));
  // CPU-time medians: whole call minus the two JavaScript-side parts.
  const wasm = whole.cpu - stringify.cpu - parse.cpu;
  console.log(`${label.padEnd(34)}${ms(whole.median)} ${ms(whole.min)} ${ms(whole.cpu)} ${ms(stringify.cpu)} ${ms(parse.cpu)} ${ms(wasm)}  ${(text.length / 1024).toFixed(0)} KB`);
}
console.log('wall: median and min wall clock; CPU, inputs (JS), report out, in WASM: CPU-time medians.');
console.log('inputs (JS): JSON.stringify of the market, params and account (without its positions when they');
console.log('cross as columns: js/report.js accountColumns, included); report out: building the report object.');
