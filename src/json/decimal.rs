//! Decimal text to `f64`, correctly rounded (to nearest, ties to even), in a few KB of code and
//! no tables.
//!
//! The standard library's parser (Eisel–Lemire) carries a 10.4 KB table of 128-bit powers of
//! five, about 9 KB of the gzipped `.wasm` on its own (README "Build profile and size"). Here:
//! - up to 15 significant digits and a power of ten up to 22, one exact IEEE multiplication or
//!   division (Clinger's fast path);
//! - up to 19 digits and up to 18 decimals, or a product that fits 128 bits, exact `u128`
//!   arithmetic;
//! - anything else (more digits, extreme exponents), exact big-integer arithmetic.
//!
//! The last two compute the quotient's leading 65–67 bits and whether anything remains, then
//! round once. Every path is exact, so the result is the one correctly rounded `f64`: the same
//! bits as `str::parse::<f64>` (tests compare them over random and halfway inputs).

/// The `f64` nearest `text` (ties to even), ±∞ beyond the largest finite magnitude, or `None`
/// when `text` is not `[+-]digits[.digits][(e|E)[+-]digits]` with at least one mantissa digit
/// (`1.` and `.5` are accepted, as the standard library accepts them).
pub fn parse(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, mut at) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut scan = Scan::default();
    let mut any_digit = false;
    while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
        scan.push(digit - b'0', false);
        any_digit = true;
        at += 1;
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            scan.push(digit - b'0', true);
            any_digit = true;
            at += 1;
        }
    }
    let mut exponent: i64 = 0;
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let sign = match bytes.get(at) {
            Some(b'-') => {
                at += 1;
                -1
            }
            Some(b'+') => {
                at += 1;
                1
            }
            _ => 1,
        };
        let start = at;
        while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            // Saturates far beyond any finite or non-zero result.
            exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 40);
            at += 1;
        }
        if at == start {
            return None;
        }
        exponent *= sign;
    }
    if !any_digit || at != bytes.len() {
        return None;
    }
    let magnitude = if scan.mantissa == 0 {
        0.0
    } else if scan.inexact {
        large(bytes, exponent)
    } else {
        small(scan.mantissa, scan.exponent + exponent).unwrap_or_else(|| large(bytes, exponent))
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The first 19 significant digits as an integer and their power of ten.
#[derive(Default)]
struct Scan {
    mantissa: u64,
    /// Significant digits in `mantissa`.
    digits: u32,
    /// value ≈ mantissa × 10^exponent.
    exponent: i64,
    /// A non-zero digit beyond the 19th: `mantissa` is not the whole value.
    inexact: bool,
}

impl Scan {
    fn push(&mut self, digit: u8, decimal: bool) {
        if self.digits == 0 && digit == 0 {
            // A leading zero.
            if decimal {
                self.exponent -= 1;
            }
        } else if self.digits < 19 {
            self.mantissa = self.mantissa * 10 + u64::from(digit);
            self.digits += 1;
            if decimal {
                self.exponent -= 1;
            }
        } else {
            self.inexact |= digit != 0;
            if !decimal {
                self.exponent += 1;
            }
        }
    }
}

/// mantissa × 10^exponent by exact 64/128-bit arithmetic, when it is in reach.
fn small(mantissa: u64, exponent: i64) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
        // Both operands exact, one IEEE rounding: the correctly rounded result.
        let power = POW10[usize::try_from(exponent.unsigned_abs()).ok()?];
        let m = mantissa as f64;
        return Some(if exponent >= 0 { m * power } else { m / power });
    }
    if exponent >= 0 {
        let power = 10u128.checked_pow(u32::try_from(exponent).ok()?)?;
        let product = u128::from(mantissa).checked_mul(power)?;
        return Some(assemble(product, 0, false));
    }
    let divisor = 10u128.pow(u32::try_from(-exponent).ok().filter(|k| *k <= 18)?);
    // Quotient of 65–67 bits: the numerator stays below 2^127.
    let shift = 66 + bit_length(divisor) - bit_length(u128::from(mantissa));
    let numerator = u128::from(mantissa) << shift;
    Some(assemble(
        numerator / divisor,
        -i64::from(shift),
        numerator % divisor != 0,
    ))
}

fn bit_length(x: u128) -> u32 {
    128 - x.leading_zeros()
}

/// (q + f) × 2^exponent rounded to an `f64`, where 0 ≤ f < 1 and `sticky` says f > 0.
fn assemble(q: u128, exponent: i64, sticky: bool) -> f64 {
    if q == 0 {
        return 0.0;
    }
    let length = i64::from(bit_length(q));
    // The result's unit in the last place: 53 significant bits, or the subnormals' 2^-1074.
    let mut ulp = (length - 1 + exponent - 52).max(-1074);
    let drop = ulp - exponent;
    let (mut mantissa, half, below) = if drop <= 0 {
        (q << -drop, false, false)
    } else if drop > 128 {
        (0, false, true)
    } else {
        let kept = q
            .checked_shr(u32::try_from(drop).unwrap_or(128))
            .unwrap_or(0);
        let half = (q >> (drop - 1)) & 1 == 1;
        let below = q & ((1u128 << (drop - 1)) - 1) != 0;
        (kept, half, below)
    };
    if half && (below || sticky || mantissa & 1 == 1) {
        mantissa += 1;
    }
    if mantissa == 1 << 53 {
        mantissa >>= 1;
        ulp += 1;
    }
    if mantissa < 1 << 52 {
        // Subnormal or zero (then `ulp` is 2^-1074).
        return f64::from_bits(mantissa as u64);
    }
    let biased = ulp + 1075;
    if biased >= 2047 {
        return f64::INFINITY;
    }
    f64::from_bits(((biased as u64) << 52) | (mantissa as u64 & ((1 << 52) - 1)))
}

/// `text`'s value by exact big-integer division (`explicit` is the exponent written after `e`).
fn large(text: &[u8], explicit: i64) -> f64 {
    // Significant digits, at most 800: a rounding boundary (an `f64` or a midpoint between two)
    // has at most 767, so the digits beyond count only as "something more": a final 1.
    const KEEP: usize = 800;
    let mut digits: Vec<u8> = Vec::new();
    let mut exponent = explicit;
    let (mut point, mut beyond) = (false, false);
    for &b in text.iter().take_while(|b| !matches!(b, b'e' | b'E')) {
        match b {
            b'.' => point = true,
            b'0'..=b'9' => {
                if point {
                    exponent -= 1;
                }
                if digits.is_empty() && b == b'0' {
                    continue;
                }
                if digits.len() < KEEP {
                    digits.push(b - b'0');
                } else {
                    beyond |= b != b'0';
                    exponent += 1;
                }
            }
            _ => {}
        }
    }
    if beyond {
        digits.push(1);
        exponent -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exponent += 1;
    }
    // The value is in [10^(magnitude − 1), 10^magnitude).
    let magnitude = digits.len() as i64 + exponent;
    if digits.is_empty() || magnitude <= -324 {
        // Below 10^-324, under half the least subnormal (2^-1075 ≈ 2.5e-324).
        return 0.0;
    }
    if magnitude >= 310 {
        return f64::INFINITY;
    }
    let mut numerator = Big::from_digits(&digits);
    let mut denominator = Big(vec![1]);
    if exponent >= 0 {
        numerator.mul_pow10(exponent);
    } else {
        denominator.mul_pow10(-exponent);
    }
    // Scaled so that the quotient has 65–67 bits.
    let shift = 66 - (numerator.bit_length() - denominator.bit_length());
    if shift >= 0 {
        numerator.shl(shift);
    } else {
        denominator.shl(-shift);
    }
    let (quotient, rest) = numerator.divide(denominator);
    assemble(quotient, -shift, rest)
}

/// A non-negative big integer: 32-bit limbs, least significant first, no leading zero limbs.
struct Big(Vec<u32>);

impl Big {
    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |v, d| v * 10 + u32::from(*d));
            big.mul_add(10u32.pow(chunk.len() as u32), value);
        }
        big
    }

    /// self = self × factor + addend.
    fn mul_add(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut n: i64) {
        while n >= 9 {
            self.mul_add(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add(10u32.pow(n as u32), 0);
    }

    fn bit_length(&self) -> i64 {
        match self.0.last() {
            Some(top) => 32 * self.0.len() as i64 - i64::from(top.leading_zeros()),
            None => 0,
        }
    }

    fn shl(&mut self, bits: i64) {
        let (limbs, bits) = ((bits / 32) as usize, (bits % 32) as u32);
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let shifted = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = shifted;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let shifted = (*limb >> 1) | carry;
            carry = *limb << 31;
            *limb = shifted;
        }
        self.trim();
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn at_least(&self, other: &Big) -> bool {
        if self.0.len() != other.0.len() {
            return self.0.len() > other.0.len();
        }
        for (a, b) in self.0.iter().rev().zip(other.0.iter().rev()) {
            if a != b {
                return a > b;
            }
        }
        true
    }

    /// self −= other, for self ≥ other.
    fn subtract(&mut self, other: &Big) {
        let mut borrow = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let take = u64::from(other.0.get(i).copied().unwrap_or(0)) + borrow;
            let value = u64::from(*limb);
            borrow = u64::from(value < take);
            *limb = (value + (borrow << 32) - take) as u32;
        }
        self.trim();
    }

    /// The quotient self / divisor (below 2^68) and whether a remainder is left.
    fn divide(mut self, mut divisor: Big) -> (u128, bool) {
        divisor.shl(67);
        let mut quotient = 0u128;
        for bit in (0..=67).rev() {
            if self.at_least(&divisor) {
                self.subtract(&divisor);
                quotient |= 1 << bit;
            }
            divisor.shr1();
        }
        (quotient, !self.0.is_empty())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)] // test code
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ours and the standard library's parse give the same bits.
    fn same(text: &str) {
        let theirs = text.parse::<f64>().ok().map(f64::to_bits);
        assert_eq!(parse(text).map(f64::to_bits), theirs, "{text}");
    }

    /// The exact decimal digits of a big integer.
    fn decimal(mut big: Big) -> String {
        let mut chunks = Vec::new();
        while !big.0.is_empty() {
            let mut rest = 0u64;
            for limb in big.0.iter_mut().rev() {
                let value = (rest << 32) | u64::from(*limb);
                *limb = (value / 1_000_000_000) as u32;
                rest = value % 1_000_000_000;
            }
            big.trim();
            chunks.push(rest);
        }
        let mut text = chunks.pop().map_or("0".to_string(), |top| top.to_string());
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:09}"));
        }
        text
    }

    /// The midpoint between `x` (positive, finite) and the next `f64` up, as exact digits and
    /// a power of ten.
    fn midpoint(x: f64) -> (String, i64) {
        let bits = x.to_bits();
        let (field, fraction) = ((bits >> 52) as i64, bits & ((1 << 52) - 1));
        let (m, e) = if field == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, field - 1075)
        };
        // (2m + 1) × 2^(e − 1)
        let mut big = Big::from_digits(
            &(2 * m + 1)
                .to_string()
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>(),
        );
        if e >= 1 {
            big.shl(e - 1);
            (decimal(big), 0)
        } else {
            // × 5^(1 − e) × 10^(e − 1)
            for _ in 0..(1 - e) {
                big.mul_add(5, 0);
            }
            (decimal(big), e - 1)
        }
    }

    #[test]
    fn edge_cases_parse_as_the_standard_library_parses_them() {
        for text in [
            "0",
            "-0",
            "0.0",
            "00.000e5",
            "1.",
            ".5",
            "+3",
            "5e-324",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "9007199254740993",
            "9007199254740992.5",
            "18446744073709551615",
            "123456789012345678901234567890",
            "0.1",
            "0.30000000000000004",
            "1e22",
            "1e23",
            "8.589973e9",
            "1e400",
            "1e-400",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "0e99999999999999999999",
            "7.2057594037927933e16",
        ] {
            same(text);
        }
        same(&format!("0.{}1", "0".repeat(330)));
        same(&format!("{}e-1000", "9".repeat(1000)));
        same(&format!("1{}", "0".repeat(400)));
        same(&format!("1.{}1e308", "7976931348623157".repeat(60)));
        // Not numbers (the standard library's "inf" and "NaN" are refused too).
        for text in [
            "", ".", "-", "+", "1e", "1e+", "e5", ".e5", "1.2.3", "--1", "1x", "0x10", " 1",
        ] {
            assert_eq!(parse(text), None, "{text}");
            assert!(text.parse::<f64>().is_err(), "{text}");
        }
        for text in ["inf", "NaN", "infinity"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn midpoints_round_to_even_and_their_neighbours_to_the_nearer_float() {
        let mut xs = vec![
            f64::from_bits(1),
            f64::MIN_POSITIVE,
            f64::MAX,
            1.0,
            0.1,
            9007199254740992.0,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state >> 1);
            if x.is_finite() && x > 0.0 {
                xs.push(x);
            }
        }
        for x in xs {
            let (digits, exponent) = midpoint(x);
            same(&format!("{digits}e{exponent}"));
            // Just above and just below the midpoint.
            same(&format!("{digits}1e{}", exponent - 1));
            let below = &digits[..digits.len() - 1];
            let last = digits.as_bytes()[digits.len() - 1] - b'0';
            if last > 0 {
                same(&format!("{below}{}999e{}", last - 1, exponent - 3));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn any_decimal_parses_as_the_standard_library_parses_it(
            negative in any::<bool>(),
            integer in "[0-9]{0,30}",
            fraction in proptest::option::of("[0-9]{0,30}"),
            exponent in proptest::option::of(-420i32..420),
        ) {
            let mut text = String::from(if negative { "-" } else { "" });
            text.push_str(&integer);
            if let Some(fraction) = &fraction {
                text.push('.');
                text.push_str(fraction);
            }
            if let Some(e) = exponent {
                text.push_str(&format!("e{e}"));
            }
            same(&text);
        }

        #[test]
        fn any_float_written_in_any_way_reads_back(bits in any::<u64>(), digits in 0usize..25) {
            let x = f64::from_bits(bits);
            if x.is_finite() {
                same(&format!("{x}"));
                same(&format!("{x:e}"));
                same(&format!("{x:.digits$e}"));
                same(&format!("{:.digits$}", x / 1e10));
            }
        }
    }
}
