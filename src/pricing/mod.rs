//! Option pricing: Black-76 on the forward (with discounting), Black-Scholes-Merton on spot with
//! carry, linear and inverse (coin-denominated) values, Greeks, and implied volatility.
//!
//! One implementation ([`black`]) and thin fronts over it. Pure functions of validated inputs
//! ([`crate::units`]); all transcendental math through [`crate::math`]. Conventions (DESIGN.md):
//! Greeks in raw math units — delta and gamma w.r.t. the forward (or spot for the BSM front),
//! vega per 1.00 of vol, theta per year of calendar time passing, rho per 1.00 of rate;
//! [`Greeks::vega_per_point`] and [`Greeks::theta_per_day`] are the display scalings.

pub mod batch;
mod black;
mod implied_vol;
mod request;

pub use black::{black76, bsm, BlackInputs, Greeks, OptionKind, SpotGreeks};
pub(crate) use black::{black76_call_put_from_total_vol, black76_price};
// The valuation's Black-76 at a discount factor computed once per expiry (natively it takes
// `black76_with_parts`).
#[cfg(target_arch = "wasm32")]
pub(crate) use black::black76_discounted;
// The portfolio grid's values now from the valuation: native only (src/margin/valuation.rs).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use black::{black76_with_parts, BlackParts};
pub use implied_vol::{implied_vol, LAST_ITERATIONS};
pub use request::{
    implied_vol_request, price_request, ImpliedVolRequest, PriceRequest, PriceResult,
};
