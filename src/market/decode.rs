//! Decoding of the market interchange shapes ([`MarketSpec`] and everything under it) from a
//! parsed JSON tree (`crate::json::tree`), by hand through `crate::json::fields`: one plain call per field instead of
//! a derived serde visitor per struct inlined into its parent (the `.wasm` budget; README "Build
//! profile and size").
//!
//! Same contract as the derives it replaces: camelCase names, unknown fields refused by path,
//! `#[serde(default)]` fields optional, `Option` fields also accept `null`, integers where the
//! type is an integer (a float that is a safe integer counts, as JS sends one), `null` is never a
//! number (JS NaN and ±Infinity arrive as null). A vol slice's errors now name the field inside
//! the slice (serde's buffered tagged enum reported the next line's entry). Owns decoding only;
//! domains are checked by [`super::Market::new`].

use super::feed_confidence::{
    ExpiryConfidenceUpdate, FeedConfidence, FeedConfidenceUpdate, UnderlyingConfidenceUpdate,
};
use super::snapshot::{
    CollateralQuote, Depth, ForwardQuote, Funding, IndexQuote, MarketSpec, RiskFlag, UnderlyingSpec,
};
use super::vol_surface::{StickyRule, VolSliceSpec, VolSurfaceSpec};
use crate::error::{Error, Result};
use crate::json::fields::{array, integer, list_of, map_of, number, number_at, variant, Fields};
use crate::json::tree::Value;
use crate::json::Path;

/// [`MarketSpec`] from `value` (`path` prefixes error fields; "" at the root).
pub fn market_spec(value: &Value, path: &Path<'_>) -> Result<MarketSpec> {
    let mut o = Fields::named(
        value,
        path,
        &[
            "now",
            "underlyings",
            "collateral",
            "flags",
            "feedConfidence",
        ],
    )?;
    let now = o.required_i64("now")?;
    let (underlyings, at) = o.required("underlyings")?;
    let underlyings = map_of(underlyings, &at, underlying_spec)?;
    let mut spec = MarketSpec {
        now,
        underlyings,
        collateral: Default::default(),
        flags: Vec::new(),
        feed_confidence: None,
    };
    o.by_name("collateral", &mut spec.collateral, collateral_quote)?;
    o.list("flags", &mut spec.flags, risk_flag)?;
    if let Some((v, at)) = o.optional("feedConfidence") {
        spec.feed_confidence = Some(feed_confidence(v, &at)?);
    }
    o.finish()?;
    Ok(spec)
}

/// [`UnderlyingSpec`] from `value`.
pub fn underlying_spec(value: &Value, path: &Path<'_>) -> Result<UnderlyingSpec> {
    let mut o = Fields::named(
        value,
        path,
        &[
            "index",
            "rate",
            "forwards",
            "marks",
            "funding",
            "vol",
            "markIv",
            "depth",
            "openInterest",
        ],
    )?;
    let (index, at) = o.required("index")?;
    let mut spec = UnderlyingSpec {
        index: index_quote(index, &at)?,
        rate: 0.0,
        forwards: Vec::new(),
        marks: Default::default(),
        funding: None,
        vol: None,
        mark_iv: Default::default(),
        depth: None,
        open_interest: None,
    };
    o.f64("rate", &mut spec.rate)?;
    o.list("forwards", &mut spec.forwards, forward_quote)?;
    o.by_name("marks", &mut spec.marks, number_at)?;
    if let Some((v, at)) = o.optional("funding") {
        spec.funding = Some(funding(v, &at)?);
    }
    if let Some((v, at)) = o.optional("vol") {
        spec.vol = Some(vol_surface_spec(v, &at)?);
    }
    o.by_name("markIv", &mut spec.mark_iv, number_at)?;
    if let Some((v, at)) = o.optional("depth") {
        spec.depth = Some(depth(v, &at)?);
    }
    o.optional_f64("openInterest", &mut spec.open_interest)?;
    o.finish()?;
    Ok(spec)
}

fn index_quote(value: &Value, path: &Path<'_>) -> Result<IndexQuote> {
    let mut o = Fields::named(value, path, &["price", "conf", "publishTime"])?;
    let mut quote = IndexQuote {
        price: o.required_f64("price")?,
        conf: 0.0,
        publish_time: 0,
    };
    o.f64("conf", &mut quote.conf)?;
    quote.publish_time = o.required_i64("publishTime")?;
    o.finish()?;
    Ok(quote)
}

fn forward_quote(value: &Value, path: &Path<'_>) -> Result<ForwardQuote> {
    let mut o = Fields::named(value, path, &["expiry", "price", "rate"])?;
    let mut quote = ForwardQuote {
        expiry: o.required_i64("expiry")?,
        price: o.required_f64("price")?,
        rate: None,
    };
    o.optional_f64("rate", &mut quote.rate)?;
    o.finish()?;
    Ok(quote)
}

fn funding(value: &Value, path: &Path<'_>) -> Result<Funding> {
    let mut o = Fields::named(value, path, &["rate", "intervalMs"])?;
    let funding = Funding {
        rate: o.required_f64("rate")?,
        interval_ms: o.required_i64("intervalMs")?,
    };
    o.finish()?;
    Ok(funding)
}

fn depth(value: &Value, path: &Path<'_>) -> Result<Depth> {
    let mut o = Fields::named(value, path, &["bids", "asks"])?;
    let (bids, at) = o.required("bids")?;
    let bids = list_of(bids, &at, level)?;
    let (asks, at) = o.required("asks")?;
    let asks = list_of(asks, &at, level)?;
    o.finish()?;
    Ok(Depth { bids, asks })
}

/// A `[price, size]` pair.
fn level(value: &Value, path: &Path<'_>) -> Result<[f64; 2]> {
    match array(value, path)? {
        [price, size] => Ok([
            number(price, &Path::Index(path, 0))?,
            number(size, &Path::Index(path, 1))?,
        ]),
        items => Err(Error::invalid(
            path.to_string(),
            format!(
                "invalid length {}, expected an array of length 2",
                items.len()
            ),
        )),
    }
}

fn collateral_quote(value: &Value, path: &Path<'_>) -> Result<CollateralQuote> {
    let mut o = Fields::named(value, path, &["price", "decimals"])?;
    let price = o.required_f64("price")?;
    let (decimals, at) = o.required("decimals")?;
    let decimals = u8::try_from(integer(decimals, &at, u64::from(u8::MAX))?).unwrap_or(u8::MAX);
    o.finish()?;
    Ok(CollateralQuote { price, decimals })
}

fn risk_flag(value: &Value, path: &Path<'_>) -> Result<RiskFlag> {
    let mut o = Fields::named(value, path, &["kind", "scope"])?;
    let mut flag = RiskFlag {
        kind: o.required_string("kind")?,
        scope: None,
    };
    o.optional_string("scope", &mut flag.scope)?;
    o.finish()?;
    Ok(flag)
}

/// The market's `feedConfidence`: decoded as an update (the engine's `feedConfidence` event) and
/// completed with 1 for every score not given, so both read the same shape the same way.
fn feed_confidence(value: &Value, path: &Path<'_>) -> Result<FeedConfidence> {
    feed_confidence_update(value, path).map(FeedConfidence::from)
}

/// [`FeedConfidenceUpdate`] from `value`: the shape of a market's `feedConfidence` with every
/// score optional (absent: kept). A score given must be a number (`null`, which is how JS sends
/// NaN, is refused as the market's decoder refuses it).
pub fn feed_confidence_update(value: &Value, path: &Path<'_>) -> Result<FeedConfidenceUpdate> {
    let mut o = Fields::named(value, path, &["underlyings", "collateral"])?;
    let mut update = FeedConfidenceUpdate::default();
    o.by_name(
        "underlyings",
        &mut update.underlyings,
        underlying_confidence_update,
    )?;
    o.by_name("collateral", &mut update.collateral, number_at)?;
    o.finish()?;
    Ok(update)
}

/// Sets `slot` from the number `key` if present (`null` is not a number).
fn given_score(o: &mut Fields<'_>, key: &'static str, slot: &mut Option<f64>) -> Result<()> {
    if let Some((value, at)) = o.child(key) {
        *slot = Some(number(value, &at)?);
    }
    Ok(())
}

fn underlying_confidence_update(
    value: &Value,
    path: &Path<'_>,
) -> Result<UnderlyingConfidenceUpdate> {
    let mut o = Fields::named(value, path, &["spot", "perp", "expiries"])?;
    let mut update = UnderlyingConfidenceUpdate::default();
    given_score(&mut o, "spot", &mut update.spot)?;
    given_score(&mut o, "perp", &mut update.perp)?;
    o.list("expiries", &mut update.expiries, expiry_confidence_update)?;
    o.finish()?;
    Ok(update)
}

fn expiry_confidence_update(value: &Value, path: &Path<'_>) -> Result<ExpiryConfidenceUpdate> {
    let mut o = Fields::named(value, path, &["expiry", "forward", "rate", "vol"])?;
    let mut update = ExpiryConfidenceUpdate {
        expiry: o.required_i64("expiry")?,
        forward: None,
        rate: None,
        vol: None,
    };
    given_score(&mut o, "forward", &mut update.forward)?;
    given_score(&mut o, "rate", &mut update.rate)?;
    given_score(&mut o, "vol", &mut update.vol)?;
    o.finish()?;
    Ok(update)
}

/// [`VolSurfaceSpec`] from `value`.
pub fn vol_surface_spec(value: &Value, path: &Path<'_>) -> Result<VolSurfaceSpec> {
    let mut o = Fields::named(value, path, &["slices"])?;
    let (slices, at) = o.required("slices")?;
    let slices = list_of(slices, &at, vol_slice)?;
    o.finish()?;
    Ok(VolSurfaceSpec { slices })
}

/// One slice, tagged by `type` (`svi` or `grid`).
fn vol_slice(value: &Value, path: &Path<'_>) -> Result<VolSliceSpec> {
    let mut o = Fields::new(value, path)?;
    let (kind, at) = o.required("type")?;
    let slice = match variant(kind, &at, &["svi", "grid"])? {
        0 => {
            o.only(&["type", "expiry", "a", "b", "rho", "m", "sigma"])?;
            VolSliceSpec::Svi {
                expiry: o.required_i64("expiry")?,
                a: o.required_f64("a")?,
                b: o.required_f64("b")?,
                rho: o.required_f64("rho")?,
                m: o.required_f64("m")?,
                sigma: o.required_f64("sigma")?,
            }
        }
        _ => {
            o.only(&["type", "expiry", "forward", "strikes", "ivs"])?;
            let expiry = o.required_i64("expiry")?;
            let forward = o.required_f64("forward")?;
            let (strikes, at) = o.required("strikes")?;
            let strikes = list_of(strikes, &at, number_at)?;
            let (ivs, at) = o.required("ivs")?;
            let ivs = list_of(ivs, &at, number_at)?;
            VolSliceSpec::Grid {
                expiry,
                forward,
                strikes,
                ivs,
            }
        }
    };
    o.finish()?;
    Ok(slice)
}

/// [`StickyRule`] from its name (`strike` or `moneyness`).
pub fn sticky_rule(value: &Value, path: &Path<'_>) -> Result<StickyRule> {
    Ok(match variant(value, path, &["strike", "moneyness"])? {
        0 => StickyRule::Strike,
        _ => StickyRule::Moneyness,
    })
}

crate::margin::params_decode::deserialize_with! {
    MarketSpec => market_spec,
    UnderlyingSpec => underlying_spec,
    VolSurfaceSpec => vol_surface_spec,
}

#[cfg(test)]
mod tests {
    use super::super::feed_confidence::{ExpiryConfidence, UnderlyingConfidence};
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fixture_round_trips_through_its_serialised_form() {
        // Property: decoding what `Serialize` wrote gives the very spec back (every field of
        // every shape, a grid slice and a per-expiry rate included).
        let text = std::fs::read_to_string("tests/fixtures/market.json").unwrap();
        let mut spec =
            crate::json::decode_value(&serde_json::from_str(&text).unwrap(), "", market_spec)
                .unwrap();
        let btc = spec.underlyings.get_mut("BTC").unwrap();
        btc.forwards[0].rate = Some(0.03);
        btc.open_interest = Some(1e9);
        btc.vol.as_mut().unwrap().slices.push(VolSliceSpec::Grid {
            expiry: 1_900_000_000_000,
            forward: 1.5,
            strikes: vec![1.0, 2.0],
            ivs: vec![0.5, 0.6],
        });
        spec.feed_confidence = Some(FeedConfidence {
            underlyings: [(
                "BTC".to_string(),
                UnderlyingConfidence {
                    spot: 0.5,
                    perp: 0.25,
                    expiries: vec![ExpiryConfidence {
                        expiry: 1_900_000_000_000,
                        forward: 0.75,
                        rate: 1.0,
                        vol: 0.125,
                    }],
                },
            )]
            .into_iter()
            .collect(),
            collateral: [("WETH".to_string(), 0.9)].into_iter().collect(),
        });
        let value = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            crate::json::decode_value(&value, "", market_spec).unwrap(),
            spec
        );
    }

    #[test]
    fn bad_fields_are_named_by_their_full_path() {
        let base = json!({"now": 1, "underlyings": {"BTC": {"index": {"price": 1, "publishTime": 1},
            "vol": {"slices": [{"type": "svi", "expiry": 2, "a": 0.1, "b": 0.1, "rho": 0, "m": 0, "sigma": 0.1}]}}}});
        assert!(crate::json::decode_value(&base, "", market_spec).is_ok());
        let cases = [
            (
                "/underlyings/BTC/vol/slices/0/a",
                json!("x"),
                "market.underlyings.BTC.vol.slices[0].a",
            ),
            (
                "/underlyings/BTC/vol/slices/0/type",
                json!("spline"),
                "market.underlyings.BTC.vol.slices[0].type",
            ),
            (
                "/underlyings/BTC/index/publishTime",
                json!(1.5),
                "market.underlyings.BTC.index.publishTime",
            ),
            (
                "/underlyings/BTC/index/price",
                json!(null),
                "market.underlyings.BTC.index.price",
            ),
            (
                "/underlyings/BTC/depth",
                json!({"bids": [[1, 2, 3]], "asks": []}),
                "market.underlyings.BTC.depth.bids[0]",
            ),
            (
                "/collateral",
                json!({"USDC": {"price": 1, "decimals": 256}}),
                "market.collateral.USDC.decimals",
            ),
            (
                "/flags",
                json!([{"kind": "depeg", "scop": "USDC"}]),
                "market.flags[0].scop",
            ),
            (
                "/feedConfidence",
                json!({"underlyings": {"BTC": {"expiries": [{"expiry": 2, "vol": "x"}]}}}),
                "market.feedConfidence.underlyings.BTC.expiries[0].vol",
            ),
            (
                "/feedConfidence",
                json!({"collateral": {"WETH": 0.9}, "spot": 1}),
                "market.feedConfidence.spot",
            ),
            (
                "/underlyings/BTC/marks",
                json!({"BTC-PERP": "1"}),
                "market.underlyings.BTC.marks.BTC-PERP",
            ),
        ];
        for (pointer, bad, field) in cases {
            let mut value = base.clone();
            match value.pointer_mut(pointer) {
                Some(slot) => *slot = bad,
                None => {
                    let (parent, key) = pointer.rsplit_once('/').unwrap();
                    value
                        .pointer_mut(parent)
                        .unwrap()
                        .as_object_mut()
                        .unwrap()
                        .insert(key[..].to_string(), bad);
                }
            }
            let err = crate::json::decode_value(&value, "market", market_spec).unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("E_INVALID_INPUT", field),
                "{pointer}: {err}"
            );
        }
        // A safe integer written as a float is an integer; null is an absent `Option`.
        let mut value = base.clone();
        value["now"] = json!(1_795_507_200_000.0_f64);
        value["underlyings"]["BTC"]["depth"] = serde_json::Value::Null;
        assert_eq!(
            crate::json::decode_value(&value, "", market_spec)
                .unwrap()
                .now,
            1_795_507_200_000
        );
        let err = crate::json::decode_value(&json!({"now": 1}), "", market_spec).unwrap_err();
        assert!(
            err.to_string().contains("missing field `underlyings`"),
            "{err}"
        );
    }
}
