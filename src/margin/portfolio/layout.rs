//! What a risk vector's computations keep from one computation to the next besides its nodes'
//! rows (native): the values that depend on the vector's parameters and on inputs that an index
//! update leaves as they are, so that the engine's recomputation of an unchanged book does not
//! compute them again.
//!
//! Owns: [`VectorLayout`], kept by the scenario cache's vector (dropped with the vector's
//! parameters) and lent to each computation of that vector. Never: keeps anything that is not a
//! pure function of its own key bits and the vector's parameters, so a kept value is the value
//! the computation would compute.

use super::BitsMemo;

/// A risk vector's kept values (see the module documentation).
#[derive(Debug, Clone, Default)]
pub(crate) struct VectorLayout {
    /// The vol-shock term factors (30/DTE)^p by days to expiry (bits), under the vector's
    /// parameters: one `pow` per expiry when time moves, none while it stands still.
    terms: BitsMemo,
}

impl VectorLayout {
    /// The term factors kept, emptied first when full (time moved many times since they were
    /// kept: the old expiries' days are not met again).
    pub(super) fn vol_terms(&mut self) -> &mut BitsMemo {
        self.terms.clear_if_full();
        &mut self.terms
    }
}
