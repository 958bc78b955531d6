//! Core tests that run three ways: natively (`cargo test`), compiled to wasm32 in Node
//! (`wasm-bindgen-test-runner`, layer 2 of `npm test`), and, with `WASM_BINDGEN_USE_BROWSER=1`,
//! in headless Chromium. Expected values are published textbook figures, not our own output.

use drr_margin::math;
use drr_margin::pricing::{OptionKind, PriceRequest};
use wasm_bindgen_test::wasm_bindgen_test;

fn request(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    t: f64,
    vol: f64,
    rate: f64,
) -> PriceRequest {
    PriceRequest {
        kind,
        forward,
        strike,
        t,
        vol,
        rate: Some(rate),
        inverse: None,
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn black76_matches_hull_example() {
    // Hull, Options, Futures and Other Derivatives, Example 18.6: futures put → 1.12.
    let g = request(OptionKind::Put, 20.0, 20.0, 4.0 / 12.0, 0.25, 0.09)
        .evaluate()
        .expect("valid request");
    assert!((g.price - 1.12).abs() < 0.005, "{}", g.price);
}

#[wasm_bindgen_test(unsupported = test)]
fn normal_distribution_tables() {
    // Standard normal table values.
    assert!((math::norm_cdf(1.0) - 0.841_344_746_068_542_9).abs() < 4e-16);
    assert!((math::inv_norm_cdf(0.995) - 2.575_829_303_548_901).abs() < 1e-14);
}

#[wasm_bindgen_test(unsupported = test)]
fn invalid_input_is_a_coded_error_not_a_panic() {
    let err = request(OptionKind::Call, f64::NAN, 1.0, 1.0, 0.5, 0.0)
        .evaluate()
        .expect_err("NaN forward");
    assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", "forward"));
    let err = request(OptionKind::Call, 1.0, 1.0, -1.0, 0.5, 0.0)
        .evaluate()
        .expect_err("negative t");
    assert_eq!(err.field(), "t");
}

#[wasm_bindgen_test(unsupported = test)]
fn parity_digest_is_well_formed() {
    // The cross-target equality itself is asserted in tests/js (CLI vs npm package).
    let digest = drr_margin::parity::corpus_digest(1000);
    assert_eq!(digest.len(), 16);
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
}

/// `math::erfc_pair` is `libm::erfc` lane by lane, bit for bit: on random arguments in every
/// branch of libm's algorithm (pairs close together, as d₁ and d₂ are, and far apart), on each
/// branch threshold's neighbours in ulps, and on the special values. In wasm32 this runs the
/// `f64x2` lanes (the build enables simd128: see the assertion at the end of this file).
#[wasm_bindgen_test(unsupported = test)]
fn erfc_pair_is_libm_bit_for_bit() {
    let check = |a: f64, b: f64| {
        let (x, y) = math::erfc_pair(a, b);
        assert_eq!(
            (x.to_bits(), y.to_bits()),
            (libm::erfc(a).to_bits(), libm::erfc(b).to_bits()),
            "erfc_pair({a:e}, {b:e})"
        );
        let (p, q) = math::norm_cdf_pair(a, b);
        assert_eq!(
            (p.to_bits(), q.to_bits()),
            (math::norm_cdf(a).to_bits(), math::norm_cdf(b).to_bits()),
            "norm_cdf_pair({a:e}, {b:e})"
        );
    };
    // libm's thresholds on the high word of |x| (2⁻⁵⁶, ¼, 0.84375, 1.25, ≈ 1/0.35, 26, 28) and
    // those of the `exp` branches its tail reaches.
    let thresholds = [
        0x3c70_0000_u64,
        0x3fd0_0000,
        0x3feb_0000,
        0x3ff4_0000,
        0x4006_db6d,
        0x403a_0000,
        0x403c_0000,
    ]
    .map(|hi| f64::from_bits(hi << 32));
    let mut edges = Vec::new();
    for t in thresholds {
        for ulps in -3_i64..=3 {
            let x = f64::from_bits((t.to_bits() as i64 + ulps) as u64);
            edges.extend([x, -x]);
        }
    }
    edges.extend([
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        5e-324,
        1e-300,
    ]);
    for &a in &edges {
        for &b in &edges {
            check(a, b);
        }
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut uniform = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1_u64 << 53) as f64
    };
    for i in 0..400_000 {
        // Scales from 0.01 to 30 so that every branch gets its share.
        let scale = [0.01, 0.3, 1.0, 1.5, 3.0, 8.0, 30.0][i % 7];
        let a = (2.0 * uniform() - 1.0) * scale;
        let b = if i % 2 == 0 {
            a + (uniform() - 0.5) * 0.5
        } else {
            (2.0 * uniform() - 1.0) * scale
        };
        check(a, b);
    }
}

// The wasm32 build enables simd128 (`.cargo/config.toml`), so the test above checks the `f64x2`
// lanes there, not their two-scalar stand-in: this test file does not compile without it.
#[cfg(target_arch = "wasm32")]
const _: () = assert!(
    cfg!(target_feature = "simd128"),
    "the wasm32 build must enable simd128"
);
