//! `MarginEngine` for JS: the recalibration engine as a class. Conversion only.
//!
//! Every method takes `&self`; the engine sits in a `RefCell`. Inputs are decoded before the
//! engine is borrowed and outputs encoded after the borrow ends, so no JS code (a `toJSON`, a
//! getter) runs while the engine is borrowed; should a call still find it borrowed, it throws a
//! coded `E_BUSY` error instead of panicking (a panic would poison the module).
//!
//! Updates are the CLI's JSON objects (amounts as decimal strings) plus `units`, the same three
//! amounts as `bigint`.

use super::convert::{decoded, json_text, to_js, to_js_error, with_params_tree};
use crate::engine::snapshot::engine_snapshot;
use crate::engine::{EngineParams, Event, MarginEngine, MarginUpdate};
use crate::error::ErrorKind;
use crate::margin::MarginReport;
use crate::market::decode::market_spec;
use crate::market::MarketSpec;
use crate::portfolio::decode::account_spec;
use crate::portfolio::AccountSpec;
use std::cell::RefCell;
use tsify::Ts;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const ENGINE_TYPES: &str = r#"
/** Parameters of a `MarginEngine`: those of `margin()` plus `engine` (thresholds and levels). */
export type EngineParamsInput = RiskParamsInput & { engine?: Partial<EngineConfig> };
/** A `MarginUpdate` as JS gets it: the decimal strings plus the same amounts as `bigint`. */
export type MarginUpdateJs = MarginUpdate & {
    units: { initialMargin: bigint; maintenanceMargin: bigint; equity: bigint };
};
"#;

fn busy() -> JsValue {
    to_js_error(
        ErrorKind::Busy {
            field: String::new(),
            reason: "the engine is in use by a call further up the stack; retry after it returns"
                .into(),
        }
        .into(),
    )
}

fn updates_to_js(updates: &[MarginUpdate]) -> Result<JsValue, JsValue> {
    let array = to_js(&updates)?;
    let list: &js_sys::Array = array.unchecked_ref();
    for (item, update) in list.iter().zip(updates) {
        let units = js_sys::Object::new();
        for (name, amount) in [
            ("initialMargin", &update.initial_margin),
            ("maintenanceMargin", &update.maintenance_margin),
            ("equity", &update.equity),
        ] {
            let big = js_sys::BigInt::new(&JsValue::from_str(amount))?;
            js_sys::Reflect::set(&units, &name.into(), &big)?;
        }
        js_sys::Reflect::set(&item, &"units".into(), &units)?;
    }
    Ok(array)
}

/// The real-time recalibration engine: one market, many accounts, events in, `MarginUpdate`s out
/// (only when a requirement moved past the configured threshold or the health level changed).
///
/// Free it with `free()` or `using engine = new MarginEngine()` (`Symbol.dispose`).
#[wasm_bindgen(js_name = MarginEngine)]
pub struct MarginEngineJs {
    inner: RefCell<MarginEngine>,
}

#[wasm_bindgen(js_class = MarginEngine)]
impl MarginEngineJs {
    /// A new engine: `params` as for `margin()` (profile and/or overrides) plus an optional
    /// `engine: { relativeThreshold, absoluteThreshold, warningHealth, liquidatableHealth }`.
    ///
    /// @throws {Error} `E_INVALID_INPUT` naming the field (`params.engine.warningHealth`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "EngineParamsInput")] params: Option<
            JsValue,
        >,
    ) -> Result<MarginEngineJs, JsValue> {
        let params = with_params_tree(params, |tree| {
            EngineParams::resolve_tree(tree).map_err(to_js_error)
        })?;
        Ok(MarginEngineJs {
            inner: RefCell::new(MarginEngine::new(params)),
        })
    }

    /// Replaces the market (every account is recomputed); returns the updates.
    #[wasm_bindgen(js_name = setMarket, unchecked_return_type = "MarginUpdateJs[]")]
    pub fn set_market(&self, market: Ts<MarketSpec>) -> Result<JsValue, JsValue> {
        let market = decoded(&market.js_value(), "market", market_spec)?;
        let updates = {
            let mut engine = self.inner.try_borrow_mut().map_err(|_| busy())?;
            engine.set_market(market).map_err(to_js_error)?
        };
        updates_to_js(&updates)
    }

    /// Adds or replaces an account; returns its first update (none before a market is set).
    #[wasm_bindgen(js_name = upsertAccount, unchecked_return_type = "MarginUpdateJs[]")]
    pub fn upsert_account(&self, id: &str, account: Ts<AccountSpec>) -> Result<JsValue, JsValue> {
        let account = decoded(&account.js_value(), "account", account_spec)?;
        let updates = {
            let mut engine = self.inner.try_borrow_mut().map_err(|_| busy())?;
            engine.upsert_account(id, account).map_err(to_js_error)?
        };
        updates_to_js(&updates)
    }

    /// Applies one event (`{ type: "indexUpdate", underlying, price, conf, publishTime }`, …);
    /// returns the updates it causes. The engine is unchanged when it throws.
    ///
    /// @throws {Error} with `code` and `field` relative to the argument (`event.price`).
    #[wasm_bindgen(unchecked_return_type = "MarginUpdateJs[]")]
    pub fn apply(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Event")] event: JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = json_text(&event, "event")?;
        let event = Event::from_json(&text).map_err(|e| to_js_error(e.within("event")))?;
        let updates = {
            let mut engine = self.inner.try_borrow_mut().map_err(|_| busy())?;
            engine
                .apply(event)
                .map_err(|e| to_js_error(e.within("event")))?
        };
        updates_to_js(&updates)
    }

    /// The full margin report of an account in the engine's current state.
    pub fn report(&self, id: &str) -> Result<Ts<MarginReport>, JsValue> {
        let report = {
            let engine = self.inner.try_borrow().map_err(|_| busy())?;
            engine.report(id).map_err(to_js_error)?
        };
        Ok(Ts::new_unchecked(to_js(&report)?))
    }

    /// The whole state as a versioned JSON string (exact: floats round-trip).
    pub fn snapshot(&self) -> Result<String, JsValue> {
        let engine = self.inner.try_borrow().map_err(|_| busy())?;
        engine.snapshot_json().map_err(to_js_error)
    }

    /// An engine rebuilt from `snapshot()`'s string: the same events then give byte-identical
    /// updates.
    pub fn restore(snapshot: &str) -> Result<MarginEngineJs, JsValue> {
        let snapshot = crate::json::decode_str(snapshot, "", engine_snapshot)
            .map_err(|e| to_js_error(e.within("snapshot")))?;
        let engine =
            MarginEngine::restore(snapshot).map_err(|e| to_js_error(e.within("snapshot")))?;
        Ok(MarginEngineJs {
            inner: RefCell::new(engine),
        })
    }
}
