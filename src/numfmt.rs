//! The decimal text of an `f64` in messages and warnings, built from the digits of serde_json's
//! float writer (zmij), so the `.wasm` carries one float formatter instead of two (core's
//! Grisu/Dragon behind `{}`, `{:e}` and `{:.N}` of `f64`: ≈ 21 KB; README "Build profile and
//! size"). Owns that text and nothing else; JSON output goes through `crate::json::write`
//! (zmij's digits too).
//!
//! - [`Shortest`] prints as `{x}` does: the shortest digits that read back as `x`, without an
//!   exponent (`1e21` is `1000000000000000000000`, `-0.0` is `-0`, `1.0` is `1`). When 16 or 17
//!   digits are needed, more than one such string can read back as `x`, and zmij may pick
//!   another one than core (`662936471232937.2` for core's `…937.3`): same length, same value.
//! - [`Sci`] prints as `{x:e}` (no precision) or `{x:.Ne}` does.
//! - [`Fixed`] prints as `{x:.N}` does, for results of at most 15 significant digits (the
//!   messages' magnitudes); beyond, core prints the binary value's exact digits, this zeros.
//!
//! With a precision, the shortest digits are rounded half away from zero. That is exact rounding
//! except when the shortest digits end in a 5 just past the last kept place, where the exact
//! binary value may lie on either side of the half: `{x:.N}` can then print the other neighbour
//! (these only appear in the surface warnings' text).

use std::fmt;

/// `{x}` of an `f64` (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Shortest(pub f64);

/// `{x:e}` (`None`) or `{x:.Ne}` (`Some(N)`) of an `f64`.
#[derive(Debug, Clone, Copy)]
pub struct Sci(pub f64, pub Option<usize>);

/// `{x:.N}` of an `f64`.
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub f64, pub usize);

/// The decimal digits of a finite `x`: sign, significant digits (no leading or trailing zeros;
/// empty for zero) and the position of the decimal point relative to them (value =
/// 0.d₁d₂… × 10^point).
struct Digits {
    negative: bool,
    digits: Vec<u8>,
    point: i32,
}

impl Digits {
    /// The shortest round-trip digits, read back from zmij's text (`1.5e-7`, `123.25`, `-0.0`).
    fn shortest(x: f64) -> Digits {
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(x).as_bytes();
        let negative = text.first() == Some(&b'-');
        let (mut digits, mut before_point, mut exponent) = (Vec::new(), 0i32, 0i32);
        let mut seen_point = false;
        let mut at = usize::from(negative);
        while let Some(&c) = text.get(at) {
            match c {
                b'0'..=b'9' => {
                    digits.push(c - b'0');
                    if !seen_point {
                        before_point += 1;
                    }
                }
                b'.' => seen_point = true,
                b'e' | b'E' => {
                    exponent = std::str::from_utf8(&text[at + 1..])
                        .ok()
                        .and_then(|e| e.parse().ok())
                        .unwrap_or(0);
                    break;
                }
                _ => {}
            }
            at += 1;
        }
        let mut point = before_point + exponent;
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        point -= leading as i32;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            point = 0;
        }
        Digits {
            negative,
            digits,
            point,
        }
    }

    /// Keeps the first `keep` digits (`keep` may be ≤ 0: all rounded away), rounding half away
    /// from zero on the next digit.
    fn round_to(&mut self, keep: i32) {
        let Ok(keep) = usize::try_from(keep) else {
            self.digits.clear();
            self.point = 0;
            return;
        };
        if self.digits.len() <= keep {
            return;
        }
        let up = self.digits[keep] >= 5;
        self.digits.truncate(keep);
        if up {
            let mut at = keep;
            loop {
                if at == 0 {
                    self.digits.insert(0, 1);
                    self.point += 1;
                    break;
                }
                at -= 1;
                if self.digits[at] == 9 {
                    self.digits[at] = 0;
                } else {
                    self.digits[at] += 1;
                    break;
                }
            }
        }
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.point = 0;
        }
    }

    /// The digit at place `i` (0-based from the first significant digit), 0 past the end.
    fn digit(&self, i: i32) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .map_or(b'0', |d| b'0' + d)
    }

    /// Positional text with `decimals` places after the point (`None`: as many as the digits
    /// need, none for an integer).
    fn positional(&self, decimals: Option<usize>, out: &mut String) {
        if self.negative {
            out.push('-');
        }
        if self.point <= 0 {
            out.push('0');
        } else {
            for i in 0..self.point {
                out.push(char::from(self.digit(i)));
            }
        }
        let needed = (self.digits.len() as i32 - self.point).max(0) as usize;
        let places = decimals.unwrap_or(needed);
        if places > 0 {
            out.push('.');
            for i in 0..places as i32 {
                out.push(char::from(self.digit(self.point + i)));
            }
        }
    }

    /// `d.ddd` then `e` and the exponent, with `decimals` places (`None`: as the digits need).
    fn scientific(&self, decimals: Option<usize>, out: &mut String) {
        if self.negative {
            out.push('-');
        }
        out.push(char::from(self.digit(0)));
        let places = decimals.unwrap_or(self.digits.len().saturating_sub(1));
        if places > 0 {
            out.push('.');
            for i in 1..=places as i32 {
                out.push(char::from(self.digit(i)));
            }
        }
        let exponent = if self.digits.is_empty() {
            0
        } else {
            self.point - 1
        };
        out.push('e');
        out.push_str(&exponent.to_string());
    }
}

/// `NaN`, `inf` or `-inf`, as core prints them; `None` for a finite `x`.
fn non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("NaN")
    } else if x.is_infinite() {
        Some(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        None
    }
}

/// Writes `x` as `render` lays out its shortest digits; `NaN` and infinities as core writes them.
fn write_with(
    f: &mut fmt::Formatter<'_>,
    x: f64,
    render: impl FnOnce(Digits, &mut String),
) -> fmt::Result {
    if let Some(text) = non_finite(x) {
        return f.write_str(text);
    }
    let mut out = String::new();
    render(Digits::shortest(x), &mut out);
    f.write_str(&out)
}

impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_with(f, self.0, |digits, out| digits.positional(None, out))
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = self.1;
        write_with(f, self.0, |mut digits, out| {
            digits.round_to(digits.point + places as i32);
            digits.positional(Some(places), out);
        })
    }
}

impl fmt::Display for Sci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = self.1;
        write_with(f, self.0, |mut digits, out| {
            if let Some(places) = places {
                digits.round_to(places as i32 + 1);
            }
            digits.scientific(places, out);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Fixed, Sci, Shortest};

    /// 10ⁿ, read from its decimal text (correctly rounded, no float arithmetic).
    fn ten_to(n: i32) -> f64 {
        format!("1e{n}").parse().unwrap()
    }

    /// Doubles of every magnitude: random bit patterns, plus the awkward ones.
    fn samples() -> Vec<f64> {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut out = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1.5,
            2.5,
            9.5,
            99.5,
            0.125,
            0.375,
            1e21,
            1e22,
            1e-7,
            123456789.0,
            0.000123,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            100000.0,
            97000.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.3,
            2.0 / 3.0,
            1e15,
            1e16,
            1e17,
        ];
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            out.push(f64::from_bits(seed));
            // Everyday magnitudes too: prices, rates, sizes.
            out.push((seed >> 11) as f64 / (1u64 << 53) as f64 * ten_to((seed % 13) as i32 - 4));
        }
        out
    }

    /// `Shortest` is `{}` and `Sci(x, None)` is `{:e}`, character for character (core's
    /// formatter is the reference), except that where 17 digits are needed another 17-digit
    /// string that reads back as the same `f64` may be printed.
    #[test]
    fn shortest_forms_match_core() {
        let mut other_17_digit_strings = 0;
        for x in samples() {
            let (ours, core) = (Shortest(x).to_string(), format!("{x}"));
            let (sci, core_sci) = (Sci(x, None).to_string(), format!("{x:e}"));
            if ours != core || sci != core_sci {
                let mantissa = |t: &str| t.split('e').next().unwrap_or("").to_string();
                let significant = |t: &str| mantissa(t).bytes().filter(u8::is_ascii_digit).count();
                assert!(significant(&core_sci) >= 16, "{core_sci}: {ours} / {core}");
                assert_eq!(
                    significant(&sci),
                    significant(&core_sci),
                    "{sci} / {core_sci}"
                );
                assert_eq!(
                    ours.parse::<f64>().unwrap().to_bits(),
                    x.to_bits(),
                    "{ours}"
                );
                assert_eq!(sci.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{sci}");
                assert_eq!(ours.len(), core.len(), "{ours} / {core}");
                other_17_digit_strings += 1;
            }
        }
        assert!(other_17_digit_strings < 400, "{other_17_digit_strings}");
    }

    /// `Fixed` and `Sci` with a precision match core's exact rounding (`Fixed`: results of at
    /// most 15 significant digits) except on the ties the module documentation describes
    /// (shortest digits ending in a 5 just past the cut) and where the shortest digits are 16 or
    /// more (they can then stand either side of a rounding boundary the exact value is on).
    #[test]
    fn precision_forms_match_core_off_ties() {
        let mut ties = 0;
        for x in samples().into_iter().filter(|x| x.is_finite()) {
            for places in [0usize, 2, 4, 6] {
                let mut checks = vec![(Sci(x, Some(places)).to_string(), format!("{x:.places$e}"))];
                if x.abs() < ten_to(15 - places as i32) {
                    checks.push((Fixed(x, places).to_string(), format!("{x:.places$}")));
                }
                for (ours, core) in checks {
                    if ours != core {
                        let mantissa = format!("{x:e}");
                        let mantissa = mantissa.split('e').next().unwrap_or("");
                        let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
                        assert!(
                            mantissa.ends_with('5') || digits >= 16,
                            "{x:e} .{places}: {ours} / {core}"
                        );
                        ties += 1;
                    }
                }
            }
        }
        assert!(ties < 400, "{ties} ties");
        assert_eq!(Fixed(0.001234, 2).to_string(), "0.00");
        assert_eq!(Fixed(9.996, 2).to_string(), "10.00");
        assert_eq!(Sci(9.9996, Some(3)).to_string(), "1.000e1");
        assert_eq!(Fixed(-0.0, 2).to_string(), "-0.00");
        assert_eq!(Fixed(0.35, 2).to_string(), "0.35");
        assert_eq!(Sci(-0.000125, Some(6)).to_string(), "-1.250000e-4");
    }
}
