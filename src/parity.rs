//! The native ↔ WebAssembly parity corpus.
//!
//! [`corpus_digest`] pushes `n` deterministic pseudo-random inputs (built from integer bits only,
//! so they are identical on every target) through the deterministic numerics and the pricer, and
//! hashes every output (including implied volatility) bit-for-bit (FNV-1a 64 over `f64::to_bits`). The CLI prints it
//! (`drr-margin parity --count N`) and the npm package exports it (`parityDigest(n)`); the test
//! suite asserts both are equal. A front-end can use the same export to check that its build
//! computes the same bits as the keeper's.

use crate::math;
use crate::pricing::{black76, implied_vol, BlackInputs, OptionKind};
use crate::units::{Price, Rate, Vol, YearFrac};

/// splitmix64: a tiny, well-mixed deterministic generator (not for cryptography).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits (exact, target independent).
    pub fn next_f64(&mut self) -> f64 {
        // 2^53 fits exactly in f64; the conversion of a < 2^53 integer is exact.
        #[allow(clippy::cast_precision_loss)]
        let mantissa = (self.next_u64() >> 11) as f64;
        mantissa * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform double in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

struct Fnv64(u64);

impl Fnv64 {
    fn add(&mut self, x: f64) {
        for byte in x.to_bits().to_le_bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01B3);
        }
    }
}

/// Hex digest of `n` corpus rows (each row: 7 numerics outputs, 8 price/Greek outputs and the
/// implied volatility of that price).
pub fn corpus_digest(n: u32) -> String {
    let mut rng = SplitMix64::new(0xD44_0000_2026);
    let mut hash = Fnv64(0xCBF2_9CE4_8422_2325);
    for _ in 0..n {
        let x = rng.uniform(-40.0, 40.0);
        let positive = math::exp(rng.uniform(-50.0, 50.0));
        let z = rng.uniform(-9.0, 9.0);
        let p = rng.next_f64();
        for value in [
            math::exp(x),
            math::ln(positive),
            math::pow(positive, rng.uniform(-3.0, 3.0)),
            math::erfc(z),
            math::norm_cdf(z),
            math::norm_pdf(z),
            math::inv_norm_cdf(p),
        ] {
            hash.add(value);
        }
        let forward = 100_000.0 * math::exp(rng.uniform(-1.0, 1.0));
        let row = black_row(&mut rng, forward);
        let greeks = match row {
            Some(inputs) => black76(&inputs),
            None => Default::default(),
        };
        // Implied vol of that price (an error hashes as its code's length, distinct from any vol).
        let implied = row.map_or(-1.0, |inputs| {
            implied_vol(
                inputs.kind,
                greeks.price,
                inputs.forward.get(),
                inputs.strike.get(),
                inputs.t.get(),
                inputs.rate.get(),
            )
            .unwrap_or_else(|e| -(e.code().len() as f64))
        });
        hash.add(implied);
        for value in [
            greeks.price,
            greeks.delta,
            greeks.gamma,
            greeks.vega,
            greeks.theta,
            greeks.rho,
            greeks.vanna,
            greeks.volga,
        ] {
            hash.add(value);
        }
    }
    format!("{:016x}", hash.0)
}

fn black_row(rng: &mut SplitMix64, forward: f64) -> Option<BlackInputs> {
    // Moneyness K/F in [0.05, 20] log-uniform, t from minutes to 3 years, σ from 5 % to 500 %.
    let strike = forward * math::exp(rng.uniform(-3.0, 3.0));
    let t = math::exp(rng.uniform(-11.5, 1.1));
    let vol = rng.uniform(0.05, 5.0);
    let rate = rng.uniform(-0.02, 0.1);
    let kind = if rng.next_u64() & 1 == 0 {
        OptionKind::Call
    } else {
        OptionKind::Put
    };
    Some(BlackInputs {
        kind,
        forward: Price::new(forward, "forward").ok()?,
        strike: Price::new(strike, "strike").ok()?,
        t: YearFrac::new(t, "t").ok()?,
        vol: Vol::new(vol, "vol").ok()?,
        rate: Rate::new(rate, "rate").ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_draws_stay_in_range_and_digest_is_stable_in_process() {
        let mut rng = SplitMix64::new(1);
        for _ in 0..10_000 {
            let u = rng.next_f64();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(corpus_digest(100), corpus_digest(100));
        assert_ne!(corpus_digest(100), corpus_digest(101));
    }
}
