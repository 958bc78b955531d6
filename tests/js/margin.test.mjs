// The margin API in Node through the npm package: report shape and rounding, coded errors with
// field paths, profiles, and the same report as the native CLI (the keeper) for the same JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { margin, profiles, defaultParams } from 'drr-margin';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const market = JSON.parse(readFileSync(fixture('market.json')));
const account = JSON.parse(readFileSync(fixture('account.json')));
const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;

test('report: exact amounts round the conservative way and the figures agree', () => {
  const r = margin(market, account);
  for (const key of ['equity', 'initialMargin', 'maintenanceMargin', 'freeCollateral']) {
    assert.match(r[key].units, /^-?\d+$/, key);
  }
  const units = (m) => BigInt(m.units);
  // 6-decimal USDC base units: requirements round up, equity down, never the other way.
  assert.ok(units(r.initialMargin) >= BigInt(Math.floor(r.initialMargin.value * 1e6)));
  assert.ok(units(r.equity) <= BigInt(Math.ceil(r.equity.value * 1e6)));
  assert.ok(r.maintenanceMargin.value <= r.initialMargin.value);
  assert.ok(Math.abs(r.freeCollateral.value - (r.equity.value - r.initialMargin.value)) < 1e-6);
  assert.ok(Math.abs(r.health - r.equity.value / r.maintenanceMargin.value) < 1e-12);
  assert.equal(typeof r.greeks.BTC.delta, 'number', 'records are plain objects');
  assert.equal(r.positions.length, account.positions.length);
  assert.match(r.paramsHash, /^[0-9a-f]{64}$/);
  // Components add up to the total (no flags active here).
  const c = r.components;
  const modelOrDrr = Math.max(c.model.maintenance, c.drr.maintenance);
  assert.ok(Math.abs(c.total.maintenance - (modelOrDrr + c.liquidity.maintenance)) < 1e-6);
});

test('same JSON in, same report out: CLI (native) and npm package (wasm32)', () => {
  for (const [accountFile, profile] of [['account.json', 'drr'], ['account-portfolio.json', 'deribit-portfolio'], ['account.json', 'hyperliquid']]) {
    const native = JSON.parse(execFileSync(cli, ['margin', '--market', fixture('market.json'), '--account', fixture(accountFile), '--profile', profile], { encoding: 'utf8' }));
    const wasm = margin(market, JSON.parse(readFileSync(fixture(accountFile))), { profile });
    assert.deepEqual(wasm, native, `${accountFile} / ${profile}`);
  }
});

test('risk flags raise requirements; a stale oracle is refused or multiplied', () => {
  const base = margin(market, account).maintenanceMargin.value;
  const flagged = margin({ ...market, flags: [{ kind: 'governanceVote', scope: 'BTC' }] }, account);
  assert.ok(Math.abs(flagged.maintenanceMargin.value - 1.25 * base) < 1e-6 * base);
  assert.equal(flagged.warnings[0].code, 'W_RISK_FLAG');
  assert.throws(() => margin({ ...market, flags: [{ kind: 'asteroid' }] }, account),
    (e) => e.code === 'E_INVALID_INPUT' && e.field === 'market.flags[0].kind');
  const stale = structuredClone(market);
  stale.underlyings.BTC.index.publishTime = market.now - 3_600_000;
  assert.throws(() => margin(stale, account), (e) => e.code === 'E_STALE_ORACLE' && e.field === 'market.underlyings.BTC.index.publishTime');
  const conservative = margin(stale, account, { oracle: { staleMode: 'conservative' } });
  assert.ok(conservative.maintenanceMargin.value > base);
  assert.ok(conservative.warnings.some((w) => w.code === 'W_STALE_ORACLE'));
});

test('bad input is a coded error naming the field, never a panic', () => {
  const bad = [
    [() => margin(market, { ...account, positions: [{ instrument: 'BTC-PERPETUAL', size: 1 }] }), 'E_INVALID_INPUT', 'account.positions[0].entryPrice'],
    [() => margin(market, { ...account, positions: [{ instrument: 'DOGE-PERP', size: 1, entryPrice: 1 }] }), 'E_MISSING_MARKET_DATA', 'account.positions[0].underlyings.DOGE'],
    [() => margin({ ...market, now: 'soon' }, account), 'E_INVALID_INPUT', 'market.now'],
    [() => margin(market, { ...account, mode: 'yolo' }), 'E_INVALID_INPUT', 'account.mode'],
    [() => margin(market, account, { profile: 'nope' }), 'E_INVALID_INPUT', 'profile'],
    [() => margin(market, account, { drr: { kInitial: 0.5 } }), 'E_INVALID_INPUT', 'params.drr.kInitial'],
    [() => margin(market, { ...account, positions: [{ instrument: 'BTC-27DEC26-100000-C', size: NaN }] }), 'E_INVALID_INPUT', 'account.positions[0].size'],
  ];
  for (const [call, code, field] of bad) {
    assert.throws(call, (e) => e instanceof Error && e.code === code && e.field === field, `${code} ${field}`);
  }
});

test('an argument with no JSON text is a coded error saying why (what JSON.stringify threw, or the type)', () => {
  let deep = {};
  for (let i = 0, at = deep; i < 200000; i++) at = at.a = {};
  const cyclic = { ...account };
  cyclic.self = cyclic;
  const cases = [
    [() => margin(deep, account), 'market', /cannot be written as JSON \(.*call stack.*\)/i],
    [() => margin(market, cyclic), 'account', /cannot be written as JSON \(.*circular.*\)/i],
    [() => margin(market, { ...account, collateral: { USDC: 10n } }), 'account', /cannot be written as JSON \(.*BigInt.*\)/],
    [() => margin(market, () => account), 'account', /got function/],
    [() => margin(market, Symbol('account')), 'account', /got symbol/],
  ];
  for (const [call, field, message] of cases) {
    assert.throws(call, (e) => e instanceof Error && e.code === 'E_INVALID_INPUT' && e.field === field && message.test(e.message),
      `${field} ${message}`);
  }
});

test('profiles and their full parameters', () => {
  const names = profiles().map((p) => p.name);
  for (const name of ['drr', 'deribit-standard', 'deribit-portfolio', 'dydx-v4', 'hyperliquid', 'drift', 'derive-standard', 'paradex']) {
    assert.ok(names.includes(name), name);
    assert.equal(defaultParams(name).profile, name);
  }
  assert.equal(defaultParams('deribit-standard').drr.enabled, false);
  // Enums cross as their string names, optional fields only where set.
  const paradex = defaultParams('paradex').standard.options;
  assert.equal(paradex.shortFormula, 'paradex');
  assert.deepEqual([paradex.putCapInitial, paradex.putCapMaintenance, paradex.maintenanceFloor], [0.5, 0.25, 0.05]);
  assert.equal('shortFormula' in defaultParams('drr').standard.options, false);
  assert.throws(() => defaultParams('nope'), (e) => e.code === 'E_INVALID_INPUT');
});

test('position lines built in JS from columns equal JSON.parse of the whole report (js/report.js)', async () => {
  // The package's margin() rebuilds the position lines from columns (__marginParts); the
  // wasm-bindgen export it wraps returns JSON.parse of the full report text. Same objects, same
  // key order (JSON.stringify text equal), in every mode, with and without the optional keys.
  const raw = await import('../../pkg/node/drr_margin.js');
  const { reportFromParts } = await import('../../js/report.js');
  const isolated = {
    ...account,
    mode: 'isolated',
    positions: account.positions.map((p, i) => ({ ...p, isolatedMargin: i % 2 ? 5000 : 0 })),
  };
  const cases = [
    [account, undefined],
    [JSON.parse(readFileSync(fixture('account-portfolio.json'))), { profile: 'deribit-portfolio' }],
    // Weighted scenario rows (volShock, weight) and Derive's skew rows (vol "linear"/"abs").
    [JSON.parse(readFileSync(fixture('account-portfolio.json'))), { profile: 'paradex-portfolio' }],
    [JSON.parse(readFileSync(fixture('account-portfolio.json'))), { profile: 'derive-portfolio' }],
    [isolated, { profile: 'deribit-standard' }],
    [{ mode: 'cross', collateral: { USDC: 1000 } }, undefined],
  ];
  for (const [acct, params] of cases) {
    const expected = raw.margin(market, acct, params);
    const parts = raw.__marginParts(market, acct, params);
    const portfolio = acct.mode === 'portfolio';
    assert.equal(parts.length, portfolio ? 7 : 4, 'finite numbers: the columns path');
    const report = margin(market, acct, params);
    assert.equal(JSON.stringify(report), JSON.stringify(expected), acct.mode);
    assert.deepEqual(report, expected);
    assert.equal(JSON.stringify(reportFromParts(parts)), JSON.stringify(expected));
    // The one-part form (the fallback for lines JS could not rebuild) is the full text.
    const text = JSON.stringify(expected);
    assert.deepEqual(reportFromParts([text]), JSON.parse(text));
  }
  assert.ok(margin(market, isolated).positions.some((l) => 'isolatedHealth' in l));
  // The same params object again (cached parameters) and a different one give their own hashes.
  const a = margin(market, account, { profile: 'deribit-standard' }).paramsHash;
  const b = margin(market, account).paramsHash;
  assert.notEqual(a, b);
  assert.equal(margin(market, account, { profile: 'deribit-standard' }).paramsHash, a);
  assert.throws(() => margin(market, account, { drr: { kMaintenance: -1 } }),
    (e) => e.code === 'E_INVALID_INPUT' && e.field === 'params.drr.kMaintenance');
  assert.equal(margin(market, account).paramsHash, b, 'a refused params argument leaves no trace');
});

test('report lines reuse the ids sent in only where they are the canonical ids (js/report.js)', async () => {
  // __marginParts leaves the lines' ids out (a number, the token for the ids sent in) when every
  // line's canonical id is the id sent in at its index; JS then reuses its own strings. Ids in
  // other accepted forms come back canonical, as the JSON text path gives them.
  const raw = await import('../../pkg/node/drr_margin.js');
  const { accountColumns } = await import('../../js/report.js');
  const parts = (acct) => {
    const c = accountColumns(acct);
    return raw.__marginParts(market, c.rest, undefined, c.numbers, c.ids.join('\n'), c.flags);
  };
  const canonical = { mode: 'cross', collateral: { USDC: 100000 }, positions: [
    { instrument: 'BTC_USDC-25DEC26-100000-C', size: -1 },
    { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, entryPrice: 97000 },
  ] };
  assert.equal(typeof parts(canonical)[2], 'number');
  const other = { ...canonical, positions: [
    ...canonical.positions,
    { instrument: 'BTC-PERP', size: 0.25, entryPrice: 98000 },
    { instrument: 'BTC-20261225-90000-P', size: 2 },
  ] };
  const ids = parts(other)[2];
  assert.equal(typeof ids, 'string');
  const report = margin(market, other);
  assert.deepEqual(report.positions.map((l) => l.instrument), ids.split('\n'));
  assert.notEqual(report.positions[2].instrument, 'BTC-PERP');
  assert.equal(JSON.stringify(report), JSON.stringify(raw.margin(market, other)));
  assert.equal(JSON.stringify(margin(market, canonical)), JSON.stringify(raw.margin(market, canonical)));
});

test('a token stands for the ids it was issued for, and only while they are the last sent (js/report.js, src/wasm/margin.rs HeldIds)', async () => {
  // margin() sends the WASM side's token instead of the ids when they are the ids it sent with
  // them; whatever happened in between, the report must be the JSON text path's.
  const raw = await import('../../pkg/node/drr_margin.js');
  const { marginVia, accountColumns, reportFromParts } = await import('../../js/report.js');
  const sent = [];
  const spy = (...args) => {
    const parts = raw.__marginParts(...args);
    sent.push(`${typeof args[4]}${parts.length > 0 ? '' : ' refused'}`);
    return parts;
  };
  // The JSON text path's reports, computed first.
  const a = structuredClone(account);
  const doubled = { ...a, positions: a.positions.map((p) => ({ ...p, size: p.size * 2 })) };
  const other = { ...a, positions: a.positions.slice(1) };
  const edited = structuredClone(a);
  edited.positions[0].instrument = a.positions[1].instrument;
  const [wantA, wantDoubled, wantOther, wantEdited] = [a, doubled, other, edited]
    .map((acct) => JSON.stringify(raw.margin(market, acct)));
  const same = (acct, want, label) =>
    assert.equal(JSON.stringify(marginVia(spy, market, acct)), want, label);
  same(a, wantA, 'first call');
  sent.length = 0;
  same(a, wantA, 'the same account');
  same(doubled, wantDoubled, 'other sizes, same ids');
  // An account validated meanwhile through the JSON text path changes nothing here.
  raw.margin(market, other);
  same(a, wantA, 'after another account');
  assert.deepEqual(sent, ['number', 'number', 'number'], 'the token went instead of the ids');
  // Other ids, then the first ones again: the ids go each time.
  sent.length = 0;
  same(other, wantOther, 'other ids');
  same(a, wantA, 'the first ids again');
  assert.deepEqual(sent, ['string', 'string']);
  // Other ids sent to the WASM side by someone else (another copy of js/report.js): the token
  // is refused before anything is decoded (an empty array), and the ids go.
  const c = accountColumns(other);
  raw.__marginParts(market, c.rest, undefined, c.numbers, c.ids.join('\n'), c.flags);
  sent.length = 0;
  same(a, wantA, 'after other ids elsewhere');
  assert.deepEqual(sent, ['number refused', 'string']);
  // One id changed in place: the ids go, never the token of the old ones.
  sent.length = 0;
  a.positions[0].instrument = a.positions[1].instrument;
  same(a, wantEdited, 'an id changed in place');
  assert.deepEqual(sent, ['string']);
  // A token never issued is refused; an issued one works until other ids are sent.
  assert.equal(raw.__marginParts(market, c.rest, undefined, c.numbers, 1e15, c.flags).length, 0);
  const token = raw.__marginParts(market, c.rest, undefined, c.numbers, c.ids.join('\n'), c.flags)[2];
  assert.equal(typeof token, 'number');
  const byToken = raw.__marginParts(market, c.rest, undefined, c.numbers, token, c.flags);
  assert.equal(JSON.stringify(reportFromParts(byToken, c.ids)), wantOther);
  marginVia(spy, market, a);
  assert.equal(raw.__marginParts(market, c.rest, undefined, c.numbers, token, c.flags).length, 0);
});

test('positions sent as columns give what their JSON text gives, results and errors alike', async () => {
  // The package's margin() sends a plain account's positions as columns (js/report.js
  // accountColumns) and anything it cannot say exactly as JSON text; the wasm-bindgen export it
  // wraps always sends JSON text. Both must give the same report, or the same coded error.
  const raw = await import('../../pkg/node/drr_margin.js');
  const { accountColumns } = await import('../../js/report.js');
  const outcome = (f) => {
    try {
      return { report: JSON.stringify(f()) };
    } catch (e) {
      return { code: e.code, field: e.field, message: e.message };
    }
  };
  class Leg {
    constructor(instrument, size) { this.instrument = instrument; this.size = size; }
  }
  const first = account.positions[0];
  const perp = { instrument: 'BTC_USDC-PERPETUAL', size: 0.3, entryPrice: 97200 };
  const variants = [
    // [label, positions, expect the columns path?]
    ['as given', account.positions, true],
    ['-0 size and entry price', [...account.positions, { instrument: first.instrument, size: -0 }, { ...perp, entryPrice: -0 }], true],
    ['null and undefined optionals', [{ ...perp, isolatedMargin: null }, { ...first, entryPrice: undefined }], true],
    ['isolated margin', [{ ...perp, isolatedMargin: 1234.5 }], true],
    ['-0 isolated margin', [{ ...perp, isolatedMargin: -0 }, { ...first, isolatedMargin: -0 }], true],
    ['tiny and huge numbers', [{ ...first, size: 5e-324 }, { ...perp, size: 1e21 }, { ...perp, size: 123456789012345680000 }], true],
    ['unknown instrument', [{ instrument: 'BTC_USDC-NOPE', size: 1 }], true],
    ['NaN size', [{ ...first, size: NaN }], false],
    ['Infinity entry price', [{ ...perp, entryPrice: Infinity }], false],
    ['string size', [{ ...first, size: '1' }], false],
    ['missing size', [{ instrument: first.instrument }], false],
    ['unknown key', [{ ...first, sise: 1 }], false],
    ['instrument terms object', [{ instrument: { underlying: 'BTC', contract: { type: 'perpetual' }, settlement: 'linear' }, size: 1, entryPrice: 97000 }], false],
    ['class instance', [new Leg(first.instrument, -1)], false],
    ['non-ASCII id', [{ instrument: 'BTC_USDC-25DEC26-110000-Ç', size: 1 }], false],
    ['empty id', [{ instrument: '', size: 1 }], false],
    ['newline in id', [{ instrument: `${first.instrument}\n${first.instrument}`, size: 1 }], false],
    ['null position', [null], false],
  ];
  for (const mode of ['cross', 'portfolio', 'isolated']) {
    for (const [label, positions, columns] of variants) {
      const acct = { ...account, mode, positions };
      assert.equal(accountColumns(acct) !== null, columns, `${label}: path`);
      const ours = outcome(() => margin(market, acct));
      const text = outcome(() => raw.margin(market, acct));
      assert.deepEqual(ours, text, `${mode}, ${label}`);
    }
  }
  // The account's other keys still reach the decoder: a bad one is reported at its field.
  const bad = outcome(() => margin(market, { ...account, mode: 'portfolioo' }));
  assert.equal(bad.field, 'account.mode');
  assert.deepEqual(bad, outcome(() => raw.margin(market, { ...account, mode: 'portfolioo' })));
});

test('the validated market is reused only for the same JSON text (src/wasm/margin.rs LAST_MARKET)', () => {
  // margin() keeps the last market it validated, keyed by the argument's JSON text. A changed
  // market (a new object, or the same object mutated) must be decoded and validated afresh, an
  // invalid one refused even right after a valid one, and the order of calls must not matter.
  const moved = structuredClone(market);
  moved.underlyings.BTC.index.price = 99500;
  const first = JSON.stringify(margin(moved, account));
  const base = JSON.stringify(margin(market, account));
  assert.notEqual(first, base, 'a different index price gives a different report');
  assert.equal(JSON.stringify(margin(moved, account)), first);
  assert.equal(JSON.stringify(margin(market, account)), base);
  // The same object mutated in place.
  const live = structuredClone(market);
  assert.equal(JSON.stringify(margin(live, account)), base);
  live.underlyings.BTC.index.price = 99500;
  assert.equal(JSON.stringify(margin(live, account)), first);
  // Invalid after valid: refused with the field; then the valid one again.
  live.underlyings.BTC.index.price = -1;
  assert.throws(() => margin(live, account),
    (e) => e.code === 'E_INVALID_INPUT' && e.field === 'market.underlyings.BTC.index.price');
  assert.equal(JSON.stringify(margin(market, account)), base);
  // An account error is reported as such with a cached market.
  assert.throws(() => margin(market, { ...account, positions: [{ instrument: 'BTC_USDC-NOPE', size: 1 }] }),
    (e) => e.field.startsWith('account.positions[0]'));
});
