//! The market "as if" one underlying's index were at another price, everything else held fixed:
//! the shifted market every liquidation, bankruptcy and linear-health computation revalues against.
//!
//! Owns the move rule, applied to the interchange form of the snapshot:
//! - the underlying's index price, its confidence half-width, its forwards, every mark price listed
//!   under it and its order-book price levels are multiplied by the same ratio S′/S (forwards and
//!   marks move proportionally, so basis is held in relative terms);
//! - a collateral asset whose symbol is the underlying's (BTC collateral under a BTC move) moves
//!   too, unless [`LiquidationOptions::move_collateral`] is false;
//! - volatilities follow [`LiquidationOptions::sticky`]: under sticky strike (default) every option
//!   of the account that has no listed mark IV gets its vol pinned at the surface value it has now
//!   (strike K read at the current forward; kept beside the snapshot by expiry and strike, not
//!   written into its `markIv`), so the shifted market values it at today's vol; under
//!   sticky moneyness the surface is left as it is and travels with the forward. Listed mark IVs
//!   are per instrument and stay put under either rule (as in `margin::valuation`);
//! - rates, funding, time, other underlyings, flags and the other collateral prices do not move.
//!
//! Never computes margin itself and never reads the clock.

use crate::error::{Error, Result};
use crate::market::{Market, PinnedVols, StickyRule};
use crate::portfolio::{Account, ContractKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// How the liquidation solver moves the market and where it looks (every field optional in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LiquidationOptions {
    /// How implied volatilities move with the underlying (default `strike`).
    pub sticky: StickyRule,
    /// Whether a collateral asset named like the underlying moves with its index (default true).
    pub move_collateral: bool,
    /// Validity range of the linearised health check, as a relative move of the index (0.1 = ±10 %).
    pub validity_range: f64,
    /// Safety margin of the linearised check as a fraction of the maintenance margin (see
    /// [`super::linear`]).
    pub safety: f64,
    /// Which liquidation prices `what_if` reports before and after the trade (default
    /// `estimate`: the linear estimate, two extra revaluations per underlying).
    pub what_if_prices: PriceDetail,
    /// `max_size`: the order size grid (contracts); the answer is a multiple of it, rounded down.
    pub size_increment: f64,
}

/// How much liquidation-price detail `what_if` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum PriceDetail {
    /// None (fastest).
    None,
    /// The linear estimate (see [`super::linear`]).
    Estimate,
    /// The full solver (≈ 200 revaluations per underlying).
    Exact,
}

impl Default for LiquidationOptions {
    fn default() -> Self {
        LiquidationOptions {
            sticky: StickyRule::Strike,
            move_collateral: true,
            validity_range: 0.1,
            safety: 0.25,
            what_if_prices: PriceDetail::Estimate,
            size_increment: 0.0001,
        }
    }
}

impl LiquidationOptions {
    /// Checks the fields' domains, naming them.
    pub fn validate(&self) -> Result<()> {
        if !(self.validity_range.is_finite()
            && self.validity_range > 0.0
            && self.validity_range < 0.9)
        {
            return Err(Error::invalid(
                "validityRange",
                format!(
                    "must be in (0, 0.9), got {}",
                    crate::numfmt::Shortest(self.validity_range)
                ),
            ));
        }
        if !(self.safety.is_finite() && self.safety >= 0.0 && self.safety <= 10.0) {
            return Err(Error::invalid(
                "safety",
                format!(
                    "must be in [0, 10], got {}",
                    crate::numfmt::Shortest(self.safety)
                ),
            ));
        }
        if !(self.size_increment.is_finite()
            && self.size_increment > 0.0
            && self.size_increment <= crate::units::MAX_AMOUNT)
        {
            return Err(Error::invalid(
                "sizeIncrement",
                format!(
                    "must be in (0, 1e15], got {}",
                    crate::numfmt::Shortest(self.size_increment)
                ),
            ));
        }
        Ok(())
    }
}

/// A snapshot prepared for moving one underlying: the validated market with the sticky-strike
/// vols pinned, from which shifted markets are built (only the moved underlying is revalidated;
/// its volatility surface and the other underlyings are shared, not rebuilt).
#[derive(Debug, Clone)]
pub struct Shifter<'a> {
    base: Cow<'a, Market>,
    underlying: String,
    spot: f64,
    move_collateral: bool,
}

impl<'a> Shifter<'a> {
    /// Prepares `market` for moves of `underlying`, pinning the vols of `account`'s options on it
    /// under sticky strike.
    pub fn new(
        market: &'a Market,
        account: &Account,
        underlying: &str,
        options: &LiquidationOptions,
    ) -> Result<Shifter<'a>> {
        let u = market.underlying(underlying)?;
        let mut pinned = Vec::new();
        if options.sticky == StickyRule::Strike && u.surface().is_some() {
            for (i, p) in account.positions.iter().enumerate() {
                let ContractKind::Option { expiry, strike, .. } = p.instrument.contract else {
                    continue;
                };
                // One pin per option: a repeat of an earlier position's option is skipped.
                let repeated = p
                    .option_terms_key()
                    .and_then(|key| account.same_option_as(i, &key))
                    .is_some();
                if repeated
                    || p.instrument.underlying != underlying
                    || u.spec().mark_iv.contains_key(&p.id)
                {
                    continue;
                }
                let t0 = market.time_to(expiry)?.get();
                let forward0 = u.forward_at(u.spot(), t0);
                let vol = u
                    .option_vol(&p.instrument, &p.id, forward0, t0)
                    .map_err(|e| e.within(&format!("account.positions[{i}]")))?;
                pinned.push(((expiry, strike.to_bits()), vol));
            }
        }
        let base = if pinned.is_empty() {
            Cow::Borrowed(market)
        } else {
            Cow::Owned(
                market
                    .with_pinned_vols(underlying, PinnedVols::new(pinned))
                    .map_err(|e| e.within("market"))?,
            )
        };
        Ok(Shifter {
            spot: u.spot(),
            base,
            underlying: underlying.to_string(),
            move_collateral: options.move_collateral,
        })
    }

    /// The index price now.
    pub fn spot(&self) -> f64 {
        self.spot
    }

    /// The underlying moved.
    pub fn underlying(&self) -> &str {
        &self.underlying
    }

    /// The market with the underlying's index at `ratio`·spot (ratio > 0, finite).
    pub fn market_at(&self, ratio: f64) -> Result<Market> {
        if !(ratio.is_finite() && ratio > 0.0) {
            return Err(Error::invalid(
                "price",
                format!(
                    "trial index ratio {} is not a positive finite number",
                    crate::numfmt::Shortest(ratio)
                ),
            ));
        }
        let mut u = self.base.underlying(&self.underlying)?.spec().clone();
        u.index.price *= ratio;
        u.index.conf *= ratio;
        for f in &mut u.forwards {
            f.price *= ratio;
        }
        for mark in u.marks.values_mut() {
            *mark *= ratio;
        }
        if let Some(depth) = &mut u.depth {
            for level in depth.bids.iter_mut().chain(depth.asks.iter_mut()) {
                level[0] *= ratio;
            }
        }
        let collateral = if self.move_collateral {
            self.base
                .collateral(&self.underlying)
                .ok()
                .map(|c| (self.underlying.as_str(), c.price * ratio))
        } else {
            None
        };
        self.base
            .with_moved_prices(&self.underlying, u, collateral)
            .map_err(|e| e.within("market"))
    }
}
