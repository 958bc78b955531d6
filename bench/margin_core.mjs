// The margin computation in WASM without the JS boundary: times the stages of the full call inside
// wasm32 on the bench book (bench/book.mjs) — decoding, margin() on decoded inputs,
// margin_validated() on a market and account validated once (the engine's path, issue 5), and
// encoding the report. Uses the bench-only module examples/wasm_margin_bench.rs, which is not part
// of the npm package. Build it first (see bench/README.md):
//   cargo build --release --target wasm32-unknown-unknown --example wasm_margin_bench
//   wasm-bindgen --target nodejs --out-dir target/wasm-bench \
//     target/wasm32-unknown-unknown/release/examples/wasm_margin_bench.wasm
// Usage: node bench/margin_core.mjs [legs] [--reps N]
import { book } from './book.mjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const at = args.indexOf('--reps');
const reps = at < 0 ? 31 : Number(args.splice(at, 2)[1]);
const legs = Number(args[0] ?? 500);
const require = createRequire(import.meta.url);
const bench = require('../target/wasm-bench/wasm_margin_bench.js');
const market = readFileSync(new URL('../tests/fixtures/market.json', import.meta.url), 'utf8');

function median(f) {
  for (let i = 0; i < 5; i++) f();
  const xs = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return xs[reps >> 1];
}

console.log(`WASM stages on ${legs} legs, Node ${process.version}, median of ${reps} (ms)`);
console.log(`${'mode'.padEnd(10)}${'decode'.padStart(9)}${'margin()'.padStart(10)}${'validated'.padStart(11)}${'encode'.padStart(9)}${'full'.padStart(9)}`);
for (const mode of ['cross', 'portfolio']) {
  bench.prepare(market, JSON.stringify({ ...book(legs), mode }));
  const t = {};
  for (const stage of ['decode', 'margin', 'validated', 'validated+encode', 'full']) {
    t[stage] = median(() => bench.run(stage, 1));
  }
  const f = (x) => x.toFixed(3).padStart(9);
  console.log(`${mode.padEnd(10)}${f(t.decode)} ${f(t.margin)}  ${f(t.validated)}${f(t['validated+encode'] - t.validated)}${f(t.full)}`);
}
