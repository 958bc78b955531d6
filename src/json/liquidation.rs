//! Decoding of the liquidation API's inputs ([`Order`], [`Side`], [`LiquidationOptions`]) from a
//! parsed JSON tree (`super::tree`), by hand through `super::fields` (the `.wasm` budget; README "Build
//! profile and size"). The CLI and the JS binding decode these shapes only here, so both report
//! the same field paths; the types' derived `Deserialize` stays for native generic callers
//! (`json::from_str::<Order>`) and is never compiled into the `.wasm`.
//!
//! Same contract as the derives: camelCase names, unknown fields refused by path, every
//! `LiquidationOptions` field optional (defaults from `LiquidationOptions::default()`), `Option`
//! fields also accept `null`. Owns decoding only.

use super::fields::{variant, Fields};
use crate::error::Result;
use crate::json::tree::Value;
use crate::json::Path;
use crate::liquidation::{LiquidationOptions, Order, PriceDetail, Side};
use crate::market::decode::sticky_rule;
use crate::portfolio::decode::instrument_spec;

/// [`Order`] from `value` (`path` prefixes error fields; "" at the root).
pub fn order(value: &Value, path: &Path<'_>) -> Result<Order> {
    let mut o = Fields::named(
        value,
        path,
        &["instrument", "size", "side", "price", "isolatedMargin"],
    )?;
    let (instrument, at) = o.required("instrument")?;
    let mut order = Order {
        instrument: instrument_spec(instrument, &at)?,
        size: o.required_f64("size")?,
        side: None,
        price: None,
        isolated_margin: None,
    };
    if let Some((side_value, at)) = o.optional("side") {
        order.side = Some(side(side_value, &at)?);
    }
    o.optional_f64("price", &mut order.price)?;
    o.optional_f64("isolatedMargin", &mut order.isolated_margin)?;
    Ok(order)
}

/// [`Side`] from its name (`buy` or `sell`).
pub fn side(value: &Value, path: &Path<'_>) -> Result<Side> {
    Ok(match variant(value, path, &["buy", "sell"])? {
        0 => Side::Buy,
        _ => Side::Sell,
    })
}

/// [`LiquidationOptions`] from `value`; absent fields keep their defaults.
pub fn liquidation_options(value: &Value, path: &Path<'_>) -> Result<LiquidationOptions> {
    let mut o = Fields::named(
        value,
        path,
        &[
            "sticky",
            "moveCollateral",
            "validityRange",
            "safety",
            "whatIfPrices",
            "sizeIncrement",
        ],
    )?;
    let mut options = LiquidationOptions::default();
    if let Some((sticky, at)) = o.child("sticky") {
        options.sticky = sticky_rule(sticky, &at)?;
    }
    o.bool("moveCollateral", &mut options.move_collateral)?;
    o.f64("validityRange", &mut options.validity_range)?;
    o.f64("safety", &mut options.safety)?;
    match o.variant("whatIfPrices", &["none", "estimate", "exact"])? {
        Some(0) => options.what_if_prices = PriceDetail::None,
        Some(1) => options.what_if_prices = PriceDetail::Estimate,
        Some(_) => options.what_if_prices = PriceDetail::Exact,
        None => {}
    }
    o.f64("sizeIncrement", &mut options.size_increment)?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_every_field_and_names_bad_ones() {
        // Property: what `Serialize` wrote decodes to the same value.
        let options = LiquidationOptions {
            sticky: crate::market::StickyRule::Moneyness,
            move_collateral: false,
            validity_range: 0.2,
            safety: 0.5,
            what_if_prices: PriceDetail::Exact,
            size_increment: 0.01,
        };
        let value = serde_json::to_value(&options).unwrap();
        assert_eq!(
            crate::json::decode_value(&value, "", liquidation_options).unwrap(),
            options
        );
        assert_eq!(
            crate::json::decode_value(&json!({}), "", liquidation_options).unwrap(),
            LiquidationOptions::default()
        );
        let order_value =
            json!({"instrument": "BTC-PERPETUAL", "size": 2.0, "side": "sell", "price": 5.0});
        let decoded = crate::json::decode_value(&order_value, "", order).unwrap();
        assert_eq!(serde_json::to_value(&decoded).unwrap(), order_value);
        let cases = [
            (
                crate::json::decode_value(
                    &json!({"stiky": "strike"}),
                    "options",
                    liquidation_options,
                )
                .unwrap_err(),
                "options.stiky",
            ),
            (
                crate::json::decode_value(
                    &json!({"whatIfPrices": "all"}),
                    "options",
                    liquidation_options,
                )
                .unwrap_err(),
                "options.whatIfPrices",
            ),
            (
                crate::json::decode_value(
                    &json!({"instrument": "BTC-PERP", "size": "1"}),
                    "order",
                    order,
                )
                .unwrap_err(),
                "order.size",
            ),
            (
                crate::json::decode_value(
                    &json!({"instrument": "BTC-PERP", "size": 1, "side": "long"}),
                    "order",
                    order,
                )
                .unwrap_err(),
                "order.side",
            ),
            (
                crate::json::decode_value(&json!("BUY"), "side", side).unwrap_err(),
                "side",
            ),
        ];
        for (err, field) in cases {
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{err}"
            );
        }
    }
}
