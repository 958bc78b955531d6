// The margin computation in WASM without the JS boundary: times the stages of the full call inside
// wasm32 on the bench book (bench/book.mjs) — decoding, margin() on decoded inputs,
// margin_validated() on a market and account validated once (the engine's path, issue 5), and
// encoding the report. Uses the bench-only module examples/wasm_margin_bench.rs, which is not part
// of the npm package. Build it first: bash bench/build-wasm-bench.sh
// Usage: node bench/margin_core.mjs [legs] [--reps N]
import { book } from './book.mjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const at = args.indexOf('--reps');
const reps = at < 0 ? 101 : Number(args.splice(at, 2)[1]);
const legs = Number(args[0] ?? 500);
const require = createRequire(import.meta.url);
const bench = require('../target/wasm-bench/wasm_margin_bench.js');
const market = readFileSync(new URL('../tests/fixtures/market.json', import.meta.url), 'utf8');

// Median and minimum wall-clock time of `f` (ms). On a loaded machine the minimum is the cost
// of an uninterrupted run; the median includes waiting for a CPU.
function time(f) {
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

console.log(`WASM stages on ${legs} legs, Node ${process.version}, ${reps} runs each: median / min (ms)`);
const stages = ['decode', 'margin', 'validated', 'validated+encode', 'full'];
console.log(`${'mode'.padEnd(10)}${stages.map((s) => s.padStart(18)).join('')}`);
for (const mode of ['cross', 'portfolio']) {
  bench.prepare(market, JSON.stringify({ ...book(legs), mode }));
  const cells = stages.map((stage) => {
    const t = time(() => bench.run(stage, 1));
    return `${t.median.toFixed(3)} / ${t.min.toFixed(3)}`.padStart(18);
  });
  console.log(`${mode.padEnd(10)}${cells.join('')}`);
}
console.log('decode: market + account JSON text → specs; margin: margin() on the specs (validation +');
console.log('computation); validated: margin_validated() alone; validated+encode: that + report → JSON');
console.log('text; full: decode + default params + margin() + encode (the package call minus the JS side).');
