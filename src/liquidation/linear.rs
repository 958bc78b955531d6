//! The fast side of liquidation: a second-order model of f(S) = equity − maintenance margin around
//! the current index price, used for the linear liquidation-price estimate and for the cheap
//! health check of the two-stage trigger.
//!
//! **Local model.** With S₀ the index now and h = 0.5 %, the slope a and curvature b of f come
//! from central differences of the *full* model at S₀(1 ± h) (so they include how the
//! maintenance margin itself moves, not only the book's delta and gamma):
//! a = (f₊ − f₋)/(2hS₀), b = (f₊ − 2f₀ + f₋)/(hS₀)², and f̂(S₀ + x) = f₀ + a·x + ½·b·x².
//! The linear estimate of the liquidation prices is the roots of f̂ in (0, ∞).
//!
//! **Linearised health check** ([`LinearHealth`]), stated validity range |m| ≤ R (relative index
//! move, `options.validityRange`, default 10 %). The lower envelope
//! L(m) = f̂(m·S₀) − ½·G·(m·S₀)² subtracts a bound on what the quadratic misses, where
//! G = 2·Σ_options |q|·c^k·Γ̄ (k = 2 linear, 1 inverse; c = F/S) and Γ̄ = e^{−rT}/(√(2π)·F₀(1−R)·σ√T)
//! is the largest Black-76 gamma any strike can have on the range (sticky strike: σ fixed). By
//! Taylor's theorem with the mean-value remainder, an option's value differs from its quadratic
//! by ½·(Γ(ξ) − Γ(S₀))·x² and 0 ≤ Γ ≤ Γ̄, so one Γ̄ covers the book's equity; the factor 2 covers
//! the option marks inside the standard short-option requirement. An account is **flagged** when
//! min over |m| ≤ R of L(m) ≤ safety·MM₀ (`options.safety`, default 25 % of today's maintenance
//! margin: the margin for the requirement's own non-quadratic moves — rate steps with size,
//! max(model, DRR) switching, coin collateral's size discount). Outside |m| ≤ R nothing is claimed.
//! The guarantee is tested (tests/liquidation.rs, proptest) for cross accounts under the
//! standard model with sticky strike. Portfolio-mode requirements (scenario grids: a worst case
//! over shocked revaluations, piecewise in S) are outside what the derivation covers; the same
//! property test passes for portfolio books under the drr, deribit-portfolio, paradex-portfolio
//! and derive-portfolio profiles (32 + 3 × 12 cases in the suite; 1,000 drr and 300 per venue
//! profile, and seeds 1–3 × 500, in longer runs), so there the check is validated empirically,
//! not proven. Sticky moneyness is outside both.
//!
//! Never revalues anything itself except through [`super::prices::Evaluator`].

use super::prices::{
    liquidation_prices_validated, nearest_of, objective, underlyings_of, Evaluator, Target,
};
use super::shift::LiquidationOptions;
use super::LiquidationReport;
use crate::error::{Error, Result};
use crate::margin::{margin_validated, RiskParams, ScenarioCache};
use crate::market::{Market, MarketSpec};
use crate::math::{exp, max, FRAC_1_SQRT_2PI};
use crate::portfolio::{Account, AccountSpec, ContractKind, Settlement};
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// Relative bump of the central differences.
pub const BUMP: f64 = 0.005;

/// The fast estimate beside the exact liquidation prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LinearEstimate {
    /// Roots of f₀ + a·x + ½·b·x² in (0, ∞), ascending.
    pub liquidation_prices: Vec<f64>,
    /// The one nearest to spot, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub nearest: Option<f64>,
    /// equity − maintenance margin now (margin asset).
    pub value: f64,
    /// a: ∂(equity − maintenance)/∂S (margin asset per USD of index).
    pub slope: f64,
    /// b: ∂²(equity − maintenance)/∂S².
    pub curvature: f64,
}

/// (f₀, a, b) from the full model at S₀(1 − h), S₀, S₀(1 + h).
fn local_model(f_minus: f64, f0: f64, f_plus: f64, spot: f64) -> (f64, f64, f64) {
    let step = BUMP * spot;
    let slope = (f_plus - f_minus) / (2.0 * step);
    let curvature = (f_plus - 2.0 * f0 + f_minus) / (step * step);
    (f0, slope, curvature)
}

/// Real roots of c + a·x + ½·b·x² (stable form), ascending.
fn quadratic_roots(c: f64, a: f64, b: f64) -> Vec<f64> {
    let half = 0.5 * b;
    let mut roots = if half.abs() <= 1e-300 || (half * c).abs() <= 1e-18 * a * a {
        if a == 0.0 {
            Vec::new()
        } else {
            vec![-c / a]
        }
    } else {
        let disc = a * a - 4.0 * half * c;
        if disc < 0.0 {
            Vec::new()
        } else {
            let q = -0.5 * (a + disc.sqrt().copysign(a));
            if q == 0.0 {
                vec![0.0]
            } else {
                vec![q / half, c / q]
            }
        }
    };
    roots.retain(|x| x.is_finite());
    roots.sort_by(f64::total_cmp);
    roots
}

/// The linear estimate from the grid values (which contain 1 and 1 ± [`BUMP`]).
pub(crate) fn linear_estimate(
    ratios: &[f64],
    f: &[(f64, f64)],
    spot: f64,
) -> Result<LinearEstimate> {
    let at = |r: f64| {
        ratios
            .iter()
            .position(|&x| (x - r).abs() <= 1e-12)
            .and_then(|i| f.get(i))
            .map(|v| v.0)
            .ok_or_else(|| {
                Error::invalid(
                    "grid",
                    format!("the grid lacks the ratio {}", crate::numfmt::Shortest(r)),
                )
            })
    };
    let (f0, a, b) = local_model(at(1.0 - BUMP)?, at(1.0)?, at(1.0 + BUMP)?, spot);
    Ok(estimate_from(f0, a, b, spot))
}

fn estimate_from(f0: f64, a: f64, b: f64, spot: f64) -> LinearEstimate {
    let prices: Vec<f64> = quadratic_roots(f0, a, b)
        .into_iter()
        .map(|x| spot + x)
        .filter(|s| *s > 0.0)
        .collect();
    LinearEstimate {
        nearest: nearest_of(&prices, spot),
        liquidation_prices: prices,
        value: f0,
        slope: a,
        curvature: b,
    }
}

/// The linear estimate of every underlying of the account (two full revaluations each), given the
/// report `now` of the unmoved market.
pub fn linear_estimates(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
    now: &crate::margin::MarginReport,
) -> Result<VecMap<String, LinearEstimate>> {
    Ok(
        linear_estimates_cached(market, account, params, options, now, None)?
            .into_iter()
            .collect(),
    )
}

/// [`linear_estimates`] keeping the risk matrix's node values in `cache` (what-if's before and
/// after revalue the same moves of the same market), as (underlying, estimate) in name order.
pub(crate) fn linear_estimates_cached(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
    now: &crate::margin::MarginReport,
    cache: Option<&ScenarioCache>,
) -> Result<Vec<(String, LinearEstimate)>> {
    let (f0, _) = objective(now, account, Target::Account)?;
    let underlyings = underlyings_of(account);
    let mut out = Vec::with_capacity(underlyings.len());
    for name in underlyings {
        let eval = Evaluator::new(market, account, params, name, options)?.with_cache(cache);
        let f_minus = objective(&eval.report(1.0 - BUMP)?, account, Target::Account)?.0;
        let f_plus = objective(&eval.report(1.0 + BUMP)?, account, Target::Account)?.0;
        let spot = eval.shifter.spot();
        let (value, slope, curvature) = local_model(f_minus, f0, f_plus, spot);
        out.push((
            name.to_string(),
            estimate_from(value, slope, curvature, spot),
        ));
    }
    Ok(out)
}

/// The linearised health of one underlying: everything the fast check needs, computed once from
/// three full revaluations; [`LinearHealth::flags_move`] is then a handful of flops per price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LinearHealth {
    /// Underlying symbol.
    pub underlying: String,
    /// Index price S₀ the model is centred on.
    pub spot: f64,
    /// f₀ = equity − maintenance margin now (margin asset).
    pub value: f64,
    /// a (margin asset per USD).
    pub slope: f64,
    /// b (margin asset per USD²).
    pub curvature: f64,
    /// G, the gamma remainder bound (margin asset per USD²).
    pub gamma_bound: f64,
    /// Maintenance margin now (margin asset).
    pub maintenance: f64,
    /// R: the relative moves the check covers (±).
    pub validity_range: f64,
    /// safety·MM₀: the envelope must stay above this.
    pub threshold: f64,
    /// min over |m| ≤ R of the lower envelope L(m).
    pub min_envelope: f64,
    /// min_envelope ≤ threshold: revalue in full.
    pub flagged: bool,
}

impl LinearHealth {
    /// The lower envelope L(m) at relative move `m`.
    pub fn envelope(&self, m: f64) -> f64 {
        let x = m * self.spot;
        self.value + self.slope * x + 0.5 * (self.curvature - self.gamma_bound) * x * x
    }

    /// Whether an index move `m` (relative) needs a full revaluation: outside the validity range
    /// always, inside when L(m) ≤ threshold.
    pub fn flags_move(&self, m: f64) -> bool {
        m.is_nan() || m.abs() > self.validity_range || self.envelope(m) <= self.threshold
    }

    fn min_over_range(&self) -> f64 {
        let r = self.validity_range;
        let mut lowest = crate::math::min(self.envelope(-r), self.envelope(r));
        let quad = (self.curvature - self.gamma_bound) * self.spot * self.spot;
        if quad > 0.0 {
            let vertex = -self.slope * self.spot / quad;
            if vertex.abs() <= r {
                lowest = crate::math::min(lowest, self.envelope(vertex));
            }
        }
        crate::math::min(lowest, self.value)
    }
}

/// The gamma remainder bound G in USD per USD² for the options of `underlying` (see the module
/// documentation).
fn gamma_bound(market: &Market, account: &Account, underlying: &str, range: f64) -> Result<f64> {
    let u = market.underlying(underlying)?;
    let mut total = 0.0;
    for (i, p) in account.positions.iter().enumerate() {
        if p.instrument.underlying != underlying {
            continue;
        }
        let ContractKind::Option { expiry, .. } = p.instrument.contract else {
            continue;
        };
        let t = market.time_to(expiry)?.get();
        let forward = u.forward_at(u.spot(), t);
        let vol = u
            .option_vol(&p.instrument, &p.id, forward, t)
            .map_err(|e| e.within(&format!("account.positions[{i}]")))?
            .get();
        let discount = exp(-u.rate_at(t) * t);
        let gamma_max =
            max(discount, 1.0) * FRAC_1_SQRT_2PI / (forward * (1.0 - range) * vol * t.sqrt());
        let c = forward / u.spot();
        let scale = match p.instrument.settlement {
            Settlement::Linear => c * c,
            Settlement::Inverse => c,
        };
        total += p.amount.abs() * scale * gamma_max;
    }
    Ok(2.0 * total)
}

/// The linearised health of every underlying of the account (three full revaluations each).
pub fn linear_health_validated(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<Vec<LinearHealth>> {
    let now = margin_validated(market, account, params)?;
    let (f0, _) = objective(&now, account, Target::Account)?;
    let asset_price = market
        .collateral(&params.margin_asset)
        .map_err(|e| e.within("market"))?
        .price;
    let underlyings = underlyings_of(account);
    let mut out = Vec::with_capacity(underlyings.len());
    for name in underlyings {
        let eval = Evaluator::new(market, account, params, name, options)?;
        let f_minus = objective(&eval.report(1.0 - BUMP)?, account, Target::Account)?.0;
        let f_plus = objective(&eval.report(1.0 + BUMP)?, account, Target::Account)?.0;
        let spot = eval.shifter.spot();
        let (value, slope, curvature) = local_model(f_minus, f0, f_plus, spot);
        let mut health = LinearHealth {
            underlying: name.to_string(),
            spot,
            value,
            slope,
            curvature,
            gamma_bound: gamma_bound(market, account, name, options.validity_range)? / asset_price,
            maintenance: now.maintenance_margin.value,
            validity_range: options.validity_range,
            threshold: options.safety * now.maintenance_margin.value,
            min_envelope: 0.0,
            flagged: false,
        };
        health.min_envelope = health.min_over_range();
        health.flagged = health.min_envelope <= health.threshold;
        out.push(health);
    }
    Ok(out)
}

/// The two-stage trigger's result: the fast check and, when it flags, the full confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct LiquidationCheck {
    /// Some underlying's linearised health is flagged.
    pub flagged: bool,
    /// The fast check per underlying.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, LinearHealth>"))]
    pub linear: VecMap<String, LinearHealth>,
    /// Only when flagged: whether the full model liquidates the account within the validity range
    /// (liquidatable now, or a liquidation price within S₀(1 ± R)).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub confirmed: Option<bool>,
    /// Only when flagged: the exact liquidation prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub full: Option<LiquidationReport>,
}

/// Two-stage trigger from the interchange forms: the fast check, then the full solver if flagged.
pub fn liquidation_check(
    market: &MarketSpec,
    account: &AccountSpec,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<LiquidationCheck> {
    params.validate().map_err(|e| e.within("params"))?;
    options.validate().map_err(|e| e.within("options"))?;
    let market = Market::new(market.clone()).map_err(|e| e.within("market"))?;
    let account = Account::new(account).map_err(|e| e.within("account"))?;
    liquidation_check_validated(&market, &account, params, options)
}

/// [`liquidation_check`] for a validated market and account.
pub fn liquidation_check_validated(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<LiquidationCheck> {
    let linear = linear_health_validated(market, account, params, options)?;
    let flagged = linear.iter().any(|l| l.flagged);
    let (confirmed, full) = if flagged {
        let full = liquidation_prices_validated(market, account, params, options)?;
        let r = options.validity_range;
        let within = full.underlyings.values().any(|u| {
            u.liquidatable
                || u.liquidation_prices
                    .iter()
                    .any(|p| (p / u.spot - 1.0).abs() <= r)
        });
        (Some(within), Some(full))
    } else {
        (None, None)
    };
    Ok(LiquidationCheck {
        flagged,
        linear: linear
            .into_iter()
            .map(|l| (l.underlying.clone(), l))
            .collect(),
        confirmed,
        full,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_roots_are_stable_and_sorted() {
        // (x − 1)(x − 3) = x² − 4x + 3: c = 3, a = −4, b = 2.
        assert_eq!(quadratic_roots(3.0, -4.0, 2.0), vec![1.0, 3.0]);
        // Linear: 2 + 4x = 0.
        assert_eq!(quadratic_roots(2.0, 4.0, 0.0), vec![-0.5]);
        // No real root.
        assert!(quadratic_roots(1.0, 0.0, 2.0).is_empty());
    }
}
