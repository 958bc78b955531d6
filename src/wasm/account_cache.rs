//! The last account argument, validated: `margin()`, `whatIf()`, `maxSize()`,
//! `liquidationPrices()` and `liquidationCheck()` validate each account against the last one they
//! validated, with [`Account::revalidated`]. A page calls them again and again with one account
//! (on every market tick, every keystroke of an order form) or with one position edited, and
//! parsing the instrument ids (dates, strikes, canonical ids) was a fifth of a 500-position
//! `margin()` in wasm32. A position whose id text is the same at the same index takes its
//! resolution from the last account; everything else (sizes, entry prices, collateral, mode,
//! changed ids) is validated afresh. `Account::revalidated` gives the same account, and the
//! same errors, as `Account::new`, so what is kept never changes a result. An account that is
//! the last one bit for bit ([`AccountSpec::same_bits`]) is the last validated account itself.
//!
//! The package's `margin()` sends a plain account's positions as columns (`js/report.js`):
//! when they are the last call's columns bit for bit and the rest of the account is the same,
//! no position is built or compared ([`AccountArg::with_columns`]).
//!
//! Owns that one entry: the last account that validated (one that fails is not kept).

use super::convert::to_js_error;
use crate::error::Error;
use crate::portfolio::{Account, AccountSpec};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// The last account validated: its spec, the account, and the position columns it came from
/// when it came as columns (`margin()` through `js/report.js`).
struct Last {
    spec: AccountSpec,
    account: Rc<Account>,
    columns: Option<Columns>,
}

/// An account's positions as `js/report.js` sends them (see [`crate::portfolio::columns`]).
pub(super) struct Columns {
    numbers: Vec<f64>,
    ids: String,
    flags: Vec<u8>,
}

impl Columns {
    fn same(&self, numbers: &[f64], ids: &str, flags: &[u8]) -> bool {
        crate::bytes::same_text(&self.ids, ids)
            && crate::bytes::same_bytes(&self.flags, flags)
            && self.numbers.len() == numbers.len()
            && self
                .numbers
                .iter()
                .zip(numbers)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

thread_local! {
    static LAST_ACCOUNT: RefCell<Option<Last>> = const { RefCell::new(None) };
}

/// An account argument after decoding, to be validated by [`AccountArg::validated`] once the
/// other arguments are decoded (the CLI's order of errors).
pub(super) enum AccountArg {
    /// The last account: the same spec without positions and the same position columns.
    Known(Rc<Account>),
    Decoded {
        spec: AccountSpec,
        columns: Option<Columns>,
    },
}

impl AccountArg {
    /// An account given whole (its positions inside it).
    pub(super) fn spec(spec: AccountSpec) -> AccountArg {
        AccountArg::Decoded {
            spec,
            columns: None,
        }
    }

    /// `rest`, an account spec, with the positions given as columns (`numbers`, `ids`, `flags`)
    /// when `rest` has none: the last account when `rest` is the last spec but for its positions
    /// and the columns are the last ones bit for bit (no position is built or compared), else the
    /// spec with the positions built from the columns (their errors at `account.positions`).
    pub(super) fn with_columns(
        mut rest: AccountSpec,
        (numbers, ids, flags): (&[f64], &str, &[u8]),
    ) -> Result<AccountArg, JsValue> {
        if !rest.positions.is_empty() {
            return Err(to_js_error(Error::invalid(
                "account.positions",
                "positions given twice (as columns and in the account)",
            )));
        }
        let known = LAST_ACCOUNT.with_borrow(|last| {
            last.as_ref()
                .filter(|last| {
                    last.columns
                        .as_ref()
                        .is_some_and(|columns| columns.same(numbers, ids, flags))
                        && last.spec.same_bits_but_positions(&rest)
                })
                .map(|last| last.account.clone())
        });
        if let Some(account) = known {
            return Ok(AccountArg::Known(account));
        }
        rest.positions =
            crate::portfolio::columns::positions(numbers, ids, flags).map_err(to_js_error)?;
        Ok(AccountArg::Decoded {
            spec: rest,
            columns: Some(Columns {
                numbers: numbers.to_vec(),
                ids: ids.to_owned(),
                flags: flags.to_vec(),
            }),
        })
    }

    /// The validated account (errors named `account.…`), which is kept for the next call.
    pub(super) fn validated(self) -> Result<Rc<Account>, JsValue> {
        match self {
            AccountArg::Known(account) => Ok(account),
            AccountArg::Decoded { spec, columns } => validated_with(spec, columns),
        }
    }
}

/// The validated account of `spec` (errors named `account.…`), which is kept for the next call.
pub(super) fn validated(spec: AccountSpec) -> Result<Rc<Account>, JsValue> {
    validated_with(spec, None)
}

fn validated_with(spec: AccountSpec, columns: Option<Columns>) -> Result<Rc<Account>, JsValue> {
    // The same account as last time, bit for bit: the same validated account.
    let unchanged = LAST_ACCOUNT.with_borrow(|last| {
        last.as_ref()
            .filter(|last| last.spec.same_bits(&spec))
            .map(|last| last.account.clone())
    });
    let account = match unchanged {
        Some(account) => account,
        None => Rc::new(
            LAST_ACCOUNT
                .with_borrow(|last| match last {
                    Some(last) => Account::revalidated(&spec, &last.spec, &last.account),
                    None => Account::new(&spec),
                })
                .map_err(|e| to_js_error(e.within("account")))?,
        ),
    };
    LAST_ACCOUNT.set(Some(Last {
        spec,
        account: account.clone(),
        columns,
    }));
    Ok(account)
}
