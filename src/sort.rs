//! A stable insertion sort for the short lists the core orders (an object's keys for the
//! canonical JSON, a market's forward points, the liquidation solver's pinned vols: one per
//! distinct option of an account, once per call). Owns that one algorithm; never used where a
//! list can be long (historical P&L, grids: those keep the library's O(n log n) sort).
//!
//! Why not `slice::sort_by`: every element type and comparator compiles its own copy of the
//! library's driftsort into the `.wasm` (≈ 5 KB each, README "Build profile and size"), while
//! this loop is a few hundred bytes. On input that is already in order (struct fields written in
//! declaration order are nearly so, forwards are listed by expiry) it makes n − 1 comparisons.

/// Sorts `items` stably: `out_of_order(a, b)` is true when `a` must come after `b`. Quadratic in
/// the number of out-of-order pairs, so only for short lists.
pub(crate) fn insertion_sort_by<T>(items: &mut [T], out_of_order: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            match (items.get(j - 1), items.get(j)) {
                (Some(before), Some(after)) if out_of_order(before, after) => {
                    items.swap(j - 1, j);
                    j -= 1;
                }
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::insertion_sort_by;

    /// Property: the result equals the standard library's stable sort (equal keys keep their
    /// order), over every list of up to 7 elements with keys 0..4 tagged by position.
    #[test]
    fn equals_the_library_stable_sort() {
        for len in 0..=7u32 {
            for code in 0..4u32.pow(len) {
                let items: Vec<(u32, u32)> =
                    (0..len).map(|i| ((code / 4u32.pow(i)) % 4, i)).collect();
                let mut ours = items.clone();
                insertion_sort_by(&mut ours, |a, b| a.0 > b.0);
                let mut library = items;
                library.sort_by_key(|item| item.0);
                assert_eq!(ours, library);
            }
        }
    }
}
