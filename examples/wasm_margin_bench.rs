//! Bench-only WASM module, not part of the npm package or the library's API: lets
//! `bench/margin_core.mjs` time the margin computation in wasm32 on a market and account that
//! were decoded and validated once (the engine's path, issue 5), and the parts of the full call
//! (decode, `margin()`, encode) without the JS boundary. Build and run: see bench/README.md.
//!
//! Native builds compile nothing (the module is wasm32-only).

#[cfg(target_arch = "wasm32")]
mod wasm {
    use drr_margin::margin::{margin, margin_validated, profiles, RiskParams};
    use drr_margin::market::{Market, MarketSpec};
    use drr_margin::portfolio::{Account, AccountSpec};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    struct State {
        market_json: String,
        account_json: String,
        market_spec: MarketSpec,
        account_spec: AccountSpec,
        market: Market,
        account: Account,
        params: RiskParams,
    }

    impl State {
        /// The market and account decoded from their JSON text, as the package decodes them.
        fn decode(&self) -> Result<(MarketSpec, AccountSpec), JsValue> {
            let market = drr_margin::json::decode_str(
                &self.market_json,
                "market",
                drr_margin::market::decode::market_spec,
            )
            .map_err(js)?;
            let account = drr_margin::json::decode_str(
                &self.account_json,
                "account",
                drr_margin::portfolio::decode::account_spec,
            )
            .map_err(js)?;
            Ok((market, account))
        }
    }

    thread_local! {
        static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    }

    fn js(e: drr_margin::Error) -> JsValue {
        JsValue::from_str(&format!("{} {}: {e}", e.code(), e.field()))
    }

    /// Decodes and validates the inputs once.
    #[wasm_bindgen]
    pub fn prepare(market_json: String, account_json: String) -> Result<(), JsValue> {
        let market_spec: MarketSpec = drr_margin::json::decode_str(
            &market_json,
            "market",
            drr_margin::market::decode::market_spec,
        )
        .map_err(js)?;
        let account_spec: AccountSpec = drr_margin::json::decode_str(
            &account_json,
            "account",
            drr_margin::portfolio::decode::account_spec,
        )
        .map_err(js)?;
        let state = State {
            market: Market::new(market_spec.clone()).map_err(js)?,
            account: Account::new(&account_spec).map_err(js)?,
            params: profiles::resolve(None).map_err(js)?,
            market_json,
            account_json,
            market_spec,
            account_spec,
        };
        STATE.set(Some(state));
        Ok(())
    }

    /// Runs one stage `reps` times on the prepared inputs: `"decode"` (JSON text → specs),
    /// `"margin"` (`margin()` on the specs: validation + computation), `"validated"`
    /// (`margin_validated`), `"validated+encode"` (that, then the report → JSON text), `"full"` (all of them, as the
    /// package's `margin()` does minus the JS boundary). Returns a checksum.
    #[wasm_bindgen]
    pub fn run(stage: &str, reps: u32) -> Result<f64, JsValue> {
        STATE.with_borrow(|state| {
            let s = state
                .as_ref()
                .ok_or_else(|| JsValue::from_str("call prepare first"))?;
            let mut sum = 0.0;
            for _ in 0..reps {
                sum += match stage {
                    "decode" => {
                        let (m, a) = s.decode()?;
                        (m.underlyings.len() + a.positions.len()) as f64
                    }
                    "margin" => {
                        margin(&s.market_spec, &s.account_spec, &s.params)
                            .map_err(js)?
                            .components
                            .total
                            .initial
                    }
                    "validated" => {
                        margin_validated(&s.market, &s.account, &s.params)
                            .map_err(js)?
                            .components
                            .total
                            .initial
                    }
                    "validated+encode" => {
                        let report =
                            margin_validated(&s.market, &s.account, &s.params).map_err(js)?;
                        serde_json::to_string(&report)
                            .map_err(|e| JsValue::from_str(&e.to_string()))?
                            .len() as f64
                    }
                    "full" => {
                        let (m, a) = s.decode()?;
                        let p = profiles::resolve(None).map_err(js)?;
                        let report = margin(&m, &a, &p).map_err(js)?;
                        serde_json::to_string(&report)
                            .map_err(|e| JsValue::from_str(&e.to_string()))?
                            .len() as f64
                    }
                    _ => return Err(JsValue::from_str("unknown stage")),
                };
            }
            Ok(sum)
        })
    }
}
