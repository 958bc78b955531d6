// Strategy presets: legs (instrument id, signed size) built from the chain of one underlying.
// `chain` is buildChain()'s output; strikes are taken `n` grid steps from the at-the-money strike
// of the nearest expiry (the calendar also uses the next one).
import { optionId, perpId } from './chain.js';

export const PRESETS = {
  'covered-call': 'Covered call (long perpetual, short OTM call)',
  'protective-put': 'Protective put (long perpetual, long OTM put)',
  'bull-call-spread': 'Bull call spread (vertical)',
  'bear-put-spread': 'Bear put spread (vertical)',
  'long-straddle': 'Long straddle',
  'short-strangle': 'Short strangle',
  'long-butterfly': 'Long call butterfly',
  'short-iron-condor': 'Short iron condor',
  'calendar': 'Call calendar (short near, long next)',
};

export function presetLegs(name, chain, underlying, qty = 1) {
  const slices = chain.filter((c) => c.underlying === underlying);
  if (!slices.length) throw new Error(`no option chain for ${underlying}`);
  const [near, next] = slices;
  const k = (n, c = near) => c.atm + n * c.step;
  const C = (n, size, c = near) => ({ instrument: optionId(underlying, c.expiry, k(n, c), 'call'), size: size * qty });
  const P = (n, size, c = near) => ({ instrument: optionId(underlying, c.expiry, k(n, c), 'put'), size: size * qty });
  const perp = (size) => ({ instrument: perpId(underlying), size: size * qty });
  switch (name) {
    case 'covered-call': return [perp(1), C(2, -1)];
    case 'protective-put': return [perp(1), P(-2, 1)];
    case 'bull-call-spread': return [C(0, 1), C(2, -1)];
    case 'bear-put-spread': return [P(0, 1), P(-2, -1)];
    case 'long-straddle': return [C(0, 1), P(0, 1)];
    case 'short-strangle': return [C(2, -1), P(-2, -1)];
    case 'long-butterfly': return [C(-2, 1), C(0, -2), C(2, 1)];
    case 'short-iron-condor': return [P(-4, 1), P(-2, -1), C(2, -1), C(4, 1)];
    case 'calendar': {
      if (!next) throw new Error(`calendar needs two expiries of ${underlying}`);
      return [C(0, -1), { instrument: optionId(underlying, next.expiry, k(0, near), 'call'), size: qty }];
    }
    default: throw new Error(`unknown preset ${name}`);
  }
}
