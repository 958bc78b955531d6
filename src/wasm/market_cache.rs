//! The last market argument, validated: `margin()`, `whatIf()` and `maxSize()` keep the market
//! they last validated, keyed by the argument's JSON text. A page calls them again and again on
//! one snapshot (one per keystroke of an order form), and decoding and validating the market
//! (vol surfaces, forwards, arbitrage checks) is most of a small account's call. Owns that cache
//! and the risk matrix's node values computed on that market (and on its shifted copies:
//! what-if's estimates), a [`ScenarioCache`] that every `margin()`, `whatIf()` and `maxSize()`
//! call shares and that is emptied when another market is validated (its values are exact
//! whatever it holds; emptying bounds its memory). A market that fails validation is not kept,
//! and a different text is decoded afresh.

use super::convert::{json_text, to_js_error};
use crate::margin::ScenarioCache;
use crate::market::decode::market_spec;
use crate::market::{Market, MarketSpec};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

thread_local! {
    static LAST_MARKET: RefCell<Option<(String, Rc<Market>)>> = const { RefCell::new(None) };
    static SCENARIOS: ScenarioCache = ScenarioCache::new();
}

/// Runs `f` with the node values kept for the last market.
pub(super) fn with_scenarios<T>(f: impl FnOnce(&ScenarioCache) -> T) -> T {
    SCENARIOS.with(f)
}

/// A market argument after decoding: the market validated from the same text before, or its
/// spec, to be validated by [`MarketArg::validated`] once the other arguments are decoded (so
/// errors come in the order the CLI reports them: decoding first, then validation).
pub(super) enum MarketArg {
    Known(Rc<Market>),
    Decoded { text: String, spec: MarketSpec },
}

impl MarketArg {
    /// Decodes `value` (the `market` argument) unless its JSON text is the last validated one.
    pub(super) fn decode(value: &JsValue) -> Result<MarketArg, JsValue> {
        let text = json_text(value, "market")?;
        let known = LAST_MARKET.with_borrow(|last| {
            last.as_ref()
                .filter(|(last_text, _)| crate::bytes::same_text(last_text, &text))
                .map(|(_, market)| market.clone())
        });
        Ok(match known {
            Some(market) => MarketArg::Known(market),
            None => {
                let spec =
                    crate::json::decode_str(&text, "market", market_spec).map_err(to_js_error)?;
                MarketArg::Decoded { text, spec }
            }
        })
    }

    /// The validated market (errors named `market.…`); a newly validated one is kept.
    pub(super) fn validated(self) -> Result<Rc<Market>, JsValue> {
        match self {
            MarketArg::Known(market) => Ok(market),
            MarketArg::Decoded { text, spec } => {
                let market =
                    Rc::new(Market::new(spec).map_err(|e| to_js_error(e.within("market")))?);
                LAST_MARKET.set(Some((text, market.clone())));
                SCENARIOS.with(ScenarioCache::clear);
                Ok(market)
            }
        }
    }
}
