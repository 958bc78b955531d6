//! Market data the margin engine values against: the snapshot ([`Market`]: index quotes, forwards,
//! marks, funding, depth, collateral prices, risk flags, feed confidence scores) and the implied-volatility surface of an
//! underlying (per-expiry raw-SVI smiles or grids of mark IVs), its interpolation across strikes and
//! expiries, sticky-strike / sticky-moneyness behaviour under a move of the underlying, and
//! static-arbitrage diagnostics.
//!
//! This layer turns validated quotes into model inputs; it never holds positions, never prices an
//! instrument and never reads the clock (the valuation time is an input, ms since the Unix epoch).
//! It imports only [`crate::math`], [`crate::units`] and [`crate::error`].
//!
//! ```
//! use drr_margin::market::{StickyRule, VolSurface, VolSurfaceSpec};
//!
//! let spec: VolSurfaceSpec = drr_margin::json::from_str(r#"{"slices": [
//!     {"type": "svi", "expiry": 1767225600000,
//!      "a": 0.1, "b": 0.2, "rho": -0.3, "m": 0.0, "sigma": 0.2},
//!     {"type": "grid", "expiry": 1782864000000, "forward": 100000,
//!      "strikes": [80000, 100000, 120000], "ivs": [0.75, 0.6, 0.62]}
//! ]}"#)?;
//! let surface = VolSurface::new(&spec, 1_750_000_000_000)?;
//! let vol = surface.vol(90_000.0, 100_000.0, 0.3)?;
//! let after_rally =
//!     surface.vol_shocked(90_000.0, 100_000.0, 105_000.0, 0.3, StickyRule::Moneyness)?;
//! // Put skew (rho < 0): after a rally the strike sits further below the forward, where the smile
//! // is higher; sticky-strike would keep `vol`.
//! assert!(after_rally.get() > vol.get());
//! assert!(surface.arbitrage_warnings().is_empty());
//! # Ok::<(), drr_margin::Error>(())
//! ```

mod arbitrage;
pub mod decode;
mod feed_confidence;
mod grid;
mod listed;
mod snapshot;
mod svi;
mod vol_surface;

pub use arbitrage::{SurfaceWarning, SurfaceWarningCode};
pub use feed_confidence::{
    ExpiryConfidence, ExpiryConfidenceUpdate, FeedConfidence, FeedConfidenceUpdate,
    UnderlyingConfidence, UnderlyingConfidenceUpdate,
};
pub use listed::canonical_mark_iv;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use snapshot::IndexData;
pub(crate) use snapshot::PinnedVols;
pub use snapshot::{
    CollateralQuote, Depth, ForwardQuote, Funding, IndexQuote, Market, MarketSpec, RiskFlag,
    Underlying, UnderlyingSpec,
};
pub use vol_surface::{StickyRule, VolSliceSpec, VolSurface, VolSurfaceSpec};
