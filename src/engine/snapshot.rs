//! Snapshot and restore of a whole engine: a versioned JSON document holding the parameters, the
//! market snapshot, every account with its last emitted update, and the sequence counter. After
//! a restore the same events give byte-identical updates (floats round-trip exactly through
//! serde_json's shortest representation).
//!
//! Owns the document's shape and version check; never changes the engine's behaviour.

use super::config::{EngineConfig, EngineParams};
use super::state::{AccountState, Emitted, MarginEngine};
use crate::error::{Error, Result};
use crate::margin::RiskParams;
use crate::market::{Market, MarketSpec};
use crate::portfolio::{Account, AccountSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the snapshot document written by this build.
pub const SNAPSHOT_VERSION: u32 = 1;

/// One account in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSnapshot {
    /// Positions and collateral.
    pub account: AccountSpec,
    /// The last emitted update's requirements and level (absent: none emitted yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Emitted>,
}

/// The whole engine state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineSnapshot {
    /// [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// Fully resolved risk parameters.
    pub params: RiskParams,
    /// Engine configuration.
    pub engine: EngineConfig,
    /// The market, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketSpec>,
    /// Accounts by id.
    pub accounts: BTreeMap<String, AccountSnapshot>,
    /// Last sequence number emitted.
    pub sequence: u64,
}

impl MarginEngine {
    /// The whole state as a snapshot document.
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            version: SNAPSHOT_VERSION,
            params: self.params.risk().clone(),
            engine: self.params.config().clone(),
            market: self.market.as_ref().map(|m| m.spec().clone()),
            accounts: self
                .accounts
                .iter()
                .map(|(id, s)| {
                    (
                        id.clone(),
                        AccountSnapshot {
                            account: s.spec.clone(),
                            last: s.last.clone(),
                        },
                    )
                })
                .collect(),
            sequence: self.sequence,
        }
    }

    /// Rebuilds an engine from a snapshot, validating everything again.
    pub fn restore(snapshot: EngineSnapshot) -> Result<MarginEngine> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(Error::invalid(
                "version",
                format!(
                    "snapshot version {} is not supported (this build reads {SNAPSHOT_VERSION})",
                    snapshot.version
                ),
            ));
        }
        let params = EngineParams::new(snapshot.params, snapshot.engine)?;
        let market = match snapshot.market {
            Some(spec) => Some(Market::new(spec).map_err(|e| e.within("market"))?),
            None => None,
        };
        let mut accounts = BTreeMap::new();
        for (id, a) in snapshot.accounts {
            super::event::account_id(&id).map_err(|e| e.with_field(format!("accounts.{id}")))?;
            let account =
                Account::new(&a.account).map_err(|e| e.within(&format!("accounts.{id}")))?;
            if let Some(last) = &a.last {
                for (amount, name) in [
                    (&last.initial_margin, "initialMargin"),
                    (&last.maintenance_margin, "maintenanceMargin"),
                ] {
                    if amount.parse::<i128>().is_err() {
                        return Err(Error::invalid(
                            format!("accounts.{id}.last.{name}"),
                            format!("not an integer amount: {amount:?}"),
                        ));
                    }
                }
            }
            accounts.insert(
                id,
                AccountState {
                    spec: a.account,
                    account,
                    last: a.last,
                },
            );
        }
        Ok(MarginEngine {
            params,
            market,
            accounts,
            sequence: snapshot.sequence,
        })
    }
}
