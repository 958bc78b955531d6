//! Named parameter sets ("profiles") that reproduce published venue rules, so users can check us
//! against venues they know, and the resolution of `params` inputs: `{ "profile": NAME, ...
//! partial overrides }` → the profile's full parameters with the overrides merged in.
//!
//! Each profile says what it reproduces and where it stops: where a venue does not publish a
//! formula or a value, the profile says so instead of inventing one. Sources: `docs/venues/`.

use super::params::RiskParams;
use super::standard::{FuturesRule, LeverageTier, OptionRule, ShortOptionFormula, SizeAggregation};
use crate::error::{Error, Result};
use crate::json::tree::{self, Value};
use crate::json::Path;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// A profile's name and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfo {
    /// Name to pass as `params.profile` / `--profile`.
    pub name: String,
    /// What it reproduces, its sources and its limits.
    pub description: String,
}

const PROFILES: &[(&str, &str)] = &[
    (
        "drr",
        "drr-margin's own defaults: Deribit-style standard rules with defined-risk relief, \
        a Deribit-style risk matrix for portfolio mode whose extended (tail) moves count at 35 % \
        (SPAN's weight for extreme moves) rather than Deribit's unpublished dampening, the DRR \
        sensitivity add-on as a floor, liquidity charge and collateral haircuts.",
    ),
    (
        "deribit-portfolio",
        "Deribit portfolio margin, risk matrix (docs/venues/deribit.md §3): BTC ±16 % in 9 \
        steps (ETH ±18 %) × vol up/same/down with (30/DTE)^p vol shocks, the 8 extended moves at \
        full weight with Deribit's dampeners, gain offsets, roll shock, MM = 0.8 × risk-matrix \
        margin. Reproduces Deribit's published PM example to 6e-9. Not published, so ours: the \
        extended-table arithmetic (we count max(0, loss − dampener)), the delta-shock formula, \
        the vol-down floor (1 %). IM omits Deribit's open-order and MMP margins.",
    ),
    (
        "cme-span-16",
        "CME SPAN-style 16-scenario risk array (docs/venues/cme-span.md): price moves 0, ±⅓, \
        ±⅔, ±1 × the price scan range with volatility up/down by the vol scan range (no term \
        scaling), plus ±2 × the range counted at 35 %. The scan ranges are product-specific and \
        change with CME's margins: the values here (30 % price, 35 % relative vol) are \
        illustrative and must be set per product. The intra-commodity (calendar) spread charge \
        (`spreadTiers`, `intraSpreads`, FLAT rates in priority order; reproduces CME's published \
        spread-calc example) and the short option minimum (`shortOptionMinimum`, a fraction of \
        the index per short option) and inter-commodity spread credits (`interSpreads`, WPR rates \
        between underlyings' net deltas; reproduces CME's published Corn/Soybean example) are \
        available but empty here: CME's rates are per product. \
        Not modelled: delivery-month charges, net option value caps; \
        our extreme moves shock vol up where SPAN leaves it; the grid also evaluates unchanged \
        vol (never worse for options).",
    ),
    (
        "paradex-portfolio",
        "Paradex portfolio margin, SCAN (docs/venues/paradex.md §2): the published 24 scenarios \
        (±16 % in 4 % steps × vol +40 %/−22 %, tails −66 % … +500 % with vol +40 % at weights \
        24 % … 3.2 %), vol shocks σ·(1 + shock·(30/max(1, DTE))^p) with p 0.30 below 30 days, \
        0.13 from 30, SCAN = maximum weighted loss, NetPortfolioIM = max(SCAN, MinDeltaRisk) with \
        MinDeltaRisk = (2 % |net delta| + 1 % hedged delta)·index, IMR = NetPortfolioIM, MMR = \
        50 %. Not modelled (formulas not published): the funding and fee provisions. Paradex \
        serves per-asset values from /v1/system/margin-config; the published table is used for \
        every underlying. Options reprice by Black-76 on our forward (Paradex's repricing model \
        is not stated).",
    ),
    (
        "paradex",
        "Paradex cross margin (docs/venues/paradex.md §3–4): perpetuals and futures at a flat \
        IMF (BTC, ETH 2 %; others 5 %, the SOL and DOGE pages) with MMF = 50 % of it; short \
        options max(15 %·index − OTM, 10 %·index) at IM and max(7.5 %·index − OTM, \
        5 %·index) at MM, no mark added, short puts capped at 50 %/25 % of the strike; long \
        options min(mark, 20 %·index) at IM and min(50 %·mark, 10 %·index) at MM (the \
        dated-options page's BTC and ETH table, for every underlying); options of one expiry \
        relieved down to their max loss at expiry plus their net debit (reproduces the \
        published call-spread example). Not modelled: open orders (open size, open loss), the \
        fee provision, the older √notional IMF scaling (the markets API reports its factor as \
        0), and Paradex's free collateral cap at the USDC balance. Notionals at the mark.",
    ),
    (
        "deribit-standard",
        "Deribit standard margin (docs/venues/deribit.md §1–2): futures IM 2 % + \
        0.005 %/BTC (ETH 0.0004 %/ETH, SOL 4 % + 0.0005 %/SOL), MM 1 % + the same increment, per \
        position; short options max(0.15 − OTM/U, 0.10)·U + mark, MM 0.075·U + mark (puts \
        max(0.075·U, 0.075·mark) + mark); no spread offsets. No DRR add-on, no liquidity charge, \
        no haircuts (Deribit's cross-collateral haircuts are not published). The 2026 tiered \
        leverage model (constants C1–C4) is not published in a usable form and is not modelled.",
    ),
    (
        "derive-standard",
        "Derive v2 Standard Manager (docs/venues/derive.md §1; derivexyz/v2-core \
        StandardManager.sol), mainnet values of scripts/config-mainnet.sol: perps MM/IM 6.5 %/10 % \
        (BTC, ETH; others 10 %/20 %); short options IM max(0.15·S − OTM, 0.13·S) + mark, MM \
        0.09·S + mark (puts max(0.09·S, 0.09·mark) + mark, IM ≥ 1.05·MM); per expiry the options \
        are charged at most their max loss (payoff at 0 and every strike) plus 1.2 (IM) / 1.1 (MM) \
        × forward × net short calls; options carry no collateral value (the requirement adds \
        their marks, so equity − requirement is Derive's margin); BTC and ETH collateral count \
        75 %/80 % (base margin factors); perp notional at the perp's mark; IM only: \
        oracle-confidence contingencies on perps, each expiry's shorts and base collateral \
        (threshold 0.55, factor 1.0; scores from the market's feedConfidence) and the USDC \
        depeg penalty (threshold 0.99, factor 2.0; standard.derive). Reproduces v2-core's \
        test-cases-2.json and test-cases-portfolio.json (all but test_general_portfolio, whose \
        JSON does not follow from its stated inputs). Not modelled: the base factor's \
        IMScale (not in the indexed StandardManager.sol), Solidity's truncating fixed point.",
    ),
    (
        "derive-portfolio",
        "Derive v2 portfolio margin PMRM_2 (docs/venues/derive.md §3; derivexyz/v2-core \
        PMRMLib_2.sol), portfolio mode: per expiry full revaluation under 31 scenarios (±18 % \
        grid × vol up/none/down, tails 0.34×…4× dampened, linear and absolute skew shocks), \
        static discounts, basis contingency, MM factor 0.8, IM 1.0 + peg loss, perp and \
        naked-short contingencies, each expiry at its own rate (forwards[].rate), collateral \
        haircut contingencies and risk-cancelling collateral (portfolio.derive.collateral). \
        Parameters are v2-core's portfolio test cases' (production PM2 values are not \
        published in the repository); IM oracle-confidence contingency from the market's \
        feedConfidence. Reproduces 131 files of PMRM_2/portfolio_cases to 1e-9 \
        (tests/derive_margin.rs). Not modelled: the forward's fixed portion in the last 30 \
        minutes before expiry.",
    ),
    (
        "dydx-v4",
        "dYdX v4 perpetuals (docs/venues/dydx-v4.md): IMF/MMF per liquidity tier from \
        the v4-chain genesis script — Large-Cap (BTC, ETH) 2 %/1.2 %, others Small-Cap 10 %/5 % \
        with open-interest IMF scaling between 20M and 50M USD (open interest from the \
        market's `underlyings.X.openInterest`, else the parameter `openInterest`). Mainnet tiers are set by governance and may differ. Perpetuals only.",
    ),
    (
        "hyperliquid",
        "Hyperliquid perpetuals (docs/venues/hyperliquid.md): tiered max leverage — \
        BTC 40× to 150M USD then 20×, ETH 25×/15× at 100M, SOL 20×/10× at 70M, others 10×/5× at \
        20M; maintenance = half the initial rate at the tier's max leverage, with deductions \
        keeping it continuous; notionals at the mark (\"mark price is used\"). Perpetuals only.",
    ),
    (
        "drift",
        "Drift v2 perpetuals (docs/venues/drift.md): margin ratio max(w, 0.8·w + \
        imf·√size). Drift publishes per-market ratios and IMF factors only as on-chain state; \
        the values here (IM 10 %, MM 5 %, IMF 0.0001) are placeholders to be set from a market's \
        state, not Drift's numbers.",
    ),
];

/// The available profiles.
pub fn profiles() -> Vec<ProfileInfo> {
    PROFILES
        .iter()
        .map(|(name, description)| ProfileInfo {
            name: (*name).to_string(),
            description: description.split_whitespace().collect::<Vec<_>>().join(" "),
        })
        .collect()
}

/// The full parameters of a named profile.
pub fn profile(name: &str) -> Result<RiskParams> {
    let mut p = RiskParams {
        profile: name.to_string(),
        ..RiskParams::default()
    };
    if name != "drr" {
        // Every other profile reproduces a venue: no DRR add-on, no liquidity charge, no
        // collateral haircuts (an unknown name is refused below).
        p.drr.enabled = false;
        p.liquidity.impact = 0.0;
        for rules in p.collateral.values_mut() {
            *rules = super::params::CollateralParams::default();
        }
        p.default_collateral = super::params::CollateralParams::default();
    }
    match name {
        "drr" => {}
        "cme-span-16" => {
            let mut span = super::portfolio::PortfolioParams::default();
            span.underlyings.clear();
            let rules = &mut span.default_underlying;
            rules.price_range = 0.30;
            rules.buckets_count = 3;
            rules.volatility_range_up = 0.35;
            rules.volatility_range_down = 0.35;
            rules.min_volatility_for_shock_up = 0.0;
            rules.short_term_vega_power = 0.0;
            rules.long_term_vega_power = 0.0;
            rules.extended_moves = vec![-0.60, 0.60];
            rules.extended_fraction = 0.35;
            rules.extended_futures_at_edge = false;
            rules.extended_dampener = 0.0;
            // SPAN has no roll or delta shock (its spread charges are not modelled), and the
            // scanning risk is the maintenance requirement itself.
            rules.annualised_move_risk = 0.0;
            rules.min_annualised_move = 0.0;
            rules.max_delta_shock = 0.0;
            span.usd.extended_dampener = 0.0;
            span.usd.annualised_move_risk = 0.0;
            span.usd.min_annualised_move = 0.0;
            span.mm_factor = 1.0;
            p.portfolio = span;
        }
        "paradex-portfolio" => {
            p.portfolio = paradex_portfolio();
        }
        "paradex" => {
            // Flat IMF, MMF factor 50 % (paradex.md §4).
            let flat = |imf: f64| FuturesRule::deribit(imf, 0.0, 0.5 * imf, 0.0);
            p.standard.futures = futures_table(&[("BTC", flat(0.02)), ("ETH", flat(0.02))]);
            p.standard.default_futures = flat(0.05);
            p.standard.size_aggregation = SizeAggregation::Position;
            p.standard.notional_at_mark = true;
            p.standard.options = OptionRule {
                initial: 0.15,
                initial_floor: 0.10,
                maintenance: 0.075,
                short_formula: ShortOptionFormula::Paradex,
                maintenance_floor: 0.05,
                put_cap_initial: Some(0.5),
                put_cap_maintenance: Some(0.25),
                mm_offset_scale: 1.0,
                long_initial: 1.0,
                long_maintenance: 0.5,
                long_initial_cap: Some(0.2),
                long_maintenance_cap: Some(0.1),
            };
        }
        "deribit-portfolio" => {
            p.portfolio = super::portfolio::PortfolioParams::default();
        }
        "deribit-standard" => {
            p.standard.spread_relief = false;
            p.standard.size_aggregation = SizeAggregation::Position;
            // "margin sharing does not apply to long option positions" (deribit.md §2.1).
            p.standard.options.long_maintenance = 1.0;
        }
        "derive-standard" => {
            let perp = FuturesRule {
                im_base: 0.10,
                im_increment: 0.0,
                mm_base: 0.065,
                mm_increment: 0.0,
                ..FuturesRule::default()
            };
            p.standard.futures = futures_table(&[("BTC", perp.clone()), ("ETH", perp.clone())]);
            p.standard.default_futures = FuturesRule {
                im_base: 0.20,
                mm_base: 0.10,
                ..perp
            };
            p.standard.options.initial = 0.15;
            p.standard.options.initial_floor = 0.13;
            p.standard.options.maintenance = 0.09;
            p.standard.options.mm_offset_scale = 1.05;
            // Options' values join their requirements instead (`optionValueInRequirement`).
            p.standard.options.long_initial = 0.0;
            p.standard.unpaired_call_initial_scale = 1.2;
            p.standard.unpaired_call_maintenance_scale = 1.1;
            p.standard.option_value_in_requirement = true;
            // Perp notional at the perp's mark, oracle-confidence contingencies (0.55 / 1.0),
            // USDC depeg penalty (0.99 / 2.0): config-mainnet.sol.
            p.standard.derive = Some(super::derive_standard::DeriveStandardParams::default());
            p.standard.size_aggregation = SizeAggregation::Position;
            for (asset, factor) in [("BTC", 0.75), ("ETH", 0.8)] {
                p.collateral.insert(
                    asset.to_string(),
                    super::params::CollateralParams {
                        haircut: 1.0 - factor,
                        ..super::params::CollateralParams::default()
                    },
                );
            }
        }
        "derive-portfolio" => {
            p.portfolio = super::portfolio::PortfolioParams {
                derive: Some(super::derive_portfolio::DerivePortfolioParams::default()),
                ..super::portfolio::PortfolioParams::default()
            };
        }
        "dydx-v4" => {
            let large = FuturesRule {
                im_base: 0.02,
                im_increment: 0.0,
                mm_base: 0.012,
                mm_increment: 0.0,
                ..FuturesRule::default()
            };
            p.standard.futures = futures_table(&[("BTC", large.clone()), ("ETH", large.clone())]);
            p.standard.default_futures = FuturesRule {
                im_base: 0.10,
                mm_base: 0.05,
                open_interest_lower_cap: 20e6,
                open_interest_upper_cap: 50e6,
                ..large
            };
            p.standard.size_aggregation = SizeAggregation::Position;
        }
        "hyperliquid" => {
            let tiers = |first: f64, bound: f64, second: f64| FuturesRule {
                im_base: 0.0,
                im_increment: 0.0,
                mm_base: 0.0,
                mm_increment: 0.0,
                tiers: vec![
                    LeverageTier {
                        notional: 0.0,
                        max_leverage: first,
                    },
                    LeverageTier {
                        notional: bound,
                        max_leverage: second,
                    },
                ],
                tier_maintenance_fraction: 0.5,
                ..FuturesRule::default()
            };
            p.standard.futures = futures_table(&[
                ("BTC", tiers(40.0, 150e6, 20.0)),
                ("ETH", tiers(25.0, 100e6, 15.0)),
                ("SOL", tiers(20.0, 70e6, 10.0)),
            ]);
            p.standard.default_futures = tiers(10.0, 20e6, 5.0);
            p.standard.size_aggregation = SizeAggregation::Position;
            // IM = size · mark / leverage (hyperliquid.md §2); "mark price is used" (§6).
            p.standard.notional_at_mark = true;
        }
        "drift" => {
            let rule = FuturesRule {
                im_base: 0.10,
                im_increment: 0.0,
                mm_base: 0.05,
                mm_increment: 0.0,
                imf_factor: 0.0001,
                ..FuturesRule::default()
            };
            p.standard.futures.clear();
            p.standard.default_futures = rule;
            p.standard.size_aggregation = SizeAggregation::Position;
        }
        other => {
            return Err(Error::invalid(
                "profile",
                format!(
                    "unknown profile {}; known: {}",
                    crate::error::Quoted(other),
                    PROFILES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }
    p.validate().map_err(|e| e.within("params"))?;
    Ok(p)
}

/// A futures rule table keyed by underlying.
fn futures_table(rules: &[(&str, FuturesRule)]) -> VecMap<String, FuturesRule> {
    rules
        .iter()
        .map(|(underlying, rule)| (underlying.to_string(), rule.clone()))
        .collect()
}

/// Paradex SCAN (docs/venues/paradex.md §2, "Full scenario table" of
/// https://docs.paradex.trade/risk/portfolio-margin): one rule set for every underlying.
fn paradex_portfolio() -> super::portfolio::PortfolioParams {
    use super::portfolio::WeightedScenario;
    let mut scan = super::portfolio::PortfolioParams::default();
    scan.underlyings.clear();
    scan.mm_factor = 0.5;
    scan.usd.annualised_move_risk = 0.0;
    scan.usd.min_annualised_move = 0.0;
    scan.usd.extended_dampener = 0.0;
    let rules = &mut scan.default_underlying;
    let (up, down) = (0.40, -0.22);
    let mut scenarios = vec![(0.16, up)];
    for m in [0.12, 0.08, 0.04, 0.0, -0.04, -0.08, -0.12] {
        scenarios.push((m, up));
        scenarios.push((m, down));
    }
    scenarios.push((-0.16, up));
    let mut list: Vec<WeightedScenario> = scenarios
        .into_iter()
        .map(|(spot_move, vol_shock)| WeightedScenario {
            spot_move,
            vol_shock,
            weight: 1.0,
        })
        .collect();
    // Tails, at the weights printed in the table (they are ≈ 0.16/|move|, not stated as such).
    for (spot_move, weight) in [
        (-0.66, 0.24),
        (-0.33, 0.48),
        (0.5, 0.32),
        (1.0, 0.16),
        (2.0, 0.08),
        (3.0, 0.0533),
        (4.0, 0.04),
        (5.0, 0.032),
    ] {
        list.push(WeightedScenario {
            spot_move,
            vol_shock: up,
            weight,
        });
    }
    rules.scenarios = list;
    rules.dte_floor_days = 1.0;
    rules.short_term_vega_power = 0.30;
    rules.long_term_vega_power = 0.13;
    rules.min_volatility_for_shock_up = 0.0;
    rules.min_volatility_for_shock_down = 1e-4;
    rules.extended_moves = Vec::new();
    rules.extended_futures_at_edge = false;
    rules.max_delta_shock = 0.0;
    rules.annualised_move_risk = 0.0;
    rules.min_annualised_move = 0.0;
    rules.extended_dampener = 0.0;
    rules.min_delta_net = 0.02;
    rules.min_delta_hedged = 0.01;
    scan
}

/// Resolves a `params` input: `None` → the `drr` profile; an object → its `profile` (default
/// `drr`) with the rest merged in as overrides (objects merge key by key, other values replace).
pub fn resolve(params: Option<serde_json::Value>) -> Result<RiskParams> {
    match params {
        None => resolve_tree(None),
        Some(value) => {
            let text = serde_json::to_string(&value).map_err(|e| Error::invalid("params", e))?;
            resolve_tree(Some(crate::json::tree::parse(&text)?))
        }
    }
}

/// [`resolve`] for a parsed JSON tree (the JS binding's route: no `serde_json::Value`, so no
/// serde_json reader in the `.wasm`).
pub fn resolve_tree(params: Option<Value<'_>>) -> Result<RiskParams> {
    let Some(overrides) = params else {
        return profile("drr");
    };
    let Value::Object(entries) = &overrides else {
        return Err(Error::invalid("params", "must be an object"));
    };
    let name = match tree::get(entries, "profile") {
        None => "drr".to_string(),
        Some(Value::String(name)) => name.to_string(),
        Some(_) => return Err(Error::invalid("params.profile", "must be a profile name")),
    };
    // Only a profile name (or nothing): its parameters as they are.
    if entries.iter().all(|(key, _)| key == "profile") {
        return profile(&name);
    }
    let base = profile(&name)?;
    let text = crate::json::write::to_string(&base).map_err(|e| e.within("params"))?;
    let mut merged = tree::parse(&text).map_err(|e| e.within("params"))?;
    tree::merge(&mut merged, overrides);
    let params = super::params_decode::risk_params(&merged, &Path::Root("params"))?;
    params.validate().map_err(|e| e.within("params"))?;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_builds_and_validates() {
        for info in profiles() {
            let p = profile(&info.name).unwrap();
            assert_eq!(p.profile, info.name);
        }
        assert_eq!(profile("cme").unwrap_err().field(), "profile");
    }

    #[test]
    fn overrides_merge_into_the_named_profile() {
        let p = resolve(Some(
            serde_json::json!({"profile": "deribit-standard", "drr": {"kMaintenance": 2.5}}),
        ))
        .unwrap();
        assert_eq!(
            (p.profile.as_str(), p.drr.k_maintenance, p.drr.enabled),
            ("deribit-standard", 2.5, false)
        );
        assert!(
            !p.standard.spread_relief,
            "the profile's own values survive the merge"
        );
        let err = resolve(Some(serde_json::json!({"drr": {"kMaintenance": -1}}))).unwrap_err();
        assert_eq!(err.field(), "params.drr.kMaintenance");
        let err = resolve(Some(serde_json::json!({"drr": {"bogus": 1}}))).unwrap_err();
        assert_eq!(err.field(), "params.drr.bogus");
        assert_eq!(resolve(None).unwrap(), RiskParams::default());
    }
}
