//! Margin models. Today: position valuation under market shocks ([`valuation`]), the primitive
//! the standard, portfolio and DRR models are built on.

pub mod collateral;
pub mod drr;
pub mod liquidity;
pub mod money;
pub mod params;
pub mod profiles;
pub mod standard;
pub mod statistical;
pub mod valuation;
