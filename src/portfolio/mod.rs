//! What an account holds: instruments (contract terms, parsed from exchange-style ids or explicit
//! objects), positions (signed sizes, entry prices, isolated margin) and accounts with multi-asset
//! collateral and a margin mode.
//!
//! Never holds market data and never values anything: valuation lives in `pricing`/`margin`.

mod account;
pub(crate) mod columns;
pub mod decode;
mod instrument;

pub use account::{Account, AccountSpec, MarginMode, Position, PositionSpec};
pub use instrument::{ContractKind, Instrument, InstrumentSpec, Millis, Settlement};
