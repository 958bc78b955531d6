//! Elementary and special functions on `libm`, plus the standard normal distribution.

/// 1/√(2π).
pub const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const SQRT_2PI: f64 = 2.506_628_274_631_000_5;

/// The larger of `a` and `b`, with `max(−0, +0) = +0` on every target.
///
/// `f64::max` leaves the sign of a zero result unspecified, and x86_64 and wasm32 differ: a
/// put worth `−1 · (+0)` came out −0 natively and +0 in wasm. (Banned in `clippy.toml`.)
#[inline]
pub fn max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else if b > a {
        b
    } else if a == 0.0 {
        a + b // +0 unless both are −0
    } else {
        a
    }
}

/// The smaller of `a` and `b`, with `min(−0, +0) = −0` on every target (see [`max`]).
#[inline]
pub fn min(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else if b < a {
        b
    } else if a == 0.0 {
        -((-a) + (-b))
    } else {
        a
    }
}

/// eˣ.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// eˣ − 1, accurate near 0.
#[inline]
pub fn exp_m1(x: f64) -> f64 {
    libm::expm1(x)
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// ln(1 + x), accurate near 0.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// xʸ.
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// 10ⁿ, the scale of an amount with n decimals: from a table of the exactly representable
/// powers (n ≤ 22), the bits `pow(10, n)` returns for them (checked by a test), else `pow`.
/// Money is scaled by it on every report (`pow` costs ≈ 300 instructions).
#[inline]
pub fn pow10(n: u8) -> f64 {
    const EXACT: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    match EXACT.get(usize::from(n)) {
        Some(exact) => *exact,
        None => pow(10.0, f64::from(n)),
    }
}

/// Cube root.
#[inline]
pub fn cbrt(x: f64) -> f64 {
    libm::cbrt(x)
}

/// Error function.
#[inline]
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}

/// Complementary error function 1 − erf(x), with full relative accuracy for large x.
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// Standard normal CDF Φ(x) = ½·erfc(−x/√2): full relative accuracy in the lower tail.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal density φ(x).
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * exp(-0.5 * x * x)
}

/// Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1); −∞/+∞ at 0/1 and NaN outside [0, 1]
/// (callers validate p first).
///
/// Acklam's rational approximation (relative error < 1.2e-9) followed by one Halley step on
/// Φ(x) − p evaluated with `erfc`, which brings it to within a few ulp.
pub fn inv_norm_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;

    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        let s = (-2.0 * ln(q)).sqrt();
        (((((C[0] * s + C[1]) * s + C[2]) * s + C[3]) * s + C[4]) * s + C[5])
            / ((((D[0] * s + D[1]) * s + D[2]) * s + D[3]) * s + 1.0)
    };
    let x = if p < P_LOW {
        tail(p)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail(1.0 - p)
    };
    // Halley refinement. In the upper half refine against the upper tail 1 − p = Φ(−x), which
    // erfc evaluates with full relative accuracy.
    let (e, sign) = if p <= 0.5 {
        (norm_cdf(x) - p, 1.0)
    } else {
        (norm_cdf(-x) - (1.0 - p), -1.0)
    };
    let u = sign * e * SQRT_2PI * exp(0.5 * x * x);
    x - u / (1.0 + 0.5 * x * u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow10_is_the_bits_of_pow() {
        for n in 0..=u8::MAX {
            assert_eq!(
                pow10(n).to_bits(),
                pow(10.0, f64::from(n)).to_bits(),
                "10^{n}"
            );
        }
        // The table's last entry, and the first power past it (not exactly representable).
        assert_eq!(pow10(22), 1e22);
        assert_eq!(pow10(23), 1e23);
    }

    #[test]
    fn max_and_min_fix_the_sign_of_zero() {
        assert_eq!(max(-0.0, 0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(max(0.0, -0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(max(-0.0, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(min(-0.0, 0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(min(0.0, 0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(
            (max(1.0, 2.0), min(1.0, 2.0), max(-3.0, -4.0)),
            (2.0, 1.0, -3.0)
        );
    }

    #[test]
    fn normal_cdf_known_values() {
        // Values from Abramowitz & Stegun table 26.1 / standard tables.
        assert_eq!(norm_cdf(0.0), 0.5);
        assert!((norm_cdf(1.96) - 0.975_002_104_851_780).abs() < 1e-15);
        assert!((norm_cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-16);
        // Deep lower tail keeps relative accuracy: Φ(−10) = 7.619853024160526e-24.
        assert!((norm_cdf(-10.0) / 7.619_853_024_160_526e-24 - 1.0).abs() < 1e-14);
        assert!((norm_pdf(0.0) - FRAC_1_SQRT_2PI).abs() < 1e-17);
    }

    #[test]
    fn inverse_normal_round_trips_to_a_few_ulp() {
        let mut worst: f64 = 0.0;
        for i in 1..20_000 {
            let p = f64::from(i) / 20_000.0;
            let x = inv_norm_cdf(p);
            let back = if p <= 0.5 {
                norm_cdf(x)
            } else {
                1.0 - norm_cdf(-x)
            };
            worst = max(worst, ((back - p) / p).abs());
        }
        assert!(worst < 1e-14, "worst relative round-trip error {worst}");
        for p in [1e-300, 1e-100, 1e-20, 1e-10] {
            let x = inv_norm_cdf(p);
            assert!((norm_cdf(x) / p - 1.0).abs() < 1e-13, "p={p} x={x}");
        }
        // Φ⁻¹(0.975) = 1.959963984540054 (standard tables).
        assert!((inv_norm_cdf(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!(inv_norm_cdf(-0.1).is_nan());
        assert_eq!(inv_norm_cdf(0.0), f64::NEG_INFINITY);
    }
}
