//! The one error type of the core.
//!
//! Every failure the engine can report is an [`ErrorKind`] variant, with a stable machine code
//! (`E_…`) and the path of the offending input field (`"strike"`, `"positions[3].size"`). The
//! binding layer maps each variant 1:1 to a JS `Error` carrying `code` and `field`; the CLI prints
//! the same pair. Nothing in the core panics on input: it returns one of these.
//!
//! [`Error`] boxes its kind, so it is one pointer wide: every `?` moves an error into its
//! caller's `Result`, and with the kind inline (48 bytes) those moves were ≈ 1,000 copies of six
//! words in the `.wasm` (README "Build profile and size"); the box is allocated only on failure.

use crate::numfmt::Shortest;
use std::fmt;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure with a stable code and the input field it concerns (its [`ErrorKind`], boxed).
#[derive(Clone, PartialEq)]
pub struct Error(Box<ErrorKind>);

/// What failed: one variant per stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// Malformed input: wrong type, missing field, NaN/Infinity, out of its documented domain.
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// A volatility that is not a finite number in the accepted range.
    #[error("{field}: {reason}")]
    InvalidVol { field: String, reason: String },
    /// An option price outside the no-arbitrage bounds of the model (below intrinsic or above the
    /// forward/strike bound), so no implied volatility exists.
    #[error(
        "{field}: price {} is outside the no-arbitrage bounds [{}, {})",
        Shortest(*.price),
        Shortest(*.lower),
        Shortest(*.upper)
    )]
    NoArbitrageBound {
        field: String,
        price: f64,
        lower: f64,
        upper: f64,
    },
    /// An iterative solver did not reach its tolerance within its iteration budget.
    #[error("{field}: {reason}")]
    NoConvergence { field: String, reason: String },
    /// A position needs market data the snapshot does not have (an index, a mark, a volatility).
    #[error("{field}: {reason}")]
    MissingMarketData { field: String, reason: String },
    /// An oracle quote older than the hard staleness limit: the engine refuses to compute.
    #[error("{field}: {reason}")]
    StaleOracle { field: String, reason: String },
    /// The object is already in use by a call further up the stack (a JS callback re-entering an
    /// engine method): retry after that call returns.
    #[error("{field}: {reason}")]
    Busy { field: String, reason: String },
    /// A request the account's collateral does not cover: a withdrawal that would leave free
    /// collateral (equity − initial margin) below zero. The input is well formed; the answer is no.
    #[error("{field}: {reason}")]
    InsufficientMargin { field: String, reason: String },
}

impl Error {
    /// Every code [`Error::code`] returns, in declaration order: the README's error table and the
    /// npm package's `ERROR_CODES` (js/errors.js) list the same, which a test checks.
    pub const CODES: [&'static str; 8] = [
        "E_INVALID_INPUT",
        "E_INVALID_VOL",
        "E_NO_ARBITRAGE_BOUND",
        "E_NO_CONVERGENCE",
        "E_MISSING_MARKET_DATA",
        "E_STALE_ORACLE",
        "E_BUSY",
        "E_INSUFFICIENT_MARGIN",
    ];

    /// Shorthand for [`ErrorKind::InvalidInput`].
    #[inline(never)]
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        ErrorKind::InvalidInput {
            field: field.into(),
            reason: reason.to_string(),
        }
        .into()
    }

    /// What failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// What failed, unboxed.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// The stable code of this error, as documented in the README's error table.
    pub fn code(&self) -> &'static str {
        match &*self.0 {
            ErrorKind::InvalidInput { .. } => "E_INVALID_INPUT",
            ErrorKind::InvalidVol { .. } => "E_INVALID_VOL",
            ErrorKind::NoArbitrageBound { .. } => "E_NO_ARBITRAGE_BOUND",
            ErrorKind::NoConvergence { .. } => "E_NO_CONVERGENCE",
            ErrorKind::MissingMarketData { .. } => "E_MISSING_MARKET_DATA",
            ErrorKind::StaleOracle { .. } => "E_STALE_ORACLE",
            ErrorKind::Busy { .. } => "E_BUSY",
            ErrorKind::InsufficientMargin { .. } => "E_INSUFFICIENT_MARGIN",
        }
    }

    /// The path of the input field this error concerns (empty for the whole input).
    pub fn field(&self) -> &str {
        match self.kind() {
            ErrorKind::InvalidInput { field, .. }
            | ErrorKind::InvalidVol { field, .. }
            | ErrorKind::NoArbitrageBound { field, .. }
            | ErrorKind::NoConvergence { field, .. }
            | ErrorKind::MissingMarketData { field, .. }
            | ErrorKind::StaleOracle { field, .. }
            | ErrorKind::Busy { field, .. }
            | ErrorKind::InsufficientMargin { field, .. } => field,
        }
    }

    fn field_mut(&mut self) -> &mut String {
        match &mut *self.0 {
            ErrorKind::InvalidInput { field, .. }
            | ErrorKind::InvalidVol { field, .. }
            | ErrorKind::NoArbitrageBound { field, .. }
            | ErrorKind::NoConvergence { field, .. }
            | ErrorKind::MissingMarketData { field, .. }
            | ErrorKind::StaleOracle { field, .. }
            | ErrorKind::Busy { field, .. }
            | ErrorKind::InsufficientMargin { field, .. } => field,
        }
    }

    /// The same error reported against another field path (e.g. a batch row: `"vol[12]"`).
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        *self.field_mut() = field.into();
        self
    }

    /// Shorthand for [`ErrorKind::MissingMarketData`].
    pub fn missing(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        ErrorKind::MissingMarketData {
            field: field.into(),
            reason: reason.to_string(),
        }
        .into()
    }

    /// The same error with `prefix.` prepended to its field path (for nested inputs).
    #[must_use]
    pub fn within(mut self, prefix: &str) -> Self {
        let field = self.field_mut();
        *field = if field.is_empty() {
            prefix.to_string()
        } else if field.starts_with('[') {
            format!("{prefix}{field}")
        } else {
            format!("{prefix}.{field}")
        };
        self
    }
}

/// A string in a message, quoted as `{:?}` quotes it: `"`, `\`, `\n`, `\r`, `\t` and `\0`
/// escaped with a backslash, other control characters as `\u{…}`. Unlike `{:?}`, other
/// characters print as they are (`{:?}` also escapes Unicode's non-printable characters,
/// with tables the `.wasm` need not carry).
pub(crate) struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\0' => f.write_str("\\0")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl fmt::Debug for Error {
    /// As the kind's (`InvalidInput { field: …, reason: … }`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    /// `field: reason` (the kind's message).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every variant (the match makes a new variant a compile error here).
    fn one_of_each() -> Vec<Error> {
        let (field, reason) = (String::new(), String::new());
        let all: Vec<Error> = [
            ErrorKind::InvalidInput {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::InvalidVol {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::NoArbitrageBound {
                field: field.clone(),
                price: 0.0,
                lower: 0.0,
                upper: 0.0,
            },
            ErrorKind::NoConvergence {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::MissingMarketData {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::StaleOracle {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::Busy {
                field: field.clone(),
                reason: reason.clone(),
            },
            ErrorKind::InsufficientMargin { field, reason },
        ]
        .into_iter()
        .map(Error::from)
        .collect();
        for e in &all {
            match e.kind() {
                ErrorKind::InvalidInput { .. }
                | ErrorKind::InvalidVol { .. }
                | ErrorKind::NoArbitrageBound { .. }
                | ErrorKind::NoConvergence { .. }
                | ErrorKind::MissingMarketData { .. }
                | ErrorKind::StaleOracle { .. }
                | ErrorKind::Busy { .. }
                | ErrorKind::InsufficientMargin { .. } => {}
            }
        }
        all
    }

    #[test]
    fn codes_lists_every_variant_once_and_matches_the_js_and_readme_lists() {
        let codes: Vec<&str> = one_of_each().iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
        let root = env!("CARGO_MANIFEST_DIR");
        let js = std::fs::read_to_string(format!("{root}/js/errors.js")).unwrap();
        let js_codes: Vec<&str> = js.split('\'').filter(|s| s.starts_with("E_")).collect();
        assert_eq!(js_codes, Error::CODES, "js/errors.js ERROR_CODES");
        let types = std::fs::read_to_string(format!("{root}/js/index.d.ts")).unwrap();
        for code in Error::CODES {
            assert!(
                types.contains(&format!("'{code}'")),
                "js/index.d.ts ErrorCode lacks {code}"
            );
        }
        let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
        for code in Error::CODES {
            assert!(
                readme.contains(&format!("| `{code}` |")),
                "README error table lacks {code}"
            );
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod quoted_tests {
    use super::Quoted;
    use proptest::prelude::*;

    proptest! {
        /// The same text as `{:?}` for ASCII (control characters, quotes and backslashes
        /// included) and printable non-ASCII characters.
        #[test]
        fn quotes_as_debug_does(text in "[\\x00-\\x7f\"\\\\é€😀ß]{0,24}") {
            prop_assert_eq!(Quoted(&text).to_string(), format!("{text:?}"));
        }
    }
}
