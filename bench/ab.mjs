// A/B of two builds of the package in one Node process: each DIR is a package tree (its js/,
// pkg/node/ and package.json, e.g. a copy of this repository's after `bash scripts/build-pkg.sh`
// at another commit or with another profile). The same calls alternate between A and B, round by
// round (A first in even rounds, B first in odd ones); each round times 15 calls after 5 warm-up
// calls and keeps their median; the line shows the median over rounds and every round's figure.
// On a loaded or throttled machine only such same-run pairs compare.
// Usage: node bench/ab.mjs DIR_A DIR_B [rounds]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [dirA, dirB, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
const A = await import(pathToFileURL(`${dirA}/js/node.mjs`).href);
const B = await import(pathToFileURL(`${dirB}/js/node.mjs`).href);
const { book, distinctBook } = await import('./book.mjs');
const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const b500 = book(500);
const port = { ...b500, mode: 'portfolio' }, cross = { ...b500, mode: 'cross' };
const d500 = distinctBook(500);
// A second snapshot, index prices × (1 + 10⁻⁴): alternating the two, every call meets a market
// the binding has not kept (it keeps the last one).
const moved = structuredClone(market);
for (const u of Object.values(moved.underlyings)) u.index.price *= 1.0001;
let flip = 0;
const portDistinct = { ...d500, mode: 'portfolio' }, crossDistinct = { ...d500, mode: 'cross' };
// The 100-position account of bench/whatif.mjs.
const expiries = ['25DEC26', '26MAR27', '25JUN27']; const positions = []; let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (let i = 0; positions.length < 98; i++) { const e = expiries[i % 3]; const k = 60000 + 2500 * Math.floor(rnd() * 32);
  positions.push({ instrument: `BTC_USDC-${e}-${k}-${rnd() < 0.5 ? 'C' : 'P'}`, size: Math.round((rnd() - 0.5) * 40) / 10 || 0.1 }); }
positions.push({ instrument: 'BTC_USDC-PERPETUAL', size: 3.5, entryPrice: 97000 });
positions.push({ instrument: 'ETH_USDC-PERPETUAL', size: -20, entryPrice: 3400 });
const acct100 = { mode: 'cross', collateral: { USDC: 2_000_000 }, positions };
const order = { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, side: 'buy' };
const N = 10000; const kind = new Int8Array(N), fwd = new Float64Array(N).fill(100), strike = new Float64Array(N), t = new Float64Array(N), vol = new Float64Array(N);
for (let i = 0; i < N; i++) { kind[i] = i % 2 ? 1 : -1; strike[i] = 60 + 80 * rnd(); t[i] = 0.01 + rnd(); vol[i] = 0.3 + rnd(); }
const cases = {
  'margin portfolio 500': (P) => P.margin(market, port),
  'margin cross 500': (P) => P.margin(market, cross),
  'margin deribit-portfolio 500': (P) => P.margin(market, port, { profile: 'deribit-portfolio' }),
  'margin portfolio 500 distinct': (P) => P.margin(market, portDistinct),
  'margin portfolio 500 new market': (P) => P.margin((flip ^= 1) ? moved : market, port),
  'margin cross 500 distinct': (P) => P.margin(market, crossDistinct),
  'whatIf estimate 100': (P) => P.whatIf(market, acct100, order),
  'whatIf exact 100': (P) => P.whatIf(market, acct100, order, undefined, { whatIfPrices: 'exact' }),
  'liquidationPrices 100': (P) => P.liquidationPrices(market, acct100),
  'liquidationPrices 100 portfolio': (P) => P.liquidationPrices(market, { ...acct100, mode: 'portfolio' }),
  'maxSize 100': (P) => P.maxSize(market, acct100, 'BTC_USDC-PERPETUAL', 'buy', undefined, { sizeIncrement: 0.001 }),
  'priceBatch 10k (per call)': (P) => P.priceBatch({ kind, forward: fwd, strike, t, vol, rate: 0.01 }),
};
function med(f, reps) { for (let i = 0; i < 5; i++) f(); const xs = []; for (let r = 0; r < reps; r++) { const t0 = process.hrtime.bigint(); f(); xs.push(Number(process.hrtime.bigint() - t0) / 1e6); } xs.sort((a, b) => a - b); return xs[reps >> 1]; }
const res = {};
for (let r = 0; r < rounds; r++) for (const [name, f] of Object.entries(cases)) for (const [lab, P] of r % 2 ? [['B', B], ['A', A]] : [['A', A], ['B', B]]) {
  (res[name] ??= { A: [], B: [] })[lab].push(med(() => f(P), 15));
}
for (const [name, { A: a, B: b }] of Object.entries(res)) {
  a.sort((x, y) => x - y); b.sort((x, y) => x - y);
  const ma = a[a.length >> 1], mb = b[b.length >> 1];
  console.log(`${name.padEnd(30)} A ${ma.toFixed(3)} ms  B ${mb.toFixed(3)} ms  B/A ${(mb / ma).toFixed(3)}   (A ${a.map((x) => x.toFixed(2)).join(' ')} | B ${b.map((x) => x.toFixed(2)).join(' ')})`);
}
