//! `margin`, `profiles`, `defaultParams`: the margin API for JS. Conversion only.

use super::convert::{params_from_js, required, to_js, to_js_error};
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
    #[wasm_bindgen(unchecked_optional_param_type = "RiskParamsInput")] params: Option<JsValue>,
) -> Result<Ts<MarginReport>, JsValue> {
    let market: MarketSpec = required(market.js_value(), "market")?;
    let account: AccountSpec = required(account.js_value(), "account")?;
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
