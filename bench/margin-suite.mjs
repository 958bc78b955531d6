// The margin() benchmark (issue 4: full `margin()` on a 500-leg book in WASM under 1 ms), one
// implementation for both runners: bench/margin.mjs (Node) and bench/browser.mjs (headless
// Chromium). Neither Node nor a browser API is used here: the runner passes the package's
// functions, the clocks and the market, so both runners time the same calls the same way.
//
// The book: bench/book.mjs `book` (498 BTC options over 182 instruments and 3 expiries, plus a
// BTC and an ETH perpetual) and `distinctBook` (the same size with every leg a different
// instrument, as an exchange account holds them), against the sample market.
//
// The package keeps the risk matrix's pricing-node values for the last market it validated
// (src/wasm/market_cache.rs): repeating a portfolio call on the same market reprices no node.
// The "market moved" cases alternate two markets whose BTC index differs by 0.01 %, so every
// call validates its market and prices every node, as the first call after a new snapshot does.
//
// Every call is timed by `wall()` (milliseconds, performance.now() in both runners) and, where
// the runner has one, by `cpu()` (the process's CPU time, Node only): on a loaded machine the
// wall-clock median includes waiting for a CPU, the CPU-time median does not. Beside the whole
// call it times the JavaScript-side parts of it on the same data, so the split is visible: the
// inputs' JS side (JSON.stringify of the market, params and account, whose positions the package
// sends as columns: js/report.js accountColumns) and the building of the report object ("report
// out": js/report.js reportFromParts on the parts the WASM side returns; for an older build
// without `__marginParts`, JSON.parse of the report's text). What remains is the work in WASM:
// decoding, validating, computing and encoding, plus the copies across the boundary.
import { book, distinctBook } from './book.mjs';

/** The cases: [label, account, params, market moved every call]. */
export function marginCases(legs = 500) {
  const account = book(legs);
  const distinct = distinctBook(legs);
  return [
    ['cross (standard + DRR + liquidity)', { ...account, mode: 'cross' }, undefined],
    ['portfolio (risk matrix, 35 rows)', { ...account, mode: 'portfolio' }, undefined],
    ['cross, deribit-standard', { ...account, mode: 'cross' }, { profile: 'deribit-standard' }],
    ['portfolio, deribit-portfolio', { ...account, mode: 'portfolio' }, { profile: 'deribit-portfolio' }],
    ['cross, distinct instruments', { ...distinct, mode: 'cross' }, undefined],
    ['portfolio, distinct instruments', { ...distinct, mode: 'portfolio' }, undefined],
    ['portfolio, market moved every call', { ...account, mode: 'portfolio' }, undefined, true],
    ['portfolio distinct, market moved', { ...distinct, mode: 'portfolio' }, undefined, true],
  ];
}

/**
 * Times every case. `pkg`: the package's `margin` and, if it has it, `__marginParts`; `report`:
 * js/report.js's `reportFromParts` and `accountColumns` (or nulls, for an older build); `clock`:
 * `{ wall, cpu? }`, each returning milliseconds. Returns one row per case: the whole call's
 * wall-clock median and minimum, its CPU-time median (null without `cpu`), the JS-side parts'
 * medians (CPU time where there is a `cpu` clock, else wall clock), the rest ("in WASM") and the
 * report's JSON size. `columnsIn`: whether the package sends the positions as columns (false for
 * an older build given to bench/margin.mjs --pkg).
 */
export function runMarginSuite({ pkg, report, market, legs = 500, reps = 31, clock, columnsIn = true }) {
  const { margin, __marginParts } = pkg;
  const { reportFromParts, accountColumns } = report;
  const time = clock.cpu ?? clock.wall;
  const median = (f) => {
    for (let i = 0; i < 5; i++) f();
    const wall = [];
    const cpu = [];
    for (let r = 0; r < reps; r++) {
      const c = time();
      const t = clock.wall();
      f();
      wall.push(clock.wall() - t);
      cpu.push(time() - c);
    }
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    return { median: wall[reps >> 1], min: wall[0], cpu: cpu[reps >> 1] };
  };

  const cases = marginCases(legs);
  const moved = structuredClone(market);
  moved.underlyings.BTC.index.price *= 1.0001;
  let tick = 0;
  const moving = () => (tick++ % 2 === 0 ? moved : market);
  // Every case 20 times before any is timed (JIT tier-up).
  for (let i = 0; i < 20; i++) for (const [, acct, params] of cases) margin(market, acct, params);
  const rows = [];
  for (const [label, acct, params, moves] of cases) {
    const whole = median(() => margin(moves ? moving() : market, acct, params));
    const text = JSON.stringify(margin(market, acct, params));
    // The JS side of the inputs: the texts the binding stringifies, and the position columns
    // where the package sends them (`columnsIn`; builds before them: the whole account's text).
    const stringify = median(() => {
      JSON.stringify(market);
      const columns = columnsIn && accountColumns ? accountColumns(acct) : null;
      JSON.stringify(columns === null ? acct : columns.rest);
      if (params) JSON.stringify(params);
    });
    const parts = __marginParts?.(market, acct, params);
    const parse = parts && reportFromParts
      ? median(() => reportFromParts(parts))
      : median(() => JSON.parse(text));
    rows.push({
      label,
      wall: whole.median,
      min: whole.min,
      cpu: clock.cpu ? whole.cpu : null,
      inputs: stringify.cpu,
      reportOut: parse.cpu,
      inWasm: whole.cpu - stringify.cpu - parse.cpu,
      kb: text.length / 1024,
    });
  }
  return rows;
}

/** The rows as the table both runners print. */
export function marginTable(rows) {
  const ms = (x) => (x === null ? 'n/a'.padStart(10) : `${x.toFixed(3)} ms`.padStart(10));
  const lines = [
    `${'case'.padEnd(34)}${'wall'.padStart(11)}${'(min)'.padStart(11)}${'CPU'.padStart(11)}${'inputs (JS)'.padStart(14)}${'report out'.padStart(11)}${'in WASM'.padStart(11)}  report`,
  ];
  for (const r of rows) {
    lines.push(`${r.label.padEnd(34)}${ms(r.wall)} ${ms(r.min)} ${ms(r.cpu)} ${ms(r.inputs)} ${ms(r.reportOut)} ${ms(r.inWasm)}  ${r.kb.toFixed(0)} KB`);
  }
  const cpu = rows.some((r) => r.cpu !== null);
  lines.push(cpu
    ? 'wall: median and min wall clock; CPU, inputs (JS), report out, in WASM: CPU-time medians.'
    : 'wall: median and min wall clock; inputs (JS), report out, in WASM: wall-clock medians (no CPU clock here).');
  lines.push('inputs (JS): JSON.stringify of the market, params and account (without its positions when they');
  lines.push('cross as columns: js/report.js accountColumns, included); report out: building the report object.');
  return lines;
}
