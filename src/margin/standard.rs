//! Standard (rule-based) margin: per-position initial and maintenance requirements in USD, in the
//! manner of Deribit's standard margin (docs/venues/deribit.md §1–2), with optional venue-style
//! size scalings for futures and a defined-risk relief for option spreads.
//!
//! Owns: the futures/perpetual rate rules (Deribit linear increment, Drift √size premium,
//! Hyperliquid leverage tiers, dYdX open-interest IMF), the Deribit and Paradex short-option
//! formulas, the grouping of options by (underlying, expiry) and their max loss at expiry, and
//! the parameters of all of these ([`StandardParams`]).
//!
//! Never: values equity or collateral, applies add-ons (DRR, liquidity, oracle buffer, risk flags),
//! rounds money to an asset's decimals, or reads anything but the index price, the option marks
//! (through [`value_position`]) and its parameters. Those belong to the report that sums them.
//!
//! Conventions:
//! - Every amount is USD. Coin amounts are converted at the underlying's index price, as Deribit
//!   does for its linear products ("margin computed in USDC using the index price of the
//!   underlying", deribit.md §1.1).
//! - Futures and perpetuals: N = |position| in coin (linear: |amount|; inverse: |amount| / index,
//!   the amount being USD notional), notional = N·index, IM = notional·rate_im(N),
//!   MM = notional·rate_mm(N). **N is aggregated per underlying** by default
//!   ([`SizeAggregation::Underlying`]): the gross coin size of every future and perpetual, linear
//!   and inverse, on that underlying. Each position is charged its notional times the rate of the
//!   aggregate, so splitting a position into several never changes the total (with per-position
//!   N, as a literal reading of Deribit gives, splitting would lower it because the rate rises
//!   with N). Gross, not net: a calendar spread is not netted, which is conservative.
//! - Options: Deribit's standard-margin formulas per unit (deribit.md §2.1), times |amount|;
//!   a long option is charged `longInitial`/`longMaintenance` × its value (default 1 and 0: its
//!   premium must come from free collateral, while its value still counts against liquidation;
//!   Deribit 1 and 1, "margin sharing does not apply to long option positions"), capped per unit
//!   at `longInitialCap`/`longMaintenanceCap` × index (Paradex's long ITM fraction) if given.
//! - Spread relief (our extension; Deribit's standard margin has no offsets between legs,
//!   deribit.md §2.1 "Combos/spreads"): options on the same underlying and expiry form a group;
//!   when the group's summed requirement exceeds its worst loss at expiry, the excess is relieved.
//!   `spreadRelief: false` (with `sizeAggregation: "position"`) reproduces Deribit exactly.
//!   The comparison is like for like: a short leg's requirement includes its mark (the liability
//!   already in equity) and the max loss at expiry is the whole liability, not the change from
//!   today. Relief is computed separately for IM and MM, so MM ≤ IM still holds after it.
//!   Long charges join their group; a group worth more than nothing (a debit spread) is capped
//!   at its max loss plus the charged fraction of its net value, so its net debit is funded
//!   like a single long's premium.
//! - Derive v2 Standard Manager (docs/venues/derive.md §1), all off by default: a short put's IM
//!   floored at `mmOffsetScale` × its MM; with `unpairedCall*Scale` > 0 a group's max loss is
//!   Derive's (payoff at 0 and every strike, plus scale × forward × net short calls), so net
//!   short calls get relief too; `optionValueInRequirement` adds each option's value to its
//!   requirement, so that options carry no collateral value and equity − requirement is
//!   Derive's margin. With `derive` given, a perp's notional is at its mark
//!   (`perpNotionalAtMark`) and the Derive contingencies of [`super::derive_standard`] (oracle
//!   confidence, USDC depeg) are added to the initial requirement by the margin report.

use super::derive_standard::DeriveStandardParams;
use super::params::{check, check_lazy, finite_in};
use super::valuation::{reference_mark, value_position, Shock};
use crate::error::{Error, Result};
use crate::market::Market;
use crate::math::{max, min};
use crate::portfolio::{ContractKind, Millis, Position, Settlement};
use crate::pricing::OptionKind;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// One tier of a Hyperliquid-style leverage table: from `notional` (USD, inclusive) upwards the
/// maximum leverage is `maxLeverage` (docs/venues/hyperliquid.md §4).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeverageTier {
    /// Lower bound of the tier's notional (USD). The first tier starts at 0.
    pub notional: f64,
    /// Maximum leverage in the tier (≥ 1): the tier's initial rate is 1/maxLeverage.
    pub max_leverage: f64,
}

/// Requirement rates of the futures and perpetuals of one underlying.
///
/// The enabled mechanisms are combined by taking the largest rate (each is increasing in size,
/// so the requirement stays increasing in |size|); to reproduce one venue alone, set the
/// others' parameters to 0. Then the open-interest IMF raises the initial rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FuturesRule {
    /// Deribit linear increment: rate_im = imBase + imIncrement·N (N in coin). BTC 0.02
    /// (deribit.md §1.2, official 11-Jan-2022 release note and Linear-Perpetual page).
    pub im_base: f64,
    /// Initial rate added per coin of position. BTC 0.00005 (0.005 % per BTC, same source).
    pub im_increment: f64,
    /// rate_mm = mmBase + mmIncrement·N. BTC 0.01 (same source).
    pub mm_base: f64,
    /// Maintenance rate added per coin of position. BTC 0.00005 (same source).
    pub mm_increment: f64,
    /// Drift-style √size premium (docs/venues/drift.md §2, `calculate_size_premium_liability_weight`):
    /// rate = max(rate, imfBaseWeight·rate + imfFactor·√N), for both rates. 0 = off (default).
    pub imf_factor: f64,
    /// The weight of the base rate in the √size premium: Drift's `w − w/5` = 0.8·w (drift.md §2).
    pub imf_base_weight: f64,
    /// Hyperliquid-style tiers by the aggregate notional (hyperliquid.md §4), empty = off
    /// (default). Requirement = notional·r_n − deduction_n with r_n = 1/maxLeverage_n and
    /// deduction_n = deduction_{n−1} + lowerBound_n·(r_n − r_{n−1}): continuous in notional, so a
    /// notional exactly on a bound gets the same requirement whichever tier it is put in.
    pub tiers: Vec<LeverageTier>,
    /// Tier maintenance rate as a fraction of the tier's initial rate: Hyperliquid's
    /// "maintenance margin is half of the initial margin at max leverage" = 0.5 (hyperliquid.md §3).
    pub tier_maintenance_fraction: f64,
    /// Open interest of the underlying's market in USD, for the dYdX-style open-interest IMF
    /// (docs/venues/dydx-v4.md §3), used when the market snapshot has no `openInterest` for
    /// the underlying (the snapshot's value wins).
    pub open_interest: f64,
    /// Open interest (USD) up to which the initial rate is unscaled (dYdX `open_interest_lower_cap`).
    pub open_interest_lower_cap: f64,
    /// Open interest (USD) at which the initial rate reaches 1 (dYdX `open_interest_upper_cap`);
    /// 0 = the open-interest IMF is off (dYdX's convention, and the default). In between the
    /// initial rate rises linearly: rate + (oi − lower)/(upper − lower)·(1 − rate). The
    /// maintenance rate is unchanged ("the MMF does not change", dydx-v4.md §2.1).
    pub open_interest_upper_cap: f64,
}

impl FuturesRule {
    /// A Deribit linear-increment rule with every optional mechanism off.
    pub fn deribit(im_base: f64, im_increment: f64, mm_base: f64, mm_increment: f64) -> Self {
        FuturesRule {
            im_base,
            im_increment,
            mm_base,
            mm_increment,
            ..FuturesRule::default()
        }
    }
}

impl Default for FuturesRule {
    /// Deribit BTC (deribit.md §1.2): IM 2 % + 0.005 %·N, MM 1 % + 0.005 %·N; no tiers, no √size
    /// premium, no open-interest IMF.
    fn default() -> Self {
        FuturesRule {
            im_base: 0.02,
            im_increment: 0.000_05,
            mm_base: 0.01,
            mm_increment: 0.000_05,
            imf_factor: 0.0,
            imf_base_weight: 0.8,
            tiers: Vec::new(),
            tier_maintenance_fraction: 0.5,
            open_interest: 0.0,
            open_interest_lower_cap: 0.0,
            open_interest_upper_cap: 0.0,
        }
    }
}

/// Deribit standard margin of short options, per unit of underlying, U = index price,
/// OTM = call max(K − U, 0), put max(U − K, 0), mark = the option's USD value per unit
/// (deribit.md §2.1–2.2; [3rd-party] tslab and bit.com copies of Deribit's rules):
///
/// - short call: IM = max(initial·U − OTM, initialFloor·U) + mark; MM = maintenance·U + mark;
/// - short put: MM = max(maintenance·U, maintenance·mark) + mark;
///   IM = max(max(initial·U − OTM, initialFloor·U) + mark, MM).
///
/// A short call's IM is also floored at its MM (a no-op with the defaults, where
/// initialFloor ≥ maintenance). Deribit computes inverse options in coin
/// (IM = max(0.15 − OTM/U, 0.10) + mark_coin); times U that is this USD formula with the coin
/// mark converted at the index, so linear and inverse options share it.
///
/// With `shortFormula: "paradex"` (Paradex cross margin, docs/venues/paradex.md §3) a short
/// unit's requirement holds no mark (Paradex counts the option's value in account value only)
/// and its maintenance is reduced by the OTM amount like its initial:
///
/// - IM = max(initial·U − OTM, initialFloor·U), MM = max(maintenance·U − OTM, maintenanceFloor·U);
/// - a short put's IM is at most `putCapInitial`·K and its MM at most `putCapMaintenance`·K
///   (Paradex's short put cap, × strike), where given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OptionRule {
    /// Out-of-the-money-reduced initial fraction of U: 0.15.
    pub initial: f64,
    /// Floor of the initial fraction of U: 0.10.
    pub initial_floor: f64,
    /// Maintenance fraction of U (and of the mark for puts): 0.075.
    pub maintenance: f64,
    /// Which short-option formula (see the type): `"deribit"` (default) or `"paradex"`.
    #[serde(skip_serializing_if = "ShortOptionFormula::is_deribit")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub short_formula: ShortOptionFormula,
    /// `"paradex"` only: floor of the maintenance fraction of U (Paradex's short OTM fraction at
    /// MM, 0.05), in [0, `initialFloor`]. Default 0.
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub maintenance_floor: f64,
    /// `"paradex"` only: a short put's IM is at most this × strike (Paradex's short put cap at
    /// IM, 0.5). Absent: no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub put_cap_initial: Option<f64>,
    /// `"paradex"` only: likewise at MM (0.25 for dated options, 0.5 on the perpetual-options
    /// page); required (and ≤ `putCapInitial`) when `putCapInitial` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub put_cap_maintenance: Option<f64>,
    /// A short put's IM is at least this multiple of its MM (Derive SRM `mmOffsetScale` 1.05;
    /// default 1: IM ≥ MM).
    #[serde(skip_serializing_if = "is_one")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mm_offset_scale: f64,
    /// Fraction of a long option's value (mark × amount, USD) charged at IM, in [0, 1]: the part
    /// of its value that cannot margin anything else. Default 1: a premium is funded by free
    /// collateral, never by the option it buys (Deribit: "margin sharing does not apply to long
    /// option positions", deribit.md §2.1; Paradex's premium multiplier, paradex.md §3).
    pub long_initial: f64,
    /// Likewise at MM, in [0, `longInitial`]. Default 0: once held, a long option's value counts
    /// against liquidation. `deribit-standard`: 1; Paradex: 0.5.
    pub long_maintenance: f64,
    /// Paradex's long ITM fraction at IM: a long option's IM charge per unit is
    /// min(`longInitial` × mark, this × index). Absent: no cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub long_initial_cap: Option<f64>,
    /// Likewise at MM; required (and ≤ `longInitialCap`) when `longInitialCap` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub long_maintenance_cap: Option<f64>,
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// An optional cap at IM with its MM counterpart (fractions): both absent, or the IM cap in
/// [0, 1] and the MM cap given and in [0, IM cap] (an uncapped IM could be below a capped MM).
fn check_cap_pair(
    (initial, initial_name): (Option<f64>, &str),
    (maintenance, maintenance_name): (Option<f64>, &str),
) -> Result<()> {
    match (initial, maintenance) {
        (None, None) => Ok(()),
        (Some(initial), maintenance) => {
            check(
                finite_in(initial, 0.0, 1.0),
                initial_name,
                "must be in [0, 1]",
            )?;
            if maintenance.is_some_and(|m| finite_in(m, 0.0, initial)) {
                Ok(())
            } else {
                Err(Error::invalid(
                    maintenance_name,
                    format!("must be given with {initial_name}, in [0, {initial_name}]"),
                ))
            }
        }
        (None, Some(_)) => Err(Error::invalid(
            maintenance_name,
            format!("needs {initial_name} (an uncapped IM could be below a capped MM)"),
        )),
    }
}

/// The short-option formula of an [`OptionRule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum ShortOptionFormula {
    /// Deribit standard margin: the mark added to the requirement, MM not reduced by OTM.
    #[default]
    Deribit,
    /// Paradex cross margin: no mark in the requirement, MM reduced by OTM, short put cap.
    Paradex,
}

impl ShortOptionFormula {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
    fn is_deribit(&self) -> bool {
        *self == ShortOptionFormula::Deribit
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_false(x: &bool) -> bool {
    !*x
}

impl Default for OptionRule {
    fn default() -> Self {
        OptionRule {
            initial: 0.15,
            initial_floor: 0.10,
            maintenance: 0.075,
            short_formula: ShortOptionFormula::Deribit,
            maintenance_floor: 0.0,
            put_cap_initial: None,
            put_cap_maintenance: None,
            mm_offset_scale: 1.0,
            long_initial: 1.0,
            long_maintenance: 0.0,
            long_initial_cap: None,
            long_maintenance_cap: None,
        }
    }
}

/// Over what the futures size N of a rate is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum SizeAggregation {
    /// Gross coin size of all futures and perpetuals on the underlying (default, splitting-invariant).
    Underlying,
    /// Each position's own size (Deribit's per-position reading; splitting lowers the total).
    Position,
}

/// Parameters of the standard margin model. Every field is optional in JSON; a map given
/// (`futures`) replaces the default map entirely, and an entry given partially takes the
/// remaining fields from [`FuturesRule::default`] (Deribit BTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StandardParams {
    /// Futures/perpetual rules per underlying symbol. Defaults (deribit.md §1.2): BTC
    /// 0.02/0.00005, 0.01/0.00005; ETH 0.02/0.000004, 0.01/0.000004; SOL 0.04/0.000005,
    /// 0.02/0.000005 (SOL_USDC, official Linear-Perpetual page).
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, FuturesRule>"))]
    pub futures: VecMap<String, FuturesRule>,
    /// The rule of an underlying not in `futures` (default: like BTC).
    pub default_futures: FuturesRule,
    /// Whether N is aggregated per underlying (default) or taken per position.
    pub size_aggregation: SizeAggregation,
    /// Short-option rule (all underlyings).
    pub options: OptionRule,
    /// Defined-risk relief for options of one underlying and expiry (our extension; default true).
    /// false reproduces Deribit's standard margin, which sums legs without offsets.
    pub spread_relief: bool,
    /// A future's or perpetual's notional is its coin size × its mark (the market's listed mark
    /// for the instrument, else the index for a perpetual and the forward for a future) instead
    /// of × the index (default false; Paradex and Hyperliquid price margin at the mark; Derive's
    /// `derive.perpNotionalAtMark` is the same switch); leverage tiers are then found by the
    /// notional at the mark too.
    #[serde(skip_serializing_if = "is_false")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub notional_at_mark: bool,
    /// Derive SRM `unpairedIMScale` (1.2): with it > 0, a group with net short calls gets relief
    /// too, its max loss (payoff at 0 and at every strike) raised by this × forward × net short
    /// calls. 0 (default): such a group is unbounded and gets no relief.
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub unpaired_call_initial_scale: f64,
    /// Derive SRM `unpairedMMScale` (1.1), likewise for maintenance.
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub unpaired_call_maintenance_scale: f64,
    /// Derive SRM: options carry no collateral value and a short's mark counts once. Each
    /// option's value (mark × amount: longs +, shorts −), which equity already holds, is added
    /// to its requirement, so equity − requirement is Derive's net margin (derive.md §1.1).
    #[serde(skip_serializing_if = "is_false")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub option_value_in_requirement: bool,
    /// Derive Standard Manager: perp notional at the mark, oracle-confidence contingencies and
    /// the USDC depeg penalty ([`DeriveStandardParams`]; absent = none of these, the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub derive: Option<DeriveStandardParams>,
}

impl Default for StandardParams {
    fn default() -> Self {
        StandardParams {
            futures: VecMap::from([
                (
                    "BTC".to_string(),
                    FuturesRule::deribit(0.02, 0.000_05, 0.01, 0.000_05),
                ),
                (
                    "ETH".to_string(),
                    FuturesRule::deribit(0.02, 0.000_004, 0.01, 0.000_004),
                ),
                (
                    "SOL".to_string(),
                    FuturesRule::deribit(0.04, 0.000_005, 0.02, 0.000_005),
                ),
            ]),
            default_futures: FuturesRule::default(),
            size_aggregation: SizeAggregation::Underlying,
            options: OptionRule::default(),
            spread_relief: true,
            notional_at_mark: false,
            unpaired_call_initial_scale: 0.0,
            unpaired_call_maintenance_scale: 0.0,
            option_value_in_requirement: false,
            derive: None,
        }
    }
}

impl FuturesRule {
    /// Checks every field, naming it as `{at}.{field}`.
    /// `at` names the rule (`futures.BTC`); field paths are formatted only when something is
    /// rejected (the margin pipeline validates every rule on every computation).
    fn validate(&self, at: &dyn Fn() -> String) -> Result<()> {
        let f = |name: &str| format!("{}.{name}", at());
        check_lazy(
            finite_in(self.im_base, 0.0, 1.0),
            || f("imBase"),
            "must be in [0, 1]",
        )?;
        check_lazy(
            finite_in(self.mm_base, 0.0, self.im_base),
            || f("mmBase"),
            "must be in [0, imBase]",
        )?;
        check_lazy(
            finite_in(self.im_increment, 0.0, 1.0),
            || f("imIncrement"),
            "must be in [0, 1] per coin",
        )?;
        check_lazy(
            finite_in(self.mm_increment, 0.0, self.im_increment),
            || f("mmIncrement"),
            "must be in [0, imIncrement]",
        )?;
        check_lazy(
            finite_in(self.imf_factor, 0.0, 1.0),
            || f("imfFactor"),
            "must be in [0, 1]",
        )?;
        check_lazy(
            finite_in(self.imf_base_weight, 0.0, 1.0),
            || f("imfBaseWeight"),
            "must be in [0, 1]",
        )?;
        check_lazy(
            finite_in(self.tier_maintenance_fraction, 0.0, 1.0),
            || f("tierMaintenanceFraction"),
            "must be in [0, 1]",
        )?;
        let mut previous: Option<&LeverageTier> = None;
        for (i, tier) in self.tiers.iter().enumerate() {
            let t = |name: &str| f(&format!("tiers[{i}].{name}"));
            match previous {
                None => check_lazy(
                    tier.notional == 0.0,
                    || t("notional"),
                    "the first tier must start at 0",
                )?,
                Some(p) => check_lazy(
                    tier.notional.is_finite() && tier.notional > p.notional,
                    || t("notional"),
                    "must be finite and above the previous tier's",
                )?,
            }
            let highest = previous.map_or(1e6, |p| p.max_leverage);
            check_lazy(
                finite_in(tier.max_leverage, 1.0, highest),
                || t("maxLeverage"),
                "must be in [1, previous tier's maxLeverage] (1e6 for the first)",
            )?;
            previous = Some(tier);
        }
        check_lazy(
            finite_in(self.open_interest, 0.0, f64::MAX),
            || f("openInterest"),
            "must be a finite USD amount ≥ 0",
        )?;
        check_lazy(
            finite_in(self.open_interest_upper_cap, 0.0, f64::MAX),
            || f("openInterestUpperCap"),
            "must be a finite USD amount ≥ 0",
        )?;
        check_lazy(
            finite_in(
                self.open_interest_lower_cap,
                0.0,
                self.open_interest_upper_cap,
            ),
            || f("openInterestLowerCap"),
            "must be in [0, openInterestUpperCap]",
        )
    }

    /// (initial, maintenance) rates for a size of `n` coins at index price `index`, with the
    /// parameters' open interest.
    #[cfg(test)]
    fn rates(&self, n: f64, index: f64) -> (f64, f64) {
        self.rates_at(n, index, self.open_interest)
    }

    /// (initial, maintenance) rates for a size of `n` coins at index price `index` and market
    /// open interest `open_interest` (USD).
    fn rates_at(&self, n: f64, index: f64, open_interest: f64) -> (f64, f64) {
        let mut im = self.im_base + self.im_increment * n;
        let mut mm = self.mm_base + self.mm_increment * n;
        if self.imf_factor > 0.0 {
            let premium = self.imf_factor * n.sqrt();
            im = max(im, self.imf_base_weight * im + premium);
            mm = max(mm, self.imf_base_weight * mm + premium);
        }
        let notional = n * index;
        if notional > 0.0 {
            if let Some((tier_im, tier_mm)) = self.tier_requirement(notional) {
                im = max(im, tier_im / notional);
                mm = max(mm, tier_mm / notional);
            }
        }
        let scaling = self.open_interest_scaling(open_interest);
        if scaling > 0.0 {
            im = max(im, im + scaling * (1.0 - im));
        }
        (im, mm)
    }

    /// Hyperliquid tier (initial, maintenance) requirement at `notional`, None without tiers.
    fn tier_requirement(&self, notional: f64) -> Option<(f64, f64)> {
        if self.tiers.is_empty() {
            return None;
        }
        let (mut rate, mut deduction) = (0.0, 0.0);
        for tier in self.tiers.iter().take_while(|t| t.notional <= notional) {
            let r = 1.0 / tier.max_leverage;
            deduction += tier.notional * (r - rate);
            rate = r;
        }
        let initial = notional * rate - deduction;
        Some((initial, self.tier_maintenance_fraction * initial))
    }

    /// dYdX open-interest scaling in [0, 1] (dydx-v4.md §3 branching: upper cap 0 = off,
    /// oi ≤ lower → 0, oi ≥ upper → 1, linear in between).
    fn open_interest_scaling(&self, open_interest: f64) -> f64 {
        let (oi, lower, upper) = (
            open_interest,
            self.open_interest_lower_cap,
            self.open_interest_upper_cap,
        );
        if upper <= 0.0 || oi <= lower {
            0.0
        } else if oi >= upper {
            1.0
        } else {
            (oi - lower) / (upper - lower)
        }
    }
}

impl OptionRule {
    fn validate(&self) -> Result<()> {
        for (value, name) in [
            (self.initial, "options.initial"),
            (self.initial_floor, "options.initialFloor"),
            (self.maintenance, "options.maintenance"),
        ] {
            check(finite_in(value, 0.0, 1.0), name, "must be in [0, 1]")?;
        }
        check(
            finite_in(self.mm_offset_scale, 1.0, 3.0),
            "options.mmOffsetScale",
            "must be in [1, 3]",
        )?;
        check(
            finite_in(self.long_initial, 0.0, 1.0),
            "options.longInitial",
            "must be in [0, 1]",
        )?;
        check(
            finite_in(self.long_maintenance, 0.0, self.long_initial),
            "options.longMaintenance",
            "must be in [0, options.longInitial]",
        )?;
        self.validate_paradex()?;
        check_cap_pair(
            (self.long_initial_cap, "options.longInitialCap"),
            (self.long_maintenance_cap, "options.longMaintenanceCap"),
        )
    }

    /// The `"paradex"` formula's fields: in their domains, and only with that formula (a
    /// `maintenanceFloor` or put cap given to the Deribit formula would be silently ignored).
    fn validate_paradex(&self) -> Result<()> {
        let paradex = self.short_formula == ShortOptionFormula::Paradex;
        for (given, name) in [
            (self.maintenance_floor != 0.0, "options.maintenanceFloor"),
            (self.put_cap_initial.is_some(), "options.putCapInitial"),
            (
                self.put_cap_maintenance.is_some(),
                "options.putCapMaintenance",
            ),
        ] {
            check(
                paradex || !given,
                name,
                "applies only with options.shortFormula \"paradex\"",
            )?;
        }
        if !paradex {
            return Ok(());
        }
        check(
            self.maintenance <= self.initial,
            "options.maintenance",
            "must be ≤ options.initial with shortFormula \"paradex\" (so that MM ≤ IM)",
        )?;
        check(
            finite_in(self.maintenance_floor, 0.0, self.initial_floor),
            "options.maintenanceFloor",
            "must be in [0, options.initialFloor]",
        )?;
        check_cap_pair(
            (self.put_cap_initial, "options.putCapInitial"),
            (self.put_cap_maintenance, "options.putCapMaintenance"),
        )
    }

    /// (initial, maintenance) of one short unit with strike `strike`, index `index` and USD mark
    /// `mark` per unit (see the type's documentation).
    fn short_per_unit(&self, kind: OptionKind, strike: f64, index: f64, mark: f64) -> (f64, f64) {
        let otm = match kind {
            OptionKind::Call => max(strike - index, 0.0),
            OptionKind::Put => max(index - strike, 0.0),
        };
        let risk = max(self.initial * index - otm, self.initial_floor * index);
        if self.short_formula == ShortOptionFormula::Paradex {
            let maintenance = max(
                self.maintenance * index - otm,
                self.maintenance_floor * index,
            );
            let (initial, maintenance) =
                match (kind, self.put_cap_initial, self.put_cap_maintenance) {
                    (OptionKind::Put, Some(cap_initial), Some(cap_maintenance)) => (
                        min(risk, cap_initial * strike),
                        min(maintenance, cap_maintenance * strike),
                    ),
                    _ => (risk, maintenance),
                };
            let floor = match kind {
                OptionKind::Call => maintenance,
                OptionKind::Put => self.mm_offset_scale * maintenance,
            };
            return (max(initial, floor), maintenance);
        }
        let maintenance = match kind {
            OptionKind::Call => self.maintenance * index + mark,
            OptionKind::Put => max(self.maintenance * index, self.maintenance * mark) + mark,
        };
        let floor = match kind {
            OptionKind::Call => maintenance,
            OptionKind::Put => self.mm_offset_scale * maintenance,
        };
        (max(risk + mark, floor), maintenance)
    }

    /// (initial, maintenance) charge of one long unit with USD mark `mark` per unit at index
    /// `index` (see `longInitial`).
    fn long_per_unit(&self, index: f64, mark: f64) -> (f64, f64) {
        let mark = max(mark, 0.0);
        let capped = |fraction: f64, cap: Option<f64>| match cap {
            Some(cap) => min(fraction * mark, cap * index),
            None => fraction * mark,
        };
        (
            capped(self.long_initial, self.long_initial_cap),
            capped(self.long_maintenance, self.long_maintenance_cap),
        )
    }

    /// Whether long options carry a charge (and so need their value).
    fn charges_longs(&self) -> bool {
        self.long_initial > 0.0 || self.long_maintenance > 0.0
    }
}

impl StandardParams {
    /// Checks every field's domain, naming it (`futures.BTC.imBase`, `options.initialFloor`).
    pub fn validate(&self) -> Result<()> {
        check(
            !(self.option_value_in_requirement && self.options.charges_longs()),
            "options.longInitial",
            "must be 0 with optionValueInRequirement (which already charges every option's value)",
        )?;
        for (name, rule) in &self.futures {
            rule.validate(&|| format!("futures.{name}"))?;
        }
        self.default_futures
            .validate(&|| "defaultFutures".to_string())?;
        for (value, name) in [
            (self.unpaired_call_initial_scale, "unpairedCallInitialScale"),
            (
                self.unpaired_call_maintenance_scale,
                "unpairedCallMaintenanceScale",
            ),
        ] {
            check(finite_in(value, 0.0, 3.0), name, "must be in [0, 3]")?;
        }
        if let Some(derive) = &self.derive {
            derive.validate("derive")?;
        }
        self.options.validate()
    }

    fn futures_rule(&self, underlying: &str) -> &FuturesRule {
        self.futures
            .get(underlying)
            .unwrap_or(&self.default_futures)
    }
}

/// The standard requirement of one position (USD, before spread relief).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct PositionRequirement {
    /// Index of the position in the input.
    pub position: usize,
    /// Canonical instrument id.
    pub instrument: String,
    /// Initial requirement (USD).
    pub initial: f64,
    /// Maintenance requirement (USD).
    pub maintenance: f64,
}

/// The standard requirements of a set of positions (USD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct StandardResult {
    /// Per position, in input order, before spread relief.
    pub positions: Vec<PositionRequirement>,
    /// Initial requirement relieved because option groups cannot lose that much (≥ 0).
    pub spread_relief_initial: f64,
    /// Maintenance requirement relieved likewise (≥ 0).
    pub spread_relief_maintenance: f64,
    /// Σ positions' initial − spreadReliefInitial, never negative.
    pub initial: f64,
    /// Σ positions' maintenance − spreadReliefMaintenance, never negative.
    pub maintenance: f64,
}

/// One leg of an option group: its payoff at expiry is amount·intrinsic(S_T) in USD.
#[derive(Debug, Clone, Copy)]
struct Leg {
    kind: OptionKind,
    strike: f64,
    amount: f64,
}

/// Options of one underlying and expiry with their summed requirements.
#[derive(Debug, Default)]
struct Group {
    legs: Vec<Leg>,
    initial: f64,
    maintenance: f64,
    /// The legs' summed value (USD, longs +, shorts −) when long options are charged, else 0.
    value: f64,
    /// The expiry's forward (for the unpaired-call term).
    forward: f64,
}

/// Relative tolerance on the net call amount beyond the highest strike: sums of amounts such as
/// −0.1 − 0.2 + 0.3 leave a rounding residue that must not be read as a net short call.
const SLOPE_TOLERANCE: f64 = 1e-9;

/// The worst loss at expiry of `legs` in USD, max(0, −min over S_T of Σ amount·payoff(S_T)),
/// or None if it is unbounded (net short calls: the payoff falls without limit as S_T rises).
///
/// The payoff is piecewise linear in S_T with kinks at the strikes, so its minimum over [0, ∞)
/// is at S_T = 0, at a strike, or at infinity when the slope beyond the highest strike (the net
/// call amount) is negative.
fn max_loss_at_expiry(legs: &[Leg]) -> Option<f64> {
    let (net_calls, gross_calls) = legs
        .iter()
        .filter(|l| l.kind == OptionKind::Call)
        .fold((0.0, 0.0), |(net, gross), l| {
            (net + l.amount, gross + l.amount.abs())
        });
    if net_calls < -SLOPE_TOLERANCE * gross_calls {
        return None;
    }
    let payoff = |s: f64| -> f64 {
        legs.iter()
            .map(|l| {
                let intrinsic = match l.kind {
                    OptionKind::Call => max(s - l.strike, 0.0),
                    OptionKind::Put => max(l.strike - s, 0.0),
                };
                l.amount * intrinsic
            })
            .sum()
    };
    let worst = distinct_strikes(legs)
        .into_iter()
        .fold(payoff(0.0), |worst, strike| min(worst, payoff(strike)));
    Some(max(0.0, -worst))
}

/// The legs' strikes, each once, in order of appearance. The payoff is evaluated at each strike
/// once: legs share strikes (the 500-leg bench book has 32 strikes per expiry), and `min` is
/// commutative, associative and idempotent (also on signed zeros, see `math::min`), so the
/// minimum over the distinct strikes is bit for bit the minimum over every leg's strike.
fn distinct_strikes(legs: &[Leg]) -> Vec<f64> {
    let mut strikes = Vec::new();
    for leg in legs {
        if !strikes.contains(&leg.strike) {
            strikes.push(leg.strike);
        }
    }
    strikes
}

/// Derive SRM's max loss of `legs` (derive.md §1.4): the worst payoff at 0 and at every strike
/// (≥ 0 as a loss), plus `scale`·`forward`·(net short calls) when the calls are net short.
fn max_loss_with_unpaired_calls(legs: &[Leg], forward: f64, scale: f64) -> f64 {
    let net_calls: f64 = legs
        .iter()
        .filter(|l| l.kind == OptionKind::Call)
        .map(|l| l.amount)
        .sum();
    let payoff = |s: f64| -> f64 {
        legs.iter()
            .map(|l| {
                let intrinsic = match l.kind {
                    OptionKind::Call => max(s - l.strike, 0.0),
                    OptionKind::Put => max(l.strike - s, 0.0),
                };
                l.amount * intrinsic
            })
            .sum()
    };
    let worst = distinct_strikes(legs)
        .into_iter()
        .fold(min(payoff(0.0), 0.0), |worst, strike| {
            min(worst, payoff(strike))
        });
    -worst + scale * forward * max(-net_calls, 0.0)
}

/// Standard initial and maintenance requirements of `positions` in USD (see the module
/// documentation). `position` in each [`PositionRequirement`] is the index into `positions`.
///
/// Errors: invalid `params` (`E_INVALID_INPUT` naming the parameter), a non-finite amount
/// (`positions[i].amount`), an underlying without market data (`E_MISSING_MARKET_DATA`,
/// `underlyings.X`), and a short option that cannot be valued (no volatility: missing market
/// data; expired: `positions[i].expiry`).
pub fn standard_requirements(
    market: &Market,
    positions: &[Position],
    params: &StandardParams,
) -> Result<StandardResult> {
    params.validate()?;
    standard_requirements_checked(market, positions, params, None, true)
}

/// [`standard_requirements`] for parameters that passed `params.validate()` (the caller names a
/// failing field with its own prefix). `values`: each position's unshocked USD value
/// (`value_position(…, Shock::NONE).usd`, in input order) if the caller has it (the margin
/// report values every position first), so options are not valued twice; `None`: value them
/// here. `ids`: whether each [`PositionRequirement`] carries its instrument id (empty otherwise).
pub(crate) fn standard_requirements_checked(
    market: &Market,
    positions: &[Position],
    params: &StandardParams,
    values: Option<&[f64]>,
    ids: bool,
) -> Result<StandardResult> {
    if values.is_some_and(|v| v.len() != positions.len()) {
        return Err(Error::invalid(
            "positions",
            "one unshocked value per position is needed",
        ));
    }
    // Pass 1: check inputs and aggregate the futures coin size per underlying.
    let mut coin_sizes = Vec::with_capacity(positions.len());
    let mut aggregate: VecMap<&str, f64> = VecMap::new();
    for (i, position) in positions.iter().enumerate() {
        if !position.amount.is_finite() {
            return Err(Error::invalid(
                format!("positions[{i}].amount"),
                format!(
                    "must be finite, got {}",
                    crate::numfmt::Shortest(position.amount)
                ),
            ));
        }
        let instrument = &position.instrument;
        let index = market.underlying(&instrument.underlying)?.spot();
        let coins = match (instrument.contract, instrument.settlement) {
            (ContractKind::Option { .. }, _) => 0.0,
            (_, Settlement::Linear) => position.amount.abs(),
            (_, Settlement::Inverse) => position.amount.abs() / index,
        };
        coin_sizes.push(coins);
        if coins > 0.0 {
            *aggregate.slot(instrument.underlying.as_str(), || 0.0) += coins;
        }
    }
    // Pass 2: per-position requirements; options also go into their (underlying, expiry) group.
    let mut requirements = Vec::with_capacity(positions.len());
    let mut groups: VecMap<(&str, Millis), Group> = VecMap::new();
    for ((i, position), coins) in positions.iter().enumerate().zip(coin_sizes) {
        let instrument = &position.instrument;
        let index = market.underlying(&instrument.underlying)?.spot();
        let (initial, maintenance) = match instrument.contract {
            ContractKind::Perpetual | ContractKind::Future { .. } => {
                let n = match params.size_aggregation {
                    SizeAggregation::Underlying => aggregate
                        .get(instrument.underlying.as_str())
                        .copied()
                        .unwrap_or(coins),
                    SizeAggregation::Position => coins,
                };
                let rule = params.futures_rule(&instrument.underlying);
                let open_interest = market
                    .underlying(&instrument.underlying)?
                    .open_interest()
                    .unwrap_or(rule.open_interest);
                let price = if params.notional_at_mark
                    || params.derive.is_some_and(|d| d.perp_notional_at_mark)
                {
                    reference_mark(position, market)
                        .map_err(|e| e.within(&format!("positions[{i}]")))?
                } else {
                    index
                };
                // Leverage tiers by the notional at the same price.
                let (im_rate, mm_rate) = rule.rates_at(n, price, open_interest);
                let notional = coins * price;
                (notional * im_rate, notional * mm_rate)
            }
            ContractKind::Option {
                expiry,
                strike,
                option_kind,
            } => {
                let amount = position.amount;
                // Shorts need their mark; in Derive's mode every option's value joins its
                // requirement (see `optionValueInRequirement`).
                let needs_value = amount < 0.0
                    || (amount > 0.0 && params.options.charges_longs())
                    || (params.option_value_in_requirement && amount != 0.0);
                let value = if !needs_value {
                    0.0
                } else if let Some(&value) = values.and_then(|v| v.get(i)) {
                    value
                } else {
                    value_position(position, market, &Shock::NONE)
                        .map_err(|e| {
                            if e.code() == "E_MISSING_MARKET_DATA" {
                                e
                            } else {
                                e.within(&format!("positions[{i}]"))
                            }
                        })?
                        .usd
                };
                let own_value = if params.option_value_in_requirement {
                    value
                } else {
                    0.0
                };
                let requirement = if amount < 0.0 {
                    let mark = value / amount;
                    let (im, mm) = params
                        .options
                        .short_per_unit(option_kind, strike, index, mark);
                    (im * -amount, mm * -amount)
                } else {
                    (0.0, 0.0)
                };
                let long_charge = if amount > 0.0 && params.options.charges_longs() {
                    let (im, mm) = params.options.long_per_unit(index, value / amount);
                    (im * amount, mm * amount)
                } else {
                    (0.0, 0.0)
                };
                if amount != 0.0 {
                    let group =
                        groups.slot((instrument.underlying.as_str(), expiry), Group::default);
                    group.legs.push(Leg {
                        kind: option_kind,
                        strike,
                        amount,
                    });
                    group.initial += requirement.0 + long_charge.0;
                    group.maintenance += requirement.1 + long_charge.1;
                    if params.options.charges_longs() {
                        group.value += value;
                    }
                    if params.unpaired_call_initial_scale > 0.0
                        || params.unpaired_call_maintenance_scale > 0.0
                    {
                        let underlying = market.underlying(&instrument.underlying)?;
                        let t = market.time_to(expiry)?.get();
                        group.forward = underlying.forward_at(index, t);
                    }
                }
                (
                    requirement.0 + long_charge.0 + own_value,
                    requirement.1 + long_charge.1 + own_value,
                )
            }
        };
        requirements.push(PositionRequirement {
            position: i,
            instrument: if ids {
                position.id.clone()
            } else {
                String::new()
            },
            initial,
            maintenance,
        });
    }
    let (mut relief_initial, mut relief_maintenance) = (0.0, 0.0);
    if params.spread_relief {
        for group in groups.values() {
            let (initial_loss, maintenance_loss) = if params.unpaired_call_initial_scale > 0.0
                || params.unpaired_call_maintenance_scale > 0.0
            {
                (
                    Some(max_loss_with_unpaired_calls(
                        &group.legs,
                        group.forward,
                        params.unpaired_call_initial_scale,
                    )),
                    Some(max_loss_with_unpaired_calls(
                        &group.legs,
                        group.forward,
                        params.unpaired_call_maintenance_scale,
                    )),
                )
            } else {
                let loss = max_loss_at_expiry(&group.legs);
                (loss, loss)
            };
            // A group worth more than nothing keeps the charged part of its net premium: a
            // debit spread's net debit is funded like a long's premium, never relieved.
            let net_premium = max(group.value, 0.0);
            if let Some(loss) = initial_loss {
                let cap = loss + params.options.long_initial * net_premium;
                relief_initial += max(group.initial - cap, 0.0);
            }
            if let Some(loss) = maintenance_loss {
                let cap = loss + params.options.long_maintenance * net_premium;
                relief_maintenance += max(group.maintenance - cap, 0.0);
            }
        }
    }
    let sum_initial: f64 = requirements.iter().map(|r| r.initial).sum();
    let sum_maintenance: f64 = requirements.iter().map(|r| r.maintenance).sum();
    Ok(StandardResult {
        positions: requirements,
        spread_relief_initial: relief_initial,
        spread_relief_maintenance: relief_maintenance,
        initial: max(sum_initial - relief_initial, 0.0),
        maintenance: max(sum_maintenance - relief_maintenance, 0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_loss_over_distinct_strikes_equals_every_legs_strike() {
        // A property: evaluating the payoff once per distinct strike gives the bits of the
        // minimum over every leg's strike (the definition), here on legs that repeat strikes,
        // with amounts whose sums round and a payoff that is exactly 0 at some strikes.
        let brute = |legs: &[Leg], floor: f64| {
            let payoff = |s: f64| -> f64 {
                legs.iter()
                    .map(|l| {
                        let intrinsic = match l.kind {
                            OptionKind::Call => max(s - l.strike, 0.0),
                            OptionKind::Put => max(l.strike - s, 0.0),
                        };
                        l.amount * intrinsic
                    })
                    .sum()
            };
            legs.iter()
                .fold(min(payoff(0.0), floor), |w, l| min(w, payoff(l.strike)))
        };
        let mut seed = 7_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for case in 0..200 {
            let legs: Vec<Leg> = (0..(2 + case % 40))
                .map(|_| Leg {
                    kind: if next() < 0.5 {
                        OptionKind::Call
                    } else {
                        OptionKind::Put
                    },
                    strike: 1000.0 * (1.0 + (next() * 6.0).floor()),
                    amount: ((next() - 0.5) * 40.0).round() / 10.0,
                })
                .collect();
            let worst = brute(&legs, f64::INFINITY);
            let expected = (legs
                .iter()
                .filter(|l| l.kind == OptionKind::Call)
                .map(|l| l.amount)
                .sum::<f64>()
                >= -SLOPE_TOLERANCE
                    * legs
                        .iter()
                        .filter(|l| l.kind == OptionKind::Call)
                        .map(|l| l.amount.abs())
                        .sum::<f64>())
            .then(|| max(0.0, -worst));
            assert_eq!(
                max_loss_at_expiry(&legs).map(f64::to_bits),
                expected.map(f64::to_bits),
                "{legs:?}"
            );
            let unpaired = max_loss_with_unpaired_calls(&legs, 1500.0, 1.2);
            let net_calls: f64 = legs
                .iter()
                .filter(|l| l.kind == OptionKind::Call)
                .map(|l| l.amount)
                .sum();
            let expected = -brute(&legs, 0.0) + 1.2 * 1500.0 * max(-net_calls, 0.0);
            assert_eq!(unpaired.to_bits(), expected.to_bits(), "{legs:?}");
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * crate::math::max(b.abs(), 1.0)
    }

    #[test]
    fn short_option_formulas_on_the_self_computed_cases() {
        // deribit.md §2.3: derived by hand from the published formula (NOT venue data), U = 100,000,
        // coin marks converted at U (0.02 BTC = 2,000 USD).
        let rule = OptionRule::default();
        let u = 100_000.0;
        // Short call K = 110,000, mark 0.02: IM 0.12 BTC, MM 0.095 BTC.
        let (im, mm) = rule.short_per_unit(OptionKind::Call, 110_000.0, u, 2_000.0);
        assert!(close(im, 12_000.0) && close(mm, 9_500.0), "{im} {mm}");
        // Short put K = 90,000, mark 0.01: MM 0.085, IM max(0.11, 0.085) = 0.11.
        let (im, mm) = rule.short_per_unit(OptionKind::Put, 90_000.0, u, 1_000.0);
        assert!(close(im, 11_000.0) && close(mm, 8_500.0), "{im} {mm}");
        // Short put K = 110,000 (ITM), mark 0.12: IM 0.15 + 0.12 = 0.27, MM 0.075 + 0.12 = 0.195.
        let (im, mm) = rule.short_per_unit(OptionKind::Put, 110_000.0, u, 12_000.0);
        assert!(close(im, 27_000.0) && close(mm, 19_500.0), "{im} {mm}");
        // Deep ITM put (K > 2U, mark > U): the 0.075·mark branch of the put MM binds.
        let (_, mm) = rule.short_per_unit(OptionKind::Put, 250_000.0, u, 150_000.0);
        assert!(close(mm, 0.075 * 150_000.0 + 150_000.0), "{mm}");
    }

    #[test]
    fn derive_put_offset_and_unpaired_calls() {
        // derive.md §1.3: a short put's IM is at least mmOffsetScale × its MM. Derived from the
        // formula: K 250,000, U 100,000, mark 150,000 → MM 150,000 + 0.075·150,000 = 161,250;
        // max(0.15·U − 0, 0.10·U) + mark = 165,000 < 1.05·161,250 = 169,312.5.
        let rule = OptionRule {
            mm_offset_scale: 1.05,
            ..OptionRule::default()
        };
        let (im, mm) = rule.short_per_unit(OptionKind::Put, 250_000.0, 100_000.0, 150_000.0);
        assert!(close(mm, 161_250.0) && close(im, 169_312.5), "{im} {mm}");
        // derive.md §1.4: −1.01 C1100 + 1 C1200, F 2002.83: worst payoff −101 at 1200 (and
        // beyond), plus 1.1·F·0.01 for the unpaired 0.01 call.
        let legs = [
            Leg {
                kind: OptionKind::Call,
                strike: 1100.0,
                amount: -1.01,
            },
            Leg {
                kind: OptionKind::Call,
                strike: 1200.0,
                amount: 1.0,
            },
        ];
        let loss = max_loss_with_unpaired_calls(&legs, 2002.83, 1.1);
        assert!(close(loss, 101.0 + 1.1 * 2002.83 * 0.01), "{loss}");
        // A long call alone loses nothing.
        assert_eq!(max_loss_with_unpaired_calls(&legs[1..], 2002.83, 1.1), 0.0);
    }

    #[test]
    fn deribit_increment_rates() {
        // deribit.md §1.3 (official Linear-Perpetual page): 25 BTC → IM 2.125 %, MM 1.125 %.
        let (im, mm) = FuturesRule::default().rates(25.0, 100_000.0);
        assert!(close(im, 0.02125) && close(mm, 0.01125), "{im} {mm}");
    }

    #[test]
    fn drift_size_premium() {
        // drift.md §8 C: mr_i 10 %, imf 0.001, |base| 6.147540983: 0.8·0.1 + 0.001·√6.15 ≈ 0.0825
        // does not bind → 10 %.
        let rule = FuturesRule {
            imf_factor: 0.001,
            ..FuturesRule::deribit(0.1, 0.0, 0.05, 0.0)
        };
        let (im, _) = rule.rates(6.147_540_983, 22_050.0);
        assert!(close(im, 0.1), "{im}");
        // Derived: imf 0.01, N = 400 → 0.8·0.1 + 0.01·20 = 0.28 (IM), 0.8·0.05 + 0.2 = 0.24 (MM).
        let rule = FuturesRule {
            imf_factor: 0.01,
            ..rule
        };
        let (im, mm) = rule.rates(400.0, 1.0);
        assert!(close(im, 0.28) && close(mm, 0.24), "{im} {mm}");
    }

    #[test]
    fn hyperliquid_tiers_with_deduction() {
        // hyperliquid.md §4, BTC mainnet: 0–150M 40x, >150M 20x; at 200M notional MM = 3,125,000
        // (derived there), IM = 200M/20 − 150M·(1/20 − 1/40) = 6,250,000.
        let rule = FuturesRule {
            tiers: vec![
                LeverageTier {
                    notional: 0.0,
                    max_leverage: 40.0,
                },
                LeverageTier {
                    notional: 150e6,
                    max_leverage: 20.0,
                },
            ],
            ..FuturesRule::deribit(0.0, 0.0, 0.0, 0.0)
        };
        rule.validate(&|| "r".to_string()).unwrap();
        let (im, mm) = rule.tier_requirement(200e6).unwrap();
        assert!(
            close(im, 6_250_000.0) && close(mm, 3_125_000.0),
            "{im} {mm}"
        );
        // Continuous at the bound: 150M·1/40 from either side.
        let (at, _) = rule.tier_requirement(150e6).unwrap();
        let (below, _) = rule.tier_requirement(150e6 * (1.0 - 1e-15)).unwrap();
        assert!(
            close(at, 3_750_000.0) && (at - below).abs() < 1e-6,
            "{at} {below}"
        );
        // Through `rates`: 2,000 BTC at 100,000 = 200M notional.
        let (im_rate, mm_rate) = rule.rates(2_000.0, 100_000.0);
        assert!(close(im_rate * 200e6, 6_250_000.0) && close(mm_rate * 200e6, 3_125_000.0));
    }

    #[test]
    fn dydx_open_interest_imf() {
        // dydx-v4.md §8 B: IMF 20 %, OI 1.5e12 between caps 1e12 and 2e12 → IMF 60 %; OI at the lower
        // cap → unscaled; beyond the upper cap → 100 %. The maintenance rate never changes.
        let rule = |oi: f64| FuturesRule {
            open_interest: oi,
            open_interest_lower_cap: 1e12,
            open_interest_upper_cap: 2e12,
            ..FuturesRule::deribit(0.2, 0.0, 0.1, 0.0)
        };
        for (oi, expected) in [(1.5e12, 0.6), (1e12, 0.2), (0.0, 0.2), (8e12, 1.0)] {
            let (im, mm) = rule(oi).rates(1.0, 1.0);
            assert!(close(im, expected) && close(mm, 0.1), "{oi}: {im} {mm}");
        }
    }

    #[test]
    fn max_loss_of_option_groups() {
        let call = |strike, amount| Leg {
            kind: OptionKind::Call,
            strike,
            amount,
        };
        let put = |strike, amount| Leg {
            kind: OptionKind::Put,
            strike,
            amount,
        };
        // Bull call spread: payoff never negative.
        assert_eq!(
            max_loss_at_expiry(&[call(100.0, 1.0), call(110.0, -1.0)]),
            Some(0.0)
        );
        // Bear call spread ×2: loses (110 − 100)·2 above 110.
        assert_eq!(
            max_loss_at_expiry(&[call(100.0, -2.0), call(110.0, 2.0)]),
            Some(20.0)
        );
        // A naked short put loses at most its strike.
        assert_eq!(max_loss_at_expiry(&[put(90.0, -1.0)]), Some(90.0));
        // Net short calls: unbounded.
        assert_eq!(
            max_loss_at_expiry(&[call(100.0, 1.0), call(110.0, -2.0)]),
            None
        );
        // Rounding residue of split amounts is not a net short call: −0.1 − 0.2 + 0.3 = −5.6e-17.
        let legs = [call(100.0, -0.1), call(100.0, -0.2), call(120.0, 0.3)];
        assert!(close(max_loss_at_expiry(&legs).unwrap(), 6.0));
        // Iron condor: worst of the two wings.
        let condor = [
            put(80.0, 1.0),
            put(90.0, -1.0),
            call(110.0, -1.0),
            call(125.0, 1.0),
        ];
        assert_eq!(max_loss_at_expiry(&condor), Some(15.0));
    }

    #[test]
    fn params_defaults_overrides_and_errors() {
        let p = StandardParams::default();
        p.validate().unwrap();
        assert!(p.spread_relief);
        let parsed: StandardParams = crate::json::from_str("{}").unwrap();
        assert_eq!(parsed, p);
        let round_trip: StandardParams =
            crate::json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(round_trip, p);
        let partial: StandardParams =
            crate::json::from_str(r#"{"futures": {"DOGE": {"imBase": 0.1}}}"#).unwrap();
        assert_eq!(
            partial.futures.len(),
            1,
            "a given map replaces the default one"
        );
        assert_eq!(partial.futures_rule("DOGE").im_base, 0.1);
        assert_eq!(partial.futures_rule("DOGE").mm_base, 0.01);
        assert_eq!(partial.futures_rule("BTC"), &partial.default_futures);
        let cases = [
            (
                r#"{"futures": {"BTC": {"imBase": -0.1}}}"#,
                "futures.BTC.imBase",
            ),
            (
                r#"{"futures": {"BTC": {"mmBase": 0.5}}}"#,
                "futures.BTC.mmBase",
            ),
            (
                r#"{"defaultFutures": {"mmIncrement": 0.1}}"#,
                "defaultFutures.mmIncrement",
            ),
            (
                r#"{"options": {"initialFloor": 2}}"#,
                "options.initialFloor",
            ),
            (
                r#"{"defaultFutures": {"tiers": [{"notional": 5, "maxLeverage": 10}]}}"#,
                "defaultFutures.tiers[0].notional",
            ),
            (
                r#"{"defaultFutures": {"tiers": [{"notional": 0, "maxLeverage": 10},
                                                  {"notional": 5, "maxLeverage": 20}]}}"#,
                "defaultFutures.tiers[1].maxLeverage",
            ),
            (
                r#"{"defaultFutures": {"openInterestLowerCap": 3, "openInterestUpperCap": 2}}"#,
                "defaultFutures.openInterestLowerCap",
            ),
        ];
        for (json, field) in cases {
            let params: StandardParams = crate::json::from_str(json).unwrap();
            let err = params.validate().unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{json}"
            );
        }
        let err =
            crate::json::from_str::<StandardParams>(r#"{"options": {"floor": 1}}"#).unwrap_err();
        assert_eq!(err.field(), "options.floor");
    }
}
