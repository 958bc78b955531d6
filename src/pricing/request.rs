//! The JSON/JS interchange shape of a single-option price request and its result.
//!
//! Same shape for the JS `price()` call and `drr-margin price --json`. Parsing validates every
//! field into [`crate::units`] and names the field on error. Decoded by hand from a
//! parsed JSON tree ([`price_request`], [`implied_vol_request`]; the `.wasm` budget, README
//! "Build profile and size").

use super::black::{black76, BlackInputs, Greeks, OptionKind};
use super::implied_vol::implied_vol;
use crate::error::Result;
use crate::json::fields::Fields;
use crate::json::tree::Value;
use crate::json::Path;
use crate::portfolio::decode::option_kind;
use crate::units::{Price, Rate, Vol, YearFrac};
use serde::Serialize;

/// Input of `price()`: one European option on a forward.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceRequest {
    /// `"call"` or `"put"`.
    pub kind: OptionKind,
    /// Forward price of the underlying for the option's expiry (quote currency).
    pub forward: f64,
    /// Strike (quote currency).
    pub strike: f64,
    /// Time to expiry in years (365-day year); 0 gives intrinsic value.
    pub t: f64,
    /// Volatility as a decimal (0.8 = 80 %).
    pub vol: f64,
    /// Continuously-compounded discount rate as a decimal; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: Option<f64>,
    /// Value in coin (Deribit-style inverse option: USD value / forward); default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub inverse: Option<bool>,
}

/// Output of `price()`: value and Greeks (see [`Greeks`] for units).
pub type PriceResult = Greeks;

impl PriceRequest {
    /// Validates the request into model inputs.
    pub fn to_inputs(&self) -> Result<BlackInputs> {
        Ok(BlackInputs {
            kind: self.kind,
            forward: Price::new(self.forward, "forward")?,
            strike: Price::new(self.strike, "strike")?,
            t: YearFrac::new(self.t, "t")?,
            vol: Vol::new(self.vol, "vol")?,
            rate: Rate::new(self.rate.unwrap_or(0.0), "rate")?,
        })
    }

    /// Prices the option: linear value in quote currency, or coin value when `inverse`.
    pub fn evaluate(&self) -> Result<PriceResult> {
        let inputs = self.to_inputs()?;
        let greeks = black76(&inputs);
        Ok(if self.inverse.unwrap_or(false) {
            greeks.to_inverse(inputs.forward.get())
        } else {
            greeks
        })
    }
}

/// Input of `impliedVol()`: the price of one European option on a forward.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImpliedVolRequest {
    /// `"call"` or `"put"`.
    pub kind: OptionKind,
    /// Discounted option price: quote currency, or coin when `inverse` is true.
    pub price: f64,
    /// Forward price of the underlying for the option's expiry (quote currency).
    pub forward: f64,
    /// Strike (quote currency).
    pub strike: f64,
    /// Time to expiry in years (365-day year); must be > 0.
    pub t: f64,
    /// Continuously-compounded discount rate as a decimal; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub rate: Option<f64>,
    /// `price` is a coin price (Deribit-style inverse option); default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub inverse: Option<bool>,
}

impl ImpliedVolRequest {
    /// The implied volatility (decimal, annualised).
    pub fn evaluate(&self) -> Result<f64> {
        let price = if self.inverse.unwrap_or(false) {
            self.price * self.forward
        } else {
            self.price
        };
        implied_vol(
            self.kind,
            price,
            self.forward,
            self.strike,
            self.t,
            self.rate.unwrap_or(0.0),
        )
    }
}

/// [`PriceRequest`] from `value` (`path` prefixes error fields; "" at the root).
pub fn price_request(value: &Value, path: &Path<'_>) -> Result<PriceRequest> {
    let mut o = Fields::named(
        value,
        path,
        &["kind", "forward", "strike", "t", "vol", "rate", "inverse"],
    )?;
    let (kind, at) = o.required("kind")?;
    let mut request = PriceRequest {
        kind: option_kind(kind, &at)?,
        forward: o.required_f64("forward")?,
        strike: o.required_f64("strike")?,
        t: o.required_f64("t")?,
        vol: o.required_f64("vol")?,
        rate: None,
        inverse: None,
    };
    o.optional_f64("rate", &mut request.rate)?;
    o.optional_bool("inverse", &mut request.inverse)?;
    o.finish()?;
    Ok(request)
}

/// [`ImpliedVolRequest`] from `value` (`path` prefixes error fields; "" at the root).
pub fn implied_vol_request(value: &Value, path: &Path<'_>) -> Result<ImpliedVolRequest> {
    let mut o = Fields::named(
        value,
        path,
        &["kind", "price", "forward", "strike", "t", "rate", "inverse"],
    )?;
    let (kind, at) = o.required("kind")?;
    let mut request = ImpliedVolRequest {
        kind: option_kind(kind, &at)?,
        price: o.required_f64("price")?,
        forward: o.required_f64("forward")?,
        strike: o.required_f64("strike")?,
        t: o.required_f64("t")?,
        rate: None,
        inverse: None,
    };
    o.optional_f64("rate", &mut request.rate)?;
    o.optional_bool("inverse", &mut request.inverse)?;
    o.finish()?;
    Ok(request)
}

crate::margin::params_decode::deserialize_with! {
    PriceRequest => price_request,
    ImpliedVolRequest => implied_vol_request,
}
