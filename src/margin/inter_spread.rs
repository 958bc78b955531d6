//! SPAN inter-commodity spread credits: offsets between the risk of related underlyings.
//!
//! SPAN (docs/venues/cme-span.md §1.5) forms spreads between combined commodities whose net
//! deltas lie on opposite sides ("A versus B"), in priority order, each consuming the delta it
//! uses, and credits a fraction (`rate`) of each leg's *weighted price risk*: the underlying's
//! price risk per unit of net delta, times the delta the spread uses. Price risk is the scan risk
//! less the worst loss at an unchanged price (SPAN's time and volatility risk).
//!
//! Owns the parameters, their validation and the credit arithmetic. It never values positions:
//! the risk-matrix model hands it each underlying's scan risk, unchanged-price loss and net delta.

use crate::error::{Error, Result};
use crate::math::{max, min};
use serde::Serialize;

/// An inter-commodity spread: a vector of net deltas across underlyings whose risks offset,
/// credited at `rate` of each leg's weighted price risk (SPAN "WPR" rate type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InterSpread {
    /// Fraction of the legs' weighted price risk credited per spread formed (0.55 = 55 %).
    pub rate: f64,
    /// The legs: at least two distinct underlyings, with deltas of both signs.
    pub legs: Vec<InterSpreadLeg>,
}

/// One leg of an [`InterSpread`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InterSpreadLeg {
    /// Underlying symbol (SPAN's combined commodity).
    pub underlying: String,
    /// Signed net delta of this leg per spread, in units of the underlying (CME's ratio and
    /// side "A versus B"): a 2:1 corn/soybean spread is `2` and `-1`. A spread also forms the
    /// other way round (−2 and 1).
    pub delta: f64,
}

/// What the risk-matrix model knows of one underlying, in USD and units of the underlying.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnderlyingRisk {
    /// Scan risk: the underlying's worst counted loss (≥ 0).
    pub scan_risk: f64,
    /// Worst counted loss among the unchanged-price rows (≥ 0): SPAN's time + volatility risk.
    pub unchanged_price_loss: f64,
    /// Net delta in units of the underlying.
    pub net_delta: f64,
}

impl UnderlyingRisk {
    /// The price risk carried by `used` units of the net delta: weighted price risk × `used`,
    /// computed as a share of the price risk (≤ 1), so a tiny delta cannot overflow it.
    fn price_risk_of(&self, used: f64) -> f64 {
        let price_risk = max(self.scan_risk - self.unchanged_price_loss, 0.0);
        if self.net_delta == 0.0 {
            0.0
        } else {
            price_risk * min(used / self.net_delta.abs(), 1.0)
        }
    }
}

/// Most spreads a parameter set may list.
const MAX_SPREADS: usize = 256;
/// Most legs of one spread.
const MAX_LEGS: usize = 8;

/// Checks `spreads`, naming the field under `interSpreads`.
pub fn validate(spreads: &[InterSpread]) -> Result<()> {
    if spreads.len() > MAX_SPREADS {
        return Err(Error::invalid(
            "interSpreads",
            format!("at most {MAX_SPREADS} spreads"),
        ));
    }
    for (i, spread) in spreads.iter().enumerate() {
        let at = |field: &str| format!("interSpreads[{i}].{field}");
        if !(spread.rate.is_finite() && (0.0..=1.0).contains(&spread.rate)) {
            return Err(Error::invalid(
                at("rate"),
                format!(
                    "must be in [0, 1], got {}",
                    crate::numfmt::Shortest(spread.rate)
                ),
            ));
        }
        let signs = |positive: bool| spread.legs.iter().any(|leg| (leg.delta > 0.0) == positive);
        if spread.legs.len() < 2 || spread.legs.len() > MAX_LEGS || !signs(true) || !signs(false) {
            return Err(Error::invalid(
                at("legs"),
                format!("must hold 2 to {MAX_LEGS} legs with deltas of both signs"),
            ));
        }
        for (j, leg) in spread.legs.iter().enumerate() {
            if !(leg.delta.is_finite() && leg.delta != 0.0 && leg.delta.abs() <= 1e15) {
                return Err(Error::invalid(
                    at(&format!("legs[{j}].delta")),
                    format!(
                        "must be a non-zero number within ±1e15, got {}",
                        crate::numfmt::Shortest(leg.delta)
                    ),
                ));
            }
            if spread.legs[..j]
                .iter()
                .any(|other| other.underlying == leg.underlying)
            {
                return Err(Error::invalid(
                    at(&format!("legs[{j}].underlying")),
                    format!("{} is already a leg of this spread", leg.underlying),
                ));
            }
        }
    }
    Ok(())
}

/// The total credit (USD, ≥ 0) of `spreads` formed in order over `risks` (one entry per
/// underlying).
///
/// Each spread is formed as many times (fractionally, as SPAN does with deltas) as the remaining
/// net deltas allow, in the orientation the first leg's remaining delta sets; the deltas it uses
/// are no longer available to later spreads. The credit of one spread formed n times is
/// `rate` × Σ over legs of n × |delta| × weighted price risk, so never more than `rate` times
/// the legs' price risk (each underlying's delta is used at most once).
pub fn credit(spreads: &[InterSpread], risks: &[(&str, UnderlyingRisk)]) -> f64 {
    let mut remaining: Vec<f64> = risks.iter().map(|(_, risk)| risk.net_delta).collect();
    let index_of =
        |leg: &InterSpreadLeg| risks.iter().position(|(name, _)| *name == leg.underlying);
    let mut total = 0.0;
    for spread in spreads {
        let delta_of = |leg: &InterSpreadLeg, remaining: &[f64]| {
            index_of(leg)
                .and_then(|i| remaining.get(i).copied())
                .unwrap_or(0.0)
        };
        let Some(first) = spread.legs.first() else {
            continue;
        };
        // +1: the legs as listed; −1: every leg the other way round.
        let lead = delta_of(first, &remaining) * first.delta;
        let orientation = if lead > 0.0 {
            1.0
        } else if lead < 0.0 {
            -1.0
        } else {
            continue;
        };
        let mut count = f64::INFINITY;
        for leg in &spread.legs {
            let available = delta_of(leg, &remaining) * orientation * leg.delta.signum();
            count = min(count, max(available, 0.0) / leg.delta.abs());
        }
        if !(count > 0.0 && count.is_finite()) {
            continue;
        }
        for leg in &spread.legs {
            let Some(i) = index_of(leg) else {
                continue;
            };
            let used = count * leg.delta.abs();
            if let (Some((_, risk)), Some(delta)) = (risks.get(i), remaining.get_mut(i)) {
                total += spread.rate * risk.price_risk_of(used);
                *delta -= orientation * count * leg.delta;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(underlying: &str, delta: f64) -> InterSpreadLeg {
        InterSpreadLeg {
            underlying: underlying.to_string(),
            delta,
        }
    }

    fn risk(scan_risk: f64, net_delta: f64) -> UnderlyingRisk {
        UnderlyingRisk {
            scan_risk,
            unchanged_price_loss: 0.0,
            net_delta,
        }
    }

    #[test]
    fn same_sign_deltas_form_no_spread_and_priority_consumes_delta() {
        let corn_soy = InterSpread {
            rate: 0.5,
            legs: vec![leg("C", 2.0), leg("S", -1.0)],
        };
        let both_long = [("C", risk(3500.0, 2.0)), ("S", risk(2500.0, 1.0))];
        assert_eq!(credit(std::slice::from_ref(&corn_soy), &both_long), 0.0);
        // Short corn, long soybeans: the other orientation forms it too.
        let reversed = [("C", risk(3500.0, -2.0)), ("S", risk(2500.0, 1.0))];
        assert_eq!(credit(std::slice::from_ref(&corn_soy), &reversed), 3000.0);
        // A second spread on the same soybean delta finds none left.
        let soy_wheat = InterSpread {
            rate: 1.0,
            legs: vec![leg("S", 1.0), leg("W", -1.0)],
        };
        let with_wheat = [reversed[0], reversed[1], ("W", risk(1000.0, -1.0))];
        assert_eq!(
            credit(&[corn_soy.clone(), soy_wheat.clone()], &with_wheat),
            3000.0
        );
        // Listed first, it takes the soybeans: 1 × (2,500 + 1,000); corn is left unspread.
        assert_eq!(credit(&[soy_wheat, corn_soy], &with_wheat), 3500.0);
    }

    #[test]
    fn a_subnormal_delta_cannot_overflow_the_credit() {
        let spread = InterSpread {
            rate: 1.0,
            legs: vec![leg("C", 1e-300), leg("S", -1e-300)],
        };
        let risks = [("C", risk(1e15, 5e-324)), ("S", risk(1e15, -5e-324))];
        let credit = credit(&[spread], &risks);
        assert!(credit.is_finite() && credit <= 2e15, "{credit}");
    }

    #[test]
    fn validation_names_the_field() {
        let bad = InterSpread {
            rate: 0.5,
            legs: vec![leg("C", 2.0), leg("S", 0.0)],
        };
        let err = validate(&[bad]).unwrap_err();
        assert_eq!(err.field(), "interSpreads[0].legs[1].delta");
        let zero = InterSpread {
            rate: 0.5,
            legs: vec![leg("C", 2.0), leg("S", -1.0), leg("W", 0.0)],
        };
        assert_eq!(
            validate(&[zero]).unwrap_err().field(),
            "interSpreads[0].legs[2].delta"
        );
        let one_sided = InterSpread {
            rate: 0.5,
            legs: vec![leg("C", 2.0), leg("S", 1.0)],
        };
        assert_eq!(
            validate(&[one_sided]).unwrap_err().field(),
            "interSpreads[0].legs"
        );
    }
}
