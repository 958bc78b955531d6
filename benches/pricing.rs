//! Pricing benchmarks (criterion): `cargo bench --bench pricing`.
//!
//! One deterministic set of N = 10 000 options, generated exactly as `bench/pricing.mjs` generates
//! it (SplitMix64 + arithmetic only, so native, wasm32 and JS see the same bits; both print the same
//! input checksum): forward 100 000, K/F log-uniform in [0.5, 2], t uniform in [1 day, 1 year],
//! σ uniform in [0.3, 1.5], calls and puts at random, r = 0.03. Every group reports
//! `Throughput::Elements(N)`: the time per iteration divided by N is the time per option.
//!
//! Groups: `black76` (one `black76` call per option: price + 7 Greeks), `price_batch` (the N rows
//! as columns, one call), `implied_vol` (one `implied_vol` call per option, on the prices
//! `black76` gives), `implied_vol_batch` (the same, as columns).
//!
//! Short runs by default (2 shared cores): warm-up 1 s, measurement 3 s, 30 samples; command-line
//! flags (`-- --measurement-time 5`) override.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use drr_margin::parity::SplitMix64;
    use drr_margin::pricing::batch::{
        implied_vol_batch, price_batch, Column, ImpliedVolColumns, PriceColumns,
    };
    use drr_margin::pricing::{black76, implied_vol, BlackInputs, OptionKind};
    use drr_margin::units::{Price, Rate, Vol, YearFrac};
    use std::hint::black_box;
    use std::time::Duration;

    /// Options per iteration.
    pub const N: usize = 10_000;
    const SEED: u64 = 0xB1AC_0076_2026;
    const FORWARD: f64 = 100_000.0;
    const RATE: f64 = 0.03;

    /// 2^y for y in [−1, 1] by a degree-20 Taylor polynomial of e^(y·ln 2), Horner form: only
    /// +, ×, ÷, so JavaScript computes the same bits (no libm/`Math.exp` difference in the inputs).
    fn exp2_poly(y: f64) -> f64 {
        let z = y * std::f64::consts::LN_2;
        let mut p = 1.0;
        for k in (1..=20).rev() {
            p = 1.0 + z * p / f64::from(k);
        }
        p
    }

    /// The benchmark's option set as columns (kind +1 call / −1 put).
    pub struct Inputs {
        pub kind: Vec<i8>,
        pub forward: Vec<f64>,
        pub strike: Vec<f64>,
        pub t: Vec<f64>,
        pub vol: Vec<f64>,
    }

    pub fn inputs() -> Inputs {
        let mut rng = SplitMix64::new(SEED);
        let mut x = Inputs {
            kind: Vec::with_capacity(N),
            forward: vec![FORWARD; N],
            strike: Vec::with_capacity(N),
            t: Vec::with_capacity(N),
            vol: Vec::with_capacity(N),
        };
        for _ in 0..N {
            x.kind.push(if rng.next_f64() < 0.5 { 1 } else { -1 });
            x.strike
                .push(FORWARD * exp2_poly(2.0 * rng.next_f64() - 1.0));
            x.t.push((1.0 + 364.0 * rng.next_f64()) / 365.0);
            x.vol.push(0.3 + (1.5 - 0.3) * rng.next_f64());
        }
        x
    }

    fn kind(k: i8) -> OptionKind {
        if k == 1 {
            OptionKind::Call
        } else {
            OptionKind::Put
        }
    }

    fn black_inputs(x: &Inputs) -> Vec<BlackInputs> {
        (0..N)
            .map(|i| BlackInputs {
                kind: kind(x.kind[i]),
                forward: Price::new(x.forward[i], "forward").expect("valid forward"),
                strike: Price::new(x.strike[i], "strike").expect("valid strike"),
                t: YearFrac::new(x.t[i], "t").expect("valid t"),
                vol: Vol::new(x.vol[i], "vol").expect("valid vol"),
                rate: Rate::new(RATE, "rate").expect("valid rate"),
            })
            .collect()
    }

    fn price_columns(x: &Inputs) -> PriceColumns<'_> {
        PriceColumns {
            kind: Column::Values(&x.kind),
            forward: &x.forward,
            strike: Column::Values(&x.strike),
            t: Column::Values(&x.t),
            vol: Column::Values(&x.vol),
            rate: Column::Scalar(RATE),
            inverse: false,
        }
    }

    /// The `black76` prices of the inputs, for the implied-volatility groups. A deep in-the-money
    /// price can round one or two ulps below the discounted intrinsic value `implied_vol` computes
    /// (and then rejects as `E_NO_ARBITRAGE_BOUND`); such a price is raised ulp by ulp until it is
    /// accepted (`bench/pricing.mjs` does the same). Returns the prices and how many were raised.
    pub fn iv_prices(single: &[BlackInputs]) -> (Vec<f64>, usize) {
        let mut nudged = 0;
        let prices = single
            .iter()
            .map(|o| {
                let mut p = black76(o).price;
                let solve =
                    |p| implied_vol(o.kind, p, o.forward.get(), o.strike.get(), o.t.get(), RATE);
                if solve(p).is_err() {
                    nudged += 1;
                    for _ in 0..64 {
                        p = f64::from_bits(p.to_bits() + 1);
                        if solve(p).is_ok() {
                            break;
                        }
                    }
                }
                p
            })
            .collect();
        (prices, nudged)
    }

    fn benches(c: &mut Criterion) {
        let x = inputs();
        let checksum = (0..N).fold(0.0, |s, i| {
            s + x.strike[i] + x.t[i] + x.vol[i] + f64::from(x.kind[i])
        });
        eprintln!("pricing bench: N = {N} options, inputs checksum {checksum}");
        let single = black_inputs(&x);
        let (prices, nudged) = iv_prices(&single);
        eprintln!(
            "pricing bench: {nudged} deep in-the-money prices fell below the discounted intrinsic \
             value by rounding; raised by ulps until `implied_vol` accepts them"
        );
        let elements = Throughput::Elements(N as u64);
        let id = BenchmarkId::from_parameter(N);

        let mut g = c.benchmark_group("black76");
        g.throughput(elements.clone());
        g.bench_function(id.clone(), |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for o in black_box(&single) {
                    let greeks = black76(o);
                    sum += greeks.price + greeks.delta + greeks.gamma + greeks.vega;
                    sum += greeks.theta + greeks.rho + greeks.vanna + greeks.volga;
                }
                sum
            });
        });
        g.finish();

        let mut g = c.benchmark_group("price_batch");
        g.throughput(elements.clone());
        g.bench_function(id.clone(), |b| {
            b.iter(|| price_batch(black_box(&price_columns(&x))).expect("valid batch"));
        });
        g.finish();

        let mut g = c.benchmark_group("implied_vol");
        g.throughput(elements.clone());
        g.bench_function(id.clone(), |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for i in 0..N {
                    let o = &single[i];
                    sum += implied_vol(
                        o.kind,
                        black_box(prices[i]),
                        o.forward.get(),
                        o.strike.get(),
                        o.t.get(),
                        RATE,
                    )
                    .expect("price within bounds");
                }
                sum
            });
        });
        g.finish();

        let iv_columns = ImpliedVolColumns {
            kind: Column::Values(&x.kind),
            price: &prices,
            forward: Column::Values(&x.forward),
            strike: Column::Values(&x.strike),
            t: Column::Values(&x.t),
            rate: Column::Scalar(RATE),
        };
        let mut g = c.benchmark_group("implied_vol_batch");
        g.throughput(elements);
        g.bench_function(id, |b| {
            b.iter(|| implied_vol_batch(black_box(&iv_columns)).expect("valid batch"));
        });
        g.finish();
    }

    criterion_group! {
        name = pricing;
        config = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30);
        targets = benches
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::pricing();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Benchmarks are native only (criterion is a native dev-dependency); this keeps
/// `cargo clippy --all-targets --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
