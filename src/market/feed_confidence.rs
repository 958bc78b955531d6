//! Oracle feed confidence scores in [0, 1], as Derive's feeds publish them beside every price
//! (1 = fully trusted; derivexyz/v2-core `ISpotFeed.getSpot`, `IForwardFeed`,
//! `IInterestRateFeed`, `IVolFeed` return `(value, confidence)`). Derive's portfolio margin
//! (PMRM_2) and its Standard Manager charge initial-margin contingencies when one falls below a
//! threshold (`crate::margin::derive_portfolio`, `crate::margin::derive_standard`).
//!
//! Not the index quote's `conf`, which is a Pyth-style price interval in price units: a score
//! cannot be derived from it, so the scores are their own optional input (market field
//! `feedConfidence`; absent = every feed fully confident).
//!
//! Owns: [`FeedConfidence`] and its validation (each score finite in [0, 1], expiries valid
//! timestamps, listed once). Never: interprets a score (the margin model does).

use crate::error::{Error, Result};
use crate::portfolio::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// Confidence scores of one expiry's feeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpiryConfidence {
    /// Expiry (ms since the Unix epoch).
    pub expiry: Millis,
    /// The forward feed's score (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub forward: f64,
    /// The interest-rate feed's score (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: f64,
    /// The volatility feed's score for the expiry (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub vol: f64,
}

impl ExpiryConfidence {
    /// The lowest of the expiry's three scores.
    pub fn min(&self) -> f64 {
        crate::math::min(crate::math::min(self.forward, self.rate), self.vol)
    }
}

/// Confidence scores of one underlying's feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnderlyingConfidence {
    /// The spot (index) feed's score (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub spot: f64,
    /// The perpetual's price feed's score (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub perp: f64,
    /// Per-expiry scores; an expiry not listed scores 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub expiries: Vec<ExpiryConfidence>,
}

impl Default for UnderlyingConfidence {
    fn default() -> Self {
        UnderlyingConfidence {
            spot: 1.0,
            perp: 1.0,
            expiries: Vec::new(),
        }
    }
}

impl UnderlyingConfidence {
    /// The lowest score of `expiry`'s feeds (1 if not listed).
    pub fn expiry(&self, expiry: Millis) -> f64 {
        self.expiries
            .iter()
            .find(|e| e.expiry == expiry)
            .map_or(1.0, ExpiryConfidence::min)
    }
}

/// Oracle feed confidence scores (market field `feedConfidence`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedConfidence {
    /// Per underlying symbol; an underlying not listed scores 1 everywhere.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub underlyings: BTreeMap<String, UnderlyingConfidence>,
    /// Per collateral asset: its price feed's score; an asset not listed scores 1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub collateral: BTreeMap<String, f64>,
}

fn score(value: f64, field: impl FnOnce() -> String) -> Result<()> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field(),
            format!("a feed confidence is a score in [0, 1], got {value}"),
        ))
    }
}

impl FeedConfidence {
    /// Checks every score and expiry, naming the field under `path` (`feedConfidence`).
    pub fn validate(&self, path: &str) -> Result<()> {
        for (name, u) in &self.underlyings {
            let at = |f: &str| format!("{path}.underlyings.{name}.{f}");
            score(u.spot, || at("spot"))?;
            score(u.perp, || at("perp"))?;
            for (i, e) in u.expiries.iter().enumerate() {
                crate::units::timestamp(e.expiry, &at(&format!("expiries[{i}].expiry")))?;
                if u.expiries
                    .iter()
                    .take(i)
                    .any(|other| other.expiry == e.expiry)
                {
                    return Err(Error::invalid(
                        at(&format!("expiries[{i}].expiry")),
                        format!("expiry {} is listed twice", e.expiry),
                    ));
                }
                for (value, f) in [(e.forward, "forward"), (e.rate, "rate"), (e.vol, "vol")] {
                    score(value, || at(&format!("expiries[{i}].{f}")))?;
                }
            }
        }
        for (asset, &value) in &self.collateral {
            score(value, || format!("{path}.collateral.{asset}"))?;
        }
        Ok(())
    }

    /// The scores of `underlying` (all 1 if not listed).
    pub fn underlying(&self, underlying: &str) -> UnderlyingConfidence {
        self.underlyings
            .get(underlying)
            .cloned()
            .unwrap_or_default()
    }

    /// The score of `asset`'s price feed (1 if not listed).
    pub fn collateral(&self, asset: &str) -> f64 {
        self.collateral.get(asset).copied().unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_default_to_one_and_bad_ones_name_their_field() {
        let c: FeedConfidence = crate::json::from_str(
            r#"{"underlyings": {"ETH": {"spot": 0.5, "expiries": [{"expiry": 1000, "rate": 0.4, "vol": 0.9}]}},
                "collateral": {"WETH": 0.3}}"#,
        )
        .unwrap();
        c.validate("feedConfidence").unwrap();
        let eth = c.underlying("ETH");
        assert_eq!(
            (eth.spot, eth.perp, eth.expiry(1000), eth.expiry(2000)),
            (0.5, 1.0, 0.4, 1.0)
        );
        assert_eq!(c.underlying("BTC"), UnderlyingConfidence::default());
        assert_eq!((c.collateral("WETH"), c.collateral("USDT")), (0.3, 1.0));
        for (text, field) in [
            (
                r#"{"underlyings": {"ETH": {"spot": 1.5}}}"#,
                "feedConfidence.underlyings.ETH.spot",
            ),
            (
                r#"{"underlyings": {"ETH": {"perp": -0.1}}}"#,
                "feedConfidence.underlyings.ETH.perp",
            ),
            (
                r#"{"underlyings": {"ETH": {"expiries": [{"expiry": 5, "vol": 2}]}}}"#,
                "feedConfidence.underlyings.ETH.expiries[0].vol",
            ),
            (
                r#"{"underlyings": {"ETH": {"expiries": [{"expiry": 5}, {"expiry": 5}]}}}"#,
                "feedConfidence.underlyings.ETH.expiries[1].expiry",
            ),
            (
                r#"{"underlyings": {"ETH": {"expiries": [{"expiry": -5}]}}}"#,
                "feedConfidence.underlyings.ETH.expiries[0].expiry",
            ),
            (
                r#"{"collateral": {"WETH": 7}}"#,
                "feedConfidence.collateral.WETH",
            ),
        ] {
            let c: FeedConfidence = crate::json::from_str(text).unwrap();
            let err = c.validate("feedConfidence").unwrap_err();
            assert_eq!(err.field(), field, "{text}");
            assert_eq!(err.code(), "E_INVALID_INPUT");
        }
    }
}
