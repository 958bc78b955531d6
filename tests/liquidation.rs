//! Liquidation prices, the two-stage trigger and the pre-trade what-if, end to end.
//!
//! References: venue-published closed forms (dYdX v4 docs `liquidations.mdx`, Hyperliquid docs
//! "Computing liquidation price"; docs/venues/dydx-v4.md §6/§8 F, hyperliquid.md §7/§8), the
//! defining equation re-checked with `margin()` on a market moved by hand (not through the
//! solver's own market shifter), and properties (root counts, ordering, monotonicity, the fast
//! check's coverage).
#![cfg(not(target_arch = "wasm32"))] // reads fixtures from disk; proptest is a native dev-dependency
#![allow(clippy::unwrap_used)] // test code

use drr_margin::json;
use drr_margin::liquidation::{
    closed_form, liquidation_check_validated, liquidation_prices, max_size, what_if,
    LiquidationOptions, LiquidationReport, Order, PriceDetail, Side,
};
use drr_margin::margin::money::Money;
use drr_margin::margin::{margin, profiles, MarginReport, RiskParams};
use drr_margin::market::{Market, MarketSpec, StickyRule};
use drr_margin::portfolio::{Account, AccountSpec, ContractKind, InstrumentSpec};
use serde_json::{json, Value};

const NOW: i64 = 1_790_000_000_000; // 2026-09-21

fn market(underlyings: Value) -> MarketSpec {
    json::from_value(json!({
        "now": NOW,
        "underlyings": underlyings,
        "collateral": {"USDC": {"price": 1, "decimals": 6}, "BTC": {"price": 100000, "decimals": 8}}
    }))
    .unwrap()
}

fn index(price: f64) -> Value {
    json!({"index": {"price": price, "publishTime": NOW}})
}

fn account(value: Value) -> AccountSpec {
    json::from_value(value).unwrap()
}

fn params(overrides: Value) -> RiskParams {
    profiles::resolve(Some(overrides)).unwrap()
}

/// Constant maintenance rates per underlying, DRR off: the model reduces to the venues' rule.
fn constant_rate(rates: &[(&str, f64)]) -> RiskParams {
    let futures: serde_json::Map<String, Value> = rates
        .iter()
        .map(|(u, r)| {
            (
                (*u).to_string(),
                json!({"imBase": 2.0 * r, "imIncrement": 0, "mmBase": r, "mmIncrement": 0}),
            )
        })
        .collect();
    params(json!({"drr": {"enabled": false}, "standard": {"futures": futures}}))
}

fn solve(m: &MarketSpec, a: &AccountSpec, p: &RiskParams) -> LiquidationReport {
    liquidation_prices(m, a, p, &LiquidationOptions::default()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

fn units(m: &Money) -> i128 {
    m.units.parse().unwrap()
}

#[test]
fn isolated_perpetual_matches_dydx_and_hyperliquid_closed_forms() {
    // dYdX v4 docs (liquidations.mdx), docs/venues/dydx-v4.md §8 F: isolated short, e = 1000,
    // s = −3, p = 3000, MMF 5 % → p′ = 10000/3.15 = 3174.6031746…. Tolerance 1e-9 (solver's).
    let m = market(json!({"ETH": index(3000.0)}));
    let p = constant_rate(&[("ETH", 0.05)]);
    let a = account(json!({"mode": "isolated", "positions": [
        {"instrument": "ETH-PERP", "size": -3, "entryPrice": 3000, "isolatedMargin": 1000}]}));
    let r = solve(&m, &a, &p);
    let pos = &r.positions[0].liquidation;
    assert_eq!(pos.liquidation_prices.len(), 1, "{pos:?}");
    let expected = closed_form::dydx_v4(1000.0, -3.0, 3000.0, 0.05, 0.0).unwrap();
    assert!(rel(expected, 10_000.0 / 3.15) < 1e-15);
    assert!(
        rel(pos.liquidation_prices[0], expected) < 1e-9,
        "{:?}",
        pos.liquidation_prices
    );
    // Bankruptcy: 1000 − 3(S − 3000) = 0 → 3333.33….
    assert!(rel(pos.bankruptcy_prices[0], 10_000.0 / 3.0) < 1e-9);
    // The linear estimate is exact for a linear book (f is linear in S), to finite-difference rounding.
    assert!(rel(pos.linear_estimate.nearest.unwrap(), expected) < 1e-6);

    // Hyperliquid docs, docs/venues/hyperliquid.md §8 (XYZ-AAPL, from freqtrade's test of the
    // exchange-reported value): 10x max → l = 0.05, long 0.5 at 250, margin 25 → 4000/19.
    let m = market(json!({"AAPL": index(250.0)}));
    let p = constant_rate(&[("AAPL", 0.05)]);
    let a = account(json!({"mode": "isolated", "positions": [
        {"instrument": "AAPL-PERP", "size": 0.5, "entryPrice": 250, "isolatedMargin": 25}]}));
    let r = solve(&m, &a, &p);
    let hl = closed_form::hyperliquid(250.0, 1.0, 0.5, 25.0 - 0.5 * 250.0 * 0.05, 0.05).unwrap();
    assert!(rel(hl, 4000.0 / 19.0) < 1e-15);
    assert!(rel(r.positions[0].liquidation.liquidation_prices[0], hl) < 1e-9);
    // GOOGL row: short 0.5 at 190, margin 9.5 → 4180/21.
    let m = market(json!({"GOOGL": index(190.0)}));
    let p = constant_rate(&[("GOOGL", 0.05)]);
    let a = account(json!({"mode": "isolated", "positions": [
        {"instrument": "GOOGL-PERP", "size": -0.5, "entryPrice": 190, "isolatedMargin": 9.5}]}));
    let r = solve(&m, &a, &p);
    assert!(
        rel(
            r.positions[0].liquidation.liquidation_prices[0],
            4180.0 / 21.0
        ) < 1e-9
    );
}

#[test]
fn cross_perpetual_matches_dydx_cross_formula() {
    // dYdX v4 docs cross example: s = −1.5 ETH, p = 3000, MMF 5 %, e = 1000, MMR_o = 175 →
    // p′ = 5325/1.575 = 3380.952…. The other position is 0.175 BTC at 100,000 with a 1 % rate
    // (MMR 175, held constant: BTC does not move). Both entries at their index (value 0), so
    // e = the USDC collateral.
    let m = market(json!({"ETH": index(3000.0), "BTC": index(100_000.0)}));
    let p = constant_rate(&[("ETH", 0.05), ("BTC", 0.01)]);
    let a = account(
        json!({"mode": "cross", "collateral": {"USDC": 1000}, "positions": [
        {"instrument": "ETH-PERP", "size": -1.5, "entryPrice": 3000},
        {"instrument": "BTC-PERP", "size": 0.175, "entryPrice": 100000}]}),
    );
    let r = solve(&m, &a, &p);
    let eth = &r.underlyings["ETH"];
    let expected = closed_form::dydx_v4(1000.0, -1.5, 3000.0, 0.05, 175.0).unwrap();
    assert!(rel(expected, 5325.0 / 1.575) < 1e-15);
    assert_eq!(eth.liquidation_prices.len(), 1);
    assert!(rel(eth.liquidation_prices[0], expected) < 1e-9);
    // Distance: |p′ − 3000|/3000 in %.
    assert!(
        rel(
            eth.distance_pct.unwrap(),
            100.0 * (expected - 3000.0) / 3000.0
        ) < 1e-9
    );
}

/// The market moved by hand: index, conf, forwards and marks of `u` scaled by `ratio`, BTC
/// collateral too when `u` is BTC (the documented move rule, written independently of the solver).
fn moved(m: &MarketSpec, u: &str, ratio: f64) -> MarketSpec {
    let mut m = m.clone();
    let x = m.underlyings.get_mut(u).unwrap();
    x.index.price *= ratio;
    x.index.conf *= ratio;
    for f in &mut x.forwards {
        f.price *= ratio;
    }
    for v in x.marks.values_mut() {
        *v *= ratio;
    }
    if let Some(d) = &mut x.depth {
        for l in d.bids.iter_mut().chain(d.asks.iter_mut()) {
            l[0] *= ratio;
        }
    }
    if let Some(c) = m.collateral.get_mut(u) {
        c.price *= ratio;
    }
    m
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn roots_of_the_sample_account_are_where_margin_gives_health_one() {
    // Sticky moneyness: the surface travels with the forward, so a hand-moved market is the
    // solver's market exactly. Re-run margin() at each root: health crosses 1 within ±1e-8.
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let p = RiskParams::default();
    let options = LiquidationOptions {
        sticky: StickyRule::Moneyness,
        ..LiquidationOptions::default()
    };
    let mut checked = 0;
    for name in ["account.json", "account-portfolio.json"] {
        let a: AccountSpec = json::from_str(&fixture(name)).unwrap();
        let r = liquidation_prices(&m, &a, &p, &options).unwrap();
        for (u, liq) in &r.underlyings {
            for &price in &liq.liquidation_prices {
                let ratio = price / liq.spot;
                let health = |k: f64| {
                    margin(&moved(&m, u, ratio * k), &a, &p)
                        .unwrap()
                        .health
                        .unwrap()
                };
                let (below, at, above) = (health(1.0 - 1e-8), health(1.0), health(1.0 + 1e-8));
                assert!(
                    (below - 1.0) * (above - 1.0) <= 0.0,
                    "{name} {u} at {price}: {below} {at} {above}"
                );
                assert!(
                    (at - 1.0).abs() < 1e-6,
                    "{name} {u} at {price}: health {at}"
                );
                checked += 1;
            }
            for &price in &liq.bankruptcy_prices {
                let equity = margin(&moved(&m, u, price / liq.spot), &a, &p)
                    .unwrap()
                    .equity
                    .value;
                let scale = margin(&m, &a, &p).unwrap().maintenance_margin.value;
                assert!(
                    equity.abs() < 1e-6 * scale,
                    "{name} {u}: equity {equity} at {price}"
                );
            }
        }
    }
    assert!(
        checked >= 2,
        "expected roots in the sample accounts, got {checked}"
    );
}

#[test]
fn shifted_markets_equal_the_hand_moved_snapshot_rebuilt_from_scratch() {
    // The shifter revalidates only the moved underlying and shares its surface: its market must
    // value exactly like `Market::new` of the hand-moved snapshot (sticky moneyness: nothing
    // pinned), and refuse what that refuses, with the same code and field.
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let market = Market::new(m.clone()).unwrap();
    let p = RiskParams::default();
    let options = LiquidationOptions {
        sticky: StickyRule::Moneyness,
        ..LiquidationOptions::default()
    };
    for name in ["account.json", "account-portfolio.json"] {
        let a: AccountSpec = json::from_str(&fixture(name)).unwrap();
        let account = Account::new(&a).unwrap();
        for u in ["BTC", "ETH"] {
            let shifter =
                drr_margin::liquidation::Shifter::new(&market, &account, u, &options).unwrap();
            for ratio in [1e-4, 0.5, 0.995, 1.0, 1.005, 3.0, 1e4] {
                let shifted = shifter.market_at(ratio).unwrap();
                assert_eq!(shifted.spec(), moved(&m, u, ratio), "{name} {u} {ratio}");
                let ours = drr_margin::margin::margin_validated(&shifted, &account, &p).unwrap();
                let theirs = margin(&moved(&m, u, ratio), &a, &p).unwrap();
                assert_eq!(
                    serde_json::to_string(&ours).unwrap(),
                    serde_json::to_string(&theirs).unwrap(),
                    "{name} {u} {ratio}"
                );
            }
            // Past the Price domain (1e15): the same refusal.
            let ratio = 2e15 / market.underlying(u).unwrap().spot();
            let ours = shifter.market_at(ratio).unwrap_err();
            let theirs = Market::new(moved(&m, u, ratio)).unwrap_err();
            assert_eq!(ours.code(), theirs.code());
            assert_eq!(ours.field(), format!("market.{}", theirs.field()));
        }
    }
}

#[test]
fn sticky_strike_shifted_markets_value_like_the_snapshot_with_todays_vols_as_mark_ivs() {
    // Under sticky strike the shifter holds each option's vol at today's surface value. Its
    // market must value exactly like `Market::new` of the hand-moved snapshot in which every
    // option of the account on the moved underlying has that vol written as its `markIv`.
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let market = Market::new(m.clone()).unwrap();
    let p = RiskParams::default();
    let options = LiquidationOptions::default();
    assert_eq!(options.sticky, StickyRule::Strike);
    let mut pinned = 0;
    for name in ["account.json", "account-portfolio.json"] {
        let a: AccountSpec = json::from_str(&fixture(name)).unwrap();
        let account = Account::new(&a).unwrap();
        for u in ["BTC", "ETH"] {
            let now = market.underlying(u).unwrap();
            let mut by_hand = m.clone();
            for position in account.positions.iter() {
                let Some(expiry) = position.instrument.expiry() else {
                    continue;
                };
                let option = matches!(position.instrument.contract, ContractKind::Option { .. });
                if position.instrument.underlying != u || !option {
                    continue;
                }
                let t0 = market.time_to(expiry).unwrap().get();
                let vol = now
                    .option_vol(
                        &position.instrument,
                        &position.id,
                        now.forward_at(now.spot(), t0),
                        t0,
                    )
                    .unwrap();
                let listed = &mut by_hand.underlyings.get_mut(u).unwrap().mark_iv;
                listed.insert(position.id.clone(), vol.get());
                pinned += 1;
            }
            let shifter =
                drr_margin::liquidation::Shifter::new(&market, &account, u, &options).unwrap();
            for ratio in [1e-4, 0.5, 0.995, 1.0, 1.005, 3.0, 1e4] {
                let shifted = shifter.market_at(ratio).unwrap();
                let ours = drr_margin::margin::margin_validated(&shifted, &account, &p).unwrap();
                let theirs = margin(&moved(&by_hand, u, ratio), &a, &p).unwrap();
                assert_eq!(
                    serde_json::to_string(&ours).unwrap(),
                    serde_json::to_string(&theirs).unwrap(),
                    "{name} {u} {ratio}"
                );
            }
        }
    }
    assert!(pinned >= 4, "the fixtures hold options: {pinned}");
}

fn straddle(collateral: f64) -> (MarketSpec, AccountSpec) {
    let m = market(
        json!({"BTC": {"index": {"price": 100000, "publishTime": NOW},
        "markIv": {"BTC_USDC-25DEC26-100000-C": 0.6, "BTC_USDC-25DEC26-100000-P": 0.6}}}),
    );
    let a = account(
        json!({"mode": "cross", "collateral": {"USDC": collateral}, "positions": [
        {"instrument": "BTC_USDC-25DEC26-100000-C", "size": -1},
        {"instrument": "BTC_USDC-25DEC26-100000-P", "size": -1}]}),
    );
    (m, a)
}

#[test]
fn short_straddle_has_a_liquidation_price_on_each_side_and_bankruptcy_beyond() {
    let (m, a) = straddle(80_000.0);
    let p = RiskParams::default();
    let r = solve(&m, &a, &p);
    let btc = &r.underlyings["BTC"];
    assert!(!btc.liquidatable);
    assert_eq!(btc.liquidation_prices.len(), 2, "{btc:?}");
    let (lo, hi) = (btc.liquidation_prices[0], btc.liquidation_prices[1]);
    assert!(lo < 100_000.0 && hi > 100_000.0);
    // Equity falls to 0 only further out: bankruptcy outside the liquidation band.
    assert_eq!(btc.bankruptcy_prices.len(), 2);
    assert!(btc.bankruptcy_prices[0] < lo && btc.bankruptcy_prices[1] > hi);
    // Distances: nearest in log terms, σ·√horizon units with σ = 100 % (no surface: defaultVol)
    // and horizon 60 s.
    let nearest = btc.nearest.unwrap();
    let sigma_sqrt_h = 1.0 * (60_000.0f64 / (365.0 * 86_400_000.0)).sqrt();
    #[allow(clippy::disallowed_methods)] // std ln as an independent reference
    let expected = (nearest / 100_000.0).ln().abs() / sigma_sqrt_h;
    assert!(rel(btc.distance_sigma.unwrap(), expected) < 1e-12);
    // The linear estimate also brackets spot with two roots (a short straddle is concave).
    assert_eq!(btc.linear_estimate.liquidation_prices.len(), 2);
    assert!(btc.linear_estimate.curvature < 0.0);
}

#[test]
fn linear_books_have_one_root_per_side_and_ordered_bankruptcy() {
    let m = market(
        json!({"BTC": {"index": {"price": 100000, "publishTime": NOW},
        "marks": {"BTC-PERPETUAL": 100000}}}),
    );
    let p = RiskParams::default();
    for (instrument, size, collateral) in [
        ("BTC-PERP", 1.0, 20_000.0),
        ("BTC-PERP", -1.0, 20_000.0),
        ("BTC-PERPETUAL", 100_000.0, 20_000.0), // inverse, USD notional
        ("BTC-PERPETUAL", -100_000.0, 20_000.0),
    ] {
        let a = account(
            json!({"mode": "cross", "collateral": {"USDC": collateral}, "positions": [
            {"instrument": instrument, "size": size, "entryPrice": 100000}]}),
        );
        let btc = &solve(&m, &a, &p).underlyings["BTC"];
        assert_eq!(
            btc.liquidation_prices.len(),
            1,
            "{instrument} {size}: {btc:?}"
        );
        assert_eq!(
            btc.bankruptcy_prices.len(),
            1,
            "{instrument} {size}: {btc:?}"
        );
        let (liq, bank) = (btc.liquidation_prices[0], btc.bankruptcy_prices[0]);
        if size > 0.0 {
            assert!(bank < liq && liq < 100_000.0, "{instrument}: {bank} {liq}");
        } else {
            assert!(100_000.0 < liq && liq < bank, "{instrument}: {liq} {bank}");
        }
    }
}

#[test]
fn no_root_gives_an_empty_list_with_a_reason() {
    // Fully funded long: equity = 150,000 + S − 100,000 never reaches 1 % of S.
    let m = market(json!({"BTC": index(100_000.0)}));
    let a = account(
        json!({"mode": "cross", "collateral": {"USDC": 150_000}, "positions": [
        {"instrument": "BTC-PERP", "size": 1, "entryPrice": 100000}]}),
    );
    let btc = &solve(&m, &a, &RiskParams::default()).underlyings["BTC"];
    assert!(btc.liquidation_prices.is_empty() && btc.nearest.is_none());
    assert!(
        btc.reason.as_deref().unwrap().contains("stays above"),
        "{btc:?}"
    );
}

#[test]
fn sticky_strike_pins_surface_vols_and_differs_from_sticky_moneyness() {
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let a: AccountSpec = json::from_str(&fixture("account.json")).unwrap();
    let p = RiskParams::default();
    let strike = liquidation_prices(&m, &a, &p, &LiquidationOptions::default()).unwrap();
    let moneyness = liquidation_prices(
        &m,
        &a,
        &p,
        &LiquidationOptions {
            sticky: StickyRule::Moneyness,
            ..LiquidationOptions::default()
        },
    )
    .unwrap();
    // Same health now (no move), different prices once the smile is read elsewhere.
    assert_eq!(
        strike.underlyings["BTC"].health,
        moneyness.underlyings["BTC"].health
    );
    assert_ne!(
        strike.underlyings["BTC"].liquidation_prices,
        moneyness.underlyings["BTC"].liquidation_prices
    );
}

#[test]
fn what_if_after_equals_the_margin_of_the_post_trade_account() {
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let a: AccountSpec = json::from_str(&fixture("account.json")).unwrap();
    let p = RiskParams::default();
    let options = LiquidationOptions::default();
    // 1. Add 0.2 to the BTC_USDC perpetual (0.3 at 97,200) at 98,000: entry = VWAP.
    let order: Order = json::from_value(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 0.2,
        "side": "buy", "price": 98000}))
    .unwrap();
    let r = what_if(&m, &a, &order, &p, &options).unwrap();
    let mut post: Value = serde_json::to_value(&a).unwrap();
    let positions = post["positions"].as_array_mut().unwrap();
    let perp = positions
        .iter_mut()
        .find(|x| x["instrument"] == "BTC_USDC-PERPETUAL")
        .unwrap();
    perp["size"] = json!(0.5);
    perp["entryPrice"] = json!((0.3 * 97_200.0 + 0.2 * 98_000.0) / 0.5);
    let direct = margin(&m, &account(post), &p).unwrap();
    assert_same(&r.after, &direct);
    assert_same(&r.before, &margin(&m, &a, &p).unwrap());
    assert_eq!(
        units(&r.impact.initial_margin),
        units(&direct.initial_margin) - units(&r.before.initial_margin)
    );
    // 2. Buy a new option at 2,500 USD: premium 2 × 2,500 leaves the USDC balance.
    let order: Order =
        json::from_value(json!({"instrument": "BTC_USDC-25DEC26-90000-P", "size": 2,
        "price": 2500}))
        .unwrap();
    let r = what_if(&m, &a, &order, &p, &options).unwrap();
    let mut post: Value = serde_json::to_value(&a).unwrap();
    post["collateral"]["USDC"] = json!(150_000.0 - 5_000.0);
    post["positions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"instrument": "BTC_USDC-25DEC26-90000-P", "size": 2, "entryPrice": 2500}));
    assert_same(&r.after, &margin(&m, &account(post), &p).unwrap());
    assert!((r.fill.premium - 5_000.0).abs() < 1e-9);
    // 3. Close the perpetual at 99,000: realised 0.3 × 1,800 = 540 USDC, position removed.
    let order: Order = json::from_value(json!({"instrument": "BTC_USDC-PERPETUAL", "size": -0.3,
        "price": 99000}))
    .unwrap();
    let r = what_if(&m, &a, &order, &p, &options).unwrap();
    let mut post: Value = serde_json::to_value(&a).unwrap();
    post["collateral"]["USDC"] = json!(150_000.0 + 540.0);
    post["positions"]
        .as_array_mut()
        .unwrap()
        .retain(|x| x["instrument"] != "BTC_USDC-PERPETUAL");
    assert_same(&r.after, &margin(&m, &account(post), &p).unwrap());
    assert!((r.fill.realized_pnl - 540.0).abs() < 1e-9 && r.fill.position_after == 0.0);
    // An oversized order is reported, not refused.
    let order: Order = json::from_value(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 500,
        "side": "sell"}))
    .unwrap();
    let r = what_if(&m, &a, &order, &p, &options).unwrap();
    assert!(r.under_collateralised && units(&r.after.free_collateral) < 0);
    // Exact liquidation prices on request agree with the solver on the same account.
    let exact = LiquidationOptions {
        what_if_prices: PriceDetail::Exact,
        ..LiquidationOptions::default()
    };
    let order: Order = json::from_value(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 0.2,
        "price": 98000}))
    .unwrap();
    let r = what_if(&m, &a, &order, &p, &exact).unwrap();
    let solved = liquidation_prices(&m, &a, &p, &options).unwrap();
    assert_eq!(
        r.before.liquidation["BTC"].liquidation_prices,
        solved.underlyings["BTC"].liquidation_prices
    );
}

fn assert_same(summary: &drr_margin::liquidation::what_if::AccountSummary, report: &MarginReport) {
    assert_eq!(summary.equity, report.equity);
    assert_eq!(summary.initial_margin, report.initial_margin);
    assert_eq!(summary.maintenance_margin, report.maintenance_margin);
    assert_eq!(summary.free_collateral, report.free_collateral);
    assert_eq!(summary.health, report.health);
}

#[test]
fn max_size_is_the_last_grid_size_with_free_collateral_at_least_zero() {
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let a: AccountSpec = json::from_str(&fixture("account.json")).unwrap();
    let p = RiskParams::default();
    for (instrument, side, increment) in [
        ("BTC_USDC-PERPETUAL", Side::Buy, 0.001),
        ("BTC_USDC-PERPETUAL", Side::Sell, 0.001),
        ("BTC_USDC-25DEC26-110000-C", Side::Sell, 0.1),
        // A long option: its premium is charged at IM (`options.longInitial`), so it is bounded.
        ("BTC_USDC-25DEC26-110000-C", Side::Buy, 0.1),
        ("ETH_USDC-PERPETUAL", Side::Buy, 0.01),
    ] {
        let options = LiquidationOptions {
            size_increment: increment,
            what_if_prices: PriceDetail::None,
            ..LiquidationOptions::default()
        };
        let spec = InstrumentSpec::Id(instrument.into());
        let r = max_size(&m, &a, &spec, side, &p, &options).unwrap();
        assert!(r.size > 0.0 && r.bounded, "{instrument}: {r:?}");
        // Checked through what_if (the fill path), at the size and one increment more.
        let free = |size: f64| {
            let order = Order {
                instrument: spec.clone(),
                size,
                side: Some(side),
                price: None,
                isolated_margin: None,
            };
            units(
                &what_if(&m, &a, &order, &p, &options)
                    .unwrap()
                    .after
                    .free_collateral,
            )
        };
        assert!(free(r.size) >= 0, "{instrument}: at {}", r.size);
        assert!(
            free(r.size + increment) < 0,
            "{instrument}: at {} + {increment}",
            r.size
        );
        // On the grid (rounded down to a multiple of the increment).
        let k = r.size / increment;
        assert!((k - k.round()).abs() < 1e-6, "{instrument}: {}", r.size);
    }
}

#[test]
fn max_size_of_an_order_that_costs_no_collateral_is_unbounded_not_an_error() {
    // A long call struck at 10× spot, 3 months, 30 % vol: its Black-76 value is ~1e-46 USD per
    // BTC (d₂ ≈ −15.5σ), so buying it moves neither equity (premium rounds to 0 base units at any
    // size searched) nor the requirement (long options require nothing). Free collateral never
    // falls: the answer is `bounded: false` at the search limit, min(2⁵² increments, 1e15).
    let id = "BTC_USDC-25DEC26-1000000-C";
    let m = market(
        json!({"BTC": {"index": {"price": 100000, "publishTime": NOW},
        "markIv": {id: 0.3}}}),
    );
    let a = account(json!({"mode": "cross", "collateral": {"USDC": 10000}, "positions": []}));
    let p = RiskParams::default();
    let spec = InstrumentSpec::Id(id.into());
    for (increment, limit) in [(0.0001, 4_503_599_627_370_496.0 / 10_000.0), (1.0, 1e15)] {
        let options = LiquidationOptions {
            size_increment: increment,
            ..LiquidationOptions::default()
        };
        let r = max_size(&m, &a, &spec, Side::Buy, &p, &options).unwrap();
        assert!(!r.bounded, "{r:?}");
        assert_eq!(r.size, limit);
        assert!(r.free_collateral_next.is_none());
        // Checked through what_if at the limit: free collateral is still ≥ 0 there.
        let order = Order {
            instrument: spec.clone(),
            size: r.size,
            side: Some(Side::Buy),
            price: None,
            isolated_margin: None,
        };
        let after = what_if(&m, &a, &order, &p, &options).unwrap().after;
        assert!(units(&after.free_collateral) >= 0);
        assert_eq!(after.free_collateral, r.free_collateral);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["bounded"], json!(false));
        assert!(json.get("freeCollateralNext").is_none());
    }
    // Bounded answers say so and carry the next grid size's (negative) free collateral.
    let sell = max_size(
        &m,
        &a,
        &InstrumentSpec::Id("BTC-PERP".into()),
        Side::Sell,
        &p,
        &LiquidationOptions::default(),
    )
    .unwrap();
    assert!(sell.bounded && units(sell.free_collateral_next.as_ref().unwrap()) < 0);
    // An increment beyond the size domain is refused, naming it.
    let err = max_size(
        &m,
        &a,
        &spec,
        Side::Buy,
        &p,
        &LiquidationOptions {
            size_increment: 1e16,
            ..LiquidationOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.field(), "options.sizeIncrement");
}

#[test]
fn bad_input_is_a_coded_error_naming_the_field() {
    let m: MarketSpec = json::from_str(&fixture("market.json")).unwrap();
    let a: AccountSpec = json::from_str(&fixture("account.json")).unwrap();
    let p = RiskParams::default();
    let o = LiquidationOptions::default();
    let order = |v: Value| -> Order { json::from_value(v).unwrap() };
    let cases = [
        (
            order(json!({"instrument": "BTC-PERP", "size": 0})),
            "order.size",
        ),
        (
            order(json!({"instrument": "BTC-PERP", "size": -1, "side": "buy"})),
            "order.size",
        ),
        (
            order(json!({"instrument": "BTC-NOPE", "size": 1})),
            "order.instrument",
        ),
        (
            order(json!({"instrument": "BTC-PERP", "size": 1, "price": -5})),
            "order.price",
        ),
        (
            order(json!({"instrument": "BTC-PERP", "size": 1, "isolatedMargin": 5})),
            "order.isolatedMargin",
        ),
        (
            order(json!({"instrument": "DOGE-PERP", "size": 1})),
            "market.underlyings.DOGE",
        ),
    ];
    for (ord, field) in cases {
        let err = what_if(&m, &a, &ord, &p, &o).unwrap_err();
        assert_eq!(err.field(), field, "{err}");
        assert!(err.code().starts_with("E_"));
    }
    let bad_options = LiquidationOptions {
        validity_range: 2.0,
        ..LiquidationOptions::default()
    };
    let err = liquidation_prices(&m, &a, &p, &bad_options).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "options.validityRange")
    );
    let bad_account = account(
        json!({"mode": "cross", "positions": [{"instrument": "BTC-PERP", "size": 0, "entryPrice": 1}]}),
    );
    let err = liquidation_prices(&m, &bad_account, &p, &o).unwrap_err();
    assert_eq!(err.field(), "account.positions[0].size");
    let err = json::from_value::<Order>(json!({"instrument": "BTC-PERP", "size": 1, "sid": "buy"}))
        .unwrap_err();
    assert_eq!(err.field(), "sid");
}

// ---- The two-stage trigger: the fast check never misses what the full model liquidates. ----

mod trigger {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;

    const EXPIRIES: [&str; 4] = ["30OCT26", "27NOV26", "25DEC26", "26MAR27"];

    #[derive(Debug, Clone)]
    struct Leg {
        kind: u8, // 0 linear perp, 1 inverse perp, 2 option
        linear: bool,
        call: bool,
        strike: u32,
        expiry: usize,
        size: f64,
    }

    fn leg() -> impl Strategy<Value = Leg> {
        (
            0u8..3,
            any::<bool>(),
            any::<bool>(),
            14u32..27,
            0usize..4,
            -30i32..30,
        )
            .prop_map(|(kind, linear, call, strike, expiry, size)| Leg {
                kind,
                linear,
                call,
                strike: strike * 5_000,
                expiry,
                size: if size == 0 {
                    0.5
                } else {
                    f64::from(size) / 10.0
                },
            })
    }

    fn build(legs: &[Leg], usdc: f64, btc: f64) -> (Market, Account) {
        build_in("cross", legs, usdc, btc)
    }

    fn build_in(mode: &str, legs: &[Leg], usdc: f64, btc: f64) -> (Market, Account) {
        let mut marks_iv = serde_json::Map::new();
        let mut positions = Vec::new();
        for l in legs {
            match l.kind {
                0 => positions.push(json!({"instrument": "BTC-PERP", "size": l.size, "entryPrice": 100000})),
                1 => positions.push(json!({"instrument": "BTC-PERPETUAL", "size": l.size * 100_000.0, "entryPrice": 100000})),
                _ => {
                    let prefix = if l.linear { "BTC_USDC" } else { "BTC" };
                    let id = format!("{prefix}-{}-{}-{}", EXPIRIES[l.expiry], l.strike, if l.call { "C" } else { "P" });
                    // A skewed mark-IV per strike (sticky strike: fixed per instrument).
                    let iv = 0.55 + 0.25 * ((f64::from(l.strike) - 100_000.0) / 100_000.0).abs();
                    marks_iv.insert(id.clone(), json!(iv));
                    positions.push(json!({"instrument": id, "size": l.size}));
                }
            }
        }
        let m = market(
            json!({"BTC": {"index": {"price": 100000, "publishTime": NOW},
            "marks": {"BTC-PERPETUAL": 100000}, "markIv": marks_iv}}),
        );
        let a = account(
            json!({"mode": mode, "collateral": {"USDC": usdc, "BTC": btc}, "positions": positions}),
        );
        (Market::new(m).unwrap(), Account::new(&a).unwrap())
    }

    /// Random cross books (linear/inverse perpetuals, linear/inverse calls and puts, 1–5 legs)
    /// funded to a health now in [1, 2.5]; the full model is evaluated on 81 moves across ±R
    /// (hand-moved market, not the solver's shifter) and by the solver. Whenever either
    /// liquidates, the fast check must have flagged. The test can fail: with the curvature term
    /// dropped (a delta-only check) it finds a miss within 300 cases (seed 1: a short 115,000
    /// call). With the gamma bound and the safety margin both set to 0 it found none in 300
    /// cases, so the defaults hold a margin beyond what this generator needs.
    #[test]
    fn fast_check_never_misses_a_liquidation_within_its_validity_range() {
        never_misses("cross", &RiskParams::default(), 48);
    }

    /// The same property for portfolio-mode books (the drr profile's risk matrix: scenario grid
    /// of spot moves and vol shocks, its worst loss as the requirement).
    #[test]
    fn fast_check_never_misses_a_portfolio_liquidation_within_its_validity_range() {
        never_misses("portfolio", &RiskParams::default(), 32);
    }

    /// Every venue portfolio profile, with the same generator (a shorter run each).
    #[test]
    fn fast_check_never_misses_under_the_venue_portfolio_profiles() {
        for profile in ["deribit-portfolio", "paradex-portfolio", "derive-portfolio"] {
            never_misses("portfolio", &profiles::profile(profile).unwrap(), 12);
        }
    }

    fn never_misses(mode: &str, p: &RiskParams, cases: u32) {
        let p = p.clone();
        // Longer runs: DRR_TRIGGER_CASES=2000 (and PROPTEST_RNG_SEED for another sequence).
        let cases = std::env::var("DRR_TRIGGER_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(cases);
        let build = |legs: &[Leg], usdc: f64, btc: f64| build_in(mode, legs, usdc, btc);
        let options = LiquidationOptions::default();
        let r = options.validity_range;
        let (unflagged, confirmed) = (Cell::new(0), Cell::new(0));
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(
                std::env::var("PROPTEST_RNG_SEED")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(20_261_202),
            ),
            ..ProptestConfig::default()
        });
        runner
            .run(
                &(prop::collection::vec(leg(), 1..6), 1.0f64..2.5, 0.0f64..0.5),
                |(legs, health, btc)| {
                    // Fund the account to a health now in [1, 2.5]: near enough to matter.
                    let (m, a) = build(&legs, 0.0, btc);
                    let bare = drr_margin::margin::margin_validated(&m, &a, &p).unwrap();
                    let usdc = health * bare.maintenance_margin.value - bare.equity.value;
                    let (m, a) = build(&legs, usdc, btc);
                    let check = liquidation_check_validated(&m, &a, &p, &options).unwrap();
                    // The full model on a grid of moves within ±R, independently of the solver.
                    let spec = m.spec().clone();
                    let mut worst = f64::INFINITY;
                    for i in -40..=40 {
                        let ratio = 1.0 + r * f64::from(i) / 40.0;
                        let moved = Market::new(super::moved(&spec, "BTC", ratio)).unwrap();
                        let report = drr_margin::margin::margin_validated(&moved, &a, &p).unwrap();
                        worst = drr_margin::math::min(
                            worst,
                            report.equity.value - report.maintenance_margin.value,
                        );
                    }
                    let full =
                        drr_margin::liquidation::liquidation_prices_validated(&m, &a, &p, &options)
                            .unwrap();
                    let btc_full = &full.underlyings["BTC"];
                    let liquidated = worst < 0.0
                        || btc_full.liquidatable
                        || btc_full
                            .liquidation_prices
                            .iter()
                            .any(|x| (x / btc_full.spot - 1.0).abs() <= r);
                    if liquidated {
                        prop_assert!(
                            check.flagged,
                            "missed: {legs:?} health {health} (USDC {usdc}) BTC {btc}: {:?}",
                            check.linear
                        );
                        prop_assert_eq!(check.confirmed, Some(true));
                        confirmed.set(confirmed.get() + 1);
                    }
                    if !check.flagged {
                        unflagged.set(unflagged.get() + 1);
                    }
                    Ok(())
                },
            )
            .unwrap();
        // Not vacuous: some accounts are liquidated within the range, some are left alone.
        assert!(
            confirmed.get() > 0 && unflagged.get() > 0,
            "confirmed {} unflagged {}",
            confirmed.get(),
            unflagged.get()
        );
    }

    #[test]
    fn a_well_funded_account_is_not_flagged_and_a_thin_one_is() {
        let legs = [Leg {
            kind: 0,
            linear: true,
            call: false,
            strike: 0,
            expiry: 0,
            size: 1.0,
        }];
        let p = RiskParams::default();
        let o = LiquidationOptions::default();
        let (m, a) = build(&legs, 60_000.0, 0.0);
        assert!(!liquidation_check_validated(&m, &a, &p, &o).unwrap().flagged);
        // 6 % margin on a long: a 10 % fall liquidates it.
        let (m, a) = build(&legs, 6_000.0, 0.0);
        let check = liquidation_check_validated(&m, &a, &p, &o).unwrap();
        assert!(check.flagged && check.confirmed == Some(true));
    }
}
