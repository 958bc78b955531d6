//! Portfolio margin: Deribit's "extended risk matrix" (docs/venues/deribit.md §3) by full
//! revaluation of the book on a grid of underlying moves × implied-volatility shocks, plus its
//! contingency charges, in USD.
//!
//! Owns: the scenario grid, the term-scaled vol shock, the gain offset, the extended (tail) table,
//! the contingencies (roll, delta, short option, futures), the aggregation of risk vectors across
//! underlyings and the parameters of all of these ([`PortfolioParams`]).
//!
//! Never: values equity or collateral, applies add-ons (DRR, liquidity, oracle buffer, risk flags),
//! models open-order or MMP margin, or rounds money. Positions are valued through
//! [`value_position`], except in the grid: there the options of one pricing node (bit-equal
//! expiry, forward, strike, vol, discount) are revalued together, by a price-only Black-76 with
//! ln(F/K) = ln(F₀/K) + ln(1 + move) (`black76_call_put_from_total_vol`; within 1e-12 of
//! `value_position`, not bit-equal), and a row's P&L is the nodes' value in the scenario minus
//! their value now by the same kernel, plus the perpetuals and futures leg by leg. A node's
//! values in the grid's rows may come from a [`ScenarioCache`] filled by an earlier computation
//! (the same values: it keys them by the node's inputs and the grid's parameters). Natively, a
//! computation without the scenario table, the first after the underlying moved, bounds the rows
//! from the cache's earlier rows and prices only those that can be the worst (`grid_bounds`: the
//! same requirement, bit for bit).
//!
//! # Model
//! - **Risk vectors.** Positions are grouped by (underlying, settlement): coin-settled (inverse)
//!   positions form a vector in the coin (Deribit's `btc_btc`), linear ones a vector in USD. A
//!   position's scenario P&L is its value under the shock minus its value now; in a coin vector
//!   both values are converted to coin at the index of their own scenario (USD value / shocked
//!   index), so an inverse perpetual of coin size q shows q·(1 − 1/(1+m)) as at Deribit.
//! - **Standard grid.** Moves −`priceRange`…+`priceRange` in 2·`bucketsCount`+1 steps, each with
//!   vol `up`, `same` and `down`. Per option, with DTE its days to expiry and
//!   p = `shortTermVegaPower` if DTE < 30 else `longTermVegaPower`:
//!   up = max(σ·(1 + `volatilityRangeUp`·(30/DTE)^p), `minVolatilityForShockUp`),
//!   down = max(σ·(1 − `volatilityRangeDown`·(30/DTE)^p), `minVolatilityForShockDown`) (deribit.md
//!   §3.2, third-party statement of Deribit's formula; Deribit floors the down shock at 0, we at
//!   `minVolatilityForShockDown` = 1 % so that every repricing has a positive vol). Shocked vols
//!   may exceed the 1000 % input limit (up to [`Vol::SHOCKED_MAX`]): capping them would understate
//!   a short's loss. Vol shocks apply to options only; σ is the option's vol now (mark IV or
//!   surface at the current forward), held per strike (sticky strike).
//! - **Extended table.** `extendedMoves` with vol up; perpetuals and futures take the ±`priceRange`
//!   edge values there (observed at Deribit). *Ours* (Deribit's arithmetic is unpublished): a row's
//!   loss counts as max(0, `extendedFraction`·loss_USD − `extendedDampener`), a gain counts 0.
//!   This reproduces the all-zero extended rows of both Deribit examples.
//! - **Weighted scenario lists** (Paradex SCAN, docs/venues/paradex.md §2.2). A non-empty
//!   `scenarios` list of {`spotMove`, `volShock`, `weight`} replaces the grid and the extended
//!   table: every option's vol becomes σ·(1 + volShock·(30/max(`dteFloorDays`, DTE))^p), floored
//!   like the grid's up/down shocks, perpetuals and futures take the full move, and a row's P&L
//!   counts `weight` times before the gain offset (Paradex: the maximum weighted loss, so with
//!   `pnlOffset` 0 gains count 0). On ties the first listed row is the worst.
//! - **Gain offset.** Standard rows: a loss counts in full, a gain x counts
//!   `pnlOffset`·min(x, `maxOffsetablePnl`) (cap in USD; Deribit BTC defaults 0/0: gains count 0).
//! - **Worst loss** of a vector = −min over its counted rows (≥ 0), in USD (coin at the index now).
//!   One row per vector is marked `worst`; on ties the first bucket, and within it vol `same`
//!   (Deribit reports the middle column), wins. Across vectors: `aggregation: "sum"` adds the
//!   vectors' worst losses; `"correlation"` (*ours*) first adds them per underlying (L_u) and
//!   then takes √(max(0, Σ_u Σ_v ρ_uv·L_u·L_v)), ρ from `correlations` (symmetric, ρ_uu = 1,
//!   missing pairs `defaultCorrelation`). The worst losses may come from different scenarios.
//! - **Contingencies**, in USD at the index:
//!   roll = Σ_futures,perps |q|·max(`minAnnualisedMove`, `annualisedMoveRisk`·T) (q coin size:
//!   inverse notional / mark, linear amount; perpetuals T = 0) — the floor branch reproduces
//!   Deribit; the linear-in-T branch is inferred;
//!   delta (*ours*; Deribit's formula is unpublished) = `maxDeltaShock`·`priceRange`·
//!   max(0, |net delta USD| − `deltaTotalLiqShockThreshold`) per underlying, net delta USD =
//!   Σ ∂value/∂S·S over every position of the underlying;
//!   short option (legacy Deribit, default 0) = `shortOptionContingency`·index per unit of net
//!   short options per strike (calls and puts of every expiry netted, per vector);
//!   futures (legacy Deribit, default 0) = `futuresContingency`·index·min(long, short) coin sizes
//!   of the futures and perpetuals of a vector;
//!   minimum delta (Paradex, default off) = max(0, MinDeltaRisk − worst loss) per underlying, so
//!   that the underlying's charge is max(SCAN, MinDeltaRisk), with MinDeltaRisk =
//!   `minDeltaNet`·|Σ d| + `minDeltaHedged`·(Σ |d| − |Σ d|)/2 over its positions' USD deltas d
//!   (exact for `aggregation: "sum"`; under `correlation` it is added after aggregating);
//!   SPAN intra-commodity spread (default off) = Σ spreads formed × (`charge` + `rate`·index):
//!   positions' deltas in units of the underlying (futures: coin size; options: ∂V/∂F) are
//!   netted per tier of days to expiry (`spreadTiers`), then `intraSpreads` form, in their
//!   order, min(|Δ_a|, |Δ_b|) spreads between tiers of opposite sign, consuming the deltas;
//!   SPAN short option minimum (default off) = max(0, `shortOptionMinimum`·index·Σ short option
//!   units − the underlying's other charges), so the underlying pays at least the minimum.
//! - **Requirements.** riskMatrixMargin = worst loss + contingencies; initial = riskMatrixMargin
//!   (Deribit's IM also adds open-order, MMP and spot margins, not modelled here); maintenance =
//!   `mmFactor`·riskMatrixMargin.
//! - *Ours*, both default 0 (off): `skewShock` tilts every shocked vol by (1 + skewShock·k·sign(m)),
//!   k = ln(K/F₀), m the scenario's move (the smile steepens towards the side the market moves
//!   to); `timeValueDiscount` d counts only (1 − d) of a long option's time value in every
//!   scenario (its intrinsic value in full; the value now stays the mark), so long premium
//!   cannot offset more than its intrinsic value plus a haircut time value.

use super::inter_spread::{self, InterSpread, UnderlyingRisk};
use super::params::{check, check_lazy, finite_in};
use super::scenario_cache::{NodeKey, ScenarioCache, VectorCache};
// The engine's bounded rows: native only (the keeper's speed; the .wasm budget has no room
// for them, and they change no number).
#[cfg(not(target_arch = "wasm32"))]
pub(super) mod grid_bounds;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod layout;
pub(crate) mod node_index;
use crate::bytes::same_text;
use crate::error::{Error, Result};
use crate::margin::valuation::{
    call_put_now, log_forward_over_strike_now, value_position, Shock, UnshockedTerms, ValuesNow,
};
use crate::market::{Market, StickyRule, Underlying};
use crate::math::{exp, ln, max, min, pow};
use crate::portfolio::{ContractKind, Position, Settlement};
use crate::pricing::{black76_call_put_from_total_vol, black76_price, OptionKind};
use crate::units::Vol;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::BTreeMap;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::Arc;

/// Parameters of the USD-settled (linear) risk vectors, shared by every underlying (Deribit's
/// `usd` currency block). Defaults: the official BTC example of 2024-06-17.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SettlementParams {
    /// Roll shock per year to expiry (fraction of the index).
    pub annualised_move_risk: f64,
    /// Floor of the roll shock (fraction of the index).
    pub min_annualised_move: f64,
    /// USD subtracted from each counted extended-table loss.
    pub extended_dampener: f64,
    /// Fraction of a standard-row gain that offsets losses.
    pub pnl_offset: f64,
    /// Largest gain (USD) that may count towards the offset.
    pub max_offsetable_pnl: f64,
}

impl Default for SettlementParams {
    fn default() -> Self {
        SettlementParams {
            annualised_move_risk: 0.1,
            min_annualised_move: 0.01,
            extended_dampener: 25_000.0,
            pnl_offset: 0.0,
            max_offsetable_pnl: 0.0,
        }
    }
}

/// The risk matrix of one underlying: Deribit's `currency_pair` block plus its coin's `currency`
/// block (which applies to the coin-settled vector). Defaults: BTC, from the official
/// `private/pme/simulate` example (2024-06-17), except the fields marked *ours*.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RiskMatrixParams {
    /// Largest standard move of the index (0.16 = ±16 %).
    pub price_range: f64,
    /// Buckets per side: the standard grid has 2·bucketsCount + 1 moves.
    pub buckets_count: u32,
    /// Relative vol-up shock at 30 days to expiry.
    pub volatility_range_up: f64,
    /// Relative vol-down shock at 30 days to expiry.
    pub volatility_range_down: f64,
    /// Floor of a shocked-up vol (decimal).
    pub min_volatility_for_shock_up: f64,
    /// Floor of every other shocked vol (decimal; *ours*, Deribit floors at 0).
    pub min_volatility_for_shock_down: f64,
    /// Exponent p of (30/DTE)^p below 30 days to expiry.
    pub short_term_vega_power: f64,
    /// Exponent p of (30/DTE)^p from 30 days to expiry.
    pub long_term_vega_power: f64,
    /// Moves of the extended (tail) table, each with vol up.
    pub extended_moves: Vec<f64>,
    /// Fraction of an extended-table loss that counts (Deribit's `extended_table_factor`, read so).
    pub extended_fraction: f64,
    /// Whether perpetuals and futures stop at ±`priceRange` in extended rows (Deribit, observed)
    /// rather than taking the full extended move (SPAN's extreme scenarios).
    pub extended_futures_at_edge: bool,
    /// Skew tilt of shocked vols per unit of log-moneyness (*ours*; 0 = off).
    pub skew_shock: f64,
    /// Fraction of long options' time value not counted in scenarios (*ours*; 0 = off).
    pub time_value_discount: f64,
    /// Delta shock: fraction of `priceRange` charged on the net delta above the threshold.
    pub max_delta_shock: f64,
    /// Net delta (USD) free of the delta shock.
    pub delta_total_liq_shock_threshold: f64,
    /// Charge per unit of net short options per strike, as a fraction of the index (legacy 0.01).
    pub short_option_contingency: f64,
    /// Charge on offsetting futures, as a fraction of their notional (legacy 0.01).
    pub futures_contingency: f64,
    /// Coin vector: roll shock per year to expiry (fraction of the index).
    pub annualised_move_risk: f64,
    /// Coin vector: floor of the roll shock (fraction of the index).
    pub min_annualised_move: f64,
    /// Coin vector: USD subtracted from each counted extended-table loss.
    pub extended_dampener: f64,
    /// Coin vector: fraction of a standard-row gain that offsets losses.
    pub pnl_offset: f64,
    /// Coin vector: largest gain (USD) that may count towards the offset.
    pub max_offsetable_pnl: f64,
    /// Explicit weighted scenarios (Paradex SCAN). When given they replace the generated grid
    /// and the extended table; empty (the default) keeps the grid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub scenarios: Vec<WeightedScenario>,
    /// Floor of the days to expiry in the vol-shock term (30/max(floor, DTE))^p (0 = none).
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub dte_floor_days: f64,
    /// Minimum delta requirement: fraction of |net delta|·index (Paradex 0.02; 0 = off).
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub min_delta_net: f64,
    /// Minimum delta requirement: fraction of hedged delta·index (Paradex 0.01; 0 = off).
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub min_delta_hedged: f64,
    /// SPAN tiers for intra-commodity (calendar) spreads: ranges of days to expiry
    /// (perpetuals: 0). Referenced by index from `intraSpreads`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub spread_tiers: Vec<SpreadTier>,
    /// SPAN intra-commodity spreads in priority order (formed first to last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub intra_spreads: Vec<IntraSpread>,
    /// SPAN short option minimum: fraction of the index per unit of short options (NSE: 0.03 for
    /// index options). The underlying's charge is at least this (0 = off).
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub short_option_minimum: f64,
}

/// A SPAN spread tier: positions with `fromDays` ≤ days to expiry < `toDays`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpreadTier {
    /// Lower bound (inclusive), days to expiry.
    pub from_days: f64,
    /// Upper bound (exclusive), days to expiry.
    pub to_days: f64,
}

/// A SPAN intra-commodity spread (FLAT rate): one spread is formed per unit of opposite net
/// delta between two tiers, and each costs `charge` USD + `rate` × index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntraSpread {
    /// Index of the first leg's tier in `spreadTiers`.
    pub tier_a: u32,
    /// Index of the second leg's tier in `spreadTiers`.
    pub tier_b: u32,
    /// USD per spread formed.
    #[serde(default)]
    pub charge: f64,
    /// Fraction of the index per spread formed.
    #[serde(default)]
    pub rate: f64,
}

/// One explicit scenario of a weighted list: the index moves by `spotMove`, every option's vol
/// becomes σ·(1 + `volShock`·(30/max(dteFloorDays, DTE))^p), and the scenario's P&L counts
/// `weight` times (Paradex SCAN: "maximum weighted loss").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightedScenario {
    /// Relative move of the index (0.16 = +16 %).
    pub spot_move: f64,
    /// Relative vol shock at 30 days to expiry (0.4 = +40 %, −0.22 = −22 %).
    pub vol_shock: f64,
    /// Weight of the scenario's P&L (1 = full).
    pub weight: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Default for RiskMatrixParams {
    fn default() -> Self {
        RiskMatrixParams {
            price_range: 0.16,
            buckets_count: 4,
            volatility_range_up: 0.5,
            volatility_range_down: 0.25,
            min_volatility_for_shock_up: 0.5,
            min_volatility_for_shock_down: 0.01,
            short_term_vega_power: 0.3,
            long_term_vega_power: 0.13,
            extended_moves: vec![-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
            extended_fraction: 1.0,
            extended_futures_at_edge: true,
            skew_shock: 0.0,
            time_value_discount: 0.0,
            max_delta_shock: 0.1,
            delta_total_liq_shock_threshold: 20_000_000.0,
            short_option_contingency: 0.0,
            futures_contingency: 0.0,
            annualised_move_risk: 0.075,
            min_annualised_move: 0.01,
            extended_dampener: 100_000.0,
            pnl_offset: 0.0,
            max_offsetable_pnl: 0.0,
            scenarios: Vec::new(),
            dte_floor_days: 0.0,
            min_delta_net: 0.0,
            min_delta_hedged: 0.0,
            spread_tiers: Vec::new(),
            intra_spreads: Vec::new(),
            short_option_minimum: 0.0,
        }
    }
}

impl RiskMatrixParams {
    /// ETH as captured from a live `private/pme/simulate` response (2026-02-15, third party;
    /// deribit.md §3.3).
    pub fn deribit_eth() -> Self {
        RiskMatrixParams {
            price_range: 0.18,
            volatility_range_up: 0.4,
            annualised_move_risk: 0.05,
            min_annualised_move: 0.005,
            extended_dampener: 200_000.0,
            pnl_offset: 0.6,
            max_offsetable_pnl: 20_000_000.0,
            ..RiskMatrixParams::default()
        }
    }

    fn coin_settlement(&self) -> SettlementParams {
        SettlementParams {
            annualised_move_risk: self.annualised_move_risk,
            min_annualised_move: self.min_annualised_move,
            extended_dampener: self.extended_dampener,
            pnl_offset: self.pnl_offset,
            max_offsetable_pnl: self.max_offsetable_pnl,
        }
    }
}

/// How the worst losses of several underlyings combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum Aggregation {
    /// Σ of the vectors' worst losses (Deribit S:PM style).
    Sum,
    /// √(Σ_uv ρ_uv·L_u·L_v) over underlyings (ours).
    Correlation,
}

/// Portfolio-margin parameters (see the module documentation). Defaults: Deribit PM with the BTC
/// values of its official example, ETH from a live capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PortfolioParams {
    /// Maintenance / risk-matrix margin (Deribit `mm_factor`).
    pub mm_factor: f64,
    /// `sum` (default) or `correlation`.
    pub aggregation: Aggregation,
    /// Correlations between underlyings' worst losses, `{"BTC": {"ETH": 0.8}}` (either order).
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "Record<string, Record<string, number>>")
    )]
    pub correlations: VecMap<String, VecMap<String, f64>>,
    /// Correlation of a pair not listed in `correlations`.
    pub default_correlation: f64,
    /// Parameters of the USD-settled vectors.
    pub usd: SettlementParams,
    /// Risk matrix per underlying; underlyings not listed use `defaultUnderlying`.
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "Record<string, RiskMatrixParams>")
    )]
    pub underlyings: VecMap<String, RiskMatrixParams>,
    /// Risk matrix of any other underlying.
    pub default_underlying: RiskMatrixParams,
    /// Derive PMRM_2 instead of the risk matrix (see [`super::derive_portfolio`]); absent by
    /// default.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub derive: Option<super::derive_portfolio::DerivePortfolioParams>,
    /// SPAN inter-commodity spreads in priority order (formed first to last; see
    /// [`super::inter_spread`]); none by default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub inter_spreads: Vec<InterSpread>,
}

impl Default for PortfolioParams {
    fn default() -> Self {
        PortfolioParams {
            mm_factor: 0.8,
            aggregation: Aggregation::Sum,
            correlations: VecMap::new(),
            default_correlation: 1.0,
            usd: SettlementParams::default(),
            underlyings: VecMap::from([("ETH".to_string(), RiskMatrixParams::deribit_eth())]),
            default_underlying: RiskMatrixParams::default(),
            derive: None,
            inter_spreads: Vec::new(),
        }
    }
}

const MAX_USD: f64 = 1e15;

impl SettlementParams {
    fn validate(&self, at: &dyn Fn(&str) -> String) -> Result<()> {
        check_lazy(
            finite_in(self.annualised_move_risk, 0.0, 10.0),
            || at("annualisedMoveRisk"),
            "must be in [0, 10]",
        )?;
        check_lazy(
            finite_in(self.min_annualised_move, 0.0, 1.0),
            || at("minAnnualisedMove"),
            "must be in [0, 1]",
        )?;
        check_lazy(
            finite_in(self.extended_dampener, 0.0, MAX_USD),
            || at("extendedDampener"),
            "must be ≥ 0 USD",
        )?;
        check_lazy(
            finite_in(self.pnl_offset, 0.0, 1.0),
            || at("pnlOffset"),
            "must be in [0, 1]",
        )?;
        check_lazy(
            finite_in(self.max_offsetable_pnl, 0.0, MAX_USD),
            || at("maxOffsetablePnl"),
            "must be ≥ 0 USD",
        )
    }
}

impl RiskMatrixParams {
    fn validate(&self, at: &dyn Fn(&str) -> String) -> Result<()> {
        check_lazy(
            finite_in(self.price_range, 1e-6, 0.99),
            || at("priceRange"),
            "must be in (0, 0.99]",
        )?;
        check_lazy(
            (1..=50).contains(&self.buckets_count),
            || at("bucketsCount"),
            "must be in [1, 50]",
        )?;
        for (value, f) in [
            (self.volatility_range_up, "volatilityRangeUp"),
            (self.volatility_range_down, "volatilityRangeDown"),
            (self.min_volatility_for_shock_up, "minVolatilityForShockUp"),
        ] {
            check_lazy(finite_in(value, 0.0, 10.0), || at(f), "must be in [0, 10]")?;
        }
        check_lazy(
            finite_in(self.min_volatility_for_shock_down, 1e-4, 1.0),
            || at("minVolatilityForShockDown"),
            "must be a decimal vol in [0.0001, 1]",
        )?;
        for (value, f) in [
            (self.short_term_vega_power, "shortTermVegaPower"),
            (self.long_term_vega_power, "longTermVegaPower"),
        ] {
            check_lazy(finite_in(value, 0.0, 5.0), || at(f), "must be in [0, 5]")?;
        }
        check_lazy(
            self.extended_moves.len() <= 64,
            || at("extendedMoves"),
            "at most 64 moves",
        )?;
        for (i, m) in self.extended_moves.iter().enumerate() {
            check_lazy(
                finite_in(*m, -0.99, 100.0),
                || at(&format!("extendedMoves[{i}]")),
                "must be a relative move in [−0.99, 100]",
            )?;
        }
        for (value, f) in [
            (self.extended_fraction, "extendedFraction"),
            (self.time_value_discount, "timeValueDiscount"),
            (self.max_delta_shock, "maxDeltaShock"),
            (self.short_option_contingency, "shortOptionContingency"),
            (self.futures_contingency, "futuresContingency"),
        ] {
            check_lazy(finite_in(value, 0.0, 1.0), || at(f), "must be in [0, 1]")?;
        }
        check_lazy(
            finite_in(self.skew_shock, -10.0, 10.0),
            || at("skewShock"),
            "must be in [−10, 10]",
        )?;
        check_lazy(
            finite_in(self.delta_total_liq_shock_threshold, 0.0, MAX_USD),
            || at("deltaTotalLiqShockThreshold"),
            "must be ≥ 0 USD",
        )?;
        self.validate_weighted(at)?;
        self.coin_settlement().validate(at)
    }
}

impl RiskMatrixParams {
    fn validate_weighted(&self, at: &dyn Fn(&str) -> String) -> Result<()> {
        check_lazy(
            self.scenarios.len() <= 256,
            || at("scenarios"),
            "at most 256 scenarios",
        )?;
        for (i, s) in self.scenarios.iter().enumerate() {
            check_lazy(
                finite_in(s.spot_move, -0.99, 100.0),
                || at(&format!("scenarios[{i}].spotMove")),
                "must be a relative move in [−0.99, 100]",
            )?;
            check_lazy(
                finite_in(s.vol_shock, -10.0, 10.0),
                || at(&format!("scenarios[{i}].volShock")),
                "must be in [−10, 10]",
            )?;
            check_lazy(
                finite_in(s.weight, 0.0, 10.0),
                || at(&format!("scenarios[{i}].weight")),
                "must be in [0, 10]",
            )?;
        }
        check_lazy(
            finite_in(self.dte_floor_days, 0.0, 365.0),
            || at("dteFloorDays"),
            "must be in [0, 365] days",
        )?;
        for (value, f) in [
            (self.min_delta_net, "minDeltaNet"),
            (self.min_delta_hedged, "minDeltaHedged"),
        ] {
            check_lazy(finite_in(value, 0.0, 1.0), || at(f), "must be in [0, 1]")?;
        }
        self.validate_spreads(at)
    }

    fn validate_spreads(&self, at: &dyn Fn(&str) -> String) -> Result<()> {
        check_lazy(
            self.spread_tiers.len() <= 64 && self.intra_spreads.len() <= 256,
            || at("intraSpreads"),
            "at most 64 tiers and 256 spreads",
        )?;
        for (i, t) in self.spread_tiers.iter().enumerate() {
            check_lazy(
                finite_in(t.from_days, 0.0, 36_500.0),
                || at(&format!("spreadTiers[{i}].fromDays")),
                "must be in [0, 36500] days",
            )?;
            check_lazy(
                finite_in(t.to_days, t.from_days, 36_500.0) && t.to_days > t.from_days,
                || at(&format!("spreadTiers[{i}].toDays")),
                "must be above fromDays (≤ 36500 days)",
            )?;
        }
        let tiers = self.spread_tiers.len();
        for (i, sp) in self.intra_spreads.iter().enumerate() {
            let known = |tier: u32| usize::try_from(tier).is_ok_and(|t| t < tiers);
            check_lazy(
                known(sp.tier_a),
                || at(&format!("intraSpreads[{i}].tierA")),
                "must index spreadTiers",
            )?;
            check_lazy(
                known(sp.tier_b) && sp.tier_b != sp.tier_a,
                || at(&format!("intraSpreads[{i}].tierB")),
                "must index spreadTiers and differ from tierA",
            )?;
            check_lazy(
                finite_in(sp.charge, 0.0, MAX_USD),
                || at(&format!("intraSpreads[{i}].charge")),
                "must be ≥ 0 USD",
            )?;
            check_lazy(
                finite_in(sp.rate, 0.0, 1.0),
                || at(&format!("intraSpreads[{i}].rate")),
                "must be in [0, 1]",
            )?;
        }
        check_lazy(
            finite_in(self.short_option_minimum, 0.0, 1.0),
            || at("shortOptionMinimum"),
            "must be in [0, 1]",
        )
    }
}

impl PortfolioParams {
    /// Checks every field's domain, naming it.
    pub fn validate(&self) -> Result<()> {
        check(
            finite_in(self.mm_factor, 0.0, 1.0),
            "mmFactor",
            "must be in [0, 1]",
        )?;
        check(
            finite_in(self.default_correlation, -1.0, 1.0),
            "defaultCorrelation",
            "must be in [−1, 1]",
        )?;
        for (u, row) in &self.correlations {
            for (v, rho) in row {
                let field = format!("correlations.{u}.{v}");
                check(finite_in(*rho, -1.0, 1.0), &field, "must be in [−1, 1]")?;
                check(
                    u != v || *rho == 1.0,
                    &field,
                    "an underlying's correlation with itself is 1",
                )?;
                let mirror = self.correlations.get(v).and_then(|r| r.get(u));
                check(
                    mirror.is_none_or(|m| m == rho),
                    &field,
                    "differs from its mirror entry",
                )?;
            }
        }
        self.usd.validate(&|f| format!("usd.{f}"))?;
        self.default_underlying
            .validate(&|f| format!("defaultUnderlying.{f}"))?;
        for (name, p) in &self.underlyings {
            p.validate(&|f| format!("underlyings.{name}.{f}"))?;
        }
        if let Some(derive) = &self.derive {
            derive.validate()?;
        }
        super::inter_spread::validate(&self.inter_spreads)
    }

    /// The risk matrix of `underlying`.
    pub fn risk_matrix(&self, underlying: &str) -> &RiskMatrixParams {
        self.underlyings
            .get(underlying)
            .unwrap_or(&self.default_underlying)
    }

    fn correlation(&self, u: &str, v: &str) -> f64 {
        if u == v {
            return 1.0;
        }
        self.correlations
            .get(u)
            .and_then(|row| row.get(v))
            .or_else(|| self.correlations.get(v).and_then(|row| row.get(u)))
            .copied()
            .unwrap_or(self.default_correlation)
    }
}

/// One row of a risk vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ScenarioPnl {
    /// Underlying symbol.
    pub underlying: String,
    /// Currency of the vector: the coin (`"BTC"`) for coin-settled positions, `"USD"` for linear.
    pub currency: String,
    /// Relative move of the index (extended rows: the listed move; futures use the edge move).
    pub spot_move: f64,
    /// `"up"`, `"same"` or `"down"` (Derive PMRM_2 also `"linear"`, `"abs"`: skew shocks).
    pub vol: String,
    /// Whether the row belongs to the extended table.
    pub extended: bool,
    /// Counted P&L in `currency`: after the gain offset (standard rows) or the fraction and
    /// dampener (extended rows).
    pub pnl: f64,
    /// `pnl` in USD at the index now.
    pub pnl_usd: f64,
    /// The book's P&L under the scenario as revalued, in `currency`: before the gain offset,
    /// weight, fraction or dampener that make `pnl` (gains show here, not in `pnl`).
    pub raw_pnl: f64,
    /// `raw_pnl` in USD at the index now.
    pub raw_pnl_usd: f64,
    /// The row that sets the vector's worst loss (one per vector).
    pub worst: bool,
    /// Explicit weighted scenarios only: the relative vol shock at 30 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub vol_shock: Option<f64>,
    /// Explicit weighted scenarios only: the weight `pnl` was multiplied by.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub weight: Option<f64>,
}

/// Contingency charges in USD.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Contingencies {
    /// Roll (basis) shock of futures and perpetuals.
    pub roll: f64,
    /// Delta / liquidity shock of large net deltas.
    pub delta: f64,
    /// Net short options per strike.
    pub short_option: f64,
    /// Offsetting futures.
    pub futures: f64,
    /// Minimum delta requirement's excess over the worst loss, per underlying (Paradex: the
    /// requirement is max(SCAN, MinDeltaRisk)).
    pub min_delta: f64,
    /// SPAN intra-commodity (calendar) spread charge.
    pub intra_spread: f64,
    /// SPAN short option minimum's excess over the rest of the underlying's charge.
    pub short_option_minimum: f64,
    /// SPAN inter-commodity spread credit (≥ 0), subtracted from the risk-matrix margin.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub inter_spread_credit: f64,
}

/// The portfolio requirement and its parts, in USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PortfolioResult {
    /// Every row of every risk vector: vectors by (underlying, coin before USD), rows by move
    /// ascending × vol up/same/down, then the extended table (weighted lists and Derive PMRM_2:
    /// rows in the listed order).
    pub scenarios: Vec<ScenarioPnl>,
    /// Aggregated worst loss (≥ 0).
    pub worst_loss: f64,
    /// Contingency charges.
    pub contingencies: Contingencies,
    /// Worst loss + contingencies.
    pub risk_matrix_margin: f64,
    /// Initial requirement (= risk-matrix margin).
    pub initial: f64,
    /// Maintenance requirement (`mmFactor` × risk-matrix margin).
    pub maintenance: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VolMove {
    Up,
    Same,
    Down,
}

impl VolMove {
    fn name(self) -> &'static str {
        match self {
            VolMove::Up => "up",
            VolMove::Same => "same",
            VolMove::Down => "down",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Scenario {
    spot_move: f64,
    vol: VolMove,
    extended: bool,
    /// Explicit weighted scenario: its relative vol shock and weight (`vol` is then the shock's
    /// direction, for the report).
    weighted: Option<(f64, f64)>,
}

impl Scenario {
    /// Whether the move is finite and above −100 % (the grid's kernel can price the row).
    fn movable(&self) -> bool {
        self.spot_move > -1.0 && self.spot_move.is_finite()
    }
}

/// The explicit weighted scenarios, in their listed order.
fn weighted_grid(p: &RiskMatrixParams) -> Vec<Scenario> {
    p.scenarios
        .iter()
        .map(|w| Scenario {
            spot_move: w.spot_move,
            vol: if w.vol_shock > 0.0 {
                VolMove::Up
            } else if w.vol_shock < 0.0 {
                VolMove::Down
            } else {
                VolMove::Same
            },
            extended: false,
            weighted: Some((w.vol_shock, w.weight)),
        })
        .collect()
}

/// The standard grid (moves ascending × up/same/down) then the extended table.
fn scenario_grid(p: &RiskMatrixParams) -> Vec<Scenario> {
    let b = i64::from(p.buckets_count);
    let mut grid = Vec::new();
    for i in -b..=b {
        // |i|, b ≤ 50: exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let spot_move = p.price_range * (i as f64) / (b as f64);
        for vol in [VolMove::Up, VolMove::Same, VolMove::Down] {
            grid.push(Scenario {
                spot_move,
                vol,
                extended: false,
                weighted: None,
            });
        }
    }
    for &spot_move in &p.extended_moves {
        grid.push(Scenario {
            spot_move,
            vol: VolMove::Up,
            extended: true,
            weighted: None,
        });
    }
    grid
}

/// Multiplier of an option's vol in a scenario (exactly 1 when nothing moves the vol).
#[cfg(test)]
fn vol_scale(p: &RiskMatrixParams, sigma: f64, days: f64, log_moneyness: f64, s: &Scenario) -> f64 {
    vol_scale_with_term(p, sigma, vol_term(p, days), log_moneyness, s)
}

/// The term factor (30/DTE)^p of an option's vol shock: fixed per option and risk matrix, so it
/// is computed once per leg, not once per scenario.
fn vol_term(p: &RiskMatrixParams, days: f64) -> f64 {
    let power = if days < 30.0 {
        p.short_term_vega_power
    } else {
        p.long_term_vega_power
    };
    pow(30.0 / max(days, p.dte_floor_days), power)
}

/// Values of a pure function of two floats kept by the inputs' bits: a book's options share a
/// few expiries (and rates), so its legs' discount factors and its nodes' term factors take a few
/// `exp`/`pow` calls instead of one each. A hit returns the bits the function returned.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitsMemo {
    entries: Vec<([u64; 2], f64)>,
}

impl BitsMemo {
    /// Kept inputs: beyond this many, values are computed without being kept.
    const CAPACITY: usize = 32;

    fn get_or(&mut self, a: f64, b: f64, f: impl FnOnce() -> f64) -> f64 {
        let key = [a.to_bits(), b.to_bits()];
        // Natively word by word: `==` on the arrays calls `memcmp` (≈ 240 instructions per
        // index update); in the `.wasm` `==` takes fewer bytes.
        #[cfg(not(target_arch = "wasm32"))]
        let same = |k: &[u64; 2]| k[0] == key[0] && k[1] == key[1];
        #[cfg(target_arch = "wasm32")]
        let same = |k: &[u64; 2]| *k == key;
        if let Some((_, value)) = self.entries.iter().find(|(k, _)| same(k)) {
            return *value;
        }
        let value = f();
        if self.entries.len() < Self::CAPACITY {
            self.entries.push((key, value));
        }
        value
    }

    /// Forgets every kept value if no more can be kept (a memo kept across computations).
    #[cfg(not(target_arch = "wasm32"))]
    fn clear_if_full(&mut self) {
        if self.entries.len() >= Self::CAPACITY {
            self.entries.clear();
        }
    }
}

/// The last underlying looked up by name: a book's positions are mostly on one underlying, so
/// its legs share one `market.underlying` call (same data, and the same error for a missing one:
/// a miss calls it).
#[derive(Default)]
struct UnderlyingMemo<'m> {
    last: Option<(&'m str, &'m Underlying)>,
}

impl<'m> UnderlyingMemo<'m> {
    fn get(&mut self, market: &'m Market, name: &'m str) -> Result<&'m Underlying> {
        if let Some((last, underlying)) = self.last {
            if same_text(last, name) {
                return Ok(underlying);
            }
        }
        let underlying = market.underlying(name)?;
        self.last = Some((name, underlying));
        Ok(underlying)
    }
}

/// [`vol_scale`] with its term factor from [`vol_term`].
fn vol_scale_with_term(
    p: &RiskMatrixParams,
    sigma: f64,
    term: f64,
    log_moneyness: f64,
    s: &Scenario,
) -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    return vol_scale_in(p, sigma, term, log_moneyness, &ScaleShock::of(s));
    // In the `.wasm` the scenario is read in place: the same operations, and fewer bytes than
    // a `ScaleShock` built at each inlined call (≈ 240 B of gzip).
    #[cfg(target_arch = "wasm32")]
    {
        let level = match s.weighted {
            Some((shock, _)) => weighted_vol_level(p, sigma, shock, term),
            None => match s.vol {
                VolMove::Up => ScaleParts::level_up(p, sigma, term),
                VolMove::Same => sigma,
                VolMove::Down => ScaleParts::level_down(p, sigma, term),
            },
        };
        let side = [-1.0, 0.0, 1.0][Side::of(s) as usize];
        let tilt = ScaleParts::tilt(p, log_moneyness, side);
        ScaleParts::scale_of(p, sigma, level, tilt, s.vol == VolMove::Same)
    }
}

/// [`vol_scale_with_term`] in a scenario decoded by [`ScaleShock::of`] (a caller pricing many
/// options in one row decodes it once). Inlined: the body of `grid_bounds::exact_row`'s loop
/// over the nodes.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn vol_scale_in(
    p: &RiskMatrixParams,
    sigma: f64,
    term: f64,
    log_moneyness: f64,
    shock: &ScaleShock,
) -> f64 {
    // Only the scenario's level and side: [`ScaleParts::scale`]'s operands, the same bits.
    let level = match shock.level {
        Level::Weighted(weighted) => weighted_vol_level(p, sigma, weighted, term),
        Level::Up => ScaleParts::level_up(p, sigma, term),
        Level::Same => sigma,
        Level::Down => ScaleParts::level_down(p, sigma, term),
    };
    let tilt = ScaleParts::tilt(p, log_moneyness, shock.side_sign);
    ScaleParts::scale_of(p, sigma, level, tilt, shock.same_vol)
}

/// The side of a scenario's move, as an index in [`ScaleParts`]'s tilts (a NaN move counts as
/// no move).
#[derive(Debug, Clone, Copy)]
enum Side {
    Down = 0,
    Unmoved = 1,
    Up = 2,
}

/// What an option's vol scale reads of a scenario: its vol level's kind, whether its vol move
/// is [`VolMove::Same`], and the side of its move (native: the `.wasm` reads the scenario in
/// place).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
struct ScaleShock {
    level: Level,
    same_vol: bool,
    side: Side,
    /// The side as −1, 0 or +1 (a [`ScaleParts::tilt`] operand), looked up once per scenario:
    /// [`vol_scale_in`] runs once per node of a row.
    side_sign: f64,
}

/// A scenario's vol level: an explicit weighted shock's, else its vol move's.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
enum Level {
    Weighted(f64),
    Up,
    Same,
    Down,
}

#[cfg(not(target_arch = "wasm32"))]
impl ScaleShock {
    fn of(s: &Scenario) -> ScaleShock {
        let side = Side::of(s);
        ScaleShock {
            level: match s.weighted {
                Some((shock, _)) => Level::Weighted(shock),
                None => match s.vol {
                    VolMove::Up => Level::Up,
                    VolMove::Same => Level::Same,
                    VolMove::Down => Level::Down,
                },
            },
            same_vol: s.vol == VolMove::Same,
            side,
            side_sign: [-1.0, 0.0, 1.0][side as usize],
        }
    }
}

impl Side {
    fn of(s: &Scenario) -> Side {
        if s.spot_move > 0.0 {
            Side::Up
        } else if s.spot_move < 0.0 {
            Side::Down
        } else {
            Side::Unmoved
        }
    }
}

/// What [`vol_scale_with_term`] computes of an option before it looks at the scenario: its
/// shocked vol levels up and down and its skew tilts on each side of the grid, so that the grid
/// computes them once per option (or pricing node), not once per vol class.
struct ScaleParts {
    sigma: f64,
    term: f64,
    up: f64,
    down: f64,
    /// 1 + skew shock × ln(K/F₀) × side, for the sides −1, 0 and +1 of a move.
    tilts: [f64; 3],
}

impl ScaleParts {
    fn new(p: &RiskMatrixParams, sigma: f64, term: f64, log_moneyness: f64) -> ScaleParts {
        let tilt = |side: f64| Self::tilt(p, log_moneyness, side);
        ScaleParts {
            sigma,
            term,
            up: Self::level_up(p, sigma, term),
            down: Self::level_down(p, sigma, term),
            tilts: [tilt(-1.0), tilt(0.0), tilt(1.0)],
        }
    }

    /// The shocked-up vol level σ·(1 + range·term), floored.
    fn level_up(p: &RiskMatrixParams, sigma: f64, term: f64) -> f64 {
        max(
            sigma * (1.0 + p.volatility_range_up * term),
            p.min_volatility_for_shock_up,
        )
    }

    /// The shocked-down vol level σ·(1 − range·term), floored.
    fn level_down(p: &RiskMatrixParams, sigma: f64, term: f64) -> f64 {
        max(
            sigma * (1.0 - p.volatility_range_down * term),
            p.min_volatility_for_shock_down,
        )
    }

    /// Whether the tilt is the same (bit for bit) on every side of the grid.
    fn sideless(&self) -> bool {
        let [down, none, up] = self.tilts.map(f64::to_bits);
        down == none && none == up
    }

    /// The skew tilt on a side (−1, 0 or +1) of the grid.
    fn tilt(p: &RiskMatrixParams, log_moneyness: f64, side: f64) -> f64 {
        1.0 + p.skew_shock * log_moneyness * side
    }

    /// The option's vol scale without a move or vol shock (the value now): what
    /// [`ScaleParts::scale`] gives there, 1 unless the unmoved side's tilt is not exactly 1.
    fn unshocked_scale(p: &RiskMatrixParams, o: &OptionTerms, term: f64, now: &Scenario) -> f64 {
        if Self::tilt(p, o.log_moneyness, 0.0) == 1.0 {
            1.0
        } else {
            ScaleParts::new(p, o.sigma, term, o.log_moneyness).scale(p, now)
        }
    }

    /// The option's vol scale in scenario `s`.
    fn scale(&self, p: &RiskMatrixParams, s: &Scenario) -> f64 {
        #[cfg(not(target_arch = "wasm32"))]
        return self.scale_in(p, &ScaleShock::of(s));
        // In the `.wasm`, read in place (as in `vol_scale_with_term`).
        #[cfg(target_arch = "wasm32")]
        {
            let sigma = self.sigma;
            let level = match s.weighted {
                Some((shock, _)) => weighted_vol_level(p, sigma, shock, self.term),
                None => match s.vol {
                    VolMove::Up => self.up,
                    VolMove::Same => sigma,
                    VolMove::Down => self.down,
                },
            };
            let tilt = self.tilts[Side::of(s) as usize];
            Self::scale_of(p, sigma, level, tilt, s.vol == VolMove::Same)
        }
    }

    /// [`ScaleParts::scale`] in a scenario decoded by [`ScaleShock::of`] (a caller scaling many
    /// options in one scenario decodes it once).
    #[cfg(not(target_arch = "wasm32"))]
    fn scale_in(&self, p: &RiskMatrixParams, shock: &ScaleShock) -> f64 {
        let sigma = self.sigma;
        let level = match shock.level {
            Level::Weighted(weighted) => weighted_vol_level(p, sigma, weighted, self.term),
            Level::Up => self.up,
            Level::Same => sigma,
            Level::Down => self.down,
        };
        Self::scale_of(
            p,
            sigma,
            level,
            self.tilts[shock.side as usize],
            shock.same_vol,
        )
    }

    /// The vol scale of an option of vol `sigma` from its vol level and skew tilt in a scenario
    /// (`same_vol`: whether its vol move is [`VolMove::Same`]).
    fn scale_of(p: &RiskMatrixParams, sigma: f64, level: f64, tilt: f64, same_vol: bool) -> f64 {
        if same_vol && tilt == 1.0 {
            return 1.0;
        }
        min(
            Vol::SHOCKED_MAX,
            max(p.min_volatility_for_shock_down, level * tilt),
        ) / sigma
    }
}

/// An option's vol in an explicit weighted scenario: σ·(1 + shock·term), floored like the grid.
fn weighted_vol_level(p: &RiskMatrixParams, sigma: f64, shock: f64, term: f64) -> f64 {
    let floor = if shock > 0.0 {
        p.min_volatility_for_shock_up
    } else {
        p.min_volatility_for_shock_down
    };
    max(sigma * (1.0 + shock * term), floor)
}

/// Option data fixed across scenarios.
#[derive(Debug, Clone, Copy)]
struct OptionTerms {
    /// The option's vol now: a [`Vol`]'s value, so > 0 ([`NodeVol::new`] relies on it).
    sigma: f64,
    /// Years to expiry (T₀).
    years: f64,
    days: f64,
    /// ln(K/F₀) for the skew tilt, its only reader ([`skew_log_moneyness`]: 0 when the
    /// skew shock is 0).
    log_moneyness: f64,
    forward0: f64,
    strike: f64,
    sign: f64,
    option_kind: OptionKind,
    /// e^(−rT₀), exactly as `black76` computes it.
    discount: f64,
    /// ln(F₀/K) and the values now as the account's valuation computed them, if it did.
    now: ValuesNow,
}

#[derive(Debug, Clone, Copy)]
enum LegKind {
    /// Perpetual or future: signed coin size, years to expiry (0 for perpetuals), reference mark.
    Delta1 {
        coin_size: f64,
        years: f64,
        mark0: f64,
    },
    Option(OptionTerms),
}

#[derive(Debug, Clone)]
struct Leg<'a> {
    position: &'a Position,
    base_usd: f64,
    delta_usd: f64,
    kind: LegKind,
    /// The index, in the leg's vector, of an earlier leg with an equal instrument (so the same
    /// pricing node), if known.
    same_as: Option<usize>,
    /// The underlying's spot.
    spot: f64,
    /// The leg's pricing node in its vector's grouping (`None` for perpetuals and futures, and
    /// until grouped): written by the grouping ([`group_by_key`], or a vector's layout), which
    /// the nodes borrow the legs from, so kept in the leg rather than in a list of its own
    /// (no list allocated and copied per grouping).
    node: Cell<Option<usize>>,
}

/// The log-moneyness ln(K/F₀) that the skew tilt 1 + skewShock·k·side reads, or 0 where the
/// skew shock is 0: the tilt is then 1 + 0·k·side = 1 exactly for either, as ln(K/F₀) is
/// finite for every leg. A leg is built only for a position whose unshocked valuation succeeded
/// ([`leg_on`]), and that valuation accepted its strike K and its forward F₀ (the same bits:
/// F₀·1) as [`crate::units::Price`]s, both within [10⁻¹², 10¹⁵]: K/F₀ lies within
/// [10⁻²⁷, 10²⁷]. So neither the division nor the `ln` is computed for a grid without skew.
fn skew_log_moneyness(skew_shock: f64, strike: f64, forward0: f64) -> f64 {
    if skew_shock == 0.0 {
        0.0
    } else {
        ln(strike / forward0)
    }
}

/// [`leg_on`] with the position's underlying looked up here (the tests' legs).
#[cfg(test)]
fn leg<'a>(
    market: &Market,
    position: &'a Position,
    unshocked: Option<(f64, f64)>,
    terms: Option<UnshockedTerms>,
    discounts: &mut BitsMemo,
    skew_shock: f64,
) -> Result<Leg<'a>> {
    let underlying = market.underlying(&position.instrument.underlying)?;
    leg_on(
        market, underlying, position, unshocked, terms, discounts, skew_shock,
    )
}

/// A position's leg. `underlying`: `market.underlying` of its underlying's name, looked up by
/// the caller (once per run of positions on one underlying, not once per leg); `unshocked`: the
/// position's (USD value, delta) under [`Shock::NONE`] if the caller has them (`margin()` values
/// every position unshocked for its report lines: the same call, same bits; else the position is
/// valued here, and its error returned), so that every leg's position was valued unshocked
/// without error; `terms`: an option's pricing inputs as that valuation looked them up, if
/// known; `skew_shock`: the position's underlying's `skewShock`.
fn leg_on<'a>(
    market: &Market,
    underlying: &Underlying,
    position: &'a Position,
    unshocked: Option<(f64, f64)>,
    terms: Option<UnshockedTerms>,
    discounts: &mut BitsMemo,
    skew_shock: f64,
) -> Result<Leg<'a>> {
    let instrument = &position.instrument;
    let s0 = underlying.spot();
    let (base_usd, base_delta) = match unshocked {
        Some(known) => known,
        None => {
            let base = value_position(position, market, &Shock::NONE)?;
            (base.usd, base.delta)
        }
    };
    let kind = match instrument.contract {
        ContractKind::Perpetual | ContractKind::Future { .. } => {
            let years = match instrument.expiry() {
                Some(expiry) => market.time_to(expiry)?.get(),
                None => 0.0,
            };
            let mark0 = super::valuation::reference_mark(position, market)?;
            let coin_size = match instrument.settlement {
                Settlement::Inverse => position.amount / mark0,
                Settlement::Linear => position.amount,
            };
            LegKind::Delta1 {
                coin_size,
                years,
                mark0,
            }
        }
        ContractKind::Option {
            expiry,
            strike,
            option_kind,
        } => {
            let UnshockedTerms {
                years: t0,
                forward: forward0,
                vol: sigma,
                discount,
                now,
            } = match terms {
                Some(known) => known,
                None => {
                    let t0 = market.time_to(expiry)?.get();
                    let forward0 = underlying.forward_at(s0, t0);
                    UnshockedTerms {
                        years: t0,
                        forward: forward0,
                        vol: underlying
                            .option_vol(instrument, &position.id, forward0, t0)?
                            .get(),
                        // One `exp` per expiry (and rate).
                        discount: {
                            let rate = underlying.rate_at(t0);
                            discounts.get_or(rate, t0, || exp(-rate * t0))
                        },
                        now: None,
                    }
                }
            };
            LegKind::Option(OptionTerms {
                sigma,
                years: t0,
                days: t0 * 365.0,
                log_moneyness: skew_log_moneyness(skew_shock, strike, forward0),
                forward0,
                strike,
                sign: option_kind.sign(),
                option_kind,
                discount,
                now,
            })
        }
    };
    Ok(Leg {
        position,
        base_usd,
        delta_usd: base_delta * s0,
        kind,
        same_as: None,
        spot: s0,
        node: Cell::new(None),
    })
}

/// A leg's USD value under a scenario (sticky strike, no time shift) from its fixed terms: bit for
/// bit what [`value_position`] returns for that shock (the same operations in the same order),
/// without looking market data up again or computing Greeks. `None` where `value_position` could
/// refuse the shock; the caller then calls it, so the error is the same.
///
/// `call_put`: the call and put values of the leg's pricing node in this scenario, if computed.
fn scenario_usd(
    leg: &Leg,
    s0: f64,
    spot_move: f64,
    vol_scale: f64,
    call_put: Option<(f64, f64)>,
) -> Option<f64> {
    if !(spot_move > -1.0 && spot_move.is_finite() && vol_scale > 0.0) {
        return None;
    }
    let growth = 1.0 + spot_move;
    let s = s0 * growth;
    let q = leg.position.amount;
    let inverse = leg.position.instrument.settlement == Settlement::Inverse;
    match leg.kind {
        LegKind::Delta1 { mark0, .. } => {
            // Not expired: T₀ > 0 and no time passes.
            let ratio = mark0 / s0;
            let mark = s * ratio;
            let entry = leg.position.entry_price.unwrap_or(mark0);
            Some(if inverse {
                q * (s / entry - 1.0 / ratio)
            } else {
                q * (mark - entry)
            })
        }
        LegKind::Option(o) => {
            let forward = o.forward0 * growth;
            let vol = o.sigma * vol_scale;
            let valid = forward.is_finite()
                && forward > 0.0
                && vol.is_finite()
                && vol > 0.0
                && vol <= Vol::SHOCKED_MAX
                && o.years > 0.0;
            if !valid {
                return None;
            }
            let price = match (call_put, o.option_kind) {
                (Some((call, _)), OptionKind::Call) => call,
                (Some((_, put)), OptionKind::Put) => put,
                (None, kind) => black76_price(kind, forward, o.strike, o.years, vol, o.discount),
            };
            let c = forward / s;
            Some(if inverse { q * price / c } else { q * price })
        }
    }
}

/// Option legs of one vector with the same pricing inputs (T, F₀, K, σ, discount: equal bits):
/// one Black-76 evaluation per scenario serves all of them, calls and puts alike.
#[derive(Debug, Clone, Copy)]
struct PricingNode<'l> {
    /// The option terms of the node's first leg (borrowed from it, not copied: every node is
    /// built anew on each computation).
    terms: &'l OptionTerms,
    /// The vol-shock term factor [`vol_term`] of the node's days to expiry.
    term: f64,
    /// ln(F₀/K): with ln(1 + move) per scenario, the ln(F/K) of every scenario (no `ln` per row).
    log_forward_over_strike: f64,
    /// √T₀.
    sqrt_years: f64,
    sizes: NodeSizes,
    /// The node's legs' value now in USD, by the grid's own kernel at move 0 and unchanged vol
    /// (so that a row without a move or vol shock gives exactly 0 P&L); `None` if the node
    /// cannot be priced that way (then every row takes the per-leg path).
    base_usd: Option<f64>,
    /// The node now (move 0, vol unchanged), as the grid's kernel prices it.
    now: NodeScenario,
}

/// A pricing node's key: its kernel inputs' bits (T₀, F₀, K, σ, discount; the rest of
/// [`OptionTerms`] that the kernel reads is a function of these).
fn node_key(o: &OptionTerms) -> NodeKey {
    [o.years, o.forward0, o.strike, o.sigma, o.discount].map(f64::to_bits)
}

impl PricingNode<'_> {
    fn key(&self) -> NodeKey {
        node_key(self.terms)
    }
}

/// Summed amounts of a node's legs: the grid values the node once per scenario and scales by
/// these instead of revaluing every leg.
#[derive(Debug, Clone, Copy, Default)]
struct NodeSizes {
    /// Calls and puts counted at their full value (all of them, or only the shorts when a
    /// time-value discount applies to long options).
    call: f64,
    put: f64,
    /// Long calls and puts whose time value is discounted (`timeValueDiscount` > 0).
    long_call: f64,
    long_put: f64,
}

/// [`vector_nodes`]' each leg's node and the nodes.
#[cfg(test)]
fn pricing_nodes<'l>(
    legs: &'l [Leg],
    p: &RiskMatrixParams,
    s0: f64,
    inverse: bool,
) -> (Vec<Option<usize>>, Vec<PricingNode<'l>>) {
    let grouped = group_by_key(
        legs,
        p,
        &mut BitsMemo::default(),
        Vec::with_capacity(legs.len()),
    );
    let VectorNodes { nodes, .. } = vector_nodes(grouped, p, s0, inverse);
    (legs.iter().map(|leg| leg.node.get()).collect(), nodes)
}

/// A vector's legs grouped into pricing nodes, not yet priced ([`group_by_key`]); each leg's
/// node is in the leg ([`Leg::node`]).
struct GroupedLegs<'l, 'p> {
    /// The nodes in order of their first leg, with their legs' summed amounts.
    nodes: Vec<PricingNode<'l>>,
    /// The perpetuals and futures, in leg order.
    delta1_legs: Vec<&'l Leg<'p>>,
}

/// A vector's legs grouped into pricing nodes ([`vector_nodes`]).
struct VectorNodes<'l, 'p> {
    /// The nodes, with their legs' summed amounts (longs apart when `p.time_value_discount` > 0).
    nodes: Vec<PricingNode<'l>>,
    /// The perpetuals and futures, in leg order (priced leg by leg).
    delta1_legs: Vec<&'l Leg<'p>>,
    /// Whether every node's value now is finite and counts its longs at full value: then a
    /// node in a scenario without a move whose vol scale is exactly 1 is priced by the kernel
    /// on the same inputs as its value now and with the same sizes (no long apart), so its
    /// P&L is exactly +0 (the value now is computed so that this holds).
    unchanged_is_zero: bool,
}

impl<'l> PricingNode<'l> {
    /// A node of the option terms `o`, without legs and not yet priced now. `term`: the
    /// vol-shock term factor [`vol_term`] of its days.
    // Inlined: built in place in the caller's `Vec` (a call returns it through a copy).
    #[inline(always)]
    fn unpriced(o: &'l OptionTerms, term: f64) -> PricingNode<'l> {
        PricingNode {
            terms: o,
            term,
            // The valuation's ln(F/K) at F₀ if it has one (the same operation).
            log_forward_over_strike: log_forward_over_strike_now(o.now)
                .unwrap_or_else(|| ln(o.forward0 / o.strike)),
            sqrt_years: o.years.sqrt(),
            sizes: NodeSizes::default(),
            base_usd: None,
            now: NodeScenario {
                scale: f64::NAN,
                call_put: None,
            },
        }
    }
}

impl NodeSizes {
    /// Adds an option leg's amount `q` (its longs apart when `discounted_longs`).
    fn add(&mut self, kind: OptionKind, q: f64, discounted_longs: bool) {
        let long = discounted_longs && q > 0.0;
        match (kind, long) {
            (OptionKind::Call, false) => self.call += q,
            (OptionKind::Put, false) => self.put += q,
            (OptionKind::Call, true) => self.long_call += q,
            (OptionKind::Put, true) => self.long_put += q,
        }
    }
}

/// A vector's legs grouped into pricing nodes by their keys' bits (see [`GroupedLegs`]).
/// `terms`: the vol-shock term factors [`vol_term`] under `p` by days (bits), kept by the
/// caller (one per expiry, not per node); `nodes`: an empty vector for the nodes, with room
/// for one per leg (its allocation reused).
fn group_by_key<'l, 'p>(
    legs: &'l [Leg<'p>],
    p: &RiskMatrixParams,
    terms: &mut BitsMemo,
    mut nodes: Vec<PricingNode<'l>>,
) -> GroupedLegs<'l, 'p> {
    let mut index = node_index::NodeIndex::with_capacity(legs.len());
    let discounted_longs = p.time_value_discount > 0.0;
    let mut delta1_legs = Vec::new();
    for leg in legs {
        let LegKind::Option(o) = &leg.kind else {
            leg.node.set(None);
            delta1_legs.push(leg);
            continue;
        };
        // A leg with an earlier leg of an equal instrument shares its node (same key): `j` is
        // earlier, so its node was written above.
        let known = leg
            .same_as
            .and_then(|j| legs.get(j).and_then(|first| first.node.get()));
        let n = match known {
            Some(n) => n,
            None => {
                let key = node_key(o);
                match index.find(&key, |n| nodes.get(n).map(PricingNode::key)) {
                    Ok(n) => n,
                    Err(vacant) => {
                        let term = terms.get_or(o.days, 0.0, || vol_term(p, o.days));
                        nodes.push(PricingNode::unpriced(o, term));
                        index.fill(vacant, nodes.len() - 1);
                        nodes.len() - 1
                    }
                }
            }
        };
        if let Some(node) = nodes.get_mut(n) {
            node.sizes
                .add(o.option_kind, leg.position.amount, discounted_longs);
        }
        leg.node.set(Some(n));
    }
    GroupedLegs { nodes, delta1_legs }
}

/// The pricing nodes of a vector's grouped legs, priced now (see [`VectorNodes`]).
fn vector_nodes<'l, 'p>(
    grouped: GroupedLegs<'l, 'p>,
    p: &RiskMatrixParams,
    s0: f64,
    inverse: bool,
) -> VectorNodes<'l, 'p> {
    let GroupedLegs {
        mut nodes,
        delta1_legs,
    } = grouped;
    let now = Scenario {
        spot_move: 0.0,
        vol: VolMove::Same,
        extended: false,
        weighted: None,
    };
    let mut unchanged_is_zero = true;
    for node in &mut nodes {
        let o = &node.terms;
        let scale = ScaleParts::unshocked_scale(p, o, node.term, &now);
        // The kernel at F₀ (move 0), σ·√T₀ (scale 1) and e^(−rT₀) does the valuation's
        // operations on the valuation's inputs: its values, where it has them. Its checks
        // hold there without testing: the valuation prices now only for T₀ > 0, at σ (a
        // `Vol`: within (0, Vol::SHOCKED_MAX]) and at F₀ (a `Price`: finite and > 0).
        let priced = match call_put_now(o.now) {
            Some(call_put) if scale == 1.0 => NodeScenario {
                scale,
                call_put: Some(call_put),
            },
            _ => node_scenario_scaled(node, &now, NodeVol::new(node, scale), 0.0),
        };
        node.now = priced;
        node.base_usd = match priced.call_put {
            Some((call, put)) if priced.scale == 1.0 => {
                let sizes = NodeSizes {
                    call: node.sizes.call + node.sizes.long_call,
                    put: node.sizes.put + node.sizes.long_put,
                    ..NodeSizes::default()
                };
                Some(node_usd(node, &sizes, (call, put), 1.0, s0, inverse, 0.0))
            }
            _ => None,
        };
        unchanged_is_zero &= node.base_usd.is_some_and(f64::is_finite)
            && node.sizes.long_call == 0.0
            && node.sizes.long_put == 0.0;
    }
    VectorNodes {
        nodes,
        delta1_legs,
        unchanged_is_zero,
    }
}

/// A pricing node in one scenario: its vol scale and, where the shock is valid, the call and
/// put values at the shocked forward and vol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeScenario {
    /// [`vol_scale_with_term`] of the node in this scenario (equal bits for every leg of the
    /// node: same σ, term and ln(K/F₀)).
    scale: f64,
    call_put: Option<(f64, f64)>,
}

#[cfg(test)]
impl NodeScenario {
    /// A row with these values (tests of the scenario cache).
    pub(crate) fn for_test(scale: f64) -> NodeScenario {
        NodeScenario {
            scale,
            call_put: Some((scale, -scale)),
        }
    }

    /// The row's vol scale.
    pub(crate) fn scale(&self) -> f64 {
        self.scale
    }
}

/// `log_growth` = ln(1 + `s.spot_move`) (any value if the move is not above −100 %).
fn node_scenario(
    node: &PricingNode,
    p: &RiskMatrixParams,
    s: &Scenario,
    log_growth: f64,
) -> NodeScenario {
    let o = &node.terms;
    let scale = vol_scale_with_term(p, o.sigma, node.term, o.log_moneyness, s);
    node_scenario_scaled(node, s, NodeVol::new(node, scale), log_growth)
}

/// A node's vol scale in a scenario and whether its shocked vol passes the checks
/// `scenario_usd` makes (a function of the scale alone for a given node).
#[derive(Debug, Clone, Copy)]
struct NodeVol {
    scale: f64,
    vol_ok: bool,
    /// σ·scale·√T₀, the kernel's total vol (rounded as the kernel would round it).
    total_vol: f64,
}

impl NodeVol {
    fn new(node: &PricingNode, scale: f64) -> NodeVol {
        let vol = node.terms.sigma * scale;
        NodeVol {
            scale,
            // Non-short-circuit: one branch-free test. The range excludes NaN and ±∞; it
            // implies scale > 0, as σ > 0 (a `Vol`).
            vol_ok: (vol > 0.0) & (vol <= Vol::SHOCKED_MAX) & (node.terms.years > 0.0),
            total_vol: Self::total_vol(node, scale),
        }
    }

    /// σ·scale·√T₀ as the kernel takes it: (σ·scale)·√T₀.
    #[inline(always)]
    fn total_vol(node: &PricingNode, scale: f64) -> f64 {
        node.terms.sigma * scale * node.sqrt_years
    }
}

/// [`node_scenario`] with the node's vol scale in this scenario already known (the grid computes
/// it once per [`VolClass`]).
fn node_scenario_scaled(
    node: &PricingNode,
    s: &Scenario,
    vol: NodeVol,
    log_growth: f64,
) -> NodeScenario {
    node_row_value(node, &vol, s.movable(), 1.0 + s.spot_move, log_growth)
}

/// A node's value in a row whose move is `growth` − 1 (`movable`: [`Scenario::movable`]) and
/// ln(1 + move) is `log_growth`, at the vol `vol`. Inlined: the body of [`node_values`]' loop
/// over every node and row (in wasm32 the call and its 32-byte result through memory were
/// ≈ 3 % of a new-market `margin()` on 500 instruments).
#[inline(always)]
fn node_row_value(
    node: &PricingNode,
    vol: &NodeVol,
    movable: bool,
    growth: f64,
    log_growth: f64,
) -> NodeScenario {
    let forward = node.terms.forward0 * growth;
    // The checks `scenario_usd` makes for each leg of the node (those on the vol in `vol_ok`).
    let valid = vol.vol_ok && movable && forward.is_finite() && forward > 0.0;
    NodeScenario {
        scale: vol.scale,
        call_put: valid.then(|| node_call_put(node, growth, log_growth, vol.total_vol)),
    }
}

/// The kernel's call and put values of a node in a row whose move is `growth` − 1 and
/// ln(1 + move) is `log_growth`, at the total vol σ·scale·√T₀ `total_vol`, without the checks
/// of [`node_row_value`] (its callers have made them, for this row or for every row).
#[inline(always)]
fn node_call_put(node: &PricingNode, growth: f64, log_growth: f64, total_vol: f64) -> (f64, f64) {
    let o = &node.terms;
    black76_call_put_from_total_vol(
        o.forward0 * growth,
        o.strike,
        node.log_forward_over_strike + log_growth,
        total_vol,
        o.discount,
    )
}

/// What a scenario's vol scale depends on besides the node ([`vol_scale_with_term`] reads only
/// these of the scenario): the vol move, the weighted shock (bits) and the side of the spot move.
/// Scenarios of one class give each node bit-equal scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VolClass {
    vol: VolMove,
    weighted_shock: Option<u64>,
    side: i8,
}

impl VolClass {
    /// `s`'s class; `sided`: whether the grid tilts vols by skew (else the side of the move is
    /// no part of the class: every tilt is 1 + 0·ln(K/F₀)·side, the same bits on every side, so
    /// [`ScaleParts::scale`] gives a node the same scale on both sides of the grid).
    fn of(s: &Scenario, sided: bool) -> VolClass {
        VolClass {
            vol: s.vol,
            weighted_shock: s.weighted.map(|(shock, _)| shock.to_bits()),
            // As `vol_scale_with_term` takes the side (a NaN move counts as 0).
            side: if !sided {
                0
            } else if s.spot_move > 0.0 {
                1
            } else if s.spot_move < 0.0 {
                -1
            } else {
                0
            },
        }
    }
}

/// The grid's vol classes: each scenario's class, numbered in order of first appearance, and
/// each class's first scenario (a standard grid has 3 classes, vol up, same and down, or 9 when
/// it tilts vols by skew: each also by the side of the move).
#[derive(Debug)]
struct GridClasses {
    class_of: Vec<usize>,
    firsts: Vec<Scenario>,
    /// Per class, the first class with the same vol move and weighted shock (itself if none
    /// before): the same class but for the side of the move.
    same_but_side: Vec<usize>,
}

impl GridClasses {
    fn new(grid: &[Scenario], sided: bool) -> GridClasses {
        let mut classes: Vec<VolClass> = Vec::new();
        let mut firsts = Vec::new();
        let mut class_of = Vec::with_capacity(grid.len());
        for s in grid {
            let class = VolClass::of(s, sided);
            class_of.push(match classes.iter().position(|c| *c == class) {
                Some(i) => i,
                None => {
                    classes.push(class);
                    firsts.push(*s);
                    classes.len() - 1
                }
            });
        }
        let same_but_side = classes
            .iter()
            .enumerate()
            .map(|(i, class)| {
                classes
                    .iter()
                    .position(|c| c.vol == class.vol && c.weighted_shock == class.weighted_shock)
                    .unwrap_or(i)
            })
            .collect();
        GridClasses {
            class_of,
            firsts,
            same_but_side,
        }
    }

    /// `out` filled with `of(first scenario)` for each class in order, for an option whose
    /// shock levels and tilts are `parts`. Where its skew tilt is the same on every side
    /// (K = F₀ on a grid with a skew shock), [`ScaleParts::scale`] does not depend on the side
    /// of the move, so natively a class that differs from an earlier one only by side takes
    /// that class's value (3 of such a grid's 9 classes are computed instead of 9).
    fn per_class<T: Copy>(
        &self,
        parts: &ScaleParts,
        out: &mut Vec<T>,
        mut of: impl FnMut(&Scenario) -> T,
    ) {
        out.clear();
        // Natively only: in the `.wasm` the shared classes cost more bytes than its size budget
        // has left (every class is computed there, with the same bits).
        let sideless = cfg!(not(target_arch = "wasm32")) && parts.sideless();
        for (class, s) in self.firsts.iter().enumerate() {
            let earlier = self
                .same_but_side
                .get(class)
                .filter(|&&first| sideless && first < class)
                .and_then(|&first| out.get(first).copied());
            let value = match earlier {
                Some(value) => value,
                None => of(s),
            };
            out.push(value);
        }
    }
}

/// The options' part of every row of a vector's grid, summed node by node.
struct NodeSums {
    /// Σ over nodes, in node order, of (node value in the row − node value now), in the
    /// vector's currency: each row's sum starts at +0 and adds the nodes in order, as a row
    /// priced on its own would.
    pnl: Vec<f64>,
    /// Whether every node could be priced in the row (else `pnl` is incomplete and the row
    /// takes the per-leg path).
    priced: Vec<bool>,
    /// Whether every node's vol scale in the row is exactly 1.
    unit_scale: Vec<bool>,
}

/// A risk matrix's rows: its scenarios with ln(1 + move) and 1 + move per row, and their vol
/// classes (a function of the parameters alone: the vector cache keeps them, see
/// [`VectorCache::grid_rows`]).
#[derive(Debug)]
pub(crate) struct GridRows {
    grid: Vec<Scenario>,
    /// ln(1 + move) per row (0 where the move is not above −100 %).
    log_growths: Vec<f64>,
    growths: Vec<f64>,
    /// [`Scenario::movable`] per row.
    movable: Vec<bool>,
    /// Per row: the kernel's inputs are those of now (move +0, ln(1 + move) = +0).
    at_now: Vec<bool>,
    classes: GridClasses,
}

impl GridRows {
    /// The standard grid and extended table, or the weighted list if `p` has one.
    pub(crate) fn of(p: &RiskMatrixParams) -> GridRows {
        let grid = if p.scenarios.is_empty() {
            scenario_grid(p)
        } else {
            weighted_grid(p)
        };
        let log_growths = grid
            .iter()
            .map(|s| {
                if s.movable() {
                    ln(1.0 + s.spot_move)
                } else {
                    0.0
                }
            })
            .collect();
        let growths = grid.iter().map(|s| 1.0 + s.spot_move).collect();
        let movable = grid.iter().map(Scenario::movable).collect();
        let at_now = grid
            .iter()
            .zip(&log_growths)
            .map(|(s, log_growth): (&Scenario, &f64)| {
                s.spot_move == 0.0 && log_growth.to_bits() == 0
            })
            .collect();
        let classes = GridClasses::new(&grid, p.skew_shock != 0.0);
        GridRows {
            grid,
            log_growths,
            growths,
            movable,
            at_now,
            classes,
        }
    }

    fn inputs(&self, s0: f64, coin: bool) -> RowInputs<'_> {
        RowInputs {
            grid: &self.grid,
            log_growths: &self.log_growths,
            growths: &self.growths,
            movable: &self.movable,
            at_now: &self.at_now,
            classes: &self.classes,
            s0,
            coin,
        }
    }
}

/// What [`node_sums`] needs of the vector besides its nodes.
struct RowInputs<'g> {
    grid: &'g [Scenario],
    /// ln(1 + move) per row (0 where the move is not above −100 %).
    log_growths: &'g [f64],
    /// 1 + move per row.
    growths: &'g [f64],
    /// [`GridRows::movable`].
    movable: &'g [bool],
    /// [`GridRows::at_now`].
    at_now: &'g [bool],
    classes: &'g GridClasses,
    s0: f64,
    coin: bool,
}

/// A node's values in every row of the grid: its vol scale (and vol checks) once per
/// [`VolClass`], then the kernel per row (the node's value now where the kernel's inputs are
/// those of now).
fn node_values(
    node: &PricingNode,
    p: &RiskMatrixParams,
    rows: &RowInputs,
    classes: &GridClasses,
    vols: &mut Vec<NodeVol>,
    out: &mut Vec<NodeScenario>,
) {
    let o = &node.terms;
    let parts = ScaleParts::new(p, o.sigma, node.term, o.log_moneyness);
    classes.per_class(&parts, vols, |s| NodeVol::new(node, parts.scale(p, s)));
    out.clear();
    let now_scale = node.now.scale.to_bits();
    let row_inputs = rows
        .grid
        .iter()
        .zip(&classes.class_of)
        .zip(rows.log_growths.iter().zip(rows.growths))
        .zip(rows.movable.iter().zip(rows.at_now));
    out.extend(
        row_inputs.map(|(((s, class), (log_growth, growth)), (movable, at_now))| {
            match vols.get(*class) {
                // The kernel's inputs are those of the node now (forward F₀·(1 + 0), ln(F/K) + 0,
                // the same vol scale): its value now.
                Some(vol) if *at_now && vol.scale.to_bits() == now_scale => node.now,
                Some(vol) => node_row_value(node, vol, *movable, *growth, *log_growth),
                None => node_scenario(node, p, s, *log_growth),
            }
        }),
    );
}

/// Adds one node's P&L in every row to `sums` (rows where a node before could not be priced
/// are left as they are).
fn add_node(
    sums: &mut NodeSums,
    node: &PricingNode,
    values: &[NodeScenario],
    rows: &RowInputs,
    time_value_discount: f64,
) {
    let row_sums = sums
        .pnl
        .iter_mut()
        .zip(sums.priced.iter_mut())
        .zip(sums.unit_scale.iter_mut());
    for ((value, growth), ((pnl, priced), unit)) in values.iter().zip(rows.growths).zip(row_sums) {
        *unit &= value.scale == 1.0;
        if !*priced {
            continue;
        }
        let (Some(call_put), Some(base)) = (value.call_put, node.base_usd) else {
            *priced = false;
            continue;
        };
        *pnl += node_row_pnl(node, call_put, *growth, rows, time_value_discount, base);
    }
}

/// A node's P&L in a row where its unit call and put values are `call_put`, its legs' value now
/// being `base` (USD). `#[inline]`: called in `add_node`'s loop over every node and row.
#[inline]
fn node_row_pnl(
    node: &PricingNode,
    call_put: (f64, f64),
    growth: f64,
    rows: &RowInputs,
    time_value_discount: f64,
    base: f64,
) -> f64 {
    let usd = node_usd(
        node,
        &node.sizes,
        call_put,
        growth,
        rows.s0,
        rows.coin,
        time_value_discount,
    );
    node_pnl_of_usd(usd, base, growth, rows)
}

/// A node's P&L in a row from its legs' USD value there (`usd`) and now (`base`): in the
/// vector's currency (a coin vector converts each at its own scenario's index).
fn node_pnl_of_usd(usd: f64, base: f64, growth: f64, rows: &RowInputs) -> f64 {
    let s0 = rows.s0;
    if rows.coin {
        usd / (s0 * growth) - base / s0
    } else {
        usd - base
    }
}

/// The nodes' part of every row: each node priced in every row (or its rows taken from the
/// vector's cache, which then holds every node of this call: see [`super::scenario_cache`]) and
/// added to the rows, node after node.
fn node_sums(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    mut cache: Option<&mut VectorCache>,
) -> NodeSums {
    let width = rows.grid.len();
    let classes = rows.classes;
    let mut sums = NodeSums {
        pnl: vec![0.0; width],
        priced: vec![true; width],
        unit_scale: vec![true; width],
    };
    let mut vols = Vec::with_capacity(classes.firsts.len());
    let mut computed = Vec::with_capacity(width);
    for node in nodes {
        let key = node.key();
        let cached = cache
            .as_deref()
            .and_then(|c| c.get(&key))
            .filter(|values| values.len() == width);
        if let Some(values) = cached {
            add_node(&mut sums, node, values, rows, p.time_value_discount);
            continue;
        }
        node_values(node, p, rows, classes, &mut vols, &mut computed);
        add_node(&mut sums, node, &computed, rows, p.time_value_discount);
        if let Some(cache) = cache.as_deref_mut() {
            cache.insert(key, &computed);
        }
    }
    sums
}

/// The USD value of `sizes` of a node's calls and puts whose unit values are `call` and `put`
/// at the move `growth` − 1: as [`scenario_usd`] and [`pnl_of_value`] value each leg (linear:
/// amount × value; inverse: × S/F; discounted longs: intrinsic + (1 − d) × time value), summed.
fn node_usd(
    node: &PricingNode,
    sizes: &NodeSizes,
    (call, put): (f64, f64),
    growth: f64,
    s0: f64,
    inverse: bool,
    time_value_discount: f64,
) -> f64 {
    node_usd_split(
        node,
        sizes,
        [call, put, call, put],
        growth,
        s0,
        inverse,
        time_value_discount,
    )
}

/// [`node_usd`] with a unit price per kind of amount: `prices` = [call for `sizes.call`, put for
/// `sizes.put`, call for `sizes.long_call`, put for `sizes.long_put`] (equal calls and puts in
/// the grid; the ends of price intervals in [`grid_bounds`]).
fn node_usd_split(
    node: &PricingNode,
    sizes: &NodeSizes,
    [call, put, long_call, long_put]: [f64; 4],
    growth: f64,
    s0: f64,
    inverse: bool,
    time_value_discount: f64,
) -> f64 {
    let o = &node.terms;
    let forward = o.forward0 * growth;
    let mut value = sizes.call * call + sizes.put * put;
    if sizes.long_call != 0.0 || sizes.long_put != 0.0 {
        let counted = |price: f64, payoff: f64| {
            let intrinsic = o.discount * payoff;
            intrinsic + (1.0 - time_value_discount) * max(price - intrinsic, 0.0)
        };
        value += sizes.long_call * counted(long_call, max(forward - o.strike, 0.0))
            + sizes.long_put * counted(long_put, max(o.strike - forward, 0.0));
    }
    if inverse {
        value / (forward / (s0 * growth))
    } else {
        value
    }
}

/// P&L of one leg in a scenario, in the vector's currency (coin or USD). `node`: the leg's
/// pricing node in this scenario (`None` for perpetuals and futures).
fn leg_pnl(
    market: &Market,
    leg: &Leg,
    p: &RiskMatrixParams,
    s0: f64,
    coin: bool,
    s: &Scenario,
    node: Option<NodeScenario>,
) -> Result<f64> {
    let (spot_move, vol_scale) = match leg.kind {
        LegKind::Delta1 { .. } if s.extended && p.extended_futures_at_edge => {
            (max(-p.price_range, min(p.price_range, s.spot_move)), 1.0)
        }
        LegKind::Delta1 { .. } => (s.spot_move, 1.0),
        LegKind::Option(o) => (
            s.spot_move,
            node.map_or_else(
                || vol_scale_with_term(p, o.sigma, 1.0, o.log_moneyness, s),
                |n| n.scale,
            ),
        ),
    };
    let call_put = node.and_then(|n| n.call_put);
    let usd = match scenario_usd(leg, s0, spot_move, vol_scale, call_put) {
        Some(usd) => usd,
        None => {
            let shock = Shock {
                spot_move,
                vol_scale,
                time_shift: 0.0,
                sticky: StickyRule::Strike,
            };
            value_position(leg.position, market, &shock)?.usd
        }
    };
    Ok(pnl_of_value(leg, p, s0, coin, spot_move, usd))
}

/// [`leg_pnl`] of an option leg whose pricing node has its call and put values in this scenario
/// (`NodeScenario::call_put`): the node's checks passed, and they are the checks
/// [`scenario_usd`] makes for the leg (same forward, vol and years, bit for bit), so the value is
/// the one [`scenario_usd`] computes from `call_put`, by the same operations, without repeating
/// the checks and lookups (the grid's inner loop: legs × scenarios).
fn priced_option_pnl(
    leg: &Leg,
    o: &OptionTerms,
    (call, put): (f64, f64),
    p: &RiskMatrixParams,
    s0: f64,
    coin: bool,
    spot_move: f64,
) -> f64 {
    let growth = 1.0 + spot_move;
    let s = s0 * growth;
    let q = leg.position.amount;
    let forward = o.forward0 * growth;
    let price = match o.option_kind {
        OptionKind::Call => call,
        OptionKind::Put => put,
    };
    let c = forward / s;
    let usd = if leg.position.instrument.settlement == Settlement::Inverse {
        q * price / c
    } else {
        q * price
    };
    pnl_of_value(leg, p, s0, coin, spot_move, usd)
}

/// A leg's P&L in the vector's currency from its USD value `usd` under the scenario's move:
/// after the static discount of a long option's time value.
fn pnl_of_value(
    leg: &Leg,
    p: &RiskMatrixParams,
    s0: f64,
    coin: bool,
    spot_move: f64,
    mut usd: f64,
) -> f64 {
    let growth = 1.0 + spot_move;
    let spot = s0 * growth;
    if let LegKind::Option(o) = leg.kind {
        let amount = leg.position.amount;
        if amount > 0.0 && p.time_value_discount > 0.0 {
            // Intrinsic value in USD as valuation.rs converts it (inverse: × S/F).
            let forward = o.forward0 * growth;
            let payoff = o.discount * max(o.sign * (forward - o.strike), 0.0);
            let intrinsic = match leg.position.instrument.settlement {
                Settlement::Linear => amount * payoff,
                Settlement::Inverse => amount * payoff / (forward / spot),
            };
            usd = intrinsic + (1.0 - p.time_value_discount) * max(usd - intrinsic, 0.0);
        }
    }
    if coin {
        usd / spot - leg.base_usd / s0
    } else {
        usd - leg.base_usd
    }
}

/// A row as counted: the raw P&L `pnl` times the scenario's weight (if any), then dampened
/// (extended rows) or after the gain offset (standard rows).
fn row_after_offsets(
    p: &RiskMatrixParams,
    settlement: &SettlementParams,
    usd_per_unit: f64,
    s: &Scenario,
    mut pnl: f64,
) -> f64 {
    if let Some((_, weight)) = s.weighted {
        pnl *= weight;
    }
    if s.extended {
        dampen_extended(
            pnl,
            p.extended_fraction,
            settlement.extended_dampener,
            usd_per_unit,
        )
    } else {
        offset_gain(
            pnl,
            settlement.pnl_offset,
            settlement.max_offsetable_pnl / usd_per_unit,
        )
    }
}

/// A standard row after the gain offset (`cap` in the vector's currency).
fn offset_gain(pnl: f64, offset: f64, cap: f64) -> f64 {
    if pnl <= 0.0 {
        pnl
    } else {
        offset * min(pnl, cap)
    }
}

/// An extended row after the fraction and the dampener (`usd_per_unit` converts the currency).
fn dampen_extended(pnl: f64, fraction: f64, dampener: f64, usd_per_unit: f64) -> f64 {
    let counted_usd = fraction * max(-pnl, 0.0) * usd_per_unit - dampener;
    if counted_usd > 0.0 {
        -counted_usd / usd_per_unit
    } else {
        0.0
    }
}

/// The row that sets the worst loss, found row by row (no list of the rows kept): the lowest row
/// (the rows folded by `min` in order), ties to the first bucket and within it to vol `same`
/// (Deribit reports the middle column), standard before extended.
#[derive(Debug, Default)]
struct WorstRow {
    /// The rows so far folded by `min`.
    lowest: Option<f64>,
    /// The first by rank of the rows so far equal to `lowest`: (index, row).
    worst: Option<(usize, f64)>,
}

impl WorstRow {
    /// Takes row `i` (of `grid`), after rows `0..i`.
    fn push(&mut self, grid: &[Scenario], i: usize, row: f64) {
        let lowest = self.lowest.map_or(row, |lowest| min(lowest, row));
        self.lowest = Some(lowest);
        // A lower row (or NaN): no earlier row equals it (the fold keeps the least of the rows
        // that are not NaN, and NaN equals nothing).
        if self.worst.is_some_and(|(_, worst)| worst != lowest) {
            self.worst = None;
        }
        if row == lowest
            && self
                .worst
                .is_none_or(|(at, _)| row_rank(grid, i) < row_rank(grid, at))
        {
            self.worst = Some((i, row));
        }
    }

    /// Takes a row the bounds skipped (+∞, above the worst): folded as +∞ (the first row sets
    /// the fold's start), but not kept as a candidate. Rows are skipped only for the figures,
    /// which read the lowest row's loss alone, and a lowest row of +∞ counts as no loss, as no
    /// row does.
    fn skip(&mut self) {
        self.lowest.get_or_insert(f64::INFINITY);
    }
}

/// Row `i`'s rank among equal rows (lowest first): the first bucket, and within it vol `same`,
/// standard before extended; weighted lists: the first listed row.
fn row_rank(grid: &[Scenario], i: usize) -> (bool, usize, bool, usize) {
    let s = grid.get(i);
    let extended = s.is_some_and(|s| s.extended);
    let same = s.is_some_and(|s| s.vol == VolMove::Same);
    let listed = s.is_some_and(|s| s.weighted.is_some());
    (
        extended,
        if extended || listed { i } else { i / 3 },
        !same && !listed,
        i,
    )
}

/// Paradex's minimum delta requirement in USD, from the positions' deltas in USD (∂value/∂S·S):
/// (`net`·|Σ d| + `hedged`·(Σ |d| − |Σ d|)/2) (docs/venues/paradex.md §2.3).
pub fn min_delta_risk(deltas_usd: &[f64], net: f64, hedged: f64) -> f64 {
    let net_delta: f64 = deltas_usd.iter().sum();
    let gross: f64 = deltas_usd.iter().map(|d| d.abs()).sum();
    net * net_delta.abs() + hedged * max(gross - net_delta.abs(), 0.0) / 2.0
}

/// SPAN spreads formed between tiers, in priority order, from the tiers' net deltas (in units
/// of the underlying), and their total charge in USD at index `s0`.
pub fn intra_spread_charge(tier_deltas: &[f64], spreads: &[IntraSpread], s0: f64) -> f64 {
    let mut remaining = tier_deltas.to_vec();
    let mut charge = 0.0;
    for sp in spreads {
        let (a, b) = (sp.tier_a as usize, sp.tier_b as usize);
        let (Some(&da), Some(&db)) = (remaining.get(a), remaining.get(b)) else {
            continue;
        };
        if da == 0.0 || db == 0.0 || (da > 0.0) == (db > 0.0) {
            continue;
        }
        let formed = min(da.abs(), db.abs());
        if let Some(x) = remaining.get_mut(a) {
            *x -= formed * da.signum();
        }
        if let Some(x) = remaining.get_mut(b) {
            *x -= formed * db.signum();
        }
        charge += formed * (sp.charge + sp.rate * s0);
    }
    charge
}

/// Per-underlying charges beside the worst loss, summed over underlyings (all 0 when off).
#[derive(Debug, Default)]
struct Floors {
    min_delta: f64,
    intra_spread: f64,
    short_option_minimum: f64,
}

/// The legs by vector (underlying, linear), in key order as a `VecMap` keeps them: the coin
/// vector sorts before the USD one.
type Vectors<'p> = Vec<((&'p str, bool), Vec<Leg<'p>>)>;

/// The legs of vector `key`, added as `new_legs` (empty) if absent. `last`: the index of
/// the vector found before, tried first, then set to this one's; `same_name`: whether that
/// vector's underlying is known to be `key`'s (its name is then not compared again).
fn vector_of<'v, 'p>(
    vectors: &'v mut Vectors<'p>,
    last: &mut usize,
    key: (&'p str, bool),
    same_name: bool,
    new_legs: impl FnOnce() -> Vec<Leg<'p>>,
) -> &'v mut Vec<Leg<'p>> {
    let same = |(name, linear): &(&str, bool)| *linear == key.1 && same_text(name, key.0);
    let same_as_last = |(_, linear): &(&str, bool)| *linear == key.1 && same_name;
    if !vectors
        .get(*last)
        .is_some_and(|(k, _)| same_as_last(k) || same(k))
    {
        *last = match vectors.iter().position(|(k, _)| *k >= key) {
            Some(at) if vectors.get(at).is_some_and(|(k, _)| same(k)) => at,
            found => {
                let at = found.unwrap_or(vectors.len());
                vectors.insert(at, (key, new_legs()));
                at
            }
        };
    }
    // In bounds by construction (found there or just inserted there).
    &mut vectors[*last].1
}

/// An underlying's sums over its vectors, in USD: the worst losses, the worst losses without a
/// price move (read only with inter-commodity spreads) and the legs' net delta; with its risk
/// matrix parameters (looked up once per underlying).
#[derive(Debug, Clone, Copy)]
struct UnderlyingTotals<'p> {
    p: &'p RiskMatrixParams,
    loss: f64,
    unchanged_price_loss: f64,
    net_delta: f64,
}

impl<'p> UnderlyingTotals<'p> {
    /// Nothing summed yet, for an underlying with risk matrix parameters `p`.
    fn new(p: &'p RiskMatrixParams) -> Self {
        UnderlyingTotals {
            p,
            loss: 0.0,
            unchanged_price_loss: 0.0,
            net_delta: 0.0,
        }
    }
}

/// Paradex's minimum delta top-up max(0, MinDeltaRisk − loss), SPAN's intra-commodity spread
/// charge and SPAN's short option minimum top-up max(0, SOM − (loss + the two before)), per
/// underlying.
fn underlying_floors(
    vectors: &Vectors,
    params: &PortfolioParams,
    totals: &VecMap<&str, UnderlyingTotals>,
    market: &Market,
) -> Result<Floors> {
    let enabled = |p: &RiskMatrixParams| {
        p.min_delta_net > 0.0
            || p.min_delta_hedged > 0.0
            || !p.intra_spreads.is_empty()
            || p.short_option_minimum > 0.0
    };
    if !totals.values().any(|t| enabled(t.p)) {
        return Ok(Floors::default());
    }
    let mut by_underlying: VecMap<&str, Vec<&Leg>> = VecMap::new();
    for ((name, _), legs) in vectors {
        by_underlying.slot(name, Vec::new).extend(legs.iter());
    }
    let mut floors = Floors::default();
    for (name, legs) in &by_underlying {
        let (p, loss) = totals
            .get(name)
            .map_or((params.risk_matrix(name), 0.0), |t| (t.p, t.loss));
        let mut charged = loss;
        if p.min_delta_net > 0.0 || p.min_delta_hedged > 0.0 {
            let deltas: Vec<f64> = legs.iter().map(|leg| leg.delta_usd).collect();
            let floor = min_delta_risk(&deltas, p.min_delta_net, p.min_delta_hedged);
            let top_up = max(floor - charged, 0.0);
            floors.min_delta += top_up;
            charged += top_up;
        }
        if p.intra_spreads.is_empty() && p.short_option_minimum == 0.0 {
            continue;
        }
        let s0 = market.underlying(name)?.spot();
        if !p.intra_spreads.is_empty() {
            let mut tier_deltas = vec![0.0; p.spread_tiers.len()];
            for leg in legs {
                // Delta in units of the underlying (futures: coin size; options: ∂V/∂F).
                let (days, units) = match leg.kind {
                    LegKind::Delta1 {
                        coin_size, years, ..
                    } => (years * 365.0, coin_size),
                    LegKind::Option(o) => (o.days, leg.delta_usd / o.forward0),
                };
                let tier = p
                    .spread_tiers
                    .iter()
                    .position(|t| days >= t.from_days && days < t.to_days);
                if let Some(delta) = tier.and_then(|t| tier_deltas.get_mut(t)) {
                    *delta += units;
                }
            }
            let intra = intra_spread_charge(&tier_deltas, &p.intra_spreads, s0);
            floors.intra_spread += intra;
            charged += intra;
        }
        if p.short_option_minimum > 0.0 {
            let shorts: f64 = legs
                .iter()
                .filter(|leg| matches!(leg.kind, LegKind::Option(_)))
                .map(|leg| max(-leg.position.amount, 0.0))
                .sum();
            let minimum = p.short_option_minimum * s0 * shorts;
            floors.short_option_minimum += max(minimum - charged, 0.0);
        }
    }
    Ok(floors)
}

/// Portfolio-margin requirements of `positions` (see the module documentation), in USD.
pub fn portfolio_requirements(
    market: &Market,
    positions: &[Position],
    params: &PortfolioParams,
) -> Result<PortfolioResult> {
    params.validate()?;
    portfolio_requirements_checked(market, positions, &VecMap::new(), params, Known::default())
}

/// What the caller of [`portfolio_requirements_checked`] already knows, each part if known.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known<'k> {
    /// Each position's (USD value, delta) under [`Shock::NONE`], as `value_position` returns
    /// them.
    pub unshocked: Option<&'k [(f64, f64)]>,
    /// What the caller's valuation learnt of each position (see [`PositionMet`]).
    pub met: Option<&'k [PositionMet]>,
    /// Each position's option pricing inputs as its unshocked valuation looked them up (saves
    /// looking them up again for the first leg of each instrument).
    pub terms: Option<&'k [Option<UnshockedTerms>]>,
    /// Pricing nodes' grid values from earlier computations (and where this one's go).
    pub cache: Option<&'k ScenarioCache>,
    /// The caller reads only the requirements: the result's `scenarios` table is left empty
    /// (three strings per row and vector, the bulk of a small account's allocations).
    pub without_table: bool,
}

/// What valuing a position in order told of it, for [`Known::met`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct PositionMet {
    /// The index of the first position with an equal instrument (its own index if none before):
    /// such a leg copies that one's option terms instead of looking its vol and forward up again
    /// (the same lookups on the same inputs).
    pub first_same: usize,
    /// The index of its underlying among the book's underlyings in order of first appearance:
    /// equal for two positions if and only if their underlying names are (so the legs' loop
    /// compares these numbers, not the names).
    pub underlying: usize,
}

/// Whether position `i` (> 0) has the underlying of position `i − 1`: their indices in `met`
/// compared if known, else their names.
fn same_underlying_as_previous(
    positions: &[Position],
    met: Option<&[PositionMet]>,
    i: usize,
) -> bool {
    match met.and_then(|m| m.get(i - 1..=i)) {
        Some([before, here]) => before.underlying == here.underlying,
        _ => match positions.get(i - 1..=i) {
            Some([before, here]) => {
                same_text(&before.instrument.underlying, &here.instrument.underlying)
            }
            _ => false,
        },
    }
}

/// [`portfolio_requirements`] for parameters that passed `params.validate()` (checked once by the
/// caller, e.g. the engine, instead of on every computation), with what the caller `known`s.
/// `collateral`: the account's balances by asset (only Derive PMRM_2 charges them here).
pub(crate) fn portfolio_requirements_checked(
    market: &Market,
    positions: &[Position],
    collateral: &VecMap<String, f64>,
    params: &PortfolioParams,
    known: Known,
) -> Result<PortfolioResult> {
    let Known {
        unshocked,
        met,
        terms,
        cache,
        without_table,
    } = known;
    if let Some(derive) = &params.derive {
        return super::derive_portfolio::derive_portfolio_requirements(
            market, positions, collateral, derive,
        );
    }
    // The vectors' allocations: natively the scenario cache's, kept across computations.
    #[cfg(not(target_arch = "wasm32"))]
    let mut buffers = layout::LegBuffers::lent_by(cache);
    #[cfg(not(target_arch = "wasm32"))]
    let mut vectors: Vectors = buffers.vectors();
    #[cfg(target_arch = "wasm32")]
    let mut vectors: Vectors = Vec::new();
    // The vector of the previous position (tried first: positions come in runs on one vector).
    let mut last_vector = 0;
    // Each option position's index in its vector once its leg is built (for `first_same`):
    // kept only if some position has an earlier one with an equal instrument.
    let repeats = met.is_some_and(|m| m.iter().enumerate().any(|(i, m)| m.first_same < i));
    let mut built: Vec<Option<usize>> =
        Vec::with_capacity(if repeats { positions.len() } else { 0 });
    let mut discounts = BitsMemo::default();
    let mut underlyings = UnderlyingMemo::default();
    // The data of the previous position's underlying once looked up: positions come in runs on
    // one underlying, so one comparison with the previous position (of underlying indices if
    // known, else of names) serves a position's vector and its underlying.
    let mut run_underlying: Option<&Underlying> = None;
    // Whether any underlying's grid tilts vols by skew (else no leg needs its log-moneyness).
    let any_skew = std::iter::once(&params.default_underlying)
        .chain(params.underlyings.values())
        .any(|p| p.skew_shock != 0.0);
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
        let instrument = &position.instrument;
        let known = unshocked.and_then(|u| u.get(i)).copied();
        let name = instrument.underlying.as_str();
        let met_here = met.and_then(|m| m.get(i));
        let same_name = i > 0 && same_underlying_as_previous(positions, met, i);
        if !same_name {
            run_underlying = None;
        }
        let key = (name, instrument.settlement == Settlement::Linear);
        let vector = vector_of(
            &mut vectors,
            &mut last_vector,
            key,
            same_name,
            #[cfg(not(target_arch = "wasm32"))]
            || buffers.legs(positions.len()),
            #[cfg(target_arch = "wasm32")]
            || Vec::with_capacity(positions.len()),
        );
        // The first position with an equal instrument: the same vector, so its leg is there.
        let same = met_here
            .map(|m| m.first_same)
            .filter(|&first| first < i)
            .and_then(|first| {
                let at = built.get(first).copied().flatten()?;
                let leg = vector.get(at)?;
                std::ptr::eq(leg.position, positions.get(first)?).then_some((leg, at))
            });
        let at = vector.len();
        // Pushed as built (a leg is large: no copy through a local).
        match (same, known) {
            (Some((first, first_at)), Some((base_usd, base_delta))) => vector.push(Leg {
                position,
                base_usd,
                // The same underlying as the first position's: the same spot.
                delta_usd: base_delta * first.spot,
                kind: first.kind,
                same_as: Some(first_at),
                spot: first.spot,
                node: Cell::new(None),
            }),
            _ => vector.push(leg_on(
                market,
                match run_underlying {
                    Some(underlying) => underlying,
                    None => run_underlying.insert(underlyings.get(market, name)?),
                },
                position,
                known,
                terms.and_then(|t| t.get(i)).copied().flatten(),
                &mut discounts,
                if any_skew {
                    params.risk_matrix(&instrument.underlying).skew_shock
                } else {
                    0.0
                },
            )?),
        }
        if repeats {
            let option = vector
                .get(at)
                .is_some_and(|leg| matches!(leg.kind, LegKind::Option(_)));
            built.push(option.then_some(at));
        }
    }
    let mut scenarios = Vec::new();
    let mut contingencies = Contingencies::default();
    // One map for the three per-underlying sums (one allocation, not three). Natively sized at
    // once (at most one entry per vector: no growth on the first insert, ≈ 300 instructions per
    // engine update); the `.wasm` grows it (37 B gzip it has no room for).
    #[cfg(not(target_arch = "wasm32"))]
    let mut totals: VecMap<&str, UnderlyingTotals> = VecMap::with_capacity(vectors.len());
    #[cfg(target_arch = "wasm32")]
    let mut totals: VecMap<&str, UnderlyingTotals> = VecMap::new();
    for &((name, linear), ref legs) in &vectors {
        let p = params.risk_matrix(name);
        let s0 = market.underlying(name)?.spot();
        let (settlement, usd_per_unit) = if linear {
            (params.usd.clone(), 1.0)
        } else {
            (p.coin_settlement(), s0)
        };
        let coin = !linear;
        // The grid, and the vector's layout (the legs' grouping into nodes, checked against the
        // last computation's instead of found again by hashing), kept by the vector natively;
        // the `.wasm` builds both per call (no measurable gain there for their bytes).
        #[cfg(not(target_arch = "wasm32"))]
        let (grid_rows, mut layout) = match cache {
            Some(cache) => {
                let (grid_rows, layout) = cache.grid_rows(name, coin, p);
                (grid_rows, Some(layout))
            }
            None => (Arc::new(GridRows::of(p)), None),
        };
        #[cfg(not(target_arch = "wasm32"))]
        let grouped = match layout.as_mut() {
            Some(layout) => layout.group(legs, p, buffers.nodes()),
            None => group_by_key(
                legs,
                p,
                &mut BitsMemo::default(),
                Vec::with_capacity(legs.len()),
            ),
        };
        #[cfg(target_arch = "wasm32")]
        let grid_rows = GridRows::of(p);
        #[cfg(target_arch = "wasm32")]
        let grouped = group_by_key(
            legs,
            p,
            &mut BitsMemo::default(),
            Vec::with_capacity(legs.len()),
        );
        let (grid, log_growths) = (&grid_rows.grid, &grid_rows.log_growths);
        let VectorNodes {
            nodes,
            delta1_legs,
            unchanged_is_zero,
        } = vector_nodes(grouped, p, s0, coin);
        // The rows, as counted and raw, are read by the table only.
        let table = if without_table { 0 } else { grid.len() };
        let mut rows = Vec::with_capacity(table);
        let mut raw_rows = Vec::with_capacity(table);
        // Nodes' prices in a row with a node the kernel cannot price (allocated if one is met).
        let mut priced = Vec::new();
        let inputs = grid_rows.inputs(s0, coin);
        // Whether every node's P&L in a row is +0 (see `unchanged_is_zero`).
        let nodes_are_zero =
            |s: &Scenario, unit_scale: bool| unchanged_is_zero && s.spot_move == 0.0 && unit_scale;
        // A row's raw P&L from its options' part: that part (or +0 where every node's P&L is
        // +0), then the perpetuals and futures leg by leg.
        let with_delta1 = |s: &Scenario, nodes_pnl: f64, unit_scale: bool| -> Result<f64> {
            // Every node's P&L +0: pnl = +0 + +0 + … = +0.
            let mut pnl = if nodes_are_zero(s, unit_scale) {
                0.0
            } else {
                nodes_pnl
            };
            for leg in &delta1_legs {
                pnl += leg_pnl(market, leg, p, s0, coin, s, None)?;
            }
            Ok(pnl)
        };
        // The options' part of the rows, and which rows were skipped. Without a table only the
        // worst row (and, for inter-commodity spreads, the rows without a move) is read:
        // natively, the engine's first computation after a move bounds the rows from the
        // earlier rows and prices only those that can be the worst ([`grid_bounds`]).
        let (sums, skipped) = match cache {
            Some(cache) => cache.with_vector(
                name,
                coin,
                p,
                |vector| -> Result<(NodeSums, Option<Vec<bool>>)> {
                    #[cfg(not(target_arch = "wasm32"))]
                    let vector = {
                        let mut vector = vector;
                        if let (Some(v), Some(layout)) = (vector.as_deref_mut(), layout.take()) {
                            v.keep_layout(layout);
                        }
                        let bounded = grid_bounds::Vector {
                            p,
                            nodes: &nodes,
                            inputs: &inputs,
                            settlement: &settlement,
                            usd_per_unit,
                            keep_unchanged: !params.inter_spreads.is_empty(),
                        };
                        if let Some((sums, priced)) = vector
                            .as_deref_mut()
                            .filter(|_| without_table)
                            .map(|v| grid_bounds::bounded_rows(&bounded, v, &with_delta1))
                            .transpose()?
                            .flatten()
                        {
                            return Ok((sums, Some(priced)));
                        }
                        vector
                    };
                    Ok((node_sums(&nodes, p, &inputs, vector), None))
                },
            )?,
            None => (node_sums(&nodes, p, &inputs, None), None),
        };
        // A row's raw P&L (row `j`, scenario `s`) when the bounds did not skip it.
        let mut row_pnl = |j: usize, s: &Scenario| -> Result<f64> {
            let log_growth = log_growths.get(j).copied().unwrap_or(0.0);
            let unit_scale = sums.unit_scale.get(j).copied().unwrap_or(false);
            Ok(match (sums.priced.get(j), sums.pnl.get(j)) {
                // Every node priced: the options' P&L node by node (value in the scenario −
                // value now, both by the grid's kernel), then perpetuals and futures leg by leg.
                (Some(true), Some(nodes_pnl)) => with_delta1(s, *nodes_pnl, unit_scale)?,
                _ if nodes_are_zero(s, unit_scale) => with_delta1(s, 0.0, unit_scale)?,
                // A node the kernel cannot price here (expired, or a shock out of range): every
                // leg through `leg_pnl`, which asks `value_position` (its value or its error),
                // with every node's prices in this scenario (the values `node_sums` saw: the
                // same scale per vol class, the same kernel).
                _ => {
                    let mut pnl = 0.0;
                    priced.clear();
                    priced.extend(
                        nodes
                            .iter()
                            .map(|node| node_scenario(node, p, s, log_growth)),
                    );
                    for leg in legs {
                        let node = leg.node.get().and_then(|n| priced.get(n));
                        pnl += match (&leg.kind, node.and_then(|n| n.call_put)) {
                            (LegKind::Option(o), Some(call_put)) => {
                                priced_option_pnl(leg, o, call_put, p, s0, coin, s.spot_move)
                            }
                            _ => leg_pnl(market, leg, p, s0, coin, s, node.copied())?,
                        };
                    }
                    pnl
                }
            })
        };
        let mut worst = WorstRow::default();
        // The worst loss of the rows without a move (read only with inter-commodity spreads).
        let keep_unchanged = !params.inter_spreads.is_empty();
        let mut unchanged = 0.0;
        for (j, s) in grid.iter().enumerate() {
            if skipped
                .as_ref()
                .is_some_and(|priced| !priced.get(j).copied().unwrap_or(true))
            {
                // A row the bounds place above the worst: never the worst, never read (nor
                // the loss without a move: max(w, −∞) = w).
                worst.skip();
                if !without_table {
                    raw_rows.push(f64::INFINITY);
                    rows.push(f64::INFINITY);
                }
                continue;
            }
            let pnl = row_pnl(j, s)?;
            let row = row_after_offsets(p, &settlement, usd_per_unit, s, pnl);
            worst.push(grid, j, row);
            if keep_unchanged && s.spot_move == 0.0 && !s.extended {
                unchanged = max(unchanged, -row);
            }
            if !without_table {
                raw_rows.push(pnl);
                rows.push(row);
            }
        }
        // Natively, the rows the bounds chose are read: their buffers go back to the vector for
        // its next bounds (no allocation per computation).
        #[cfg(not(target_arch = "wasm32"))]
        if let (Some(cache), Some(to_price)) = (cache, skipped) {
            cache.with_held_vector(name, coin, |vector| {
                vector.bounds_buffers().keep_rows(sums, to_price);
            });
        }
        let (worst, lowest) = match worst.worst {
            Some((at, row)) => (Some(at), row),
            None => (None, 0.0),
        };
        let underlying = totals.slot(name, || UnderlyingTotals::new(p));
        underlying.loss += max(-lowest, 0.0) * usd_per_unit;
        if keep_unchanged {
            underlying.unchanged_price_loss += unchanged * usd_per_unit;
        }
        for (i, ((s, pnl), raw)) in grid
            .iter()
            .zip(&rows)
            .zip(&raw_rows)
            .enumerate()
            .take(table)
        {
            scenarios.push(ScenarioPnl {
                underlying: name.to_string(),
                currency: if linear { "USD" } else { name }.to_string(),
                spot_move: s.spot_move,
                vol: s.vol.name().to_string(),
                extended: s.extended,
                pnl: *pnl,
                pnl_usd: *pnl * usd_per_unit,
                raw_pnl: *raw,
                raw_pnl_usd: *raw * usd_per_unit,
                worst: worst == Some(i),
                vol_shock: s.weighted.map(|(shock, _)| shock),
                weight: s.weighted.map(|(_, weight)| weight),
            });
        }
        // Contingencies of this vector.
        let (mut long, mut short) = (0.0, 0.0);
        // A map, not a `VecMap`: it grows with the number of distinct strikes.
        let mut per_strike: BTreeMap<u64, f64> = BTreeMap::new();
        // A charge of 0 per unit adds exactly +0: the strikes need not be netted then.
        let short_option_charged = p.short_option_contingency != 0.0;
        // The underlying's net delta, accumulated leg by leg in the same order.
        let underlying_delta = &mut underlying.net_delta;
        // Natively only: the `.wasm` takes the general loop (the same sum; no bytes to spare).
        if cfg!(not(target_arch = "wasm32")) && delta1_legs.is_empty() && !short_option_charged {
            // Options alone, their strikes not netted: the net delta is all there is to sum.
            for leg in legs {
                *underlying_delta += leg.delta_usd;
            }
        } else {
            for leg in legs {
                *underlying_delta += leg.delta_usd;
                match leg.kind {
                    LegKind::Delta1 {
                        coin_size, years, ..
                    } => {
                        let shock = max(
                            settlement.min_annualised_move,
                            settlement.annualised_move_risk * years,
                        );
                        contingencies.roll += coin_size.abs() * shock * s0;
                        if coin_size > 0.0 {
                            long += coin_size;
                        } else {
                            short -= coin_size;
                        }
                    }
                    LegKind::Option(o) if short_option_charged => {
                        // Strikes are positive: their bit patterns order like the numbers.
                        *per_strike.entry(o.strike.to_bits()).or_insert(0.0) += leg.position.amount;
                    }
                    LegKind::Option(_) => {}
                }
            }
        }
        contingencies.futures += p.futures_contingency * min(long, short) * s0;
        for net in per_strike.values() {
            if *net < 0.0 {
                contingencies.short_option += p.short_option_contingency * -net * s0;
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        buffers.keep_nodes(nodes);
    }
    for UnderlyingTotals { p, net_delta, .. } in totals.values() {
        let excess = max(net_delta.abs() - p.delta_total_liq_shock_threshold, 0.0);
        contingencies.delta += p.max_delta_shock * p.price_range * excess;
    }
    let floors = underlying_floors(&vectors, params, &totals, market)?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        buffers.keep_vectors(vectors);
        buffers.give_back(cache);
    }
    contingencies.min_delta = floors.min_delta;
    contingencies.intra_spread = floors.intra_spread;
    contingencies.short_option_minimum = floors.short_option_minimum;
    let worst_loss = match params.aggregation {
        Aggregation::Sum => totals.values().map(|t| t.loss).sum(),
        Aggregation::Correlation => {
            let mut total = 0.0;
            for (u, UnderlyingTotals { loss: lu, .. }) in &totals {
                for (v, UnderlyingTotals { loss: lv, .. }) in &totals {
                    total += params.correlation(u, v) * lu * lv;
                }
            }
            max(total, 0.0).sqrt()
        }
    };
    if !params.inter_spreads.is_empty() {
        let mut risks: Vec<(&str, UnderlyingRisk)> = Vec::with_capacity(totals.len());
        for (&name, underlying) in &totals {
            let s0 = market.underlying(name)?.spot();
            risks.push((
                name,
                UnderlyingRisk {
                    scan_risk: underlying.loss,
                    unchanged_price_loss: underlying.unchanged_price_loss,
                    net_delta: underlying.net_delta / s0,
                },
            ));
        }
        contingencies.inter_spread_credit = inter_spread::credit(&params.inter_spreads, &risks);
    }
    let risk_matrix_margin = max(
        worst_loss
            + contingencies.roll
            + contingencies.delta
            + contingencies.short_option
            + contingencies.futures
            + contingencies.min_delta
            + contingencies.intra_spread
            + contingencies.short_option_minimum
            - contingencies.inter_spread_credit,
        0.0,
    );
    Ok(PortfolioResult {
        scenarios,
        worst_loss,
        contingencies,
        risk_matrix_margin,
        initial: risk_matrix_margin,
        maintenance: params.mm_factor * risk_matrix_margin,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // std math as an independent reference in tests
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_overrides_are_partial() {
        let defaults = PortfolioParams::default();
        defaults.validate().unwrap();
        assert_eq!(defaults.risk_matrix("SOL").price_range, 0.16);
        assert_eq!(defaults.risk_matrix("ETH").price_range, 0.18);
        let p: PortfolioParams = crate::json::from_str(
            r#"{"underlyings": {"SOL": {"priceRange": 0.3}}, "usd": {"pnlOffset": 0.4}}"#,
        )
        .unwrap();
        assert_eq!(p.risk_matrix("SOL").price_range, 0.3);
        assert_eq!(p.risk_matrix("SOL").buckets_count, 4);
        assert_eq!(
            p.usd.annualised_move_risk, 0.1,
            "USD defaults fill the rest"
        );
        assert!(
            !p.underlyings.contains_key("ETH"),
            "a given map replaces the default one"
        );
        let cases = [
            (r#"{"mmFactor": 1.5}"#, "mmFactor"),
            (
                r#"{"defaultUnderlying": {"priceRange": 1}}"#,
                "defaultUnderlying.priceRange",
            ),
            (
                r#"{"underlyings": {"SOL": {"extendedMoves": [-1]}}}"#,
                "underlyings.SOL.extendedMoves[0]",
            ),
            (r#"{"usd": {"pnlOffset": -0.1}}"#, "usd.pnlOffset"),
            (
                r#"{"correlations": {"BTC": {"ETH": 0.5}, "ETH": {"BTC": 0.6}}}"#,
                "correlations.BTC.ETH",
            ),
            (
                r#"{"defaultUnderlying": {"bucketsCount": 0}}"#,
                "defaultUnderlying.bucketsCount",
            ),
        ];
        for (json, field) in cases {
            let p: PortfolioParams = crate::json::from_str(json).unwrap();
            assert_eq!(p.validate().unwrap_err().field(), field, "{json}");
        }
        let err =
            crate::json::from_str::<PortfolioParams>(r#"{"usd": {"pnlOfset": 1}}"#).unwrap_err();
        assert_eq!(err.field(), "usd.pnlOfset");
    }

    #[test]
    fn grid_is_symmetric_with_an_exact_zero() {
        let grid = scenario_grid(&RiskMatrixParams::default());
        assert_eq!(grid.len(), 27 + 8);
        let moves: Vec<f64> = grid
            .iter()
            .step_by(3)
            .take(9)
            .map(|s| s.spot_move)
            .collect();
        assert_eq!(moves[0], -0.16);
        assert_eq!(moves[4].to_bits(), 0.0f64.to_bits());
        assert_eq!(moves[8], 0.16);
        for i in 0..4 {
            assert_eq!(moves[i], -moves[8 - i]);
        }
        assert!(grid[27..]
            .iter()
            .all(|s| s.extended && s.vol == VolMove::Up));
    }

    #[test]
    fn vol_shock_is_term_scaled_and_floored() {
        let p = RiskMatrixParams::default();
        let s = |vol, spot_move| Scenario {
            spot_move,
            vol,
            extended: false,
            weighted: None,
        };
        // 15 days: power 0.3; 60 days: power 0.13 (independent std powf).
        let up15 = 0.6 * (1.0 + 0.5 * 2f64.powf(0.3));
        assert!((vol_scale(&p, 0.6, 15.0, 0.0, &s(VolMove::Up, 0.0)) * 0.6 - up15).abs() < 1e-15);
        let down60 = 0.6 * (1.0 - 0.25 * 0.5f64.powf(0.13));
        let got = vol_scale(&p, 0.6, 60.0, 0.0, &s(VolMove::Down, 0.04)) * 0.6;
        assert!((got - down60).abs() < 1e-15);
        // Up floor 50 %; down floor 1 % for a 1-hour option (the shock exceeds −100 %).
        assert!((vol_scale(&p, 0.2, 60.0, 0.0, &s(VolMove::Up, 0.0)) * 0.2 - 0.5).abs() < 1e-15);
        let hour = 1.0 / 24.0;
        assert!((vol_scale(&p, 0.6, hour, 0.0, &s(VolMove::Down, 0.0)) * 0.6 - 0.01).abs() < 1e-15);
        assert_eq!(vol_scale(&p, 0.6, 15.0, 0.3, &s(VolMove::Same, 0.1)), 1.0);
        // Skew: after a fall, puts (k < 0) get richer and calls cheaper.
        let skewed = RiskMatrixParams {
            skew_shock: 0.5,
            ..p
        };
        let put = vol_scale(&skewed, 0.6, 15.0, -0.2, &s(VolMove::Same, -0.08));
        let call = vol_scale(&skewed, 0.6, 15.0, 0.2, &s(VolMove::Same, -0.08));
        assert!((put - 1.1).abs() < 1e-15 && (call - 0.9).abs() < 1e-15);
    }

    fn fast_path_market_and_account() -> (Market, crate::portfolio::Account) {
        let market = Market::new(
            crate::json::from_str(
                r#"{"now": 1790000000000, "underlyings": {"BTC": {
                    "index": {"price": 100000, "publishTime": 1790000000000}, "rate": 0.03,
                    "forwards": [{"expiry": 1798358400000, "price": 103000}],
                    "marks": {"BTC-PERPETUAL": 100050},
                    "markIv": {"BTC-27DEC26-110000-C": 0.6},
                    "vol": {"slices": [{"type": "svi", "expiry": 1798358400000,
                        "a": 0.04, "b": 0.4, "rho": -0.4, "m": 0, "sigma": 0.1}]}}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let account = crate::portfolio::Account::new(
            &crate::json::from_str(
                r#"{"mode": "portfolio", "positions": [
                    {"instrument": "BTC-27DEC26-110000-C", "size": -3},
                    {"instrument": "BTC_USDC-27DEC26-90000-P", "size": 2},
                    {"instrument": "BTC_USDC-27DEC26-103000-C", "size": 1},
                    {"instrument": "BTC_USDC-27DEC26-103000-P", "size": -0.5},
                    {"instrument": "BTC_USDC-27DEC26-90000-P", "size": -0.7},
                    {"instrument": "BTC-27DEC26-110000-C", "size": 1.25},
                    {"instrument": "BTC-PERPETUAL", "size": -50000, "entryPrice": 95000},
                    {"instrument": "BTC_USDC-27DEC26", "size": 1.5, "entryPrice": 101000}]}"#,
            )
            .unwrap(),
        )
        .unwrap();
        (market, account)
    }

    /// |a − b| within 1e-12 relative of `scale` (the golden pricing suite's tolerance).
    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-12 * scale
    }

    #[test]
    fn scenario_fast_path_matches_value_position() {
        // A property. Perpetuals and futures: `scenario_usd` gives `value_position`'s bits. Options:
        // the grid's node kernel (ln(F₀/K) + ln(1 + m), no `ln` per scenario) is not bit-equal to
        // `value_position` (Black-76 with Greeks, itself within 1e-12 of mpmath on
        // tests/golden/pricing.json); it must agree within 1e-12 relative of the leg's notional
        // |q|·F (1e-12 of the value itself where that is larger).
        let (market, account) = fast_path_market_and_account();
        let p = RiskMatrixParams {
            skew_shock: 0.3,
            ..RiskMatrixParams::default()
        };
        let s0 = 100_000.0;
        for position in &account.positions {
            let leg = leg(
                &market,
                position,
                None,
                None,
                &mut BitsMemo::default(),
                p.skew_shock,
            )
            .unwrap();
            for s in scenario_grid(&p) {
                let scale = match leg.kind {
                    LegKind::Option(o) => vol_scale(&p, o.sigma, o.days, o.log_moneyness, &s),
                    LegKind::Delta1 { .. } => 1.0,
                };
                let shock = Shock {
                    spot_move: s.spot_move,
                    vol_scale: scale,
                    time_shift: 0.0,
                    sticky: StickyRule::Strike,
                };
                let slow = value_position(position, &market, &shock).unwrap().usd;
                let fast = scenario_usd(&leg, s0, s.spot_move, scale, None).unwrap();
                assert_eq!(fast.to_bits(), slow.to_bits(), "{} {s:?}", position.id);
                let LegKind::Option(o) = leg.kind else {
                    continue;
                };
                let inverse = position.instrument.settlement == Settlement::Inverse;
                let (_, nodes) = pricing_nodes(std::slice::from_ref(&leg), &p, s0, inverse);
                let growth = 1.0 + s.spot_move;
                let node = node_scenario(&nodes[0], &p, &s, ln(growth));
                assert_eq!(node.scale.to_bits(), scale.to_bits());
                let paired = scenario_usd(&leg, s0, s.spot_move, scale, node.call_put).unwrap();
                let notional = position.amount.abs() * o.forward0 * growth;
                assert!(
                    close(paired, slow, notional.max(slow.abs())),
                    "{} {s:?}: {paired} vs {slow}",
                    position.id
                );
                // The fallback rows' inner loop: the same P&L as `leg_pnl`, in both currencies
                // and with the static discount of time value.
                for (coin, discount) in [(false, 0.0), (true, 0.0), (false, 0.2), (true, 0.2)] {
                    let p = RiskMatrixParams {
                        time_value_discount: discount,
                        ..p.clone()
                    };
                    let node = Some(node);
                    let slow = leg_pnl(&market, &leg, &p, s0, coin, &s, node).unwrap();
                    let call_put = node.and_then(|n| n.call_put).unwrap();
                    let fast = priced_option_pnl(&leg, &o, call_put, &p, s0, coin, s.spot_move);
                    assert_eq!(fast.to_bits(), slow.to_bits(), "{} {s:?}", position.id);
                }
            }
        }
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn node_aggregated_rows_match_per_leg_revaluation() {
        // A property: each row's P&L, summed node by node from the legs' summed amounts, equals
        // the sum over legs of `value_position`-based P&L (`leg_pnl` without node values) within
        // 1e-12 relative of the vector's gross notional; a row without a move or vol shock is
        // exactly 0 (value now and in the scenario come from the same kernel), unless long time
        // value is discounted.
        let (market, account) = fast_path_market_and_account();
        for discount in [0.0, 0.2] {
            let mut params = PortfolioParams::default();
            params.default_underlying.skew_shock = 0.3;
            params.default_underlying.time_value_discount = discount;
            let p = params.risk_matrix("BTC").clone();
            let result = portfolio_requirements_checked(
                &market,
                &account.positions,
                &VecMap::new(),
                &params,
                Known::default(),
            )
            .unwrap();
            let s0 = 100_000.0;
            let grid = scenario_grid(&p);
            for coin in [true, false] {
                let rows: Vec<&ScenarioPnl> = result
                    .scenarios
                    .iter()
                    .filter(|r| (r.currency == "BTC") == coin)
                    .collect();
                assert_eq!(rows.len(), grid.len());
                let legs: Vec<Leg> = account
                    .positions
                    .iter()
                    .filter(|q| (q.instrument.settlement == Settlement::Inverse) == coin)
                    .map(|q| {
                        leg(
                            &market,
                            q,
                            None,
                            None,
                            &mut BitsMemo::default(),
                            p.skew_shock,
                        )
                        .unwrap()
                    })
                    .collect();
                // Options' notional |q|·F₀ in the vector's currency.
                let notional: f64 = legs
                    .iter()
                    .filter_map(|l| match l.kind {
                        LegKind::Option(o) => Some(l.position.amount.abs() * o.forward0),
                        LegKind::Delta1 { .. } => None,
                    })
                    .sum::<f64>()
                    / if coin { s0 } else { 1.0 };
                for (s, row) in grid.iter().zip(&rows) {
                    // Each leg by `value_position` under the scenario's shock.
                    let pnls: Vec<f64> = legs
                        .iter()
                        .map(|l| match l.kind {
                            LegKind::Option(o) => {
                                let shock = Shock {
                                    spot_move: s.spot_move,
                                    vol_scale: vol_scale(&p, o.sigma, o.days, o.log_moneyness, s),
                                    time_shift: 0.0,
                                    sticky: StickyRule::Strike,
                                };
                                let usd = value_position(l.position, &market, &shock).unwrap().usd;
                                pnl_of_value(l, &p, s0, coin, s.spot_move, usd)
                            }
                            LegKind::Delta1 { .. } => {
                                leg_pnl(&market, l, &p, s0, coin, s, None).unwrap()
                            }
                        })
                        .collect();
                    let per_leg: f64 = pnls.iter().sum();
                    let gross = notional + pnls.iter().map(|x| x.abs()).sum::<f64>();
                    assert!(
                        close(row.raw_pnl, per_leg, gross),
                        "coin {coin} {s:?}: {} vs {per_leg}",
                        row.raw_pnl
                    );
                    if s.spot_move == 0.0 && s.vol == VolMove::Same && discount == 0.0 {
                        assert_eq!(row.raw_pnl, 0.0, "coin {coin}");
                    }
                }
            }
        }
    }

    #[test]
    fn offset_and_dampener_arithmetic() {
        assert_eq!(offset_gain(-2.0, 0.6, 10.0), -2.0);
        assert_eq!(offset_gain(5.0, 0.6, 10.0), 3.0);
        assert_eq!(offset_gain(50.0, 0.6, 10.0), 6.0);
        assert_eq!(offset_gain(5.0, 0.0, 0.0).to_bits(), 0.0f64.to_bits());
        // Coin vector at 50,000 USD: a 3-coin loss is 150,000 USD; − 100,000 → 1 coin counted.
        assert_eq!(dampen_extended(-3.0, 1.0, 100_000.0, 50_000.0), -1.0);
        assert_eq!(dampen_extended(-1.0, 1.0, 100_000.0, 50_000.0).to_bits(), 0);
        assert_eq!(dampen_extended(4.0, 1.0, 0.0, 1.0).to_bits(), 0);
        assert_eq!(dampen_extended(-4.0, 0.5, 0.0, 1.0), -2.0);
    }
}
