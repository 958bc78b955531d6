//! Contract terms of a tradeable instrument: perpetual, dated future or European option, on an
//! underlying, linear (settled in the quote currency) or inverse (settled in the coin).
//!
//! An instrument never holds a price (QuantLib's rule: contract terms ⟂ market data). It is given
//! either as an exchange-style id or as an explicit object; both parse to the same [`Instrument`].
//!
//! | id | meaning |
//! |---|---|
//! | `BTC-PERPETUAL` | Deribit inverse perpetual (coin-settled) |
//! | `BTC_USDC-PERPETUAL`, `BTC-PERP`, `BTC-USD-PERP` | linear perpetual |
//! | `BTC-27DEC26` (D or DD, MMM, YY) | Deribit inverse future, expiring 08:00 UTC |
//! | `BTC-27DEC26-100000-C` | Deribit inverse (coin-settled) European call, strike 100,000 USD |
//! | `SOL_USDC-27DEC26-187d5-P` | Deribit linear USDC put, strike 187.5 (`d` = decimal point) |
//! | `ETH-20261227-2400_5-C` | Derive-style linear option (YYYYMMDD, `_` = decimal point) |
//!
//! The Deribit forms without a `_QUOTE` suffix are inverse, every other form is linear, following
//! the venues that print them. Use the object form to say anything else.

use crate::error::{Error, Result};
use crate::pricing::OptionKind;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// How an instrument settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Settlement {
    /// P&L and margin in the quote currency (USD/USDC). Size in units of the underlying.
    Linear,
    /// P&L and margin in the underlying coin (Deribit BTC/ETH). Options: size in coin, value in
    /// coin = USD value / forward. Perpetuals and futures: size in USD notional, P&L in coin =
    /// size·(1/entry − 1/mark).
    Inverse,
}

/// What kind of contract.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum ContractKind {
    /// No expiry; funded periodically.
    Perpetual,
    /// Settles at `expiry` (ms since the Unix epoch) at the settlement price.
    Future { expiry: Millis },
    /// European option exercised at `expiry` against the settlement price.
    #[serde(rename_all = "camelCase")]
    Option {
        expiry: Millis,
        strike: f64,
        option_kind: OptionKind,
    },
}

/// Explicit instrument terms (the object form of an instrument).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Instrument {
    /// Underlying asset symbol, e.g. `"BTC"`.
    pub underlying: String,
    /// Perpetual, future or option.
    pub contract: ContractKind,
    /// Linear or inverse.
    pub settlement: Settlement,
    /// Units of the size per contract (default 1): positions may be sized in contracts.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub contract_size: f64,
}

fn one() -> f64 {
    1.0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// An instrument as given in JSON: an exchange-style id or explicit terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum InstrumentSpec {
    /// `"BTC-27DEC26-100000-C"` and the other forms in the module documentation.
    Id(String),
    /// Explicit terms.
    Terms(Instrument),
}

impl InstrumentSpec {
    /// Parses and validates into an [`Instrument`]; `field` names the input in errors.
    pub fn resolve(&self, field: &str) -> Result<Instrument> {
        let instrument = match self {
            InstrumentSpec::Id(id) => Instrument::parse(id).map_err(|e| e.within(field))?,
            InstrumentSpec::Terms(terms) => terms.clone(),
        };
        instrument.validate().map_err(|e| e.within(field))?;
        Ok(instrument)
    }
}

/// Deribit and Derive expire at 08:00 UTC.
const EXPIRY_HOUR_MS: i64 = 8 * 3_600_000;
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

impl Instrument {
    /// Parses an exchange-style id (see the module documentation).
    pub fn parse(id: &str) -> Result<Instrument> {
        let bad = |why: &str| {
            Error::invalid(
                "",
                format!(
                    "cannot parse instrument id {}: {why}",
                    crate::error::Quoted(id)
                ),
            )
        };
        // Split at '-' into at most 6 parts without allocating (every accepted form has at most
        // 5; a sixth slot stands for "more", which no form matches, as with the full split).
        let mut parts = [""; 6];
        let mut count = 0;
        let mut start = 0;
        for (i, b) in id
            .bytes()
            .enumerate()
            .chain(std::iter::once((id.len(), b'-')))
        {
            if b == b'-' && count < parts.len() {
                if let Some(slot) = parts.get_mut(count) {
                    *slot = id.get(start..i).unwrap_or_default();
                }
                count += 1;
                start = i + 1;
            }
        }
        let parts = parts.get(..count).unwrap_or_default();
        let (head, rest) = parts.split_first().ok_or_else(|| bad("empty"))?;
        // `_` is ASCII: its byte position is a char boundary.
        let (underlying, quote) = match head.bytes().position(|b| b == b'_') {
            Some(at) => (head.get(..at).unwrap_or_default(), head.get(at + 1..)),
            None => (*head, None),
        };
        if underlying.is_empty() || !underlying.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("the underlying must be letters and digits, e.g. BTC"));
        }
        // `BTC-USD-PERP` (Paradex): a quote segment before PERP.
        let rest: &[&str] = match rest {
            [q, tail @ ..] if quote.is_none() && tail.first() == Some(&"PERP") && is_quote(q) => {
                tail
            }
            _ => rest,
        };
        let linear = |deribit_style: bool| {
            if quote.is_some() || !deribit_style {
                Settlement::Linear
            } else {
                Settlement::Inverse
            }
        };
        let instrument = |contract, settlement| Instrument {
            underlying: underlying.to_string(),
            contract,
            settlement,
            contract_size: 1.0,
        };
        match rest {
            ["PERPETUAL"] => Ok(instrument(ContractKind::Perpetual, linear(true))),
            ["PERP"] => Ok(instrument(ContractKind::Perpetual, Settlement::Linear)),
            [date] => {
                let (expiry, deribit_style) =
                    parse_date(date).ok_or_else(|| bad("unknown date"))?;
                Ok(instrument(
                    ContractKind::Future { expiry },
                    linear(deribit_style),
                ))
            }
            [date, strike, kind] => {
                let (expiry, deribit_style) =
                    parse_date(date).ok_or_else(|| bad("unknown date"))?;
                let strike = parse_strike(strike)
                    .ok_or_else(|| bad("strike must be a number (d or _ as decimal point)"))?;
                let option_kind = match *kind {
                    "C" => OptionKind::Call,
                    "P" => OptionKind::Put,
                    _ => return Err(bad("option type must be C or P")),
                };
                Ok(instrument(
                    ContractKind::Option {
                        expiry,
                        strike,
                        option_kind,
                    },
                    linear(deribit_style),
                ))
            }
            _ => Err(bad(
                "expected UND-PERPETUAL, UND-PERP, UND-DATE or UND-DATE-STRIKE-C|P",
            )),
        }
    }

    /// Checks the terms: a non-empty underlying, a positive finite strike and contract size.
    pub fn validate(&self) -> Result<()> {
        if self.underlying.is_empty() {
            return Err(Error::invalid("underlying", "must not be empty"));
        }
        if !(self.contract_size.is_finite() && self.contract_size > 0.0) {
            return Err(Error::invalid(
                "contractSize",
                format!(
                    "must be > 0, got {}",
                    crate::numfmt::Shortest(self.contract_size)
                ),
            ));
        }
        if let ContractKind::Option { strike, .. } = self.contract {
            if !(strike.is_finite() && strike > 0.0) {
                return Err(Error::invalid(
                    "contract.strike",
                    format!("must be > 0, got {}", crate::numfmt::Shortest(strike)),
                ));
            }
        }
        Ok(())
    }

    /// Expiry, if the contract has one.
    pub fn expiry(&self) -> Option<Millis> {
        match self.contract {
            ContractKind::Perpetual => None,
            ContractKind::Future { expiry } | ContractKind::Option { expiry, .. } => Some(expiry),
        }
    }

    /// Canonical id used as a key for marks and in reports: Deribit style for inverse contracts
    /// (`BTC-PERPETUAL`, `BTC-27DEC26`, `BTC-27DEC26-100000-C`), `UND_USDC-…` for linear ones.
    pub fn id(&self) -> String {
        // One buffer, no intermediate strings: ids are built once per position per call.
        let mut id = String::with_capacity(self.underlying.len() + 24);
        id.push_str(&self.underlying);
        if self.settlement == Settlement::Linear {
            id.push_str("_USDC");
        }
        match self.contract {
            ContractKind::Perpetual => id.push_str("-PERPETUAL"),
            ContractKind::Future { expiry } => {
                id.push('-');
                push_date(&mut id, expiry);
            }
            ContractKind::Option {
                expiry,
                strike,
                option_kind,
            } => {
                id.push('-');
                push_date(&mut id, expiry);
                id.push('-');
                push_strike(&mut id, strike);
                id.push_str(if option_kind == OptionKind::Call {
                    "-C"
                } else {
                    "-P"
                });
            }
        }
        id
    }
}

fn is_quote(s: &str) -> bool {
    matches!(s, "USD" | "USDC" | "USDT")
}

/// `27DEC26` / `5AUG26` (Deribit, inverse by default) or `20261227` (Derive, linear) → 08:00 UTC.
fn parse_date(s: &str) -> Option<(Millis, bool)> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let year: i64 = s.get(0..4)?.parse().ok()?;
        let month: u32 = s.get(4..6)?.parse().ok()?;
        let day: u32 = s.get(6..8)?.parse().ok()?;
        return Some((civil_to_ms(year, month, day)?, false));
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&digits) || s.len() != digits + 5 {
        return None;
    }
    let day: u32 = s.get(..digits)?.parse().ok()?;
    let month_name = s.get(digits..digits + 3)?;
    let month = u32::try_from(MONTHS.iter().position(|m| *m == month_name)? + 1).ok()?;
    let year: i64 = 2000 + s.get(digits + 3..)?.parse::<i64>().ok()?;
    Some((civil_to_ms(year, month, day)?, true))
}

fn parse_strike(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'd' || b == b'_' || b == b'.')
    {
        return None;
    }
    let value = if s.bytes().any(|b| b == b'd' || b == b'_') {
        crate::json::decimal::parse(&s.replace(['d', '_'], "."))?
    } else {
        crate::json::decimal::parse(s)?
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

/// Appends the strike as `format!("{strike}")` writes it, with `d` for the decimal point.
fn push_strike(out: &mut String, strike: f64) {
    use std::fmt::Write as _;
    // Below 2^53 an integral f64 prints as the integer's digits: write them directly.
    if strike.fract() == 0.0 && (1.0..9.0e15).contains(&strike) {
        // Exact: integral and below 2^53.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        push_digits(out, strike as u64);
        return;
    }
    let start = out.len();
    // Writing to a String cannot fail.
    let _ = write!(out, "{}", crate::numfmt::Shortest(strike));
    if let Some(tail) = out.get(start..).filter(|t| t.contains('.')) {
        let replaced = tail.replace('.', "d");
        out.truncate(start);
        out.push_str(&replaced);
    }
}

/// Appends the decimal digits of `n`.
fn push_digits(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            // rest % 10 < 10: fits in u8.
            *d = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        }
        rest /= 10;
        if rest == 0 || i == 0 {
            break;
        }
    }
    // ASCII digits: valid UTF-8, appended in one copy.
    if let Some(text) = digits.get(i..).and_then(|d| std::str::from_utf8(d).ok()) {
        out.push_str(text);
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`), at 08:00 UTC.
fn civil_to_ms(year: i64, month: u32, day: u32) -> Option<Millis> {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || !(1970..=9999).contains(&year) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400_000 + EXPIRY_HOUR_MS)
}

/// Inverse of [`civil_to_ms`] for display: `27DEC26`.
#[cfg(test)]
fn format_date(ms: Millis) -> String {
    let mut out = String::new();
    push_date(&mut out, ms);
    out
}

/// Appends [`civil_to_ms`]'s inverse for display: `27DEC26` (day without a leading zero, two-digit
/// year).
fn push_date(out: &mut String, ms: Millis) {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let name = usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("???");
    // day in 1..=31 and the year modulo 100: one or two ASCII digits each.
    let digit = |d: i64| char::from(b'0' + u8::try_from(d.rem_euclid(10)).unwrap_or(0));
    if day >= 10 {
        out.push(digit(day / 10));
    }
    out.push(digit(day));
    out.push_str(name);
    let yy = year.rem_euclid(100);
    out.push(digit(yy / 10));
    out.push(digit(yy));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_deribit_and_derive_ids() {
        let call = Instrument::parse("BTC-27DEC26-100000-C").unwrap();
        assert_eq!(call.settlement, Settlement::Inverse);
        // 2026-12-27 08:00 UTC = 1798358400000 ms (date -u -d '2026-12-27 08:00' +%s → 1798358400).
        assert_eq!(
            call.contract,
            ContractKind::Option {
                expiry: 1_798_358_400_000,
                strike: 100_000.0,
                option_kind: OptionKind::Call
            }
        );
        assert_eq!(call.id(), "BTC-27DEC26-100000-C");
        let perp = Instrument::parse("BTC-PERPETUAL").unwrap();
        assert_eq!(
            (perp.contract, perp.settlement),
            (ContractKind::Perpetual, Settlement::Inverse)
        );
        for linear in ["BTC_USDC-PERPETUAL", "BTC-PERP", "BTC-USD-PERP"] {
            let p = Instrument::parse(linear).unwrap();
            assert_eq!(
                (p.contract, p.settlement, p.underlying.as_str()),
                (ContractKind::Perpetual, Settlement::Linear, "BTC"),
                "{linear}"
            );
        }
        let future = Instrument::parse("ETH-5AUG26").unwrap();
        // 2026-08-05 08:00 UTC = 1785916800 s.
        assert_eq!(
            future.contract,
            ContractKind::Future {
                expiry: 1_785_916_800_000
            }
        );
        let put = Instrument::parse("SOL_USDC-27DEC26-187d5-P").unwrap();
        assert_eq!(put.settlement, Settlement::Linear);
        assert!(
            matches!(put.contract, ContractKind::Option { strike, option_kind: OptionKind::Put, .. } if strike == 187.5)
        );
        assert_eq!(put.id(), "SOL_USDC-27DEC26-187d5-P");
        let derive = Instrument::parse("ETH-20261227-2400_5-C").unwrap();
        assert_eq!(derive.settlement, Settlement::Linear);
        assert_eq!(derive.expiry(), Some(1_798_358_400_000));
    }

    #[test]
    fn rejects_malformed_ids_with_a_coded_error() {
        for bad in [
            "",
            "BTC",
            "BTC-31FEB26",
            "BTC-27XYZ26",
            "BTC-27DEC26-abc-C",
            "BTC-27DEC26-100-X",
            "-PERP",
            "BTC-27DEC26-0-C",
            "B C-PERP",
        ] {
            let err = Instrument::parse(bad).unwrap_err();
            assert_eq!(err.code(), "E_INVALID_INPUT", "{bad}");
        }
        let spec = InstrumentSpec::Id("BTC-1JAN".into());
        assert_eq!(
            spec.resolve("positions[3].instrument").unwrap_err().field(),
            "positions[3].instrument"
        );
    }

    #[test]
    fn strikes_print_as_display_with_d_for_the_point() {
        for strike in [
            1.0, 9.0, 10.0, 187.5, 0.25, 2400.5, 100_000.0, 1e15, 8.9e15, 9.1e15, 1e300,
        ] {
            let mut id = String::new();
            push_strike(&mut id, strike);
            assert_eq!(id, format!("{strike}").replace('.', "d"), "{strike}");
        }
    }

    #[test]
    fn leap_years_and_date_round_trip() {
        assert_eq!(
            parse_date("29FEB28").map(|(ms, _)| format_date(ms)),
            Some("29FEB28".to_string())
        );
        assert!(parse_date("29FEB27").is_none());
        // 1970-01-01 08:00 UTC.
        assert_eq!(civil_to_ms(1970, 1, 1), Some(8 * 3_600_000));
    }
}
