//! The keys of an underlying's `marks` and `markIv`: instrument ids as a caller writes them
//! (`BTC-PERP`, `BTC_USDC-PERPETUAL`, `BTC-27DEC26-100000-C`, …), re-keyed by canonical id
//! ([`Instrument::id`]), which is what a position looks its mark up by.
//!
//! Owns only that re-keying and its refusals. Without it, a mark listed under another spelling
//! of the instrument's id would be silently unused: the position would take the index, the
//! forward or the vol surface instead.

use super::snapshot::UnderlyingSpec;
use crate::error::{Error, Result};
use crate::portfolio::{ContractKind, Instrument};
use std::collections::BTreeMap;

/// What a by-instrument map lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// `marks`: perpetuals and futures.
    DeltaOne,
    /// `markIv`: options.
    Options,
}

/// `u.marks` and `u.mark_iv` of underlying `name` re-keyed by canonical instrument ids. A key
/// that is not an instrument id, names another underlying's instrument or an instrument of the
/// wrong kind (an option in `marks`, a perpetual or future in `markIv`), or names the same
/// instrument as another key, is an `E_INVALID_INPUT` naming the key
/// (`underlyings.BTC.marks.BTC-PERP`). Keys that are canonical already keep their entries.
pub(crate) fn canonical_listings(name: &str, u: &mut UnderlyingSpec) -> Result<()> {
    let at = format!("underlyings.{name}.");
    u.marks = canonical(std::mem::take(&mut u.marks), name, Listed::DeltaOne, &at)?;
    u.mark_iv = canonical(std::mem::take(&mut u.mark_iv), name, Listed::Options, &at)?;
    Ok(())
}

/// Mark IVs of options of `underlying` (an engine `volUpdate`'s), re-keyed likewise before they
/// merge into the market's, so that an option's new IV replaces its old one whichever id it is
/// listed under. Errors name `markIv.<key>`.
pub fn canonical_mark_iv(
    underlying: &str,
    mark_iv: BTreeMap<String, f64>,
) -> Result<BTreeMap<String, f64>> {
    canonical(mark_iv, underlying, Listed::Options, "")
}

/// `map` (`{prefix}marks` or `{prefix}markIv`) re-keyed by canonical id.
fn canonical(
    map: BTreeMap<String, f64>,
    underlying: &str,
    listed: Listed,
    prefix: &str,
) -> Result<BTreeMap<String, f64>> {
    let list = match listed {
        Listed::DeltaOne => "marks",
        Listed::Options => "markIv",
    };
    let mut canonical = BTreeMap::new();
    for (key, value) in map {
        let at = || format!("{prefix}{list}.{key}");
        let instrument = Instrument::parse(&key).map_err(|e| e.with_field(at()))?;
        if instrument.underlying != underlying {
            return Err(Error::invalid(
                at(),
                format!(
                    "names an instrument of {}, listed under {underlying}",
                    instrument.underlying
                ),
            ));
        }
        let is_option = matches!(instrument.contract, ContractKind::Option { .. });
        if is_option != (listed == Listed::Options) {
            return Err(Error::invalid(
                at(),
                match listed {
                    Listed::DeltaOne => {
                        "marks lists perpetuals and futures (options are marked by markIv)"
                    }
                    Listed::Options => "markIv lists options (marks prices perpetuals and futures)",
                },
            ));
        }
        let id = instrument.id();
        if canonical.insert(id.clone(), value).is_some() {
            return Err(Error::invalid(
                at(),
                format!("lists {id} again (under another of its ids)"),
            ));
        }
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use crate::market::Market;

    const NOW: i64 = 1_790_000_000_000;

    fn market(marks: &str, mark_iv: &str) -> crate::Result<Market> {
        Market::new(crate::json::from_str(&format!(
            r#"{{"now": {NOW}, "underlyings": {{"BTC": {{
                "index": {{"price": 100000, "publishTime": {NOW}}},
                "marks": {{{marks}}}, "markIv": {{{mark_iv}}}}}}}}}"#
        ))?)
    }

    #[test]
    fn keys_are_re_keyed_by_canonical_id() {
        let m = market(
            r#""BTC-PERP": 100100, "BTC-PERPETUAL": 100200, "BTC-27DEC26": 101000"#,
            r#""BTC_USDC-27DEC26-100000-C": 0.5, "BTC-27DEC26-100000-C": 0.6"#,
        )
        .unwrap();
        let u = m.underlying("BTC").unwrap().spec();
        let marks: Vec<(&str, f64)> = u.marks.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        // BTC-PERP is the linear perpetual; BTC-PERPETUAL and BTC-27DEC26 are inverse.
        assert_eq!(
            marks,
            [
                ("BTC-27DEC26", 101_000.0),
                ("BTC-PERPETUAL", 100_200.0),
                ("BTC_USDC-PERPETUAL", 100_100.0)
            ]
        );
        assert_eq!(u.mark_iv.len(), 2);
        assert_eq!(u.mark_iv.get("BTC_USDC-27DEC26-100000-C"), Some(&0.5));
    }

    #[test]
    fn unusable_keys_are_refused_by_name() {
        for (marks, mark_iv, field) in [
            (r#""FOO": 1"#, "", "underlyings.BTC.marks.FOO"),
            (r#""ETH-PERP": 1"#, "", "underlyings.BTC.marks.ETH-PERP"),
            (
                r#""BTC-27DEC26-100000-C": 1"#,
                "",
                "underlyings.BTC.marks.BTC-27DEC26-100000-C",
            ),
            ("", r#""BTC-PERP": 0.5"#, "underlyings.BTC.markIv.BTC-PERP"),
            // Both spellings of the linear perpetual (keys are read in their sorted order).
            (
                r#""BTC-PERP": 1, "BTC_USDC-PERPETUAL": 2"#,
                "",
                "underlyings.BTC.marks.BTC_USDC-PERPETUAL",
            ),
        ] {
            let err = market(marks, mark_iv).unwrap_err();
            assert_eq!(err.code(), "E_INVALID_INPUT", "{marks} {mark_iv}");
            assert_eq!(err.field(), field, "{err}");
        }
    }
}
