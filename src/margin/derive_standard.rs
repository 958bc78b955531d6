//! Derive v2 Standard Manager's initial-margin contingencies (docs/venues/derive.md §1.2, §1.4,
//! §1.5; derivexyz/v2-core `src/risk-managers/StandardManager.sol`): the oracle-confidence
//! contingencies on perps, on each expiry's short options and on base collateral, and the USDC
//! depeg penalty. All are added to the initial requirement only (Derive applies each when
//! `isInitial`); the maintenance requirement never changes.
//!
//! Owns: [`DeriveStandardParams`] (with Derive's mainnet values, `scripts/config-mainnet.sol`
//! `getSRMParams`, `getSRMDepegParams`) and [`derive_standard_contingencies`]. Never: values
//! positions or collateral (it reads amounts, the index, the collateral quotes and the market's
//! `feedConfidence` scores), nor computes the rule-based requirements themselves
//! (`crate::margin::standard`, which also applies `perpNotionalAtMark`).
//!
//! Per underlying with index S (Derive's spot feed), confidence scores from the market's optional
//! `feedConfidence` (absent = 1, [`crate::market::FeedConfidence`]) and
//! c(q, threshold, N) = (1 − q)·`confidenceFactor`·N if threshold > 0 and q < threshold, else 0:
//! - perps (`_getNetPerpMargin`): c(min(perp score, spot score), `perpConfidenceThreshold`,
//!   S·|perps|), |perps| the coin size of the underlying's perpetuals and futures (Derive has
//!   only perps; dated futures are treated alike);
//! - options (`_getNetOptionMarginAndMtM`), per expiry: c(min(spot, the expiry's forward and vol
//!   scores), `optionConfidenceThreshold`, S·Σ|short amounts of the expiry|); the rate score is
//!   not read (the Standard Manager discounts nothing);
//! - base collateral (`_getBaseMarginAndMtM`), per asset other than USDC (Derive's cash) held
//!   long: c(min(the asset's score, the spot score of the underlying of the same name),
//!   `baseConfidenceThreshold`, amount·price);
//! - depeg (`_getDepegMultiplier`): (|perps| + Σ|short options|)·S·max(0, `depegThreshold` −
//!   USDC price)·`depegFactor`, USDC's price being the market's `collateral.USDC` quote (1 if
//!   absent), as for PMRM_2.

use super::params::{check, finite_in};
use crate::error::Result;
use crate::market::Market;
use crate::math::{max, min};
use crate::portfolio::{ContractKind, Millis, Position, Settlement};
use crate::vec_map::VecMap;
use serde::Serialize;

/// Derive Standard Manager parameters beyond the rule-based ones of
/// [`super::standard::StandardParams`]. Defaults: Derive mainnet (`scripts/config-mainnet.sol`:
/// `OracleContingencyParams(0.55, 0.55, 0.55, 1.0)`, `DepegParams(0.99, 2.0)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DeriveStandardParams {
    /// A perp's notional is |size| × its mark (Derive's perp price feed) rather than × the index
    /// (default true, as Derive does).
    pub perp_notional_at_mark: bool,
    /// `perpThreshold`: perp contingency below this confidence (0 = off). Default 0.55.
    pub perp_confidence_threshold: f64,
    /// `optionThreshold`: per-expiry option contingency below this confidence (0 = off).
    pub option_confidence_threshold: f64,
    /// `baseThreshold`: base-collateral contingency below this confidence (0 = off).
    pub base_confidence_threshold: f64,
    /// `OCFactor`: contingency per unit of (1 − confidence) × notional. Default 1.
    pub confidence_factor: f64,
    /// Depeg threshold of the USDC price (`DepegParams.threshold`, 0.99; 0 = off).
    pub depeg_threshold: f64,
    /// Depeg factor (`DepegParams.depegFactor`, 2.0).
    pub depeg_factor: f64,
}

impl Default for DeriveStandardParams {
    fn default() -> Self {
        DeriveStandardParams {
            perp_notional_at_mark: true,
            perp_confidence_threshold: 0.55,
            option_confidence_threshold: 0.55,
            base_confidence_threshold: 0.55,
            confidence_factor: 1.0,
            depeg_threshold: 0.99,
            depeg_factor: 2.0,
        }
    }
}

impl DeriveStandardParams {
    /// Checks every field with Derive's setter bounds (`setOracleContingencyParams`: each ≤ 1;
    /// `setDepegParameters`: threshold ≤ 1, factor ≤ 3), naming it under `path`
    /// (`standard.derive`).
    pub fn validate(&self, path: &str) -> Result<()> {
        for (value, name, hi) in [
            (
                self.perp_confidence_threshold,
                "perpConfidenceThreshold",
                1.0,
            ),
            (
                self.option_confidence_threshold,
                "optionConfidenceThreshold",
                1.0,
            ),
            (
                self.base_confidence_threshold,
                "baseConfidenceThreshold",
                1.0,
            ),
            (self.confidence_factor, "confidenceFactor", 1.0),
            (self.depeg_threshold, "depegThreshold", 1.0),
            (self.depeg_factor, "depegFactor", 3.0),
        ] {
            if !finite_in(value, 0.0, hi) {
                check(
                    false,
                    &format!("{path}.{name}"),
                    &format!("must be in [0, {}]", crate::numfmt::Shortest(hi)),
                )?;
            }
        }
        Ok(())
    }

    /// c(q, threshold, N) of the module documentation.
    fn confidence(&self, score: f64, threshold: f64, notional: f64) -> f64 {
        if threshold > 0.0 && score < threshold {
            (1.0 - score) * self.confidence_factor * notional
        } else {
            0.0
        }
    }
}

/// The contingencies of one account (USD, initial margin only).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DeriveStandardContingencies {
    /// Σ oracle-confidence contingencies (perps, options, base collateral).
    pub confidence: f64,
    /// Σ depeg penalties.
    pub depeg: f64,
}

/// What one underlying holds, as Derive's `MarketHolding` counts it.
#[derive(Default)]
struct Holding {
    /// Coin size of the perpetuals and futures, gross.
    perps: f64,
    /// Σ |short option amounts| per expiry.
    shorts: VecMap<Millis, f64>,
}

/// The Derive Standard Manager contingencies of `positions` and `collateral` (see the module
/// documentation). Errors: an underlying or collateral asset the market lacks
/// (`E_MISSING_MARKET_DATA`).
pub fn derive_standard_contingencies(
    market: &Market,
    positions: &[Position],
    collateral: &VecMap<String, f64>,
    p: &DeriveStandardParams,
) -> Result<DeriveStandardContingencies> {
    let mut holdings: VecMap<&str, Holding> = VecMap::new();
    for position in positions {
        let instrument = &position.instrument;
        let amount = position.amount;
        let holding = holdings.slot(instrument.underlying.as_str(), Holding::default);
        match instrument.contract {
            ContractKind::Option { expiry, .. } => {
                if amount < 0.0 {
                    *holding.shorts.slot(expiry, || 0.0) -= amount;
                }
            }
            ContractKind::Perpetual | ContractKind::Future { .. } => {
                let index = market.underlying(&instrument.underlying)?.spot();
                holding.perps += match instrument.settlement {
                    Settlement::Linear => amount.abs(),
                    Settlement::Inverse => amount.abs() / index,
                };
            }
        }
    }
    let scores = market.feed_confidence();
    let stable = market.collateral("USDC").map_or(1.0, |c| c.price);
    let depeg_multiplier = max(p.depeg_threshold - stable, 0.0) * p.depeg_factor;
    let mut out = DeriveStandardContingencies::default();
    for (name, holding) in &holdings {
        let s = market.underlying(name)?.spot();
        let feeds = scores.map(|c| c.underlying(name)).unwrap_or_default();
        if holding.perps > 0.0 {
            out.confidence += p.confidence(
                min(feeds.perp, feeds.spot),
                p.perp_confidence_threshold,
                s * holding.perps,
            );
        }
        let mut shorts_total = 0.0;
        for (&expiry, &shorts) in &holding.shorts {
            let expiry_score = feeds
                .expiries
                .iter()
                .find(|e| e.expiry == expiry)
                .map_or(1.0, |e| min(e.forward, e.vol));
            out.confidence += p.confidence(
                min(feeds.spot, expiry_score),
                p.option_confidence_threshold,
                s * shorts,
            );
            shorts_total += shorts;
        }
        if depeg_multiplier > 0.0 {
            out.depeg += (holding.perps + shorts_total) * depeg_multiplier * s;
        }
    }
    for (asset, &amount) in collateral {
        if asset == "USDC" || amount <= 0.0 {
            continue;
        }
        let price = market.collateral(asset)?.price;
        let score = scores.map_or(1.0, |c| min(c.collateral(asset), c.underlying(asset).spot));
        out.confidence += p.confidence(score, p.base_confidence_threshold, amount * price);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_derive_mainnet_and_bounds_name_their_field() {
        let p = DeriveStandardParams::default();
        p.validate("standard.derive").unwrap();
        assert_eq!(
            (
                p.perp_confidence_threshold,
                p.confidence_factor,
                p.depeg_threshold,
                p.depeg_factor
            ),
            (0.55, 1.0, 0.99, 2.0)
        );
        for (bad, field) in [
            (
                DeriveStandardParams {
                    confidence_factor: 1.2,
                    ..p
                },
                "standard.derive.confidenceFactor",
            ),
            (
                DeriveStandardParams {
                    depeg_factor: 4.0,
                    ..p
                },
                "standard.derive.depegFactor",
            ),
            (
                DeriveStandardParams {
                    option_confidence_threshold: f64::NAN,
                    ..p
                },
                "standard.derive.optionConfidenceThreshold",
            ),
        ] {
            let err = bad.validate("standard.derive").unwrap_err();
            assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", field));
        }
    }

    #[test]
    fn decoded_by_hand_with_paths_and_defaults() {
        use crate::margin::params_decode::standard;
        let p = crate::json::decode_value(
            &serde_json::json!({"derive": {"depegFactor": 1.2, "perpNotionalAtMark": false}}),
            "params.standard",
            standard,
        )
        .unwrap();
        let derive = p.derive.unwrap();
        assert_eq!(
            (
                derive.depeg_factor,
                derive.perp_notional_at_mark,
                derive.depeg_threshold
            ),
            (1.2, false, 0.99),
            "absent fields take Derive's mainnet defaults"
        );
        assert_eq!(
            crate::json::decode_value(&serde_json::json!({"derive": null}), "s", standard)
                .unwrap()
                .derive,
            None
        );
        for (value, field) in [
            (
                serde_json::json!({"derive": {"ocFactor": 1}}),
                "params.standard.derive.ocFactor",
            ),
            (
                serde_json::json!({"derive": {"depegThreshold": "0.9"}}),
                "params.standard.derive.depegThreshold",
            ),
            (serde_json::json!({"derive": 3}), "params.standard.derive"),
        ] {
            let err = crate::json::decode_value(&value, "params.standard", standard).unwrap_err();
            assert_eq!(err.field(), field, "{value}");
        }
        let bad = crate::json::decode_value(
            &serde_json::json!({"derive": {"confidenceFactor": 2}}),
            "s",
            standard,
        )
        .unwrap();
        assert_eq!(
            bad.validate().unwrap_err().field(),
            "derive.confidenceFactor"
        );
    }

    #[test]
    fn confidence_contingency_needs_a_threshold_and_a_score_below_it() {
        let p = DeriveStandardParams::default();
        // v2-core TestStandardManager_Perp.t.sol testOracleContingencyOnPerps:
        // (1 − 0.7)·1500·10·0.1 = 450 with threshold 0.75.
        let q = DeriveStandardParams {
            confidence_factor: 0.1,
            ..p
        };
        assert!((q.confidence(0.7, 0.75, 15_000.0) - 450.0).abs() < 1e-9);
        assert_eq!(q.confidence(0.75, 0.75, 15_000.0), 0.0);
        assert_eq!(q.confidence(0.1, 0.0, 15_000.0), 0.0, "threshold 0 = off");
    }
}
