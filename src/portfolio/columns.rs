//! An account's positions as columns: the package's `margin()` (`js/report.js`) sends the
//! positions of a plain account as one `Float64Array`, the instrument ids joined by `\n` and a
//! `Uint8Array` of presence flags, instead of inside the account's JSON text; the binding
//! (`src/wasm/margin.rs`) hands them here. Owns rebuilding the [`PositionSpec`]s from those
//! columns only (plain Rust, so it is tested natively).
//!
//! JS uses the columns only when they say exactly what the JSON text would: every position a
//! plain object with no keys but `instrument` (a printable-ASCII id string), `size` (a finite
//! number) and optionally `entryPrice` / `isolatedMargin` (finite numbers; `undefined` or `null`
//! = absent, as `JSON.stringify` and the decoder treat them). Anything else goes as JSON text, so
//! the decoder reports it with its usual code and field. Stringifying and parsing the 500 lines
//! of the bench book cost more than the margin computation of a cross book (bench/README.md).

use super::{InstrumentSpec, PositionSpec};
use crate::error::{Error, Result};

/// Numbers per position: size, entryPrice, isolatedMargin (0 when absent).
const COLUMNS: usize = 3;

/// The positions the columns describe, in order. `flags` per position: bit 0 `entryPrice`
/// present, bit 1 `isolatedMargin` present. Inconsistent columns (only a bug in the JS side can
/// make them) are an `E_INVALID_INPUT` error at `account.positions`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // called by the wasm binding
pub(crate) fn positions(numbers: &[f64], ids: &str, flags: &[u8]) -> Result<Vec<PositionSpec>> {
    let malformed = || Error::invalid("account.positions", "malformed position columns");
    if numbers.len() != COLUMNS * flags.len() || flags.is_empty() {
        return Err(malformed());
    }
    let mut ids = ids.split('\n');
    let mut specs = Vec::with_capacity(flags.len());
    for (row, flag) in numbers.chunks_exact(COLUMNS).zip(flags) {
        // `x + 0.0` turns −0 into +0, as JSON.stringify writes it ("0").
        let number = |x: f64| (x.is_finite()).then_some(x + 0.0).ok_or_else(malformed);
        let (size, entry, isolated) = match row {
            [size, entry, isolated] => (*size, *entry, *isolated),
            _ => return Err(malformed()),
        };
        let id = ids
            .next()
            .filter(|id| !id.is_empty())
            .ok_or_else(malformed)?;
        specs.push(PositionSpec {
            instrument: InstrumentSpec::Id(id.to_owned()),
            size: number(size)?,
            entry_price: (flag & 1 != 0).then(|| number(entry)).transpose()?,
            isolated_margin: (flag & 2 != 0).then(|| number(isolated)).transpose()?,
        });
    }
    if ids.next().is_some() {
        return Err(malformed());
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuilt(numbers: &[f64], ids: &str, flags: &[u8]) -> Vec<PositionSpec> {
        match positions(numbers, ids, flags) {
            Ok(specs) => specs,
            Err(e) => panic!("refused: {e}"),
        }
    }

    #[test]
    fn columns_give_the_specs_json_text_gives() {
        // What `JSON.parse` of the account text gives for the same positions: −0 written "0" by
        // JSON.stringify reads back +0; absent optionals (flag bit clear) are None whatever the
        // column holds.
        let specs = rebuilt(
            &[1.5, 7.0, 9.0, -2.0, 97_000.0, -0.0],
            "BTC-27DEC26-100000-C\nBTC-PERPETUAL",
            &[0, 3],
        );
        assert_eq!(specs.len(), 2);
        assert_eq!(
            specs[0].instrument,
            InstrumentSpec::Id("BTC-27DEC26-100000-C".into())
        );
        assert_eq!(
            (
                specs[0].size,
                specs[0].entry_price,
                specs[0].isolated_margin
            ),
            (1.5, None, None)
        );
        assert_eq!(specs[1].entry_price, Some(97_000.0));
        let isolated = specs[1].isolated_margin.map(f64::to_bits);
        assert_eq!(isolated, Some(0.0_f64.to_bits()), "−0 becomes +0");
    }

    #[test]
    fn inconsistent_columns_are_a_coded_error_not_a_panic() {
        for (numbers, ids, flags) in [
            (&[1.0, 0.0][..], "A", &[0][..]),         // too few numbers
            (&[1.0, 0.0, 0.0][..], "A\nB", &[0][..]), // too many ids
            (&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0][..], "A", &[0, 0][..]), // too few ids
            (&[1.0, 0.0, 0.0][..], "", &[0][..]),     // empty id
            (&[f64::NAN, 0.0, 0.0][..], "A", &[0][..]), // non-finite size
            (&[1.0, f64::INFINITY, 0.0][..], "A", &[1][..]), // non-finite entry price
            (&[][..], "", &[][..]),                   // no positions
        ] {
            let err = positions(numbers, ids, flags).err();
            assert!(
                err.as_ref().is_some_and(
                    |e| e.code() == "E_INVALID_INPUT" && e.field() == "account.positions"
                ),
                "{numbers:?} {ids:?} {flags:?}: {err:?}"
            );
        }
        // A non-finite number in a column whose flag is clear is not read.
        assert_eq!(
            rebuilt(&[1.0, f64::NAN, 0.0], "A", &[0])[0].entry_price,
            None
        );
    }
}
