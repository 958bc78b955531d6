//! After an index, mark or vol update the engine does not price every row of the risk matrix:
//! it bounds each row from the rows the nodes had before the move (a price moves by at most
//! df·|ΔF| + vega·|Δσ√T|) and prices exactly only the rows that can set the worst loss
//! (`src/margin/portfolio/grid_bounds.rs`). That must never change a number.
//!
//! These tests walk one portfolio account through small index ticks, drifts, jumps of up to
//! 15 %, vol-surface moves, single mark-IV changes and ETH moves, with a fill every seventh
//! event (which changes the book the next move's bounds are summed over), under every portfolio profile
//! and under parameters that take the bounds' other branches (long time value discounted,
//! a skew shock), and check after every event that the engine's state (the last update it
//! emitted, with thresholds at 0 so that every change is emitted) carries the requirements and
//! equity (integer units) and health (bit for bit, so the float requirement too) of a fresh
//! `margin_validated`, which prices every row of the grid. They also check that the bounded
//! path was taken on most events, so the comparison is not vacuous.
//!
//! The reference is the full computation, so this checks the bounds, not the model.

#![allow(clippy::unwrap_used)] // test code

use drr_margin::engine::{EngineParams, Event, MarginEngine, MarginUpdate};
use drr_margin::margin::{margin_validated, MarginReport};
use drr_margin::portfolio::Account;
use serde_json::{json, Value};

#[path = "common/books.rs"]
mod books;

const MARKET: &str = include_str!("fixtures/market.json");

/// A portfolio book of 40 options, one in five on ETH, and two BTC perpetuals.
fn book(seed: u64) -> Value {
    json!({
        "mode": "portfolio",
        "collateral": {"USDC": 3_000_000, "BTC": 3},
        "positions": books::positions(40, seed, 5)
    })
}

/// Fills of the walk, in turn: options the books may hold or not, linear and inverse.
const FILLS: [&str; 4] = [
    "BTC_USDC-26MAR27-90000-P",
    "BTC_USDC-25DEC26-100000-C",
    "BTC-25JUN27-110000-C",
    "BTC_USDC-25JUN27-85000-P",
];

/// A deterministic walk of market events (the fixture's `now` throughout), with a fill of the
/// account `walker` after every seventh (not drawn from the random sequence: the market events
/// are those of the walk without fills).
fn walk(market: &Value, steps: usize, seed: u64) -> Vec<Value> {
    let mut state = seed;
    let mut unit = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        #[allow(clippy::cast_precision_loss)] // 31 random bits
        let u = (state >> 33) as f64 / f64::from(1u32 << 31);
        u
    };
    let now = market["now"].clone();
    let mut btc = market["underlyings"]["BTC"]["index"]["price"]
        .as_f64()
        .unwrap();
    let mut eth = market["underlyings"]["ETH"]["index"]["price"]
        .as_f64()
        .unwrap();
    let surface = market["underlyings"]["BTC"]["vol"].clone();
    let mut events = Vec::new();
    for _ in 0..steps {
        let pick = unit();
        let signed = 2.0 * unit() - 1.0;
        let event = if pick < 0.5 {
            // A tick: up to 5 bp.
            btc *= 1.0 + 5e-4 * signed;
            json!({"type": "indexUpdate", "underlying": "BTC", "price": btc, "conf": 5.0, "publishTime": now})
        } else if pick < 0.65 {
            // A jump: up to 15 %.
            btc *= 1.0 + 0.15 * signed;
            json!({"type": "indexUpdate", "underlying": "BTC", "price": btc, "conf": 5.0, "publishTime": now})
        } else if pick < 0.8 {
            // The whole BTC surface up or down by up to 10 % in total variance level.
            let mut vol = surface.clone();
            for slice in vol["slices"].as_array_mut().unwrap() {
                let a = slice["a"].as_f64().unwrap();
                slice["a"] = json!(a * (1.0 + 0.1 * signed));
            }
            json!({"type": "volUpdate", "underlying": "BTC", "vol": vol})
        } else if pick < 0.9 {
            // One option's mark IV (its node's σ only).
            json!({"type": "volUpdate", "underlying": "BTC",
                   "markIv": {"BTC_USDC-26MAR27-90000-P": 0.55 + 0.1 * signed}})
        } else {
            eth *= 1.0 + 0.02 * signed;
            json!({"type": "indexUpdate", "underlying": "ETH", "price": eth, "conf": 0.3, "publishTime": now})
        };
        events.push(event);
        if events.len() % 8 == 7 {
            let n = events.len() / 8;
            let size = if n % 3 == 2 { -0.7 } else { 0.4 };
            events.push(json!({"type": "trade", "account": "walker",
                               "instrument": FILLS[n % FILLS.len()], "size": size, "price": 5000}));
        }
    }
    events
}

fn units(text: &str) -> i128 {
    text.parse().unwrap()
}

/// The engine's last update equals what a full computation reports now.
fn check(last: &MarginUpdate, fresh: &MarginReport, what: &str) {
    assert_eq!(
        units(&last.initial_margin),
        units(&fresh.initial_margin.units),
        "{what}: initial margin"
    );
    assert_eq!(
        units(&last.maintenance_margin),
        units(&fresh.maintenance_margin.units),
        "{what}: maintenance margin"
    );
    assert_eq!(
        units(&last.equity),
        units(&fresh.equity.units),
        "{what}: equity"
    );
    assert_eq!(
        last.health.map(f64::to_bits),
        fresh.health.map(f64::to_bits),
        "{what}: health {:?} vs {:?}",
        last.health,
        fresh.health
    );
}

/// Walks an engine under `params` through `walk(…, seed)`, checking every update against a full
/// computation, and that the walk was not vacuous: at least 100 of the 120 market events applied and
/// at least 40 bounded computations (jumps and vol moves may widen the bounds past a quarter of
/// the grid, then every row is priced; ticks must not).
fn run(params: Value, seed: u64) {
    let market: Value = serde_json::from_str(MARKET).unwrap();
    let mut input = params;
    input["engine"] = json!({"relativeThreshold": 0, "absoluteThreshold": 0});
    let engine_params = EngineParams::resolve(Some(input.clone())).unwrap();
    let risk = engine_params.risk().clone();
    let mut engine = MarginEngine::new(engine_params);
    let set = json!({"type": "setMarket", "market": market});
    engine.apply(Event::from_value(set).unwrap()).unwrap();
    let upsert = json!({"type": "upsertAccount", "id": "walker", "account": book(seed)});
    let mut last = engine
        .apply(Event::from_value(upsert).unwrap())
        .unwrap()
        .pop()
        .unwrap();
    let mut applied = 0;
    for (n, event) in walk(&market, 120, seed).into_iter().enumerate() {
        let fill = event["type"] == "trade";
        // A move the model refuses (e.g. a surface out of range) leaves the engine unchanged.
        let result = engine.apply(Event::from_value(event).unwrap());
        // Every fill applies (a portfolio account takes fills whatever its margin).
        assert!(
            !fill || result.is_ok(),
            "{input}, seed {seed}, event {n}: {result:?}"
        );
        let Ok(updates) = result else {
            continue;
        };
        applied += usize::from(!fill);
        if let Some(update) = updates.into_iter().last() {
            last = update;
        }
        let account = Account::new(engine.account("walker").unwrap()).unwrap();
        let fresh = margin_validated(engine.market().unwrap(), &account, &risk).unwrap();
        check(&last, &fresh, &format!("{input}, seed {seed}, event {n}"));
    }
    let bounded = engine.scenario_cache().bounded_computations();
    assert!(
        applied >= 100,
        "{input}, seed {seed}: {applied} events applied"
    );
    assert!(
        bounded >= 40,
        "{input}, seed {seed}: {bounded} bounded computations"
    );
}

#[test]
fn bounded_rows_give_the_full_grids_requirements_under_every_portfolio_profile() {
    for (profile, seed) in [
        ("drr", 1),
        ("deribit-portfolio", 2),
        ("paradex-portfolio", 3),
        ("cme-span-16", 4),
    ] {
        run(json!({ "profile": profile }), seed);
    }
}

#[test]
fn bounded_rows_hold_with_discounted_long_premium_and_a_skew_shock() {
    // `timeValueDiscount` > 0 takes the bounds' per-leg branch (long calls and puts apart);
    // `skewShock` makes a node's vol scale differ between the sides of the grid.
    let params = json!({
        "profile": "drr",
        "portfolio": {"defaultUnderlying": {"timeValueDiscount": 0.2, "skewShock": 0.3}}
    });
    for seed in [5, 6] {
        run(params.clone(), seed);
    }
}

#[test]
fn bounded_rows_keep_the_unchanged_price_rows_for_inter_commodity_spreads() {
    // SPAN's inter-commodity credit reads the worst unchanged-price row besides the worst row:
    // the bounded path prices those rows too.
    let params = json!({
        "profile": "cme-span-16",
        "portfolio": {"interSpreads": [{"rate": 0.5, "legs": [
            {"underlying": "BTC", "delta": 1}, {"underlying": "ETH", "delta": -30}
        ]}]}
    });
    for seed in [1, 2] {
        run(params.clone(), seed);
    }
}
