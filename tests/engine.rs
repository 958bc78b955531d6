//! The recalibration engine end to end: incremental recomputation equals `margin()` of the same
//! state from scratch (the engine's own invariant), thresholds and level crossings as configured,
//! expiry settlement against hand-computed intrinsic values, fills and funding against
//! hand-computed cash, snapshot/restore determinism, coded errors with field paths, and the
//! update encoding decoded by an independent decoder written here from the documented layout
//! (src/engine/update.rs).
#![allow(clippy::unwrap_used)] // test code

use drr_margin::engine::{
    replay, EngineConfig, EngineParams, Event, HealthLevel, IndexUpdate, MarginEngine,
    MarginUpdate, UpdateReason,
};
use drr_margin::json;
use drr_margin::margin::{margin, MarginReport, RiskParams};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const NOW: i64 = 1_795_507_200_000; // 2026-11-24 08:00 UTC
const DEC25: i64 = 1_798_185_600_000; // 2026-12-25 08:00 UTC (date -u -d '2026-12-25 08:00' +%s)

fn engine(config: Value) -> MarginEngine {
    MarginEngine::new(EngineParams::resolve(Some(json!({ "engine": config }))).unwrap())
}

fn simple_market(now: i64, btc: f64) -> MarketSpec {
    json::from_value(json!({
        "now": now,
        "underlyings": {
            "BTC": {"index": {"price": btc, "publishTime": now}},
            "ETH": {"index": {"price": 3500, "publishTime": now}}
        },
        "collateral": {"USDC": {"price": 1, "decimals": 6}, "BTC": {"price": btc, "decimals": 8}}
    }))
    .unwrap()
}

fn account(value: Value) -> AccountSpec {
    json::from_value(value).unwrap()
}

fn perp_account(usdc: f64, size: f64) -> AccountSpec {
    account(json!({"mode": "cross", "collateral": {"USDC": usdc},
        "positions": [{"instrument": "BTC_USDC-PERPETUAL", "size": size, "entryPrice": 100000}]}))
}

fn event(value: Value) -> Event {
    Event::from_value(value).unwrap()
}

fn index(price: f64) -> Event {
    event(json!({"type": "indexUpdate", "underlying": "BTC", "price": price, "publishTime": NOW}))
}

fn units(text: &str) -> i128 {
    text.parse().unwrap()
}

/// margin() of the engine's current state, computed from scratch from the interchange forms.
fn from_scratch(engine: &MarginEngine, id: &str) -> MarginReport {
    let market = engine.market().unwrap().spec().clone();
    margin(&market, engine.account(id).unwrap(), engine.params().risk()).unwrap()
}

fn assert_matches_scratch(engine: &MarginEngine, update: &MarginUpdate) {
    let r = from_scratch(engine, &update.account);
    assert_eq!(update.initial_margin, r.initial_margin.units, "{update:?}");
    assert_eq!(update.maintenance_margin, r.maintenance_margin.units);
    assert_eq!(update.equity, r.equity.units);
    assert_eq!(update.health, r.health);
    assert_eq!(update.params_hash, r.params_hash);
    assert_eq!(update.timestamp, engine.market().unwrap().now());
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn every_update_of_the_recorded_session_equals_margin_from_scratch() {
    let mut e = MarginEngine::new(EngineParams::resolve(None).unwrap());
    let mut seen = 0;
    let mut sequence = 0;
    for line in fixture("events.ndjson").lines() {
        let updates = e.apply(Event::from_json(line).unwrap()).unwrap();
        for u in &updates {
            assert_matches_scratch(&e, u);
            sequence += 1;
            assert_eq!(u.sequence, sequence, "sequence numbers are consecutive");
        }
        seen += updates.len();
        // The engine's path (parameters validated and hashed once, reused per recomputation)
        // gives the whole report of margin() from scratch after every event, not just the
        // emitted numbers.
        let ids: Vec<String> = e.account_ids().map(str::to_string).collect();
        for id in &ids {
            assert_eq!(
                e.report(id).unwrap(),
                from_scratch(&e, id),
                "{id} after {line}"
            );
        }
    }
    assert!(seen > 20, "the session emits updates ({seen})");
    // Accounts not emitted on the last event are still equal to a fresh computation.
    for id in ["sample-trader", "sample-trader-pm", "leveraged"] {
        let r = e.report(id).unwrap();
        assert_eq!(r, from_scratch(&e, id));
    }
}

#[test]
fn an_index_update_recomputes_only_the_accounts_on_that_underlying() {
    let mut e = engine(json!({"relativeThreshold": 0, "absoluteThreshold": 0}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account("btc", perp_account(20_000.0, 1.0))
        .unwrap();
    let eth = account(json!({"mode": "cross", "collateral": {"USDC": 5000},
        "positions": [{"instrument": "ETH_USDC-PERPETUAL", "size": 2, "entryPrice": 3400}]}));
    e.upsert_account("eth", eth).unwrap();
    let updates = e.apply(index(101_000.0)).unwrap();
    assert_eq!(
        updates
            .iter()
            .map(|u| u.account.as_str())
            .collect::<Vec<_>>(),
        ["btc"]
    );
    assert_eq!(updates[0].reason, UpdateReason::Threshold);
}

#[test]
fn a_collateral_price_recomputes_only_the_accounts_holding_it() {
    // Thresholds 0: every account recomputed whose numbers move emits. "coin" holds only BTC
    // collateral (0.5 BTC, its equity is proportional to the BTC price: the haircut is a
    // fraction), "usdc" only USDC; both trade ETH, so the BTC index never enters either.
    let mut e = engine(json!({"relativeThreshold": 0, "absoluteThreshold": 0}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    let eth = |collateral: Value| {
        account(json!({"mode": "cross", "collateral": collateral,
            "positions": [{"instrument": "ETH_USDC-PERPETUAL", "size": 40, "entryPrice": 3500}]}))
    };
    e.upsert_account("coin", eth(json!({"BTC": 0.5}))).unwrap();
    e.upsert_account("usdc", eth(json!({"USDC": 20_000})))
        .unwrap();
    let health = e.report("coin").unwrap().health.unwrap();
    assert!(health > 1.25, "starts healthy: {health}");
    let check = |e: &MarginEngine, updates: &[MarginUpdate]| {
        for u in updates {
            assert_matches_scratch(e, u);
        }
        for id in ["coin", "usdc"] {
            assert_eq!(e.report(id).unwrap(), from_scratch(e, id), "{id}");
        }
    };
    // The BTC collateral price falls so that "coin"'s health is 0.8: one level crossing, for
    // "coin" only (the BTC index, and so every position, stays where it was).
    let price = 100_000.0 * 0.8 / health;
    let updates = e
        .apply(event(
            json!({"type": "collateralPrice", "asset": "BTC", "price": price}),
        ))
        .unwrap();
    check(&e, &updates);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].account, "coin");
    assert_eq!(updates[0].reason, UpdateReason::LevelCrossing);
    assert_eq!(updates[0].level, HealthLevel::Liquidatable);
    let now = e.report("coin").unwrap().health.unwrap();
    assert!((now - 0.8).abs() < 1e-9, "{now}");
    assert_eq!(
        e.market().unwrap().spec().underlyings["BTC"].index.price,
        100_000.0
    );
    // The margin asset's price converts every amount: every account is recomputed and moves.
    let updates = e
        .apply(event(
            json!({"type": "collateralPrice", "asset": "USDC", "price": 0.999}),
        ))
        .unwrap();
    check(&e, &updates);
    let mut ids: Vec<&str> = updates.iter().map(|u| u.account.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["coin", "usdc"]);
    // Refusals name the field and change nothing.
    let before = e.snapshot();
    for (ev, code, field) in [
        (
            json!({"type": "collateralPrice", "asset": "DOGE", "price": 1}),
            "E_MISSING_MARKET_DATA",
            "asset",
        ),
        (
            json!({"type": "collateralPrice", "asset": "BTC", "price": -1}),
            "E_INVALID_INPUT",
            "price",
        ),
        (
            json!({"type": "collateralPrice", "asset": "BTC", "price": 1e16}),
            "E_INVALID_INPUT",
            "price",
        ),
    ] {
        let err = e.apply(event(ev.clone())).unwrap_err();
        assert_eq!((err.code(), err.field()), (code, field), "{ev}: {err}");
        assert_eq!(e.snapshot(), before, "{ev}");
    }
}

#[test]
fn thresholds_suppress_small_moves_and_report_larger_ones() {
    // relative 1 %, absolute 0: an update only when a requirement moved > 1 % since the last one.
    let config = json!({"relativeThreshold": 0.01, "absoluteThreshold": 0});
    let mut e = engine(config);
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    let first = e.upsert_account("a", perp_account(50_000.0, 1.0)).unwrap();
    assert_eq!(first[0].reason, UpdateReason::First);
    let mut last_initial = units(&first[0].initial_margin);
    let mut last_maintenance = units(&first[0].maintenance_margin);
    let (mut quiet, mut loud) = (0, 0);
    for price in [
        100_300.0, 100_600.0, 100_900.0, 101_200.0, 99_000.0, 99_400.0,
    ] {
        let updates = e.apply(index(price)).unwrap();
        let r = from_scratch(&e, "a");
        let (im, mm) = (
            units(&r.initial_margin.units),
            units(&r.maintenance_margin.units),
        );
        // The rule, restated: |Δ| > max(0, 1 % of the last emitted value), for IM or MM.
        let beyond = |now: i128, before: i128| (now - before).abs() * 100 > before.abs();
        let expected = beyond(im, last_initial) || beyond(mm, last_maintenance);
        assert_eq!(updates.len(), usize::from(expected), "at {price}");
        if expected {
            loud += 1;
            assert_eq!(updates[0].reason, UpdateReason::Threshold);
            (last_initial, last_maintenance) = (im, mm);
        } else {
            quiet += 1;
        }
    }
    assert!(
        quiet >= 2 && loud >= 2,
        "both branches exercised: {quiet} / {loud}"
    );

    // An absolute floor: 1 % would fire, but not a move below 1,000,000 USDC.
    let mut e = engine(json!({"relativeThreshold": 0.01, "absoluteThreshold": 1e6}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account("a", perp_account(50_000.0, 1.0)).unwrap();
    assert!(e.apply(index(110_000.0)).unwrap().is_empty());
}

#[test]
fn level_crossings_are_reported_in_both_directions() {
    // Thresholds out of reach: only level crossings are emitted.
    let mut e = engine(json!({"relativeThreshold": 10, "absoluteThreshold": 1e12,
        "warningHealth": 2.0, "liquidatableHealth": 1.0}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account("a", perp_account(10_000.0, 1.0)).unwrap();
    let mut levels = vec![];
    let mut price = 100_000.0;
    let path: Vec<f64> = (0..40)
        .map(|_| {
            price -= 250.0;
            price
        })
        .chain((0..40).map(|i| 90_000.0 + 250.0 * f64::from(i)))
        .collect();
    for p in path {
        for u in e.apply(index(p)).unwrap() {
            assert_eq!(u.reason, UpdateReason::LevelCrossing);
            // The level, restated from margin() of the same state: equity / MM against 2 and 1.
            let r = from_scratch(&e, "a");
            let health = r.equity.value / r.maintenance_margin.value;
            let expected = if health < 1.0 {
                HealthLevel::Liquidatable
            } else if health < 2.0 {
                HealthLevel::Warning
            } else {
                HealthLevel::Healthy
            };
            assert_eq!(u.level, expected, "at {p}: health {health}");
            levels.push(u.level);
        }
    }
    assert_eq!(
        levels,
        [
            HealthLevel::Warning,
            HealthLevel::Liquidatable,
            HealthLevel::Warning,
            HealthLevel::Healthy
        ]
    );
}

#[test]
fn expiry_settles_options_at_intrinsic_and_futures_at_the_settlement_price() {
    let before = DEC25 - 3_600_000;
    let market: MarketSpec = json::from_value(json!({
        "now": before,
        "underlyings": {"BTC": {"index": {"price": 99_000, "publishTime": before},
            "markIv": {"BTC_USDC-25DEC26-90000-C": 0.5, "BTC_USDC-25DEC26-110000-P": 0.5,
                       "BTC-25DEC26-90000-C": 0.5, "BTC_USDC-26MAR27-120000-C": 0.6}}},
        "collateral": {"USDC": {"price": 1, "decimals": 6}, "BTC": {"price": 99000, "decimals": 8}}
    }))
    .unwrap();
    let book = account(
        json!({"mode": "cross", "collateral": {"USDC": 100_000, "BTC": 1},
        "positions": [
            {"instrument": "BTC_USDC-25DEC26-90000-C", "size": 2},
            {"instrument": "BTC_USDC-25DEC26-110000-P", "size": -1},
            {"instrument": "BTC-25DEC26-90000-C", "size": 0.5},
            {"instrument": "BTC_USDC-25DEC26", "size": 3, "entryPrice": 95_000},
            {"instrument": "BTC-25DEC26", "size": 10_000, "entryPrice": 95_000},
            {"instrument": "BTC_USDC-26MAR27-120000-C", "size": 1}
        ]}),
    );
    let mut e = engine(json!({}));
    e.set_market(market).unwrap();
    e.upsert_account("a", book).unwrap();
    // One minute past expiry, settlement index 100,000.
    let updates = e
        .apply(event(json!({"type": "timeAdvance", "now": DEC25 + 60_000,
            "index": {"BTC": {"price": 100_000}}})))
        .unwrap();
    let a = e.account("a").unwrap();
    // Hand-computed at S = 100,000:
    //   USDC: 2·(100000 − 90000) − 1·(110000 − 100000) + 3·(100000 − 95000) = 20000 − 10000 + 15000
    //   BTC:  0.5·10000/100000 (inverse call) + 10000·(1/95000 − 1/100000) (inverse future)
    let usdc = 100_000.0 + 20_000.0 - 10_000.0 + 15_000.0;
    let btc = 1.0 + 0.05 + 10_000.0 * (1.0 / 95_000.0 - 1.0 / 100_000.0);
    assert!(
        (a.collateral["USDC"] - usdc).abs() < 1e-9,
        "{:?}",
        a.collateral
    );
    assert!(
        (a.collateral["BTC"] - btc).abs() < 1e-15,
        "{:?}",
        a.collateral
    );
    assert_eq!(a.positions.len(), 1, "only the March call is left");
    assert_eq!(updates.len(), 1);
    assert_matches_scratch(&e, &updates[0]);
    // An expired leg is refused, never valued as live: by the engine and by margin().
    let expired = account(json!({"mode": "cross",
        "positions": [{"instrument": "BTC_USDC-25DEC26-90000-C", "size": 1}]}));
    let err = e.upsert_account("b", expired.clone()).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "account.positions[0].instrument")
    );
    let market = e.market().unwrap().spec().clone();
    let err = margin(&market, &expired, &RiskParams::default()).unwrap_err();
    assert_eq!(err.code(), "E_INVALID_INPUT", "{err}");
    // An expired future with a listed mark is refused too, in every mode.
    let mut with_mark = market.clone();
    with_mark
        .underlyings
        .get_mut("BTC")
        .unwrap()
        .marks
        .insert("BTC_USDC-25DEC26".into(), 100_100.0);
    for mode in ["cross", "portfolio", "isolated"] {
        let future = account(json!({"mode": mode,
            "positions": [{"instrument": "BTC_USDC-25DEC26", "size": 1, "entryPrice": 95000}]}));
        let err = margin(&with_mark, &future, &RiskParams::default()).unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT", "{mode}: {err}");
    }
    let err = e
        .apply(event(json!({"type": "trade", "account": "a",
            "instrument": "BTC_USDC-25DEC26-90000-C", "size": 1, "price": 10})))
        .unwrap_err();
    assert_eq!(err.field(), "instrument");
}

#[test]
fn fills_net_with_a_volume_weighted_entry_and_realise_pnl() {
    let mut e = engine(json!({}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account(
        "a",
        account(json!({"mode": "cross", "collateral": {"USDC": 100_000}})),
    )
    .unwrap();
    let fill = |size: f64, price: f64| {
        event(
            json!({"type": "trade", "account": "a", "instrument": "BTC_USDC-PERPETUAL",
            "size": size, "price": price}),
        )
    };
    e.apply(fill(1.0, 100_000.0)).unwrap();
    e.apply(fill(1.0, 102_000.0)).unwrap();
    let p = &e.account("a").unwrap().positions[0];
    assert_eq!((p.size, p.entry_price), (2.0, Some(101_000.0)));
    // Sell 1.5 at 103,000: realise 1.5·(103000 − 101000) = 3000; 0.5 left at 101,000.
    e.apply(fill(-1.5, 103_000.0)).unwrap();
    let a = e.account("a").unwrap();
    assert_eq!(
        (a.positions[0].size, a.positions[0].entry_price),
        (0.5, Some(101_000.0))
    );
    assert!((a.collateral["USDC"] - 103_000.0).abs() < 1e-9);
    // Sell 1 at 99,000: realise 0.5·(99000 − 101000) = −1000, flip to −0.5 at 99,000.
    e.apply(fill(-1.0, 99_000.0)).unwrap();
    let a = e.account("a").unwrap();
    assert_eq!(
        (a.positions[0].size, a.positions[0].entry_price),
        (-0.5, Some(99_000.0))
    );
    assert!((a.collateral["USDC"] - 102_000.0).abs() < 1e-9);
    // Closing removes the leg.
    e.apply(fill(0.5, 99_000.0)).unwrap();
    assert!(e.account("a").unwrap().positions.is_empty());
    // Option premium moves collateral at once: 2 calls at 1,500 USD cost 3,000 USDC.
    let mut market = simple_market(NOW, 100_000.0);
    market
        .underlyings
        .get_mut("BTC")
        .unwrap()
        .mark_iv
        .insert("BTC_USDC-26MAR27-120000-C".into(), 0.6);
    e.set_market(market).unwrap();
    e.apply(event(json!({"type": "trade", "account": "a",
        "instrument": "BTC_USDC-26MAR27-120000-C", "size": 2, "price": 1500})))
        .unwrap();
    assert!((e.account("a").unwrap().collateral["USDC"] - 99_000.0).abs() < 1e-9);
    // Inverse perpetual (USD notional): the average entry is harmonic,
    // 20000 / (10000/95000 + 10000/105000) = 99,750.
    e.apply(event(
        json!({"type": "trade", "account": "a", "instrument": "BTC-PERPETUAL",
        "size": 10_000, "price": 95_000}),
    ))
    .unwrap();
    e.apply(event(
        json!({"type": "trade", "account": "a", "instrument": "BTC-PERPETUAL",
        "size": 10_000, "price": 105_000}),
    ))
    .unwrap();
    let inverse = &e.account("a").unwrap().positions[1];
    assert!((inverse.entry_price.unwrap() - 99_750.0).abs() < 1e-9);
}

#[test]
fn funding_moves_collateral_of_perpetual_holders() {
    let mut e = engine(json!({}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account("long", perp_account(50_000.0, 2.0))
        .unwrap();
    e.upsert_account(
        "short",
        account(
            json!({"mode": "cross", "collateral": {"USDC": 50_000, "BTC": 1},
        "positions": [{"instrument": "BTC-PERPETUAL", "size": -10000, "entryPrice": 100000}]}),
        ),
    )
    .unwrap();
    e.apply(event(
        json!({"type": "funding", "underlying": "BTC", "rate": 0.0001}),
    ))
    .unwrap();
    // Long 2 BTC at mark = index 100,000 pays 2·100000·0.0001 = 20 USDC.
    assert!((e.account("long").unwrap().collateral["USDC"] - 49_980.0).abs() < 1e-9);
    // Short 10,000 USD inverse receives 10000·0.0001/100000 = 1e-5 BTC.
    assert!((e.account("short").unwrap().collateral["BTC"] - 1.000_01).abs() < 1e-15);
    let err = e
        .apply(event(json!({"type": "funding", "underlying": "BTC"})))
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("E_MISSING_MARKET_DATA", "rate"));
}

#[test]
fn restore_then_the_same_events_give_byte_identical_updates() {
    let lines: Vec<String> = fixture("events.ndjson").lines().map(String::from).collect();
    let (head, tail) = lines.split_at(lines.len() / 2);
    let mut original = MarginEngine::new(EngineParams::resolve(None).unwrap());
    replay(&mut original, &head.join("\n"), |_| Ok(())).unwrap();
    let text = serde_json::to_string(&original.snapshot()).unwrap();
    let mut restored = MarginEngine::restore(json::from_str(&text).unwrap()).unwrap();
    assert_eq!(restored.snapshot(), original.snapshot());
    let (mut a, mut b) = (vec![], vec![]);
    replay(&mut original, &tail.join("\n"), |u| {
        a.push(u.clone());
        Ok(())
    })
    .unwrap();
    replay(&mut restored, &tail.join("\n"), |u| {
        b.push(u.clone());
        Ok(())
    })
    .unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let mut bad: Value = serde_json::from_str(&text).unwrap();
    bad["version"] = json!(99);
    let err = MarginEngine::restore(json::from_value(bad).unwrap()).unwrap_err();
    assert_eq!(err.field(), "version");
}

#[test]
fn bad_events_are_coded_errors_naming_the_field_and_change_nothing() {
    let mut e = engine(json!({}));
    let err = e.apply(index(1.0)).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "market")
    );
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    e.upsert_account("a", perp_account(50_000.0, 1.0)).unwrap();
    let before = e.snapshot();
    let cases: Vec<(Event, &str, &str)> = vec![
        (
            Event::IndexUpdate(IndexUpdate {
                underlying: "BTC".into(),
                price: f64::NAN,
                conf: 0.0,
                publish_time: NOW,
            }),
            "E_INVALID_INPUT",
            "price",
        ),
        (index(-5.0), "E_INVALID_INPUT", "price"),
        (
            event(
                json!({"type": "indexUpdate", "underlying": "DOGE", "price": 1, "publishTime": NOW}),
            ),
            "E_MISSING_MARKET_DATA",
            "underlying",
        ),
        (
            event(
                json!({"type": "indexUpdate", "underlying": "BTC", "price": 1, "publishTime": NOW + 1}),
            ),
            "E_INVALID_INPUT",
            "publishTime",
        ),
        (
            event(
                json!({"type": "trade", "account": "nobody", "instrument": "BTC-PERP", "size": 1, "price": 1}),
            ),
            "E_INVALID_INPUT",
            "account",
        ),
        (
            event(
                json!({"type": "trade", "account": "a", "instrument": "BTC-NOPE", "size": 1, "price": 1}),
            ),
            "E_INVALID_INPUT",
            "instrument",
        ),
        (
            event(json!({"type": "deposit", "account": "a", "asset": "USDC", "amount": -1})),
            "E_INVALID_INPUT",
            "amount",
        ),
        (
            event(json!({"type": "timeAdvance", "now": NOW - 1})),
            "E_INVALID_INPUT",
            "now",
        ),
        (
            event(
                json!({"type": "upsertAccount", "id": "b", "account": {"mode": "cross",
                "positions": [{"instrument": "BTC-PERP", "size": 0, "entryPrice": 1}]}}),
            ),
            "E_INVALID_INPUT",
            "account.positions[0].size",
        ),
        (
            // An index quote two hours old: the recomputation refuses it and the engine puts
            // the underlying it replaced back.
            event(
                json!({"type": "indexUpdate", "underlying": "BTC", "price": 100000, "publishTime": NOW - 7_200_000}),
            ),
            "E_STALE_ORACLE",
            "accounts.a.market.underlyings.BTC.index.publishTime",
        ),
        (
            // Two hours later every index quote is stale: refused, the time does not move.
            event(json!({"type": "timeAdvance", "now": NOW + 7_200_000})),
            "E_STALE_ORACLE",
            "accounts.a.market.underlyings.BTC.index.publishTime",
        ),
    ];
    for (ev, code, field) in cases {
        let err = e.apply(ev.clone()).unwrap_err();
        assert_eq!((err.code(), err.field()), (code, field), "{ev:?}: {err}");
        assert_eq!(e.snapshot(), before, "{ev:?} left the engine unchanged");
    }
    // JSON: null for a number (a JS NaN), and the replay's line path.
    let err = Event::from_json(
        r#"{"type": "indexUpdate", "underlying": "BTC", "price": null, "publishTime": 1}"#,
    )
    .unwrap_err();
    assert_eq!(err.field(), "price");
    let text = format!(
        "{}\n\n{}\n",
        serde_json::to_string(&index(100_100.0)).unwrap(),
        r#"{"type": "deposit", "account": "zed", "asset": "USDC", "amount": 1}"#
    );
    let err = replay(&mut e, &text, |_| Ok(())).unwrap_err();
    assert_eq!(err.field(), "events[2].account");
}

/// An independent decoder of the documented layout (src/engine/update.rs).
struct Decoded {
    version: u8,
    account: String,
    sequence: u64,
    timestamp: i64,
    asset: String,
    decimals: u8,
    initial: i128,
    maintenance: i128,
    equity: i128,
    level: u8,
    reason: u8,
    health: Option<f64>,
    params_hash: [u8; 32],
}

#[test]
fn a_withdrawal_beyond_free_collateral_is_refused_and_changes_nothing() {
    // Free collateral = equity − IM. A USDC withdrawal lowers equity by its amount (USDC at 1,
    // no haircut) and leaves IM as it is (a linear perpetual's IM does not read collateral), so
    // withdrawing 1 USDC less than free collateral is accepted and 1 USDC more is refused.
    let mut e = engine(json!({}));
    let withdraw = |amount: f64| {
        event(json!({"type": "withdrawal", "account": "a", "asset": "USDC", "amount": amount}))
    };
    e.upsert_account("a", perp_account(50_000.0, 1.0)).unwrap();
    // Before a market is set the check cannot be made: refused, naming the market.
    let err = e.apply(withdraw(1.0)).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "market")
    );
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    let report = e.report("a").unwrap();
    let free = report.free_collateral.value;
    let im = report.initial_margin.value;
    assert!(free > 1_000.0 && im > 0.0, "{free} {im}");
    let before = e.snapshot();
    let err = e.apply(withdraw(free + 1.0)).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INSUFFICIENT_MARGIN", "amount"),
        "{err}"
    );
    assert_eq!(e.snapshot(), before, "a refused withdrawal changes nothing");
    e.apply(withdraw(free - 1.0)).unwrap();
    let after = from_scratch(&e, "a");
    assert_eq!(e.report("a").unwrap(), after);
    assert!(
        (after.free_collateral.value - 1.0).abs() < 1e-6,
        "{after:?}"
    );
    assert_eq!(after.initial_margin, report.initial_margin);
    // The rest of the way: 2 USDC more is refused, deposits are never checked.
    let err = e.apply(withdraw(2.0)).unwrap_err();
    assert_eq!(err.code(), "E_INSUFFICIENT_MARGIN");
    e.apply(event(
        json!({"type": "deposit", "account": "a", "asset": "USDC", "amount": 5}),
    ))
    .unwrap();
    e.apply(withdraw(2.0)).unwrap();
    // An account already below its initial margin (the index fell) can withdraw nothing.
    e.apply(index(60_000.0)).unwrap();
    assert!(units(&e.report("a").unwrap().free_collateral.units) < 0);
    let err = e.apply(withdraw(0.01)).unwrap_err();
    assert_eq!(err.code(), "E_INSUFFICIENT_MARGIN");
}

fn decode(bytes: &[u8]) -> Decoded {
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &bytes[at..at + n];
        at += n;
        s.to_vec()
    };
    let version = take(1)[0];
    let len = u32::from_be_bytes(take(4).try_into().unwrap()) as usize;
    let account = String::from_utf8(take(len)).unwrap();
    let sequence = u64::from_be_bytes(take(8).try_into().unwrap());
    let timestamp = i64::from_be_bytes(take(8).try_into().unwrap());
    let alen = take(1)[0] as usize;
    let asset = String::from_utf8(take(alen)).unwrap();
    let decimals = take(1)[0];
    let initial = i128::from_be_bytes(take(16).try_into().unwrap());
    let maintenance = i128::from_be_bytes(take(16).try_into().unwrap());
    let equity = i128::from_be_bytes(take(16).try_into().unwrap());
    let level = take(1)[0];
    let reason = take(1)[0];
    let present = take(1)[0];
    let bits = u64::from_be_bytes(take(8).try_into().unwrap());
    let health = (present == 1).then(|| f64::from_bits(bits));
    let params_hash: [u8; 32] = take(32).try_into().unwrap();
    assert_eq!(at, bytes.len(), "no trailing bytes");
    Decoded {
        version,
        account,
        sequence,
        timestamp,
        asset,
        decimals,
        initial,
        maintenance,
        equity,
        level,
        reason,
        health,
        params_hash,
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_encoding_decodes_back_to_the_update_and_hashes_with_sha256() {
    let mut e = engine(json!({"relativeThreshold": 0, "absoluteThreshold": 0}));
    e.set_market(simple_market(NOW, 100_000.0)).unwrap();
    let mut updates = e
        .upsert_account("ünïcode-id", perp_account(50_000.0, -1.0))
        .unwrap();
    updates.extend(e.apply(index(100_500.0)).unwrap());
    // An account with nothing required and a negative balance: no health, liquidatable.
    updates.extend(
        e.upsert_account(
            "empty",
            account(json!({"mode": "cross", "collateral": {"USDC": -5}})),
        )
        .unwrap(),
    );
    assert_eq!(updates.len(), 3);
    for u in &updates {
        let bytes = unhex(&u.bytes);
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, u.hash);
        let d = decode(&bytes);
        assert_eq!(d.version, 1);
        assert_eq!(d.account, u.account);
        assert_eq!(d.sequence, u.sequence);
        assert_eq!(d.timestamp, u.timestamp);
        assert_eq!((d.asset.as_str(), d.decimals), ("USDC", 6));
        assert_eq!(d.initial.to_string(), u.initial_margin);
        assert_eq!(d.maintenance.to_string(), u.maintenance_margin);
        assert_eq!(d.equity.to_string(), u.equity);
        assert_eq!(d.health.map(f64::to_bits), u.health.map(f64::to_bits));
        let level = match u.level {
            HealthLevel::Healthy => 0,
            HealthLevel::Warning => 1,
            HealthLevel::Liquidatable => 2,
        };
        let reason = match u.reason {
            UpdateReason::First => 1,
            UpdateReason::Threshold => 2,
            UpdateReason::LevelCrossing => 3,
        };
        assert_eq!((d.level, d.reason), (level, reason));
        assert_eq!(d.params_hash.to_vec(), unhex(&u.params_hash));
    }
    let empty = &updates[2];
    assert_eq!(
        (empty.health, empty.level),
        (None, HealthLevel::Liquidatable)
    );
    // −5 USDC rounded down (the outward one-ulp nudge of src/margin/money.rs may take one unit).
    assert!(["-5000000", "-5000001"].contains(&empty.equity.as_str()));
}

#[test]
fn engine_config_is_validated() {
    let err =
        EngineParams::resolve(Some(json!({"engine": {"relativeThreshold": -1}}))).unwrap_err();
    assert_eq!(err.field(), "params.engine.relativeThreshold");
    let mut e = engine(json!({}));
    let err = e
        .set_config(EngineConfig {
            absolute_threshold: f64::NAN,
            ..EngineConfig::default()
        })
        .unwrap_err();
    assert_eq!(err.field(), "params.engine.absoluteThreshold");
}

#[test]
fn vol_and_mark_updates_and_account_removal() {
    let mut e = engine(json!({"relativeThreshold": 0, "absoluteThreshold": 0}));
    e.set_market(
        json::from_value(json!({
            "now": NOW,
            "underlyings": {"BTC": {"index": {"price": 100000, "publishTime": NOW},
                "vol": {"slices": [{"type": "svi", "expiry": DEC25, "a": 0.02, "b": 0.1,
                                    "rho": -0.2, "m": 0.0, "sigma": 0.1}]}}},
            "collateral": {"USDC": {"price": 1, "decimals": 6}}
        }))
        .unwrap(),
    )
    .unwrap();
    e.upsert_account(
        "a",
        account(json!({"mode": "portfolio", "collateral": {"USDC": 50000},
        "positions": [{"instrument": "BTC_USDC-25DEC26-110000-C", "size": -3},
                      {"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 99000}]})),
    )
    .unwrap();
    // A new smile moves the requirement (zero thresholds: any move is an update); the update
    // equals margin() of the new state from scratch.
    let before = units(&from_scratch(&e, "a").maintenance_margin.units);
    let updates = e
        .apply(event(json!({"type": "volUpdate", "underlying": "BTC",
            "vol": {"slices": [{"type": "svi", "expiry": DEC25, "a": 0.05, "b": 0.1,
                                "rho": -0.2, "m": 0.0, "sigma": 0.1}]}})))
        .unwrap();
    assert_eq!(updates.len(), 1);
    assert_matches_scratch(&e, &updates[0]);
    assert_ne!(units(&updates[0].maintenance_margin), before);
    // A mark IV takes precedence over the surface.
    let updates = e
        .apply(event(json!({"type": "volUpdate", "underlying": "BTC",
            "markIv": {"BTC_USDC-25DEC26-110000-C": 0.3}})))
        .unwrap();
    assert_matches_scratch(&e, &updates[0]);
    // Listed under another of its ids (`BTC_USDC-20261225-…`), the option's IV replaces the one
    // listed before: one entry, keyed by the canonical id.
    let updates = e
        .apply(event(json!({"type": "volUpdate", "underlying": "BTC",
            "markIv": {"BTC_USDC-20261225-110000-C": 0.35}})))
        .unwrap();
    assert_matches_scratch(&e, &updates[0]);
    let listed = &e
        .market()
        .unwrap()
        .underlying("BTC")
        .unwrap()
        .spec()
        .mark_iv;
    assert_eq!(
        listed.iter().collect::<Vec<_>>(),
        [(&"BTC_USDC-25DEC26-110000-C".to_string(), &0.35)]
    );
    // A key that names no option of the underlying is refused, naming it.
    let err = e
        .apply(event(json!({"type": "volUpdate", "underlying": "BTC",
            "markIv": {"ETH_USDC-25DEC26-3000-C": 0.35}})))
        .unwrap_err();
    assert_eq!(err.field(), "markIv.ETH_USDC-25DEC26-3000-C");
    // A perpetual's mark moves its P&L: 1·(101000 − 99000) = 2000 USD more equity than at 99,000.
    let updates = e
        .apply(event(
            json!({"type": "markUpdate", "instrument": "BTC_USDC-PERPETUAL", "price": 101000}),
        ))
        .unwrap();
    assert_matches_scratch(&e, &updates[0]);
    let err = e
        .apply(event(
            json!({"type": "markUpdate", "instrument": "BTC_USDC-25DEC26-110000-C", "price": 5}),
        ))
        .unwrap_err();
    assert_eq!(err.field(), "instrument");
    // An invalid surface is refused with its path, and nothing changes.
    let snapshot = e.snapshot();
    let err = e
        .apply(event(json!({"type": "volUpdate", "underlying": "BTC",
            "vol": {"slices": [{"type": "svi", "expiry": NOW - 1, "a": 0.05, "b": 0.1,
                                "rho": -0.2, "m": 0.0, "sigma": 0.1}]}})))
        .unwrap_err();
    assert_eq!(err.field(), "underlyings.BTC.vol.slices[0].expiry");
    assert_eq!(e.snapshot(), snapshot);
    // Removal.
    e.apply(event(json!({"type": "removeAccount", "id": "a"})))
        .unwrap();
    assert_eq!(e.account_ids().count(), 0);
    let err = e
        .apply(event(json!({"type": "removeAccount", "id": "a"})))
        .unwrap_err();
    assert_eq!(err.field(), "id");
}
