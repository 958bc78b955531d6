//! Pricing nodes' scenario values kept from one portfolio-margin computation to the next.
//!
//! Owns: [`ScenarioCache`], which remembers, per risk vector (underlying, coin or USD) and per
//! pricing node, the node's call and put values in every row of the risk-matrix grid, so that a
//! later computation on the same node reuses them instead of pricing the node again.
//!
//! A node's row values are a pure function of the node's pricing inputs (T₀, F₀, K, σ,
//! discount: its key, bit for bit) and of the vector's [`RiskMatrixParams`] (which fix the
//! grid and the vol shocks); the sizes of the legs are applied afterwards. The cache keys its
//! entries by exactly these, and drops a vector's entries when its parameters differ, so a
//! cached value is the value the grid would compute: reports with and without a cache are equal
//! bit for bit (`tests/scenario_cache.rs`).
//!
//! Who gains: the engine (a fill, transfer or funding payment recomputes an account against an
//! unchanged market; an index update recomputes every account holding the underlying, which
//! share the exchange's strikes), what-if (the account after the order shares every node but the
//! order's with the account before), `max_size` (its trial sizes revalue the same nodes) and the
//! JS binding (the nodes of the last market it validated, for every call on that market).
//!
//! Earlier rows: when the owner forgets an underlying whose data moved, each vector keeps the
//! rows it held as *earlier* rows, by the node's expiry, strike and discount (T₀, K, discount),
//! with the forward and vol they were priced at. They are never read as values: a computation
//! that only needs the requirement bounds each row of the moved market from them (a price moves
//! by at most df·|ΔF| + vega·|Δσ|) and prices exactly only the rows that can set the worst loss
//! (`portfolio::grid_bounds`). Earlier rows are kept until the next forget that has rows to keep.
//! With them the vector keeps, for the last few books it bounded, the earlier rows summed over
//! the book's moved nodes (`grid_bounds::EarlierSums`), dropped whenever the earlier rows change.
//!
//! Never: prices anything itself, reads the market, or decides when market data changed — the
//! owner forgets an underlying when its data moves ([`ScenarioCache::forget_underlying`]); the
//! keys make a forgotten call only a matter of memory, never of correctness. Bounded: a vector
//! holding [`ScenarioCache::MAX_NODES_PER_VECTOR`] nodes starts over.

#[cfg(not(target_arch = "wasm32"))]
use super::portfolio::grid_bounds::{BoundsBuffers, EarlierSums};
use super::portfolio::node_index::NodeIndex;
#[cfg(not(target_arch = "wasm32"))]
use super::portfolio::{
    layout::{LegBuffers, VectorLayout},
    GridRows,
};
use super::portfolio::{NodeScenario, RiskMatrixParams};
use super::valuation::OptionUnitValue;
use crate::error::Result;
use crate::market::Underlying;
use crate::portfolio::Millis;
use std::cell::RefCell;
use std::sync::Arc;

/// A pricing node's key: the bits of T₀, F₀, K, σ and the discount factor.
pub(crate) type NodeKey = [u64; 5];

/// A node's rows from before its underlying moved (see the module documentation).
#[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
#[derive(Debug, Clone, Copy)]
pub(crate) struct EarlierRows<'a> {
    /// The node's place: the bits of T₀, K and the discount factor (what an index or vol update
    /// leaves as it is).
    pub place: [u64; 3],
    /// The forward F₀ and vol σ the rows were priced at.
    pub forward0: f64,
    pub sigma: f64,
    pub rows: &'a [NodeScenario],
}

/// The cached rows of one risk vector.
#[derive(Debug, Clone)]
pub(crate) struct VectorCache {
    underlying: String,
    coin: bool,
    params: RiskMatrixParams,
    /// The grid of `params` (its rows and vol classes), built on first use (native).
    #[cfg(not(target_arch = "wasm32"))]
    grid_rows: Option<Arc<GridRows>>,
    /// What the vector's computations keep of their books beside the rows (native; lent to
    /// each computation by [`ScenarioCache::grid_rows`], given back by
    /// [`VectorCache::keep_layout`]).
    #[cfg(not(target_arch = "wasm32"))]
    layout: VectorLayout,
    /// The nodes' keys in the order they came: node n's rows are `rows[n·width..(n + 1)·width]`.
    keys: Vec<NodeKey>,
    /// The nodes by key (an open-addressing table over `keys`: inserting into a `BTreeMap` here
    /// was ≈ 6 % of a new-market `margin()` in wasm32).
    index: NodeIndex,
    /// The nodes' values in the grid's rows, node after node, `width` rows each (one
    /// allocation for all nodes, kept when the vector is forgotten).
    rows: Vec<NodeScenario>,
    width: usize,
    /// Earlier rows: `keys` and `rows` as they were when the underlying last moved (node n's
    /// rows at `earlier_rows[n·width..]`).
    #[cfg(not(target_arch = "wasm32"))]
    earlier: Vec<NodeKey>,
    earlier_rows: Vec<NodeScenario>,
    /// Whether a computation bounded its rows from the earlier rows since the underlying last
    /// moved ([`VectorCache::bound_turn`]).
    bounded: bool,
    /// Computations whose rows were bounded ([`ScenarioCache::bounded_computations`]).
    bounded_count: u64,
    /// Sums of the earlier rows over the moved nodes of the last few bounded computations'
    /// books, valid while the earlier rows stay (dropped whenever they change).
    #[cfg(not(target_arch = "wasm32"))]
    earlier_sums: Vec<EarlierSums>,
    /// The bounds' buffers, kept between computations (their contents never are).
    #[cfg(not(target_arch = "wasm32"))]
    bounds_buffers: BoundsBuffers,
}

impl VectorCache {
    /// The grid of the vector's parameters.
    #[cfg(not(target_arch = "wasm32"))]
    fn grid_rows(&mut self) -> Arc<GridRows> {
        self.grid_rows
            .get_or_insert_with(|| Arc::new(GridRows::of(&self.params)))
            .clone()
    }

    /// Gives back the layout lent by [`ScenarioCache::grid_rows`].
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn keep_layout(&mut self, layout: VectorLayout) {
        self.layout = layout;
    }

    /// A node's cached rows, if any.
    #[inline]
    pub(crate) fn get(&self, key: &NodeKey) -> Option<&[NodeScenario]> {
        // Right after a move the vector holds nothing (no key to hash).
        if self.keys.is_empty() {
            return None;
        }
        let n = self.index.find(key, |n| self.keys.get(n).copied()).ok()?;
        let first = n.checked_mul(self.width)?;
        self.rows.get(first..first.checked_add(self.width)?)
    }

    /// The earlier rows, node by node (see the module documentation).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn earlier_nodes(&self) -> impl Iterator<Item = EarlierRows<'_>> {
        self.earlier.iter().enumerate().filter_map(|(n, key)| {
            let first = n * self.width;
            Some(EarlierRows {
                place: [key[0], key[2], key[4]],
                forward0: f64::from_bits(key[1]),
                sigma: f64::from_bits(key[3]),
                rows: self.earlier_rows.get(first..first + self.width)?,
            })
        })
    }

    /// Whether a computation that reads only the worst row should bound its rows from the
    /// earlier rows (true for the first such computation since the underlying moved; it then
    /// counts as taken). A second computation on the same market (another account, a fill)
    /// prices every row instead, and the rows it keeps serve every computation after it and
    /// the next move's bounds.
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn bound_turn(&mut self) -> bool {
        !std::mem::replace(&mut self.bounded, true)
    }

    /// The sums of the earlier rows kept for the current earlier rows (see
    /// [`EarlierSums`]).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn earlier_sums(&mut self) -> &mut Vec<EarlierSums> {
        &mut self.earlier_sums
    }

    /// The sums of the earlier rows kept, to read (see [`EarlierSums`]).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn kept_sums(&self) -> &[EarlierSums] {
        &self.earlier_sums
    }

    /// The buffers the bounds fill, kept for the next computation (see [`BoundsBuffers`]).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn bounds_buffers(&mut self) -> &mut BoundsBuffers {
        &mut self.bounds_buffers
    }

    /// Counts a computation whose rows were bounded.
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn count_bounded(&mut self) {
        self.bounded_count += 1;
    }

    /// Remembers a node's rows (starting over when the vector holds too many nodes).
    pub(crate) fn insert(&mut self, key: NodeKey, rows: &[NodeScenario]) {
        if rows.len() != self.width {
            self.forget_all();
            self.width = rows.len();
        } else if self.keys.len() >= ScenarioCache::MAX_NODES_PER_VECTOR {
            self.clear_nodes();
        }
        match self.index.find(&key, |n| self.keys.get(n).copied()) {
            // The key again: its rows are these.
            Ok(n) => {
                let first = n * self.width;
                if let Some(held) = self.rows.get_mut(first..first + self.width) {
                    held.copy_from_slice(rows);
                }
            }
            Err(vacant) => {
                let n = self.keys.len();
                self.keys.push(key);
                if self.index.room_for(n) {
                    self.index.fill(vacant, n);
                } else {
                    self.index = index_of(&self.keys);
                }
                self.rows.extend_from_slice(rows);
            }
        }
    }

    /// Drops the nodes and their rows (their allocations stay).
    fn clear_nodes(&mut self) {
        self.keys.clear();
        self.index.clear();
        self.rows.clear();
    }

    /// The underlying moved: the rows held become the earlier rows (if there are any; else the
    /// earlier rows stay).
    fn forget(&mut self) {
        self.bounded = false;
        // Nothing held (the computations since the last move only bounded their rows): the
        // node index is empty already, no need to refill its slots.
        if self.keys.is_empty() {
            return;
        }
        // No bounded rows in WASM (`portfolio::grid_bounds` is native only): keep nothing.
        #[cfg(not(target_arch = "wasm32"))]
        {
            std::mem::swap(&mut self.keys, &mut self.earlier);
            std::mem::swap(&mut self.rows, &mut self.earlier_rows);
            self.earlier_sums.clear();
        }
        self.clear_nodes();
    }

    /// Whether this is a vector of `underlying` (length first, then the bytes: `==` on the
    /// names calls `memcmp`, dearer than the comparison for a short name).
    fn is_on(&self, underlying: &str) -> bool {
        self.underlying.len() == underlying.len()
            && crate::bytes::same_text(&self.underlying, underlying)
    }

    /// Drops the rows and the earlier rows (the grid changed).
    fn forget_all(&mut self) {
        self.clear_nodes();
        #[cfg(not(target_arch = "wasm32"))]
        self.earlier.clear();
        self.earlier_rows.clear();
        #[cfg(not(target_arch = "wasm32"))]
        self.earlier_sums.clear();
    }
}

/// A node index over `keys` (node n has key `keys[n]`), with room for as many more.
fn index_of(keys: &[NodeKey]) -> NodeIndex {
    let mut index = NodeIndex::with_capacity(keys.len().saturating_mul(2));
    for (n, key) in keys.iter().enumerate() {
        if let Err(vacant) = index.find(key, |m| keys.get(m).copied()) {
            index.fill(vacant, n);
        }
    }
    index
}

/// An option's terms as its unit value reads them: strike (bits), expiry, call, inverse,
/// contract size (bits). Equal terms on one underlying mean one canonical id.
pub(crate) type UnitKey = (u64, Millis, bool, bool, u64);

/// The unit values (value and Greeks per unit, unshocked) of options on one underlying, valid for
/// exactly one validated underlying (`Arc`, held so that its address is not reused while the
/// entry lives) at one valuation time: [`super::valuation::option_unit_value`] reads nothing else
/// of the market. A liquidation or what-if trial moves one underlying and shares the others'
/// `Arc`s, so the options on those are valued once for the whole scan.
#[derive(Debug, Clone)]
struct UnitValues {
    name: String,
    /// `None` once the underlying is forgotten: the entry (its name and its values' allocation)
    /// stays for the underlying's next data, but no longer holds the old `Arc` (the engine
    /// changes an underlying held by no one else in place).
    underlying: Option<Arc<Underlying>>,
    now: Millis,
    /// Computations that have seen this underlying and time, up to 2: values are kept from the
    /// second on, so an underlying that moves at every computation (the one a scan moves) costs
    /// no bookkeeping beyond one lookup per computation.
    seen: u8,
    /// Sorted by key (a sorted `Vec`, not a map: a map type costs ≈ 10 KB of .wasm).
    values: Vec<(UnitKey, OptionUnitValue)>,
}

impl UnitValues {
    /// Whether this entry holds values for `underlying` at `now`.
    fn is_for(&self, underlying: &Arc<Underlying>, now: Millis) -> bool {
        self.underlying
            .as_ref()
            .is_some_and(|held| Arc::ptr_eq(held, underlying))
            && self.now == now
    }

    /// Whether this entry is `name`'s (compared as [`VectorCache::is_on`] compares).
    fn is_named(&self, name: &str) -> bool {
        self.name.len() == name.len() && crate::bytes::same_text(&self.name, name)
    }

    /// Forgets the values and the underlying they were for (its data moved).
    fn forget(&mut self) {
        self.underlying = None;
        self.seen = 0;
        self.values.clear();
    }
}

/// Scenario values of pricing nodes across computations (see the module documentation), and the
/// unit values of options on underlyings that did not change ([`UnitValues`]).
/// Interior mutability: computations take the cache by shared reference, as they take the
/// market; it is not `Sync`.
#[derive(Debug, Clone, Default)]
pub struct ScenarioCache {
    vectors: RefCell<Vec<VectorCache>>,
    units: RefCell<Vec<UnitValues>>,
    /// The positions' buffers of the last computation, lent to the next (native: the engine
    /// recomputes its accounts at every update; no `.wasm` bytes for it).
    #[cfg(not(target_arch = "wasm32"))]
    buffers: RefCell<super::compute::PositionBuffers>,
    /// The legs' and nodes' vectors of the last portfolio computation, lent to the next (native).
    #[cfg(not(target_arch = "wasm32"))]
    leg_buffers: RefCell<LegBuffers>,
}

impl ScenarioCache {
    /// Nodes kept per risk vector before it starts over (× 35 rows × 32 bytes: ≈ 2.3 MB).
    pub const MAX_NODES_PER_VECTOR: usize = 2048;

    /// An empty cache.
    pub fn new() -> ScenarioCache {
        ScenarioCache::default()
    }

    /// Forgets every node of `underlying`'s vectors (its index, marks or vols moved, so its
    /// nodes' keys will not come back) and its options' unit values.
    pub fn forget_underlying(&self, underlying: &str) {
        if let Ok(mut vectors) = self.vectors.try_borrow_mut() {
            for v in vectors.iter_mut().filter(|v| v.is_on(underlying)) {
                v.forget();
            }
        }
        if let Ok(mut units) = self.units.try_borrow_mut() {
            if let Some(entry) = units.iter_mut().find(|u| u.is_named(underlying)) {
                entry.forget();
            }
        }
    }

    /// Tells the cache that several computations will follow on `underlying`'s market as it is
    /// now (e.g. an index update that recomputes many accounts): the first of them prices every
    /// row for the others to share, instead of bounding its rows ([`VectorCache::bound_turn`]).
    pub fn shared_next(&self, underlying: &str) {
        if let Ok(mut vectors) = self.vectors.try_borrow_mut() {
            for v in vectors.iter_mut().filter(|v| v.is_on(underlying)) {
                v.bounded = true;
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut vectors) = self.vectors.try_borrow_mut() {
            vectors.clear();
        }
        if let Ok(mut units) = self.units.try_borrow_mut() {
            units.clear();
        }
    }

    /// The positions' buffers a computation gave back ([`ScenarioCache::give_buffers`]),
    /// emptied, or new ones if none are held.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn lend_buffers(&self) -> super::compute::PositionBuffers {
        let mut buffers = take_held(&self.buffers);
        buffers.clear();
        buffers
    }

    /// Keeps `buffers` for the next computation ([`ScenarioCache::lend_buffers`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn give_buffers(&self, buffers: super::compute::PositionBuffers) {
        hold(&self.buffers, buffers);
    }

    /// The legs' and nodes' vectors a computation gave back ([`ScenarioCache::give_leg_buffers`]),
    /// or new ones if none are held.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn lend_leg_buffers(&self) -> LegBuffers {
        take_held(&self.leg_buffers)
    }

    /// Keeps `buffers` for the next computation ([`ScenarioCache::lend_leg_buffers`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn give_leg_buffers(&self, buffers: LegBuffers) {
        hold(&self.leg_buffers, buffers);
    }

    /// Unit values kept per underlying at most (more are computed, not kept).
    const MAX_UNITS_PER_UNDERLYING: usize = 4096;

    /// Called once per computation for each underlying whose options it values: whether their
    /// unit values are to be kept and looked up ([`ScenarioCache::unit_value`]) — true when an
    /// earlier computation saw the same `Arc` at the same `now`. An entry for another `Arc` or
    /// time starts over (that underlying moved).
    pub(crate) fn units_kept(&self, name: &str, underlying: &Arc<Underlying>, now: Millis) -> bool {
        let Ok(mut units) = self.units.try_borrow_mut() else {
            return false;
        };
        let entry = match units.iter().position(|u| u.is_named(name)) {
            Some(i) => units.get_mut(i),
            None => {
                units.push(UnitValues {
                    name: name.to_string(),
                    underlying: Some(underlying.clone()),
                    now,
                    seen: 0,
                    values: Vec::new(),
                });
                units.last_mut()
            }
        };
        let Some(entry) = entry else {
            return false;
        };
        if !entry.is_for(underlying, now) {
            entry.forget();
            entry.underlying = Some(underlying.clone());
            entry.now = now;
        }
        entry.seen = entry.seen.saturating_add(1).min(2);
        entry.seen >= 2
    }

    /// The unit value of the option `key` on `underlying` (named `name`, the market at `now`):
    /// the one kept for this very `Arc` and `now`, else `compute()`'s, which is kept if it is
    /// `Ok` (and the entry is for this `Arc` and `now`, as [`ScenarioCache::units_kept`] left it).
    pub(crate) fn unit_value(
        &self,
        name: &str,
        underlying: &Arc<Underlying>,
        now: Millis,
        key: UnitKey,
        compute: impl FnOnce() -> Result<OptionUnitValue>,
    ) -> Result<OptionUnitValue> {
        let Ok(mut units) = self.units.try_borrow_mut() else {
            return compute();
        };
        let Some(entry) = units
            .iter_mut()
            .find(|u| u.name == name && u.is_for(underlying, now))
        else {
            return compute();
        };
        match entry.values.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => match entry.values.get(i) {
                Some((_, value)) => Ok(*value),
                None => compute(),
            },
            Err(i) => {
                let value = compute()?;
                if entry.values.len() < Self::MAX_UNITS_PER_UNDERLYING {
                    entry.values.insert(i, (key, value));
                }
                Ok(value)
            }
        }
    }

    /// How many computations bounded a vector's rows from its earlier rows and priced only the
    /// rows that can set the worst loss (over all vectors; for tests and diagnostics).
    pub fn bounded_computations(&self) -> u64 {
        self.vectors
            .try_borrow()
            .map_or(0, |v| v.iter().map(|c| c.bounded_count).sum())
    }

    /// The number of nodes held, over all vectors.
    pub fn nodes(&self) -> usize {
        self.vectors
            .try_borrow()
            .map_or(0, |v| v.iter().map(|c| c.keys.len()).sum())
    }

    /// The grid of `params` (rows and vol classes), kept by the vector (`underlying`, `coin`):
    /// built once per set of parameters, not per computation; and the vector's layout, lent
    /// until [`VectorCache::keep_layout`] (empty if none was kept). Native.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn grid_rows(
        &self,
        underlying: &str,
        coin: bool,
        params: &RiskMatrixParams,
    ) -> (Arc<GridRows>, VectorLayout) {
        self.with_vector(underlying, coin, params, |v| {
            v.map(|v| (v.grid_rows(), std::mem::take(&mut v.layout)))
        })
        .unwrap_or_else(|| (Arc::new(GridRows::of(params)), VectorLayout::default()))
    }

    /// Runs `f` on the vector (`underlying`, `coin`) as the cache holds it, if it does and is not
    /// in use: no parameters compared, for handing back what a computation under the vector's
    /// parameters borrowed from it ([`BoundsBuffers::keep_rows`]).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn with_held_vector(
        &self,
        underlying: &str,
        coin: bool,
        f: impl FnOnce(&mut VectorCache),
    ) {
        let Ok(mut vectors) = self.vectors.try_borrow_mut() else {
            return;
        };
        if let Some(vector) = vectors
            .iter_mut()
            .find(|v| v.is_on(underlying) && v.coin == coin)
        {
            f(vector);
        }
    }

    /// Runs `f` on the vector (`underlying`, `coin`) computed under `params`: its cached nodes if
    /// it was last computed under equal parameters, else none (the vector starts over). `f` gets
    /// `None` if the cache is in use (a computation inside another's: not done today).
    pub(crate) fn with_vector<T>(
        &self,
        underlying: &str,
        coin: bool,
        params: &RiskMatrixParams,
        f: impl FnOnce(Option<&mut VectorCache>) -> T,
    ) -> T {
        let Ok(mut vectors) = self.vectors.try_borrow_mut() else {
            return f(None);
        };
        let found = vectors
            .iter()
            .position(|v| v.underlying == underlying && v.coin == coin);
        let index = match found {
            Some(i) => {
                if let Some(v) = vectors.get_mut(i) {
                    if v.params != *params {
                        v.params = params.clone();
                        #[cfg(not(target_arch = "wasm32"))]
                        {
                            v.grid_rows = None;
                            v.layout = VectorLayout::default();
                        }
                        v.forget_all();
                    }
                }
                i
            }
            None => {
                vectors.push(VectorCache {
                    underlying: underlying.to_string(),
                    coin,
                    params: params.clone(),
                    #[cfg(not(target_arch = "wasm32"))]
                    grid_rows: None,
                    #[cfg(not(target_arch = "wasm32"))]
                    layout: VectorLayout::default(),
                    keys: Vec::new(),
                    index: NodeIndex::with_capacity(0),
                    rows: Vec::new(),
                    width: 0,
                    #[cfg(not(target_arch = "wasm32"))]
                    earlier: Vec::new(),
                    earlier_rows: Vec::new(),
                    #[cfg(not(target_arch = "wasm32"))]
                    earlier_sums: Vec::new(),
                    #[cfg(not(target_arch = "wasm32"))]
                    bounds_buffers: BoundsBuffers::default(),
                    bounded: false,
                    bounded_count: 0,
                });
                vectors.len() - 1
            }
        };
        f(vectors.get_mut(index))
    }
}

/// What `held` holds, taken out (a default in its place), or a default if it is in use (a
/// computation inside another's: not done today).
#[cfg(not(target_arch = "wasm32"))]
fn take_held<T: Default>(held: &RefCell<T>) -> T {
    match held.try_borrow_mut() {
        Ok(mut held) => std::mem::take(&mut *held),
        Err(_) => T::default(),
    }
}

/// Puts `value` in `held` for the next computation (dropped if `held` is in use).
#[cfg(not(target_arch = "wasm32"))]
fn hold<T>(held: &RefCell<T>, value: T) {
    if let Ok(mut held) = held.try_borrow_mut() {
        *held = value;
    }
}

/// `items` emptied, their allocation kept for items of type `U`: a computation's vectors
/// borrow its positions and market, so they are kept for the next computation as vectors of
/// the same type but for its lifetimes. Collected from no items, in place (what `Vec` collects
/// from its own `into_iter` reuses that allocation when the items' layouts agree; where they
/// did not, the result would merely be a new, empty vector).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::unnecessary_filter_map)] // `filter` would keep the items' type and borrows
pub(crate) fn emptied<T, U>(items: Vec<T>) -> Vec<U> {
    items.into_iter().filter_map(|_| None).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> VectorCache {
        let cache = ScenarioCache::new();
        cache.with_vector("BTC", false, &RiskMatrixParams::default(), |v| {
            v.cloned().expect("a vector")
        })
    }

    /// The rows of node `i` in a cache of width 3: scales i·10 + 0, 1, 2.
    fn rows(i: u64) -> Vec<NodeScenario> {
        (0..3u64)
            .map(|r| NodeScenario::for_test((i * 10 + r) as f64))
            .collect()
    }

    fn scales(rows: Option<&[NodeScenario]>) -> Option<Vec<f64>> {
        rows.map(|rows| rows.iter().map(NodeScenario::scale).collect())
    }

    #[test]
    fn nodes_are_found_by_key_as_the_table_grows_and_a_key_again_takes_its_new_rows() {
        let mut v = vector();
        // Keys that share most words and fold to few home slots, past several table sizes.
        let key = |i: u64| -> NodeKey { [i % 7, 1 << 52, i, 0, i / 7] };
        for i in 0..300 {
            v.insert(key(i), &rows(i));
        }
        assert_eq!(v.keys.len(), 300);
        for i in 0..300 {
            assert_eq!(scales(v.get(&key(i))), scales(Some(&rows(i))), "node {i}");
        }
        assert_eq!(v.get(&key(300)).map(<[_]>::len), None);
        // The same key again: its rows are the new ones, no second node.
        v.insert(key(5), &rows(999));
        assert_eq!(v.keys.len(), 300);
        assert_eq!(scales(v.get(&key(5))), scales(Some(&rows(999))));
        assert_eq!(scales(v.get(&key(6))), scales(Some(&rows(6))));
        // Another width starts over.
        v.insert(key(1), &rows(1)[..2]);
        assert_eq!(v.keys.len(), 1);
        assert_eq!(v.get(&key(2)).map(<[_]>::len), None);
        assert_eq!(scales(v.get(&key(1))), scales(Some(&rows(1)[..2])));
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))] // earlier rows are kept natively only
    fn forgotten_nodes_become_the_earlier_rows() {
        let mut v = vector();
        let keys: Vec<NodeKey> = [9u64, 2, 7, 4]
            .iter()
            .map(|&i| [1, i << 52, i, 0, 3])
            .collect();
        for (i, key) in keys.iter().enumerate() {
            v.insert(*key, &rows(i as u64));
        }
        v.forget();
        assert!(v.keys.is_empty() && v.get(&keys[0]).is_none());
        type Earlier = (f64, [u64; 3], Option<Vec<f64>>);
        let earlier: Vec<Earlier> = v
            .earlier_nodes()
            .map(|e| (e.forward0, e.place, scales(Some(e.rows))))
            .collect();
        // Each node's place, forward and rows, in the order the nodes came.
        let expected: Vec<Earlier> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let place = [k[0], k[2], k[4]];
                (f64::from_bits(k[1]), place, scales(Some(&rows(i as u64))))
            })
            .collect();
        assert_eq!(earlier, expected);
        // New nodes after the move fill the emptied table.
        v.insert(keys[1], &rows(7));
        assert_eq!(scales(v.get(&keys[1])), scales(Some(&rows(7))));
        assert!(v.get(&keys[0]).is_none());
    }
}
