//! Collateral valuation with haircuts: static, volatility-scaled over the liquidation horizon,
//! size-discounted (large balances are worth less per unit), stablecoin depeg (while a `depeg`
//! flag names the asset), and tokenized T-bills/RWA (duration × rate shock + credit haircut).
//!
//! Haircut h = min(1, static + vol-scaled + depeg + duration·rateShock + credit); a positive
//! balance counts at amount·price·(1 − h)·size weight, a negative balance (a borrow) at
//! amount·price·(1 + h). Equity never gains from a haircut.

use super::params::{CollateralParams, RiskParams};
use crate::error::Result;
use crate::market::Market;
use crate::units::YearFrac;
use serde::{Deserialize, Serialize};

/// The valuation of one collateral balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CollateralValue {
    /// Asset symbol.
    pub asset: String,
    /// Balance in whole units.
    pub amount: f64,
    /// Market value in USD before haircuts.
    pub market_value: f64,
    /// Total haircut fraction applied.
    pub haircut: f64,
    /// Value counted towards equity (USD).
    pub value: f64,
}

/// The haircut fraction of one asset (see the module documentation).
pub fn haircut(params: &CollateralParams, depegged: bool, horizon_years: f64) -> f64 {
    let vol_scaled = params.vol_k * params.vol * horizon_years.sqrt();
    let depeg = if depegged { params.depeg_haircut } else { 0.0 };
    let rwa = params.duration * params.rate_shock + params.credit_haircut;
    crate::math::min(1.0, params.haircut + vol_scaled + depeg + rwa)
}

/// Values every balance of `collateral` (sorted by asset).
pub fn value_collateral(
    collateral: &crate::vec_map::VecMap<String, f64>,
    market: &Market,
    params: &RiskParams,
) -> Result<Vec<CollateralValue>> {
    let horizon = horizon_years(params);
    let mut out = Vec::with_capacity(collateral.len());
    for (asset, &amount) in collateral {
        let mut value = value_balance(asset, amount, market, params, horizon)?;
        value.asset = asset.clone();
        out.push(value);
    }
    Ok(out)
}

/// The liquidation horizon (years) over which volatility-scaled haircuts apply.
pub(crate) fn horizon_years(params: &RiskParams) -> f64 {
    (params.drr.horizon_ms + params.drr.oracle_latency_ms) / YearFrac::MS_PER_YEAR
}

/// Values a balance of `amount` of `asset` (`horizon`: [`horizon_years`]), its `asset` left
/// empty: a caller that shows it names it (a figures-only report does not, and allocates no
/// name).
pub(crate) fn value_balance(
    asset: &str,
    amount: f64,
    market: &Market,
    params: &RiskParams,
    horizon: f64,
) -> Result<CollateralValue> {
    let quote = market.collateral(asset)?;
    let rules = params
        .collateral
        .get(asset)
        .unwrap_or(&params.default_collateral);
    let depegged = market
        .flags()
        .iter()
        .any(|f| f.kind == "depeg" && f.scope.as_deref() == Some(asset));
    let h = haircut(rules, depegged, horizon);
    let market_value = amount * quote.price;
    let value = if market_value >= 0.0 {
        let size_weight = if rules.size_factor > 0.0 {
            let scale = (market_value / 1e6).sqrt();
            crate::math::min(
                1.0,
                (1.0 + rules.size_factor) / (1.0 + rules.size_factor * scale),
            )
        } else {
            1.0
        };
        market_value * (1.0 - h) * size_weight
    } else {
        market_value * (1.0 + h)
    };
    Ok(CollateralValue {
        asset: String::new(),
        amount,
        market_value,
        haircut: h,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haircut_components_add_up() {
        let tbill = CollateralParams {
            haircut: 0.005,
            duration: 0.25,
            rate_shock: 0.02,
            credit_haircut: 0.01,
            ..CollateralParams::default()
        };
        // 0.005 + 0.25·0.02 + 0.01 = 0.02.
        assert!((haircut(&tbill, false, 0.0) - 0.02).abs() < 1e-15);
        let stable = CollateralParams {
            depeg_haircut: 0.1,
            ..CollateralParams::default()
        };
        assert_eq!(
            (haircut(&stable, false, 1.0), haircut(&stable, true, 1.0)),
            (0.0, 0.1)
        );
        // Volatility-scaled: 3 · 0.8 · √(1/365).
        let eth = CollateralParams {
            vol: 0.8,
            vol_k: 3.0,
            ..CollateralParams::default()
        };
        assert!((haircut(&eth, false, 1.0 / 365.0) - 2.4 / 365f64.sqrt()).abs() < 1e-15);
        let silly = CollateralParams {
            haircut: 0.9,
            credit_haircut: 0.5,
            ..CollateralParams::default()
        };
        assert_eq!(haircut(&silly, false, 0.0), 1.0);
    }

    #[test]
    fn balances_are_haircut_borrows_weighted_up_and_large_balances_discounted() {
        let now = 1_790_000_000_000_i64;
        let market = Market::new(
            crate::json::from_str(&format!(
                r#"{{"now": {now}, "underlyings": {{}}, "collateral": {{"USDC": {{"price": 1, "decimals": 6}},
                   "BTC": {{"price": 100000, "decimals": 8}}}}, "flags": [{{"kind": "depeg", "scope": "USDC"}}]}}"#
            ))
            .unwrap(),
        )
        .unwrap();
        let params = RiskParams::default();
        let balances =
            crate::vec_map::VecMap::from([("USDC".to_string(), 1000.0), ("BTC".to_string(), -0.1)]);
        let v = value_collateral(&balances, &market, &params).unwrap();
        // BTC first (sorted): a borrow of 0.1 BTC = −10,000 USD, weighted up by its haircut.
        assert_eq!(v[0].asset, "BTC");
        assert!(v[0].value < -10_000.0);
        // USDC under a depeg flag: 10 % off.
        assert!((v[1].value - 900.0).abs() < 1e-9);
        let whale = crate::vec_map::VecMap::from([("BTC".to_string(), 1000.0)]);
        let small = crate::vec_map::VecMap::from([("BTC".to_string(), 1.0)]);
        let per_unit =
            |b| value_collateral(&b, &market, &params).unwrap()[0].value / b.values().sum::<f64>();
        assert!(per_unit(whale) < per_unit(small), "size discount");
        let missing = crate::vec_map::VecMap::from([("SOL".to_string(), 1.0)]);
        assert_eq!(
            value_collateral(&missing, &market, &params)
                .unwrap_err()
                .code(),
            "E_MISSING_MARKET_DATA"
        );
    }
}
