//! The real-time recalibration engine: holds parameters, one market and many accounts, consumes
//! events (oracle index, marks, volatility, collateral prices, oracle feed confidence scores,
//! fills, deposits and withdrawals, funding, time) and
//! returns a [`MarginUpdate`] for each account whose requirement moved past a threshold or whose
//! health crossed a level. Updates carry exact integer amounts and a canonical byte encoding with
//! its SHA-256, so a keeper can sign them and a front-end can recompute them byte for byte.
//!
//! - [`config`]: thresholds, health levels and how they ride along with the risk parameters;
//! - [`event`]: the tagged event shape (`{"type": "indexUpdate", ...}`);
//! - [`ledger`]: fills, premium, funding and expiry settlement on an account's cash and positions;
//! - [`state`]: [`MarginEngine`], the atomic event loop with incremental recomputation;
//! - [`update`]: [`MarginUpdate`] and its encoding;
//! - [`snapshot`]: snapshot/restore of the whole state;
//! - [`replay`]: NDJSON event streams (the CLI's `replay`).
//!
//! Imports margin, market, portfolio and math; never reads the clock (time is an event).
//!
//! ```
//! use drr_margin::engine::{EngineParams, Event, MarginEngine};
//!
//! let mut engine = MarginEngine::new(EngineParams::resolve(None)?);
//! let market = drr_margin::json::from_str(r#"{"now": 1795507200000,
//!   "underlyings": {"BTC": {"index": {"price": 98500, "publishTime": 1795507200000}}},
//!   "collateral": {"USDC": {"price": 1, "decimals": 6}}}"#)?;
//! engine.set_market(market)?;
//! let account = drr_margin::json::from_str(r#"{"mode": "cross", "collateral": {"USDC": 20000},
//!   "positions": [{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 98000}]}"#)?;
//! let first = engine.upsert_account("alice", account)?;
//! assert_eq!(first.len(), 1);
//! let moved = engine.apply(Event::from_json(
//!     r#"{"type": "indexUpdate", "underlying": "BTC", "price": 90000, "publishTime": 1795507200000}"#)?)?;
//! assert_eq!(moved[0].sequence, 2);
//! # Ok::<(), drr_margin::Error>(())
//! ```

pub mod config;
pub mod event;
pub mod ledger;
pub mod replay;
pub mod snapshot;
pub mod state;
pub mod update;

pub use config::{EngineConfig, EngineParams};
pub use event::{
    CollateralPrice, Event, FundingPayment, IndexUpdate, MarkUpdate, RemoveAccount, SetMarket,
    SettlementQuote, TimeAdvance, Trade, Transfer, UpsertAccount, VolUpdate,
};
pub use replay::replay;
pub use snapshot::{EngineSnapshot, SNAPSHOT_VERSION};
pub use state::MarginEngine;
pub use update::{HealthLevel, MarginUpdate, UpdateReason, ENCODING_VERSION};
