// JS layer of `npm test`: the built npm package in Node (ESM and CommonJS entries), through the
// package's own `exports` map (imported by name, as a user would).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import init, { price, impliedVol, priceBatch, impliedVolBatch, version, parityDigest } from 'drr-margin';

const require = createRequire(import.meta.url);
const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;

test('ESM entry needs no init and prices an option', async () => {
  await init(); // no-op in Node, allowed for isomorphic code
  const g = price({ kind: 'put', forward: 20, strike: 20, t: 4 / 12, vol: 0.25, rate: 0.09 });
  // Hull, Options, Futures and Other Derivatives, Example 18.6 (Black-76 futures put): 1.12.
  assert.ok(Math.abs(g.price - 1.12) < 0.005, `price ${g.price}`);
  assert.ok(g.delta < 0 && g.gamma > 0 && g.vega > 0);
});

test('CommonJS entry loads the same module', () => {
  const cjs = require('drr-margin');
  assert.equal(typeof cjs.price, 'function');
  assert.equal(cjs.version(), version());
  const a = cjs.price({ kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: 0.6 });
  const b = price({ kind: 'call', forward: 100000, strike: 110000, t: 0.1, vol: 0.6 });
  assert.deepEqual(a, b);
});

test('bad input throws an Error with a stable code and the field name', () => {
  assert.throws(
    () => price({ kind: 'call', forward: 100000, strike: -5, t: 0.1, vol: 0.6 }),
    (err) => err instanceof Error && err.code === 'E_INVALID_INPUT' && err.field === 'strike' && /strike/.test(err.message),
  );
  assert.throws(
    () => price({ kind: 'call', forward: 100000, strike: 5, t: 0.1, vol: NaN }),
    (err) => err.code === 'E_INVALID_INPUT' && err.field === 'vol' && /NaN/.test(err.message),
  );
  assert.throws(
    () => price({ kind: 'straddle', forward: 1, strike: 1, t: 1, vol: 1 }),
    (err) => err.code === 'E_INVALID_INPUT' && err.field === 'kind',
  );
  assert.throws(() => price(undefined), (err) => err.code === 'E_INVALID_INPUT');
});

test('version matches the native CLI', () => {
  const out = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
  assert.equal(out, `drr-margin ${version()}`);
});

test('same JSON in, same numbers out: CLI and npm package agree bit for bit', () => {
  const request = { kind: 'call', forward: 64123.5, strike: 70000, t: 9 / 365, vol: 0.71, rate: 0.03, inverse: true };
  const native = JSON.parse(execFileSync(cli, ['price', '--json', JSON.stringify(request)], { encoding: 'utf8' }));
  assert.deepEqual(price(request), native);
});

test('parity corpus digest: wasm32 in Node equals native x86_64', () => {
  const n = Number(process.env.DRR_PARITY_COUNT ?? 100000);
  const native = execFileSync(cli, ['parity', '--count', String(n)], { encoding: 'utf8' }).trim();
  assert.match(native, /^[0-9a-f]{16}$/);
  assert.equal(parityDigest(n), native, `digest over ${n} rows`);
});

test('impliedVol inverts price and rejects prices outside the no-arbitrage bounds', () => {
  const option = { kind: 'put', forward: 3500, strike: 3000, t: 45 / 365, rate: 0.04 };
  const { price: p } = price({ ...option, vol: 0.83 });
  assert.ok(Math.abs(impliedVol({ ...option, price: p }) - 0.83) < 1e-12);
  const discount = Math.exp(-0.04 * 45 / 365);
  assert.throws(() => impliedVol({ ...option, price: 3000 * discount }),
    (err) => err.code === 'E_NO_ARBITRAGE_BOUND' && err.field === 'price');
  assert.throws(() => impliedVol({ ...option, price: -1 }), (err) => err.code === 'E_NO_ARBITRAGE_BOUND');
  assert.throws(() => impliedVol({ ...option, t: 0, price: 10 }), (err) => err.code === 'E_INVALID_INPUT' && err.field === 't');
});

test('priceBatch equals price() row by row, bit for bit', () => {
  const n = 257;
  const kind = new Int8Array(n), forward = new Float64Array(n), strike = new Float64Array(n);
  const t = new Float64Array(n), vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    kind[i] = i % 2 ? 1 : -1; forward[i] = 60000 + 37 * i; strike[i] = 40000 + 200 * i;
    t[i] = (1 + (i % 90)) / 365; vol[i] = 0.3 + (i % 17) / 10;
  }
  for (const inverse of [false, true]) {
    const out = priceBatch({ kind, forward, strike, t, vol, rate: 0.05, inverse });
    assert.ok(out.price instanceof Float64Array && out.volga.length === n);
    for (let i = 0; i < n; i += 16) {
      const one = price({ kind: kind[i] === 1 ? 'call' : 'put', forward: forward[i], strike: strike[i], t: t[i], vol: vol[i], rate: 0.05, inverse });
      for (const k of Object.keys(one)) assert.equal(out[k][i], one[k], `${k}[${i}]`);
    }
  }
  const priced = priceBatch({ kind, forward, strike, t, vol });
  const ivs = impliedVolBatch({ kind, price: priced.price, forward, strike, t });
  let checked = 0;
  for (let i = 0; i < n; i++) {
    // Only where the price carries information about σ (vega·σ not lost below the price's ulp).
    if (priced.vega[i] * vol[i] < 1e-6 * priced.price[i]) continue;
    checked++;
    assert.ok(Math.abs(ivs[i] - vol[i]) < 1e-9 * vol[i], `iv[${i}] ${ivs[i]} vs ${vol[i]}`);
  }
  assert.ok(checked > n / 2, `only ${checked} informative rows`);
});

test('batch errors name the row', () => {
  const f = new Float64Array([100, 100, 100]);
  assert.throws(() => priceBatch({ kind: 'call', forward: f, strike: 100, t: 0.1, vol: new Float64Array([0.5, 0.5, -1]) }),
    (err) => err.code === 'E_INVALID_VOL' && err.field === 'vol[2]');
  assert.throws(() => priceBatch({ kind: 'call', forward: f, strike: new Float64Array(2), t: 0.1, vol: 0.5 }),
    (err) => err.code === 'E_INVALID_INPUT' && err.field === 'strike');
  assert.throws(() => priceBatch({ kind: 'straddle', forward: f, strike: 100, t: 0.1, vol: 0.5 }),
    (err) => err.field === 'kind');
  assert.throws(() => impliedVolBatch({ kind: 'call', price: new Float64Array([5, 500]), forward: 100, strike: 100, t: 0.1 }),
    (err) => err.code === 'E_NO_ARBITRAGE_BOUND' && err.field === 'price[1]');
});
