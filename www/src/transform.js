// Market transforms behind the what-if sliders and the P&L curves. Pure functions on the
// MarketSpec JSON (tests/fixtures/market.json shape): each returns a new object, never mutates.
// The move rule follows the README's liquidation section: one underlying's index, confidence,
// forwards, marks, order-book levels and a collateral coin of the same name scale together.

const clone = (x) => structuredClone(x);
export const DAY_MS = 86_400_000;

/** Scale one underlying's prices by `factor` (S′/S). */
export function scaleUnderlying(market, underlying, factor) {
  const m = clone(market);
  const u = m.underlyings?.[underlying];
  if (!u || factor === 1) return m;
  u.index.price *= factor;
  if (u.index.conf != null) u.index.conf *= factor;
  for (const f of u.forwards ?? []) f.price *= factor;
  for (const k of Object.keys(u.marks ?? {})) u.marks[k] *= factor;
  for (const side of ['bids', 'asks']) for (const level of u.depth?.[side] ?? []) level[0] *= factor;
  for (const s of u.vol?.slices ?? []) if (s.type === 'grid') {
    if (s.forward != null) s.forward *= factor;
    s.strikes = s.strikes.map((k) => k * factor); // sticky moneyness for grid slices
  }
  if (m.collateral?.[underlying]) m.collateral[underlying].price *= factor;
  return m;
}

/** Multiply every implied vol of every underlying by `k` (SVI: a and b scale by k², total variance by k²). */
export function scaleVol(market, k) {
  const m = clone(market);
  if (k === 1) return m;
  for (const u of Object.values(m.underlyings ?? {})) {
    for (const s of u.vol?.slices ?? []) {
      if (s.type === 'svi') { s.a *= k * k; s.b *= k * k; }
      else if (Array.isArray(s.ivs)) s.ivs = s.ivs.map((v) => v * k);
    }
    if (u.vol?.markIv) for (const key of Object.keys(u.vol.markIv)) u.vol.markIv[key] *= k;
  }
  return m;
}

/** Move time forward by `days` with fresh oracle quotes (publishTime moves with `now`), implied vols held
 * (SVI total variance scaled by the time left), expired slices and forwards dropped. */
export function advanceDays(market, days) {
  const m = clone(market);
  if (!days) return m;
  const dt = Math.round(days * DAY_MS);
  const before = m.now;
  m.now += dt;
  for (const u of Object.values(m.underlyings ?? {})) {
    if (u.index?.publishTime != null) u.index.publishTime += dt;
    // Sticky implied vol: an SVI slice is total variance, so keep σ by scaling it with the time left.
    if (u.vol?.slices) {
      u.vol.slices = u.vol.slices.filter((s) => s.expiry > m.now);
      for (const s of u.vol.slices) if (s.type === 'svi') {
        const f = (s.expiry - m.now) / (s.expiry - before);
        s.a *= f; s.b *= f;
      }
    }
    if (u.forwards) u.forwards = u.forwards.filter((f) => f.expiry > m.now);
  }
  return m;
}

/** Make every oracle quote `seconds` old relative to `now`. */
export function staleOracle(market, seconds) {
  const m = clone(market);
  if (!seconds) return m;
  for (const u of Object.values(m.underlyings ?? {})) if (u.index) u.index.publishTime = m.now - Math.round(seconds * 1000);
  return m;
}

/** All four sliders at once: spot move (fraction, applied to `underlying` or every underlying), vol shift (fraction), days, staleness (s). */
export function applyScenario(market, { spotPct = 0, underlying = null, volPct = 0, days = 0, staleSec = 0 } = {}) {
  let m = market;
  const names = underlying ? [underlying] : Object.keys(market.underlyings ?? {});
  if (spotPct) for (const u of names) m = scaleUnderlying(m, u, 1 + spotPct);
  if (volPct) m = scaleVol(m, 1 + volPct);
  if (days) m = advanceDays(m, days);
  if (staleSec) m = staleOracle(m, staleSec);
  return m === market ? clone(market) : m;
}
