// The pricing benchmark: drr-margin (WebAssembly) against npm peers, on the same options as
// `cargo bench --bench pricing` (benches/pricing.rs), one implementation for both runners:
// bench/pricing.mjs (Node, `npm run bench`) and bench/browser.mjs (headless Chromium). Neither
// Node nor a browser API is used here: the runner passes the package's functions, the peers it
// could load, a clock and the sizes.
//
// Inputs: N options from SplitMix64 (bit-identical to the Rust bench; both print the checksum):
// forward 100 000, K/F log-uniform in [0.5, 2], t in [1 day, 1 year], σ in [0.3, 1.5], calls and
// puts, r = 0.03. Each case is warmed up, then timed with `now()` (milliseconds; performance.now()
// in both runners) over several repetitions; the table shows the median ns/option.
//
// Peers and units (read from their sources in node_modules):
//   black-scholes 1.1.0   blackScholes(S, K, t, σ, r, 'call'|'put'): BS on spot, no dividend,
//                         Φ by a 100-term Taylor series (clamped at |x| ≥ 8). Price only.
//   greeks 1.0.0          getDelta/getGamma (w.r.t. spot), getVega (per vol point, /100),
//                         getTheta (per day, /365, spot fixed), getRho (per 1 %, /100, spot
//                         fixed). No price: timed with black-scholes' price + the 5 Greeks.
//   implied-volatility 1.0.0  getImpliedVolatility(price, S, K, t, r, type): bisection on
//                         black-scholes, 100 iterations (its "to the cent" stop almost never fires).
//   @quantlib/ql 0.3.6    plain JavaScript port of QuantLib (not emscripten: no .delete()).
//                         BlackCalculator.init2(type, K, F, σ√t, D): value, deltaForward,
//                         gammaForward, vega(t) (per 1.00), theta(F, t) (per year, F fixed: = ours),
//                         rho(t) (spot fixed, ≠ ours), no vanna/volga; blackFormulaImpliedStdDev1
//                         (default accuracy 1e-6 in σ√t) for IV.
// Mapping: the spot peers get S = F·e^(−rt) and the same r, so BS(S) = Black-76(F) exactly;
// then Δ_S = Δ_F/D, Γ_S = Γ_F/D², vega equal. Ours: delta/gamma w.r.t. F, vega per 1.00, theta
// per year (F fixed), rho per 1.00 with F fixed (= −t·V), plus vanna and volga.

/**
 * Runs every case. `lib`: the package's `priceBatch`, `impliedVolBatch`, `price`, `impliedVol`;
 * `peers`: the peers by npm name (`black-scholes`, `greeks`, `implied-volatility`,
 * `@quantlib/ql`; a missing one is skipped); `loadNotes`: the runner's notes on peers it could not
 * load; `now`: milliseconds. Returns the table's lines, `env` heading them.
 */
export function pricingSuite({ lib, peers, loadNotes = [], now, n: N = 10_000, reps: REPS = 7, env }) {
  const { priceBatch, impliedVolBatch, price, impliedVol } = lib;
  const FORWARD = 100_000;
  const RATE = 0.03;
  const lines = [];
  const out = (line) => lines.push(line);

  // ---- inputs: the same bits as benches/pricing.rs ------------------------------------------------
  const MASK = (1n << 64n) - 1n;
  function splitMix64(seed) {
    let state = BigInt(seed);
    return () => {
      state = (state + 0x9E3779B97F4A7C15n) & MASK;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK;
      z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & MASK;
      z ^= z >> 31n;
      return Number(z >> 11n) * (1 / 9007199254740992);
    };
  }
  // 2^y by the same degree-20 Horner polynomial as the Rust bench (+, ×, ÷ only: identical bits).
  function exp2Poly(y) {
    const z = y * Math.LN2;
    let p = 1;
    for (let k = 20; k >= 1; k--) p = 1 + (z * p) / k;
    return p;
  }
  const next = splitMix64(0xB1AC00762026n);
  const kind = new Int8Array(N), forward = new Float64Array(N).fill(FORWARD);
  const strike = new Float64Array(N), t = new Float64Array(N), vol = new Float64Array(N);
  let checksum = 0;
  for (let i = 0; i < N; i++) {
    kind[i] = next() < 0.5 ? 1 : -1;
    strike[i] = FORWARD * exp2Poly(2 * next() - 1);
    t[i] = (1 + 364 * next()) / 365;
    vol[i] = 0.3 + (1.5 - 0.3) * next();
    checksum = checksum + strike[i] + t[i] + vol[i] + kind[i];
  }
  const type = Array.from(kind, (k) => (k === 1 ? 'call' : 'put'));
  const discount = Float64Array.from(t, (ti) => Math.exp(-RATE * ti));
  const spot = Float64Array.from(discount, (d) => FORWARD * d);
  const requests = Array.from(kind, (_, i) => ({ kind: type[i], forward: FORWARD, strike: strike[i], t: t[i], vol: vol[i], rate: RATE }));

  // IV inputs: our prices; a deep ITM price that rounds below the discounted intrinsic value is
  // raised ulp by ulp until impliedVol accepts it (exactly as the Rust bench does).
  const ivPrice = priceBatch({ kind, forward, strike, t, vol, rate: RATE }).price.slice();
  const bits = new BigUint64Array(1), asFloat = new Float64Array(bits.buffer);
  let nudged = 0;
  const ivRequests = requests.map(({ vol: _, ...r }, i) => {
    const accepts = (p) => { try { impliedVol({ ...r, price: p }); return true; } catch { return false; } };
    if (!accepts(ivPrice[i])) {
      nudged++;
      asFloat[0] = ivPrice[i];
      for (let s = 0; s < 64; s++) { bits[0] += 1n; if (accepts(asFloat[0])) break; }
      ivPrice[i] = asFloat[0];
    }
    return { ...r, price: ivPrice[i] };
  });
  // Rows whose price carries information about σ (vega·σ above 1e-6 of the price): IV accuracy is
  // judged on those only.
  const ref = priceBatch({ kind, forward, strike, t, vol, rate: RATE });
  const informative = (i) => ref.vega[i] * vol[i] >= 1e-6 * ref.price[i] && ref.price[i] > 0;

  // ---- timing -------------------------------------------------------------------------------------
  let sink = 0;
  /** Median ns/option of `fn(n)` over REPS timed runs after warm-up; `fn` returns a number. */
  function time(fn, n, reps = REPS) {
    const warmEnd = now() + 300;
    let warm = 0;
    while (warm < 3 || (now() < warmEnd && warm < 50)) { sink += fn(n); warm++; }
    const ns = [];
    for (let r = 0; r < reps; r++) {
      const start = now();
      sink += fn(n);
      ns.push(((now() - start) * 1e6) / n);
    }
    ns.sort((a, b) => a - b);
    return ns[ns.length >> 1];
  }

  const rows = [];
  const notes = [...loadNotes];
  function record(library, operation, n, fn, reps) {
    try {
      rows.push({ library, operation, n, ns: time(fn, n, reps) });
    } catch (e) {
      notes.push(`${library} ${operation}: failed: ${e.message}`);
    }
  }
  const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

  // ---- ours ---------------------------------------------------------------------------------------
  record('drr-margin', 'priceBatch: price + 7 Greeks', N, (n) => {
    const out = priceBatch({ kind: kind.subarray(0, n), forward: forward.subarray(0, n), strike: strike.subarray(0, n), t: t.subarray(0, n), vol: vol.subarray(0, n), rate: RATE });
    return out.price[n - 1] + out.volga[0];
  });
  record('drr-margin', 'price() per option: price + 7 Greeks', N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) { const g = price(requests[i]); s += g.price + g.delta + g.gamma + g.vega + g.theta + g.rho + g.vanna + g.volga; }
    return s;
  });
  record('drr-margin', 'impliedVolBatch', N, (n) => {
    const out = impliedVolBatch({ kind: kind.subarray(0, n), price: ivPrice.subarray(0, n), forward: FORWARD, strike: strike.subarray(0, n), t: t.subarray(0, n), rate: RATE });
    return out[n - 1];
  });
  record('drr-margin', 'impliedVol() per option', N, (n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += impliedVol(ivRequests[i]);
    return s;
  });
  {
    const iv = impliedVolBatch({ kind, price: ivPrice, forward: FORWARD, strike, t, rate: RATE });
    let worst = 0, count = 0;
    for (let i = 0; i < N; i++) if (informative(i)) { count++; worst = Math.max(worst, rel(iv[i], vol[i])); }
    notes.push(`drr-margin IV: max |σ−σ₀|/σ₀ = ${worst.toExponential(1)} over ${count} informative rows; ${nudged} prices raised by ulps to the intrinsic bound`);
  }

  // ---- peers --------------------------------------------------------------------------------------
  const bs = peers['black-scholes'] ?? null;
  const greeks = peers.greeks ?? null;
  const ivLib = peers['implied-volatility'] ?? null;
  const ql = peers['@quantlib/ql'] ?? null;

  // The Taylor-series Φ makes the npm trio slow: time them on the first rows only.
  const N_SLOW = Math.min(N, 1000), N_IV_SLOW = Math.min(N, 50);
  const sanityRows = [0, 1, 2, 3, 4, 5, 6, 7];

  if (bs) {
    record('black-scholes', 'price only', N_SLOW, (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += bs.blackScholes(spot[i], strike[i], t[i], vol[i], RATE, type[i]);
      return s;
    }, 5);
    let worst = 0, worstAll = 0;
    for (let i = 0; i < N_SLOW; i++) {
      const d = rel(bs.blackScholes(spot[i], strike[i], t[i], vol[i], RATE, type[i]), ref.price[i]);
      if (sanityRows.includes(i)) worst = Math.max(worst, d);
      if (ref.price[i] > 1e-6 * FORWARD) worstAll = Math.max(worstAll, d);
    }
    notes.push(`black-scholes price vs ours: max rel diff ${worst.toExponential(1)} (rows 0-7), ${worstAll.toExponential(1)} (first ${N_SLOW} rows, price > 0.1)`);
  }
  if (bs && greeks) {
    record('greeks', 'price + delta, gamma, vega, theta, rho', N_SLOW, (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const a = [spot[i], strike[i], t[i], vol[i], RATE];
        s += bs.blackScholes(...a, type[i]) + greeks.getDelta(...a, type[i]) + greeks.getGamma(...a)
          + greeks.getVega(...a) + greeks.getTheta(...a, type[i]) + greeks.getRho(...a, type[i]);
      }
      return s;
    }, 5);
    let worst = 0;
    for (const i of sanityRows) {
      const a = [spot[i], strike[i], t[i], vol[i], RATE], D = discount[i];
      worst = Math.max(worst, rel(greeks.getDelta(...a, type[i]) * D, ref.delta[i]),
        rel(greeks.getGamma(...a) * D * D, ref.gamma[i]), rel(greeks.getVega(...a) * 100, ref.vega[i]));
    }
    notes.push(`greeks delta·D, gamma·D², vega·100 vs ours (rows 0-7): max rel diff ${worst.toExponential(1)}; theta/rho are spot-fixed (other definitions)`);
  }
  if (ivLib) {
    record('implied-volatility', 'IV (bisection)', N_IV_SLOW, (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += ivLib.getImpliedVolatility(ivPrice[i], spot[i], strike[i], t[i], RATE, type[i]);
      return s;
    }, 3);
    let worst = 0, count = 0;
    for (let i = 0; i < N_IV_SLOW; i++) if (informative(i)) {
      count++;
      worst = Math.max(worst, rel(ivLib.getImpliedVolatility(ivPrice[i], spot[i], strike[i], t[i], RATE, type[i]), vol[i]));
    }
    notes.push(`implied-volatility: max |σ−σ₀|/σ₀ = ${worst.toExponential(1)} over ${count} informative rows of the first ${N_IV_SLOW}`);
  }
  if (ql) {
    const { BlackCalculator, Option, blackFormulaImpliedStdDev1 } = ql;
    const qlType = Array.from(kind, (k) => (k === 1 ? Option.Type.Call : Option.Type.Put));
    const sqrtT = Float64Array.from(t, Math.sqrt);
    record('@quantlib/ql', 'BlackCalculator: value + 5 Greeks', N, (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const c = new BlackCalculator().init2(qlType[i], strike[i], FORWARD, vol[i] * sqrtT[i], discount[i]);
        s += c.value() + c.deltaForward() + c.gammaForward() + c.vega(t[i]) + c.theta(FORWARD, t[i]) + c.rho(t[i]);
      }
      return s;
    });
    record('@quantlib/ql', 'blackFormulaImpliedStdDev1 (acc. 1e-6)', N, (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        try { s += blackFormulaImpliedStdDev1(qlType[i], strike[i], FORWARD, ivPrice[i], discount[i]) / sqrtT[i]; } catch { s += 1; }
      }
      return s;
    }, 5);
    let worst = 0, worstAll = 0, worstIv = 0, failures = 0, count = 0, zeros = 0, zeroMax = 0;
    for (let i = 0; i < N; i++) {
      const c = new BlackCalculator().init2(qlType[i], strike[i], FORWARD, vol[i] * sqrtT[i], discount[i]);
      const d = Math.max(rel(c.value(), ref.price[i]), rel(c.deltaForward(), ref.delta[i]), rel(c.gammaForward(), ref.gamma[i]),
        rel(c.vega(t[i]), ref.vega[i]), rel(c.theta(FORWARD, t[i]), ref.theta[i]));
      if (sanityRows.includes(i)) worst = Math.max(worst, d);
      if (ref.price[i] > 0.1) worstAll = Math.max(worstAll, rel(c.value(), ref.price[i]));
      if (informative(i)) {
        count++;
        try {
          const iv = blackFormulaImpliedStdDev1(qlType[i], strike[i], FORWARD, ivPrice[i], discount[i]) / sqrtT[i];
          if (iv === 0) { zeros++; zeroMax = Math.max(zeroMax, ivPrice[i]); } else worstIv = Math.max(worstIv, rel(iv, vol[i]));
        } catch { failures++; }
      }
    }
    notes.push(`@quantlib/ql value, deltaForward, gammaForward, vega, theta(F) vs ours: max rel diff ${worst.toExponential(1)} (rows 0-7); price ${worstAll.toExponential(1)} (all rows with price > 0.1)`);
    notes.push(`@quantlib/ql IV: max |σ−σ₀|/σ₀ = ${worstIv.toExponential(1)} over ${count - zeros - failures} informative rows; returns σ = 0 on ${zeros} far-OTM rows (prices ≤ ${zeroMax.toExponential(0)}), ${failures} threw`);
  }

  const find = (lib, op) => rows.find((r) => r.library === lib && r.operation.startsWith(op))?.ns;
  const oursPrice = find('drr-margin', 'priceBatch'), oursIv = find('drr-margin', 'impliedVolBatch');
  const isIv = (r) => /IV|implied/i.test(r.operation);
  out(`drr-margin pricing bench: ${env}`);
  out(`N = ${N} options, inputs checksum ${checksum}, median of ${REPS} repetitions (slow peers: fewer rows/reps, n column)\n`);
  out(`${'library'.padEnd(20)}${'operation'.padEnd(42)}${'n'.padStart(7)}${'ns/option'.padStart(12)}${'× ours'.padStart(10)}`);
  for (const r of rows) {
    const base = isIv(r) ? oursIv : oursPrice;
    out(`${r.library.padEnd(20)}${r.operation.padEnd(42)}${String(r.n).padStart(7)}${r.ns.toFixed(1).padStart(12)}${(r.ns / base).toFixed(1).padStart(10)}`);
  }
  out('(× ours: ns/option over priceBatch for pricing rows, over impliedVolBatch for IV rows)\n');
  for (const n of notes) out(`- ${n}`);
  out('');
  const qlNs = find('@quantlib/ql', 'BlackCalculator'), greeksNs = find('greeks', 'price');
  const target = (label, ok) => out(`target ${ok === undefined ? 'UNKNOWN' : ok ? 'MET    ' : 'NOT MET'}  ${label}`);
  target(`price + all Greeks ≥ 5× faster than @quantlib/ql (${qlNs ? (qlNs / oursPrice).toFixed(1) + '×' : 'n/a'})`, qlNs && qlNs / oursPrice >= 5);
  target(`price + all Greeks ≥ 100× faster than npm greeks (${greeksNs ? (greeksNs / oursPrice).toFixed(0) + '×' : 'n/a'})`, greeksNs && greeksNs / oursPrice >= 100);
  target(`IV ≤ 400 ns/option in WASM (impliedVolBatch ${oursIv?.toFixed(0)} ns)`, oursIv !== undefined ? oursIv <= 400 : undefined);
  // Keeps every timed result alive.
  if (sink === 42) out('');
  return lines;
}
