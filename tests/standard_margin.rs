//! Standard margin (`drr_margin::margin::standard`) through its public API: Deribit's published
//! futures tables, the option formulas against an independently priced mark, the properties of
//! the model (monotone in size, splitting-invariant, spread relief bounded by the max loss) and
//! its coded errors.

// Helpers outside #[test] functions unwrap too (`allow-unwrap-in-tests` covers only the tests).
#![allow(clippy::unwrap_used)]

use drr_margin::margin::standard::{standard_requirements, StandardParams, StandardResult};
use drr_margin::market::Market;
use drr_margin::portfolio::{Account, AccountSpec, Position};
use drr_margin::pricing::{OptionKind, PriceRequest};
use drr_margin::Result;

const NOW: i64 = 1_790_000_000_000;
/// 27DEC26 08:00 UTC, the expiry of every option and future below.
const EXPIRY: i64 = 1_798_358_400_000;
const VOL: f64 = 0.6;

fn market() -> Market {
    let json = format!(
        r#"{{"now": {NOW}, "underlyings": {{
            "BTC": {{"index": {{"price": 100000, "publishTime": {NOW}}}, "markIv": {{
                "BTC-27DEC26-90000-P": {VOL}, "BTC-27DEC26-100000-P": {VOL}, "BTC-27DEC26-100000-C": {VOL},
                "BTC-27DEC26-110000-C": {VOL}, "BTC_USDC-27DEC26-110000-C": {VOL}, "BTC-27DEC26-50000-C": {VOL},
                "BTC_USDC-27DEC26-90000-P": {VOL}, "BTC_USDC-27DEC26-100000-C": {VOL}}}}},
            "SOL": {{"index": {{"price": 200, "publishTime": {NOW}}}}}}}}}"#
    );
    Market::new(drr_margin::json::from_str(&json).unwrap()).unwrap()
}

fn positions(json: &str) -> Vec<Position> {
    let spec: AccountSpec =
        drr_margin::json::from_str(&format!(r#"{{"mode": "cross", "positions": [{json}]}}"#))
            .unwrap();
    Account::new(&spec).unwrap().positions
}

fn params(json: &str) -> StandardParams {
    drr_margin::json::from_str(json).unwrap()
}

fn run(positions_json: &str, params_json: &str) -> Result<StandardResult> {
    standard_requirements(&market(), &positions(positions_json), &params(params_json))
}

/// Relative tolerance 1e-9 (absolute below 1).
fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * drr_margin::math::max(expected.abs(), 1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs {expected}"
    );
}

fn perp(instrument: &str, size: f64) -> String {
    format!(r#"{{"instrument": "{instrument}", "size": {size}, "entryPrice": 100000}}"#)
}

fn option(instrument: &str, size: f64) -> String {
    format!(r#"{{"instrument": "{instrument}", "size": {size}}}"#)
}

/// Deribit's published linear-perpetual table, docs/venues/deribit.md §1.3, source:
/// https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual
/// (BTC index 100,000 USDC, SOL index 200 USDC).
#[test]
fn deribit_linear_perpetual_table() {
    let cases = [
        // (instrument, N, IM USDC, MM USDC or NaN if the page does not give it)
        ("BTC_USDC-PERPETUAL", 25.0, 53_125.0, 28_125.0),
        // MM 962,500 is derived in deribit.md (the page text is truncated), from 2.75 %.
        ("BTC_USDC-PERPETUAL", 350.0, 1_312_500.0, 962_500.0),
        ("SOL_USDC-PERPETUAL", 25.0, 200.625, 100.625),
        ("SOL_USDC-PERPETUAL", 6000.0, 84_000.0, f64::NAN),
    ];
    for (instrument, n, im, mm) in cases {
        for size in [n, -n] {
            let r = run(&perp(instrument, size), "{}").unwrap();
            assert_close(r.initial, im, &format!("{instrument} {size} IM"));
            assert_close(r.positions[0].initial, im, "per position");
            if !mm.is_nan() {
                assert_close(r.maintenance, mm, &format!("{instrument} {size} MM"));
            }
            assert_eq!(r.positions[0].instrument, instrument);
        }
    }
}

/// Inverse BTC future, Deribit legacy futures page (deribit.md §1.3,
/// https://test.deribit.com/pages/docs/futures): N = 25 BTC → 2.125 % → 0.53125 BTC of IM.
/// Inverse sizes are USD notional: 25 BTC at the 100,000 index = 2,500,000 USD.
#[test]
fn deribit_inverse_future() {
    let r = run(&perp("BTC-27DEC26", -2_500_000.0), "{}").unwrap();
    assert_close(r.initial / 100_000.0, 0.531_25, "IM in BTC");
    assert_close(r.initial, 53_125.0, "IM in USD at the index");
    assert_close(r.maintenance, 28_125.0, "MM in USD");
    let legacy_350 = run(&perp("BTC-PERPETUAL", 35_000_000.0), "{}").unwrap();
    assert_close(legacy_350.initial / 100_000.0, 13.125, "350 BTC IM in BTC");
}

/// The USD mark per unit from the pricer directly (rate 0: F = S = 100,000).
fn mark(kind: OptionKind, strike: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let t = (EXPIRY - NOW) as f64 / (365.0 * 86_400_000.0);
    PriceRequest {
        kind,
        forward: 100_000.0,
        strike,
        t,
        vol: VOL,
        rate: None,
        inverse: None,
    }
    .evaluate()
    .unwrap()
    .price
}

/// Deribit's short-option formulas (deribit.md §2.1) evaluated by hand here with the mark from the
/// pricer: derived cases, not venue data (no published numeric example exists, §2.3).
#[test]
fn option_formulas_linear_and_inverse() {
    let u = 100_000.0;
    let call_mark = mark(OptionKind::Call, 110_000.0);
    let put_mark = mark(OptionKind::Put, 90_000.0);
    // Short call K = 110,000: OTM 10,000 → max(15,000 − 10,000, 10,000) = 10,000.
    let call_im = 10_000.0 + call_mark;
    let call_mm = 0.075 * u + call_mark;
    // Short put K = 90,000: OTM 10,000 → IM max(10,000 + mark, MM), MM max(7,500, 0.075·mark) + mark.
    let put_mm = 7_500.0 + put_mark;
    let put_im = 10_000.0 + put_mark;
    let r = run(
        &[
            option("BTC-27DEC26-110000-C", -2.0),
            option("BTC_USDC-27DEC26-110000-C", -2.0),
            option("BTC_USDC-27DEC26-90000-P", -0.5),
            option("BTC-27DEC26-100000-C", 3.0),
        ]
        .join(","),
        r#"{"spreadRelief": false}"#,
    )
    .unwrap();
    let p = &r.positions;
    // Inverse and linear: the same USD requirement (the coin formula times the index).
    for (i, what) in [(0, "inverse call"), (1, "linear call")] {
        assert_close(p[i].initial, 2.0 * call_im, &format!("{what} IM"));
        assert_close(p[i].maintenance, 2.0 * call_mm, &format!("{what} MM"));
    }
    assert_close(p[2].initial, 0.5 * put_im, "put IM");
    assert_close(p[2].maintenance, 0.5 * put_mm, "put MM");
    // A long option: its premium at IM (`longInitial` 1), nothing at MM (`longMaintenance` 0).
    let long_premium = 3.0 * mark(OptionKind::Call, 100_000.0);
    assert_close(p[3].initial, long_premium, "long option IM");
    assert_eq!(p[3].maintenance, 0.0, "long option MM");
    assert_eq!(p[2].position, 2);
    assert_close(
        r.initial,
        4.0 * call_im + 0.5 * put_im + long_premium,
        "sum without relief",
    );
    assert_eq!(r.spread_relief_initial, 0.0);
}

/// Paradex's cross-margin rule for long options, Long: MR = min(premiumMult · mark, long_itm · S)
/// with OPT-A's IM/MM fractions 100 %/50 % and 20 %/10 % (docs/venues/paradex.md §3, from
/// https://docs.paradex.trade; its worked examples, S = 100: mark 10 → IMR 10, MMR 5; mark 30 →
/// IMR 20 = 20 %·S, MMR 10). Here one option on each side of the cap, marks from the pricer.
#[test]
fn long_options_paradex_premium_rule() {
    let paradex = r#"{"options": {"longInitial": 1, "longMaintenance": 0.5,
        "longInitialCap": 0.2, "longMaintenanceCap": 0.1}, "spreadRelief": false}"#;
    let s = 100_000.0;
    let otm = mark(OptionKind::Call, 110_000.0);
    let itm = mark(OptionKind::Call, 50_000.0);
    assert!(otm < 0.1 * s && itm > 0.2 * s, "one each side of the caps");
    let r = run(
        &[
            option("BTC-27DEC26-110000-C", 2.0),
            option("BTC-27DEC26-50000-C", 0.5),
        ]
        .join(","),
        paradex,
    )
    .unwrap();
    let p = &r.positions;
    assert_close(p[0].initial, 2.0 * otm, "uncapped IM = premium");
    assert_close(
        p[0].maintenance,
        2.0 * 0.5 * otm,
        "uncapped MM = half the premium",
    );
    assert_close(p[1].initial, 0.5 * 0.2 * s, "capped IM = 20 % of S");
    assert_close(p[1].maintenance, 0.5 * 0.1 * s, "capped MM = 10 % of S");
    // Deribit's standard margin: a long's whole value at IM and MM.
    let deribit = run(
        &option("BTC-27DEC26-110000-C", 2.0),
        r#"{"options": {"longMaintenance": 1}}"#,
    )
    .unwrap();
    assert_close(deribit.initial, 2.0 * otm, "Deribit IM");
    assert_close(deribit.maintenance, 2.0 * otm, "Deribit MM");
    // Bad combinations are coded errors naming the field.
    for (json, field) in [
        (
            r#"{"options": {"longMaintenance": 0.5, "longInitial": 0.4}}"#,
            "longMaintenance",
        ),
        (
            r#"{"options": {"longMaintenanceCap": 0.1}}"#,
            "longMaintenanceCap",
        ),
        (
            r#"{"options": {"longInitialCap": 0.1}}"#,
            "longMaintenanceCap",
        ),
        (
            r#"{"options": {"longInitialCap": 0.1, "longMaintenanceCap": 0.2}}"#,
            "longMaintenanceCap",
        ),
        (r#"{"optionValueInRequirement": true}"#, "longInitial"),
    ] {
        let e = run(&option("BTC-27DEC26-110000-C", 1.0), json).unwrap_err();
        assert_eq!(e.code(), "E_INVALID_INPUT", "{json}: {e}");
        assert!(e.to_string().contains(field), "{json}: {e}");
    }
}

#[test]
fn requirement_is_monotone_in_size() {
    for instrument in [
        "BTC_USDC-PERPETUAL",
        "BTC-27DEC26-110000-C",
        "BTC-27DEC26-90000-P",
    ] {
        let mut previous = (0.0, 0.0);
        for size in [0.01, 0.5, 1.0, 5.0, 25.0, 100.0, 350.0, 1_000.0, 20_000.0] {
            let position = if instrument.ends_with("PERPETUAL") {
                perp(instrument, -size)
            } else {
                option(instrument, -size)
            };
            let r = run(&position, "{}").unwrap();
            assert!(
                r.initial > previous.0 && r.maintenance > previous.1,
                "{instrument} at {size}: {r:?} after {previous:?}"
            );
            assert!(r.maintenance <= r.initial, "{instrument} at {size}");
            previous = (r.initial, r.maintenance);
        }
    }
}

/// N is aggregated per underlying (the default): splitting a position, even across linear and
/// inverse instruments, leaves the total unchanged; per-position N (Deribit's literal reading)
/// lets splitting lower it.
#[test]
fn splitting_a_position_never_lowers_the_requirement() {
    let whole = run(&perp("BTC_USDC-PERPETUAL", 350.0), "{}").unwrap();
    let split = [
        perp("BTC_USDC-PERPETUAL", 100.0),
        perp("BTC_USDC-PERPETUAL", 150.0),
        perp("BTC-PERPETUAL", 10_000_000.0), // 100 BTC of USD notional
    ]
    .join(",");
    let parts = run(&split, "{}").unwrap();
    assert_close(parts.initial, whole.initial, "split IM");
    assert_close(parts.maintenance, whole.maintenance, "split MM");
    // Opposite directions are not netted: gross N, so a hedge is charged at the 350-BTC rate.
    let hedge = run(
        &[
            perp("BTC_USDC-PERPETUAL", 200.0),
            perp("BTC-27DEC26", -15_000_000.0),
        ]
        .join(","),
        "{}",
    )
    .unwrap();
    assert_close(hedge.initial, whole.initial, "gross hedge IM");
    // Per position: each part is charged at its own smaller rate.
    let per_position = run(&split, r#"{"sizeAggregation": "position"}"#).unwrap();
    assert!(per_position.initial < whole.initial);
    // Options: requirements are linear in size, so splitting changes nothing.
    let short = run(&option("BTC-27DEC26-110000-C", -3.0), "{}").unwrap();
    let short_split = run(
        &[
            option("BTC-27DEC26-110000-C", -1.0),
            option("BTC_USDC-27DEC26-110000-C", -2.0),
        ]
        .join(","),
        "{}",
    )
    .unwrap();
    assert_close(short_split.initial, short.initial, "split short calls");
}

/// Relief caps a group at its max loss at expiry plus, when the group is worth more than nothing
/// (a debit spread), the charged fraction of that net value (`longInitial` 1 at IM,
/// `longMaintenance` 0 at MM by default): a net debit is funded like a long's premium.
#[test]
fn defined_risk_spreads_are_charged_no_more_than_their_max_loss() {
    let debit = mark(OptionKind::Call, 100_000.0) - mark(OptionKind::Call, 110_000.0);
    // (legs, max loss at expiry in USD, net value of the legs if positive)
    let cases = [
        // Bull call spread (debit): the payoff is never negative.
        (
            vec![
                option("BTC-27DEC26-100000-C", 1.0),
                option("BTC-27DEC26-110000-C", -1.0),
            ],
            0.0,
            debit,
        ),
        // Bear call spread ×2 (credit), inverse and linear legs mixed: 2 · 10,000.
        (
            vec![
                option("BTC_USDC-27DEC26-100000-C", -2.0),
                option("BTC-27DEC26-110000-C", 2.0),
            ],
            20_000.0,
            0.0,
        ),
        // Bull put spread (credit): 10,000.
        (
            vec![
                option("BTC-27DEC26-100000-P", -1.0),
                option("BTC-27DEC26-90000-P", 1.0),
            ],
            10_000.0,
            0.0,
        ),
    ];
    assert!(debit > 0.0);
    for (legs, max_loss, net_debit) in cases {
        let legs = legs.join(",");
        let off = run(&legs, r#"{"spreadRelief": false}"#).unwrap();
        let on = run(&legs, "{}").unwrap();
        let sum_im: f64 = off.positions.iter().map(|p| p.initial).sum();
        let sum_mm: f64 = off.positions.iter().map(|p| p.maintenance).sum();
        assert_close(off.initial, sum_im, "relief off = Σ legs (IM)");
        assert_close(off.maintenance, sum_mm, "relief off = Σ legs (MM)");
        let cap = max_loss + net_debit;
        assert!(sum_im > cap, "{legs}: the legs alone exceed the cap");
        assert!(on.initial <= cap + 1e-9 * cap, "{legs}: {on:?}");
        assert_close(on.initial, cap, &format!("{legs} IM"));
        assert_close(
            on.maintenance,
            drr_margin::math::min(sum_mm, max_loss),
            &format!("{legs} MM"),
        );
        assert_close(on.spread_relief_initial, sum_im - cap, "relief");
        assert_eq!(
            on.positions, off.positions,
            "per-position figures are unrelieved"
        );
    }
}

#[test]
fn unbounded_structures_and_futures_get_no_relief() {
    // Ratio call spread: net short one call, the loss grows without limit.
    let ratio = [
        option("BTC-27DEC26-100000-C", 1.0),
        option("BTC-27DEC26-110000-C", -2.0),
    ]
    .join(",");
    let r = run(&ratio, "{}").unwrap();
    assert_eq!(
        (r.spread_relief_initial, r.spread_relief_maintenance),
        (0.0, 0.0)
    );
    let sum: f64 = r.positions.iter().map(|p| p.initial).sum();
    assert_close(r.initial, sum, "ratio spread");
    // A futures position is not part of the option group: the bear call spread's relief is the same
    // with a long perpetual (which would cap the calls' upside loss) as without it.
    let spread = [
        option("BTC-27DEC26-100000-C", -1.0),
        option("BTC-27DEC26-110000-C", 1.0),
    ];
    let alone = run(&spread.join(","), "{}").unwrap();
    let with_perp = run(
        &[spread[0].clone(), spread[1].clone(), perp("BTC-PERP", 1.0)].join(","),
        "{}",
    )
    .unwrap();
    assert_close(
        with_perp.spread_relief_initial,
        alone.spread_relief_initial,
        "relief with a perp",
    );
    // Different expiries are different groups: no relief between them.
    let calendar = [
        option("BTC-27DEC26-110000-C", -1.0),
        r#"{"instrument": {"underlying": "BTC", "contract": {"type": "option", "expiry": 1798444800000,
             "strike": 110000, "optionKind": "call"}, "settlement": "inverse"}, "size": 1}"#
            .to_string(),
    ];
    let mut m = market().spec().clone();
    m.underlyings
        .get_mut("BTC")
        .unwrap()
        .mark_iv
        .insert("BTC-28DEC26-110000-C".into(), VOL);
    let r = standard_requirements(
        &Market::new(m).unwrap(),
        &positions(&calendar.join(",")),
        &StandardParams::default(),
    )
    .unwrap();
    assert_eq!(r.spread_relief_initial, 0.0);
}

#[test]
fn errors_are_coded_and_name_the_field() {
    // No market data for the position's underlying.
    let err = run(&perp("ETH_USDC-PERPETUAL", 1.0), "{}").unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "underlyings.ETH")
    );
    // A short option without a volatility.
    let err = run(&option("BTC-27DEC26-120000-C", -1.0), "{}").unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "underlyings.BTC.vol")
    );
    // Invalid parameters.
    let err = run(
        &perp("BTC_USDC-PERPETUAL", 1.0),
        r#"{"futures": {"BTC": {"imBase": -0.1}}}"#,
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "futures.BTC.imBase")
    );
    let err = run(
        &perp("BTC_USDC-PERPETUAL", 1.0),
        r#"{"options": {"maintenance": -1}}"#,
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "options.maintenance")
    );
    let err =
        drr_margin::json::from_str::<StandardParams>(r#"{"spreadRelif": false}"#).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "spreadRelif")
    );
    // A non-finite amount on a position built in code.
    let mut bad = positions(&perp("BTC_USDC-PERPETUAL", 1.0));
    bad[0].amount = f64::NAN;
    let err = standard_requirements(&market(), &bad, &StandardParams::default()).unwrap_err();
    assert_eq!(err.field(), "positions[0].amount");
}

#[test]
fn result_json_is_camel_case() {
    let r = run(&perp("SOL_USDC-PERPETUAL", 25.0), "{}").unwrap();
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "positions",
        "spreadReliefInitial",
        "spreadReliefMaintenance",
        "initial",
        "maintenance",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["positions"][0]["instrument"], "SOL_USDC-PERPETUAL");
    let back: StandardResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}
