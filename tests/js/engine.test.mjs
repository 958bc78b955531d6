// The recalibration engine through the npm package (wasm32) in Node: the recorded session
// (tests/fixtures/events.ndjson, from tests/fixtures/generate_events.py) replayed here and by the
// native CLI gives the same updates byte for byte (encoding and SHA-256); the hash recomputes with
// node:crypto; snapshot/restore; coded errors with field paths; re-entrancy; free/Symbol.dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { DrrMarginError, ERROR_CODES, MarginEngine, margin } from 'drr-margin';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;
const lines = readFileSync(fixture('events.ndjson'), 'utf8').split('\n').filter((l) => l.trim());
const market = JSON.parse(readFileSync(fixture('market.json')));

function replay(engine, events) {
  const out = [];
  for (const line of events) out.push(...engine.apply(JSON.parse(line)));
  return out;
}

const withoutBigint = ({ units, ...rest }) => rest;

test('the recorded session: npm package (wasm32) = CLI (native), byte for byte', () => {
  const native = execFileSync(cli, ['replay', '--events', fixture('events.ndjson')], { encoding: 'utf8' })
    .split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const engine = new MarginEngine();
  const wasm = replay(engine, lines);
  engine.free();
  assert.ok(native.length > 20, `${native.length} updates`);
  assert.equal(wasm.length, native.length);
  for (let i = 0; i < wasm.length; i++) {
    assert.equal(wasm[i].bytes, native[i].bytes, `update ${i}: encoding`);
    assert.equal(wasm[i].hash, native[i].hash, `update ${i}: hash`);
    assert.deepEqual(withoutBigint(wasm[i]), native[i], `update ${i}`);
    // A front-end recomputes the hash from the bytes; bigint amounts equal the decimal strings.
    assert.equal(createHash('sha256').update(Buffer.from(wasm[i].bytes, 'hex')).digest('hex'), wasm[i].hash);
    assert.equal(wasm[i].units.initialMargin, BigInt(wasm[i].initialMargin));
    assert.equal(wasm[i].units.maintenanceMargin, BigInt(wasm[i].maintenanceMargin));
    assert.equal(wasm[i].units.equity, BigInt(wasm[i].equity));
  }
});

test('snapshot/restore: the same events give byte-identical updates', () => {
  const half = Math.floor(lines.length / 2);
  const a = new MarginEngine();
  replay(a, lines.slice(0, half));
  const b = MarginEngine.restore(a.snapshot());
  assert.equal(b.snapshot(), a.snapshot());
  const ra = replay(a, lines.slice(half));
  const rb = replay(b, lines.slice(half));
  assert.ok(ra.length > 0);
  assert.deepEqual(rb, ra);
  assert.deepEqual(a.report('sample-trader'), b.report('sample-trader'));
  a.free();
  b.free();
  assert.throws(() => MarginEngine.restore('{"version": 99}'), (e) => e.code === 'E_INVALID_INPUT' && e.field.startsWith('snapshot'));
});

test('bad events are coded errors naming the field; the engine is unchanged', () => {
  const engine = new MarginEngine({ engine: { relativeThreshold: 0.02 } });
  engine.setMarket(market);
  const [first] = engine.upsertAccount('a', { ...JSON.parse(readFileSync(fixture('account.json'))), id: 'a' });
  assert.equal(first.reason, 'first');
  assert.equal(first.account, 'a');
  const before = engine.snapshot();
  const t = market.now;
  const bad = [
    [{ type: 'indexUpdate', underlying: 'BTC', price: NaN, publishTime: t }, 'E_INVALID_INPUT', 'event.price'],
    [{ type: 'indexUpdate', underlying: 'BTC', price: -1, publishTime: t }, 'E_INVALID_INPUT', 'event.price'],
    [{ type: 'indexUpdate', underlying: 'DOGE', price: 1, publishTime: t }, 'E_MISSING_MARKET_DATA', 'event.underlying'],
    [{ type: 'trade', account: 'nobody', instrument: 'BTC-PERP', size: 1, price: 1 }, 'E_INVALID_INPUT', 'event.account'],
    [{ type: 'meteor' }, 'E_INVALID_INPUT', 'event.type'],
    [{ type: 'timeAdvance', now: t - 1 }, 'E_INVALID_INPUT', 'event.now'],
    [{ type: 'deposit', account: 'a', asset: 'USDC' }, 'E_INVALID_INPUT', 'event'],
    [{ type: 'collateralPrice', asset: 'DOGE', price: 1 }, 'E_MISSING_MARKET_DATA', 'event.asset'],
    [{ type: 'collateralPrice', asset: 'BTC', price: 0 }, 'E_INVALID_INPUT', 'event.price'],
  ];
  for (const [event, code, field] of bad) {
    assert.throws(() => engine.apply(event), (e) => e instanceof Error && e.code === code && e.field === field, `${JSON.stringify(event)} → ${code} ${field}`);
  }
  assert.equal(engine.snapshot(), before);
  assert.throws(() => engine.report('zed'), (e) => e.code === 'E_INVALID_INPUT' && e.field === 'account');
  assert.throws(() => new MarginEngine({ engine: { warningHealth: 0.1 } }), (e) => e.code === 'E_INVALID_INPUT' && e.field === 'params.engine.warningHealth');
  // Still usable after the errors (no panic poisoned the module).
  assert.equal(engine.report('a').account, 'a');
  engine.free();
});

test('a withdrawal beyond free collateral: E_INSUFFICIENT_MARGIN naming event.amount, nothing changes; the CLI agrees', () => {
  const engine = new MarginEngine();
  engine.setMarket(market);
  engine.upsertAccount('a', { ...JSON.parse(readFileSync(fixture('account.json'))), id: 'a' });
  const free = engine.report('a').freeCollateral.value;
  const before = engine.snapshot();
  const tooMuch = { type: 'withdrawal', account: 'a', asset: 'USDC', amount: Math.ceil(free) + 1 };
  assert.throws(() => engine.apply(tooMuch), (e) => e instanceof DrrMarginError && ERROR_CODES.includes(e.code)
    && e.code === 'E_INSUFFICIENT_MARGIN' && e.field === 'event.amount');
  assert.equal(engine.snapshot(), before);
  // Within free collateral it goes through (USDC at 1, no haircut: equity falls by the amount).
  engine.apply({ ...tooMuch, amount: Math.floor(free) - 1 });
  const after = engine.report('a').freeCollateral.value;
  assert.ok(after >= 0 && after < 2, `${after}`);
  engine.free();
  // The keeper's replay refuses the same line with the same code, the field prefixed by its line.
  const session = [
    { type: 'setMarket', market },
    { type: 'upsertAccount', id: 'a', account: { ...JSON.parse(readFileSync(fixture('account.json'))), id: 'a' } },
    tooMuch,
  ].map((e) => JSON.stringify(e)).join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'drr-withdraw-'));
  writeFileSync(join(dir, 'events.ndjson'), session);
  let refused;
  try {
    execFileSync(cli, ['replay', '--events', join(dir, 'events.ndjson')], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    refused = JSON.parse(e.stderr).error;
  }
  assert.deepEqual([refused?.code, refused?.field], ['E_INSUFFICIENT_MARGIN', 'events[2].amount']);
});

test('feedConfidence: Derive scores merged through apply(); the IM equals margin() with them set directly; errors name event.<path>', () => {
  // derive-standard, 10 BTC perpetuals short: a BTC spot score of 0.4 (< 0.55) adds the
  // Standard Manager's perp contingency (1 − 0.4)·1·S·10 to the IM (docs/venues/derive.md §1.4).
  const params = { profile: 'derive-standard' };
  const engine = new MarginEngine({ ...params, engine: { relativeThreshold: 0, absoluteThreshold: 0 } });
  const m = structuredClone(market);
  assert.equal(m.feedConfidence, undefined);
  engine.setMarket(m);
  const short = { mode: 'cross', collateral: { USDC: 200000 },
    positions: [{ instrument: 'BTC_USDC-PERPETUAL', size: -10, entryPrice: 98000 }] };
  const other = { mode: 'cross', collateral: { USDC: 20000 },
    positions: [{ instrument: 'ETH_USDC-PERPETUAL', size: 1, entryPrice: 3000 }] };
  engine.upsertAccount('short', short);
  engine.upsertAccount('other', other);
  const before = engine.report('short').initialMargin.value;
  const updates = engine.apply({ type: 'feedConfidence', underlyings: { BTC: { spot: 0.4 } } });
  assert.deepEqual(updates.map((u) => u.account), ['short'], 'only the BTC holder is recomputed');
  const direct = margin({ ...m, feedConfidence: { underlyings: { BTC: { spot: 0.4 } } } }, short, params);
  assert.equal(updates[0].initialMargin, direct.initialMargin.units);
  assert.equal(updates[0].maintenanceMargin, direct.maintenanceMargin.units);
  const rise = direct.initialMargin.value - before;
  const spot = m.underlyings.BTC.index.price;
  assert.ok(Math.abs(rise - 0.6 * spot * 10) < 1e-6 * spot, `${rise}`);
  // Merged: the perp score alone keeps the spot score.
  engine.apply({ type: 'feedConfidence', underlyings: { BTC: { perp: 0.5 } } });
  assert.deepEqual(JSON.parse(engine.snapshot()).market.feedConfidence, { underlyings: { BTC: { spot: 0.4, perp: 0.5 } } });
  // Refusals: coded, the market's field path under event., nothing changes; NaN arrives as null.
  const saved = engine.snapshot();
  // A symbol the market lacks: E_MISSING_MARKET_DATA, as for indexUpdate.
  for (const [event, code, field] of [
    [{ type: 'feedConfidence', underlyings: { BTC: { spot: 1.5 } } }, 'E_INVALID_INPUT', 'event.underlyings.BTC.spot'],
    [{ type: 'feedConfidence', underlyings: { BTC: { spot: NaN } } }, 'E_INVALID_INPUT', 'event.underlyings.BTC.spot'],
    [{ type: 'feedConfidence', underlyings: { BTC: { spot: 'NaN' } } }, 'E_INVALID_INPUT', 'event.underlyings.BTC.spot'],
    [{ type: 'feedConfidence', underlyings: { DOGE: { spot: 0.5 } } }, 'E_MISSING_MARKET_DATA', 'event.underlyings.DOGE'],
    [{ type: 'feedConfidence', collateral: { DOGE: 0.5 } }, 'E_MISSING_MARKET_DATA', 'event.collateral.DOGE'],
  ]) {
    assert.throws(() => engine.apply(event), (e) => e instanceof DrrMarginError && e.code === code && e.field === field,
      `${JSON.stringify(event)} → ${code} ${field}`);
  }
  assert.equal(engine.snapshot(), saved);
  // Restored, the same event gives byte-identical updates.
  const again = MarginEngine.restore(saved);
  const next = { type: 'feedConfidence', underlyings: { BTC: { perp: 0.1 } } };
  assert.deepEqual(again.apply(next), engine.apply(next));
  engine.free();
  again.free();
});

test('re-entrant calls from JS during an apply neither panic nor corrupt the state', () => {
  const engine = new MarginEngine({ engine: { relativeThreshold: 0, absoluteThreshold: 0 } });
  engine.setMarket(market);
  engine.upsertAccount('a', { ...JSON.parse(readFileSync(fixture('account.json'))), id: 'a' });
  const inner = [];
  const event = {
    toJSON() { // runs while apply() decodes its argument
      inner.push(...engine.apply({ type: 'indexUpdate', underlying: 'BTC', price: 98600, publishTime: market.now }));
      return { type: 'indexUpdate', underlying: 'BTC', price: 98700, publishTime: market.now };
    },
  };
  const outer = engine.apply(event);
  assert.equal(inner.length, 1);
  assert.equal(outer.length, 1);
  assert.equal(outer[0].sequence, inner[0].sequence + 1);
  engine.free();
});

test('free() and Symbol.dispose release the engine', () => {
  const engine = new MarginEngine();
  assert.equal(typeof engine.free, 'function');
  if (typeof Symbol.dispose === 'symbol') {
    assert.equal(typeof engine[Symbol.dispose], 'function');
    engine[Symbol.dispose]();
  } else {
    engine.free();
  }
  assert.throws(() => engine.snapshot());
});
