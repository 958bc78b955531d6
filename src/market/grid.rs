//! One volatility smile given as a grid of mark implied volatilities at strikes: validation and
//! interpolation.
//!
//! The marks are converted once to nodes (k_j, σ_j²) with k_j = ln(K_j/F) against the forward the
//! marks were taken against, so the smile is a function of log-moneyness like an SVI slice.
//! Between nodes it is linear in total variance w = σ²·T against k (T is fixed within one expiry,
//! so this is the same as linear in σ²); beyond the first and last node it is flat in implied
//! volatility (the wing node's σ is used for every further strike). This module never
//! interpolates across expiries and never judges arbitrage; it uses only IEEE arithmetic and
//! [`crate::math::ln`].

use crate::error::{Error, Result};
use crate::math::ln;
use crate::units::{named_on_error, Price, Vol};

/// One node of the grid: log-moneyness and annualised implied variance σ².
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Node {
    /// k = ln(K/F).
    pub(crate) log_moneyness: f64,
    /// σ² (the mark implied volatility squared).
    pub(crate) variance: f64,
}

/// A validated grid smile: at least one node, log-moneyness strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GridSmile {
    /// Every node, in increasing log-moneyness (never empty).
    nodes: Vec<Node>,
    /// The left wing node (`nodes`' first), kept apart so no lookup can fail.
    first: Node,
    /// The right wing node (`nodes`' last).
    last: Node,
}

impl GridSmile {
    /// Validates the marks; errors name `"{prefix}.forward"`, `"{prefix}.strikes[j]"`,
    /// `"{prefix}.ivs[j]"` (`prefix` is called only to name a rejected field).
    pub(crate) fn new(
        forward: f64,
        strikes: &[f64],
        ivs: &[f64],
        prefix: &dyn Fn() -> String,
    ) -> Result<Self> {
        let field = |name: &str| format!("{}.{name}", prefix());
        let forward = named_on_error(|f| Price::new(forward, f), || field("forward"))?.get();
        if strikes.is_empty() {
            return Err(Error::invalid(
                field("strikes"),
                "needs at least one strike",
            ));
        }
        if ivs.len() != strikes.len() {
            return Err(Error::invalid(
                field("ivs"),
                format!(
                    "has {} values, expected {} (one per strike)",
                    ivs.len(),
                    strikes.len()
                ),
            ));
        }
        let mut nodes: Vec<Node> = Vec::with_capacity(strikes.len());
        for (j, (&strike, &iv)) in strikes.iter().zip(ivs).enumerate() {
            let strike_field = || field(&format!("strikes[{j}]"));
            let strike = named_on_error(|f| Price::new(strike, f), strike_field)?.get();
            let iv = named_on_error(|f| Vol::new(iv, f), || field(&format!("ivs[{j}]")))?.get();
            let log_moneyness = ln(strike / forward);
            if !log_moneyness.is_finite() {
                return Err(Error::invalid(
                    strike_field(),
                    format!(
                        "log-moneyness ln(strike/forward) is not finite for forward {}",
                        crate::numfmt::Shortest(forward)
                    ),
                ));
            }
            if let Some(previous) = nodes.last() {
                if log_moneyness <= previous.log_moneyness {
                    return Err(Error::invalid(
                        strike_field(),
                        "strikes must be strictly increasing (and distinct in log-moneyness)",
                    ));
                }
            }
            nodes.push(Node {
                log_moneyness,
                variance: iv * iv,
            });
        }
        match (nodes.first().copied(), nodes.last().copied()) {
            (Some(first), Some(last)) => Ok(GridSmile { nodes, first, last }),
            _ => Err(Error::invalid(
                field("strikes"),
                "needs at least one strike",
            )),
        }
    }

    /// The nodes, in increasing log-moneyness.
    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Annualised implied variance σ²(k): linear between nodes, flat beyond the wings. At a node
    /// it is that node's σ² exactly.
    pub(crate) fn implied_variance(&self, k: f64) -> f64 {
        if k <= self.first.log_moneyness {
            return self.first.variance;
        }
        if k >= self.last.log_moneyness {
            return self.last.variance;
        }
        for pair in self.nodes.windows(2) {
            if let [left, right] = pair {
                if k < right.log_moneyness {
                    let weight =
                        (k - left.log_moneyness) / (right.log_moneyness - left.log_moneyness);
                    return left.variance + weight * (right.variance - left.variance);
                }
            }
        }
        self.last.variance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_nodes_is_linear_between_and_flat_beyond() {
        let grid = GridSmile::new(100.0, &[80.0, 100.0, 125.0], &[0.7, 0.5, 0.6], &|| {
            "g".to_string()
        })
        .unwrap();
        let k = |strike: f64| ln(strike / 100.0);
        assert_eq!(grid.implied_variance(k(80.0)), 0.7 * 0.7);
        assert_eq!(grid.implied_variance(k(100.0)), 0.5 * 0.5);
        assert_eq!(grid.implied_variance(k(125.0)), 0.6 * 0.6);
        // Midway in k between 100 and 125: (0.25 + 0.36)/2 = 0.305.
        let mid = 0.5 * k(125.0);
        assert!((grid.implied_variance(mid) - 0.305).abs() < 1e-15);
        // A quarter of the way from 80 to 100: 0.49 + 0.25·(0.25 − 0.49) = 0.43.
        let quarter = 0.75 * k(80.0);
        assert!((grid.implied_variance(quarter) - 0.43).abs() < 1e-15);
        // Flat beyond the wings.
        assert_eq!(grid.implied_variance(-3.0), 0.7 * 0.7);
        assert_eq!(grid.implied_variance(2.0), 0.6 * 0.6);
    }

    #[test]
    fn rejects_bad_grids_naming_the_field() {
        let check = |forward: f64, strikes: &[f64], ivs: &[f64], code: &str, field: &str| {
            let err = GridSmile::new(forward, strikes, ivs, &|| "g".to_string()).unwrap_err();
            assert_eq!((err.code(), err.field()), (code, field));
        };
        check(0.0, &[1.0], &[0.5], "E_INVALID_INPUT", "g.forward");
        check(1.0, &[], &[], "E_INVALID_INPUT", "g.strikes");
        check(1.0, &[1.0, 2.0], &[0.5], "E_INVALID_INPUT", "g.ivs");
        check(
            1.0,
            &[1.0, 1.0],
            &[0.5, 0.5],
            "E_INVALID_INPUT",
            "g.strikes[1]",
        );
        check(
            1.0,
            &[2.0, 1.0],
            &[0.5, 0.5],
            "E_INVALID_INPUT",
            "g.strikes[1]",
        );
        check(
            1.0,
            &[1.0, -2.0],
            &[0.5, 0.5],
            "E_INVALID_INPUT",
            "g.strikes[1]",
        );
        check(1.0, &[1.0, 2.0], &[0.5, 0.0], "E_INVALID_VOL", "g.ivs[1]");
        check(1.0, &[1.0, 2.0], &[0.5, 80.0], "E_INVALID_VOL", "g.ivs[1]");
        check(
            1.0,
            &[1.0, 2.0],
            &[f64::NAN, 0.5],
            "E_INVALID_VOL",
            "g.ivs[0]",
        );
        // Prices outside [Price::MIN, Price::MAX] (where ln(K/F) could overflow) are refused.
        check(1e-300, &[1.0], &[0.5], "E_INVALID_INPUT", "g.forward");
        check(1.0, &[1e300], &[0.5], "E_INVALID_INPUT", "g.strikes[0]");
    }
}
