//! Closed-form liquidation prices of a single linear perpetual with a constant maintenance rate,
//! as venues publish them. They are the cross-check of the numeric solver ([`super::prices`]),
//! which must find the same prices when the model reduces to the same rule.
//!
//! - Hyperliquid ("Computing liquidation price", <https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations>,
//!   notes in docs/venues/hyperliquid.md §7):
//!   `liq = price − side·margin_available / position_size / (1 − l·side)`, l = 1/maintenance
//!   leverage (the maintenance rate), side ±1, `position_size` the absolute size,
//!   margin_available = isolated margin (or account value, cross) − maintenance margin at `price`.
//! - dYdX v4 (<https://github.com/dydxprotocol/v4-documentation>,
//!   `docs/pages/concepts/trading/liquidations.mdx`; docs/venues/dydx-v4.md §6):
//!   isolated `p′ = (e − s·p)/(|s|·MMF − s)`, cross `p′ = (e − s·p − MMR_o)/(|s|·MMF − s)`, e the
//!   equity at price p, s the signed size, MMR_o the other positions' maintenance requirement
//!   (held constant).
//! - Derived directly (the same equation): margin M + s·(S − entry) = |s|·S·r gives
//!   S = (s·entry − M)/(s − |s|·r); bankruptcy (no maintenance) S = entry − M/s.
//!
//! Each returns `None` when the equation has no positive solution. Pure arithmetic: no market,
//! no account, no rounding.

/// Hyperliquid's published formula. `side` = +1 long, −1 short; `size` > 0 (absolute);
/// `margin_available` = margin − maintenance margin at `price`; `maintenance_rate` = l.
pub fn hyperliquid(
    price: f64,
    side: f64,
    size: f64,
    margin_available: f64,
    maintenance_rate: f64,
) -> Option<f64> {
    let liq = price - side * margin_available / size / (1.0 - maintenance_rate * side);
    (liq.is_finite() && liq > 0.0).then_some(liq)
}

/// dYdX v4's published formula: `equity` at `price`, signed `size`, maintenance fraction `mmf`,
/// `other_maintenance` = MMR of the other positions (0 for isolated).
pub fn dydx_v4(
    equity: f64,
    size: f64,
    price: f64,
    mmf: f64,
    other_maintenance: f64,
) -> Option<f64> {
    let liq = (equity - size * price - other_maintenance) / (size.abs() * mmf - size);
    (liq.is_finite() && liq > 0.0).then_some(liq)
}

/// The isolated linear position solved directly: margin `margin`, signed `size`, `entry`,
/// maintenance rate `rate` on the notional |size|·S.
pub fn isolated_linear(entry: f64, size: f64, margin: f64, rate: f64) -> Option<f64> {
    let liq = (size * entry - margin) / (size - size.abs() * rate);
    (liq.is_finite() && liq > 0.0).then_some(liq)
}

/// Bankruptcy price of the same position: margin + size·(S − entry) = 0.
pub fn isolated_linear_bankruptcy(entry: f64, size: f64, margin: f64) -> Option<f64> {
    let price = entry - margin / size;
    (price.is_finite() && price > 0.0).then_some(price)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| ((a - b) / b).abs() <= tol)
    }

    #[test]
    fn published_examples() {
        // docs/venues/dydx-v4.md §8 F (liquidations.mdx): isolated short e = 1000, s = −3,
        // p = 3000, MMF 5 % → 10000/3.15; cross s = −1.5, MMR_o = 175 → 5325/1.575.
        assert!(close(
            dydx_v4(1000.0, -3.0, 3000.0, 0.05, 0.0),
            10_000.0 / 3.15,
            1e-15
        ));
        assert!(close(
            dydx_v4(1000.0, -1.5, 3000.0, 0.05, 175.0),
            5325.0 / 1.575,
            1e-15
        ));
        // docs/venues/hyperliquid.md §8, XYZ-AAPL: 10x max (l = 0.05), long 0.5 at 250,
        // collateral 25: mm 6.25, margin available 18.75 → 4000/19.
        assert!(close(
            hyperliquid(250.0, 1.0, 0.5, 25.0 - 6.25, 0.05),
            4000.0 / 19.0,
            1e-15
        ));
        // XYZ-GOOGL: short 0.5 at 190, collateral 9.5, l = 0.05 → 4180/21.
        assert!(close(
            hyperliquid(190.0, -1.0, 0.5, 9.5 - 0.5 * 190.0 * 0.05, 0.05),
            4180.0 / 21.0,
            1e-15
        ));
        // The direct solution agrees with both.
        assert!(close(
            isolated_linear(250.0, 0.5, 25.0, 0.05),
            4000.0 / 19.0,
            1e-15
        ));
        assert!(close(
            isolated_linear(3000.0, -3.0, 1000.0, 0.05),
            10_000.0 / 3.15,
            1e-15
        ));
        assert!(close(
            isolated_linear_bankruptcy(250.0, 0.5, 25.0),
            200.0,
            1e-15
        ));
        // Fully collateralised long: no positive liquidation price.
        assert!(isolated_linear(100.0, 1.0, 200.0, 0.05).is_none());
    }
}
