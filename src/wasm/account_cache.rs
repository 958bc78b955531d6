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
//! Owns that one entry: the last account that validated (one that fails is not kept).

use super::convert::to_js_error;
use crate::portfolio::{Account, AccountSpec};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

thread_local! {
    static LAST_ACCOUNT: RefCell<Option<(AccountSpec, Rc<Account>)>> = const { RefCell::new(None) };
}

/// The validated account of `spec` (errors named `account.…`), which is kept for the next call.
pub(super) fn validated(spec: AccountSpec) -> Result<Rc<Account>, JsValue> {
    // The same account as last time, bit for bit: the same validated account.
    let unchanged = LAST_ACCOUNT.with_borrow(|last| {
        last.as_ref()
            .filter(|(last_spec, _)| last_spec.same_bits(&spec))
            .map(|(_, last_account)| last_account.clone())
    });
    if let Some(account) = unchanged {
        return Ok(account);
    }
    let account = LAST_ACCOUNT
        .with_borrow(|last| match last {
            Some((last_spec, last_account)) => Account::revalidated(&spec, last_spec, last_account),
            None => Account::new(&spec),
        })
        .map_err(|e| to_js_error(e.within("account")))?;
    let account = Rc::new(account);
    LAST_ACCOUNT.set(Some((spec, account.clone())));
    Ok(account)
}
