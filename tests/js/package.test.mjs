// JS layer of `npm test`: the built npm package in Node (ESM and CommonJS entries), through the
// package's own `exports` map (imported by name, as a user would).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import init, { price, version, parityDigest } from 'drr-margin';

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
    (err) => err.code === 'E_INVALID_VOL' && err.field === 'vol',
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
