//! Positions and accounts: what a user holds, validated once.
//!
//! Sizes are signed (+ long, − short) in the instrument's size unit times its contract size:
//! units of the underlying, except inverse perpetuals/futures, which are sized in USD notional as
//! their venues quote them. Collateral is a map of asset → amount in whole units (1.5 BTC).

use super::instrument::{Instrument, InstrumentSpec};
use crate::error::{Error, Result};
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How positions share collateral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum MarginMode {
    /// Each position stands alone with its own `isolatedMargin`.
    Isolated,
    /// Standard (rule-based) per-position requirements summed against shared equity.
    Cross,
    /// Risk-based: full revaluation of the whole book under scenarios.
    Portfolio,
}

/// One position as given in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositionSpec {
    /// Instrument id or explicit terms.
    pub instrument: InstrumentSpec,
    /// Signed size (+ long, − short) in contracts (× the instrument's contract size).
    pub size: f64,
    /// Average entry price: required for perpetuals and futures (P&L = size·(mark − entry)),
    /// optional for options (premium per unit, informational: option equity is the mark value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub entry_price: Option<f64>,
    /// Collateral posted to this position in isolated mode (in the margin asset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub isolated_margin: Option<f64>,
}

/// The interchange shape of an account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSpec {
    /// Optional identifier (reports and engine updates carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub id: Option<String>,
    /// `isolated`, `cross` or `portfolio`.
    pub mode: MarginMode,
    /// Collateral balances by asset symbol, in whole units (may be negative: a borrow).
    #[serde(default)]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, number>")
    )]
    pub collateral: VecMap<String, f64>,
    /// Open positions.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub positions: Vec<PositionSpec>,
}

impl AccountSpec {
    /// Whether `other` says exactly what `self` says, numbers compared bit for bit (so `0` and
    /// `-0` differ, unlike `==`): then [`Account::new`] gives the same account, and the same
    /// errors, for both, and a caller that validated one may reuse the result for the other.
    pub fn same_bits(&self, other: &AccountSpec) -> bool {
        // On positions `==` can only miss a difference between `0` and `-0` (NaN is never `==`).
        self.same_bits_but_positions(other)
            && self.positions == other.positions
            && !has_negative_zero(&self.positions)
            && !has_negative_zero(&other.positions)
    }

    /// [`AccountSpec::same_bits`] for everything but the positions.
    pub fn same_bits_but_positions(&self, other: &AccountSpec) -> bool {
        self.id == other.id
            && self.mode == other.mode
            && self.collateral.len() == other.collateral.len()
            && self
                .collateral
                .iter()
                .zip(&other.collateral)
                .all(|((a, x), (b, y))| a == b && x.to_bits() == y.to_bits())
    }
}

/// Whether any number of `positions` is `-0`.
fn has_negative_zero(positions: &[PositionSpec]) -> bool {
    let negative_zero = |x: f64| x == 0.0 && x.is_sign_negative();
    positions.iter().any(|p| {
        negative_zero(p.size)
            || p.entry_price.is_some_and(negative_zero)
            || p.isolated_margin.is_some_and(negative_zero)
            || matches!(&p.instrument, InstrumentSpec::Terms(terms)
                if negative_zero(terms.contract_size)
                    || matches!(terms.contract,
                        super::ContractKind::Option { strike, .. } if negative_zero(strike)))
    })
}

/// A validated position.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Contract terms.
    pub instrument: Instrument,
    /// Canonical instrument id (computed once: keys marks and mark IVs, labels reports).
    pub id: String,
    /// Signed amount (size × contract size).
    pub amount: f64,
    /// Entry price (quote currency), if given.
    pub entry_price: Option<f64>,
    /// Isolated collateral, if given.
    pub isolated_margin: Option<f64>,
}

/// An option's terms as a map key: strike bits, expiry, call, inverse, contract size bits,
/// underlying (validated terms: equal keys if and only if equal instruments, so equal canonical
/// ids). Numbers first: cheaper to compare than ids sharing a long prefix.
pub(crate) type OptionTermsKey<'a> = (u64, i64, bool, bool, u64, &'a str);

impl Position {
    /// The key of this position's option terms (`None` for a perpetual or future).
    pub(crate) fn option_terms_key(&self) -> Option<OptionTermsKey<'_>> {
        let instrument = &self.instrument;
        match instrument.contract {
            super::ContractKind::Option {
                expiry,
                strike,
                option_kind,
            } => Some((
                strike.to_bits(),
                expiry,
                option_kind == crate::pricing::OptionKind::Call,
                instrument.settlement == super::Settlement::Inverse,
                instrument.contract_size.to_bits(),
                instrument.underlying.as_str(),
            )),
            super::ContractKind::Perpetual | super::ContractKind::Future { .. } => None,
        }
    }
}

/// A validated account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Identifier, if given.
    pub id: Option<String>,
    /// Margin mode.
    pub mode: MarginMode,
    /// Collateral balances.
    pub collateral: VecMap<String, f64>,
    /// Positions, in input order (reports refer to them by index).
    pub positions: Vec<Position>,
    /// For each position as validated, the first position with the same option (see
    /// [`Account::same_option_as`]).
    same_option: SameOption,
}

/// Position indices computed when the account was validated. Not part of the account's value
/// (every `Account` equals another with the same fields whatever these hold): a hint that
/// [`Account::same_option_as`] checks before use, so an account whose `positions` were changed
/// after validation (what-if's account after the order) computes the same, only slower.
#[derive(Debug, Clone, Default)]
struct SameOption {
    /// Each position's first position with equal option terms.
    first: Vec<usize>,
    /// Whether some position's first is an earlier one.
    repeats: bool,
}

impl PartialEq for SameOption {
    fn eq(&self, _: &SameOption) -> bool {
        true
    }
}

impl SameOption {
    /// For each position, the first one with equal option terms (its own index for the first
    /// and for perpetuals and futures).
    fn of(positions: &[Position]) -> SameOption {
        let mut first_of: BTreeMap<OptionTermsKey, usize> = BTreeMap::new();
        let first: Vec<usize> = positions
            .iter()
            .enumerate()
            .map(|(i, p)| match p.option_terms_key() {
                Some(key) => *first_of.entry(key).or_insert(i),
                None => i,
            })
            .collect();
        let repeats = first.iter().enumerate().any(|(i, &f)| f < i);
        SameOption { first, repeats }
    }
}

impl Account {
    /// Validates an account: finite non-zero sizes, positive entry prices, entry prices present
    /// for perpetuals and futures, finite collateral, isolated margin only in isolated mode.
    pub fn new(spec: &AccountSpec) -> Result<Account> {
        Account::build(spec, None)
    }

    /// [`Account::new`] for a changed copy of an account validated before (`previous_spec` and
    /// `previous`, the account `Account::new` made of it): a position whose instrument is the
    /// same id text at the same index as before takes that position's resolved instrument and
    /// canonical id (resolving is a function of the text alone), so an engine event that changes
    /// one position does not parse the others again. The same result, and the same errors, as
    /// `Account::new(spec)`.
    pub fn revalidated(
        spec: &AccountSpec,
        previous_spec: &AccountSpec,
        previous: &Account,
    ) -> Result<Account> {
        Account::build(spec, Some((previous_spec, previous)))
    }

    /// An earlier position than `i` with the same option as position `i` (`key`, its
    /// [`Position::option_terms_key`]), if the account knew one when it was validated and it
    /// still holds: `None` means none known (there may be one if `positions` changed since).
    pub(crate) fn same_option_as(&self, i: usize, key: &OptionTermsKey) -> Option<usize> {
        let first = *self.same_option.first.get(i)?;
        (first < i
            && self
                .positions
                .get(first)
                .and_then(Position::option_terms_key)
                .is_some_and(|k| k == *key))
        .then_some(first)
    }

    /// Whether [`Account::same_option_as`] may name a position: `false` if it answers `None` for
    /// every position (no two positions held the same option when the account was validated).
    pub(crate) fn repeats_options(&self) -> bool {
        self.same_option.repeats
    }

    fn build(spec: &AccountSpec, previous: Option<(&AccountSpec, &Account)>) -> Result<Account> {
        for (asset, amount) in &spec.collateral {
            crate::units::amount(*amount, &format!("collateral.{asset}"))?;
        }
        let mut positions: Vec<Position> = Vec::with_capacity(spec.positions.len());
        // Books hold many positions in few instruments: an id seen before is not parsed again
        // (parsing is a function of the id alone), its terms and canonical id are copied from
        // the first position that had it.
        // Keyed by the id's last 8 bytes first: ids of one book share long prefixes, and
        // comparing them byte by byte is slow in wasm32.
        let mut seen: BTreeMap<(u64, &str), usize> = BTreeMap::new();
        for (i, p) in spec.positions.iter().enumerate() {
            // Field paths are only formatted when something is rejected.
            let at = |f: &str| format!("positions[{i}].{f}");
            // The same id text at this index before: its resolution.
            let before = previous.and_then(|(previous_spec, previous)| {
                let same_text = matches!(
                    (&p.instrument, previous_spec.positions.get(i).map(|q| &q.instrument)),
                    (InstrumentSpec::Id(text), Some(InstrumentSpec::Id(was))) if text == was
                );
                same_text.then(|| previous.positions.get(i)).flatten()
            });
            let (instrument, id) = match (before, &p.instrument) {
                (Some(was), _) => (was.instrument.clone(), was.id.clone()),
                (None, InstrumentSpec::Id(text)) => match seen
                    .get(&(id_suffix(text), text.as_str()))
                    .and_then(|&first| positions.get(first))
                {
                    Some(first) => (first.instrument.clone(), first.id.clone()),
                    None => {
                        let instrument = resolve(&p.instrument, i)?;
                        seen.insert((id_suffix(text), text), positions.len());
                        let id = instrument.id();
                        (instrument, id)
                    }
                },
                (None, InstrumentSpec::Terms(_)) => {
                    let instrument = resolve(&p.instrument, i)?;
                    let id = instrument.id();
                    (instrument, id)
                }
            };
            if p.size == 0.0 {
                return Err(Error::invalid(at("size"), "must be non-zero"));
            }
            crate::units::amount(p.size, "size").map_err(|e| e.with_field(at("size")))?;
            if let Some(entry) = p.entry_price {
                crate::units::Price::new(entry, "entryPrice")
                    .map_err(|e| e.with_field(at("entryPrice")))?;
            } else if instrument.expiry().is_none()
                || matches!(instrument.contract, super::ContractKind::Future { .. })
            {
                return Err(Error::invalid(
                    at("entryPrice"),
                    "is required for perpetuals and futures",
                ));
            }
            if let Some(margin) = p.isolated_margin {
                if spec.mode != MarginMode::Isolated {
                    return Err(Error::invalid(
                        at("isolatedMargin"),
                        "only applies in isolated mode",
                    ));
                }
                if margin < 0.0 {
                    return Err(Error::invalid(
                        at("isolatedMargin"),
                        format!("must be ≥ 0, got {}", crate::numfmt::Shortest(margin)),
                    ));
                }
                crate::units::amount(margin, "isolatedMargin")
                    .map_err(|e| e.with_field(at("isolatedMargin")))?;
            }
            positions.push(Position {
                id,
                amount: p.size * instrument.contract_size,
                instrument,
                entry_price: p.entry_price,
                isolated_margin: p.isolated_margin,
            });
        }
        Ok(Account {
            id: spec.id.clone(),
            mode: spec.mode,
            collateral: spec.collateral.clone(),
            same_option: SameOption::of(&positions),
            positions,
        })
    }
}

/// The last (up to) 8 bytes of an id as a number: a cheap first part of a map key.
fn id_suffix(id: &str) -> u64 {
    let bytes = id.as_bytes();
    let tail = bytes
        .get(bytes.len().saturating_sub(8)..)
        .unwrap_or_default();
    tail.iter().fold(0, |key, &b| (key << 8) | u64::from(b))
}

/// The validated terms of position `i`'s instrument (errors name `positions[i].instrument`).
fn resolve(spec: &InstrumentSpec, i: usize) -> Result<Instrument> {
    spec.resolve("instrument")
        .map_err(|e| e.within(&format!("positions[{i}]")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(json: &str) -> Result<Account> {
        Account::new(&crate::json::from_str(json)?)
    }

    #[test]
    fn parses_ids_and_objects_and_scales_by_contract_size() {
        let a = account(
            r#"{"mode": "cross", "collateral": {"BTC": 1.5, "USDC": 20000},
                "positions": [
                  {"instrument": "BTC-PERPETUAL", "size": -100, "entryPrice": 98000},
                  {"instrument": {"underlying": "ETH", "contract": {"type": "option", "expiry": 1798358400000,
                    "strike": 3000, "optionKind": "put"}, "settlement": "linear", "contractSize": 0.1}, "size": 30}
                ]}"#,
        )
        .unwrap();
        assert_eq!(a.positions.len(), 2);
        assert!((a.positions[1].amount - 3.0).abs() < 1e-15);
        assert_eq!(a.positions[0].instrument.id(), "BTC-PERPETUAL");
    }

    #[test]
    fn a_repeated_id_gives_the_terms_of_its_first_parse_and_errors_name_their_position() {
        // Ids seen before are not parsed again: the terms must equal a fresh parse.
        let a = account(
            r#"{"mode": "cross", "positions": [
                  {"instrument": "BTC_USDC-27DEC26-100000-C", "size": 1},
                  {"instrument": "BTC-PERPETUAL", "size": -100, "entryPrice": 98000},
                  {"instrument": "BTC_USDC-27DEC26-100000-C", "size": -2},
                  {"instrument": {"underlying": "BTC", "contract": {"type": "option", "expiry": 1798358400000,
                    "strike": 100000, "optionKind": "call"}, "settlement": "linear"}, "size": 3}
                ]}"#,
        )
        .unwrap();
        let fresh = Instrument::parse("BTC_USDC-27DEC26-100000-C").unwrap();
        assert_eq!(a.positions[2].instrument, fresh);
        assert_eq!(a.positions[2].id, fresh.id());
        assert_eq!(a.positions[2].amount, -2.0);
        assert_eq!(a.positions[3].id, fresh.id());
        let err = account(
            r#"{"mode": "cross", "positions": [
                  {"instrument": "BTC-27DEC26-1-C", "size": 1},
                  {"instrument": "BTC-27DEC26-1-C", "size": 1e300}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), "positions[1].size");
    }

    #[test]
    fn same_option_as_names_an_earlier_equal_option_and_never_a_different_one() {
        // The same option by id and by terms object, an inverse one of equal numbers (a
        // different option), a perpetual between them.
        let mut a = account(
            r#"{"mode": "cross", "collateral": {"USDC": 1},
                "positions": [
                  {"instrument": "BTC_USDC-25DEC26-90000-P", "size": 1},
                  {"instrument": "BTC-25DEC26-90000-P", "size": 1},
                  {"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 1},
                  {"instrument": {"underlying": "BTC", "contract": {"type": "option",
                    "expiry": 1798185600000, "strike": 90000, "optionKind": "put"},
                    "settlement": "linear", "contractSize": 1}, "size": 2},
                  {"instrument": "BTC-25DEC26-90000-P", "size": 3}
                ]}"#,
        )
        .unwrap();
        let found = |a: &Account| -> Vec<Option<usize>> {
            (0..a.positions.len())
                .map(|i| {
                    let p = &a.positions[i];
                    p.option_terms_key().and_then(|k| a.same_option_as(i, &k))
                })
                .collect()
        };
        assert_eq!(a.positions[3].id, a.positions[0].id);
        assert_eq!(found(&a), [None, None, None, Some(0), Some(1)]);
        // Positions changed after validation (as what-if does): a hint is followed only to an
        // equal option (here the inverse put, now at 0), never to another.
        a.positions.remove(0);
        assert_eq!(found(&a), [None, None, None, Some(0)]);
        let mut b = account(
            r#"{"mode": "cross", "collateral": {"USDC": 1},
                "positions": [
                  {"instrument": "BTC-25DEC26-90000-P", "size": 1},
                  {"instrument": "BTC-25DEC26-90000-C", "size": 1},
                  {"instrument": "BTC-25DEC26-90000-P", "size": 1}
                ]}"#,
        )
        .unwrap();
        assert_eq!(found(&b), [None, None, Some(0)]);
        b.positions.swap(0, 1);
        assert_eq!(found(&b), [None, None, None]);
        // Equal accounts whatever their hints.
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn same_bits_tells_every_difference_a_validated_account_could_show() {
        let spec = |json: &str| -> AccountSpec { crate::json::from_str(json).unwrap() };
        let base = r#"{"id": "a", "mode": "isolated", "collateral": {"BTC": 1.5, "USDC": 0},
            "positions": [
              {"instrument": "BTC-PERPETUAL", "size": -100, "entryPrice": 98000, "isolatedMargin": 10},
              {"instrument": {"underlying": "ETH", "contract": {"type": "option", "expiry": 1798358400000,
                "strike": 3000, "optionKind": "put"}, "settlement": "linear", "contractSize": 0.1}, "size": 30}
            ]}"#;
        assert!(spec(base).same_bits(&spec(base)));
        // Each of these changes one thing; `-0` is `== 0` but not the same bits.
        let changed = [
            ("\"id\": \"a\"", "\"id\": \"b\""),
            ("isolated", "cross"),
            ("\"BTC\": 1.5", "\"BTC\": 1.25"),
            ("\"BTC\": 1.5", "\"ETH\": 1.5"),
            ("\"USDC\": 0", "\"USDC\": -0"),
            ("-100", "-101"),
            ("98000", "98001"),
            ("\"isolatedMargin\": 10", "\"isolatedMargin\": 11"),
            (", \"isolatedMargin\": 10", ""),
            ("BTC-PERPETUAL", "BTC_USDC-PERPETUAL"),
            ("\"underlying\": \"ETH\"", "\"underlying\": \"SOL\""),
            ("1798358400000", "1798358400001"),
            ("3000", "3001"),
            ("put", "call"),
            ("\"linear\"", "\"inverse\""),
            ("0.1}", "0.2}"),
            ("\"size\": 30", "\"size\": 31"),
        ];
        for (from, to) in changed {
            assert!(base.contains(from), "{from}");
            let other = spec(&base.replacen(from, to, 1));
            assert!(!spec(base).same_bits(&other), "{from} → {to}");
            assert!(!other.same_bits(&spec(base)), "{from} → {to}");
        }
        let mut fewer = spec(base);
        fewer.positions.pop();
        assert!(!spec(base).same_bits(&fewer));
        // Everything but the positions: the first five changes above count, the others do not.
        assert!(spec(base).same_bits_but_positions(&fewer));
        for (k, (from, to)) in changed.iter().enumerate() {
            let other = spec(&base.replacen(from, to, 1));
            assert_eq!(
                spec(base).same_bits_but_positions(&other),
                k >= 5,
                "{from} → {to}"
            );
        }
    }

    #[test]
    fn rejects_bad_positions_naming_the_field() {
        let cases = [
            (
                r#"{"mode": "cross", "positions": [{"instrument": "BTC-PERPETUAL", "size": 0, "entryPrice": 1}]}"#,
                "positions[0].size",
            ),
            (
                r#"{"mode": "cross", "positions": [{"instrument": "BTC-PERPETUAL", "size": 1}]}"#,
                "positions[0].entryPrice",
            ),
            (
                r#"{"mode": "cross", "positions": [{"instrument": "BTC-NOPE", "size": 1}]}"#,
                "positions[0].instrument",
            ),
            (
                r#"{"mode": "cross", "positions": [{"instrument": "BTC-27DEC26-1-C", "size": 1, "isolatedMargin": 5}]}"#,
                "positions[0].isolatedMargin",
            ),
            (
                r#"{"mode": "cross", "positions": [{"instrument": "BTC-27DEC26-1-C", "size": 1, "entryPrice": -3}]}"#,
                "positions[0].entryPrice",
            ),
            (r#"{"mode": "margin"}"#, "mode"),
        ];
        for (json, field) in cases {
            assert_eq!(account(json).unwrap_err().field(), field, "{json}");
        }
    }

    #[test]
    fn revalidating_a_changed_copy_equals_validating_it() {
        let spec = |positions: &str| -> AccountSpec {
            crate::json::from_str(&format!(
                r#"{{"mode": "cross", "collateral": {{"USDC": 1000}}, "positions": [{positions}]}}"#
            ))
            .unwrap()
        };
        let before = spec(
            r#"{"instrument": "BTC-PERP", "size": 1, "entryPrice": 90000},
               {"instrument": "BTC-27DEC26-100000-C", "size": -2},
               {"instrument": "ETH_USDC-27DEC26-3000-P", "size": 3}"#,
        );
        let validated = Account::new(&before).unwrap();
        let changed = [
            // A size changed; a position appended; one removed (the later ones shift).
            r#"{"instrument": "BTC-PERP", "size": 2, "entryPrice": 90000},
               {"instrument": "BTC-27DEC26-100000-C", "size": -2},
               {"instrument": "ETH_USDC-27DEC26-3000-P", "size": 3}"#,
            r#"{"instrument": "BTC-PERP", "size": 1, "entryPrice": 90000},
               {"instrument": "BTC-27DEC26-100000-C", "size": -2},
               {"instrument": "ETH_USDC-27DEC26-3000-P", "size": 3},
               {"instrument": "BTC-27DEC26-90000-P", "size": 1}"#,
            r#"{"instrument": "BTC-27DEC26-100000-C", "size": -2},
               {"instrument": "ETH_USDC-27DEC26-3000-P", "size": 3}"#,
            // Another instrument at an index, as an id and as terms; an invalid one.
            r#"{"instrument": "BTC-PERP", "size": 1, "entryPrice": 90000},
               {"instrument": "BTC-27DEC26-110000-C", "size": -2},
               {"instrument": {"underlying": "ETH", "contract": {"type": "perpetual"}, "settlement": "linear"}, "size": 3, "entryPrice": 3000}"#,
            r#"{"instrument": "BTC-PERP", "size": 1, "entryPrice": 90000},
               {"instrument": "BTC-27DEC26-100000-X", "size": -2}"#,
        ];
        for positions in changed {
            let next = spec(positions);
            let fresh = Account::new(&next);
            let again = Account::revalidated(&next, &before, &validated);
            match (fresh, again) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{positions}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{positions}"),
                (a, b) => panic!("{positions}: {a:?} vs {b:?}"),
            }
        }
    }
}
