// Benchmark: the engine in Node (WASM); the cases, timing and table are bench/engine-suite.mjs's
// (bench/browser.mjs runs the same suite in headless Chromium).
// Usage: node bench/engine.mjs [updatesPerRep]
import { MarginEngine } from 'drr-margin';
import { readFileSync } from 'node:fs';
import { runEngineSuite, engineTable } from './engine-suite.mjs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const perRep = Number(process.argv[2] ?? 200);
const rows = runEngineSuite({ MarginEngine, market, perRep, now: () => performance.now() });
console.log(`MarginEngine.apply, 50-option account, Node ${process.version}, ${perRep} events × 9 reps`);
for (const line of engineTable(rows)) console.log(line);
