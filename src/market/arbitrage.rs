//! Static-arbitrage diagnostics of a volatility surface, reported as warnings, never as errors.
//!
//! A marked surface with a small arbitrage is still the market's surface, so the engine prices
//! with it and tells the user. Two kinds, each reported at most once per slice, at its worst
//! point, so the output stays bounded:
//!
//! - **Butterfly** (`W_BUTTERFLY_ARBITRAGE`, a negative risk-neutral density within one expiry).
//!   SVI slices: Gatheral's (Durrleman's) condition
//!   g(k) = (1 − k·w′/(2w))² − (w′²/4)·(1/w + 1/4) + w″/2 ≥ 0 with the analytic w′, w″, on the
//!   fixed grid k = −1.5, −1.45, …, 1.5, and w > 0 there; if the grid is clean, the wings are
//!   checked against Roger Lee's bound (asymptotic slope b·(1 ± ρ) ≤ 2, beyond which g < 0 for
//!   large |k|) and reported at the grid's end on that side. Grid slices are piecewise linear in
//!   w, so w″ does not exist at the nodes: instead the undiscounted call price normalised by the
//!   forward, c(k) = Φ(d₁) − e^k·Φ(d₂), must be convex in strike x = K/F at every node (through
//!   the point x = 0, c = 1) and non-increasing after the last node (c → 0 as x → ∞). The excess
//!   over the chord is measured in units of the forward; the flat-vol wings beyond the nodes are
//!   not checked.
//! - **Calendar** (`W_CALENDAR_ARBITRAGE`, negative forward variance between two expiries): for
//!   consecutive slices, w(k, T₂) ≥ w(k, T₁) on the same k grid and at every grid-slice node of
//!   either slice (which, for two grid slices, covers every kink). Reported on the later slice.
//!
//! This module only reads validated slices; it never changes a value and never fails.

use super::vol_surface::{Slice, Smile};
use crate::math::{exp, norm_cdf};
use crate::numfmt::{Fixed, Sci};
use serde::{Deserialize, Serialize};

/// The kind of a [`SurfaceWarning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum SurfaceWarningCode {
    /// Negative risk-neutral density within one expiry (a butterfly spread with negative price).
    #[serde(rename = "W_BUTTERFLY_ARBITRAGE")]
    ButterflyArbitrage,
    /// Total variance decreasing between consecutive expiries (a calendar spread with negative
    /// price).
    #[serde(rename = "W_CALENDAR_ARBITRAGE")]
    CalendarArbitrage,
}

impl SurfaceWarningCode {
    /// The stable code: `"W_BUTTERFLY_ARBITRAGE"` or `"W_CALENDAR_ARBITRAGE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SurfaceWarningCode::ButterflyArbitrage => "W_BUTTERFLY_ARBITRAGE",
            SurfaceWarningCode::CalendarArbitrage => "W_CALENDAR_ARBITRAGE",
        }
    }
}

/// One arbitrage diagnostic: the slice and the worst log-moneyness of its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurfaceWarning {
    /// `"W_BUTTERFLY_ARBITRAGE"` or `"W_CALENDAR_ARBITRAGE"`.
    pub code: SurfaceWarningCode,
    /// Expiry of the slice concerned (the later one for a calendar warning), ms since the epoch.
    pub expiry: i64,
    /// The worst log-moneyness k = ln(K/F) found.
    pub log_moneyness: f64,
    /// Human-readable explanation with the measured violation.
    pub detail: String,
}

/// Below this g(k) counts as a negative density (g is dimensionless, O(1) on sane smiles).
const DENSITY_TOLERANCE: f64 = 1e-12;
/// Above this excess over the chord (in units of the forward) a grid smile counts as non-convex;
/// well above the rounding of normalised call prices (≈ 1e-16).
const CONVEXITY_TOLERANCE: f64 = 1e-12;
/// Roger Lee's bound on the asymptotic slope of total variance in |k|.
const LEE_MAX_WING_SLOPE: f64 = 2.0;

/// The fixed log-moneyness grid of the checks: −1.5 to 1.5 in steps of 0.05 (61 points, exact
/// multiples so every target uses the same points).
fn check_grid() -> impl Iterator<Item = f64> {
    (-30i32..=30).map(|i| f64::from(i) * 0.05)
}

/// All warnings of a surface, in expiry order (per slice: butterfly, then calendar against the
/// previous slice).
pub(crate) fn warnings(slices: &[Slice]) -> Vec<SurfaceWarning> {
    let mut out = Vec::new();
    let mut previous: Option<&Slice> = None;
    for slice in slices {
        let butterfly = match &slice.smile {
            Smile::Svi(_) => svi_butterfly(slice),
            Smile::Grid(_) => grid_butterfly(slice),
        };
        out.extend(butterfly);
        if let Some(earlier) = previous {
            out.extend(calendar(earlier, slice));
        }
        previous = Some(slice);
    }
    out
}

fn warning(code: SurfaceWarningCode, slice: &Slice, k: f64, detail: String) -> SurfaceWarning {
    SurfaceWarning {
        code,
        expiry: slice.expiry_ms,
        log_moneyness: k,
        detail,
    }
}

/// Gatheral's density function g(k) from w and its first two derivatives (w > 0).
pub(crate) fn density_condition(k: f64, w: f64, w1: f64, w2: f64) -> f64 {
    let first = 1.0 - k * w1 / (2.0 * w);
    first * first - (w1 * w1 / 4.0) * (1.0 / w + 0.25) + w2 / 2.0
}

fn svi_butterfly(slice: &Slice) -> Option<SurfaceWarning> {
    let Smile::Svi(svi) = &slice.smile else {
        return None;
    };
    // (k, g) of the worst point; a non-positive w counts as worst of all.
    let mut worst: Option<(f64, f64, f64)> = None;
    for k in check_grid() {
        let w = svi.total_variance(k);
        let g = if w > 0.0 {
            density_condition(k, w, svi.first_derivative(k), svi.second_derivative(k))
        } else {
            f64::NEG_INFINITY
        };
        if worst.is_none_or(|(_, worst_g, _)| g < worst_g) {
            worst = Some((k, g, w));
        }
    }
    if let Some((k, g, w)) = worst {
        if w <= 0.0 || w.is_nan() {
            return Some(warning(
                SurfaceWarningCode::ButterflyArbitrage,
                slice,
                k,
                format!(
                    "total variance {} ≤ 0 at k = {}: no density exists there",
                    Sci(w, None),
                    Fixed(k, 2)
                ),
            ));
        }
        if g < -DENSITY_TOLERANCE {
            return Some(warning(
                SurfaceWarningCode::ButterflyArbitrage,
                slice,
                k,
                format!(
                    "density condition g(k) = {} < 0 at k = {}: negative risk-neutral \
                     density (a butterfly spread with negative price)",
                    Fixed(g, 6),
                    Fixed(k, 2)
                ),
            ));
        }
    }
    let (left, right) = svi.wing_slopes();
    let (k, slope, side) = if right >= left {
        (1.5, right, "b·(1 + rho)")
    } else {
        (-1.5, left, "b·(1 − rho)")
    };
    (slope > LEE_MAX_WING_SLOPE).then(|| {
        warning(
            SurfaceWarningCode::ButterflyArbitrage,
            slice,
            k,
            format!(
                "wing slope {side} = {} > 2 (Roger Lee's moment bound): negative \
                 density for large |k| beyond the checked range",
                Fixed(slope, 6)
            ),
        )
    })
}

/// Undiscounted call price normalised by the forward, c = Φ(d₁) − e^k·Φ(d₂), for total variance
/// w > 0 at log-moneyness k.
fn normalised_call(k: f64, w: f64) -> f64 {
    let root = w.sqrt();
    let d1 = -k / root + 0.5 * root;
    norm_cdf(d1) - exp(k) * norm_cdf(d1 - root)
}

fn grid_butterfly(slice: &Slice) -> Option<SurfaceWarning> {
    let Smile::Grid(grid) = &slice.smile else {
        return None;
    };
    // (x = K/F, c, k) at each node, preceded by the zero strike where c = 1.
    let points: Vec<(f64, f64, f64)> = grid
        .nodes()
        .iter()
        .map(|node| {
            let k = node.log_moneyness;
            (exp(k), normalised_call(k, node.variance * slice.t), k)
        })
        .collect();
    // (k, excess, c, the left neighbour's c, whether a right neighbour exists) of the worst
    // node: its message is only written if it becomes a warning.
    let mut worst: Option<(f64, f64, f64, f64, bool)> = None;
    let mut left = (0.0, 1.0);
    for (j, &(x, c, k)) in points.iter().enumerate() {
        let (excess, inner) = match points.get(j + 1) {
            Some(&(x_right, c_right, _)) => {
                let weight = (x_right - x) / (x_right - left.0);
                (c - (weight * left.1 + (1.0 - weight) * c_right), true)
            }
            None => (c - left.1, false),
        };
        if worst.is_none_or(|(_, e, ..)| excess > e) {
            worst = Some((k, excess, c, left.1, inner));
        }
        left = (x, c);
    }
    let (k, excess, c, c_left, inner) = worst?;
    let detail = || {
        if inner {
            format!(
                "normalised call price {} at k = {} lies {} above the \
                 chord of its neighbours: not convex in strike (a butterfly spread \
                 with negative price)",
                Sci(c, Some(6)),
                Fixed(k, 4),
                Sci(excess, Some(3))
            )
        } else {
            format!(
                "normalised call price {} at k = {} exceeds {} at the previous \
                 strike: increasing in strike, so not convex with a zero limit",
                Sci(c, Some(6)),
                Fixed(k, 4),
                Sci(c_left, Some(6))
            )
        }
    };
    (excess > CONVEXITY_TOLERANCE)
        .then(|| warning(SurfaceWarningCode::ButterflyArbitrage, slice, k, detail()))
}

fn grid_nodes(slice: &Slice) -> impl Iterator<Item = f64> + '_ {
    let nodes: &[super::grid::Node] = match &slice.smile {
        Smile::Grid(grid) => grid.nodes(),
        Smile::Svi(_) => &[],
    };
    nodes.iter().map(|node| node.log_moneyness)
}

fn calendar(earlier: &Slice, later: &Slice) -> Option<SurfaceWarning> {
    // (k, deficit w₁ − w₂, w₁, w₂) of the worst point.
    let mut worst: Option<(f64, f64, f64, f64)> = None;
    for k in check_grid()
        .chain(grid_nodes(earlier))
        .chain(grid_nodes(later))
    {
        let (w1, w2) = (earlier.total_variance(k), later.total_variance(k));
        let deficit = w1 - w2;
        if worst.is_none_or(|(_, d, _, _)| deficit > d) {
            worst = Some((k, deficit, w1, w2));
        }
    }
    let (k, deficit, w1, w2) = worst?;
    (deficit > 0.0).then(|| {
        warning(
            SurfaceWarningCode::CalendarArbitrage,
            later,
            k,
            format!(
                "total variance {} at k = {} is below {} at the earlier expiry \
                 {}: negative forward variance (a calendar spread with negative price)",
                Sci(w2, Some(6)),
                Fixed(k, 4),
                Sci(w1, Some(6)),
                earlier.expiry_ms
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_condition_matches_a_hand_computation() {
        // SVI a = 0.04, b = 0.4, ρ = −0.4, m = 0, σ = 0.1 at k = 0: w = 0.08, w′ = bρ = −0.16,
        // w″ = b/σ = 4; g = 1 − (0.0256/4)·(12.5 + 0.25) + 2 = 3 − 0.0816 = 2.9184.
        let g = density_condition(0.0, 0.08, -0.16, 4.0);
        assert!((g - 2.9184).abs() < 1e-14, "{g}");
        // A flat smile (w′ = w″ = 0) has g = 1.
        assert_eq!(density_condition(0.7, 0.3, 0.0, 0.0), 1.0);
    }

    #[test]
    fn normalised_call_matches_black_at_the_money() {
        // At k = 0: c = Φ(√w/2) − Φ(−√w/2) = 2Φ(√w/2) − 1; with w = 0.04: 2Φ(0.1) − 1 = 0.0796557.
        assert!((normalised_call(0.0, 0.04) - 0.079_655_674_554_057_96).abs() < 1e-15);
        // Deep in the money c → 1 − e^k (intrinsic), deep out c → 0.
        assert!((normalised_call(-5.0, 0.01) - (1.0 - exp(-5.0))).abs() < 1e-15);
        assert!(normalised_call(5.0, 0.01) < 1e-15);
    }

    #[test]
    fn check_grid_is_61_exact_points() {
        let grid: Vec<f64> = check_grid().collect();
        assert_eq!(grid.len(), 61);
        assert_eq!(grid.first(), Some(&-1.5));
        assert_eq!(grid.get(30), Some(&0.0));
        assert_eq!(grid.last(), Some(&1.5));
    }
}
