//! Snapshot and restore of a whole engine: a versioned JSON document holding the parameters, the
//! market snapshot, every account with its last emitted update, and the sequence counter. After
//! a restore the same events give byte-identical updates (floats round-trip exactly through
//! serde_json's shortest representation).
//!
//! Owns the document's shape (decoded by hand, [`engine_snapshot`]) and version check; never
//! changes the engine's behaviour.

use super::config::{EngineConfig, EngineParams};
use super::state::{AccountState, Emitted, Last, MarginEngine};
use super::update::HealthLevel;
use crate::error::{Error, Result};
use crate::json::fields::{integer, map_of, variant, Fields};
use crate::json::tree::Value;
use crate::json::Path;
use crate::margin::RiskParams;
use crate::market::{Market, MarketSpec};
use crate::portfolio::{Account, AccountSpec};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the snapshot document written by this build.
pub const SNAPSHOT_VERSION: u32 = 1;

/// One account in a snapshot. The type parameters let [`MarginEngine::snapshot_json`] write
/// the same document from borrowed parts; the defaults are the owned document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSnapshot<A = AccountSpec, L = Emitted> {
    /// Positions and collateral.
    pub account: A,
    /// The last emitted update's requirements and level (absent: none emitted yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<L>,
}

/// The whole engine state. The type parameters let [`MarginEngine::snapshot_json`] write the
/// same document from borrowed parts; the defaults are the owned document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineSnapshot<P = RiskParams, C = EngineConfig, A = BTreeMap<String, AccountSnapshot>> {
    /// [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// Fully resolved risk parameters.
    pub params: P,
    /// Engine configuration.
    pub engine: C,
    /// The market, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketSpec>,
    /// Accounts by id.
    pub accounts: A,
    /// Last sequence number emitted.
    pub sequence: u64,
}

impl MarginEngine {
    /// The whole state as a snapshot document.
    pub fn snapshot(&self) -> EngineSnapshot {
        // Built by insertion (`extend`), not `collect`: `collect` would compile a sort and a bulk
        // build for this map type into the .wasm; the ids arrive sorted and distinct anyway.
        let mut accounts = BTreeMap::new();
        accounts.extend(self.accounts.iter().map(|(id, s)| {
            (
                id.clone(),
                AccountSnapshot {
                    account: s.spec.clone(),
                    last: s.last.as_ref().map(|last| last.emitted.clone()),
                },
            )
        }));
        EngineSnapshot {
            version: SNAPSHOT_VERSION,
            params: self.params.risk().clone(),
            engine: self.params.config().clone(),
            market: self.market.as_ref().map(Market::spec),
            accounts,
            sequence: self.sequence,
        }
    }

    /// [`MarginEngine::snapshot`]'s document as compact JSON, written from the engine's own
    /// parameters and accounts (borrowed, not copied into a snapshot first).
    pub fn snapshot_json(&self) -> Result<String> {
        crate::json::write::to_string(&EngineSnapshot {
            version: SNAPSHOT_VERSION,
            params: self.params.risk(),
            engine: self.params.config(),
            market: self.market.as_ref().map(Market::spec),
            accounts: AccountsView(&self.accounts),
            sequence: self.sequence,
        })
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
            let last = match a.last {
                Some(emitted) => Some(Last::new(emitted, &format!("accounts.{id}.last"))?),
                None => None,
            };
            accounts.insert(
                id,
                AccountState {
                    spec: a.account,
                    account,
                    last,
                },
            );
        }
        Ok(MarginEngine {
            params,
            market,
            accounts,
            sequence: snapshot.sequence,
            scenarios: crate::margin::ScenarioCache::new(),
        })
    }
}

/// The engine's accounts written as the snapshot's `accounts` map.
struct AccountsView<'a>(&'a BTreeMap<String, AccountState>);

impl Serialize for AccountsView<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(id, state)| {
            (
                id,
                AccountSnapshot {
                    account: &state.spec,
                    last: state.last.as_ref().map(|last| &last.emitted),
                },
            )
        }))
    }
}

/// [`EngineSnapshot`] from `value` (`path` prefixes error fields; "" at the root).
pub fn engine_snapshot(value: &Value, path: &Path<'_>) -> Result<EngineSnapshot> {
    let mut o = Fields::named(
        value,
        path,
        &[
            "version", "params", "engine", "market", "accounts", "sequence",
        ],
    )?;
    let version = o.required_u32("version")?;
    let (params, at) = o.required("params")?;
    let params = crate::margin::params_decode::risk_params(params, &at)?;
    let (engine, at) = o.required("engine")?;
    let engine = EngineConfig::decode(engine, &at)?;
    let market = match o.optional("market") {
        Some((market, at)) => Some(crate::market::decode::market_spec(market, &at)?),
        None => None,
    };
    let (accounts, at) = o.required("accounts")?;
    let accounts = map_of(accounts, &at, account_snapshot)?;
    let (sequence, at) = o.required("sequence")?;
    let sequence = integer(sequence, &at, u64::MAX)?;
    Ok(EngineSnapshot {
        version,
        params,
        engine,
        market,
        accounts,
        sequence,
    })
}

fn account_snapshot(value: &Value, path: &Path<'_>) -> Result<AccountSnapshot> {
    let mut o = Fields::named(value, path, &["account", "last"])?;
    let (account, at) = o.required("account")?;
    let account = crate::portfolio::decode::account_spec(account, &at)?;
    let last = match o.optional("last") {
        Some((last, at)) => Some(emitted(last, &at)?),
        None => None,
    };
    Ok(AccountSnapshot { account, last })
}

fn emitted(value: &Value, path: &Path<'_>) -> Result<Emitted> {
    let mut o = Fields::named(
        value,
        path,
        &["initialMargin", "maintenanceMargin", "level"],
    )?;
    let initial_margin = o.required_string("initialMargin")?;
    let maintenance_margin = o.required_string("maintenanceMargin")?;
    let (level, at) = o.required("level")?;
    Ok(Emitted {
        initial_margin,
        maintenance_margin,
        level: health_level(level, &at)?,
    })
}

/// [`HealthLevel`] from its name.
pub fn health_level(value: &Value, path: &Path<'_>) -> Result<HealthLevel> {
    Ok(
        match variant(value, path, &["healthy", "warning", "liquidatable"])? {
            0 => HealthLevel::Healthy,
            1 => HealthLevel::Warning,
            _ => HealthLevel::Liquidatable,
        },
    )
}

crate::margin::params_decode::deserialize_with! {
    EngineSnapshot => engine_snapshot,
}
