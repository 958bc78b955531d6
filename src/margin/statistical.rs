//! Statistical value-at-risk of a book: delta-normal, delta-gamma-vega (moment matching with a
//! Cornish-Fisher skew term) and Monte Carlo with full revaluation, at one confidence level over
//! one horizon. Reported figures, not a requirement: the margin models decide whether and how to
//! use them (`enabled`, default off).
//!
//! # Risk factors
//! Per underlying `u` of the book (sorted by name), over a horizon of `h` years
//! (`horizonDays / 365`):
//! - `x_u`, the log-return of the index, with standard deviation `σ_u·√h`, where `σ_u` is chosen as
//!   in the DRR add-on ([`super::drr`]): the surface's ATM vol at the horizon, else `defaultVol`.
//!   Spot factors are correlated by `ρ_uv` (`correlations["A/B"]`, sorted pair, else
//!   `defaultCorrelation`);
//! - `y_u`, the relative change of every implied vol of `u`, with standard deviation `η·√h`
//!   (`η` = `volOfVol`). It is built as `y_u = η√h·(κ·w_u + √(1 − κ²)·ε_u)`, where `w_u` is the
//!   standardised spot shock of `u`, `κ` = `spotVolCorrelation` and the residuals `ε_u` are
//!   independent across underlyings. So Corr(x_u, y_u) = κ, Corr(x_u, y_v) = κ·ρ_uv and
//!   Corr(y_u, y_v) = κ²·ρ_uv for u ≠ v: vol moves co-move across underlyings only through their
//!   spots. (Fully independent vol factors would contradict `ρ_uv = 1` with κ ≠ 0; this
//!   construction is positive semi-definite whenever the spot correlation matrix is.)
//!
//! Log-returns have zero mean (no drift, no convexity correction).
//!
//! # The three figures (USD, positive = a loss; a book that gains even in the tail reports < 0)
//! With `z = Φ⁻¹(confidence)`, per-underlying net exposures `δ_u = Σ delta·S_u` (USD per unit
//! log-return), `b_u = Σ gamma·S_u²`, `ν_u = Σ vega_i·σ_i` (USD per 1.00 of relative vol change,
//! each option at its own vol σ_i) and the book's theta `θ`:
//! - **delta-normal**: `z·√(δᵀ Σ_x δ)`, `Σ_x` the covariance of the `x_u`.
//! - **delta-gamma-vega**: `ΔP ≈ θ·h + δᵀx + ½ Σ_u b_u x_u² + νᵀy`. Its exact mean, variance and
//!   third cumulant under the Gaussian factors (`f = (x, y)`, `a = (δ, ν)`, `B = diag(b)` on x):
//!   mean `θh + ½ Σ_u b_u Σ_uu`, variance `aᵀΣa + ½ Σ_uv b_u b_v Σ_uv²`, third cumulant
//!   `tr((BΣ)³) + 3·aᵀΣBΣa`. The quantile is Cornish-Fisher to the skewness term:
//!   `q = mean + sd·(−z + (z² − 1)·s/6)` (s = skewness), VaR = `−q`. With Γ = ν = θ = 0 this is
//!   bit for bit the delta-normal figure. Theta is included (the brief's expansion has none) so the
//!   approximation describes the same P&L as the Monte Carlo, which moves time by `h`; vanna and
//!   volga are not.
//! - **Monte Carlo**: `paths` joint draws of (x, y), every position revalued in full by
//!   [`value_position`] under `Shock { spot_move: eˣ − 1 (exp_m1), vol_scale: max(1 + y, 0.05),
//!   time_shift: h, sticky: strike }`; P&L = Σ (shocked − unshocked) USD. VaR = −q with q the
//!   empirical quantile of the P&L at `1 − confidence`, Hyndman-Fan type 7 (sorted ascending
//!   `L₀ ≤ … ≤ L_{N−1}`, `j = (N − 1)·p`, `q = L_⌊j⌋ + (j − ⌊j⌋)·(L_⌊j⌋+1 − L_⌊j⌋)`); ES = minus
//!   the mean of the P&L values ≤ q (at least one, so ES ≥ VaR).
//!
//! # Sampling (deterministic)
//! Uniforms from [`SplitMix64`] seeded with `seed`; standard normals by the Marsaglia polar method
//! (only `ln` and `sqrt`; the second normal of each pair is used next); spot normals correlated by
//! our own Cholesky factor (semi-definite allowed: a zero pivot gets a zero column; a matrix that
//! is not positive semi-definite is `E_INVALID_INPUT` on `correlations`). Per path, in this order:
//! the n spot normals, the n vol residual normals, then for Student-t the ν normals of χ²_ν.
//! Fat tails (`studentTDof` = ν ≥ 3): every factor of a path is multiplied by the same
//! `√((ν − 2)/χ²_ν)`, a multivariate Student-t with the same correlations and the same variances
//! as the normal model. Same inputs and seed ⇒ the same bits natively and in wasm32.
//!
//! Every transcendental goes through [`crate::math`]. `statrs` is deliberately NOT used here: its
//! distributions call `std`'s `exp`/`ln`, whose last bits differ between x86_64 and wasm32. It is a
//! native-only dev-dependency, the independent oracle of the tests (Student-t and normal quantiles).
//!
//! Never reads the clock, never panics on input: bad parameters are coded errors naming the field
//! (paths relative to [`StatisticalParams`]; a caller nesting it prefixes them with
//! [`Error::within`]). A scenario the valuation refuses (e.g. a shocked vol above 10, only
//! reachable with extreme `horizonDays`/`volOfVol`) fails the whole call with that error.

use super::params::{check, finite_in};
use super::valuation::{value_position, Shock};
use crate::error::{Error, Result};
use crate::market::{Market, StickyRule};
use crate::math::{exp_m1, inv_norm_cdf, ln, max};
use crate::parity::SplitMix64;
use crate::portfolio::{ContractKind, Position};
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};

/// Parameters of the statistical VaR (JSON camelCase, every field optional).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StatisticalParams {
    /// Whether the margin computation evaluates it (default false). [`statistical_risk`] itself
    /// always computes.
    pub enabled: bool,
    /// Confidence level in (0.5, 1) (default 0.99).
    pub confidence: f64,
    /// Horizon in days of 24 h, in (0, 365] (default 1).
    pub horizon_days: f64,
    /// Correlation of two underlyings' log-returns, keyed by the sorted pair `"BTC/ETH"`, in [−1, 1].
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, number>"))]
    pub correlations: VecMap<String, f64>,
    /// Correlation of any pair not in `correlations` (default 0.8).
    pub default_correlation: f64,
    /// Annualised volatility of the relative change of implied vol, in [0, 5] (default 1.0).
    pub vol_of_vol: f64,
    /// Correlation of an underlying's vol factor with its own log-return, in [−1, 1] (default −0.5).
    pub spot_vol_correlation: f64,
    /// Monte Carlo paths, 1 to 1,000,000 (default 2000).
    pub paths: u32,
    /// Seed of the generator (default 1).
    pub seed: u64,
    /// 0: normal factors. 3 to 100: multivariate Student-t with this many degrees of freedom.
    pub student_t_dof: u32,
}

impl Default for StatisticalParams {
    fn default() -> Self {
        StatisticalParams {
            enabled: false,
            confidence: 0.99,
            horizon_days: 1.0,
            correlations: VecMap::new(),
            default_correlation: 0.8,
            vol_of_vol: 1.0,
            spot_vol_correlation: -0.5,
            paths: 2000,
            seed: 1,
            student_t_dof: 0,
        }
    }
}

/// Largest accepted path count (bounds the work of one call, e.g. in a browser).
const MAX_PATHS: u32 = 1_000_000;
/// Largest accepted Student-t degrees of freedom (each path draws ν normals for χ²_ν; beyond 100
/// the tails are indistinguishable from normal at usual confidence levels).
const MAX_DOF: u32 = 100;
/// Floor of the Monte Carlo vol multiplier `1 + y`.
const MIN_VOL_SCALE: f64 = 0.05;

impl StatisticalParams {
    /// Checks every field's domain, naming it.
    pub fn validate(&self) -> Result<()> {
        check(
            self.confidence.is_finite() && self.confidence > 0.5 && self.confidence < 1.0,
            "confidence",
            "must be in (0.5, 1)",
        )?;
        check(
            self.horizon_days.is_finite() && self.horizon_days > 0.0 && self.horizon_days <= 365.0,
            "horizonDays",
            "must be in (0, 365] days",
        )?;
        for (pair, rho) in &self.correlations {
            let field = format!("correlations.{pair}");
            let sorted_pair = match pair.split_once('/') {
                Some((a, b)) => !a.is_empty() && !b.contains('/') && a < b,
                None => false,
            };
            check(
                sorted_pair,
                &field,
                "key must be two different underlyings in sorted order, as \"BTC/ETH\"",
            )?;
            check(finite_in(*rho, -1.0, 1.0), &field, "must be in [-1, 1]")?;
        }
        check(
            finite_in(self.default_correlation, -1.0, 1.0),
            "defaultCorrelation",
            "must be in [-1, 1]",
        )?;
        check(
            finite_in(self.vol_of_vol, 0.0, 5.0),
            "volOfVol",
            "must be in [0, 5]",
        )?;
        check(
            finite_in(self.spot_vol_correlation, -1.0, 1.0),
            "spotVolCorrelation",
            "must be in [-1, 1]",
        )?;
        check(
            (1..=MAX_PATHS).contains(&self.paths),
            "paths",
            "must be in [1, 1000000]",
        )?;
        check(
            self.student_t_dof == 0 || (3..=MAX_DOF).contains(&self.student_t_dof),
            "studentTDof",
            "must be 0 (normal) or in [3, 100] (Student-t with finite variance)",
        )
    }

    /// The correlation of two different underlyings' log-returns.
    fn correlation(&self, a: &str, b: &str) -> f64 {
        let key = if a < b {
            format!("{a}/{b}")
        } else {
            format!("{b}/{a}")
        };
        self.correlations
            .get(&key)
            .copied()
            .unwrap_or(self.default_correlation)
    }
}

/// The statistical VaR figures of a book (USD; positive = a loss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct VarResult {
    /// Confidence level used.
    pub confidence: f64,
    /// Horizon used (days).
    pub horizon_days: f64,
    /// z·√(δᵀΣδ).
    pub delta_normal_var: f64,
    /// Delta-gamma-vega-theta moments, Cornish-Fisher (skewness) quantile.
    pub delta_gamma_vega_var: f64,
    /// Monte Carlo with full revaluation: minus the empirical P&L quantile at 1 − confidence.
    pub monte_carlo_var: f64,
    /// Monte Carlo expected shortfall: minus the mean P&L at or below that quantile.
    pub monte_carlo_es: f64,
    /// Paths simulated.
    pub paths: u32,
    /// Seed used.
    pub seed: u64,
}

/// Net exposures of the book per underlying (sorted by name).
#[derive(Debug, Clone, Default)]
struct Exposures {
    /// Underlying names, sorted.
    names: Vec<String>,
    /// σ_u: annualised vol of the log-return.
    sigma: Vec<f64>,
    /// δ_u = Σ delta·S: USD per unit of log-return.
    delta: Vec<f64>,
    /// b_u = Σ gamma·S²: USD per unit of squared log-return (×½ in the P&L).
    gamma: Vec<f64>,
    /// ν_u = Σ vega_i·σ_i: USD per 1.00 of relative vol change.
    vega: Vec<f64>,
    /// Book theta (USD per year).
    theta: f64,
}

/// Factor covariance over the horizon, 2n × 2n row-major, factors ordered (x_1..x_n, y_1..y_n).
fn covariance(sigma: &[f64], corr: &[f64], h: f64, eta: f64, kappa: f64) -> Vec<f64> {
    let n = sigma.len();
    let m = 2 * n;
    let mut cov = vec![0.0; m * m];
    for (u, &su) in sigma.iter().enumerate() {
        for (v, &sv) in sigma.iter().enumerate() {
            let rho = corr[u * n + v];
            let idio = if u == v { 1.0 - kappa * kappa } else { 0.0 };
            cov[u * m + v] = rho * su * sv * h;
            cov[u * m + n + v] = kappa * rho * su * eta * h;
            cov[(n + u) * m + v] = kappa * rho * sv * eta * h;
            cov[(n + u) * m + n + v] = eta * eta * h * (kappa * kappa * rho + idio);
        }
    }
    cov
}

/// Mean, variance and third cumulant of `θh + aᵀf + ½ Σ_u b_u x_u²` for f ~ N(0, cov), with
/// `a = (delta, vega)`, `b = gamma`. Also returns the variance of the delta part alone (δᵀΣ_xδ),
/// computed by the same loop so that a book without gamma, vega and theta gets identical bits.
fn moments(e: &Exposures, cov: &[f64], h: f64) -> (f64, f64, f64, f64) {
    let n = e.names.len();
    let m = 2 * n;
    let a: Vec<f64> = e.delta.iter().chain(&e.vega).copied().collect();
    let c = |i: usize, j: usize| cov[i * m + j];
    let mut var_delta = 0.0;
    for u in 0..n {
        for v in 0..n {
            var_delta += a[u] * a[v] * c(u, v);
        }
    }
    let mut var_rest = 0.0;
    for i in 0..m {
        for j in 0..m {
            if i >= n || j >= n {
                var_rest += a[i] * a[j] * c(i, j);
            }
        }
    }
    let mut mean_gamma = 0.0;
    let mut var_gamma = 0.0;
    let mut k3_trace = 0.0;
    for u in 0..n {
        mean_gamma += e.gamma[u] * c(u, u);
        for v in 0..n {
            var_gamma += e.gamma[u] * e.gamma[v] * c(u, v) * c(u, v);
            for w in 0..n {
                k3_trace += e.gamma[u] * c(u, v) * e.gamma[v] * c(v, w) * e.gamma[w] * c(w, u);
            }
        }
    }
    // aᵀΣBΣa = Σ_u b_u (Σa)_u².
    let mut k3_cross = 0.0;
    for u in 0..n {
        let mut sa = 0.0;
        for (j, aj) in a.iter().enumerate() {
            sa += c(u, j) * aj;
        }
        k3_cross += e.gamma[u] * sa * sa;
    }
    let mean = e.theta * h + 0.5 * mean_gamma;
    let variance = var_delta + var_rest + 0.5 * var_gamma;
    let k3 = k3_trace + 3.0 * k3_cross;
    (mean, variance, k3, var_delta)
}

/// Lower-triangular `L` (n × n row-major) with `L·Lᵀ = a` for a positive semi-definite `a`, or
/// `None` if `a` is not (to 1e-8 on any entry).
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    const PIVOT_TOL: f64 = 1e-12;
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d < -PIVOT_TOL {
            return None;
        }
        let pivot = if d > PIVOT_TOL { d.sqrt() } else { 0.0 };
        l[j * n + j] = pivot;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = if pivot > 0.0 { s / pivot } else { 0.0 };
        }
    }
    // A zero pivot with a non-zero column below it, or rounding in a near-singular matrix, shows
    // here: accept the factor only if it reproduces the matrix.
    for i in 0..n {
        for j in 0..=i {
            let mut s = 0.0;
            for k in 0..=j {
                s += l[i * n + k] * l[j * n + k];
            }
            let reproduced = (s - a[i * n + j]).abs() <= 1e-8; // false for NaN too
            if !reproduced {
                return None;
            }
        }
    }
    Some(l)
}

/// Standard normal variates by the Marsaglia polar method on [`SplitMix64`].
#[derive(Debug, Clone)]
struct NormalSampler {
    rng: SplitMix64,
    spare: Option<f64>,
}

impl NormalSampler {
    fn new(seed: u64) -> Self {
        NormalSampler {
            rng: SplitMix64::new(seed),
            spare: None,
        }
    }

    fn next(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.rng.next_f64() - 1.0;
            let v = 2.0 * self.rng.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * ln(s) / s).sqrt();
                self.spare = Some(v * m);
                return u * m;
            }
        }
    }
}

/// The joint law of (x, y) over the horizon, ready to sample.
#[derive(Debug, Clone)]
struct FactorModel {
    /// σ_u·√h.
    spot_sd: Vec<f64>,
    /// η·√h.
    vol_sd: f64,
    /// κ and √(1 − κ²).
    kappa: f64,
    kappa_residual: f64,
    /// Cholesky factor of the spot correlation matrix (n × n).
    chol: Vec<f64>,
    /// Student-t degrees of freedom (0 = normal).
    dof: u32,
}

impl FactorModel {
    /// Annualised spot vols `sigma`, horizon `h` (years), vol of vol `eta`, spot-vol correlation
    /// `kappa`, Cholesky factor `chol` of the spot correlations, Student-t `dof` (0 = normal).
    fn new(sigma: &[f64], h: f64, eta: f64, kappa: f64, chol: Vec<f64>, dof: u32) -> Self {
        FactorModel {
            spot_sd: sigma.iter().map(|s| s * h.sqrt()).collect(),
            vol_sd: eta * h.sqrt(),
            kappa,
            kappa_residual: max(1.0 - kappa * kappa, 0.0).sqrt(),
            chol,
            dof,
        }
    }

    fn n(&self) -> usize {
        self.spot_sd.len()
    }

    /// One joint draw into `x` and `y` (each of length n); `z` is scratch of length n.
    fn draw(&self, g: &mut NormalSampler, z: &mut [f64], x: &mut [f64], y: &mut [f64]) {
        let n = self.n();
        for zi in z.iter_mut() {
            *zi = g.next();
        }
        for yi in y.iter_mut() {
            *yi = g.next();
        }
        let scale = if self.dof == 0 {
            1.0
        } else {
            let mut chi2 = 0.0;
            for _ in 0..self.dof {
                let e = g.next();
                chi2 += e * e;
            }
            (f64::from(self.dof.saturating_sub(2)) / max(chi2, f64::MIN_POSITIVE)).sqrt()
        };
        let rows = x.iter_mut().zip(y.iter_mut()).zip(&self.spot_sd);
        for (i, ((xi, yi), sd)) in rows.enumerate() {
            // w_i = Σ_{k ≤ i} L_ik·z_k, the correlated standard normal of underlying i.
            let mut w = 0.0;
            for (l, zk) in self.chol.iter().skip(i * n).take(i + 1).zip(z.iter()) {
                w += l * zk;
            }
            *xi = sd * w * scale;
            *yi = self.vol_sd * (self.kappa * w + self.kappa_residual * *yi) * scale;
        }
    }
}

/// Lower empirical quantile (Hyndman-Fan type 7) of ascending `sorted` at probability `p`.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    #[allow(clippy::cast_precision_loss)] // path counts ≤ 10⁶ are exact in f64
    let j = last as f64 * p;
    let floor = j.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 ≤ floor ≤ last
    let lo = floor as usize;
    let a = sorted.get(lo).copied().unwrap_or(0.0);
    let b = sorted.get(lo + 1).copied().unwrap_or(a);
    a + (j - floor) * (b - a)
}

/// Statistical VaR of `positions` under `market` (see the module documentation). `default_vol`
/// is the σ of an underlying without a surface (the DRR add-on's `drr.defaultVol`).
pub fn statistical_risk(
    market: &Market,
    positions: &[Position],
    params: &StatisticalParams,
    default_vol: f64,
) -> Result<VarResult> {
    params.validate()?;
    check(
        finite_in(default_vol, 1e-6, 10.0),
        "defaultVol",
        "must be a decimal vol in (0, 10]",
    )?;
    let h = params.horizon_days / 365.0;
    let z_alpha = inv_norm_cdf(params.confidence);

    // Underlyings of the book, sorted, and each position's index among them.
    let mut index: VecMap<&str, usize> = VecMap::new();
    for p in positions {
        index.insert(p.instrument.underlying.as_str(), 0);
    }
    for (i, slot) in index.values_mut().enumerate() {
        *slot = i;
    }
    let mut e = Exposures::default();
    for name in index.keys() {
        let u = market.underlying(name)?;
        let spot = u.spot();
        let sigma = match u.surface() {
            Some(surface) => {
                let t = max(h, 1e-9);
                let f = u.forward_at(spot, t);
                surface.vol(f, f, t)?.get()
            }
            None => default_vol,
        };
        e.names.push((*name).to_string());
        e.sigma.push(sigma);
    }
    let n = e.names.len();
    e.delta = vec![0.0; n];
    e.gamma = vec![0.0; n];
    e.vega = vec![0.0; n];
    let mut owner = Vec::with_capacity(positions.len());
    let mut base = Vec::with_capacity(positions.len());
    for (i, p) in positions.iter().enumerate() {
        let u_name = p.instrument.underlying.as_str();
        let u = index
            .get(u_name)
            .copied()
            .ok_or_else(|| Error::invalid(format!("positions[{i}]"), "unknown underlying"))?;
        let underlying = market.underlying(u_name)?;
        let s0 = underlying.spot();
        let v = value_position(p, market, &Shock::NONE)?;
        // The vol this option is valued at (as value_position reads it unshocked).
        let option_vol = match p.instrument.contract {
            ContractKind::Option { expiry, .. } => {
                let t0 = market.time_to(expiry)?.get();
                let f0 = underlying.forward_at(s0, t0);
                underlying.option_vol(&p.instrument, &p.id, f0, t0)?.get()
            }
            _ => 0.0,
        };
        e.delta[u] += v.delta * s0;
        e.gamma[u] += v.gamma * s0 * s0;
        e.vega[u] += v.vega * option_vol;
        e.theta += v.theta;
        owner.push(u);
        base.push(v.usd);
    }
    if n == 0 {
        return Ok(VarResult {
            confidence: params.confidence,
            horizon_days: params.horizon_days,
            delta_normal_var: 0.0,
            delta_gamma_vega_var: 0.0,
            monte_carlo_var: 0.0,
            monte_carlo_es: 0.0,
            paths: params.paths,
            seed: params.seed,
        });
    }

    let mut corr = vec![0.0; n * n];
    for (u, a) in e.names.iter().enumerate() {
        for (v, b) in e.names.iter().enumerate() {
            corr[u * n + v] = if u == v {
                1.0
            } else {
                params.correlation(a, b)
            };
        }
    }
    let chol = cholesky(&corr, n).ok_or_else(|| {
        Error::invalid(
            "correlations",
            format!(
                "the correlation matrix of {} is not positive semi-definite",
                e.names.join(", ")
            ),
        )
    })?;
    let (eta, kappa) = (params.vol_of_vol, params.spot_vol_correlation);

    // Delta-normal and delta-gamma-vega.
    let cov = covariance(&e.sigma, &corr, h, eta, kappa);
    let (mean, variance, k3, var_delta) = moments(&e, &cov, h);
    let delta_normal_var = z_alpha * max(var_delta, 0.0).sqrt();
    let sd = max(variance, 0.0).sqrt();
    let skew = if sd > 0.0 { k3 / (sd * sd * sd) } else { 0.0 };
    let w = -z_alpha + (z_alpha * z_alpha - 1.0) * skew / 6.0;
    let delta_gamma_vega_var = 0.0 - (mean + sd * w);

    // Monte Carlo with full revaluation.
    let model = FactorModel::new(&e.sigma, h, eta, kappa, chol, params.student_t_dof);
    let mut sampler = NormalSampler::new(params.seed);
    let (mut z, mut x, mut y) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut shocks = vec![Shock::NONE; n];
    let mut pnl = Vec::with_capacity(params.paths as usize);
    for path in 0..params.paths {
        model.draw(&mut sampler, &mut z, &mut x, &mut y);
        for ((shock, &xu), &yu) in shocks.iter_mut().zip(&x).zip(&y) {
            *shock = Shock {
                spot_move: exp_m1(xu),
                vol_scale: max(1.0 + yu, MIN_VOL_SCALE),
                time_shift: h,
                sticky: StickyRule::Strike,
            };
        }
        let mut total = 0.0;
        for (i, (p, (&u, &v0))) in positions.iter().zip(owner.iter().zip(&base)).enumerate() {
            let shock = shocks
                .get(u)
                .ok_or_else(|| Error::invalid(format!("positions[{i}]"), "unknown underlying"))?;
            total += value_position(p, market, shock)?.usd - v0;
        }
        if !total.is_finite() {
            return Err(Error::invalid(
                "paths",
                format!("path {path}: the revalued P&L is not finite"),
            ));
        }
        pnl.push(total);
    }
    pnl.sort_by(f64::total_cmp);
    let q = quantile_sorted(&pnl, 1.0 - params.confidence);
    let mut tail_sum = 0.0;
    let mut tail_count = 0u32;
    for &l in pnl.iter().take_while(|&&l| l <= q) {
        tail_sum += l;
        tail_count += 1;
    }
    let es = if tail_count > 0 {
        tail_sum / f64::from(tail_count)
    } else {
        q
    };
    Ok(VarResult {
        confidence: params.confidence,
        horizon_days: params.horizon_days,
        delta_normal_var,
        delta_gamma_vega_var,
        monte_carlo_var: 0.0 - q,
        monte_carlo_es: 0.0 - es,
        paths: params.paths,
        seed: params.seed,
    })
}

// statrs (the independent oracle) is a native-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(
    clippy::disallowed_methods, // std math as test reference arithmetic only
    clippy::unwrap_used,        // a failed unwrap in a test helper is a failed test
    clippy::needless_range_loop // index loops mirror the matrix formulas
)]
mod tests {
    use super::*;
    use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

    /// Sampling tolerance in standard errors. Each test checks up to ~40 statistics on a fixed
    /// seed; 4 SE is a two-sided 6e-5 chance each under a correct sampler, while every defect these
    /// tests target (a wrong factor, variance or tail) moves a statistic by tens of SE.
    const K: f64 = 4.0;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    /// Empirical quantiles at `ps` against `inverse_cdf`, within K standard errors of a sample
    /// quantile, √(p(1 − p)/N)/f(q).
    fn assert_quantiles(
        sample: &[f64],
        ps: &[f64],
        inverse_cdf: impl Fn(f64) -> f64,
        pdf: impl Fn(f64) -> f64,
    ) {
        let n = sample.len() as f64;
        for &p in ps {
            let expected = inverse_cdf(p);
            let se = (p * (1.0 - p) / n).sqrt() / pdf(expected);
            let got = quantile_sorted(sample, p);
            assert!(
                (got - expected).abs() < K * se,
                "p = {p}: empirical {got} vs oracle {expected} (SE {se})"
            );
        }
    }

    #[test]
    fn normal_sampler_moments_and_quantiles_match_statrs_normal() {
        let n = 100_000;
        let mut g = NormalSampler::new(7);
        let draws: Vec<f64> = (0..n).map(|_| g.next()).collect();
        let nf = n as f64;
        let m = mean(&draws);
        let central = |k: i32| draws.iter().map(|d| (d - m).powi(k)).sum::<f64>() / nf;
        let (var, m3, m4) = (central(2), central(3), central(4));
        // SEs of the sample mean, variance, skewness and kurtosis of N(0, 1).
        assert!(m.abs() < K / nf.sqrt(), "mean {m}");
        assert!((var - 1.0).abs() < K * (2.0 / nf).sqrt(), "variance {var}");
        assert!(m3.abs() < K * (6.0 / nf).sqrt(), "skewness {m3}");
        assert!((m4 - 3.0).abs() < K * (24.0 / nf).sqrt(), "kurtosis {m4}");
        let oracle = Normal::new(0.0, 1.0).unwrap();
        assert_quantiles(
            &sorted(draws),
            &[0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999],
            |p| oracle.inverse_cdf(p),
            |x| oracle.pdf(x),
        );
    }

    // The factor law of the module documentation, written out by hand (not via `covariance`).
    const RHO: [[f64; 3]; 3] = [[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 1.0]];
    const SPOT_SD: [f64; 3] = [0.05, 0.08, 0.03];
    const VOL_SD: f64 = 0.06;
    const KAPPA: f64 = -0.5;

    fn expected_corr(i: usize, j: usize) -> f64 {
        let (u, v) = (i % 3, j % 3);
        match (i < 3, j < 3) {
            (true, true) => RHO[u][v],
            (true, false) | (false, true) => KAPPA * RHO[u][v],
            (false, false) if u == v => 1.0,
            (false, false) => KAPPA * KAPPA * RHO[u][v],
        }
    }

    fn expected_sd(i: usize) -> f64 {
        if i < 3 {
            SPOT_SD[i]
        } else {
            VOL_SD
        }
    }

    fn three_factor_model(dof: u32) -> FactorModel {
        // Horizon 0.25 y: annualised vols of twice the horizon standard deviations.
        let corr: Vec<f64> = RHO.iter().flatten().copied().collect();
        let sigma: Vec<f64> = SPOT_SD.iter().map(|s| 2.0 * s).collect();
        FactorModel::new(
            &sigma,
            0.25,
            2.0 * VOL_SD,
            KAPPA,
            cholesky(&corr, 3).unwrap(),
            dof,
        )
    }

    /// Draws `n` joint factor vectors (x₁, x₂, x₃, y₁, y₂, y₃).
    fn draw_factors(model: &FactorModel, n: usize, seed: u64) -> Vec<[f64; 6]> {
        let mut g = NormalSampler::new(seed);
        let (mut z, mut x, mut y) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
        (0..n)
            .map(|_| {
                model.draw(&mut g, &mut z, &mut x, &mut y);
                [x[0], x[1], x[2], y[0], y[1], y[2]]
            })
            .collect()
    }

    #[test]
    fn correlated_normals_have_the_documented_means_variances_and_correlations() {
        let n = 100_000;
        let nf = n as f64;
        let draws = draw_factors(&three_factor_model(0), n, 11);
        let means: Vec<f64> = (0..6)
            .map(|i| draws.iter().map(|d| d[i]).sum::<f64>() / nf)
            .collect();
        let cov = |i: usize, j: usize| {
            draws
                .iter()
                .map(|d| (d[i] - means[i]) * (d[j] - means[j]))
                .sum::<f64>()
                / nf
        };
        for i in 0..6 {
            let sd = expected_sd(i);
            assert!(
                means[i].abs() < K * sd / nf.sqrt(),
                "mean of factor {i}: {}",
                means[i]
            );
            let var = cov(i, i);
            assert!(
                (var / (sd * sd) - 1.0).abs() < K * (2.0 / nf).sqrt(),
                "variance of factor {i}: {var} vs {}",
                sd * sd
            );
            for j in 0..i {
                let rho = expected_corr(i, j);
                let got = cov(i, j) / (cov(i, i) * cov(j, j)).sqrt();
                // SE of a sample correlation of a bivariate normal: (1 − ρ²)/√N.
                assert!(
                    (got - rho).abs() < K * (1.0 - rho * rho) / nf.sqrt() + 1e-12,
                    "corr({i}, {j}) = {got}, expected {rho}"
                );
            }
        }
        // The analytic covariance used by delta-normal and delta-gamma-vega is the same law.
        let corr: Vec<f64> = RHO.iter().flatten().copied().collect();
        let h: f64 = 0.01;
        let sigma: Vec<f64> = SPOT_SD.iter().map(|s| s / h.sqrt()).collect();
        let analytic = covariance(&sigma, &corr, h, VOL_SD / h.sqrt(), KAPPA);
        for i in 0..6 {
            for j in 0..6 {
                let expected = expected_corr(i, j) * expected_sd(i) * expected_sd(j);
                assert!(
                    (analytic[i * 6 + j] - expected).abs() < 1e-15,
                    "cov[{i}][{j}]"
                );
            }
        }
    }

    #[test]
    fn student_t_factor_quantiles_match_statrs_students_t() {
        // One factor of sd 1: x = Z·√((ν − 2)/χ²_ν), so x·√(ν/(ν − 2)) = Z/√(χ²_ν/ν) ~ t_ν.
        let dof = 4;
        let model = FactorModel::new(&[1.0], 1.0, 0.0, 0.0, vec![1.0], dof);
        let n = 100_000;
        let mut g = NormalSampler::new(3);
        let (mut z, mut x, mut y) = ([0.0], [0.0], [0.0]);
        let nu = f64::from(dof);
        let t: Vec<f64> = (0..n)
            .map(|_| {
                model.draw(&mut g, &mut z, &mut x, &mut y);
                x[0] * (nu / (nu - 2.0)).sqrt()
            })
            .collect();
        let t = sorted(t);
        let oracle = StudentsT::new(0.0, 1.0, nu).unwrap();
        assert_quantiles(
            &t,
            &[
                0.001, 0.005, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.995, 0.999,
            ],
            |p| oracle.inverse_cdf(p),
            |x| oracle.pdf(x),
        );
        // The tails are really fat: the normal 99.9 % point (3.09) is far inside t₄'s (7.17).
        assert!(quantile_sorted(&t, 0.999) > 6.0);
    }

    #[test]
    fn delta_gamma_vega_moments_match_brute_force_sampling() {
        // Two underlyings with delta, gamma, vega and theta; moments() against the sample moments
        // of the same quadratic form under our own factor sampler.
        let corr = vec![1.0, 0.6, 0.6, 1.0];
        let h = 5.0 / 365.0;
        let (eta, kappa) = (1.2, -0.4);
        let e = Exposures {
            names: vec!["A".into(), "B".into()],
            sigma: vec![0.7, 0.9],
            delta: vec![30_000.0, -12_000.0],
            gamma: vec![-2.0e6, 5.0e5],
            vega: vec![-40_000.0, 15_000.0],
            theta: 80_000.0,
        };
        let cov = covariance(&e.sigma, &corr, h, eta, kappa);
        let (mu, var, k3, _) = moments(&e, &cov, h);
        let model = FactorModel::new(&e.sigma, h, eta, kappa, cholesky(&corr, 2).unwrap(), 0);
        let n = 200_000;
        let mut g = NormalSampler::new(5);
        let (mut z, mut x, mut y) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        let q: Vec<f64> = (0..n)
            .map(|_| {
                model.draw(&mut g, &mut z, &mut x, &mut y);
                let mut p = e.theta * h;
                for u in 0..2 {
                    p += e.delta[u] * x[u] + 0.5 * e.gamma[u] * x[u] * x[u] + e.vega[u] * y[u];
                }
                p
            })
            .collect();
        let nf = n as f64;
        let m = mean(&q);
        let c2: Vec<f64> = q.iter().map(|v| (v - m).powi(2)).collect();
        let c3: Vec<f64> = q.iter().map(|v| (v - m).powi(3)).collect();
        let sd_of = |v: &[f64]| {
            let mu = mean(v);
            (v.iter().map(|a| (a - mu).powi(2)).sum::<f64>() / nf).sqrt()
        };
        let (v_hat, k3_hat) = (mean(&c2), mean(&c3));
        assert!(
            (m - mu).abs() < K * var.sqrt() / nf.sqrt(),
            "mean {m} vs {mu}"
        );
        assert!(
            (v_hat - var).abs() < K * sd_of(&c2) / nf.sqrt(),
            "variance {v_hat} vs {var}"
        );
        assert!(
            (k3_hat - k3).abs() < K * sd_of(&c3) / nf.sqrt(),
            "third cumulant {k3_hat} vs {k3}"
        );
        // The skew is material here, so the test has power on the k3 formula.
        assert!(
            k3.abs() / var.powf(1.5) > 0.3,
            "skewness {}",
            k3 / var.powf(1.5)
        );
    }

    #[test]
    fn cholesky_accepts_semi_definite_and_rejects_indefinite_matrices() {
        let l = cholesky(&[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, 1.0, 0.0]);
        let l = cholesky(&[1.0, -1.0, -1.0, 1.0], 2).unwrap();
        assert_eq!(l, vec![1.0, 0.0, -1.0, 0.0]);
        let l = cholesky(&[4.0, 2.0, 2.0, 5.0], 2).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2.0]);
        let bad = [1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0];
        assert!(cholesky(&bad, 3).is_none());
        assert!(cholesky(&[1.0, 1.5, 1.5, 1.0], 2).is_none());
    }

    #[test]
    fn empirical_quantile_is_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        // j = (N − 1)·p: 0.4 → 1.4; 2 → 3; p = 0 and 1 are the extremes.
        assert!((quantile_sorted(&v, 0.1) - 1.4).abs() < 1e-15);
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 5.0);
        assert_eq!(quantile_sorted(&[], 0.1), 0.0);
    }

    #[test]
    fn defaults_validate_and_round_trip_in_camel_case() {
        let p = StatisticalParams::default();
        p.validate().unwrap();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"enabled": false, "confidence": 0.99, "horizonDays": 1.0,
                "correlations": {}, "defaultCorrelation": 0.8, "volOfVol": 1.0,
                "spotVolCorrelation": -0.5, "paths": 2000, "seed": 1, "studentTDof": 0})
        );
        let q: StatisticalParams =
            crate::json::from_str(r#"{"correlations": {"BTC/ETH": 0.7}}"#).unwrap();
        assert_eq!(q.correlation("ETH", "BTC"), 0.7);
        assert_eq!(q.correlation("BTC", "SOL"), 0.8);
        for (json, field) in [
            (r#"{"horizonDays": 0}"#, "horizonDays"),
            (r#"{"volOfVol": -1}"#, "volOfVol"),
            (r#"{"spotVolCorrelation": 1.1}"#, "spotVolCorrelation"),
            (r#"{"studentTDof": 2}"#, "studentTDof"),
            (r#"{"defaultCorrelation": -1.01}"#, "defaultCorrelation"),
            (
                r#"{"correlations": {"ETH/BTC": 0.5}}"#,
                "correlations.ETH/BTC",
            ),
            (r#"{"correlations": {"BTC": 0.5}}"#, "correlations.BTC"),
        ] {
            let p: StatisticalParams = crate::json::from_str(json).unwrap();
            let err = p.validate().unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{json}"
            );
        }
    }
}
