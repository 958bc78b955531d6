//! Cash and positions of one account under fills, funding and expiry: netting a fill into an
//! existing position (volume-weighted entry, realised P&L on the reduced part), option premium,
//! perpetual funding, and settlement of expired options (intrinsic) and futures at the
//! settlement price.
//!
//! Owns these bookkeeping rules on the interchange [`AccountSpec`]; never computes a margin and
//! never changes the market.
//!
//! Cash in USD (linear instruments) is credited to the margin asset at its market price; cash in
//! coin (inverse instruments) to the underlying's coin balance.

use crate::error::{Error, Result};
use crate::market::Market;
use crate::portfolio::{AccountSpec, ContractKind, Instrument, PositionSpec, Settlement};
use crate::pricing::OptionKind;

/// A position size within this fraction of the larger of the two netted sizes is treated as
/// closed (float noise such as 0.1 + 0.2 − 0.3).
const CLOSED_FRACTION: f64 = 1e-12;

/// Adds `amount` whole units of `asset` to the account's collateral.
fn credit(spec: &mut AccountSpec, asset: &str, amount: f64, field: &str) -> Result<()> {
    let balance = spec.collateral.slot(asset.to_string(), || 0.0);
    let next = *balance + amount;
    if !next.is_finite() {
        return Err(Error::invalid(field, "the collateral balance overflows"));
    }
    *balance = next;
    Ok(())
}

/// Credits cash of an instrument: USD → the margin asset, coin → the underlying.
fn credit_cash(
    spec: &mut AccountSpec,
    instrument: &Instrument,
    cash: f64,
    market: &Market,
    margin_asset: &str,
    field: &str,
) -> Result<()> {
    match instrument.settlement {
        Settlement::Linear => {
            let price = market.collateral(margin_asset)?.price;
            credit(spec, margin_asset, cash / price, field)
        }
        Settlement::Inverse => credit(spec, &instrument.underlying, cash, field),
    }
}

/// Deposits (`sign` = 1) or withdraws (−1) collateral.
pub(crate) fn transfer(spec: &mut AccountSpec, asset: &str, amount: f64) -> Result<()> {
    credit(spec, asset, amount, "amount")
}

/// Nets a fill of `size` contracts at `price` into the account (see [`super::Trade`]).
pub(crate) fn trade(
    spec: &mut AccountSpec,
    trade_spec: &crate::portfolio::InstrumentSpec,
    instrument: &Instrument,
    size: f64,
    price: f64,
    market: &Market,
    margin_asset: &str,
) -> Result<()> {
    let mut found = None;
    for (i, p) in spec.positions.iter().enumerate() {
        let held = p
            .instrument
            .resolve(&format!("positions[{i}].instrument"))?;
        if held == *instrument {
            found = Some(i);
            break;
        }
    }
    let cs = instrument.contract_size;
    let is_option = matches!(instrument.contract, ContractKind::Option { .. });
    if is_option {
        // The premium moves cash at once; the option's equity is its mark value.
        credit_cash(
            spec,
            instrument,
            -size * cs * price,
            market,
            margin_asset,
            "price",
        )?;
    }
    let Some(i) = found else {
        spec.positions.push(PositionSpec {
            instrument: trade_spec.clone(),
            size,
            entry_price: Some(price),
            isolated_margin: None,
        });
        return Ok(());
    };
    let (old_size, old_entry) = match spec.positions.get(i) {
        Some(p) => (p.size, p.entry_price.unwrap_or(price)),
        None => return Err(Error::invalid("instrument", "position vanished")),
    };
    let new_size = old_size + size;
    let closed = new_size.abs() <= CLOSED_FRACTION * crate::math::max(old_size.abs(), size.abs());
    let inverse = instrument.settlement == Settlement::Inverse;
    let same_side = (old_size > 0.0) == (size > 0.0);
    let entry = if same_side {
        let (a0, q) = (old_size * cs, size * cs);
        if inverse && !is_option {
            // Inverse contracts are USD notional: the average entry is harmonic.
            (a0 + q) / (a0 / old_entry + q / price)
        } else {
            (a0 * old_entry + q * price) / (a0 + q)
        }
    } else {
        // Reducing (or flipping): realise the P&L of the closed part (perpetuals and futures).
        if !is_option {
            let closed_amount = if size.abs() < old_size.abs() {
                -size * cs
            } else {
                old_size * cs
            };
            let pnl = if inverse {
                closed_amount * (1.0 / old_entry - 1.0 / price)
            } else {
                closed_amount * (price - old_entry)
            };
            credit_cash(spec, instrument, pnl, market, margin_asset, "price")?;
        }
        if (new_size > 0.0) == (old_size > 0.0) {
            old_entry
        } else {
            price
        }
    };
    if closed {
        spec.positions.remove(i);
    } else if let Some(p) = spec.positions.get_mut(i) {
        p.size = new_size;
        p.entry_price = Some(entry);
    }
    Ok(())
}

/// Pays funding at `rate` on every perpetual of `underlying`; returns whether any was held.
pub(crate) fn funding(
    spec: &mut AccountSpec,
    underlying: &str,
    rate: f64,
    market: &Market,
    margin_asset: &str,
) -> Result<bool> {
    let data = market.underlying(underlying)?;
    let mut touched = false;
    let mut payments = Vec::new();
    for (i, p) in spec.positions.iter().enumerate() {
        let instrument = p
            .instrument
            .resolve(&format!("positions[{i}].instrument"))?;
        if instrument.underlying != underlying || instrument.contract != ContractKind::Perpetual {
            continue;
        }
        touched = true;
        let amount = p.size * instrument.contract_size;
        let mark = data
            .spec()
            .marks
            .get(&instrument.id())
            .copied()
            .unwrap_or_else(|| data.spot());
        // Longs pay shorts when the rate is positive. Linear: USD = −q·mark·rate. Inverse (q in
        // USD notional): coin = −q·rate / mark.
        let cash = match instrument.settlement {
            Settlement::Linear => -amount * mark * rate,
            Settlement::Inverse => -amount * rate / mark,
        };
        payments.push((instrument, cash));
    }
    for (instrument, cash) in payments {
        credit_cash(spec, &instrument, cash, market, margin_asset, "rate")?;
    }
    Ok(touched)
}

/// Settles every position expiring at or before `now` at the index of its underlying in
/// `market` (the settlement price): options at intrinsic, futures against their entry price;
/// the cash moves to collateral and the leg is removed. Returns whether anything settled.
pub(crate) fn settle_expired(
    spec: &mut AccountSpec,
    now: i64,
    market: &Market,
    margin_asset: &str,
) -> Result<bool> {
    let mut settled = Vec::new();
    let mut keep = Vec::with_capacity(spec.positions.len());
    for (i, p) in spec.positions.iter().enumerate() {
        let field = format!("positions[{i}].instrument");
        let instrument = p.instrument.resolve(&field)?;
        if instrument.expiry().is_none_or(|e| e > now) {
            keep.push(p.clone());
            continue;
        }
        let price = market
            .underlying(&instrument.underlying)
            .map_err(|e| e.with_field(format!("underlyings.{}", instrument.underlying)))?
            .spot();
        let amount = p.size * instrument.contract_size;
        let inverse = instrument.settlement == Settlement::Inverse;
        let cash = match instrument.contract {
            ContractKind::Option {
                strike,
                option_kind,
                ..
            } => {
                let intrinsic = match option_kind {
                    OptionKind::Call => crate::math::max(price - strike, 0.0),
                    OptionKind::Put => crate::math::max(strike - price, 0.0),
                };
                // Inverse options pay intrinsic in coin at the settlement price.
                amount
                    * if inverse {
                        intrinsic / price
                    } else {
                        intrinsic
                    }
            }
            ContractKind::Future { .. } => {
                let entry = p.entry_price.ok_or_else(|| {
                    Error::invalid(format!("positions[{i}].entryPrice"), "missing")
                })?;
                if inverse {
                    amount * (1.0 / entry - 1.0 / price)
                } else {
                    amount * (price - entry)
                }
            }
            ContractKind::Perpetual => 0.0,
        };
        settled.push((instrument, cash));
    }
    if settled.is_empty() {
        return Ok(false);
    }
    spec.positions = keep;
    for (instrument, cash) in settled {
        credit_cash(spec, &instrument, cash, market, margin_asset, "now")?;
    }
    Ok(true)
}
