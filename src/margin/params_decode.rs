//! Decoding of the risk parameters ([`RiskParams`] and its whole tree) from a parsed JSON tree,
//! by hand through `crate::json::fields`: one plain call per field instead of a derived serde
//! visitor per struct inlined into its parent (≈ 90 KB of `.wasm` code; README "Build profile and
//! size").
//!
//! Same contract as the derives it replaces: camelCase names (the `Serialize` attributes),
//! unknown fields refused by path, an absent field takes the value of its struct's `Default`
//! (a struct given takes its absent fields from its own `Default`, not the parent's), a map given
//! replaces the default map. Owns decoding only; domains are checked by each type's `validate`.
//! The hand-written `Deserialize` impls (`Value` then the decoder) serve generic callers such as
//! the engine snapshot and `json::from_str`.

use super::derive_portfolio::{
    DeriveCollateral, DerivePortfolioParams, DeriveScenario, DeriveVolShock,
};
use super::derive_standard::DeriveStandardParams;
use super::inter_spread::{InterSpread, InterSpreadLeg};
use super::params::{
    CollateralParams, DrrMode, DrrParams, FlagParams, LiquidityParams, OracleParams, RiskParams,
    StaleMode,
};
use super::portfolio::{
    Aggregation, IntraSpread, PortfolioParams, RiskMatrixParams, SettlementParams, SpreadTier,
    WeightedScenario,
};
use super::standard::{
    FuturesRule, LeverageTier, OptionRule, ShortOptionFormula, SizeAggregation, StandardParams,
};
use super::statistical::StatisticalParams;
use crate::error::Result;
use crate::json::fields::{list_of, number, variant, wrong_type, Fields};
use crate::json::tree::Value;
use crate::json::Path;
use crate::vec_map::VecMap;

fn f64_value(value: &Value, path: &Path<'_>) -> Result<f64> {
    number(value, path)
}

/// [`RiskParams`] from `value` (`path` prefixes error fields; "" at the root).
pub fn risk_params(value: &Value, path: &Path<'_>) -> Result<RiskParams> {
    let mut p = RiskParams::default();
    let mut o = Fields::new(value, path)?;
    o.string("profile", &mut p.profile)?;
    o.string("marginAsset", &mut p.margin_asset)?;
    if let Some((v, at)) = o.child("drr") {
        p.drr = drr(v, &at)?;
    }
    if let Some((v, at)) = o.child("oracle") {
        p.oracle = oracle(v, &at)?;
    }
    if let Some((v, at)) = o.child("liquidity") {
        p.liquidity = liquidity(v, &at)?;
    }
    o.by_name("collateral", &mut p.collateral, collateral)?;
    if let Some((v, at)) = o.child("defaultCollateral") {
        p.default_collateral = collateral(v, &at)?;
    }
    o.by_name("flags", &mut p.flags, flag)?;
    if let Some((v, at)) = o.child("standard") {
        p.standard = standard(v, &at)?;
    }
    if let Some((v, at)) = o.child("portfolio") {
        p.portfolio = portfolio(v, &at)?;
    }
    if let Some((v, at)) = o.child("statistical") {
        p.statistical = statistical(v, &at)?;
    }
    o.finish()?;
    Ok(p)
}

fn drr(value: &Value, path: &Path<'_>) -> Result<DrrParams> {
    let mut p = DrrParams::default();
    let mut o = Fields::new(value, path)?;
    o.bool("enabled", &mut p.enabled)?;
    o.f64("kMaintenance", &mut p.k_maintenance)?;
    o.f64("kInitial", &mut p.k_initial)?;
    o.f64("horizonMs", &mut p.horizon_ms)?;
    o.f64("oracleLatencyMs", &mut p.oracle_latency_ms)?;
    o.f64("volShock", &mut p.vol_shock)?;
    o.f64("defaultVol", &mut p.default_vol)?;
    match o.variant("mode", &["floor", "addOn"])? {
        Some(0) => p.mode = DrrMode::Floor,
        Some(_) => p.mode = DrrMode::AddOn,
        None => {}
    }
    o.finish()?;
    Ok(p)
}

fn oracle(value: &Value, path: &Path<'_>) -> Result<OracleParams> {
    let mut p = OracleParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("maxStalenessMs", &mut p.max_staleness_ms)?;
    match o.variant("staleMode", &["refuse", "conservative"])? {
        Some(0) => p.stale_mode = StaleMode::Refuse,
        Some(_) => p.stale_mode = StaleMode::Conservative,
        None => {}
    }
    o.f64("staleMultiplier", &mut p.stale_multiplier)?;
    o.f64("confidenceMultiple", &mut p.confidence_multiple)?;
    o.finish()?;
    Ok(p)
}

fn liquidity(value: &Value, path: &Path<'_>) -> Result<LiquidityParams> {
    let mut p = LiquidityParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("impact", &mut p.impact)?;
    o.f64("band", &mut p.band)?;
    o.f64("maxSlippage", &mut p.max_slippage)?;
    o.f64("initialMultiplier", &mut p.initial_multiplier)?;
    o.finish()?;
    Ok(p)
}

fn collateral(value: &Value, path: &Path<'_>) -> Result<CollateralParams> {
    let mut p = CollateralParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("haircut", &mut p.haircut)?;
    o.f64("vol", &mut p.vol)?;
    o.f64("volK", &mut p.vol_k)?;
    o.f64("sizeFactor", &mut p.size_factor)?;
    o.f64("depegHaircut", &mut p.depeg_haircut)?;
    o.f64("duration", &mut p.duration)?;
    o.f64("rateShock", &mut p.rate_shock)?;
    o.f64("creditHaircut", &mut p.credit_haircut)?;
    o.finish()?;
    Ok(p)
}

fn flag(value: &Value, path: &Path<'_>) -> Result<FlagParams> {
    let mut p = FlagParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("multiplier", &mut p.multiplier)?;
    o.f64("addOn", &mut p.add_on)?;
    o.finish()?;
    Ok(p)
}

/// [`StandardParams`] from `value`.
pub fn standard(value: &Value, path: &Path<'_>) -> Result<StandardParams> {
    let mut p = StandardParams::default();
    let mut o = Fields::new(value, path)?;
    o.by_name("futures", &mut p.futures, futures_rule)?;
    if let Some((v, at)) = o.child("defaultFutures") {
        p.default_futures = futures_rule(v, &at)?;
    }
    match o.variant("sizeAggregation", &["underlying", "position"])? {
        Some(0) => p.size_aggregation = SizeAggregation::Underlying,
        Some(_) => p.size_aggregation = SizeAggregation::Position,
        None => {}
    }
    if let Some((v, at)) = o.child("options") {
        p.options = option_rule(v, &at)?;
    }
    o.bool("spreadRelief", &mut p.spread_relief)?;
    o.bool("notionalAtMark", &mut p.notional_at_mark)?;
    o.f64(
        "unpairedCallInitialScale",
        &mut p.unpaired_call_initial_scale,
    )?;
    o.f64(
        "unpairedCallMaintenanceScale",
        &mut p.unpaired_call_maintenance_scale,
    )?;
    o.bool(
        "optionValueInRequirement",
        &mut p.option_value_in_requirement,
    )?;
    if let Some((v, at)) = o.child("derive") {
        p.derive = match v {
            Value::Null => None,
            v => Some(derive_standard(v, &at)?),
        };
    }
    o.finish()?;
    Ok(p)
}

fn derive_standard(value: &Value, path: &Path<'_>) -> Result<DeriveStandardParams> {
    let mut p = DeriveStandardParams::default();
    let mut o = Fields::new(value, path)?;
    o.bool("perpNotionalAtMark", &mut p.perp_notional_at_mark)?;
    o.f64("perpConfidenceThreshold", &mut p.perp_confidence_threshold)?;
    o.f64(
        "optionConfidenceThreshold",
        &mut p.option_confidence_threshold,
    )?;
    o.f64("baseConfidenceThreshold", &mut p.base_confidence_threshold)?;
    o.f64("confidenceFactor", &mut p.confidence_factor)?;
    o.f64("depegThreshold", &mut p.depeg_threshold)?;
    o.f64("depegFactor", &mut p.depeg_factor)?;
    o.finish()?;
    Ok(p)
}

fn futures_rule(value: &Value, path: &Path<'_>) -> Result<FuturesRule> {
    let mut p = FuturesRule::default();
    let mut o = Fields::new(value, path)?;
    o.f64("imBase", &mut p.im_base)?;
    o.f64("imIncrement", &mut p.im_increment)?;
    o.f64("mmBase", &mut p.mm_base)?;
    o.f64("mmIncrement", &mut p.mm_increment)?;
    o.f64("imfFactor", &mut p.imf_factor)?;
    o.f64("imfBaseWeight", &mut p.imf_base_weight)?;
    o.list("tiers", &mut p.tiers, leverage_tier)?;
    o.f64("tierMaintenanceFraction", &mut p.tier_maintenance_fraction)?;
    o.f64("openInterest", &mut p.open_interest)?;
    o.f64("openInterestLowerCap", &mut p.open_interest_lower_cap)?;
    o.f64("openInterestUpperCap", &mut p.open_interest_upper_cap)?;
    o.finish()?;
    Ok(p)
}

fn leverage_tier(value: &Value, path: &Path<'_>) -> Result<LeverageTier> {
    let mut o = Fields::new(value, path)?;
    let tier = LeverageTier {
        notional: o.required_f64("notional")?,
        max_leverage: o.required_f64("maxLeverage")?,
    };
    o.finish()?;
    Ok(tier)
}

fn option_rule(value: &Value, path: &Path<'_>) -> Result<OptionRule> {
    let mut p = OptionRule::default();
    let mut o = Fields::new(value, path)?;
    o.f64("initial", &mut p.initial)?;
    o.f64("initialFloor", &mut p.initial_floor)?;
    o.f64("maintenance", &mut p.maintenance)?;
    match o.variant("shortFormula", &["deribit", "paradex"])? {
        Some(0) => p.short_formula = ShortOptionFormula::Deribit,
        Some(_) => p.short_formula = ShortOptionFormula::Paradex,
        None => {}
    }
    o.f64("maintenanceFloor", &mut p.maintenance_floor)?;
    o.f64("mmOffsetScale", &mut p.mm_offset_scale)?;
    o.f64("longInitial", &mut p.long_initial)?;
    o.f64("longMaintenance", &mut p.long_maintenance)?;
    for (key, slot) in [
        ("longInitialCap", &mut p.long_initial_cap),
        ("longMaintenanceCap", &mut p.long_maintenance_cap),
        ("putCapInitial", &mut p.put_cap_initial),
        ("putCapMaintenance", &mut p.put_cap_maintenance),
    ] {
        if let Some((value, at)) = o.child(key) {
            *slot = Some(number(value, &at)?);
        }
    }
    o.finish()?;
    Ok(p)
}

/// [`PortfolioParams`] from `value`.
pub fn portfolio(value: &Value, path: &Path<'_>) -> Result<PortfolioParams> {
    let mut p = PortfolioParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("mmFactor", &mut p.mm_factor)?;
    match o.variant("aggregation", &["sum", "correlation"])? {
        Some(0) => p.aggregation = Aggregation::Sum,
        Some(_) => p.aggregation = Aggregation::Correlation,
        None => {}
    }
    o.by_name("correlations", &mut p.correlations, correlation_row)?;
    o.f64("defaultCorrelation", &mut p.default_correlation)?;
    if let Some((v, at)) = o.child("usd") {
        p.usd = settlement(v, &at)?;
    }
    o.by_name("underlyings", &mut p.underlyings, risk_matrix)?;
    if let Some((v, at)) = o.child("defaultUnderlying") {
        p.default_underlying = risk_matrix(v, &at)?;
    }
    if let Some((v, at)) = o.child("derive") {
        p.derive = match v {
            Value::Null => None,
            v => Some(derive_portfolio(v, &at)?),
        };
    }
    o.list("interSpreads", &mut p.inter_spreads, inter_spread)?;
    o.finish()?;
    Ok(p)
}

fn correlation_row(value: &Value, path: &Path<'_>) -> Result<VecMap<String, f64>> {
    let mut row = VecMap::new();
    let Value::Object(map) = value else {
        return Err(wrong_type(path, "an object", value));
    };
    for (name, item) in map {
        row.insert(name.to_string(), number(item, &Path::Key(path, name))?);
    }
    Ok(row)
}

fn settlement(value: &Value, path: &Path<'_>) -> Result<SettlementParams> {
    let mut p = SettlementParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("annualisedMoveRisk", &mut p.annualised_move_risk)?;
    o.f64("minAnnualisedMove", &mut p.min_annualised_move)?;
    o.f64("extendedDampener", &mut p.extended_dampener)?;
    o.f64("pnlOffset", &mut p.pnl_offset)?;
    o.f64("maxOffsetablePnl", &mut p.max_offsetable_pnl)?;
    o.finish()?;
    Ok(p)
}

fn risk_matrix(value: &Value, path: &Path<'_>) -> Result<RiskMatrixParams> {
    let mut p = RiskMatrixParams::default();
    let mut o = Fields::new(value, path)?;
    o.f64("priceRange", &mut p.price_range)?;
    o.u32("bucketsCount", &mut p.buckets_count)?;
    o.f64("volatilityRangeUp", &mut p.volatility_range_up)?;
    o.f64("volatilityRangeDown", &mut p.volatility_range_down)?;
    o.f64(
        "minVolatilityForShockUp",
        &mut p.min_volatility_for_shock_up,
    )?;
    o.f64(
        "minVolatilityForShockDown",
        &mut p.min_volatility_for_shock_down,
    )?;
    o.f64("shortTermVegaPower", &mut p.short_term_vega_power)?;
    o.f64("longTermVegaPower", &mut p.long_term_vega_power)?;
    o.list("extendedMoves", &mut p.extended_moves, f64_value)?;
    o.f64("extendedFraction", &mut p.extended_fraction)?;
    o.bool("extendedFuturesAtEdge", &mut p.extended_futures_at_edge)?;
    o.f64("skewShock", &mut p.skew_shock)?;
    o.f64("timeValueDiscount", &mut p.time_value_discount)?;
    o.f64("maxDeltaShock", &mut p.max_delta_shock)?;
    o.f64(
        "deltaTotalLiqShockThreshold",
        &mut p.delta_total_liq_shock_threshold,
    )?;
    o.f64("shortOptionContingency", &mut p.short_option_contingency)?;
    o.f64("futuresContingency", &mut p.futures_contingency)?;
    o.f64("annualisedMoveRisk", &mut p.annualised_move_risk)?;
    o.f64("minAnnualisedMove", &mut p.min_annualised_move)?;
    o.f64("extendedDampener", &mut p.extended_dampener)?;
    o.f64("pnlOffset", &mut p.pnl_offset)?;
    o.f64("maxOffsetablePnl", &mut p.max_offsetable_pnl)?;
    o.list("scenarios", &mut p.scenarios, weighted_scenario)?;
    o.f64("dteFloorDays", &mut p.dte_floor_days)?;
    o.f64("minDeltaNet", &mut p.min_delta_net)?;
    o.f64("minDeltaHedged", &mut p.min_delta_hedged)?;
    o.list("spreadTiers", &mut p.spread_tiers, spread_tier)?;
    o.list("intraSpreads", &mut p.intra_spreads, intra_spread)?;
    o.f64("shortOptionMinimum", &mut p.short_option_minimum)?;
    o.finish()?;
    Ok(p)
}

fn weighted_scenario(value: &Value, path: &Path<'_>) -> Result<WeightedScenario> {
    let mut o = Fields::new(value, path)?;
    let scenario = WeightedScenario {
        spot_move: o.required_f64("spotMove")?,
        vol_shock: o.required_f64("volShock")?,
        weight: o.required_f64("weight")?,
    };
    o.finish()?;
    Ok(scenario)
}

fn spread_tier(value: &Value, path: &Path<'_>) -> Result<SpreadTier> {
    let mut o = Fields::new(value, path)?;
    let tier = SpreadTier {
        from_days: o.required_f64("fromDays")?,
        to_days: o.required_f64("toDays")?,
    };
    o.finish()?;
    Ok(tier)
}

fn intra_spread(value: &Value, path: &Path<'_>) -> Result<IntraSpread> {
    let mut o = Fields::new(value, path)?;
    let mut spread = IntraSpread {
        tier_a: o.required_u32("tierA")?,
        tier_b: o.required_u32("tierB")?,
        charge: 0.0,
        rate: 0.0,
    };
    o.f64("charge", &mut spread.charge)?;
    o.f64("rate", &mut spread.rate)?;
    o.finish()?;
    Ok(spread)
}

fn inter_spread(value: &Value, path: &Path<'_>) -> Result<InterSpread> {
    let mut o = Fields::new(value, path)?;
    let rate = o.required_f64("rate")?;
    let (legs, at) = o.required("legs")?;
    let legs = list_of(legs, &at, inter_spread_leg)?;
    o.finish()?;
    Ok(InterSpread { rate, legs })
}

fn inter_spread_leg(value: &Value, path: &Path<'_>) -> Result<InterSpreadLeg> {
    let mut o = Fields::new(value, path)?;
    let (underlying, at) = o.required("underlying")?;
    let underlying = underlying
        .as_str()
        .ok_or_else(|| wrong_type(&at, "a string", underlying))?
        .to_string();
    let delta = o.required_f64("delta")?;
    o.finish()?;
    Ok(InterSpreadLeg { underlying, delta })
}

fn derive_portfolio(value: &Value, path: &Path<'_>) -> Result<DerivePortfolioParams> {
    let mut p = DerivePortfolioParams::default();
    let mut o = Fields::new(value, path)?;
    o.list("scenarios", &mut p.scenarios, derive_scenario)?;
    for (key, slot) in [
        ("volRangeUp", &mut p.vol_range_up),
        ("volRangeDown", &mut p.vol_range_down),
        ("shortTermPower", &mut p.short_term_power),
        ("longTermPower", &mut p.long_term_power),
        ("dteFloorDays", &mut p.dte_floor_days),
        ("minVolUpShock", &mut p.min_vol_up_shock),
        ("mmFactor", &mut p.mm_factor),
        ("imFactor", &mut p.im_factor),
        ("longBaseStaticDiscount", &mut p.long_base_static_discount),
        ("shortBaseStaticDiscount", &mut p.short_base_static_discount),
        ("longRateMultScale", &mut p.long_rate_mult_scale),
        ("shortRateMultScale", &mut p.short_rate_mult_scale),
        ("longRateAddScale", &mut p.long_rate_add_scale),
        ("shortRateAddScale", &mut p.short_rate_add_scale),
        ("basisSpotUp", &mut p.basis_spot_up),
        ("basisSpotDown", &mut p.basis_spot_down),
        ("basisAddFactor", &mut p.basis_add_factor),
        ("basisMultFactor", &mut p.basis_mult_factor),
        ("pegLossThreshold", &mut p.peg_loss_threshold),
        ("pegLossFactor", &mut p.peg_loss_factor),
        ("mmPerpPercent", &mut p.mm_perp_percent),
        ("imPerpPercent", &mut p.im_perp_percent),
        ("mmOptionPercent", &mut p.mm_option_percent),
        ("imOptionPercent", &mut p.im_option_percent),
        ("confThreshold", &mut p.conf_threshold),
        ("confMargin", &mut p.conf_margin),
        ("linearBaseCap", &mut p.linear_base_cap),
        ("absBaseCap", &mut p.abs_base_cap),
        ("linearCBase", &mut p.linear_c_base),
        ("absCBase", &mut p.abs_c_base),
        ("minKStar", &mut p.min_k_star),
        ("widthScale", &mut p.width_scale),
        ("volParamStatic", &mut p.vol_param_static),
        ("volParamScale", &mut p.vol_param_scale),
    ] {
        o.f64(key, slot)?;
    }
    o.by_name("collateral", &mut p.collateral, derive_collateral)?;
    o.finish()?;
    Ok(p)
}

fn derive_scenario(value: &Value, path: &Path<'_>) -> Result<DeriveScenario> {
    let mut o = Fields::new(value, path)?;
    let spot_shock = o.required_f64("spotShock")?;
    let (shock, at) = o.required("volShock")?;
    let vol_shock = match variant(shock, &at, &["none", "up", "down", "linear", "abs"])? {
        0 => DeriveVolShock::None,
        1 => DeriveVolShock::Up,
        2 => DeriveVolShock::Down,
        3 => DeriveVolShock::Linear,
        _ => DeriveVolShock::Abs,
    };
    let dampening = o.required_f64("dampening")?;
    o.finish()?;
    Ok(DeriveScenario {
        spot_shock,
        vol_shock,
        dampening,
    })
}

fn derive_collateral(value: &Value, path: &Path<'_>) -> Result<DeriveCollateral> {
    let mut o = Fields::new(value, path)?;
    let mut c = DeriveCollateral {
        mm_haircut: o.required_f64("mmHaircut")?,
        im_haircut: o.required_f64("imHaircut")?,
        risk_cancelling: false,
    };
    o.bool("riskCancelling", &mut c.risk_cancelling)?;
    o.finish()?;
    Ok(c)
}

/// [`StatisticalParams`] from `value`.
pub fn statistical(value: &Value, path: &Path<'_>) -> Result<StatisticalParams> {
    let mut p = StatisticalParams::default();
    let mut o = Fields::new(value, path)?;
    o.bool("enabled", &mut p.enabled)?;
    o.f64("confidence", &mut p.confidence)?;
    o.f64("horizonDays", &mut p.horizon_days)?;
    if let Some((v, at)) = o.child("correlations") {
        p.correlations = correlation_row(v, &at)?;
    }
    o.f64("defaultCorrelation", &mut p.default_correlation)?;
    o.f64("volOfVol", &mut p.vol_of_vol)?;
    o.f64("spotVolCorrelation", &mut p.spot_vol_correlation)?;
    o.u32("paths", &mut p.paths)?;
    o.u64("seed", &mut p.seed)?;
    o.u32("studentTDof", &mut p.student_t_dof)?;
    o.finish()?;
    Ok(p)
}

/// `Deserialize` for a type with a hand-written decoder: the JSON value, then the decoder (its
/// error keeps its field path through [`crate::json::from_value`]).
macro_rules! deserialize_with {
    ($($ty:ty => $decode:path),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                crate::json::decode_value(&value, "", $decode)
                    .map_err(|e| crate::json::fields::to_serde(&e))
            }
        }
    )*};
}
pub(crate) use deserialize_with;

deserialize_with! {
    RiskParams => risk_params,
    StandardParams => standard,
    PortfolioParams => portfolio,
    StatisticalParams => statistical,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::margin::params::params_hash;
    use crate::margin::profiles::{profile, profiles, resolve};
    use serde_json::json;

    #[test]
    fn every_profile_round_trips_through_its_canonical_json_with_the_same_hash() {
        // Property: decoding what `Serialize` wrote gives the very parameters back, so a resolved
        // profile hashes as before (the hash is of the canonical JSON, which this module never
        // writes).
        for info in profiles() {
            let params = profile(&info.name).unwrap();
            let value = serde_json::to_value(&params).unwrap();
            let decoded = crate::json::decode_value(&value, "params", risk_params).unwrap();
            assert_eq!(decoded, params, "{}", info.name);
            assert_eq!(
                params_hash(&decoded).unwrap(),
                params_hash(&params).unwrap(),
                "{}",
                info.name
            );
            // The serde route (engine snapshots) decodes the same.
            let text = serde_json::to_string(&params).unwrap();
            assert_eq!(
                crate::json::from_str::<RiskParams>(&text).unwrap(),
                params,
                "{}",
                info.name
            );
        }
    }

    #[test]
    fn a_struct_given_takes_its_absent_fields_from_its_own_default() {
        // serde's container `default`: `portfolio` given → PortfolioParams::default() for the
        // rest, not RiskParams::default().portfolio (whose extendedFraction is 0.35).
        let p =
            crate::json::decode_value(&json!({"portfolio": {"mmFactor": 0.7}}), "", risk_params)
                .unwrap();
        assert_eq!(p.portfolio.mm_factor, 0.7);
        assert_eq!(
            p.portfolio.default_underlying.extended_fraction,
            RiskMatrixParams::default().extended_fraction
        );
        let p = crate::json::decode_value(&json!({}), "", risk_params).unwrap();
        assert_eq!(p, RiskParams::default());
        // A map given replaces the default map; its entries start from the entry type's default.
        let p =
            crate::json::decode_value(&json!({"futures": {"DOGE": {"imBase": 0.1}}}), "", standard)
                .unwrap();
        assert_eq!(p.futures.len(), 1);
        assert_eq!(
            p.futures.get("DOGE"),
            Some(&FuturesRule {
                im_base: 0.1,
                ..FuturesRule::default()
            })
        );
        // `derive: null` is absent; an integral float reads as an integer (JS sends 4 as 4.0).
        let p = crate::json::decode_value(
            &json!({"derive": null, "defaultUnderlying": {"bucketsCount": 6.0}}),
            "",
            portfolio,
        )
        .unwrap();
        assert_eq!((p.derive, p.default_underlying.buckets_count), (None, 6));
    }

    #[test]
    fn bad_fields_are_named_by_their_full_path() {
        let cases = [
            (
                json!({"portfolio": {"underlyings": {"ETH": {"priceRange": "x"}}}}),
                "params.portfolio.underlyings.ETH.priceRange",
                "invalid type: string",
            ),
            (
                json!({"standard": {"options": {"floor": 1}}}),
                "params.standard.options.floor",
                "unknown field `floor`",
            ),
            (
                json!({"drr": {"kMaintenance": null}}),
                "params.drr.kMaintenance",
                "NaN, Infinity and null are not numbers",
            ),
            (
                json!({"drr": {"mode": "sum"}}),
                "params.drr.mode",
                "unknown variant `sum`",
            ),
            (
                json!({"portfolio": {"defaultUnderlying": {"bucketsCount": 4.5}}}),
                "params.portfolio.defaultUnderlying.bucketsCount",
                "expected an integer",
            ),
            (
                json!({"portfolio": {"interSpreads": [{"rate": 0.5, "legs": [{"delta": 1}]}]}}),
                "params.portfolio.interSpreads[0].legs[0]",
                "missing field `underlying`",
            ),
            (
                json!({"portfolio": {"derive": {"scenarios": [{"spotShock": 1, "volShock": "up"}]}}}),
                "params.portfolio.derive.scenarios[0]",
                "missing field `dampening`",
            ),
            (
                json!({"portfolio": {"derive": {"confThreshold": "0.5"}}}),
                "params.portfolio.derive.confThreshold",
                "expected a number",
            ),
            (
                json!({"portfolio": {"derive": {"confMargin": null}}}),
                "params.portfolio.derive.confMargin",
                "NaN, Infinity and null are not numbers",
            ),
            (
                json!({"statistical": {"seed": -1}}),
                "params.statistical.seed",
                "expected an integer",
            ),
            (
                json!({"flags": {"depeg": []}}),
                "params.flags.depeg",
                "expected an object",
            ),
            (
                json!({"collateral": 1}),
                "params.collateral",
                "expected an object",
            ),
        ];
        for (value, field, reason) in cases {
            let err = resolve(Some(value.clone())).unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{value}"
            );
            assert!(err.to_string().contains(reason), "{value}: {err}");
        }
    }

    #[test]
    fn the_serde_route_keeps_the_path_under_the_enclosing_value() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Snapshot {
            version: u32,
            params: RiskParams,
        }
        let err = crate::json::from_str::<Snapshot>(
            r#"{"version": 1, "params": {"standard": {"futures": {"BTC": {"tiers": [{"notional": 0}]}}}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), "params.standard.futures.BTC.tiers[0]");
        assert!(
            err.to_string().contains("missing field `maxLeverage`"),
            "{err}"
        );
        let err = crate::json::from_str::<Snapshot>(
            r#"{"version": 1, "params": {"drr": {"kMaint": 1}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), "params.drr.kMaint");
        assert!(!err.to_string().contains('\u{1}'), "{err}");
    }
}
