//! `erfc` and Φ of two arguments at once, each bit for bit `libm::erfc` (and [`super::norm_cdf`]).
//!
//! Owns [`erfc_pair`] and [`norm_cdf_pair`]. Black-76 needs Φ(d₁) and Φ(d₂) for every price; the
//! portfolio grid prices thousands of options per margin call. In a wasm32 build with the
//! `simd128` target feature (`.cargo/config.toml` enables it) both arguments go through one pass
//! of `f64x2` operations whenever they take the same branch of libm's algorithm (most pairs: d₁
//! and d₂ differ by the total vol only), else each goes through `libm::erfc`. Other builds run
//! the same lane-by-lane operations on two scalars, which the optimiser schedules side by side.
//! Measured on a stand-alone harness of 8,715 grid prices (bench/README "Nineteenth pass"): per
//! price 72 → 62 ns in wasm32 (Node), 66 → 47 ns natively.
//!
//! Why the bits are libm's: each lane performs libm 0.2.16's operations on its argument in
//! libm's order (`erf.rs` `erfc`, `erfc1`, `erfc2`; `exp.rs` `exp` on the two branches that its
//! arguments take here; `scalbn` in the normal range, one exact product by 2ᵏ), and IEEE-754
//! `f64x2` arithmetic rounds each lane as the scalar operation does (wasm's `simd128` has no fused
//! multiply-add; relaxed-simd, which has, is not enabled). libm's branch tests on the high word
//! `hx` of |x| are written as comparisons of |x| with the double whose high word is the threshold
//! and whose low word is 0, which order the same way. A pair whose lanes take different branches,
//! or a branch not implemented here (|x| < 2⁻⁵⁶, |x| ≥ 26, NaN), goes to `libm::erfc`. The test
//! `erfc_pair_is_libm_bit_for_bit` (`tests/wasm.rs`, run natively and in wasm32) compares the
//! pairs with `libm::erfc` on random arguments of every branch and on each threshold's
//! neighbours; the libm version is pinned (`Cargo.toml`), so an upgrade must re-run it.

// libm's decimal literals, verbatim (the same doubles; INVLN2 is log₂ e).
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use lanes::F2;
use std::f64::consts::FRAC_1_SQRT_2;

/// |x| below the double with high word `hi_word` and low word 0: libm's `hx < hi_word`.
const fn threshold(hi_word: u64) -> f64 {
    f64::from_bits(hi_word << 32)
}

const ERX: f64 = 8.45062911510467529297e-01;
const PP: [f64; 5] = [
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
];
const QQ: [f64; 5] = [
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
];
const PA: [f64; 7] = [
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
];
const QA: [f64; 6] = [
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
];
/// erfc on [1.25, 1/0.35]: RA₀…RA₇ and SA₁…SA₈.
const RA: [f64; 8] = [
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e+01,
    -6.23753324503260060396e+01,
    -1.62396669462573470355e+02,
    -1.84605092906711035994e+02,
    -8.12874355063065934246e+01,
    -9.81432934416914548592e+00,
];
const SA: [f64; 8] = [
    1.96512716674392571292e+01,
    1.37657754143519042600e+02,
    4.34565877475229228821e+02,
    6.45387271733267880336e+02,
    4.29008140027567833386e+02,
    1.08635005541779435134e+02,
    6.57024977031928170135e+00,
    -6.04244152148580987438e-02,
];
/// erfc on [1/0.35, 28]: RB₀…RB₆ and SB₁…SB₇, each padded with a last 0 so that both sets
/// run through one Horner scheme of the same length: s·(c + s·0) = s·c exactly (s > 0).
const RB: [f64; 8] = [
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e+01,
    -1.60636384855821916062e+02,
    -6.37566443368389627722e+02,
    -1.02509513161107724954e+03,
    -4.83519191608651397019e+02,
    0.0,
];
const SB: [f64; 8] = [
    3.03380607434824582924e+01,
    3.25792512996573918826e+02,
    1.53672958608443695994e+03,
    3.19985821950859553908e+03,
    2.55305040643316442583e+03,
    4.74528541206955367215e+02,
    -2.24409524465858183362e+01,
    0.0,
];
const LN2HI: f64 = 6.93147180369123816490e-01;
const LN2LO: f64 = 1.90821492927058770002e-10;
const INVLN2: f64 = 1.44269504088896338700e+00;
const EXP_P: [f64; 5] = [
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
];

/// libm's `hx` (high word of |x|) thresholds used here.
const TINY: u32 = 0x3c70_0000; // 2⁻⁵⁶
const QUARTER: u32 = 0x3fd0_0000; // 0.25
const ERF_SMALL: u32 = 0x3feb_0000; // 0.84375
const ERFC_TAIL: u32 = 0x3ff4_0000; // 1.25
const TAIL_B: u32 = 0x4006_db6d; // ≈ 1/0.35
/// The lanes' tail ends below 26 (libm's goes to 28): exp's argument −z² − 0.5625 then stays
/// above −676.6, in the normal range where `scalbn` is one exact product.
const LANE_TAIL_END: u32 = 0x403a_0000; // 26

/// (Φ(a), Φ(b)), each bit for bit [`super::norm_cdf`]: ½·erfc(−x/√2).
#[inline]
pub fn norm_cdf_pair(a: f64, b: f64) -> (f64, f64) {
    let (x, y) = erfc_pair(-a * FRAC_1_SQRT_2, -b * FRAC_1_SQRT_2);
    (0.5 * x, 0.5 * y)
}

/// (erfc(a), erfc(b)), each bit for bit `libm::erfc`.
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub fn erfc_pair(a: f64, b: f64) -> (f64, f64) {
    let ia = high_word(a) & 0x7fff_ffff;
    let ib = high_word(b) & 0x7fff_ffff;
    if ia < ERFC_TAIL && ib < ERFC_TAIL {
        if ia >= TINY && ib >= TINY {
            return central(F2::new(a, b), ia, ib).lanes();
        }
    } else if ia >= ERFC_TAIL && ib >= ERFC_TAIL && ia < LANE_TAIL_END && ib < LANE_TAIL_END {
        if let Some(pair) = tail(F2::new(a, b)) {
            return pair.lanes();
        }
    }
    (libm::erfc(a), libm::erfc(b))
}

fn high_word(x: f64) -> u32 {
    (x.to_bits() >> 32) as u32
}

/// Both |x| in [2⁻⁵⁶, 1.25): libm's `erfc` below 0.84375 and its `erfc1` above.
#[inline(always)]
fn central(x: F2, ia: u32, ib: u32) -> F2 {
    let negative = x.lt(F2::splat(0.0));
    let ax = x.abs();
    let small = || {
        let z = x * x;
        let r = F2::splat(PP[0])
            + z * (F2::splat(PP[1])
                + z * (F2::splat(PP[2]) + z * (F2::splat(PP[3]) + z * F2::splat(PP[4]))));
        let s = F2::splat(1.0)
            + z * (F2::splat(QQ[0])
                + z * (F2::splat(QQ[1])
                    + z * (F2::splat(QQ[2]) + z * (F2::splat(QQ[3]) + z * F2::splat(QQ[4])))));
        let y = r / s;
        let below_quarter = negative.or(ax.lt(F2::splat(threshold(QUARTER as u64))));
        F2::select(
            below_quarter,
            F2::splat(1.0) - (x + x * y),
            F2::splat(0.5) - (x - F2::splat(0.5) + x * y),
        )
    };
    let mid = || {
        let s = ax - F2::splat(1.0);
        let p = F2::splat(PA[0])
            + s * (F2::splat(PA[1])
                + s * (F2::splat(PA[2])
                    + s * (F2::splat(PA[3])
                        + s * (F2::splat(PA[4]) + s * (F2::splat(PA[5]) + s * F2::splat(PA[6]))))));
        let q = F2::splat(1.0)
            + s * (F2::splat(QA[0])
                + s * (F2::splat(QA[1])
                    + s * (F2::splat(QA[2])
                        + s * (F2::splat(QA[3]) + s * (F2::splat(QA[4]) + s * F2::splat(QA[5]))))));
        let e = F2::splat(1.0) - F2::splat(ERX) - p / q;
        F2::select(negative, F2::splat(2.0) - e, e)
    };
    match (ia < ERF_SMALL, ib < ERF_SMALL) {
        (true, true) => small(),
        (false, false) => mid(),
        _ => F2::select(
            ax.lt(F2::splat(threshold(ERF_SMALL as u64))),
            small(),
            mid(),
        ),
    }
}

/// Both |x| in [1.25, 26): libm's `erfc2` with its two `exp` calls; `None` when the second
/// call's argument leaves the branch of `exp` the lanes implement (|t| in (2⁻²⁸, ½·ln 2]).
#[inline(always)]
fn tail(x: F2) -> Option<F2> {
    let negative = x.lt(F2::splat(0.0));
    let ax = x.abs();
    let s = F2::splat(1.0) / (ax * ax);
    let first_set = ax.lt(F2::splat(threshold(TAIL_B as u64)));
    let c = |i: usize| F2::select(first_set, F2::splat(RA[i]), F2::splat(RB[i]));
    let d = |i: usize| F2::select(first_set, F2::splat(SA[i]), F2::splat(SB[i]));
    let r = c(0)
        + s * (c(1) + s * (c(2) + s * (c(3) + s * (c(4) + s * (c(5) + s * (c(6) + s * c(7)))))));
    let big_s = F2::splat(1.0)
        + s * (d(0)
            + s * (d(1)
                + s * (d(2) + s * (d(3) + s * (d(4) + s * (d(5) + s * (d(6) + s * d(7))))))));
    let z = ax.clear_low_word();
    let t = (z - ax) * (z + ax) + r / big_s;
    let at = t.abs();
    let in_branch = F2::splat(f64::from_bits(0x3e30_0001_u64 << 32))
        .le(at)
        .and(at.lt(F2::splat(threshold(0x3fd6_2e43))));
    if !in_branch.all() {
        return None;
    }
    let result = exp_below_minus_1_5_ln2(-z * z - F2::splat(0.5625)) * exp_small(t) / ax;
    Some(F2::select(negative, F2::splat(2.0) - result, result))
}

/// libm's `exp` for x in (−708.39, −1.5·ln 2]: k = x·log₂e − ½ truncated towards 0, the
/// reduced argument's rational, then `scalbn`, one product by 2ᵏ in this range.
#[inline(always)]
fn exp_below_minus_1_5_ln2(x: F2) -> F2 {
    let k = (F2::splat(INVLN2) * x - F2::splat(0.5)).trunc_to_i32();
    let kf = k.to_f64();
    let hi = x - kf * F2::splat(LN2HI);
    let lo = kf * F2::splat(LN2LO);
    let r = hi - lo;
    let y = reduced(r, hi, lo);
    y * k.pow2()
}

/// libm's `exp` for 2⁻²⁸ < |x| ≤ ½·ln 2 (k = 0, hi = x, lo = 0).
#[inline(always)]
fn exp_small(x: F2) -> F2 {
    reduced(x, x, F2::splat(0.0))
}

/// 1 + (x·c/(2 − c) − lo + hi) with c = x − x²·P(x²): libm's `exp` after reduction.
#[inline(always)]
fn reduced(x: F2, hi: F2, lo: F2) -> F2 {
    let xx = x * x;
    let c = x - xx
        * (F2::splat(EXP_P[0])
            + xx * (F2::splat(EXP_P[1])
                + xx * (F2::splat(EXP_P[2])
                    + xx * (F2::splat(EXP_P[3]) + xx * F2::splat(EXP_P[4])))));
    F2::splat(1.0) + (x * c / (F2::splat(2.0) - c) - lo + hi)
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    //! Two f64 lanes in one wasm `v128`.
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F2(v128);
    #[derive(Clone, Copy)]
    pub struct Mask(v128);
    #[derive(Clone, Copy)]
    pub struct I2(v128);

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> F2 {
            F2(f64x2(a, b))
        }
        #[inline(always)]
        pub fn splat(a: f64) -> F2 {
            F2(f64x2_splat(a))
        }
        #[inline(always)]
        pub fn lanes(self) -> (f64, f64) {
            (
                f64x2_extract_lane::<0>(self.0),
                f64x2_extract_lane::<1>(self.0),
            )
        }
        #[inline(always)]
        pub fn abs(self) -> F2 {
            F2(f64x2_abs(self.0))
        }
        #[inline(always)]
        pub fn lt(self, other: F2) -> Mask {
            Mask(f64x2_lt(self.0, other.0))
        }
        #[inline(always)]
        pub fn le(self, other: F2) -> Mask {
            Mask(f64x2_le(self.0, other.0))
        }
        #[inline(always)]
        pub fn select(mask: Mask, if_set: F2, otherwise: F2) -> F2 {
            F2(v128_bitselect(if_set.0, otherwise.0, mask.0))
        }
        #[inline(always)]
        pub fn clear_low_word(self) -> F2 {
            F2(v128_and(self.0, u64x2_splat(0xffff_ffff_0000_0000)))
        }
        #[inline(always)]
        pub fn trunc_to_i32(self) -> I2 {
            I2(i32x4_trunc_sat_f64x2_zero(self.0))
        }
    }
    impl I2 {
        #[inline(always)]
        pub fn to_f64(self) -> F2 {
            F2(f64x2_convert_low_i32x4(self.0))
        }
        /// 2ᵏ for k in the normal exponent range.
        #[inline(always)]
        pub fn pow2(self) -> F2 {
            let biased = i64x2_add(i64x2_extend_low_i32x4(self.0), i64x2_splat(0x3ff));
            F2(i64x2_shl(biased, 52))
        }
    }
    impl Mask {
        #[inline(always)]
        pub fn or(self, other: Mask) -> Mask {
            Mask(v128_or(self.0, other.0))
        }
        #[inline(always)]
        pub fn and(self, other: Mask) -> Mask {
            Mask(v128_and(self.0, other.0))
        }
        #[inline(always)]
        pub fn all(self) -> bool {
            i64x2_all_true(self.0)
        }
    }
    macro_rules! binary {
        ($trait:ident, $method:ident, $op:ident) => {
            impl core::ops::$trait for F2 {
                type Output = F2;
                #[inline(always)]
                fn $method(self, other: F2) -> F2 {
                    F2($op(self.0, other.0))
                }
            }
        };
    }
    binary!(Add, add, f64x2_add);
    binary!(Sub, sub, f64x2_sub);
    binary!(Mul, mul, f64x2_mul);
    binary!(Div, div, f64x2_div);
    impl core::ops::Neg for F2 {
        type Output = F2;
        #[inline(always)]
        fn neg(self) -> F2 {
            F2(f64x2_neg(self.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    //! Two f64 lanes as two scalars (the same operations, lane by lane).
    #[derive(Clone, Copy)]
    pub struct F2([f64; 2]);
    #[derive(Clone, Copy)]
    pub struct Mask([bool; 2]);
    #[derive(Clone, Copy)]
    pub struct I2([i32; 2]);

    impl F2 {
        pub fn new(a: f64, b: f64) -> F2 {
            F2([a, b])
        }
        pub fn splat(a: f64) -> F2 {
            F2([a, a])
        }
        pub fn lanes(self) -> (f64, f64) {
            (self.0[0], self.0[1])
        }
        fn map(self, f: impl Fn(f64) -> f64) -> F2 {
            F2([f(self.0[0]), f(self.0[1])])
        }
        pub fn abs(self) -> F2 {
            self.map(f64::abs)
        }
        pub fn lt(self, other: F2) -> Mask {
            Mask([self.0[0] < other.0[0], self.0[1] < other.0[1]])
        }
        pub fn le(self, other: F2) -> Mask {
            Mask([self.0[0] <= other.0[0], self.0[1] <= other.0[1]])
        }
        pub fn select(mask: Mask, if_set: F2, otherwise: F2) -> F2 {
            let pick = |i: usize| {
                if mask.0[i] {
                    if_set.0[i]
                } else {
                    otherwise.0[i]
                }
            };
            F2([pick(0), pick(1)])
        }
        pub fn clear_low_word(self) -> F2 {
            self.map(|x| f64::from_bits(x.to_bits() & 0xffff_ffff_0000_0000))
        }
        pub fn trunc_to_i32(self) -> I2 {
            I2([self.0[0] as i32, self.0[1] as i32])
        }
    }
    impl I2 {
        pub fn to_f64(self) -> F2 {
            F2([f64::from(self.0[0]), f64::from(self.0[1])])
        }
        pub fn pow2(self) -> F2 {
            let p = |k: i32| f64::from_bits(((0x3ff + i64::from(k)) as u64) << 52);
            F2([p(self.0[0]), p(self.0[1])])
        }
    }
    impl Mask {
        pub fn or(self, other: Mask) -> Mask {
            Mask([self.0[0] || other.0[0], self.0[1] || other.0[1]])
        }
        pub fn and(self, other: Mask) -> Mask {
            Mask([self.0[0] && other.0[0], self.0[1] && other.0[1]])
        }
        pub fn all(self) -> bool {
            self.0[0] && self.0[1]
        }
    }
    macro_rules! binary {
        ($trait:ident, $method:ident, $op:tt) => {
            impl core::ops::$trait for F2 {
                type Output = F2;
                fn $method(self, other: F2) -> F2 {
                    F2([self.0[0] $op other.0[0], self.0[1] $op other.0[1]])
                }
            }
        };
    }
    binary!(Add, add, +);
    binary!(Sub, sub, -);
    binary!(Mul, mul, *);
    binary!(Div, div, /);
    impl core::ops::Neg for F2 {
        type Output = F2;
        fn neg(self) -> F2 {
            self.map(|x| -x)
        }
    }
}
