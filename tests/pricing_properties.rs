//! Property tests of the pricer (proptest): no-arbitrage identities and shape properties that
//! must hold for any inputs in the crypto range, and Greeks against finite differences of the
//! price. These check the implementation against mathematics, not against its own output.

#![cfg(not(target_arch = "wasm32"))]
// proptest is a native-only dev-dependency
// Test-only reference arithmetic: std math is fine here (tolerance comparisons, native only).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use drr_margin::pricing::{
    black76, bsm, implied_vol, BlackInputs, Greeks, OptionKind, PriceRequest,
};
use drr_margin::units::{Price, Rate, Vol, YearFrac};
use proptest::prelude::*;

fn price(kind: OptionKind, f: f64, k: f64, t: f64, v: f64, r: f64) -> Greeks {
    black76(&BlackInputs {
        kind,
        forward: Price::new(f, "forward").unwrap(),
        strike: Price::new(k, "strike").unwrap(),
        t: YearFrac::new(t, "t").unwrap(),
        vol: Vol::new(v, "vol").unwrap(),
        rate: Rate::new(r, "rate").unwrap(),
    })
}

fn kind() -> impl Strategy<Value = OptionKind> {
    prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)]
}

/// Forward 1..1e6, log-moneyness ln(K/F) in ±ln 20, t from 5 minutes to 3 years, σ 5 %..500 %.
fn market() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
    (
        0.0f64..6.0,
        -3.0f64..3.0,
        -11.5f64..1.1,
        0.05f64..5.0,
        -0.02f64..0.1,
    )
        .prop_map(|(log_f, log_m, log_t, v, r)| {
            let f = 10f64.powf(log_f);
            (f, f * log_m.exp(), log_t.exp(), v, r)
        })
}

/// Central difference with one Richardson step (truncation error O(h⁴)).
fn derivative(g: impl Fn(f64) -> f64, h: f64) -> f64 {
    let central = |h: f64| (g(h) - g(-h)) / (2.0 * h);
    (4.0 * central(0.5 * h) - central(h)) / 3.0
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        max_global_rejects: 200_000,
        failure_persistence: None,
        // Reproducible in CI; vary with PROPTEST_RNG_SEED=<n> cargo test to explore further.
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_124),
        ),
        ..ProptestConfig::default()
    })]

    #[test]
    fn put_call_parity((f, k, t, v, r) in market()) {
        let c = price(OptionKind::Call, f, k, t, v, r);
        let p = price(OptionKind::Put, f, k, t, v, r);
        let d = (-r * t).exp();
        prop_assert!(close(c.price - p.price, d * (f - k), 0.0, 4e-15 * (f + k)),
            "C−P = {} vs D(F−K) = {}", c.price - p.price, d * (f - k));
        prop_assert!(close(c.delta - p.delta, d, 1e-14, 1e-15));
        prop_assert!(close(c.gamma, p.gamma, 1e-13, 0.0) && close(c.vega, p.vega, 1e-13, 0.0));
    }

    #[test]
    fn within_no_arbitrage_bounds((f, k, t, v, r) in market(), kind in kind()) {
        let g = price(kind, f, k, t, v, r);
        let d = (-r * t).exp();
        let intrinsic = d * (kind.sign() * (f - k)).max(0.0);
        let upper = d * if kind == OptionKind::Call { f } else { k };
        prop_assert!(g.price >= intrinsic - 4e-15 * (f + k) && g.price <= upper);
        prop_assert!(g.gamma >= 0.0 && g.vega >= 0.0);
        prop_assert!([g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.vanna, g.volga].iter().all(|x| x.is_finite()));
    }

    #[test]
    fn every_price_we_produce_is_accepted_by_implied_vol((f, k, t, v, r) in market(), kind in kind()) {
        // Deep in-the-money prices used to round 1 ulp below the discounted intrinsic value.
        let g = price(kind, f, k, t, v, r);
        prop_assert!(implied_vol(kind, g.price, f, k, t, r).is_ok(), "price {} rejected", g.price);
    }

    #[test]
    fn monotone_in_strike_vol_and_time((f, k, t, v, _r) in market(), kind in kind(), bump in 1.0001f64..1.5) {
        let base = price(kind, f, k, t, v, 0.0).price;
        let tol = 4e-15 * (f + k);
        let higher_strike = price(kind, f, k * bump, t, v, 0.0).price;
        if kind == OptionKind::Call { prop_assert!(higher_strike <= base + tol); } else { prop_assert!(higher_strike >= base - tol); }
        prop_assert!(price(kind, f, k, t, (v * bump).min(10.0), 0.0).price >= base - tol);
        prop_assert!(price(kind, f, k, t * bump, v, 0.0).price >= base - tol);
    }

    #[test]
    fn implied_vol_round_trips((f, k, t, v, r) in market(), kind in kind()) {
        let g = price(kind, f, k, t, v, r);
        let d = (-r * t).exp();
        let intrinsic = d * (kind.sign() * (f - k)).max(0.0);
        let time_value = g.price - intrinsic;
        // Skip where the price carries no information about σ at double precision: tiny prices,
        // or time value below a few ulp of the intrinsic value.
        prop_assume!(g.price > 1e-250 * f && time_value > 1e-9 * g.price.max(1e-300));
        let iv = implied_vol(kind, g.price, f, k, t, r).unwrap();
        // The price itself is only known to ~|ln(K/F)|/(σ√t) ulps; what IV must do is reproduce it.
        let back = price(kind, f, k, t, iv.clamp(1e-9, 10.0), r).price;
        prop_assert!(close(back, g.price, 1e-13, 1e-15 * f), "σ={v} iv={iv} price={} back={back}", g.price);
        // And where vega is well conditioned the vol itself comes back.
        if g.vega * v > 1e-3 * g.price {
            prop_assert!(close(iv, v, 1e-9, 0.0), "σ={v} iv={iv}");
        }
    }

    #[test]
    fn greeks_match_finite_differences((f, k, t, v, r) in market(), kind in kind()) {
        // Central differences are only informative where the price is not tiny.
        let g = price(kind, f, k, t, v, r);
        prop_assume!(g.price > 1e-6 * f && t > 1e-3 && v * t.sqrt() > 0.02);
        let (hf, hv, ht, hr) = (f * 1e-4, v * 1e-4, t * 1e-4, 1e-5);
        let p = |f: f64, v: f64, t: f64, r: f64| price(kind, f, k, t, v, r).price;
        let delta = derivative(|e| p(f + e, v, t, r), hf);
        let gamma = derivative(|e| price(kind, f + e, k, t, v, r).delta, hf);
        let vega = derivative(|e| p(f, v + e, t, r), hv);
        let theta = -derivative(|e| p(f, v, t + e, r), ht);
        let rho = derivative(|e| p(f, v, t, r + e), hr);
        let vanna = derivative(|e| price(kind, f + e, k, t, v, r).vega, hf);
        let volga = derivative(|e| price(kind, f, k, t, v + e, r).vega, hv);
        let scale = g.vega.abs() + g.price;
        prop_assert!(close(g.delta, delta, 1e-5, 1e-7), "delta {} vs {delta}", g.delta);
        prop_assert!(close(g.gamma, gamma, 1e-5, 1e-9 * scale / (f * f)), "gamma {} vs {gamma}", g.gamma);
        prop_assert!(close(g.vega, vega, 1e-5, 1e-9 * scale), "vega {} vs {vega}", g.vega);
        prop_assert!(close(g.theta, theta, 1e-5, 1e-9 * scale / t), "theta {} vs {theta}", g.theta);
        prop_assert!(close(g.rho, rho, 1e-5, 1e-9 * scale), "rho {} vs {rho}", g.rho);
        prop_assert!(close(g.vanna, vanna, 1e-5, 1e-9 * scale / f), "vanna {} vs {vanna}", g.vanna);
        prop_assert!(close(g.volga, volga, 1e-5, 1e-9 * scale), "volga {} vs {volga}", g.volga);
    }

    #[test]
    fn inverse_value_is_linear_value_over_forward((f, k, t, v, r) in market(), kind in kind(), bump in 1e-5f64..1e-4) {
        let request = |f: f64, inverse| PriceRequest { kind, forward: f, strike: k, t, vol: v, rate: Some(r), inverse: Some(inverse) };
        let linear = request(f, false).evaluate().unwrap();
        let inverse = request(f, true).evaluate().unwrap();
        prop_assert!(close(inverse.price * f, linear.price, 1e-14, 1e-290));
        prop_assume!(linear.price > 1e-6 * f && t > 1e-3 && v * t.sqrt() > 0.02);
        let h = f * bump;
        let fd = derivative(|e| request(f + e, true).evaluate().unwrap().price, h);
        prop_assert!(close(inverse.delta, fd, 1e-5, 1e-9 * linear.price / f), "{} vs {fd}", inverse.delta);
    }

    #[test]
    fn bsm_front_is_black76_on_the_forward((f, k, t, v, r) in market(), kind in kind(), carry in -0.05f64..0.1) {
        let spot = f * (-carry * t).exp();
        let s = bsm(kind, Price::new(spot, "s").unwrap(), Price::new(k, "k").unwrap(), YearFrac::new(t, "t").unwrap(),
            Vol::new(v, "v").unwrap(), Rate::new(r, "r").unwrap(), carry).unwrap();
        let p = |spot: f64| bsm(kind, Price::new(spot, "s").unwrap(), Price::new(k, "k").unwrap(), YearFrac::new(t, "t").unwrap(),
            Vol::new(v, "v").unwrap(), Rate::new(r, "r").unwrap(), carry).unwrap().price;
        prop_assume!(s.price > 1e-6 * f && t > 1e-3 && v * t.sqrt() > 0.02);
        let h = spot * 1e-4;
        let fd = derivative(|e| p(spot + e), h);
        prop_assert!(close(s.delta, fd, 1e-5, 1e-7), "{} vs {fd}", s.delta);
    }
}
