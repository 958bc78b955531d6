// Parity corpus (issue 6): seeded random markets, accounts and parameters — margin, liquidation
// prices and checks, what-if orders, max sizes, prices and implied vols — through the native CLI
// (x86_64, the keeper: `drr-margin batch`) and through the npm package in Node (wasm32). Every
// output is compared byte for byte (the JSON text of each result, both rendered by the same
// JSON.stringify, so equal text means every float is bit-identical); when one side refuses, the
// other must refuse with the same code and field.
//
// DRR_PARITY_CASES sets the count (default 10,000, as the issue asks; seeded by DRR_PARITY_SEED).
// Markets perturb the sample market (index level and everything quoted off it, time to expiry,
// oracle age and confidence, SVI levels and skew, rates, risk flags); accounts mix cross, portfolio
// and isolated modes, linear and inverse perpetuals, futures and options on BTC and ETH, with
// random collateral; parameters are a random profile with random overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as api from 'drr-margin';

const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;
const base = JSON.parse(readFileSync(new URL('../fixtures/market.json', import.meta.url), 'utf8'));
const count = Number(process.env.DRR_PARITY_CASES ?? 10_000);
let seed = Number(process.env.DRR_PARITY_SEED ?? 20261202);

// Park–Miller LCG: the same sequence on every run and machine.
const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const between = (lo, hi) => lo + (hi - lo) * rnd();
const DAY = 86_400_000;

function randomMarket() {
  const m = structuredClone(base);
  m.now = base.now + Math.floor(between(0, rnd() < 0.05 ? 40 : 25) * DAY); // sometimes past an expiry
  for (const [name, u] of Object.entries(m.underlyings)) {
    const s = between(0.7, 1.3);
    u.index.price *= s;
    u.index.conf = u.index.price * between(0, 0.002);
    u.index.publishTime = m.now - Math.floor(rnd() < 0.05 ? between(60_001, 600_000) : between(0, 30_000));
    u.rate = between(0, 0.08);
    for (const f of u.forwards ?? []) f.price *= s;
    for (const id of Object.keys(u.marks ?? {})) u.marks[id] *= s;
    for (const side of ['bids', 'asks']) for (const level of u.depth?.[side] ?? []) level[0] *= s;
    for (const slice of u.vol?.slices ?? []) {
      if (slice.type !== 'svi') continue;
      slice.a *= between(0.5, 2);
      slice.rho = Math.max(-0.9, Math.min(0.9, slice.rho + between(-0.2, 0.2)));
    }
    if (m.collateral[name]) m.collateral[name].price = u.index.price;
  }
  if (rnd() < 0.1) m.flags = [{ kind: pick(['governanceVote', 'contractUpgrade', 'depeg']), scope: pick(['BTC', 'ETH', 'USDC']) }];
  return m;
}

function randomAccount(i) {
  const mode = pick(['cross', 'portfolio', 'isolated']);
  const positions = [];
  const legs = 1 + Math.floor(rnd() * 12);
  for (let j = 0; j < legs; j++) {
    const u = pick(['BTC', 'ETH']);
    const settle = pick(['', '_USDC']);
    const kind = rnd();
    const size = Math.round((rnd() - 0.45) * 100) / 10 || 0.5;
    const entry = u === 'BTC' ? 70000 + rnd() * 60000 : 2500 + rnd() * 2000;
    let position;
    if (kind < 0.15) {
      position = { instrument: `${u}${settle}-PERPETUAL`, size: settle ? size : size * 1000, entryPrice: Math.round(entry) };
    } else if (kind < 0.25) {
      position = { instrument: `${u}${settle}-${pick(['25DEC26', '26MAR27'])}`, size: settle ? size : size * 1000, entryPrice: Math.round(entry) };
    } else {
      const strike = u === 'BTC' ? 60000 + 5000 * Math.floor(rnd() * 13) : 2000 + 250 * Math.floor(rnd() * 12);
      position = { instrument: `${u}${settle}-${pick(['25DEC26', '26MAR27', '25JUN27'])}-${strike}-${pick(['C', 'P'])}`, size };
    }
    if (mode === 'isolated') position.isolatedMargin = Math.round(rnd() * 20000);
    positions.push(position);
  }
  const collateral = { USDC: Math.round(rnd() * 500000) };
  if (rnd() < 0.5) collateral.BTC = Math.round(rnd() * 30) / 10;
  if (rnd() < 0.3) collateral.ETH = Math.round(rnd() * 300) / 10;
  if (rnd() < 0.2) collateral.USTB = Math.round(rnd() * 100000);
  return { id: `random-${i}`, mode, collateral, positions };
}

function randomParams() {
  const params = { profile: pick(api.profiles().map((p) => p.name)) };
  if (rnd() < 0.3) params.drr = { kMaintenance: between(1, 4), kInitial: between(4, 5) };
  if (rnd() < 0.2) params.oracle = { staleMode: 'conservative' };
  if (rnd() < 0.1) params.statistical = { enabled: true, seed: Math.floor(rnd() * 1000), paths: 200 };
  return params;
}

function randomOptions() {
  if (rnd() < 0.5) return undefined;
  return { sticky: pick(['strike', 'moneyness']), whatIfPrices: pick(['none', 'estimate']), sizeIncrement: pick([0.001, 0.01, 0.1]) };
}

function randomCall(i) {
  const r = rnd();
  const params = () => (rnd() < 0.1 ? undefined : randomParams());
  if (r < 0.75) return { fn: 'margin', args: [randomMarket(), randomAccount(i), params()] };
  if (r < 0.83) {
    const order = { ...randomAccount(i).positions[0], size: Math.round(between(0.1, 5) * 10) / 10, side: pick(['buy', 'sell']) };
    delete order.isolatedMargin;
    delete order.entryPrice;
    return { fn: 'whatIf', args: [randomMarket(), randomAccount(i), order, params(), randomOptions()] };
  }
  if (r < 0.86) {
    const instrument = pick(['BTC_USDC-PERPETUAL', 'ETH_USDC-PERPETUAL', 'BTC-PERPETUAL', 'BTC_USDC-26MAR27-100000-C', 'ETH_USDC-25DEC26-3000-P']);
    return { fn: 'maxSize', args: [randomMarket(), randomAccount(i), instrument, pick(['buy', 'sell']), params(), randomOptions()] };
  }
  if (r < 0.89) return { fn: 'liquidationPrices', args: [randomMarket(), randomAccount(i), params(), randomOptions()] };
  if (r < 0.92) return { fn: 'liquidationCheck', args: [randomMarket(), randomAccount(i), params(), randomOptions()] };
  const request = { kind: pick(['call', 'put']), forward: between(1, 200000), strike: between(1, 300000), t: between(0, 3), vol: between(0.05, 3), rate: between(-0.01, 0.1) };
  if (r < 0.97) return { fn: 'price', args: [request] };
  return { fn: 'impliedVol', args: [{ ...request, vol: undefined, price: between(0, request.forward) }] };
}

/** The npm package's answer to one call, in the CLI's line format. */
function inWasm({ fn, args }) {
  try {
    return { ok: api[fn](...args) };
  } catch (e) {
    assert.ok(e instanceof api.DrrMarginError, `${fn} threw a non-drr error: ${e}`);
    return { error: { code: e.code, field: e.field } };
  }
}

test(`parity corpus: ${count} random calls give the same bytes natively and in wasm32`, () => {
  const chunk = 500;
  const tally = { ok: 0, refused: 0, byFn: {}, refusals: {} };
  for (let start = 0; start < count; start += chunk) {
    const calls = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) calls.push(randomCall(i));
    const input = calls.map((c) => JSON.stringify(c)).join('\n') + '\n';
    const lines = execFileSync(cli, ['batch'], { input, encoding: 'utf8', maxBuffer: 1 << 30 }).trimEnd().split('\n');
    assert.equal(lines.length, calls.length);
    calls.forEach((call, k) => {
      const native = JSON.parse(lines[k]);
      const wasm = inWasm(call);
      const what = `call ${start + k} (${call.fn})`;
      if (native.error || wasm.error) {
        assert.ok(native.error && wasm.error, `${what}: only one side refused: ${JSON.stringify(native.error ?? wasm.error)}`);
        assert.deepEqual([wasm.error.code, wasm.error.field], [native.error.code, native.error.field], what);
        tally.refused++;
        const why = `${wasm.error.code} ${wasm.error.field.replace(/\[\d+\]/g, '[]')}`;
        tally.refusals[why] = (tally.refusals[why] ?? 0) + 1;
      } else {
        assert.equal(JSON.stringify(wasm.ok), JSON.stringify(native.ok), what);
        tally.ok++;
        tally.byFn[call.fn] = (tally.byFn[call.fn] ?? 0) + 1;
      }
    });
  }
  console.log(`# parity corpus: ${tally.ok} identical results ${JSON.stringify(tally.byFn)}, ${tally.refused} identical refusals ${JSON.stringify(tally.refusals)}`);
  assert.ok(tally.ok > count / 2, `only ${tally.ok} results compared`);
});
