//! Statistical VaR (`drr_margin::margin::statistical`) through its public API and JSON shapes:
//! delta-normal against the hand formula with `statrs`' normal quantile as the z oracle, Monte
//! Carlo against the exact lognormal quantile and expected shortfall of a linear book within
//! stated sampling errors, diversification limits (ρ = ±1), option books (gamma and vega risk, fat
//! tails), bitwise reproducibility and coded parameter errors. Expected values come from formulas
//! computed here or from `statrs`, never from the module's own output.

#![cfg(not(target_arch = "wasm32"))]
// statrs is a native-only dev-dependency.
// Test-only reference arithmetic: std math is fine here (tolerance comparisons, native only).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use drr_margin::margin::statistical::{statistical_risk, StatisticalParams, VarResult};
use drr_margin::market::Market;
use drr_margin::portfolio::{Account, AccountSpec, Position};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 86_400_000;

/// BTC 100,000, ETH 4,000, SOL 150; no vol surfaces (σ = the default vol passed in).
fn plain_market() -> Market {
    let u = |price: u32| format!(r#"{{"index": {{"price": {price}, "publishTime": {NOW}}}}}"#);
    Market::new(
        drr_margin::json::from_str(&format!(
            r#"{{"now": {NOW}, "underlyings": {{"BTC": {}, "ETH": {}, "SOL": {}}}}}"#,
            u(100_000),
            u(4_000),
            u(150)
        ))
        .unwrap(),
    )
    .unwrap()
}

/// BTC 100,000 with one SVI slice 90 days out: w(k) = 0.07 + 0.1·(−0.3·k + √(k² + 0.04)),
/// ATM vol √(0.09/T₉₀) ≈ 0.604, held flat before the slice (so σ_BTC at a 1-day horizon too).
fn surface_market() -> Market {
    Market::new(
        drr_margin::json::from_str(&format!(
            r#"{{"now": {NOW}, "underlyings": {{"BTC": {{"index": {{"price": 100000, "publishTime": {NOW}}},
               "vol": {{"slices": [{{"type": "svi", "expiry": {}, "a": 0.07, "b": 0.1, "rho": -0.3, "m": 0, "sigma": 0.2}}]}}}}}}}}"#,
            NOW + 90 * DAY
        ))
        .unwrap(),
    )
    .unwrap()
}

fn book(positions: &str) -> Vec<Position> {
    let spec: AccountSpec = drr_margin::json::from_str(&format!(
        r#"{{"mode": "portfolio", "positions": [{positions}]}}"#
    ))
    .unwrap();
    Account::new(&spec).unwrap().positions
}

fn params(json: &str) -> StatisticalParams {
    drr_margin::json::from_str(json).unwrap()
}

fn z99() -> f64 {
    Normal::new(0.0, 1.0).unwrap().inverse_cdf(0.99)
}

fn bits(r: &VarResult) -> [u64; 8] {
    [
        r.confidence.to_bits(),
        r.horizon_days.to_bits(),
        r.delta_normal_var.to_bits(),
        r.delta_gamma_vega_var.to_bits(),
        r.monte_carlo_var.to_bits(),
        r.monte_carlo_es.to_bits(),
        u64::from(r.paths),
        r.seed,
    ]
}

#[test]
fn linear_book_delta_normal_is_the_hand_formula_and_monte_carlo_converges_to_the_exact_law() {
    // Long 1 BTC (linear perp, valued at the index): P&L = S·(eˣ − 1), x ~ N(0, σ²h).
    let m = plain_market();
    let positions =
        book(r#"{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 100000}"#);
    let (sigma, h, spot) = (1.0, 1.0 / 365.0, 100_000.0);
    let n = 40_000u32;
    let r = statistical_risk(
        &m,
        &positions,
        &params(&format!(r#"{{"paths": {n}}}"#)),
        sigma,
    )
    .unwrap();
    let z = z99();
    let s = sigma * f64::sqrt(h);
    let hand = z * spot * s;
    assert!(
        (r.delta_normal_var / hand - 1.0).abs() < 1e-9,
        "{} vs {hand}",
        r.delta_normal_var
    );
    // No gamma, vega or theta: delta-gamma-vega is delta-normal, bit for bit.
    assert_eq!(
        r.delta_gamma_vega_var.to_bits(),
        r.delta_normal_var.to_bits()
    );

    // Exact law of the P&L: its 1 % quantile is S·(e^{−zs} − 1). A sample quantile's standard error
    // is √(p(1 − p)/N)/f(q); through the monotone map x ↦ S(eˣ − 1) that is S·e^{x_p}·SE_x.
    let p = 0.01;
    let phi = Normal::new(0.0, 1.0).unwrap();
    let exact_var = -spot * ((-z * s).exp() - 1.0);
    let se_x = s * (p * (1.0 - p) / f64::from(n)).sqrt() / phi.pdf(z);
    let se_var = spot * (-z * s).exp() * se_x;
    assert!(
        (r.monte_carlo_var - exact_var).abs() < 3.0 * se_var,
        "MC VaR {} vs exact {exact_var} (SE {se_var})",
        r.monte_carlo_var
    );
    // Against delta-normal: the same 3 SE plus the (computed) lognormal-vs-normal difference,
    // which is ~6 % here (3 SE ≈ 2.4 %, so a shock of x instead of eˣ − 1 fails the check above)
    // and vanishes as σ√h → 0.
    let bias = (exact_var - hand).abs();
    assert!(bias > 0.05 * hand && bias < 0.07 * hand);
    assert!((r.monte_carlo_var - r.delta_normal_var).abs() < 3.0 * se_var + bias);

    // Expected shortfall: exact E[S(eˣ − 1) | x ≤ −zs] = S·(e^{s²/2}·Φ(−z − s)/p − 1). Its
    // estimator's SE, from the asymptotic variance [Var(X | tail) + (1 − p)(E[X | tail] − q)²]/(Np)
    // of the standard normal (λ = φ(z)/p), scaled by S·s·e^{−zs}.
    let exact_es = -spot * ((s * s / 2.0).exp() * phi.cdf(-z - s) / p - 1.0);
    let lambda = phi.pdf(z) / p;
    let tail_var = 1.0 + z * lambda - lambda * lambda + (1.0 - p) * (z - lambda).powi(2);
    let se_es = spot * s * (-z * s).exp() * (tail_var / (f64::from(n) * p)).sqrt();
    assert!(
        (r.monte_carlo_es - exact_es).abs() < 3.0 * se_es,
        "MC ES {} vs exact {exact_es} (SE {se_es})",
        r.monte_carlo_es
    );
    assert!(r.monte_carlo_es > r.monte_carlo_var);
    assert_eq!(
        (r.paths, r.seed, r.confidence, r.horizon_days),
        (n, 1, 0.99, 1.0)
    );
}

#[test]
fn short_perp_and_inverse_perp_have_the_same_delta_normal_var() {
    let m = plain_market();
    // Short 2 BTC linear; short 200,000 USD of the inverse perp at entry 100,000: delta = 2 BTC.
    let linear = book(r#"{"instrument": "BTC_USDC-PERPETUAL", "size": -2, "entryPrice": 100000}"#);
    let inverse = book(r#"{"instrument": "BTC-PERPETUAL", "size": -200000, "entryPrice": 100000}"#);
    let p = params(r#"{"paths": 100}"#);
    let hand = z99() * 2.0 * 100_000.0 * 0.8 * f64::sqrt(1.0 / 365.0);
    for positions in [linear, inverse] {
        let r = statistical_risk(&m, &positions, &p, 0.8).unwrap();
        assert!((r.delta_normal_var / hand - 1.0).abs() < 1e-9);
        assert!(r.monte_carlo_var > 0.0);
    }
}

#[test]
fn perfect_correlation_adds_stand_alone_vars_and_perfect_anticorrelation_hedges() {
    let m = plain_market();
    let btc = r#"{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 100000}"#;
    // 10 ETH (40,000 USD of delta) and 25 ETH (100,000 USD, the same as 1 BTC).
    let eth10 = r#"{"instrument": "ETH_USDC-PERPETUAL", "size": 10, "entryPrice": 4000}"#;
    let eth25 = r#"{"instrument": "ETH_USDC-PERPETUAL", "size": 25, "entryPrice": 4000}"#;
    let var = |positions: &str, json: &str| {
        statistical_risk(&m, &book(positions), &params(json), 0.7)
            .unwrap()
            .delta_normal_var
    };
    let same = r#"{"correlations": {"BTC/ETH": 1}, "paths": 50}"#;
    let alone = var(btc, same) + var(eth10, same);
    let together = var(&format!("{btc}, {eth10}"), same);
    assert!(
        (together / alone - 1.0).abs() < 1e-12,
        "{together} vs {alone}"
    );
    // The default correlation (0.8) diversifies: strictly less than the sum, more than either.
    let default = var(&format!("{btc}, {eth10}"), r#"{"paths": 50}"#);
    assert!(default < alone * (1.0 - 1e-3) && default > var(btc, same));
    // ρ = −1 with equal USD exposures and equal σ: the pair's delta-normal VaR vanishes.
    let opposite = r#"{"correlations": {"BTC/ETH": -1}, "paths": 50}"#;
    let hedged = var(&format!("{btc}, {eth25}"), opposite);
    assert!(hedged.abs() < 1e-9 * var(btc, opposite), "{hedged}");
    // Through defaultCorrelation as well.
    let hedged = var(
        &format!("{btc}, {eth25}"),
        r#"{"defaultCorrelation": -1, "paths": 50}"#,
    );
    assert!(hedged.abs() < 1e-9 * var(btc, opposite), "{hedged}");
}

fn short_straddle() -> Vec<Position> {
    book(
        r#"{"instrument": "BTC_USDC-27DEC26-100000-C", "size": -10},
           {"instrument": "BTC_USDC-27DEC26-100000-P", "size": -10}"#,
    )
}

#[test]
fn short_straddle_has_gamma_and_vega_risk_beyond_delta_and_fat_tails_raise_its_shortfall() {
    let m = surface_market();
    let positions = short_straddle();
    let normal = statistical_risk(&m, &positions, &StatisticalParams::default(), 1.0).unwrap();
    // Nearly delta-neutral, short gamma and short vega: the delta-only figure misses most of it.
    assert!(
        normal.delta_gamma_vega_var > 2.0 * normal.delta_normal_var,
        "{normal:?}"
    );
    // The full revaluation sees the same risk: within 15 % of the delta-gamma-vega-theta figure
    // (2000 paths: 3 standard errors of the 1 % quantile are ~11 %; the quadratic expansion over
    // one day omits vanna and volga).
    assert!(
        (normal.monte_carlo_var / normal.delta_gamma_vega_var - 1.0).abs() < 0.15,
        "{normal:?}"
    );
    let fat = statistical_risk(&m, &positions, &params(r#"{"studentTDof": 3}"#), 1.0).unwrap();
    assert!(
        fat.monte_carlo_es > 1.2 * normal.monte_carlo_es,
        "t₃ ES {} vs normal ES {}",
        fat.monte_carlo_es,
        normal.monte_carlo_es
    );
    // Same variances: the analytic figures do not depend on the tails.
    assert_eq!(fat.delta_normal_var, normal.delta_normal_var);
    assert_eq!(fat.delta_gamma_vega_var, normal.delta_gamma_vega_var);
    // The same straddle bought: long gamma and vega, the expansion's loss is smaller.
    let long = book(
        r#"{"instrument": "BTC_USDC-27DEC26-100000-C", "size": 10},
           {"instrument": "BTC_USDC-27DEC26-100000-P", "size": 10}"#,
    );
    let long = statistical_risk(&m, &long, &StatisticalParams::default(), 1.0).unwrap();
    assert!(long.delta_gamma_vega_var < normal.delta_gamma_vega_var);
}

#[test]
fn same_seed_gives_the_same_bits_and_another_seed_another_sample() {
    let m = surface_market();
    let positions = book(
        r#"{"instrument": "BTC_USDC-27DEC26-100000-C", "size": -10},
           {"instrument": "BTC_USDC-27DEC26-90000-P", "size": 5},
           {"instrument": "BTC-PERPETUAL", "size": 50000, "entryPrice": 98000}"#,
    );
    let p = params(r#"{"seed": 42, "studentTDof": 5}"#);
    let a = statistical_risk(&m, &positions, &p, 1.0).unwrap();
    let b = statistical_risk(&m, &positions, &p, 1.0).unwrap();
    assert_eq!(bits(&a), bits(&b));
    let c = statistical_risk(
        &m,
        &positions,
        &params(r#"{"seed": 43, "studentTDof": 5}"#),
        1.0,
    )
    .unwrap();
    assert_ne!(a.monte_carlo_var.to_bits(), c.monte_carlo_var.to_bits());
    assert_ne!(a.monte_carlo_es.to_bits(), c.monte_carlo_es.to_bits());
    assert_eq!(a.delta_normal_var.to_bits(), c.delta_normal_var.to_bits());
    // The result serialises in camelCase.
    let json = serde_json::to_value(&a).unwrap();
    for key in [
        "confidence",
        "horizonDays",
        "deltaNormalVar",
        "deltaGammaVegaVar",
        "monteCarloVar",
        "monteCarloEs",
        "paths",
        "seed",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
}

#[test]
fn longer_horizons_and_higher_confidence_raise_the_var() {
    let m = plain_market();
    let positions =
        book(r#"{"instrument": "ETH_USDC-PERPETUAL", "size": -30, "entryPrice": 4000}"#);
    let r = |json: &str| statistical_risk(&m, &positions, &params(json), 0.9).unwrap();
    let base = r("{}");
    let ten_days = r(r#"{"horizonDays": 10}"#);
    // Delta-normal scales with √h exactly.
    assert!((ten_days.delta_normal_var / base.delta_normal_var - 10f64.sqrt()).abs() < 1e-12);
    let z975 = Normal::new(0.0, 1.0).unwrap().inverse_cdf(0.975);
    let lower = r(r#"{"confidence": 0.975}"#);
    assert!((lower.delta_normal_var / base.delta_normal_var - z975 / z99()).abs() < 1e-9);
    assert!(lower.monte_carlo_var < base.monte_carlo_var);
}

#[test]
fn an_empty_book_has_no_risk() {
    let r = statistical_risk(&plain_market(), &[], &StatisticalParams::default(), 1.0).unwrap();
    assert_eq!(
        (
            r.delta_normal_var,
            r.delta_gamma_vega_var,
            r.monte_carlo_var,
            r.monte_carlo_es
        ),
        (0.0, 0.0, 0.0, 0.0)
    );
}

#[test]
fn invalid_parameters_are_coded_errors_naming_the_field() {
    let m = plain_market();
    let positions = book(
        r#"{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 100000},
           {"instrument": "ETH_USDC-PERPETUAL", "size": 1, "entryPrice": 4000},
           {"instrument": "SOL_USDC-PERPETUAL", "size": 1, "entryPrice": 150}"#,
    );
    for (json, field) in [
        (r#"{"confidence": 1.2}"#, "confidence"),
        (r#"{"paths": 0}"#, "paths"),
        (
            r#"{"correlations": {"BTC/ETH": 1.5}}"#,
            "correlations.BTC/ETH",
        ),
        // Each pair is valid, the matrix is not (no joint law has these correlations).
        (
            r#"{"correlations": {"BTC/ETH": 0.9, "BTC/SOL": 0.9, "ETH/SOL": -0.9}}"#,
            "correlations",
        ),
    ] {
        let err = statistical_risk(&m, &positions, &params(json), 1.0).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("E_INVALID_INPUT", field),
            "{json}: {err}"
        );
    }
    let err = drr_margin::json::from_str::<StatisticalParams>(r#"{"path": 10}"#).unwrap_err();
    assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", "path"));
    let err = statistical_risk(&m, &positions, &StatisticalParams::default(), 0.0).unwrap_err();
    assert_eq!(err.field(), "defaultVol");
    let doge = book(r#"{"instrument": "DOGE_USDC-PERPETUAL", "size": 1, "entryPrice": 1}"#);
    let err = statistical_risk(&m, &doge, &StatisticalParams::default(), 1.0).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "underlyings.DOGE")
    );
}
