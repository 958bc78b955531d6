//! Derive v2 portfolio margin, PMRM_2 (docs/venues/derive.md §3; derivexyz/v2-core
//! `PMRMLib_2.sol`): per underlying, the book is revalued per expiry under a list of scenarios
//! (spot shock × vol direction up/none/down or a skew shock, with a dampening weight); each
//! expiry's shocked value is static-discounted before its P&L is taken; the worst scenario P&L,
//! floored by the basis contingency, times the margin factor, plus the perp, naked-short and
//! collateral-haircut contingencies, is the requirement.
//!
//! Owns: [`DerivePortfolioParams`] and [`derive_portfolio_requirements`]. Never: values equity
//! (Derive's cash, collateral and mark-to-market are equity here, so equity − requirement is
//! Derive's margin, up to the collateral unit convention below), applies add-ons, or rounds
//! money. Positions are valued only through
//! [`value_position`].
//!
//! Per underlying with index S, expiry e (τ_e years, r_e = max(the expiry's rate, 0) from the
//! market's per-expiry rates ([`crate::market::UnderlyingSpec::forwards`] `rate`, else the
//! underlying's `rate`), D_e = e^{−r_e·τ_e}):
//! - vol multipliers m_up = 1 + `volRangeUp`·x^p, m_down = max(0, 1 − `volRangeDown`·x^p),
//!   x = 30 days / max(seconds to expiry, `dteFloorDays`), p = `shortTermPower` to 30 days, else
//!   `longTermPower`; up vol = max(`minVolUpShock`, σ·m_up), down vol = σ·m_down;
//! - skew (`linear`/`abs`, forward unshocked): k = ln(K/F) (abs: |k|), cap = cBase·√τ + baseCap,
//!   k* = max(`minKStar`, √τ·`widthScale`·(`volParamStatic` + √τ·`volParamScale`)) (a k* ≤ 0 is
//!   `E_INVALID_INPUT` at `derive.minKStar`: Derive divides by it),
//!   σ' = σ·max(0, 1 + clamp(k·cap/k*, −cap, cap));
//! - static discounts sd⁺ = `longBaseStaticDiscount`·e^{−τ(r_e·`longRateMultScale` +
//!   `longRateAddScale`)}, sd⁻ = min(1/D_e, `shortBaseStaticDiscount`/e^{−τ(r_e·
//!   `shortRateMultScale` + `shortRateAddScale`)});
//! - expiry P&L = w·(V_e·(V_e ≥ 0 ? sd⁺ : sd⁻) − V_e(now)), skew scenarios −|…|; scenario P&L =
//!   Σ_e expiry P&L + w·perps·(s − 1)·perp mark + w·(s − 1)·Σ risk-cancelling collateral value;
//! - basis contingency = Σ_e min(V_e(`basisSpotUp`) − V_e, V_e(`basisSpotDown`) − V_e, 0)·
//!   (`basisAddFactor` + `basisMultFactor`·τ_e);
//! - worst = min(basis contingency, min over scenarios); maintenance = −worst·`mmFactor` + MM
//!   contingencies; initial = −worst·(`imFactor` + max(0, `pegLossThreshold` − USDC price)·
//!   `pegLossFactor`) + MM and IM contingencies; contingencies = |perps|·S·`*PerpPercent` +
//!   Σ_e naked shorts_e·S·`*OptionPercent` + Σ collateral value·`*Haircut`, naked shorts matched
//!   by strike as Derive does (in its order: an expiry's options last first);
//! - confidence contingency (IM only, `_getConfidenceContingency`): c(q, N) = (1 − q)·`confMargin`·N
//!   when the confidence q < `confThreshold`, else 0; summed over c(q_m, |perps|·S) with the
//!   manager's q_m = spot score (and the perp score when it holds perps), Σ_e c(min(q_m, the
//!   expiry's forward, rate and vol scores), Σ|amounts_e|·S), and Σ c(min(asset score, spot score),
//!   collateral value). Scores are the market's optional `feedConfidence` (0–1, Derive's feeds'
//!   confidences; absent = 1, [`crate::market::FeedConfidence`]). With positions on several
//!   underlyings the collateral takes the lowest of their spot scores; with none, the lowest spot
//!   score `feedConfidence` lists (PMRM_2 is one manager per market, whose spot feed we then do
//!   not know).
//!
//! Collateral (`collateral`: per asset `mmHaircut`, `imHaircut`, `riskCancelling`): Derive values
//! a balance at amount·price / USDC price; only the listed assets are PMRM_2 collateral (the USDC
//! balance is Derive's cash). Equity still counts every balance at its market price through the
//! usual collateral valuation, so with the profile's zero haircuts equity − requirement differs
//! from Derive's margin only by that unit convention (cash·(USDC − 1) + Σ value·(1 − 1/USDC)).
//!
//! Not modelled: the forward's fixed (settling) portion in an expiry's last 30 minutes, options at or
//! past expiry (refused as expired), Solidity's fixed-point arithmetic (ours is float64, ~1e-10
//! apart). A negative rate feed must be passed floored at 0 (Derive floors it for the options'
//! mark too; our valuation discounts at the market's rate as given). Shocked vols are kept in
//! [1e-6, 1000] ([`Vol::SHOCKED_MAX`]; Derive floors at 0) and rates in [−1, 1] (our pricer's
//! domain); `minVolUpShock` takes Derive's setter range [0, 20].

use super::params::{check, finite_in};
use super::portfolio::{Contingencies, PortfolioResult, ScenarioPnl};
use super::valuation::{value_position, Shock};
use crate::error::{Error, Result};
use crate::market::{Market, StickyRule};
use crate::math::{exp, ln, max, min, pow};
use crate::portfolio::{ContractKind, Millis, Position};
use crate::units::Vol;
use crate::vec_map::VecMap;
use serde::Serialize;

/// A scenario's vol direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum DeriveVolShock {
    /// Vols unchanged.
    None,
    /// σ·m_up, floored at `minVolUpShock`.
    Up,
    /// σ·m_down.
    Down,
    /// Linear skew shock (forward unshocked).
    Linear,
    /// Absolute skew shock (forward unshocked).
    Abs,
}

/// One PMRM_2 scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeriveScenario {
    /// Spot multiplier (1.18 = +18 %).
    pub spot_shock: f64,
    /// Vol direction.
    pub vol_shock: DeriveVolShock,
    /// Dampening factor of the scenario's P&L.
    pub dampening: f64,
}

/// How PMRM_2 treats one collateral asset (v2-core `IPMRMLib_2.CollateralParameters`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeriveCollateral {
    /// Maintenance contingency per unit of the collateral's value.
    pub mm_haircut: f64,
    /// Additional initial contingency per unit of the collateral's value.
    pub im_haircut: f64,
    /// The collateral's value moves with the scenarios' spot shock (ETH, LRTs, wrapped BTC
    /// held against an ETH book).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub risk_cancelling: bool,
}

/// PMRM_2 parameters. Defaults: the v2-core portfolio test cases' parameters
/// (`test/risk-managers/unit-tests/PMRM_2/portfolio_cases/*.json`, derive.md §3.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DerivePortfolioParams {
    /// Scenarios (spot multiplier × vol direction, dampening).
    pub scenarios: Vec<DeriveScenario>,
    /// Relative vol-up shock at 30 days (`volRangeUp`).
    pub vol_range_up: f64,
    /// Relative vol-down shock at 30 days (`volRangeDown`).
    pub vol_range_down: f64,
    /// Exponent of the term scaling up to 30 days to expiry.
    pub short_term_power: f64,
    /// Exponent of the term scaling beyond 30 days.
    pub long_term_power: f64,
    /// Floor of the time to expiry in the term scaling (days).
    pub dte_floor_days: f64,
    /// Floor of an up-shocked vol (decimal).
    pub min_vol_up_shock: f64,
    /// Maintenance multiplier of the worst loss.
    pub mm_factor: f64,
    /// Initial multiplier of the worst loss (before the peg loss).
    pub im_factor: f64,
    /// Static discount of a positive expiry value.
    pub long_base_static_discount: f64,
    /// Static discount (a premium) of a negative expiry value.
    pub short_base_static_discount: f64,
    /// Rate multiplier in the positive static discount.
    pub long_rate_mult_scale: f64,
    /// Rate multiplier in the negative static discount.
    pub short_rate_mult_scale: f64,
    /// Rate add-on in the positive static discount.
    pub long_rate_add_scale: f64,
    /// Rate add-on in the negative static discount.
    pub short_rate_add_scale: f64,
    /// Spot multiplier of the basis contingency's up scenario.
    pub basis_spot_up: f64,
    /// Spot multiplier of the basis contingency's down scenario.
    pub basis_spot_down: f64,
    /// Basis contingency factor, constant part.
    pub basis_add_factor: f64,
    /// Basis contingency factor per year to expiry.
    pub basis_mult_factor: f64,
    /// USDC price below which the IM factor rises.
    pub peg_loss_threshold: f64,
    /// IM factor added per unit of USDC price below the threshold.
    pub peg_loss_factor: f64,
    /// MM contingency per unit of perp notional.
    pub mm_perp_percent: f64,
    /// Additional IM contingency per unit of perp notional.
    pub im_perp_percent: f64,
    /// MM contingency per naked short option, × index.
    pub mm_option_percent: f64,
    /// Additional IM contingency per naked short option, × index.
    pub im_option_percent: f64,
    /// Feed confidence below which the IM confidence contingency applies (`confThreshold`).
    pub conf_threshold: f64,
    /// IM confidence contingency per unit of (1 − confidence) × notional (`confMargin`).
    pub conf_margin: f64,
    /// Linear skew shock: cap at τ = 0.
    pub linear_base_cap: f64,
    /// Absolute skew shock: cap at τ = 0.
    pub abs_base_cap: f64,
    /// Linear skew shock: cap change per √τ.
    pub linear_c_base: f64,
    /// Absolute skew shock: cap change per √τ.
    pub abs_c_base: f64,
    /// Floor of k*, the log-moneyness where the skew multiplier caps.
    pub min_k_star: f64,
    /// k* width scale.
    pub width_scale: f64,
    /// k* vol parameter, constant part.
    pub vol_param_static: f64,
    /// k* vol parameter per √τ.
    pub vol_param_scale: f64,
    /// Collateral assets PMRM_2 haircuts, by symbol (none by default: Derive's production
    /// haircuts are not published). Assets not listed, and the USDC cash balance, carry no
    /// PMRM_2 contingency.
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "Record<string, DeriveCollateral>")
    )]
    pub collateral: VecMap<String, DeriveCollateral>,
}

impl Default for DerivePortfolioParams {
    fn default() -> Self {
        let s = |spot_shock, vol_shock, dampening| DeriveScenario {
            spot_shock,
            vol_shock,
            dampening,
        };
        let mut scenarios = vec![s(1.18, DeriveVolShock::Up, 1.0)];
        for spot in [1.135, 1.09, 1.045, 1.0, 0.955, 0.91, 0.865] {
            for dir in [
                DeriveVolShock::Down,
                DeriveVolShock::None,
                DeriveVolShock::Up,
            ] {
                scenarios.push(s(spot, dir, 1.0));
            }
        }
        scenarios.push(s(0.82, DeriveVolShock::Up, 1.0));
        for (spot, damp) in [
            (0.34, 0.036 / 0.66),
            (0.67, 0.036 / 0.33),
            (1.5, 0.072),
            (2.0, 0.036),
            (3.0, 0.018),
            (4.0, 0.012),
        ] {
            scenarios.push(s(spot, DeriveVolShock::Up, damp));
        }
        scenarios.push(s(1.0, DeriveVolShock::Linear, 1.0));
        scenarios.push(s(1.0, DeriveVolShock::Abs, 1.0));
        DerivePortfolioParams {
            scenarios,
            vol_range_up: 0.5,
            vol_range_down: 0.275,
            short_term_power: 0.3,
            long_term_power: 0.13,
            dte_floor_days: 1.0,
            min_vol_up_shock: 0.45,
            mm_factor: 0.8,
            im_factor: 1.0,
            long_base_static_discount: 0.95,
            short_base_static_discount: 1.04,
            long_rate_mult_scale: 1.0,
            short_rate_mult_scale: 0.5,
            long_rate_add_scale: 0.08,
            short_rate_add_scale: 0.08,
            basis_spot_up: 1.045,
            basis_spot_down: 0.955,
            basis_add_factor: 0.5,
            basis_mult_factor: 2.0,
            peg_loss_threshold: 0.98,
            peg_loss_factor: 2.0,
            mm_perp_percent: 0.015,
            im_perp_percent: 0.005,
            mm_option_percent: 0.003,
            im_option_percent: 0.002,
            conf_threshold: 0.55,
            conf_margin: 1.0,
            linear_base_cap: 0.15,
            abs_base_cap: 0.15,
            linear_c_base: -0.05,
            abs_c_base: -0.05,
            min_k_star: 0.01,
            width_scale: 4.0,
            vol_param_static: 0.6,
            vol_param_scale: -0.1,
            collateral: VecMap::new(),
        }
    }
}

impl DerivePortfolioParams {
    /// Checks every field's domain (v2-core's setter bounds), naming it under `derive.`.
    pub fn validate(&self) -> Result<()> {
        let at = |f: &str| format!("derive.{f}");
        check(
            !self.scenarios.is_empty() && self.scenarios.len() <= 256,
            &at("scenarios"),
            "1 to 256 scenarios",
        )?;
        for (i, s) in self.scenarios.iter().enumerate() {
            check(
                finite_in(s.spot_shock, 0.01, 100.0),
                &at(&format!("scenarios[{i}].spotShock")),
                "must be a spot multiplier in [0.01, 100]",
            )?;
            check(
                finite_in(s.dampening, 0.0, 10.0),
                &at(&format!("scenarios[{i}].dampening")),
                "must be in [0, 10]",
            )?;
        }
        for (value, f, lo, hi) in [
            (self.vol_range_up, "volRangeUp", 0.0, 10.0),
            (self.vol_range_down, "volRangeDown", 0.0, 10.0),
            (self.short_term_power, "shortTermPower", 0.0, 10.0),
            (self.long_term_power, "longTermPower", 0.0, 10.0),
            (self.dte_floor_days, "dteFloorDays", 0.0, 400.0),
            (self.min_vol_up_shock, "minVolUpShock", 0.0, 20.0),
            (self.mm_factor, "mmFactor", 0.5, 10.0),
            (self.im_factor, "imFactor", 0.5, 10.0),
            (
                self.long_base_static_discount,
                "longBaseStaticDiscount",
                0.0,
                4.0,
            ),
            (
                self.short_base_static_discount,
                "shortBaseStaticDiscount",
                0.0,
                4.0,
            ),
            (self.long_rate_mult_scale, "longRateMultScale", 0.0, 10.0),
            (self.short_rate_mult_scale, "shortRateMultScale", 0.0, 10.0),
            (self.long_rate_add_scale, "longRateAddScale", 0.0, 10.0),
            (self.short_rate_add_scale, "shortRateAddScale", 0.0, 10.0),
            (self.basis_spot_up, "basisSpotUp", 1.0, 3.0),
            (self.basis_add_factor, "basisAddFactor", 0.0, 20.0),
            (self.basis_mult_factor, "basisMultFactor", 0.0, 20.0),
            (self.peg_loss_threshold, "pegLossThreshold", 0.0, 100.0),
            (self.peg_loss_factor, "pegLossFactor", 0.0, 10.0),
            (self.mm_perp_percent, "mmPerpPercent", 0.0, 3.0),
            (self.im_perp_percent, "imPerpPercent", 0.0, 3.0),
            (self.conf_threshold, "confThreshold", 0.0, 1.0),
            (self.conf_margin, "confMargin", 0.0, 20.0),
            (self.mm_option_percent, "mmOptionPercent", 0.0, 2.0),
            (self.im_option_percent, "imOptionPercent", 0.0, 2.0),
            (self.linear_base_cap, "linearBaseCap", 0.0, 10.0),
            (self.abs_base_cap, "absBaseCap", 0.0, 10.0),
            (self.linear_c_base, "linearCBase", -10.0, 10.0),
            (self.abs_c_base, "absCBase", -10.0, 10.0),
            (self.min_k_star, "minKStar", 0.0, 10.0),
            (self.width_scale, "widthScale", 0.0, 10.0),
            (self.vol_param_static, "volParamStatic", 0.0, 10.0),
            (self.vol_param_scale, "volParamScale", -20.0, 20.0),
        ] {
            check(
                finite_in(value, lo, hi),
                &at(f),
                &format!(
                    "must be in [{}, {}]",
                    crate::numfmt::Shortest(lo),
                    crate::numfmt::Shortest(hi)
                ),
            )?;
        }
        // Derive's setter takes any scenarioSpotDown below 1 (down to 0); a spot of exactly 0 is
        // outside our pricer's shock domain, so 0 is refused here rather than at run time.
        check(
            self.basis_spot_down.is_finite()
                && self.basis_spot_down > 0.0
                && self.basis_spot_down <= 1.0,
            &at("basisSpotDown"),
            "must be in (0, 1]",
        )?;
        for (asset, c) in &self.collateral {
            for (value, f) in [(c.mm_haircut, "mmHaircut"), (c.im_haircut, "imHaircut")] {
                check(
                    finite_in(value, 0.0, 1.0),
                    &at(&format!("collateral.{asset}.{f}")),
                    "must be in [0, 1]",
                )?;
            }
        }
        Ok(())
    }
}

const SECONDS_PER_DAY: f64 = 86_400.0;
const SECONDS_PER_YEAR: f64 = 365.0 * SECONDS_PER_DAY;

/// One expiry's options on one underlying.
struct Expiry<'a> {
    legs: Vec<(&'a Position, f64, f64)>, // (position, vol now, strike)
    tau: f64,
    forward: f64,
    rate: f64,
    discount: f64,
    value: f64,
}

fn vol_scale_within(sigma: f64, target: f64) -> f64 {
    min(max(target, Vol::MIN), Vol::SHOCKED_MAX) / sigma
}

impl Expiry<'_> {
    fn value_at(
        &self,
        market: &Market,
        spot_shock: f64,
        scale: &dyn Fn(f64, f64) -> f64,
    ) -> Result<f64> {
        let mut total = 0.0;
        for &(position, sigma, strike) in &self.legs {
            let shock = Shock {
                spot_move: spot_shock - 1.0,
                vol_scale: scale(sigma, strike),
                time_shift: 0.0,
                sticky: StickyRule::Strike,
            };
            total += value_position(position, market, &shock)?.usd;
        }
        Ok(total)
    }
}

/// Derive's naked shorts of one expiry: options matched by strike (calls and puts alike),
/// pairwise against the first occurrence of each strike.
fn naked_shorts(amounts_by_position: &[(f64, f64)]) -> f64 {
    let mut seen = vec![false; amounts_by_position.len()];
    let mut naked = 0.0;
    for (i, &(strike, amount)) in amounts_by_position.iter().enumerate() {
        if seen.get(i).copied().unwrap_or(true) {
            continue;
        }
        let mut found = false;
        for (j, &(strike2, amount2)) in amounts_by_position.iter().enumerate().skip(i + 1) {
            if strike == strike2 {
                if let Some(s) = seen.get_mut(j) {
                    *s = true;
                }
                if amount * amount2 < 0.0 {
                    naked += if amount < 0.0 {
                        -amount - min(-amount, amount2)
                    } else {
                        -amount2 - min(amount, -amount2)
                    };
                } else if amount < 0.0 {
                    naked += -amount - amount2;
                }
                found = true;
            }
        }
        if !found && amount < 0.0 {
            naked -= amount;
        }
    }
    naked
}

/// PMRM_2's view of the account's collateral: contingencies and the risk-cancelling value.
struct CollateralHoldings<'a> {
    /// Σ value·`mmHaircut`.
    maintenance: f64,
    /// Σ value·`imHaircut`.
    initial: f64,
    /// Σ value of the risk-cancelling assets (moves with the spot shock).
    risk_cancelling: f64,
    /// The first risk-cancelling asset (names the scenario rows of an account without
    /// positions).
    first_risk_cancelling: Option<&'a str>,
    /// Σ confidence contingency of the assets (IM only).
    confidence: f64,
}

/// Derive's confidence contingency of `notional` (`_getConfidenceContingency`): (1 − confidence)·
/// `confMargin`·notional when the confidence is below `confThreshold`, else 0.
fn confidence_contingency(p: &DerivePortfolioParams, confidence: f64, notional: f64) -> f64 {
    if confidence < p.conf_threshold {
        (1.0 - confidence) * p.conf_margin * notional
    } else {
        0.0
    }
}

/// Values the listed collateral as Derive does: amount·price / USDC price; each asset's
/// confidence is its feed's score capped by `spot_confidence` (the manager's spot feed).
fn collateral_holdings<'a>(
    market: &Market,
    collateral: &'a VecMap<String, f64>,
    p: &DerivePortfolioParams,
    stable: f64,
    spot_confidence: Option<f64>,
) -> Result<CollateralHoldings<'a>> {
    let mut held = CollateralHoldings {
        maintenance: 0.0,
        initial: 0.0,
        risk_cancelling: 0.0,
        first_risk_cancelling: None,
        confidence: 0.0,
    };
    let scores = market.feed_confidence();
    for (asset, &amount) in collateral {
        let Some(rule) = p.collateral.get(asset) else {
            continue;
        };
        if !(amount.is_finite() && amount >= 0.0) {
            return Err(Error::invalid(
                format!("account.collateral.{asset}"),
                format!(
                    "PMRM_2 collateral balances are non-negative, got {}",
                    crate::numfmt::Shortest(amount)
                ),
            ));
        }
        let value = amount * market.collateral(asset)?.price / stable;
        held.maintenance += value * rule.mm_haircut;
        held.initial += value * rule.im_haircut;
        let own = scores.map_or(1.0, |c| c.collateral(asset));
        let confidence = spot_confidence.map_or(own, |spot| min(own, spot));
        held.confidence += confidence_contingency(p, confidence, value);
        if rule.risk_cancelling {
            held.risk_cancelling += value;
            held.first_risk_cancelling.get_or_insert(asset.as_str());
        }
    }
    Ok(held)
}

/// Derive PMRM_2 requirements of `positions` and `collateral` (balances by asset; see the
/// module documentation), in USD, summed over underlyings (each as its own PMRM_2 account).
/// Risk-cancelling collateral joins the scenarios of the account's one underlying (PMRM_2 is
/// one manager per market): `E_INVALID_INPUT` if the positions span several.
pub fn derive_portfolio_requirements(
    market: &Market,
    positions: &[Position],
    collateral: &VecMap<String, f64>,
    p: &DerivePortfolioParams,
) -> Result<PortfolioResult> {
    p.validate()?;
    let mut by_underlying: VecMap<&str, Vec<&Position>> = VecMap::new();
    for (i, position) in positions.iter().enumerate() {
        if !position.amount.is_finite() {
            return Err(Error::invalid(
                format!("positions[{i}].amount"),
                format!(
                    "must be finite, got {}",
                    crate::numfmt::Shortest(position.amount)
                ),
            ));
        }
        by_underlying
            .slot(position.instrument.underlying.as_str(), Vec::new)
            .push(position);
    }
    let stable = market.collateral("USDC").map_or(1.0, |c| c.price);
    let peg = max(p.peg_loss_threshold - stable, 0.0) * p.peg_loss_factor;
    let scores = market.feed_confidence();
    // The manager's spot feed caps each collateral's confidence: the positions' underlyings'
    // (the lowest if several), or with no position every scored underlying's lowest.
    let spot_confidence = if by_underlying.is_empty() {
        scores.and_then(|c| c.underlyings.values().map(|u| u.spot).reduce(min))
    } else {
        by_underlying
            .keys()
            .map(|name| scores.map_or(1.0, |c| c.underlying(name).spot))
            .reduce(min)
    };
    let held = collateral_holdings(market, collateral, p, stable, spot_confidence)?;
    if let Some(asset) = held.first_risk_cancelling {
        if by_underlying.len() > 1 {
            return Err(Error::invalid(
                "account.positions",
                format!(
                    "risk-cancelling collateral ({asset}) needs the positions on one underlying: PMRM_2 is one manager per market"
                ),
            ));
        }
        if by_underlying.is_empty() {
            by_underlying.insert(asset, Vec::new());
        }
    }
    let mut result = PortfolioResult {
        scenarios: Vec::new(),
        worst_loss: 0.0,
        contingencies: Contingencies::default(),
        risk_matrix_margin: held.maintenance,
        initial: held.maintenance + held.initial + held.confidence,
        maintenance: held.maintenance,
    };
    for (name, list) in by_underlying {
        // Without positions (risk-cancelling collateral only) no market data is needed.
        let underlying = match list.first() {
            Some(_) => Some(market.underlying(name)?),
            None => None,
        };
        let s0 = underlying.map_or(0.0, |u| u.spot());
        let mut perps: Vec<(&Position, f64)> = Vec::new();
        let mut expiries: VecMap<Millis, Expiry> = VecMap::new();
        let mut strikes: VecMap<Millis, Vec<(f64, f64)>> = VecMap::new();
        for position in list {
            let Some(underlying) = underlying else {
                break;
            };
            match position.instrument.contract {
                ContractKind::Option { expiry, strike, .. } => {
                    let tau = market.time_to(expiry)?.get();
                    let forward = underlying.forward_at(s0, tau);
                    let sigma = underlying
                        .option_vol(&position.instrument, &position.id, forward, tau)?
                        .get();
                    // Each expiry discounts at its own rate, floored at 0 as Derive does.
                    let rate = max(underlying.rate_at(tau), 0.0);
                    let e = expiries.slot(expiry, || Expiry {
                        legs: Vec::new(),
                        tau,
                        forward,
                        rate,
                        discount: exp(-rate * tau),
                        value: 0.0,
                    });
                    e.legs.push((position, sigma, strike));
                    e.value += value_position(position, market, &Shock::NONE)?.usd;
                    strikes
                        .slot(expiry, Vec::new)
                        .push((strike, position.amount));
                }
                ContractKind::Perpetual | ContractKind::Future { .. } => {
                    let mark = super::valuation::reference_mark(position, market)?;
                    perps.push((position, mark));
                }
            }
        }
        // Per-expiry precomputes: vol multipliers, static discounts, basis contingency.
        let mut basis = 0.0;
        let mut prepared = Vec::with_capacity(expiries.len());
        for e in expiries.values() {
            let rate = e.rate;
            let seconds = e.tau * SECONDS_PER_YEAR;
            let x = 30.0 * SECONDS_PER_DAY / max(seconds, p.dte_floor_days * SECONDS_PER_DAY);
            let power = if seconds <= 30.0 * SECONDS_PER_DAY {
                p.short_term_power
            } else {
                p.long_term_power
            };
            let term = pow(x, power);
            let up = 1.0 + p.vol_range_up * term;
            let down = max(0.0, 1.0 - p.vol_range_down * term);
            let sd_pos = p.long_base_static_discount
                * exp(-e.tau * (rate * p.long_rate_mult_scale + p.long_rate_add_scale));
            let sd_neg = min(
                1.0 / e.discount,
                p.short_base_static_discount
                    / exp(-e.tau * (rate * p.short_rate_mult_scale + p.short_rate_add_scale)),
            );
            let same = |_: f64, _: f64| 1.0;
            let v_up = e.value_at(market, p.basis_spot_up, &same)?;
            let v_down = e.value_at(market, p.basis_spot_down, &same)?;
            basis += min(min(v_up - e.value, v_down - e.value), 0.0)
                * (p.basis_add_factor + p.basis_mult_factor * e.tau);
            prepared.push((e, up, down, sd_pos, sd_neg));
        }
        let perp_size: f64 = perps.iter().map(|(q, _)| q.amount).sum();
        // Scenarios.
        let mut rows = Vec::with_capacity(p.scenarios.len());
        let mut raw_rows = Vec::with_capacity(p.scenarios.len());
        for s in &p.scenarios {
            let mut pnl = 0.0;
            // The same revaluation before the dampening and the skew rows' −|·|.
            let mut raw = 0.0;
            for (position, mark) in &perps {
                let perp_pnl = position.amount * (s.spot_shock - 1.0) * mark;
                raw += perp_pnl;
                pnl += s.dampening * perp_pnl;
            }
            for &(e, up, down, sd_pos, sd_neg) in &prepared {
                let skew = matches!(s.vol_shock, DeriveVolShock::Linear | DeriveVolShock::Abs);
                let shocked = match s.vol_shock {
                    DeriveVolShock::None => e.value_at(market, s.spot_shock, &|_, _| 1.0)?,
                    DeriveVolShock::Up => e.value_at(market, s.spot_shock, &|sigma, _| {
                        vol_scale_within(sigma, max(p.min_vol_up_shock, sigma * up))
                    })?,
                    DeriveVolShock::Down => e.value_at(market, s.spot_shock, &|sigma, _| {
                        vol_scale_within(sigma, sigma * down)
                    })?,
                    DeriveVolShock::Linear | DeriveVolShock::Abs => {
                        let linear = s.vol_shock == DeriveVolShock::Linear;
                        let root = e.tau.sqrt();
                        let cap = if linear {
                            p.linear_c_base * root + p.linear_base_cap
                        } else {
                            p.abs_c_base * root + p.abs_base_cap
                        };
                        let k_star = max(
                            p.min_k_star,
                            root * p.width_scale * (p.vol_param_static + root * p.vol_param_scale),
                        );
                        if k_star <= 0.0 {
                            // Derive divides by k* (and reverts when it is 0).
                            return Err(Error::invalid(
                                "derive.minKStar",
                                format!(
                                    "k* = max(minKStar, √τ·widthScale·(volParamStatic + √τ·volParamScale)) is {k_star} at τ = {}: the skew shock needs it positive",
                                    crate::numfmt::Shortest(e.tau),
                                    k_star = crate::numfmt::Shortest(k_star),
                                ),
                            ));
                        }
                        let forward = e.forward;
                        // Forward unshocked: spot shock 1.
                        e.value_at(market, 1.0, &|sigma, strike| {
                            let k = ln(strike / forward);
                            let k = if linear { k } else { k.abs() };
                            let tilt = if k >= 0.0 {
                                min(cap, k * cap / k_star)
                            } else {
                                max(-cap, k * cap / k_star)
                            };
                            vol_scale_within(sigma, sigma * max(1.0 + tilt, 0.0))
                        })?
                    }
                };
                let discounted = shocked * if shocked >= 0.0 { sd_pos } else { sd_neg };
                raw += discounted - e.value;
                let expiry_pnl = s.dampening * (discounted - e.value);
                pnl += if skew { -expiry_pnl.abs() } else { expiry_pnl };
            }
            // Risk-cancelling collateral (only ever in the one group).
            pnl += held.risk_cancelling * (s.spot_shock - 1.0) * s.dampening;
            rows.push(pnl);
            raw_rows.push(raw);
        }
        let lowest_row = rows.iter().copied().fold(f64::INFINITY, min);
        let worst = min(basis, lowest_row);
        let worst_index = if lowest_row <= basis {
            rows.iter().position(|r| *r == lowest_row)
        } else {
            None
        };
        for (i, ((s, pnl), raw)) in p.scenarios.iter().zip(&rows).zip(&raw_rows).enumerate() {
            result.scenarios.push(ScenarioPnl {
                underlying: name.to_string(),
                currency: "USD".to_string(),
                spot_move: s.spot_shock - 1.0,
                vol: match s.vol_shock {
                    DeriveVolShock::None => "same",
                    DeriveVolShock::Up => "up",
                    DeriveVolShock::Down => "down",
                    DeriveVolShock::Linear => "linear",
                    DeriveVolShock::Abs => "abs",
                }
                .to_string(),
                extended: s.dampening < 1.0,
                pnl: *pnl,
                pnl_usd: *pnl,
                raw_pnl: *raw,
                raw_pnl_usd: *raw,
                worst: worst_index == Some(i),
                vol_shock: None,
                weight: Some(s.dampening),
            });
        }
        // Derive's arrangement stores an expiry's options last first: match strikes in that order.
        let naked: f64 = strikes
            .values()
            .map(|list| {
                let reversed: Vec<(f64, f64)> = list.iter().rev().copied().collect();
                naked_shorts(&reversed)
            })
            .sum();
        let perp_notional = perp_size.abs() * s0;
        let mm_perp = perp_notional * p.mm_perp_percent;
        let mm_option = naked * s0 * p.mm_option_percent;
        // Confidence contingency (IM only): the manager's confidence is its spot feed's, and its
        // perp feed's when it holds perps; an expiry's adds its forward, rate and vol feeds'.
        let feeds = scores.map(|c| c.underlying(name)).unwrap_or_default();
        let manager_confidence = if perp_size == 0.0 {
            feeds.spot
        } else {
            min(feeds.spot, feeds.perp)
        };
        let mut confidence = confidence_contingency(p, manager_confidence, perp_notional);
        for (expiry, list) in &strikes {
            let net_options: f64 = list.iter().map(|(_, amount)| amount.abs()).sum();
            confidence += confidence_contingency(
                p,
                min(manager_confidence, feeds.expiry(*expiry)),
                net_options * s0,
            );
        }
        let im_extra =
            perp_notional * p.im_perp_percent + naked * s0 * p.im_option_percent + confidence;
        let loss = -min(worst, 0.0);
        result.worst_loss += loss;
        result.contingencies.roll += -basis;
        result.contingencies.futures += mm_perp;
        result.contingencies.short_option += mm_option;
        result.risk_matrix_margin += loss + mm_perp + mm_option;
        result.maintenance += loss * p.mm_factor + mm_perp + mm_option;
        result.initial += loss * (p.im_factor + peg) + mm_perp + mm_option + im_extra;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naked_shorts_match_by_strike() {
        // derive.md §2.4 (TestPMRM_Contingencies): short C1500 + short P1500 → 2 naked.
        assert_eq!(naked_shorts(&[(1500.0, -1.0), (1500.0, -1.0)]), 2.0);
        // A short covered by a long of the same strike: the uncovered remainder.
        assert_eq!(naked_shorts(&[(1500.0, -3.0), (1500.0, 1.0)]), 2.0);
        assert_eq!(naked_shorts(&[(1500.0, 1.0), (1500.0, -3.0)]), 2.0);
        assert_eq!(naked_shorts(&[(1500.0, -1.0), (1600.0, 1.0)]), 1.0);
        assert_eq!(naked_shorts(&[(1500.0, 2.0)]), 0.0);
        DerivePortfolioParams::default().validate().unwrap();
    }

    #[test]
    fn collateral_contingencies_and_risk_cancelling_value() {
        let market = Market::new(
            crate::json::from_str(
                r#"{"now": 1000, "underlyings": {"ETH": {"index": {"price": 2000, "publishTime": 0}}},
                    "collateral": {"USDC": {"price": 1, "decimals": 6},
                                   "WETH": {"price": 2000, "decimals": 18},
                                   "USDT": {"price": 1, "decimals": 6}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let mut p = DerivePortfolioParams::default();
        let rule = |mm, im, risk_cancelling| DeriveCollateral {
            mm_haircut: mm,
            im_haircut: im,
            risk_cancelling,
        };
        p.collateral.insert("WETH".into(), rule(0.1, 0.05, true));
        p.collateral.insert("USDT".into(), rule(0.02, 0.03, false));
        let balances: VecMap<String, f64> = [
            ("WETH".to_string(), 1.0),
            ("USDT".to_string(), 1000.0),
            ("USDC".to_string(), 5.0),
        ]
        .into_iter()
        .collect();
        let r = derive_portfolio_requirements(&market, &[], &balances, &p).unwrap();
        // Worst scenario: WETH (2000, risk-cancelling) at 0.82 → −360 (the 0.34 tail is dampened
        // to 1320·0.0545 ≈ 72). MM = 0.8·360 + 200 + 20; IM = 360 + 200 + 20 + 100 + 30.
        assert!((r.worst_loss - 360.0).abs() < 1e-9, "{}", r.worst_loss);
        assert!((r.maintenance - (0.8 * 360.0 + 220.0)).abs() < 1e-9);
        assert!((r.initial - (360.0 + 220.0 + 130.0)).abs() < 1e-9);
        assert!(r.scenarios.iter().all(|s| s.underlying == "WETH"));
        // A borrowed (negative) PMRM_2 collateral is refused, naming it.
        let borrowed: VecMap<String, f64> = [("WETH".to_string(), -1.0)].into_iter().collect();
        let err = derive_portfolio_requirements(&market, &[], &borrowed, &p).unwrap_err();
        assert_eq!(err.field(), "account.collateral.WETH");
        // Risk-cancelling collateral with positions on two underlyings: refused (PMRM_2 is one
        // manager per market), before any market lookup.
        let perp = |underlying: &str| {
            let instrument =
                crate::portfolio::Instrument::parse(&format!("{underlying}-PERP")).unwrap();
            Position {
                id: instrument.id(),
                instrument,
                amount: 1.0,
                entry_price: None,
                isolated_margin: None,
            }
        };
        let err =
            derive_portfolio_requirements(&market, &[perp("ETH"), perp("BTC")], &balances, &p)
                .unwrap_err();
        assert_eq!(err.field(), "account.positions");
    }

    #[test]
    fn confidence_contingency_charges_initial_margin_only() {
        // Long 2 perps at S = 2000, spot score 0.4 (< 0.55) and perp score 0.3: the manager's
        // confidence is 0.3, so IM gains (1 − 0.3)·1.0·2·2000 = 2800 (`_getConfidenceContingency`)
        // and MM is unchanged; WETH collateral (score 0.5) is capped by the spot score (0.4, not
        // the perp's), so it adds (1 − 0.4)·2000 = 1200.
        let market = |scores: &str| {
            Market::new(
                crate::json::from_str(&format!(
                    r#"{{"now": 1000, "underlyings": {{"ETH": {{"index": {{"price": 2000, "publishTime": 0}},
                          "marks": {{"ETH_USDC-PERPETUAL": 2000}}}}}},
                        "collateral": {{"USDC": {{"price": 1, "decimals": 6}}, "WETH": {{"price": 2000, "decimals": 18}}}}
                        {scores}}}"#
                ))
                .unwrap(),
            )
            .unwrap()
        };
        let instrument = crate::portfolio::Instrument::parse("ETH-PERP").unwrap();
        let perp = Position {
            id: instrument.id(),
            instrument,
            amount: 2.0,
            entry_price: None,
            isolated_margin: None,
        };
        let mut p = DerivePortfolioParams::default();
        p.collateral.insert(
            "WETH".into(),
            DeriveCollateral {
                mm_haircut: 0.0,
                im_haircut: 0.0,
                risk_cancelling: false,
            },
        );
        let balances: VecMap<String, f64> = [("WETH".to_string(), 1.0)].into_iter().collect();
        let run = |scores: &str, p: &DerivePortfolioParams| {
            derive_portfolio_requirements(
                &market(scores),
                std::slice::from_ref(&perp),
                &balances,
                p,
            )
            .unwrap()
        };
        let base = run("", &p);
        let low = r#", "feedConfidence": {"underlyings": {"ETH": {"spot": 0.4, "perp": 0.3}},
                      "collateral": {"WETH": 0.5}}"#;
        let scored = run(low, &p);
        assert_eq!(scored.maintenance, base.maintenance);
        assert!(
            (scored.initial - base.initial - 4000.0).abs() < 1e-9,
            "{}",
            scored.initial - base.initial
        );
        // At the threshold (strictly below charges) nothing is added.
        p.conf_threshold = 0.3;
        let at = run(low, &p);
        assert!((at.initial - base.initial).abs() < 1e-9);
        // A bad score is refused at market validation, naming it.
        let err = Market::new(
            crate::json::from_str(
                r#"{"now": 1, "underlyings": {}, "feedConfidence": {"collateral": {"WETH": 1.5}}}"#,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.field(), "feedConfidence.collateral.WETH");
        // Parameters outside Derive's setter bounds name their field.
        for (threshold, margin, field) in [
            (1.5, 1.0, "derive.confThreshold"),
            (0.5, 21.0, "derive.confMargin"),
        ] {
            p.conf_threshold = threshold;
            p.conf_margin = margin;
            assert_eq!(p.validate().unwrap_err().field(), field);
        }
    }

    #[test]
    fn a_non_positive_k_star_is_refused_naming_min_k_star() {
        // minKStar 0 with widthScale 0 makes k* = 0, which Derive divides by (a revert).
        let market = Market::new(
            crate::json::from_str(
                r#"{"now": 1735689600000, "underlyings": {"ETH": {"index": {"price": 2000, "publishTime": 0},
                    "markIv": {"ETH-1JAN26-2000-C": 0.8}}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let instrument = crate::portfolio::Instrument::parse("ETH-1JAN26-2000-C").unwrap();
        let call = Position {
            id: instrument.id(),
            instrument,
            amount: -1.0,
            entry_price: None,
            isolated_margin: None,
        };
        let mut p = DerivePortfolioParams {
            min_k_star: 0.0,
            ..DerivePortfolioParams::default()
        };
        let none = VecMap::new();
        derive_portfolio_requirements(&market, std::slice::from_ref(&call), &none, &p).unwrap();
        p.width_scale = 0.0;
        let err = derive_portfolio_requirements(&market, &[call], &none, &p).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("E_INVALID_INPUT", "derive.minKStar")
        );
    }

    #[test]
    fn basis_spot_down_takes_derive_setter_range_down_to_zero() {
        // v2-core `PMRMLib_2.setBasisContingencyParams` requires only scenarioSpotDown < 1e18
        // (an unsigned value, so down to 0); `portfolio_cases/test_102_..._FWD_CONT_SHOCK_DOWN_min`
        // uses 1e-5. A spot of exactly 0 is outside our pricer's shock domain: refused up front,
        // naming the field.
        let market = Market::new(
            crate::json::from_str(
                r#"{"now": 1735689600000, "underlyings": {"ETH": {"index": {"price": 2000, "publishTime": 0},
                    "markIv": {"ETH-1JAN26-2000-P": 0.8}}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let instrument = crate::portfolio::Instrument::parse("ETH-1JAN26-2000-P").unwrap();
        let put = Position {
            id: instrument.id(),
            instrument,
            amount: -1.0,
            entry_price: None,
            isolated_margin: None,
        };
        let none = VecMap::new();
        for down in [1e-5, 1.0] {
            let p = DerivePortfolioParams {
                basis_spot_down: down,
                ..DerivePortfolioParams::default()
            };
            p.validate().unwrap();
            let r = derive_portfolio_requirements(&market, std::slice::from_ref(&put), &none, &p);
            assert!(r.is_ok(), "basisSpotDown {down}: {r:?}");
        }
        for bad in [0.0, -0.1, 1.5, f64::NAN] {
            let p = DerivePortfolioParams {
                basis_spot_down: bad,
                ..DerivePortfolioParams::default()
            };
            assert_eq!(p.validate().unwrap_err().field(), "derive.basisSpotDown");
        }
    }
}
