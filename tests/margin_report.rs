//! `margin()` end to end: venue figures reproduced through the profiles (sources in comments),
//! and report-level properties from the margin issue — monotone in size, invariant under
//! splitting a position, linear ↔ inverse consistency, hedges lowering portfolio margin.
#![allow(clippy::unwrap_used)] // test code

use drr_margin::json;
use drr_margin::margin::{margin, profiles, MarginReport};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use serde_json::{json, Value};

const NOW: i64 = 1_795_507_200_000; // 2026-11-24 08:00 UTC

fn market(underlyings: Value) -> MarketSpec {
    json::from_value(json!({
        "now": NOW,
        "underlyings": underlyings,
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap()
}

fn index(price: f64) -> Value {
    json!({"index": {"price": price, "publishTime": NOW}})
}

fn run(market: &MarketSpec, account: Value, params: Value) -> MarginReport {
    let account: AccountSpec = json::from_value(account).unwrap();
    margin(market, &account, &profiles::resolve(Some(params)).unwrap()).unwrap()
}

fn units(money: &drr_margin::margin::money::Money) -> i128 {
    money.units.parse().unwrap()
}

#[test]
fn hyperliquid_btc_tiers_at_200m_notional() {
    // docs/venues/hyperliquid.md §4 (Hyperliquid docs, margin tiers): BTC 40× to 150M then 20×;
    // MM at 200M notional = 200e6·0.025 − 1.875e6 = 3,125,000; IM = 200e6/20 − 3.75e6 = 6,250,000.
    let m = market(json!({"BTC": index(100_000.0)}));
    let r = run(
        &m,
        json!({"mode": "cross", "collateral": {"USDC": 1e7},
               "positions": [{"instrument": "BTC-PERP", "size": 2000, "entryPrice": 100000}]}),
        json!({"profile": "hyperliquid"}),
    );
    assert!((r.maintenance_margin.value - 3_125_000.0).abs() < 1e-9 * 3_125_000.0);
    assert!((r.initial_margin.value - 6_250_000.0).abs() < 1e-9 * 6_250_000.0);
    // The position's own line carries the same two figures (its requirement, not repeated ids).
    let line = r.positions[0].requirement.unwrap();
    assert!((line.maintenance - 3_125_000.0).abs() < 1e-9 * 3_125_000.0);
    assert!((line.initial - 6_250_000.0).abs() < 1e-9 * 6_250_000.0);
    let text = serde_json::to_string(&r.positions[0]).unwrap();
    assert!(text.contains(r#""requirement":{"maintenance":"#), "{text}");
    // Rounded up to micro-USDC: the exact amount, or one unit above (outward nudge), never below.
    assert!((3_125_000_000_000..=3_125_000_000_001).contains(&units(&r.maintenance_margin)));
}

#[test]
fn hyperliquid_tiers_at_the_mark() {
    // "Mark price is used" (docs/venues/hyperliquid.md §6): at mark 80,000 (index 100,000) the
    // 2,000 BTC position's notional is 160M, in the 20× tier: IM = 160e6/20 − 3.75e6 = 4,250,000,
    // MM = half = 2,125,000 (at the index: 6,250,000 / 3,125,000, the test above).
    let m = market(
        json!({"BTC": {"index": {"price": 100_000, "publishTime": NOW},
        "marks": {"BTC_USDC-PERPETUAL": 80_000}}}),
    );
    let account = json!({"mode": "cross", "collateral": {"USDC": 1e8},
        "positions": [{"instrument": "BTC-PERP", "size": 2000, "entryPrice": 100000}]});
    let r = run(&m, account.clone(), json!({"profile": "hyperliquid"}));
    assert!((r.initial_margin.value - 4_250_000.0).abs() < 1e-9 * 4_250_000.0);
    assert!((r.maintenance_margin.value - 2_125_000.0).abs() < 1e-9 * 2_125_000.0);
    let at_index = run(
        &m,
        account,
        json!({"profile": "hyperliquid", "standard": {"notionalAtMark": false}}),
    );
    assert!((at_index.initial_margin.value - 6_250_000.0).abs() < 1e-9 * 6_250_000.0);
}

#[test]
fn dydx_v4_chain_margin_requirement_test_case() {
    // dydxprotocol/v4-chain protocol/x/perpetuals/lib/lib_test.go,
    // TestGetMarginRequirementsInQuoteQuantums_2 (docs/venues/dydx-v4.md §8 D): price 123,456,
    // 74,523 base quantums at atomic resolution −6 (0.074523), IMF 50,000 ppm, MF 600,000 ppm →
    // IMR 460,015,575 and MMR 276,009,345 quote quantums (1e-6 USDC), both rounded up. Exact.
    let m = market(json!({"X": index(123_456.0)}));
    let r = run(
        &m,
        json!({"mode": "cross", "collateral": {"USDC": 1000},
               "positions": [{"instrument": "X-PERP", "size": 0.074523, "entryPrice": 123456}]}),
        json!({"profile": "dydx-v4", "standard": {"defaultFutures": {"imBase": 0.05, "mmBase": 0.03,
               "openInterestLowerCap": 0, "openInterestUpperCap": 0}}}),
    );
    assert_eq!(r.initial_margin.units, "460015575");
    assert_eq!(r.maintenance_margin.units, "276009345");
}

#[test]
fn dydx_open_interest_imf_from_market_data() {
    // dydxprotocol/v4-chain TestGetInitialMarginQuoteQuantums (docs/venues/dydx-v4.md §8 B):
    // IMF 200,000 ppm, notional 500,000 quote quantums, open interest 1.5e12 between caps 1e12
    // and 2e12 → IMF 60 %, IMR 300,000 qq; open interest 8e13 above caps 2.5e13/5e13 → IMF
    // 100 %, IMR 500,000. Here all amounts in USDC (qq / 1e6; only ratios matter), so the IMR
    // is 300,000 or 500,000 micro-USDC: exact, or one unit above (our outward rounding of
    // 0.2 + 0.5·0.8 = 0.6000000000000001), never below.
    let run_oi = |market_oi: Option<f64>, param_oi: f64, lower: f64, upper: f64| {
        let mut x = index(1.0);
        if let Some(oi) = market_oi {
            x["openInterest"] = json!(oi);
        }
        let m = market(json!({ "X": x }));
        run(
            &m,
            json!({"mode": "cross", "collateral": {"USDC": 10},
                   "positions": [{"instrument": "X-PERP", "size": 0.5, "entryPrice": 1}]}),
            json!({"profile": "dydx-v4", "standard": {"defaultFutures": {"imBase": 0.2,
                   "mmBase": 0.1, "openInterest": param_oi, "openInterestLowerCap": lower,
                   "openInterestUpperCap": upper}}}),
        )
        .initial_margin
        .units
        .parse::<i64>()
        .unwrap()
    };
    let near = |got: i64, exact: i64| assert!((exact..=exact + 1).contains(&got), "{got}");
    near(run_oi(Some(1.5e6), 0.0, 1e6, 2e6), 300_000);
    near(run_oi(Some(8e7), 0.0, 2.5e7, 5e7), 500_000);
    // The market's value wins over the parameter's; without it the parameter still counts.
    near(run_oi(Some(1.5e6), 9e9, 1e6, 2e6), 300_000);
    near(run_oi(None, 1.5e6, 1e6, 2e6), 300_000);
    near(run_oi(None, 0.0, 1e6, 2e6), 100_000);
    // Bad market data is a coded error naming the field.
    let mut x = index(1.0);
    x["openInterest"] = json!(-1.0);
    let spec: MarketSpec =
        json::from_value(json!({"now": NOW, "underlyings": {"X": x}, "collateral": {}})).unwrap();
    let err = drr_margin::market::Market::new(spec).unwrap_err();
    assert_eq!(err.field(), "underlyings.X.openInterest");
}

#[test]
fn deribit_linear_perpetual_table_through_margin() {
    // support.deribit.com Linear-Perpetual (docs/venues/deribit.md §1.3): BTC_USDC, index
    // 100,000, 25 BTC → IM 53,125 USDC, MM 28,125 USDC; 350 BTC → IM 1,312,500.
    let m = market(json!({"BTC": index(100_000.0)}));
    for (size, im, mm) in [(25.0, 53_125.0, Some(28_125.0)), (350.0, 1_312_500.0, None)] {
        let r = run(
            &m,
            json!({"mode": "cross", "collateral": {"USDC": 2e6},
                   "positions": [{"instrument": "BTC_USDC-PERPETUAL", "size": size, "entryPrice": 100000}]}),
            json!({"profile": "deribit-standard"}),
        );
        assert!(
            (r.initial_margin.value - im).abs() < 1e-9 * im,
            "{size}: {}",
            r.initial_margin.value
        );
        if let Some(mm) = mm {
            assert!((r.maintenance_margin.value - mm).abs() < 1e-9 * mm);
        }
    }
}

fn options_market() -> MarketSpec {
    // No forwards and r = 0: F = S, so linear and inverse options are worth the same in USD.
    let expiry = 1_798_185_600_000_i64; // 2026-12-25 08:00 UTC
    market(json!({"BTC": {
        "index": {"price": 98_500.0, "publishTime": NOW},
        "vol": {"slices": [{"type": "svi", "expiry": expiry, "a": 0.0165, "b": 0.085, "rho": -0.25, "m": 0.02, "sigma": 0.12}]},
        "depth": {"bids": [[98_400.0, 30.0]], "asks": [[98_600.0, 30.0]]}
    }}))
}

fn book(mode: &str, legs: &[(&str, f64)]) -> Value {
    let positions: Vec<Value> = legs
        .iter()
        .map(|(id, size)| {
            if id.contains("PERP") {
                json!({"instrument": id, "size": size, "entryPrice": 98_500.0})
            } else {
                json!({"instrument": id, "size": size})
            }
        })
        .collect();
    json!({"mode": mode, "collateral": {"USDC": 1e6}, "positions": positions})
}

#[test]
fn splitting_a_position_changes_nothing_and_size_only_raises_requirements() {
    let m = options_market();
    for mode in ["cross", "portfolio"] {
        let whole = run(
            &m,
            book(
                mode,
                &[
                    ("BTC_USDC-25DEC26-110000-C", -4.0),
                    ("BTC_USDC-PERPETUAL", 1.5),
                ],
            ),
            json!({}),
        );
        let split = run(
            &m,
            book(
                mode,
                &[
                    ("BTC_USDC-25DEC26-110000-C", -1.0),
                    ("BTC_USDC-25DEC26-110000-C", -3.0),
                    ("BTC_USDC-PERPETUAL", 1.5),
                ],
            ),
            json!({}),
        );
        for (a, b) in [
            (&whole.initial_margin, &split.initial_margin),
            (&whole.maintenance_margin, &split.maintenance_margin),
        ] {
            assert!(
                (a.value - b.value).abs() <= 1e-9 * a.value,
                "{mode}: {} vs {}",
                a.value,
                b.value
            );
        }
        let mut last = 0.0;
        for k in [1.0, 2.0, 4.0, 8.0] {
            let r = run(
                &m,
                book(
                    mode,
                    &[
                        ("BTC_USDC-25DEC26-110000-C", -k),
                        ("BTC_USDC-PERPETUAL", 0.4 * k),
                    ],
                ),
                json!({}),
            );
            assert!(r.maintenance_margin.value >= last, "{mode} ×{k}");
            last = r.maintenance_margin.value;
        }
    }
}

#[test]
fn inverse_and_linear_options_agree_in_cross_mode() {
    let m = options_market();
    let linear = run(
        &m,
        book(
            "cross",
            &[
                ("BTC_USDC-25DEC26-110000-C", -2.0),
                ("BTC_USDC-25DEC26-85000-P", -2.0),
            ],
        ),
        json!({}),
    );
    let inverse = run(
        &m,
        book(
            "cross",
            &[
                ("BTC-25DEC26-110000-C", -2.0),
                ("BTC-25DEC26-85000-P", -2.0),
            ],
        ),
        json!({}),
    );
    for (a, b) in [
        (linear.initial_margin.value, inverse.initial_margin.value),
        (
            linear.maintenance_margin.value,
            inverse.maintenance_margin.value,
        ),
        (linear.equity.value, inverse.equity.value),
    ] {
        assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
    }
}

#[test]
fn a_hedge_lowers_portfolio_margin_and_hedged_books_cost_less_than_standard() {
    let m = options_market();
    // A naked short call, then covered by a long call spread leg and a delta hedge.
    let naked = run(
        &m,
        book("portfolio", &[("BTC_USDC-25DEC26-100000-C", -5.0)]),
        json!({}),
    );
    let hedged = run(
        &m,
        book(
            "portfolio",
            &[
                ("BTC_USDC-25DEC26-100000-C", -5.0),
                ("BTC_USDC-25DEC26-110000-C", 5.0),
            ],
        ),
        json!({}),
    );
    assert!(hedged.maintenance_margin.value < naked.maintenance_margin.value);
    // Defined-risk structures: portfolio margin ≤ the standard (rule-based) margin of the same book.
    for legs in [
        vec![
            ("BTC_USDC-25DEC26-100000-C", -5.0),
            ("BTC_USDC-25DEC26-110000-C", 5.0),
        ],
        vec![
            ("BTC_USDC-25DEC26-90000-P", -3.0),
            ("BTC_USDC-25DEC26-85000-P", 3.0),
            ("BTC_USDC-25DEC26-105000-C", -3.0),
            ("BTC_USDC-25DEC26-110000-C", 3.0),
        ],
    ] {
        let pm = run(&m, book("portfolio", &legs), json!({}));
        let sm = run(&m, book("cross", &legs), json!({}));
        assert!(
            pm.initial_margin.value <= sm.initial_margin.value,
            "PM {} > SM {}",
            pm.initial_margin.value,
            sm.initial_margin.value
        );
    }
}

#[test]
fn cme_span_scanning_risk_of_an_outright_future() {
    // docs/venues/cme-span.md (McMillan's S&P 500 example): PSR 20 points at $500/point → the
    // scanning risk of one outright future is $10,000 (scenario ±1 × PSR); the ±2 × PSR extreme
    // counts 35 %: 2·20·0.35 = 14 points = $7,000 < $10,000, so it does not bind.
    let m = market(json!({"SPX": index(2800.0)}));
    let r = run(
        &m,
        json!({"mode": "portfolio", "collateral": {"USDC": 1e6},
               "positions": [{"instrument": "SPX-PERP", "size": 500, "entryPrice": 2800}]}),
        json!({"profile": "cme-span-16", "portfolio": {"defaultUnderlying": {
               "priceRange": 20.0 / 2800.0, "extendedMoves": [-40.0 / 2800.0, 40.0 / 2800.0]}}}),
    );
    let scan = r.portfolio.as_ref().unwrap();
    assert!(
        (scan.worst_loss - 10_000.0).abs() < 1e-9 * 10_000.0,
        "{}",
        scan.worst_loss
    );
    let extreme = scan
        .scenarios
        .iter()
        .filter(|s| s.extended)
        .map(|s| -s.pnl_usd)
        .fold(0.0, drr_margin::math::max);
    assert!((extreme - 7_000.0).abs() < 1e-9 * 7_000.0, "{extreme}");
    assert!((r.maintenance_margin.value - 10_000.0).abs() < 1e-9 * 10_000.0);
    // 16 scenarios in SPAN; our grid also evaluates unchanged vol at each move (7 more rows).
    assert_eq!(scan.scenarios.len(), 7 * 3 + 2);
}

#[test]
fn model_parameter_errors_name_the_full_field_path() {
    // The standard and portfolio parameters are checked when their mode needs them; the error
    // names the field from the top of the parameters, like every other parameter error (and
    // the engine, which checks them once up front, names them the same way).
    let m = market(json!({"BTC": index(100_000.0)}));
    let account = |mode: &str| -> AccountSpec {
        json::from_value(json!({"mode": mode, "collateral": {"USDC": 1e6},
            "positions": [{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 100000}]}))
        .unwrap()
    };
    for (mode, params, field) in [
        (
            "cross",
            json!({"standard": {"options": {"initial": -5}}}),
            "params.standard.options.initial",
        ),
        (
            "portfolio",
            json!({"portfolio": {"mmFactor": 5}}),
            "params.portfolio.mmFactor",
        ),
    ] {
        let params = profiles::resolve(Some(params.clone())).unwrap();
        let err = margin(&m, &account(mode), &params).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("E_INVALID_INPUT", field),
            "{mode}"
        );
        let err = drr_margin::engine::EngineParams::new(params, Default::default()).unwrap_err();
        assert_eq!(err.field(), field, "engine");
    }
}
