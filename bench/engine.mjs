// Benchmark: the engine in Node (WASM) — oracle index updates on a 50-option BTC account, each
// followed by one full recomputation, as benches/engine.rs does natively (same book, generated
// by the same integer arithmetic; same market tests/fixtures/market.json). The price alternates
// between two values 0.01 % apart (every update recomputes, none crosses the 1 % threshold).
// Also: 20 portfolio accounts on the same 50 instruments (each update recomputes all 20), and
// fills of ±0.1 of one of the book's options against the unchanged market (benches/engine.rs
// `index_update/portfolio_20_accounts`, `trade/*`). Reports the median time per event over
// repetitions after warm-up, and events/s.
// Usage: node bench/engine.mjs [updatesPerRep]
import { MarginEngine } from 'drr-margin';
import { readFileSync } from 'node:fs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const perRep = Number(process.argv[2] ?? 200);

function account(mode, k = 0) {
  const expiries = ['25DEC26', '26MAR27', '25JUN27'];
  const positions = [];
  for (let i = 0; i < 50; i++) {
    const strike = 70000 + 2500 * ((i * 7) % 25);
    const size = ((i + k) % 5) - 2 || 1;
    positions.push({ instrument: `BTC_USDC-${expiries[i % 3]}-${strike}-${i % 2 === 0 ? 'C' : 'P'}`, size });
  }
  return { mode, collateral: { USDC: 1000000 }, positions };
}

function time(label, engine, event, reps = 9) {
  let tick = 0;
  const run = () => {
    for (let i = 0; i < perRep; i++) {
      tick++;
      engine.apply(event(tick));
    }
  };
  run();
  const xs = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    run();
    xs.push(Number(process.hrtime.bigint() - t) / 1e3 / perRep);
  }
  xs.sort((a, b) => a - b);
  const median = xs[reps >> 1];
  console.log(`${label.padEnd(44)} median ${median.toFixed(1).padStart(8)} µs/event  ${Math.round(1e6 / median).toString().padStart(7)} events/s  (min ${xs[0].toFixed(1)} µs)`);
}

const index = (underlying, prices) => (tick) =>
  ({ type: 'indexUpdate', underlying, price: prices[tick % 2], conf: 1, publishTime: market.now });
const fill = (tick) => ({
  type: 'trade', account: 'bench', instrument: 'BTC_USDC-26MAR27-100000-C',
  size: tick % 2 === 0 ? 0.1 : -0.1, price: 6000,
});

console.log(`MarginEngine.apply, 50-option account, Node ${process.version}, ${perRep} events × 9 reps`);
for (const mode of ['portfolio', 'cross']) {
  const engine = new MarginEngine();
  engine.setMarket(market);
  engine.upsertAccount('bench', account(mode));
  time(`index, ${mode} (one recomputation each)`, engine, index('BTC', [98500, 98509.85]));
  if (mode === 'portfolio') time('index, untouched account (ETH update)', engine, index('ETH', [3450, 3450.5]));
  time(`trade, ${mode} (one recomputation each)`, engine, fill);
  engine.free();
}
{
  const engine = new MarginEngine();
  engine.setMarket(market);
  for (let k = 0; k < 20; k++) engine.upsertAccount(k === 0 ? 'bench' : `trader-${k}`, account('portfolio', k));
  time('index, 20 portfolio accounts (20 each)', engine, index('BTC', [98500, 98509.85]), 5);
  engine.free();
}
