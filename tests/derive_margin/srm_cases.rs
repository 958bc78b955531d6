//! Derive Standard Manager cases with perps, cash, oracle confidences and a depegged USDC through
//! the `derive-standard` profile: derivexyz/v2-core
//! `test/risk-managers/unit-tests/StandardManager/test-cases-portfolio.json`, run there by
//! `TestStandardManager_Portfolio_Cases.t.sol`, and `test_USDC_depeg` of `test-cases-2.json`
//! (`TestStandardManager_Cases2.t.sol` testCase20).
//!
//! Set-up of those tests, reproduced here (beside the parent module's spot, forwards and vol
//! 0.5): perp prices spot + 1 (ETH) and + 20 (BTC), perp requirements MM 0.05 / IM 0.065
//! (`TestStandardManagerBase`; the JSON's perp results imply exactly these), option parameters
//! 0.15 / 0.10 / 0.075, base margin factor 0.8, oracle contingency (0.4, 0.4, 0.4, factor 0.4)
//! (`test/config-test.sol` `getSRMParams`, and `Cases2.setUp`), depeg (0.98, 1.2); each test's
//! own feed confidences and stable price (the `testCaseNN` bodies). A perp's value is its
//! unrealised P&L (perp price − entry)·amount, as the harness mocks it.
//!
//! Checks: every margin truncates toward zero to the JSON's integer (`margin / 1e18`; an exact
//! integer margin matches it to 1e-9 relative instead), and each
//! case's IM contingency (IM requirement minus that of the same book with every confidence 1 and
//! USDC at par; MM requirements equal) matches the one derived by hand from `StandardManager.sol`
//! (listed per case), to 1e-9 relative.
//!
//! Unit convention: Derive adds cash as is, ours counts USDC at its price, so Derive's margin is
//! equity − requirement + cash·(1 − USDC price).
//! Not reproduced: `test_general_portfolio` (see [`GENERAL_PORTFOLIO`]).

use super::{canonical_id, option_id, truncate, BTC_FORWARD_ADD, ETH_FORWARD_ADD, EXPIRIES, NOW};
use drr_margin::json;
use drr_margin::margin::margin;
use drr_margin::margin::profiles::resolve;
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use serde_json::{json, Map, Value};

/// Feed confidences: (ETH spot, ETH perp, [(expiry date, forward, vol)] of ETH).
pub type Scores = (f64, f64, &'static [(&'static str, f64, f64)]);

/// One case of `test-cases-portfolio.json` (or `test-cases-2.json`).
pub struct SrmCase {
    pub name: &'static str,
    /// (amount, expiry date, strike, "C"|"P", underlying).
    pub options: &'static [(f64, &'static str, f64, &'static str, &'static str)],
    /// (amount, entry price, underlying).
    pub perps: &'static [(f64, f64, &'static str)],
    /// (amount, underlying).
    pub bases: &'static [(f64, &'static str)],
    pub cash: f64,
    /// The stable feed's price (USDC).
    pub stable: f64,
    pub scores: Scores,
    /// JSON (mm, im).
    pub mm: i64,
    pub im: i64,
    /// The IM contingency derived by hand (USD).
    pub contingency: f64,
}

const FULL: Scores = (1.0, 1.0, &[]);
/// 0.4 − 1 wei is 0.4 in float64: the case's "right under the edge" as 0.4·(1 − 1e-12).
const UNDER_04: f64 = 0.4 * (1.0 - 1e-12);

const C: f64 = 0.4; // OCFactor
pub const CASES: &[SrmCase] = &[
    SrmCase {
        name: "test_USDC_depeg",
        options: &[(-1.0, "20230118", 2000.0, "P", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 0.1,
        scores: FULL,
        mm: -234,
        im: -2496,
        // (0.98 − 0.1)·1.2 × 1 short × 2000.
        contingency: (0.98 - 0.1) * 1.2 * 2000.0,
    },
    SrmCase {
        name: "test_short_eth_call_with_USDC_and_BTC",
        options: &[(-1.0, "20230118", 2000.0, "C", "ETH")],
        perps: &[],
        bases: &[(1.0, "BTC")],
        cash: 10_000.0,
        stable: 1.0,
        scores: FULL,
        mm: 32160,
        im: 32010,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_long_ATM_perp",
        options: &[],
        perps: &[(1.0, 2005.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: -104,
        im: -134,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_long_OTM_perp",
        options: &[],
        perps: &[(1.0, 2200.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: -299,
        im: -329,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_long_ITM_perp",
        options: &[],
        perps: &[(1.0, 1400.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: 500,
        im: 470,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_short_ATM_perp",
        options: &[],
        perps: &[(-1.0, 2000.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: -101,
        im: -131,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_short_OTM_perp",
        options: &[],
        perps: &[(-1.0, 1500.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: -601,
        im: -631,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_short_ITM_perp",
        options: &[],
        perps: &[(-1.0, 2200.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: 98,
        im: 68,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_long_perp_with_btc",
        options: &[],
        perps: &[(1.0, 2005.0, "ETH")],
        bases: &[(1.0, "BTC")],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: 22295,
        im: 22265,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_short_call_low_vol_conf",
        options: &[(-1.0, "20230118", 2000.0, "C", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (1.0, 1.0, &[("20230118", 1.0, 0.1)]),
        mm: -239,
        im: -1109,
        // (1 − 0.1)·0.4·2000 × 1 short.
        contingency: 0.9 * C * 2000.0,
    },
    SrmCase {
        name: "test_short_call_low_vol_and_fwd_confidence",
        options: &[(-1.0, "20230118", 2000.0, "C", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (1.0, 1.0, &[("20230118", UNDER_04, 0.5)]),
        mm: -239,
        im: -869,
        contingency: (1.0 - UNDER_04) * C * 2000.0,
    },
    SrmCase {
        name: "test_short_call_low_spot_vol_fwd_confidence",
        options: &[(-1.0, "20230118", 2000.0, "C", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (0.2, 1.0, &[("20230118", 0.4, 0.5)]),
        mm: -239,
        im: -1029,
        contingency: 0.8 * C * 2000.0,
    },
    SrmCase {
        name: "test_long_call_low_spot_vol_fwd_confidence",
        options: &[(1.0, "20230118", 2000.0, "C", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (0.2, 1.0, &[("20230118", 0.4, 0.5)]),
        mm: 0,
        im: 0,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_short_options_two_expiries_low_conf_one_expiry",
        options: &[
            (-1.0, "20230118", 2000.0, "C", "ETH"),
            (-2.0, "20230227", 2300.0, "P", "ETH"),
        ],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (0.9, 1.0, &[("20230118", 0.4, 0.3)]),
        mm: -1236,
        im: -2246,
        // Only 20230118 is below 0.4: (1 − 0.3)·0.4·2000 × 1 short.
        contingency: 0.7 * C * 2000.0,
    },
    SrmCase {
        name: "test_long_eth_perp_low_perp_confidence",
        options: &[],
        perps: &[(1.0, 2005.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: (1.0, 0.1, &[]),
        mm: -104,
        im: -854,
        // (1 − min(0.1, 1))·0.4·spot 2000 × 1 perp.
        contingency: 0.9 * C * 2000.0,
    },
    SrmCase {
        name: "test_base_asset_low_spot_confidence",
        options: &[],
        perps: &[],
        bases: &[(1.0, "ETH")],
        cash: 0.0,
        stable: 1.0,
        scores: (0.1, 1.0, &[]),
        mm: 1600,
        im: 880,
        contingency: 0.9 * C * 2000.0,
    },
    SrmCase {
        name: "test_ITM_put_with_IM_multiple_of_MM",
        options: &[(-1.0, "20230104", 7400.0, "P", "ETH")],
        perps: &[],
        bases: &[],
        cash: 0.0,
        stable: 1.0,
        scores: FULL,
        mm: -5804,
        im: -6094,
        contingency: 0.0,
    },
    SrmCase {
        name: "test_long_perp_and_USDC_depeg",
        options: &[],
        perps: &[(1.0, 2005.0, "ETH")],
        bases: &[],
        cash: 0.0,
        stable: 0.1,
        scores: FULL,
        mm: -104,
        im: -2246,
        contingency: (0.98 - 0.1) * 1.2 * 2000.0,
    },
];

/// `test_general_portfolio` (MM −431,195, IM −481,443): not reproduced. Transcribed with the
/// test's set-up (stable 0.97, ETH spot confidence 0.2, 20230118 forward 0.4 − 1 wei and vol 0.5)
/// our margins are MM +394,500.0, IM +371,310.8 (its contingency, 13,315.2, is as derived by
/// hand): the book's 4 ETH and 19 BTC base alone count 0.8·(4·2000 + 19·28000) = 432,000, and
/// every other case here, bases, perps and contingencies included, reproduces. The JSON's numbers
/// appear to come from other inputs than the ones the test file sets.
pub const GENERAL_PORTFOLIO: &str = "test_general_portfolio";

fn market(case: &SrmCase, scored: bool) -> MarketSpec {
    let forwards = |spot: f64, adds: [f64; 4]| -> Value {
        EXPIRIES
            .iter()
            .zip(adds)
            .map(|((_, expiry), add)| json!({"expiry": expiry, "price": spot + add}))
            .collect()
    };
    let vols = |prefix: &str| -> Value {
        let map: Map<String, Value> = case
            .options
            .iter()
            .map(|(_, e, k, c, u)| canonical_id(u, e, *k, c))
            .filter(|id| id.starts_with(prefix))
            .map(|id| (id, json!(0.5)))
            .collect();
        Value::Object(map)
    };
    let mut m = json!({
        "now": NOW,
        "underlyings": {
            "ETH": {"index": {"price": 2000, "publishTime": NOW},
                    "forwards": forwards(2000.0, ETH_FORWARD_ADD), "markIv": vols("ETH_"),
                    "marks": {"ETH_USDC-PERPETUAL": 2001}},
            "BTC": {"index": {"price": 28000, "publishTime": NOW},
                    "forwards": forwards(28000.0, BTC_FORWARD_ADD), "markIv": vols("BTC_"),
                    "marks": {"BTC_USDC-PERPETUAL": 28020}}
        },
        "collateral": {"USDC": {"price": if scored { case.stable } else { 1.0 }, "decimals": 6},
                       "ETH": {"price": 2000, "decimals": 18},
                       "BTC": {"price": 28000, "decimals": 8}}
    });
    if scored {
        let (spot, perp, expiries) = case.scores;
        let expiries: Vec<Value> = expiries
            .iter()
            .map(|(date, forward, vol)| {
                let expiry = EXPIRIES.iter().find(|(d, _)| d == date).unwrap().1;
                json!({"expiry": expiry, "forward": forward, "vol": vol})
            })
            .collect();
        m["feedConfidence"] =
            json!({"underlyings": {"ETH": {"spot": spot, "perp": perp, "expiries": expiries}}});
    }
    json::from_value(m).unwrap()
}

/// (Derive MM margin, Derive IM margin, MM requirement, IM requirement) of `case`; `scored`:
/// with the case's confidences and stable price (else all 1).
fn run(case: &SrmCase, scored: bool) -> (f64, f64, f64, f64) {
    let mut positions: Vec<Value> = case
        .options
        .iter()
        .map(|(amount, e, k, c, u)| json!({"instrument": option_id(u, e, *k, c), "size": amount}))
        .collect();
    positions.extend(case.perps.iter().map(|(amount, entry, u)| {
        json!({"instrument": format!("{u}-PERP"), "size": amount, "entryPrice": entry})
    }));
    let mut collateral: Map<String, Value> = case
        .bases
        .iter()
        .map(|(amount, asset)| (asset.to_string(), json!(amount)))
        .collect();
    if case.cash != 0.0 {
        collateral.insert("USDC".into(), json!(case.cash));
    }
    let account: AccountSpec = json::from_value(
        json!({"mode": "cross", "collateral": collateral, "positions": positions}),
    )
    .unwrap();
    let rule = json!({"imBase": 0.065, "imIncrement": 0, "mmBase": 0.05, "mmIncrement": 0});
    let params = resolve(Some(json!({
        "profile": "derive-standard",
        "standard": {
            "options": {"initial": 0.15, "initialFloor": 0.10, "maintenance": 0.075},
            "futures": {"ETH": rule, "BTC": rule},
            "derive": {"perpConfidenceThreshold": 0.4, "optionConfidenceThreshold": 0.4,
                       "baseConfidenceThreshold": 0.4, "confidenceFactor": 0.4,
                       "depegThreshold": 0.98, "depegFactor": 1.2}
        },
        "collateral": {"BTC": {"haircut": 0.2}, "ETH": {"haircut": 0.2}}
    })))
    .unwrap();
    let r = margin(&market(case, scored), &account, &params).unwrap();
    let stable = if scored { case.stable } else { 1.0 };
    let equity: f64 = r.collateral.iter().map(|c| c.value).sum::<f64>()
        + r.positions.iter().map(|p| p.value).sum::<f64>()
        + case.cash * (1.0 - stable);
    let total = &r.components.total;
    (
        equity - total.maintenance,
        equity - total.initial,
        total.maintenance,
        total.initial,
    )
}

/// Every case: truncated margins equal to the JSON's, contingency as derived.
pub fn check(case: &SrmCase) -> Vec<String> {
    let mut failures = Vec::new();
    let (mm, im, mm_requirement, im_requirement) = run(case, true);
    // Truncating an exact integer (880 = 1600 − 720) is ill-conditioned: such a margin matches
    // the JSON to 1e-9 instead.
    #[allow(clippy::cast_precision_loss)]
    let matches = |got: f64, json: i64| {
        truncate(got) == json || (got - json as f64).abs() <= 1e-9 * (json as f64).abs().max(1.0)
    };
    if !(matches(mm, case.mm) && matches(im, case.im)) {
        failures.push(format!(
            "{}: mm {mm} im {im}, JSON {} {}",
            case.name, case.mm, case.im
        ));
    }
    let (.., base_mm, base_im) = run(case, false);
    let contingency = im_requirement - base_im;
    if (contingency - case.contingency).abs() > 1e-9 * case.contingency.abs().max(1.0)
        || (mm_requirement - base_mm).abs() > 1e-9 * base_mm.abs().max(1.0)
    {
        failures.push(format!(
            "{}: contingency {contingency} (expected {}), MM {mm_requirement} vs {base_mm}",
            case.name, case.contingency
        ));
    }
    failures
}

/// (equity, MM requirement, IM requirement) of `account` on `market` under `derive-standard` with
/// `standard` merged into its `standard` parameters and `collateral` haircuts.
fn run_book(market: Value, account: Value, standard: Value, collateral: Value) -> (f64, f64, f64) {
    let market: MarketSpec = json::from_value(market).unwrap();
    let account: AccountSpec = json::from_value(account).unwrap();
    let params = resolve(Some(json!({
        "profile": "derive-standard", "standard": standard, "collateral": collateral
    })))
    .unwrap();
    let r = margin(&market, &account, &params).unwrap();
    let equity: f64 = r.collateral.iter().map(|c| c.value).sum::<f64>()
        + r.positions.iter().map(|p| p.value).sum::<f64>();
    (
        equity,
        r.components.total.maintenance,
        r.components.total.initial,
    )
}

fn close(got: f64, expected: f64, scale: f64, what: &str) {
    assert!(
        (got - expected).abs() <= 1e-9 * scale,
        "{what}: got {got}, expected {expected}"
    );
}

#[test]
fn oracle_contingency_on_perps() {
    // v2-core test/risk-managers/unit-tests/StandardManager/TestStandardManager_Perp.t.sol
    // `testOracleContingencyOnPerps`: spot and perp 1500, perp MM 0.05 / IM 0.1, contingency
    // (perp 0.75, option 0, base 0, factor 0.1), depeg (0.98, 1.3) at par; 1500 cash, 10 perps
    // short. IM margin 0 at confidence 1, −450 = −(1 − 0.7)·1500·10·0.1 at spot confidence 0.7;
    // MM margin unchanged (1500 − 10·1500·0.05 = 750).
    let book = |spot_score: f64| {
        run_book(
            json!({"now": NOW, "underlyings": {"ETH": {
                       "index": {"price": 1500, "publishTime": NOW},
                       "marks": {"ETH_USDC-PERPETUAL": 1500}}},
                   "collateral": {"USDC": {"price": 1, "decimals": 6}},
                   "feedConfidence": {"underlyings": {"ETH": {"spot": spot_score}}}}),
            json!({"mode": "cross", "collateral": {"USDC": 1500},
                   "positions": [{"instrument": "ETH-PERP", "size": -10, "entryPrice": 1500}]}),
            json!({"futures": {"ETH": {"imBase": 0.1, "mmBase": 0.05}},
                   "derive": {"perpConfidenceThreshold": 0.75, "optionConfidenceThreshold": 0,
                              "baseConfidenceThreshold": 0, "confidenceFactor": 0.1,
                              "depegThreshold": 0.98, "depegFactor": 1.3}}),
            json!({}),
        )
    };
    let (equity, mm, im) = book(1.0);
    close(equity - im, 0.0, 1500.0, "IM margin before");
    let (equity, mm_after, im) = book(0.7);
    close(equity - im, -450.0, 450.0, "IM margin after");
    close(equity - mm_after, 750.0, 750.0, "MM margin after");
    close(mm_after, mm, 750.0, "MM unchanged");
}

#[test]
fn oracle_contingency_on_options() {
    // TestStandardManager_Option.t.sol `testOracleContingencyOnOptions`: spot and 91-day forward
    // 1500, option params (0.15, 0.10, 0.075), contingency (perp 0.8, option 0.9, base 0.8,
    // factor 0.1); 10 short calls K 2000 with cash = their isolated IM, 10·(0.10·1500 + mark)
    // (OTM by 1/3 > 0.15 − 0.10). The test mocks the mark (100); ours is Black-76 at vol 0.5,
    // computed independently here. IM margin 0 at confidence 1, −300 = −(1 − 0.8)·1500·10·0.1
    // at spot confidence 0.8; MM margin 1500 − 10·0.075·1500 = 375 either way.
    // Derive's option ids expire at 08:00 UTC: 91 days and 8 hours after `NOW`.
    let expiry = NOW + (91 * 24 + 8) * super::HOUR;
    let mark = super::black(
        drr_margin::pricing::OptionKind::Call,
        1500.0,
        2000.0,
        ((91 * 24 + 8) * 3600) as f64,
    );
    let cash = 10.0 * (0.10 * 1500.0 + mark);
    let book = |spot_score: f64| {
        run_book(
            json!({"now": NOW, "underlyings": {"ETH": {
                       "index": {"price": 1500, "publishTime": NOW},
                       "forwards": [{"expiry": expiry, "price": 1500}],
                       "markIv": {"ETH_USDC-2APR23-2000-C": 0.5}}},
                   "collateral": {"USDC": {"price": 1, "decimals": 6}},
                   "feedConfidence": {"underlyings": {"ETH": {"spot": spot_score}}}}),
            json!({"mode": "cross", "collateral": {"USDC": cash},
                   "positions": [{"instrument": "ETH-20230402-2000-C", "size": -10}]}),
            json!({"options": {"initial": 0.15, "initialFloor": 0.10, "maintenance": 0.075},
                   "unpairedCallInitialScale": 1.4, "unpairedCallMaintenanceScale": 1.2,
                   "derive": {"perpConfidenceThreshold": 0.8, "optionConfidenceThreshold": 0.9,
                              "baseConfidenceThreshold": 0.8, "confidenceFactor": 0.1,
                              "depegThreshold": 0.98, "depegFactor": 1.3}}),
            json!({}),
        )
    };
    let (equity, mm, im) = book(1.0);
    close(equity - im, 0.0, cash, "IM margin before");
    close(equity - mm, 375.0, cash, "MM margin before");
    let (equity, mm_after, im) = book(0.8);
    close(equity - im, -300.0, cash, "IM margin after");
    close(mm_after, mm, cash, "MM unchanged");
}

#[test]
fn oracle_contingency_on_base_collateral() {
    // TestStandardManager_MutiAsset.t.sol `testBaseAssetMarginWithContingency`: BTC spot 20000,
    // base margin factor 0.5, contingency (0.5, 0.5, 0.5, factor 0.1), spot confidence 0.3,
    // 2 BTC: IM margin 20000 − 2·20000·0.7·0.1 = 17200, MM margin 20000.
    let (equity, mm, im) = run_book(
        json!({"now": NOW, "underlyings": {"BTC": {"index": {"price": 20000, "publishTime": NOW}}},
               "collateral": {"USDC": {"price": 1, "decimals": 6},
                              "BTC": {"price": 20000, "decimals": 8}},
               "feedConfidence": {"underlyings": {"BTC": {"spot": 0.3}}}}),
        json!({"mode": "cross", "collateral": {"BTC": 2}, "positions": []}),
        json!({"derive": {"perpConfidenceThreshold": 0.5, "optionConfidenceThreshold": 0.5,
                          "baseConfidenceThreshold": 0.5, "confidenceFactor": 0.1}}),
        json!({"BTC": {"haircut": 0.5}}),
    );
    close(equity - im, 17_200.0, 20_000.0, "IM margin");
    close(equity - mm, 20_000.0, 20_000.0, "MM margin");
}

#[test]
fn usdc_depeg_over_two_markets() {
    // TestStandardManager_MutiAsset.t.sol `testMultiMarketDepeg`: depeg (0.98, 1.3), USDC at
    // 0.95; 1 short ETH call + 1 short ETH perp at spot 1500, 1 short BTC call + 1 short BTC perp
    // at 20000: IM rises by 1.3·0.03·2·1500 = 117 and 1.3·0.03·2·20000 = 1560; MM unchanged.
    let expiry = NOW + (7 * 24 + 8) * super::HOUR;
    let book = |usdc: f64| {
        run_book(
            json!({"now": NOW, "underlyings": {
                       "ETH": {"index": {"price": 1500, "publishTime": NOW},
                               "forwards": [{"expiry": expiry, "price": 1500}],
                               "markIv": {"ETH_USDC-8JAN23-2000-C": 0.5}},
                       "BTC": {"index": {"price": 20000, "publishTime": NOW},
                               "forwards": [{"expiry": expiry, "price": 20000}],
                               "markIv": {"BTC_USDC-8JAN23-30000-C": 0.5}}},
                   "collateral": {"USDC": {"price": usdc, "decimals": 6}}}),
            json!({"mode": "cross", "collateral": {"USDC": 10000}, "positions": [
                {"instrument": "ETH-20230108-2000-C", "size": -1},
                {"instrument": "BTC-20230108-30000-C", "size": -1},
                {"instrument": "ETH-PERP", "size": -1, "entryPrice": 1500},
                {"instrument": "BTC-PERP", "size": -1, "entryPrice": 20000}]}),
            json!({"derive": {"depegThreshold": 0.98, "depegFactor": 1.3}}),
            json!({}),
        )
    };
    let (_, mm, im) = book(1.0);
    let (_, mm_depeg, im_depeg) = book(0.95);
    close(im_depeg - im, 117.0 + 1560.0, 1677.0, "depeg IM");
    close(mm_depeg, mm, 1677.0, "MM unchanged");
}
