//! The pricing nodes' lookup by key: an open-addressing table of node indices, deterministic (a
//! fixed hash of the key's bits, no random state). Used while a vector's legs are grouped into
//! nodes (allocated once per grouping) and by the scenario cache's nodes (rebuilt larger as it
//! fills: [`NodeIndex::room_for`]). It replaces `BTreeMap`s whose node allocations and 5-word
//! key comparisons cost ≈ 5 % of the engine's index update and ≈ 6 % of a new-market
//! `margin()` in wasm32.

use crate::margin::scenario_cache::NodeKey;

/// Node indices by key; the keys themselves live in the caller's nodes.
#[derive(Debug, Clone)]
pub(crate) struct NodeIndex {
    /// A node index per slot, `EMPTY` where free; a power-of-two length at least twice the most
    /// nodes the grouping can create, so a probe always ends at an empty slot.
    slots: Vec<usize>,
    shift: u32,
}

const EMPTY: usize = usize::MAX;

/// A free slot for a key that [`NodeIndex::find`] did not find.
pub(crate) struct Vacant(usize);

impl NodeIndex {
    /// A table for up to `most` nodes.
    pub(crate) fn with_capacity(most: usize) -> NodeIndex {
        let len = most.saturating_mul(2).max(8).next_power_of_two();
        NodeIndex {
            slots: vec![EMPTY; len],
            shift: u64::BITS - len.trailing_zeros(),
        }
    }

    /// The index of the node whose key (`key_of`) equals `key`, or the free slot where such a
    /// node's index goes ([`NodeIndex::fill`]).
    #[inline]
    pub(crate) fn find(
        &self,
        key: &NodeKey,
        key_of: impl Fn(usize) -> Option<NodeKey>,
    ) -> Result<usize, Vacant> {
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key) & mask;
        loop {
            match self.slots.get(slot).copied() {
                Some(n) if n != EMPTY && key_of(n).is_some_and(|k| same_key(&k, key)) => {
                    return Ok(n)
                }
                Some(n) if n != EMPTY => slot = (slot + 1) & mask,
                _ => return Err(Vacant(slot)),
            }
        }
    }

    /// Records node `n` in the slot [`NodeIndex::find`] returned for its key. At most the
    /// capacity's number of nodes.
    pub(crate) fn fill(&mut self, Vacant(slot): Vacant, n: usize) {
        if let Some(free) = self.slots.get_mut(slot) {
            *free = n;
        }
    }

    /// A key's first slot: the Fx hash's multiply-and-rotate over its words, top bits.
    /// Empties the table, keeping its size.
    pub(crate) fn clear(&mut self) {
        self.slots.fill(EMPTY);
    }

    /// Whether the table keeps its probes short (at most half full) with `len` + 1 nodes; when
    /// not, the owner builds a larger one ([`NodeIndex::with_capacity`]) and fills it again.
    pub(crate) fn room_for(&self, len: usize) -> bool {
        len.saturating_add(1).saturating_mul(2) <= self.slots.len()
    }

    #[inline]
    fn home(&self, key: &NodeKey) -> usize {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let hash = key
            .iter()
            .fold(0u64, |h, word| (h.rotate_left(5) ^ word).wrapping_mul(K));
        // `shift` < 64 since the table has at least 8 slots.
        (hash >> self.shift) as usize
    }
}

/// Whether two keys are equal (`a == b`), word by word in line: `==` on the arrays calls
/// `memcmp` (a call per probe, in wasm32 a loop over single bytes).
#[inline]
pub(super) fn same_key(a: &NodeKey, b: &NodeKey) -> bool {
    a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_key_once_and_keeps_first_occurrence_order() {
        // Keys that collide in the low bits and repeat: each distinct key gets the next index
        // at its first occurrence and the same index after.
        let keys: Vec<NodeKey> = (0..300u64)
            .map(|i| [i % 97, 7, (i % 97) << 40, 0, 1])
            .collect();
        let mut nodes: Vec<NodeKey> = Vec::new();
        let mut index = NodeIndex::with_capacity(keys.len());
        for key in &keys {
            let n = match index.find(key, |n| nodes.get(n).copied()) {
                Ok(n) => n,
                Err(vacant) => {
                    nodes.push(*key);
                    index.fill(vacant, nodes.len() - 1);
                    nodes.len() - 1
                }
            };
            assert_eq!(nodes[n], *key);
        }
        assert_eq!(nodes.len(), 97);
        let firsts: Vec<NodeKey> = keys.iter().take(97).copied().collect();
        assert_eq!(nodes, firsts);
    }
}
