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
