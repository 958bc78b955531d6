// Live mode: a seeded oracle stream (geometric random walk with Poisson-style jumps) feeding a
// MarginEngine. The generator is deterministic for a seed, so a session can be replayed. Time is
// the market's: after each round of quotes a timeAdvance by `tickMs` moves the engine's clock
// (the engine never reads a wall clock), and the next quotes are published at that time.
import { MarginEngine } from 'drr-margin';

/** mulberry32: a small seeded 32-bit generator, uniform in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (u) => { const a = Math.max(u(), 1e-12), b = u(); return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b); };

export class LiveSession {
  constructor({ market, account, profile, seed = 7, volPerTick = 0.003, jumpProb = 0.03, jumpSize = 0.03, tickMs = 1000, relativeThreshold = 0.0005 }) {
    this.engine = new MarginEngine({ profile, engine: { relativeThreshold } });
    this.now = market.now;
    this.prices = Object.fromEntries(Object.entries(market.underlyings).map(([k, u]) => [k, u.index.price]));
    this.conf = Object.fromEntries(Object.entries(market.underlyings).map(([k, u]) => [k, u.index.conf ?? 0]));
    this.u = rng(seed);
    Object.assign(this, { volPerTick, jumpProb, jumpSize, tickMs, seq: 0 });
    this.initial = [...this.engine.setMarket(market), ...this.engine.upsertAccount(account.id ?? 'account', account)];
    this.accountId = account.id ?? 'account';
  }
  /** The next event of the stream: an indexUpdate of one underlying (round-robin, published at the
   * engine's `now`); after each round a timeAdvance by `tickMs` carrying the current quotes. */
  nextEvent() {
    const names = Object.keys(this.prices);
    if (this.seq > 0 && this.seq % names.length === 0 && !this.advanced) {
      this.advanced = true;
      this.now += this.tickMs;
      return { type: 'timeAdvance', now: this.now,
        index: Object.fromEntries(names.map((n) => [n, { price: this.prices[n], conf: this.conf[n] }])) };
    }
    this.advanced = false;
    const name = names[this.seq % names.length];
    this.seq += 1;
    let r = this.volPerTick * normal(this.u);
    if (this.u() < this.jumpProb) r += (this.u() < 0.5 ? -1 : 1) * this.jumpSize * (0.5 + this.u());
    this.prices[name] *= Math.exp(r);
    return { type: 'indexUpdate', underlying: name, price: this.prices[name], conf: this.conf[name], publishTime: this.now };
  }
  apply(event) { return this.engine.apply(event); }
  report() { return this.engine.report(this.accountId); }
  free() { this.engine.free(); }
}

/** What the event log shows of one MarginUpdate (bigint-free, so it can be posted). */
export const summarise = (u) => ({ account: u.account, sequence: u.sequence, reason: u.reason, level: u.level,
  health: u.health, initialMargin: u.initialMargin, maintenanceMargin: u.maintenanceMargin, equity: u.equity, hash: u.hash });
