// Benchmark: the engine in Node (WASM) — oracle index updates on a 50-option BTC account, each
// followed by one full recomputation, as benches/engine.rs does natively (same book, generated
// by the same integer arithmetic; same market tests/fixtures/market.json). The price alternates
// between two values 0.01 % apart (every update recomputes, none crosses the 1 % threshold).
// Reports the median time per update over repetitions after warm-up, and updates/s.
// Usage: node bench/engine.mjs [updatesPerRep]
import { MarginEngine } from 'drr-margin';
import { readFileSync } from 'node:fs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const perRep = Number(process.argv[2] ?? 200);

function account(mode) {
  const expiries = ['25DEC26', '26MAR27', '25JUN27'];
  const positions = [];
  for (let i = 0; i < 50; i++) {
    const strike = 70000 + 2500 * ((i * 7) % 25);
    const size = (i % 5) - 2 || 1;
    positions.push({ instrument: `BTC_USDC-${expiries[i % 3]}-${strike}-${i % 2 === 0 ? 'C' : 'P'}`, size });
  }
  return { mode, collateral: { USDC: 1000000 }, positions };
}

function time(label, engine, underlying, prices, reps = 9) {
  let tick = 0;
  const run = () => {
    for (let i = 0; i < perRep; i++) {
      tick++;
      engine.apply({ type: 'indexUpdate', underlying, price: prices[tick % 2], conf: 1, publishTime: market.now });
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
  console.log(`${label.padEnd(40)} median ${median.toFixed(1).padStart(8)} µs/update  ${Math.round(1e6 / median).toString().padStart(7)} updates/s  (min ${xs[0].toFixed(1)} µs)`);
}

console.log(`MarginEngine.apply(indexUpdate), 50-option account, Node ${process.version}, ${perRep} updates × 9 reps`);
for (const mode of ['portfolio', 'cross']) {
  const engine = new MarginEngine();
  engine.setMarket(market);
  engine.upsertAccount('bench', account(mode));
  time(`${mode} (one recomputation each)`, engine, 'BTC', [98500, 98509.85]);
  if (mode === 'portfolio') time('untouched account (ETH update)', engine, 'ETH', [3450, 3450.5]);
  engine.free();
}
