//! Pseudo-random mixed option books for the tests that compare cached or bounded computations
//! with full ones (`tests/scenario_cache.rs`, `tests/grid_bounds.rs`).

use serde_json::{json, Value};

/// The positions of a book of `legs` options (BTC linear and inverse, and ETH linear, over three
/// expiries; calls and puts, long and short, strikes repeated), one leg in `eth_one_in` on ETH,
/// then a linear and an inverse BTC perpetual; `seed` varies it (an LCG, so the same everywhere).
pub fn positions(legs: usize, seed: u64, eth_one_in: u64) -> Vec<Value> {
    let expiries = ["25DEC26", "26MAR27", "25JUN27"];
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut positions = Vec::new();
    for _ in 0..legs {
        let btc = next() % eth_one_in != 0;
        let expiry = expiries[(next() % 3) as usize];
        let (prefix, strike) = if btc {
            let settle = if next() % 2 == 0 { "BTC_USDC" } else { "BTC" };
            (settle, 70_000 + 5_000 * (next() % 13))
        } else {
            ("ETH_USDC", 2_400 + 200 * (next() % 9))
        };
        let kind = if next() % 2 == 0 { "C" } else { "P" };
        #[allow(clippy::cast_precision_loss)] // small integers
        let size = ((next() % 40) as f64 - 19.5) / 10.0;
        positions.push(json!({
            "instrument": format!("{prefix}-{expiry}-{strike}-{kind}"),
            "size": size,
            "entryPrice": 1000
        }));
    }
    positions.push(json!({"instrument": "BTC_USDC-PERPETUAL", "size": 0.7, "entryPrice": 98000}));
    positions.push(json!({"instrument": "BTC-PERPETUAL", "size": -30000, "entryPrice": 99000}));
    positions
}
