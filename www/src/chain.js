// The option chain and futures list shown by the portfolio builder, derived from a MarketSpec:
// expiries from each underlying's vol slices, strikes on a round grid around the forward,
// instrument ids in the Deribit linear USDC form (BTC_USDC-25DEC26-110000-C), and the slice's
// implied vol at each strike (SVI total variance or linear interpolation of a grid slice).
// Prices themselves come from the package's priceBatch (in the worker).

const YEAR_MS = 365 * 86_400_000;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** `25DEC26` for an expiry in ms. */
export function expiryCode(ms) {
  const d = new Date(ms);
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear()).slice(2)}`;
}
const strikeCode = (k) => String(k).replace('.', 'd');

export const optionId = (u, expiry, strike, kind) => `${u}_USDC-${expiryCode(expiry)}-${strikeCode(strike)}-${kind === 'call' ? 'C' : 'P'}`;
export const futureId = (u, expiry) => `${u}_USDC-${expiryCode(expiry)}`;
export const perpId = (u) => `${u}_USDC-PERPETUAL`;

/** Parse the ids this page writes (and the Deribit/Derive forms of the fixtures) far enough to chart them. */
export function parseInstrument(id) {
  if (typeof id !== 'string') return { underlying: id?.underlying, kind: id?.kind ?? 'other' };
  const parts = id.split('-');
  const underlying = parts[0].split('_')[0];
  const inverse = !parts[0].includes('_') && parts.length !== 4;
  if (/PERP/.test(id)) return { underlying, kind: 'perpetual', inverse };
  const expiry = parseExpiry(parts[1]);
  if (parts.length === 2) return { underlying, kind: 'future', expiry, inverse };
  const strike = Number(parts[2].replace(/[d_]/, '.'));
  return { underlying, kind: parts[3] === 'C' ? 'call' : 'put', expiry, strike, inverse };
}
function parseExpiry(text) {
  let m = /^(\d{1,2})([A-Z]{3})(\d{2})$/.exec(text);
  if (m) return Date.UTC(2000 + Number(m[3]), MONTHS.indexOf(m[2]), Number(m[1]), 8);
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 8);
  return NaN;
}

/** Forward for an expiry: the listed one, else linear in time between listed ones, else the index. */
export function forwardAt(u, now, expiry) {
  const fw = [...(u.forwards ?? [])].sort((a, b) => a.expiry - b.expiry);
  const exact = fw.find((f) => f.expiry === expiry);
  if (exact) return exact.price;
  const pts = [{ expiry: now, price: u.index.price }, ...fw];
  for (let i = 1; i < pts.length; i++) if (expiry <= pts[i].expiry) {
    const w = (expiry - pts[i - 1].expiry) / (pts[i].expiry - pts[i - 1].expiry);
    return pts[i - 1].price + w * (pts[i].price - pts[i - 1].price);
  }
  return pts[pts.length - 1].price;
}

/** Implied vol of a slice at strike (SVI raw parameterisation, or a grid slice interpolated in strike). */
export function sliceVol(slice, forward, strike, t) {
  if (slice.type === 'svi') {
    const k = Math.log(strike / forward) - slice.m;
    const w = slice.a + slice.b * (slice.rho * k + Math.sqrt(k * k + slice.sigma * slice.sigma));
    return Math.sqrt(Math.max(w, 1e-12) / t);
  }
  const ks = slice.strikes, vs = slice.ivs;
  const x = strike * ((slice.forward ?? forward) / forward);
  if (x <= ks[0]) return vs[0];
  for (let i = 1; i < ks.length; i++) if (x <= ks[i]) return vs[i - 1] + (vs[i] - vs[i - 1]) * (x - ks[i - 1]) / (ks[i] - ks[i - 1]);
  return vs[vs.length - 1];
}

const niceStep = (x) => { const p = 10 ** Math.floor(Math.log10(x)); return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= x); };

/** Rows of the chain: for each underlying and live expiry, strikes with call/put ids, forward, t and vol. */
export function buildChain(market, { strikesPerExpiry = 13 } = {}) {
  const out = [];
  for (const [name, u] of Object.entries(market.underlyings ?? {})) {
    const slices = (u.vol?.slices ?? []).filter((s) => s.expiry > market.now).sort((a, b) => a.expiry - b.expiry);
    for (const slice of slices) {
      const forward = forwardAt(u, market.now, slice.expiry);
      const t = (slice.expiry - market.now) / YEAR_MS;
      const step = niceStep(forward * 0.05);
      const atm = Math.round(forward / step) * step;
      const half = Math.floor(strikesPerExpiry / 2);
      const strikes = Array.from({ length: strikesPerExpiry }, (_, i) => atm + (i - half) * step).filter((k) => k > 0);
      out.push({ underlying: name, expiry: slice.expiry, code: expiryCode(slice.expiry), forward, t, step, atm,
        rows: strikes.map((strike) => ({ strike, vol: sliceVol(slice, forward, strike, t),
          call: optionId(name, slice.expiry, strike, 'call'), put: optionId(name, slice.expiry, strike, 'put') })) });
    }
  }
  return out;
}

/** Futures list: each underlying's perpetual and one linear future per listed forward. */
export function buildFutures(market) {
  const out = [];
  for (const [name, u] of Object.entries(market.underlyings ?? {})) {
    out.push({ underlying: name, id: perpId(name), label: `${name} perpetual`, price: u.marks?.[perpId(name)] ?? u.index.price });
    for (const f of u.forwards ?? []) if (f.expiry > market.now)
      out.push({ underlying: name, id: futureId(name, f.expiry), label: `${name} future ${expiryCode(f.expiry)}`, price: f.price });
  }
  return out;
}

/** Perpetual and future legs need an entry price: give those without one today's mark (a fill at
 * the mark: zero P&L at entry). Option legs carry none (premium is in their value). */
export function withEntryPrices(legs, market) {
  const prices = Object.fromEntries(buildFutures(market).map((f) => [f.id, f.price]));
  return legs.map((l) => {
    if (l.entryPrice != null) return l;
    const kind = parseInstrument(l.instrument).kind;
    if (kind !== 'perpetual' && kind !== 'future') return l;
    const mark = prices[l.instrument] ?? market.underlyings?.[parseInstrument(l.instrument).underlying]?.marks?.[l.instrument];
    return mark == null ? l : { ...l, entryPrice: mark };
  });
}
