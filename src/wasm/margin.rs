//! `margin`, `profiles`, `defaultParams`: the margin API for JS. Conversion only.

use super::convert::{from_js, to_js, to_js_error};
use crate::margin::{profiles, MarginReport, RiskParams};
use crate::market::MarketSpec;
use crate::portfolio::AccountSpec;
use tsify::Ts;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const PARAMS_INPUT: &str = r#"
/** Any subset of `RiskParams`, recursively; `profile` picks the base (default "drr"). */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
/** Parameters for `margin()`: a profile name and/or partial overrides merged into it. */
export type RiskParamsInput = DeepPartial<RiskParams> & { profile?: string };
"#;

fn params_from_js(params: JsValue) -> Result<RiskParams, JsValue> {
    let overrides = if params.is_undefined() || params.is_null() {
        None
    } else {
        Some(from_js::<serde_json::Value>(params).map_err(|e| prefix(e, "params"))?)
    };
    profiles::resolve(overrides).map_err(to_js_error)
}

/// The margin report of `account` against `market`: equity, initial and maintenance margin (exact
/// base units of the margin asset as decimal strings beside floats), free collateral, health, the
/// component breakdown, Greeks, scenarios and warnings. `params`: a profile name and/or overrides.
///
/// @throws {Error} with `code` (`E_INVALID_INPUT`, `E_MISSING_MARKET_DATA`, `E_STALE_ORACLE`, …)
/// and the `field` path (`account.positions[2].size`, `market.underlyings.BTC.index.price`).
#[wasm_bindgen]
pub fn margin(
    market: Ts<MarketSpec>,
    account: Ts<AccountSpec>,
    #[wasm_bindgen(unchecked_param_type = "RiskParamsInput | undefined")] params: JsValue,
) -> Result<Ts<MarginReport>, JsValue> {
    let market: MarketSpec = from_js(market.js_value()).map_err(|e| prefix(e, "market"))?;
    let account: AccountSpec = from_js(account.js_value()).map_err(|e| prefix(e, "account"))?;
    let params = params_from_js(params)?;
    let report = crate::margin::margin(&market, &account, &params).map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&report)?))
}

/// The parameter profiles: `{ name, description }` for each (see `defaultParams`).
#[wasm_bindgen(unchecked_return_type = "ProfileInfo[]")]
pub fn profiles() -> Result<JsValue, JsValue> {
    to_js(&profiles::profiles())
}

/// The full parameter object of a profile (every constant of every model, with its value).
#[wasm_bindgen(js_name = defaultParams)]
pub fn default_params(profile: &str) -> Result<Ts<RiskParams>, JsValue> {
    let params = profiles::profile(profile).map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&params)?))
}

/// Prefixes the `field` of a JS error produced by `from_js` with the argument name.
fn prefix(error: JsValue, argument: &str) -> JsValue {
    let field = js_sys::Reflect::get(&error, &"field".into())
        .ok()
        .and_then(|f| f.as_string())
        .unwrap_or_default();
    let joined = if field.is_empty() {
        argument.to_string()
    } else {
        format!("{argument}.{field}")
    };
    let _ = js_sys::Reflect::set(&error, &"field".into(), &joined.into());
    error
}
