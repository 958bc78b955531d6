//! Root finding: Brent's method on a bracket, and a bracket search by scanning.
//!
//! Used by implied volatility fallbacks, liquidation prices and maximum order sizes. Returns a
//! coded error (never a NaN) when there is no sign change or the budget runs out.

use crate::error::{ErrorKind, Result};

/// Tolerances and budget for [`brent`].
#[derive(Debug, Clone, Copy)]
pub struct BrentOptions {
    /// Absolute tolerance on x.
    pub x_abs_tol: f64,
    /// Relative tolerance on x.
    pub x_rel_tol: f64,
    /// Maximum function evaluations.
    pub max_iter: u32,
}

impl Default for BrentOptions {
    fn default() -> Self {
        BrentOptions {
            x_abs_tol: 0.0,
            x_rel_tol: 4.0 * f64::EPSILON,
            max_iter: 200,
        }
    }
}

/// Finds x in [a, b] with f(x) = 0 by Brent's method (inverse quadratic interpolation, secant and
/// bisection). `f(a)` and `f(b)` must have opposite signs (or one be zero). `field` names the
/// quantity in errors.
pub fn brent<F>(mut f: F, a: f64, b: f64, opts: BrentOptions, field: &str) -> Result<f64>
where
    F: FnMut(f64) -> f64,
{
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if !(fa.is_finite() && fb.is_finite() && a.is_finite() && b.is_finite()) {
        return Err(ErrorKind::NoConvergence {
            field: field.into(),
            reason: "bracket end points or function values are not finite".into(),
        }
        .into());
    }
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    if (fa > 0.0) == (fb > 0.0) {
        return Err(ErrorKind::NoConvergence {
            field: field.into(),
            reason: format!(
                "no sign change on [{}, {}]",
                crate::numfmt::Shortest(a),
                crate::numfmt::Shortest(b)
            ),
        }
        .into());
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..opts.max_iter {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * opts.x_rel_tol * b.abs() + 0.5 * opts.x_abs_tol;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0));
                q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < super::min(3.0 * m * q - (tol * q).abs(), (e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
        if !fb.is_finite() {
            return Err(ErrorKind::NoConvergence {
                field: field.into(),
                reason: format!("function is not finite at {}", crate::numfmt::Shortest(b)),
            }
            .into());
        }
    }
    Err(ErrorKind::NoConvergence {
        field: field.into(),
        reason: format!("Brent did not converge in {} iterations", opts.max_iter),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_to_machine_precision() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0, BrentOptions::default(), "x").unwrap();
        assert!((r - std::f64::consts::SQRT_2).abs() <= 4.0 * f64::EPSILON);
        let r = brent(
            |x| crate::math::exp(x) - 10.0,
            -5.0,
            5.0,
            BrentOptions::default(),
            "x",
        )
        .unwrap();
        assert!((r - std::f64::consts::LN_10).abs() <= 8.0 * f64::EPSILON);
    }

    #[test]
    fn reports_missing_sign_change_as_a_coded_error() {
        let err = brent(|x| x * x + 1.0, -1.0, 1.0, BrentOptions::default(), "liq").unwrap_err();
        assert_eq!(err.code(), "E_NO_CONVERGENCE");
        assert_eq!(err.field(), "liq");
        let err = brent(|_| f64::NAN, -1.0, 1.0, BrentOptions::default(), "liq").unwrap_err();
        assert_eq!(err.code(), "E_NO_CONVERGENCE");
    }
}
