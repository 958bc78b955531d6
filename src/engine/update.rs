//! `MarginUpdate`: what the engine emits for an account, and its canonical byte encoding and
//! SHA-256 hash, so a keeper can sign an update and a front-end can rebuild it byte for byte.
//!
//! Owns the update's fields, the encoding layout and the hash; never decides when an update is
//! emitted (the engine does) and never computes a margin.
//!
//! # Encoding, version 1 (all integers big-endian, no floats except the health as IEEE-754 bits)
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version = `0x01` |
//! | 4 + n | account id: `u32` byte length, then its UTF-8 bytes |
//! | 8 | sequence number, `u64` |
//! | 8 | timestamp (the market's `now`, ms since the Unix epoch), `i64` |
//! | 1 + m | margin asset: `u8` byte length, then its UTF-8 bytes (e.g. `USDC`) |
//! | 1 | decimals of the margin asset, `u8` |
//! | 16 | initial margin, base units, `i128` (rounded up) |
//! | 16 | maintenance margin, base units, `i128` (rounded up) |
//! | 16 | equity, base units, `i128` (rounded down) |
//! | 1 | health level: 0 healthy, 1 warning, 2 liquidatable |
//! | 1 | reason: 1 first, 2 threshold, 3 level crossing |
//! | 1 + 8 | health: `0x00` + 8 zero bytes if absent (nothing required), else `0x01` + the IEEE-754 binary64 bits of equity / maintenance margin |
//! | 32 | SHA-256 of the risk parameters (`MarginReport.paramsHash`) |
//!
//! The update's `hash` is SHA-256 of these bytes; JSON carries both as lowercase hex.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version byte of the encoding documented above.
pub const ENCODING_VERSION: u8 = 1;

/// Where an account's health (equity / maintenance margin) stands against the engine's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum HealthLevel {
    /// At or above `warningHealth` (or nothing required and equity ≥ 0).
    Healthy,
    /// Below `warningHealth`, at or above `liquidatableHealth`.
    Warning,
    /// Below `liquidatableHealth` (or nothing required and equity < 0).
    Liquidatable,
}

impl HealthLevel {
    /// The level's byte in the encoding.
    pub fn code(self) -> u8 {
        match self {
            HealthLevel::Healthy => 0,
            HealthLevel::Warning => 1,
            HealthLevel::Liquidatable => 2,
        }
    }
}

/// Why an update was emitted (when several apply: first, then level crossing, then threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum UpdateReason {
    /// The account's first computation (or first after it was replaced).
    First,
    /// A requirement moved by more than the configured threshold.
    Threshold,
    /// The health level changed (in either direction).
    LevelCrossing,
}

impl UpdateReason {
    /// The reason's byte in the encoding.
    pub fn code(self) -> u8 {
        match self {
            UpdateReason::First => 1,
            UpdateReason::Threshold => 2,
            UpdateReason::LevelCrossing => 3,
        }
    }
}

/// One emitted update. Amounts are exact integer base units of the margin asset as decimal
/// strings (requirements rounded up, equity down).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct MarginUpdate {
    /// Account id.
    pub account: String,
    /// Engine-wide sequence number (1, 2, …; continues across snapshot/restore).
    pub sequence: u64,
    /// The market's `now` (ms since the Unix epoch).
    pub timestamp: i64,
    /// Why it was emitted.
    pub reason: UpdateReason,
    /// The asset the amounts are in.
    pub margin_asset: String,
    /// Its decimals (base units per whole unit = 10^decimals).
    pub decimals: u8,
    /// Initial margin, base units, rounded up.
    pub initial_margin: String,
    /// Maintenance margin, base units, rounded up.
    pub maintenance_margin: String,
    /// Equity, base units, rounded down.
    pub equity: String,
    /// Equity / maintenance margin, absent when nothing is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub health: Option<f64>,
    /// Health level against the engine's configured levels.
    pub level: HealthLevel,
    /// Hex SHA-256 of the risk parameters.
    pub params_hash: String,
    /// Hex of the canonical encoding (see the module documentation).
    pub bytes: String,
    /// Hex SHA-256 of `bytes`.
    pub hash: String,
}

/// The numbers of an update before it is encoded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdateFields<'a> {
    pub account: &'a str,
    pub sequence: u64,
    pub timestamp: i64,
    pub reason: UpdateReason,
    pub margin_asset: &'a str,
    pub decimals: u8,
    pub initial_margin: i128,
    pub maintenance_margin: i128,
    pub equity: i128,
    pub health: Option<f64>,
    pub level: HealthLevel,
    pub params_hash: &'a str,
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn from_hex_32(hex: &str) -> Result<[u8; 32]> {
    let bad = || Error::invalid("paramsHash", "must be 64 hex digits");
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *slot = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Encodes `fields` (layout in the module documentation).
pub(crate) fn encode(fields: &UpdateFields<'_>) -> Result<Vec<u8>> {
    let account = fields.account.as_bytes();
    let account_len = u32::try_from(account.len())
        .map_err(|_| Error::invalid("account", "id too long to encode"))?;
    let asset = fields.margin_asset.as_bytes();
    let asset_len = u8::try_from(asset.len())
        .map_err(|_| Error::invalid("marginAsset", "longer than 255 bytes"))?;
    let mut out = Vec::with_capacity(128 + account.len());
    out.push(ENCODING_VERSION);
    out.extend_from_slice(&account_len.to_be_bytes());
    out.extend_from_slice(account);
    out.extend_from_slice(&fields.sequence.to_be_bytes());
    out.extend_from_slice(&fields.timestamp.to_be_bytes());
    out.push(asset_len);
    out.extend_from_slice(asset);
    out.push(fields.decimals);
    out.extend_from_slice(&fields.initial_margin.to_be_bytes());
    out.extend_from_slice(&fields.maintenance_margin.to_be_bytes());
    out.extend_from_slice(&fields.equity.to_be_bytes());
    out.push(fields.level.code());
    out.push(fields.reason.code());
    match fields.health {
        Some(h) => {
            out.push(1);
            out.extend_from_slice(&h.to_bits().to_be_bytes());
        }
        None => out.extend_from_slice(&[0; 9]),
    }
    out.extend_from_slice(&from_hex_32(fields.params_hash)?);
    Ok(out)
}

impl MarginUpdate {
    /// Builds the update, its encoding and hash.
    pub(crate) fn new(fields: &UpdateFields<'_>) -> Result<MarginUpdate> {
        let bytes = encode(fields)?;
        let hash = Sha256::digest(&bytes);
        Ok(MarginUpdate {
            account: fields.account.to_string(),
            sequence: fields.sequence,
            timestamp: fields.timestamp,
            reason: fields.reason,
            margin_asset: fields.margin_asset.to_string(),
            decimals: fields.decimals,
            initial_margin: fields.initial_margin.to_string(),
            maintenance_margin: fields.maintenance_margin.to_string(),
            equity: fields.equity.to_string(),
            health: fields.health,
            level: fields.level,
            params_hash: fields.params_hash.to_string(),
            bytes: to_hex(&bytes),
            hash: to_hex(&hash),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_sha256_of_empty_input() {
        // `printf "" | sha256sum` (coreutils).
        assert_eq!(
            to_hex(&Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(to_hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert!(from_hex_32("zz").is_err());
    }
}
