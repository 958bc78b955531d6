// Liquidation API parity: liquidationPrices, liquidationCheck, whatIf and maxSize through the npm
// package (wasm32) deep-equal the native CLI's JSON (x86_64, the keeper) — every float
// bit-identical (JSON prints the shortest round-trip form) — and refuse bad input with the same
// code and field. Seeded random accounts like margin-parity.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { liquidationPrices, liquidationCheck, whatIf, maxSize, margin } from 'drr-margin';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const market = JSON.parse(readFileSync(fixture('market.json')));
const sample = JSON.parse(readFileSync(fixture('account.json')));
const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'drr-liq-'));
const file = (name, value) => { const path = join(dir, name); writeFileSync(path, JSON.stringify(value)); return path; };

let seed = 20261202;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

function randomAccount(i) {
  const mode = pick(['cross', 'portfolio', 'isolated']);
  const positions = [];
  const legs = 1 + Math.floor(rnd() * 5);
  for (let j = 0; j < legs; j++) {
    const size = Math.round((rnd() - 0.5) * 40) / 10 || 0.5;
    let position;
    if (rnd() < 0.4) {
      position = { instrument: 'BTC_USDC-PERPETUAL', size, entryPrice: Math.round(90000 + rnd() * 15000) };
    } else {
      const strike = 70000 + 5000 * Math.floor(rnd() * 9);
      position = { instrument: `BTC_USDC-${pick(['25DEC26', '26MAR27'])}-${strike}-${pick(['C', 'P'])}`, size };
    }
    if (mode === 'isolated') position.isolatedMargin = Math.round(rnd() * 30000);
    positions.push(position);
  }
  return { id: `liq-${i}`, mode, collateral: { USDC: Math.round(20000 + rnd() * 200000) }, positions };
}

function native(args) {
  try {
    return { ok: JSON.parse(execFileSync(cli, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })) };
  } catch (e) {
    return { error: JSON.parse(e.stderr).error };
  }
}

function wasm(f) {
  try { return { ok: f() }; } catch (e) { return { error: { code: e.code, field: e.field } }; }
}

function same(n, w, label) {
  if (n.error || w.error) {
    assert.ok(n.error && w.error, `${label}: one side failed: ${JSON.stringify(n.error ?? w.error)}`);
    assert.equal(w.error.code, n.error.code, label);
    assert.equal(w.error.field, n.error.field, label);
    return false;
  }
  assert.deepEqual(w.ok, n.ok, label);
  return true;
}

const count = Number(process.env.DRR_MARGIN_LIQUIDATION_ACCOUNTS ?? 8);

test(`liquidationPrices: CLI and wasm agree on the sample and ${count} random accounts`, () => {
  let compared = 0;
  for (let i = -1; i < count; i++) {
    const account = i < 0 ? sample : randomAccount(i);
    const profile = pick(['drr', 'deribit-standard']);
    const options = { sticky: pick(['strike', 'moneyness']) };
    const n = native(['liquidation', '--market', fixture('market.json'), '--account', file('a.json', account),
      '--profile', profile, '--options', file('o.json', options)]);
    const w = wasm(() => liquidationPrices(market, account, { profile }, options));
    if (same(n, w, `account ${i} (${account.mode}, ${profile})`)) compared++;
  }
  assert.ok(compared > count / 2, `only ${compared} compared`);
});

test('liquidationCheck, whatIf and maxSize: CLI and wasm agree', () => {
  const a = file('sample.json', sample);
  const m = fixture('market.json');
  assert.ok(same(native(['liquidation-check', '--market', m, '--account', a]),
    wasm(() => liquidationCheck(market, sample)), 'liquidationCheck'));
  const orders = [
    { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, side: 'sell' },
    { instrument: 'BTC_USDC-25DEC26-90000-P', size: 2, price: 2500 },
    { instrument: 'ETH_USDC-PERPETUAL', size: -400 },
  ];
  for (const [j, order] of orders.entries()) {
    for (const options of [undefined, { whatIfPrices: 'exact' }]) {
      const args = ['what-if', '--market', m, '--account', a, '--order', file('order.json', order)];
      if (options) args.push('--options', file('wo.json', options));
      assert.ok(same(native(args), wasm(() => whatIf(market, sample, order, undefined, options)), `whatIf ${j}`));
    }
  }
  for (const [instrument, side] of [['BTC_USDC-PERPETUAL', 'buy'], ['BTC_USDC-25DEC26-110000-C', 'sell']]) {
    const options = { sizeIncrement: 0.01 };
    const n = native(['max-size', '--market', m, '--account', a, '--instrument', instrument, '--side', side,
      '--options', file('mo.json', options)]);
    assert.ok(same(n, wasm(() => maxSize(market, sample, instrument, side, undefined, options)), `maxSize ${instrument}`));
    assert.ok(n.ok.size > 0);
  }
});

test('maxSize of an order that costs no collateral: bounded false at the search limit, CLI and wasm agree', () => {
  // A long call struck at 10× spot (Black-76 value ~1e-46 USD): free collateral never falls, so
  // the answer is unbounded at min(2^52 increments, 1e15 contracts), not E_NO_CONVERGENCE.
  const id = 'BTC_USDC-25DEC26-1000000-C';
  const m = structuredClone(market);
  m.underlyings.BTC.markIv = { ...m.underlyings.BTC.markIv, [id]: 0.3 };
  const account = { mode: 'cross', collateral: { USDC: 10000 }, positions: [] };
  const options = { sizeIncrement: 1 };
  const n = native(['max-size', '--market', file('m0.json', m), '--account', file('a0.json', account),
    '--instrument', id, '--side', 'buy', '--options', file('o0.json', options)]);
  assert.ok(same(n, wasm(() => maxSize(m, account, id, 'buy', undefined, options)), 'maxSize unbounded'));
  assert.equal(n.ok.bounded, false);
  assert.equal(n.ok.size, 1e15);
  assert.equal(n.ok.freeCollateralNext, undefined);
  const bounded = maxSize(market, sample, 'BTC_USDC-PERPETUAL', 'buy', undefined, { sizeIncrement: 0.01 });
  assert.equal(bounded.bounded, true);
  assert.ok(BigInt(bounded.freeCollateralNext.units) < 0n);
});

test('bad input: the same code and field on both sides', () => {
  const a = file('sample.json', sample);
  const m = fixture('market.json');
  const badOrder = { instrument: 'BTC_USDC-PERPETUAL', size: 0 };
  same(native(['what-if', '--market', m, '--account', a, '--order', file('bad.json', badOrder)]),
    wasm(() => whatIf(market, sample, badOrder)), 'order.size');
  const w = wasm(() => whatIf(market, sample, badOrder));
  assert.equal(w.error.field, 'order.size');
  const badOptions = { validityRange: 3 };
  const n = native(['liquidation', '--market', m, '--account', a, '--options', file('bo.json', badOptions)]);
  same(n, wasm(() => liquidationPrices(market, sample, undefined, badOptions)), 'options');
  assert.equal(n.error.field, 'options.validityRange');
  const typo = { stiky: 'strike' };
  const t = wasm(() => liquidationPrices(market, sample, undefined, typo));
  assert.deepEqual(t.error, { code: 'E_INVALID_INPUT', field: 'options.stiky' });
});

test('whatIf and maxSize reuse the last market only for the same JSON text (src/wasm/market_cache.rs)', () => {
  // The binding keeps the last validated market. Alternating markets, a market mutated in place
  // and an invalid market right after a valid one must each give what the CLI gives for them.
  const a = file('sample.json', sample);
  const order = { instrument: 'BTC_USDC-PERPETUAL', size: 0.5, side: 'sell' };
  const o = file('order.json', order);
  const live = structuredClone(market);
  const check = (label) => {
    const m = file('live.json', live);
    const w = same(native(['what-if', '--market', m, '--account', a, '--order', o]),
      wasm(() => whatIf(live, sample, order)), `whatIf ${label}`);
    const s = same(native(['max-size', '--market', m, '--account', a, '--instrument', 'BTC_USDC-PERPETUAL',
      '--side', 'buy', '--options', file('mo.json', { sizeIncrement: 0.01 })]),
    wasm(() => maxSize(live, sample, 'BTC_USDC-PERPETUAL', 'buy', undefined, { sizeIncrement: 0.01 })), `maxSize ${label}`);
    return w && s;
  };
  assert.ok(check('as given'));
  const before = JSON.stringify(whatIf(live, sample, order));
  live.underlyings.BTC.index.price = 99500; // mutated in place: a new text
  assert.ok(check('moved'));
  assert.notEqual(JSON.stringify(whatIf(live, sample, order)), before);
  live.underlyings.BTC.index.price = -1;
  assert.equal(check('invalid'), false, 'refused on both sides');
  assert.equal(wasm(() => whatIf(live, sample, order)).error.field, 'market.underlyings.BTC.index.price');
  live.underlyings.BTC.index.price = market.underlyings.BTC.index.price;
  assert.ok(check('back'));
  assert.equal(JSON.stringify(whatIf(live, sample, order)), before);
});

test("whatIf reuses the account's summary before the order only for the same market, account, params and options (src/wasm/what_if_cache.rs)", () => {
  // An order form: the same inputs, the order changing call after call. The binding keeps the
  // last call's `before`; every call below must still give exactly what the CLI gives (which
  // computes everything), including after the account, params or options change, after a
  // refused order, and with a market, account or options mutated in place.
  const live = structuredClone(market);
  const account = structuredClone(sample);
  let params;
  let options;
  const calls = [];
  const check = (order, label) => {
    const args = ['what-if', '--market', file('wm.json', live), '--account', file('wa.json', account),
      '--order', file('wo.json', order)];
    if (params) args.push('--profile', params.profile);
    if (options) args.push('--options', file('wopt.json', options));
    const w = wasm(() => whatIf(live, account, order, params, options));
    calls.push(w);
    return same(native(args), w, `whatIf ${label}`);
  };
  const buy = (size) => ({ instrument: 'BTC_USDC-PERPETUAL', size, side: 'buy' });
  for (const size of [0.1, 0.25, 0.5]) assert.ok(check(buy(size), `order form, size ${size}`));
  // The same `before` object each time (it is kept), and a different `after`.
  assert.deepEqual(calls[1].ok.before, calls[0].ok.before);
  assert.notDeepEqual(calls[1].ok.after, calls[0].ok.after);
  assert.equal(check({ instrument: 'DOGE-PERP', size: 1 }, 'refused order'), false, 'refused on both sides');
  assert.equal(calls.at(-1).error.field, 'market.underlyings.DOGE');
  assert.ok(check(buy(0.3), 'after a refused order'));
  account.collateral.USDC += 1000; // the account mutated in place: a new text
  assert.ok(check(buy(0.3), 'account changed'));
  assert.notDeepEqual(calls.at(-1).ok.before, calls[0].ok.before);
  account.positions[0].size += 0.5; // a position resized in place (the columns change, not the rest)
  assert.ok(check(buy(0.3), 'position resized'));
  account.positions[0].size -= 0.5;
  params = { profile: 'deribit-standard' };
  assert.ok(check(buy(0.3), 'params changed'));
  options = { sticky: 'moneyness' };
  assert.ok(check(buy(0.3), 'options changed'));
  options = { whatIfPrices: 'exact' };
  assert.ok(check(buy(0.4), 'exact prices'));
  assert.ok(check(buy(0.5), 'exact prices, next size'));
  options.whatIfPrices = 'none'; // mutated in place
  assert.ok(check(buy(0.5), 'options mutated'));
  live.underlyings.BTC.index.price = 99000; // the market mutated in place
  assert.ok(check(buy(0.5), 'market moved'));
  live.underlyings.BTC.index.price = market.underlyings.BTC.index.price;
  options = undefined;
  params = undefined;
  account.collateral.USDC -= 1000; // back to the first inputs: the first call's `before` again
  assert.ok(check(buy(0.25), 'back to the start'));
  assert.deepEqual(calls.at(-1).ok, calls[1].ok);
});

test('whatIf with the positions sent as columns gives what their JSON text gives, results and errors alike (js/report.js)', async () => {
  // The package's whatIf() sends a plain account's positions as columns (__whatIfColumns), as
  // margin() does, and anything else whole; the wasm-bindgen export always sends JSON text.
  const raw = await import('../../pkg/node/drr_margin.js');
  const { accountColumns } = await import('../../js/report.js');
  const order = { instrument: 'BTC_USDC-PERPETUAL', size: 0.2, side: 'sell' };
  const first = sample.positions[0];
  const variants = [
    ['as given', sample.positions, true],
    ['-0 size', [...sample.positions, { instrument: first.instrument, size: -0 }], true],
    ['unknown instrument', [{ instrument: 'BTC_USDC-NOPE', size: 1 }], true],
    ['NaN size', [{ ...first, size: NaN }], false],
    ['unknown key', [{ ...first, sise: 1 }], false],
    ['newline in id', [{ instrument: `${first.instrument}\n${first.instrument}`, size: 1 }], false],
  ];
  for (const mode of ['cross', 'portfolio']) {
    for (const [label, positions, columns] of variants) {
      const acct = { ...sample, mode, positions };
      assert.equal(accountColumns(acct) !== null, columns, `${label}: path`);
      for (const options of [undefined, { whatIfPrices: 'exact' }]) {
        assert.deepEqual(wasm(() => whatIf(market, acct, order, undefined, options)),
          wasm(() => raw.whatIf(market, acct, order, undefined, options)), `${mode}, ${label}`);
      }
    }
  }
});

test('whatIf: a random sequence drawn from a few markets, accounts, orders, params and options equals the CLI call by call', () => {
  // Consecutive calls often share everything but the order (the kept `before` is used) and
  // sometimes differ in one input (it must not be used then). The CLI's `batch` computes each
  // call afresh.
  const moved = structuredClone(market);
  moved.underlyings.BTC.index.price *= 1.01;
  const markets = [market, moved];
  const richer = structuredClone(sample);
  richer.collateral.USDC += 5000;
  const accounts = [sample, richer, { ...sample, mode: 'portfolio' }];
  const orders = [0.1, 0.4, -0.3, 1.5].map((size) => ({ instrument: 'BTC_USDC-PERPETUAL', size }))
    .concat([{ instrument: 'BTC_USDC-26MAR27-120000-C', size: 2, side: 'sell' }]);
  const paramsPool = [undefined, { profile: 'deribit-standard' }];
  const optionsPool = [undefined, { sticky: 'moneyness' }, { validityRange: 0.2 }, { safety: 0 }, { safety: 0.5 }];
  let s = 7;
  // The generator's high bits (its low bits cycle with short periods).
  const draw = (xs) => xs[Math.floor(((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * xs.length)];
  const calls = [];
  let last = [market, sample, undefined, undefined];
  const pools = [markets, accounts, paramsPool, optionsPool];
  const changes = [0, 0, 0, 0];
  for (let i = 0; i < 80; i++) {
    // Half the time only the order changes; otherwise one input is drawn again (maybe the same).
    const inputs = [...last];
    const which = draw([0, 1, 2, 3, 4, 5, 6, 7]);
    if (which < 4) inputs[which] = draw(pools[which]);
    if (inputs[which] !== last[which]) changes[which]++;
    last = inputs;
    const [m, a, p, o] = inputs;
    calls.push({ fn: 'whatIf', args: [m, a, draw(orders), p ?? null, o ?? null] });
  }
  const lines = execFileSync(cli, ['batch'], { input: calls.map((c) => JSON.stringify(c)).join('\n') + '\n', encoding: 'utf8' })
    .trimEnd().split('\n');
  assert.equal(lines.length, calls.length);
  let compared = 0;
  calls.forEach((call, k) => {
    const native = JSON.parse(lines[k]);
    const w = wasm(() => whatIf(...call.args.map((x) => x ?? undefined)));
    const n = native.error ? { error: { code: native.error.code, field: native.error.field } } : native;
    if (same(n, w, `call ${k}`)) compared++;
  });
  assert.ok(compared > 60, `${compared} results compared`);
  assert.ok(changes.every((n) => n >= 3), `each input changed alone a few times: ${changes}`);
});

test('a portfolio book edited call by call on one market: margin, whatIf, maxSize, liquidationPrices and liquidationCheck equal the CLI (the binding keeps the risk matrix\'s node values for the last market, src/wasm/market_cache.rs, and the last account validated, src/wasm/account_cache.rs)', () => {
  // The simulator's pattern: the market stays (now and then it moves), the book gains, loses or
  // resizes one position per call, and margin(), whatIf() and maxSize() run on it in turn, so
  // most nodes of a call were computed by an earlier one. The CLI's `batch` computes each call
  // afresh.
  const moved = structuredClone(market);
  moved.underlyings.BTC.index.price *= 1.004;
  const expiries = ['25DEC26', '26MAR27', '25JUN27'];
  let s = 23;
  const draw = (xs) => xs[Math.floor(((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * xs.length)];
  const option = () => `${draw(['BTC_USDC', 'BTC'])}-${draw(expiries)}-${draw([80000, 90000, 95000, 100000, 105000, 110000, 120000])}-${draw(['C', 'P'])}`;
  const positions = [];
  for (let i = 0; i < 25; i++) positions.push({ instrument: option(), size: draw([-2, -1, -0.5, 0.5, 1, 3]) });
  positions.push({ instrument: 'ETH_USDC-26MAR27-3000-P', size: -4 }, { instrument: 'BTC_USDC-PERPETUAL', size: 0.8, entryPrice: 98000 });
  const calls = [];
  let m = market;
  for (let i = 0; i < 60; i++) {
    // Each edit keeps or shifts the other positions' indexes; 'replace' puts another id at the
    // same index, 'swap' exchanges two ids, 'bad' sends (this call only) an id that does not
    // parse or a size of 0 in the middle of an otherwise known account.
    const edit = draw(['add', 'remove', 'resize', 'replace', 'swap', 'bad', 'none']);
    if (edit === 'add') positions.push({ instrument: option(), size: draw([-1, 1, 2]) });
    if (edit === 'remove' && positions.length > 3) positions.splice(Math.floor(s % positions.length), 1);
    if (edit === 'resize') positions[s % positions.length].size *= 2;
    // (Options only: a perpetual needs its entry price.)
    const options = positions.flatMap((p, i) => (/-[CP]$/.test(p.instrument) ? [i] : []));
    if (edit === 'replace') positions[options[s % options.length]].instrument = option();
    if (edit === 'swap') {
      const [a, b] = [options[s % options.length], options[(s >> 3) % options.length]];
      [positions[a].instrument, positions[b].instrument] = [positions[b].instrument, positions[a].instrument];
    }
    if (draw([0, 0, 0, 0, 0, 1]) === 1) m = m === market ? moved : market;
    const sent = structuredClone(positions);
    if (edit === 'bad') {
      const at = sent[s % sent.length];
      if (draw([0, 1]) === 1) at.instrument = at.instrument.replace(/-[CP]$/, '-X'); else at.size = 0;
    }
    const account = { mode: draw(['portfolio', 'portfolio', 'portfolio', 'cross']), collateral: { USDC: 400000, BTC: 2 }, positions: sent };
    // Parameters whose grids price the same nodes alike (drr, deribit-portfolio: the same
    // moves and vol shocks) or not (a wider vol-up shock; Paradex's weighted scenarios).
    const params = draw([null, null, { profile: 'deribit-portfolio' },
      { portfolio: { defaultUnderlying: { volatilityRangeUp: 0.9 } } }, { profile: 'paradex-portfolio' }]);
    const fn = draw(['margin', 'margin', 'margin', 'whatIf', 'maxSize', 'liquidationPrices', 'liquidationCheck']);
    const order = { instrument: option(), size: draw([0.5, 1]), side: draw(['buy', 'sell']) };
    const args = fn === 'margin' ? [m, account, params]
      : fn === 'whatIf' ? [m, account, order, params]
        : fn === 'maxSize' ? [m, account, order.instrument, order.side, params, { sizeIncrement: 0.01 }]
          : [m, account, params];
    calls.push({ fn, args });
  }
  const lines = execFileSync(cli, ['batch'], { input: calls.map((c) => JSON.stringify(c)).join('\n') + '\n', encoding: 'utf8' })
    .trimEnd().split('\n');
  assert.equal(lines.length, calls.length);
  const api = { margin, whatIf, maxSize, liquidationPrices, liquidationCheck };
  assert.ok(lines.filter((l) => JSON.parse(l).error).length >= 3, 'some calls are rejected');
  let compared = 0;
  calls.forEach((call, k) => {
    const native = JSON.parse(lines[k]);
    const w = wasm(() => api[call.fn](...call.args.map((x) => x ?? undefined)));
    const n = native.error ? { error: { code: native.error.code, field: native.error.field } } : native;
    if (same(n, w, `call ${k} (${call.fn})`)) compared++;
  });
  assert.ok(compared > 50, `${compared} results compared`);
});
