//! `MarginEngine`: the state (parameters, the validated market, accounts by id, the last emitted
//! update of each account, the sequence counter) and the event loop.
//!
//! Each event is applied atomically: the changed market or account is built and validated, only
//! the accounts the event touches are recomputed against it (an index, mark or vol update: the
//! accounts holding a position on that underlying; a fill, deposit or withdrawal: that account;
//! a collateral price: the accounts holding that asset, every account for the margin asset;
//! feed confidence scores: the accounts whose margin model reads a listed score (Derive's models
//! only); funding: the accounts holding a perpetual on it; a new market or a time advance: every
//! account), and only if every recomputation succeeds is the state committed and are updates
//! emitted. On error the engine is unchanged. Never reads the clock: time is the `timeAdvance`
//! event.

use super::config::{EngineConfig, EngineParams};
use super::event::{
    CollateralPrice, Event, FundingPayment, IndexUpdate, MarkUpdate, RemoveAccount, SetMarket,
    TimeAdvance, Trade, Transfer, UpsertAccount, VolUpdate,
};
use super::ledger;
use super::update::{HealthLevel, MarginUpdate, UpdateFields, UpdateReason};
use crate::error::{Error, ErrorKind, Quoted, Result};
use crate::margin::compute::{margin_detailed, margin_hashed, Detail};
use crate::margin::money::{base_units, Rounding};
use crate::margin::{MarginReport, ScenarioCache};
#[cfg(not(target_arch = "wasm32"))]
use crate::market::IndexData;
use crate::market::{FeedConfidenceUpdate, IndexQuote, Market, MarketSpec};
use crate::portfolio::{Account, AccountSpec, MarginMode, Millis};
use crate::vec_map::VecMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// What was last emitted for an account (the reference for thresholds and level crossings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Emitted {
    /// Initial margin, base units (decimal string).
    pub initial_margin: String,
    /// Maintenance margin, base units (decimal string).
    pub maintenance_margin: String,
    /// Health level.
    pub level: HealthLevel,
}

/// What was last emitted for an account as the engine compares it: the [`Emitted`] a snapshot
/// writes (its texts as they were written or restored) and its requirements as integers, so
/// that an update's thresholds need not parse them.
#[derive(Debug, Clone)]
pub(crate) struct Last {
    pub emitted: Emitted,
    /// The requirements, [`split`] (see there why not `i128`).
    initial_margin: [u64; 2],
    maintenance_margin: [u64; 2],
}

impl Last {
    /// `emitted` with its requirements read; `field` prefixes the error of one that is not an
    /// integer amount.
    pub fn new(emitted: Emitted, field: &str) -> Result<Last> {
        let read = |text: &str, name: &str| units(text, &format!("{field}.{name}"));
        Ok(Last {
            initial_margin: split(read(&emitted.initial_margin, "initialMargin")?),
            maintenance_margin: split(read(&emitted.maintenance_margin, "maintenanceMargin")?),
            emitted,
        })
    }
}

/// `amount` as two words, low first: an `i128` field would align [`AccountState`] to 16 bytes,
/// which compiles the engine's account map larger (+1.3 KB gzip in the `.wasm`).
fn split(amount: i128) -> [u64; 2] {
    let bytes = amount.to_le_bytes();
    let (mut low, mut high) = ([0; 8], [0; 8]);
    low.copy_from_slice(&bytes[..8]);
    high.copy_from_slice(&bytes[8..]);
    [u64::from_le_bytes(low), u64::from_le_bytes(high)]
}

/// The amount [`split`] wrote.
fn join(words: [u64; 2]) -> i128 {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&words[0].to_le_bytes());
    bytes[8..].copy_from_slice(&words[1].to_le_bytes());
    i128::from_le_bytes(bytes)
}

/// One account held by the engine.
#[derive(Debug, Clone)]
pub(crate) struct AccountState {
    pub spec: AccountSpec,
    pub account: Account,
    pub last: Option<Last>,
}

impl AccountState {
    /// A new account's state: nothing emitted for it yet.
    fn new(spec: AccountSpec, account: Account) -> AccountState {
        AccountState {
            spec,
            account,
            last: None,
        }
    }
}

/// The real-time recalibration engine (see the module documentation).
#[derive(Debug, Clone)]
pub struct MarginEngine {
    pub(crate) params: EngineParams,
    pub(crate) market: Option<Market>,
    pub(crate) accounts: BTreeMap<String, AccountState>,
    pub(crate) sequence: u64,
    /// The risk matrix's node values of the current market, shared by every account's
    /// recomputation (derived data, not state: a snapshot leaves it out, a restored engine
    /// starts without it, and reports are the same either way). An underlying's nodes are
    /// forgotten when its data moves, everything on a new market or a time advance.
    pub(crate) scenarios: ScenarioCache,
}

fn units(text: &str, field: &str) -> Result<i128> {
    text.parse()
        .map_err(|_| Error::invalid(field, format!("not an integer amount: {}", Quoted(text))))
}

/// Whether an underlying's new data keeps its volatility data (`vol`) as it is: then its
/// validated surface is shared, not rebuilt.
#[derive(Debug, Clone, Copy)]
enum SameVol {
    Yes,
    No,
}

impl MarginEngine {
    /// An engine with no market and no accounts.
    pub fn new(params: EngineParams) -> MarginEngine {
        MarginEngine {
            params,
            market: None,
            accounts: BTreeMap::new(),
            sequence: 0,
            scenarios: ScenarioCache::new(),
        }
    }

    /// The engine's parameters.
    pub fn params(&self) -> &EngineParams {
        &self.params
    }

    /// The current market, if one was set.
    pub fn market(&self) -> Option<&Market> {
        self.market.as_ref()
    }

    /// An account's current interchange form (positions and collateral after every event).
    pub fn account(&self, id: &str) -> Result<&AccountSpec> {
        self.accounts
            .get(id)
            .map(|a| &a.spec)
            .ok_or_else(|| unknown_account(id))
    }

    /// The ids of the accounts held, in order.
    pub fn account_ids(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// The number of updates emitted so far (the last sequence number).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The full margin report of an account in the current state.
    pub fn report(&self, id: &str) -> Result<MarginReport> {
        let state = self.accounts.get(id).ok_or_else(|| unknown_account(id))?;
        self.margin_of(self.require_market()?, &state.account)
    }

    /// The risk matrix's node cache the engine carries from event to event (read it for
    /// diagnostics, e.g. [`ScenarioCache::bounded_computations`]; it never changes a result).
    pub fn scenario_cache(&self) -> &ScenarioCache {
        &self.scenarios
    }

    /// Sets the market (as the `setMarket` event).
    pub fn set_market(&mut self, market: MarketSpec) -> Result<Vec<MarginUpdate>> {
        self.apply(Event::SetMarket(SetMarket { market }))
    }

    /// Adds or replaces an account (as the `upsertAccount` event).
    pub fn upsert_account(&mut self, id: &str, account: AccountSpec) -> Result<Vec<MarginUpdate>> {
        self.apply(Event::UpsertAccount(UpsertAccount {
            id: id.to_string(),
            account,
        }))
    }

    /// One account's full report (ids, warnings, the parameters' hash): the parameters were
    /// validated and hashed once, in `EngineParams::new`.
    fn margin_of(&self, market: &Market, account: &Account) -> Result<MarginReport> {
        margin_hashed(
            market,
            account,
            self.params.risk(),
            self.params.risk_hash(),
            true,
            Some(&self.scenarios),
        )
    }

    /// One account's figures for an event: the numbers of [`Self::margin_of`] (the same
    /// computation) without the position lines' ids, the per-asset and per-underlying detail,
    /// the warnings or the hash, which no update reads; natively also without the position
    /// lines, the amounts' decimal texts, the account's id or the margin asset's name
    /// ([`figures`] reads the amounts' integers, the parameters name the asset).
    fn totals_of(&self, market: &Market, account: &Account) -> Result<MarginReport> {
        #[cfg(not(target_arch = "wasm32"))]
        const DETAIL: Detail = Detail::Figures;
        #[cfg(target_arch = "wasm32")]
        const DETAIL: Detail = Detail::Summary;
        margin_detailed(
            market,
            account,
            self.params.risk(),
            "",
            true,
            DETAIL,
            Some(&self.scenarios),
        )
    }

    fn require_market(&self) -> Result<&Market> {
        self.market
            .as_ref()
            .ok_or_else(|| Error::missing("market", "no market set (send setMarket first)"))
    }

    /// Applies one event; returns the updates it causes (possibly none). Errors name the field
    /// relative to the event; the engine is then unchanged.
    pub fn apply(&mut self, event: Event) -> Result<Vec<MarginUpdate>> {
        event.validate()?;
        match event {
            Event::SetMarket(SetMarket { market }) => {
                let market = Market::new(market).map_err(|e| e.within("market"))?;
                for (id, state) in &self.accounts {
                    check_not_expired(&state.account, market.now())
                        .map_err(|e| e.within(&format!("accounts.{id}")))?;
                }
                let ids: Vec<String> = self.accounts.keys().cloned().collect();
                self.scenarios.clear();
                self.commit_market(market, ids)
            }
            Event::UpsertAccount(UpsertAccount { id, account }) => {
                if account.id.as_ref().is_some_and(|given| *given != id) {
                    return Err(Error::invalid("account.id", "differs from the event's id"));
                }
                let spec = AccountSpec {
                    id: Some(id.clone()),
                    ..account
                };
                let validated = Account::new(&spec).map_err(|e| e.within("account"))?;
                if let Some(market) = &self.market {
                    check_not_expired(&validated, market.now()).map_err(|e| e.within("account"))?;
                }
                self.commit_account(&id, spec, validated, true)
            }
            Event::RemoveAccount(RemoveAccount { id }) => {
                self.accounts
                    .remove(&id)
                    .ok_or_else(|| unknown_account(&id).with_field("id"))?;
                Ok(Vec::new())
            }
            Event::IndexUpdate(IndexUpdate {
                underlying,
                price,
                conf,
                publish_time,
            }) => {
                let market = self.require_market()?;
                let quote = IndexQuote {
                    price,
                    conf,
                    publish_time,
                };
                // Natively the quote is swapped in place ([`MarginEngine::update_index`]); the
                // `.wasm` replaces the underlying's data as a mark update does (the same
                // numbers: the carry is the one data of the underlying that follows the index),
                // since the in-place swap costs ≈ 1.7 KB gzip its size budget does not have.
                #[cfg(target_arch = "wasm32")]
                let mut spec = underlying_spec(market, &underlying)?;
                #[cfg(not(target_arch = "wasm32"))]
                let at = market
                    .underlying_at(&underlying)
                    .map_err(|e| e.with_field("underlying"))?;
                if publish_time > market.now() {
                    return Err(Error::invalid(
                        "publishTime",
                        format!("{publish_time} is after now ({})", market.now()),
                    ));
                }
                #[cfg(target_arch = "wasm32")]
                {
                    spec.index = quote;
                    self.update_underlying(&underlying, spec, SameVol::Yes)
                }
                #[cfg(not(target_arch = "wasm32"))]
                {
                    let data = market.index_data(&underlying, at, quote)?;
                    self.update_index(&underlying, data)
                }
            }
            Event::MarkUpdate(MarkUpdate { instrument, price }) => {
                let market = self.require_market()?;
                let resolved = instrument.resolve("instrument")?;
                if matches!(
                    resolved.contract,
                    crate::portfolio::ContractKind::Option { .. }
                ) {
                    return Err(Error::invalid(
                        "instrument",
                        "options are marked by implied volatility: send volUpdate with markIv",
                    ));
                }
                let mut spec = underlying_spec(market, &resolved.underlying)?;
                spec.marks.insert(resolved.id(), price);
                self.update_underlying(&resolved.underlying, spec, SameVol::Yes)
            }
            Event::VolUpdate(VolUpdate {
                underlying,
                vol,
                mark_iv,
            }) => {
                let market = self.require_market()?;
                let mut spec = underlying_spec(market, &underlying)?;
                if vol.is_some() {
                    spec.vol = vol;
                }
                spec.mark_iv
                    .extend(crate::market::canonical_mark_iv(&underlying, mark_iv)?);
                self.update_underlying(&underlying, spec, SameVol::No)
            }
            Event::Trade(Trade {
                account,
                instrument,
                size,
                price,
            }) => {
                let market = self.require_market()?;
                let state = self
                    .accounts
                    .get(&account)
                    .ok_or_else(|| unknown_account(&account).with_field("account"))?;
                let resolved = instrument.resolve("instrument")?;
                if resolved.expiry().is_some_and(|e| e <= market.now()) {
                    return Err(Error::invalid(
                        "instrument",
                        format!("{} has expired", resolved.id()),
                    ));
                }
                market
                    .underlying(&resolved.underlying)
                    .map_err(|e| e.with_field("instrument"))?;
                let mut spec = state.spec.clone();
                ledger::trade(
                    &mut spec,
                    &instrument,
                    &resolved,
                    size,
                    price,
                    market,
                    &self.params.risk().margin_asset,
                )?;
                let validated = Account::revalidated(&spec, &state.spec, &state.account)
                    .map_err(|e| e.within("account"))?;
                self.commit_account(&account, spec, validated, false)
            }
            Event::Deposit(Transfer {
                account,
                asset,
                amount,
            }) => self.transfer(&account, &asset, amount),
            Event::Withdrawal(Transfer {
                account,
                asset,
                amount,
            }) => self.withdraw(&account, &asset, amount),
            Event::CollateralPrice(CollateralPrice { asset, price }) => {
                let market = self.require_market()?;
                let mut moved = market.clone();
                moved.set_collateral_price(&asset, price).map_err(|e| {
                    if e.code() == "E_MISSING_MARKET_DATA" {
                        e.with_field("asset")
                    } else {
                        e.with_field("price")
                    }
                })?;
                // Who reads this price: the accounts holding the asset; every account when it is
                // the margin asset (every amount is converted at its price); portfolio accounts
                // when it is USDC (Derive's PMRM_2 reads the stablecoin's price).
                let margin_asset = asset == self.params.risk().margin_asset;
                let ids: Vec<String> = self
                    .accounts
                    .iter()
                    .filter(|(_, s)| {
                        margin_asset
                            || s.account.collateral.contains_key(&asset)
                            || (asset == "USDC" && s.account.mode == MarginMode::Portfolio)
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                self.commit_market(moved, ids)
            }
            Event::Funding(FundingPayment { underlying, rate }) => {
                let market = self.require_market()?;
                let data = market
                    .underlying(&underlying)
                    .map_err(|e| e.with_field("underlying"))?;
                let rate = match rate.or(data.spec().funding.map(|f| f.rate)) {
                    Some(r) => r,
                    None => {
                        return Err(Error::missing(
                            "rate",
                            format!("no rate given and no funding for {underlying} in the market"),
                        ))
                    }
                };
                let mut changed = Vec::new();
                for (id, state) in &self.accounts {
                    let mut spec = state.spec.clone();
                    if ledger::funding(
                        &mut spec,
                        &underlying,
                        rate,
                        market,
                        &self.params.risk().margin_asset,
                    )
                    .map_err(|e| e.within(&format!("accounts.{id}")))?
                    {
                        let validated = Account::revalidated(&spec, &state.spec, &state.account)
                            .map_err(|e| e.within(&format!("accounts.{id}")))?;
                        changed.push((id.clone(), spec, validated));
                    }
                }
                self.commit_accounts(changed)
            }
            Event::TimeAdvance(TimeAdvance { now, index }) => self.advance(now, &index),
            Event::FeedConfidence(update) => self.feed_confidence(&update),
        }
    }

    /// New feed confidence scores (validated by [`Event::validate`]): every listed underlying and
    /// collateral asset must be in the market (`E_INVALID_INPUT`, `underlyings.<name>` /
    /// `collateral.<asset>`: a score for a feed the market does not have is most likely a
    /// misspelt symbol, and nothing would read it), then the scores merge into the market's.
    ///
    /// Who reads a score: only Derive's models (`standard.derive` for cross and isolated
    /// accounts, `portfolio.derive` for portfolio accounts; `crate::margin::derive_standard`,
    /// `crate::margin::derive_portfolio`), for an account holding a position on a listed
    /// underlying, holding a listed collateral asset or one named as a listed underlying (its
    /// spot score caps the asset's), or (PMRM_2) holding no position at all when any underlying
    /// is listed (the collateral then takes the lowest listed spot score). Those accounts are
    /// recomputed; an update listing nothing changes nothing.
    fn feed_confidence(&mut self, update: &FeedConfidenceUpdate) -> Result<Vec<MarginUpdate>> {
        let market = self.require_market()?;
        for name in update.underlyings.keys() {
            if market.underlying(name).is_err() {
                return Err(Error::missing(
                    format!("underlyings.{name}"),
                    "no such underlying in the market",
                ));
            }
        }
        for asset in update.collateral.keys() {
            if market.collateral(asset).is_err() {
                return Err(Error::missing(
                    format!("collateral.{asset}"),
                    "no such collateral asset in the market",
                ));
            }
        }
        if update.is_empty() {
            return Ok(Vec::new());
        }
        let mut next = market.clone();
        next.merge_feed_confidence(update)?;
        let risk = self.params.risk();
        let (standard, portfolio) = (
            risk.standard.derive.is_some(),
            risk.portfolio.derive.is_some(),
        );
        let listed = |name: &str| update.underlyings.contains_key(name);
        let ids: Vec<String> = self
            .accounts
            .iter()
            .filter(|(_, s)| {
                let account = &s.account;
                let reads = match account.mode {
                    MarginMode::Cross | MarginMode::Isolated => standard,
                    MarginMode::Portfolio => portfolio,
                };
                reads
                    && (account
                        .positions
                        .iter()
                        .any(|p| listed(&p.instrument.underlying))
                        || account
                            .collateral
                            .keys()
                            .any(|a| listed(a) || update.collateral.contains_key(a))
                        || (account.mode == MarginMode::Portfolio
                            && account.positions.is_empty()
                            && !update.underlyings.is_empty()))
            })
            .map(|(id, _)| id.clone())
            .collect();
        self.commit_market(next, ids)
    }

    fn transfer(&mut self, account: &str, asset: &str, amount: f64) -> Result<Vec<MarginUpdate>> {
        let state = self
            .accounts
            .get(account)
            .ok_or_else(|| unknown_account(account).with_field("account"))?;
        let mut spec = state.spec.clone();
        ledger::transfer(&mut spec, asset, amount)?;
        let validated = Account::revalidated(&spec, &state.spec, &state.account)
            .map_err(|e| e.within("account"))?;
        self.commit_account(account, spec, validated, false)
    }

    /// A withdrawal: refused with `E_INSUFFICIENT_MARGIN` (field `amount`) when it would leave
    /// the account's free collateral (equity − initial margin, exact base units) below 0, and
    /// with `E_MISSING_MARKET_DATA` (`market`) before a market is set, when it cannot be checked.
    fn withdraw(&mut self, account: &str, asset: &str, amount: f64) -> Result<Vec<MarginUpdate>> {
        let state = self
            .accounts
            .get(account)
            .ok_or_else(|| unknown_account(account).with_field("account"))?;
        let market = self.market.as_ref().ok_or_else(|| {
            Error::missing(
                "market",
                "a withdrawal is checked against the initial margin: send setMarket first",
            )
        })?;
        let mut spec = state.spec.clone();
        ledger::transfer(&mut spec, asset, -amount)?;
        let validated = Account::revalidated(&spec, &state.spec, &state.account)
            .map_err(|e| e.within("account"))?;
        let report = self
            .totals_of(market, &validated)
            .map_err(|e| e.within(&format!("accounts.{account}")))?;
        let decimals = market
            .collateral(&self.params.risk().margin_asset)?
            .decimals;
        if base_units(
            report.free_collateral.value,
            decimals,
            Rounding::Down,
            "freeCollateral",
        )? < 0
        {
            return Err(ErrorKind::InsufficientMargin {
                field: "amount".into(),
                reason: format!(
                    "withdrawing {amount} {asset} would leave free collateral {} {} \
                     (equity {} − initial margin {})",
                    crate::numfmt::Shortest(report.free_collateral.value),
                    self.params.risk().margin_asset,
                    crate::numfmt::Shortest(report.equity.value),
                    crate::numfmt::Shortest(report.initial_margin.value),
                    amount = crate::numfmt::Shortest(amount),
                ),
            }
            .into());
        }
        let reports = vec![(account.to_string(), report, false)];
        self.commit_reported(account, spec, validated, reports)
    }

    /// Replaces one underlying's data and recomputes the accounts that hold a position on it.
    fn update_underlying(
        &mut self,
        underlying: &str,
        spec: crate::market::UnderlyingSpec,
        vol: SameVol,
    ) -> Result<Vec<MarginUpdate>> {
        let Some(market) = self.market.as_mut() else {
            return Err(Error::missing("market", "no market set"));
        };
        // Kept for a rollback: the validated underlying itself (no copy of its data).
        let previous = market
            .underlying_shared(underlying)
            .map_err(|e| e.with_field("underlying"))?
            .clone();
        match vol {
            SameVol::Yes => market.replace_underlying_prices(underlying, spec)?,
            SameVol::No => market.replace_underlying(underlying, spec)?,
        }
        self.scenarios.forget_underlying(underlying);
        self.recompute_holders(underlying, |market| {
            market.restore_underlying(underlying, previous);
        })
    }

    /// Installs one underlying's new index quote (validated: [`Market::index_data`]) and
    /// recomputes the accounts that hold a position on it. Native only (see the index update in
    /// [`MarginEngine::apply`]).
    #[cfg(not(target_arch = "wasm32"))]
    fn update_index(&mut self, underlying: &str, data: IndexData) -> Result<Vec<MarginUpdate>> {
        // Forgotten first: the cache holding the underlying would make the swap copy it.
        self.scenarios.forget_underlying(underlying);
        let Some(market) = self.market.as_mut() else {
            return Err(Error::missing("market", "no market set"));
        };
        let previous = market.swap_index(data);
        self.recompute_holders(underlying, |market| {
            market.swap_index(previous);
        })
    }

    /// Recomputes the accounts holding a position on `underlying`, whose data just moved (its
    /// cached values already forgotten), and emits their updates; on error `rollback` puts the
    /// previous data back (it was valid at this same `now`).
    fn recompute_holders(
        &mut self,
        underlying: &str,
        rollback: impl FnOnce(&mut Market),
    ) -> Result<Vec<MarginUpdate>> {
        let holds = |state: &AccountState| {
            state
                .account
                .positions
                .iter()
                .any(|p| p.instrument.underlying == underlying)
        };
        let mut holders = self.accounts.iter().filter(|(_, state)| holds(state));
        // Whether more than one account shares the underlying's values is known before any is
        // computed: the first two holders are found first, then the scan goes on from there
        // (one scan of the accounts in all, and no list of the holders).
        let first = holders.next();
        let second = holders.next();
        if second.is_some() {
            self.scenarios.shared_next(underlying);
        }
        match self.holders_candidates(first.into_iter().chain(second).chain(holders)) {
            Ok((decimals, candidates)) => self.publish(decimals, candidates),
            Err(e) => {
                self.scenarios.forget_underlying(underlying);
                if let Some(market) = self.market.as_mut() {
                    rollback(market);
                }
                Err(e)
            }
        }
    }

    /// The updates that the accounts `holders` call for against the current market (each
    /// account's report is read and dropped at once: no id is copied for an account that emits
    /// nothing), with the margin asset's decimals.
    fn holders_candidates<'a>(
        &self,
        holders: impl Iterator<Item = (&'a String, &'a AccountState)>,
    ) -> Result<(u8, Vec<Candidate>)> {
        let mut candidates = Vec::new();
        let Some(market) = self.market.as_ref() else {
            return Ok((0, candidates));
        };
        // An error once the reports are computed (as `emit`'s), even with no account to compute.
        let decimals = market
            .collateral(&self.params.risk().margin_asset)
            .map(|asset| asset.decimals);
        for (id, state) in holders {
            let report = self
                .totals_of(market, &state.account)
                .map_err(|e| e.within(&format!("accounts.{id}")))?;
            let decimals = decimals.clone()?;
            candidates.extend(self.candidate(decimals, id, &report, state.last.as_ref())?);
        }
        Ok((decimals?, candidates))
    }

    /// Reports of `ids` against the current market; `replacement` stands in for one account.
    fn compute(
        &self,
        ids: Vec<String>,
        replacement: Option<(&str, &Account)>,
    ) -> Result<Vec<(String, MarginReport, bool)>> {
        let Some(market) = self.market.as_ref() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let account = match replacement {
                Some((r, account)) if r == id => account,
                _ => match self.accounts.get(&id) {
                    Some(state) => &state.account,
                    None => continue,
                },
            };
            let report = self
                .totals_of(market, account)
                .map_err(|e| e.within(&format!("accounts.{id}")))?;
            out.push((id, report, false));
        }
        Ok(out)
    }

    fn commit_market(&mut self, market: Market, ids: Vec<String>) -> Result<Vec<MarginUpdate>> {
        let previous = self.market.replace(market);
        match self.compute(ids, None) {
            Ok(reports) => self.emit(reports),
            Err(e) => {
                self.market = previous;
                Err(e)
            }
        }
    }

    fn commit_account(
        &mut self,
        id: &str,
        spec: AccountSpec,
        account: Account,
        first: bool,
    ) -> Result<Vec<MarginUpdate>> {
        let mut reports = self.compute(vec![id.to_string()], Some((id, &account)))?;
        for r in &mut reports {
            r.2 = first;
        }
        if first {
            self.accounts
                .insert(id.to_string(), AccountState::new(spec, account));
            return self.emit(reports);
        }
        self.commit_reported(id, spec, account, reports)
    }

    /// Commits a changed existing account whose reports are already computed.
    fn commit_reported(
        &mut self,
        id: &str,
        spec: AccountSpec,
        account: Account,
        reports: Vec<(String, MarginReport, bool)>,
    ) -> Result<Vec<MarginUpdate>> {
        // Replaced in place: the account keeps its last emitted update.
        match self.accounts.get_mut(id) {
            Some(state) => {
                state.spec = spec;
                state.account = account;
            }
            None => {
                self.accounts
                    .insert(id.to_string(), AccountState::new(spec, account));
            }
        }
        self.emit(reports)
    }

    /// Recomputes the `changed` accounts (id, new spec, its validated account; in id order) and
    /// stores them.
    fn commit_accounts(
        &mut self,
        changed: Vec<(String, AccountSpec, Account)>,
    ) -> Result<Vec<MarginUpdate>> {
        let mut reports = Vec::with_capacity(changed.len());
        if let Some(market) = self.market.as_ref() {
            for (id, _, account) in &changed {
                let report = self
                    .totals_of(market, account)
                    .map_err(|e| e.within(&format!("accounts.{id}")))?;
                reports.push((id.clone(), report, false));
            }
        }
        self.store_accounts(changed);
        self.emit(reports)
    }

    /// Replaces the accounts in `changed` (id, spec, validated account).
    fn store_accounts(&mut self, changed: Vec<(String, AccountSpec, Account)>) {
        for (id, spec, account) in changed {
            if let Some(state) = self.accounts.get_mut(&id) {
                state.spec = spec;
                state.account = account;
            }
        }
    }

    /// Time advance: move `now`, apply the quotes given with it, drop expired forwards and vol
    /// slices, settle expired legs at the (new) index, recompute every account.
    fn advance(
        &mut self,
        now: Millis,
        index: &VecMap<String, super::event::SettlementQuote>,
    ) -> Result<Vec<MarginUpdate>> {
        let market = self.require_market()?;
        if now < market.now() {
            return Err(Error::invalid(
                "now",
                format!("{now} is before the current time {}", market.now()),
            ));
        }
        let mut next = market.spec();
        next.now = now;
        for (name, quote) in index {
            let u = next.underlyings.get_mut(name).ok_or_else(|| {
                Error::missing(format!("index.{name}"), "no such underlying in the market")
            })?;
            u.index = IndexQuote {
                price: quote.price,
                conf: quote.conf,
                publish_time: now,
            };
        }
        // Expired expiries leave the market with their feed scores: nothing reads a score of an
        // expiry that has no forward or vol left, and a snapshot should not carry it.
        if let Some(scores) = next.feed_confidence.as_mut() {
            for u in scores.underlyings.values_mut() {
                u.expiries.retain(|e| e.expiry > now);
            }
        }
        for u in next.underlyings.values_mut() {
            u.forwards.retain(|f| f.expiry > now);
            if let Some(vol) = u.vol.as_mut() {
                vol.slices.retain(|s| s.expiry() > now);
                if vol.slices.is_empty() {
                    u.vol = None;
                }
            }
        }
        let next = Market::new(next).map_err(|e| e.within("market"))?;
        // Every node's time to expiry moved.
        self.scenarios.clear();
        // In id order, as `self.accounts` iterates (a `Vec`, not a map: one map type less in the
        // .wasm, and the pass below walks both in step).
        let mut changed = Vec::new();
        for (id, state) in &self.accounts {
            let mut spec = state.spec.clone();
            if ledger::settle_expired(&mut spec, now, &next, &self.params.risk().margin_asset)
                .map_err(|e| e.within(&format!("accounts.{id}")))?
            {
                let validated = Account::revalidated(&spec, &state.spec, &state.account)
                    .map_err(|e| e.within(&format!("accounts.{id}")))?;
                changed.push((id.clone(), spec, validated));
            }
        }
        let mut reports = Vec::with_capacity(self.accounts.len());
        let mut settled = changed.iter().peekable();
        for (id, state) in &self.accounts {
            let account = settled
                .next_if(|(settled_id, _, _)| settled_id == id)
                .map_or(&state.account, |(_, _, a)| a);
            let report = self
                .totals_of(&next, account)
                .map_err(|e| e.within(&format!("accounts.{id}")))?;
            reports.push((id.clone(), report, false));
        }
        self.market = Some(next);
        self.store_accounts(changed);
        self.emit(reports)
    }

    /// Turns fresh reports into updates where thresholds or levels say so, and records them.
    fn emit(&mut self, reports: Vec<(String, MarginReport, bool)>) -> Result<Vec<MarginUpdate>> {
        let Some(market) = self.market.as_ref() else {
            return Ok(Vec::new());
        };
        let decimals = market
            .collateral(&self.params.risk().margin_asset)?
            .decimals;
        let mut candidates = Vec::new();
        for (id, report, first) in &reports {
            let last = if *first {
                None
            } else {
                self.accounts.get(id).and_then(|s| s.last.as_ref())
            };
            candidates.extend(self.candidate(decimals, id, report, last)?);
        }
        self.publish(decimals, candidates)
    }

    /// The update a fresh `report` of account `id` calls for against what was `last` emitted
    /// for it, if any (`decimals`: the margin asset's).
    fn candidate(
        &self,
        decimals: u8,
        id: &str,
        report: &MarginReport,
        last: Option<&Last>,
    ) -> Result<Option<Candidate>> {
        let config = self.params.config();
        let (initial, maintenance, equity) = figures(report, decimals)?;
        let level = level_of(config, equity, maintenance);
        let reason = match last {
            None => Some(UpdateReason::First),
            Some(last) if last.emitted.level != level => Some(UpdateReason::LevelCrossing),
            Some(last) => {
                let absolute = absolute_threshold(config, decimals);
                (moved(config, absolute, join(last.initial_margin), initial)
                    || moved(config, absolute, join(last.maintenance_margin), maintenance))
                .then_some(UpdateReason::Threshold)
            }
        };
        Ok(reason.map(|reason| Candidate {
            id: id.to_string(),
            reason,
            initial,
            maintenance,
            equity,
            health: report.health,
            level,
        }))
    }

    /// Emits the `candidates` (in order, numbered from the next sequence number) and records
    /// them as their accounts' last updates (`decimals`: the margin asset's, looked up by the
    /// caller).
    fn publish(&mut self, decimals: u8, candidates: Vec<Candidate>) -> Result<Vec<MarginUpdate>> {
        // Nothing to emit (most events): no market lookup.
        let Some(market) = self.market.as_ref().filter(|_| !candidates.is_empty()) else {
            return Ok(Vec::new());
        };
        let mut updates = Vec::with_capacity(candidates.len());
        let mut sequence = self.sequence;
        for c in &candidates {
            sequence += 1;
            updates.push(MarginUpdate::new(&UpdateFields {
                account: &c.id,
                sequence,
                timestamp: market.now(),
                reason: c.reason,
                margin_asset: &self.params.risk().margin_asset,
                decimals,
                initial_margin: c.initial,
                maintenance_margin: c.maintenance,
                equity: c.equity,
                health: c.health,
                level: c.level,
                params_hash: self.params.risk_hash(),
            })?);
        }
        self.sequence = sequence;
        for c in candidates {
            if let Some(state) = self.accounts.get_mut(&c.id) {
                state.last = Some(Last {
                    emitted: Emitted {
                        initial_margin: c.initial.to_string(),
                        maintenance_margin: c.maintenance.to_string(),
                        level: c.level,
                    },
                    initial_margin: split(c.initial),
                    maintenance_margin: split(c.maintenance),
                });
            }
        }
        Ok(updates)
    }

    /// Replaces the engine configuration (thresholds and levels), keeping the state.
    pub fn set_config(&mut self, config: EngineConfig) -> Result<()> {
        self.params.set_config(config)
    }
}

/// An update an account's fresh report calls for, before it is numbered and encoded.
struct Candidate {
    id: String,
    reason: UpdateReason,
    /// Initial margin, maintenance margin and equity, base units.
    initial: i128,
    maintenance: i128,
    equity: i128,
    health: Option<f64>,
    level: HealthLevel,
}

/// A report's initial margin, maintenance margin and equity in base units (of the margin asset,
/// with `decimals`): the integers its `Money` amounts carry — kept by the report when it left
/// their texts out ([`MarginEngine::totals_of`], natively), else derived from their values as
/// the report derived them.
fn figures(report: &MarginReport, decimals: u8) -> Result<(i128, i128, i128)> {
    // Natively the report carries them (converted once, as it checked its amounts).
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(units) = report.base_units {
        return Ok((units.initial_margin, units.maintenance_margin, units.equity));
    }
    Ok((
        base_units(
            report.initial_margin.value,
            decimals,
            Rounding::Up,
            "initialMargin",
        )?,
        base_units(
            report.maintenance_margin.value,
            decimals,
            Rounding::Up,
            "maintenanceMargin",
        )?,
        base_units(report.equity.value, decimals, Rounding::Down, "equity")?,
    ))
}

/// The health level of `equity` against `maintenance` (base units).
pub(crate) fn level_of(config: &EngineConfig, equity: i128, maintenance: i128) -> HealthLevel {
    let (e, m) = (to_f64(equity), to_f64(maintenance));
    if e < config.liquidatable_health * m || (maintenance == 0 && equity < 0) {
        HealthLevel::Liquidatable
    } else if e < config.warning_health * m {
        HealthLevel::Warning
    } else {
        HealthLevel::Healthy
    }
}

/// The configured absolute threshold in base units of an asset with `decimals` decimals: worked
/// out once per account, not once per requirement compared.
pub(crate) fn absolute_threshold(config: &EngineConfig, decimals: u8) -> f64 {
    config.absolute_threshold * crate::math::pow10(decimals)
}

/// Whether a requirement moved from `before` to `now` by more than the configured threshold
/// (`absolute`: [`absolute_threshold`] in the requirement's base units).
pub(crate) fn moved(config: &EngineConfig, absolute: f64, before: i128, now: i128) -> bool {
    let (delta, reference) = (to_f64((now - before).abs()), to_f64(before.abs()));
    delta > crate::math::max(absolute, config.relative_threshold * reference)
}

/// `amount` as the nearest `f64` (as `amount as f64`), through `i64` where it fits (amounts
/// always do in practice): converting an `i128` is a library call several times slower.
#[allow(clippy::cast_precision_loss)] // a comparison of amounts, not an amount
fn to_f64(amount: i128) -> f64 {
    match i64::try_from(amount) {
        Ok(small) => small as f64,
        Err(_) => wide_to_f64(amount),
    }
}

/// `amount as f64` out of line: inline, the compiler would convert every amount that way
/// first (the conversion has no side effects) and only then pick the `i64` one where it fits.
#[cold]
#[inline(never)]
#[allow(clippy::cast_precision_loss)] // a comparison of amounts, not an amount
fn wide_to_f64(amount: i128) -> f64 {
    amount as f64
}

fn unknown_account(id: &str) -> Error {
    Error::invalid("account", format!("unknown account {}", Quoted(id)))
}

fn underlying_spec(market: &Market, name: &str) -> Result<crate::market::UnderlyingSpec> {
    market
        .underlying(name)
        .map(|u| u.spec().clone())
        .map_err(|e| e.with_field("underlying"))
}

/// No leg of `account` may be expired at `now`: expired legs are settled, never valued as live.
fn check_not_expired(account: &Account, now: Millis) -> Result<()> {
    for (i, p) in account.positions.iter().enumerate() {
        if p.instrument.expiry().is_some_and(|e| e <= now) {
            return Err(Error::invalid(
                format!("positions[{i}].instrument"),
                format!("{} expired at or before now ({now})", p.id),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{join, split, to_f64};

    #[test]
    #[allow(clippy::cast_precision_loss)]
    fn amounts_convert_as_i128_casts_do() {
        let big = 1_i128 << 80;
        for amount in [
            0,
            -1,
            (1 << 53) + 1,
            -(1 << 60) - 3,
            i128::from(i64::MAX),
            i128::from(i64::MIN),
            i128::from(i64::MAX) + 1,
            big + 12_345,
            -big,
            i128::MAX,
            i128::MIN,
        ] {
            assert_eq!(to_f64(amount).to_bits(), (amount as f64).to_bits());
        }
    }

    #[test]
    fn split_amounts_join_back() {
        for amount in [
            0,
            1,
            -1,
            i128::from(i64::MIN) - 7,
            10_i128.pow(36),
            i128::MIN,
            i128::MAX,
        ] {
            assert_eq!(join(split(amount)), amount);
        }
    }
}
