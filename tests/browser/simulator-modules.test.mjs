// The simulator's pure modules (www/src/*.js) in Node, against the npm package and closed forms:
// every id the chain and the presets write is accepted by margin(); the market transforms do what
// the sliders promise (vol × k, implied vol held across days, move rule); the share hash round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { margin, price } from 'drr-margin';
import { buildChain, buildFutures, parseInstrument, sliceVol, forwardAt, withEntryPrices } from '../../www/src/chain.js';
import { PRESETS, presetLegs } from '../../www/src/presets.js';
import { scaleUnderlying, scaleVol, advanceDays, staleOracle } from '../../www/src/transform.js';
import { encodeHash, decodeHash } from '../../www/src/share.js';
import { computeMargin, computeTicket } from '../../www/src/compute.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const market = fixture('market.json');
const account = fixture('account.json');
const YEAR = 365 * 86_400_000;

test('every chain and futures id is an instrument the engine accepts, on the underlying and expiry shown', () => {
  const chain = buildChain(market);
  assert.deepEqual([...new Set(chain.map((c) => c.underlying))], ['BTC', 'ETH']);
  const ids = [...buildFutures(market).map((f) => f.id), ...chain.flatMap((c) => c.rows.flatMap((r) => [r.call, r.put]))];
  const positions = withEntryPrices(ids.map((instrument) => ({ instrument, size: 0.1 })), market);
  assert.equal(positions[0].entryPrice, market.underlyings.BTC.marks['BTC_USDC-PERPETUAL']);
  const r = margin(market, { ...account, positions });
  assert.equal(r.positions.length, ids.length);
  for (const c of chain) for (const row of c.rows) {
    const p = parseInstrument(row.call);
    assert.equal(p.underlying, c.underlying); assert.equal(p.expiry, c.expiry); assert.equal(p.strike, row.strike); assert.equal(p.kind, 'call');
  }
});

test('each preset builds legs the engine accepts, with the textbook shape', () => {
  const chain = buildChain(market);
  for (const name of Object.keys(PRESETS)) for (const u of ['BTC', 'ETH']) {
    const legs = presetLegs(name, chain, u);
    assert.ok(legs.length >= 2, name);
    margin(market, { ...account, positions: withEntryPrices(legs, market) }); // throws on a bad id
  }
  const condor = presetLegs('short-iron-condor', chain, 'BTC').map((l) => ({ ...parseInstrument(l.instrument), size: l.size }));
  assert.deepEqual(condor.map((l) => [l.kind, Math.sign(l.size)]), [['put', 1], ['put', -1], ['call', -1], ['call', 1]]);
  assert.ok(condor[0].strike < condor[1].strike && condor[1].strike < condor[2].strike && condor[2].strike < condor[3].strike);
  const fly = presetLegs('long-butterfly', chain, 'ETH');
  assert.deepEqual(fly.map((l) => l.size), [1, -2, 1]);
  const cal = presetLegs('calendar', chain, 'BTC').map((l) => parseInstrument(l.instrument));
  assert.equal(cal[0].strike, cal[1].strike); assert.ok(cal[0].expiry < cal[1].expiry);
});

test('scaleVol multiplies every SVI implied vol by k (a, b × k²)', () => {
  const k = 1.3;
  const u = market.underlyings.BTC, v = scaleVol(market, k).underlyings.BTC;
  u.vol.slices.forEach((s, i) => {
    const f = forwardAt(u, market.now, s.expiry), t = (s.expiry - market.now) / YEAR;
    for (const strike of [60_000, 98_000, 150_000]) {
      assert.ok(Math.abs(sliceVol(v.vol.slices[i], f, strike, t) - k * sliceVol(s, f, strike, t)) < 1e-12);
    }
  });
});

test('advanceDays holds implied vols (SVI total variance scaled by the time left) and drops nothing live', () => {
  const later = advanceDays(market, 10);
  assert.equal(later.now, market.now + 10 * 86_400_000);
  assert.equal(later.underlyings.BTC.index.publishTime, market.underlyings.BTC.index.publishTime + 10 * 86_400_000);
  const s0 = market.underlyings.BTC.vol.slices[0], s1 = later.underlyings.BTC.vol.slices[0];
  const t0 = (s0.expiry - market.now) / YEAR, t1 = (s1.expiry - later.now) / YEAR;
  for (const strike of [80_000, 100_000, 130_000]) assert.ok(Math.abs(sliceVol(s1, 98_950, strike, t1) - sliceVol(s0, 98_950, strike, t0)) < 1e-12);
  // Past the first expiry its slice and forward leave the market.
  const past = advanceDays(market, 40);
  assert.equal(past.underlyings.BTC.vol.slices.length, 2);
  assert.equal(past.underlyings.BTC.forwards.length, 2);
});

test('scaleUnderlying follows the move rule and staleOracle ages the quote', () => {
  const m = scaleUnderlying(market, 'BTC', 0.8);
  const b = market.underlyings.BTC, x = m.underlyings.BTC;
  assert.equal(x.index.price, b.index.price * 0.8);
  assert.equal(x.forwards[1].price, b.forwards[1].price * 0.8);
  assert.equal(x.marks['BTC-PERPETUAL'], b.marks['BTC-PERPETUAL'] * 0.8);
  assert.equal(x.depth.bids[0][0], b.depth.bids[0][0] * 0.8);
  assert.equal(m.collateral.BTC.price, market.collateral.BTC.price * 0.8);
  assert.deepEqual(m.underlyings.ETH, market.underlyings.ETH);
  assert.equal(staleOracle(market, 30).underlyings.ETH.index.publishTime, market.now - 30_000);
  // Closed form: the chain's mark is Black-76 at the slice vol (the package's price()).
  const [c] = buildChain(market);
  const row = c.rows[3];
  assert.ok(price({ kind: 'call', forward: c.forward, strike: row.strike, t: c.t, vol: row.vol }).price > 0);
});

test('share hash round-trips the portfolio and ignores garbage', () => {
  const p = { positions: account.positions, collateral: account.collateral, mode: 'cross', profile: 'drr' };
  assert.deepEqual(decodeHash(`#${encodeHash(p)}`), p);
  assert.equal(decodeHash('#p=%%%'), null);
  assert.equal(decodeHash(''), null);
});

test('computeMargin and computeTicket report refusals as coded errors, never throw', () => {
  const stale = computeMargin({ market, account, profile: 'drr', scenario: { staleSec: 120 } });
  assert.match(stale.reports.cross.error, /^E_STALE_ORACLE/);
  const bad = computeTicket({ market, account, profile: 'drr', scenario: {}, order: { instrument: 'NOPE', side: 'buy', size: 1 } });
  assert.match(bad.whatIf.error, /^E_/);
});
