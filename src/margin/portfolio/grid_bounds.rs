//! Bounds on the options' part of every risk-matrix row after an underlying moved, from the rows
//! its pricing nodes had before, so that a computation that reads only the requirement prices
//! exactly the rows that can set the worst loss, and no other row.
//!
//! Owns: [`bounded_sums`] (per row, numbers `lo` ≤ s ≤ `hi` around the sum s of the nodes' P&L
//! that the exact grid, `node_sums`, computes for that row, bit for bit), [`EarlierSums`] (the
//! earlier rows summed over a book's moved nodes, which the vector keeps so that a linear book's
//! bounds cost O(nodes × vol classes + rows) per move, not O(nodes × rows)), [`exact_row`] (s
//! for one row, by the operations `node_sums` uses, so the same bits) and [`bounded_rows`] (the
//! rows to price, from the bounds counted as the grid counts rows, and their exact sums).
//! Native builds only: the engine in WASM prices every row (same numbers, and no room in the
//! .wasm budget).
//!
//! Why the bounds hold:
//! - A node's call C and put P at forward F and total vol v = σ·√T move by at most
//!   df·|ΔF| + df·max(F)·|Δv|/√(2π) between two (F, v) (∂C/∂F = df·N(d₁) ∈ [0, df],
//!   ∂P/∂F ∈ [−df, 0], ∂C/∂v = ∂P/∂v = df·F·φ(d₁) ≤ df·F/√(2π)). To that the bound adds
//!   10⁻⁹·df·(F + K), far above the kernel's rounding error (≈ 10⁻¹²·(F + K) while v ≥ 10⁻⁴,
//!   which the bound requires of both the earlier and the new vol; else it gives up).
//! - A node's P&L in a row is, in floating point, a non-decreasing function of each of its
//!   legs' prices (positive amounts) or a non-increasing one (negative amounts): products,
//!   sums, the long-premium discount max(·) and the divisions by positive numbers all round
//!   monotonically. Evaluated at the ends of the price intervals that favour each side, it gives
//!   a lower and an upper bound of the P&L the exact grid computes; and the row's sum, added in
//!   the same node order, keeps them (a rounded sum is monotone in each term).
//! - For a linear vector without discounted longs a node's P&L is affine in its prices, so the
//!   nodes' bounds can be summed first (per row: the earlier values' sum, kept, and three sums
//!   per vol class formed once per move) and the rounding of every sum covered by a slack of
//!   10⁻¹² × the row's magnitude ([`summed_bounds`]). Other vectors are bounded node by node.
//!
//! The earlier rows come from [`ScenarioCache`](super::ScenarioCache): a node's rows at the same
//! expiry, strike and discount but another forward or vol (the market before the last index,
//! mark or vol update). A node whose rows are still cached for its very inputs is bounded by its
//! exact values. Gives up (`None`, the caller prices every row) when a node has neither, when an
//! earlier or new row cannot be priced by the kernel, or when a bound is not finite.

use super::node_index::same_key;
use super::{
    node_call_put, node_row_pnl, node_usd_split, row_after_offsets, vol_scale_in, GridClasses,
    NodeScenario, NodeSums, NodeVol, PricingNode, RiskMatrixParams, RowInputs, ScaleParts,
    ScaleShock, Scenario, SettlementParams, VectorCache,
};
use crate::error::Result;
use crate::margin::scenario_cache::EarlierRows;
use crate::math::{max, min, FRAC_1_SQRT_2PI};
use std::borrow::Borrow;

/// A risk vector as [`bounded_rows`] needs it.
pub(super) struct Vector<'a> {
    pub p: &'a RiskMatrixParams,
    pub nodes: &'a [PricingNode<'a>],
    pub inputs: &'a RowInputs<'a>,
    pub settlement: &'a SettlementParams,
    /// USD per unit of the vector's currency.
    pub usd_per_unit: f64,
    /// Whether the standard rows without a move are read too (inter-commodity spreads).
    pub keep_unchanged: bool,
}

/// A row's raw P&L from its options' part and whether every node's vol scale in it is 1
/// (the caller's: its perpetuals and futures added leg by leg). Generic rather than `dyn`, so
/// that the caller's closure is inlined into [`rows_to_price`]'s loop (two calls per row).
pub(super) trait WithDelta1: Fn(&Scenario, f64, bool) -> Result<f64> {}

impl<F: Fn(&Scenario, f64, bool) -> Result<f64>> WithDelta1 for F {}

/// The vector's options' part in the rows that can set the worst loss, exactly (each row as
/// `node_sums` computes it), and which rows those are; `None` when this computation is not the
/// first on the vector since its underlying moved (the cache's bound turn: later ones share
/// the rows the second prices in full), when the earlier rows give no bounds, or when the
/// bounds leave more than a quarter of the grid (pricing every row then also renews the earlier
/// rows). Both are lent by the vector's [`BoundsBuffers`]: the caller gives them back
/// ([`BoundsBuffers::keep_rows`]) once it has read the rows.
pub(super) fn bounded_rows(
    v: &Vector,
    cache: &mut VectorCache,
    with_delta1: &impl WithDelta1,
) -> Result<Option<(NodeSums, Vec<bool>)>> {
    if !cache.bound_turn() {
        return Ok(None);
    }
    let Some(mut bounds) = bounded_sums(v.nodes, v.p, v.inputs, cache) else {
        return Ok(None);
    };
    let Some((priced, lows)) = rows_to_price(v, &bounds, cache.bounds_buffers(), with_delta1)?
    else {
        cache.bounds_buffers().keep(bounds);
        return Ok(None);
    };
    cache.count_bounded();
    let width = v.inputs.grid.len();
    let mut row_priced = std::mem::take(&mut cache.bounds_buffers().priced);
    row_priced.clear();
    row_priced.resize(width, true);
    // The lows' buffer, read: it takes the rows' sums (+0 in the rows not priced).
    let mut sums = NodeSums {
        pnl: lows,
        priced: row_priced,
        unit_scale: std::mem::take(&mut bounds.unit_scale),
    };
    let rows = sums.pnl.iter_mut().zip(&mut sums.priced).zip(&priced);
    for (j, ((pnl, row_priced), price)) in rows.enumerate() {
        *pnl = 0.0;
        if *price {
            let exact = exact_row(v.nodes, v.p, v.inputs, j, &bounds);
            *pnl = exact.unwrap_or(0.0);
            *row_priced = exact.is_some();
        }
    }
    cache.bounds_buffers().keep(bounds);
    Ok(Some((sums, priced)))
}

/// The rows to price exactly: those whose counted P&L can be the lowest (counted lower bound
/// ≤ the least counted upper bound: the worst row is among them) and, with
/// `v.keep_unchanged`, the standard rows without a move; with the counted lower bounds (their
/// buffer serves the caller's sums). `None` (price every row) when more than a quarter of the
/// grid remains, when a lower bound or an upper bound that can be the least is not finite (a
/// row whose lower bound is above an earlier row's upper bound is never the worst: its upper
/// bound is not counted), or when counting a row is not monotone in its P&L (a negative offset
/// or cap; weights and fractions are ≥ 0 by validation).
fn rows_to_price(
    v: &Vector,
    bounds: &RowBounds,
    buffers: &mut BoundsBuffers,
    with_delta1: &impl WithDelta1,
) -> Result<Option<(Vec<bool>, Vec<f64>)>> {
    let cap = v.settlement.max_offsetable_pnl / v.usd_per_unit;
    let monotone = v.settlement.pnl_offset >= 0.0
        && cap >= 0.0
        && v.p.extended_fraction >= 0.0
        && v.usd_per_unit > 0.0
        && v.usd_per_unit.is_finite();
    if !monotone {
        return Ok(None);
    }
    let grid = v.inputs.grid;
    let count =
        |s: &Scenario, pnl: f64| row_after_offsets(v.p, v.settlement, v.usd_per_unit, s, pnl);
    let mut lows = std::mem::take(&mut buffers.lows);
    lows.clear();
    let mut least_high = f64::INFINITY;
    let rows = grid.iter().zip(&bounds.lo_hi).zip(&bounds.unit_scale);
    for ((s, (lo, hi)), unit) in rows {
        let lo = count(s, with_delta1(s, *lo, *unit)?);
        if !lo.is_finite() {
            return Ok(None);
        }
        // A row counted above the least upper bound so far has its counted upper bound above
        // it too (counting is monotone), so it does not lower it: not counted.
        if lo <= least_high {
            let hi = count(s, with_delta1(s, *hi, *unit)?);
            if !hi.is_finite() {
                return Ok(None);
            }
            least_high = min(least_high, hi);
        }
        lows.push(lo);
    }
    let mut rows = std::mem::take(&mut buffers.to_price);
    rows.clear();
    rows.extend(grid.iter().zip(&lows).map(|(s, lo)| {
        *lo <= least_high || (v.keep_unchanged && s.spot_move == 0.0 && !s.extended)
    }));
    let priced = rows.iter().filter(|r| **r).count();
    if priced * 4 > grid.len() {
        buffers.lows = lows;
        buffers.to_price = rows;
        return Ok(None);
    }
    Ok(Some((rows, lows)))
}

/// The bounds of every row's options P&L (see the module documentation).
pub(super) struct RowBounds {
    /// Per row, the lower and the upper bound.
    pub lo_hi: Vec<(f64, f64)>,
    /// Whether every node's vol scale in the row is exactly 1 (as `NodeSums::unit_scale`).
    pub unit_scale: Vec<bool>,
    /// Per row, Σ of the magnitudes of the exact P&Ls added ([`add_exact`]).
    exact_magnitudes: Vec<f64>,
    /// Per moved node, in node order, its σ·√T in each vol class (node after node) as the
    /// kernel computes it, where [`summed_bounds`] formed the bounds (else empty). Where every
    /// node moved, [`exact_row`] reads them instead of scaling each node's vol again.
    total_vols: Vec<f64>,
}

impl RowBounds {
    /// Bounds of +0 in each of `width` rows, in `buffers`' kept allocations.
    fn new(width: usize, buffers: &mut BoundsBuffers) -> RowBounds {
        let mut lo_hi = std::mem::take(&mut buffers.lo_hi);
        lo_hi.clear();
        lo_hi.resize(width, (0.0, 0.0));
        let mut exact_magnitudes = std::mem::take(&mut buffers.exact_magnitudes);
        exact_magnitudes.clear();
        exact_magnitudes.resize(width, 0.0);
        let mut total_vols = std::mem::take(&mut buffers.total_vols);
        total_vols.clear();
        let mut unit_scale = std::mem::take(&mut buffers.unit_scale);
        unit_scale.clear();
        unit_scale.resize(width, true);
        RowBounds {
            lo_hi,
            unit_scale,
            exact_magnitudes,
            total_vols,
        }
    }

    fn all_finite(&self) -> bool {
        self.lo_hi
            .iter()
            .all(|(lo, hi)| lo.is_finite() && hi.is_finite())
    }
}

/// The buffers the bounds fill in every computation, kept by the vector from one computation to
/// the next ([`VectorCache::bounds_buffers`]) and cleared before each is refilled, so that
/// bounding a vector's rows does not allocate them again: nothing in them outlives the
/// computation that filled them.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoundsBuffers {
    /// [`RowBounds::lo_hi`]'s, [`RowBounds::exact_magnitudes`]' and [`RowBounds::total_vols`]'
    /// allocations (lent to the bounds, given back by [`bounded_rows`]).
    lo_hi: Vec<(f64, f64)>,
    exact_magnitudes: Vec<f64>,
    total_vols: Vec<f64>,
    /// [`RowBounds::unit_scale`]'s allocation, and the per-row buffers of [`rows_to_price`]
    /// (counted lower bounds, then the rows' sums; the rows to price) and of [`bounded_rows`]
    /// (whether every node was priced in each row): lent to the [`NodeSums`] and the rows to
    /// price that `bounded_rows` returns, given back by [`BoundsBuffers::keep_rows`] once the
    /// caller has read the rows.
    unit_scale: Vec<bool>,
    lows: Vec<f64>,
    priced: Vec<bool>,
    to_price: Vec<bool>,
    /// [`summed_bounds`]' per vol class sums and decoded vol shocks.
    per_class: Vec<(f64, bool)>,
    shocks: Vec<ScaleShock>,
}

impl BoundsBuffers {
    /// Takes back the allocations lent to `bounds`.
    fn keep(&mut self, bounds: RowBounds) {
        self.lo_hi = bounds.lo_hi;
        self.exact_magnitudes = bounds.exact_magnitudes;
        self.total_vols = bounds.total_vols;
        self.unit_scale = bounds.unit_scale;
    }

    /// Takes back the allocations lent to the sums and the rows to price that [`bounded_rows`]
    /// returned, once the caller has read them.
    pub(super) fn keep_rows(&mut self, sums: NodeSums, rows_to_price: Vec<bool>) {
        self.unit_scale = sums.unit_scale;
        self.lows = sums.pnl;
        self.priced = sums.priced;
        self.to_price = rows_to_price;
    }
}

/// The smallest total vol σ·√T for which the kernel's rounding stays far inside the slack.
const MIN_TOTAL_VOL: f64 = 1e-4;
/// The slack per unit of df·(F + K) for the kernel's rounding in either valuation.
const SLACK: f64 = 1e-9;
/// Rounds a bound's factors generously upwards.
const UP: f64 = 1.0 + SLACK;

/// The least and greatest growth 1 + move of the grid's rows.
fn growth_range(rows: &RowInputs) -> (f64, f64) {
    (
        rows.growths.iter().copied().fold(f64::INFINITY, min),
        rows.growths.iter().copied().fold(0.0, max),
    )
}

/// A node's vol in one vol class of the grid now: its scale and σ·√T as the kernel computes them.
#[derive(Debug, Clone, Copy)]
struct NodeTotalVol {
    scale: f64,
    total_vol: f64,
}

/// Whether the kernel prices the node in every row (as `node_scenario_scaled` checks): the
/// forward F₀·g is positive and finite for every growth g of the grid (`growths`: the least and
/// greatest), and each vol class passes the vol checks with σ·√T large enough for the slack.
/// Fills `vols` with the node's vol per class.
fn kernel_prices_every_row(
    node: &PricingNode,
    p: &RiskMatrixParams,
    classes: &GridClasses,
    growths: (f64, f64),
    vols: &mut Vec<NodeTotalVol>,
) -> bool {
    let o = &node.terms;
    let mut ok = forward_prices_every_row(node, growths);
    let parts = ScaleParts::new(p, o.sigma, node.term, o.log_moneyness);
    // A class sharing an earlier class's value passed the same checks.
    classes.per_class(&parts, vols, |s| {
        let (vol, usable) = class_vol(node, p, &parts, &ScaleShock::of(s));
        ok &= usable;
        vol
    });
    ok
}

/// Whether the node's forward F₀·g is positive and finite for every growth g of the grid
/// (`growths`: the least and greatest), as `node_scenario_scaled` checks it in each row.
fn forward_prices_every_row(node: &PricingNode, (least_growth, most_growth): (f64, f64)) -> bool {
    let forward0 = node.terms.forward0;
    forward0 * least_growth > 0.0 && (forward0 * most_growth).is_finite()
}

/// The node's vol in the vol class whose first scenario is `s` (`parts`: the node's
/// [`ScaleParts`]), and whether it passes the kernel's vol checks with σ·√T large enough for
/// the slack.
#[inline(always)]
fn class_vol(
    node: &PricingNode,
    p: &RiskMatrixParams,
    parts: &ScaleParts,
    shock: &ScaleShock,
) -> (NodeTotalVol, bool) {
    let vol = NodeVol::new(node, parts.scale_in(p, shock));
    // σ·scale·√T, as the kernel computes it.
    let total_vol = vol.total_vol;
    (
        NodeTotalVol {
            scale: vol.scale,
            total_vol,
        },
        vol.vol_ok && total_vol >= MIN_TOTAL_VOL,
    )
}

/// The greater of two numbers, by one comparison: what [`max`] gives where neither is NaN and
/// they are not zeros of both signs (each caller says why; e.g. of two magnitudes, a NaN σ·√T
/// fails the vol checks, so no bound is formed from it).
#[inline(always)]
fn greater(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// A node's price bound in a row is g·(P + Q·|Δv|) + R with the forward F₀·g now and F₀'·g then
/// (g = 1 + move) and Δv the change of σ·√T: P covers df·|ΔF| (with the forwards' rounding) and
/// the slack's forward part, Q the vega bound df·max(F)/√(2π), R the slack's strike part; every
/// factor rounded generously upwards by (1 + SLACK).
struct MoveTerms {
    p_move: f64,
    q_vega: f64,
    r_strike: f64,
}

impl MoveTerms {
    /// The terms between the node now and its earlier rows at forward `forward_then`.
    fn new(node: &PricingNode, forward_then: f64) -> MoveTerms {
        let o = &node.terms;
        let df = o.discount;
        // `greater`, not `max`: the forwards differ from a NaN or −0 only where the node gives
        // up (F₀ not positive fails `forward_prices_every_row`; a NaN earlier forward makes
        // `p_move`, hence the bounds, not finite).
        let highest = greater(o.forward0, forward_then);
        MoveTerms {
            p_move: df * ((o.forward0 - forward_then).abs() * UP + 2.0 * SLACK * highest),
            q_vega: df * highest * UP * FRAC_1_SQRT_2PI * UP,
            r_strike: df * SLACK * o.strike,
        }
    }
}

/// Bounds of each row's options P&L from the vector's cached and earlier rows, or `None` (see
/// the module documentation; also `None` when every node is cached for its very inputs: the
/// exact sums then cost no pricing). A linear vector without discounted longs takes
/// [`summed_bounds`] (the same bounds summed in O(nodes × vol classes + rows)), any other
/// vector [`node_by_node_bounds`] (O(nodes × rows)).
pub(super) fn bounded_sums(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    cache: &mut VectorCache,
) -> Option<RowBounds> {
    // The grid's moves are above −100 % (the kernel prices no row otherwise).
    if !rows.movable.iter().all(|movable| *movable) {
        return None;
    }
    let plain = |n: &PricingNode| n.sizes.long_call == 0.0 && n.sizes.long_put == 0.0;
    // Lent by the vector for this computation, given back whatever the outcome.
    let mut buffers = std::mem::take(cache.bounds_buffers());
    let bounds = if !rows.coin && nodes.len() <= MAX_SUMMED_NODES && nodes.iter().all(plain) {
        summed_bounds(nodes, p, rows, cache, &mut buffers)
    } else {
        node_by_node_bounds(nodes, p, rows, cache, &mut buffers)
    };
    *cache.bounds_buffers() = buffers;
    bounds
}

/// The most nodes [`summed_bounds`] takes: [`SUM_SLACK`] covers the rounding of sums of up to
/// 2·(this + 8) terms.
const MAX_SUMMED_NODES: usize = 1000;
/// The slack per unit of a row's magnitude (the sum of its terms' magnitudes) for the rounding
/// of the sums: ≥ 4·(2·1008)·2⁻⁵³ ≈ 9·10⁻¹³, the bound on the rounding errors of the exact
/// row's sum in node order and of the sums [`summed_bounds`] forms in another order.
const SUM_SLACK: f64 = 1e-12;
/// How many books' sums a vector keeps for one set of earlier rows.
const KEPT_SUMS: usize = 4;

/// Sums over the nodes that moved, of the earlier rows they are bounded from (see
/// [`summed_bounds`]): kept by the vector while its earlier rows stay, for books with the same
/// moved nodes (places and sizes), so that the next move's bounds cost no pass over the rows.
#[derive(Debug, Clone)]
pub(crate) struct EarlierSums {
    /// Per moved node, in node order: its place (T₀, K, discount) and sizes (call, put), bits.
    nodes: Vec<[u64; 5]>,
    /// Per moved node: the forward F₀ its earlier rows were priced at.
    forwards: Vec<f64>,
    /// Per moved node and vol class (node after node): the least and greatest σ·√T of its
    /// earlier rows in that class, as the kernel computed them.
    total_vols: Vec<(f64, f64)>,
    /// Per row: Σ over the moved nodes of their legs' value then (call and put sizes × the
    /// earlier prices), and Σ of the two products' magnitudes.
    values: Vec<f64>,
    magnitudes: Vec<f64>,
}

impl EarlierSums {
    /// The sums over `moved` (nodes with no long apart, `fingerprint` their places and sizes)
    /// from the vector's earlier rows; `None` where a node has none, or one the bounds cannot use
    /// (a row not priced, or σ·√T below [`MIN_TOTAL_VOL`] then).
    fn new<'n, N: Borrow<PricingNode<'n>>>(
        moved: &[N],
        fingerprint: Vec<[u64; 5]>,
        classes: &GridClasses,
        cache: &VectorCache,
    ) -> Option<EarlierSums> {
        let width = classes.class_of.len();
        let count = classes.firsts.len();
        let earlier_nodes = EarlierByPlace::new(cache);
        let mut sums = EarlierSums {
            nodes: fingerprint,
            forwards: Vec::with_capacity(moved.len()),
            total_vols: Vec::with_capacity(moved.len() * count),
            values: vec![0.0; width],
            magnitudes: vec![0.0; width],
        };
        for node in moved {
            let node = node.borrow();
            let earlier = earlier_nodes.find(&node.key())?;
            let priced_then = earlier.sigma * node.sqrt_years > 0.0;
            if earlier.rows.len() != width || !priced_then {
                return None;
            }
            let first = sums.total_vols.len();
            sums.total_vols.extend(std::iter::repeat_n(
                (f64::INFINITY, f64::NEG_INFINITY),
                count,
            ));
            let per_row = classes
                .class_of
                .iter()
                .zip(earlier.rows)
                .zip(sums.values.iter_mut().zip(&mut sums.magnitudes));
            for ((class, then), (value, magnitude)) in per_row {
                let (call, put) = then.call_put?;
                // As the kernel computed σ·√T then (σ·scale, then × √T).
                let total_vol = earlier.sigma * then.scale * node.sqrt_years;
                // A NaN fails too.
                let usable = total_vol >= MIN_TOTAL_VOL;
                if !usable {
                    return None;
                }
                let range = sums.total_vols.get_mut(first + class)?;
                *range = (min(range.0, total_vol), max(range.1, total_vol));
                let (call_usd, put_usd) = (node.sizes.call * call, node.sizes.put * put);
                *value += call_usd + put_usd;
                *magnitude += call_usd.abs() + put_usd.abs();
            }
            sums.forwards.push(earlier.forward0);
        }
        let finite = |x: &f64| x.is_finite();
        (sums.values.iter().all(finite) && sums.magnitudes.iter().all(finite)).then_some(sums)
    }
}

/// A moved node's entry in [`EarlierSums::nodes`] (`key`: its node key): its place (T₀, K,
/// discount) and sizes (call, put), bits.
fn moved_place(node: &PricingNode, key: &[u64; 5]) -> [u64; 5] {
    [
        key[0],
        key[2],
        key[4],
        node.sizes.call.to_bits(),
        node.sizes.put.to_bits(),
    ]
}

/// [`node_by_node_bounds`]'s bounds, summed over the nodes (a linear vector without discounted
/// longs: a node's P&L in a row is then c·C + p·P − base, affine in its call and put prices).
///
/// The exact row s is the rounded sum, in node order, of each node's rounded P&L tₙ. In real
/// numbers, each moved node's tₙ lies within (c·C' + p·P' − base) ± (|c| + |p|)·bₙ (C', P' its
/// earlier prices, bₙ the price bound of the module documentation) ± 3u·(its terms' magnitudes),
/// and s within Σtₙ ± 2N·u·Σ|tₙ| (u = 2⁻⁵³, N nodes). So s lies within
/// V − B ± (Σ(|c| + |p|)·bₙ) ± slack, where V = Σ(c·C' + p·P') (kept in [`EarlierSums`]), B the
/// nodes' value now, and the slack [`SUM_SLACK`] × the row's magnitude covers every rounding
/// above and that of these sums (N ≤ [`MAX_SUMMED_NODES`]). Σ(|c| + |p|)·bₙ is, per row,
/// g·(Σ(|c| + |p|)·Pₙ + Σ(|c| + |p|)·Qₙ·|Δv|) + Σ(|c| + |p|)·Rₙ: three sums per vol class, formed
/// once per computation. Nodes cached for their very inputs add their exact P&L as before.
// Out of line (as `visit_nodes` and `exact_row`): inlined into the caller's per-vector closure
// they cost ≈ 1.5 k instructions more per engine index update (register pressure there).
#[inline(never)]
fn summed_bounds(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    cache: &mut VectorCache,
    buffers: &mut BoundsBuffers,
) -> Option<RowBounds> {
    let width = rows.grid.len();
    let classes = rows.classes;
    let count = classes.firsts.len();
    if count == 0 {
        return None;
    }
    let mut bounds = RowBounds::new(width, buffers);
    let BoundsBuffers {
        per_class, shocks, ..
    } = buffers;
    // The moved nodes: while no node before them was cached, the first `moved_count` of
    // `nodes` (no list built, as on every computation right after a move); else `listed`.
    let mut moved_count = 0;
    let mut listed: Vec<&PricingNode> = Vec::new();
    // Σ base and Σ |base| over the moved nodes.
    let (mut base, mut base_magnitude) = (0.0, 0.0);
    // Which kept sums are for the moved nodes so far (compared as the nodes come: no
    // fingerprint is built unless none is).
    let kept = cache.kept_sums();
    let mut matching = [true; KEPT_SUMS];
    visit_nodes(
        &mut bounds,
        nodes,
        rows,
        p,
        cache,
        |_, i, node, key, now| {
            let place = moved_place(node, &key);
            for (sums, matches) in kept.iter().zip(&mut matching) {
                *matches &= sums
                    .nodes
                    .get(moved_count)
                    .is_some_and(|kept| same_key(kept, &place));
            }
            if i != moved_count {
                // A node before this one was cached: the moved nodes are a prefix no more.
                if listed.is_empty() {
                    listed.extend(nodes.get(..moved_count)?);
                }
                listed.push(node);
            }
            moved_count += 1;
            base += now;
            base_magnitude += now.abs();
            Some(())
        },
    )?;
    if moved_count == 0 {
        return None;
    }
    let found = kept
        .iter()
        .zip(matching)
        .position(|(sums, matches)| matches && sums.nodes.len() == moved_count);
    let terms = MovedTerms {
        p,
        rows,
        found,
        per_class: &mut *per_class,
        shocks: &mut *shocks,
        total_vols: &mut bounds.total_vols,
    };
    let (index, moves, strikes) = if listed.is_empty() {
        terms.sum(nodes.get(..moved_count)?, cache)?
    } else {
        terms.sum(&listed, cache)?
    };
    let sums = cache.earlier_sums().get(index)?;
    let RowBounds {
        lo_hi,
        unit_scale,
        exact_magnitudes,
        ..
    } = &mut bounds;
    let per_row = classes
        .class_of
        .iter()
        .zip(rows.growths)
        .zip(sums.values.iter().zip(&sums.magnitudes))
        .zip(exact_magnitudes.iter())
        .zip(lo_hi.iter_mut().zip(unit_scale.iter_mut()));
    // Whether every bound is finite, checked as it is formed (no second pass over the rows).
    let mut finite = true;
    for ((((class, growth), (value, magnitude)), exact), ((lo, hi), all_unit)) in per_row {
        let (vega, class_unit) = *per_class.get(*class)?;
        let moved_by = (growth * (moves + vega) + strikes) * UP * UP;
        let spread = moved_by * (1.0 + 2.0 * SLACK) + SLACK * magnitude;
        let slack = SUM_SLACK * (magnitude + moved_by + base_magnitude + exact);
        let center = value - base;
        *lo += center - spread - slack;
        *hi += center + spread + slack;
        *all_unit &= class_unit;
        finite &= lo.is_finite() & hi.is_finite();
    }
    // A bound that is not finite bounds nothing.
    finite.then_some(bounds)
}

/// What [`summed_bounds`] forms of its moved nodes before it bounds the rows: the kept sums of
/// their earlier rows, and their price bounds' terms summed per vol class.
struct MovedTerms<'t> {
    p: &'t RiskMatrixParams,
    rows: &'t RowInputs<'t>,
    /// Which of the vector's kept sums are for these nodes, if any is.
    found: Option<usize>,
    /// Per vol class, Σ(|c| + |p|)·Qₙ·|Δv| and whether every node's vol scale is 1.
    per_class: &'t mut Vec<(f64, bool)>,
    /// Each class's vol shock, decoded once rather than once per node.
    shocks: &'t mut Vec<ScaleShock>,
    /// The moved nodes' class vols, kept for `exact_row` (which reads them if every node moved).
    total_vols: &'t mut Vec<f64>,
}

impl MovedTerms<'_> {
    /// The index of the moved nodes' sums among the vector's kept sums (formed and kept if none
    /// was), Σ(|c| + |p|)·Pₙ and Σ(|c| + |p|)·Rₙ, with `per_class` and `total_vols` filled;
    /// `None` where a node gives up. Generic: the moved nodes are a prefix of the vector's
    /// nodes (`N` = [`PricingNode`], no list built) or listed (`N` = `&PricingNode`).
    fn sum<'n, N: Borrow<PricingNode<'n>>>(
        self,
        moved: &[N],
        cache: &mut VectorCache,
    ) -> Option<(usize, f64, f64)> {
        let MovedTerms {
            p,
            rows,
            found,
            per_class,
            shocks,
            total_vols,
        } = self;
        let classes = rows.classes;
        let count = classes.firsts.len();
        let index = match found {
            Some(i) => i,
            None => {
                let fingerprint = moved
                    .iter()
                    .map(|n| moved_place(n.borrow(), &n.borrow().key()))
                    .collect();
                let sums = EarlierSums::new(moved, fingerprint, classes, cache)?;
                let kept = cache.earlier_sums();
                if kept.len() >= KEPT_SUMS {
                    kept.remove(0);
                }
                kept.push(sums);
                kept.len() - 1
            }
        };
        let sums = cache.earlier_sums().get(index)?;
        let growths = growth_range(rows);
        let (mut moves, mut strikes) = (0.0, 0.0);
        per_class.clear();
        per_class.resize(count, (0.0, true));
        shocks.clear();
        shocks.extend(classes.firsts.iter().map(ScaleShock::of));
        total_vols.resize(moved.len() * count, 0.0);
        let per_node = moved
            .iter()
            .zip(&sums.forwards)
            .zip(sums.total_vols.chunks_exact(count))
            .zip(total_vols.chunks_exact_mut(count));
        for (((node, forward_then), vols_then), vols_now) in per_node {
            let node = node.borrow();
            let o = &node.terms;
            let mut ok = forward_prices_every_row(node, growths);
            let parts = ScaleParts::new(p, o.sigma, node.term, o.log_moneyness);
            let terms = MoveTerms::new(node, *forward_then);
            let amount = node.sizes.call.abs() + node.sizes.put.abs();
            moves += amount * terms.p_move;
            strikes += amount * terms.r_strike;
            // Every class's vol computed here (none taken from another class: the same bits).
            let class_sums = shocks
                .iter()
                .zip(vols_then)
                .zip(per_class.iter_mut())
                .zip(vols_now);
            for (((shock, (least, most)), (vega, unit)), kept) in class_sums {
                let (now, usable) = class_vol(node, p, &parts, shock);
                ok &= usable;
                *kept = now.total_vol;
                let change = greater((now.total_vol - least).abs(), (now.total_vol - most).abs());
                *vega += amount * terms.q_vega * change;
                *unit &= now.scale == 1.0;
            }
            if !ok {
                return None;
            }
        }
        Some((index, moves, strikes))
    }
}

/// Bounds node by node (the module documentation's argument in floating point): any vector.
fn node_by_node_bounds(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    cache: &VectorCache,
    buffers: &mut BoundsBuffers,
) -> Option<RowBounds> {
    let width = rows.grid.len();
    let classes = rows.classes;
    let mut bounds = RowBounds::new(width, buffers);
    let mut vols: Vec<NodeTotalVol> = Vec::with_capacity(classes.firsts.len());
    let (least_growth, most_growth) = growth_range(rows);
    let mut moved = false;
    let earlier_nodes = EarlierByPlace::new(cache);
    // Node by node in node order, as the exact row adds them (the monotonicity argument).
    visit_nodes(
        &mut bounds,
        nodes,
        rows,
        p,
        cache,
        |bounds, _, node, key, base| {
            let earlier = earlier_nodes.find(&key)?;
            // The earlier rows priced at a positive σ·√T (a NaN fails too).
            let priced_then = earlier.sigma * node.sqrt_years > 0.0;
            if earlier.rows.len() != width || !priced_then {
                return None;
            }
            moved = true;
            let o = &node.terms;
            if !kernel_prices_every_row(node, p, classes, (least_growth, most_growth), &mut vols) {
                return None;
            }
            let sizes = &node.sizes;
            // Longs apart (a discounted time value): the slower bound by the legs' price ends.
            let plain = sizes.long_call == 0.0 && sizes.long_put == 0.0;
            let amount = sizes.call.abs() + sizes.put.abs();
            // A row's price bound: see `MoveTerms`.
            let MoveTerms {
                p_move,
                q_vega,
                r_strike,
            } = MoveTerms::new(node, earlier.forward0);
            let per_row = classes
                .class_of
                .iter()
                .zip(earlier.rows)
                .zip(rows.growths)
                .zip(&mut bounds.lo_hi)
                .zip(&mut bounds.unit_scale);
            // Every earlier row priced at σ·√T large enough for the slack (a NaN fails too).
            let mut usable = true;
            for ((((class, then), growth), (lo_sum, hi_sum)), unit) in per_row {
                let NodeTotalVol {
                    scale, total_vol, ..
                } = *vols.get(*class)?;
                let (call, put) = then.call_put?;
                // As the kernel computes σ·√T then (σ·scale, then × √T).
                let total_vol_then = earlier.sigma * then.scale * node.sqrt_years;
                usable &= total_vol_then >= MIN_TOTAL_VOL;
                let bound = (growth * (p_move + q_vega * (total_vol - total_vol_then).abs())
                    + r_strike)
                    * UP;
                let (lo, hi) = if plain {
                    // The legs' value then, and how far the value the grid computes now can be from
                    // it: the prices' moves plus (generously) both evaluations' rounding.
                    let (call_usd, put_usd) = (sizes.call * call, sizes.put * put);
                    let value_then = call_usd + put_usd;
                    let spread = amount * bound * (1.0 + 2.0 * SLACK)
                        + SLACK * (call_usd.abs() + put_usd.abs());
                    let pnl = |value: f64| {
                        let usd = if rows.coin {
                            // The kernel's forward F₀·(1 + move), as `node_usd_split` divides.
                            value / (o.forward0 * growth / (rows.s0 * growth))
                        } else {
                            value
                        };
                        super::node_pnl_of_usd(usd, base, *growth, rows)
                    };
                    (pnl(value_then - spread), pnl(value_then + spread))
                } else {
                    let lo_prices = [call - bound, put - bound];
                    let hi_prices = [call + bound, put + bound];
                    (
                        node_pnl_between(node, lo_prices, hi_prices, *growth, rows, p, base, false),
                        node_pnl_between(node, lo_prices, hi_prices, *growth, rows, p, base, true),
                    )
                };
                *lo_sum += lo;
                *hi_sum += hi;
                *unit &= scale == 1.0;
            }
            usable.then_some(())
        },
    )?;
    // A bound that is not finite (an earlier value or a sum that is not) bounds nothing.
    (moved && bounds.all_finite()).then_some(bounds)
}

/// Adds bounds in row `j` (`unit`: whether the vol scales they cover are all 1).
fn add(bounds: &mut RowBounds, j: usize, unit: bool, lo: f64, hi: f64) {
    if let (Some((l, h)), Some(all_unit)) = (bounds.lo_hi.get_mut(j), bounds.unit_scale.get_mut(j))
    {
        *l += lo;
        *h += hi;
        *all_unit &= unit;
    }
}

/// Adds the exact P&L of a node cached for its very inputs (`values`, one per row) to every
/// row, and its magnitude to `bounds.exact_magnitudes`; `None` if a row was not priced.
fn add_exact(
    bounds: &mut RowBounds,
    node: &PricingNode,
    values: &[NodeScenario],
    rows: &RowInputs,
    p: &RiskMatrixParams,
    base: f64,
) -> Option<()> {
    for (j, (value, growth)) in values.iter().zip(rows.growths).enumerate() {
        let pnl = node_row_pnl(
            node,
            value.call_put?,
            *growth,
            rows,
            p.time_value_discount,
            base,
        );
        add(bounds, j, value.scale == 1.0, pnl, pnl);
        *bounds.exact_magnitudes.get_mut(j)? += pnl.abs();
    }
    Some(())
}

/// Visits the nodes in node order: adds the exact P&L of each node cached for its very inputs
/// ([`add_exact`]) and hands every other node, with its index in `nodes`, its key and its legs'
/// value now, to `moved`. `None` when a node has no value now, a cached row was not priced, or `moved` gives
/// up.
// Out of line: see `summed_bounds`.
#[inline(never)]
fn visit_nodes<'n>(
    bounds: &mut RowBounds,
    nodes: &'n [PricingNode],
    rows: &RowInputs,
    p: &RiskMatrixParams,
    cache: &VectorCache,
    mut moved: impl FnMut(&mut RowBounds, usize, &'n PricingNode, [u64; 5], f64) -> Option<()>,
) -> Option<()> {
    let width = rows.grid.len();
    for (i, node) in nodes.iter().enumerate() {
        let key = node.key();
        let base = node.base_usd?;
        match cache.get(&key).filter(|v| v.len() == width) {
            Some(values) => add_exact(bounds, node, values, rows, p, base)?,
            None => moved(bounds, i, node, key, base)?,
        }
    }
    Some(())
}

/// The vector's earlier rows sorted by place (T₀, K, discount), to find a node's.
struct EarlierByPlace<'a>(Vec<EarlierRows<'a>>);

impl<'a> EarlierByPlace<'a> {
    fn new(cache: &'a VectorCache) -> EarlierByPlace<'a> {
        let mut earlier: Vec<EarlierRows> = cache.earlier_nodes().collect();
        earlier.sort_unstable_by_key(|e| e.place);
        EarlierByPlace(earlier)
    }

    /// The earlier rows at a node's place (`key`: its node key, T₀, F₀, K, σ, discount); of equal
    /// places (the cache held two markets or two vols at one strike), any one bounds: each
    /// keeps its own forward, vol and rows.
    fn find(&self, key: &[u64; 5]) -> Option<&EarlierRows<'a>> {
        let place = [key[0], key[2], key[4]];
        let i = self.0.binary_search_by_key(&place, |e| e.place).ok()?;
        self.0.get(i)
    }
}

/// A node's lowest (`upper` false) or highest P&L in a row over unit prices in
/// [`lo`, `hi`] (call, put): each leg's price at the end that moves the P&L that way.
#[allow(clippy::too_many_arguments)]
fn node_pnl_between(
    node: &PricingNode,
    lo: [f64; 2],
    hi: [f64; 2],
    growth: f64,
    rows: &RowInputs,
    p: &RiskMatrixParams,
    base: f64,
    upper: bool,
) -> f64 {
    // A positive amount's value rises with its price: the high end for the upper bound.
    let ends = |amount: f64| if (amount >= 0.0) == upper { hi } else { lo };
    let sizes = &node.sizes;
    let ([call, _], [_, put]) = (ends(sizes.call), ends(sizes.put));
    let ([long_call, _], [_, long_put]) = (ends(sizes.long_call), ends(sizes.long_put));
    let usd = node_usd_split(
        node,
        sizes,
        [call, put, long_call, long_put],
        growth,
        rows.s0,
        rows.coin,
        p.time_value_discount,
    );
    super::node_pnl_of_usd(usd, base, growth, rows)
}

/// The options' P&L of row `j` as `node_sums` computes it (every node priced by the kernel in
/// the row, added in node order from +0), or `None` where `j` is not a row of the grid.
/// `priceable`: the bounds [`bounded_sums`] gave for these nodes and rows, the proof that the
/// kernel prices every node in every row (each node passed `kernel_prices_every_row`, or its
/// cached rows for its very inputs were all priced; every row is movable; every node has a
/// value now), so that the checks `node_row_value` makes per node and row are not repeated;
/// where they kept every node's class vols ([`RowBounds::total_vols`]), the row's are read
/// there rather than computed again.
// Out of line: see `summed_bounds`.
#[inline(never)]
pub(super) fn exact_row(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    j: usize,
    priceable: &RowBounds,
) -> Option<f64> {
    let s = rows.grid.get(j)?;
    let log_growth = *rows.log_growths.get(j)?;
    let growth = *rows.growths.get(j)?;
    let count = rows.classes.firsts.len();
    if count > 0 && priceable.total_vols.len() == nodes.len() * count {
        let class = *rows.classes.class_of.get(j)?;
        let vols = &priceable.total_vols;
        return exact_row_at_kept_vols(nodes, p, rows, (growth, log_growth), class, vols);
    }
    let shock = ScaleShock::of(s);
    // `node_scenario`'s steps, with the row's 1 + move read once (the same bits: `GridRows`
    // computes it as `node_scenario_scaled` does).
    let vols = nodes.iter().map(|node| {
        let o = &node.terms;
        let scale = vol_scale_in(p, o.sigma, node.term, o.log_moneyness, &shock);
        Some(NodeVol::total_vol(node, scale))
    });
    summed_row(nodes, p, rows, (growth, log_growth), vols)
}

/// [`exact_row`] in a row of 1 + move and ln(1 + move) `growth` and of vol class `class`, with
/// each node's σ·√T in each class `total_vols` (node after node, as [`summed_bounds`] computed
/// them: `node_sums`' bits, since a class's scenarios give each node bit-equal scales).
fn exact_row_at_kept_vols(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    growths: (f64, f64),
    class: usize,
    total_vols: &[f64],
) -> Option<f64> {
    let count = rows.classes.firsts.len();
    let vols = total_vols
        .chunks_exact(count)
        .map(|v| v.get(class).copied());
    summed_row(nodes, p, rows, growths, vols)
}

/// The options' P&L of a row of 1 + move and ln(1 + move) `growth`: each node priced by the
/// kernel at its σ·√T in `total_vols` (in node order), its P&L added in node order from +0.
#[inline(always)]
fn summed_row(
    nodes: &[PricingNode],
    p: &RiskMatrixParams,
    rows: &RowInputs,
    (growth, log_growth): (f64, f64),
    total_vols: impl Iterator<Item = Option<f64>>,
) -> Option<f64> {
    let mut pnl = 0.0;
    for (node, total_vol) in nodes.iter().zip(total_vols) {
        let call_put = node_call_put(node, growth, log_growth, total_vol?);
        pnl += node_row_pnl(
            node,
            call_put,
            growth,
            rows,
            p.time_value_discount,
            node.base_usd?,
        );
    }
    Some(pnl)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    //! The bounds against the exact rows, node by node: every row's exact sum (which must be
    //! `node_sums`'s, bit for bit) lies within its bounds, for index moves from 1 bp to 15 %
    //! and vol-surface moves, linear and coin vectors, with and without discounted long
    //! premium and a skew shock. The one-option books make the bounds nearly tight (a deep
    //! in-the-money call moves by ≈ df·ΔF; a near-the-money one by ≈ df·F·Δv/√(2π)), so a bound
    //! that misses a term or a factor fails here.

    use super::super::{leg, node_sums, pricing_nodes, BitsMemo, GridRows, Leg};
    use super::super::{PortfolioParams, ScenarioCache};
    use super::*;
    use crate::market::Market;
    use crate::portfolio::{Account, Settlement};
    use serde_json::{json, Value};

    const MARKET: &str = include_str!("../../../tests/fixtures/market.json");

    /// The fixture with BTC's index and forwards × `growth` and its surface's variance level
    /// (SVI `a`) × `variance`.
    fn market(growth: f64, variance: f64) -> Market {
        let mut value: Value = serde_json::from_str(MARKET).unwrap();
        let btc = &mut value["underlyings"]["BTC"];
        btc["index"]["price"] = json!(btc["index"]["price"].as_f64().unwrap() * growth);
        for forward in btc["forwards"].as_array_mut().unwrap() {
            forward["price"] = json!(forward["price"].as_f64().unwrap() * growth);
        }
        for slice in btc["vol"]["slices"].as_array_mut().unwrap() {
            slice["a"] = json!(slice["a"].as_f64().unwrap() * variance);
        }
        Market::new(crate::json::from_value(value).unwrap()).unwrap()
    }

    fn account(positions: Value) -> Account {
        Account::new(
            &crate::json::from_value(json!({"mode": "portfolio", "positions": positions})).unwrap(),
        )
        .unwrap()
    }

    /// The test books, every size × `factor`.
    fn books(factor: f64) -> Vec<(&'static str, Account)> {
        let mut mixed = Vec::new();
        for (i, expiry) in ["25DEC26", "26MAR27", "25JUN27"].iter().enumerate() {
            for (j, strike) in [80_000, 95_000, 100_000, 120_000].iter().enumerate() {
                for (kind, sign) in [("C", 1.0), ("P", -1.0)] {
                    #[allow(clippy::cast_precision_loss)] // small integers
                    let size = sign
                        * factor
                        * (1.0 + (i + 2 * j) as f64 / 4.0)
                        * if j % 2 == 0 { 1.0 } else { -1.0 };
                    for prefix in ["BTC_USDC", "BTC"] {
                        mixed.push(json!({"instrument": format!("{prefix}-{expiry}-{strike}-{kind}"), "size": size}));
                    }
                }
            }
        }
        vec![
            ("mixed book", account(Value::Array(mixed))),
            (
                "deep in-the-money calls",
                account(json!([
                    {"instrument": "BTC_USDC-25DEC26-70000-C", "size": factor},
                    {"instrument": "BTC-25DEC26-70000-C", "size": -2.0 * factor}
                ])),
            ),
            (
                "near-the-money calls",
                account(json!([
                    {"instrument": "BTC_USDC-26MAR27-100000-C", "size": -factor},
                    {"instrument": "BTC-26MAR27-100000-C", "size": 3.0 * factor}
                ])),
            ),
        ]
    }

    fn legs<'a>(
        market: &Market,
        account: &'a Account,
        coin: bool,
        p: &RiskMatrixParams,
    ) -> Vec<Leg<'a>> {
        account
            .positions
            .iter()
            .filter(|q| (q.instrument.settlement == Settlement::Inverse) == coin)
            .map(|q| {
                leg(
                    market,
                    q,
                    None,
                    None,
                    &mut BitsMemo::default(),
                    p.skew_shock,
                )
                .unwrap()
            })
            .collect()
    }

    /// Checks every row of `nodes` (the market after the move) against its bounds from `cache`
    /// (the rows before it) and returns how many sums of earlier rows the vector keeps.
    fn check_rows(
        cache: &ScenarioCache,
        nodes: &[PricingNode],
        p: &RiskMatrixParams,
        inputs: &RowInputs,
        what: &str,
    ) -> usize {
        let (bounds, sums) = cache.with_vector("BTC", inputs.coin, p, |v| {
            let v = v.unwrap();
            let bounds = bounded_sums(nodes, p, inputs, v);
            (bounds, v.earlier_sums().len())
        });
        let bounds = bounds.unwrap_or_else(|| panic!("{what}: no bounds"));
        let full = node_sums(nodes, p, inputs, None);
        for j in 0..inputs.grid.len() {
            let exact = exact_row(nodes, p, inputs, j, &bounds).unwrap();
            assert_eq!(exact.to_bits(), full.pnl[j].to_bits(), "{what}, row {j}");
            assert!(full.priced[j], "{what}, row {j}");
            assert_eq!(bounds.unit_scale[j], full.unit_scale[j], "{what}, row {j}");
            assert!(
                bounds.lo_hi[j].0 <= exact && exact <= bounds.lo_hi[j].1,
                "{what}, row {j}: {exact} outside [{}, {}]",
                bounds.lo_hi[j].0,
                bounds.lo_hi[j].1
            );
        }
        sums
    }

    /// A node cached for its very inputs between moved ones (its exact rows added; the moved
    /// nodes then no prefix of the book's): the moved nodes before it are summed too.
    #[test]
    fn bounds_hold_with_a_cached_node_between_moved_ones() {
        let params = PortfolioParams::default();
        let p = params.risk_matrix("BTC");
        let rows = GridRows::of(p);
        let (_, account) = books(1.0).swap_remove(0);
        let before = market(1.0, 1.0);
        let legs_before = legs(&before, &account, false, p);
        let s0 = before.underlying("BTC").unwrap().spot();
        let (_, nodes_before) = pricing_nodes(&legs_before, p, s0, false);
        let cache = ScenarioCache::new();
        cache.with_vector("BTC", false, p, |v| {
            node_sums(&nodes_before, p, &rows.inputs(s0, false), v)
        });
        cache.forget_underlying("BTC");
        let after = market(1.02, 1.0);
        let s1 = after.underlying("BTC").unwrap().spot();
        let inputs = rows.inputs(s1, false);
        let legs_after = legs(&after, &account, false, p);
        let (_, nodes) = pricing_nodes(&legs_after, p, s1, false);
        assert!(nodes.len() > 2);
        // The second node priced at the new market: cached for its very inputs.
        cache.with_vector("BTC", false, p, |v| node_sums(&nodes[1..2], p, &inputs, v));
        check_rows(&cache, &nodes, p, &inputs, "second node cached");
    }

    #[test]
    fn exact_rows_lie_within_their_bounds() {
        let before = market(1.0, 1.0);
        let moves = [
            (1.0001, 1.0),
            (0.97, 1.0),
            (1.15, 1.0),
            (1.0, 1.1),
            (1.0, 0.9),
            (0.99, 1.05),
        ];
        let mut checked = 0;
        let mut summed_books = 0;
        for (discount, skew) in [(0.0, 0.0), (0.2, 0.3)] {
            let mut params = PortfolioParams::default();
            params.default_underlying.time_value_discount = discount;
            params.default_underlying.skew_shock = skew;
            let p = params.risk_matrix("BTC");
            let rows = GridRows::of(p);
            // The same books with other sizes: bounded from the same earlier rows (and, summed,
            // not from the first book's sums).
            let resized = books(-1.5);
            for ((book, account), (_, other)) in books(1.0).into_iter().zip(&resized) {
                for coin in [false, true] {
                    let legs_before = legs(&before, &account, coin, p);
                    let s0 = before.underlying("BTC").unwrap().spot();
                    let (_, nodes_before) = pricing_nodes(&legs_before, p, s0, coin);
                    for (growth, variance) in moves {
                        let what = format!("{book}, coin {coin}, × {growth}, variance × {variance}, discount {discount}");
                        let cache = ScenarioCache::new();
                        cache.with_vector("BTC", coin, p, |v| {
                            node_sums(&nodes_before, p, &rows.inputs(s0, coin), v)
                        });
                        cache.forget_underlying("BTC");
                        let after = market(growth, variance);
                        let s1 = after.underlying("BTC").unwrap().spot();
                        let inputs = rows.inputs(s1, coin);
                        let (legs_after, other_legs) = (
                            legs(&after, &account, coin, p),
                            legs(&after, other, coin, p),
                        );
                        let (_, nodes) = pricing_nodes(&legs_after, p, s1, coin);
                        let (_, other_nodes) = pricing_nodes(&other_legs, p, s1, coin);
                        let first = check_rows(&cache, &nodes, p, &inputs, &what);
                        let second = check_rows(
                            &cache,
                            &other_nodes,
                            p,
                            &inputs,
                            &format!("{what}, resized"),
                        );
                        // Linear books without discounted longs are bounded by sums (one per
                        // book), the others node by node (no sums).
                        let summed = |nodes: &[PricingNode]| {
                            usize::from(
                                !coin
                                    && nodes.iter().all(|n| {
                                        n.sizes.long_call == 0.0 && n.sizes.long_put == 0.0
                                    }),
                            )
                        };
                        let expected = (summed(&nodes), summed(&nodes) + summed(&other_nodes));
                        assert_eq!((first, second), expected, "{what}");
                        summed_books += expected.1;
                        checked += 2 * rows.grid.len();
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 3 * 2 * 6 * 2 * 35);
        // Both paths taken: half the cases are coin vectors (node by node).
        assert!(summed_books >= 2 * 3 * 6, "{summed_books} books summed");
    }
}
