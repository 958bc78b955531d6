//! Byte-string equality eight bytes at a time, the tail as the last (overlapping) word, and names
//! of under 8 bytes by their ends (no byte loop: ≈ 150 instructions per engine update): for the
//! long texts the JS binding compares with the last call's (a market's JSON text, an account's
//! joined position ids) to find what it can reuse, and the short names every valuation looks its
//! underlying up by. Owns that one comparison.
//!
//! Why not `==`: on slices and strings it calls `memcmp`, which in wasm32 is compiler-builtins'
//! loop over single bytes (a 13 KB id column compared that way was ≈ 2 % of a 500-leg `margin()`
//! call), and for a name of a few bytes the call costs more than the comparison. The result is
//! the same as `==`'s.

/// Whether `a` and `b` hold the same bytes (`a == b`). Never inlined in the `.wasm`: in line at
/// every underlying lookup it cost 3.5 KB gzip for no measurable speed; natively in line (a
/// short name's comparison costs less than the call; every valuation and every engine update
/// looks names up). Callers with short keys compare lengths first in line.
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        // The first, middle and last bytes cover every byte of 1–3 (no loop for a short name).
        1..=3 => {
            a[0] == b[0] && a[a.len() / 2] == b[b.len() / 2] && a[a.len() - 1] == b[b.len() - 1]
        }
        // The first and last four bytes (overlapping) cover every byte of 4–7.
        4..=7 => same_ends::<4>(a, b),
        _ => same_words(a, b),
    }
}

/// Whether the first `N` and last `N` bytes of `a` and `b` (`N` ≤ both lengths) are the same.
fn same_ends<const N: usize>(a: &[u8], b: &[u8]) -> bool {
    a.first_chunk::<N>() == b.first_chunk::<N>() && a.last_chunk::<N>() == b.last_chunk::<N>()
}

/// [`same_bytes`] of two slices of the same length (at least 8): word by word, the tail as the
/// last (overlapping) word.
fn same_words(a: &[u8], b: &[u8]) -> bool {
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        // Always 8 bytes: one word comparison each.
        let same = match (<[u8; 8]>::try_from(p), <[u8; 8]>::try_from(q)) {
            (Ok(p), Ok(q)) => u64::from_ne_bytes(p) == u64::from_ne_bytes(q),
            _ => p == q,
        };
        if !same {
            return false;
        }
    }
    x.remainder().is_empty() || same_ends::<8>(a, b)
}

/// [`same_bytes`] of two strings (`a == b`).
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    /// Property: the same answer as `==` for every pair of lengths 0–20 differing (or not) in
    /// any one byte, including the remainder after the last full word.
    #[test]
    fn equals_slice_equality() {
        for len in 0..=20usize {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert_eq!(same_bytes(&a, &b), a == b, "len {len}, byte {i}");
                assert!(!same_bytes(&a, &b));
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same_bytes(&a, &longer));
        }
    }
}
