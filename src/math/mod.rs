//! Deterministic numerics: the only place the engine gets transcendental functions from.
//!
//! Every `exp`, `ln`, `pow`, `erfc`, normal CDF/PDF and inverse normal CDF used by the core comes from
//! this module, which calls the pure-Rust [`libm`] crate explicitly. `std`'s `f64::exp`/`ln`/`powf`
//! are glibc natively and a different libm in wasm32, and differ in the last bit in 2–10 % of inputs;
//! `libm` gives the same bits on both (proved by the parity test, `tests/parity.rs`). Clippy's
//! `disallowed-methods` (see `clippy.toml`) rejects the std methods everywhere in the crate.
//!
//! Also here: root finding ([`root`]). This module imports nothing else of the crate.
//! IEEE `+ - * /` and `sqrt` are correctly rounded on every target and are used directly.

mod erfc_pair;
pub mod root;
mod special;

pub use erfc_pair::{erfc_pair, norm_cdf_pair};

pub use special::{
    cbrt, erf, erfc, exp, exp_m1, inv_norm_cdf, ln, ln_1p, max, min, norm_cdf, norm_pdf, pow,
    pow10, FRAC_1_SQRT_2PI,
};
