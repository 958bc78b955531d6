//! Risk parameters: every constant of every margin model, with documented defaults, overridable
//! from JSON (`deny_unknown_fields`, every field optional), validated, and hashed (SHA-256 of the
//! canonical JSON) so a client and the keeper can tell they computed under the same parameters.
//!
//! Venue profiles (`profiles()`) are named parameter sets; this module holds the model-independent
//! parts (DRR add-on, oracle buffer, liquidity charge, collateral haircuts, risk flags).

use crate::error::{Error, Result};
use crate::vec_map::VecMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The DRR sensitivity add-on (see [`super::drr`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DrrParams {
    /// Whether the add-on enters the requirement (venue profiles reproduce a venue without it;
    /// it is still computed and reported, and stale oracles are still refused).
    pub enabled: bool,
    /// σ-multiple of the worst move for the maintenance requirement (2 = a 2σ move).
    pub k_maintenance: f64,
    /// σ-multiple for the initial requirement.
    pub k_initial: f64,
    /// Liquidation horizon: time to close the account after the trigger (ms).
    pub horizon_ms: f64,
    /// Oracle latency: how far behind the market the oracle may be (ms).
    pub oracle_latency_ms: f64,
    /// Relative implied-vol shock over the horizon (0.2 = σ moves by 20 % of itself).
    pub vol_shock: f64,
    /// Volatility used for an underlying without a surface (decimal; conservative default 100 %).
    pub default_vol: f64,
    /// `floor`: requirement = max(model, DRR). `addOn`: requirement = model + DRR.
    pub mode: DrrMode,
}

/// How the DRR add-on combines with a model's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum DrrMode {
    /// max(model, DRR).
    Floor,
    /// model + DRR.
    AddOn,
}

impl Default for DrrParams {
    fn default() -> Self {
        DrrParams {
            enabled: true,
            k_maintenance: 2.0,
            k_initial: 3.0,
            horizon_ms: 60_000.0,
            oracle_latency_ms: 2_000.0,
            vol_shock: 0.2,
            default_vol: 1.0,
            mode: DrrMode::Floor,
        }
    }
}

/// The oracle buffer: staleness and confidence widen the DRR shock; past a hard limit the engine
/// refuses (or, in conservative mode, multiplies the requirements). Never lowers a requirement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OracleParams {
    /// Quotes older than this (ms) are stale.
    pub max_staleness_ms: f64,
    /// `refuse`: a stale quote is `E_STALE_ORACLE`. `conservative`: requirements × `staleMultiplier`.
    pub stale_mode: StaleMode,
    /// Requirement multiplier (≥ 1) in conservative mode.
    pub stale_multiplier: f64,
    /// Multiple of the quote's confidence half-width added to the DRR price shock.
    pub confidence_multiple: f64,
}

/// What to do with a quote past `maxStalenessMs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum StaleMode {
    /// Fail with `E_STALE_ORACLE`.
    Refuse,
    /// Compute, multiplying every requirement by `staleMultiplier`.
    Conservative,
}

impl Default for OracleParams {
    fn default() -> Self {
        OracleParams {
            max_staleness_ms: 60_000.0,
            stale_mode: StaleMode::Refuse,
            stale_multiplier: 1.5,
            confidence_multiple: 3.0,
        }
    }
}

/// The liquidity-weighted charge: closing a position large relative to the book's depth costs
/// slippage ≈ `impact`·√(notional / depth) of its notional (square-root impact), capped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LiquidityParams {
    /// Impact coefficient (dimensionless).
    pub impact: f64,
    /// Depth counted: book levels within this relative distance of the index (0.02 = ±2 %).
    pub band: f64,
    /// Maximum slippage fraction charged.
    pub max_slippage: f64,
    /// Multiplier applied to the maintenance charge to get the initial charge.
    pub initial_multiplier: f64,
}

impl Default for LiquidityParams {
    fn default() -> Self {
        LiquidityParams {
            impact: 0.1,
            band: 0.02,
            max_slippage: 0.5,
            initial_multiplier: 1.5,
        }
    }
}

/// Haircut rules of one collateral asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CollateralParams {
    /// Static haircut (0.02 = 2 %).
    pub haircut: f64,
    /// Annualised volatility for the volatility-scaled haircut (0 = none).
    pub vol: f64,
    /// σ-multiple of the volatility-scaled haircut over the liquidation horizon.
    pub vol_k: f64,
    /// Size discount: weight ×(1 + f)/(1 + f·√(USD value / 1e6)) for large balances (Drift-style IMF).
    pub size_factor: f64,
    /// Extra haircut while a `depeg` flag names this asset (stablecoins).
    pub depeg_haircut: f64,
    /// Tokenized T-bill/RWA: modified duration in years (0 = not rate sensitive).
    pub duration: f64,
    /// Tokenized T-bill/RWA: parallel rate shock (0.02 = 200 bp), haircut += duration × shock.
    pub rate_shock: f64,
    /// Tokenized T-bill/RWA: credit-spread haircut.
    pub credit_haircut: f64,
}

impl Default for CollateralParams {
    fn default() -> Self {
        CollateralParams {
            haircut: 0.0,
            vol: 0.0,
            vol_k: 3.0,
            size_factor: 0.0,
            depeg_haircut: 0.0,
            duration: 0.0,
            rate_shock: 0.0,
            credit_haircut: 0.0,
        }
    }
}

/// How a protocol risk flag raises the requirements of the accounts it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FlagParams {
    /// Requirement multiplier (≥ 1).
    pub multiplier: f64,
    /// Fixed add-on in USD (≥ 0).
    pub add_on: f64,
}

impl Default for FlagParams {
    fn default() -> Self {
        FlagParams {
            multiplier: 1.0,
            add_on: 0.0,
        }
    }
}

/// Every risk parameter of `margin()`: the named profile it started from, the models' rules and
/// the model-independent parts (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RiskParams {
    /// The profile these parameters started from (see `profiles()`); informational, hashed.
    pub profile: String,
    /// The asset requirements and equity are expressed and rounded in.
    pub margin_asset: String,
    pub drr: DrrParams,
    pub oracle: OracleParams,
    pub liquidity: LiquidityParams,
    /// Haircut rules per collateral asset; assets not listed use `defaultCollateral`.
    #[cfg_attr(
        target_arch = "wasm32",
        tsify(type = "Record<string, CollateralParams>")
    )]
    pub collateral: VecMap<String, CollateralParams>,
    pub default_collateral: CollateralParams,
    /// Multipliers/add-ons per risk-flag kind. A flag kind not listed here is an input error.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, FlagParams>"))]
    pub flags: VecMap<String, FlagParams>,
    /// Standard (rule-based) model: cross and isolated modes.
    pub standard: super::standard::StandardParams,
    /// Portfolio (risk-matrix) model: portfolio mode.
    pub portfolio: super::portfolio::PortfolioParams,
    /// Variance-covariance and Monte Carlo VaR/ES, reported beside the requirement when enabled.
    pub statistical: super::statistical::StatisticalParams,
}

impl Default for RiskParams {
    fn default() -> Self {
        let stable = CollateralParams {
            haircut: 0.0,
            depeg_haircut: 0.1,
            ..CollateralParams::default()
        };
        let coin = |vol| CollateralParams {
            haircut: 0.02,
            vol,
            size_factor: 0.0005,
            ..CollateralParams::default()
        };
        let tbill = CollateralParams {
            haircut: 0.005,
            duration: 0.25,
            rate_shock: 0.02,
            credit_haircut: 0.01,
            ..CollateralParams::default()
        };
        RiskParams {
            profile: "drr".into(),
            margin_asset: "USDC".into(),
            drr: DrrParams::default(),
            oracle: OracleParams::default(),
            liquidity: LiquidityParams::default(),
            collateral: VecMap::from([
                ("USDC".to_string(), stable.clone()),
                (
                    "USDT".to_string(),
                    CollateralParams {
                        haircut: 0.01,
                        ..stable
                    },
                ),
                ("BTC".to_string(), coin(0.6)),
                ("ETH".to_string(), coin(0.8)),
                ("USTB".to_string(), tbill),
            ]),
            default_collateral: CollateralParams {
                haircut: 0.5,
                ..CollateralParams::default()
            },
            flags: VecMap::from([
                (
                    "governanceVote".to_string(),
                    FlagParams {
                        multiplier: 1.25,
                        add_on: 0.0,
                    },
                ),
                (
                    "contractUpgrade".to_string(),
                    FlagParams {
                        multiplier: 1.5,
                        add_on: 0.0,
                    },
                ),
                (
                    "depeg".to_string(),
                    FlagParams {
                        multiplier: 1.1,
                        add_on: 0.0,
                    },
                ),
            ]),
            standard: super::standard::StandardParams::default(),
            portfolio: {
                // Our risk matrix weights the extended tail moves like SPAN's extreme moves (35 %);
                // the deribit-portfolio profile restores Deribit's full weight and dampeners.
                let mut portfolio = super::portfolio::PortfolioParams::default();
                portfolio.default_underlying.extended_fraction = 0.35;
                for rules in portfolio.underlyings.values_mut() {
                    rules.extended_fraction = 0.35;
                }
                portfolio
            },
            statistical: super::statistical::StatisticalParams::default(),
        }
    }
}

/// `Ok` if `ok`, else `E_INVALID_INPUT` naming `field` with `what` as the reason.
pub(crate) fn check(ok: bool, field: &str, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, what))
    }
}

/// [`check`] with the field path formatted only on failure (validations that run on every
/// computation).
pub(crate) fn check_lazy(ok: bool, field: impl FnOnce() -> String, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field(), what))
    }
}

/// `x` is finite and within [lo, hi].
pub(crate) fn finite_in(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

impl RiskParams {
    /// Checks every field's domain, naming it.
    pub fn validate(&self) -> Result<()> {
        let d = &self.drr;
        check(
            finite_in(d.k_maintenance, 0.0, 20.0),
            "drr.kMaintenance",
            "must be in [0, 20]",
        )?;
        check(
            finite_in(d.k_initial, d.k_maintenance, 20.0),
            "drr.kInitial",
            "must be in [kMaintenance, 20]",
        )?;
        check(
            finite_in(d.horizon_ms, 0.0, 3.2e10),
            "drr.horizonMs",
            "must be ≥ 0 ms (≤ 1 year)",
        )?;
        check(
            finite_in(d.oracle_latency_ms, 0.0, 3.2e10),
            "drr.oracleLatencyMs",
            "must be ≥ 0 ms",
        )?;
        check(
            finite_in(d.vol_shock, 0.0, 10.0),
            "drr.volShock",
            "must be in [0, 10]",
        )?;
        check(
            finite_in(d.default_vol, 1e-6, 10.0),
            "drr.defaultVol",
            "must be a decimal vol in (0, 10]",
        )?;
        let o = &self.oracle;
        check(
            finite_in(o.max_staleness_ms, 0.0, 3.2e10),
            "oracle.maxStalenessMs",
            "must be ≥ 0 ms",
        )?;
        check(
            finite_in(o.stale_multiplier, 1.0, 100.0),
            "oracle.staleMultiplier",
            "must be in [1, 100]",
        )?;
        check(
            finite_in(o.confidence_multiple, 0.0, 100.0),
            "oracle.confidenceMultiple",
            "must be in [0, 100]",
        )?;
        let l = &self.liquidity;
        check(
            finite_in(l.impact, 0.0, 100.0),
            "liquidity.impact",
            "must be in [0, 100]",
        )?;
        check(
            finite_in(l.band, 0.0, 1.0),
            "liquidity.band",
            "must be in [0, 1]",
        )?;
        check(
            finite_in(l.max_slippage, 0.0, 1.0),
            "liquidity.maxSlippage",
            "must be in [0, 1]",
        )?;
        check(
            finite_in(l.initial_multiplier, 1.0, 100.0),
            "liquidity.initialMultiplier",
            "must be in [1, 100]",
        )?;
        for (name, c) in self
            .collateral
            .iter()
            .chain([(&"*".to_string(), &self.default_collateral)])
        {
            let at = |f: &str| {
                if name == "*" {
                    format!("defaultCollateral.{f}")
                } else {
                    format!("collateral.{name}.{f}")
                }
            };
            for (value, f) in [
                (c.haircut, "haircut"),
                (c.depeg_haircut, "depegHaircut"),
                (c.credit_haircut, "creditHaircut"),
            ] {
                check(finite_in(value, 0.0, 1.0), &at(f), "must be in [0, 1]")?;
            }
            check(
                finite_in(c.vol, 0.0, 10.0),
                &at("vol"),
                "must be in [0, 10]",
            )?;
            check(
                finite_in(c.vol_k, 0.0, 20.0),
                &at("volK"),
                "must be in [0, 20]",
            )?;
            check(
                finite_in(c.size_factor, 0.0, 1.0),
                &at("sizeFactor"),
                "must be in [0, 1]",
            )?;
            check(
                finite_in(c.duration, 0.0, 100.0),
                &at("duration"),
                "must be in [0, 100] years",
            )?;
            check(
                finite_in(c.rate_shock, 0.0, 1.0),
                &at("rateShock"),
                "must be in [0, 1]",
            )?;
        }
        for (kind, f) in &self.flags {
            check(
                finite_in(f.multiplier, 1.0, 100.0),
                &format!("flags.{kind}.multiplier"),
                "must be in [1, 100]",
            )?;
            check(
                finite_in(f.add_on, 0.0, 1e15),
                &format!("flags.{kind}.addOn"),
                "must be ≥ 0",
            )?;
        }
        check(
            !self.margin_asset.is_empty(),
            "marginAsset",
            "must name an asset",
        )
    }
}

/// Hex SHA-256 of the canonical JSON of `params`: compact, every object's keys sorted.
pub fn params_hash<T: Serialize>(params: &T) -> Result<String> {
    // Sorted keys, from the compact text (the same bytes as `serde_json::to_vec` of
    // `serde_json::to_value`, without compiling every typed Serialize impl a second time, for
    // `Value`, nor serde_json's reader; see README "Build profile and size" and
    // `json::canonical_bytes`).
    let json = crate::json::canonical_bytes(params).map_err(|e| e.within("params"))?;
    // margin() hashes the same parameters call after call: keep the last digest, keyed by the
    // exact canonical bytes (so it is the digest those bytes have).
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Vec<u8>, String)>> =
            const { std::cell::RefCell::new(None) };
    }
    if let Some(hash) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(bytes, _)| *bytes == json)
            .map(|(_, hash)| hash.clone())
    }) {
        return Ok(hash);
    }
    let digest = Sha256::digest(&json);
    let mut hash = String::with_capacity(2 * digest.len());
    for b in digest.iter() {
        for nibble in [b >> 4, b & 0x0f] {
            hash.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    LAST.set(Some((json, hash.clone())));
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_overrides_are_partial() {
        RiskParams::default().validate().unwrap();
        let p: RiskParams = crate::json::from_str(r#"{"drr": {"kMaintenance": 2.5}}"#).unwrap();
        assert_eq!(p.drr.k_maintenance, 2.5);
        assert_eq!(
            p.drr.k_initial, 3.0,
            "unspecified fields keep their defaults"
        );
        let bad: RiskParams = crate::json::from_str(r#"{"drr": {"kInitial": 1.0}}"#).unwrap();
        assert_eq!(bad.validate().unwrap_err().field(), "drr.kInitial");
        let err = crate::json::from_str::<RiskParams>(r#"{"drr": {"kMaint": 1}}"#).unwrap_err();
        assert_eq!(err.field(), "drr.kMaint");
    }

    #[test]
    fn hash_is_sha256_of_canonical_json_and_changes_with_any_parameter() {
        // `printf "{}" | sha256sum` (coreutils), independent of our code.
        assert_eq!(
            params_hash(&std::collections::BTreeMap::<String, f64>::new()).unwrap(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let a = params_hash(&RiskParams::default()).unwrap();
        let mut changed = RiskParams::default();
        changed.drr.horizon_ms += 1.0;
        assert_ne!(a, params_hash(&changed).unwrap());
        assert_eq!(a, params_hash(&RiskParams::default()).unwrap());
    }
}
