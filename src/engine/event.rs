//! The events an engine consumes, as one tagged JSON shape (`{"type": "indexUpdate", ...}`,
//! camelCase), shared by the Rust API, JS `apply(event)` and the CLI's NDJSON replay.
//!
//! Owns the shapes and the checks that need nothing but the event itself (finite, positive);
//! never touches engine state (see [`super::MarginEngine::apply`]).

use crate::error::{Error, Result};
use crate::market::{MarketSpec, VolSurfaceSpec};
use crate::portfolio::{AccountSpec, InstrumentSpec, Millis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One input to the engine. Field paths in errors are relative to the event (`price`,
/// `account.positions[2].size`); the JS binding prefixes `event.`, the CLI `events[N].`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Event {
    /// Replaces the whole market snapshot (every account is recomputed).
    SetMarket { market: MarketSpec },
    /// Adds or replaces an account (its next update has reason `first`).
    UpsertAccount { id: String, account: AccountSpec },
    /// Removes an account (no update).
    RemoveAccount { id: String },
    /// A new oracle index quote of an underlying (forwards keep their listed prices).
    IndexUpdate {
        underlying: String,
        price: f64,
        #[serde(default)]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        conf: f64,
        publish_time: Millis,
    },
    /// A new mark price of a perpetual or future (keyed by its canonical id).
    MarkUpdate {
        instrument: InstrumentSpec,
        price: f64,
    },
    /// A new volatility surface and/or mark implied vols (merged into the existing ones) of an
    /// underlying.
    VolUpdate {
        underlying: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        vol: Option<VolSurfaceSpec>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        mark_iv: BTreeMap<String, f64>,
    },
    /// A fill: `size` contracts (+ bought, − sold) of `instrument` at `price` (perpetuals and
    /// futures: the trade price in USD; options: the premium per unit, in USD for linear
    /// options and in coin for inverse ones).
    Trade {
        account: String,
        instrument: InstrumentSpec,
        size: f64,
        price: f64,
    },
    /// Collateral paid in (whole units of `asset`, > 0).
    Deposit {
        account: String,
        asset: String,
        amount: f64,
    },
    /// Collateral paid out (whole units of `asset`, > 0; the balance may go negative: a borrow).
    Withdrawal {
        account: String,
        asset: String,
        amount: f64,
    },
    /// A funding payment on every perpetual of `underlying`: `rate` per interval (longs pay
    /// shorts when positive), default the market's funding rate for that underlying.
    Funding {
        underlying: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        rate: Option<f64>,
    },
    /// Time moves to `now` (ms, not before the current time). `index` optionally gives new
    /// oracle quotes per underlying at that moment (price, conf; published at `now`), applied
    /// first. Then every leg expiring at or before `now` settles against its underlying's index
    /// (the settlement price), and expired forwards and vol slices leave the market.
    TimeAdvance {
        now: Millis,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        #[cfg_attr(target_arch = "wasm32", tsify(optional))]
        index: BTreeMap<String, SettlementQuote>,
    },
}

/// An index quote given with a time advance (published at the new `now`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettlementQuote {
    /// Index price.
    pub price: f64,
    /// Confidence half-width (default 0).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub conf: f64,
}

impl Event {
    /// The event's type as written in JSON (`indexUpdate`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SetMarket { .. } => "setMarket",
            Event::UpsertAccount { .. } => "upsertAccount",
            Event::RemoveAccount { .. } => "removeAccount",
            Event::IndexUpdate { .. } => "indexUpdate",
            Event::MarkUpdate { .. } => "markUpdate",
            Event::VolUpdate { .. } => "volUpdate",
            Event::Trade { .. } => "trade",
            Event::Deposit { .. } => "deposit",
            Event::Withdrawal { .. } => "withdrawal",
            Event::Funding { .. } => "funding",
            Event::TimeAdvance { .. } => "timeAdvance",
        }
    }

    /// Checks what can be checked without the engine's state: finite and positive numbers.
    pub fn validate(&self) -> Result<()> {
        let positive = |x: f64, field: &str| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!("must be a finite number > 0, got {x}"),
                ))
            }
        };
        match self {
            Event::IndexUpdate { price, conf, .. } => {
                positive(*price, "price")?;
                if !(conf.is_finite() && *conf >= 0.0) {
                    return Err(Error::invalid(
                        "conf",
                        format!("must be a finite number ≥ 0, got {conf}"),
                    ));
                }
                Ok(())
            }
            Event::MarkUpdate { price, .. } => positive(*price, "price"),
            Event::Trade { size, price, .. } => {
                if !(size.is_finite() && *size != 0.0) {
                    return Err(Error::invalid(
                        "size",
                        format!("must be a finite non-zero number, got {size}"),
                    ));
                }
                positive(*price, "price")
            }
            Event::Deposit { amount, .. } | Event::Withdrawal { amount, .. } => {
                positive(*amount, "amount")
            }
            Event::Funding { rate: Some(r), .. } if !r.is_finite() => Err(Error::invalid(
                "rate",
                format!("must be a finite number, got {r}"),
            )),
            Event::UpsertAccount { id, .. } | Event::RemoveAccount { id } => account_id(id),
            Event::TimeAdvance { index, .. } => {
                for (name, quote) in index {
                    positive(quote.price, &format!("index.{name}.price"))?;
                    if !(quote.conf.is_finite() && quote.conf >= 0.0) {
                        return Err(Error::invalid(
                            format!("index.{name}.conf"),
                            "must be a finite number ≥ 0",
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// An account id: 1 to 256 bytes of UTF-8 (it is length-prefixed in the update encoding).
pub(crate) fn account_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 256 {
        return Err(Error::invalid("id", "must be 1 to 256 bytes of UTF-8"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_camel_case_json() {
        let e: Event = crate::json::from_str(
            r#"{"type": "indexUpdate", "underlying": "BTC", "price": 1, "publishTime": 5}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            Event::IndexUpdate {
                underlying: "BTC".into(),
                price: 1.0,
                conf: 0.0,
                publish_time: 5
            }
        );
        let err = crate::json::from_str::<Event>(
            r#"{"type": "indexUpdate", "underlying": "BTC", "price": null, "publishTime": 5}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        let err = crate::json::from_str::<Event>(r#"{"type": "meteor"}"#).unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        let err = crate::json::from_str::<Event>(
            r#"{"type": "deposit", "account": "a", "asset": "USDC", "amount": 1, "extra": 2}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT");
        let bad = Event::Trade {
            account: "a".into(),
            instrument: InstrumentSpec::Id("BTC-PERP".into()),
            size: f64::NAN,
            price: 1.0,
        };
        assert_eq!(bad.validate().unwrap_err().field(), "size");
    }
}
