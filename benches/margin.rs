//! Margin benchmarks (criterion): `cargo bench --bench margin`.
//!
//! The book is `bench/book.mjs`'s, generated here with the same f64 arithmetic (so the same legs):
//! 498 BTC options (3 expiries, strikes 60 000–137 500, calls and puts, mixed signs) plus a BTC
//! and an ETH perpetual, against `tests/fixtures/market.json`, default profile (`drr`). Cross and
//! portfolio mode, and both again on `distinctBook`'s 500 legs (`cross-distinct`,
//! `portfolio-distinct`: every leg a different instrument, 249 pricing nodes instead of ≤ 96).
//! Groups, each with the cases as parameters:
//!
//! - `margin_json`: the whole call as the CLI and the npm package make it — decode the market
//!   and account JSON text, resolve the default parameters, `margin()`, encode the report as JSON
//!   text. This is what issue 4's "full `margin()`" costs natively.
//! - `decode`: only decoding the market and account text (`json::decode_str` with the
//!   hand-written decoders, as the CLI and the npm package decode them).
//! - `margin`: `margin()` on decoded specs (validation of parameters, market and account, then
//!   the computation).
//! - `margin_validated`: the computation alone on a validated market and account (the engine's
//!   path, issue 5).
//! - `encode`: only encoding the report as JSON text.
//!
//! `DRR_MARGIN_BENCH_BOOK=cross cargo bench --bench margin` prints the two books' account JSON
//! instead of measuring (compare with `node bench/book.mjs` and `node bench/book.mjs 500 distinct`).
//!
//! Short runs by default (2 shared cores): warm-up 1 s, measurement 3 s, 30 samples; command-line
//! flags (`-- --measurement-time 5`) override.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BenchmarkId, Criterion};
    use drr_margin::json::decode_str;
    use drr_margin::margin::{self, profiles, MarginReport, RiskParams};
    use drr_margin::market::{Market, MarketSpec};
    use drr_margin::portfolio::decode::account_spec;
    use drr_margin::portfolio::{Account, AccountSpec};
    use serde_json::json;
    use std::hint::black_box;
    use std::time::Duration;

    /// Legs of the benchmark book (issue 4: 500).
    pub const LEGS: usize = 500;

    /// `bench/book.mjs`: the same linear congruential sequence in f64 (JavaScript numbers), so the
    /// legs are identical.
    pub fn book(legs: usize, mode: &str) -> String {
        let expiries = ["25DEC26", "26MAR27", "25JUN27"];
        let mut seed = 7.0_f64;
        let mut rnd = || {
            seed = (seed * 1_103_515_245.0 + 12_345.0) % 2_147_483_648.0;
            seed / 2_147_483_648.0
        };
        let mut positions = Vec::with_capacity(legs);
        let mut i = 0;
        while positions.len() + 2 < legs {
            let expiry = expiries[i % expiries.len()];
            let strike = 60_000.0 + 2_500.0 * (rnd() * 32.0).floor();
            let kind = if rnd() < 0.5 { 'C' } else { 'P' };
            // Math.round: halves round up.
            let size = ((rnd() - 0.5) * 40.0 + 0.5).floor() / 10.0;
            let size = if size == 0.0 { 0.1 } else { size };
            positions.push(json!({
                "instrument": format!("BTC_USDC-{expiry}-{strike}-{kind}"),
                "size": size,
            }));
            i += 1;
        }
        positions
            .push(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 3.5, "entryPrice": 97000}));
        positions
            .push(json!({"instrument": "ETH_USDC-PERPETUAL", "size": -20, "entryPrice": 3400}));
        json!({"mode": mode, "collateral": {"USDC": 5_000_000}, "positions": positions}).to_string()
    }

    /// `bench/book.mjs`'s `distinctBook`: every leg a different instrument (leg i: expiry i mod 3,
    /// call for ⌊i/3⌋ even else put, strike 60 000 + 1 000·⌊i/6⌋), sizes from the same sequence.
    pub fn distinct_book(legs: usize, mode: &str) -> String {
        let expiries = ["25DEC26", "26MAR27", "25JUN27"];
        let mut seed = 7.0_f64;
        let mut rnd = || {
            seed = (seed * 1_103_515_245.0 + 12_345.0) % 2_147_483_648.0;
            seed / 2_147_483_648.0
        };
        let mut positions = Vec::with_capacity(legs);
        let mut i = 0;
        while positions.len() + 2 < legs {
            let expiry = expiries[i % 3];
            let kind = if (i / 3) % 2 == 0 { 'C' } else { 'P' };
            let strike = 60_000 + 1_000 * (i / 6);
            let size = ((rnd() - 0.5) * 40.0 + 0.5).floor() / 10.0;
            let size = if size == 0.0 { 0.1 } else { size };
            positions.push(json!({
                "instrument": format!("BTC_USDC-{expiry}-{strike}-{kind}"),
                "size": size,
            }));
            i += 1;
        }
        positions
            .push(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 3.5, "entryPrice": 97000}));
        positions
            .push(json!({"instrument": "ETH_USDC-PERPETUAL", "size": -20, "entryPrice": 3400}));
        json!({"mode": mode, "collateral": {"USDC": 5_000_000}, "positions": positions}).to_string()
    }

    fn market_text() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/market.json");
        std::fs::read_to_string(path).expect("tests/fixtures/market.json")
    }

    /// The whole JSON-in, JSON-out call.
    fn margin_json(market: &str, account: &str) -> String {
        let market =
            decode_str(market, "market", drr_margin::market::decode::market_spec).expect("market");
        let account = decode_str(account, "account", account_spec).expect("account");
        let params = profiles::resolve(None).expect("default profile");
        let report = margin::margin(&market, &account, &params).expect("margin");
        serde_json::to_string(&report).expect("report")
    }

    fn benches(c: &mut Criterion) {
        if let Ok(mode) = std::env::var("DRR_MARGIN_BENCH_BOOK") {
            // Cross-check with `node bench/book.mjs`: print the book and measure nothing.
            println!("{}", book(LEGS, &mode));
            println!("{}", distinct_book(LEGS, &mode));
            return;
        }
        let market_json = market_text();
        let params: RiskParams = profiles::resolve(None).expect("default profile");
        let cases: Vec<(&str, String)> = vec![
            ("cross", book(LEGS, "cross")),
            ("portfolio", book(LEGS, "portfolio")),
            ("cross-distinct", distinct_book(LEGS, "cross")),
            ("portfolio-distinct", distinct_book(LEGS, "portfolio")),
        ];
        let market_spec: MarketSpec = drr_margin::json::from_str(&market_json).expect("market");
        let market = Market::new(market_spec.clone()).expect("valid market");

        let mut g = c.benchmark_group("margin_json");
        for (mode, account_json) in &cases {
            let report = margin_json(&market_json, account_json);
            eprintln!(
                "margin bench: {mode}, {LEGS} legs: report {} bytes",
                report.len()
            );
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| margin_json(black_box(&market_json), black_box(account_json)));
            });
        }
        g.finish();

        let mut g = c.benchmark_group("decode");
        for (mode, account_json) in &cases {
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| {
                    let m = decode_str(
                        black_box(market_json.as_str()),
                        "market",
                        drr_margin::market::decode::market_spec,
                    )
                    .expect("market");
                    let a = decode_str(black_box(account_json.as_str()), "account", account_spec)
                        .expect("account");
                    (m, a)
                });
            });
        }
        g.finish();

        let specs: Vec<(&str, AccountSpec)> = cases
            .iter()
            .map(|(mode, text)| (*mode, drr_margin::json::from_str(text).expect("account")))
            .collect();
        let mut g = c.benchmark_group("margin");
        for (mode, account) in &specs {
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| {
                    margin::margin(black_box(&market_spec), black_box(account), &params)
                        .expect("margin")
                });
            });
        }
        g.finish();

        let mut g = c.benchmark_group("margin_validated");
        for (mode, account) in &specs {
            let account = Account::new(account).expect("valid account");
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| {
                    margin::margin_validated(black_box(&market), black_box(&account), &params)
                        .expect("margin")
                });
            });
        }
        g.finish();

        // The binding's path on an unchanged market: the risk matrix's node values kept
        // (src/wasm/market_cache.rs), so a repeated portfolio call prices no node. (This also
        // hashes the parameters on every call, which the binding keeps.)
        let mut g = c.benchmark_group("margin_validated_cached");
        for (mode, account) in &specs {
            let account = Account::new(account).expect("valid account");
            let cache = margin::ScenarioCache::new();
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| {
                    margin::margin_validated_cached(
                        black_box(&market),
                        black_box(&account),
                        &params,
                        &cache,
                    )
                    .expect("margin")
                });
            });
        }
        g.finish();

        let mut g = c.benchmark_group("encode");
        for (mode, account) in &specs {
            let report: MarginReport =
                margin::margin(&market_spec, account, &params).expect("margin");
            g.bench_function(BenchmarkId::from_parameter(mode), |b| {
                b.iter(|| serde_json::to_string(black_box(&report)).expect("report"));
            });
        }
        g.finish();
    }

    criterion_group! {
        name = margin;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30);
        targets = benches
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::margin();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Benchmarks are native only (criterion is a native dev-dependency); this keeps
/// `cargo clippy --all-targets --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
