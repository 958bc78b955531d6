//! The engine's own parameters: when an update is worth emitting (requirement thresholds) and the
//! health levels whose crossing is always reported; plus how they travel with the risk parameters
//! (`{ ...RiskParams overrides, engine: {...} }`).
//!
//! Owns validation and defaults of these values; never computes a margin.

use crate::error::{Error, Result};
use crate::json::Path;
use crate::margin::params::params_hash;
use crate::margin::{profiles, RiskParams};
use serde::Serialize;

/// When the engine emits a [`super::MarginUpdate`] for an account.
///
/// An account's update is emitted when its initial or maintenance requirement (exact base units
/// of the margin asset) moved since its last emitted update by more than
/// `max(absoluteThreshold · 10^decimals, relativeThreshold · |last|)`, or when its health level
/// (healthy / warning / liquidatable, from `warningHealth` and `liquidatableHealth`) changed in
/// either direction, or on its first computation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Relative move of a requirement that is worth an update (default 0.01 = 1 %).
    pub relative_threshold: f64,
    /// Absolute move, in whole units of the margin asset, below which no threshold update is sent
    /// (default 1, i.e. 1 USDC).
    pub absolute_threshold: f64,
    /// Health (equity / maintenance margin) below which an account is at the warning level
    /// (default 1.25).
    pub warning_health: f64,
    /// Health below which an account is liquidatable (default 1.0).
    pub liquidatable_health: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            relative_threshold: 0.01,
            absolute_threshold: 1.0,
            warning_health: 1.25,
            liquidatable_health: 1.0,
        }
    }
}

fn check(ok: bool, field: &str, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, what))
    }
}

fn finite_in(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

impl EngineConfig {
    /// Decodes overrides from `value` (absent fields keep their defaults; unknown fields are
    /// refused), naming a bad field under `path`.
    pub fn decode(value: &crate::json::tree::Value<'_>, path: &Path<'_>) -> Result<EngineConfig> {
        let mut config = EngineConfig::default();
        let mut o = crate::json::fields::Fields::new(value, path)?;
        o.f64("relativeThreshold", &mut config.relative_threshold)?;
        o.f64("absoluteThreshold", &mut config.absolute_threshold)?;
        o.f64("warningHealth", &mut config.warning_health)?;
        o.f64("liquidatableHealth", &mut config.liquidatable_health)?;
        o.finish()?;
        Ok(config)
    }

    /// Checks every field's domain, naming it (`relativeThreshold`, …).
    pub fn validate(&self) -> Result<()> {
        check(
            finite_in(self.relative_threshold, 0.0, 10.0),
            "relativeThreshold",
            "must be in [0, 10]",
        )?;
        check(
            finite_in(self.absolute_threshold, 0.0, 1e15),
            "absoluteThreshold",
            "must be ≥ 0 (whole units of the margin asset)",
        )?;
        check(
            finite_in(self.liquidatable_health, 1e-6, 100.0),
            "liquidatableHealth",
            "must be in (0, 100]",
        )?;
        check(
            finite_in(self.warning_health, self.liquidatable_health, 100.0),
            "warningHealth",
            "must be in [liquidatableHealth, 100]",
        )
    }
}

/// Everything that parameterises an engine: the resolved risk parameters (with their hash,
/// computed once) and the engine's own configuration.
///
/// Always valid: the fields are private and every way to build or change one ([`Self::new`],
/// [`Self::resolve`], [`Self::set_config`]) validates, so the engine, which skips re-validating
/// the risk parameters on every recomputation, can trust it, and the hash always belongs to the
/// risk parameters held. (The JSON input shape is [`Self::resolve`]'s, unchanged.)
#[derive(Debug, Clone, PartialEq)]
pub struct EngineParams {
    /// Risk parameters of every margin computation (validated).
    risk: RiskParams,
    /// Emission thresholds and health levels (validated).
    config: EngineConfig,
    /// Hex SHA-256 of `risk` (equal to `MarginReport::params_hash`).
    risk_hash: String,
}

impl EngineParams {
    /// The risk parameters of every margin computation.
    pub fn risk(&self) -> &RiskParams {
        &self.risk
    }

    /// The emission thresholds and health levels.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Hex SHA-256 of the risk parameters (equal to `MarginReport::params_hash`).
    pub fn risk_hash(&self) -> &str {
        &self.risk_hash
    }

    /// Replaces the engine configuration after validating it (field paths `params.engine.…`);
    /// on error nothing changes.
    pub fn set_config(&mut self, config: EngineConfig) -> Result<()> {
        config.validate().map_err(|e| e.within("params.engine"))?;
        self.config = config;
        Ok(())
    }

    /// Builds and validates from resolved parts.
    pub fn new(risk: RiskParams, config: EngineConfig) -> Result<EngineParams> {
        risk.validate().map_err(|e| e.within("params"))?;
        // The engine computes with `params_checked`: the mode models' parameters too, here.
        risk.standard
            .validate()
            .map_err(|e| e.within("params.standard"))?;
        risk.portfolio
            .validate()
            .map_err(|e| e.within("params.portfolio"))?;
        config.validate().map_err(|e| e.within("params.engine"))?;
        let risk_hash = params_hash(&risk)?;
        Ok(EngineParams {
            risk,
            config,
            risk_hash,
        })
    }

    /// Resolves a params input: the same object `margin()` takes (a `profile` and/or overrides),
    /// plus an optional `engine` member holding [`EngineConfig`] overrides. `None` → the `drr`
    /// profile and the default engine configuration.
    pub fn resolve(input: Option<serde_json::Value>) -> Result<EngineParams> {
        match input {
            None => EngineParams::resolve_tree(None),
            Some(value) => {
                let text =
                    serde_json::to_string(&value).map_err(|e| Error::invalid("params", e))?;
                EngineParams::resolve_tree(Some(crate::json::tree::parse(&text)?))
            }
        }
    }

    /// [`Self::resolve`] for a parsed JSON tree (the JS binding's route).
    pub fn resolve_tree(input: Option<crate::json::tree::Value<'_>>) -> Result<EngineParams> {
        use crate::json::tree::Value;
        let mut input = input;
        let mut engine = None;
        match input.as_mut() {
            Some(Value::Object(entries)) => {
                engine = entries
                    .iter()
                    .rposition(|(key, _)| key == "engine")
                    .map(|i| entries.remove(i).1);
                entries.retain(|(key, _)| key != "engine");
            }
            Some(Value::Null) => input = None,
            _ => {}
        }
        let config = match engine {
            None | Some(Value::Null) => EngineConfig::default(),
            Some(value) => EngineConfig::decode(&value, &Path::Root("params.engine"))?,
        };
        let risk = profiles::resolve_tree(input)?;
        EngineParams::new(risk, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_engine_overrides_are_split_off() {
        EngineConfig::default().validate().unwrap();
        let p = EngineParams::resolve(Some(serde_json::json!({
            "profile": "deribit-portfolio",
            "engine": {"relativeThreshold": 0.05}
        })))
        .unwrap();
        assert_eq!(p.config().relative_threshold, 0.05);
        assert_eq!(p.config().warning_health, 1.25);
        assert_eq!(p.risk().profile, "deribit-portfolio");
        assert_eq!(p.risk_hash(), params_hash(p.risk()).unwrap());
        let err = EngineParams::resolve(Some(serde_json::json!({
            "engine": {"warningHealth": 0.5}
        })))
        .unwrap_err();
        assert_eq!(err.field(), "params.engine.warningHealth");
        let err =
            EngineParams::resolve(Some(serde_json::json!({"engine": {"bogus": 1}}))).unwrap_err();
        assert_eq!(err.field(), "params.engine.bogus");
    }

    #[test]
    fn every_way_to_build_or_change_engine_params_validates() {
        // Hand-built parts go through `new`: invalid risk parameters or configuration are refused.
        let mut risk = RiskParams::default();
        risk.drr.k_maintenance = -1.0;
        let err = EngineParams::new(risk, EngineConfig::default()).unwrap_err();
        assert_eq!(err.field(), "params.drr.kMaintenance");
        let bad = EngineConfig {
            relative_threshold: f64::NAN,
            ..EngineConfig::default()
        };
        let err = EngineParams::new(RiskParams::default(), bad.clone()).unwrap_err();
        assert_eq!(err.field(), "params.engine.relativeThreshold");
        // Changing the configuration validates too, and a refusal changes nothing.
        let mut p = EngineParams::new(RiskParams::default(), EngineConfig::default()).unwrap();
        let before = p.clone();
        assert_eq!(
            p.set_config(bad).unwrap_err().field(),
            "params.engine.relativeThreshold"
        );
        assert_eq!(p, before);
        let good = EngineConfig {
            warning_health: 1.5,
            ..EngineConfig::default()
        };
        p.set_config(good.clone()).unwrap();
        assert_eq!(p.config(), &good);
        // The hash is always the one of the risk parameters held.
        assert_eq!(p.risk_hash(), params_hash(p.risk()).unwrap());
    }
}

crate::margin::params_decode::deserialize_with! { EngineConfig => EngineConfig::decode }
