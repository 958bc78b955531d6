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
//! Never: prices anything itself, reads the market, or decides when market data changed — the
//! owner forgets an underlying when its data moves ([`ScenarioCache::forget_underlying`]); the
//! keys make a forgotten call only a matter of memory, never of correctness. Bounded: a vector
//! holding [`ScenarioCache::MAX_NODES_PER_VECTOR`] nodes starts over.

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

/// The cached rows of one risk vector.
#[derive(Debug, Clone)]
pub(crate) struct VectorCache {
    underlying: String,
    coin: bool,
    params: RiskMatrixParams,
    /// Each node's first row in `rows`.
    index: BTreeMap<NodeKey, usize>,
    /// The nodes' values in the grid's rows, node after node, `width` rows each (one
    /// allocation for all nodes, kept when the vector is forgotten).
    rows: Vec<NodeScenario>,
    width: usize,
}

impl VectorCache {
    /// A node's cached rows, if any.
    pub(crate) fn get(&self, key: &NodeKey) -> Option<&[NodeScenario]> {
        let first = *self.index.get(key)?;
        self.rows.get(first..first + self.width)
    }

    /// Remembers a node's rows (starting over when the vector holds too many nodes).
    pub(crate) fn insert(&mut self, key: NodeKey, rows: &[NodeScenario]) {
        if self.index.len() >= ScenarioCache::MAX_NODES_PER_VECTOR || rows.len() != self.width {
            self.forget();
            self.width = rows.len();
        }
        self.index.insert(key, self.rows.len());
        self.rows.extend_from_slice(rows);
    }

    fn forget(&mut self) {
        self.index.clear();
        self.rows.clear();
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

    /// The number of nodes held, over all vectors.
    pub fn nodes(&self) -> usize {
        self.vectors
            .try_borrow()
            .map_or(0, |v| v.iter().map(|c| c.index.len()).sum())
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
                        v.forget();
                    }
                }
                i
            }
            None => {
                vectors.push(VectorCache {
                    underlying: underlying.to_string(),
                    coin,
                    params: params.clone(),
                    index: BTreeMap::new(),
                    rows: Vec::new(),
                    width: 0,
                });
                vectors.len() - 1
            }
        };
        f(vectors.get_mut(index))
    }
}
