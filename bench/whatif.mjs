// Benchmark: whatIf() and liquidationPrices() on an N-position cross account (default 100: BTC
// options across 3 expiries × strikes, mixed signs, plus BTC and ETH perpetuals) against the
// sample market, through the npm package in Node (WASM). Median of repetitions after warm-up
// (101 for the fast calls, 3 for the slow ones).
// Usage: node bench/whatif.mjs [positions]
import { whatIf, liquidationPrices, margin, maxSize } from 'drr-margin';
import { readFileSync } from 'node:fs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(process.argv[2] ?? 100);
const expiries = ['25DEC26', '26MAR27', '25JUN27'];
const positions = [];
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (let i = 0; positions.length < legs - 2; i++) {
  const expiry = expiries[i % expiries.length];
  const strike = 60000 + 2500 * Math.floor(rnd() * 32);
  positions.push({ instrument: `BTC_USDC-${expiry}-${strike}-${rnd() < 0.5 ? 'C' : 'P'}`, size: Math.round((rnd() - 0.5) * 40) / 10 || 0.1 });
}
positions.push({ instrument: 'BTC_USDC-PERPETUAL', size: 3.5, entryPrice: 97000 });
positions.push({ instrument: 'ETH_USDC-PERPETUAL', size: -20, entryPrice: 3400 });
const account = { mode: 'cross', collateral: { USDC: 2_000_000 }, positions };
const order = { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, side: 'buy' };

// Warm-up: 20 calls (2 for the slow ones), so that the figures are the steady state, not the JIT's
// tier-up (with 2 warm-up calls the medians of the fast calls varied up to 2× run to run).
function time(label, f, reps = 101) {
  for (let i = 0; i < (reps > 10 ? 20 : 2); i++) f();
  const xs = [];
  for (let r = 0; r < reps; r++) { const t = process.hrtime.bigint(); f(); xs.push(Number(process.hrtime.bigint() - t) / 1e6); }
  xs.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} median ${xs[reps >> 1].toFixed(3)} ms  (min ${xs[0].toFixed(3)})`);
}
console.log(`${positions.length} positions (cross, drr profile), Node ${process.version}`);
time('margin() (reference: one full revaluation)', () => margin(market, account));
time("whatIf, whatIfPrices 'none' (2 margins)", () => whatIf(market, account, order, undefined, { whatIfPrices: 'none' }));
time("whatIf, whatIfPrices 'estimate' (default, 2 + 8)", () => whatIf(market, account, order));
time("whatIf, whatIfPrices 'exact'", () => whatIf(market, account, order, undefined, { whatIfPrices: 'exact' }), 3);
time('liquidationPrices', () => liquidationPrices(market, account), 3);
time('maxSize (increment 0.001)', () => maxSize(market, account, 'BTC_USDC-PERPETUAL', 'buy', undefined, { sizeIncrement: 0.001 }), 3);
