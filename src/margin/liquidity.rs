//! The liquidity-weighted charge: positions large relative to the order book pay the slippage of
//! closing them.
//!
//! For each underlying, the net USD delta D (from the positions' Greeks) must be unwound through
//! the book side it hits (a long sells into bids, a short buys from asks). Depth A = USD value of
//! that side's levels within `band` of the index. Slippage fraction = min(impact·√(|D|/A),
//! maxSlippage) (square-root impact: thin books and large positions pay more); charge =
//! |D| · fraction. Without depth data the charge is 0 and a warning says so.

use super::drr::NetGreeks;
use super::params::LiquidityParams;
use crate::error::Result;
use crate::market::Market;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// The liquidity charge of one underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LiquidityCharge {
    /// Underlying symbol.
    pub underlying: String,
    /// |net delta| in USD that would be unwound.
    pub exposure: f64,
    /// USD depth within the band on the side the unwind hits (0 = no depth data).
    pub depth: f64,
    /// Slippage fraction charged.
    pub slippage: f64,
    /// Maintenance charge (USD).
    pub maintenance: f64,
    /// Initial charge (USD).
    pub initial: f64,
}

/// Charges per underlying (sorted), and warnings for underlyings without depth.
pub fn liquidity_charges(
    market: &Market,
    greeks: &VecMap<String, NetGreeks>,
    params: &LiquidityParams,
) -> Result<(Vec<LiquidityCharge>, Vec<String>)> {
    let mut charges = Vec::new();
    let mut warnings = Vec::new();
    for (name, g) in greeks {
        match underlying_charge(market.underlying(name)?, g, params) {
            Liquidity::Flat => {}
            Liquidity::NoDepth => warnings.push(no_depth_warning(name)),
            Liquidity::Charge(mut charge) => {
                charge.underlying = name.clone();
                charges.push(charge);
            }
        }
    }
    Ok((charges, warnings))
}

/// What the liquidity charge makes of one underlying's net Greeks.
pub(crate) enum Liquidity {
    /// No net delta: nothing to unwind, no charge.
    Flat,
    /// A net delta but no order-book depth to price its unwind: no charge, a warning.
    NoDepth,
    /// The charge, its `underlying` left empty (a caller that shows it names it).
    Charge(LiquidityCharge),
}

/// The liquidity charge for net Greeks `g` on an underlying (`u`, the market's data of it).
pub(crate) fn underlying_charge(
    u: &crate::market::Underlying,
    g: &NetGreeks,
    params: &LiquidityParams,
) -> Liquidity {
    let spot = u.spot();
    let exposure = (g.delta * spot).abs();
    if exposure == 0.0 {
        return Liquidity::Flat;
    }
    let Some(book) = &u.spec().depth else {
        return Liquidity::NoDepth;
    };
    let levels = if g.delta > 0.0 {
        &book.bids
    } else {
        &book.asks
    };
    let depth: f64 = levels
        .iter()
        .filter(|[price, _]| (price / spot - 1.0).abs() <= params.band)
        .map(|[price, size]| price * size)
        .sum();
    let slippage = if depth > 0.0 {
        crate::math::min(
            params.impact * (exposure / depth).sqrt(),
            params.max_slippage,
        )
    } else {
        params.max_slippage
    };
    let maintenance = exposure * slippage;
    Liquidity::Charge(LiquidityCharge {
        underlying: String::new(),
        exposure,
        depth,
        slippage,
        maintenance,
        initial: maintenance * params.initial_multiplier,
    })
}

/// The warning for underlying `name`, which has a net delta but no order-book depth.
pub(crate) fn no_depth_warning(name: &str) -> String {
    format!("no order-book depth for {name}: liquidity charge not applied")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(depth: &str) -> Market {
        let now = 1_790_000_000_000_i64;
        Market::new(
            crate::json::from_str(&format!(
                r#"{{"now": {now}, "underlyings": {{"BTC": {{"index": {{"price": 100000, "publishTime": {now}}}{depth}}}}}}}"#
            ))
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn square_root_impact_against_the_side_the_unwind_hits() {
        // Bids: 2 BTC at 99,900 and 3 BTC at 99,000 (within 2 %), 100 BTC at 90,000 (outside).
        let m = market(
            r#", "depth": {"bids": [[99900, 2], [99000, 3], [90000, 100]], "asks": [[100100, 1]]}"#,
        );
        let params = LiquidityParams::default();
        let long = VecMap::from([(
            "BTC".to_string(),
            NetGreeks {
                delta: 4.0,
                ..NetGreeks::default()
            },
        )]);
        let (charges, warnings) = liquidity_charges(&m, &long, &params).unwrap();
        let depth: f64 = 2.0 * 99_900.0 + 3.0 * 99_000.0;
        let slip = 0.1 * (400_000.0 / depth).sqrt();
        assert!(warnings.is_empty());
        assert!((charges[0].depth - depth).abs() < 1e-6);
        assert!((charges[0].maintenance - 400_000.0 * slip).abs() < 1e-6);
        // A short hits the thin ask side and pays more per unit.
        let short = VecMap::from([(
            "BTC".to_string(),
            NetGreeks {
                delta: -4.0,
                ..NetGreeks::default()
            },
        )]);
        let (charges_short, _) = liquidity_charges(&m, &short, &params).unwrap();
        assert!(charges_short[0].slippage > charges[0].slippage);
        // Doubling the position more than doubles the charge (√ impact).
        let double = VecMap::from([(
            "BTC".to_string(),
            NetGreeks {
                delta: 8.0,
                ..NetGreeks::default()
            },
        )]);
        let (charges_double, _) = liquidity_charges(&m, &double, &params).unwrap();
        assert!(charges_double[0].maintenance > 2.0 * charges[0].maintenance);
    }

    #[test]
    fn no_depth_is_a_warning_not_a_silent_zero() {
        let greeks = VecMap::from([(
            "BTC".to_string(),
            NetGreeks {
                delta: 1.0,
                ..NetGreeks::default()
            },
        )]);
        let (charges, warnings) =
            liquidity_charges(&market(""), &greeks, &LiquidityParams::default()).unwrap();
        assert!(charges.is_empty());
        assert_eq!(warnings.len(), 1);
    }
}
