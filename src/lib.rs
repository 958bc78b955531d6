//! # drr-margin
//!
//! A Dynamic Risk Recalibration margin engine for crypto derivatives. The same crate is the
//! keeper's native library and CLI and, compiled to WebAssembly, the npm package a front-end uses,
//! with bit-identical results on both.
//!
//! Layers (imports point down only; see DESIGN.md):
//! - [`engine`]: the real-time recalibration engine (events in, signed-ready margin updates out).
//! - [`market`]: market data: the implied-volatility surface (SVI / IV grids, sticky rules).
//! - [`liquidation`]: liquidation/bankruptcy prices, the two-stage trigger, pre-trade what-if.
//! - [`margin`]: margin models (valuation under shocks so far).
//! - [`portfolio`]: instruments (exchange ids such as `BTC-27DEC26-100000-C`), positions, accounts.
//! - [`pricing`]: Black-76 / BSM price, Greeks, implied volatility.
//! - [`math`]: deterministic numerics (the only source of transcendental functions), root finding.
//! - [`units`], [`error`], [`json`]: validated quantities, the coded error type, JSON decoding.
//! - [`VecMap`]: the sorted-`Vec` map of the interchange records keyed by a name (underlyings,
//!   collateral assets, flags), a JSON object and a TS `Record<string, T>`.
//! - [`parity`]: the deterministic corpus whose digest proves native = wasm bit for bit.
//! - `wasm` (only on `wasm32`): the thin wasm-bindgen layer; holds no financial logic.
//!
//! ```
//! use drr_margin::pricing::{OptionKind, PriceRequest};
//!
//! let request = PriceRequest {
//!     kind: OptionKind::Call, forward: 100_000.0, strike: 110_000.0,
//!     t: 30.0 / 365.0, vol: 0.6, rate: None, inverse: None,
//! };
//! let greeks = request.evaluate()?;
//! assert!(greeks.price > 0.0 && greeks.delta > 0.0 && greeks.delta < 1.0);
//! # Ok::<(), drr_margin::Error>(())
//! ```

mod bytes;
pub mod engine;
pub mod error;
pub mod json;
pub mod liquidation;
pub mod margin;
pub mod market;
pub mod math;
mod numfmt;
pub mod parity;
pub mod portfolio;
pub mod pricing;
mod sort;
pub mod units;
pub mod vec_map;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{Error, ErrorKind, Result};
pub use vec_map::VecMap;

/// The crate version, as reported by the CLI's `--version` and the JS `version()`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
