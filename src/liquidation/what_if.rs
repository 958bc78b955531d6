//! Pre-trade what-if: the account before and after an order fills, and the largest order size
//! that keeps free collateral ≥ 0.
//!
//! **Fill rule** ([`apply_order`]). An order is {instrument, size in contracts (signed, or > 0 with
//! `side`), price (default: the mark), isolatedMargin (isolated mode)}; its amount is
//! size × contract size, like a position's. It fills entirely at the price:
//! - with no position in the same instrument (canonical id), a new position opens at the price;
//! - adding to a position averages the entry price by volume (inverse perpetuals and futures, sized
//!   in USD, average 1/price, as their coin P&L does);
//! - reducing a position keeps its entry price; the closed part's P&L is realised into collateral
//!   (linear: amount·(price − entry) USD into the margin asset; inverse: notional·(1/entry −
//!   1/price) coin into the underlying's coin); crossing through zero reopens the rest at the
//!   price; reaching zero removes the position;
//! - options pay (buy) or receive (sell) the premium amount × price, in USD per unit, from/to the
//!   margin asset's collateral (at its price). Option P&L is never realised separately: the cash
//!   moved with the premium, and equity counts the mark.
//! - isolated mode: `isolatedMargin` moves from the margin asset's collateral to the position.
//!
//! **Max size** ([`max_size`]): sizes are multiples k·`sizeIncrement` of the order size grid
//! (contracts). Free collateral is exact (integer base units, rounded down), so the search is
//! exact on the grid: doubling k until free collateral < 0, then bisection on integers; the answer
//! is the largest k·increment found with free collateral ≥ 0 whose next grid size has free
//! collateral < 0 (rounded **down** to the grid; 0 when even one increment is too much). When
//! free collateral is not monotone in size (an order that first reduces a position), the answer
//! is the first such boundary above 0. The search stops at min(2⁵² increments, 10¹⁵ contracts):
//! when free collateral is still ≥ 0 there (an order that lowers the requirement at every size,
//! or a long option whose premium is not charged, `standard.options.longInitial` 0: the premium
//! leaves as cash, possibly a negative balance, and returns as value), the answer is
//! `bounded: false` with that limit as `size`, not an error.
//!
//! Never mutates its inputs; an order that leaves the account under-collateralised is reported
//! as such (`underCollateralised`), not refused.

use super::linear::linear_estimates_cached;
use super::prices::liquidation_prices_cached;
use super::shift::{LiquidationOptions, PriceDetail};
use crate::error::{Error, Result};
use crate::margin::compute::margin_summary;
use crate::margin::money::Money;
use crate::margin::params::params_hash;
use crate::margin::valuation::{reference_mark, value_position, Shock};
use crate::margin::{MarginReport, RiskParams, ScenarioCache};
use crate::market::{Market, MarketSpec};
use crate::portfolio::{
    Account, AccountSpec, ContractKind, InstrumentSpec, MarginMode, Position, Settlement,
};
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Adds +size.
    Buy,
    /// Adds −size.
    Sell,
}

impl Side {
    fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

/// An order to test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    /// Instrument id or explicit terms.
    pub instrument: InstrumentSpec,
    /// Size in contracts: signed (+ buy, − sell) without `side`, > 0 with it.
    pub size: f64,
    /// Buy or sell (then `size` is > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub side: Option<Side>,
    /// Fill price in USD per unit (default: the mark: perpetual/future mark, option model value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub price: Option<f64>,
    /// Isolated mode: margin moved from collateral to the position (margin asset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub isolated_margin: Option<f64>,
}

/// What the fill did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    /// Canonical instrument id.
    pub instrument: String,
    /// Signed amount filled (size × contract size).
    pub amount: f64,
    /// Fill price (USD per unit).
    pub price: f64,
    /// Option premium paid (+) or received (−), in the margin asset.
    pub premium: f64,
    /// P&L realised by reducing a perpetual/future (USD).
    pub realized_pnl: f64,
    /// The position's amount after the fill (0: closed).
    pub position_after: f64,
}

/// The numbers compared before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// Equity (rounded down).
    pub equity: Money,
    /// Initial margin (rounded up).
    pub initial_margin: Money,
    /// Maintenance margin (rounded up).
    pub maintenance_margin: Money,
    /// Equity − initial margin (rounded down).
    pub free_collateral: Money,
    /// Equity / maintenance margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub health: Option<f64>,
    /// Liquidation prices per underlying (per `options.whatIfPrices`; empty with `none`).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, PriceSummary>"))]
    pub liquidation: VecMap<String, PriceSummary>,
}

/// Liquidation prices of one underlying in a what-if.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PriceSummary {
    /// Ascending.
    pub liquidation_prices: Vec<f64>,
    /// Nearest to spot.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub nearest: Option<f64>,
    /// From the full solver (true) or the linear estimate (false).
    pub exact: bool,
}

/// A [`PriceSummary`] of prices from the solver (`exact`) or the linear estimate.
fn price_summary(liquidation_prices: Vec<f64>, nearest: Option<f64>, exact: bool) -> PriceSummary {
    PriceSummary {
        liquidation_prices,
        nearest,
        exact,
    }
}

/// After − before, exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct MarginImpact {
    /// Change of equity.
    pub equity: Money,
    /// Change of initial margin.
    pub initial_margin: Money,
    /// Change of maintenance margin.
    pub maintenance_margin: Money,
    /// Change of free collateral.
    pub free_collateral: Money,
}

/// The result of `what_if`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct WhatIfResult {
    /// The fill.
    pub fill: Fill,
    /// The account now.
    pub before: AccountSummary,
    /// The account after the fill.
    pub after: AccountSummary,
    /// after − before.
    pub impact: MarginImpact,
    /// Free collateral after the fill is negative: the order would not pass an initial-margin check.
    pub under_collateralised: bool,
    /// Health after the fill is below 1: the account would be liquidatable.
    pub liquidatable: bool,
    /// Asset of the amounts.
    pub margin_asset: String,
    /// SHA-256 of the parameters used.
    pub params_hash: String,
}

/// The result of `max_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct MaxSize {
    /// Canonical instrument id.
    pub instrument: String,
    /// Buy or sell.
    pub side: Side,
    /// Largest size (contracts, > 0 or 0) on the grid with free collateral ≥ 0 after the fill;
    /// when not `bounded`, the largest size searched (the search limit).
    pub size: f64,
    /// The grid (contracts).
    pub size_increment: f64,
    /// Whether free collateral falls below 0 within the search limit (min(2⁵² increments,
    /// 10¹⁵ contracts)). False: it stays ≥ 0 at every size searched (an order that lowers the
    /// requirement at any size, or a long option whose premium is not charged at IM), so the
    /// size is unbounded as far as free collateral goes, and `size` is the limit.
    pub bounded: bool,
    /// Free collateral after an order of `size` (now, when `size` is 0).
    pub free_collateral: Money,
    /// Free collateral after an order of `size` + `sizeIncrement` (< 0); absent when not
    /// `bounded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub free_collateral_next: Option<Money>,
}

fn money_diff(after: &Money, before: &Money, field: &str) -> Result<Money> {
    let parse = |m: &Money| {
        m.units.parse::<i128>().map_err(|e| {
            Error::invalid(
                field,
                format!("units {}: {e}", crate::error::Quoted(&m.units)),
            )
        })
    };
    Ok(Money {
        units: (parse(after)? - parse(before)?).to_string(),
        value: after.value - before.value,
    })
}

fn units(m: &Money) -> Result<i128> {
    m.units.parse::<i128>().map_err(|e| {
        Error::invalid(
            "freeCollateral",
            format!("units {}: {e}", crate::error::Quoted(&m.units)),
        )
    })
}

/// The account after `order` fills (see the module documentation), and what the fill did.
pub fn apply_order(
    market: &Market,
    account: &Account,
    order: &Order,
    params: &RiskParams,
) -> Result<(Account, Fill)> {
    let instrument = order.instrument.resolve("order.instrument")?;
    let id = instrument.id();
    let size = match order.side {
        None if order.size.is_finite() && order.size != 0.0 => order.size,
        Some(side) if order.size.is_finite() && order.size > 0.0 => side.sign() * order.size,
        _ => {
            return Err(Error::invalid(
                "order.size",
                format!(
                    "must be a finite non-zero number (> 0 with side), got {}",
                    crate::numfmt::Shortest(order.size)
                ),
            ))
        }
    };
    let amount = size * instrument.contract_size;
    if let Some(m) = order.isolated_margin {
        if account.mode != MarginMode::Isolated {
            return Err(Error::invalid(
                "order.isolatedMargin",
                "only applies in isolated mode",
            ));
        }
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::invalid(
                "order.isolatedMargin",
                format!("must be ≥ 0, got {}", crate::numfmt::Shortest(m)),
            ));
        }
    }
    let probe = Position {
        instrument: instrument.clone(),
        id: id.clone(),
        amount: 1.0,
        entry_price: None,
        isolated_margin: None,
    };
    market
        .underlying(&instrument.underlying)
        .map_err(|e| e.within("market"))?;
    let is_option = matches!(instrument.contract, ContractKind::Option { .. });
    let price = match order.price {
        Some(p) if p.is_finite() && p > 0.0 => p,
        Some(p) => {
            return Err(Error::invalid(
                "order.price",
                format!("must be > 0, got {}", crate::numfmt::Shortest(p)),
            ))
        }
        None if is_option => {
            value_position(&probe, market, &Shock::NONE)
                .map_err(|e| e.within("order"))?
                .usd
        }
        None => reference_mark(&probe, market).map_err(|e| e.within("order"))?,
    };
    let asset_price = market
        .collateral(&params.margin_asset)
        .map_err(|e| e.within("market"))?
        .price;
    let inverse = instrument.settlement == Settlement::Inverse;
    let mut after = account.clone();
    let mut realized_usd = 0.0;
    let mut realized_coin = 0.0;
    let existing = after.positions.iter().position(|p| p.id == id);
    let position_after = match existing.and_then(|i| after.positions.get_mut(i)) {
        Some(p) => {
            let a = p.amount;
            let total = a + amount;
            if (a > 0.0) == (amount > 0.0) {
                p.entry_price = match p.entry_price {
                    Some(e) if inverse && !is_option => Some(total / (a / e + amount / price)),
                    Some(e) => Some((a * e + amount * price) / total),
                    None => None,
                };
            } else {
                let closed = if amount.abs() < a.abs() { -amount } else { a };
                if !is_option {
                    let entry = p.entry_price.unwrap_or(price);
                    if inverse {
                        realized_coin = closed * (1.0 / entry - 1.0 / price);
                    } else {
                        realized_usd = closed * (price - entry);
                    }
                }
                if amount.abs() > a.abs() {
                    p.entry_price = Some(price);
                }
            }
            p.amount = total;
            if let Some(m) = order.isolated_margin {
                p.isolated_margin = Some(p.isolated_margin.unwrap_or(0.0) + m);
            }
            total
        }
        None => {
            after.positions.push(Position {
                instrument: instrument.clone(),
                id: id.clone(),
                amount,
                entry_price: Some(price),
                isolated_margin: order.isolated_margin,
            });
            amount
        }
    };
    // A position brought exactly to zero is closed (its isolated margin returns to collateral).
    let mut released = 0.0;
    after.positions.retain(|p| {
        let keep = p.amount != 0.0;
        if !keep {
            released += p.isolated_margin.unwrap_or(0.0);
        }
        keep
    });
    let premium_usd = if is_option { amount * price } else { 0.0 };
    let cash = &mut after.collateral;
    let margin_balance = cash.slot(params.margin_asset.clone(), || 0.0);
    *margin_balance += (realized_usd - premium_usd) / asset_price
        - order.isolated_margin.unwrap_or(0.0)
        + released;
    if realized_coin != 0.0 {
        *cash.slot(instrument.underlying.clone(), || 0.0) += realized_coin;
    }
    let realized_pnl = if inverse {
        realized_coin * market.underlying(&instrument.underlying)?.spot()
    } else {
        realized_usd
    };
    if !(after.collateral.values().all(|v| v.is_finite()) && price.is_finite()) {
        return Err(Error::invalid("order", "the fill is not finite"));
    }
    Ok((
        after,
        Fill {
            instrument: id,
            amount,
            price,
            premium: premium_usd / asset_price,
            realized_pnl,
            position_after,
        },
    ))
}

fn summary(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    options: &LiquidationOptions,
    report: MarginReport,
    cache: &ScenarioCache,
) -> Result<AccountSummary> {
    let liquidation = match options.what_if_prices {
        PriceDetail::None => VecMap::new(),
        PriceDetail::Estimate => {
            linear_estimates_cached(market, account, params, options, &report, Some(cache))?
                .into_iter()
                .map(|(name, e)| (name, price_summary(e.liquidation_prices, e.nearest, false)))
                .collect()
        }
        PriceDetail::Exact => {
            liquidation_prices_cached(market, account, params, options, Some(cache))?
                .underlyings
                .into_iter()
                .map(|(name, u)| (name, price_summary(u.liquidation_prices, u.nearest, true)))
                .collect()
        }
    };
    Ok(AccountSummary {
        equity: report.equity,
        initial_margin: report.initial_margin,
        maintenance_margin: report.maintenance_margin,
        free_collateral: report.free_collateral,
        health: report.health,
        liquidation,
    })
}

/// What-if from the interchange forms (validates everything).
pub fn what_if(
    market: &MarketSpec,
    account: &AccountSpec,
    order: &Order,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<WhatIfResult> {
    params.validate().map_err(|e| e.within("params"))?;
    let hash = params_hash(params)?;
    options.validate().map_err(|e| e.within("options"))?;
    let market = Market::new(market.clone()).map_err(|e| e.within("market"))?;
    let account = Account::new(account).map_err(|e| e.within("account"))?;
    what_if_hashed(
        &market,
        &account,
        order,
        params,
        &hash,
        options,
        None,
        &ScenarioCache::new(),
    )
}

/// [`what_if`] for a validated market and account.
pub fn what_if_validated(
    market: &Market,
    account: &Account,
    order: &Order,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<WhatIfResult> {
    what_if_hashed(
        market,
        account,
        order,
        params,
        &params_hash(params)?,
        options,
        None,
        &ScenarioCache::new(),
    )
}

/// The account before the order, as far as it is computed when the call starts.
// One local per call, moved once: boxing the report would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Before {
    /// Its summary, from an earlier call on the same inputs.
    Known(AccountSummary),
    /// Its margin report; the summary (liquidation prices) comes after the account after.
    Report(MarginReport),
}

/// [`what_if_validated`] with the parameters' hash (one for both reports: serialising the
/// parameters costs as much as a small report). `options` must have passed `validate()`.
///
/// `known_before`: the account's summary before the order when an earlier call on the same
/// market, account, parameters and options computed it (its `before`; the JS binding keeps the
/// last one, `src/wasm/what_if_cache.rs`: an order form calls again for every keystroke). That
/// summary depends on nothing else, and the call that computed it succeeded, so each step skipped
/// then would succeed again with the same value: the result equals a call without it, errors
/// included. Without it, the steps run in the order below.
///
/// `cache`: where the risk matrix's node values are kept (the account after the order holds the
/// nodes of the account before, and the estimates revalue both at the same moves, so they are
/// computed once; the JS binding passes the one it keeps for the last market).
#[allow(clippy::too_many_arguments)] // crate-internal; each is one input of the result
pub(crate) fn what_if_hashed(
    market: &Market,
    account: &Account,
    order: &Order,
    params: &RiskParams,
    hash: &str,
    options: &LiquidationOptions,
    known_before: Option<AccountSummary>,
    cache: &ScenarioCache,
) -> Result<WhatIfResult> {
    // Only the summary figures of the two reports are used: no position ids, no warnings.
    let before = match known_before {
        Some(summary) => Before::Known(summary),
        None => Before::Report(margin_summary(market, account, params, false, Some(cache))?),
    };
    let (post, fill) = apply_order(market, account, order, params)?;
    let after_report = margin_summary(market, &post, params, false, Some(cache))?;
    let params_hash = hash.to_string();
    let margin_asset = after_report.margin_asset.clone();
    let before = match before {
        Before::Known(summary) => summary,
        Before::Report(report) => summary(market, account, params, options, report, cache)?,
    };
    let after = summary(market, &post, params, options, after_report, cache)?;
    let impact = MarginImpact {
        equity: money_diff(&after.equity, &before.equity, "equity")?,
        initial_margin: money_diff(
            &after.initial_margin,
            &before.initial_margin,
            "initialMargin",
        )?,
        maintenance_margin: money_diff(
            &after.maintenance_margin,
            &before.maintenance_margin,
            "maintenanceMargin",
        )?,
        free_collateral: money_diff(
            &after.free_collateral,
            &before.free_collateral,
            "freeCollateral",
        )?,
    };
    Ok(WhatIfResult {
        fill,
        under_collateralised: units(&after.free_collateral)? < 0,
        liquidatable: after.health.is_some_and(|h| h < 1.0),
        before,
        after,
        impact,
        margin_asset,
        params_hash,
    })
}

/// Max size from the interchange forms (validates everything).
pub fn max_size(
    market: &MarketSpec,
    account: &AccountSpec,
    instrument: &InstrumentSpec,
    side: Side,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<MaxSize> {
    params.validate().map_err(|e| e.within("params"))?;
    options.validate().map_err(|e| e.within("options"))?;
    let market = Market::new(market.clone()).map_err(|e| e.within("market"))?;
    let account = Account::new(account).map_err(|e| e.within("account"))?;
    max_size_validated(&market, &account, instrument, side, params, options)
}

/// k increments as a size. For a decimal increment (1/increment an integer, e.g. 0.0001) the
/// size is k / (1/increment), the correctly rounded decimal (371.525, not the
/// 371.52500000000003 that k · 0.0001 gives); otherwise k · increment.
fn size_on_grid(increment: f64) -> impl Fn(u64) -> f64 {
    let per_unit = (1.0 / increment).round();
    let decimal = per_unit >= 1.0 && 1.0 / per_unit == increment;
    #[allow(clippy::cast_precision_loss)] // k ≤ 2^52: exact
    move |k: u64| {
        if decimal {
            k as f64 / per_unit
        } else {
            k as f64 * increment
        }
    }
}

/// Largest k with free collateral ≥ 0 is searched up to this many increments (k·increment
/// exact), and up to [`crate::units::MAX_AMOUNT`] contracts.
const MAX_STEPS: u64 = 1 << 52;

/// The search limit in increments: min(2⁵², ⌊10¹⁵ / increment⌋), at least 1.
fn step_limit(increment: f64) -> u64 {
    let by_size = (crate::units::MAX_AMOUNT / increment).floor();
    #[allow(clippy::cast_precision_loss)] // 2^52 is exact
    if by_size >= MAX_STEPS as f64 {
        MAX_STEPS
    } else if by_size >= 1.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in [1, 2^52)
        let steps = by_size as u64;
        steps
    } else {
        1
    }
}

/// [`max_size`] for a validated market and account.
pub fn max_size_validated(
    market: &Market,
    account: &Account,
    instrument: &InstrumentSpec,
    side: Side,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<MaxSize> {
    max_size_cached(
        market,
        account,
        instrument,
        side,
        params,
        options,
        &ScenarioCache::new(),
    )
}

/// [`max_size_validated`] keeping the risk matrix's node values in `cache` (the trials share
/// every node but the order's; the JS binding passes the one it keeps for the last market).
pub(crate) fn max_size_cached(
    market: &Market,
    account: &Account,
    instrument: &InstrumentSpec,
    side: Side,
    params: &RiskParams,
    options: &LiquidationOptions,
    cache: &ScenarioCache,
) -> Result<MaxSize> {
    let increment = options.size_increment;
    let size_of = size_on_grid(increment);
    let id = instrument.resolve("instrument")?.id();
    #[allow(clippy::cast_precision_loss)] // k ≤ 2^52: exact
    // Each trial reads only the free collateral: the summary report (the same numbers as
    // `margin_validated`'s, without the parameters' hash, ids and warnings). The trials share
    // every node but the order's: their risk-matrix values are computed once.
    let free_at = |k: u64| -> Result<Money> {
        if k == 0 {
            return Ok(margin_summary(market, account, params, false, Some(cache))?.free_collateral);
        }
        let order = Order {
            instrument: instrument.clone(),
            size: size_of(k),
            side: Some(side),
            price: None,
            isolated_margin: None,
        };
        let (post, _) = apply_order(market, account, &order, params)?;
        Ok(margin_summary(market, &post, params, false, Some(cache))?.free_collateral)
    };
    let limit = step_limit(increment);
    let (mut lo, mut hi) = (0_u64, 1_u64);
    let mut lo_free = free_at(0)?;
    let mut hi_free = free_at(1)?;
    while units(&hi_free)? >= 0 {
        if hi >= limit {
            // Free collateral never fell below 0 within the search limit: unbounded.
            return Ok(MaxSize {
                instrument: id,
                side,
                size: size_of(hi),
                size_increment: increment,
                bounded: false,
                free_collateral: hi_free,
                free_collateral_next: None,
            });
        }
        lo = hi;
        lo_free = hi_free;
        hi = hi.saturating_mul(2).min(limit);
        hi_free = free_at(hi)?;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let mid_free = free_at(mid)?;
        if units(&mid_free)? >= 0 {
            lo = mid;
            lo_free = mid_free;
        } else {
            hi = mid;
            hi_free = mid_free;
        }
    }
    #[allow(clippy::cast_precision_loss)] // ≤ 2^52
    let size = size_of(lo);
    Ok(MaxSize {
        instrument: id,
        side,
        size,
        size_increment: increment,
        bounded: true,
        free_collateral: lo_free,
        free_collateral_next: Some(hi_free),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use crate::margin::profiles;
    use crate::portfolio::AccountSpec;

    const MARKET: &str = include_str!("../../tests/fixtures/market.json");
    const ACCOUNTS: [&str; 2] = [
        include_str!("../../tests/fixtures/account.json"),
        include_str!("../../tests/fixtures/account-portfolio.json"),
    ];

    #[test]
    fn a_known_before_gives_the_result_computed_afresh() {
        // The JS binding passes the `before` of an earlier call on the same market, account,
        // parameters and options; the result must equal the call that computes everything, for
        // every order (refusals included), profile and price detail.
        let market = Market::new(crate::json::from_str(MARKET).unwrap()).unwrap();
        let orders = [
            r#"{"instrument": "BTC_USDC-PERPETUAL", "size": 0.5, "side": "buy"}"#,
            r#"{"instrument": "BTC_USDC-PERPETUAL", "size": -2}"#,
            r#"{"instrument": "ETH_USDC-PERPETUAL", "size": 30}"#,
            r#"{"instrument": "BTC_USDC-26MAR27-120000-C", "size": 3, "side": "sell"}"#,
            r#"{"instrument": "DOGE-PERP", "size": 1}"#,
        ]
        .map(|o| crate::json::from_str::<Order>(o).unwrap());
        let mut compared = 0;
        let shared = ScenarioCache::new();
        for text in ACCOUNTS {
            let account =
                Account::new(&crate::json::from_str::<AccountSpec>(text).unwrap()).unwrap();
            for profile in ["drr", "deribit-standard", "deribit-portfolio"] {
                let params = profiles::profile(profile).unwrap();
                let hash = params_hash(&params).unwrap();
                for detail in [PriceDetail::None, PriceDetail::Estimate] {
                    let options = LiquidationOptions {
                        what_if_prices: detail,
                        ..LiquidationOptions::default()
                    };
                    let first = what_if_hashed(
                        &market,
                        &account,
                        &orders[0],
                        &params,
                        &hash,
                        &options,
                        None,
                        &ScenarioCache::new(),
                    )
                    .unwrap();
                    for order in &orders {
                        let fresh = what_if_hashed(
                            &market,
                            &account,
                            order,
                            &params,
                            &hash,
                            &options,
                            None,
                            &ScenarioCache::new(),
                        );
                        let given = what_if_hashed(
                            &market,
                            &account,
                            order,
                            &params,
                            &hash,
                            &options,
                            Some(first.before.clone()),
                            // Carried across accounts, profiles and orders, as the binding
                            // carries its own: the results are the same.
                            &shared,
                        );
                        match (fresh, given) {
                            (Ok(a), Ok(b)) => assert_eq!(a, b, "{profile} {detail:?} {order:?}"),
                            (Err(a), Err(b)) => {
                                assert_eq!((a.code(), a.field()), (b.code(), b.field()));
                                assert_eq!(a.to_string(), b.to_string());
                            }
                            (a, b) => panic!("{profile} {order:?}: {a:?} vs {b:?}"),
                        }
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 2 * 3 * 2 * orders.len());
    }

    #[test]
    fn decimal_increments_give_correctly_rounded_sizes() {
        // 3,715,250 × 0.0001 is 371.52500000000003 in floating point; the size must read 371.525.
        assert_eq!(size_on_grid(0.0001)(3_715_250), 371.525);
        assert_eq!(size_on_grid(0.01)(7), 0.07);
        assert_eq!(size_on_grid(1.0)(42), 42.0);
        // Not a decimal step: plain multiples.
        assert_eq!(size_on_grid(0.3)(3), 3.0 * 0.3);
    }
}
