//! Black-76 price and Greeks, with the BSM (spot + carry) and inverse (coin) fronts.

use crate::math::{exp, ln, max, norm_cdf_pair, norm_pdf};
use crate::units::{Price, Rate, Vol, YearFrac};
use serde::{Deserialize, Serialize};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

impl OptionKind {
    /// +1 for a call, −1 for a put.
    #[inline]
    pub fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }

    /// The kind a `±1` code names (1 call, −1 put: the batch functions' kind column and the
    /// binding's scalar `price`/`impliedVol`), or `None`.
    pub fn from_code(code: i8) -> Option<OptionKind> {
        match code {
            1 => Some(OptionKind::Call),
            -1 => Some(OptionKind::Put),
            _ => None,
        }
    }
}

/// Validated Black-76 inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlackInputs {
    pub kind: OptionKind,
    pub forward: Price,
    pub strike: Price,
    /// Time to expiry in years; 0 means at expiry (intrinsic value).
    pub t: YearFrac,
    pub vol: Vol,
    /// Continuously-compounded discount rate.
    pub rate: Rate,
}

/// Value and sensitivities of one option, in raw math units.
///
/// For a linear option the value is in quote currency per unit of underlying and delta/gamma are
/// w.r.t. the forward. For an inverse option every field is the derivative of the coin value
/// `V / F` (see [`Greeks::to_inverse`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Greeks {
    pub price: f64,
    /// ∂V/∂F.
    pub delta: f64,
    /// ∂²V/∂F².
    pub gamma: f64,
    /// ∂V/∂σ per 1.00 (100 vol points).
    pub vega: f64,
    /// −∂V/∂T: value change per year of calendar time passing (F, σ, r fixed).
    pub theta: f64,
    /// ∂V/∂r with the forward fixed.
    pub rho: f64,
    /// ∂²V/∂F∂σ.
    pub vanna: f64,
    /// ∂²V/∂σ².
    pub volga: f64,
}

impl Greeks {
    /// Vega per one vol point (σ + 0.01).
    pub fn vega_per_point(&self) -> f64 {
        self.vega / 100.0
    }

    /// Theta per calendar day (1/365 year).
    pub fn theta_per_day(&self) -> f64 {
        self.theta / 365.0
    }

    /// The Greeks of the coin-denominated value W = V/F given those of V at forward `f`.
    ///
    /// W' = (V' − W)/F, W'' = (V'' − 2W')/F, ∂W/∂σ = vega/F, ∂²W/∂F∂σ = (vanna − vega/F)/F.
    pub fn to_inverse(&self, f: f64) -> Greeks {
        let price = self.price / f;
        let delta = (self.delta - price) / f;
        Greeks {
            price,
            delta,
            gamma: (self.gamma - 2.0 * delta) / f,
            vega: self.vega / f,
            theta: self.theta / f,
            rho: self.rho / f,
            vanna: (self.vanna - self.vega / f) / f,
            volga: self.volga / f,
        }
    }
}

/// Black-76 value and Greeks of a European option on a forward, discounted at `rate`.
///
/// V = D·θ·(F·Φ(θd₁) − K·Φ(θd₂)), D = e^(−rT), d₁ = (ln(F/K) + σ²T/2)/(σ√T), d₂ = d₁ − σ√T.
///
/// At T = 0 the value is the intrinsic value; delta is θ in the money, 0 out of the money and θ/2
/// exactly at the money (the limit of the ATM delta as T → 0); gamma, vega, theta, rho, vanna and
/// volga are 0 (the ATM gamma and theta diverge as T → 0; they are reported as 0, not ∞).
pub fn black76(inputs: &BlackInputs) -> Greeks {
    black76_discounted(inputs, exp(-inputs.rate.get() * inputs.t.get()))
}

/// [`black76`] with its discount factor D = e^(−rT) given: `discount` must be `exp(-r * t)` of
/// the inputs' rate and time, as [`black76`] computes it (a caller valuing many options of one
/// expiry computes it once; unused at T = 0). Out of line in the `.wasm`: one copy of the
/// pricer for both callers.
#[cfg_attr(target_arch = "wasm32", inline(never))]
pub(crate) fn black76_discounted(inputs: &BlackInputs, discount: f64) -> Greeks {
    black76_core::<false>(inputs, discount).0
}

/// What [`black76`] computes on its way for T > 0 that the portfolio grid's kernel
/// ([`black76_call_put_from_total_vol`]) computes too on the same inputs: ln(F/K), and the
/// call's and put's values (intrinsic + the one time value both share, discounted). The same
/// bits: d₁, d₂ by the same operations; the out-of-the-money side is the kernel's but at F = K,
/// where a put takes −(F·Φ(−d₁) − K·Φ(−d₂)) = F·Φ(d₁) − F·Φ(d₂) exactly, the kernel's value
/// (d₂ = −d₁ exactly there).
#[derive(Debug, Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct BlackParts {
    pub log_forward_over_strike: f64,
    pub call_put: (f64, f64),
}

/// [`black76_discounted`] and, for T > 0, its [`BlackParts`] (read natively only: in the
/// `.wasm` they would cost bytes its size budget does not have). Always inlined natively: its
/// one caller (an option's valuation) reads the value and four Greeks, so the others (ρ, vanna,
/// volga, two of them divisions) are never computed there.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn black76_with_parts(
    inputs: &BlackInputs,
    discount: f64,
) -> (Greeks, Option<BlackParts>) {
    black76_core::<true>(inputs, discount)
}

/// [`black76_discounted`], and its parts if `PARTS` (so that `black76` itself computes none).
/// Always inlined natively, so that a caller's unread Greeks are not computed.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
#[cfg_attr(target_arch = "wasm32", inline)]
fn black76_core<const PARTS: bool>(
    inputs: &BlackInputs,
    discount: f64,
) -> (Greeks, Option<BlackParts>) {
    let theta_sign = inputs.kind.sign();
    let (f, k, t, sigma, r) = (
        inputs.forward.get(),
        inputs.strike.get(),
        inputs.t.get(),
        inputs.vol.get(),
        inputs.rate.get(),
    );
    if t == 0.0 {
        let intrinsic = max(theta_sign * (f - k), 0.0);
        let delta = if f == k {
            0.5 * theta_sign
        } else if intrinsic > 0.0 {
            theta_sign
        } else {
            0.0
        };
        let greeks = Greeks {
            price: intrinsic,
            delta,
            ..Greeks::default()
        };
        return (greeks, None);
    }
    let PriceCore {
        sqrt_t,
        total_vol,
        d1,
        d2,
        otm_sign,
        n_d1,
        price,
        log_forward_over_strike,
        time_value,
    } = price_core(theta_sign, f, k, t, sigma, discount);
    let parts = PARTS.then(|| BlackParts {
        log_forward_over_strike,
        call_put: call_put_from_time_value(f, k, time_value, discount),
    });
    let pdf = norm_pdf(d1);
    // Φ(θd₁) for delta: the out-of-the-money side's Φ, or its complement when in the money.
    let n_theta_d1 = if otm_sign == theta_sign {
        n_d1
    } else {
        1.0 - n_d1
    };
    let vega = discount * f * pdf * sqrt_t;
    let greeks = Greeks {
        price,
        delta: discount * theta_sign * n_theta_d1,
        gamma: discount * pdf / (f * total_vol),
        vega,
        theta: r * price - discount * f * pdf * sigma / (2.0 * sqrt_t),
        rho: -t * price,
        vanna: -discount * pdf * d2 / sigma,
        volga: vega * d1 * d2 / sigma,
    };
    (greeks, parts)
}

/// The parts of the Black-76 value that the Greeks reuse.
struct PriceCore {
    sqrt_t: f64,
    total_vol: f64,
    d1: f64,
    d2: f64,
    /// +1 if the out-of-the-money side is the call, −1 if the put.
    otm_sign: f64,
    /// Φ(otm_sign·d₁).
    n_d1: f64,
    price: f64,
    /// ln(F/K).
    log_forward_over_strike: f64,
    /// The out-of-the-money side's undiscounted value (≥ 0).
    time_value: f64,
}

/// The Black-76 value for t > 0 given the discount factor D = e^(−rT): the one implementation
/// that [`black76`] and [`black76_price`] share, so both give the same bits.
#[inline]
fn price_core(theta_sign: f64, f: f64, k: f64, t: f64, sigma: f64, discount: f64) -> PriceCore {
    let sqrt_t = t.sqrt();
    let total_vol = sigma * sqrt_t;
    let log_forward_over_strike = ln(f / k);
    let d1 = log_forward_over_strike / total_vol + 0.5 * total_vol;
    let d2 = d1 - total_vol;
    // Value = intrinsic + the time value of the out-of-the-money option of the same strike (by
    // put–call parity the time values of call and put are equal). Computing the out-of-the-money
    // side directly is accurate to a few ulp of the time value, and fl(D·(intrinsic + tv)) is
    // never below fl(D·intrinsic), the lower bound `implied_vol` checks.
    let intrinsic = max(theta_sign * (f - k), 0.0);
    let otm_sign = if intrinsic > 0.0 {
        -theta_sign
    } else {
        theta_sign
    };
    let (n_d1, n_d2) = norm_cdf_pair(otm_sign * d1, otm_sign * d2);
    // Each term is ≥ 0; rounding can leave a negative residue of a few ulp of F·Φ.
    let time_value = max(otm_sign * (f * n_d1 - k * n_d2), 0.0);
    PriceCore {
        sqrt_t,
        total_vol,
        d1,
        d2,
        otm_sign,
        n_d1,
        price: discount * (intrinsic + time_value),
        log_forward_over_strike,
        time_value,
    }
}

/// The Black-76 value alone, bit for bit [`black76`]`(..).price`, for repeated revaluation (the
/// portfolio grid's leg-by-leg rows, which must equal `value_position`): `discount` must be e^(−rT) as [`black76`] computes it, `exp(-r * t)`,
/// so a caller that revalues at fixed r and T computes it once. Skips the Greeks (no density,
/// one `ln` and two `erfc`). Inputs must be what [`BlackInputs`] would accept: f, k > 0 finite,
/// t ≥ 0 finite, σ in (0, 10].
pub(crate) fn black76_price(
    kind: OptionKind,
    f: f64,
    k: f64,
    t: f64,
    sigma: f64,
    discount: f64,
) -> f64 {
    let theta_sign = kind.sign();
    if t == 0.0 {
        return max(theta_sign * (f - k), 0.0);
    }
    price_core(theta_sign, f, k, t, sigma, discount).price
}

/// [`black76_call_put_from_total_vol`] with σ and √T apart (the tests' form).
#[cfg(test)]
pub(crate) fn black76_call_put_from_log(
    f: f64,
    k: f64,
    log_forward_over_strike: f64,
    sqrt_t: f64,
    sigma: f64,
    discount: f64,
) -> (f64, f64) {
    black76_call_put_from_total_vol(f, k, log_forward_over_strike, sigma * sqrt_t, discount)
}

/// The call and the put value of one strike for repeated revaluation on a grid of forwards and
/// vols (the portfolio scenario grid), from precomputed parts: `log_forward_over_strike` =
/// ln(F/K) (the grid passes ln(F₀/K) + ln(1 + move), two terms computed once per node and once
/// per move, so this needs no `ln`), `total_vol` = σ·√T (formed once per node and vol class),
/// `discount` = e^(−rT). Two `erfc`, no Greeks. Inlined natively: the grid's inner loop.
///
/// Not bit-equal to [`black76_price`] (ln(F₀/K) + ln(1 + m) rounds differently from
/// ln(fl(F₀·(1 + m))/K), a few ulp of d₁); the out-of-the-money side's time value is computed
/// directly (no put–call parity), so deep out-of-the-money values keep their relative accuracy.
/// Inputs: f, k > 0 finite, σ in (0, 10], √T > 0.
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub(crate) fn black76_call_put_from_total_vol(
    f: f64,
    k: f64,
    log_forward_over_strike: f64,
    total_vol: f64,
    discount: f64,
) -> (f64, f64) {
    let d1 = log_forward_over_strike / total_vol + 0.5 * total_vol;
    let d2 = d1 - total_vol;
    // Out-of-the-money side: the call when F ≤ K, else the put; both share its time value.
    let otm_sign = if f > k { -1.0 } else { 1.0 };
    let (n_d1, n_d2) = norm_cdf_pair(otm_sign * d1, otm_sign * d2);
    let time_value = max(otm_sign * (f * n_d1 - k * n_d2), 0.0);
    call_put_from_time_value(f, k, time_value, discount)
}

/// A strike's call and put values from the time value they share: D·((F − K)⁺ + time value)
/// and D·((K − F)⁺ + time value). The grid's kernel and [`black76`]'s parts both take them
/// from here, so that their bits agree.
#[inline(always)]
fn call_put_from_time_value(f: f64, k: f64, time_value: f64, discount: f64) -> (f64, f64) {
    (
        discount * (max(f - k, 0.0) + time_value),
        discount * (max(k - f, 0.0) + time_value),
    )
}

/// Greeks of the Black-Scholes-Merton front: delta and gamma w.r.t. spot.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotGreeks {
    pub price: f64,
    /// ∂V/∂S.
    pub delta: f64,
    /// ∂²V/∂S².
    pub gamma: f64,
    /// ∂V/∂σ.
    pub vega: f64,
    /// −∂V/∂T with spot, rate and carry fixed.
    pub theta: f64,
    /// ∂V/∂r with spot and the dividend/foreign yield q = r − b fixed (the forward moves).
    pub rho: f64,
    /// ∂²V/∂S∂σ.
    pub vanna: f64,
    /// ∂²V/∂σ².
    pub volga: f64,
}

/// Black-Scholes-Merton on spot `s` with cost of carry `carry` (b = r − q): the Black-76 value of
/// the forward F = S·e^(bT), with the Greeks mapped to spot by the chain rule.
pub fn bsm(
    kind: OptionKind,
    spot: Price,
    strike: Price,
    t: YearFrac,
    vol: Vol,
    rate: Rate,
    carry: f64,
) -> crate::error::Result<SpotGreeks> {
    if !carry.is_finite() || carry.abs() > 1.0 {
        return Err(crate::error::Error::invalid(
            "carry",
            format!(
                "must be a finite decimal rate with |b| ≤ 1, got {}",
                crate::numfmt::Shortest(carry)
            ),
        ));
    }
    let growth = exp(carry * t.get());
    let forward = Price::new(spot.get() * growth, "forward")?;
    let g = black76(&BlackInputs {
        kind,
        forward,
        strike,
        t,
        vol,
        rate,
    });
    let f = forward.get();
    Ok(SpotGreeks {
        price: g.price,
        delta: g.delta * growth,
        gamma: g.gamma * growth * growth,
        vega: g.vega,
        // −∂V/∂T|S = −∂V/∂T|F − ∂V/∂F·∂F/∂T = θ₇₆ − Δ_F·F·b.
        theta: g.theta - g.delta * f * carry,
        // ∂V/∂r|S,q = ∂V/∂r|F + ∂V/∂F·∂F/∂r = ρ₇₆ + Δ_F·F·T.
        rho: g.rho + g.delta * f * t.get(),
        vanna: g.vanna * growth,
        volga: g.volga,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_only_path_gives_the_same_bits_as_black76() {
        // A property, not a reference value: the scenario grid's price-only path must agree with
        // the full pricer to the bit, at the money (F = K), deep in and out of the money, at T = 0.
        for kind in [OptionKind::Call, OptionKind::Put] {
            for f in [50.0, 99.999, 100.0, 100.001, 250.0, 98_765.432_1] {
                for k in [1.0, 100.0, 101.5, 1e5] {
                    for t in [0.0, 1e-9, 0.01, 0.5, 3.0] {
                        for v in [0.01, 0.6, 2.5, 10.0] {
                            for r in [-0.02, 0.0, 0.05] {
                                let full = black76(&inputs(kind, f, k, t, v, r)).price;
                                let discount = crate::math::exp(-r * t);
                                let fast = black76_price(kind, f, k, t, v, discount);
                                assert_eq!(
                                    fast.to_bits(),
                                    full.to_bits(),
                                    "{kind:?} {f} {k} {t} {v} {r}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn parts_are_the_grid_kernels_values_now() {
        // A property: the portfolio grid takes a node's values now from `black76_with_parts`
        // instead of its kernel, so they must agree to the bit wherever the parts offer them
        // (T > 0), at the money too, for both kinds of the valued option; ln(F/K) likewise.
        let mut rng = crate::parity::SplitMix64::new(7);
        let mut offered = 0;
        for i in 0..20_000 {
            let f = 100_000.0 * (0.3 + 2.0 * rng.next_f64());
            // Every tenth case at the money, where the put's out-of-the-money side differs.
            let k = if i % 10 == 0 {
                f
            } else {
                100_000.0 * (0.3 + 2.0 * rng.next_f64())
            };
            let t = [0.0, 1e-6, 0.02, 0.7, 4.0][i % 5];
            let v = 0.01 + 3.0 * rng.next_f64();
            let r = 0.1 * rng.next_f64() - 0.03;
            for kind in [OptionKind::Call, OptionKind::Put] {
                let discount = crate::math::exp(-r * t);
                let (greeks, parts) = black76_with_parts(&inputs(kind, f, k, t, v, r), discount);
                assert_eq!(
                    greeks.price.to_bits(),
                    black76(&inputs(kind, f, k, t, v, r)).price.to_bits()
                );
                let Some(parts) = parts else {
                    assert_eq!(t, 0.0, "{kind:?} {f} {k} {t} {v} {r}");
                    continue;
                };
                let log = ln(f / k);
                assert_eq!(parts.log_forward_over_strike.to_bits(), log.to_bits());
                let kernel = black76_call_put_from_total_vol(f, k, log, v * t.sqrt(), discount);
                let (call, put) = parts.call_put;
                offered += 1;
                assert_eq!(
                    (call.to_bits(), put.to_bits()),
                    (kernel.0.to_bits(), kernel.1.to_bits()),
                    "{kind:?} {f} {k} {t} {v} {r}"
                );
                let own = if kind == OptionKind::Call { call } else { put };
                assert_eq!(own.to_bits(), greeks.price.to_bits());
            }
        }
        assert_eq!(offered, 32_000);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // std abs/max only build the tolerance
    fn grid_kernel_matches_mpmath_golden_prices() {
        // Reference: tests/golden/pricing.json (mpmath at 60 digits, generator
        // tests/golden/generate_pricing.py), every linear case with T > 0, at the golden suite's
        // tolerance: 1e-12 relative or 1e-14·F absolute. ln(F/K) is passed split as the grid
        // splits it, ln(F₀/K) + ln(1 + m) with F₀ = F/(1 + m), for moves 0, ±16 %, −50 %, +100 %.
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/pricing.json"
        ))
        .unwrap();
        let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = golden["cases"].as_array().unwrap();
        let (mut checked, mut failures) = (0, Vec::new());
        for case in cases {
            let num = |key: &str| case[key].as_f64().unwrap();
            let (f, k, t, v, r) = (
                num("forward"),
                num("strike"),
                num("t"),
                num("vol"),
                num("rate"),
            );
            let Some(expected) = case["mp"]["price"].as_f64() else {
                continue;
            };
            if case["inverse"].as_bool().unwrap() || t == 0.0 {
                continue;
            }
            let call = case["kind"].as_str().unwrap() == "call";
            for growth in [1.0, 0.84, 1.16, 0.5, 2.0] {
                let log = ln((f / growth) / k) + ln(growth);
                let (c, p) = black76_call_put_from_log(f, k, log, t.sqrt(), v, exp(-r * t));
                let ours = if call { c } else { p };
                let tolerance = (1e-12 * expected.abs()).max(1e-14 * f);
                checked += 1;
                if (ours - expected).abs() > tolerance || !ours.is_finite() {
                    failures.push(format!(
                        "{} m={growth}: {ours:e} vs {expected:e}",
                        case["id"]
                    ));
                }
            }
        }
        assert!(checked > 5000, "only {checked} cases");
        assert!(
            failures.is_empty(),
            "{}: {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
        );
    }

    fn inputs(kind: OptionKind, f: f64, k: f64, t: f64, v: f64, r: f64) -> BlackInputs {
        BlackInputs {
            kind,
            forward: Price::new(f, "forward").unwrap(),
            strike: Price::new(k, "strike").unwrap(),
            t: YearFrac::new(t, "t").unwrap(),
            vol: Vol::new(v, "vol").unwrap(),
            rate: Rate::new(r, "rate").unwrap(),
        }
    }

    #[test]
    fn hull_example_black76() {
        // Hull, Options Futures and Other Derivatives (8th ed.), Example 18.6: European put on
        // crude oil futures, F = 20, K = 20, r = 9 %, T = 4/12, σ = 25 % → 1.12.
        let g = black76(&inputs(OptionKind::Put, 20.0, 20.0, 4.0 / 12.0, 0.25, 0.09));
        assert!((g.price - 1.12).abs() < 0.005, "{}", g.price);
    }

    #[test]
    fn intrinsic_at_expiry() {
        let g = black76(&inputs(OptionKind::Call, 110.0, 100.0, 0.0, 0.5, 0.05));
        assert_eq!(g.price, 10.0);
        assert_eq!(g.delta, 1.0);
        let g = black76(&inputs(OptionKind::Put, 100.0, 100.0, 0.0, 0.5, 0.05));
        assert_eq!((g.price, g.delta, g.gamma), (0.0, -0.5, 0.0));
    }

    #[test]
    fn bsm_front_matches_textbook() {
        // Hull Example 15.6: S = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5 → c = 4.76, p = 0.81.
        let s = Price::new(42.0, "s").unwrap();
        let k = Price::new(40.0, "k").unwrap();
        let t = YearFrac::new(0.5, "t").unwrap();
        let v = Vol::new(0.2, "v").unwrap();
        let r = Rate::new(0.1, "r").unwrap();
        let c = bsm(OptionKind::Call, s, k, t, v, r, 0.1).unwrap();
        let p = bsm(OptionKind::Put, s, k, t, v, r, 0.1).unwrap();
        assert!((c.price - 4.76).abs() < 0.005 && (p.price - 0.81).abs() < 0.005);
        // Hull: call delta N(d1) = 0.7791.
        assert!((c.delta - 0.7791).abs() < 5e-5, "{}", c.delta);
    }
}
