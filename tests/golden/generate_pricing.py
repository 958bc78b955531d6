#!/usr/bin/env python3
"""Independent-oracle golden vectors for the Black-76 pricer (linear and inverse).

Produces ``tests/golden/pricing.json``.  Re-run from the repository root with::

    python3 tests/golden/generate_pricing.py

The script writes ``tests/golden/pricing.json`` itself (next to this file); it
prints a short summary (case counts, QuantLib agreement, LBR deviations) on
stderr and nothing on stdout.  Output is deterministic: fixed case order,
sorted keys, one case per line, floats written with Python's ``repr`` (the
shortest decimal that round-trips to the same IEEE double).

Nothing here restates the Rust library's code.  Three oracles:

``mp`` block (strict reference) -- mpmath, base precision ``mp.dps = 40``
    (60 was specified; 40 keeps the run under ~2 minutes and every value is
    still verified to ~33 digits, see below).
    price: the Black-76 closed form evaluated in mpmath (N via mpmath.erfc).
    Every Greek is obtained by ``mp.diff`` (central finite differences at
    raised working precision) of that mpmath price function w.r.t. F, sigma,
    t, r, with an explicit relative step h = x*2^-100 (scale 1 for r);
    vanna is the nested ``mp.diff`` in F of the ``mp.diff`` in sigma.
    ``robust_diff`` repeats each derivative with a 2^-16 smaller step and more
    working precision and escalates the precision until both agree to 2^-110
    (~1e-33) relative, or until both are provably far below the smallest
    double (they then round to 0.0).  This is needed because finite-difference
    noise scales with the *value* (e.g. 2e6 for a deep-ITM put) while the
    Greek can be ~1e-268.  No analytic Greek formula is used, except in
    ``self_check()``, which compares mp.diff against the analytic Black-76
    Greeks on four cases (call/put x linear/inverse) and raises if any relative
    difference exceeds 1e-20 (observed: ~1e-59).  In addition every
    CHECK_EVERY-th case is recomputed at 90 digits and the run aborts unless
    every field agrees to 1e-30 relative (values below 2^-1100 excepted).
    Results are rounded to double exactly once, with correct rounding (via
    ``fractions.Fraction``, subnormals included, -0.0 normalised to 0.0).

``ql`` block -- QuantLib (version recorded in the JSON), linear options with
    t > 0 only (null otherwise).
    * t a whole number of days / 365 (1d, 7d, 30d, 1y, 3y): ``AnalyticEuropeanEngine``
      on a ``BlackScholesMertonProcess`` with spot = F, dividend yield q = r,
      flat ``FlatForward``/``BlackConstantVol`` curves, ``Actual365Fixed``,
      evaluation date 2025-01-02, maturity = evaluation date + n days.
    * t = 0.5: the same engine but all three curves on ``Actual360`` with 180
      days, because 0.5 is not n/365 (year fraction then equals 0.5 exactly).
    * t = 1h, 5min: this QuantLib build has no intraday dates, so the engine
      cannot represent those t; ``ql.BlackCalculator`` is used instead, fed
      exactly what the engine would feed it: stdDev = sqrt(sigma^2 * t),
      discount = exp(-r t), forward = F.
    The script asserts that the engine's year fraction equals t bit-for-bit.
    Mapping: price = NPV/value, delta = delta(F), gamma = gamma(F),
    vega = vega(t) (per 1.00 of vol), theta = theta(F, t) (QuantLib's theta is
    per year and equals -dV/dt, i.e. the calendar-time derivative, negative for
    a typical long option -- same sign convention as ours; with q = r the
    engine's forward equals spot exactly so F is held fixed),
    rho = rho() + dividendRho() (r and q move together, so F stays fixed;
    equals -t V).
    ``qlTrusted`` is true iff every ql field agrees with the mp field within
    max(1e-12*|mp|, 1e-14*scale), scale = F (price, vega, theta, rho),
    1 (delta), 1/F (gamma).  It is false whenever ql is null.

``ivCases`` -- lets_be_rational (pure-Python port of Jaeckel's "Let's be
    rational"), ``implied_volatility_from_a_transformed_rational_guess(
    undiscounted_price, F, K, t, q)`` with q = +1 call / -1 put and
    undiscounted_price = double(mp price / D).  Emitted for linear cases with
    t > 0, mp price > 1e-300 and strictly inside (D*intrinsic, D*F) for calls /
    (D*intrinsic, D*K) for puts (and the undiscounted double strictly inside
    the undiscounted bounds).  ``price`` is the discounted double.
    normalisedVega = mp vega / (D*F) (= sqrt(t) phi(d1)).
    vegaDegenerate = (sigma*vega/price < 1e-8) or (price < 1e-250*F); the
    first condition says the condition number of the price->vol inversion,
    price/(sigma*vega), exceeds 1e8, so a 1-ulp price perturbation can move the
    implied vol by more than ~1e-8 relative.

Case grid: t in {0, 1h, 5min, 1d, 7d, 30d, 0.5y, 1y, 3y} (1h = 1/8760,
5min = 5/525600, nd = n/365), sigma in {0.05, 0.3, 0.8, 1.5, 3, 5}, K/F in
{0.05, 0.2, 0.5, 0.8, 0.95, 1, 1.05, 1.25, 2, 5, 20}, call and put, over the
SUBGRIDS below: F = 100000 linear r in {0, 0.05} and inverse r = 0 on the
full t grid; F = 100000 inverse r = 0.05 on t in {0, 5min, 30d, 3y};
F in {3500, 1} linear r = 0.05 on t in {1h, 7d, 1y}.
Strike = F * (K/F) computed in decimal, then rounded to double.
Case ids: {c|p}_F{1e5|3500|1}_K{K/F}_T{0|5m|1h|1d|7d|30d|0.5y|1y|3y}_v{sigma}_r{0|0.05}_{lin|inv}.
"""

import json
import math
import os
import sys
from decimal import Decimal
from fractions import Fraction
from importlib.metadata import version as pkg_version
from multiprocessing import Pool

import mpmath
from mpmath import mp, mpf

import QuantLib as ql
import lets_be_rational as lbr

MP_DPS = 40
A0 = 8  # initial mp.diff addprec (bits)
CHECK_DPS = 90
CHECK_EVERY = 10  # recompute every 10th case at CHECK_DPS (precision + step-size stability)

HOUR = 1.0 / 8760.0
FIVE_MIN = 5.0 / (365 * 24 * 60)
T_GRID = [  # (label, t as double, QuantLib representation)
    ("T0", 0.0, None),
    ("T1h", HOUR, ("calc",)),
    ("T5m", FIVE_MIN, ("calc",)),
    ("T1d", 1.0 / 365.0, ("a365", 1)),
    ("T7d", 7.0 / 365.0, ("a365", 7)),
    ("T30d", 30.0 / 365.0, ("a365", 30)),
    ("T0.5y", 0.5, ("a360", 180)),
    ("T1y", 1.0, ("a365", 365)),
    ("T3y", 3.0, ("a365", 1095)),
]
VOLS = ["0.05", "0.3", "0.8", "1.5", "3.0", "5.0"]
MONEYNESS = ["0.05", "0.2", "0.5", "0.8", "0.95", "1.0", "1.05", "1.25", "2", "5", "20"]
KINDS = ["call", "put"]
# (F label, F, r, inverse, t labels or None = all); every subgrid spans all
# vols x all K/F x call/put.  Kept to this size so pricing.json stays ~3 MB.
SUBGRIDS = [
    ("1e5", "100000", 0.0, False, None),
    ("1e5", "100000", 0.05, False, None),
    ("1e5", "100000", 0.0, True, None),
    ("1e5", "100000", 0.05, True, ("T0", "T5m", "T30d", "T3y")),
    ("3500", "3500", 0.05, False, ("T1h", "T7d", "T1y")),
    ("1", "1", 0.05, False, ("T1h", "T7d", "T1y")),
]
GREEKS = ["delta", "gamma", "vega", "theta", "rho", "vanna", "volga"]
QL_FIELDS = ["price", "delta", "gamma", "vega", "theta", "rho"]

CONVENTIONS = (
    "Black-76 on the forward F with discount D = exp(-r t); theta_k = +1 call, -1 put; "
    "V = D theta_k (F N(theta_k d1) - K N(theta_k d2)), d1 = (ln(F/K) + sigma^2 t/2)/(sigma sqrt t), "
    "d2 = d1 - sigma sqrt t. t in years, sigma decimal, r continuous. delta = dV/dF, gamma = d2V/dF2, "
    "vega = dV/dsigma (per 1.00 of vol), theta = -dV/dt holding F, K, sigma, r fixed (per year), "
    "rho = dV/dr holding F fixed (= -t V), vanna = d2V/dF dsigma, volga = d2V/dsigma2. "
    "Inverse (coin-denominated) options: value W = V/F and every Greek is the same derivative of W. "
    "t = 0: price = intrinsic max(theta_k (F-K), 0) (divided by F if inverse), D = 1, Greeks null. "
    "mp = mpmath closed-form price and mp.diff Greeks (verified to ~33 digits, correctly rounded to double); "
    "ql = QuantLib AnalyticEuropeanEngine (spot = F, q = r; rho = rho + dividendRho) or BlackCalculator "
    "for sub-day t; ivLbr = lets_be_rational on double(mp price / D)."
)


# --------------------------------------------------------------------------
# mpmath oracle
# --------------------------------------------------------------------------
def to_double(x):
    """Correctly rounded mpf -> float (handles subnormals/underflow exactly)."""
    x = mpf(x)
    if not mpmath.isfinite(x):
        raise ValueError(f"non-finite mp value {x}")
    sign, man, exp, _ = x._mpf_  # x = (-1)^sign * man * 2^exp exactly
    if man == 0:
        return 0.0
    man = -man if sign else man
    if exp >= 0:
        d = float(man << exp)
    else:
        d = float(Fraction(man, 1 << (-exp)))
    return d if d != 0 else 0.0  # no -0.0 for values that underflow


def ncdf(x):
    """Standard normal CDF N(x) in the current mpmath precision.

    x <= 0: erfc(-x/sqrt2)/2, full relative precision.
    x > 0: 1 - erfc(x/sqrt2)/2 (mpmath's erfc of a negative argument goes
    through erf and is very slow at the ~2000-bit precisions mp.diff needs).
    Here N(x) ~ 1, so only absolute accuracy 2^-prec is meaningful; since
    erfc(y) <= exp(-y^2), erfc is evaluated with y^2*log2(e) fewer bits (plus
    a 32-bit guard), which keeps the absolute error below 2^-(prec+32).
    """
    y = x / mpmath.sqrt(2)
    if x <= 0:
        return mpmath.erfc(-y) / 2
    wp = mp.prec
    p2 = max(64, wp + 32 - int(y * y * mpmath.log(mpmath.e, 2)))
    with mp.workprec(p2):
        e = mpmath.erfc(+y)
    return 1 - e / 2


def mp_value(sign, K, inverse):
    """Return f(F, sigma, t, r) -> Black-76 value (or value/F if inverse) in mpmath."""

    def f(F, sigma, t, r):
        if t == 0:
            v = max(sign * (F - K), mpf(0))
        else:
            s = sigma * mpmath.sqrt(t)
            d1 = (mpmath.log(F / K) + s * s / 2) / s
            d2 = d1 - s
            v = mpmath.exp(-r * t) * sign * (F * ncdf(sign * d1) - K * ncdf(sign * d2))
        return v / F if inverse else v

    return f


def mp_block(case, dps):
    """Price and all Greeks by mp.diff; returns dict of mpf (Greeks None at t=0)."""
    with mp.workdps(dps):
        sign = 1 if case["kind"] == "call" else -1
        F, K, t, sig, r = (mpf(case[k]) for k in ("forward", "strike", "t", "vol", "rate"))
        f = mp_value(sign, K, case["inverse"])
        out = {"price": f(F, sig, t, r)}
        if t == 0:
            out.update({g: None for g in GREEKS})
            return out
        fF = lambda x: f(x, sig, t, r)  # noqa: E731
        fs = lambda x: f(F, x, t, r)  # noqa: E731
        # M bounds every term inside f, for the rounding-noise bound below.
        M = (F + K) / (F if case["inverse"] else 1)
        prec = mp.prec

        def nb(n, scale):  # noise bound of one mp.diff (step scale*2^-100)
            return lambda a: M * mpmath.ldexp(1, 40 - (prec + 2 * a) * (n + 1) + 100 * n) / scale**n

        out["delta"] = robust_diff(lambda k, a: _d(fF, F, 1, F, k, a), nb(1, F))
        out["gamma"] = robust_diff(lambda k, a: _d(fF, F, 2, F, k, a), nb(2, F))
        out["vega"] = robust_diff(lambda k, a: _d(fs, sig, 1, sig, k, a), nb(1, sig))
        out["volga"] = robust_diff(lambda k, a: _d(fs, sig, 2, sig, k, a), nb(2, sig))
        out["theta"] = -robust_diff(lambda k, a: _d(lambda x: f(F, sig, x, r), t, 1, t, k, a),
                                    nb(1, t))
        out["rho"] = robust_diff(lambda k, a: _d(lambda x: f(F, sig, t, x), r, 1, mpf(1), k, a),
                                 nb(1, mpf(1)))

        def vanna(k, a):  # d/dF of (d/dsigma), both by mp.diff
            def dsig(x):
                return _d(lambda y: f(x, y, t, r), sig, 1, sig, k, a)
            return _d(dsig, F, 1, F, k, a)

        # inner mp.diff runs at 2*(2*(prec+2a)+2a) bits; noise / (h_F h_sigma)
        out["vanna"] = robust_diff(
            vanna, lambda a: M * mpmath.ldexp(1, 40 - (4 * prec + 12 * a) + 200) / (F * sig))
        return out


def _d(f, x, n, scale, k, a):
    """One mp.diff: n-th central difference, step h = scale * 2^-k, addprec a.

    mp.diff evaluates f at working precision (prec + 2a)(n+1) bits."""
    return mp.diff(f, x, n, h=mpmath.ldexp(scale, -k), addprec=a)


def robust_diff(d, noise_bound):
    """mp.diff with an a-posteriori accuracy check and automatic escalation.

    ``d(k, a)`` returns an mp.diff derivative with step scale*2^-k and addprec
    a; ``noise_bound(a)`` is a generous (2^40 margin) bound on the rounding
    noise of d(100, a).  Finite differences have truncation error ~ (h/l)^2
    (l = the length over which f varies) and rounding noise ~ |f| 2^-workprec
    / h^n, i.e. relative to the function value, not to the derivative --
    fatal with mp.diff's default step when the derivative is astronomically
    smaller than the value (gamma ~ 1e-268 of a deep-ITM put worth ~2e6).
    So each derivative is taken with a relative step 2^-100 and again with a
    step 2^-16 smaller and 16 more bits of addprec; the first is accepted when
    both agree to 2^-110 (~1e-33) relative, or both lie far below the smallest
    double (result rounds to 0.0).  r1 == 0 means total cancellation (never a
    true zero here): accepted as 0.0 only once the noise bound itself is far
    below the smallest double.  Otherwise addprec is raised to where the
    noise bound is 2^-120 below the observed magnitude.
    """
    tiny = mpmath.ldexp(1, -1100)  # < half the smallest subnormal 2^-1074
    a = A0
    while a <= 2560:
        r1 = d(100, a)
        r2 = d(116, a + 16)
        err = abs(r1 - r2)
        if r1 != 0 and (err <= mpmath.ldexp(abs(r1), -110) or abs(r1) + err < tiny):
            return r1
        if r1 == 0 and r2 == 0 and noise_bound(a) < tiny:
            return r1
        # Jump to the addprec whose noise bound is 2^-120 below the larger of
        # the observed magnitude (an over-estimate while noise dominates) and
        # `tiny`; the bound falls at least 4 bits per unit of a.
        target = mpmath.ldexp(max(tiny, min(abs(r1), abs(r2))), -120)
        excess = mpmath.log(noise_bound(a) / target, 2)
        a = max(a + 16, a + int(mpmath.ceil(excess / 4)) if excess > 0 else a + 16)
    raise RuntimeError("mp.diff did not converge")


def self_check():
    """The only place analytic Greeks appear: validate mp.diff to 1e-20 relative."""
    worst = [mpf(0)]
    with mp.workdps(MP_DPS):
        for sign, inverse in ((1, False), (-1, False), (1, True), (-1, True)):
            F, K, t, sig, r = mpf(100000), mpf(105000), mpf(30.0 / 365.0), mpf("0.8"), mpf("0.05")
            case = {"kind": "call" if sign > 0 else "put", "forward": F, "strike": K,
                    "t": t, "vol": sig, "rate": r, "inverse": inverse}
            got = mp_block(case, MP_DPS)
            s = sig * mpmath.sqrt(t)
            d1 = (mpmath.log(F / K) + s * s / 2) / s
            d2 = d1 - s
            D = mpmath.exp(-r * t)
            pdf = mpmath.npdf(d1)
            V = D * sign * (F * ncdf(sign * d1) - K * ncdf(sign * d2))
            dV = D * sign * ncdf(sign * d1)
            gV = D * pdf / (F * s)
            vV = D * F * pdf * mpmath.sqrt(t)
            tV = r * V - D * F * pdf * sig / (2 * mpmath.sqrt(t))
            rV = -t * V
            vaV = -D * pdf * d2 / sig
            voV = vV * d1 * d2 / sig
            if not inverse:
                ref = {"price": V, "delta": dV, "gamma": gV, "vega": vV, "theta": tV,
                       "rho": rV, "vanna": vaV, "volga": voV}
            else:  # W = V/F
                ref = {"price": V / F, "delta": dV / F - V / F**2,
                       "gamma": gV / F - 2 * dV / F**2 + 2 * V / F**3,
                       "vega": vV / F, "theta": tV / F, "rho": rV / F,
                       "vanna": vaV / F - vV / F**2, "volga": voV / F}
            for k, v in ref.items():
                rel = abs(got[k] - v) / abs(v)
                worst[0] = max(worst[0], rel)
                if rel > mpf("1e-20"):
                    raise SystemExit(f"self-check failed: {k} sign={sign} inverse={inverse} rel={rel}")
    return worst[0]


# --------------------------------------------------------------------------
# QuantLib oracle
# --------------------------------------------------------------------------
EVAL_DATE = ql.Date(2, ql.January, 2025)


def ql_block(case, qlrep):
    F, K, t, sig, r = (case[k] for k in ("forward", "strike", "t", "vol", "rate"))
    otype = ql.Option.Call if case["kind"] == "call" else ql.Option.Put
    payoff = ql.PlainVanillaPayoff(otype, K)
    if qlrep[0] == "calc":
        b = ql.BlackCalculator(payoff, F, math.sqrt(sig * sig * t), math.exp(-r * t))
        return {"price": b.value(), "delta": b.delta(F), "gamma": b.gamma(F),
                "vega": b.vega(t), "theta": b.theta(F, t),
                "rho": b.rho(t) + b.dividendRho(t)}
    ql.Settings.instance().evaluationDate = EVAL_DATE
    dc = ql.Actual365Fixed() if qlrep[0] == "a365" else ql.Actual360()
    maturity = EVAL_DATE + qlrep[1]
    if dc.yearFraction(EVAL_DATE, maturity) != t:
        raise SystemExit(f"QuantLib cannot represent t={t!r} exactly for {case['id']}")
    spot = ql.QuoteHandle(ql.SimpleQuote(F))
    rts = ql.YieldTermStructureHandle(ql.FlatForward(EVAL_DATE, r, dc))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(EVAL_DATE, r, dc))
    vts = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(EVAL_DATE, ql.NullCalendar(), sig, dc))
    proc = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
    opt = ql.VanillaOption(payoff, ql.EuropeanExercise(maturity))
    opt.setPricingEngine(ql.AnalyticEuropeanEngine(proc))
    return {"price": opt.NPV(), "delta": opt.delta(), "gamma": opt.gamma(),
            "vega": opt.vega(), "theta": opt.theta(),
            "rho": opt.rho() + opt.dividendRho()}


def ql_trust(ql_vals, mp_vals, F):
    """(trusted, {field: (abs dev, tolerance)})"""
    scale = {"price": F, "vega": F, "theta": F, "rho": F, "delta": 1.0, "gamma": 1.0 / F}
    ok, devs = True, {}
    for k in QL_FIELDS:
        m = mp_vals[k]
        dev = abs(Fraction(ql_vals[k]) - Fraction(m))
        tol = max(Fraction(1e-12) * abs(Fraction(m)), Fraction(1e-14) * Fraction(scale[k]))
        devs[k] = (float(dev), float(tol), m)
        ok = ok and dev <= tol
    return ok, devs


# --------------------------------------------------------------------------
# Case grid
# --------------------------------------------------------------------------
def build_cases():
    cases = []

    def add(flabel, fstr, tl, t, qlrep, vol, mny, kind, r, inverse):
        F = float(fstr)
        K = float(Decimal(fstr) * Decimal(mny))
        cid = (f"{kind[0]}_F{flabel}_K{mny}_{tl}_v{vol}_r{'0.05' if r else '0'}_"
               f"{'inv' if inverse else 'lin'}")
        cases.append({"id": cid, "kind": kind, "forward": F, "strike": K, "t": t,
                      "vol": float(vol), "rate": r, "inverse": inverse, "_ql": qlrep})

    for flabel, fstr, r, inverse, tsel in SUBGRIDS:
        for tl, t, qlrep in T_GRID:
            if tsel is not None and tl not in tsel:
                continue
            for vol in VOLS:
                for mny in MONEYNESS:
                    for kind in KINDS:
                        add(flabel, fstr, tl, t, qlrep, vol, mny, kind, r, inverse)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    return cases


def lbr_iv(case, mpv):
    """Return ivCase dict or None."""
    F, K, t, r = case["forward"], case["strike"], case["t"], case["rate"]
    sign = 1 if case["kind"] == "call" else -1
    with mp.workdps(MP_DPS):
        D = mpmath.exp(-mpf(r) * mpf(t))
        P = mpv["price"]
        intr = max(sign * (mpf(F) - mpf(K)), mpf(0))
        upper = mpf(F) if sign > 0 else mpf(K)
        if not (P > mpf("1e-300") and D * intr < P < D * upper):
            return None
        und = to_double(P / D)
        if not (max(sign * (F - K), 0.0) < und < (F if sign > 0 else K)):
            return None
        nvega = mpv["vega"] / (D * mpf(F))
        degenerate = bool(mpf(case["vol"]) * mpv["vega"] / P < mpf("1e-8")
                          or P < mpf("1e-250") * mpf(F))
    try:
        iv = lbr.implied_volatility_from_a_transformed_rational_guess(und, F, K, t, float(sign))
    except Exception as e:  # noqa: BLE001 -- recorded as "not emitted"
        return ("error", repr(e))
    if not math.isfinite(iv) or iv <= 0 or iv > 1e10:
        return ("error", repr(iv))
    return {"id": case["id"], "kind": case["kind"], "forward": F, "strike": K, "t": t,
            "rate": r, "price": to_double(P), "vol": case["vol"], "ivLbr": iv,
            "normalisedVega": to_double(nvega), "vegaDegenerate": degenerate}


def process(idx_case):
    idx, case = idx_case
    mpv = mp_block(case, MP_DPS)
    if idx % CHECK_EVERY == 0:  # high-precision stability check
        hi = mp_block(case, CHECK_DPS)
        with mp.workdps(CHECK_DPS):
            for k, v in mpv.items():
                if v is None:
                    continue
                h = hi[k]
                if max(abs(v), abs(h)) < mpmath.ldexp(1, -1100):
                    continue  # both round to 0.0 (below the double range)
                if abs(v - h) > mpf("1e-30") * abs(h):
                    raise RuntimeError(f"dps instability {case['id']} {k}: {v} vs {h}")
    mp_d = {k: (None if v is None else to_double(v)) for k, v in mpv.items()}
    ql_vals, trusted, devs = None, False, None
    if not case["inverse"] and case["t"] > 0:
        ql_vals = ql_block(case, case["_ql"])
        trusted, devs = ql_trust(ql_vals, mp_d, case["forward"])
    iv = None
    if not case["inverse"] and case["t"] > 0:
        iv = lbr_iv(case, mpv)
    out = {k: case[k] for k in ("id", "kind", "forward", "strike", "t", "vol", "rate", "inverse")}
    out.update({"mp": mp_d, "ql": ql_vals, "qlTrusted": trusted})
    return out, devs, iv


def main():
    self_check()
    cases = build_cases()
    with Pool(os.cpu_count() or 1) as pool:
        results = list(pool.imap(process, enumerate(cases), chunksize=1))

    out_cases, iv_cases, iv_errors = [], [], []
    n_ql = n_trusted = 0
    worst_untrusted = (0.0, None)  # (dev/tol ratio, description)
    worst_rel = {k: (0.0, None) for k in QL_FIELDS}
    for (c, devs, iv) in results:
        out_cases.append(c)
        if devs is not None:
            n_ql += 1
            n_trusted += c["qlTrusted"]
            for k, (dev, tol, m) in devs.items():
                if m != 0 and dev / abs(m) > worst_rel[k][0]:
                    worst_rel[k] = (dev / abs(m), c["id"])
                if not c["qlTrusted"] and dev / tol > worst_untrusted[0]:
                    worst_untrusted = (dev / tol, f"{c['id']} {k} dev={dev:.3g} tol={tol:.3g} mp={m!r}")
        if isinstance(iv, dict):
            iv_cases.append(iv)
        elif iv is not None:
            iv_errors.append((c["id"], iv[1]))

    doc = {
        "generator": "tests/golden/generate_pricing.py",
        "oracles": {"mpmath": mpmath.__version__, "QuantLib": ql.__version__,
                    "lets_be_rational": pkg_version("lets_be_rational")},
        "conventions": CONVENTIONS,
    }
    for c in out_cases + iv_cases:
        for v in list(c.values()) + [x for blk in ("mp", "ql") if isinstance(c.get(blk), dict)
                                     for x in c[blk].values()]:
            if isinstance(v, float) and not math.isfinite(v):
                raise SystemExit(f"non-finite value in {c['id']}")

    def dump(o):
        return json.dumps(o, sort_keys=True, allow_nan=False, separators=(",", ":"))

    doc["cases"] = out_cases
    doc["ivCases"] = iv_cases
    # Top-level keys sorted; one case per line (diff-friendly, still valid JSON).
    text = ("{\n" + ",\n".join(
        f"{json.dumps(k)}:" + (
            "[\n" + ",\n".join(dump(x) for x in doc[k]) + "\n]" if isinstance(doc[k], list)
            else dump(doc[k]))
        for k in sorted(doc)) + "\n}\n")
    parsed = json.loads(text)
    assert parsed == json.loads(dump(doc))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pricing.json")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

    # ---- summary on stderr -------------------------------------------------
    err = sys.stderr
    print(f"cases={len(out_cases)} ql={n_ql} qlTrusted={n_trusted} ivCases={len(iv_cases)} "
          f"ivErrors={len(iv_errors)} bytes={len(text.encode())}", file=err)
    print(f"worst untrusted (dev/tol): {worst_untrusted[0]:.3g} {worst_untrusted[1]}", file=err)
    for k, (v, cid) in worst_rel.items():
        print(f"worst ql rel dev {k}: {v:.3g} {cid}", file=err)
    for label, sel in (("nondegenerate", False), ("degenerate", True)):
        devs = [(abs(c["ivLbr"] - c["vol"]) / c["vol"], c["id"]) for c in iv_cases
                if c["vegaDegenerate"] == sel]
        if devs:
            devs.sort()
            print(f"LBR {label}: n={len(devs)} median rel={devs[len(devs)//2][0]:.3g} "
                  f"max rel={devs[-1][0]:.3g} ({devs[-1][1]})", file=err)
    for e in iv_errors[:10]:
        print("LBR error:", e, file=err)


if __name__ == "__main__":
    main()
