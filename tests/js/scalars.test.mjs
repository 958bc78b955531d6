// `price()` and `impliedVol()` send a request of plain numbers as numbers (js/scalar.js,
// src/wasm/scalar.rs) instead of JSON text. Every answer must be the typed function's (the
// wasm-bindgen `price`/`impliedVol`, which take the JSON-text path, imported here from the built
// module itself): the same numbers bit for bit, the same keys in the same order, and for every
// refused request the same coded error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { price, impliedVol, priceBatch, wasmMemoryBytes } from 'drr-margin';
import * as typed from '../../pkg/node/drr_margin.js';
import { priceVia, impliedVolVia } from '../../js/scalar.js';

const require = createRequire(import.meta.url);

/** The outcome of `f(request)`: its result, or the error's name, code, field and message. */
function outcome(f, request) {
  try {
    return { result: f(request) };
  } catch (e) {
    return { error: { name: e.name, code: e.code, field: e.field, message: e.message } };
  }
}

/** Asserts two outcomes are the same: every number by Object.is (−0 ≠ 0), keys in order. */
function assertSame(got, want, label) {
  assert.deepEqual(Object.keys(got), Object.keys(want), label);
  if (want.error) {
    assert.deepEqual(got.error, want.error, label);
    return;
  }
  const a = got.result;
  const b = want.result;
  if (typeof b === 'number') {
    assert.ok(Object.is(a, b), `${label}: ${a} vs ${b}`);
    return;
  }
  assert.deepEqual(Object.keys(a), Object.keys(b), `${label}: keys`);
  for (const key of Object.keys(b)) assert.ok(Object.is(a[key], b[key]), `${label}: ${key} ${a[key]} vs ${b[key]}`);
  assert.equal(JSON.stringify(a), JSON.stringify(b), label);
}

// A fixed pseudo-random sequence (LCG), so a failure names a reproducible request.
function sequence(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}
const pick = (rnd, values) => values[Math.floor(rnd() * values.length)];

/** Requests over the model's domain, at its bounds and past them: zero and tiny times, extreme
 * strikes, forwards and vols, −0, negative or absent rates, `inverse` absent, undefined, true or
 * false. */
function requests(count, seed) {
  const rnd = sequence(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const forward = pick(rnd, [100_000, 100_000, 3_400, 3_400, 0.5, 1e-12, 1e15, 97_123.456, 1e-300, -0]);
    const strike = (forward || 1) * pick(rnd, [1, 0.5, 2, 1e-9, 1e9, 0.999999, 1.000001, rnd() * 3]);
    const request = {
      kind: pick(rnd, ['call', 'put']),
      forward,
      strike,
      t: pick(rnd, [0, -0, 1e-12, 1 / 365, 0.5, 0.5, 30, rnd(), rnd(), -1]),
      vol: pick(rnd, [0.6, 0.6, 1e-6, 10, 5, 1e-6 + rnd() * 2, 1e-6 + rnd() * 2, 0, -0.1]),
    };
    const rate = pick(rnd, ['absent', 'absent', undefined, -0, 0, 0.03, 0.03, -0.5, 1, 3]);
    if (rate !== 'absent') request.rate = rate;
    const inverse = pick(rnd, ['absent', undefined, true, false]);
    if (inverse !== 'absent') request.inverse = inverse;
    out.push(request);
  }
  return out;
}

test('price() of plain requests equals the typed function bit for bit, errors included', () => {
  let results = 0;
  let errors = 0;
  let negativeZeros = 0;
  for (const request of requests(4000, 7)) {
    const got = outcome(price, request);
    assertSame(got, outcome(typed.price, request), JSON.stringify(request));
    if (got.error) errors++;
    else {
      results++;
      negativeZeros += Object.values(got.result).filter((x) => Object.is(x, -0)).length;
    }
  }
  // The sample reaches both outcomes and results with −0 in them.
  assert.ok(results > 1000 && errors > 500, `${results} results, ${errors} errors`);
  assert.ok(negativeZeros > 0, 'some result has a −0');
});

test('impliedVol() of plain requests equals the typed function bit for bit, errors included', () => {
  let results = 0;
  let errors = 0;
  for (const { vol, ...request } of requests(3000, 11)) {
    // Prices from the model (some at the bounds, which impliedVol refuses), and some off it.
    const priced = outcome(typed.price, { ...request, vol });
    const rnd = sequence(Math.floor(vol * 1e6) + 1);
    const p = priced.result ? priced.result.price * pick(rnd, [1, 1, 1, 1.001, 0.999, 10, -1]) : rnd() * 10;
    const ivRequest = { ...request, price: p };
    const got = outcome(impliedVol, ivRequest);
    assertSame(got, outcome(typed.impliedVol, ivRequest), JSON.stringify(ivRequest));
    if (got.error) errors++;
    else results++;
  }
  assert.ok(results > 500 && errors > 500, `${results} results, ${errors} errors`);
});

test('requests that are not plain numbers get the typed function\'s answer', () => {
  // Each case is built on a price() request and on an impliedVol() one (`value`: vol or price).
  const cases = {
    'extra key': (b) => ({ ...b, spot: 1 }),
    'inherited key': ({ rate: _, ...rest }) => Object.assign(Object.create({ rate: 0.5 }), rest),
    'class instance': (b) => new (class Request { constructor() { Object.assign(this, b); } })(),
    'toJSON': (b) => ({ ...b, toJSON: () => ({ ...b, t: 0.9 }) }),
    'number as string': (b) => ({ ...b, strike: '90000' }),
    'null rate': (b) => ({ ...b, rate: null }),
    'NaN': (b) => ({ ...b, t: NaN }),
    'infinite forward': (b) => ({ ...b, forward: Infinity }),
    'kind Call': (b) => ({ ...b, kind: 'Call' }),
    'inverse as 1': (b) => ({ ...b, inverse: 1 }),
    'missing t': ({ t: _, ...rest }) => rest,
    'getter': (b) => Object.defineProperty({ ...b }, 't', { enumerable: true, get: () => 0.7 }),
    'throwing getter': (b) => Object.defineProperty({ ...b }, 't', { enumerable: true, get: () => { throw new Error('no t'); } }),
    'null prototype': (b) => Object.assign(Object.create(null), b),
    'array': () => [1, 2],
    'null': () => null,
    'number': () => 5,
  };
  const priceBase = { kind: 'call', forward: 100_000, strike: 90_000, t: 0.5, vol: 0.6, rate: 0.03 };
  const ivBase = { kind: 'call', forward: 100_000, strike: 90_000, t: 0.5, price: 20_000, rate: 0.03 };
  for (const [label, make] of Object.entries(cases)) {
    assertSame(outcome(price, make(priceBase)), outcome(typed.price, make(priceBase)), `price: ${label}`);
    assertSame(outcome(impliedVol, make(ivBase)), outcome(typed.impliedVol, make(ivBase)), `impliedVol: ${label}`);
  }
});

test('a polluted Object.prototype changes nothing (JSON.stringify reads own keys and toJSON)', () => {
  const request = { kind: 'call', forward: 100_000, strike: 90_000, t: 0.5, vol: 0.6 };
  const ivRequest = { kind: 'call', forward: 100_000, strike: 90_000, t: 0.5, price: 20_000 };
  const pollute = (key, descriptor) => {
    Object.defineProperty(Object.prototype, key, { configurable: true, ...descriptor });
    try {
      assertSame(outcome(price, request), outcome(typed.price, request), `price, Object.prototype.${key}`);
      assertSame(outcome(impliedVol, ivRequest), outcome(typed.impliedVol, ivRequest), `impliedVol, Object.prototype.${key}`);
    } finally {
      delete Object.prototype[key];
    }
  };
  pollute('inverse', { enumerable: true, value: true });
  pollute('toJSON', { enumerable: false, value() { return { ...this, t: 2 }; } });
});

test('a getter that calls price() itself does not disturb the outer request', () => {
  const inner = { kind: 'put', forward: 3_400, strike: 3_000, t: 0.1, vol: 1.2, rate: -0.5, inverse: true };
  const outer = { kind: 'call', forward: 100_000, strike: 90_000 };
  let innerResult;
  Object.defineProperty(outer, 't', { enumerable: true, get: () => { innerResult = price(inner); return 0.5; } });
  outer.vol = 0.6;
  const plainOuter = { kind: 'call', forward: 100_000, strike: 90_000, t: 0.5, vol: 0.6 };
  assertSame({ result: price(outer) }, outcome(typed.price, plainOuter), 'outer');
  assertSame({ result: innerResult }, outcome(typed.price, inner), 'inner');
});

test('a plain request goes as numbers, anything else to the typed function', () => {
  const calls = [];
  const scalars = (...args) => { calls.push(['scalars', args]); return true; };
  const view = () => { calls.push(['view']); return Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8); };
  const whole = (request) => { calls.push(['typed']); return request; };
  const request = { vol: 0.5, t: -0, strike: 2, forward: 3, kind: 'put' };
  assert.deepEqual(priceVia(scalars, view, whole, request),
    { price: 1, delta: 2, gamma: 3, vega: 4, theta: 5, rho: 6, vanna: 7, volga: 8 });
  // −0 goes as 0 (as its JSON text would), the absent rate and inverse as undefined.
  assert.deepEqual(calls, [['scalars', [-1, 3, 2, 0, 0.5, undefined, undefined]], ['view']]);
  assert.ok(Object.is(calls[0][1][3], 0));
  calls.length = 0;
  priceVia(scalars, view, whole, { ...request, rate: '0.1' });
  assert.deepEqual(calls, [['typed']]);
  calls.length = 0;
  // A number JSON cannot write is null in the typed function's result.
  const special = () => Float64Array.of(NaN, Infinity, -Infinity, -0, 0, 1, 2, 3);
  assert.deepEqual(Object.values(priceVia(scalars, special, whole, request)), [null, null, null, -0, 0, 1, 2, 3]);
  calls.length = 0;
  // Refused by the model: the typed function answers.
  priceVia(() => false, view, whole, request);
  assert.deepEqual(calls, [['typed']]);
  calls.length = 0;
  const ivScalars = (...args) => { calls.push(['scalars', args]); return 0.25; };
  assert.equal(impliedVolVia(ivScalars, whole, { kind: 'call', price: 1, forward: 2, strike: 3, t: 4, inverse: true }), 0.25);
  assert.deepEqual(calls, [['scalars', [1, 1, 2, 3, 4, undefined, true]]]);
  calls.length = 0;
  impliedVolVia(() => NaN, whole, { kind: 'call', price: 1, forward: 2, strike: 3, t: 4 });
  assert.deepEqual(calls, [['typed']]);
});

test('price() stays right after the WASM memory grows (its result view is renewed)', () => {
  const request = { kind: 'call', forward: 100_000, strike: 105_000, t: 0.25, vol: 0.55 };
  const before = price(request);
  const bytes = wasmMemoryBytes();
  // A batch large enough to grow linear memory, which detaches every view of the old buffer.
  const n = Math.max(1, Math.ceil(bytes / 8));
  priceBatch({ kind: 'call', forward: new Float64Array(n).fill(100_000), strike: 105_000, t: 0.25, vol: 0.55 });
  assert.ok(wasmMemoryBytes() > bytes, 'the memory grew');
  assertSame({ result: price(request) }, { result: before }, 'after growth');
  assertSame({ result: price({ ...request, vol: 0.56 }) }, outcome(typed.price, { ...request, vol: 0.56 }), 'a new request');
});

test('the CommonJS entry answers the same', () => {
  const cjs = require('drr-margin');
  for (const request of requests(200, 3)) {
    assertSame(outcome(cjs.price, request), outcome(price, request), JSON.stringify(request));
  }
});
