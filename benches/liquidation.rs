//! Liquidation benchmarks (criterion): `cargo bench --bench liquidation`.
//!
//! The account of `bench/whatif.mjs` (same LCG, same positions): N = 100 positions, BTC linear
//! options over 3 expiries and 32 strikes with mixed signs, a BTC and an ETH perpetual, cross
//! mode, the drr profile, against tests/fixtures/market.json.
//!
//! Groups: `margin` (one full revaluation, the unit of cost), `what_if/none` (before + after),
//! `what_if/estimate` (default: + 2 bumps per underlying per side), `liquidation_prices` (the
//! full solver: ≈ 215 grid revaluations per underlying + Brent), `max_size` (increment 0.001).
//! Short runs by default: warm-up 1 s, measurement 3 s, 10 samples.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, Criterion};
    use drr_margin::liquidation::{
        liquidation_prices_validated, max_size_validated, what_if_validated, LiquidationOptions,
        Order, PriceDetail, Side,
    };
    use drr_margin::margin::{margin_validated, RiskParams};
    use drr_margin::market::{Market, MarketSpec};
    use drr_margin::portfolio::{Account, AccountSpec, InstrumentSpec};
    use std::hint::black_box;
    use std::time::Duration;

    /// Positions in the account.
    pub const N: usize = 100;

    fn inputs() -> (Market, Account) {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/market.json"
        ))
        .expect("fixture");
        let spec: MarketSpec = drr_margin::json::from_str(&text).expect("market");
        // The LCG of bench/whatif.mjs: seed = (seed·1103515245 + 12345) mod 2^31.
        let mut seed: u64 = 11;
        let mut rnd = || {
            seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
            #[allow(clippy::cast_precision_loss)]
            let x = seed as f64 / 2_147_483_648.0;
            x
        };
        let expiries = ["25DEC26", "26MAR27", "25JUN27"];
        let mut positions = Vec::new();
        let mut i = 0;
        while positions.len() < N - 2 {
            let expiry = expiries[i % 3];
            let strike = 60_000.0 + 2_500.0 * (rnd() * 32.0).floor();
            let kind = if rnd() < 0.5 { "C" } else { "P" };
            let raw = ((rnd() - 0.5) * 40.0).round() / 10.0;
            let size = if raw == 0.0 { 0.1 } else { raw };
            positions.push(serde_json::json!({"instrument": format!("BTC_USDC-{expiry}-{strike}-{kind}"), "size": size}));
            i += 1;
        }
        positions.push(serde_json::json!({"instrument": "BTC_USDC-PERPETUAL", "size": 3.5, "entryPrice": 97000}));
        positions.push(serde_json::json!({"instrument": "ETH_USDC-PERPETUAL", "size": -20, "entryPrice": 3400}));
        let account: AccountSpec = drr_margin::json::from_value(serde_json::json!({
            "mode": "cross", "collateral": {"USDC": 2_000_000}, "positions": positions
        }))
        .expect("account");
        (
            Market::new(spec).expect("market"),
            Account::new(&account).expect("account"),
        )
    }

    fn benches(c: &mut Criterion) {
        let (market, account) = inputs();
        let params = RiskParams::default();
        let order = Order {
            instrument: InstrumentSpec::Id("BTC_USDC-PERPETUAL".into()),
            size: 0.5,
            side: Some(Side::Buy),
            price: None,
            isolated_margin: None,
        };
        let with = |detail| LiquidationOptions {
            what_if_prices: detail,
            size_increment: 0.001,
            ..LiquidationOptions::default()
        };
        c.bench_function("margin", |b| {
            b.iter(|| margin_validated(black_box(&market), &account, &params).expect("margin"));
        });
        for (name, detail) in [
            ("none", PriceDetail::None),
            ("estimate", PriceDetail::Estimate),
        ] {
            let options = with(detail);
            c.bench_function(&format!("what_if/{name}"), |b| {
                b.iter(|| {
                    what_if_validated(black_box(&market), &account, &order, &params, &options)
                        .expect("what_if")
                });
            });
        }
        let options = with(PriceDetail::Exact);
        c.bench_function("liquidation_prices", |b| {
            b.iter(|| {
                liquidation_prices_validated(black_box(&market), &account, &params, &options)
                    .expect("liquidation")
            });
        });
        c.bench_function("max_size", |b| {
            b.iter(|| {
                max_size_validated(
                    black_box(&market),
                    &account,
                    &order.instrument,
                    Side::Buy,
                    &params,
                    &options,
                )
                .expect("max_size")
            });
        });
    }

    criterion_group! {
        name = liquidation;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(10);
        targets = benches
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::liquidation();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Benchmarks are native only (criterion is a native dev-dependency); this keeps
/// `cargo clippy --all-targets --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
