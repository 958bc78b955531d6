//! Column-oriented batch pricing and implied volatility: thousands of options per call with one
//! copy in and one copy out, for the JS `priceBatch`/`impliedVolBatch` and the benchmarks.
//!
//! Every row is validated; the first invalid row fails the batch with its index in the field path
//! (`"vol[12]"`), so a bad quote is never priced silently.

use super::black::{black76, BlackInputs, OptionKind};
use super::implied_vol::implied_vol;
use crate::error::{Error, Result};
use crate::units::{Price, Rate, Vol, YearFrac};

/// Number of output columns of [`price_batch`]: price, delta, gamma, vega, theta, rho, vanna, volga.
pub const GREEK_COLUMNS: usize = 8;

/// A per-row column or one value for every row.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a, T> {
    /// The same value for every row.
    Scalar(T),
    /// One value per row.
    Values(&'a [T]),
}

impl<T: Copy> Column<'_, T> {
    fn at(&self, i: usize) -> T {
        match self {
            Column::Scalar(v) => *v,
            Column::Values(values) => values[i],
        }
    }

    fn check_len(&self, n: usize, field: &str) -> Result<()> {
        match self {
            Column::Values(values) if values.len() != n => Err(Error::invalid(
                field,
                format!(
                    "has {} rows, expected {n} (the length of `forward`)",
                    values.len()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Kind column: +1 call, −1 put.
fn kind_at(kind: &Column<'_, i8>, i: usize) -> Result<OptionKind> {
    let code = kind.at(i);
    OptionKind::from_code(code).ok_or_else(|| {
        Error::invalid(
            if matches!(kind, Column::Scalar(_)) {
                "kind".to_string()
            } else {
                format!("kind[{i}]")
            },
            format!("must be 1 (call) or -1 (put), got {code}"),
        )
    })
}

/// Columns of a batch price request.
#[derive(Debug, Clone, Copy)]
pub struct PriceColumns<'a> {
    pub kind: Column<'a, i8>,
    pub forward: &'a [f64],
    pub strike: Column<'a, f64>,
    pub t: Column<'a, f64>,
    pub vol: Column<'a, f64>,
    pub rate: Column<'a, f64>,
    /// Coin-denominated values (see [`super::Greeks::to_inverse`]).
    pub inverse: bool,
}

fn field(name: &str, column_is_scalar: bool, i: usize) -> String {
    if column_is_scalar {
        name.to_string()
    } else {
        format!("{name}[{i}]")
    }
}

fn is_scalar<T>(c: &Column<'_, T>) -> bool {
    matches!(c, Column::Scalar(_))
}

/// Prices every row; returns [`GREEK_COLUMNS`] blocks of `n` values (all prices, then all
/// deltas, …), in the units of [`super::Greeks`].
pub fn price_batch(cols: &PriceColumns<'_>) -> Result<Vec<f64>> {
    let n = cols.forward.len();
    cols.kind.check_len(n, "kind")?;
    cols.strike.check_len(n, "strike")?;
    cols.t.check_len(n, "t")?;
    cols.vol.check_len(n, "vol")?;
    cols.rate.check_len(n, "rate")?;
    let mut out = vec![0.0; GREEK_COLUMNS * n];
    for i in 0..n {
        // Field paths ("vol[12]") are only formatted when a row is rejected.
        let at =
            |name: &'static str, scalar: bool| move |e: Error| e.with_field(field(name, scalar, i));
        let inputs = BlackInputs {
            kind: kind_at(&cols.kind, i)?,
            forward: Price::new(cols.forward[i], "forward").map_err(at("forward", false))?,
            strike: Price::new(cols.strike.at(i), "strike")
                .map_err(at("strike", is_scalar(&cols.strike)))?,
            t: YearFrac::new(cols.t.at(i), "t").map_err(at("t", is_scalar(&cols.t)))?,
            vol: Vol::new(cols.vol.at(i), "vol").map_err(at("vol", is_scalar(&cols.vol)))?,
            rate: Rate::new(cols.rate.at(i), "rate").map_err(at("rate", is_scalar(&cols.rate)))?,
        };
        let mut g = black76(&inputs);
        if cols.inverse {
            g = g.to_inverse(inputs.forward.get());
        }
        for (column, value) in [
            g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.vanna, g.volga,
        ]
        .into_iter()
        .enumerate()
        {
            out[column * n + i] = value;
        }
    }
    Ok(out)
}

/// Columns of a batch implied-volatility request.
#[derive(Debug, Clone, Copy)]
pub struct ImpliedVolColumns<'a> {
    pub kind: Column<'a, i8>,
    /// Discounted option prices in quote currency.
    pub price: &'a [f64],
    pub forward: Column<'a, f64>,
    pub strike: Column<'a, f64>,
    pub t: Column<'a, f64>,
    pub rate: Column<'a, f64>,
}

/// Implied volatility of every row (see [`implied_vol`]).
pub fn implied_vol_batch(cols: &ImpliedVolColumns<'_>) -> Result<Vec<f64>> {
    let n = cols.price.len();
    cols.kind.check_len(n, "kind")?;
    cols.forward.check_len(n, "forward")?;
    cols.strike.check_len(n, "strike")?;
    cols.t.check_len(n, "t")?;
    cols.rate.check_len(n, "rate")?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let kind = kind_at(&cols.kind, i)?;
        let vol = implied_vol(
            kind,
            cols.price[i],
            cols.forward.at(i),
            cols.strike.at(i),
            cols.t.at(i),
            cols.rate.at(i),
        )
        .map_err(|e| {
            let name = e.field().to_string();
            let scalar = match name.as_str() {
                "forward" => is_scalar(&cols.forward),
                "strike" => is_scalar(&cols.strike),
                "t" => is_scalar(&cols.t),
                "rate" => is_scalar(&cols.rate),
                _ => false,
            };
            e.with_field(field(&name, scalar, i))
        })?;
        out.push(vol);
    }
    Ok(out)
}
