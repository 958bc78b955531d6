//! Liquidation and bankruptcy prices by full revaluation: every index price in (0, ∞) of one
//! underlying at which the account's equity equals its maintenance margin (health = 1), or equity
//! is zero, with the rest of the market held fixed ([`super::shift`]).
//!
//! The objective at a trial price is the full model: the shifted market goes through
//! `margin_validated`, and f = equity − maintenance margin (floats of the report, in the margin
//! asset; the same ratio as the report's `health`). In isolated mode every position also gets its
//! own prices from its own line: f = isolatedMargin + value − its maintenance requirement (the
//! report's `isolatedHealth` = 1), bankruptcy at isolatedMargin + value = 0.
//!
//! **Grid.** f is evaluated on index ratios S′/S: 24 points per decade, log-spaced over
//! [10⁻⁴, 10⁴] (193 points), merged with 1 ± {0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30} % and
//! 1 itself. Every adjacent pair whose f changes sign is refined with Brent to 10⁻⁹ relative in
//! the price; a grid point where f is exactly 0 is a root. Two roots closer together than the grid
//! spacing near them (a touch of health = 1 without crossing) can be missed; prices beyond 10⁴× or
//! below 10⁻⁴× spot are not searched. The statistical VaR (not part of the requirement) is
//! switched off for the trial evaluations.
//!
//! Never changes the account or the market it is given, never rounds prices.

use super::linear::{linear_estimate, LinearEstimate};
use super::shift::{LiquidationOptions, Shifter};
use crate::error::{Error, ErrorKind, Result};
use crate::margin::compute::margin_summary;
use crate::margin::{margin_validated, MarginReport, RiskParams, ScenarioCache};
use crate::market::{Market, MarketSpec};
use crate::math::root::{brent, BrentOptions};
use crate::math::{ln, max, pow};
use crate::portfolio::{Account, AccountSpec, MarginMode};
use crate::units::YearFrac;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// Relative moves added to the log grid near spot (± each).
const NEAR: [f64; 11] = [
    0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
];
/// Log grid: 10^(k/24), k = −96..=96.
const PER_DECADE: i32 = 24;
const DECADES: i32 = 4;
/// Brent's relative x tolerance: the bracket it returns is ≤ 4·tol·|x| wide, i.e. 10⁻⁹ relative.
const X_REL_TOL: f64 = 2.5e-10;

/// The liquidation picture of one underlying (or, in isolated mode, of one position).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct UnderlyingLiquidation {
    /// Underlying symbol.
    pub underlying: String,
    /// Index price now.
    pub spot: f64,
    /// Health now (equity / maintenance margin; absent when nothing is required).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub health: Option<f64>,
    /// Equity is already below the maintenance margin at the current price.
    pub liquidatable: bool,
    /// Index prices where equity = maintenance margin (health = 1), ascending.
    pub liquidation_prices: Vec<f64>,
    /// Index prices where equity = 0, ascending.
    pub bankruptcy_prices: Vec<f64>,
    /// The liquidation price nearest to spot (in log distance), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub nearest: Option<f64>,
    /// |nearest − spot| / spot in percent (0 when already liquidatable).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub distance_pct: Option<f64>,
    /// |ln(nearest / spot)| / (σ·√horizon) (0 when already liquidatable; absent with a zero
    /// horizon). σ = the DRR volatility of the underlying, horizon = `drr.horizonMs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub distance_sigma: Option<f64>,
    /// σ used for `distanceSigma` (the report's DRR vol: surface ATM, else `drr.defaultVol`).
    pub vol: f64,
    /// The fast estimate from the local slope and curvature of equity − maintenance margin.
    pub linear_estimate: LinearEstimate,
    /// Why there is no liquidation price, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub reason: Option<String>,
}

/// One isolated position's own liquidation picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PositionLiquidation {
    /// Index of the position in the account.
    pub position: usize,
    /// Canonical instrument id.
    pub instrument: String,
    /// Its prices (equity = isolatedMargin + value, maintenance = its own requirement).
    #[serde(flatten)]
    pub liquidation: UnderlyingLiquidation,
}

/// The result of `liquidation_prices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct LiquidationReport {
    /// The account's id, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub account: Option<String>,
    /// Margin mode.
    pub mode: MarginMode,
    /// Whole-account prices per underlying the account has positions on.
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "Record<string, UnderlyingLiquidation>")
    )]
    pub underlyings: VecMap<String, UnderlyingLiquidation>,
    /// Isolated mode: each position's own prices (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub positions: Vec<PositionLiquidation>,
    /// SHA-256 of the parameters used (as in the margin report).
    pub params_hash: String,
}

/// The grid of index ratios S′/S (see the module documentation), ascending.
pub fn grid() -> Vec<f64> {
    let mut ratios: Vec<f64> = (-PER_DECADE * DECADES..=PER_DECADE * DECADES)
        .map(|k| pow(10.0, f64::from(k) / f64::from(PER_DECADE)))
        .collect();
    for d in NEAR {
        ratios.push(1.0 - d);
        ratios.push(1.0 + d);
    }
    ratios.push(1.0);
    ratios.sort_by(f64::total_cmp);
    ratios.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * *b);
    ratios
}

/// What is solved for: the whole account or one isolated position.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Account,
    Position(usize),
}

/// (equity − maintenance, equity) of `target` in `report` (margin asset units for the account,
/// USD for an isolated position, as the report computes its `isolatedHealth`).
pub(crate) fn objective(
    report: &MarginReport,
    account: &Account,
    target: Target,
) -> Result<(f64, f64)> {
    match target {
        Target::Account => Ok((
            report.equity.value - report.maintenance_margin.value,
            report.equity.value,
        )),
        Target::Position(i) => {
            let line = report
                .positions
                .get(i)
                .ok_or_else(|| Error::invalid("account.positions", "position index"))?;
            let margin = account
                .positions
                .get(i)
                .and_then(|p| p.isolated_margin)
                .unwrap_or(0.0);
            let own = line.value + margin;
            let mm = line.requirement.as_ref().map_or(0.0, |r| r.maintenance);
            Ok((own - mm, own))
        }
    }
}

/// Full-model evaluator of one underlying's moves.
pub(crate) struct Evaluator<'a> {
    pub shifter: Shifter<'a>,
    pub account: &'a Account,
    pub params: &'a RiskParams,
    /// Where the risk matrix's node values are kept across this evaluator's reports (and the
    /// caller's), if anywhere.
    pub cache: Option<&'a ScenarioCache>,
}

/// Runs the checks of the account's model's parameters that `RiskParams::validate` leaves to
/// the model (`margin_hashed`'s `params_checked`), with the same field paths, so that an
/// evaluator's trials need not repeat them for every trial market.
fn check_model_params(params: &RiskParams, mode: MarginMode) -> Result<()> {
    match mode {
        MarginMode::Cross | MarginMode::Isolated => params
            .standard
            .validate()
            .map_err(|e| e.within("params.standard")),
        MarginMode::Portfolio => params
            .portfolio
            .validate()
            .map_err(|e| e.within("params.portfolio")),
    }
}

impl<'e> Evaluator<'e> {
    pub(crate) fn new<'a>(
        market: &'a Market,
        account: &'a Account,
        params: &'a RiskParams,
        underlying: &str,
        options: &LiquidationOptions,
    ) -> Result<Evaluator<'a>> {
        let shifter = Shifter::new(market, account, underlying, options)?;
        check_model_params(params, account.mode)?;
        Ok(Evaluator {
            shifter,
            account,
            params,
            cache: None,
        })
    }

    /// This evaluator keeping the risk matrix's node values in `cache`.
    pub(crate) fn with_cache(self, cache: Option<&'e ScenarioCache>) -> Self {
        Evaluator { cache, ..self }
    }

    /// The report at index × `ratio`, for the objective only (its `params_hash` is empty).
    pub(crate) fn report(&self, ratio: f64) -> Result<MarginReport> {
        let market = self.shifter.market_at(ratio)?;
        // Only the solver's objective (equity, requirements) reads these reports, never a caller:
        // they carry no parameters' hash (serialising the parameters would cost more than a
        // cross-margin report of 100 positions), no ids and no warnings.
        // The model's parameters were checked when the evaluator was made.
        margin_summary(&market, self.account, self.params, true, self.cache).map_err(|e| {
            let reason = format!(
                "at {} index {}: {e}",
                self.shifter.underlying(),
                crate::numfmt::Shortest(ratio * self.shifter.spot())
            );
            match e.into_kind() {
                ErrorKind::NoConvergence { field, .. } => {
                    ErrorKind::NoConvergence { field, reason }.into()
                }
                other => other.into(),
            }
        })
    }
}

/// Liquidation prices of an account from the interchange forms (validates everything).
pub fn liquidation_prices(
    market: &MarketSpec,
    account: &AccountSpec,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<LiquidationReport> {
    params.validate().map_err(|e| e.within("params"))?;
    options.validate().map_err(|e| e.within("options"))?;
    let market = Market::new(market.clone()).map_err(|e| e.within("market"))?;
    let account = Account::new(account).map_err(|e| e.within("account"))?;
    liquidation_prices_validated(&market, &account, params, options)
}

/// [`liquidation_prices`] for a validated market and account.
pub fn liquidation_prices_validated(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<LiquidationReport> {
    liquidation_prices_cached(market, account, params, options, None)
}

/// [`liquidation_prices_validated`] keeping the risk matrix's node values in `cache` (what-if's
/// before and after scan the same moves of the same market).
pub(crate) fn liquidation_prices_cached(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
    cache: Option<&ScenarioCache>,
) -> Result<LiquidationReport> {
    // Without the caller's cache, one for this call: the scan of one underlying moves only it,
    // so the other underlyings' option values and node values are computed once, not per trial.
    let local = ScenarioCache::new();
    let cache = Some(cache.unwrap_or(&local));
    let now = margin_validated(market, account, params)?;
    let underlyings = underlyings_of(account);
    let ratios = grid();
    let mut out = VecMap::new();
    // Each isolated position's result in the slot of its index: position order without a sort
    // (a sort instance for this type cost ≈ 5 KB of .wasm).
    let mut positions: Vec<Option<PositionLiquidation>> = Vec::new();
    if account.mode == MarginMode::Isolated {
        positions.resize_with(account.positions.len(), || None);
    }
    for name in underlyings {
        let eval = Evaluator::new(market, account, params, name, options)?.with_cache(cache);
        let mut targets = vec![Target::Account];
        if account.mode == MarginMode::Isolated {
            targets.extend(
                account
                    .positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.instrument.underlying == name)
                    .map(|(i, _)| Target::Position(i)),
            );
        }
        // One full evaluation per grid point serves every target.
        let mut values: Vec<Vec<(f64, f64)>> =
            vec![Vec::with_capacity(ratios.len()); targets.len()];
        for &r in &ratios {
            let report = if r == 1.0 {
                now.clone()
            } else {
                eval.report(r)?
            };
            for (t, target) in targets.iter().enumerate() {
                if let Some(v) = values.get_mut(t) {
                    v.push(objective(&report, account, *target)?);
                }
            }
        }
        let vol = now
            .drr
            .iter()
            .find(|d| d.underlying == name)
            .map_or(params.drr.default_vol, |d| d.vol);
        for (target, f) in targets.iter().zip(&values) {
            let result = solve_target(&eval, *target, &ratios, f, &now, vol)?;
            match target {
                Target::Account => {
                    out.insert(name.to_string(), result);
                }
                Target::Position(i) => {
                    if let Some(slot) = positions.get_mut(*i) {
                        *slot = Some(PositionLiquidation {
                            position: *i,
                            instrument: account
                                .positions
                                .get(*i)
                                .map(|p| p.id.clone())
                                .unwrap_or_default(),
                            liquidation: result,
                        });
                    }
                }
            }
        }
    }
    let positions: Vec<PositionLiquidation> = positions.into_iter().flatten().collect();
    Ok(LiquidationReport {
        account: account.id.clone(),
        mode: account.mode,
        underlyings: out,
        positions,
        params_hash: now.params_hash,
    })
}

fn solve_target(
    eval: &Evaluator<'_>,
    target: Target,
    ratios: &[f64],
    f: &[(f64, f64)],
    now: &MarginReport,
    vol: f64,
) -> Result<UnderlyingLiquidation> {
    let spot = eval.shifter.spot();
    let at_spot = ratios
        .iter()
        .position(|&r| r == 1.0)
        .and_then(|i| f.get(i))
        .copied()
        .ok_or_else(|| Error::invalid("grid", "the grid lacks the spot ratio"))?;
    let liquidation = roots(eval, target, ratios, f, false)?;
    let bankruptcy = roots(eval, target, ratios, f, true)?;
    let liquidation_prices: Vec<f64> = liquidation.iter().map(|r| r * spot).collect();
    let bankruptcy_prices: Vec<f64> = bankruptcy.iter().map(|r| r * spot).collect();
    let liquidatable = at_spot.0 < 0.0;
    let nearest = nearest_of(&liquidation_prices, spot);
    let horizon = eval.params.drr.horizon_ms / YearFrac::MS_PER_YEAR;
    let (distance_pct, distance_sigma) = match nearest {
        Some(n) if !liquidatable => (
            Some(100.0 * (n - spot).abs() / spot),
            (horizon > 0.0).then(|| ln(n / spot).abs() / (vol * horizon.sqrt())),
        ),
        Some(_) => (Some(0.0), (horizon > 0.0).then_some(0.0)),
        None => (None, None),
    };
    let health = match target {
        Target::Account => now.health,
        Target::Position(i) => now.positions.get(i).and_then(|l| l.isolated_health),
    };
    let (lo, hi) = (
        ratios.first().copied().unwrap_or(1.0) * spot,
        ratios.last().copied().unwrap_or(1.0) * spot,
    );
    let reason = liquidation_prices.is_empty().then(|| {
        if liquidatable {
            format!("equity is below the maintenance margin at every index price scanned in [{}, {}]", crate::numfmt::Shortest(lo), crate::numfmt::Shortest(hi))
        } else {
            format!("equity stays above the maintenance margin at every index price scanned in [{}, {}]", crate::numfmt::Shortest(lo), crate::numfmt::Shortest(hi))
        }
    });
    let estimate = linear_estimate(ratios, f, spot)?;
    Ok(UnderlyingLiquidation {
        underlying: eval.shifter.underlying().to_string(),
        spot,
        health,
        liquidatable,
        liquidation_prices,
        bankruptcy_prices,
        nearest,
        distance_pct,
        distance_sigma,
        vol,
        linear_estimate: estimate,
        reason,
    })
}

/// The distinct underlyings of the account's positions, in name order.
pub(crate) fn underlyings_of(account: &Account) -> Vec<&str> {
    let mut underlyings = VecMap::new();
    for position in &account.positions {
        underlyings.insert(position.instrument.underlying.as_str(), ());
    }
    underlyings.into_iter().map(|(name, ())| name).collect()
}

/// The price of `prices` nearest to `spot` in log distance.
pub(crate) fn nearest_of(prices: &[f64], spot: f64) -> Option<f64> {
    prices
        .iter()
        .copied()
        .min_by(|a, b| ln(a / spot).abs().total_cmp(&ln(b / spot).abs()))
}

/// Sign changes of the liquidation (`bankrupt` false) or bankruptcy objective on the grid,
/// refined with Brent; returns ratios, ascending.
fn roots(
    eval: &Evaluator<'_>,
    target: Target,
    ratios: &[f64],
    f: &[(f64, f64)],
    bankrupt: bool,
) -> Result<Vec<f64>> {
    let pick = |v: &(f64, f64)| if bankrupt { v.1 } else { v.0 };
    let mut out: Vec<f64> = Vec::new();
    for (i, (r, v)) in ratios.iter().zip(f).enumerate() {
        let fa = pick(v);
        if fa == 0.0 {
            out.push(*r);
            continue;
        }
        let (Some(&b), Some(vb)) = (ratios.get(i + 1), f.get(i + 1)) else {
            continue;
        };
        let fb = pick(vb);
        if fb == 0.0 || (fa > 0.0) == (fb > 0.0) {
            continue;
        }
        let mut failure: Option<Error> = None;
        let root = brent(
            |x| match eval
                .report(x)
                .and_then(|rep| objective(&rep, eval.account, target))
            {
                Ok(v) => pick(&v),
                Err(e) => {
                    failure.get_or_insert(e);
                    f64::NAN
                }
            },
            *r,
            b,
            BrentOptions {
                x_abs_tol: 0.0,
                x_rel_tol: X_REL_TOL,
                max_iter: 200,
            },
            "liquidationPrice",
        );
        match (root, failure) {
            (_, Some(e)) => return Err(e),
            (Ok(x), None) => out.push(x),
            (Err(e), None) => return Err(e),
        }
    }
    out.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * max(a.abs(), b.abs()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_spans_eight_decades_and_holds_spot_and_the_bumps() {
        let g = grid();
        assert!(
            g.windows(2).all(|w| w[0] < w[1]),
            "ascending, no duplicates"
        );
        assert!((g[0] - 1e-4).abs() < 1e-18 && (g[g.len() - 1] - 1e4).abs() < 1e-8);
        // The linear estimate reads f at 1 and 1 ± BUMP from the grid.
        let bump = super::super::linear::BUMP;
        for r in [1.0, 1.0 - bump, 1.0 + bump] {
            assert!(g.iter().any(|&x| (x - r).abs() <= 1e-12), "{r}");
        }
        assert_eq!(g.len(), 193 + 2 * NEAR.len());
    }
}
