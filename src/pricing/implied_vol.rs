//! Implied volatility from a Black-76 price, to machine precision, on the deterministic numerics.
//!
//! The method follows Jäckel's "Let's Be Rational" (2015) in its structure, implemented here on
//! [`crate::math`] so that it keeps the native = wasm bit-parity promise (the `implied-vol` crate
//! calls `std`'s `exp`/`ln`, which differ between targets):
//!
//! 1. Normalise: x = ln(F/K), β = V / (D·√(FK)), s = σ√T; the normalised Black function is
//!    b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2) (a call; puts by symmetry).
//! 2. Reduce to an out-of-the-money call with x ≤ 0 (subtract the intrinsic value, put–call
//!    symmetry), where 0 < β < b_max = e^{x/2} is the no-arbitrage range.
//! 3. Split at the inflection point s_c = √(2|x|) and solve in a transformed objective that is
//!    nearly linear in its region — 1/ln b below s_c (prices that are exponentially small),
//!    ln(b_max − b) above it (prices close to the upper bound, computed without cancellation) —
//!    with third-order Householder steps, safeguarded by a bracket so it always converges.
//!
//! At-the-money (x = 0) has the closed form s = −2·Φ⁻¹((1 − β)/2), then one polishing step.

use super::black::OptionKind;
use crate::error::{Error, ErrorKind, Result};
use crate::math::{exp, inv_norm_cdf, ln, max, norm_cdf, norm_cdf_pair, norm_pdf, FRAC_1_SQRT_2PI};

/// Iterations of the last solve (diagnostics for benchmarks; not part of the API).
#[doc(hidden)]
pub static LAST_ITERATIONS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Most Householder iterations before giving up (typically 2–6 are used).
const MAX_ITERATIONS: u32 = 60;

/// The implied Black-76 volatility of a discounted option price.
///
/// `price` is the discounted value in quote currency (D·undiscounted, D = e^{−rT}); the result is
/// the σ (decimal, annualised) that [`super::black76`] maps back to `price`. A price equal to the
/// discounted intrinsic value gives 0. Errors: `E_INVALID_INPUT` (non-finite or non-positive
/// inputs, t = 0), `E_NO_ARBITRAGE_BOUND` (price below intrinsic or at/above the upper bound:
/// D·F for a call, D·K for a put).
pub fn implied_vol(
    kind: OptionKind,
    price: f64,
    forward: f64,
    strike: f64,
    t: f64,
    rate: f64,
) -> Result<f64> {
    for (value, field) in [
        (price, "price"),
        (forward, "forward"),
        (strike, "strike"),
        (t, "t"),
    ] {
        if !value.is_finite() {
            return Err(Error::invalid(
                field,
                format!(
                    "must be a finite number, got {}",
                    crate::numfmt::Shortest(value)
                ),
            ));
        }
    }
    if !rate.is_finite() || rate.abs() > 1.0 {
        return Err(Error::invalid(
            "rate",
            format!(
                "must be a decimal rate with |r| ≤ 1, got {}",
                crate::numfmt::Shortest(rate)
            ),
        ));
    }
    // The same domains as pricing: prices in [Price::MIN, Price::MAX], t ≤ YearFrac::MAX.
    crate::units::Price::new(forward, "forward")?;
    crate::units::Price::new(strike, "strike")?;
    crate::units::YearFrac::new(t, "t")?;
    if t <= 0.0 {
        return Err(Error::invalid(
            "t",
            format!(
                "must be > 0 years for an implied volatility, got {}",
                crate::numfmt::Shortest(t)
            ),
        ));
    }
    let discount = exp(-rate * t);
    let theta = kind.sign();
    let intrinsic = discount * crate::math::max(theta * (forward - strike), 0.0);
    let upper = discount * if theta > 0.0 { forward } else { strike };
    if !(price >= intrinsic && price < upper) {
        return Err(ErrorKind::NoArbitrageBound {
            field: "price".into(),
            price,
            lower: intrinsic,
            upper,
        }
        .into());
    }
    // In–out duality: an in-the-money option is its intrinsic value plus the out-of-the-money
    // option of the other kind; put–call symmetry b(x, s, put) = b(−x, s, call) then leaves an
    // out-of-the-money call with x ≤ 0 in every case. The intrinsic value is subtracted in price
    // space, where F − K and price/D − (F − K) are (nearly) exact; in normalised space the
    // rounding of e^{±x/2} would cost ~1e-10 of the time value of a short-dated ITM option.
    let time_value = price / discount - crate::math::max(theta * (forward - strike), 0.0);
    let beta = time_value / (forward * strike).sqrt();
    let x = -ln(forward / strike).abs();
    let s = normalised_otm_total_vol(beta, x)?;
    Ok(s / t.sqrt())
}

/// Solves b(x, s) = β for the total volatility s = σ√T ≥ 0 of an out-of-the-money call (x ≤ 0).
pub(crate) fn normalised_otm_total_vol(beta: f64, x: f64) -> Result<f64> {
    if beta <= 0.0 {
        // At (or, by rounding of the subtraction, numerically at) intrinsic value: σ = 0.
        return Ok(0.0);
    }
    let curve = Normalised::new(x);
    let b_max = curve.exp_half_x;
    if beta >= b_max {
        return Err(ErrorKind::NoArbitrageBound {
            field: "price".into(),
            price: beta,
            lower: 0.0,
            upper: b_max,
        }
        .into());
    }
    if x == 0.0 {
        let s = -2.0 * inv_norm_cdf(0.5 * (1.0 - beta));
        return solve(&curve, beta, s, Objective::Plain);
    }
    let s_c = (-2.0 * x).sqrt();
    let (b_c, vega_c) = curve.value_and_vega(s_c);
    if beta < b_c {
        let guess = lower_guess(beta, x, s_c, b_c, vega_c);
        solve(&curve, beta, guess, Objective::InverseLog)
    } else {
        // b_max − b ≈ 2·cosh(x/2)·Φ(−s/2) for s ≫ |x| (exact at x = 0).
        let gap = (b_max - beta) / (b_max + curve.exp_minus_half_x);
        let guess = crate::math::max(s_c, -2.0 * inv_norm_cdf(gap));
        solve(&curve, beta, guess, Objective::UpperLog)
    }
}

/// Initial guess below the inflection point s_c.
///
/// Near s_c, where b″ = 0 and b‴ = −b′, the cubic b ≈ b_c + b′_c·(δ − δ³/6), δ = s − s_c, is
/// inverted by Newton steps (arithmetic only); it is accurate to ~1e-3 for β ≥ b_c/10. Lower
/// prices use the small-s asymptote ([`asymptotic_lower_guess`]).
fn lower_guess(beta: f64, x: f64, s_c: f64, b_c: f64, vega_c: f64) -> f64 {
    if beta >= 0.1 * b_c {
        let r = (beta - b_c) / vega_c;
        let mut d = r;
        for _ in 0..6 {
            let slope = 1.0 - 0.5 * d * d;
            if slope <= 0.05 {
                return asymptotic_lower_guess(beta, x, s_c);
            }
            d -= (d - d * d * d / 6.0 - r) / slope;
        }
        let s = s_c + d;
        if s > 0.0 && s < s_c {
            return s;
        }
    }
    asymptotic_lower_guess(beta, x, s_c)
}

/// Small-s asymptote b ≈ s³/x²·φ(x/s)·e^{−s²/8} solved for s by three fixed-point steps on
/// x²/(2s²) = ln(s³/x²) − ln√(2π) − s²/8 − ln β.
fn asymptotic_lower_guess(beta: f64, x: f64, s_c: f64) -> f64 {
    const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
    let ln_beta = ln(beta);
    let ln_x2 = ln(x * x);
    let mut s = -x / (-2.0 * ln_beta).sqrt();
    for _ in 0..3 {
        let rhs = 3.0 * ln(s) - ln_x2 - LN_SQRT_2PI - 0.125 * s * s - ln_beta;
        if rhs.is_nan() || rhs <= 0.0 {
            break;
        }
        s = -x / (2.0 * rhs).sqrt();
    }
    if s > 0.0 && s < s_c {
        s
    } else {
        0.5 * s_c
    }
}

#[derive(Clone, Copy)]
enum Objective {
    /// f = b − β.
    Plain,
    /// f = 1/ln β − 1/ln b (increasing in s; near-linear where b is exponentially small).
    InverseLog,
    /// f = ln(b_max − β) − ln(b_max − b) (increasing in s; resolves b close to b_max).
    UpperLog,
}

/// Householder(3) iterations on an increasing objective, safeguarded by a bracket [lo, hi].
fn solve(curve: &Normalised, beta: f64, guess: f64, objective: Objective) -> Result<f64> {
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let mut s = guess;
    let target = match objective {
        Objective::Plain => beta,
        Objective::InverseLog => 1.0 / ln(beta),
        Objective::UpperLog => ln(curve.exp_half_x - beta),
    };
    for iteration in 0..MAX_ITERATIONS {
        LAST_ITERATIONS.store(iteration, std::sync::atomic::Ordering::Relaxed);
        let (f, d1, d2, d3) = curve.objective(s, objective, target);
        if f == 0.0 {
            return Ok(s);
        }
        if f < 0.0 {
            lo = s;
        } else {
            hi = s;
        }
        let mut next = f64::NAN;
        if f.is_finite() && d1 > 0.0 && d1.is_finite() {
            let nu = -f / d1;
            let h2 = d2 / d1;
            let h3 = d3 / d1;
            let step = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
            next = s + if step.is_finite() { step } else { nu };
            // Cubic convergence: a step this small leaves an error far below one ulp.
            if (next - s).abs() <= 1e-6 * s && next > lo && next < hi {
                return Ok(next);
            }
        }
        // Outside the bracket (or no usable step): bisect, geometrically once both ends are > 0.
        if !(next > lo && next < hi) {
            next = match (lo > 0.0, hi.is_finite()) {
                (true, true) => (lo * hi).sqrt(),
                (false, true) => 0.5 * hi,
                _ => 2.0 * s + 1.0,
            };
        }
        if (next - s).abs() <= 2.0 * f64::EPSILON * next || hi - lo <= 4.0 * f64::EPSILON * next {
            return Ok(next);
        }
        s = next;
    }
    Err(ErrorKind::NoConvergence {
        field: "price".into(),
        reason: format!("implied volatility did not converge in {MAX_ITERATIONS} iterations"),
    }
    .into())
}

/// The normalised Black call b(x, ·) for one log-moneyness x ≤ 0, with e^{±x/2} computed once.
struct Normalised {
    x: f64,
    exp_half_x: f64,
    exp_minus_half_x: f64,
}

/// Half total volatility below which [`Normalised::value_and_vega`] uses the Taylor series
/// (where also |h| > 8t: nearer the money the direct formula loses < 8 ulps and the series
/// converges slowly).
const SMALL_T: f64 = 0.25;

impl Normalised {
    fn new(x: f64) -> Self {
        Normalised {
            x,
            exp_half_x: exp(0.5 * x),
            exp_minus_half_x: exp(-0.5 * x),
        }
    }

    /// b(x, s) and the normalised vega b′(s) = e^{−(h² + t²)/2}/√(2π), h = x/s, t = s/2.
    ///
    /// For small t the direct formula e^{x/2}Φ(h+t) − e^{−x/2}Φ(h−t) subtracts two nearly equal
    /// numbers and loses ~|h|/t ulps. Writing b = φ(h)e^{−t²/2}·(Y(h+t) − Y(h−t)) with Y = Φ/φ,
    /// its odd Taylor series in t, b = 2e^{−t²/2}·Σ_{k odd} t^k/k!·Z_k(h) with Z_k = φ(h)·Y^{(k)}(h),
    /// Z₀ = Φ(h), Z₁ = φ(h) + hΦ(h), Z_k = (k−1)Z_{k−2} + h·Z_{k−1}, does not.
    #[inline]
    fn value_and_vega(&self, s: f64) -> (f64, f64) {
        let h = self.x / s;
        let t = 0.5 * s;
        if t <= SMALL_T && h.abs() > 8.0 * t {
            let pdf = norm_pdf(h);
            let cdf = norm_cdf(h);
            let damping = exp(-0.5 * t * t);
            let b = 2.0 * damping * odd_series(h, t, cdf, pdf);
            (max(b, 0.0), pdf * damping)
        } else {
            let (upper, lower) = norm_cdf_pair(h + t, h - t);
            let b = self.exp_half_x * upper - self.exp_minus_half_x * lower;
            (max(b, 0.0), FRAC_1_SQRT_2PI * exp(-0.5 * (h * h + t * t)))
        }
    }

    /// b_max − b(x, s) = e^{x/2}·Φ(−h−t) + e^{−x/2}·Φ(h−t) (a sum of positive terms: no
    /// cancellation near the upper bound), and b′(s).
    #[inline]
    fn gap_to_max_and_vega(&self, s: f64) -> (f64, f64) {
        let h = self.x / s;
        let t = 0.5 * s;
        let (above, below) = norm_cdf_pair(-h - t, h - t);
        let gap = self.exp_half_x * above + self.exp_minus_half_x * below;
        (gap, FRAC_1_SQRT_2PI * exp(-0.5 * (h * h + t * t)))
    }

    /// Objective f(s) − target (increasing in s) and its first three derivatives in s.
    fn objective(&self, s: f64, objective: Objective, target: f64) -> (f64, f64, f64, f64) {
        if s <= 0.0 {
            return (f64::NEG_INFINITY, 0.0, 0.0, 0.0);
        }
        // b″/b′ and b‴/b′ in closed form.
        let x2 = self.x * self.x;
        let s2 = s * s;
        let r2 = x2 / (s2 * s) - 0.25 * s;
        let r3 = r2 * r2 - 3.0 * x2 / (s2 * s2) - 0.25;
        match objective {
            Objective::Plain => {
                let (b, vega) = self.value_and_vega(s);
                (b - target, vega, vega * r2, vega * r3)
            }
            Objective::InverseLog => {
                // f = −1/ln b − (−1/ln β).
                let (b, vega) = self.value_and_vega(s);
                if b <= 0.0 {
                    return (f64::NEG_INFINITY, f64::INFINITY, 0.0, 0.0);
                }
                let inv_l = 1.0 / ln(b);
                let l1 = vega / b;
                let (q2, q3) = (l1 * r2, l1 * r3);
                let l2 = q2 - l1 * l1;
                let l3 = q3 - 3.0 * q2 * l1 + 2.0 * l1 * l1 * l1;
                // d/ds(−1/L) = L′/L², then (L′/L²)′ = L″/L² − 2L′²/L³, and once more.
                let w = inv_l * inv_l;
                (
                    target - inv_l,
                    l1 * w,
                    (l2 - 2.0 * l1 * l1 * inv_l) * w,
                    (l3 - 6.0 * l1 * l2 * inv_l + 6.0 * l1 * l1 * l1 * w) * w,
                )
            }
            Objective::UpperLog => {
                // f = ln(b_max − β) − ln(b_max − b).
                let (u, vega) = self.gap_to_max_and_vega(s);
                if u <= 0.0 {
                    return (f64::INFINITY, f64::INFINITY, 0.0, 0.0);
                }
                let p1 = vega / u;
                let (p2, p3) = (p1 * r2, p1 * r3);
                (
                    target - ln(u),
                    p1,
                    p2 + p1 * p1,
                    p3 + 3.0 * p2 * p1 + 2.0 * p1 * p1 * p1,
                )
            }
        }
    }
}

/// Σ_{k odd} t^k/k!·Z_k(h) (see [`Normalised::value_and_vega`]).
#[inline]
fn odd_series(h: f64, t: f64, cdf: f64, pdf: f64) -> f64 {
    let (mut z_prev, mut z) = (cdf, pdf + h * cdf);
    let t2 = t * t;
    let mut coefficient = t; // t^k / k!
    let mut sum = coefficient * z;
    let mut k = 1.0;
    for _ in 0..40 {
        let z_next = k * z_prev + h * z;
        let z_next2 = (k + 1.0) * z + h * z_next;
        coefficient *= t2 / ((k + 1.0) * (k + 2.0));
        k += 2.0;
        z_prev = z_next;
        z = z_next2;
        let term = coefficient * z;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    sum
}
