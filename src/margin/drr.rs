//! The Dynamic Risk Recalibration sensitivity add-on: the loss of the account's net Greeks under
//! the worst plausible move before it can be liquidated.
//!
//! Per underlying, with index S, volatility σ, liquidation horizon δt (+ oracle latency, + the
//! quote's staleness) and the account's net USD delta Δ, gamma Γ, vega ν and theta θ:
//!
//! - price shock δP = k·σ·S·√δt + c·conf (k = 2 for maintenance, 3 for initial by default;
//!   conf = the oracle's confidence half-width, c its multiple);
//! - price loss = max over m ∈ [−δP, δP] of −(Δ·m + ½Γ·m²) (the end points, and the vertex
//!   −Δ/Γ when it lies inside and Γ > 0);
//! - vol loss = |ν|·σ·s (s = the relative vol shock), theta loss = max(−θ·δt, 0);
//! - add-on = max(price + vol + theta loss, 0), summed over underlyings (no diversification).
//!
//! The oracle buffer is the part of the add-on due to staleness and confidence: the same loss
//! computed with and without them; it is never negative, so an uncertain oracle never lowers a
//! requirement. A quote older than `oracle.maxStalenessMs` is refused with `E_STALE_ORACLE`
//! (or, in conservative mode, reported so the caller multiplies the requirements).

use super::params::{RiskParams, StaleMode};
use crate::error::{ErrorKind, Result};
use crate::market::Market;
use crate::units::YearFrac;
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// Net USD Greeks of one underlying's positions.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct NetGreeks {
    /// ∂V/∂S in USD per USD of index.
    pub delta: f64,
    /// ∂²V/∂S².
    pub gamma: f64,
    /// ∂V/∂σ per 1.00 of vol.
    pub vega: f64,
    /// Per year of calendar time.
    pub theta: f64,
}

/// The add-on of one underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct DrrUnderlying {
    /// Underlying symbol.
    pub underlying: String,
    /// Index price used.
    pub spot: f64,
    /// Volatility used (surface ATM at the horizon, or `drr.defaultVol`).
    pub vol: f64,
    /// Age of the index quote (ms).
    pub staleness_ms: f64,
    /// Maintenance price shock δP (USD).
    pub shock_maintenance: f64,
    /// Initial price shock δP (USD).
    pub shock_initial: f64,
    /// Maintenance add-on (USD).
    pub maintenance: f64,
    /// Initial add-on (USD).
    pub initial: f64,
    /// Part of the maintenance add-on due to staleness and confidence (USD).
    pub oracle_buffer: f64,
    /// The quote is past `oracle.maxStalenessMs` (conservative mode only; else an error).
    pub stale: bool,
}

/// Worst loss of net Greeks `g` for price moves within ±`shock` and time `dt` (years).
fn loss(g: &NetGreeks, shock: f64, dt: f64, vol: f64, vol_shock: f64) -> f64 {
    let pnl = |m: f64| g.delta * m + 0.5 * g.gamma * m * m;
    let mut worst = crate::math::max(-pnl(shock), -pnl(-shock));
    if g.gamma > 0.0 {
        let vertex = -g.delta / g.gamma;
        if vertex.abs() <= shock {
            worst = crate::math::max(worst, -pnl(vertex));
        }
    }
    let vega_loss = g.vega.abs() * vol * vol_shock;
    let theta_loss = crate::math::max(-g.theta * dt, 0.0);
    crate::math::max(worst + vega_loss + theta_loss, 0.0)
}

/// The DRR add-on for net Greeks per underlying (sorted by name).
pub fn drr_add_on(
    market: &Market,
    greeks: &VecMap<String, NetGreeks>,
    params: &RiskParams,
) -> Result<Vec<DrrUnderlying>> {
    let mut out = Vec::with_capacity(greeks.len());
    for (name, g) in greeks {
        let mut add_on = underlying_add_on(market, market.underlying(name)?, name, g, params)?;
        add_on.underlying = name.clone();
        out.push(add_on);
    }
    Ok(out)
}

/// The add-on of underlying `name` (`u`, the market's data of it) for net Greeks `g`, its
/// `underlying` left empty: a caller that shows it names it (a figures-only report does not,
/// and allocates no name).
pub(crate) fn underlying_add_on(
    market: &Market,
    u: &crate::market::Underlying,
    name: &str,
    g: &NetGreeks,
    params: &RiskParams,
) -> Result<DrrUnderlying> {
    let p = &params.drr;
    let spot = u.spot();
    // i64 ms differences are exact in f64 below 2^53.
    #[allow(clippy::cast_precision_loss)]
    let staleness_ms = (market.now() - u.index().publish_time) as f64;
    let stale = staleness_ms > params.oracle.max_staleness_ms;
    if stale && params.oracle.stale_mode == StaleMode::Refuse {
        return Err(ErrorKind::StaleOracle {
            field: format!("underlyings.{name}.index.publishTime"),
            reason: format!(
                "index quote is {staleness_ms} ms old, past oracle.maxStalenessMs = {}",
                crate::numfmt::Shortest(params.oracle.max_staleness_ms),
                staleness_ms = crate::numfmt::Shortest(staleness_ms),
            ),
        }
        .into());
    }
    let base_ms = p.horizon_ms + p.oracle_latency_ms;
    let dt_base = base_ms / YearFrac::MS_PER_YEAR;
    let dt = (base_ms + staleness_ms) / YearFrac::MS_PER_YEAR;
    let vol = match u.surface() {
        Some(surface) => {
            let f = u.forward_at(spot, crate::math::max(dt, 1e-9));
            surface.vol(f, f, crate::math::max(dt, 1e-9))?.get()
        }
        None => p.default_vol,
    };
    let conf = params.oracle.confidence_multiple * u.index().conf;
    let shock = |k: f64, dt: f64| k * vol * spot * dt.sqrt();
    let maintenance = loss(g, shock(p.k_maintenance, dt) + conf, dt, vol, p.vol_shock);
    let initial = loss(g, shock(p.k_initial, dt) + conf, dt, vol, p.vol_shock);
    let without_oracle = loss(
        g,
        shock(p.k_maintenance, dt_base),
        dt_base,
        vol,
        p.vol_shock,
    );
    Ok(DrrUnderlying {
        underlying: String::new(),
        spot,
        vol,
        staleness_ms,
        shock_maintenance: shock(p.k_maintenance, dt) + conf,
        shock_initial: shock(p.k_initial, dt) + conf,
        maintenance,
        initial,
        oracle_buffer: crate::math::max(maintenance - without_oracle, 0.0),
        stale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_quadratic_losses() {
        // Long 2 BTC of delta, no gamma: loss = 2·δP.
        let g = NetGreeks {
            delta: 2.0,
            ..NetGreeks::default()
        };
        assert_eq!(loss(&g, 1000.0, 0.0, 0.5, 0.0), 2000.0);
        // Short gamma Γ = −0.001, Δ = 0: loss = ½·0.001·1000² = 500 at either end.
        let g = NetGreeks {
            gamma: -0.001,
            ..NetGreeks::default()
        };
        assert!((loss(&g, 1000.0, 0.0, 0.5, 0.0) - 500.0).abs() < 1e-9);
        // Long gamma with a delta: Δ = 1, Γ = 0.004 → pnl(m) = m + 0.002 m², the vertex m = −250
        // lies inside ±1000: loss there 125, but the ends give pnl(−1000) = 1000 > 0, pnl(1000) > 0.
        let g = NetGreeks {
            delta: 1.0,
            gamma: 0.004,
            ..NetGreeks::default()
        };
        assert!((loss(&g, 1000.0, 0.0, 0.5, 0.0) - 125.0).abs() < 1e-9);
        // Vega and theta: |ν|·σ·s + (−θ·dt).
        let g = NetGreeks {
            vega: -1000.0,
            theta: -3650.0,
            ..NetGreeks::default()
        };
        assert!((loss(&g, 0.0, 0.01, 0.5, 0.2) - (100.0 + 36.5)).abs() < 1e-9);
        // A book that gains under every scenario needs no add-on.
        let g = NetGreeks {
            gamma: 1.0,
            theta: 10.0,
            ..NetGreeks::default()
        };
        assert_eq!(loss(&g, 1000.0, 0.01, 0.5, 0.0), 0.0);
    }

    fn market(publish_age_ms: i64, conf: f64) -> Market {
        let now = 1_790_000_000_000_i64;
        Market::new(
            crate::json::from_str(&format!(
                r#"{{"now": {now}, "underlyings": {{"BTC": {{"index": {{"price": 100000, "conf": {conf}, "publishTime": {}}}}}}}}}"#,
                now - publish_age_ms
            ))
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn shock_is_k_sigma_s_sqrt_dt_and_the_oracle_never_lowers_it() {
        let params = RiskParams::default();
        let greeks = VecMap::from([(
            "BTC".to_string(),
            NetGreeks {
                delta: -3.0,
                ..NetGreeks::default()
            },
        )]);
        let fresh = drr_add_on(&market(0, 0.0), &greeks, &params).unwrap();
        // No surface: σ = defaultVol = 1; δt = (60 s + 2 s)/year; δP = 2·1·100000·√δt.
        let dt: f64 = 62_000.0 / (365.0 * 86_400_000.0);
        let expected = 2.0 * 100_000.0 * dt.sqrt();
        assert!((fresh[0].shock_maintenance - expected).abs() < 1e-9 * expected);
        assert!((fresh[0].maintenance - 3.0 * expected).abs() < 1e-9 * expected);
        assert_eq!(fresh[0].oracle_buffer, 0.0);
        let older = drr_add_on(&market(30_000, 0.0), &greeks, &params).unwrap();
        let uncertain = drr_add_on(&market(0, 50.0), &greeks, &params).unwrap();
        for r in [&older[0], &uncertain[0]] {
            assert!(r.maintenance > fresh[0].maintenance && r.oracle_buffer > 0.0);
        }
        // Confidence 50 × multiple 3 adds 150 to δP: 3 BTC short loses 450 more.
        assert!((uncertain[0].maintenance - fresh[0].maintenance - 450.0).abs() < 1e-6);
        let err = drr_add_on(&market(120_000, 0.0), &greeks, &params).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("E_STALE_ORACLE", "underlyings.BTC.index.publishTime")
        );
        let mut conservative = RiskParams::default();
        conservative.oracle.stale_mode = StaleMode::Conservative;
        assert!(drr_add_on(&market(120_000, 0.0), &greeks, &conservative).unwrap()[0].stale);
    }
}
