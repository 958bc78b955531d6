//! `liquidationPrices`, `liquidationCheck`, `whatIf`, `maxSize`: the liquidation API for JS.
//! Conversion only; the same decoding (field paths) and results as the CLI's commands.

use super::account_cache::AccountArg;
use super::convert::{decoded, decoded_optional, params_from_js, to_js, to_js_error};
use super::market_cache::MarketArg;
use super::what_if_cache;
use crate::liquidation::{
    self, LiquidationCheck, LiquidationOptions, LiquidationReport, MaxSize, Order, WhatIfResult,
};
use crate::margin::RiskParams;
use crate::market::Market;
use crate::market::MarketSpec;
use crate::portfolio::decode::{account_spec, instrument_spec};
use crate::portfolio::{Account, AccountSpec};
use std::rc::Rc;
use tsify::Ts;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const OPTIONS_INPUT: &str = r#"
/** Liquidation options, every field optional (see `LiquidationOptions`). */
export type LiquidationOptionsInput = Partial<LiquidationOptions>;
"#;

fn options_from_js(options: Option<JsValue>) -> Result<LiquidationOptions, JsValue> {
    Ok(decoded_optional(
        &options.unwrap_or(JsValue::UNDEFINED),
        "options",
        crate::json::liquidation::liquidation_options,
    )?
    .unwrap_or_default())
}

/// Validates decoded arguments in the CLI's order (params, options, market, account), the
/// market and account through the binding's caches (the last ones validated are kept, as for
/// `margin()`).
fn validated(
    market: MarketArg,
    account: AccountSpec,
    params: &RiskParams,
    options: &LiquidationOptions,
) -> Result<(Rc<Market>, Rc<Account>), JsValue> {
    params
        .validate()
        .map_err(|e| to_js_error(e.within("params")))?;
    options
        .validate()
        .map_err(|e| to_js_error(e.within("options")))?;
    Ok((
        market.validated()?,
        super::account_cache::validated(account)?,
    ))
}

/// `liquidationPrices`' and `liquidationCheck`'s arguments, decoded and validated.
fn liquidation_args(
    market: &JsValue,
    account: &JsValue,
    params: Option<JsValue>,
    options: Option<JsValue>,
) -> Result<(Rc<Market>, Rc<Account>, RiskParams, LiquidationOptions), JsValue> {
    let market = MarketArg::decode(market)?;
    let account = decoded(account, "account", account_spec)?;
    let params = params_from_js(params)?;
    let options = options_from_js(options)?;
    let (market, account) = validated(market, account, &params, &options)?;
    Ok((market, account, params, options))
}

/// Every index price per underlying at which equity = maintenance margin (health = 1) and at
/// which equity = 0, the nearest one, its distance in % and in σ·√horizon, and the linear
/// estimate beside them; in isolated mode also per position. `options`: sticky rule etc.
///
/// @throws {Error} with `code` and `field` as `margin()`.
#[wasm_bindgen(js_name = liquidationPrices)]
pub fn liquidation_prices(
    market: Ts<MarketSpec>,
    account: Ts<AccountSpec>,
    #[wasm_bindgen(unchecked_optional_param_type = "RiskParamsInput")] params: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "LiquidationOptionsInput")] options: Option<
        JsValue,
    >,
) -> Result<Ts<LiquidationReport>, JsValue> {
    let (market, account, params, options) =
        liquidation_args(&market.js_value(), &account.js_value(), params, options)?;
    let result = super::market_cache::with_scenarios(|scenarios| {
        liquidation::prices::liquidation_prices_cached(
            &market,
            &account,
            &params,
            &options,
            Some(scenarios),
        )
    })
    .map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&result)?))
}

/// The two-stage trigger: the linearised health check over its validity range and, when it
/// flags the account, the full liquidation prices confirming it.
#[wasm_bindgen(js_name = liquidationCheck)]
pub fn liquidation_check(
    market: Ts<MarketSpec>,
    account: Ts<AccountSpec>,
    #[wasm_bindgen(unchecked_optional_param_type = "RiskParamsInput")] params: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "LiquidationOptionsInput")] options: Option<
        JsValue,
    >,
) -> Result<Ts<LiquidationCheck>, JsValue> {
    let (market, account, params, options) =
        liquidation_args(&market.js_value(), &account.js_value(), params, options)?;
    let check =
        liquidation::linear::liquidation_check_validated(&market, &account, &params, &options)
            .map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&check)?))
}

/// The account before and after `order` fills: equity, IM, MM, free collateral, health and
/// liquidation prices, the exact impact, and `underCollateralised` / `liquidatable` flags.
#[wasm_bindgen(js_name = whatIf)]
pub fn what_if(
    market: Ts<MarketSpec>,
    account: Ts<AccountSpec>,
    order: Ts<Order>,
    #[wasm_bindgen(unchecked_optional_param_type = "RiskParamsInput")] params: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "LiquidationOptionsInput")] options: Option<
        JsValue,
    >,
) -> Result<Ts<WhatIfResult>, JsValue> {
    let market = MarketArg::decode(&market.js_value())?;
    let account = AccountArg::spec(decoded(&account.js_value(), "account", account_spec)?);
    what_if_decoded(market, account, &order.js_value(), params, options)
}

/// Internal (the package's `whatIf()` in `js/report.js` calls it; not in the typed API):
/// [`what_if`] with the account's positions as columns, as `__marginParts` takes them
/// (`account` then being the account without them).
#[wasm_bindgen(js_name = "__whatIfColumns", skip_typescript)]
#[allow(clippy::too_many_arguments)] // `whatIf`'s five arguments and the three columns
pub fn what_if_columns(
    market: JsValue,
    account: JsValue,
    order: JsValue,
    params: Option<JsValue>,
    options: Option<JsValue>,
    position_numbers: Vec<f64>,
    position_ids: js_sys::JsString,
    position_flags: Vec<u8>,
) -> Result<JsValue, JsValue> {
    let market = MarketArg::decode(&market)?;
    let ids = super::text::utf8(&position_ids).unwrap_or_default();
    let account = AccountArg::with_columns(
        decoded(&account, "account", account_spec)?,
        (&position_numbers, &ids, &position_flags),
    )?;
    Ok(what_if_decoded(market, account, &order, params, options)?.into())
}

/// [`what_if`] once the market and account are decoded. The last market, account and
/// parameters are kept validated, as for `margin()`, and the last account's summary before the
/// order (`what_if_cache`).
fn what_if_decoded(
    market: MarketArg,
    account: AccountArg,
    order: &JsValue,
    params: Option<JsValue>,
    options: Option<JsValue>,
) -> Result<Ts<WhatIfResult>, JsValue> {
    let order = decoded(order, "order", crate::json::liquidation::order)?;
    let (params, hash) = super::margin::checked_params(params)?;
    let options = options_from_js(options)?;
    // Validation in `liquidation::what_if`'s order: options, market, account.
    options
        .validate()
        .map_err(|e| to_js_error(e.within("options")))?;
    let market = market.validated()?;
    let account = account.validated()?;
    let key = what_if_cache::Key {
        market: market.clone(),
        account: account.clone(),
        params_hash: hash.to_string(),
        options: options.clone(),
    };
    let known_before = what_if_cache::known(&key);
    let computed_before = known_before.is_none();
    let result = super::market_cache::with_scenarios(|scenarios| {
        liquidation::what_if::what_if_hashed(
            &market,
            &account,
            &order,
            &params,
            &hash,
            &options,
            known_before,
            scenarios,
        )
    })
    .map_err(to_js_error)?;
    if computed_before {
        what_if_cache::keep(key, result.before.clone());
    }
    Ok(Ts::new_unchecked(to_js(&result)?))
}

/// The largest order size (contracts, a multiple of `options.sizeIncrement`, rounded down) that
/// keeps free collateral ≥ 0 after the fill at the mark.
#[wasm_bindgen(js_name = maxSize)]
pub fn max_size(
    market: Ts<MarketSpec>,
    account: Ts<AccountSpec>,
    #[wasm_bindgen(unchecked_param_type = "InstrumentSpec")] instrument: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Side")] side: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RiskParamsInput")] params: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "LiquidationOptionsInput")] options: Option<
        JsValue,
    >,
) -> Result<Ts<MaxSize>, JsValue> {
    let market = MarketArg::decode(&market.js_value())?;
    let account = decoded(&account.js_value(), "account", account_spec)?;
    let instrument = decoded(&instrument, "instrument", instrument_spec)?;
    let side = decoded(&side, "side", crate::json::liquidation::side)?;
    let params = params_from_js(params)?;
    let options = options_from_js(options)?;
    let (market, account) = validated(market, account, &params, &options)?;
    let result = super::market_cache::with_scenarios(|scenarios| {
        liquidation::what_if::max_size_cached(
            &market,
            &account,
            &instrument,
            side,
            &params,
            &options,
            scenarios,
        )
    })
    .map_err(to_js_error)?;
    Ok(Ts::new_unchecked(to_js(&result)?))
}
