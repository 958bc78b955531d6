//! What an account holds: instruments (contract terms, parsed from exchange-style ids or explicit
//! objects) and, as the margin models arrive, positions and accounts with multi-asset collateral.
//!
//! Never holds market data and never values anything: valuation lives in `pricing`/`margin`.

mod instrument;

pub use instrument::{ContractKind, Instrument, InstrumentSpec, Millis, Settlement};
