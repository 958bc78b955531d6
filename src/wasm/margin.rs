//! `margin`, `profiles`, `defaultParams`: the margin API for JS. Conversion only, plus two speed
//! measures (`node bench/margin.mjs`, bench/README.md):
//! - The last `params` argument's resolved, validated parameters and their hash are kept, keyed
//!   by the argument's JSON text: an app calls `margin()` again and again with the same
//!   parameters, and resolving, validating and hashing them (canonical JSON + SHA-256) each time
//!   cost ≈ 0.6 M instructions natively, an eighth of the 500-leg cross book's `margin()`.
//! - `__marginParts` (not part of the typed API) returns the report for the package's JS entry
//!   points (`js/report.js`) as the JSON text of everything but the position lines, plus the
//!   lines as columns (one `Float64Array`, the instrument ids, presence flags), from which JS
//!   builds the same objects `JSON.parse` would: the 500 lines of a large book are 97 % of the
//!   report's text, and encoding them here and parsing them in JS cost more than the margin
//!   computation.

use super::account_cache::AccountArg;
use super::convert::{decoded, json_text, params_from_js, to_js, to_js_error};
use super::market_cache::MarketArg;
use crate::margin::compute::Detail;
use crate::margin::params::params_hash;
use crate::margin::portfolio::ScenarioPnl;
use crate::margin::report::PositionLine;
use crate::margin::{profiles, MarginReport, RiskParams};
use crate::market::MarketSpec;
use crate::portfolio::decode::account_spec;
use crate::portfolio::AccountSpec;
use crate::portfolio::{Account, Position};
use std::cell::RefCell;
use std::rc::Rc;
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
    let (report, _) = compute(market.js_value(), account.js_value(), params, None, true)?;
    Ok(Ts::new_unchecked(to_js(&report)?))
}

/// Internal (the package's `margin()` in `js/report.js` calls it; not in the typed API): the
/// report of [`margin`] as `[text]`, the report's JSON text, or, when its position lines can
/// travel as columns, `[text, numbers, ids, flags]`: `text` with `"positions": []`, `numbers` a
/// `Float64Array` of [`COLUMNS`] numbers per line, `ids` the lines' instrument ids joined by
/// `\n`, or, when they are the position ids sent in, line for line, the token JS may send
/// instead of those ids next time (see below), `flags` a
/// `Uint8Array` per line (bit 0: `requirement` present, bit 1: `isolatedHealth`);
/// followed, when the report has portfolio scenario rows that can travel as columns, by
/// `scenarioNumbers, scenarioStrings, scenarioFlags` ([`ScenarioColumns`]; `text` then has
/// `"scenarios": []`).
///
/// `position_numbers`, `position_ids`, `position_flags`: the account's positions as columns
/// ([`crate::portfolio::columns`]), `account` then being the account without them; `undefined`:
/// the positions are in `account`. `position_ids` is the ids joined by `\n`, or the token a
/// previous call returned for the ids it was sent ([`HeldIds`]): while that is still the last
/// ids sent, the token is as good as them; once it is not, the result is an empty array, before
/// any argument is decoded, and JS sends the ids.
#[wasm_bindgen(js_name = "__marginParts", skip_typescript)]
pub fn margin_parts(
    market: JsValue,
    account: JsValue,
    params: Option<JsValue>,
    position_numbers: Option<Vec<f64>>,
    position_ids: Option<JsValue>,
    position_flags: Option<Vec<u8>>,
) -> Result<js_sys::Array, JsValue> {
    let parts = js_sys::Array::new();
    let columns = match (position_numbers, position_ids, position_flags) {
        (Some(numbers), Some(ids), Some(flags)) => {
            let (text, token) = match ids.as_f64() {
                Some(sent) => {
                    // Taken out until this call ends: a call made meanwhile (a `toJSON` of an
                    // argument may call margin()) finds no token held.
                    let held = HELD_IDS.with_borrow_mut(|held| {
                        (held.token == sent).then(|| {
                            held.token = f64::NAN;
                            std::mem::take(&mut held.text)
                        })
                    });
                    match held {
                        Some(text) => (text, sent),
                        None => return Ok(parts),
                    }
                }
                // The ids through `TextEncoder` (wasm-bindgen's `String` argument copies ASCII
                // in a JS loop: 9 % of the call for the bench book's 500 ids).
                None => {
                    let token = HELD_IDS.with_borrow_mut(|held| {
                        held.issued += 1.0;
                        held.issued
                    });
                    let text = super::text::utf8(ids.unchecked_ref()).unwrap_or_default();
                    (text, token)
                }
            };
            Some((numbers, text, flags, token))
        }
        _ => None,
    };
    // The lines' ids are the account's position ids: read there, not cloned into the lines.
    let computed = compute(
        market,
        account,
        params,
        columns
            .as_ref()
            .map(|(numbers, ids, flags, _)| (numbers.as_slice(), ids.as_str(), flags.as_slice())),
        false,
    );
    // The token of the ids sent in, when they are the lines' ids, line for line (JS then
    // reuses its strings).
    let mut as_given = None;
    if let Some((_, text, _, token)) = columns {
        if let Ok((_, account)) = &computed {
            as_given = same_ids(text.as_bytes(), &account.positions).then_some(token);
        }
        HELD_IDS.with_borrow_mut(|held| {
            held.token = token;
            held.text = text;
        });
    }
    let (mut report, account) = computed?;
    match PositionColumns::of(&report.positions, &account.positions, as_given.is_some()) {
        Some(columns) => {
            report.positions = Vec::new();
            let scenarios = report.portfolio.as_mut().and_then(|portfolio| {
                let columns = ScenarioColumns::of(&portfolio.scenarios)?;
                portfolio.scenarios = Vec::new();
                Some(columns)
            });
            parts.push(&JsValue::from_str(&json(&report)?));
            parts.push(&js_sys::Float64Array::from(columns.numbers.as_slice()).into());
            parts.push(&match (&columns.ids, as_given) {
                (Some(ids), _) => JsValue::from_str(ids),
                (None, token) => JsValue::from_f64(token.unwrap_or(f64::NAN)),
            });
            parts.push(&js_sys::Uint8Array::from(columns.flags.as_slice()).into());
            if let Some(scenarios) = scenarios {
                parts.push(&js_sys::Float64Array::from(scenarios.numbers.as_slice()).into());
                parts.push(&JsValue::from_str(&scenarios.strings));
                parts.push(&js_sys::Uint8Array::from(scenarios.flags.as_slice()).into());
            }
        }
        None => {
            for line in &mut report.positions {
                if let Some(position) = account.positions.get(line.position) {
                    line.instrument = position.id.clone();
                }
            }
            parts.push(&JsValue::from_str(&json(&report)?));
        }
    }
    Ok(parts)
}

/// The position ids `__marginParts` was last sent (joined by `\n`, or by their token) and their
/// token, unique in this instance: `__marginParts` hands the token to JS, and JS sends it
/// instead of the ids while every id is the one it sent with them, which spares joining,
/// copying and decoding 500 ids (`js/report.js`). A token names only the ids it was issued for:
/// one that is not the last one here is refused (JS then sends the ids).
struct HeldIds {
    token: f64,
    text: String,
    /// The last token issued (exact in an f64, and so in JS, up to 2⁵³).
    issued: f64,
}

thread_local! {
    static HELD_IDS: RefCell<HeldIds> = const {
        RefCell::new(HeldIds { token: f64::NAN, text: String::new(), issued: 0.0 })
    };
}

/// Numbers per position line in `__marginParts`: value, delta, gamma, vega, theta, the
/// requirement's initial and maintenance (0 when absent), isolatedHealth (0 when absent).
const COLUMNS: usize = 8;

/// The position lines as columns (see [`margin_parts`]).
struct PositionColumns {
    numbers: Vec<f64>,
    /// The lines' instrument ids joined by `\n`; None when they are the account's position ids
    /// as JS sent them (JS has those strings already: no copy, decoding or splitting).
    ids: Option<String>,
    flags: Vec<u8>,
}

/// Whether `ids` (joined by `\n`) are the positions' ids, in order: each compared in place,
/// eight bytes at a time (no split, no `memcmp`: see [`crate::bytes`]).
fn same_ids(ids: &[u8], positions: &[Position]) -> bool {
    let mut at = 0;
    for (i, position) in positions.iter().enumerate() {
        let id = position.id.as_bytes();
        let end = at + id.len();
        let separated = if i + 1 == positions.len() {
            end == ids.len()
        } else {
            ids.get(end) == Some(&b'\n')
        };
        if !(separated
            && ids
                .get(at..end)
                .is_some_and(|x| crate::bytes::same_bytes(x, id)))
        {
            return false;
        }
        at = end + 1;
    }
    // Zero lines are never "as given" (JS sends no id column for an account without positions).
    !positions.is_empty()
}

impl PositionColumns {
    /// The columns of `lines`, whose ids are those of `positions` line for line, or None when
    /// JS could not rebuild exactly what `JSON.parse` of their JSON text gives: a non-finite
    /// number (JSON `null`), a line not at its own index or an id containing the separator.
    /// `as_given`: the positions' ids are the ids JS sent, line for line (JS then reuses its own
    /// strings; canonical ids most often are the ids as given).
    fn of(
        lines: &[PositionLine],
        positions: &[Position],
        as_given: bool,
    ) -> Option<PositionColumns> {
        let mut columns = PositionColumns {
            numbers: Vec::with_capacity(COLUMNS * lines.len()),
            ids: (!as_given).then(|| String::with_capacity(32 * lines.len())),
            flags: Vec::with_capacity(lines.len()),
        };
        for (i, line) in lines.iter().enumerate() {
            if line.position != i {
                return None;
            }
            let (mut flags, mut initial, mut maintenance) = (0, 0.0, 0.0);
            if let Some(requirement) = &line.requirement {
                (flags, initial, maintenance) = (1, requirement.initial, requirement.maintenance);
            }
            let isolated_health = line.isolated_health.unwrap_or(0.0);
            if line.isolated_health.is_some() {
                flags |= 2;
            }
            let numbers = [
                line.value,
                line.delta,
                line.gamma,
                line.vega,
                line.theta,
                initial,
                maintenance,
                isolated_health,
            ];
            if !numbers.iter().all(|x| x.is_finite()) {
                return None;
            }
            columns.numbers.extend_from_slice(&numbers);
            if let Some(ids) = columns.ids.as_mut() {
                let id = positions.get(i)?.id.as_str();
                if id.contains('\n') {
                    return None;
                }
                if i > 0 {
                    ids.push('\n');
                }
                ids.push_str(id);
            }
            columns.flags.push(flags);
        }
        Some(columns)
    }
}

/// Numbers per portfolio scenario row in `__marginParts`: spotMove, pnl, pnlUsd, rawPnl,
/// rawPnlUsd, volShock and weight (0 when absent).
const SCENARIO_COLUMNS: usize = 7;

/// The portfolio's scenario rows as columns (see [`margin_parts`]): parsing their JSON text in
/// JS cost more than the rest of the report's (70 rows for a BTC book in both settlements).
struct ScenarioColumns {
    numbers: Vec<f64>,
    /// underlying, currency and vol of each row, all joined by `\n`.
    strings: String,
    /// Bit 0: extended, 1: worst, 2: volShock present, 3: weight present.
    flags: Vec<u8>,
}

impl ScenarioColumns {
    /// The columns of `rows`, or None when JS could not rebuild exactly what `JSON.parse` gives
    /// (a non-finite number, a string containing the separator).
    fn of(rows: &[ScenarioPnl]) -> Option<ScenarioColumns> {
        let mut columns = ScenarioColumns {
            numbers: Vec::with_capacity(SCENARIO_COLUMNS * rows.len()),
            strings: String::with_capacity(16 * rows.len()),
            flags: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            let numbers = [
                row.spot_move,
                row.pnl,
                row.pnl_usd,
                row.raw_pnl,
                row.raw_pnl_usd,
                row.vol_shock.unwrap_or(0.0),
                row.weight.unwrap_or(0.0),
            ];
            if !numbers.iter().all(|x| x.is_finite()) {
                return None;
            }
            columns.numbers.extend_from_slice(&numbers);
            for text in [&row.underlying, &row.currency, &row.vol] {
                if text.contains('\n') {
                    return None;
                }
                if !columns.strings.is_empty() {
                    columns.strings.push('\n');
                }
                columns.strings.push_str(text);
            }
            columns.flags.push(
                u8::from(row.extended)
                    | u8::from(row.worst) << 1
                    | u8::from(row.vol_shock.is_some()) << 2
                    | u8::from(row.weight.is_some()) << 3,
            );
        }
        Some(columns)
    }
}

/// The JSON text of `report` (the CLI's document).
fn json(report: &MarginReport) -> Result<String, JsValue> {
    crate::json::write::to_string(report).map_err(to_js_error)
}

/// Decodes the arguments and computes the report (the parameters through [`checked_params`]),
/// with the validated account. `positions`: the account's positions as columns (numbers, ids,
/// flags), if they are not in `account`. `line_ids`: whether the report's position lines carry
/// their instrument ids (else they are empty: the account's positions have them).
fn compute(
    market: JsValue,
    account: JsValue,
    params: Option<JsValue>,
    positions: Option<(&[f64], &str, &[u8])>,
    line_ids: bool,
) -> Result<(MarginReport, Rc<Account>), JsValue> {
    // Validated below, after the other arguments are decoded (the CLI's order of errors).
    let market = MarketArg::decode(&market)?;
    let account = decoded(&account, "account", account_spec)?;
    let account = match positions {
        Some(columns) => AccountArg::with_columns(account, columns)?,
        None => AccountArg::spec(account),
    };
    let (params, hash) = checked_params(params)?;
    let models_checked = LAST_PARAMS.with_borrow(|last| {
        last.as_ref()
            .is_some_and(|last| Rc::ptr_eq(&last.params, &params) && last.models_checked)
    });
    let market = market.validated()?;
    let account = account.validated()?;
    let detail = if line_ids {
        Detail::Full
    } else {
        Detail::WithoutLineIds
    };
    super::market_cache::with_scenarios(|scenarios| {
        crate::margin::compute::margin_detailed(
            &market,
            &account,
            &params,
            &hash,
            models_checked,
            detail,
            Some(scenarios),
        )
    })
    .map(|report| (report, account))
    .map_err(to_js_error)
}

/// The last `params` argument's parameters, validated, and their hash.
struct CheckedParams {
    /// The argument's JSON text; None for `undefined`/`null` (the `drr` profile).
    key: Option<String>,
    params: Rc<RiskParams>,
    hash: Rc<str>,
    /// The standard and portfolio parameters validate too (checked once here, not per call;
    /// when false, `margin()` validates them on every call and reports their error).
    models_checked: bool,
}

thread_local! {
    static LAST_PARAMS: RefCell<Option<CheckedParams>> = const { RefCell::new(None) };
}

/// The resolved and validated parameters of a `params` argument and their hash: from the last
/// call when the argument's JSON text is the same (resolution is a function of that text), else
/// resolved, validated and hashed anew (errors as `margin()` reports them, nothing kept).
pub(super) fn checked_params(
    params: Option<JsValue>,
) -> Result<(Rc<RiskParams>, Rc<str>), JsValue> {
    let params = params.filter(|p| !p.is_undefined() && !p.is_null());
    let key = params
        .as_ref()
        .map(|p| json_text(p, "params"))
        .transpose()?;
    let last = LAST_PARAMS.with_borrow(|last| {
        last.as_ref()
            .filter(|last| last.key == key)
            .map(|last| (last.params.clone(), last.hash.clone()))
    });
    if let Some(hit) = last {
        return Ok(hit);
    }
    let resolved = params_from_js(params)?;
    resolved
        .validate()
        .map_err(|e| to_js_error(e.within("params")))?;
    let hash: Rc<str> = params_hash(&resolved).map_err(to_js_error)?.into();
    let resolved = Rc::new(resolved);
    let models_checked =
        resolved.standard.validate().is_ok() && resolved.portfolio.validate().is_ok();
    LAST_PARAMS.set(Some(CheckedParams {
        key,
        params: resolved.clone(),
        hash: hash.clone(),
        models_checked,
    }));
    Ok((resolved, hash))
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
