// Everything the page computes, as plain functions of JSON inputs (run inside the Web Worker;
// importable in Node too). All margin numbers come from the drr-margin package; this module only
// decides which markets and accounts to ask about.
import { margin, liquidationPrices, whatIf, maxSize, priceBatch, defaultParams } from 'drr-margin';
import { applyScenario, scaleUnderlying, advanceDays, staleOracle } from './transform.js';
import { parseInstrument } from './chain.js';

export const MODES = ['isolated', 'cross', 'portfolio'];

const attempt = (f) => { try { return { ok: f() }; } catch (e) { return { error: errorText(e) }; } };
export const errorText = (e) => `${e?.code ? e.code + ': ' : ''}${e?.message ?? e}${e?.field ? ` (${e.field})` : ''}`;

/** Margin in each mode (and liquidation prices for the account's own mode) under the slider scenario. */
export function computeMargin({ market, account, profile, scenario }) {
  const scenarioMarket = applyScenario(market, scenario);
  const params = { profile };
  const reports = {};
  for (const mode of MODES) {
    const r = attempt(() => margin(scenarioMarket, { ...account, mode }, params));
    reports[mode] = r.error ? { error: r.error } : { json: JSON.stringify(r.ok) };
  }
  const liq = attempt(() => liquidationPrices(scenarioMarket, account, params));
  return { inputs: { market: scenarioMarket, account, params }, reports,
    liquidation: liq.error ? { error: liq.error } : liq.ok };
}

/** Equity (USD) and net Greeks of `underlying` at a grid of its prices (range × spot), for the P&L and Greeks charts. */
export function computeCurves({ market, account, profile, scenario, underlying, daysForward = 7, points = 61, includeCollateral = false, range = [0.5, 1.5] }) {
  const base = applyScenario(market, scenario);
  const spot = base.underlyings?.[underlying]?.index?.price;
  if (!spot) return { error: `no index for ${underlying}` };
  // Positions only (default): the collateral is replaced by a fixed amount of the margin asset, so
  // the curve is the strategy's P&L; with includeCollateral, coin collateral moves with its price.
  const marginAsset = defaultParams(profile)?.marginAsset ?? 'USDC';
  const cross = { ...account, mode: 'cross', ...(includeCollateral ? {} : { collateral: { [marginAsset]: 1e7 } }) };
  const params = { profile };
  const [lo, hi] = range;
  const prices = Array.from({ length: points }, (_, i) => spot * (lo + (hi - lo) * i / (points - 1)));
  const equityAt = (m) => { try { return margin(m, cross, params); } catch { return null; } };
  const r0 = equityAt(base);
  if (!r0) return { error: 'margin failed at the current market' };
  const e0 = r0.equity.value;
  // At expiry: just before the nearest expiry of a leg on this underlying (later legs keep time value).
  const expiries = account.positions.map((p) => parseInstrument(p.instrument))
    .filter((p) => p.underlying === underlying && Number.isFinite(p.expiry) && p.expiry > base.now).map((p) => p.expiry);
  const expiry = expiries.length ? Math.min(...expiries) : null;
  const atExpiryMarket = expiry ? staleOracle(advanceDays(base, (expiry - 3_600_000 - base.now) / 86_400_000), 0) : null;
  const forwardMarket = daysForward > 0 && (!expiry || base.now + daysForward * 86_400_000 < expiry) ? advanceDays(base, daysForward) : null;
  const today = [], later = [], atExpiry = [], delta = [], gamma = [], vega = [], theta = [];
  for (const s of prices) {
    const f = s / spot;
    const r = equityAt(scaleUnderlying(base, underlying, f));
    today.push(r ? r.equity.value - e0 : null);
    const g = r?.greeks?.[underlying];
    delta.push(g ? g.delta : null); gamma.push(g ? g.gamma : null); vega.push(g ? g.vega : null); theta.push(g ? g.theta : null);
    const rl = forwardMarket ? equityAt(scaleUnderlying(forwardMarket, underlying, f)) : null;
    later.push(rl ? rl.equity.value - e0 : null);
    const re = atExpiryMarket ? equityAt(scaleUnderlying(atExpiryMarket, underlying, f)) : null;
    atExpiry.push(re ? re.equity.value - e0 : (atExpiryMarket ? null : today.at(-1)));
  }
  const breakevens = [];
  for (let i = 1; i < prices.length; i++) {
    const a = atExpiry[i - 1], b = atExpiry[i];
    if (a == null || b == null || a === b) continue;
    if ((a < 0 && b >= 0) || (a >= 0 && b < 0)) breakevens.push(prices[i - 1] + (prices[i] - prices[i - 1]) * (0 - a) / (b - a));
  }
  return { underlying, spot, prices, today, later, atExpiry, delta, gamma, vega, theta, breakevens, expiry,
    daysForward: forwardMarket ? daysForward : null, equity: e0, includeCollateral };
}

/** Mark price and IV of each chain row (calls and puts) with the package's priceBatch. */
export function priceChain(chain) {
  return chain.map((c) => {
    const n = c.rows.length;
    const cols = { forward: new Float64Array(n).fill(c.forward), strike: Float64Array.from(c.rows, (r) => r.strike),
      t: c.t, vol: Float64Array.from(c.rows, (r) => r.vol) };
    const calls = priceBatch({ ...cols, kind: 'call' });
    const puts = priceBatch({ ...cols, kind: 'put' });
    return { call: Array.from(calls.price), put: Array.from(puts.price), callDelta: Array.from(calls.delta), putDelta: Array.from(puts.delta) };
  });
}

// The last maxSize answer and what it was computed from: it depends on the instrument and side,
// not on the size being typed, so the ticket asks again only when one of its inputs changes.
let lastMaxSize = { key: undefined, result: undefined };

function maxSizeOnce(m, account, order, params) {
  const key = JSON.stringify([m, account, order.instrument, order.side, params]);
  if (key !== lastMaxSize.key) {
    lastMaxSize = { key, result: attempt(() => maxSize(m, account, order.instrument, order.side, params, { sizeIncrement: 0.01 })) };
  }
  return lastMaxSize.result;
}

/** Pre-trade ticket: whatIf before/after and the largest size the account can take. */
export function computeTicket({ market, account, profile, scenario, order }) {
  const m = applyScenario(market, scenario);
  const params = { profile };
  const w = attempt(() => whatIf(m, account, order, params));
  const max = maxSizeOnce(m, account, order, params);
  return { whatIf: w.error ? { error: w.error } : w.ok, maxSize: max.error ? { error: max.error } : max.ok,
    inputs: { market: m, account, order, params } };
}
