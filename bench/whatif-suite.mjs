// The what-if benchmark (issue 5: `whatIf` under 1 ms in WASM for a 100-position account), one
// implementation for both runners: bench/whatif.mjs (Node) and bench/browser.mjs (headless
// Chromium). whatIf(), liquidationPrices() and maxSize() on an N-position cross account (default
// 100: BTC options across 3 expiries × strikes, mixed signs, plus BTC and ETH perpetuals) and the
// same account in portfolio mode, against the sample market. Median and minimum of repetitions
// after warm-up (101 for the fast calls, 3 for the slow ones), in milliseconds (`now()`).

import { book } from './book.mjs';

/** The N-position cross account of the bench: bench/book.mjs's book from seed 11, with 2M USDC. */
export function whatIfAccount(legs = 100) {
  return { ...book(legs, 11), collateral: { USDC: 2_000_000 } };
}

/** Runs every case with the package's `whatIf`, `liquidationPrices`, `margin`, `maxSize`. */
export function runWhatIfSuite({ pkg, market, legs = 100, now, slowReps = 3 }) {
  const { whatIf, liquidationPrices, margin, maxSize } = pkg;
  const account = whatIfAccount(legs);
  const order = { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, side: 'buy' };
  const rows = [];
  // Warm-up: 20 calls (2 for the slow ones), so that the figures are the steady state, not the
  // JIT's tier-up (with 2 warm-up calls the medians of the fast calls varied up to 2× run to run).
  const time = (section, label, f, reps = 101) => {
    for (let i = 0; i < (reps > 10 ? 20 : 2); i++) f();
    const xs = [];
    for (let r = 0; r < reps; r++) {
      const t = now();
      f();
      xs.push(now() - t);
    }
    xs.sort((a, b) => a - b);
    rows.push({ section, label, median: xs[reps >> 1], min: xs[0] });
  };
  time('cross', 'margin() (reference: one full revaluation)', () => margin(market, account));
  // The binding keeps the last call's account before the order (src/wasm/what_if_cache.rs).
  // "cold" alternates two accounts (collateral 2,000,000 and 2,000,001 USDC), so no call finds it:
  // every call computes before and after. "order form" keeps the account and changes the order's
  // size on every call, as a page does while the user types: the account before is computed once.
  const accounts = [account, { ...account, collateral: { USDC: 2_000_001 } }];
  let call = 0;
  const cold = () => accounts[call++ % 2];
  const sizes = [0.1, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.4];
  const typed = () => ({ ...order, size: sizes[call++ % sizes.length] });
  time('cross', "whatIf 'none' (2 margins), cold", () => whatIf(market, cold(), order, undefined, { whatIfPrices: 'none' }));
  time('cross', "whatIf 'estimate' (default: 2 + 8), cold", () => whatIf(market, cold(), order));
  time('cross', "whatIf 'estimate', order form (1 + 4)", () => whatIf(market, account, typed()));
  time('cross', "whatIf 'exact', cold", () => whatIf(market, cold(), order, undefined, { whatIfPrices: 'exact' }), slowReps);
  time('cross', "whatIf 'exact', order form", () => whatIf(market, account, typed(), undefined, { whatIfPrices: 'exact' }), slowReps);
  time('cross', 'liquidationPrices', () => liquidationPrices(market, account), slowReps);
  time('cross', 'maxSize (increment 0.001)', () => maxSize(market, account, 'BTC_USDC-PERPETUAL', 'buy', undefined, { sizeIncrement: 0.001 }), slowReps);
  // The same account in portfolio mode (risk matrix): what-if's before and after share every
  // pricing node but the order's, and maxSize's trials all of them (src/margin/scenario_cache.rs).
  const pm = { ...account, mode: 'portfolio' };
  const pmAccounts = [pm, { ...pm, collateral: { USDC: 2_000_001 } }];
  const pmCold = () => pmAccounts[call++ % 2];
  const optionOrder = { instrument: 'BTC_USDC-26MAR27-110000-C', size: 1, side: 'sell' };
  time('portfolio', 'margin() (reference: one full revaluation)', () => margin(market, pm));
  time('portfolio', "whatIf 'estimate' (default), option order, 2 accounts", () => whatIf(market, pmCold(), optionOrder));
  time('portfolio', 'maxSize of that option (increment 0.001)', () => maxSize(market, pm, optionOrder.instrument, 'sell', undefined, { sizeIncrement: 0.001 }), slowReps);
  return rows;
}

/** The rows as the table both runners print. */
export function whatIfTable(rows) {
  const lines = [];
  let section;
  for (const { section: s, label, median, min } of rows) {
    if (s !== section && section !== undefined) lines.push(`${s} mode:`);
    section = s;
    lines.push(`${label.padEnd(52)} median ${median.toFixed(3)} ms  (min ${min.toFixed(3)})`);
  }
  return lines;
}
