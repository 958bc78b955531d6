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
use super::portfolio::grid_bounds::EarlierSums;
#[cfg(not(target_arch = "wasm32"))]
use super::portfolio::GridRows;
use super::portfolio::{NodeScenario, RiskMatrixParams};
use super::valuation::OptionUnitValue;
use crate::error::Result;
use crate::market::Underlying;
use crate::portfolio::Millis;
use std::cell::RefCell;
use std::collections::BTreeMap;
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
    /// Each node's first row in `rows`.
    index: BTreeMap<NodeKey, usize>,
    /// The nodes' values in the grid's rows, node after node, `width` rows each (one
    /// allocation for all nodes, kept when the vector is forgotten).
    rows: Vec<NodeScenario>,
    width: usize,
    /// Earlier rows: the nodes' keys and first rows in `earlier_rows` as `index` and `rows` held
    /// them when the underlying last moved (`width` rows each).
    earlier: BTreeMap<NodeKey, usize>,
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
}

impl VectorCache {
    /// The grid of the vector's parameters.
    #[cfg(not(target_arch = "wasm32"))]
    fn grid_rows(&mut self) -> Arc<GridRows> {
        self.grid_rows
            .get_or_insert_with(|| Arc::new(GridRows::of(&self.params)))
            .clone()
    }

    /// A node's cached rows, if any.
    pub(crate) fn get(&self, key: &NodeKey) -> Option<&[NodeScenario]> {
        let first = *self.index.get(key)?;
        self.rows.get(first..first + self.width)
    }

    /// The earlier rows, node by node (see the module documentation).
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn earlier_nodes(&self) -> impl Iterator<Item = EarlierRows<'_>> {
        self.earlier.iter().filter_map(|(key, first)| {
            Some(EarlierRows {
                place: [key[0], key[2], key[4]],
                forward0: f64::from_bits(key[1]),
                sigma: f64::from_bits(key[3]),
                rows: self.earlier_rows.get(*first..*first + self.width)?,
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

    /// Counts a computation whose rows were bounded.
    #[cfg(not(target_arch = "wasm32"))] // read by the native-only bounded rows
    pub(crate) fn count_bounded(&mut self) {
        self.bounded_count += 1;
    }

    /// Remembers a node's rows (starting over when the vector holds too many nodes).
    pub(crate) fn insert(&mut self, key: NodeKey, rows: &[NodeScenario]) {
        if self.index.len() >= ScenarioCache::MAX_NODES_PER_VECTOR || rows.len() != self.width {
            if rows.len() != self.width {
                self.forget_all();
            }
            self.index.clear();
            self.rows.clear();
            self.width = rows.len();
        }
        self.index.insert(key, self.rows.len());
        self.rows.extend_from_slice(rows);
    }

    /// The underlying moved: the rows held become the earlier rows (if there are any; else the
    /// earlier rows stay).
    fn forget(&mut self) {
        self.bounded = false;
        // No bounded rows in WASM (`portfolio::grid_bounds` is native only): keep nothing.
        #[cfg(not(target_arch = "wasm32"))]
        if !self.index.is_empty() {
            std::mem::swap(&mut self.index, &mut self.earlier);
            std::mem::swap(&mut self.rows, &mut self.earlier_rows);
            self.earlier_sums.clear();
        }
        self.index.clear();
        self.rows.clear();
    }

    /// Drops the rows and the earlier rows (the grid changed).
    fn forget_all(&mut self) {
        self.index.clear();
        self.rows.clear();
        self.earlier.clear();
        self.earlier_rows.clear();
        #[cfg(not(target_arch = "wasm32"))]
        self.earlier_sums.clear();
    }
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
    underlying: Arc<Underlying>,
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
        Arc::ptr_eq(&self.underlying, underlying) && self.now == now
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
            for v in vectors.iter_mut().filter(|v| v.underlying == underlying) {
                v.forget();
            }
        }
        if let Ok(mut units) = self.units.try_borrow_mut() {
            units.retain(|u| u.name != underlying);
        }
    }

    /// Tells the cache that several computations will follow on `underlying`'s market as it is
    /// now (e.g. an index update that recomputes many accounts): the first of them prices every
    /// row for the others to share, instead of bounding its rows ([`VectorCache::bound_turn`]).
    pub fn shared_next(&self, underlying: &str) {
        if let Ok(mut vectors) = self.vectors.try_borrow_mut() {
            for v in vectors.iter_mut().filter(|v| v.underlying == underlying) {
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
        let entry = match units.iter().position(|u| u.name == name) {
            Some(i) => units.get_mut(i),
            None => {
                units.push(UnitValues {
                    name: name.to_string(),
                    underlying: underlying.clone(),
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
            entry.underlying = underlying.clone();
            entry.now = now;
            entry.seen = 0;
            entry.values.clear();
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
            .map_or(0, |v| v.iter().map(|c| c.index.len()).sum())
    }

    /// The grid of `params` (rows and vol classes), kept by the vector (`underlying`, `coin`):
    /// built once per set of parameters, not per computation (native).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn grid_rows(
        &self,
        underlying: &str,
        coin: bool,
        params: &RiskMatrixParams,
    ) -> Arc<GridRows> {
        self.with_vector(underlying, coin, params, |v| v.map(VectorCache::grid_rows))
            .unwrap_or_else(|| Arc::new(GridRows::of(params)))
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
                    index: BTreeMap::new(),
                    rows: Vec::new(),
                    width: 0,
                    earlier: BTreeMap::new(),
                    earlier_rows: Vec::new(),
                    #[cfg(not(target_arch = "wasm32"))]
                    earlier_sums: Vec::new(),
                    bounded: false,
                    bounded_count: 0,
                });
                vectors.len() - 1
            }
        };
        f(vectors.get_mut(index))
    }
}
