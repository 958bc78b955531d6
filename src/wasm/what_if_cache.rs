//! The last `whatIf` call's account before the order. An order form calls `whatIf` again for every
//! keystroke with the same market, account, parameters and options and a new order; the account's
//! summary before the order (its margin and, by default, its linear liquidation estimates: half
//! of the call's revaluations, all of the solver's runs with `whatIfPrices: 'exact'`) is the same
//! each time. Owns that one entry only; `liquidation::what_if::what_if_hashed` says why a
//! result computed from it equals one computed afresh.
//!
//! Keyed by what the summary depends on, compared exactly: the validated market (the same `Rc`
//! from `market_cache`, i.e. the same JSON text; the entry holds it, so its address is not reused
//! while compared), the validated account (the same `Rc` from `account_cache`, i.e. the last
//! account bit for bit; held likewise), the parameters' hash (SHA-256 of their canonical JSON)
//! and the options, field by field and floats bit for bit. Anything else is a miss, and the call
//! computes everything.

use crate::liquidation::what_if::AccountSummary;
use crate::liquidation::LiquidationOptions;
use crate::market::Market;
use crate::portfolio::Account;
use std::cell::RefCell;
use std::rc::Rc;

/// What the summary before the order was computed from.
pub(super) struct Key {
    pub market: Rc<Market>,
    pub account: Rc<Account>,
    pub params_hash: String,
    pub options: LiquidationOptions,
}

impl Key {
    fn matches(&self, other: &Key) -> bool {
        Rc::ptr_eq(&self.market, &other.market)
            && Rc::ptr_eq(&self.account, &other.account)
            && self.params_hash == other.params_hash
            && same_options(&self.options, &other.options)
    }
}

/// Every field equal, floats bit for bit (−0 ≠ +0). Destructured, so a new field cannot be left
/// out of the comparison.
fn same_options(a: &LiquidationOptions, b: &LiquidationOptions) -> bool {
    let LiquidationOptions {
        sticky,
        move_collateral,
        validity_range,
        safety,
        what_if_prices,
        size_increment,
    } = a;
    *sticky == b.sticky
        && *move_collateral == b.move_collateral
        && validity_range.to_bits() == b.validity_range.to_bits()
        && safety.to_bits() == b.safety.to_bits()
        && *what_if_prices == b.what_if_prices
        && size_increment.to_bits() == b.size_increment.to_bits()
}

thread_local! {
    static LAST_BEFORE: RefCell<Option<(Key, AccountSummary)>> = const { RefCell::new(None) };
}

/// The summary before the order kept for exactly `key`, if any.
pub(super) fn known(key: &Key) -> Option<AccountSummary> {
    LAST_BEFORE.with_borrow(|last| {
        last.as_ref()
            .filter(|(kept, _)| kept.matches(key))
            .map(|(_, before)| before.clone())
    })
}

/// Keeps `before` (from a call that succeeded) for `key`, replacing the last entry.
pub(super) fn keep(key: Key, before: AccountSummary) {
    LAST_BEFORE.set(Some((key, before)));
}
