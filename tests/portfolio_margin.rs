//! Portfolio margin (`drr_margin::margin::portfolio`) through its public API: Deribit's two
//! published `private/pme/simulate` responses (docs/venues/deribit.md §3.4), option rows against
//! an independent repricing with the documented vol shock, and the model's properties (hedging
//! lowers it, positively homogeneous, subadditive, empty book → 0) and coded errors.

// std math as an independent reference; helpers outside #[test] functions unwrap too
// (`allow-unwrap-in-tests` covers only the tests).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use drr_margin::margin::portfolio::{portfolio_requirements, PortfolioParams, PortfolioResult};
use drr_margin::margin::valuation::{value_position, Shock};
use drr_margin::market::Market;
use drr_margin::portfolio::{Account, AccountSpec, Position};
use drr_margin::pricing::{OptionKind, PriceRequest};
use drr_margin::Result;
use serde_json::{json, Value};

fn market(now: i64, underlyings: &Value) -> Market {
    let spec = json!({"now": now, "underlyings": underlyings});
    Market::new(drr_margin::json::from_str(&spec.to_string()).unwrap()).unwrap()
}

fn positions(list: &Value) -> Vec<Position> {
    let spec: AccountSpec =
        drr_margin::json::from_str(&json!({"mode": "portfolio", "positions": list}).to_string())
            .unwrap();
    Account::new(&spec).unwrap().positions
}

fn params(overrides: &Value) -> PortfolioParams {
    drr_margin::json::from_str(&overrides.to_string()).unwrap()
}

fn run(m: &Market, p: &[Position], params: &PortfolioParams) -> Result<PortfolioResult> {
    portfolio_requirements(m, p, params)
}

fn assert_rel(got: f64, expected: f64, tol: f64, what: &str) {
    let err = (got - expected).abs();
    assert!(
        err <= tol * expected.abs() || (expected == 0.0 && got == 0.0),
        "{what}: got {got:e}, expected {expected:e} (rel err {:e})",
        err / expected.abs()
    );
}

/// Raw (uncounted) rows: every gain counts in full, no dampener.
fn raw_rows() -> Value {
    json!({
        "usd": {"pnlOffset": 1, "maxOffsetablePnl": 1e15, "extendedDampener": 0},
        "underlyings": {},
        "defaultUnderlying": {"pnlOffset": 1, "maxOffsetablePnl": 1e15, "extendedDampener": 0}
    })
}

// ---------------------------------------------------------------------------------------------
// PM-A: official example of `private/pme/simulate`, BTC, timestamp 1718619740501 (2024-06-17),
// https://docs.deribit.com/api-reference/account-management/private-simulate (deribit.md §3.4).
// Deribit prints positions in coin; our inverse perpetuals/futures are USD notional, so
// notional = coin × mark (the coin P&L of notional N is (N/mark)·(1 − 1/(1+m))).
// Tolerances: vectors, worst case and roll shock 1e-12 relative; risk_matrix_margin 1e-8 relative
// (Deribit's own worst_case + roll_shock differ from its risk_matrix_margin by 3.8e-10 absolute,
// deribit.md §3.6).

const PM_A_NOW: i64 = 1_718_619_740_501;
const PM_A_INDEX: f64 = 65_666.19;
const PERP_COIN: f64 = 0.314_538_364;
const PERP_MARK: f64 = 65_910.57;
const FUT_COIN: f64 = -0.001_187_534;
const FUT_MARK: f64 = 67_371.75;

fn pm_a_market() -> Market {
    market(
        PM_A_NOW,
        &json!({"BTC": {"index": {"price": PM_A_INDEX, "publishTime": PM_A_NOW},
                        "marks": {"BTC-PERPETUAL": PERP_MARK, "BTC-28JUN24": FUT_MARK}}}),
    )
}

fn pm_a_perp() -> Value {
    json!({"instrument": "BTC-PERPETUAL", "size": PERP_COIN * PERP_MARK, "entryPrice": PERP_MARK})
}

fn pm_a_future() -> Value {
    json!({"instrument": "BTC-28JUN24", "size": FUT_COIN * FUT_MARK, "entryPrice": FUT_MARK})
}

/// The 27 standard rows of the first vector, in coin.
fn standard_rows(r: &PortfolioResult) -> Vec<f64> {
    r.scenarios
        .iter()
        .filter(|s| !s.extended)
        .take(27)
        .map(|s| s.pnl)
        .collect()
}

fn assert_vector(got: &[f64], nine: &[f64; 9], what: &str) {
    assert_eq!(got.len(), 27, "{what}");
    for (i, g) in got.iter().enumerate() {
        assert_rel(*g, nine[i / 3], 1e-12, &format!("{what}[{i}]"));
    }
}

#[test]
fn pm_a_position_vectors_match_deribit() {
    let m = pm_a_market();
    let raw = params(&raw_rows());
    let perp = run(&m, &positions(&json!([pm_a_perp()])), &raw).unwrap();
    assert!(perp.scenarios.iter().all(|s| s.currency == "BTC"));
    let perp_vector = [
        -0.059_912_069_333_333_34,
        -0.042_891_595_090_909_09,
        -0.027_351_162_086_956_524,
        -0.013_105_765_166_666_668,
        0.0,
        0.012_097_629_384_615_385,
        0.023_299_138_074_074_074,
        0.033_700_538_999_999_995,
        0.043_384_601_931_034_494,
    ];
    assert_vector(&standard_rows(&perp), &perp_vector, "BTC-PERPETUAL");
    let future = run(&m, &positions(&json!([pm_a_future()])), &raw).unwrap();
    let future_vector = [
        0.000_226_196_952_380_952_4,
        0.000_161_936_454_545_454_56,
        0.000_103_263_826_086_956_52,
        0.000_049_480_583_333_333_34,
        0.0,
        -0.000_045_674_384_615_384_62,
        -0.000_087_965_481_481_481_48,
        -0.000_127_235_785_714_285_7,
        -0.000_163_797_793_103_448_32,
    ];
    assert_vector(&standard_rows(&future), &future_vector, "BTC-28JUN24");
    // Extended rows: futures take the ±16 % edge values (Deribit's initial_risk_vectors.extended).
    let extended: Vec<f64> = perp
        .scenarios
        .iter()
        .filter(|s| s.extended)
        .map(|s| s.pnl)
        .collect();
    let mut expected = vec![perp_vector[0]; 2];
    expected.extend([perp_vector[8]; 6]);
    for (g, e) in extended.iter().zip(&expected) {
        // Our extended rows count losses only (gains 0): Deribit lists them before counting.
        assert_rel(*g, if *e < 0.0 { *e } else { 0.0 }, 1e-12, "perp extended");
    }
    assert_eq!(extended.len(), 8);
    // Under the default (counting) parameters the same published vectors are the raw P&L
    // columns: gains show in `raw_pnl`, also on the extended rows, whatever `pnl` counts.
    let counted = run(
        &m,
        &positions(&json!([pm_a_perp()])),
        &PortfolioParams::default(),
    )
    .unwrap();
    let rows: Vec<_> = counted.scenarios.iter().filter(|s| !s.extended).collect();
    assert_eq!(rows.len(), 27);
    for (i, row) in rows.iter().enumerate() {
        assert_rel(
            row.raw_pnl,
            perp_vector[i / 3],
            1e-12,
            &format!("raw_pnl[{i}]"),
        );
        assert_rel(
            row.raw_pnl_usd,
            perp_vector[i / 3] * PM_A_INDEX,
            1e-12,
            "raw_pnl_usd",
        );
        assert!(
            row.pnl <= row.raw_pnl.max(0.0) + 1e-15,
            "counted gain above raw"
        );
    }
    let raw_extended: Vec<f64> = counted
        .scenarios
        .iter()
        .filter(|s| s.extended)
        .map(|s| s.raw_pnl)
        .collect();
    for (g, e) in raw_extended.iter().zip(&expected) {
        assert_rel(*g, *e, 1e-12, "perp extended raw_pnl");
    }
}

#[test]
fn pm_a_requirement_matches_deribit() {
    let m = pm_a_market();
    let book = positions(&json!([pm_a_perp(), pm_a_future()]));
    let r = run(&m, &book, &PortfolioParams::default()).unwrap();
    // aggregated_risk_vectors.btc_btc.standard (pnl_offset 0: gains count 0).
    let aggregated = [
        -0.059_685_872_380_952_39,
        -0.042_729_658_636_363_64,
        -0.027_247_898_260_869_57,
        -0.013_056_284_583_333_334,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ];
    assert_vector(&standard_rows(&r), &aggregated, "btc_btc");
    assert!(r
        .scenarios
        .iter()
        .filter(|s| s.extended)
        .all(|s| s.pnl == 0.0));
    let worst: Vec<_> = r.scenarios.iter().filter(|s| s.worst).collect();
    assert_eq!(worst.len(), 1);
    // worst_case_bucket: bucket 1, side left, index 1 (the middle column).
    assert_eq!(
        (worst[0].spot_move, worst[0].vol.as_str(), worst[0].extended),
        (-0.16, "same", false)
    );
    assert_rel(
        r.worst_loss / PM_A_INDEX,
        0.059_685_872_380_952_39,
        1e-12,
        "worst_case",
    );
    assert_rel(
        r.contingencies.roll / PM_A_INDEX,
        0.003_157_258_98,
        1e-12,
        "roll_shock",
    );
    assert_eq!(r.contingencies.delta, 0.0);
    assert_eq!(r.contingencies.short_option + r.contingencies.futures, 0.0);
    assert_rel(
        r.risk_matrix_margin / PM_A_INDEX,
        0.062_843_130_98,
        1e-8,
        "risk_matrix_margin",
    );
    assert_eq!(r.maintenance, 0.8 * r.risk_matrix_margin);
    // maintenance_margin 0.050274504784 = 0.8 × 0.06284313098.
    assert_rel(r.maintenance / PM_A_INDEX, 0.050_274_504_784, 1e-8, "MM");
    // Deribit's IM (0.122861343) adds mmp_margin 0.06 and open_orders_margin 0.000018212, which
    // we do not model: our initial is the risk-matrix margin.
    assert_eq!(r.initial, r.risk_matrix_margin);
}

// ---------------------------------------------------------------------------------------------
// PM-B: a live `private/pme/simulate` response for ETH captured by a third party
// (2026-02-15, model_params.general.timestamp 1771197609587; deribit.md §3.3–3.4, values only).
// ETH parameters (our default `underlyings.ETH`): price_range 0.18, pnl_offset 0.6,
// max_offsetable_pnl 20,000,000, min_annualised_move 0.005, extended_dampener 200,000.
// Tolerances as for PM-A (risk_matrix_margin residual +2.7e-10 absolute at Deribit).

#[test]
fn pm_b_eth_gain_offset_matches_deribit() {
    let now = 1_771_197_609_587;
    let index = 1_949.34;
    let mark = 1_949.49;
    let m = market(
        now,
        &json!({"ETH": {"index": {"price": index, "publishTime": now},
                        "marks": {"ETH-PERPETUAL": mark}}}),
    );
    let book = positions(&json!([{"instrument": "ETH-PERPETUAL",
        "size": -0.999_487_053 * mark, "entryPrice": mark}]));
    let r = run(&m, &book, &PortfolioParams::default()).unwrap();
    assert!(r.scenarios.iter().all(|s| s.currency == "ETH"));
    // aggregated_risk_vectors.eth_eth.standard: gains × 0.6, losses in full.
    let aggregated = [
        0.131_639_758_199_999_98,
        0.093_593_585_309_826_59,
        0.059_310_220_727_472_52,
        0.028_257_749_142_408_375,
        0.0,
        -0.043_040_112_330_143_54,
        -0.082_526_453_917_431_19,
        -0.118_881_719_960_352_43,
        -0.152_464_126_728_813_57,
    ];
    assert_vector(&standard_rows(&r), &aggregated, "eth_eth");
    // The raw column is the vector before the offset: gains undivided (÷ 0.6), losses as they are.
    for row in r.scenarios.iter().filter(|s| !s.extended) {
        let expected = if row.raw_pnl > 0.0 {
            row.raw_pnl * 0.6
        } else {
            row.raw_pnl
        };
        assert_rel(row.pnl, expected, 1e-12, "pnl = offset(raw_pnl)");
    }
    assert!(r.scenarios.iter().any(|s| s.raw_pnl > 0.0));
    assert!(r
        .scenarios
        .iter()
        .filter(|s| s.extended)
        .all(|s| s.pnl == 0.0));
    let worst: Vec<_> = r.scenarios.iter().filter(|s| s.worst).collect();
    // worst_case_bucket: bucket 9, side right, index 25.
    assert_eq!(worst.len(), 1);
    assert_eq!((worst[0].spot_move, worst[0].vol.as_str()), (0.18, "same"));
    assert_rel(
        r.worst_loss / index,
        0.152_464_126_728_813_57,
        1e-12,
        "worst_case",
    );
    assert_rel(
        r.contingencies.roll / index,
        0.004_997_435_265,
        1e-12,
        "roll_shock",
    );
    assert_rel(
        r.risk_matrix_margin / index,
        0.157_461_562_265,
        1e-8,
        "risk_matrix_margin",
    );
    assert_rel(r.maintenance / index, 0.125_969_249_812, 1e-8, "MM");
    // The same numbers from explicit JSON parameters instead of the built-in ETH entry.
    let explicit = params(&json!({"underlyings": {"ETH": {"priceRange": 0.18,
        "volatilityRangeUp": 0.4, "annualisedMoveRisk": 0.05, "minAnnualisedMove": 0.005,
        "extendedDampener": 200_000, "pnlOffset": 0.6, "maxOffsetablePnl": 20_000_000}}}));
    assert_eq!(run(&m, &book, &explicit).unwrap(), r);
}

// ---------------------------------------------------------------------------------------------
// Option rows against an independent repricing (PriceRequest, rate 0 so F = S) with the vol
// shock of deribit.md §3.2 computed here with std powf.

/// 27DEC26 08:00 UTC and a "now" exactly 10 days before it.
const DEC26: i64 = 1_798_358_400_000;
const NOW: i64 = DEC26 - 10 * 86_400_000;
const S: f64 = 100_000.0;

fn btc_market() -> Market {
    market(
        NOW,
        &json!({
            "BTC": {"index": {"price": S, "publishTime": NOW}, "markIv": {
                "BTC_USDC-27DEC26-110000-C": 0.6, "BTC_USDC-26FEB27-90000-P": 0.7,
                "BTC_USDC-27DEC26-100000-C": 0.55, "BTC_USDC-27DEC26-100000-P": 0.55,
                "BTC-27DEC26-100000-C": 0.55, "BTC-26FEB27-90000-P": 0.7}},
            "ETH": {"index": {"price": 3_000, "publishTime": NOW},
                    "markIv": {"ETH_USDC-27DEC26-3000-C": 0.8}}
        }),
    )
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

/// Deribit's vol shock with our floors (0.5 up, 0.01 down), BTC parameters.
fn shocked(vol: f64, days: f64, up: bool) -> f64 {
    let p = if days < 30.0 { 0.3 } else { 0.13 };
    let term = (30.0 / days).powf(p);
    if up {
        (vol * (1.0 + 0.5 * term)).max(0.5)
    } else {
        (vol * (1.0 - 0.25 * term)).max(0.01)
    }
}

#[test]
fn option_rows_reprice_with_the_term_scaled_vol_shock() {
    let m = btc_market();
    // 26FEB27 is 61 days after 27DEC26: 71 DTE (long-term power).
    let cases = [
        (
            "BTC_USDC-27DEC26-110000-C",
            OptionKind::Call,
            110_000.0,
            10.0,
            0.6,
        ),
        (
            "BTC_USDC-26FEB27-90000-P",
            OptionKind::Put,
            90_000.0,
            71.0,
            0.7,
        ),
    ];
    for (id, kind, strike, days, vol) in cases {
        let amount = -2.5;
        let book = positions(&json!([{"instrument": id, "size": amount}]));
        let r = run(&m, &book, &params(&raw_rows())).unwrap();
        let base = black(kind, S, strike, days, vol);
        assert_eq!(r.scenarios.len(), 27 + 8);
        for row in &r.scenarios {
            assert_eq!(row.currency, "USD");
            let forward = S * (1.0 + row.spot_move);
            let v = match row.vol.as_str() {
                "up" => shocked(vol, days, true),
                "down" => shocked(vol, days, false),
                _ => vol,
            };
            let mut expected = amount * (black(kind, forward, strike, days, v) - base);
            if row.extended {
                expected = expected.min(0.0); // gains count 0 in the extended table
            }
            let scale = 1e-10 * amount.abs() * S;
            assert!(
                (row.pnl - expected).abs() <= scale,
                "{id} {} {}: {} vs {expected}",
                row.spot_move,
                row.vol,
                row.pnl
            );
            assert_eq!(row.pnl_usd, row.pnl);
        }
    }
}

/// Black-76 (rate 0) through statrs' normal CDF: an independent reference that, unlike our
/// public pricer, takes volatilities above its 1000 % input limit. (statrs is a native-only
/// dev-dependency.)
#[cfg(not(target_arch = "wasm32"))]
fn black_statrs(kind: OptionKind, forward: f64, strike: f64, t: f64, vol: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let n = Normal::new(0.0, 1.0).unwrap();
    let d1 = ((forward / strike).ln() + 0.5 * vol * vol * t) / (vol * t.sqrt());
    let d2 = d1 - vol * t.sqrt();
    match kind {
        OptionKind::Call => forward * n.cdf(d1) - strike * n.cdf(d2),
        OptionKind::Put => strike * n.cdf(-d2) - forward * n.cdf(-d1),
    }
}

/// A 700 % 10-day option's up-shocked vol, 7·(1 + 0.5·3^0.3) ≈ 11.9, is past the 1000 % input
/// limit: the scenario prices it there (a cap at 999 % would understate the short's loss).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn up_shocked_vols_past_the_input_limit_are_priced_not_capped() {
    let id = "BTC_USDC-27DEC26-110000-C";
    let vol = 7.0;
    let m = market(
        NOW,
        &json!({"BTC": {"index": {"price": S, "publishTime": NOW}, "markIv": {id: vol}}}),
    );
    let amount = -2.5;
    let book = positions(&json!([{"instrument": id, "size": amount}]));
    let r = run(&m, &book, &params(&raw_rows())).unwrap();
    let t = 10.0 / 365.0;
    let up = shocked(vol, 10.0, true);
    assert!(up > 10.0, "{up}");
    let base = black_statrs(OptionKind::Call, S, 110_000.0, t, vol);
    let mut checked = 0;
    for row in r.scenarios.iter().filter(|row| row.vol == "up") {
        let forward = S * (1.0 + row.spot_move);
        let mut expected =
            amount * (black_statrs(OptionKind::Call, forward, 110_000.0, t, up) - base);
        if row.extended {
            expected = expected.min(0.0);
        }
        // statrs' erfc is good to ~1e-15 relative; the book's scale is |amount|·S.
        assert!(
            (row.pnl - expected).abs() <= 1e-9 * amount.abs() * S,
            "{} up: {} vs {expected}",
            row.spot_move,
            row.pnl
        );
        checked += 1;
    }
    assert!(checked >= 9, "{checked}");
}

#[test]
fn extended_rows_are_weighted_and_dampened() {
    let m = btc_market();
    let book = positions(&json!([{"instrument": "BTC_USDC-27DEC26-110000-C", "size": -3}]));
    let full = run(&m, &book, &params(&raw_rows())).unwrap();
    let mut p = raw_rows();
    p["usd"]["extendedDampener"] = json!(50_000);
    p["defaultUnderlying"]["extendedFraction"] = json!(0.25);
    let damped = run(&m, &book, &params(&p)).unwrap();
    for (a, b) in full.scenarios.iter().zip(&damped.scenarios) {
        let expected = if a.extended {
            -(0.25 * -a.pnl - 50_000.0).max(0.0)
        } else {
            a.pnl
        };
        assert!(
            (b.pnl - expected).abs() <= 1e-9 * a.pnl.abs().max(1.0),
            "{}: {}",
            a.spot_move,
            b.pnl
        );
    }
    // +500 % against a 3-lot short 110k call is a 1.3M USD loss: the extended row is the worst.
    let worst = damped.scenarios.iter().find(|s| s.worst).unwrap();
    assert!(worst.extended && worst.spot_move == 5.0, "{worst:?}");
}

#[test]
fn skew_shock_and_time_value_discount() {
    let m = btc_market();
    // Skew: short 90k put (k = ln(0.9) < 0) at −16 %, vol same: σ·(1 − 0.5·k·(−1))… = σ·(1 + 0.5·|k|).
    let put = positions(&json!([{"instrument": "BTC_USDC-26FEB27-90000-P", "size": -1}]));
    let mut p = raw_rows();
    p["defaultUnderlying"]["skewShock"] = json!(0.5);
    let r = run(&m, &put, &params(&p)).unwrap();
    let row = r
        .scenarios
        .iter()
        .find(|s| s.spot_move == -0.16 && s.vol == "same")
        .unwrap();
    let k = (90_000.0f64 / S).ln();
    let vol = 0.7 * (1.0 - 0.5 * k);
    let expected = -(black(OptionKind::Put, 0.84 * S, 90_000.0, 71.0, vol)
        - black(OptionKind::Put, S, 90_000.0, 71.0, 0.7));
    assert!(
        (row.pnl - expected).abs() < 1e-9 * S,
        "{} {expected}",
        row.pnl
    );
    // Time-value discount: a long OTM call (all time value) loses d·V at zero move, vol same.
    let call = positions(&json!([{"instrument": "BTC_USDC-27DEC26-110000-C", "size": 2}]));
    let mut p = raw_rows();
    p["defaultUnderlying"]["timeValueDiscount"] = json!(0.4);
    let r = run(&m, &call, &params(&p)).unwrap();
    let row = r
        .scenarios
        .iter()
        .find(|s| s.spot_move == 0.0 && s.vol == "same" && !s.extended)
        .unwrap();
    let value = 2.0 * black(OptionKind::Call, S, 110_000.0, 10.0, 0.6);
    assert!((row.pnl + 0.4 * value).abs() < 1e-9 * value, "{}", row.pnl);
    // Without the discount a long option can lose at most its value.
    let plain = run(&m, &call, &PortfolioParams::default()).unwrap();
    assert!(plain.worst_loss <= value * (1.0 + 1e-12) && plain.worst_loss > 0.0);
}

#[test]
fn legacy_contingencies_and_the_delta_shock() {
    let m = btc_market();
    let legacy = params(&json!({"defaultUnderlying": {
        "shortOptionContingency": 0.01, "futuresContingency": 0.01}}));
    // deribit.md §3.4 PM-C (legacy): call +10, put −20 on one strike → 10 × 0.01 coin.
    let options = positions(&json!([
        {"instrument": "BTC_USDC-27DEC26-100000-C", "size": 10},
        {"instrument": "BTC_USDC-27DEC26-100000-P", "size": -20}]));
    let r = run(&m, &options, &legacy).unwrap();
    assert!((r.contingencies.short_option - 0.1 * S).abs() < 1e-9);
    // 100 long / 100 short offsetting futures → 1 coin.
    let futures = positions(&json!([
        {"instrument": "BTC_USDC-PERPETUAL", "size": 100, "entryPrice": S},
        {"instrument": "BTC_USDC-27DEC26", "size": -100, "entryPrice": S}]));
    let r = run(&m, &futures, &legacy).unwrap();
    assert!((r.contingencies.futures - S).abs() < 1e-9);
    // Roll: perp floor 1 %, 10-day future max(1 %, 0.1 × 10/365) = 1 % (USD parameters).
    assert!((r.contingencies.roll - 2.0 * 100.0 * 0.01 * S).abs() < 1e-6);
    // Delta shock (ours): 300 BTC long = 30M USD; 10M above the threshold × 0.1 × 0.16.
    let big =
        positions(&json!([{"instrument": "BTC_USDC-PERPETUAL", "size": 300, "entryPrice": S}]));
    let r = run(&m, &big, &PortfolioParams::default()).unwrap();
    assert!(
        (r.contingencies.delta - 160_000.0).abs() < 1e-6,
        "{}",
        r.contingencies.delta
    );
    assert!(
        (r.risk_matrix_margin - r.worst_loss - r.contingencies.roll - r.contingencies.delta).abs()
            < 1e-6
    );
}

// ---------------------------------------------------------------------------------------------
// Properties.

fn mixed_book() -> Value {
    json!([
        {"instrument": "BTC_USDC-27DEC26-110000-C", "size": -4},
        {"instrument": "BTC_USDC-26FEB27-90000-P", "size": 1.5},
        {"instrument": "BTC-27DEC26-100000-C", "size": -2},
        {"instrument": "BTC-26FEB27-90000-P", "size": -1},
        {"instrument": "BTC-PERPETUAL", "size": 150_000, "entryPrice": 99_000},
        {"instrument": "BTC_USDC-27DEC26", "size": -0.7, "entryPrice": 101_000},
        {"instrument": "ETH_USDC-27DEC26-3000-C", "size": -30}
    ])
}

#[test]
fn delta_hedging_lowers_the_requirement() {
    let m = btc_market();
    let short = json!({"instrument": "BTC_USDC-27DEC26-100000-C", "size": -10});
    let unhedged = positions(&json!([short]));
    let delta = value_position(&unhedged[0], &m, &Shock::NONE)
        .unwrap()
        .delta;
    let hedged = positions(&json!([short,
        {"instrument": "BTC_USDC-PERPETUAL", "size": -delta, "entryPrice": S}]));
    let params = PortfolioParams::default();
    let a = run(&m, &unhedged, &params).unwrap();
    let b = run(&m, &hedged, &params).unwrap();
    assert!(
        b.initial < a.initial && b.worst_loss < a.worst_loss,
        "{} vs {}",
        b.initial,
        a.initial
    );
}

#[test]
fn scaling_the_book_scales_the_requirement() {
    let m = btc_market();
    // No dampeners and no delta threshold: every part is positively homogeneous.
    let p = params(&json!({"usd": {"extendedDampener": 0},
        "underlyings": {"ETH": {"extendedDampener": 0, "deltaTotalLiqShockThreshold": 0}},
        "defaultUnderlying": {"extendedDampener": 0, "deltaTotalLiqShockThreshold": 0}}));
    let base = run(&m, &positions(&mixed_book()), &p).unwrap();
    assert!(base.worst_loss > 0.0 && base.contingencies.delta > 0.0);
    for lambda in [0.01, 0.5, 3.0, 17.25] {
        let mut book = mixed_book();
        for position in book.as_array_mut().unwrap() {
            let size = position["size"].as_f64().unwrap();
            position["size"] = json!(size * lambda);
        }
        let r = run(&m, &positions(&book), &p).unwrap();
        assert_rel(r.worst_loss, lambda * base.worst_loss, 1e-12, "worst loss");
        assert_rel(r.initial, lambda * base.initial, 1e-12, "initial");
        for (a, b) in r.scenarios.iter().zip(&base.scenarios) {
            assert!((a.pnl - lambda * b.pnl).abs() <= 1e-11 * lambda * (1.0 + b.pnl.abs()));
        }
    }
}

#[test]
fn merging_books_never_costs_more_than_margining_them_apart() {
    // Gain offset 0 (BTC defaults): min(a + b, 0) ≥ min(a, 0) + min(b, 0) row by row. Without
    // dampeners: a dampener forgives each book's first losses, so merging books may cost more.
    let m = btc_market();
    let book = mixed_book();
    let all = book.as_array().unwrap();
    let p = params(&json!({"underlyings": {}, "usd": {"extendedDampener": 0},
        "defaultUnderlying": {"extendedDampener": 0}}));
    for split in 1..all.len() {
        let (a, b) = all.split_at(split);
        let ra = run(&m, &positions(&json!(a)), &p).unwrap();
        let rb = run(&m, &positions(&json!(b)), &p).unwrap();
        let rab = run(&m, &positions(&book), &p).unwrap();
        assert!(
            rab.initial <= (ra.initial + rb.initial) * (1.0 + 1e-12),
            "split {split}: {} > {} + {}",
            rab.initial,
            ra.initial,
            rb.initial
        );
    }
}

#[test]
fn correlation_aggregation_across_underlyings() {
    let m = btc_market();
    let book = positions(&json!([
        {"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": S},
        {"instrument": "ETH_USDC-27DEC26-3000-C", "size": -30}]));
    let btc = run(&m, &book[..1], &PortfolioParams::default()).unwrap();
    let eth = run(&m, &book[1..], &PortfolioParams::default()).unwrap();
    let (lb, le) = (btc.worst_loss, eth.worst_loss);
    let sum = run(&m, &book, &PortfolioParams::default()).unwrap();
    assert_rel(sum.worst_loss, lb + le, 1e-14, "sum");
    let corr = |rho: f64| {
        let p = params(&json!({"aggregation": "correlation",
            "correlations": {"ETH": {"BTC": rho}}}));
        run(&m, &book, &p).unwrap().worst_loss
    };
    assert_rel(corr(1.0), lb + le, 1e-14, "ρ = 1");
    assert_rel(corr(0.0), (lb * lb + le * le).sqrt(), 1e-14, "ρ = 0");
    assert_rel(
        corr(0.5),
        (lb * lb + le * le + lb * le).sqrt(),
        1e-14,
        "ρ = 0.5",
    );
    assert!(corr(-1.0) <= (lb - le).abs() * (1.0 + 1e-12));
}

#[test]
fn empty_book_requires_nothing_and_rows_are_complete() {
    let m = btc_market();
    let r = run(&m, &[], &PortfolioParams::default()).unwrap();
    assert!(r.scenarios.is_empty());
    assert_eq!(
        (r.worst_loss, r.risk_matrix_margin, r.initial, r.maintenance),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(r.contingencies.roll + r.contingencies.delta, 0.0);
    // A book with coin and USD vectors on two underlyings: 3 vectors × 35 rows, one worst each,
    // coin before USD, underlyings in order, serialised in camelCase.
    let r = run(&m, &positions(&mixed_book()), &PortfolioParams::default()).unwrap();
    assert_eq!(r.scenarios.len(), 3 * 35);
    let keys: Vec<(&str, &str)> = r
        .scenarios
        .iter()
        .step_by(35)
        .map(|s| (s.underlying.as_str(), s.currency.as_str()))
        .collect();
    assert_eq!(keys, [("BTC", "BTC"), ("BTC", "USD"), ("ETH", "USD")]);
    assert_eq!(r.scenarios.iter().filter(|s| s.worst).count(), 3);
    let text = serde_json::to_string(&r).unwrap();
    assert!(text.contains("\"riskMatrixMargin\"") && text.contains("\"pnlUsd\""));
    assert!(text.contains("\"shortOption\"") && text.contains("\"spotMove\""));
    assert_eq!(serde_json::from_str::<PortfolioResult>(&text).unwrap(), r);
}

#[test]
fn errors_are_coded_and_name_the_field() {
    let m = btc_market();
    let sol = positions(&json!([{"instrument": "SOL_USDC-PERPETUAL", "size": 1, "entryPrice": 1}]));
    let err = run(&m, &sol, &PortfolioParams::default()).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "underlyings.SOL")
    );
    let no_vol = positions(&json!([{"instrument": "BTC_USDC-27DEC26-120000-C", "size": 1}]));
    let err = run(&m, &no_vol, &PortfolioParams::default()).unwrap_err();
    assert_eq!(err.code(), "E_MISSING_MARKET_DATA");
    let bad = params(&json!({"underlyings": {"BTC": {"priceRange": 0}}}));
    let book = positions(&mixed_book());
    let err = run(&m, &book, &bad).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_INVALID_INPUT", "underlyings.BTC.priceRange")
    );
    let mut nan = book.clone();
    nan[2].amount = f64::NAN;
    let err = run(&m, &nan, &PortfolioParams::default()).unwrap_err();
    assert_eq!(err.field(), "positions[2].amount");
}
