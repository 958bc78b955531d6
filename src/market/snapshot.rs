//! The market snapshot a margin computation values against, at one instant `now` (ms).
//!
//! Per underlying: the oracle index quote (price, confidence, publish time), the discount rate,
//! forwards per expiry, mark prices of perpetuals/futures, perpetual funding, the volatility
//! surface and per-instrument mark IVs, order-book depth and open interest. Plus collateral asset prices and
//! protocol risk flags. Parsing validates everything once ([`Market::new`]); afterwards the
//! accessors return validated quantities or a coded error naming the missing datum.
//!
//! Never reads the clock (`now` is an input) and never holds positions.

use super::feed_confidence::{FeedConfidence, FeedConfidenceUpdate};
use super::vol_surface::{VolSurface, VolSurfaceSpec};
use crate::error::{Error, Result};
use crate::math::{exp, ln};
use crate::portfolio::{ContractKind, Instrument, Millis};
use crate::units::{named_on_error, Price, Vol, YearFrac};
use crate::vec_map::VecMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An oracle price with its confidence interval and publish time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndexQuote {
    /// Index price (quote currency per unit of underlying).
    pub price: f64,
    /// Confidence half-width in the same units (Pyth-style); 0 if the oracle publishes none.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub conf: f64,
    /// When the oracle published this price (ms since the Unix epoch), ≤ `now`.
    pub publish_time: Millis,
}

/// A forward price for one expiry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForwardQuote {
    /// Expiry (ms since the Unix epoch).
    pub expiry: Millis,
    /// Forward price for that expiry.
    pub price: f64,
    /// Discount rate to that expiry (continuously compounded, decimal), when the venue quotes
    /// one per expiry (Derive's interest-rate feed). Options of other expiries take the rate
    /// interpolated linearly in T between the listed ones (held flat outside them); with no
    /// forward carrying a rate, every expiry discounts at the underlying's `rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: Option<f64>,
}

/// Perpetual funding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Funding {
    /// Funding rate per interval as a decimal (longs pay shorts when positive).
    pub rate: f64,
    /// Funding interval in ms (e.g. 28,800,000 for 8 hours).
    pub interval_ms: i64,
}

/// Order-book depth: price levels as `[price, size]` pairs, best first.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Depth {
    /// Bids, highest price first.
    pub bids: Vec<[f64; 2]>,
    /// Asks, lowest price first.
    pub asks: Vec<[f64; 2]>,
}

/// Market data of one underlying.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnderlyingSpec {
    /// The oracle index quote.
    pub index: IndexQuote,
    /// Continuously-compounded discount rate (decimal); default 0. Per-expiry rates on the
    /// `forwards` take precedence for option discounting ([`ForwardQuote::rate`]).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: f64,
    /// Forward prices by expiry. Between listed expiries the carry ln(F/S)/T is interpolated
    /// linearly in T; outside them it is held at the nearest one's; with none, F = S·e^{rT}.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub forwards: Vec<ForwardQuote>,
    /// Mark prices of perpetuals and futures by instrument id (quote currency).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub marks: BTreeMap<String, f64>,
    /// Perpetual funding, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub funding: Option<Funding>,
    /// The implied-volatility surface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub vol: Option<VolSurfaceSpec>,
    /// Mark implied vols by option id; these take precedence over the surface.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mark_iv: BTreeMap<String, f64>,
    /// Order-book depth of the underlying's main market (for liquidity charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub depth: Option<Depth>,
    /// Open interest of the underlying's perpetual/futures market in USD (dYdX's open-interest
    /// IMF). When given it replaces the parameters' `openInterest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub open_interest: Option<f64>,
}

/// A collateral asset's price and precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollateralQuote {
    /// Price in the quote currency (USD).
    pub price: f64,
    /// Decimals of the asset's base unit (USDC 6, BTC 8, ETH 18).
    pub decimals: u8,
}

/// A protocol risk flag that raises requirements (see the margin parameters' flag table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RiskFlag {
    /// `governanceVote`, `contractUpgrade`, `depeg`, or a custom name the parameters know.
    pub kind: String,
    /// The underlying or collateral asset it concerns; absent = the whole protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub scope: Option<String>,
}

/// The interchange shape of a market snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketSpec {
    /// Valuation time (ms since the Unix epoch).
    pub now: Millis,
    /// Market data per underlying symbol.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, UnderlyingSpec>"))]
    pub underlyings: VecMap<String, UnderlyingSpec>,
    /// Collateral assets by symbol.
    #[serde(default)]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, CollateralQuote>")
    )]
    pub collateral: VecMap<String, CollateralQuote>,
    /// Active protocol risk flags.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub flags: Vec<RiskFlag>,
    /// Oracle feed confidence scores in [0, 1] (Derive's feeds; read by the Derive PMRM_2
    /// confidence contingency); absent = every feed fully confident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub feed_confidence: Option<FeedConfidence>,
}

/// A validated underlying.
#[derive(Debug, Clone)]
pub struct Underlying {
    spec: UnderlyingSpec,
    /// Shared: a market with only prices moved keeps the validated surface.
    surface: Option<Arc<VolSurface>>,
    /// (T in years, carry ln(F/S)/T), sorted by T.
    carry: Vec<(f64, f64)>,
    /// (T in years, discount rate) of the forwards that quote one, sorted by T.
    rates: Vec<(f64, f64)>,
    /// Vols pinned for moves of this underlying (see [`PinnedVols`]); shared by every market
    /// moved from the one they were pinned in.
    pinned: Option<Arc<PinnedVols>>,
}

/// Option vols held fixed while the underlying moves (the liquidation solver's sticky strike,
/// [`crate::liquidation::Shifter`]): by expiry and strike (bits), sorted. Consulted after the
/// snapshot's own `markIv` and before the surface. Numbers, not instrument ids, are the key: the
/// surface's vol is a function of strike and expiry alone at a given forward, and comparing
/// numbers is cheaper than ids that share long prefixes (every trial market of the solver looks
/// each option up).
#[derive(Debug)]
pub(crate) struct PinnedVols(Vec<((Millis, u64), Vol)>);

impl PinnedVols {
    /// The table of `pins` (a key given twice keeps its first vol).
    pub(crate) fn new(mut pins: Vec<((Millis, u64), Vol)>) -> PinnedVols {
        crate::sort::insertion_sort_by(&mut pins, |a, b| a.0 > b.0);
        pins.dedup_by_key(|(key, _)| *key);
        PinnedVols(pins)
    }

    fn get(&self, expiry: Millis, strike: f64) -> Option<Vol> {
        let key = (expiry, strike.to_bits());
        self.0
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, vol)| *vol)
    }
}

/// An underlying's validated index quote ([`Market::index_data`]): installing it
/// ([`Market::swap_index`]) recomputes the forwards' carry at its price, so swapping the previous
/// one back restores the same carry.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub(crate) struct IndexData {
    index: IndexQuote,
    /// Where the market holds the underlying ([`Market::underlying_at`]).
    at: UnderlyingAt,
}

/// Where a market holds an underlying: its place among the market's underlyings, found once by
/// [`Market::underlying_at`] so that installing an index quote needs no second search by name.
/// Valid for that market while its set of underlyings stays the same.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnderlyingAt(usize);

/// A validated market snapshot.
///
/// Each underlying is validated once and shared (`Arc`): a market with one underlying's prices
/// moved (the liquidation solver's and what-if's shifted markets, the engine's updates) copies
/// only that one, and each underlying keeps its own interchange data, so the snapshot's
/// `underlyings` are not held twice.
#[derive(Debug, Clone)]
pub struct Market {
    /// The snapshot's data but its `underlyings` (empty here; see [`Market::spec`]), shared:
    /// a market with one underlying moved copies no collateral or flags unless it moves a
    /// collateral price.
    spec: Arc<MarketSpec>,
    underlyings: Underlyings,
}

/// The validated underlyings by name, in name order: a short list (a market has a few),
/// looked up by length then bytes, which is cheaper than ordered comparisons, above all in
/// wasm32 where `memcmp` is a byte loop. Every position's valuation looks its underlying up.
#[derive(Debug, Clone, Default)]
struct Underlyings(VecMap<String, Arc<Underlying>>);

impl Underlyings {
    #[inline]
    fn get(&self, name: &str) -> Option<&Arc<Underlying>> {
        self.0
            .as_slice()
            .iter()
            .find(|(n, _)| n.len() == name.len() && crate::bytes::same_text(n, name))
            .map(|(_, u)| u)
    }

    /// The place of `name` (looked up as [`Underlyings::get`] looks it up).
    #[cfg(not(target_arch = "wasm32"))]
    fn position(&self, name: &str) -> Option<usize> {
        self.0
            .as_slice()
            .iter()
            .position(|(n, _)| n.len() == name.len() && crate::bytes::same_text(n, name))
    }

    /// The underlying at place `at` ([`Underlyings::position`]), to change.
    #[cfg(not(target_arch = "wasm32"))]
    fn at_mut(&mut self, at: usize) -> Option<&mut Arc<Underlying>> {
        self.0.iter_mut().nth(at).map(|(_, u)| u)
    }

    /// Adds `name`, or replaces its data.
    fn insert(&mut self, name: &str, underlying: Arc<Underlying>) {
        self.0.insert(name.to_string(), underlying);
    }

    fn iter(&self) -> impl Iterator<Item = &(String, Arc<Underlying>)> {
        self.0.as_slice().iter()
    }
}

fn positive(value: f64, field: &str) -> Result<f64> {
    Price::new(value, field).map(Price::get)
}

/// [`positive`] with the field path formatted only on error (the engine revalidates an
/// underlying on every mark update, the liquidation solver on every trial market: a path per
/// mark would be most of that work).
fn positive_at(value: f64, field: impl FnOnce() -> String) -> Result<f64> {
    named_on_error(|f| positive(value, f), field)
}

/// Validates an underlying's index quote at `now` (field paths `underlyings.<name>.index.…`);
/// its price (the spot) if valid.
fn checked_index(name: &str, index: &IndexQuote, now: Millis) -> Result<f64> {
    let at = |f: &str| format!("underlyings.{name}.{f}");
    let spot = positive_at(index.price, || at("index.price"))?;
    if !(index.conf.is_finite() && index.conf >= 0.0 && index.conf <= spot) {
        return Err(Error::invalid(
            at("index.conf"),
            format!(
                "must be a finite number in [0, index.price = {spot}] (an interval wider than the price means no price), got {}",
                crate::numfmt::Shortest(index.conf),
                spot = crate::numfmt::Shortest(spot),
            ),
        ));
    }
    named_on_error(
        |f| crate::units::timestamp(index.publish_time, f),
        || at("index.publishTime"),
    )?;
    if index.publish_time > now {
        return Err(Error::invalid(
            at("index.publishTime"),
            format!("{} is after now ({now})", index.publish_time),
        ));
    }
    Ok(spot)
}

/// Points (T in years, value), sorted by T.
type Curve = Vec<(f64, f64)>;

/// The validated forwards' curves at index price `spot`: (T, carry ln(F/S)/T) and (T, discount
/// rate) of those that quote one, each sorted by T (field paths `underlyings.<name>.forwards…`).
fn forward_curves(
    name: &str,
    forwards: &[ForwardQuote],
    spot: f64,
    now: Millis,
) -> Result<(Curve, Curve)> {
    let at = |f: &str| format!("underlyings.{name}.{f}");
    let mut carry = Vec::with_capacity(forwards.len());
    let mut rates = Vec::new();
    for (i, f) in forwards.iter().enumerate() {
        let price = positive_at(f.price, || at(&format!("forwards[{i}].price")))?;
        let t = year_fraction(now, f.expiry)
            .map_err(|e| e.with_field(at(&format!("forwards[{i}].expiry"))))?;
        carry.push(carry_point(t, price, spot));
        if let Some(rate) = f.rate {
            crate::units::Rate::new(rate, &at(&format!("forwards[{i}].rate")))?;
            rates.push((t, rate));
        }
    }
    // One expiry per forward: short lists, usually listed in order already.
    crate::sort::insertion_sort_by(&mut carry, later);
    crate::sort::insertion_sort_by(&mut rates, later);
    Ok((carry, rates))
}

/// A forward's carry point: (T, ln(F/S)/T) of price `price` at `t` years, index price `spot`.
#[inline]
fn carry_point(t: f64, price: f64, spot: f64) -> (f64, f64) {
    (t, ln(price / spot) / t)
}

impl Underlying {
    /// Recomputes `carry` at the current index price, in place, from the forwards validated at
    /// `now` (by [`Underlying::build_with`]): the points [`forward_curves`] computes, by the same
    /// operations in the same order, without validating the forwards again or allocating.
    #[cfg(not(target_arch = "wasm32"))]
    fn refresh_carry(&mut self, now: Millis) {
        let spot = self.spec.index.price;
        self.carry.clear();
        for f in &self.spec.forwards {
            self.carry
                .push(carry_point(years_between(now, f.expiry), f.price, spot));
        }
        crate::sort::insertion_sort_by(&mut self.carry, later);
    }

    /// Validates one underlying's data at valuation time `now` (field paths
    /// `underlyings.<name>.…`).
    fn build(name: &str, u: UnderlyingSpec, now: Millis) -> Result<Underlying> {
        Underlying::build_with(name, u, now, None)
    }

    /// [`Underlying::build`]; with `surface` given, it is taken as the already validated surface
    /// of `u.vol` instead of being rebuilt (the caller guarantees `u.vol` is what it was built
    /// from). `u` is kept (not copied) when it is valid.
    fn build_with(
        name: &str,
        u: UnderlyingSpec,
        now: Millis,
        surface: Option<Arc<VolSurface>>,
    ) -> Result<Underlying> {
        let at = |f: &str| format!("underlyings.{name}.{f}");
        let spot = checked_index(name, &u.index, now)?;
        named_on_error(|f| crate::units::Rate::new(u.rate, f), || at("rate"))?;
        let (carry, rates) = forward_curves(name, &u.forwards, spot, now)?;
        for (id, mark) in &u.marks {
            positive_at(*mark, || at(&format!("marks.{id}")))?;
        }
        for (id, iv) in &u.mark_iv {
            named_on_error(|f| Vol::new(*iv, f), || at(&format!("markIv.{id}")))?;
        }
        if let Some(funding) = u.funding {
            if !funding.rate.is_finite() || funding.interval_ms <= 0 {
                return Err(Error::invalid(
                    at("funding"),
                    "rate must be finite and intervalMs > 0",
                ));
            }
        }
        if let Some(depth) = &u.depth {
            for (side, levels) in [("bids", &depth.bids), ("asks", &depth.asks)] {
                for (i, [price, size]) in levels.iter().enumerate() {
                    positive_at(*price, || at(&format!("depth.{side}[{i}][0]")))?;
                    positive_at(*size, || at(&format!("depth.{side}[{i}][1]")))?;
                }
            }
        }
        if let Some(oi) = u.open_interest {
            if !(oi.is_finite() && oi >= 0.0) {
                return Err(Error::invalid(
                    at("openInterest"),
                    "must be a finite USD amount ≥ 0",
                ));
            }
        }
        let surface = match (&u.vol, surface) {
            (Some(_), Some(surface)) => Some(surface),
            (Some(vol), None) => Some(Arc::new(
                VolSurface::new(vol, now).map_err(|e| e.within(&at("vol")))?,
            )),
            (None, _) => None,
        };
        Ok(Underlying {
            spec: u,
            surface,
            carry,
            rates,
            pinned: None,
        })
    }
}

impl Market {
    /// Validates a snapshot: positive finite prices, publish times not after `now`, no expired
    /// forward, vol surfaces valid at `now`; `marks` and `markIv` are re-keyed by canonical
    /// instrument id ([`super::listed`]).
    pub fn new(mut spec: MarketSpec) -> Result<Market> {
        let now = crate::units::timestamp(spec.now, "now")?;
        for (name, u) in spec.underlyings.iter_mut() {
            super::listed::canonical_listings(name, u)?;
        }
        let mut underlyings = Underlyings::default();
        for (name, u) in std::mem::take(&mut spec.underlyings) {
            let underlying = Arc::new(Underlying::build(&name, u, now)?);
            underlyings.0.insert(name, underlying);
        }
        for (name, c) in &spec.collateral {
            positive(c.price, &format!("collateral.{name}.price"))?;
            if c.decimals > 30 {
                return Err(Error::invalid(
                    format!("collateral.{name}.decimals"),
                    "must be ≤ 30",
                ));
            }
        }
        if let Some(confidence) = &spec.feed_confidence {
            confidence.validate("feedConfidence")?;
        }
        Ok(Market {
            spec: Arc::new(spec),
            underlyings,
        })
    }

    /// Valuation time.
    pub fn now(&self) -> Millis {
        self.spec.now
    }

    /// The interchange form of this market (the snapshot it was built from, with `marks` and
    /// `markIv` keyed by canonical id, and the changes made since), assembled from the
    /// underlyings' data.
    pub fn spec(&self) -> MarketSpec {
        let mut spec = MarketSpec::clone(&self.spec);
        for (name, u) in self.underlyings.iter() {
            spec.underlyings.insert(name.clone(), u.spec.clone());
        }
        spec
    }

    /// Oracle feed confidence scores (absent: every feed fully confident).
    pub fn feed_confidence(&self) -> Option<&FeedConfidence> {
        self.spec.feed_confidence.as_ref()
    }

    /// Puts back an underlying that [`Market::underlying_shared`] gave (a rollback: the data
    /// was valid at this same `now`, so nothing is validated again).
    pub(crate) fn restore_underlying(&mut self, name: &str, underlying: Arc<Underlying>) {
        self.underlyings.insert(name, underlying);
    }

    /// Replaces (or adds) one underlying's data, validated exactly as [`Market::new`] would, so
    /// the result equals `Market::new` of the updated snapshot; the other underlyings are kept
    /// as they are (the engine's incremental path for mark and volatility updates; an oracle
    /// update replaces only the index: [`Market::index_data`]). On
    /// error the market is unchanged. `spec`'s `marks` and `markIv` must be keyed by canonical
    /// id already, as this market's own are: the engine re-keys what its events add
    /// ([`super::canonical_mark_iv`]; `markUpdate` names its instrument by canonical id), so an
    /// index update re-parses no key.
    pub(crate) fn replace_underlying(&mut self, name: &str, spec: UnderlyingSpec) -> Result<()> {
        let underlying = Underlying::build(name, spec, self.spec.now)?;
        self.underlyings.insert(name, Arc::new(underlying));
        Ok(())
    }

    /// `index` as underlying `name`'s new index quote, validated as [`Market::new`] would
    /// validate it (field paths `underlyings.<name>.index.…`); installed by
    /// [`Market::swap_index`]. The engine's oracle updates: neither the underlying's other data
    /// nor its surface is copied or validated again (the forwards' carry is the one data of a
    /// validated underlying that depends on its index, and its forwards were validated at this
    /// `now`). `at` is where this market holds the underlying ([`Market::underlying_at`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn index_data(
        &self,
        name: &str,
        at: UnderlyingAt,
        index: IndexQuote,
    ) -> Result<IndexData> {
        checked_index(name, &index, self.spec.now)?;
        Ok(IndexData { index, at })
    }

    /// Where this market holds underlying `name`, or [`Market::underlying`]'s error.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn underlying_at(&self, name: &str) -> Result<UnderlyingAt> {
        self.underlyings
            .position(name)
            .map(UnderlyingAt)
            .ok_or_else(|| no_underlying(name))
    }

    /// Installs `data` ([`Market::index_data`]) as its underlying's index, with the forwards'
    /// carry recomputed at its price; returns the quote it replaced (swapping that back is the
    /// rollback: the same carry again, the same arithmetic on the same numbers). Changed in
    /// place when this market alone holds the underlying, else on a copy (`Arc::make_mut`):
    /// whoever shares it keeps its data, so equal `Arc`s stay the same data.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn swap_index(&mut self, mut data: IndexData) -> IndexData {
        let now = self.spec.now;
        if let Some(shared) = self.underlyings.at_mut(data.at.0) {
            let underlying = Arc::make_mut(shared);
            std::mem::swap(&mut underlying.spec.index, &mut data.index);
            underlying.refresh_carry(now);
        }
        data
    }

    /// [`Market::replace_underlying`] for data whose volatility (`vol`; `markIv` may gain
    /// entries) is the current one's (a mark update, a moved market): the validated
    /// surface, and any vols pinned on it, are kept instead of rebuilt — `replace_underlying`
    /// would build the same surface again from the same data at the same `now`. On error the
    /// market is unchanged.
    pub(crate) fn replace_underlying_prices(
        &mut self,
        name: &str,
        spec: UnderlyingSpec,
    ) -> Result<()> {
        let current = self.underlying(name)?;
        let mut underlying =
            Underlying::build_with(name, spec, self.spec.now, current.surface.clone())?;
        underlying.pinned = current.pinned.clone();
        self.underlyings.insert(name, Arc::new(underlying));
        Ok(())
    }

    /// This market with only prices moved: underlying `name`'s data replaced by `spec`, whose
    /// volatility data (`vol`; `markIv` may gain entries) must be the current one's, and
    /// optionally one collateral asset's price replaced. Validated as [`Market::new`] would
    /// validate the result, except that the underlying's volatility surface, already validated,
    /// is shared instead of rebuilt, the other underlyings are kept as they are and `marks` and
    /// `markIv` are taken as keyed by canonical id already (the liquidation solver's shifted
    /// markets: the current keys, plus vols pinned by positions' ids). On error `self` is
    /// unchanged.
    pub(crate) fn with_moved_prices(
        &self,
        name: &str,
        spec: UnderlyingSpec,
        collateral: Option<(&str, f64)>,
    ) -> Result<Market> {
        let mut moved = self.clone();
        moved.replace_underlying_prices(name, spec)?;
        if let Some((asset, price)) = collateral {
            if self.spec.collateral.contains_key(asset) {
                let price = positive_at(price, || format!("collateral.{asset}.price"))?;
                if let Some(quote) = Arc::make_mut(&mut moved.spec).collateral.get_mut(asset) {
                    quote.price = price;
                }
            }
        }
        Ok(moved)
    }

    /// This market with `pinned` held for underlying `name`'s options (replacing any pinned
    /// before), carried over by [`Market::with_moved_prices`]. Nothing else changes.
    pub(crate) fn with_pinned_vols(&self, name: &str, pinned: PinnedVols) -> Result<Market> {
        let mut underlying = Underlying::clone(self.underlying(name)?);
        underlying.pinned = Some(Arc::new(pinned));
        let mut market = self.clone();
        market.underlyings.insert(name, Arc::new(underlying));
        Ok(market)
    }

    /// Sets the price of a collateral asset already in the snapshot, validated as
    /// [`Market::new`] would (`collateral.<asset>.price`); an unknown asset is
    /// `E_MISSING_MARKET_DATA` (`collateral.<asset>`). On error the market is unchanged.
    pub fn set_collateral_price(&mut self, asset: &str, price: f64) -> Result<()> {
        let price = positive(price, &format!("collateral.{asset}.price"))?;
        let quote = Arc::make_mut(&mut self.spec)
            .collateral
            .get_mut(asset)
            .ok_or_else(|| {
                Error::missing(
                    format!("collateral.{asset}"),
                    "no price for this collateral asset",
                )
            })?;
        quote.price = price;
        Ok(())
    }

    /// Merges new oracle feed confidence scores into the snapshot's `feedConfidence` (absent:
    /// all 1) as [`FeedConfidence::merge`] does, validated as [`Market::new`] would (field paths
    /// `feedConfidence.…`, those of the update's own entries). Which underlyings and assets may
    /// be scored is the caller's rule ([`Market::new`] takes any). On error the market is
    /// unchanged.
    pub fn merge_feed_confidence(&mut self, update: &FeedConfidenceUpdate) -> Result<()> {
        update.validate("feedConfidence")?;
        let mut merged = self.spec.feed_confidence.clone().unwrap_or_default();
        merged.merge(update);
        merged.validate("feedConfidence")?;
        Arc::make_mut(&mut self.spec).feed_confidence = Some(merged);
        Ok(())
    }

    /// The validated data of one underlying, or `E_MISSING_MARKET_DATA`.
    #[inline]
    pub fn underlying(&self, name: &str) -> Result<&Underlying> {
        self.underlying_shared(name).map(Arc::as_ref)
    }

    /// [`Market::underlying`] as shared: equal `Arc`s (`Arc::ptr_eq`) are the same validated data.
    #[inline]
    pub(crate) fn underlying_shared(&self, name: &str) -> Result<&Arc<Underlying>> {
        match self.underlyings.get(name) {
            Some(underlying) => Ok(underlying),
            None => Err(no_underlying(name)),
        }
    }

    /// A collateral asset's quote, or `E_MISSING_MARKET_DATA`. Looked up by length then bytes,
    /// as the underlyings are ([`Underlyings`]): a market quotes a few assets, and every
    /// computation (and every engine update) looks the margin asset up, where ordered
    /// comparisons cost a `memcmp` call per asset passed.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn collateral(&self, asset: &str) -> Result<&CollateralQuote> {
        self.spec
            .collateral
            .as_slice()
            .iter()
            .find(|(name, _)| name.len() == asset.len() && crate::bytes::same_text(name, asset))
            .map(|(_, quote)| quote)
            .ok_or_else(|| no_collateral(asset))
    }

    /// A collateral asset's quote, or `E_MISSING_MARKET_DATA`. The `.wasm` keeps the map's
    /// search: the native scan, inlined at its call sites, cost ≈ 0.4 KB gzip of its size budget.
    #[cfg(target_arch = "wasm32")]
    pub fn collateral(&self, asset: &str) -> Result<&CollateralQuote> {
        self.spec.collateral.get(asset).ok_or_else(|| {
            Error::missing(
                format!("collateral.{asset}"),
                "no price for this collateral asset",
            )
        })
    }

    /// Active risk flags.
    pub fn flags(&self) -> &[RiskFlag] {
        &self.spec.flags
    }

    /// Years from `now` to `expiry`; `E_INVALID_INPUT` if it is not in the future.
    pub fn time_to(&self, expiry: Millis) -> Result<YearFrac> {
        YearFrac::new(year_fraction(self.spec.now, expiry)?, "expiry")
    }
}

/// The error of a missing collateral quote (out of line, as [`no_underlying`]).
#[cfg(not(target_arch = "wasm32"))]
#[cold]
fn no_collateral(asset: &str) -> Error {
    Error::missing(
        format!("collateral.{asset}"),
        "no price for this collateral asset",
    )
}

/// The error of a missing underlying (out of line: every valuation looks its underlying up).
#[cold]
fn no_underlying(name: &str) -> Error {
    Error::missing(
        format!("underlyings.{name}"),
        "no market data for this underlying",
    )
}

/// Whether (T, value) point `a` comes after `b` (by T, `total_cmp` order).
fn later(a: &(f64, f64), b: &(f64, f64)) -> bool {
    a.0.total_cmp(&b.0) == std::cmp::Ordering::Greater
}

/// The value at `t` of points (T, value) sorted by T: linear in T between them, the nearest
/// one's outside them; `None` without points.
fn interpolate(points: &[(f64, f64)], t: f64) -> Option<f64> {
    match points {
        [] => None,
        [(_, v)] => Some(*v),
        points => {
            let i = points.partition_point(|(ti, _)| *ti < t);
            match (points.get(i.wrapping_sub(1)), points.get(i)) {
                (Some(&(t0, v0)), Some(&(t1, v1))) => Some(v0 + (v1 - v0) * (t - t0) / (t1 - t0)),
                (None, Some(&(_, v))) | (Some(&(_, v)), None) => Some(v),
                (None, None) => None,
            }
        }
    }
}

fn year_fraction(now: Millis, expiry: Millis) -> Result<f64> {
    if expiry <= now {
        return Err(Error::invalid(
            "expiry",
            format!("{expiry} is not after now ({now}): expired"),
        ));
    }
    Ok(years_between(now, expiry))
}

/// The years from `now` to a later `expiry` (checked by the caller).
#[inline]
#[allow(clippy::cast_precision_loss)] // i64 ms differences below 2^53 convert exactly
fn years_between(now: Millis, expiry: Millis) -> f64 {
    (expiry - now) as f64 / YearFrac::MS_PER_YEAR
}

impl Underlying {
    /// Index (spot) price.
    pub fn spot(&self) -> f64 {
        self.spec.index.price
    }

    /// The index quote (price, confidence, publish time).
    pub fn index(&self) -> &IndexQuote {
        &self.spec.index
    }

    /// The underlying's discount rate (its `rate` field; see [`Underlying::rate_at`] for an
    /// expiry's).
    pub fn rate(&self) -> f64 {
        self.spec.rate
    }

    /// The discount rate for `t` years ahead: the forwards' per-expiry rates interpolated
    /// linearly in T (held at the nearest listed one outside them), or the underlying's `rate`
    /// when no forward quotes one ([`ForwardQuote::rate`]).
    pub fn rate_at(&self, t: f64) -> f64 {
        interpolate(&self.rates, t).unwrap_or(self.spec.rate)
    }

    /// Open interest in USD, if the snapshot has it.
    pub fn open_interest(&self) -> Option<f64> {
        self.spec.open_interest
    }

    /// The raw interchange data.
    pub fn spec(&self) -> &UnderlyingSpec {
        &self.spec
    }

    /// Forward for `t` years ahead (see [`UnderlyingSpec::forwards`]) at index price `spot`.
    pub fn forward_at(&self, spot: f64, t: f64) -> f64 {
        let carry = interpolate(&self.carry, t).unwrap_or(self.spec.rate);
        spot * exp(carry * t)
    }

    /// The volatility of an option: its mark IV if given, else the surface at the option's
    /// strike and forward; `E_MISSING_MARKET_DATA` if neither exists.
    /// `id` is the instrument's canonical id ([`Instrument::id`], e.g. a position's `id`).
    /// Always inlined natively: every option valuation asks it, and its call frame and the
    /// result's trip through memory cost a good part of its own work (one copy in the `.wasm`).
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn option_vol(
        &self,
        instrument: &Instrument,
        id: &str,
        forward: f64,
        t: f64,
    ) -> Result<Vol> {
        if let Some(iv) = self.spec.mark_iv.get(id) {
            return Vol::new(*iv, "markIv");
        }
        let ContractKind::Option { strike, expiry, .. } = instrument.contract else {
            return Err(Error::invalid("instrument", "not an option"));
        };
        if let Some(vol) = self.pinned.as_deref().and_then(|p| p.get(expiry, strike)) {
            return Ok(vol);
        }
        match &self.surface {
            Some(surface) => surface.vol(strike, forward, t),
            None => Err(Error::missing(
                format!("underlyings.{}.vol", instrument.underlying),
                format!("no volatility surface or markIv for {id}"),
            )),
        }
    }

    /// The volatility surface, if any.
    pub fn surface(&self) -> Option<&VolSurface> {
        self.surface.as_deref()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // std math as an independent reference in tests
mod tests {
    use super::*;

    const NOW: Millis = 1_790_000_000_000;

    fn market(json: &str) -> Result<Market> {
        Market::new(crate::json::from_str(json)?)
    }

    fn sample() -> String {
        format!(
            r#"{{"now": {NOW}, "underlyings": {{"BTC": {{
                "index": {{"price": 100000, "conf": 30, "publishTime": {}}},
                "rate": 0.04,
                "forwards": [{{"expiry": {}, "price": 101000}}, {{"expiry": {}, "price": 103000}}],
                "markIv": {{"BTC-27DEC26-100000-C": 0.55}},
                "vol": {{"slices": [{{"type": "svi", "expiry": {}, "a": 0.04, "b": 0.4, "rho": -0.4, "m": 0, "sigma": 0.1}}]}}
            }}}}, "collateral": {{"USDC": {{"price": 1, "decimals": 6}}}}}}"#,
            NOW - 2_000,
            NOW + 31_536_000_000 / 4,
            NOW + 31_536_000_000,
            NOW + 31_536_000_000 / 2,
        )
    }

    #[test]
    fn forwards_interpolate_the_carry_linearly_in_time() {
        let m = market(&sample()).unwrap();
        let btc = m.underlying("BTC").unwrap();
        // Listed points come back (to rounding).
        assert!((btc.forward_at(100_000.0, 0.25) / 101_000.0 - 1.0).abs() < 1e-14);
        assert!((btc.forward_at(100_000.0, 1.0) / 103_000.0 - 1.0).abs() < 1e-14);
        // Halfway in T: carry is the average of ln(1.01)/0.25 and ln(1.03)/1.
        let c = 0.5 * ((1.01f64).ln() / 0.25 + (1.03f64).ln());
        let expected = 100_000.0 * (c * 0.625).exp();
        assert!((btc.forward_at(100_000.0, 0.625) / expected - 1.0).abs() < 1e-14);
        // Beyond the last point the last carry holds.
        let far = 100_000.0 * ((1.03f64).ln() * 2.0).exp();
        assert!((btc.forward_at(100_000.0, 2.0) / far - 1.0).abs() < 1e-14);
    }

    #[test]
    fn per_expiry_rates_interpolate_linearly_in_time_else_the_underlying_rate() {
        let m = market(&sample()).unwrap();
        // No forward quotes a rate: every expiry discounts at the underlying's.
        assert_eq!(m.underlying("BTC").unwrap().rate_at(0.3), 0.04);
        let with_rates = sample()
            .replacen(r#""price": 101000}"#, r#""price": 101000, "rate": 0.1}"#, 1)
            .replacen(r#""price": 103000}"#, r#""price": 103000, "rate": 0.2}"#, 1);
        let m = market(&with_rates).unwrap();
        let btc = m.underlying("BTC").unwrap();
        assert!((btc.rate_at(0.25) - 0.1).abs() < 1e-15);
        assert!((btc.rate_at(1.0) - 0.2).abs() < 1e-15);
        // Halfway in T between 0.25 and 1.0.
        assert!((btc.rate_at(0.625) - 0.15).abs() < 1e-15);
        // Held flat outside the listed expiries.
        assert_eq!(btc.rate_at(0.1), 0.1);
        assert_eq!(btc.rate_at(3.0), 0.2);
        // The underlying's own rate no longer applies to options.
        assert_eq!(btc.rate(), 0.04);
        let bad = sample().replacen(r#""price": 101000}"#, r#""price": 101000, "rate": 7}"#, 1);
        let err = market(&bad).unwrap_err();
        assert_eq!(err.field(), "underlyings.BTC.forwards[0].rate");
    }

    #[test]
    fn mark_iv_takes_precedence_over_the_surface() {
        let m = market(&sample()).unwrap();
        let btc = m.underlying("BTC").unwrap();
        let listed = Instrument::parse("BTC-27DEC26-100000-C").unwrap();
        assert_eq!(
            btc.option_vol(&listed, &listed.id(), 100_000.0, 0.3)
                .unwrap()
                .get(),
            0.55
        );
        let other = Instrument::parse("BTC-27DEC26-120000-C").unwrap();
        let from_surface = btc
            .option_vol(&other, &other.id(), 100_000.0, 0.3)
            .unwrap()
            .get();
        assert!(from_surface > 0.0 && (from_surface - 0.55).abs() > 1e-3);
        assert_eq!(
            m.underlying("ETH").unwrap_err().code(),
            "E_MISSING_MARKET_DATA"
        );
        assert_eq!(m.collateral("BTC").unwrap_err().field(), "collateral.BTC");
    }

    #[test]
    fn invalid_snapshots_name_the_field() {
        let cases = [
            (
                sample().replace("\"price\": 100000", "\"price\": -1"),
                "underlyings.BTC.index.price",
            ),
            (
                sample().replace(&format!("{}", NOW - 2_000), &format!("{}", NOW + 1)),
                "underlyings.BTC.index.publishTime",
            ),
            (
                sample().replace("0.55", "55"),
                "underlyings.BTC.markIv.BTC-27DEC26-100000-C",
            ),
            (
                sample().replace("\"decimals\": 6", "\"decimals\": 60"),
                "collateral.USDC.decimals",
            ),
            (
                sample().replace(
                    &format!("{}", NOW + 31_536_000_000 / 4),
                    &format!("{}", NOW - 1),
                ),
                "underlyings.BTC.forwards[0].expiry",
            ),
        ];
        for (json, field) in cases {
            let err = market(&json).unwrap_err();
            assert_eq!(err.field(), field, "{err}");
        }
    }
}
