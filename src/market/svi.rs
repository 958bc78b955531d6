//! One raw-SVI volatility smile (Gatheral's stochastic-volatility-inspired parameterisation):
//! validation of its five parameters and its total variance with first and second derivatives in
//! log-moneyness.
//!
//! Total implied variance at log-moneyness k = ln(K/F_T):
//! w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)).
//! This module owns the formula and the parameter domain only; it never interpolates across
//! expiries (that is [`super::vol_surface`]) and never judges arbitrage (that is
//! [`super::arbitrage`]). Only IEEE arithmetic and `sqrt` are used, so results are the same bits
//! on every target.

use crate::error::{Error, Result};
use crate::units::{finite, named_on_error};

/// Validated raw-SVI parameters of one expiry.
///
/// Invariants after [`Svi::new`]: every parameter finite, b ≥ 0, |ρ| < 1, σ > 0 and the minimum
/// total variance a + b·σ·√(1 − ρ²) ≥ 0, so w(k) ≥ 0 for every k (up to rounding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Svi {
    /// Vertical level of total variance.
    a: f64,
    /// Slope of the wings (angle between the asymptotes).
    b: f64,
    /// Rotation (skew) in (−1, 1): negative ρ means a put skew.
    rho: f64,
    /// Horizontal translation: the log-moneyness of the smile's centre.
    m: f64,
    /// Curvature at the centre (> 0).
    sigma: f64,
}

impl Svi {
    /// Validates the parameters; errors name `"{prefix}.a"` … `"{prefix}.sigma"` (`prefix` is
    /// called only to name a rejected field: every new market validates its surfaces).
    pub(crate) fn new(
        a: f64,
        b: f64,
        rho: f64,
        m: f64,
        sigma: f64,
        prefix: &dyn Fn() -> String,
    ) -> Result<Self> {
        let field = |name: &str| format!("{}.{name}", prefix());
        let finite_at = |x: f64, name: &str| named_on_error(|f| finite(x, f), || field(name));
        let a = finite_at(a, "a")?;
        let b = finite_at(b, "b")?;
        let rho = finite_at(rho, "rho")?;
        let m = finite_at(m, "m")?;
        let sigma = finite_at(sigma, "sigma")?;
        if b < 0.0 {
            return Err(Error::invalid(
                field("b"),
                format!(
                    "must be ≥ 0 (the wings of total variance cannot slope down), got {}",
                    crate::numfmt::Shortest(b)
                ),
            ));
        }
        if rho.abs() >= 1.0 {
            return Err(Error::invalid(
                field("rho"),
                format!(
                    "must satisfy |rho| < 1, got {}",
                    crate::numfmt::Shortest(rho)
                ),
            ));
        }
        if sigma <= 0.0 {
            return Err(Error::invalid(
                field("sigma"),
                format!("must be > 0, got {}", crate::numfmt::Shortest(sigma)),
            ));
        }
        let minimum = a + b * sigma * (1.0 - rho * rho).sqrt();
        if !minimum.is_finite() || minimum < 0.0 {
            return Err(Error::invalid(
                field("a"),
                format!(
                    "minimum total variance a + b·sigma·√(1 − rho²) = {minimum} must be ≥ 0 \
                     (a negative variance has no implied volatility)",
                    minimum = crate::numfmt::Shortest(minimum),
                ),
            ));
        }
        Ok(Svi {
            a,
            b,
            rho,
            m,
            sigma,
        })
    }

    /// √((k − m)² + σ²), the hyperbola term (> 0 because σ > 0).
    fn root(&self, k: f64) -> f64 {
        let x = k - self.m;
        (x * x + self.sigma * self.sigma).sqrt()
    }

    /// Total implied variance w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)).
    pub(crate) fn total_variance(&self, k: f64) -> f64 {
        self.a + self.b * (self.rho * (k - self.m) + self.root(k))
    }

    /// w′(k) = b·(ρ + (k − m)/√((k − m)² + σ²)).
    pub(crate) fn first_derivative(&self, k: f64) -> f64 {
        self.b * (self.rho + (k - self.m) / self.root(k))
    }

    /// w″(k) = b·σ² / ((k − m)² + σ²)^{3/2}.
    pub(crate) fn second_derivative(&self, k: f64) -> f64 {
        let root = self.root(k);
        self.b * self.sigma * self.sigma / (root * root * root)
    }

    /// The asymptotic slopes of w as k → −∞ and k → +∞: b·(1 − ρ) and b·(1 + ρ). Roger Lee's
    /// moment formula bounds both by 2 for an arbitrage-free smile.
    pub(crate) fn wing_slopes(&self) -> (f64, f64) {
        (self.b * (1.0 - self.rho), self.b * (1.0 + self.rho))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svi(a: f64, b: f64, rho: f64, m: f64, sigma: f64) -> Svi {
        Svi::new(a, b, rho, m, sigma, &|| "s".to_string()).unwrap()
    }

    #[test]
    fn total_variance_matches_hand_computed_values() {
        // a = 0.04, b = 0.4, ρ = −0.4, m = 0, σ = 0.1.
        let s = svi(0.04, 0.4, -0.4, 0.0, 0.1);
        // k = 0: w = 0.04 + 0.4·(0 + √0.01) = 0.04 + 0.4·0.1 = 0.08.
        assert!((s.total_variance(0.0) - 0.08).abs() < 1e-16);
        // k = 0.1: √(0.01 + 0.01) = 0.141421356237309505; ρk = −0.04;
        // w = 0.04 + 0.4·(0.101421356237309505) = 0.0805685424949238.
        assert!((s.total_variance(0.1) - 0.080_568_542_494_923_8).abs() < 1e-15);
        // k = −0.1: ρk = +0.04; w = 0.04 + 0.4·0.181421356237309505 = 0.1125685424949238.
        assert!((s.total_variance(-0.1) - 0.112_568_542_494_923_8).abs() < 1e-15);
        // At k = m the hyperbola term is σ: w(m) = a + b·σ = 0.01 + 0.2·0.3 = 0.07.
        let shifted = svi(0.01, 0.2, 0.5, 0.25, 0.3);
        assert!((shifted.total_variance(0.25) - 0.07).abs() < 1e-16);
    }

    #[test]
    fn derivatives_match_hand_computed_values_and_finite_differences() {
        let s = svi(0.04, 0.4, -0.4, 0.0, 0.1);
        // At k = m: w′ = b·ρ = −0.16, w″ = b·σ²/σ³ = b/σ = 4.
        assert!((s.first_derivative(0.0) + 0.16).abs() < 1e-16);
        assert!((s.second_derivative(0.0) - 4.0).abs() < 1e-14);
        // Elsewhere against central differences of w itself.
        let h = 1e-5;
        for k in [-1.2, -0.3, 0.05, 0.7] {
            let d1 = (s.total_variance(k + h) - s.total_variance(k - h)) / (2.0 * h);
            let d2 = (s.total_variance(k + h) - 2.0 * s.total_variance(k)
                + s.total_variance(k - h))
                / (h * h);
            assert!((s.first_derivative(k) - d1).abs() < 1e-8, "k={k}");
            assert!((s.second_derivative(k) - d2).abs() < 1e-4, "k={k}");
        }
    }

    #[test]
    fn rejects_parameters_outside_the_domain_naming_the_field() {
        let cases = [
            ((f64::NAN, 0.1, 0.0, 0.0, 0.1), "s.a"),
            ((0.04, -0.1, 0.0, 0.0, 0.1), "s.b"),
            ((0.04, 0.1, 1.0, 0.0, 0.1), "s.rho"),
            ((0.04, 0.1, -1.5, 0.0, 0.1), "s.rho"),
            ((0.04, 0.1, 0.0, f64::INFINITY, 0.1), "s.m"),
            ((0.04, 0.1, 0.0, 0.0, 0.0), "s.sigma"),
            // a + b·σ·√(1 − ρ²) = −0.05 + 0.1·0.1·1 = −0.04 < 0.
            ((-0.05, 0.1, 0.0, 0.0, 0.1), "s.a"),
        ];
        for ((a, b, rho, m, sigma), field) in cases {
            let err = Svi::new(a, b, rho, m, sigma, &|| "s".to_string()).unwrap_err();
            assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", field));
        }
        // Negative a is fine while the minimum stays ≥ 0: −0.01 + 0.4·0.1·√(1 − 0.16) ≈ 0.0267.
        assert!(Svi::new(-0.01, 0.4, -0.4, 0.0, 0.1, &|| "s".to_string()).is_ok());
    }
}
