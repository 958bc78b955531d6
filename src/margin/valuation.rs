//! Valuation of positions in USD under the market or a shocked version of it: the primitive that
//! the margin models, the scenario grid, the DRR add-on and the liquidation solver all share.
//!
//! Equity contribution of a position (its "value" here): perpetuals and futures contribute their
//! unrealised P&L against the entry price, options their mark value (the premium already moved
//! collateral). Inverse contracts are valued in coin and converted to USD at the (shocked) index.
//! Greeks are in USD per unit of the underlying's index price (delta, gamma), per 1.00 of vol
//! (vega) and per year of calendar time (theta).

use crate::error::{Error, Result};
use crate::market::{Market, StickyRule, Underlying};
use crate::portfolio::{ContractKind, Millis, Position, Settlement};
use crate::pricing::BlackInputs;
use crate::units::{Price, Rate, Vol, YearFrac};

/// A move of one underlying's market, relative to the snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shock {
    /// Relative move of the index (and with it forwards and marks): −0.1 = down 10 %.
    pub spot_move: f64,
    /// Multiplier on every implied volatility (1 = unchanged).
    pub vol_scale: f64,
    /// Years of calendar time elapsed (theta; options past expiry are worth intrinsic).
    pub time_shift: f64,
    /// How the smile moves with the underlying.
    pub sticky: StickyRule,
}

impl Shock {
    /// No move at all.
    pub const NONE: Shock = Shock {
        spot_move: 0.0,
        vol_scale: 1.0,
        time_shift: 0.0,
        sticky: StickyRule::Strike,
    };
}

/// Value and sensitivities of one position in USD.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PositionValue {
    /// Equity contribution in USD.
    pub usd: f64,
    /// ∂usd/∂S (S = index price).
    pub delta: f64,
    /// ∂²usd/∂S².
    pub gamma: f64,
    /// ∂usd/∂σ (per 1.00 of vol).
    pub vega: f64,
    /// −∂usd/∂T per year of calendar time.
    pub theta: f64,
}

/// The unshocked mark of a perpetual or future: its listed mark if the market has one, else the
/// index (perpetual) or the forward for its expiry (future). Shared by every model so they agree.
pub(crate) fn reference_mark(position: &Position, market: &Market) -> Result<f64> {
    let instrument = &position.instrument;
    let underlying = market.underlying(&instrument.underlying)?;
    let s0 = underlying.spot();
    if let Some(expiry) = instrument.expiry() {
        // An expired future is settled, never valued as live (even when a mark is listed).
        market.time_to(expiry)?;
    }
    Ok(
        match (
            underlying.spec().marks.get(&position.id),
            instrument.expiry(),
        ) {
            (Some(mark), _) => *mark,
            (None, None) => s0,
            (None, Some(expiry)) => underlying.forward_at(s0, market.time_to(expiry)?.get()),
        },
    )
}

/// The position's underlying, its index `s0`, the shock's growth factor 1 + move and the
/// shocked index `s0 · growth`; an error for a shock that is not a valid move.
fn shocked_spot<'m>(
    position: &Position,
    market: &'m Market,
    shock: &Shock,
) -> Result<(&'m Underlying, f64, f64, f64)> {
    let underlying = market.underlying(&position.instrument.underlying)?;
    let s0 = underlying.spot();
    if !(shock.spot_move > -1.0 && shock.spot_move.is_finite() && shock.vol_scale > 0.0) {
        // The numbers through crate::numfmt: `{shock:?}` would compile core's float formatter.
        return Err(Error::invalid(
            "shock",
            format!(
                "invalid shock: spot move {}, vol scale {} (the move must be finite and above \
                 −1, the scale above 0)",
                crate::numfmt::Shortest(shock.spot_move),
                crate::numfmt::Shortest(shock.vol_scale)
            ),
        ));
    }
    let growth = 1.0 + shock.spot_move;
    Ok((underlying, s0, growth, s0 * growth))
}

/// Values `position` under `shock` applied to its underlying.
pub fn value_position(
    position: &Position,
    market: &Market,
    shock: &Shock,
) -> Result<PositionValue> {
    let instrument = &position.instrument;
    let q = position.amount;
    let inverse = instrument.settlement == Settlement::Inverse;
    match instrument.contract {
        ContractKind::Perpetual | ContractKind::Future { .. } => {
            let (_, s0, _, s) = shocked_spot(position, market, shock)?;
            let mark0 = reference_mark(position, market)?;
            // Marks move with the index; past expiry a future converges to the index.
            let expired = instrument.expiry().is_some_and(|e| {
                market
                    .time_to(e)
                    .map_or(true, |t| t.get() <= shock.time_shift)
            });
            let ratio = if expired { 1.0 } else { mark0 / s0 };
            let mark = s * ratio;
            let entry = position.entry_price.unwrap_or(mark0);
            Ok(if inverse {
                // Coin P&L N·(1/entry − 1/mark), in USD at the index: N·(S/entry − 1/ratio).
                PositionValue {
                    usd: q * (s / entry - 1.0 / ratio),
                    delta: q / entry,
                    ..PositionValue::default()
                }
            } else {
                PositionValue {
                    usd: q * (mark - entry),
                    delta: q * ratio,
                    ..PositionValue::default()
                }
            })
        }
        ContractKind::Option { .. } => {
            let unit = option_unit_value(position, market, shock)?;
            Ok(unit.position_value(q, inverse))
        }
    }
}

/// An option's Black-76 value and Greeks per unit under a shock, with `c` = F/S: what
/// [`value_position`] scales by the position's amount. Equal for every position in the same
/// instrument (canonical id and terms), so a book valued unshocked computes it once per
/// instrument ([`OptionUnitValue::position_value`] gives each position's bits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptionUnitValue {
    greeks: UnitGreeks,
    c: f64,
    /// The inputs before the shock, if the option has not expired.
    terms: Option<UnshockedTerms>,
}

/// The Black-76 value and the Greeks of it that [`OptionUnitValue::position_value`] reads (the
/// others are left uncomputed, and a unit value is copied per position).
#[derive(Debug, Clone, Copy)]
struct UnitGreeks {
    price: f64,
    delta: f64,
    gamma: f64,
    vega: f64,
    theta: f64,
}

/// An option's pricing inputs as [`option_unit_value`] looked them up, before the shock: what the
/// portfolio grid would look up again for its legs (same calls on the same inputs, same bits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnshockedTerms {
    /// T₀, years to expiry (> 0).
    pub years: f64,
    /// F₀ = `forward_at(spot, T₀)`.
    pub forward: f64,
    /// `option_vol(instrument, id, F₀, T₀)`.
    pub vol: f64,
    /// e^(−r·T₀) with r = `rate_at(T₀)`, as [`ExpiryTerms`] computes it (Black-76's discount
    /// factor at T₀).
    pub discount: f64,
    /// ln(F₀/K) and the call's and put's values now (at F₀, T₀, the vol above, r) as
    /// `black76` computed them on the way: where the option was valued unshocked.
    pub now: ValuesNow,
}

/// What the portfolio grid reads of an option's valuation now: natively its
/// [`crate::pricing::BlackParts`]; in the `.wasm` nothing (`None` of an empty type, no bytes
/// for its size budget), so the grid computes ln(F₀/K) and prices its nodes now itself there,
/// with the same bits.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type ValuesNow = Option<crate::pricing::BlackParts>;
#[cfg(target_arch = "wasm32")]
pub(crate) type ValuesNow = Option<std::convert::Infallible>;

/// ln(F₀/K) from the valuation now, if it has it.
pub(crate) fn log_forward_over_strike_now(now: ValuesNow) -> Option<f64> {
    #[cfg(not(target_arch = "wasm32"))]
    return now.map(|n| n.log_forward_over_strike);
    #[cfg(target_arch = "wasm32")]
    return now.map(|n| match n {});
}

/// The call's and put's values from the valuation now, if it has them.
pub(crate) fn call_put_now(now: ValuesNow) -> Option<(f64, f64)> {
    #[cfg(not(target_arch = "wasm32"))]
    return now.map(|n| n.call_put);
    #[cfg(target_arch = "wasm32")]
    return now.map(|n| match n {});
}

impl OptionUnitValue {
    /// The option's pricing inputs before the shock (None at or after expiry).
    pub(crate) fn terms(&self) -> Option<UnshockedTerms> {
        self.terms
    }

    /// The position's value: `amount` (signed) units of it, linear or inverse.
    pub(crate) fn position_value(&self, q: f64, inverse: bool) -> PositionValue {
        let (g, c) = (&self.greeks, self.c);
        // F = c·S with c fixed: ∂/∂S = c·∂/∂F. Linear: usd = q·V. Inverse: usd = q·V·S/F = q·V/c.
        if inverse {
            PositionValue {
                usd: q * g.price / c,
                delta: q * g.delta,
                gamma: q * g.gamma * c,
                vega: q * g.vega / c,
                theta: q * g.theta / c,
            }
        } else {
            PositionValue {
                usd: q * g.price,
                delta: q * g.delta * c,
                gamma: q * g.gamma * c * c,
                vega: q * g.vega,
                theta: q * g.theta,
            }
        }
    }
}

/// [`OptionUnitValue`] of an option position under `shock`; an error for any other contract.
pub(crate) fn option_unit_value(
    position: &Position,
    market: &Market,
    shock: &Shock,
) -> Result<OptionUnitValue> {
    let (underlying, _, growth, s) = shocked_spot(position, market, shock)?;
    match position.instrument.contract {
        ContractKind::Perpetual | ContractKind::Future { .. } => Err(Error::invalid(
            "instrument",
            "an option's unit value of a perpetual or future",
        )),
        ContractKind::Option { expiry, .. } => {
            let terms = ExpiryTerms::new(market, underlying, expiry)?;
            shocked_unit_value(position, underlying, &terms, None, shock, growth, s)
        }
    }
}

/// What the valuation of an option reads of its expiry on its underlying, the same for every
/// option of that expiry in one market: a book values many options of a few expiries, so a
/// computation looks these up once per expiry ([`option_unit_value_now`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpiryTerms {
    /// T₀ = `time_to(expiry)` in years (> 0).
    years: f64,
    /// F₀ = `forward_at(spot, T₀)`.
    forward: f64,
    /// `rate_at(T₀)`.
    rate: f64,
    /// e^(−r·T₀) as Black-76 computes it at T₀ (`exp(-rate * years)`).
    discount: f64,
}

impl ExpiryTerms {
    /// The terms of `expiry` on `underlying` in `market`; the error of `time_to` for an
    /// expired one.
    pub(crate) fn new(market: &Market, underlying: &Underlying, expiry: Millis) -> Result<Self> {
        let years = market.time_to(expiry)?.get();
        let rate = underlying.rate_at(years);
        Ok(ExpiryTerms {
            years,
            forward: underlying.forward_at(underlying.spot(), years),
            rate,
            discount: crate::math::exp(-rate * years),
        })
    }
}

/// [`option_unit_value`] under [`Shock::NONE`] of an option position on `underlying` (the
/// market's data of its underlying) whose expiry has `terms` in that market: the same value,
/// bit for bit, or the same error. Always inlined natively: a book's positions loop values each
/// option here, and inlined the value is built where the loop reads it (no call frame or copies
/// of the result).
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
pub(crate) fn option_unit_value_now(
    position: &Position,
    underlying: &Underlying,
    terms: &ExpiryTerms,
) -> Result<OptionUnitValue> {
    let shock = Shock::NONE;
    let s = underlying.spot() * (1.0 + shock.spot_move);
    shocked_unit_value(
        position,
        underlying,
        terms,
        Some(terms.discount),
        &shock,
        1.0 + shock.spot_move,
        s,
    )
}

/// The option's [`OptionUnitValue`] under `shock` (valid: [`shocked_spot`] checked it), with
/// the shock's growth factor and shocked index `s` and its expiry's `terms`; `discount` is
/// `terms.discount` if the caller computed it (used when the shock keeps T₀). Always inlined
/// natively, so that [`option_unit_value_now`]'s copy folds the no-shock arithmetic and checks
/// away (one copy in the `.wasm`, for its size budget).
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
#[cfg_attr(target_arch = "wasm32", inline(never))]
fn shocked_unit_value(
    position: &Position,
    underlying: &Underlying,
    terms: &ExpiryTerms,
    discount: Option<f64>,
    shock: &Shock,
    growth: f64,
    s: f64,
) -> Result<OptionUnitValue> {
    let instrument = &position.instrument;
    let ContractKind::Option {
        strike,
        option_kind,
        ..
    } = instrument.contract
    else {
        return Err(Error::invalid(
            "instrument",
            "an option's unit value of a perpetual or future",
        ));
    };
    let t0 = terms.years;
    let t = t0 - shock.time_shift;
    let forward0 = terms.forward;
    let forward = forward0 * growth;
    // Field paths are only formatted when something is rejected.
    let field = "option";
    let named = |e: Error| e.with_field(format!("options.{}", position.id));
    let mut unshocked_terms = None;
    let vol = if t > 0.0 {
        let reference = match shock.sticky {
            StickyRule::Strike => forward0,
            StickyRule::Moneyness => forward,
        };
        let base = underlying.option_vol(instrument, &position.id, reference, t0)?;
        if t0 > 0.0 && reference.to_bits() == forward0.to_bits() {
            unshocked_terms = Some(UnshockedTerms {
                years: t0,
                forward: forward0,
                vol: base.get(),
                discount: terms.discount,
                now: None,
            });
        }
        if shock.vol_scale == 1.0 {
            base // σ·1 = σ, and a `Vol` is a valid shocked one: nothing to check again.
        } else {
            Vol::shocked(base.get() * shock.vol_scale, field).map_err(named)?
        }
    } else {
        Vol::new(1.0, field).map_err(named)? // unused at expiry: black76 returns intrinsic
    };
    let inputs = BlackInputs {
        kind: option_kind,
        forward: Price::new(forward, field).map_err(named)?,
        strike: Price::new(strike, field).map_err(named)?,
        t: YearFrac::new(crate::math::max(t, 0.0), field).map_err(named)?,
        vol,
        rate: Rate::new(terms.rate, field).map_err(named)?,
    };
    // Black-76's own discount factor: the terms' when the time to expiry is theirs.
    let discount = match discount {
        Some(discount) if inputs.t.get().to_bits() == t0.to_bits() => discount,
        _ => crate::math::exp(-inputs.rate.get() * inputs.t.get()),
    };
    // The parts go to the portfolio grid natively ([`ValuesNow`]).
    #[cfg(target_arch = "wasm32")]
    let (g, parts): (_, ValuesNow) = (crate::pricing::black76_discounted(&inputs, discount), None);
    #[cfg(not(target_arch = "wasm32"))]
    let (g, parts) = crate::pricing::black76_with_parts(&inputs, discount);
    // Valued at the terms' own forward, time and vol (no shock moved them): its parts
    // are the terms' values now.
    if let Some(terms) = unshocked_terms.as_mut() {
        let unshocked = forward.to_bits() == terms.forward.to_bits()
            && t.to_bits() == t0.to_bits()
            && vol.get().to_bits() == terms.vol.to_bits();
        terms.now = parts.filter(|_| unshocked);
    }
    Ok(OptionUnitValue {
        greeks: UnitGreeks {
            price: g.price,
            delta: g.delta,
            gamma: g.gamma,
            vega: g.vega,
            theta: g.theta,
        },
        c: forward / s,
        terms: unshocked_terms,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // std math as an independent reference in tests
mod tests {
    use super::*;
    use crate::portfolio::{Account, AccountSpec};

    const NOW: i64 = 1_790_000_000_000;

    fn setup(positions: &str) -> (Market, Account) {
        let market = Market::new(
            crate::json::from_str(&format!(
                r#"{{"now": {NOW}, "underlyings": {{"BTC": {{"index": {{"price": 100000, "publishTime": {NOW}}},
                   "marks": {{"BTC-PERPETUAL": 100050}}, "markIv": {{"BTC-27DEC26-110000-C": 0.6, "BTC_USDC-27DEC26-110000-C": 0.6}} }} }} }}"#
            ))
            .unwrap(),
        )
        .unwrap();
        let spec: AccountSpec = crate::json::from_str(&format!(
            r#"{{"mode": "cross", "positions": [{positions}]}}"#
        ))
        .unwrap();
        (market, Account::new(&spec).unwrap())
    }

    fn numeric_delta(p: &Position, m: &Market) -> f64 {
        let h = 1e-4;
        let up = value_position(
            p,
            m,
            &Shock {
                spot_move: h,
                ..Shock::NONE
            },
        )
        .unwrap()
        .usd;
        let down = value_position(
            p,
            m,
            &Shock {
                spot_move: -h,
                ..Shock::NONE
            },
        )
        .unwrap()
        .usd;
        (up - down) / (2.0 * h * 100_000.0)
    }

    #[test]
    fn perpetual_pnl_linear_and_inverse() {
        let (m, a) = setup(
            r#"{"instrument": "BTC_USDC-PERPETUAL", "size": 2, "entryPrice": 95000},
               {"instrument": "BTC-PERPETUAL", "size": -100000, "entryPrice": 95000}"#,
        );
        // Linear, no mark for the USDC perp: valued at the index. 2·(100000 − 95000) = 10000.
        let linear = value_position(&a.positions[0], &m, &Shock::NONE).unwrap();
        assert!((linear.usd - 10_000.0).abs() < 1e-9);
        // Inverse short 100,000 USD at 95,000, mark 100,050: coin P&L = −100000·(1/95000 − 1/100050),
        // in USD at the index 100,000.
        let inverse = value_position(&a.positions[1], &m, &Shock::NONE).unwrap();
        let expected = -100_000.0 * (1.0 / 95_000.0 - 1.0 / 100_050.0) * 100_000.0;
        assert!(
            (inverse.usd - expected).abs() < 1e-9,
            "{} vs {expected}",
            inverse.usd
        );
        assert!((inverse.delta - numeric_delta(&a.positions[1], &m)).abs() < 1e-6);
        let down = value_position(
            &a.positions[1],
            &m,
            &Shock {
                spot_move: -0.2,
                ..Shock::NONE
            },
        )
        .unwrap();
        assert!(down.usd > inverse.usd, "a short gains when the price falls");
    }

    #[test]
    fn option_value_and_greeks_are_consistent() {
        let (m, a) = setup(
            r#"{"instrument": "BTC-27DEC26-110000-C", "size": -3},
               {"instrument": "BTC_USDC-27DEC26-110000-C", "size": 3}"#,
        );
        let inverse = value_position(&a.positions[0], &m, &Shock::NONE).unwrap();
        let linear = value_position(&a.positions[1], &m, &Shock::NONE).unwrap();
        // With no carry F = S, so the coin value converted at S equals the USD value: the two legs cancel.
        assert!((inverse.usd + linear.usd).abs() < 1e-9 * linear.usd.abs());
        for (p, v) in a.positions.iter().zip([inverse, linear]) {
            assert!((v.delta - numeric_delta(p, &m)).abs() < 1e-6 * v.delta.abs().max(1.0));
        }
        let higher_vol = value_position(
            &a.positions[1],
            &m,
            &Shock {
                vol_scale: 1.01,
                ..Shock::NONE
            },
        )
        .unwrap();
        assert!(((higher_vol.usd - linear.usd) / 0.006 - linear.vega).abs() < 1e-3 * linear.vega);
    }
}
