//! The volatility surface (`drr_margin::market`) through its public API and JSON shape: SVI against
//! hand-computed values, grid and calendar interpolation against the interpolation formulas,
//! sticky-strike versus sticky-moneyness, arbitrage warnings on published examples, and coded
//! errors naming the field. The tests marked `wasm_bindgen_test` also run compiled to wasm32.
//! Expected values come from the formulas (computed independently here) or from the literature,
//! never from the module's own output.

// Test code: a failed unwrap is a failed test. (On wasm32 clippy does not treat
// `wasm_bindgen_test` functions as tests, so `allow-unwrap-in-tests` does not cover them.)
#![allow(clippy::unwrap_used)]

use drr_margin::market::{
    StickyRule, SurfaceWarning, SurfaceWarningCode, VolSliceSpec, VolSurface, VolSurfaceSpec,
};
use drr_margin::math::{exp, ln};
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: i64 = 1_750_000_000_000;
const DAY: i64 = 86_400_000;
/// 73 days = 0.2 years of 365 days.
const T_02: i64 = NOW + 73 * DAY;
/// 365 days = 1 year.
const T_1: i64 = NOW + 365 * DAY;

fn svi(expiry: i64, a: f64, b: f64, rho: f64, m: f64, sigma: f64) -> VolSliceSpec {
    VolSliceSpec::Svi {
        expiry,
        a,
        b,
        rho,
        m,
        sigma,
    }
}

fn grid(expiry: i64, forward: f64, strikes: &[f64], ivs: &[f64]) -> VolSliceSpec {
    VolSliceSpec::Grid {
        expiry,
        forward,
        strikes: strikes.to_vec(),
        ivs: ivs.to_vec(),
    }
}

fn surface(slices: Vec<VolSliceSpec>) -> VolSurface {
    VolSurface::new(&VolSurfaceSpec { slices }, NOW).expect("valid surface")
}

/// Raw SVI written out independently of the crate: w(k) = a + b(ρ(k − m) + √((k − m)² + σ²)).
fn svi_w(a: f64, b: f64, rho: f64, m: f64, sigma: f64, k: f64) -> f64 {
    a + b * (rho * (k - m) + ((k - m) * (k - m) + sigma * sigma).sqrt())
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} vs {expected} (tolerance {tolerance})"
    );
}

fn codes(warnings: &[SurfaceWarning]) -> Vec<(&'static str, i64)> {
    warnings
        .iter()
        .map(|w| (w.code.as_str(), w.expiry))
        .collect()
}

#[wasm_bindgen_test(unsupported = test)]
fn svi_slice_vol_matches_hand_computed_values() {
    // a = 0.04, b = 0.4, ρ = −0.4, m = 0, σ = 0.1, expiry 0.2 years away.
    let s = surface(vec![svi(T_02, 0.04, 0.4, -0.4, 0.0, 0.1)]);
    // At the money k = 0: w = 0.04 + 0.4·0.1 = 0.08 → σ = √(0.08/0.2) = √0.4 = 0.6324555320336759.
    close(
        s.vol(50_000.0, 50_000.0, 0.2).unwrap().get(),
        0.632_455_532_033_675_9,
        1e-15,
    );
    // k = 0.1: w = 0.04 + 0.4·(−0.04 + √0.02) = 0.0805685424949238 → σ = √(w/0.2) = 0.634698442…
    let strike = 50_000.0 * exp(0.1);
    close(
        s.vol(strike, 50_000.0, 0.2).unwrap().get(),
        (0.080_568_542_494_923_8f64 / 0.2).sqrt(),
        1e-14,
    );
    close(
        s.total_variance(0.1, 0.2).unwrap(),
        0.080_568_542_494_923_8,
        1e-15,
    );
    // k = −0.1: w = 0.04 + 0.4·(0.04 + √0.02) = 0.1125685424949238.
    close(
        s.total_variance(-0.1, 0.2).unwrap(),
        0.112_568_542_494_923_8,
        1e-15,
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn flat_surfaces_give_one_vol_everywhere_and_at_every_time() {
    // σ = 0.6 as an SVI with b = 0 (a = 0.36·0.2 = 0.072), then flat grids at 1 and 2 years.
    let s = surface(vec![
        svi(T_02, 0.072, 0.0, 0.3, 0.1, 0.2),
        grid(T_1, 3000.0, &[2000.0, 3000.0, 4000.0], &[0.6, 0.6, 0.6]),
        grid(NOW + 730 * DAY, 3100.0, &[3100.0], &[0.6]),
    ]);
    for t in [0.01, 0.2, 0.5, 1.0, 1.7, 2.0, 5.0] {
        for strike in [500.0, 2500.0, 3000.0, 3500.0, 20_000.0] {
            for forward in [2000.0, 3000.0] {
                close(s.vol(strike, forward, t).unwrap().get(), 0.6, 1e-15);
                for rule in [StickyRule::Strike, StickyRule::Moneyness] {
                    let shocked = s.vol_shocked(strike, forward, 0.7 * forward, t, rule);
                    close(shocked.unwrap().get(), 0.6, 1e-15);
                }
            }
        }
    }
    assert!(s.arbitrage_warnings().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn grid_reproduces_its_marks_and_is_linear_in_total_variance_between_them() {
    let forward = 100_000.0;
    let strikes = [70_000.0, 90_000.0, 100_000.0, 115_000.0, 140_000.0];
    let ivs = [0.82, 0.66, 0.6, 0.58, 0.63];
    let s = surface(vec![grid(T_02, forward, &strikes, &ivs)]);
    for (&strike, &iv) in strikes.iter().zip(&ivs) {
        assert_eq!(s.vol(strike, forward, 0.2).unwrap().get(), iv, "K={strike}");
    }
    // Halfway in log-moneyness between 90 000 and 100 000: w = (0.66²·T + 0.6²·T)/2.
    let k_mid = 0.5 * ln(90_000.0 / forward);
    let w_mid = 0.5 * (0.66 * 0.66 * 0.2 + 0.6 * 0.6 * 0.2);
    close(s.total_variance(k_mid, 0.2).unwrap(), w_mid, 1e-16);
    close(
        s.vol(forward * exp(k_mid), forward, 0.2).unwrap().get(),
        (w_mid / 0.2).sqrt(),
        1e-14,
    );
    // A third of the way from 115 000 to 140 000.
    let (k1, k2) = (ln(115_000.0 / forward), ln(140_000.0 / forward));
    let k = k1 + (k2 - k1) / 3.0;
    let expected = (2.0 * 0.58 * 0.58 + 0.63 * 0.63) / 3.0 * 0.2;
    close(s.total_variance(k, 0.2).unwrap(), expected, 1e-15);
    // Flat implied vol beyond the wings, whatever the forward it is read against.
    close(s.vol(10_000.0, forward, 0.2).unwrap().get(), 0.82, 1e-15);
    close(s.vol(900_000.0, forward, 0.2).unwrap().get(), 0.63, 1e-15);
}

#[wasm_bindgen_test(unsupported = test)]
fn calendar_interpolation_hits_the_slices_and_is_linear_in_total_variance() {
    let (p1, p2) = ((0.02, 0.3, -0.5, 0.05, 0.2), (0.1, 0.35, -0.3, 0.0, 0.3));
    let s = surface(vec![
        svi(T_02, p1.0, p1.1, p1.2, p1.3, p1.4),
        svi(T_1, p2.0, p2.1, p2.2, p2.3, p2.4),
    ]);
    for k in [-1.0, -0.25, 0.0, 0.4] {
        let w1 = svi_w(p1.0, p1.1, p1.2, p1.3, p1.4, k);
        let w2 = svi_w(p2.0, p2.1, p2.2, p2.3, p2.4, k);
        close(s.total_variance(k, 0.2).unwrap(), w1, 1e-15);
        close(s.total_variance(k, 1.0).unwrap(), w2, 1e-15);
        let strike = 2_000.0 * exp(k);
        close(
            s.vol(strike, 2_000.0, 0.2).unwrap().get(),
            (w1 / 0.2).sqrt(),
            1e-14,
        );
        close(s.vol(strike, 2_000.0, 1.0).unwrap().get(), w2.sqrt(), 1e-14);
        // T = 0.4 is a quarter of the way from 0.2 to 1.0.
        close(
            s.total_variance(k, 0.4).unwrap(),
            w1 + 0.25 * (w2 - w1),
            1e-15,
        );
        // Before the first expiry and after the last: constant implied vol of that slice.
        close(s.total_variance(k, 0.05).unwrap(), w1 * 0.05 / 0.2, 1e-15);
        close(s.total_variance(k, 3.0).unwrap(), w2 * 3.0, 1e-14);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn sticky_strike_and_sticky_moneyness_differ_as_the_skew_implies() {
    // Put skew: total variance falls with k over k < 0 (ρ = −0.6).
    let s = surface(vec![svi(T_1, 0.2, 0.3, -0.6, 0.2, 0.3)]);
    let (strike, f0, t) = (80_000.0, 100_000.0, 0.5);
    let base = s.vol(strike, f0, t).unwrap().get();
    let read = |f1: f64, rule| s.vol_shocked(strike, f0, f1, t, rule).unwrap().get();
    for f1 in [90_000.0, 110_000.0] {
        // Sticky-strike: the strike keeps its vol. Sticky-moneyness: read at ln(K/F₁).
        assert_eq!(read(f1, StickyRule::Strike), base);
        assert_eq!(
            read(f1, StickyRule::Moneyness),
            s.vol(strike, f1, t).unwrap().get()
        );
    }
    // A rally moves the strike deeper below the forward, up the put skew; a sell-off down it.
    assert!(read(110_000.0, StickyRule::Moneyness) > base + 0.005);
    assert!(read(90_000.0, StickyRule::Moneyness) < base - 0.005);
    // The same on a skewed grid.
    let g = surface(vec![grid(
        T_1,
        100_000.0,
        &[60_000.0, 80_000.0, 100_000.0, 120_000.0],
        &[0.9, 0.75, 0.62, 0.55],
    )]);
    let strike_vol = g
        .vol_shocked(100_000.0, 100_000.0, 120_000.0, 0.5, StickyRule::Strike)
        .unwrap()
        .get();
    let moneyness_vol = g
        .vol_shocked(100_000.0, 100_000.0, 120_000.0, 0.5, StickyRule::Moneyness)
        .unwrap()
        .get();
    assert_eq!(strike_vol, 0.62);
    assert!(moneyness_vol > strike_vol, "{moneyness_vol} ≤ {strike_vol}");
}

#[wasm_bindgen_test(unsupported = test)]
fn vogt_svi_has_butterfly_arbitrage_and_a_well_behaved_svi_has_none() {
    // Axel Vogt's example (Gatheral & Jacquier 2014, "Arbitrage-free SVI volatility surfaces",
    // §2): a = −0.0410, b = 0.1331, ρ = 0.3060, m = 0.3586, σ = 0.4153, T = 1; g(k) < 0 around
    // k ≈ 0.9.
    let vogt = surface(vec![svi(T_1, -0.0410, 0.1331, 0.3060, 0.3586, 0.4153)]);
    let warnings = vogt.arbitrage_warnings();
    assert_eq!(codes(warnings), vec![("W_BUTTERFLY_ARBITRAGE", T_1)]);
    let k = warnings.first().unwrap().log_moneyness;
    assert!((0.6..=1.2).contains(&k), "worst point at k = {k}");
    // a = 0.04, b = 0.4, ρ = −0.4, m = 0, σ = 0.1: g(k) ≥ 0.08 on [−1.5, 1.5] (checked by an
    // independent evaluation of g), and b(1 ± ρ) ≤ 0.56 < 2.
    let clean = surface(vec![svi(T_1, 0.04, 0.4, -0.4, 0.0, 0.1)]);
    assert!(clean.arbitrage_warnings().is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn decreasing_total_variance_across_expiries_is_a_calendar_warning() {
    // Flat 70 % at 0.2 years (w = 0.098) then flat 30 % at 1 year (w = 0.09): w falls.
    let s = surface(vec![
        svi(T_02, 0.098, 0.0, 0.0, 0.0, 0.1),
        grid(T_1, 100.0, &[90.0, 110.0], &[0.3, 0.3]),
    ]);
    assert_eq!(
        codes(s.arbitrage_warnings()),
        vec![("W_CALENDAR_ARBITRAGE", T_1)]
    );
    // Only the wings cross: a steep first smile over a flat second one is reported at a wing.
    let s = surface(vec![
        svi(T_02, 0.02, 0.4, 0.0, 0.0, 0.1),
        svi(T_1, 0.3, 0.0, 0.0, 0.0, 0.1),
    ]);
    // w₁(±1.5) = 0.02 + 0.4·√2.26 = 0.6213 > 0.3 ≥ w₁(0) = 0.06.
    let warnings = s.arbitrage_warnings();
    assert_eq!(codes(warnings), vec![("W_CALENDAR_ARBITRAGE", T_1)]);
    assert_eq!(warnings.first().unwrap().log_moneyness.abs(), 1.5);
}

#[test]
fn grid_with_a_vol_spike_has_butterfly_arbitrage() {
    // A 150 % mark between 50 % marks makes the call price at that strike lie above the chord.
    let spike = surface(vec![grid(
        T_02,
        100.0,
        &[80.0, 90.0, 100.0, 110.0, 120.0],
        &[0.5, 0.5, 1.5, 0.5, 0.5],
    )]);
    let warnings = spike.arbitrage_warnings();
    assert_eq!(codes(warnings), vec![("W_BUTTERFLY_ARBITRAGE", T_02)]);
    assert_eq!(warnings.first().unwrap().log_moneyness, 0.0);
    // A smooth smile is clean.
    let smile = surface(vec![grid(
        T_02,
        100.0,
        &[60.0, 80.0, 90.0, 100.0, 110.0, 130.0, 160.0],
        &[0.95, 0.75, 0.68, 0.63, 0.61, 0.64, 0.72],
    )]);
    assert!(smile.arbitrage_warnings().is_empty());
}

#[test]
fn svi_wing_steeper_than_lee_bound_is_a_butterfly_warning() {
    // b(1 + ρ) = 1.1·1.9 = 2.09 > 2, with a large level so g stays positive on [−1.5, 1.5].
    let s = surface(vec![svi(T_1, 10.0, 1.1, 0.9, 0.0, 0.5)]);
    let warnings = s.arbitrage_warnings();
    assert_eq!(codes(warnings), vec![("W_BUTTERFLY_ARBITRAGE", T_1)]);
    let warning = warnings.first().unwrap();
    assert_eq!(warning.log_moneyness, 1.5);
    assert!(warning.detail.contains("Lee"), "{}", warning.detail);
}

#[wasm_bindgen_test(unsupported = test)]
fn invalid_surfaces_are_coded_errors_naming_the_field() {
    let err = |slices: Vec<VolSliceSpec>| {
        let e = VolSurface::new(&VolSurfaceSpec { slices }, NOW).unwrap_err();
        (e.code(), e.field().to_string())
    };
    let ok = svi(T_02, 0.04, 0.4, -0.4, 0.0, 0.1);
    let invalid = |field: &str| ("E_INVALID_INPUT", field.to_string());
    assert_eq!(err(vec![]), invalid("slices"));
    assert_eq!(
        err(vec![ok.clone(), svi(T_1, 0.04, 0.4, -1.2, 0.0, 0.1)]),
        invalid("slices[1].rho")
    );
    assert_eq!(
        err(vec![ok.clone(), svi(T_1, 0.04, -0.4, 0.0, 0.0, 0.1)]),
        invalid("slices[1].b")
    );
    assert_eq!(
        err(vec![ok.clone(), svi(T_1, 0.04, 0.4, 0.0, 0.0, 0.0)]),
        invalid("slices[1].sigma")
    );
    assert_eq!(
        err(vec![svi(T_1, -0.1, 0.4, 0.0, 0.0, 0.1)]),
        invalid("slices[0].a")
    );
    assert_eq!(
        err(vec![svi(NOW, 0.04, 0.4, 0.0, 0.0, 0.1)]),
        invalid("slices[0].expiry")
    );
    assert_eq!(
        err(vec![ok.clone(), ok.clone()]),
        invalid("slices[1].expiry")
    );
    assert_eq!(
        err(vec![
            ok.clone(),
            grid(T_1, 100.0, &[90.0, 110.0], &[0.5, 0.5]),
            grid(T_1 + DAY, 100.0, &[90.0, 110.0], &[0.5, 55.0]),
        ]),
        ("E_INVALID_VOL", "slices[2].ivs[1]".to_string())
    );
    assert_eq!(
        err(vec![grid(T_1, 100.0, &[110.0, 90.0], &[0.5, 0.5])]),
        invalid("slices[0].strikes[1]")
    );
    assert_eq!(
        err(vec![grid(T_1, 100.0, &[90.0, 110.0], &[0.5])]),
        invalid("slices[0].ivs")
    );
    // A query at or after expiry is an error, not a price.
    let s = surface(vec![ok]);
    assert_eq!(s.vol(1.0, 1.0, 0.0).unwrap_err().field(), "t");
}

#[wasm_bindgen_test(unsupported = test)]
fn json_shape_parses_and_rejects_unknown_fields() {
    let json = r#"{"slices":[
        {"type":"svi","expiry":1756307200000,"a":0.04,"b":0.4,"rho":-0.4,"m":0,"sigma":0.1},
        {"type":"grid","expiry":1781843200000,"forward":100000,
         "strikes":[80000,100000,120000],"ivs":[0.7,0.6,0.62]}]}"#;
    let spec: VolSurfaceSpec = drr_margin::json::from_str(json).unwrap();
    assert_eq!(
        spec.slices.first(),
        Some(&svi(1_756_307_200_000, 0.04, 0.4, -0.4, 0.0, 0.1))
    );
    assert_eq!(
        spec.slices.get(1),
        Some(&grid(
            1_781_843_200_000,
            100_000.0,
            &[80_000.0, 100_000.0, 120_000.0],
            &[0.7, 0.6, 0.62]
        ))
    );
    assert!(VolSurface::new(&spec, NOW).is_ok());
    for bad in [
        r#"{"slices":[{"type":"svi","expiry":1,"a":0,"b":0,"rho":0,"m":0,"sigma":1,"x":1}]}"#,
        r#"{"slices":[{"type":"spline","expiry":1}]}"#,
        r#"{"slices":[{"expiry":1,"a":0,"b":0,"rho":0,"m":0,"sigma":1}]}"#,
        r#"{"slices":[],"now":1}"#,
    ] {
        let e = drr_margin::json::from_str::<VolSurfaceSpec>(bad).unwrap_err();
        assert_eq!(e.code(), "E_INVALID_INPUT", "{bad}");
    }
    let rule: StickyRule = drr_margin::json::from_str(r#""moneyness""#).unwrap();
    assert_eq!(rule, StickyRule::Moneyness);
    let warning = SurfaceWarning {
        code: SurfaceWarningCode::CalendarArbitrage,
        expiry: 5,
        log_moneyness: -0.5,
        detail: "d".into(),
    };
    assert_eq!(
        serde_json::to_string(&warning).unwrap(),
        r#"{"code":"W_CALENDAR_ARBITRAGE","expiry":5,"logMoneyness":-0.5,"detail":"d"}"#
    );
}
