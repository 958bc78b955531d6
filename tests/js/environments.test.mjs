// Environments and memory (issue 6): the Node entries never fetch, ESM and CommonJS load in a
// fresh process, and many calls do not grow WebAssembly memory beyond a bound. (The Vite build,
// the browser main thread and the Web Worker are in tests/browser/packaging.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DrrMarginError, ERROR_CODES, MarginEngine, margin, price, wasmMemoryBytes } from 'drr-margin';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const noFetch = "globalThis.fetch = () => { throw new Error('the Node entry fetched'); };";

/** Runs `code` in a fresh Node process inside the package (so `drr-margin` resolves to it). */
function node(args, code) {
  return execFileSync(process.execPath, [...args, '-e', `${noFetch}\n${code}`], { cwd: repo, encoding: 'utf8' }).trim();
}

const job = `init().then(() => console.log(JSON.stringify([version(),
  price({ kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: 0.6 }).price])))`;

test('Node ESM entry loads in a fresh process without fetch', () => {
  const out = node(['--input-type=module'], `import init, { price, version } from 'drr-margin'; ${job};`);
  const [v, p] = JSON.parse(out);
  assert.match(v, /^\d+\.\d+\.\d+/);
  assert.equal(p, price({ kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: 0.6 }).price);
});

test('Node CommonJS entry loads in a fresh process without fetch', () => {
  const out = node(['--input-type=commonjs'], `const { default: init, price, version } = require('drr-margin'); ${job};`);
  assert.equal(JSON.parse(out)[1], price({ kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: 0.6 }).price);
});

test('every thrown error is a DrrMarginError with a known code, in ESM and CommonJS', () => {
  const bad = { kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: -1 };
  assert.throws(() => price(bad), (e) => e instanceof DrrMarginError && e instanceof Error
    && ERROR_CODES.includes(e.code) && e.field === 'vol');
  assert.ok(!(new Error('other') instanceof DrrMarginError));
  const out = node(['--input-type=commonjs'], `const { price, DrrMarginError } = require('drr-margin');
    try { price(${JSON.stringify(bad)}); } catch (e) { console.log(e instanceof DrrMarginError, e.code); }`);
  assert.equal(out, 'true E_INVALID_VOL');
});

test('10^5 calls (successes and coded errors) do not grow WebAssembly memory beyond 1 MiB', () => {
  const market = fixture('market.json');
  const account = fixture('account.json');
  // Warm up: the allocator reaches its working size.
  for (let i = 0; i < 200; i++) margin(market, account);
  const before = wasmMemoryBytes();
  const request = { kind: 'put', forward: 100000, strike: 90000, t: 0.25, vol: 0.7 };
  let errors = 0;
  for (let i = 0; i < 100_000; i++) {
    if (i % 50 === 0) margin(market, account);
    else if (i % 10 === 0) {
      try { price({ ...request, vol: -1 }); } catch (e) { errors += e.code === 'E_INVALID_VOL' ? 1 : 0; }
    } else price(request);
  }
  const grown = wasmMemoryBytes() - before;
  assert.equal(errors, 8_000);
  assert.ok(grown <= 1 << 20, `WebAssembly memory grew by ${grown} bytes over 10^5 calls`);
});

test('10^3 engines created, used and freed do not grow WebAssembly memory beyond 1 MiB', () => {
  const market = fixture('market.json');
  const account = fixture('account-portfolio.json');
  const btc = market.underlyings.BTC.index;
  const once = (dispose) => {
    const engine = new MarginEngine();
    engine.setMarket(market);
    engine.upsertAccount(account.id, account);
    const updates = engine.apply({ type: 'indexUpdate', underlying: 'BTC', price: btc.price * 0.9, publishTime: market.now });
    engine.report(account.id);
    dispose(engine);
    return updates;
  };
  for (let i = 0; i < 50; i++) once((e) => e.free());
  const before = wasmMemoryBytes();
  let updates = 0;
  for (let i = 0; i < 1000; i++) updates += once(i % 2 ? (e) => e.free() : (e) => e[Symbol.dispose]()).length;
  const grown = wasmMemoryBytes() - before;
  assert.ok(updates >= 1000, `a 10 % index drop must emit updates (${updates})`);
  assert.ok(grown <= 1 << 20, `WebAssembly memory grew by ${grown} bytes over 10^3 engines`);
});
