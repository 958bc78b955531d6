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

fn account_json(mode: &str) -> String {
    let expiries = ["25DEC26", "26MAR27", "25JUN27"];
    let mut legs = Vec::new();
    for i in 0..50usize {
        let expiry = expiries[i % 3];
        let strike = 70_000 + 2_500 * ((i * 7) % 25);
        let kind = if i % 2 == 0 { "C" } else { "P" };
        let size = match (i % 5) as i64 - 2 {
            0 => 1,
            s => s,
        };
        legs.push(format!(
            r#"{{"instrument": "BTC_USDC-{expiry}-{strike}-{kind}", "size": {size}}}"#
        ));
    }
    format!(
        r#"{{"mode": "{mode}", "collateral": {{"USDC": 1000000}}, "positions": [{}]}}"#,
        legs.join(",")
    )
}

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
