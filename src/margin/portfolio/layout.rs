//! What a risk vector's computations keep from one computation to the next besides its nodes'
//! rows (native): what depends on the vector's book and parameters but not on the market, so
//! that the engine's recomputation of an unchanged book (every index update) does not find it
//! again.
//!
//! Owns: [`VectorLayout`], kept by the scenario cache's vector (dropped with the vector's
//! parameters) and lent to each computation of that vector: the vol-shock term factors by days
//! to expiry, and the last grouping of the vector's legs into pricing nodes.
//!
//! Never trusted blindly: a term factor is kept by its input's bits (a pure function of them
//! and the parameters), and the grouping is only a guess that each computation checks against
//! its own legs' node keys (the bits of T₀, F₀, K, σ and the discount factor, as the grouping
//! by hashing compares them): legs of one kept node must have equal keys and legs of different
//! nodes different keys, else the legs are grouped by hashing ([`group_by_key`]). The grouping
//! is then the one hashing would find, node order and summed sizes included, bit for bit.

use super::node_index::same_key;
use super::RiskMatrixParams;
use super::{
    group_by_key, node_key, vol_term, BitsMemo, GroupedLegs, Leg, LegKind, PricingNode, Vectors,
};
use crate::margin::scenario_cache::{emptied, ScenarioCache};

/// The vectors a portfolio computation fills with its legs and pricing nodes and drops at its
/// end, kept empty by the scenario cache from one computation to the next (their allocations
/// reused: the engine recomputes its accounts at every update). Their items borrow a
/// computation's positions, so they are kept [`emptied`].
#[derive(Debug, Clone, Default)]
pub(crate) struct LegBuffers {
    /// The legs by vector (empty).
    vectors: Vectors<'static>,
    /// Emptied legs' vectors, for the next computation's vectors.
    legs: Vec<Vec<Leg<'static>>>,
    /// An emptied nodes' vector.
    nodes: Vec<PricingNode<'static>>,
}

impl LegBuffers {
    /// Empty buffers: the ones `cache` holds if there are any, else new ones.
    pub(super) fn lent_by(cache: Option<&ScenarioCache>) -> LegBuffers {
        cache
            .map(ScenarioCache::lend_leg_buffers)
            .unwrap_or_default()
    }

    /// Gives the buffers back to `cache` for its next computation.
    pub(super) fn give_back(self, cache: Option<&ScenarioCache>) {
        if let Some(cache) = cache {
            cache.give_leg_buffers(self);
        }
    }

    /// The legs by vector, empty.
    pub(super) fn vectors<'p>(&mut self) -> Vectors<'p> {
        std::mem::take(&mut self.vectors)
    }

    /// A vector's legs, empty, with room for `room` legs.
    pub(super) fn legs<'p>(&mut self, room: usize) -> Vec<Leg<'p>> {
        match self.legs.pop() {
            Some(mut legs) => {
                legs.reserve(room);
                legs
            }
            None => Vec::with_capacity(room),
        }
    }

    /// A vector's nodes, empty.
    pub(super) fn nodes<'l>(&mut self) -> Vec<PricingNode<'l>> {
        std::mem::take(&mut self.nodes)
    }

    /// Keeps `nodes`' allocation, emptied (their borrows end here).
    pub(super) fn keep_nodes(&mut self, nodes: Vec<PricingNode<'_>>) {
        self.nodes = emptied(nodes);
    }

    /// Keeps the allocations of `vectors` and of each vector's legs, emptied.
    pub(super) fn keep_vectors(&mut self, mut vectors: Vectors<'_>) {
        for (_, legs) in vectors.drain(..) {
            self.legs.push(emptied(legs));
        }
        self.vectors = emptied(vectors);
    }
}

/// A risk vector's kept values (see the module documentation).
#[derive(Debug, Clone, Default)]
pub(crate) struct VectorLayout {
    /// The vol-shock term factors (30/DTE)^p by days to expiry (bits), under the vector's
    /// parameters: one `pow` per expiry when time moves, none while it stands still.
    terms: BitsMemo,
    /// The last grouping's node of each leg (`None` for perpetuals and futures); empty if none.
    node_of_leg: Vec<Option<usize>>,
    /// Each node's days to expiry (bits) and their term factor, as that grouping found them: a
    /// node whose days did not change takes its factor with one comparison instead of a search
    /// of `terms`.
    node_terms: Vec<(u64, f64)>,
    /// The strike's bits of each node of that grouping.
    strikes: Vec<u64>,
    /// The pairs of its nodes with equal strikes: the only ones whose keys can be equal.
    twins: Vec<(usize, usize)>,
}

impl VectorLayout {
    /// The legs grouped into pricing nodes as [`group_by_key`] groups them: by the last
    /// grouping if the legs' keys confirm it, else by hashing (then kept for the next).
    /// `nodes`: an empty vector for the nodes (its allocation reused).
    pub(super) fn group<'l, 'p>(
        &mut self,
        legs: &'l [Leg<'p>],
        p: &RiskMatrixParams,
        nodes: Vec<PricingNode<'l>>,
    ) -> GroupedLegs<'l, 'p> {
        // Emptied when full: time moved many times since they were kept (old days).
        self.terms.clear_if_full();
        if let Some(grouped) = self.regroup(legs, p, nodes) {
            return grouped;
        }
        // The book changed (rare): `nodes` went with the refused grouping.
        let grouped = group_by_key(legs, p, &mut self.terms, Vec::with_capacity(legs.len()));
        self.remember(legs, &grouped);
        grouped
    }

    /// The legs grouped as last time, if their keys confirm that grouping: the legs of a node
    /// have its key, and twin nodes (equal strikes) differ in key (nodes of different strikes
    /// differ in K). Sizes are summed leg by leg in leg order, as [`group_by_key`] does.
    /// `nodes`: an empty vector for the nodes.
    fn regroup<'l, 'p>(
        &mut self,
        legs: &'l [Leg<'p>],
        p: &RiskMatrixParams,
        mut nodes: Vec<PricingNode<'l>>,
    ) -> Option<GroupedLegs<'l, 'p>> {
        if legs.is_empty() || legs.len() != self.node_of_leg.len() {
            return None;
        }
        nodes.reserve(self.strikes.len());
        let discounted_longs = p.time_value_discount > 0.0;
        let mut delta1_legs = Vec::new();
        for (leg, &n) in legs.iter().zip(&self.node_of_leg) {
            let o = match (&leg.kind, n) {
                (LegKind::Delta1 { .. }, None) => {
                    leg.node.set(None);
                    delta1_legs.push(leg);
                    continue;
                }
                (LegKind::Option(o), Some(_)) => o,
                _ => return None,
            };
            let n = n?;
            // Nodes come in order of their first leg, as hashing numbers them.
            if n == nodes.len() {
                if self.strikes.get(n) != Some(&o.strike.to_bits()) {
                    return None;
                }
                let term = node_term(&mut self.node_terms, &mut self.terms, n, o.days, p);
                nodes.push(PricingNode::unpriced(o, term));
            } else if !nodes
                .get(n)
                .is_some_and(|node| same_key(&node.key(), &node_key(o)))
            {
                return None;
            }
            let node = nodes.get_mut(n)?;
            node.sizes
                .add(o.option_kind, leg.position.amount, discounted_longs);
            // Left as is if the grouping is refused below: hashing then writes every leg's.
            leg.node.set(Some(n));
        }
        let distinct = self.twins.iter().all(|&(a, b)| {
            matches!((nodes.get(a), nodes.get(b)), (Some(a), Some(b)) if keys_differ(a, b))
        });
        (distinct && nodes.len() == self.strikes.len())
            .then_some(GroupedLegs { nodes, delta1_legs })
    }

    /// Keeps a grouping by hashing of `legs` for the next computation.
    fn remember(&mut self, legs: &[Leg], grouped: &GroupedLegs) {
        self.node_of_leg.clear();
        self.node_of_leg
            .extend(legs.iter().map(|leg| leg.node.get()));
        self.node_terms.clear();
        self.node_terms.extend(
            grouped
                .nodes
                .iter()
                .map(|node| (node.terms.days.to_bits(), node.term)),
        );
        self.strikes.clear();
        self.strikes
            .extend(grouped.nodes.iter().map(|node| node.terms.strike.to_bits()));
        // Nodes by strike, so that twins are neighbours.
        let mut by_strike: Vec<usize> = (0..self.strikes.len()).collect();
        by_strike.sort_unstable_by_key(|&n| self.strikes.get(n).copied());
        self.twins.clear();
        for (i, &a) in by_strike.iter().enumerate() {
            let strike = self.strikes.get(a);
            for &b in by_strike.iter().skip(i + 1) {
                if self.strikes.get(b) != strike {
                    break;
                }
                self.twins.push((a, b));
            }
        }
    }
}

/// Whether two nodes' keys differ (`!same_key`), word by word with the expiry first: twin nodes
/// (equal strikes) mostly differ there, so most pairs take one comparison.
fn keys_differ(a: &PricingNode, b: &PricingNode) -> bool {
    let bits = |x: f64, y: f64| x.to_bits() != y.to_bits();
    let (a, b) = (&a.terms, &b.terms);
    bits(a.years, b.years)
        || bits(a.forward0, b.forward0)
        || bits(a.strike, b.strike)
        || bits(a.sigma, b.sigma)
        || bits(a.discount, b.discount)
}

/// Node `n`'s term factor for `days` under `p`: the one `node_terms` keeps for it if kept for
/// these days' bits, else from `terms` (then kept for node `n`).
fn node_term(
    node_terms: &mut [(u64, f64)],
    terms: &mut BitsMemo,
    n: usize,
    days: f64,
    p: &RiskMatrixParams,
) -> f64 {
    let bits = days.to_bits();
    match node_terms.get_mut(n) {
        Some((kept, term)) if *kept == bits => *term,
        kept => {
            let term = terms.get_or(days, 0.0, || vol_term(p, days));
            if let Some(kept) = kept {
                *kept = (bits, term);
            }
            term
        }
    }
}
