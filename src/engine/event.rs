//! The events an engine consumes, as one tagged JSON shape (`{"type": "indexUpdate", ...}`,
//! camelCase), shared by the Rust API, JS `apply(event)` and the CLI's NDJSON replay.
//!
//! Owns the shapes and the checks that need nothing but the event itself (finite, positive);
//! never touches engine state (see [`super::MarginEngine::apply`]).

use crate::error::{Error, Result};
use crate::json::fields::{map_of, number_at, Fields};
use crate::json::tree::Value;
use crate::json::Path;
use crate::market::decode::{feed_confidence_update, market_spec, vol_surface_spec};
use crate::market::{FeedConfidenceUpdate, MarketSpec, VolSurfaceSpec};
use crate::portfolio::decode::{account_spec, instrument_spec};
use crate::portfolio::{AccountSpec, InstrumentSpec, Millis};
use crate::vec_map::VecMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// One input to the engine: `{"type": "<kind>", ...payload fields}`. Field paths in errors are
/// relative to the event (`price`, `account.positions[2].size`); the JS binding prefixes
/// `event.`, the CLI `events[N].`. Decode JSON with [`Event::from_value`] / [`Event::from_json`]
/// (the only decoders: the enum itself implements only `Serialize`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// Replaces the whole market snapshot (every account is recomputed).
    SetMarket(SetMarket),
    /// Adds or replaces an account (its next update has reason `first`).
    UpsertAccount(UpsertAccount),
    /// Removes an account (no update).
    RemoveAccount(RemoveAccount),
    /// A new oracle index quote of an underlying (forwards keep their listed prices).
    IndexUpdate(IndexUpdate),
    /// A new mark price of a perpetual or future (keyed by its canonical id).
    MarkUpdate(MarkUpdate),
    /// A new volatility surface and/or mark implied vols of an underlying.
    VolUpdate(VolUpdate),
    /// A fill.
    Trade(Trade),
    /// Collateral paid in.
    Deposit(Transfer),
    /// Collateral paid out (the balance may go negative: a borrow), refused with
    /// `E_INSUFFICIENT_MARGIN` (field `amount`) when it would leave free collateral (equity −
    /// initial margin) below 0.
    Withdrawal(Transfer),
    /// A new price of a collateral asset (recomputes the accounts holding it; every account when
    /// it is the margin asset).
    CollateralPrice(CollateralPrice),
    /// A funding payment on every perpetual of an underlying.
    Funding(FundingPayment),
    /// Time moves forward; expired legs settle.
    TimeAdvance(TimeAdvance),
    /// New oracle feed confidence scores (Derive's feeds), merged into the market's
    /// `feedConfidence`: the scores listed replace those held, every other score is kept. The
    /// payload is a partial `feedConfidence` (`underlyings` and/or `collateral`), each score in
    /// [0, 1]; a listed underlying or collateral asset must be in the market (`E_INVALID_INPUT`,
    /// field `underlyings.<name>` / `collateral.<asset>`). Recomputes the accounts whose margin
    /// model reads a listed score (see [`super::MarginEngine::apply`]).
    FeedConfidence(FeedConfidenceUpdate),
}

/// `setMarket`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetMarket {
    /// The new snapshot.
    pub market: MarketSpec,
}

/// `upsertAccount`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpsertAccount {
    /// Account id (1–256 bytes of UTF-8).
    pub id: String,
    /// Positions and collateral (its `id`, if given, must equal `id`).
    pub account: AccountSpec,
}

/// `removeAccount`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoveAccount {
    /// Account id.
    pub id: String,
}

/// `indexUpdate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndexUpdate {
    /// Underlying symbol (must be in the market).
    pub underlying: String,
    /// Index price (> 0).
    pub price: f64,
    /// Confidence half-width (≥ 0; default 0).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub conf: f64,
    /// Publish time (ms, ≤ the market's `now`).
    pub publish_time: Millis,
}

/// `markUpdate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkUpdate {
    /// A perpetual or future.
    pub instrument: InstrumentSpec,
    /// Mark price (> 0).
    pub price: f64,
}

/// `volUpdate`: a new surface replaces the old one; mark IVs merge into the existing ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolUpdate {
    /// Underlying symbol.
    pub underlying: String,
    /// The new surface, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub vol: Option<VolSurfaceSpec>,
    /// Mark implied vols by option id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, number>")
    )]
    pub mark_iv: BTreeMap<String, f64>,
}

/// `trade`: `size` contracts (+ bought, − sold) of `instrument` at `price` (perpetuals and
/// futures: the trade price in USD; options: the premium per unit, in USD for linear options
/// and in coin for inverse ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trade {
    /// Account id.
    pub account: String,
    /// Instrument id or terms.
    pub instrument: InstrumentSpec,
    /// Signed size in contracts.
    pub size: f64,
    /// Price (> 0).
    pub price: f64,
}

/// `deposit` / `withdrawal` of `amount` whole units of `asset` (> 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transfer {
    /// Account id.
    pub account: String,
    /// Collateral asset.
    pub asset: String,
    /// Whole units (> 0).
    pub amount: f64,
}

/// `collateralPrice`: a new USD price of a collateral asset already in the market.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollateralPrice {
    /// Collateral asset symbol (must be in the market's `collateral`).
    pub asset: String,
    /// Price in USD (> 0).
    pub price: f64,
}

/// `funding`: `rate` per interval (longs pay shorts when positive), default the market's
/// funding rate for the underlying. (Not to be confused with the market's `Funding` quote.)
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FundingPayment {
    /// Underlying symbol.
    pub underlying: String,
    /// Funding rate (decimal), if not the market's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: Option<f64>,
}

/// `timeAdvance` to `now` (ms, not before the current time). `index` optionally gives new oracle
/// quotes per underlying at that moment (published at `now`), applied first. Then every leg
/// expiring at or before `now` settles against its underlying's index (the settlement price),
/// and expired forwards and vol slices leave the market.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeAdvance {
    /// The new valuation time.
    pub now: Millis,
    /// Index quotes at `now` by underlying.
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, SettlementQuote>")
    )]
    pub index: VecMap<String, SettlementQuote>,
}

/// An index quote given with a time advance (published at the new `now`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

fn set_market(value: &Value) -> Result<SetMarket> {
    let mut o = Fields::named(value, &Path::Root(""), &["market"])?;
    let (market, at) = o.required("market")?;
    Ok(SetMarket {
        market: market_spec(market, &at)?,
    })
}

fn upsert_account(value: &Value) -> Result<UpsertAccount> {
    let mut o = Fields::named(value, &Path::Root(""), &["id", "account"])?;
    let id = o.required_string("id")?;
    let (account, at) = o.required("account")?;
    Ok(UpsertAccount {
        id,
        account: account_spec(account, &at)?,
    })
}

fn remove_account(value: &Value) -> Result<RemoveAccount> {
    let mut o = Fields::named(value, &Path::Root(""), &["id"])?;
    Ok(RemoveAccount {
        id: o.required_string("id")?,
    })
}

fn index_update(value: &Value) -> Result<IndexUpdate> {
    let mut o = Fields::named(
        value,
        &Path::Root(""),
        &["underlying", "price", "conf", "publishTime"],
    )?;
    let mut update = IndexUpdate {
        underlying: o.required_string("underlying")?,
        price: o.required_f64("price")?,
        conf: 0.0,
        publish_time: 0,
    };
    o.f64("conf", &mut update.conf)?;
    update.publish_time = o.required_i64("publishTime")?;
    Ok(update)
}

fn mark_update(value: &Value) -> Result<MarkUpdate> {
    let mut o = Fields::named(value, &Path::Root(""), &["instrument", "price"])?;
    let (instrument, at) = o.required("instrument")?;
    Ok(MarkUpdate {
        instrument: instrument_spec(instrument, &at)?,
        price: o.required_f64("price")?,
    })
}

fn vol_update(value: &Value) -> Result<VolUpdate> {
    let mut o = Fields::named(value, &Path::Root(""), &["underlying", "vol", "markIv"])?;
    let mut update = VolUpdate {
        underlying: o.required_string("underlying")?,
        vol: None,
        mark_iv: BTreeMap::new(),
    };
    if let Some((vol, at)) = o.optional("vol") {
        update.vol = Some(vol_surface_spec(vol, &at)?);
    }
    o.by_name("markIv", &mut update.mark_iv, number_at)?;
    Ok(update)
}

fn trade(value: &Value) -> Result<Trade> {
    let mut o = Fields::named(
        value,
        &Path::Root(""),
        &["account", "instrument", "size", "price"],
    )?;
    let account = o.required_string("account")?;
    let (instrument, at) = o.required("instrument")?;
    Ok(Trade {
        account,
        instrument: instrument_spec(instrument, &at)?,
        size: o.required_f64("size")?,
        price: o.required_f64("price")?,
    })
}

fn transfer(value: &Value) -> Result<Transfer> {
    let mut o = Fields::named(value, &Path::Root(""), &["account", "asset", "amount"])?;
    Ok(Transfer {
        account: o.required_string("account")?,
        asset: o.required_string("asset")?,
        amount: o.required_f64("amount")?,
    })
}

fn collateral_price(value: &Value) -> Result<CollateralPrice> {
    let mut o = Fields::named(value, &Path::Root(""), &["asset", "price"])?;
    Ok(CollateralPrice {
        asset: o.required_string("asset")?,
        price: o.required_f64("price")?,
    })
}

fn funding_payment(value: &Value) -> Result<FundingPayment> {
    let mut o = Fields::named(value, &Path::Root(""), &["underlying", "rate"])?;
    let mut payment = FundingPayment {
        underlying: o.required_string("underlying")?,
        rate: None,
    };
    o.optional_f64("rate", &mut payment.rate)?;
    Ok(payment)
}

fn time_advance(value: &Value) -> Result<TimeAdvance> {
    let mut o = Fields::named(value, &Path::Root(""), &["now", "index"])?;
    let mut advance = TimeAdvance {
        now: o.required_i64("now")?,
        index: VecMap::new(),
    };
    if let Some((index, at)) = o.child("index") {
        advance.index = map_of(index, &at, settlement_quote)?;
    }
    Ok(advance)
}

fn settlement_quote(value: &Value, path: &Path<'_>) -> Result<SettlementQuote> {
    let mut o = Fields::named(value, path, &["price", "conf"])?;
    let mut quote = SettlementQuote {
        price: o.required_f64("price")?,
        conf: 0.0,
    };
    o.f64("conf", &mut quote.conf)?;
    Ok(quote)
}

impl Event {
    /// The event's type as written in JSON (`indexUpdate`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SetMarket(_) => "setMarket",
            Event::UpsertAccount(_) => "upsertAccount",
            Event::RemoveAccount(_) => "removeAccount",
            Event::IndexUpdate(_) => "indexUpdate",
            Event::MarkUpdate(_) => "markUpdate",
            Event::VolUpdate(_) => "volUpdate",
            Event::Trade(_) => "trade",
            Event::Deposit(_) => "deposit",
            Event::Withdrawal(_) => "withdrawal",
            Event::CollateralPrice(_) => "collateralPrice",
            Event::Funding(_) => "funding",
            Event::TimeAdvance(_) => "timeAdvance",
            Event::FeedConfidence(_) => "feedConfidence",
        }
    }

    /// Decodes the tagged JSON form, naming the failing field (`price`, `account.mode`) or `type`.
    ///
    /// The payload (the object without `type`) is decoded by hand (`crate::json::fields`, the
    /// decoder every other input uses): serde's internally tagged enums buffer their content,
    /// which loses the error position, and derived visitors cost `.wasm` size.
    pub fn from_value(value: serde_json::Value) -> Result<Event> {
        let text = serde_json::to_string(&value).map_err(|e| Error::invalid("", e))?;
        Event::from_json(&text)
    }

    /// Decodes the tagged form from a parsed document (see [`Event::from_value`]).
    pub fn from_tree(value: Value<'_>) -> Result<Event> {
        let Value::Object(mut object) = value else {
            return Err(Error::invalid(
                "",
                "an event must be an object with a \"type\"",
            ));
        };
        let kind = match crate::json::tree::get(&object, "type") {
            Some(Value::String(kind)) => kind.to_string(),
            _ => return Err(Error::invalid("type", "must be the event's type, a string")),
        };
        object.retain(|(key, _)| key != "type");
        let payload = Value::Object(object);
        let p = &payload;
        match kind.as_str() {
            "setMarket" => set_market(p).map(Event::SetMarket),
            "upsertAccount" => upsert_account(p).map(Event::UpsertAccount),
            "removeAccount" => remove_account(p).map(Event::RemoveAccount),
            "indexUpdate" => index_update(p).map(Event::IndexUpdate),
            "markUpdate" => mark_update(p).map(Event::MarkUpdate),
            "volUpdate" => vol_update(p).map(Event::VolUpdate),
            "trade" => trade(p).map(Event::Trade),
            "deposit" => transfer(p).map(Event::Deposit),
            "withdrawal" => transfer(p).map(Event::Withdrawal),
            "collateralPrice" => collateral_price(p).map(Event::CollateralPrice),
            "funding" => funding_payment(p).map(Event::Funding),
            "timeAdvance" => time_advance(p).map(Event::TimeAdvance),
            "feedConfidence" => {
                feed_confidence_update(p, &Path::Root("")).map(Event::FeedConfidence)
            }
            other => Err(Error::invalid(
                "type",
                format!(
                    "unknown event type {}; known: setMarket, upsertAccount, \
                     removeAccount, indexUpdate, markUpdate, volUpdate, trade, deposit, \
                     withdrawal, collateralPrice, funding, timeAdvance, feedConfidence",
                    crate::error::Quoted(other)
                ),
            )),
        }
    }

    /// Decodes one event from JSON text (see [`Event::from_value`]).
    pub fn from_json(text: &str) -> Result<Event> {
        Event::from_tree(crate::json::tree::parse(text)?)
    }

    /// Checks what can be checked without the engine's state: finite and positive numbers.
    pub fn validate(&self) -> Result<()> {
        let positive = |x: f64, field: &str| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!(
                        "must be a finite number > 0, got {}",
                        crate::numfmt::Shortest(x)
                    ),
                ))
            }
        };
        match self {
            Event::IndexUpdate(IndexUpdate { price, conf, .. }) => {
                positive(*price, "price")?;
                if !(conf.is_finite() && *conf >= 0.0) {
                    return Err(Error::invalid(
                        "conf",
                        format!(
                            "must be a finite number ≥ 0, got {}",
                            crate::numfmt::Shortest(*conf)
                        ),
                    ));
                }
                Ok(())
            }
            Event::MarkUpdate(MarkUpdate { price, .. })
            | Event::CollateralPrice(CollateralPrice { price, .. }) => positive(*price, "price"),
            Event::Trade(Trade { size, price, .. }) => {
                if !(size.is_finite() && *size != 0.0) {
                    return Err(Error::invalid(
                        "size",
                        format!(
                            "must be a finite non-zero number, got {}",
                            crate::numfmt::Shortest(*size)
                        ),
                    ));
                }
                positive(*price, "price")
            }
            Event::Deposit(Transfer { amount, .. })
            | Event::Withdrawal(Transfer { amount, .. }) => positive(*amount, "amount"),
            Event::Funding(FundingPayment { rate: Some(r), .. }) if !r.is_finite() => {
                Err(Error::invalid(
                    "rate",
                    format!(
                        "must be a finite number, got {}",
                        crate::numfmt::Shortest(*r)
                    ),
                ))
            }
            Event::UpsertAccount(UpsertAccount { id, .. })
            | Event::RemoveAccount(RemoveAccount { id }) => account_id(id),
            Event::TimeAdvance(TimeAdvance { index, .. }) => {
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
            Event::FeedConfidence(update) => update.validate(""),
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
    fn tagged_camel_case_json_with_field_paths() {
        let e = Event::from_json(
            r#"{"type": "indexUpdate", "underlying": "BTC", "price": 1, "publishTime": 5}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            Event::IndexUpdate(IndexUpdate {
                underlying: "BTC".into(),
                price: 1.0,
                conf: 0.0,
                publish_time: 5
            })
        );
        let round_trip = serde_json::to_string(&e).unwrap();
        assert!(round_trip.starts_with(r#"{"type":"indexUpdate","underlying":"BTC""#));
        for (json, field) in [
            (
                r#"{"type": "indexUpdate", "underlying": "BTC", "price": null, "publishTime": 5}"#,
                "price",
            ),
            (r#"{"type": "meteor"}"#, "type"),
            (r#"{"price": 1}"#, "type"),
            (
                r#"{"type": "deposit", "account": "a", "asset": "USDC", "amount": 1, "extra": 2}"#,
                "extra",
            ),
            (
                r#"{"type": "upsertAccount", "id": "a", "account": {"mode": "margin"}}"#,
                "account.mode",
            ),
        ] {
            let err = Event::from_json(json).unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{json}"
            );
        }
        // feedConfidence: a partial `feedConfidence` object as the payload; its scores are
        // checked without the engine (paths relative to the event, as the market's under
        // `feedConfidence.`).
        let e = Event::from_json(
            r#"{"type": "feedConfidence", "underlyings": {"ETH": {"spot": 1.5}}}"#,
        )
        .unwrap();
        assert_eq!(e.kind(), "feedConfidence");
        let err = e.validate().unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("E_INVALID_INPUT", "underlyings.ETH.spot")
        );
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"type":"feedConfidence","underlyings":{"ETH":{"spot":1.5}}}"#
        );
        assert_eq!(Event::from_json(&text).unwrap(), e);
        let err =
            Event::from_json(r#"{"type": "feedConfidence", "underlying": "ETH"}"#).unwrap_err();
        assert_eq!(err.field(), "underlying");
        let bad = Event::Trade(Trade {
            account: "a".into(),
            instrument: InstrumentSpec::Id("BTC-PERP".into()),
            size: f64::NAN,
            price: 1.0,
        });
        assert_eq!(bad.validate().unwrap_err().field(), "size");
    }
}
