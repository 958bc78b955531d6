//! Margin models and the `margin()` computation ([`compute`]) that composes them:
//! [`valuation`] (positions under market shocks, the shared primitive), [`standard`] (rule-based,
//! cross and isolated), [`derive_standard`] (Derive's Standard Manager contingencies),
//! [`portfolio`] (risk matrix), [`derive_portfolio`] (Derive PMRM_2),
//! [`drr`] (the sensitivity add-on and oracle buffer), [`liquidity`], [`collateral`]
//! (haircuts), [`statistical`] (VaR/ES beside the requirement), [`params`] and [`profiles`],
//! [`money`] (exact rounding), [`report`] and [`scenario_cache`] (the grid's node values kept
//! across computations).

pub use compute::{margin, margin_validated, margin_validated_cached};
pub use params::RiskParams;
pub use report::MarginReport;
pub use scenario_cache::ScenarioCache;

pub mod collateral;
pub mod compute;
pub mod derive_portfolio;
pub mod derive_standard;
pub mod drr;
pub mod inter_spread;
pub mod liquidity;
pub mod money;
pub mod params;
pub mod params_decode;
pub mod portfolio;
pub mod profiles;
pub mod report;
pub mod scenario_cache;
pub mod standard;
pub mod statistical;
pub mod valuation;
