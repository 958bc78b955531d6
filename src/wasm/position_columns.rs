//! An account's positions in as columns: the package's `margin()` (`js/report.js`) sends the
//! positions of a plain account as one `Float64Array`, the instrument ids joined by `\n` and a
//! `Uint8Array` of presence flags, instead of inside the account's JSON text. Owns rebuilding the
//! [`PositionSpec`]s from those columns only.
//!
//! JS uses the columns only when they say exactly what the JSON text would: every position a
//! plain object with no keys but `instrument` (a printable-ASCII id string), `size` (a finite
//! number) and optionally `entryPrice` / `isolatedMargin` (finite numbers; `undefined` or `null`
//! = absent, as `JSON.stringify` and the decoder treat them). Anything else goes as JSON text, so
//! the decoder reports it with its usual code and field. Stringifying and parsing the 500 lines
//! of the bench book cost more than the margin computation of a cross book (bench/README.md).

use crate::error::{Error, Result};
use crate::portfolio::{InstrumentSpec, PositionSpec};

/// Numbers per position: size, entryPrice, isolatedMargin (0 when absent).
const COLUMNS: usize = 3;

/// The positions the columns describe, in order. `flags` per position: bit 0 `entryPrice`
/// present, bit 1 `isolatedMargin` present. Inconsistent columns (only a bug in the JS side can
/// make them) are an `E_INVALID_INPUT` error at `account.positions`.
pub(super) fn positions(numbers: &[f64], ids: &str, flags: &[u8]) -> Result<Vec<PositionSpec>> {
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
