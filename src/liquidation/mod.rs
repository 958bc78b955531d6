//! Liquidation and bankruptcy prices, the two-stage liquidation trigger and the pre-trade what-if,
//! all on top of the margin pipeline (`margin::margin_validated`): the root of equity −
//! maintenance margin in the index price of one underlying, with the rest of the market held
//! fixed.
//!
//! - [`shift`]: the market with one underlying's index moved (forwards, marks, collateral of the
//!   same coin with it; vols per the sticky rule) and the [`LiquidationOptions`].
//! - [`prices`]: every liquidation and bankruptcy price in (0, ∞) by a scan and Brent on the full
//!   model; distances in % and in σ·√horizon; isolated positions on their own margin.
//! - [`linear`]: the local quadratic of equity − maintenance margin: the linear estimate and the
//!   cheap linearised health check with its validity range and safety margin, and the two-stage
//!   trigger.
//! - [`closed_form`]: venue-published formulas for single linear positions (cross-checks).
//! - [`what_if`]: an order's fill, the account before and after, and the largest size that keeps
//!   free collateral ≥ 0.
//!
//! Imports only `margin`, `market`, `portfolio` and `math` (and the crate's error and units).
//! Never changes an account or market it is given and never reads the clock.
//!
//! ```
//! use drr_margin::liquidation::{liquidation_prices, LiquidationOptions};
//! use drr_margin::margin::RiskParams;
//!
//! let market = drr_margin::json::from_str(r#"{"now": 1790000000000, "underlyings": {"BTC":
//!     {"index": {"price": 100000, "publishTime": 1790000000000}}},
//!     "collateral": {"USDC": {"price": 1, "decimals": 6}}}"#)?;
//! let account = drr_margin::json::from_str(r#"{"mode": "cross", "collateral": {"USDC": 20000},
//!     "positions": [{"instrument": "BTC-PERP", "size": 1, "entryPrice": 100000}]}"#)?;
//! let report = liquidation_prices(&market, &account, &RiskParams::default(),
//!                                 &LiquidationOptions::default())?;
//! let btc = &report.underlyings["BTC"];
//! // A long perpetual with 20 % margin: one liquidation price, below spot, above bankruptcy.
//! assert_eq!(btc.liquidation_prices.len(), 1);
//! assert!(btc.bankruptcy_prices[0] < btc.liquidation_prices[0] && btc.liquidation_prices[0] < 100000.0);
//! # Ok::<(), drr_margin::Error>(())
//! ```

pub mod closed_form;
pub mod linear;
pub mod prices;
pub mod shift;
pub mod what_if;

pub use linear::{
    linear_health_validated, liquidation_check, liquidation_check_validated, LinearEstimate,
    LinearHealth, LiquidationCheck,
};
pub use prices::{
    liquidation_prices, liquidation_prices_validated, LiquidationReport, PositionLiquidation,
    UnderlyingLiquidation,
};
pub use shift::{LiquidationOptions, PriceDetail, Shifter};
pub use what_if::{
    apply_order, max_size, max_size_validated, what_if, what_if_validated, MaxSize, Order, Side,
    WhatIfResult,
};
