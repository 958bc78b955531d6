//! Validated quantities: the newtypes that keep NaN, negative volatilities and non-positive prices
//! out of the core.
//!
//! Each type is constructed only through `new(value, field)`, which checks the documented domain and
//! names the field in the error. After construction the value is trusted: pricing code never
//! re-checks it. Units follow DESIGN.md: prices in quote currency per unit of underlying, time in
//! years for models (`YearFrac`), volatilities and rates as decimals (0.8 = 80 %).
//!
//! The constructors check their accepted range first and build a rejection's message in a
//! separate `#[cold]` function. Natively the check is inlined (the engine builds about five of
//! these per option per recomputation: −7 % of the instructions of a portfolio index update);
//! in wasm32 it stays out of line (inlined, the `.wasm` outgrew its size budget by 0.5 KB).

use crate::error::{Error, ErrorKind, Result};

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name(f64);

        impl $name {
            /// The raw value.
            #[inline]
            pub fn get(self) -> f64 {
                self.0
            }
        }
    };
}

quantity!(
    /// A finite price (forward, strike, spot, index) in quote currency within
    /// [[`Price::MIN`], [`Price::MAX`]].
    Price
);
quantity!(
    /// A finite annualised volatility in [[`Vol::MIN`], [`Vol::MAX`]] as an input; a scenario's
    /// shocked volatility ([`Vol::shocked`]) may reach [`Vol::SHOCKED_MAX`].
    Vol
);
quantity!(
    /// A time in years (ms / (365 × 86 400 000)) within [0, [`YearFrac::MAX`]].
    YearFrac
);
quantity!(
    /// A finite continuously-compounded annual rate (may be negative), |r| ≤ 1.
    Rate
);

/// Latest accepted timestamp (ms since the Unix epoch): 2⁵³ − 1, the largest integer JS numbers
/// hold exactly. With every timestamp in [0, this], differences of timestamps never overflow.
pub const MAX_TIMESTAMP_MS: i64 = (1 << 53) - 1;

/// `ms` if it is a timestamp in [0, [`MAX_TIMESTAMP_MS`]], else `E_INVALID_INPUT` naming `field`.
pub(crate) fn timestamp(ms: i64, field: &str) -> Result<i64> {
    if (0..=MAX_TIMESTAMP_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(Error::invalid(
            field,
            format!("must be a time in ms since 1970 within [0, 2^53 − 1], got {ms}"),
        ))
    }
}

/// Largest accepted size or collateral amount in absolute value: 10¹⁵ units (beyond any real
/// balance; products with prices stay far from overflow, so no requirement can become ∞).
pub const MAX_AMOUNT: f64 = 1e15;

/// `value` if it is finite with |value| ≤ [`MAX_AMOUNT`], else `E_INVALID_INPUT` naming `field`.
pub(crate) fn amount(value: f64, field: &str) -> Result<f64> {
    if value.is_finite() && value.abs() <= MAX_AMOUNT {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "must be a finite amount within ±{}, got {}",
                crate::numfmt::Sci(MAX_AMOUNT, None),
                crate::numfmt::Shortest(value)
            ),
        ))
    }
}

/// `check(field)` with the field path built only when the value is rejected, for validations
/// that run on every computation or every new market: `check` runs with an empty path, and again
/// with `field()` to name what it rejected.
pub(crate) fn named_on_error<T>(
    check: impl Fn(&str) -> Result<T>,
    field: impl FnOnce() -> String,
) -> Result<T> {
    check("").or_else(|_| check(&field()))
}

/// `value` if it is finite, else `E_INVALID_INPUT` naming `field`.
pub(crate) fn finite(value: f64, field: &str) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "must be a finite number, got {}",
                crate::numfmt::Shortest(value)
            ),
        ))
    }
}

impl Price {
    /// Smallest accepted price: 10⁻¹² (far below any traded token; keeps ratios such as F/K and
    /// their logarithms finite, which a subnormal price would not).
    pub const MIN: f64 = 1e-12;
    /// Largest accepted price: 10¹⁵ (products of prices and sizes stay far from overflow).
    pub const MAX: f64 = 1e15;

    /// A price must be finite and within [[`Price::MIN`], [`Price::MAX`]].
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn new(value: f64, field: &str) -> Result<Self> {
        // The accepted range, checked inline (false for NaN); the messages out of line.
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Price(value))
        } else {
            Err(Self::rejected(value, field))
        }
    }

    /// The error of [`Price::new`] for a value outside its range.
    #[cold]
    #[inline(never)]
    fn rejected(value: f64, field: &str) -> Error {
        if let Err(not_finite) = finite(value, field) {
            return not_finite;
        }
        let reason = if value <= 0.0 {
            format!("must be > 0, got {}", crate::numfmt::Shortest(value))
        } else {
            format!(
                "must be within [{}, {}], got {}",
                crate::numfmt::Sci(Self::MIN, None),
                crate::numfmt::Sci(Self::MAX, None),
                crate::numfmt::Shortest(value),
            )
        };
        Error::invalid(field, reason)
    }
}

impl Vol {
    /// Smallest accepted volatility: 10⁻⁶ (0.0001 %); a subnormal one would overflow d₁.
    pub const MIN: f64 = 1e-6;
    /// Largest accepted volatility: 1000 %. Crypto options trade up to ~500 %; beyond this the
    /// input is almost certainly in percent instead of a decimal.
    pub const MAX: f64 = 10.0;
    /// Largest shocked volatility of a risk scenario: 100,000 %. [`Vol::MAX`] guards inputs
    /// against a percent read as a decimal, which a computed shock cannot be, so a shock may
    /// carry a volatility past it (a 600 % short-dated option under a term-scaled up-shock):
    /// capping it there would understate a short's scenario loss. This bound only keeps d₁
    /// finite; Black-76 is exact for any finite σ√t (the price tends to the discounted forward).
    pub const SHOCKED_MAX: f64 = 1000.0;

    /// A scenario's shocked volatility: finite, in [[`Vol::MIN`], [`Vol::SHOCKED_MAX`]].
    pub fn shocked(value: f64, field: &str) -> Result<Self> {
        Self::within(
            value,
            Self::SHOCKED_MAX,
            field,
            "a shocked volatility must be",
        )
    }

    /// A volatility must be finite and within [[`Vol::MIN`], [`Vol::MAX`]] (a decimal: 0.8 = 80 %).
    pub fn new(value: f64, field: &str) -> Result<Self> {
        Self::within(
            value,
            Self::MAX,
            field,
            "must be a decimal volatility (0.8 = 80 %)",
        )
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    fn within(value: f64, max: f64, field: &str, what: &str) -> Result<Self> {
        if value.is_finite() && (Self::MIN..=max).contains(&value) {
            Ok(Vol(value))
        } else {
            Err(Self::rejected(value, max, field, what))
        }
    }

    /// The error of [`Vol::within`] for a value outside [`Vol::MIN`, `max`].
    #[cold]
    #[inline(never)]
    fn rejected(value: f64, max: f64, field: &str, what: &str) -> Error {
        ErrorKind::InvalidVol {
            field: field.to_string(),
            reason: format!(
                "{what} in [{}, {}], got {}",
                crate::numfmt::Sci(Self::MIN, None),
                crate::numfmt::Shortest(max),
                crate::numfmt::Shortest(value)
            ),
        }
        .into()
    }
}

impl YearFrac {
    /// Milliseconds in the 365-day year used for every year fraction.
    pub const MS_PER_YEAR: f64 = 365.0 * 86_400_000.0;

    /// Longest accepted time: 100 years (no listed derivative comes close; a larger value is
    /// almost certainly milliseconds or days passed as years, and overflows discounting).
    pub const MAX: f64 = 100.0;

    /// A year fraction must be finite, ≥ 0 and ≤ [`YearFrac::MAX`].
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn new(value: f64, field: &str) -> Result<Self> {
        if (0.0..=Self::MAX).contains(&value) {
            Ok(YearFrac(value))
        } else {
            Err(Self::rejected(value, field))
        }
    }

    /// The error of [`YearFrac::new`] for a value outside [0, [`YearFrac::MAX`]].
    #[cold]
    #[inline(never)]
    fn rejected(value: f64, field: &str) -> Error {
        if let Err(not_finite) = finite(value, field) {
            return not_finite;
        }
        let reason = if value > Self::MAX {
            format!(
                "must be ≤ {} years, got {}",
                crate::numfmt::Shortest(Self::MAX),
                crate::numfmt::Shortest(value)
            )
        } else {
            format!(
                "must be ≥ 0 years, got {} (an expired option is never priced as live)",
                crate::numfmt::Shortest(value)
            )
        };
        Error::invalid(field, reason)
    }
}

impl Rate {
    /// A rate must be finite with |r| ≤ 1 (a decimal: 0.05 = 5 %).
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn new(value: f64, field: &str) -> Result<Self> {
        if value.abs() <= 1.0 {
            Ok(Rate(value))
        } else {
            Err(Self::rejected(value, field))
        }
    }

    /// The error of [`Rate::new`] for a value outside [−1, 1].
    #[cold]
    #[inline(never)]
    fn rejected(value: f64, field: &str) -> Error {
        if let Err(not_finite) = finite(value, field) {
            return not_finite;
        }
        Error::invalid(
            field,
            format!(
                "must be a decimal rate with |r| ≤ 1 (0.05 = 5 %), got {}",
                crate::numfmt::Shortest(value)
            ),
        )
    }

    /// A zero rate.
    pub const ZERO: Rate = Rate(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_finite_and_out_of_domain_values_naming_the_field() {
        for bad in [f64::NAN, f64::INFINITY, -1.0, 0.0, 5e-324, 1e-13, 2e15] {
            let err = Price::new(bad, "strike").unwrap_err();
            assert_eq!(err.field(), "strike");
            assert_eq!(err.code(), "E_INVALID_INPUT");
        }
        assert_eq!(Vol::new(80.0, "vol").unwrap_err().code(), "E_INVALID_VOL");
        assert_eq!(Vol::new(0.0, "vol").unwrap_err().code(), "E_INVALID_VOL");
        assert_eq!(Vol::new(5e-324, "vol").unwrap_err().code(), "E_INVALID_VOL");
        assert_eq!(Price::new(1e-12, "strike").unwrap().get(), 1e-12);
        assert!(YearFrac::new(-1e-9, "t").is_err());
        assert!(YearFrac::new(1e308, "t").is_err());
        assert_eq!(timestamp(-1, "now").unwrap_err().field(), "now");
        assert!(timestamp(MAX_TIMESTAMP_MS + 1, "now").is_err());
        assert_eq!(
            timestamp(1_795_507_200_000, "now").unwrap(),
            1_795_507_200_000
        );
        assert!(Rate::new(5.0, "rate").is_err());
        assert_eq!(YearFrac::new(0.0, "t").unwrap().get(), 0.0);
        assert_eq!(Vol::new(5.0, "vol").unwrap().get(), 5.0);
    }
}
