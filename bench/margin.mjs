// Benchmark: margin() on a 500-leg BTC options book (4 expiries × 25 strikes × calls/puts with
// mixed signs, plus perps) against the sample market, in cross and portfolio modes, through the
// npm package in Node (WASM). Median of repetitions after warm-up. Usage: node bench/margin.mjs [legs]
import { margin } from 'drr-margin';
import { readFileSync } from 'node:fs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(process.argv[2] ?? 500);
const expiries = ['25DEC26', '26MAR27', '25JUN27'];
const positions = [];
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (let i = 0; positions.length < legs - 2; i++) {
  const expiry = expiries[i % expiries.length];
  const strike = 60000 + 2500 * Math.floor(rnd() * 32);
  const kind = rnd() < 0.5 ? 'C' : 'P';
  positions.push({ instrument: `BTC_USDC-${expiry}-${strike}-${kind}`, size: Math.round((rnd() - 0.5) * 40) / 10 || 0.1 });
}
positions.push({ instrument: 'BTC_USDC-PERPETUAL', size: 3.5, entryPrice: 97000 });
positions.push({ instrument: 'ETH_USDC-PERPETUAL', size: -20, entryPrice: 3400 });
const account = { mode: 'cross', collateral: { USDC: 5_000_000 }, positions };

function time(label, f, reps = 15) {
  f(); f();
  const xs = [];
  for (let r = 0; r < reps; r++) { const t = process.hrtime.bigint(); f(); xs.push(Number(process.hrtime.bigint() - t) / 1e6); }
  xs.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} median ${xs[reps >> 1].toFixed(3)} ms  (min ${xs[0].toFixed(3)})`);
}
console.log(`margin() on ${positions.length} legs, Node ${process.version}`);
time('cross (standard + DRR + liquidity)', () => margin(market, account));
time('portfolio (risk matrix, 35 scenarios/vector)', () => margin(market, { ...account, mode: 'portfolio' }));
time('cross, deribit-standard profile', () => margin(market, account, { profile: 'deribit-standard' }));
