//! Paradex portfolio margin (SCAN) through the `paradex-portfolio` profile, against the rules and
//! the worked example of https://docs.paradex.trade/risk/portfolio-margin (docs/venues/paradex.md
//! §2): the published 24-scenario table, the minimum delta example, outright and hedged perps
//! (closed forms of the published formulas) and option rows against an independent repricing
//! with the published vol shock (σ·(1 + shock·(30/max(1, DTE))^p), computed here with std powf).

// std math as an independent reference; helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use drr_margin::json;
use drr_margin::margin::portfolio::min_delta_risk;
use drr_margin::margin::profiles::{profile, resolve};
use drr_margin::margin::{margin, MarginReport};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use drr_margin::pricing::{OptionKind, PriceRequest};
use serde_json::{json, Value};

/// 27DEC26 08:00 UTC and a "now" exactly 7 days before it.
const DEC26: i64 = 1_798_358_400_000;
const NOW: i64 = DEC26 - 7 * 86_400_000;
const S: f64 = 70_000.0;

fn market(marks: Value) -> MarketSpec {
    json::from_value(json!({
        "now": NOW,
        "underlyings": {"BTC": {"index": {"price": S, "publishTime": NOW}, "markIv": marks}},
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap()
}

fn run(m: &MarketSpec, positions: Value) -> MarginReport {
    let account: AccountSpec = json::from_value(
        json!({"mode": "portfolio", "collateral": {"USDC": 1e6}, "positions": positions}),
    )
    .unwrap();
    let params = resolve(Some(json!({"profile": "paradex-portfolio"}))).unwrap();
    margin(m, &account, &params).unwrap()
}

fn assert_rel(got: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (got - expected).abs() <= tol * expected.abs(),
        "{what}: got {got}, expected {expected}"
    );
}

/// The "Full scenario table" as printed (spot shock, vol shock, weight).
const TABLE: [(f64, f64, f64); 24] = [
    (0.16, 0.40, 1.0),
    (0.12, 0.40, 1.0),
    (0.12, -0.22, 1.0),
    (0.08, 0.40, 1.0),
    (0.08, -0.22, 1.0),
    (0.04, 0.40, 1.0),
    (0.04, -0.22, 1.0),
    (0.0, 0.40, 1.0),
    (0.0, -0.22, 1.0),
    (-0.04, 0.40, 1.0),
    (-0.04, -0.22, 1.0),
    (-0.08, 0.40, 1.0),
    (-0.08, -0.22, 1.0),
    (-0.12, 0.40, 1.0),
    (-0.12, -0.22, 1.0),
    (-0.16, 0.40, 1.0),
    (-0.66, 0.40, 0.24),
    (-0.33, 0.40, 0.48),
    (0.50, 0.40, 0.32),
    (1.00, 0.40, 0.16),
    (2.00, 0.40, 0.08),
    (3.00, 0.40, 0.0533),
    (4.00, 0.40, 0.04),
    (5.00, 0.40, 0.032),
];

#[test]
fn profile_carries_the_published_scenario_table() {
    let p = profile("paradex-portfolio").unwrap();
    let rules = &p.portfolio.default_underlying;
    assert!(p.portfolio.underlyings.is_empty());
    assert_eq!(rules.scenarios.len(), 24);
    for (i, (s, (spot, vol, weight))) in rules.scenarios.iter().zip(TABLE).enumerate() {
        assert_eq!(
            (s.spot_move, s.vol_shock, s.weight),
            (spot, vol, weight),
            "scenario {}",
            i + 1
        );
    }
    assert_eq!(rules.dte_floor_days, 1.0);
    assert_eq!(
        (rules.short_term_vega_power, rules.long_term_vega_power),
        (0.30, 0.13)
    );
    assert_eq!((rules.min_delta_net, rules.min_delta_hedged), (0.02, 0.01));
    assert_eq!(p.portfolio.mm_factor, 0.5);
}

#[test]
fn minimum_delta_worked_example() {
    // docs.paradex.trade/risk/portfolio-margin, "Example calculation": long 1 BTC-USD-PERP
    // (delta +1), short 5 BTC 70k calls (delta 0.3 each): net −0.5, gross 2.5, hedged 1.0; at
    // spot 70,000 MinDeltaRisk = (2 %·0.5 + 1 %·1.0)·70,000 = 1,400 (the page's excerpt stops
    // before printing the product; the product is the published formula's). Tolerance 1e-12.
    let deltas = [1.0 * S, -0.3 * S, -0.3 * S, -0.3 * S, -0.3 * S, -0.3 * S];
    assert_rel(
        min_delta_risk(&deltas, 0.02, 0.01),
        1_400.0,
        1e-12,
        "MinDeltaRisk",
    );
    // One position of 5 calls has the same deltas in total.
    assert_rel(
        min_delta_risk(&[S, -1.5 * S], 0.02, 0.01),
        1_400.0,
        1e-12,
        "MinDeltaRisk, merged",
    );
}

#[test]
fn outright_perp_scan_is_its_sixteen_percent_loss() {
    // Long 1 BTC-USD-PERP at 70,000: the worst regular row is −16 % → 11,200; the tails weigh
    // less (−66 %·24 % → 11,088; −33 %·48 % → 11,088); MinDeltaRisk 2 %·70,000 = 1,400 does not
    // bind. IMR = 11,200, MMR = 50 % = 5,600 (published formulas; tolerance 1e-9 relative).
    let m = market(json!({}));
    let r = run(
        &m,
        json!([{"instrument": "BTC-USD-PERP", "size": 1, "entryPrice": S}]),
    );
    let scan = r.portfolio.as_ref().unwrap();
    assert_eq!(scan.scenarios.len(), 24);
    assert_rel(scan.worst_loss, 11_200.0, 1e-9, "SCAN");
    let worst: Vec<_> = scan.scenarios.iter().filter(|s| s.worst).collect();
    assert_eq!(worst.len(), 1);
    assert_eq!(worst[0].spot_move, -0.16);
    let tail = scan
        .scenarios
        .iter()
        .find(|s| s.spot_move == -0.66)
        .unwrap();
    assert_eq!(tail.weight, Some(0.24));
    assert_rel(-tail.pnl, 0.66 * 0.24 * S, 1e-12, "−66 % tail");
    assert_eq!(scan.contingencies.min_delta, 0.0);
    assert_rel(r.initial_margin.value, 11_200.0, 1e-9, "IMR");
    assert_rel(r.maintenance_margin.value, 5_600.0, 1e-9, "MMR");
}

#[test]
fn hedged_perps_pay_the_minimum_delta_requirement() {
    // +1 and −1 BTC-USD-PERP: every scenario nets to 0, so SCAN = 0; net delta 0, gross
    // 140,000 USD, hedged 70,000 → MinDeltaRisk = 1 %·70,000 = 700 = NetPortfolioIM; MMR 350.
    let m = market(json!({}));
    let r = run(
        &m,
        json!([{"instrument": "BTC-USD-PERP", "size": 1, "entryPrice": S},
               {"instrument": "BTC-USD-PERP", "size": -1, "entryPrice": S}]),
    );
    let scan = r.portfolio.as_ref().unwrap();
    assert_eq!(scan.worst_loss, 0.0);
    assert_rel(scan.contingencies.min_delta, 700.0, 1e-12, "min delta");
    assert_rel(r.initial_margin.value, 700.0, 1e-9, "IMR");
    assert_rel(r.maintenance_margin.value, 350.0, 1e-9, "MMR");
}

fn black(kind: OptionKind, forward: f64, strike: f64, days: f64, vol: f64) -> f64 {
    PriceRequest {
        kind,
        forward,
        strike,
        t: days / 365.0,
        vol,
        rate: None,
        inverse: None,
    }
    .evaluate()
    .unwrap()
    .price
}

/// Paradex's shocked IV: σ·(1 + shock·(30/max(1, DTE))^p), p = 0.30 below 30 days, else 0.13.
fn shocked(vol: f64, days: f64, shock: f64) -> f64 {
    let p = if days < 30.0 { 0.30 } else { 0.13 };
    vol * (1.0 + shock * (30.0 / days.max(1.0)).powf(p))
}

#[test]
fn option_rows_reprice_with_the_published_vol_shock_and_weight() {
    // Short 2 ATM calls and long 1 put, 7 DTE (rate 0, so F = S); each row's counted P&L must be
    // weight·min(0, P&L) against Black-76 at the shocked spot and IV (gains count 0 in SCAN).
    // The 7-day vol multipliers are 1.6189662309 (up) and 0.6595685730 (down), docs/venues/
    // paradex.md §2.2. Tolerance 1e-10 of the notional.
    let call = "BTC_USDC-27DEC26-70000-C";
    let put = "BTC_USDC-27DEC26-60000-P";
    let m = market(json!({call: 0.5, put: 0.65}));
    let r = run(
        &m,
        json!([{"instrument": call, "size": -2}, {"instrument": put, "size": 1}]),
    );
    let scan = r.portfolio.as_ref().unwrap();
    assert_eq!(scan.scenarios.len(), 24);
    assert!((shocked(1.0, 7.0, 0.40) - 1.618_966_230_9).abs() < 1e-10);
    assert!((shocked(1.0, 7.0, -0.22) - 0.659_568_573_0).abs() < 1e-10);
    let mut worst = 0.0f64;
    for (row, (spot, vol, weight)) in scan.scenarios.iter().zip(TABLE) {
        assert_eq!(
            (row.spot_move, row.vol_shock, row.weight),
            (spot, Some(vol), Some(weight))
        );
        let f = S * (1.0 + spot);
        let pnl = -2.0
            * (black(OptionKind::Call, f, 70_000.0, 7.0, shocked(0.5, 7.0, vol))
                - black(OptionKind::Call, S, 70_000.0, 7.0, 0.5))
            + (black(OptionKind::Put, f, 60_000.0, 7.0, shocked(0.65, 7.0, vol))
                - black(OptionKind::Put, S, 60_000.0, 7.0, 0.65));
        let expected = weight * pnl.min(0.0);
        assert!(
            (row.pnl - expected).abs() <= 1e-10 * S,
            "{spot} {vol}: {} vs {expected}",
            row.pnl
        );
        worst = worst.max(-expected);
    }
    assert_rel(scan.worst_loss, worst, 1e-10, "SCAN");
    assert_rel(
        r.maintenance_margin.value,
        0.5 * r.initial_margin.value,
        1e-12,
        "MMR",
    );
}

#[test]
fn dte_floor_of_one_day() {
    // An option 12 hours from expiry: (30/max(1, 0.5))^0.3 = 30^0.3, vol × 2.1096764459 up
    // (docs/venues/paradex.md §2.2 table, DTE ≤ 1). Compare the +0 %/+40 % row.
    let now = DEC26 - 12 * 3_600_000;
    let id = "BTC_USDC-27DEC26-70000-C";
    let m: MarketSpec = json::from_value(json!({
        "now": now,
        "underlyings": {"BTC": {"index": {"price": S, "publishTime": now}, "markIv": {id: 0.5}}},
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap();
    let r = run(&m, json!([{"instrument": id, "size": -1}]));
    let row = &r.portfolio.as_ref().unwrap().scenarios[7];
    assert_eq!((row.spot_move, row.vol_shock), (0.0, Some(0.40)));
    let days = 0.5;
    let expected = -(black(OptionKind::Call, S, 70_000.0, days, 0.5 * 2.109_676_445_9)
        - black(OptionKind::Call, S, 70_000.0, days, 0.5));
    assert!(
        (row.pnl - expected).abs() <= 1e-9 * S,
        "{} vs {expected}",
        row.pnl
    );
}
