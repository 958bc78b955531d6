//! `MarginReport`: what `margin()` returns — exact requirements and equity in the margin asset's
//! base units beside display floats, the component breakdown, Greeks, scenarios and warnings.

use super::collateral::CollateralValue;
use super::drr::{DrrUnderlying, NetGreeks};
use super::liquidity::LiquidityCharge;
#[cfg(not(target_arch = "wasm32"))]
use super::money::BaseUnits;
use super::money::Money;
use super::portfolio::PortfolioResult;
use super::statistical::VarResult;
use crate::portfolio::MarginMode;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// One position's line in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PositionLine {
    /// Index of the position in the account.
    pub position: usize,
    /// Canonical instrument id.
    pub instrument: String,
    /// Equity contribution (USD): unrealised P&L for perpetuals/futures, mark value for options.
    pub value: f64,
    /// ∂value/∂index (USD per USD).
    pub delta: f64,
    /// ∂²value/∂index².
    pub gamma: f64,
    /// ∂value/∂σ per 1.00 of vol.
    pub vega: f64,
    /// Per year of calendar time.
    pub theta: f64,
    /// Standard-model requirements of this position alone, before spread relief (USD; absent
    /// in portfolio mode). The line's `position` and `instrument` say whose.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub requirement: Option<Component>,
    /// Isolated mode: this position's margin ratio (its equity / its maintenance), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub isolated_health: Option<f64>,
}

/// Requirement components in USD, maintenance and initial.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Maintenance (USD).
    pub maintenance: f64,
    /// Initial (USD).
    pub initial: f64,
}

/// How the total requirement is built (USD). `total = flags(max|sum(model, drr) + liquidity)`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Components {
    /// The mode's model: standard (cross/isolated) or risk matrix (portfolio).
    pub model: Component,
    /// The DRR sensitivity add-on (including its oracle buffer).
    pub drr: Component,
    /// Part of the DRR add-on due to oracle staleness and confidence.
    pub oracle_buffer: f64,
    /// Liquidity-weighted charge.
    pub liquidity: Component,
    /// Increase due to risk flags and a stale oracle in conservative mode.
    pub flags: Component,
    /// Equity lost to collateral haircuts (USD).
    pub collateral_haircut: f64,
    /// The total before rounding.
    pub total: Component,
}

/// A non-fatal condition worth showing (stale oracle in conservative mode, surface arbitrage,
/// no order-book depth, an active risk flag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// Stable code, e.g. `W_STALE_ORACLE`, `W_BUTTERFLY_ARBITRAGE`, `W_NO_DEPTH`, `W_RISK_FLAG`.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The result of `margin()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct MarginReport {
    /// The account's id, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub account: Option<String>,
    /// Margin mode used.
    pub mode: MarginMode,
    /// Asset the exact amounts are in (e.g. `USDC`).
    pub margin_asset: String,
    /// Equity: haircut collateral + position values, rounded down.
    pub equity: Money,
    /// Initial margin, rounded up.
    pub initial_margin: Money,
    /// Maintenance margin, rounded up.
    pub maintenance_margin: Money,
    /// Equity − initial margin, rounded down (may be negative).
    pub free_collateral: Money,
    /// Equity / maintenance margin (< 1: liquidatable); absent when nothing is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub health: Option<f64>,
    /// Requirement components (USD).
    pub components: Components,
    /// Per position.
    pub positions: Vec<PositionLine>,
    /// Per collateral asset.
    pub collateral: Vec<CollateralValue>,
    /// Net Greeks per underlying (USD).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, NetGreeks>"))]
    pub greeks: VecMap<String, NetGreeks>,
    /// DRR add-on per underlying.
    pub drr: Vec<DrrUnderlying>,
    /// Liquidity charge per underlying.
    pub liquidity: Vec<LiquidityCharge>,
    /// Portfolio mode: the scenario P&L table with the worst scenario marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub portfolio: Option<PortfolioResult>,
    /// Variance-covariance and Monte Carlo VaR/ES (when `statistical.enabled`; not part of the
    /// requirement).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub statistical: Option<VarResult>,
    /// SHA-256 of the canonical JSON of the parameters used.
    pub params_hash: String,
    /// Non-fatal conditions.
    pub warnings: Vec<Warning>,
    /// The amounts' base units when their texts were left out (the engine's figures, native),
    /// else `None`. Not part of the interchange form.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(skip)]
    pub(crate) base_units: Option<BaseUnits>,
}
