//! NDJSON replay: one [`Event`] per line (blank lines ignored), applied in order. A whole session
//! fits one file: its first lines are usually `setMarket` and `upsertAccount` events. The
//! keeper's batch mode (`drr-margin replay`) and the parity tests use it.
//!
//! Owns line splitting and error paths (`events[N]…` where N is the 0-based line number); never
//! changes how an event is applied.

use super::{Event, MarginEngine, MarginUpdate};
use crate::error::Result;

/// Applies every event of `ndjson` to `engine`, passing each update to `emit`. Stops at the first
/// failing line with its error, the field prefixed `events[N]` (N = line number − 1).
pub fn replay(
    engine: &mut MarginEngine,
    ndjson: &str,
    mut emit: impl FnMut(&MarginUpdate) -> Result<()>,
) -> Result<usize> {
    let mut count = 0;
    for (n, line) in ndjson.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("events[{n}]");
        let event = Event::from_json(line).map_err(|e| e.within(&at))?;
        for update in engine.apply(event).map_err(|e| e.within(&at))? {
            emit(&update)?;
            count += 1;
        }
    }
    Ok(count)
}
