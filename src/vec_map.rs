//! A map kept as a sorted `Vec` of (key, value) pairs. Owns that one structure, used for
//! - the small groupings the margin models build on every call (per underlying, per
//!   (underlying, settlement), per expiry) and a market's resolved underlyings;
//! - the public interchange records keyed by a name whose count does not grow with the book:
//!   a market's underlyings and collateral quotes, the parameters' per-asset, per-flag and
//!   per-underlying tables, the reports' per-underlying results. In JSON they are objects, in
//!   TypeScript `Record<string, T>` (the fields say so with `tsify(type = …)`).
//!
//! It is never used for a map that grows with the number of positions, instruments, strikes or
//! accounts (`marks`, `markIv`, the engine's accounts keep `BTreeMap`): an insertion moves the
//! tail, O(n).
//!
//! Why not `BTreeMap`: every key/value type compiles its own copy of the B-tree's insertion, node
//! splitting, cloning, drop and iteration code into the `.wasm` (≈ 5 KB raw per type; README
//! "Build profile and size"), while this is a search and a `Vec::insert`. Iteration is in
//! ascending key order, as a `BTreeMap`'s, so sums over a map add in the same order and give the
//! same bits, and a map serialises as the same JSON object.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// A map from `K` to `V`, iterated in ascending key order. Keys are unique.
#[derive(Debug, Clone, PartialEq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

/// The most keys searched by a scan from the front (see `VecMap::position`).
const SCAN_LIMIT: usize = 16;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would go. Up to [`SCAN_LIMIT`] keys a scan
    /// from the front, which for the few keys these maps usually hold makes fewer comparisons
    /// than a binary search (it stops at the first key not below `key`); above, a binary search.
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        if self.0.len() > SCAN_LIMIT {
            return self.0.binary_search_by(|(k, _)| k.borrow().cmp(key));
        }
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
    pub fn slot(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
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

    /// Sets `key` to `value`, returning the value it replaces. A key above every key present
    /// (input already in order) is appended without a search.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let at = if self.0.last().is_none_or(|(last, _)| *last < key) {
            Err(self.0.len())
        } else {
            self.position(&key)
        };
        match at {
            Ok(at) => self.0.get_mut(at).map(|(_, v)| std::mem::replace(v, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// The value at `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key)
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, v)| v)
    }

    /// The value at `key`, to change.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let at = self.position(key).ok()?;
        self.0.get_mut(at).map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let at = self.position(key).ok()?;
        Some(self.0.remove(at).1)
    }
}

impl<K, V> VecMap<K, V> {
    /// An empty map with room for `capacity` entries (one allocation when the caller knows how
    /// many entries at most it will insert).
    pub fn with_capacity(capacity: usize) -> Self {
        VecMap(Vec::with_capacity(capacity))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The (key, value) pairs in ascending key order, as a slice.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.0
    }

    /// (key, value) pairs in ascending key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.0.iter().map(pair_of)
    }

    /// The values in ascending key order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// The values in ascending key order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// The keys in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.0.iter().map(|(k, _)| k)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// (key, value) pairs in ascending key order, the values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> + '_ {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// The pairs inserted in turn: a later pair replaces an earlier one with the same key.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = Self::new();
        map.extend(pairs);
        map
    }
}

impl<K: Borrow<Q> + Ord, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;

    /// The value at `key`, as `BTreeMap`'s indexing.
    ///
    /// # Panics
    /// If `key` is absent (use [`VecMap::get`] where it may be).
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(value) => value,
            None => panic!("VecMap: no entry for the key"),
        }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    /// The pairs inserted in turn, as [`FromIterator`].
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for VecMap<K, V> {
    /// A map (a JSON object), in ascending key order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K, V> serde::Deserialize<'de> for VecMap<K, V>
where
    K: Ord + serde::Deserialize<'de>,
    V: serde::Deserialize<'de>,
{
    /// From a map (a JSON object); a repeated key keeps its last value, as `BTreeMap`'s does.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            std::collections::BTreeMap::<K, V>::deserialize(deserializer)?
                .into_iter()
                .collect(),
        )
    }
}

/// The borrowing iterator of a [`VecMap`].
pub type Iter<'a, K, V> =
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
    use super::{VecMap, SCAN_LIMIT};
    use std::collections::BTreeMap;

    /// Property: after any sequence of inserts, slot updates, in-place changes and removals,
    /// over key ranges below and above [`SCAN_LIMIT`] (so both the scan and the binary search
    /// run) and in and out of order, the map holds the same pairs in the same order as a
    /// `BTreeMap` given the same operations, and answers every lookup alike.
    #[test]
    fn behaves_like_a_btree_map() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for round in 0..400u32 {
            let keys = if round % 2 == 0 {
                12
            } else {
                3 * SCAN_LIMIT as u32
            };
            let (mut ours, mut reference) = (VecMap::new(), BTreeMap::new());
            for step in 0..120u32 {
                // Every fourth round mostly ascending keys (the append without a search).
                let key = if round % 4 == 1 {
                    step / 2
                } else {
                    next() % keys
                };
                match next() % 5 {
                    0 | 1 => assert_eq!(ours.insert(key, step), reference.insert(key, step)),
                    2 => {
                        *ours.slot(key, || 100) += step;
                        *reference.entry(key).or_insert(100) += step;
                    }
                    3 => {
                        if let Some(v) = ours.get_mut(&key) {
                            *v += 1;
                        }
                        if let Some(v) = reference.get_mut(&key) {
                            *v += 1;
                        }
                    }
                    _ => assert_eq!(ours.remove(&key), reference.remove(&key)),
                }
                assert_eq!(ours.get(&key), reference.get(&key));
                assert_eq!(ours.contains_key(&key), reference.contains_key(&key));
            }
            assert_eq!(ours.len(), reference.len());
            let pairs: Vec<(u32, u32)> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<(u32, u32)> = reference.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(pairs, expected);
            assert!(ours.keys().copied().eq(reference.keys().copied()));
            assert!(ours.values().copied().eq(reference.values().copied()));
            for (k, v) in &reference {
                assert_eq!(ours[k], *v);
            }
            let rebuilt: VecMap<u32, u32> = expected.iter().rev().copied().collect();
            assert_eq!(rebuilt, ours);
            assert_eq!(ours.into_iter().collect::<Vec<_>>(), expected);
        }
        assert!(VecMap::<u32, u32>::new().is_empty());
        assert_eq!(VecMap::<&str, u32>::new().get("absent"), None);
    }

    /// As a JSON object: written in key order whatever the insertion order, read back with a
    /// repeated name keeping its last value (as `BTreeMap` does), and the same text as a
    /// `BTreeMap` with the same pairs.
    #[test]
    fn is_a_json_object_like_a_btree_map() {
        let map = VecMap::from([("b".to_string(), 2.5), ("a".to_string(), -1.0)]);
        let reference: BTreeMap<String, f64> = map.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let text = serde_json::to_string(&map).unwrap();
        assert_eq!(text, r#"{"a":-1.0,"b":2.5}"#);
        assert_eq!(text, serde_json::to_string(&reference).unwrap());
        let read: VecMap<String, f64> = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(
            read,
            VecMap::from([("a".to_string(), 2.0), ("b".to_string(), 3.0)])
        );
    }
}
