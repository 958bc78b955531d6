//! Instruction counting for the engine (`valgrind --tool=callgrind`; no timer): builds the
//! 50-option account of `benches/engine.rs`, then applies N BTC index updates alternating between
//! two prices 0.01 % apart (each one full recomputation, nothing emitted after the first).
//!
//! `cargo build --release --example engine_ticks`, then
//! `valgrind --tool=callgrind target/release/examples/engine_ticks portfolio 1000` and the same
//! with 0 updates: (difference) / 1000 = instructions per update.

use drr_margin::engine::{EngineParams, Event, IndexUpdate, MarginEngine};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;

#[path = "../benches/common/engine_book.rs"]
mod engine_book;
use engine_book::account_json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("portfolio", String::as_str);
    let n: u64 = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/market.json"
    ))?;
    let market: MarketSpec = drr_margin::json::from_str(&text)?;
    let now = market.now;
    let mut engine = MarginEngine::new(EngineParams::resolve(None)?);
    engine.set_market(market)?;
    let account: AccountSpec = drr_margin::json::from_str(&account_json(mode))?;
    engine.upsert_account("bench", account)?;
    let mut emitted = 0;
    for tick in 0..n {
        let price = if tick % 2 == 0 { 98_500.0 } else { 98_509.85 };
        emitted += engine
            .apply(Event::IndexUpdate(IndexUpdate {
                underlying: "BTC".into(),
                price,
                conf: 12.5,
                publish_time: now,
            }))?
            .len();
    }
    println!("{n} updates, {emitted} emitted");
    Ok(())
}
