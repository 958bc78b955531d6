//! The risk matrix's node cache (`drr_margin::margin::ScenarioCache`) never changes a report:
//! with one cache carried across accounts, markets and parameters that differ in one pricing
//! input at a time (σ of one option, the rate, the index, `now`) or in the grid's parameters,
//! `margin_validated_cached` gives byte for byte the JSON report of `margin_validated`; and the
//! engine (which keeps one cache for all its accounts) reports after every event of the recorded
//! stream what a fresh `margin_validated` computes for the same market and account.
//!
//! The reference is the uncached computation, so these tests check the cache's keys and
//! invalidation, not the model (the model's own tests do that).

#![allow(clippy::unwrap_used)] // test code

use drr_margin::engine::{EngineParams, Event, MarginEngine};
use drr_margin::json;
use drr_margin::margin::{
    margin_validated, margin_validated_cached, profiles, RiskParams, ScenarioCache,
};
use drr_margin::market::{Market, MarketSpec};
use drr_margin::portfolio::{Account, AccountSpec};
use serde_json::{json, Value};

#[path = "common/books.rs"]
mod books;

const MARKET: &str = include_str!("fixtures/market.json");
const EVENTS: &str = include_str!("fixtures/events.ndjson");
const PORTFOLIO_PROFILES: [&str; 4] = [
    "drr",
    "deribit-portfolio",
    "paradex-portfolio",
    "cme-span-16",
];

fn market_value() -> Value {
    serde_json::from_str(MARKET).unwrap()
}

fn market(value: &Value) -> Market {
    Market::new(json::from_value::<MarketSpec>(value.clone()).unwrap()).unwrap()
}

/// A portfolio book of `legs` BTC and ETH options (three expiries, linear and inverse, calls
/// and puts, long and short, some strikes repeated) and two perpetuals; `seed` varies it.
fn book(legs: usize, seed: u64) -> Account {
    let spec: AccountSpec = json::from_value(json!({
        "mode": "portfolio",
        "collateral": {"USDC": 2_000_000, "BTC": 3},
        "positions": books::positions(legs, seed, 4)
    }))
    .unwrap();
    Account::new(&spec).unwrap()
}

fn report_json(report: &drr_margin::margin::MarginReport) -> String {
    serde_json::to_string(report).unwrap()
}

/// Markets that differ from the fixture's in one pricing input of the grid's nodes each.
fn market_variants() -> Vec<(&'static str, Market)> {
    let base = market_value();
    let mut sigma = base.clone();
    // One option's σ only (its forward, expiry, strike and discount unchanged).
    sigma["underlyings"]["BTC"]["markIv"] = json!({"BTC_USDC-25DEC26-90000-P": 0.61});
    let mut rate = base.clone();
    // Every BTC node's discount factor only (the forwards are listed prices).
    rate["underlyings"]["BTC"]["rate"] = json!(0.02);
    let mut index = base.clone();
    index["underlyings"]["BTC"]["index"]["price"] = json!(99_100.0);
    let mut later = base.clone();
    // Time to expiry: one hour on.
    let now = base["now"].as_i64().unwrap() + 3_600_000;
    later["now"] = json!(now);
    for u in ["BTC", "ETH"] {
        later["underlyings"][u]["index"]["publishTime"] = json!(now);
    }
    vec![
        ("fixture", market(&base)),
        ("one option's markIv", market(&sigma)),
        ("BTC rate", market(&rate)),
        ("BTC index", market(&index)),
        ("one hour later", market(&later)),
        ("fixture again", market(&base)),
    ]
}

fn params(profile: &str, overrides: Value) -> RiskParams {
    let mut input = json!({ "profile": profile });
    if let (Some(map), Some(extra)) = (input.as_object_mut(), overrides.as_object()) {
        map.extend(extra.clone());
    }
    profiles::resolve(Some(input)).unwrap()
}

#[test]
fn cached_reports_equal_uncached_whatever_the_cache_holds() {
    let accounts = [book(60, 1), book(60, 2), book(15, 1), book(120, 3)];
    let markets = market_variants();
    let cache = ScenarioCache::new();
    let mut compared = 0;
    for profile in PORTFOLIO_PROFILES {
        // The same nodes under other grid parameters: a wider vol shock.
        let variants = [
            params(profile, json!({})),
            params(
                profile,
                json!({"portfolio": {"defaultUnderlying": {"volatilityRangeUp": 0.9}}}),
            ),
        ];
        for risk in &variants {
            for (name, m) in &markets {
                for (a, account) in accounts.iter().enumerate() {
                    let fresh = margin_validated(m, account, risk).unwrap();
                    let cached = margin_validated_cached(m, account, risk, &cache).unwrap();
                    // Not assert_eq!: a report is tens of KB of JSON.
                    assert!(
                        report_json(&cached) == report_json(&fresh),
                        "{profile}, market {name}, account {a}: cached report differs"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 4 * 2 * 6 * 4);
    // The cache was used (each vector's nodes of the last market and parameters are held).
    assert!(cache.nodes() > 0);
}

#[test]
fn a_forgotten_underlying_and_a_cleared_cache_change_nothing() {
    let markets = market_variants();
    let risk = params("drr", json!({}));
    let account = book(80, 7);
    let cache = ScenarioCache::new();
    for (name, m) in &markets {
        let fresh = report_json(&margin_validated(m, &account, &risk).unwrap());
        let first = report_json(&margin_validated_cached(m, &account, &risk, &cache).unwrap());
        let held = cache.nodes();
        assert!(held > 0, "{name}: nothing cached");
        // A second call finds every node: the cache does not grow.
        let second = report_json(&margin_validated_cached(m, &account, &risk, &cache).unwrap());
        assert_eq!(cache.nodes(), held, "{name}");
        cache.forget_underlying("BTC");
        assert!(cache.nodes() < held, "{name}: BTC's nodes forgotten");
        let third = report_json(&margin_validated_cached(m, &account, &risk, &cache).unwrap());
        cache.clear();
        assert_eq!(cache.nodes(), 0);
        for (what, got) in [("first", first), ("second", second), ("third", third)] {
            assert!(got == fresh, "{name}: {what} cached call differs");
        }
    }
}

#[test]
fn engine_reports_equal_a_fresh_computation_after_every_event() {
    for profile in ["drr", "deribit-portfolio"] {
        let params = EngineParams::resolve(Some(json!({ "profile": profile }))).unwrap();
        let risk = params.risk().clone();
        let mut engine = MarginEngine::new(params);
        let mut portfolio_reports = 0;
        for (n, line) in EVENTS.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let event = Event::from_value(serde_json::from_str(line).unwrap()).unwrap();
            // Some recorded events are refused on purpose (the stream tests errors too).
            if engine.apply(event).is_err() {
                continue;
            }
            let Some(m) = engine.market() else { continue };
            let ids: Vec<String> = engine.account_ids().map(str::to_string).collect();
            for id in ids {
                let account = Account::new(engine.account(&id).unwrap()).unwrap();
                let fresh = margin_validated(m, &account, &risk);
                let held = engine.report(&id);
                match (held, fresh) {
                    (Ok(held), Ok(fresh)) => {
                        assert!(
                            report_json(&held) == report_json(&fresh),
                            "{profile}: event {n}, account {id}: engine report differs"
                        );
                        if account.mode == drr_margin::portfolio::MarginMode::Portfolio {
                            portfolio_reports += 1;
                        }
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (held, fresh) => panic!("{profile}: event {n}, {id}: {held:?} vs {fresh:?}"),
                }
            }
        }
        assert!(portfolio_reports > 100, "{profile}: {portfolio_reports}");
    }
}

#[test]
fn rows_a_node_cannot_price_are_the_same_with_a_cache() {
    // An option one hour before expiry at σ = 500 % whose vol-up shock (σ·(1 + 10·30/DTE))
    // exceeds the shocked-vol limit: the kernel cannot price its node in those rows, which then
    // take the per-leg path.
    let mut value = market_value();
    let expiry = 1_798_185_600_000_i64; // 25DEC26 08:00 UTC
    let now = expiry - 3_600_000;
    value["now"] = json!(now);
    for u in ["BTC", "ETH"] {
        value["underlyings"][u]["index"]["publishTime"] = json!(now);
    }
    if let Some(btc) = value["underlyings"]["BTC"].as_object_mut() {
        btc.remove("vol");
    }
    value["underlyings"]["BTC"]["markIv"] = json!({
        "BTC_USDC-25DEC26-100000-C": 5.0,
        "BTC_USDC-26MAR27-100000-P": 0.6
    });
    let m = market(&value);
    let spec: AccountSpec = json::from_value(json!({
        "mode": "portfolio",
        "collateral": {"USDC": 1_000_000},
        "positions": [
            {"instrument": "BTC_USDC-25DEC26-100000-C", "size": -1},
            {"instrument": "BTC_USDC-26MAR27-100000-P", "size": 2},
            {"instrument": "BTC_USDC-PERPETUAL", "size": 0.5, "entryPrice": 98000}
        ]
    }))
    .unwrap();
    let account = Account::new(&spec).unwrap();
    let risk = params(
        "drr",
        json!({"portfolio": {"defaultUnderlying": {"volatilityRangeUp": 10, "shortTermVegaPower": 1}}}),
    );
    let fresh = report_json(&margin_validated(&m, &account, &risk).unwrap());
    let cache = ScenarioCache::new();
    for call in 0..2 {
        let cached = report_json(&margin_validated_cached(&m, &account, &risk, &cache).unwrap());
        assert!(cached == fresh, "call {call}: cached report differs");
    }
}

/// Options' unit values (value and Greeks per unit, the report's lines) are kept per validated
/// underlying: a liquidation or what-if trial moves one underlying and shares the other's data,
/// whose options are then valued once for the whole scan. Carried through trials that move ETH,
/// then BTC, then ETH again, for accounts in cross and portfolio mode that hold an inverse and a
/// linear option of equal terms with different mark IVs (so a key without the settlement would
/// show), every report equals the uncached one.
#[test]
fn unit_values_kept_for_unmoved_underlyings_never_change_a_report() {
    use drr_margin::liquidation::{LiquidationOptions, Shifter};
    let mut value = market_value();
    value["underlyings"]["BTC"]["markIv"] = json!({"BTC-25DEC26-90000-P": 0.71});
    let base = market(&value);
    let pair = [
        json!({"instrument": "BTC-25DEC26-90000-P", "size": -2}),
        json!({"instrument": "BTC_USDC-25DEC26-90000-P", "size": 3}),
        json!({"instrument": "BTC_USDC-25DEC26-90000-C", "size": -1}),
    ];
    let accounts: Vec<Account> =
        ["cross", "portfolio"]
            .iter()
            .flat_map(|mode| {
                [4_u64, 5].map(|seed| {
                    let book = book(30, seed);
                    let mut positions: Vec<Value> = pair.to_vec();
                    positions.extend(book.positions.iter().map(
                        |p| json!({"instrument": p.id, "size": p.amount, "entryPrice": 1000}),
                    ));
                    let spec: AccountSpec = json::from_value(json!({
                        "mode": mode,
                        "collateral": {"USDC": 2_000_000, "BTC": 3},
                        "positions": positions
                    }))
                    .unwrap();
                    Account::new(&spec).unwrap()
                })
            })
            .collect();
    let risk = params("drr", json!({}));
    let options = LiquidationOptions::default();
    let cache = ScenarioCache::new();
    let mut compared = 0;
    for (underlying, ratios) in [
        ("ETH", [0.97, 0.95, 1.02]),
        ("BTC", [1.01, 0.98, 0.99]),
        ("ETH", [1.03, 0.9, 1.0]),
    ] {
        for ratio in ratios {
            for (a, account) in accounts.iter().enumerate() {
                let shifter = Shifter::new(&base, account, underlying, &options).unwrap();
                let moved = shifter.market_at(ratio).unwrap();
                let fresh = margin_validated(&moved, account, &risk).unwrap();
                let cached = margin_validated_cached(&moved, account, &risk, &cache).unwrap();
                assert!(
                    report_json(&cached) == report_json(&fresh),
                    "{underlying} × {ratio}, account {a}: cached report differs"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 3 * 3 * 4);
}

/// The vector's kept grouping of legs into pricing nodes is checked, never trusted: one cache
/// computes a book, then the book with one amount changed, with one option swapped for the call
/// or put of another leg's expiry and strike (nodes merge), with a leg removed, and the markets
/// where one option's own σ splits a call and put's node; every report equals the uncached one.
#[test]
fn a_kept_grouping_of_legs_is_never_reused_for_another_book_or_market() {
    let positions = |edit: &dyn Fn(&mut Vec<Value>)| {
        let mut positions = vec![
            json!({"instrument": "BTC_USDC-25DEC26-90000-C", "size": 1.5}),
            json!({"instrument": "BTC_USDC-25DEC26-90000-P", "size": -2}),
            json!({"instrument": "BTC_USDC-26MAR27-90000-P", "size": 0.5}),
            json!({"instrument": "BTC_USDC-25DEC26-100000-C", "size": -1}),
            json!({"instrument": "BTC_USDC-PERPETUAL", "size": 0.3, "entryPrice": 98000}),
            json!({"instrument": "BTC_USDC-25DEC26-90000-C", "size": 0.25}),
        ];
        edit(&mut positions);
        let spec: AccountSpec = json::from_value(json!({
            "mode": "portfolio",
            "collateral": {"USDC": 2_000_000},
            "positions": positions
        }))
        .unwrap();
        Account::new(&spec).unwrap()
    };
    let books = [
        positions(&|_| {}),
        positions(&|p| p[1]["size"] = json!(-2.5)),
        positions(&|p| p[3]["instrument"] = json!("BTC_USDC-26MAR27-90000-C")),
        positions(&|p| p[2]["instrument"] = json!("BTC_USDC-25DEC26-100000-P")),
        positions(&|p| {
            p.remove(0);
        }),
        positions(&|p| p.swap(0, 3)),
    ];
    let base = market_value();
    let mut split = base.clone();
    // The put's own σ: the 25DEC26 90000 call and put no longer share a node.
    split["underlyings"]["BTC"]["markIv"] = json!({"BTC_USDC-25DEC26-90000-P": 0.61});
    // Each book on the fixture, then split, then joined again: the kept grouping must be
    // found wrong both ways.
    let markets = [market(&base), market(&split), market(&base)];
    let cache = ScenarioCache::new();
    for profile in ["drr", "deribit-portfolio"] {
        let risk = params(profile, json!({}));
        for (b, account) in books.iter().enumerate() {
            for (m, market) in markets.iter().enumerate() {
                // Each book twice in a row: the second computation reuses its own grouping.
                for call in 0..2 {
                    let fresh = margin_validated(market, account, &risk).unwrap();
                    let cached = margin_validated_cached(market, account, &risk, &cache).unwrap();
                    assert!(
                        report_json(&cached) == report_json(&fresh),
                        "{profile}, market {m}, book {b}, call {call}: cached report differs"
                    );
                }
            }
        }
    }
}
