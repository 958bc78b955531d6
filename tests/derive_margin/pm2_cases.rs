//! Derive PMRM_2 portfolio cases through the `derive-portfolio` profile: derivexyz/v2-core
//! `test/risk-managers/unit-tests/PMRM_2/portfolio_cases/<file>.json`, run there by
//! `TestPMRM_2_PortfolioCasesNEW.t.sol` (`_compareResults` asserts option MtM, MM and IM to 1e-8
//! relative). Each case below is transcribed from its file's `Scenario` block (spot, stable price,
//! cash, perp, options with their `MarkVol`, option feeds with forward and rate per expiry,
//! collaterals with their haircuts), the `Parameters` that differ from the profile's defaults, and
//! the `Result` block's `OptionMTM`, `MM` and `IM`; every case must match to 1e-9 relative.
//!
//! Unit convention: Derive adds its cash balance as is and values collateral as
//! amount·price / stable price, while our equity counts every balance at its market price (USDC at
//! the stable price). The expected value of equity − requirement is therefore Derive's margin plus
//! cash·(stable − 1) + Σ amount·price·(1 − 1/stable), computed here from the case's inputs.
//!
//! Times: the JSON gives each expiry's seconds to expiry (`Expiry`, `FeedExpiry`) and its UTC
//! timestamp (`ExiryTs`); "now" is their difference.

use drr_margin::json;
use drr_margin::margin::margin;
use drr_margin::margin::profiles::resolve;
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::{AccountSpec, ContractKind, Instrument, Settlement};
use drr_margin::pricing::OptionKind;
use serde_json::{json, Map, Value};

/// One collateral: (name, amount, price, MM haircut, IM haircut, risk cancelling).
pub type Collateral = (&'static str, f64, f64, f64, f64, bool);
/// One option: (expiry timestamp s, strike, is call, mark vol, amount).
pub type OptionLeg = (i64, f64, bool, f64, f64);
/// One option feed: (expiry timestamp s, forward, rate).
pub type Feed = (i64, f64, f64);
/// One expiry's feed confidences: (expiry timestamp s, `ForwardConfidence`, `RateConfidence`,
/// `OptionVolConfidences`).
pub type FeedScores = (i64, f64, f64, f64);

/// A case's oracle confidences (`SpotConfidence`, `PerpConfidence`, the option feeds' and the
/// collaterals' `Confidence`), passed as the market's `feedConfidence`.
pub struct Confidence {
    pub spot: f64,
    pub perp: f64,
    pub feeds: &'static [FeedScores],
    /// (collateral name, `Confidence`).
    pub collateral: &'static [(&'static str, f64)],
}

/// A transcribed case.
pub struct Pm2Case {
    /// File name under `portfolio_cases/`.
    pub file: &'static str,
    /// The manager's underlying.
    pub underlying: &'static str,
    /// Valuation time, s since the epoch (`ExiryTs − Expiry`).
    pub now: i64,
    pub spot: f64,
    pub stable: f64,
    pub cash: f64,
    /// (NumPerps, PerpPrice, UnrealisedPerpPNL + UnrealisedFunding).
    pub perp: Option<(f64, f64, f64)>,
    pub feeds: &'static [Feed],
    pub options: &'static [OptionLeg],
    pub collateral: &'static [Collateral],
    /// `derive` parameter overrides (JSON object text).
    pub params: &'static str,
    /// The oracle confidences, where any is below the case's `CONF_THRESHOLD` (else `None`: all
    /// taken as 1).
    pub confidence: Option<Confidence>,
    pub option_mtm: f64,
    pub mm: f64,
    /// `None` where the file's IM is not reproduced (the case says why).
    pub im: Option<f64>,
}

fn instrument(underlying: &str, leg: &OptionLeg) -> Instrument {
    Instrument {
        underlying: underlying.to_string(),
        contract: ContractKind::Option {
            expiry: leg.0 * 1000,
            strike: leg.1,
            option_kind: if leg.2 {
                OptionKind::Call
            } else {
                OptionKind::Put
            },
        },
        settlement: Settlement::Linear,
        contract_size: 1.0,
    }
}

/// (option MtM, Derive MM, Derive IM) of our report for `case`, in Derive's units.
pub fn run(case: &Pm2Case) -> (f64, f64, f64) {
    let now_ms = case.now * 1000;
    let mut mark_iv = Map::new();
    let mut positions = Vec::new();
    for leg in case.options {
        let terms = instrument(case.underlying, leg);
        mark_iv.insert(terms.id(), json!(leg.3));
        positions.push(json!({"instrument": terms, "size": leg.4}));
    }
    let forwards: Vec<Value> = case
        .feeds
        .iter()
        .map(|(expiry, forward, rate)| {
            json!({"expiry": expiry * 1000, "price": forward, "rate": rate})
        })
        .collect();
    let mut underlying = json!({
        "index": {"price": case.spot, "publishTime": now_ms},
        "forwards": forwards,
        "markIv": mark_iv,
    });
    if let Some((size, price, value)) = case.perp {
        underlying["marks"] = json!({format!("{}_USDC-PERPETUAL", case.underlying): price});
        // The perp's value (unrealised P&L and funding) as P&L from an entry price.
        positions.push(json!({"instrument": format!("{}-PERP", case.underlying),
                              "size": size, "entryPrice": price - value / size}));
    }
    let mut collateral_prices = Map::new();
    collateral_prices.insert("USDC".into(), json!({"price": case.stable, "decimals": 6}));
    let mut balances = Map::new();
    let mut rules = Map::new();
    let mut unit_shift = case.cash * (case.stable - 1.0);
    if case.cash != 0.0 {
        balances.insert("USDC".into(), json!(case.cash));
    }
    for &(name, amount, price, mm, im, risk_cancelling) in case.collateral {
        collateral_prices.insert(name.into(), json!({"price": price, "decimals": 18}));
        balances.insert(name.into(), json!(amount));
        rules.insert(
            name.into(),
            json!({"mmHaircut": mm, "imHaircut": im, "riskCancelling": risk_cancelling}),
        );
        unit_shift += amount * price * (1.0 - 1.0 / case.stable);
    }
    let mut market = json!({
        "now": now_ms,
        "underlyings": {case.underlying: underlying},
        "collateral": collateral_prices,
    });
    if let Some(c) = &case.confidence {
        let expiries: Vec<Value> = c
            .feeds
            .iter()
            .map(|(expiry, forward, rate, vol)| {
                json!({"expiry": expiry * 1000, "forward": forward, "rate": rate, "vol": vol})
            })
            .collect();
        let collateral: Map<String, Value> = c
            .collateral
            .iter()
            .map(|(name, score)| (name.to_string(), json!(score)))
            .collect();
        market["feedConfidence"] = json!({
            "underlyings": {case.underlying: {"spot": c.spot, "perp": c.perp, "expiries": expiries}},
            "collateral": collateral,
        });
    }
    let market: MarketSpec = json::from_value(market).unwrap();
    let account: AccountSpec = json::from_value(
        json!({"mode": "portfolio", "collateral": balances, "positions": positions}),
    )
    .unwrap();
    let mut derive: Value = serde_json::from_str(case.params).unwrap();
    derive["collateral"] = Value::Object(rules);
    let params = resolve(Some(json!({
        "profile": "derive-portfolio",
        "portfolio": {"derive": derive}
    })))
    .unwrap();
    let r = margin(&market, &account, &params).unwrap();
    // The options come first, the perp (if any) last.
    let option_mtm: f64 = r
        .positions
        .iter()
        .take(case.options.len())
        .map(|line| line.value)
        .sum();
    let equity: f64 = r.collateral.iter().map(|c| c.value).sum::<f64>()
        + r.positions.iter().map(|p| p.value).sum::<f64>();
    (
        option_mtm,
        equity - r.components.total.maintenance - unit_shift,
        equity - r.components.total.initial - unit_shift,
    )
}

/// Compares `case` to `tol` relative (absolute below 1e-8, the harness's own rule); the
/// mismatches as messages naming the file.
pub fn check(case: &Pm2Case, tol: f64) -> Vec<String> {
    let (mtm, mm, im) = run(case);
    let mut checks = vec![("OptionMTM", mtm, case.option_mtm), ("MM", mm, case.mm)];
    if let Some(expected) = case.im {
        checks.push(("IM", im, expected));
    }
    checks
        .into_iter()
        .filter(|(_, got, expected)| (got - expected).abs() > tol * expected.abs().max(1e-8))
        .map(|(what, got, expected)| {
            format!(
                "{}/{}: {what} got {got}, expected {expected} (rel {:e})",
                super::pm2_data::DIR,
                case.file,
                (got - expected).abs() / expected.abs()
            )
        })
        .collect()
}
