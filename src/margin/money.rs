//! Exact money at the engine's boundary: USD amounts (f64, for display) converted to integer base
//! units of the margin asset, requirements rounded **up** and equity rounded **down**.
//!
//! `Money` carries the integer (as a decimal string in JSON, a `bigint` candidate in JS) beside
//! the float. The float is nudged one ulp outward before rounding, so a requirement is never
//! rounded below the computed value and equity never above it, whatever the float rounding of
//! `usd / price · 10^decimals` did.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which way a conversion must round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Requirements: towards +∞.
    Up,
    /// Equity and collateral value: towards −∞.
    Down,
}

/// An amount of the margin asset: exact base units and the float it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// Integer base units of the margin asset (e.g. micro-USDC), as a decimal string.
    pub units: String,
    /// The same amount in whole units of the margin asset, as a float (for display).
    pub value: f64,
}

/// A report's requirements and equity as integer base units (what its [`Money`] amounts' texts
/// say), for callers that compare amounts (the engine's updates): carried by the engine's
/// reports, whose amounts have no texts, so that they are not converted a second time.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BaseUnits {
    /// Initial margin, rounded up.
    pub initial_margin: i128,
    /// Maintenance margin, rounded up.
    pub maintenance_margin: i128,
    /// Equity, rounded down.
    pub equity: i128,
}

fn next_toward(x: f64, up: bool) -> f64 {
    // One ulp outward (x finite and non-zero). Equivalent to f64::next_up/next_down (Rust ≥ 1.86).
    let bits = x.to_bits();
    let away_from_zero = (x > 0.0) == up;
    f64::from_bits(if away_from_zero { bits + 1 } else { bits - 1 })
}

/// Converts `amount` (whole units of an asset with `decimals`) to base units, rounding as told.
pub fn to_base_units(amount: f64, decimals: u8, rounding: Rounding, field: &str) -> Result<Money> {
    Ok(Money {
        units: integer_text(base_units(amount, decimals, rounding, field)?),
        value: amount,
    })
}

/// [`to_base_units`]'s integer, for callers that compare amounts rather than show them (the
/// engine's updates): the same number and errors, without the decimal text.
pub(crate) fn base_units(
    amount: f64,
    decimals: u8,
    rounding: Rounding,
    field: &str,
) -> Result<i128> {
    if !amount.is_finite() {
        return Err(Error::invalid(
            field,
            format!("amount is not finite: {}", crate::numfmt::Shortest(amount)),
        ));
    }
    if amount == 0.0 {
        return Ok(0);
    }
    let scale = crate::math::pow10(decimals);
    let scaled = next_toward(amount * scale, rounding == Rounding::Up);
    let integral = match rounding {
        Rounding::Up => scaled.ceil(),
        Rounding::Down => scaled.floor(),
    };
    // |integral| < 2^127 for any finite f64 below ~1.7e38; larger amounts are not money.
    if integral.abs() >= 1.0e36 {
        return Err(Error::invalid(
            field,
            format!("amount {} is out of range", crate::numfmt::Shortest(amount)),
        ));
    }
    Ok(integral_to_i128(integral))
}

/// `integral` (an integer, |integral| < 1e36) as `i128`, through `i64` where it fits (money
/// always does in practice): converting to `i128` is a library call several times slower.
#[allow(clippy::cast_possible_truncation)] // an integer, in range (checked by the caller)
fn integral_to_i128(integral: f64) -> i128 {
    // 2^63: every integer below it in magnitude is an `i64`.
    if integral.abs() < 9_223_372_036_854_775_808.0 {
        i128::from(integral as i64)
    } else {
        wide_integral_to_i128(integral)
    }
}

/// `integral as i128` out of line: inline, the compiler would convert every amount that way
/// first (the conversion has no side effects) and only then pick the `i64` one where it fits.
#[cold]
#[inline(never)]
#[allow(clippy::cast_possible_truncation)] // an integer, in range (checked by the caller)
fn wide_integral_to_i128(integral: f64) -> i128 {
    integral as i128
}

/// `units` in decimal, as `i128`'s `to_string` writes it, through `i64` where it fits (money
/// always does in practice): formatting an `i128` divides in 128 bits, several times slower.
fn integer_text(units: i128) -> String {
    match i64::try_from(units) {
        Ok(small) => small.to_string(),
        Err(_) => units.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_text_is_i128s_decimal() {
        let edges = [0, 1, -1, 9, -10, i128::from(i64::MAX), i128::from(i64::MIN)];
        let beyond = [
            i128::from(i64::MAX) + 1,
            i128::from(i64::MIN) - 1,
            i128::MAX,
            i128::MIN,
        ];
        for units in edges.into_iter().chain(beyond) {
            assert_eq!(integer_text(units), units.to_string());
        }
    }

    #[test]
    fn requirements_round_up_and_equity_rounds_down() {
        let up = to_base_units(1.000_000_1, 6, Rounding::Up, "x").unwrap();
        let down = to_base_units(1.000_000_1, 6, Rounding::Down, "x").unwrap();
        assert_eq!(
            (up.units.as_str(), down.units.as_str()),
            ("1000001", "1000000")
        );
        // An exact amount: 0.1 USDC is 100000 units; the outward nudge may add one unit up, never down.
        let exact_up: i128 = to_base_units(0.1, 6, Rounding::Up, "x")
            .unwrap()
            .units
            .parse()
            .unwrap();
        let exact_down: i128 = to_base_units(0.1, 6, Rounding::Down, "x")
            .unwrap()
            .units
            .parse()
            .unwrap();
        assert!(
            (100_000..=100_001).contains(&exact_up) && (99_999..=100_000).contains(&exact_down)
        );
        assert_eq!(
            to_base_units(-2.5, 8, Rounding::Down, "x").unwrap().units,
            "-250000001"
        );
        assert_eq!(
            to_base_units(-2.5, 8, Rounding::Up, "x").unwrap().units,
            "-249999999"
        );
        assert_eq!(to_base_units(0.0, 6, Rounding::Up, "x").unwrap().units, "0");
        assert_eq!(
            to_base_units(1e30, 18, Rounding::Up, "x")
                .unwrap_err()
                .code(),
            "E_INVALID_INPUT"
        );
        assert_eq!(
            to_base_units(f64::NAN, 6, Rounding::Up, "req")
                .unwrap_err()
                .field(),
            "req"
        );
    }
}
