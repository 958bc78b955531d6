//! Robustness fuzzing of every exported entry point (issue 6): arbitrary mutations of valid JSON
//! inputs, and arbitrary typed-array columns, fed to what the JS functions and the CLI call.
//!
//! Each case starts from a valid input (the sample market and accounts, parameter overrides, price
//! and implied-vol requests) and applies 1–6 random mutations anywhere in the JSON tree: delete a
//! key, replace a value by an extreme or wrongly typed one (NaN/∞ arrive as `null` from JS, −0,
//! 1e308, negative, empty string/object/array, a nonsense instrument id…), duplicate or drop an
//! array element, scale a number. The entry point must then either return a result in which
//! every number is finite, or a coded error (`E_…`) with a message; a panic fails the test with the
//! mutated input printed. The inputs are decoded exactly as the JS binding decodes them (JSON text
//! through `drr_margin::json`), so this covers the JS path too.
//!
//! Cases: 256 by default (`npm test`); set `DRR_FUZZ_CASES` for long runs, e.g.
//! `DRR_FUZZ_CASES=1000000 cargo test --release --test fuzz_entry_points` (the run recorded in the
//! issue note). Seeded: `PROPTEST_RNG_SEED` picks another sequence.
//!
//! Found and fixed when this harness was written: subnormal prices and volatilities (5e-324) and
//! t = 1e308 years gave NaN/∞ prices (now refused by `Price`, `Vol`, `YearFrac` bounds), and an
//! oracle confidence of 9e299 gave a NaN requirement (now refused: conf ≤ index price); a
//! publishTime of i64::MIN overflowed the staleness (timestamps now in [0, 2^53 − 1]). The first
//! 10⁶-case run found impliedVol = ∞ for a subnormal strike (IV inputs now share the pricing
//! domains) and ∞ in liquidation output for a −1e308 collateral balance (amounts ≤ ±1e15).

#![cfg(not(target_arch = "wasm32"))]
// Helpers outside #[test] functions unwrap too (`allow-unwrap-in-tests` covers only the tests).
#![allow(clippy::unwrap_used)]

use drr_margin::engine::{EngineParams, Event, MarginEngine};
use drr_margin::json::liquidation::liquidation_options;
use drr_margin::liquidation::{self, LiquidationOptions, Order, Side};
use drr_margin::margin::{margin, profiles};
use drr_margin::market::{decode::market_spec, MarketSpec};
use drr_margin::portfolio::decode::{account_spec, instrument_spec};
use drr_margin::portfolio::{AccountSpec, InstrumentSpec};
use drr_margin::pricing::batch::{
    implied_vol_batch, price_batch, Column, ImpliedVolColumns, PriceColumns,
};
use drr_margin::pricing::{implied_vol_request, price_request};
use drr_margin::{json, Error};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

const CODES: [&str; 7] = [
    "E_INVALID_INPUT",
    "E_INVALID_VOL",
    "E_NO_ARBITRAGE_BOUND",
    "E_NO_CONVERGENCE",
    "E_MISSING_MARKET_DATA",
    "E_STALE_ORACLE",
    // A withdrawal that would leave free collateral below 0 (the engine's accounts drift under
    // the mutated fills of a long run until one is refused).
    "E_INSUFFICIENT_MARGIN",
];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One mutation: which node (by pre-order index, modulo the node count), what to do, a parameter.
type Mutation = (u32, u8, u32);

/// Values a mutation may put anywhere.
fn replacement(aux: u32) -> Value {
    match aux % 18 {
        0 => Value::Null, // JS NaN / ±Infinity after JSON.stringify
        1 => json!(-0.0),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1e308),
        5 => json!(-1e308),
        6 => json!(5e-324),
        7 => json!(""),
        8 => json!({}),
        9 => json!([]),
        10 => json!(true),
        11 => json!("BTC-27DEC26-100000-X"),
        12 => json!("ETH_USDC-01JAN20-3000-C"),
        13 => json!(9_007_199_254_740_993_i64),
        14 => json!(-9_223_372_036_854_775_808_i64),
        15 => json!("1e5"),
        16 => json!(1.5),
        _ => json!([1, "a", null]),
    }
}

/// Applies `m` to the node with pre-order index `target` (counting from 0 at the root).
fn mutate(value: &mut Value, m: Mutation) {
    let count = count_nodes(value);
    let mut target = m.0 as usize % count;
    apply(value, &mut target, m.1, m.2);
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Walks to the target node; returns true once it has been mutated.
fn apply(value: &mut Value, target: &mut usize, op: u8, aux: u32) -> bool {
    if *target == 0 {
        match (op % 6, &mut *value) {
            // Delete a key of an object, or an element of an array.
            (0, Value::Object(map)) if !map.is_empty() => {
                let key = map.keys().nth(aux as usize % map.len()).cloned();
                if let Some(key) = key {
                    map.remove(&key);
                }
            }
            (0, Value::Array(items)) if !items.is_empty() => {
                items.remove(aux as usize % items.len());
            }
            // Duplicate an array element (e.g. the same position twice, a repeated strike).
            (1, Value::Array(items)) if !items.is_empty() => {
                let copy = items[aux as usize % items.len()].clone();
                items.push(copy);
            }
            // Scale a number (sign flips, tiny and huge values).
            (2, Value::Number(n)) => {
                let factors = [-1.0, 0.0, 1e-12, 1e12, 0.5, 2.0, 1e300];
                let x = n.as_f64().unwrap_or(1.0) * factors[aux as usize % factors.len()];
                *value = serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
            }
            // Add an unknown key to an object.
            (3, Value::Object(map)) => {
                map.insert(format!("unknown{}", aux % 3), replacement(aux));
            }
            _ => *value = replacement(aux),
        }
        return true;
    }
    *target -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|item| apply(item, target, op, aux)),
        Value::Object(map) => map.values_mut().any(|item| apply(item, target, op, aux)),
        _ => false,
    }
}

/// The first non-finite number in `value` (as serialized), if any. Serializes through
/// `serde_value`, which keeps NaN and ±∞ as floats (serde_json would turn them into `null`).
fn non_finite<T: Serialize>(value: &T) -> Option<f64> {
    fn walk(v: &serde_value::Value) -> Option<f64> {
        use serde_value::Value as V;
        match v {
            V::F64(x) if !x.is_finite() => Some(*x),
            V::F32(x) if !x.is_finite() => Some(f64::from(*x)),
            V::Option(Some(inner)) | V::Newtype(inner) => walk(inner),
            V::Seq(items) => items.iter().find_map(walk),
            V::Map(map) => map.values().find_map(walk),
            _ => None,
        }
    }
    walk(&serde_value::to_value(value).expect("outputs serialize"))
}

/// Failures found so far in this test binary (each test checks its own count at the end).
static FAILURES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Checks one entry point's outcome and records a failure (panic, non-finite output, uncoded
/// error) with its input rather than stopping, so one run lists every distinct problem.
fn check<T: Serialize>(
    what: &str,
    input: &dyn std::fmt::Display,
    f: impl FnOnce() -> Result<T, Error>,
) {
    let problem = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(out)) => non_finite(&out).map(|x| format!("non-finite number {x} in the output")),
        Ok(Err(err)) if !CODES.contains(&err.code()) => {
            Some(format!("unexpected code {}", err.code()))
        }
        Ok(Err(err)) if err.to_string().is_empty() => Some("empty error message".to_string()),
        Ok(Err(_)) => None,
        Err(_) => Some("panicked".to_string()),
    };
    if let Some(problem) = problem {
        let mut failures = FAILURES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.push(format!("{what}: {problem} for input:\n{input}"));
    }
}

/// Fails the calling test if any of its cases failed, showing the first few.
fn assert_no_failures(what: &str) {
    let failures = FAILURES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mine: Vec<&String> = failures.iter().filter(|f| f.starts_with(what)).collect();
    assert!(
        mine.is_empty(),
        "{} failing cases; the first:\n{}",
        mine.len(),
        mine.iter()
            .take(5)
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Decodes `text` as the JS binding does (`json::decode_str` with the hand-written decoders),
/// then computes the margin report.
fn margin_entry(
    market: &Value,
    account: &Value,
    params: Option<&Value>,
) -> Result<impl Serialize, Error> {
    let market: MarketSpec = json::decode_str(&market.to_string(), "market", market_spec)?;
    let account: AccountSpec = json::decode_str(&account.to_string(), "account", account_spec)?;
    let params = profiles::resolve(params.cloned())?;
    margin(&market, &account, &params)
}

fn cases() -> u32 {
    std::env::var("DRR_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

fn runner() -> TestRunner {
    runner_with_cases(cases())
}

fn runner_with_cases(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0x00d2_2a11);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..=6)
}

#[test]
fn margin_never_panics_and_never_returns_non_finite_numbers() {
    let market = fixture("market.json");
    let accounts = [fixture("account.json"), fixture("account-portfolio.json")];
    let profile_names: Vec<String> = profiles::profiles().into_iter().map(|p| p.name).collect();
    runner()
        .run(
            &(mutations(), 0..3u8, any::<u32>(), any::<u8>()),
            |(ms, which, account_pick, profile_pick)| {
                let mut market = market.clone();
                let mut account = accounts[account_pick as usize % accounts.len()].clone();
                let name = &profile_names[profile_pick as usize % profile_names.len()];
                // The SPAN inter-commodity spreads ride along (used by portfolio-mode books).
                let mut params = json!({ "profile": name, "drr": { "kMaintenance": 2.5 },
                    "portfolio": { "interSpreads": [{ "rate": 0.5, "legs": [
                        { "underlying": "BTC", "delta": 1 }, { "underlying": "ETH", "delta": -25 }] }] } });
                for m in ms {
                    match which {
                        0 => mutate(&mut market, m),
                        1 => mutate(&mut account, m),
                        _ => mutate(&mut params, m),
                    }
                }
                let shown = match which {
                    0 => format!("market {market}\nparams {params}"),
                    1 => format!("account {account}\nparams {params}"),
                    _ => format!("params {params}"),
                };
                check("margin", &shown, || {
                    margin_entry(&market, &account, Some(&params))
                });
                Ok(())
            },
        )
        .unwrap();
    assert_no_failures("margin");
}

#[test]
fn price_and_implied_vol_never_panic() {
    let price_seed = json!({"kind": "call", "forward": 100000, "strike": 110000, "t": 0.1, "vol": 0.6, "rate": 0.03, "inverse": false});
    let iv_seed = json!({"kind": "put", "price": 3900, "forward": 100000, "strike": 110000, "t": 0.1, "rate": 0.0});
    runner()
        .run(&(mutations(), any::<bool>()), |(ms, iv)| {
            let mut request = if iv {
                iv_seed.clone()
            } else {
                price_seed.clone()
            };
            for m in ms {
                mutate(&mut request, m);
            }
            let text = request.to_string();
            if iv {
                check("impliedVol", &text, || {
                    json::decode_str(&text, "", implied_vol_request)?.evaluate()
                });
            } else {
                check("price", &text, || {
                    json::decode_str(&text, "", price_request)?.evaluate()
                });
            }
            Ok(())
        })
        .unwrap();
    assert_no_failures("price");
    assert_no_failures("impliedVol");
}

/// Floats a typed array can hold, including every special value.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.0),
        1e-3..1e6f64,
    ]
}

#[test]
fn batch_columns_never_panic() {
    let rows = || prop::collection::vec(any_float(), 0..6);
    runner()
        .run(
            &(
                rows(),
                rows(),
                rows(),
                rows(),
                prop::collection::vec(any::<i8>(), 0..6),
                any_float(),
            ),
            |(a, b, c, d, kinds, scalar)| {
                let shown = format!("{a:?} {b:?} {c:?} {d:?} {kinds:?} {scalar:?}");
                check("priceBatch", &shown, || {
                    price_batch(&PriceColumns {
                        kind: Column::Values(&kinds),
                        forward: &a,
                        strike: Column::Values(&b),
                        t: Column::Scalar(scalar),
                        vol: Column::Values(&c),
                        rate: Column::Values(&d),
                        inverse: scalar > 1.0,
                    })
                });
                check("impliedVolBatch", &shown, || {
                    implied_vol_batch(&ImpliedVolColumns {
                        kind: Column::Scalar(kinds.first().copied().unwrap_or(1)),
                        price: &a,
                        forward: Column::Values(&b),
                        strike: Column::Values(&c),
                        t: Column::Values(&d),
                        rate: Column::Scalar(scalar),
                    })
                });
                Ok(())
            },
        )
        .unwrap();
    assert_no_failures("priceBatch");
    assert_no_failures("impliedVolBatch");
}

#[test]
fn liquidation_what_if_and_max_size_never_panic() {
    let market = fixture("market.json");
    let account = fixture("account.json");
    let order = json!({"instrument": "BTC_USDC-26MAR27-100000-C", "size": 1.5, "side": "sell", "price": 9000});
    let options = json!({"sticky": "moneyness", "whatIfPrices": "estimate", "sizeIncrement": 0.01});
    // liquidationPrices costs ~200 full margin runs: a tenth of the cases.
    runner_with_cases(cases() / 10 + 1)
        .run(&(mutations(), 0..4u8, 0..4u8), |(ms, which, function)| {
            let (mut market, mut account, mut order, mut options) = (
                market.clone(),
                account.clone(),
                order.clone(),
                options.clone(),
            );
            for m in ms {
                match which {
                    0 => mutate(&mut market, m),
                    1 => mutate(&mut account, m),
                    2 => mutate(&mut order, m),
                    _ => mutate(&mut options, m),
                }
            }
            let shown = match which {
                0 => format!("market {market}"),
                1 => format!("account {account}"),
                2 => format!("order {order}"),
                _ => format!("options {options}"),
            };
            let decoded = || -> Result<(MarketSpec, AccountSpec, LiquidationOptions), Error> {
                Ok((
                    json::decode_str(&market.to_string(), "market", market_spec)?,
                    json::decode_str(&account.to_string(), "account", account_spec)?,
                    json::decode_str(&options.to_string(), "options", liquidation_options)?,
                ))
            };
            let params = profiles::resolve(None).unwrap();
            match function {
                0 => check("liquidationPrices", &shown, || {
                    let (m, a, o) = decoded()?;
                    liquidation::liquidation_prices(&m, &a, &params, &o)
                }),
                1 => check("liquidationCheck", &shown, || {
                    let (m, a, o) = decoded()?;
                    liquidation::liquidation_check(&m, &a, &params, &o)
                }),
                2 => check("whatIf", &shown, || {
                    let (m, a, o) = decoded()?;
                    let order: Order =
                        json::decode_str(&order.to_string(), "order", json::liquidation::order)?;
                    liquidation::what_if(&m, &a, &order, &params, &o)
                }),
                _ => check("maxSize", &shown, || {
                    let (m, a, o) = decoded()?;
                    let instrument: InstrumentSpec = json::decode_str(
                        &order["instrument"].to_string(),
                        "instrument",
                        instrument_spec,
                    )?;
                    let side: Side = json::decode_str(
                        &order["side"].to_string(),
                        "side",
                        json::liquidation::side,
                    )?;
                    liquidation::max_size(&m, &a, &instrument, side, &params, &o)
                }),
            }
            Ok(())
        })
        .unwrap();
    for what in ["liquidationPrices", "liquidationCheck", "whatIf", "maxSize"] {
        assert_no_failures(what);
    }
}

#[test]
fn engine_events_never_panic() {
    let path = format!(
        "{}/tests/fixtures/events.ndjson",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut events: Vec<Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // The session has no feed confidence scores: two such events join the pool.
    events.push(
        json!({"type": "feedConfidence", "underlyings": {"BTC": {"spot": 0.4, "perp": 0.9,
        "expiries": [{"expiry": 1_798_185_600_000_i64, "forward": 0.5, "rate": 1, "vol": 0.3}]}},
        "collateral": {"USDC": 0.8}}),
    );
    events.push(json!({"type": "feedConfidence", "underlyings": {"ETH": {"spot": 0.2}}}));
    // The session's set-up (market and accounts), then mutated later events, one engine throughout
    // (a refused event must leave it unchanged, so the state stays valid).
    let mut engine = MarginEngine::new(EngineParams::resolve(None).unwrap());
    let setup = events
        .iter()
        .take_while(|e| e["type"] == "setMarket" || e["type"] == "upsertAccount");
    for event in setup {
        engine
            .apply(Event::from_json(&event.to_string()).unwrap())
            .unwrap();
    }
    let ids = ["sample-trader", "sample-trader-pm", "leveraged"];
    let engine = std::cell::RefCell::new(engine);
    runner()
        .run(&(mutations(), any::<u32>()), |(ms, pick)| {
            let mut event = events[4 + pick as usize % (events.len() - 4)].clone();
            for m in ms {
                mutate(&mut event, m);
            }
            let text = event.to_string();
            let mut engine = engine.borrow_mut();
            check("engine.apply", &text, || {
                engine.apply(Event::from_json(&text)?)
            });
            check("engine.report", &text, || {
                engine.report(ids[pick as usize % ids.len()])
            });
            Ok(())
        })
        .unwrap();
    assert_no_failures("engine");
}
