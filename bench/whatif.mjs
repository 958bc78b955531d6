// Benchmark: whatIf(), liquidationPrices() and maxSize() through the npm package in Node (WASM);
// the cases, timing and table are bench/whatif-suite.mjs's (bench/browser.mjs runs the same suite
// in headless Chromium).
// Usage: node bench/whatif.mjs [positions]
import * as pkg from 'drr-margin';
import { readFileSync } from 'node:fs';
import { runWhatIfSuite, whatIfTable } from './whatif-suite.mjs';

const market = JSON.parse(readFileSync(new URL('../tests/fixtures/market.json', import.meta.url)));
const legs = Number(process.argv[2] ?? 100);
const rows = runWhatIfSuite({ pkg, market, legs, now: () => performance.now() });
console.log(`${legs} positions (cross, drr profile), Node ${process.version}`);
for (const line of whatIfTable(rows)) console.log(line);
