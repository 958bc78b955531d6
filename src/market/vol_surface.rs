//! The implied-volatility surface of one underlying: its interchange shape, validation against the
//! valuation time, and the volatility of any strike and time to expiry, including under a move of
//! the underlying (sticky-strike or sticky-moneyness).
//!
//! A surface is a list of expiry slices, each a smile in log-moneyness k = ln(K/F_T): raw SVI
//! ([`super::svi`]) or a grid of mark IVs ([`super::grid`]). Across expiries the total variance
//! w = σ²·T is interpolated linearly in T at constant k; before the first and after the last
//! expiry the implied volatility of that slice is held constant. This module never reads the clock
//! (the valuation time `now_ms` is an input), never accepts an expired slice as live, and never
//! returns a NaN, infinite or non-positive volatility: it returns a coded [`Error`] instead.
//! Arbitrage is diagnosed, not rejected ([`super::arbitrage`]).

use super::arbitrage::{self, SurfaceWarning};
use super::grid::GridSmile;
use super::svi::Svi;
use crate::error::{Error, ErrorKind, Result};
use crate::math::ln;
use crate::units::{Price, Vol, YearFrac};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// One expiry of a [`VolSurfaceSpec`], tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum VolSliceSpec {
    /// Raw SVI total variance w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)), k = ln(K/F_T),
    /// where T is the year fraction from the valuation time to `expiry`.
    Svi {
        /// Expiry, milliseconds since the Unix epoch.
        expiry: i64,
        /// Level of total variance (may be negative if a + b·σ·√(1 − ρ²) ≥ 0).
        a: f64,
        /// Wing slope, ≥ 0.
        b: f64,
        /// Skew rotation, |ρ| < 1.
        rho: f64,
        /// Log-moneyness of the smile's centre.
        m: f64,
        /// Curvature at the centre, > 0.
        sigma: f64,
    },
    /// Mark implied volatilities at strikes, as marked against `forward`. Linear in total variance
    /// against log-moneyness between strikes; flat in implied volatility beyond the first and the
    /// last strike.
    Grid {
        /// Expiry, milliseconds since the Unix epoch.
        expiry: i64,
        /// The forward for this expiry the marks were taken against (quote currency).
        forward: f64,
        /// Strikes, strictly increasing (quote currency); at least one.
        strikes: Vec<f64>,
        /// Implied volatility at each strike, decimals in (0, 10] (0.8 = 80 %).
        ivs: Vec<f64>,
    },
}

impl VolSliceSpec {
    /// The slice's expiry (ms since the Unix epoch).
    pub fn expiry(&self) -> i64 {
        match self {
            VolSliceSpec::Svi { expiry, .. } | VolSliceSpec::Grid { expiry, .. } => *expiry,
        }
    }
}

/// The interchange shape of a volatility surface: its slices in strictly increasing expiry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolSurfaceSpec {
    /// Expiry slices, strictly increasing in `expiry`, at least one, none expired.
    pub slices: Vec<VolSliceSpec>,
}

/// How the surface moves when the underlying's forward moves from a reference F₀ to a shocked F₁.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum StickyRule {
    /// Sticky-strike: each strike keeps its volatility. The smile is read at k = ln(K/F₀), as if
    /// the underlying had not moved.
    Strike,
    /// Sticky-moneyness: each log-moneyness keeps its volatility, so the smile travels with the
    /// underlying. The smile is read at k = ln(K/F₁).
    Moneyness,
}

/// The smile of one slice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Smile {
    Svi(Svi),
    Grid(GridSmile),
}

/// One validated expiry slice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slice {
    /// Expiry, ms since the Unix epoch.
    pub(crate) expiry_ms: i64,
    /// Year fraction from the valuation time to the expiry (> 0).
    pub(crate) t: f64,
    pub(crate) smile: Smile,
}

impl Slice {
    /// Total variance w(k) of this slice (SVI: its formula; grid: σ²(k)·T).
    pub(crate) fn total_variance(&self, k: f64) -> f64 {
        match &self.smile {
            Smile::Svi(svi) => svi.total_variance(k),
            Smile::Grid(grid) => grid.implied_variance(k) * self.t,
        }
    }

    /// Annualised implied variance σ²(k) of this slice (SVI: w(k)/T; grid: its nodes' σ²).
    pub(crate) fn implied_variance(&self, k: f64) -> f64 {
        match &self.smile {
            Smile::Svi(svi) => svi.total_variance(k) / self.t,
            Smile::Grid(grid) => grid.implied_variance(k),
        }
    }
}

/// Total and annualised implied variance at one point, each computed in its native form so that a
/// slice's own values come back exactly at its expiry.
struct Variance {
    total: f64,
    implied: f64,
}

/// A validated volatility surface, valued at a fixed time. Immutable; cheap to query.
#[derive(Debug, Clone)]
pub struct VolSurface {
    now_ms: i64,
    /// Never empty; strictly increasing in expiry (and so in `t`).
    slices: Vec<Slice>,
    /// [`VolSurface::arbitrage_warnings`], computed on first use (every margin report asks for
    /// them; the surface never changes).
    warnings: OnceLock<Vec<SurfaceWarning>>,
}

impl PartialEq for VolSurface {
    /// The same surface: time and slices (the warnings follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.now_ms == other.now_ms && self.slices == other.slices
    }
}

impl VolSurface {
    /// Validates `spec` at valuation time `now_ms` (ms since the Unix epoch).
    ///
    /// Errors (`E_INVALID_INPUT` unless noted), each naming its field: no slices (`slices`);
    /// expiry not strictly after the previous one or not after `now_ms` — an expired slice is never
    /// treated as live (`slices[i].expiry`); SVI parameters non-finite or outside b ≥ 0,
    /// |ρ| < 1, σ > 0, a + b·σ·√(1 − ρ²) ≥ 0 (`slices[i].b`, …); grid forward or strikes not
    /// positive, strikes not strictly increasing, `ivs` of another length (`slices[i].strikes[j]`,
    /// …); a grid IV outside (0, 10] (`E_INVALID_VOL`, `slices[i].ivs[j]`).
    pub fn new(spec: &VolSurfaceSpec, now_ms: i64) -> Result<VolSurface> {
        if spec.slices.is_empty() {
            return Err(Error::invalid("slices", "needs at least one expiry slice"));
        }
        let mut slices: Vec<Slice> = Vec::with_capacity(spec.slices.len());
        for (i, slice_spec) in spec.slices.iter().enumerate() {
            // Field paths are only formatted when something is rejected.
            let prefix = || format!("slices[{i}]");
            let expiry_field = || format!("slices[{i}].expiry");
            let expiry_ms = slice_spec.expiry();
            if let Some(previous) = slices.last() {
                if expiry_ms <= previous.expiry_ms {
                    return Err(Error::invalid(
                        expiry_field(),
                        format!(
                            "expiries must be strictly increasing: {expiry_ms} follows {}",
                            previous.expiry_ms
                        ),
                    ));
                }
            }
            if expiry_ms <= now_ms {
                return Err(Error::invalid(
                    expiry_field(),
                    format!(
                        "expired slice: expiry {expiry_ms} is not after the valuation time \
                         {now_ms} (an expired option is never priced as live)"
                    ),
                ));
            }
            let t = year_fraction(now_ms, expiry_ms, expiry_field)?;
            let smile = match slice_spec {
                VolSliceSpec::Svi {
                    a,
                    b,
                    rho,
                    m,
                    sigma,
                    ..
                } => Smile::Svi(Svi::new(*a, *b, *rho, *m, *sigma, &prefix)?),
                VolSliceSpec::Grid {
                    forward,
                    strikes,
                    ivs,
                    ..
                } => Smile::Grid(GridSmile::new(*forward, strikes, ivs, &prefix)?),
            };
            slices.push(Slice {
                expiry_ms,
                t,
                smile,
            });
        }
        Ok(VolSurface {
            now_ms,
            slices,
            warnings: OnceLock::new(),
        })
    }

    /// The valuation time the surface was built for (ms since the Unix epoch).
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Each slice's expiry (ms since the Unix epoch) and year fraction from the valuation time,
    /// (expiry − now) / (365 × 86 400 000), in increasing expiry.
    pub fn expiries(&self) -> Vec<(i64, f64)> {
        self.slices.iter().map(|s| (s.expiry_ms, s.t)).collect()
    }

    /// Total implied variance w(k, T) = σ²·T at log-moneyness `k` = ln(K/F_T) and `t_years` > 0.
    ///
    /// Within a slice by the slice's rule; between two expiries T₁ < T < T₂ linear in T at constant
    /// k: w₁(k) + (T − T₁)/(T₂ − T₁)·(w₂(k) − w₁(k)); before the first expiry at the first slice's
    /// implied volatility (w₁(k)·T/T₁), after the last at the last slice's.
    /// Errors: `E_INVALID_INPUT` for a non-finite `k` (`logMoneyness`) or a `t_years` that is not
    /// finite and positive (`t`); `E_INVALID_VOL` (`slices`) if the surface gives a negative or
    /// non-finite variance there.
    pub fn total_variance(&self, k: f64, t_years: f64) -> Result<f64> {
        let t = time_to_expiry(t_years)?;
        if !k.is_finite() {
            return Err(Error::invalid(
                "logMoneyness",
                format!(
                    "must be a finite number, got {}",
                    crate::numfmt::Shortest(k)
                ),
            ));
        }
        let variance = self.variance(k, t);
        if variance.total.is_finite() && variance.total >= 0.0 {
            Ok(variance.total)
        } else {
            Err(ErrorKind::InvalidVol {
                field: "slices".to_string(),
                reason: format!(
                    "the surface gives total variance {} at log-moneyness {k}, t {t} years",
                    crate::numfmt::Shortest(variance.total),
                    k = crate::numfmt::Shortest(k),
                    t = crate::numfmt::Shortest(t),
                ),
            }
            .into())
        }
    }

    /// Implied volatility of `strike` for an expiry `t_years` > 0 away whose forward is `forward`:
    /// the surface read at k = ln(strike/forward) (see [`VolSurface::total_variance`]).
    ///
    /// At a slice's expiry this is that slice's volatility exactly (a grid node returns its mark).
    /// Errors: `E_INVALID_INPUT` naming `strike`, `forward` or `t`; `E_INVALID_VOL` (`slices`) if
    /// the surface gives no volatility in (0, 10] at that point (e.g. zero variance at the bottom
    /// of an SVI smile whose minimum is 0).
    pub fn vol(&self, strike: f64, forward: f64, t_years: f64) -> Result<Vol> {
        self.vol_at(strike, forward, "forward", t_years)
    }

    /// Implied volatility of `strike` after the forward moves from `reference_forward` (F₀, the
    /// forward the surface describes) to `shocked_forward` (F₁), under `rule`:
    /// - [`StickyRule::Strike`]: the strike keeps its volatility, read at k = ln(K/F₀);
    /// - [`StickyRule::Moneyness`]: the moneyness keeps its volatility, read at k = ln(K/F₁).
    ///
    /// With a put skew (volatility falling with k) a rally raises the sticky-moneyness volatility
    /// of a fixed strike above the sticky-strike one; on a flat smile both agree. Errors as
    /// [`VolSurface::vol`], naming `referenceForward` or `shockedForward`; both forwards are
    /// validated whatever the rule.
    pub fn vol_shocked(
        &self,
        strike: f64,
        reference_forward: f64,
        shocked_forward: f64,
        t_years: f64,
        rule: StickyRule,
    ) -> Result<Vol> {
        let reference = Price::new(reference_forward, "referenceForward")?.get();
        let shocked = Price::new(shocked_forward, "shockedForward")?.get();
        match rule {
            StickyRule::Strike => self.vol_at(strike, reference, "referenceForward", t_years),
            StickyRule::Moneyness => self.vol_at(strike, shocked, "shockedForward", t_years),
        }
    }

    /// Static-arbitrage diagnostics: at most one butterfly and one calendar warning per slice, at
    /// its worst point (see [`super::arbitrage`]). Never an error: a marked surface with a small
    /// arbitrage is still the market's surface.
    pub fn arbitrage_warnings(&self) -> &[SurfaceWarning] {
        self.warnings
            .get_or_init(|| arbitrage::warnings(&self.slices))
    }

    fn vol_at(&self, strike: f64, forward: f64, forward_field: &str, t_years: f64) -> Result<Vol> {
        let strike = Price::new(strike, "strike")?.get();
        let forward = Price::new(forward, forward_field)?.get();
        let t = time_to_expiry(t_years)?;
        let k = ln(strike / forward);
        if !k.is_finite() {
            return Err(Error::invalid(
                "strike",
                format!(
                    "log-moneyness ln(strike/forward) is not finite for forward {}",
                    crate::numfmt::Shortest(forward)
                ),
            ));
        }
        let implied = self.variance(k, t).implied;
        // A variance that is not finite and positive has a NaN, infinite or zero root, which
        // `Vol::new` rejects too: one check for both.
        Vol::new(implied.sqrt(), "slices").map_err(|_| variance_out_of_range(implied, k, t))
    }

    /// Total and implied variance at (k, t), t > 0. Extrapolation holds implied variance
    /// constant; interpolation is linear in total variance.
    fn variance(&self, k: f64, t: f64) -> Variance {
        let at_slice = |slice: &Slice| Variance {
            total: slice.total_variance(k),
            implied: slice.implied_variance(k),
        };
        let constant_vol = |slice: &Slice| {
            let implied = slice.implied_variance(k);
            Variance {
                total: implied * t,
                implied,
            }
        };
        let mut previous: Option<&Slice> = None;
        for slice in &self.slices {
            if t == slice.t {
                return at_slice(slice);
            }
            if t < slice.t {
                return match previous {
                    None => constant_vol(slice),
                    Some(before) => {
                        let w1 = before.total_variance(k);
                        let w2 = slice.total_variance(k);
                        let total = w1 + (t - before.t) / (slice.t - before.t) * (w2 - w1);
                        Variance {
                            total,
                            implied: total / t,
                        }
                    }
                };
            }
            previous = Some(slice);
        }
        match previous {
            Some(last) => constant_vol(last),
            // Unreachable: `new` requires at least one slice. Non-finite, so callers error.
            None => Variance {
                total: f64::NAN,
                implied: f64::NAN,
            },
        }
    }
}

/// Year fraction (expiry − now) / (365 × 86 400 000), > 0 for a live expiry.
fn year_fraction(now_ms: i64, expiry_ms: i64, field: impl FnOnce() -> String) -> Result<f64> {
    let millis = expiry_ms.checked_sub(now_ms).ok_or_else(|| {
        Error::invalid(
            field(),
            format!("time from {now_ms} to {expiry_ms} ms overflows"),
        )
    })?;
    // Exact for any span below 2⁵³ ms (285 000 years).
    Ok(millis as f64 / YearFrac::MS_PER_YEAR)
}

/// The error of [`VolSurface::vol_at`] for an implied variance at (k, t) with no volatility in
/// (0, [`Vol::MAX`]]. Out of line: the values are passed, not kept for it.
#[cold]
#[inline(never)]
fn variance_out_of_range(implied: f64, k: f64, t: f64) -> Error {
    ErrorKind::InvalidVol {
        field: "slices".to_string(),
        reason: format!(
            "the surface gives implied variance {implied} at log-moneyness {k}, t {t} years: \
             no volatility in (0, {}]",
            crate::numfmt::Shortest(Vol::MAX),
            implied = crate::numfmt::Shortest(implied),
            k = crate::numfmt::Shortest(k),
            t = crate::numfmt::Shortest(t),
        ),
    }
    .into()
}

/// A query's time to expiry: finite and > 0 (an expired option is never priced as live).
fn time_to_expiry(t_years: f64) -> Result<f64> {
    let t = YearFrac::new(t_years, "t")?.get();
    if t > 0.0 {
        Ok(t)
    } else {
        Err(Error::invalid(
            "t",
            "must be > 0 years: the surface gives no volatility at or after expiry",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;
    const DAY: i64 = 86_400_000;

    fn svi(expiry: i64, a: f64, b: f64, rho: f64, m: f64, sigma: f64) -> VolSliceSpec {
        VolSliceSpec::Svi {
            expiry,
            a,
            b,
            rho,
            m,
            sigma,
        }
    }

    fn surface(slices: Vec<VolSliceSpec>) -> Result<VolSurface> {
        VolSurface::new(&VolSurfaceSpec { slices }, NOW)
    }

    #[test]
    fn year_fraction_is_ms_over_a_365_day_year() {
        let s = surface(vec![svi(NOW + 73 * DAY, 0.01, 0.0, 0.0, 0.0, 0.1)]).unwrap();
        // 73 days = 0.2 years exactly in a 365-day year.
        assert_eq!(s.expiries(), vec![(NOW + 73 * DAY, 0.2)]);
    }

    #[test]
    fn vol_before_between_and_after_slices() {
        // Flat smiles (b = 0): w₁ = 0.01 at T₁ = 0.1 (σ = √0.1), w₂ = 0.05 at T₂ = 0.5 (σ = √0.1).
        let s = surface(vec![
            svi(NOW + 73 * DAY / 2, 0.01, 0.0, 0.0, 0.0, 0.1),
            svi(NOW + 365 * DAY / 2, 0.05, 0.0, 0.0, 0.0, 0.1),
        ])
        .unwrap();
        // Between: T = 0.3 → w = 0.01 + (0.2/0.4)·0.04 = 0.03.
        assert!((s.total_variance(0.4, 0.3).unwrap() - 0.03).abs() < 1e-16);
        // Before the first expiry the vol of the first slice: w = 0.1·0.05 = 0.005.
        assert!((s.total_variance(0.0, 0.05).unwrap() - 0.005).abs() < 1e-16);
        // After the last: w = 0.1·2 = 0.2.
        assert!((s.total_variance(-0.2, 2.0).unwrap() - 0.2).abs() < 1e-15);
        let vol = s.vol(90.0, 100.0, 0.3).unwrap().get();
        assert!((vol - 0.1f64.sqrt()).abs() < 1e-15, "{vol}");
    }

    #[test]
    fn queries_validate_their_arguments() {
        let s = surface(vec![svi(NOW + DAY, 0.01, 0.0, 0.0, 0.0, 0.1)]).unwrap();
        let field = |r: Result<Vol>| r.unwrap_err().field().to_string();
        assert_eq!(field(s.vol(0.0, 1.0, 0.1)), "strike");
        assert_eq!(field(s.vol(1.0, f64::NAN, 0.1)), "forward");
        assert_eq!(field(s.vol(1.0, 1.0, 0.0)), "t");
        assert_eq!(field(s.vol(1.0, 1.0, -1.0)), "t");
        assert_eq!(field(s.vol(1.0, 1.0, f64::INFINITY)), "t");
        assert_eq!(
            field(s.vol_shocked(1.0, 1.0, -1.0, 0.1, StickyRule::Strike)),
            "shockedForward"
        );
        assert_eq!(
            field(s.vol_shocked(1.0, 0.0, 1.0, 0.1, StickyRule::Moneyness)),
            "referenceForward"
        );
        assert_eq!(
            s.total_variance(f64::NAN, 0.1).unwrap_err().field(),
            "logMoneyness"
        );
    }

    #[test]
    fn zero_variance_is_an_error_not_a_zero_vol() {
        // Minimum total variance a + b·σ·√(1 − ρ²) = −0.25 + 0.5·0.5·1 = 0 (exactly) at k = m = 0.
        let s = surface(vec![svi(NOW + DAY, -0.25, 0.5, 0.0, 0.0, 0.5)]).unwrap();
        let err = s.vol(1.0, 1.0, 0.5).unwrap_err();
        assert_eq!((err.code(), err.field()), ("E_INVALID_VOL", "slices"));
        // A huge total variance gives a vol above 10: an error, not a silent value.
        let s = surface(vec![svi(NOW + DAY, 200.0, 0.0, 0.0, 0.0, 0.1)]).unwrap();
        assert_eq!(s.vol(1.0, 1.0, 1.0).unwrap_err().code(), "E_INVALID_VOL");
    }
}
