//! Instruction counting for the engine (`valgrind --tool=callgrind`; no timer): builds the
//! 50-option account of `benches/engine.rs`, then applies N events:
//!
//! - `portfolio` / `cross`: BTC index updates alternating between two prices 0.01 % apart (each
//!   one full recomputation, nothing emitted after the first);
//! - `portfolio-20`: the same updates with 20 portfolio accounts on the same 50 instruments
//!   (`benches/engine.rs` `index_update/portfolio_20_accounts`);
//! - `trade-portfolio` / `trade-cross`: fills of ±0.1 of one of the book's options against the
//!   unchanged market (`trade/*`).
//!
//! `cargo build --release --example engine_ticks`, then
//! `valgrind --tool=callgrind target/release/examples/engine_ticks portfolio 1000` and the same
//! with 0 events: (difference) / 1000 = instructions per event.

use drr_margin::engine::{EngineParams, Event, IndexUpdate, MarginEngine};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;

#[path = "../benches/common/engine_book.rs"]
mod engine_book;
use engine_book::account_json_variant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map_or("portfolio", String::as_str);
    let n: u64 = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let (mode, accounts, trades) = match case {
        "portfolio" => ("portfolio", 1, false),
        "cross" => ("cross", 1, false),
        "portfolio-20" => ("portfolio", 20, false),
        "trade-portfolio" => ("portfolio", 1, true),
        "trade-cross" => ("cross", 1, true),
        other => return Err(format!("unknown case {other:?}").into()),
    };
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/market.json"
    ))?;
    let market: MarketSpec = drr_margin::json::from_str(&text)?;
    let now = market.now;
    let mut engine = MarginEngine::new(EngineParams::resolve(None)?);
    engine.set_market(market)?;
    for k in 0..accounts {
        let account: AccountSpec = drr_margin::json::from_str(&account_json_variant(mode, k))?;
        let id = if k == 0 {
            "bench".to_string()
        } else {
            format!("trader-{k}")
        };
        engine.upsert_account(&id, account)?;
    }
    let mut emitted = 0;
    for tick in 0..n {
        let event = if trades {
            let size = if tick % 2 == 0 { 0.1 } else { -0.1 };
            Event::from_value(serde_json::json!({
                "type": "trade", "account": "bench",
                "instrument": "BTC_USDC-26MAR27-100000-C", "size": size, "price": 6000
            }))?
        } else {
            let price = if tick % 2 == 0 { 98_500.0 } else { 98_509.85 };
            Event::IndexUpdate(IndexUpdate {
                underlying: "BTC".into(),
                price,
                conf: 12.5,
                publish_time: now,
            })
        };
        emitted += engine.apply(event)?.len();
    }
    println!("{n} events, {emitted} emitted");
    Ok(())
}
