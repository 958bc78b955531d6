//! A map kept as a sorted `Vec` of (key, value) pairs, for the small groupings the margin
//! models build on every call (per underlying, per (underlying, settlement), per expiry) and a
//! market's underlyings. Owns that one structure; never used for a map that grows with the
//! number of positions or of distinct strikes (those keep `BTreeMap`: a lookup here scans from
//! the front and an insertion moves the tail, O(n) each).
//!
//! Why not `BTreeMap`: every key/value type compiles its own copy of the B-tree's insertion, node
//! splitting, drop and iteration code into the `.wasm` (≈ 5 KB raw per type; README "Build
//! profile and size"), while this is a scan and a `Vec::insert`. Iteration is in ascending key
//! order, as a `BTreeMap`'s, so sums over a map add in the same order and give the same bits.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// A map from `K` to `V`, iterated in ascending key order. Keys are unique.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would go: a scan from the front, which
    /// for the few keys these maps hold makes fewer comparisons than a binary search (it stops
    /// at the first key not below `key`).
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        for (at, (k, _)) in self.0.iter().enumerate() {
            match k.borrow().cmp(key) {
                Ordering::Less => {}
                Ordering::Equal => return Ok(at),
                Ordering::Greater => return Err(at),
            }
        }
        Err(self.0.len())
    }

    /// The value at `key`, inserting `make()` there first if the key is absent (`BTreeMap`'s
    /// `entry(key).or_insert_with(make)`).
    pub(crate) fn slot(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.position(&key) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (key, make()));
                at
            }
        };
        // In bounds by construction (found there or just inserted there), not from input.
        &mut self.0[at].1
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(at) => self.0.get_mut(at).map(|(_, v)| std::mem::replace(v, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// The value at `key`.
    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key)
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, v)| v)
    }
}

impl<K, V> VecMap<K, V> {
    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no key.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The (key, value) pairs in ascending key order, as a slice.
    pub(crate) fn as_slice(&self) -> &[(K, V)] {
        &self.0
    }

    /// (key, value) pairs in ascending key order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        self.0.iter().map(pair_of)
    }

    /// The values in ascending key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// The values in ascending key order, to change.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// The keys in ascending order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.0.iter().map(|(k, _)| k)
    }
}

/// The borrowing iterator of a [`VecMap`].
pub(crate) type Iter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

fn pair_of<K, V>((k, v): &(K, V)) -> (&K, &V) {
    (k, v)
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;
    use std::collections::BTreeMap;

    /// Property: after any sequence of inserts and slot updates over a small key range, the
    /// map holds the same pairs in the same order as a `BTreeMap` given the same operations.
    #[test]
    fn behaves_like_a_btree_map() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for _ in 0..200 {
            let (mut ours, mut reference) = (VecMap::new(), BTreeMap::new());
            for step in 0..40u32 {
                let key = next() % 12;
                if next() % 2 == 0 {
                    assert_eq!(ours.insert(key, step), reference.insert(key, step));
                } else {
                    *ours.slot(key, || 100) += step;
                    *reference.entry(key).or_insert(100) += step;
                }
                assert_eq!(ours.get(&key), reference.get(&key));
            }
            assert_eq!(ours.len(), reference.len());
            let pairs: Vec<(u32, u32)> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<(u32, u32)> = reference.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(pairs, expected);
            assert!(ours.keys().copied().eq(reference.keys().copied()));
            assert!(ours.values().copied().eq(reference.values().copied()));
            assert_eq!(ours.into_iter().collect::<Vec<_>>(), expected);
        }
        assert!(VecMap::<u32, u32>::new().is_empty());
        assert_eq!(VecMap::<&str, u32>::new().get("absent"), None);
    }
}
