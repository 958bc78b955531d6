//! Decoding of the account interchange shapes ([`AccountSpec`], its positions and instruments)
//! from a parsed JSON tree (`crate::json::tree`), by hand through `crate::json::fields` (the `.wasm` budget; README
//! "Build profile and size"; see `crate::market::decode` for the contract they keep).
//!
//! An instrument is an id string or an object of terms. Errors inside the object form name the
//! field inside it (`positions[0].instrument.contract.type`); serde's untagged enum could only say
//! that nothing matched, at `positions[0].instrument`, which is still where a value that is
//! neither a string nor an object is refused. Owns decoding only; ids are parsed and terms
//! validated by [`super::InstrumentSpec::resolve`] and [`super::Account::new`].

use super::account::{AccountSpec, MarginMode, PositionSpec};
use super::instrument::{ContractKind, Instrument, InstrumentSpec, Settlement};
use crate::error::{Error, Result};
use crate::json::fields::{list_of, variant, Fields};
use crate::json::tree::Value;
use crate::json::Path;
use crate::pricing::OptionKind;

/// [`AccountSpec`] from `value` (`path` prefixes error fields; "" at the root).
pub fn account_spec(value: &Value, path: &Path<'_>) -> Result<AccountSpec> {
    let mut o = Fields::named(value, path, &["id", "mode", "collateral", "positions"])?;
    let mut spec = AccountSpec {
        id: None,
        mode: MarginMode::Cross,
        collateral: Default::default(),
        positions: Vec::new(),
    };
    o.optional_string("id", &mut spec.id)?;
    let (mode, at) = o.required("mode")?;
    spec.mode = margin_mode(mode, &at)?;
    o.by_name(
        "collateral",
        &mut spec.collateral,
        crate::json::fields::number_at,
    )?;
    if let Some((positions, at)) = o.child("positions") {
        spec.positions = list_of(positions, &at, position_spec)?;
    }
    o.finish()?;
    Ok(spec)
}

/// [`MarginMode`] from its name.
pub fn margin_mode(value: &Value, path: &Path<'_>) -> Result<MarginMode> {
    Ok(
        match variant(value, path, &["isolated", "cross", "portfolio"])? {
            0 => MarginMode::Isolated,
            1 => MarginMode::Cross,
            _ => MarginMode::Portfolio,
        },
    )
}

/// [`PositionSpec`] from `value`.
pub fn position_spec(value: &Value, path: &Path<'_>) -> Result<PositionSpec> {
    let mut o = Fields::named(
        value,
        path,
        &["instrument", "size", "entryPrice", "isolatedMargin"],
    )?;
    let (instrument, at) = o.required("instrument")?;
    let mut spec = PositionSpec {
        instrument: instrument_spec(instrument, &at)?,
        size: o.required_f64("size")?,
        entry_price: None,
        isolated_margin: None,
    };
    o.optional_f64("entryPrice", &mut spec.entry_price)?;
    o.optional_f64("isolatedMargin", &mut spec.isolated_margin)?;
    o.finish()?;
    Ok(spec)
}

/// [`InstrumentSpec`] from `value`: an id string or an object of terms.
pub fn instrument_spec(value: &Value, path: &Path<'_>) -> Result<InstrumentSpec> {
    match value {
        Value::String(id) => Ok(InstrumentSpec::Id(id.to_string())),
        Value::Object(_) => instrument(value, path).map(InstrumentSpec::Terms),
        _ => Err(Error::invalid(
            path.to_string(),
            "expected an instrument id (string) or instrument terms (object)",
        )),
    }
}

/// [`Instrument`] (the object form) from `value`.
pub fn instrument(value: &Value, path: &Path<'_>) -> Result<Instrument> {
    let mut o = Fields::named(
        value,
        path,
        &["underlying", "contract", "settlement", "contractSize"],
    )?;
    let underlying = o.required_string("underlying")?;
    let (contract, at) = o.required("contract")?;
    let contract = contract_kind(contract, &at)?;
    let (settlement, at) = o.required("settlement")?;
    let settlement = match variant(settlement, &at, &["linear", "inverse"])? {
        0 => Settlement::Linear,
        _ => Settlement::Inverse,
    };
    let mut terms = Instrument {
        underlying,
        contract,
        settlement,
        contract_size: 1.0,
    };
    o.f64("contractSize", &mut terms.contract_size)?;
    o.finish()?;
    Ok(terms)
}

fn contract_kind(value: &Value, path: &Path<'_>) -> Result<ContractKind> {
    let mut o = Fields::new(value, path)?;
    let (kind, at) = o.required("type")?;
    let contract = match variant(kind, &at, &["perpetual", "future", "option"])? {
        0 => {
            o.only(&["type"])?;
            ContractKind::Perpetual
        }
        1 => {
            o.only(&["type", "expiry"])?;
            ContractKind::Future {
                expiry: o.required_i64("expiry")?,
            }
        }
        _ => {
            o.only(&["type", "expiry", "strike", "optionKind"])?;
            let expiry = o.required_i64("expiry")?;
            let strike = o.required_f64("strike")?;
            let (kind, at) = o.required("optionKind")?;
            ContractKind::Option {
                expiry,
                strike,
                option_kind: option_kind(kind, &at)?,
            }
        }
    };
    o.finish()?;
    Ok(contract)
}

/// [`OptionKind`] from its name (`call` or `put`).
pub fn option_kind(value: &Value, path: &Path<'_>) -> Result<OptionKind> {
    Ok(match variant(value, path, &["call", "put"])? {
        0 => OptionKind::Call,
        _ => OptionKind::Put,
    })
}

crate::margin::params_decode::deserialize_with! {
    AccountSpec => account_spec,
    PositionSpec => position_spec,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_form_round_trips_through_its_serialised_form() {
        // Property: decoding what `Serialize` wrote gives the very spec back (ids, every
        // contract kind, contract sizes, optional prices).
        let spec = crate::json::decode_value(&json!({"id": "a", "mode": "isolated", "collateral": {"USDC": 1.5},
                "positions": [
                    {"instrument": "BTC-PERPETUAL", "size": -2, "entryPrice": 5, "isolatedMargin": 3},
                    {"instrument": {"underlying": "BTC", "contract": {"type": "future", "expiry": 7},
                        "settlement": "inverse", "contractSize": 10}, "size": 1},
                    {"instrument": {"underlying": "ETH", "contract": {"type": "option", "expiry": 7,
                        "strike": 2.5, "optionKind": "put"}, "settlement": "linear"}, "size": 0.5},
                    {"instrument": {"underlying": "SOL", "contract": {"type": "perpetual"},
                        "settlement": "linear"}, "size": 3}]}), "", account_spec)
        .unwrap();
        assert_eq!(spec.positions.len(), 4);
        let value = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            crate::json::decode_value(&value, "", account_spec).unwrap(),
            spec
        );
    }

    #[test]
    fn bad_fields_are_named_by_their_full_path() {
        let cases = [
            (
                json!({"mode": "Cross"}),
                "account.mode",
                "unknown variant `Cross`",
            ),
            (json!({}), "account", "missing field `mode`"),
            (
                json!({"mode": "cross", "positions": [{"instrument": 5, "size": 1}]}),
                "account.positions[0].instrument",
                "instrument id (string)",
            ),
            (
                json!({"mode": "cross", "positions": [{"instrument": "BTC-PERP", "sise": 1}]}),
                "account.positions[0].sise",
                "unknown field `sise`",
            ),
            (
                json!({"mode": "cross", "positions": [{"instrument": {"underlying": "BTC",
                "contract": {"type": "swap"}, "settlement": "linear"}, "size": 1}]}),
                "account.positions[0].instrument.contract.type",
                "unknown variant `swap`",
            ),
            (
                json!({"mode": "cross", "positions": [{"instrument": {"underlying": "BTC",
                "contract": {"type": "perpetual", "expiry": 1}, "settlement": "linear"}, "size": 1}]}),
                "account.positions[0].instrument.contract.expiry",
                "unknown field `expiry`",
            ),
            (
                json!({"mode": "cross", "collateral": {"USDC": null}}),
                "account.collateral.USDC",
                "null are not numbers",
            ),
        ];
        for (value, field, reason) in cases {
            let err = crate::json::decode_value(&value, "account", account_spec).unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{value}"
            );
            assert!(err.to_string().contains(reason), "{value}: {err}");
        }
    }
}
