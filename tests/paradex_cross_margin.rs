//! Paradex cross margin through the `paradex` profile (docs/venues/paradex.md §3–4), against the
//! published rules and worked examples:
//!
//! - options: https://docs.paradex.trade/documentation/perpetual-options/margin-requirements
//!   (worked examples at spot 100, parameter set "OPT-A") and the dated-options page
//!   (repository tradeparadex/paradex-docs, `docs/pages/dated-options/margin-requirements.mdx`:
//!   the BTC/ETH parameter table and the call-spread example at spot 100,000);
//! - perpetuals: https://docs.paradex.trade/risk/cross-margin-requirement (IMF = 1/leverage,
//!   MMF factor 50 %, notional at the mark) and the market pages' IMF (BTC, ETH 2 %; SOL 5 %).
//!
//! The spot-100 examples are run at index 100,000 and strikes × 1,000: every term of the formulas
//! is a fraction of the index, the strike or the OTM amount, so the requirements scale by 1,000
//! exactly. Tolerance 1e-9 relative (the marks of the spread example come from implied vols
//! solved here, good to ~1e-12).

// Helpers outside #[test] functions unwrap too (`allow-unwrap-in-tests` covers only the tests).
#![allow(clippy::unwrap_used)]

use drr_margin::json;
use drr_margin::margin::profiles::{profile, resolve};
use drr_margin::margin::standard::{standard_requirements, StandardResult};
use drr_margin::margin::{margin, MarginReport};
use drr_margin::market::{Market, MarketSpec};
use drr_margin::portfolio::{Account, AccountSpec};
use drr_margin::pricing::{implied_vol, OptionKind};
use serde_json::{json, Value};

const NOW: i64 = 1_790_000_000_000;
/// 27DEC26 08:00 UTC, the expiry of every option below.
const EXPIRY: i64 = 1_798_358_400_000;
const S: f64 = 100_000.0;

fn years() -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let t = (EXPIRY - NOW) as f64 / (365.0 * 86_400_000.0);
    t
}

/// BTC at 100,000 and SOL at 200, every option at the given mark IVs (60 % unless listed).
fn market_spec(ivs: &[(&str, f64)]) -> MarketSpec {
    let mut mark_iv = serde_json::Map::new();
    for strike in [15_000, 40_000, 100_000, 106_000, 110_000] {
        for kind in ["C", "P"] {
            mark_iv.insert(format!("BTC_USDC-27DEC26-{strike}-{kind}"), json!(0.6));
        }
    }
    for (id, iv) in ivs {
        mark_iv.insert((*id).to_string(), json!(iv));
    }
    json::from_value(json!({
        "now": NOW,
        "underlyings": {
            "BTC": {"index": {"price": S, "publishTime": NOW}, "markIv": mark_iv},
            "SOL": {"index": {"price": 200, "publishTime": NOW}}
        },
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap()
}

fn positions(positions: &Value) -> AccountSpec {
    json::from_value(json!({"mode": "cross", "collateral": {"USDC": 1e6}, "positions": positions}))
        .unwrap()
}

/// The `paradex` profile's standard model with `overrides` of its option rule.
fn standard(ivs: &[(&str, f64)], positions_json: &Value, overrides: &Value) -> StandardResult {
    let params = resolve(Some(
        json!({"profile": "paradex", "standard": {"options": overrides}}),
    ))
    .unwrap();
    let market = Market::new(market_spec(ivs)).unwrap();
    let account = Account::new(&positions(positions_json)).unwrap();
    standard_requirements(&market, &account.positions, &params.standard).unwrap()
}

fn assert_rel(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * drr_margin::math::max(expected.abs(), 1.0),
        "{what}: {actual} vs {expected}"
    );
}

fn short(strike: u32, kind: &str, size: f64) -> Value {
    json!({"instrument": format!("BTC_USDC-27DEC26-{strike}-{kind}"), "size": -size})
}

/// The perpetual-options page's worked examples (OPT-A: IM/MM short ITM 15 %/7.5 %, short OTM
/// 10 %/5 %, put cap 50 %/50 %), spot 100 → 100,000:
/// short call K = 106 → IMR max(15 − 6, 10) = 10, MMR max(7.5 − 6, 5) = 5 (the page prints
/// "OTM Amount = 5" but computes with 6); short put K = 106 (ITM) → 15, 7.5; short put K = 40
/// → IMR min(max(15 − 60, 10), 50 % · 40) = 10 (the MMR line is cut off on the page: 5 by the
/// same formula, min(max(7.5 − 60, 5), 20) — derived, not published).
#[test]
fn perpetual_options_page_worked_examples() {
    let opt_a = json!({"putCapInitial": 0.5, "putCapMaintenance": 0.5});
    for (strike, kind, im, mm) in [
        (106_000, "C", 10_000.0, 5_000.0),
        (106_000, "P", 15_000.0, 7_500.0),
        (40_000, "P", 10_000.0, 5_000.0),
    ] {
        let r = standard(&[], &json!([short(strike, kind, 1.0)]), &opt_a);
        assert_rel(r.initial, im, &format!("short {strike} {kind} IMR"));
        assert_rel(r.maintenance, mm, &format!("short {strike} {kind} MMR"));
        // Two contracts: twice the requirement (the page gives one contract).
        let r = standard(&[], &json!([short(strike, kind, 2.0)]), &opt_a);
        assert_rel(r.initial, 2.0 * im, "two contracts IMR");
    }
}

/// The dated-options table (BTC, ETH: short put cap 50 % at IM, 25 % at MM), where the cap binds:
/// a short put K = 15,000 at index 100,000 has max(15,000 − 85,000, 10,000) = 10,000 at IM,
/// capped at 50 % · 15,000 = 7,500, and max(7,500 − 85,000, 5,000) = 5,000 at MM, capped at
/// 25 % · 15,000 = 3,750. Derived from the published formula (no published example binds the
/// cap). Without the caps the floors apply.
#[test]
fn dated_options_short_put_cap() {
    let r = standard(&[], &json!([short(15_000, "P", 1.0)]), &json!({}));
    assert_rel(r.initial, 7_500.0, "capped IMR");
    assert_rel(r.maintenance, 3_750.0, "capped MMR");
    // A short call is never capped.
    let r = standard(&[], &json!([short(15_000, "C", 1.0)]), &json!({}));
    assert_rel(
        r.initial,
        15_000.0 - 0.0,
        "deep ITM call IMR = 15 % of S (OTM 0)",
    );
    assert_rel(r.maintenance, 7_500.0, "deep ITM call MMR");
}

/// The dated-options page's spread example: spot 100,000, long the 100,000 call at mark 4,000
/// (IMR min(4,000, 20 % · 100,000) = 4,000), short the 110,000 call at mark 1,500 (IMR
/// max(15,000 − 10,000, 10,000) = 10,000); sum 14,000, group margin min(14,000, 2,500 + 0) =
/// 2,500. The marks are set through mark IVs solved for 4,000 and 1,500.
#[test]
fn dated_options_call_spread_example() {
    let t = years();
    let long_iv = implied_vol(OptionKind::Call, 4_000.0, S, 100_000.0, t, 0.0).unwrap();
    let short_iv = implied_vol(OptionKind::Call, 1_500.0, S, 110_000.0, t, 0.0).unwrap();
    let ivs = [
        ("BTC_USDC-27DEC26-100000-C", long_iv),
        ("BTC_USDC-27DEC26-110000-C", short_iv),
    ];
    let legs = json!([
        {"instrument": "BTC_USDC-27DEC26-100000-C", "size": 1},
        short(110_000, "C", 1.0),
    ]);
    let r = standard(&ivs, &legs, &json!({}));
    assert_rel(r.positions[0].initial, 4_000.0, "long call IMR");
    assert_rel(r.positions[1].initial, 10_000.0, "short call IMR");
    assert_rel(r.initial, 2_500.0, "group IMR");
    assert_rel(r.spread_relief_initial, 11_500.0, "relief");
}

/// Perpetuals: IMR = IMF · notional with IMF 2 % (BTC) and 5 % (SOL, the default), MMR = 50 % of
/// it; and the whole report in cross mode adds the option legs with nothing on top (no DRR
/// add-on, liquidity charge or haircut in a venue profile).
#[test]
fn perpetuals_and_the_whole_cross_report() {
    let market = market_spec(&[]);
    let account = positions(&json!([
        {"instrument": "BTC_USDC-PERPETUAL", "size": 2, "entryPrice": 100000},
        {"instrument": "SOL_USDC-PERPETUAL", "size": -100, "entryPrice": 200},
        short(106_000, "C", 1.0),
        short(15_000, "P", 1.0),
    ]));
    let params = profile("paradex").unwrap();
    let r: MarginReport = margin(&market, &account, &params).unwrap();
    // BTC 2 · 100,000 · 2 % = 4,000 / 2,000; SOL 100 · 200 · 5 % = 1,000 / 500; the options
    // 10,000 / 5,000 and 7,500 / 3,750 as above (a short call and a short put of one expiry
    // are unbounded together: no relief).
    assert_rel(r.initial_margin.value, 22_500.0, "IMR");
    assert_rel(r.maintenance_margin.value, 11_250.0, "MMR");
}

/// "Buy IMR = Buy Open Size × IMF × Mark Price" (the current XM page): a perpetual's notional is
/// at its listed mark, 2 · 101,000 · 2 % = 4,040 / 2,020.
#[test]
fn perpetual_notional_at_the_mark() {
    let mut market = serde_json::to_value(market_spec(&[])).unwrap();
    market["underlyings"]["BTC"]["marks"] = json!({"BTC_USDC-PERPETUAL": 101_000});
    let market: MarketSpec = json::from_value(market).unwrap();
    let account = positions(&json!([
        {"instrument": "BTC_USDC-PERPETUAL", "size": 2, "entryPrice": 100000},
    ]));
    let r = margin(&market, &account, &profile("paradex").unwrap()).unwrap();
    assert_rel(r.initial_margin.value, 4_040.0, "IMR at the mark");
    assert_rel(r.maintenance_margin.value, 2_020.0, "MMR at the mark");
}

/// The Paradex formula's fields are refused with the Deribit formula (they would be ignored),
/// and out of their domains, with the field named.
#[test]
fn paradex_fields_are_checked() {
    for (options, field) in [
        (
            json!({"putCapInitial": 0.5, "putCapMaintenance": 0.25}),
            "putCapInitial",
        ),
        (json!({"maintenanceFloor": 0.05}), "maintenanceFloor"),
        (
            json!({"shortFormula": "paradex", "maintenanceFloor": 0.2}),
            "maintenanceFloor",
        ),
        (
            json!({"shortFormula": "paradex", "putCapMaintenance": 0.25}),
            "putCapMaintenance",
        ),
        (
            json!({"shortFormula": "paradex", "putCapInitial": 0.2, "putCapMaintenance": 0.25}),
            "putCapMaintenance",
        ),
        (json!({"shortFormula": "span"}), "shortFormula"),
    ] {
        // Decoding refuses an unknown formula; the model's checks (run by every margin call)
        // refuse the rest.
        let market = market_spec(&[]);
        let account = positions(&json!([short(106_000, "C", 1.0)]));
        let err = resolve(Some(json!({"standard": {"options": options}})))
            .and_then(|params| margin(&market, &account, &params))
            .unwrap_err();
        assert_eq!(err.code(), "E_INVALID_INPUT", "{options}");
        assert!(
            err.field().ends_with(&format!("options.{field}")),
            "{options}: {err}"
        );
    }
    // The profile itself validates, and its parameters round-trip through JSON.
    let p = profile("paradex").unwrap();
    let text = serde_json::to_value(&p).unwrap();
    assert_eq!(text["standard"]["options"]["shortFormula"], "paradex");
    assert_eq!(resolve(Some(text)).unwrap(), p);
}
