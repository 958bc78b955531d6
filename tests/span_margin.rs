//! SPAN through the `cme-span-16` profile: the intra-commodity (calendar) spread charge against
//! CME's published "Intra Spread Calculations" example and the short option minimum against the
//! NSE rule (docs/venues/cme-span.md §1.3–1.4).

#![allow(clippy::unwrap_used)]

use drr_margin::json;
use drr_margin::margin::portfolio::{intra_spread_charge, IntraSpread};
use drr_margin::margin::profiles::resolve;
use drr_margin::margin::{margin, MarginReport};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use serde_json::{json, Value};

/// 2026-09-28 08:00 UTC: 28OCT26, 27NOV26 and 27DEC26 are 30, 60 and 90 days ahead.
const NOW: i64 = 1_790_582_400_000;
const INDEX: f64 = 5_000.0;
const MONTHS: [&str; 3] = ["X_USDC-28OCT26", "X_USDC-27NOV26", "X_USDC-27DEC26"];

fn market(marks: Value, iv: Value) -> MarketSpec {
    json::from_value(json!({
        "now": NOW,
        "underlyings": {"X": {"index": {"price": INDEX, "publishTime": NOW},
                              "marks": marks, "markIv": iv}},
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap()
}

fn run(m: &MarketSpec, positions: Value, rules: Value) -> MarginReport {
    let account: AccountSpec = json::from_value(
        json!({"mode": "portfolio", "collateral": {"USDC": 1e6}, "positions": positions}),
    )
    .unwrap();
    let params = resolve(Some(
        json!({"profile": "cme-span-16", "portfolio": {"defaultUnderlying": rules}}),
    ))
    .unwrap();
    margin(m, &account, &params).unwrap()
}

fn assert_rel(got: f64, expected: f64, what: &str) {
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs(),
        "{what}: got {got}, expected {expected}"
    );
}

#[test]
fn cme_intra_spread_calculation_example() {
    // https://cmegroup.com/clearing/margins/spread-calc.html, "Intra Spread Calculations"
    // (example rates): outright Month 2 $500, Month 3 $500, Month 4 $750; intra charges
    // 2 vs 3 $200, 2 vs 4 $50, 3 vs 4 $0 → +1 M2 −1 M3 = $200, +1 M2 −1 M4 = $300,
    // +1 M3 −1 M4 = $250 (scan risk of the legs' different scan ranges + the intra charge).
    // The outright scan ranges are set through the marks: a price scan of 10 % on marks 5,000,
    // 5,000 and 7,500. Tolerance 1e-9 relative.
    let marks = json!({MONTHS[0]: 5_000.0, MONTHS[1]: 5_000.0, MONTHS[2]: 7_500.0});
    let m = market(marks, json!({}));
    let rules = json!({
        "priceRange": 0.1, "extendedMoves": [-0.2, 0.2],
        "spreadTiers": [{"fromDays": 15, "toDays": 45}, {"fromDays": 45, "toDays": 75},
                        {"fromDays": 75, "toDays": 105}],
        "intraSpreads": [{"tierA": 0, "tierB": 1, "charge": 200},
                         {"tierA": 0, "tierB": 2, "charge": 50},
                         {"tierA": 1, "tierB": 2, "charge": 0}]
    });
    let price = [5_000.0, 5_000.0, 7_500.0];
    for (long, short, expected, intra) in [
        (0, 1, 200.0, 200.0),
        (0, 2, 300.0, 50.0),
        (1, 2, 250.0, 0.0),
    ] {
        let r = run(
            &m,
            json!([{"instrument": MONTHS[long], "size": 1, "entryPrice": price[long]},
                   {"instrument": MONTHS[short], "size": -1, "entryPrice": price[short]}]),
            rules.clone(),
        );
        let scan = r.portfolio.as_ref().unwrap();
        let what = format!("+1 M{} −1 M{}", long + 2, short + 2);
        if intra > 0.0 {
            assert_rel(scan.contingencies.intra_spread, intra, &what);
        } else {
            assert_eq!(scan.contingencies.intra_spread, 0.0, "{what}");
        }
        assert_rel(r.maintenance_margin.value, expected, &what);
        assert_rel(r.initial_margin.value, expected, &what);
    }
    // Without the spread table the same spread pays its scan risk only.
    let r = run(
        &m,
        json!([{"instrument": MONTHS[0], "size": 1, "entryPrice": 5000},
               {"instrument": MONTHS[2], "size": -1, "entryPrice": 7500}]),
        json!({"priceRange": 0.1, "extendedMoves": [-0.2, 0.2]}),
    );
    assert_rel(r.maintenance_margin.value, 250.0, "no spread table");
}

#[test]
fn spreads_form_in_priority_order() {
    // Tier deltas +2, −1, −1: the first spread (0 vs 1) forms 1 at $200, the second (0 vs 2)
    // 1 at $50; listed the other way round, 0 vs 2 forms first (same total here), and a
    // third tier left without an opposite side forms nothing. Rate × index: 1 spread × 1 % ×
    // 5,000 = 50.
    let spread = |a, b, charge| IntraSpread {
        tier_a: a,
        tier_b: b,
        charge,
        rate: 0.0,
    };
    let spreads = [spread(0, 1, 200.0), spread(0, 2, 50.0)];
    assert_rel(
        intra_spread_charge(&[2.0, -1.0, -1.0], &spreads, INDEX),
        250.0,
        "both",
    );
    assert_rel(
        intra_spread_charge(&[1.0, -1.0, -1.0], &spreads, INDEX),
        200.0,
        "priority",
    );
    let reversed = [spread(0, 2, 50.0), spread(0, 1, 200.0)];
    assert_rel(
        intra_spread_charge(&[1.0, -1.0, -1.0], &reversed, INDEX),
        50.0,
        "reversed priority",
    );
    assert_eq!(
        intra_spread_charge(&[1.0, 1.0, 0.0], &spreads, INDEX),
        0.0,
        "same side: no spread"
    );
    let rated = [IntraSpread {
        rate: 0.01,
        ..spread(0, 1, 0.0)
    }];
    assert_rel(
        intra_spread_charge(&[-1.0, 3.0], &rated, INDEX),
        50.0,
        "rate",
    );
}

#[test]
fn short_option_minimum_floors_far_otm_shorts() {
    // NSE (docs/venues/cme-span.md §1.4): short option minimum 3 % of the notional of short
    // index options. Two far-OTM short puts (K 2,000 at index 5,000, 30 days) lose almost
    // nothing in the scan (−20 % extreme: index 4,000), so the minimum binds: 0.03·5,000·2 =
    // 300. A short ATM put's scan risk exceeds its minimum (150), which then adds nothing.
    let put = "X_USDC-28OCT26-2000-P";
    let atm = "X_USDC-28OCT26-5000-P";
    let m = market(json!({}), json!({put: 0.5, atm: 0.5}));
    let rules =
        json!({"priceRange": 0.1, "extendedMoves": [-0.2, 0.2], "shortOptionMinimum": 0.03});
    let r = run(&m, json!([{"instrument": put, "size": -2}]), rules.clone());
    let scan = r.portfolio.as_ref().unwrap();
    assert!(scan.worst_loss < 1.0, "{}", scan.worst_loss);
    assert_rel(r.maintenance_margin.value, 300.0, "SOM binds");
    let r = run(&m, json!([{"instrument": atm, "size": -1}]), rules);
    let scan = r.portfolio.as_ref().unwrap();
    assert!(scan.worst_loss > 150.0);
    assert_eq!(scan.contingencies.short_option_minimum, 0.0);
    assert_rel(r.maintenance_margin.value, scan.worst_loss, "scan binds");
}

#[test]
fn cme_inter_spread_calculation_example() {
    // https://cmegroup.com/clearing/margins/spread-calc.html, "Inter Spread Calculations"
    // (example rates): Corn vs. Soybeans (2:1), 55 % inter rate; outright Corn $1,750,
    // Soybeans $2,500 → $6,000 before the credit, credit (3,500 + 2,500) × 0.55 = $3,300,
    // final $2,700. Our legs: dated futures on two underlyings at 5,000 with price scan ranges
    // 35 % and 50 % (outright 1,750 and 2,500 per unit). Tolerance 1e-9 relative.
    let corn = "C_USDC-28OCT26";
    let soy = "S_USDC-28OCT26";
    let quote =
        |mark: &str| json!({"index": {"price": INDEX, "publishTime": NOW}, "marks": {mark: INDEX}});
    let m: MarketSpec = json::from_value(json!({
        "now": NOW,
        "underlyings": {"C": quote(corn), "S": quote(soy)},
        "collateral": {"USDC": {"price": 1, "decimals": 6}}
    }))
    .unwrap();
    let rules = |range: f64| json!({"priceRange": range, "extendedMoves": [-0.2, 0.2]});
    let params = |inter: Value| {
        resolve(Some(json!({"profile": "cme-span-16", "portfolio": {
            "underlyings": {"C": rules(0.35), "S": rules(0.5)},
            "interSpreads": inter
        }})))
        .unwrap()
    };
    let spread = json!([{"rate": 0.55, "legs": [
        {"underlying": "C", "delta": 2}, {"underlying": "S", "delta": -1}]}]);
    let book = |c: f64, s: f64| -> AccountSpec {
        json::from_value(
            json!({"mode": "portfolio", "collateral": {"USDC": 1e6}, "positions": [
            {"instrument": corn, "size": c, "entryPrice": INDEX},
            {"instrument": soy, "size": s, "entryPrice": INDEX}]}),
        )
        .unwrap()
    };
    let r = margin(&m, &book(2.0, -1.0), &params(spread.clone())).unwrap();
    let pm = r.portfolio.as_ref().unwrap();
    assert_rel(pm.worst_loss, 6_000.0, "outright");
    assert_rel(pm.contingencies.inter_spread_credit, 3_300.0, "credit");
    assert_rel(r.initial_margin.value, 2_700.0, "final");
    // The other orientation (short corn, long soybeans) forms the same spread.
    let r = margin(&m, &book(-2.0, 1.0), &params(spread.clone())).unwrap();
    assert_rel(r.initial_margin.value, 2_700.0, "reversed");
    // Both long: no spread, no credit.
    let r = margin(&m, &book(2.0, 1.0), &params(spread.clone())).unwrap();
    assert_eq!(
        r.portfolio
            .as_ref()
            .unwrap()
            .contingencies
            .inter_spread_credit,
        0.0
    );
    assert_rel(r.initial_margin.value, 6_000.0, "same side");
    // Half the soybeans: half a spread; the unspread corn keeps its full charge.
    let r = margin(&m, &book(2.0, -0.5), &params(spread.clone())).unwrap();
    assert_rel(
        r.initial_margin.value,
        3_500.0 + 1_250.0 - 0.55 * (1_750.0 + 1_250.0),
        "partial",
    );
    // Without the spread list the profile charges the outright sum.
    let r = margin(&m, &book(2.0, -1.0), &params(json!([]))).unwrap();
    assert_rel(r.initial_margin.value, 6_000.0, "no spreads");
    // Bad parameters are named.
    let bad = resolve(Some(
        json!({"profile": "cme-span-16", "portfolio": {"interSpreads":
        [{"rate": 1.5, "legs": []}]}}),
    ))
    .unwrap();
    let err = margin(&m, &book(2.0, -1.0), &bad).unwrap_err();
    assert_eq!(err.code(), "E_INVALID_INPUT");
    assert_eq!(err.field(), "params.portfolio.interSpreads[0].rate");
}
