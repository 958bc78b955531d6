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
//! timestamps, listed once); [`FeedConfidenceUpdate`], a partial set of scores (the engine's
//! `feedConfidence` event), its validation (the same checks, the same field paths) and how it
//! merges ([`FeedConfidence::merge`]). Never: interprets a score (the margin model does).

use crate::error::{Error, Result};
use crate::portfolio::Millis;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, UnderlyingConfidence>")
    )]
    pub underlyings: VecMap<String, UnderlyingConfidence>,
    /// Per collateral asset: its price feed's score; an asset not listed scores 1.
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, number>")
    )]
    pub collateral: VecMap<String, f64>,
}

fn score(value: f64, field: impl FnOnce() -> String) -> Result<()> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            field(),
            format!(
                "a feed confidence is a score in [0, 1], got {}",
                crate::numfmt::Shortest(value)
            ),
        ))
    }
}

/// `path.rest`, or `rest` at the root (`path` empty: an engine event's own fields).
fn join(path: &str, rest: &str) -> String {
    if path.is_empty() {
        rest.to_string()
    } else {
        format!("{path}.{rest}")
    }
}

/// One expiry's scores as [`check_underlying`] reads them (`None`: not given).
type ExpiryScores = (Millis, [Option<f64>; 3]);

/// Checks one underlying's scores (those given: `None` is a score an update leaves as it is) and
/// its expiries (`expiry(i)`, the i-th listed: valid timestamps, each listed once), naming the
/// field by `at(name)`. Not generic: the full set and an update share one copy of this code.
fn check_underlying(
    at: &dyn Fn(&str) -> String,
    spot: Option<f64>,
    perp: Option<f64>,
    expiry: &dyn Fn(usize) -> Option<ExpiryScores>,
) -> Result<()> {
    for (value, f) in [(spot, "spot"), (perp, "perp")] {
        if let Some(value) = value {
            score(value, || at(f))?;
        }
    }
    let mut i = 0;
    while let Some((e, scores)) = expiry(i) {
        crate::units::timestamp(e, &at(&format!("expiries[{i}].expiry")))?;
        if (0..i).any(|j| expiry(j).is_some_and(|(other, _)| other == e)) {
            return Err(Error::invalid(
                at(&format!("expiries[{i}].expiry")),
                format!("expiry {e} is listed twice"),
            ));
        }
        for (value, f) in scores.into_iter().zip(["forward", "rate", "vol"]) {
            if let Some(value) = value {
                score(value, || at(&format!("expiries[{i}].{f}")))?;
            }
        }
        i += 1;
    }
    Ok(())
}

/// Checks collateral scores, naming `path.collateral.<asset>`.
fn check_collateral(path: &str, collateral: &VecMap<String, f64>) -> Result<()> {
    for (asset, &value) in collateral {
        score(value, || join(path, &format!("collateral.{asset}")))?;
    }
    Ok(())
}

impl FeedConfidence {
    /// Checks every score and expiry, naming the field under `path` (`feedConfidence`).
    pub fn validate(&self, path: &str) -> Result<()> {
        for (name, u) in &self.underlyings {
            let at = |f: &str| join(path, &format!("underlyings.{name}.{f}"));
            check_underlying(&at, Some(u.spot), Some(u.perp), &|i| {
                u.expiries
                    .get(i)
                    .map(|e| (e.expiry, [Some(e.forward), Some(e.rate), Some(e.vol)]))
            })?;
        }
        check_collateral(path, &self.collateral)
    }

    /// Sets the scores `update` lists, keeping every other one: per underlying its `spot` and
    /// `perp` if given, per listed expiry (matched by `expiry`; a new one is appended, its
    /// unlisted scores 1) its `forward`, `rate` and `vol` if given; per collateral asset its
    /// score. An underlying, expiry or asset not listed before starts from all-1 scores (the
    /// meaning of "not listed"). `update` is assumed valid ([`FeedConfidenceUpdate::validate`]).
    pub fn merge(&mut self, update: &FeedConfidenceUpdate) {
        for (name, u) in &update.underlyings {
            // `insert` and `get_mut`, not `entry`: the map's entry API would be new .wasm code.
            if !self.underlyings.contains_key(name) {
                self.underlyings
                    .insert(name.clone(), UnderlyingConfidence::default());
            }
            let Some(target) = self.underlyings.get_mut(name) else {
                continue;
            };
            if let Some(spot) = u.spot {
                target.spot = spot;
            }
            if let Some(perp) = u.perp {
                target.perp = perp;
            }
            for e in &u.expiries {
                let i = match target.expiries.iter().position(|t| t.expiry == e.expiry) {
                    Some(i) => i,
                    None => {
                        target.expiries.push(ExpiryConfidence {
                            expiry: e.expiry,
                            forward: 1.0,
                            rate: 1.0,
                            vol: 1.0,
                        });
                        target.expiries.len() - 1
                    }
                };
                if let Some(slot) = target.expiries.get_mut(i) {
                    for (value, score) in [
                        (e.forward, &mut slot.forward),
                        (e.rate, &mut slot.rate),
                        (e.vol, &mut slot.vol),
                    ] {
                        if let Some(value) = value {
                            *score = value;
                        }
                    }
                }
            }
        }
        for (asset, &value) in &update.collateral {
            self.collateral.insert(asset.clone(), value);
        }
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

/// New scores of one expiry's feeds (absent: the score is kept).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpiryConfidenceUpdate {
    /// Expiry (ms since the Unix epoch).
    pub expiry: Millis,
    /// The forward feed's new score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub forward: Option<f64>,
    /// The interest-rate feed's new score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: Option<f64>,
    /// The volatility feed's new score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub vol: Option<f64>,
}

/// New scores of one underlying's feeds (absent: the score is kept).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnderlyingConfidenceUpdate {
    /// The spot (index) feed's new score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub spot: Option<f64>,
    /// The perpetual's price feed's new score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub perp: Option<f64>,
    /// New per-expiry scores; an expiry not listed keeps its scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub expiries: Vec<ExpiryConfidenceUpdate>,
}

/// A partial set of feed confidence scores: the shape of [`FeedConfidence`] with every score
/// optional; the scores given replace those held, the others are kept ([`FeedConfidence::merge`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedConfidenceUpdate {
    /// New scores per underlying symbol.
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, UnderlyingConfidenceUpdate>")
    )]
    pub underlyings: VecMap<String, UnderlyingConfidenceUpdate>,
    /// New scores per collateral asset.
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(optional, type = "Record<string, number>")
    )]
    pub collateral: VecMap<String, f64>,
}

impl From<FeedConfidenceUpdate> for FeedConfidence {
    /// The full set an update describes on its own: every score not given is 1, the expiries as
    /// listed (a duplicate too, for [`FeedConfidence::validate`] to name). The market's
    /// `feedConfidence` decodes this way: one decoder for the market and the engine's event.
    fn from(update: FeedConfidenceUpdate) -> FeedConfidence {
        let mut full = FeedConfidence {
            underlyings: VecMap::new(),
            collateral: update.collateral,
        };
        for (name, u) in update.underlyings {
            let expiries = u
                .expiries
                .iter()
                .map(|e| ExpiryConfidence {
                    expiry: e.expiry,
                    forward: e.forward.unwrap_or(1.0),
                    rate: e.rate.unwrap_or(1.0),
                    vol: e.vol.unwrap_or(1.0),
                })
                .collect();
            full.underlyings.insert(
                name,
                UnderlyingConfidence {
                    spot: u.spot.unwrap_or(1.0),
                    perp: u.perp.unwrap_or(1.0),
                    expiries,
                },
            );
        }
        full
    }
}

impl FeedConfidenceUpdate {
    /// Checks every score given and every expiry as [`FeedConfidence::validate`] checks the full
    /// set, with the same field paths under `path` ("" at the root: `underlyings.ETH.spot`).
    pub fn validate(&self, path: &str) -> Result<()> {
        for (name, u) in &self.underlyings {
            let at = |f: &str| join(path, &format!("underlyings.{name}.{f}"));
            check_underlying(&at, u.spot, u.perp, &|i| {
                u.expiries
                    .get(i)
                    .map(|e| (e.expiry, [e.forward, e.rate, e.vol]))
            })?;
        }
        check_collateral(path, &self.collateral)
    }

    /// Whether no underlying and no collateral asset is listed.
    pub fn is_empty(&self) -> bool {
        self.underlyings.is_empty() && self.collateral.is_empty()
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
            // The same object as a partial update: the same field, the same code.
            let u = update(text);
            let err = u.validate("feedConfidence").unwrap_err();
            assert_eq!((err.code(), err.field()), ("E_INVALID_INPUT", field));
            // At the root (an engine event's own fields) the prefix goes, not a leading dot.
            let err = u.validate("").unwrap_err();
            assert_eq!(Some(err.field()), field.strip_prefix("feedConfidence."));
        }
    }

    fn update(text: &str) -> FeedConfidenceUpdate {
        crate::json::decode_str(text, "", crate::market::decode::feed_confidence_update).unwrap()
    }

    #[test]
    fn an_update_sets_the_scores_it_lists_and_keeps_the_others() {
        let mut c: FeedConfidence = crate::json::from_str(
            r#"{"underlyings": {"ETH": {"spot": 0.5, "expiries": [{"expiry": 1000, "rate": 0.4}]}},
                "collateral": {"WETH": 0.3}}"#,
        )
        .unwrap();
        let u = update(
            r#"{"underlyings": {"ETH": {"perp": 0.2, "expiries": [{"expiry": 1000, "vol": 0.1},
                                                                 {"expiry": 2000, "forward": 0.6}]},
                                "BTC": {"spot": 0.9}},
                "collateral": {"USDT": 0.8, "WETH": 0}}"#,
        );
        u.validate("").unwrap();
        assert!(!u.is_empty() && update("{}").is_empty());
        c.merge(&u);
        let expected: FeedConfidence = crate::json::from_str(
            r#"{"underlyings": {"ETH": {"spot": 0.5, "perp": 0.2,
                                        "expiries": [{"expiry": 1000, "rate": 0.4, "vol": 0.1},
                                                     {"expiry": 2000, "forward": 0.6}]},
                                "BTC": {"spot": 0.9}},
                "collateral": {"USDT": 0.8, "WETH": 0}}"#,
        )
        .unwrap();
        assert_eq!(c, expected);
        // A score given as 1 is set to 1 (how a feed recovers), not ignored.
        c.merge(&update(r#"{"underlyings": {"ETH": {"spot": 1}}}"#));
        assert_eq!(c.underlying("ETH").spot, 1.0);
        // An update's absent score is not a score: null is refused, as NaN from JS.
        let err = crate::json::decode_str(
            r#"{"underlyings": {"ETH": {"spot": null}}}"#,
            "event",
            crate::market::decode::feed_confidence_update,
        )
        .unwrap_err();
        assert_eq!(err.field(), "event.underlyings.ETH.spot");
    }
}
