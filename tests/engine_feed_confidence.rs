//! The engine's `feedConfidence` event: Derive's oracle feed confidence scores streamed into the
//! market without resending it. Checked here: the scores merge (those listed replace, the others
//! stay); the requirement after the event equals `margin()` on a market written with those scores
//! directly (the engine's invariant; the Derive contingencies themselves are checked against
//! derivexyz/v2-core in tests/derive_margin.rs) and rises by the contingency restated from Derive's
//! formula; bad scores and unknown symbols are coded errors with the market's field paths and
//! change nothing; snapshot/restore and the NDJSON replay carry the scores; accounts that read no
//! listed score are not recomputed.
#![allow(clippy::unwrap_used)] // test code

use drr_margin::engine::{replay, EngineConfig, EngineParams, Event, MarginEngine, MarginUpdate};
use drr_margin::json;
use drr_margin::margin::{margin, MarginReport};
use drr_margin::market::MarketSpec;
use drr_margin::portfolio::AccountSpec;
use serde_json::{json, Value};

const NOW: i64 = 1_795_507_200_000; // 2026-11-24 08:00 UTC
const DEC25: i64 = 1_798_185_600_000; // 2026-12-25 08:00 UTC (date -u -d '2026-12-25 08:00' +%s)
const ETH: f64 = 3500.0;

/// An engine of `params` (a profile and overrides) that emits on any move.
fn engine_with(params: Value) -> MarginEngine {
    let mut params = params;
    params["engine"] = json!({"relativeThreshold": 0, "absoluteThreshold": 0});
    MarginEngine::new(EngineParams::resolve(Some(params)).unwrap())
}

fn engine(profile: &str) -> MarginEngine {
    engine_with(json!({ "profile": profile }))
}

/// The market as JSON, `feed_confidence` (if any) as its `feedConfidence`.
fn market_json(feed_confidence: Option<Value>) -> Value {
    let mut m = json!({
        "now": NOW,
        "underlyings": {
            "BTC": {"index": {"price": 100_000, "publishTime": NOW},
                    "marks": {"BTC_USDC-PERPETUAL": 100_000}},
            "ETH": {"index": {"price": ETH, "publishTime": NOW},
                    "marks": {"ETH_USDC-PERPETUAL": ETH},
                    "forwards": [{"expiry": DEC25, "price": ETH}],
                    "vol": {"slices": [{"type": "svi", "expiry": DEC25, "a": 0.04, "b": 0.1,
                                        "rho": -0.2, "m": 0.0, "sigma": 0.1}]}}
        },
        "collateral": {"USDC": {"price": 1, "decimals": 6},
                       "ETH": {"price": ETH, "decimals": 18},
                       "WBTC": {"price": 100_000, "decimals": 8}}
    });
    if let Some(scores) = feed_confidence {
        m["feedConfidence"] = scores;
    }
    m
}

fn market(feed_confidence: Option<Value>) -> MarketSpec {
    json::from_value(market_json(feed_confidence)).unwrap()
}

fn account(value: Value) -> AccountSpec {
    json::from_value(value).unwrap()
}

/// 10 ETH perpetuals short against USDC.
fn eth_perps(mode: &str) -> AccountSpec {
    account(json!({"mode": mode, "collateral": {"USDC": 20_000},
        "positions": [{"instrument": "ETH_USDC-PERPETUAL", "size": -10, "entryPrice": ETH}]}))
}

/// 1 BTC perpetual long against USDC.
fn btc_perp(mode: &str) -> AccountSpec {
    account(json!({"mode": mode, "collateral": {"USDC": 50_000},
        "positions": [{"instrument": "BTC_USDC-PERPETUAL", "size": 1, "entryPrice": 100_000}]}))
}

fn event(value: Value) -> Event {
    Event::from_value(value).unwrap()
}

fn scores(payload: Value) -> Event {
    let mut e = payload;
    e["type"] = json!("feedConfidence");
    event(e)
}

/// `margin()` of `id`'s current account on `market`, with the engine's parameters.
fn margin_on(e: &MarginEngine, id: &str, market: &MarketSpec) -> MarginReport {
    margin(market, e.account(id).unwrap(), e.params().risk()).unwrap()
}

fn initial(r: &MarginReport) -> f64 {
    r.initial_margin.value
}

fn ids(updates: &[MarginUpdate]) -> Vec<&str> {
    updates.iter().map(|u| u.account.as_str()).collect()
}

fn assert_update_is(update: &MarginUpdate, r: &MarginReport) {
    assert_eq!(update.initial_margin, r.initial_margin.units, "{update:?}");
    assert_eq!(update.maintenance_margin, r.maintenance_margin.units);
    assert_eq!(update.equity, r.equity.units);
    assert_eq!(update.health, r.health);
}

/// Applies the feed scores `payload` and checks that only `id` is updated, to what `margin()`
/// gives on the market with the same scores set directly; returns that report.
fn apply_scores_as_margin(e: &mut MarginEngine, id: &str, payload: Value) -> MarginReport {
    let updates = e.apply(scores(payload.clone())).unwrap();
    assert_eq!(ids(&updates), [id]);
    let direct = margin_on(e, id, &market(Some(payload)));
    assert_update_is(&updates[0], &direct);
    direct
}

#[test]
fn a_low_score_raises_the_derive_standard_im_as_margin_with_the_scores_set_directly() {
    let mut e = engine("derive-standard");
    e.set_market(market(None)).unwrap();
    e.upsert_account("eth", eth_perps("cross")).unwrap();
    let base = e.report("eth").unwrap();

    // ETH's spot feed drops to 0.4 (< perpConfidenceThreshold 0.55 of Derive mainnet).
    let direct = apply_scores_as_margin(
        &mut e,
        "eth",
        json!({"underlyings": {"ETH": {"spot": 0.4}}}),
    );
    assert_eq!(e.report("eth").unwrap(), direct);
    // StandardManager `_getNetPerpMargin`: IM += (1 − min(perp, spot))·confidenceFactor·S·|perps|
    // = 0.6·1·3500·10 = 21,000 USD; MM unchanged (docs/venues/derive.md §1.4).
    let rise = initial(&direct) - initial(&base);
    assert!((rise - 0.6 * ETH * 10.0).abs() < 1e-6, "{rise}");
    assert_eq!(
        direct.maintenance_margin.units,
        base.maintenance_margin.units
    );

    // The perp feed's score arrives alone: the spot score stays 0.4 (merged, not replaced).
    let updates = e
        .apply(scores(json!({"underlyings": {"ETH": {"perp": 0.3}}})))
        .unwrap();
    let both = json!({"underlyings": {"ETH": {"spot": 0.4, "perp": 0.3}}});
    assert_eq!(
        e.market().unwrap().spec().feed_confidence,
        market(Some(both.clone())).feed_confidence
    );
    let direct = margin_on(&e, "eth", &market(Some(both)));
    assert_update_is(&updates[0], &direct);
    let rise = initial(&direct) - initial(&base);
    assert!((rise - 0.7 * ETH * 10.0).abs() < 1e-6, "{rise}");

    // Both back to 1: the contingency is gone, IM as before any score.
    let updates = e
        .apply(scores(
            json!({"underlyings": {"ETH": {"spot": 1, "perp": 1}}}),
        ))
        .unwrap();
    assert_eq!(updates[0].initial_margin, base.initial_margin.units);
    assert_eq!(e.report("eth").unwrap(), base);
}

#[test]
fn expiry_and_collateral_scores_merge_and_match_margin_with_the_scores_set_directly() {
    // derive-standard: 10 short ETH calls (option contingency: min(spot, forward, vol of the
    // expiry)) and 2 ETH collateral (base contingency: min(the asset's score, ETH's spot)).
    let mut e = engine("derive-standard");
    e.set_market(market(None)).unwrap();
    e.upsert_account(
        "calls",
        account(json!({"mode": "cross", "collateral": {"USDC": 30_000},
            "positions": [{"instrument": "ETH_USDC-25DEC26-4000-C", "size": -10}]})),
    )
    .unwrap();
    e.upsert_account(
        "coin",
        account(json!({"mode": "cross", "collateral": {"ETH": 2}, "positions": []})),
    )
    .unwrap();
    let (calls, coin) = (e.report("calls").unwrap(), e.report("coin").unwrap());
    let steps = [
        json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "vol": 0.5}]}}}),
        json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "forward": 0.2}]}}}),
        json!({"collateral": {"ETH": 0.1}}),
        json!({"underlyings": {"ETH": {"spot": 0.05}}}),
    ];
    let merged = [
        json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "vol": 0.5}]}}}),
        json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "forward": 0.2, "vol": 0.5}]}}}),
        json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "forward": 0.2, "vol": 0.5}]}},
               "collateral": {"ETH": 0.1}}),
        json!({"underlyings": {"ETH": {"spot": 0.05,
                                       "expiries": [{"expiry": DEC25, "forward": 0.2, "vol": 0.5}]}},
               "collateral": {"ETH": 0.1}}),
    ];
    // Who moves: the expiry scores reach the short calls only; the collateral score the ETH
    // holder only; ETH's spot score both (it caps the ETH collateral's score too).
    let movers = [
        vec!["calls"],
        vec!["calls"],
        vec!["coin"],
        vec!["calls", "coin"],
    ];
    for ((step, merged), movers) in steps.iter().zip(&merged).zip(&movers) {
        let updates = e.apply(scores(step.clone())).unwrap();
        let direct = market(Some(merged.clone()));
        assert_eq!(
            e.market().unwrap().spec().feed_confidence,
            direct.feed_confidence,
            "{step}"
        );
        assert_eq!(&ids(&updates), movers, "{step}");
        for u in &updates {
            assert_update_is(u, &margin_on(&e, &u.account, &direct));
        }
        for id in ["calls", "coin"] {
            assert_eq!(e.report(id).unwrap(), margin_on(&e, id, &direct), "{id}");
        }
    }
    // Restated: options IM += (1 − 0.05)·1·S·10 (min(spot 0.05, forward 0.2, vol 0.5)), base
    // collateral IM += (1 − 0.05)·1·2·S (min(asset 0.1, ETH spot 0.05)) (StandardManager
    // `_getNetOptionMarginAndMtM`, `_getBaseMarginAndMtM`; docs/venues/derive.md §1.4).
    let rise = initial(&e.report("calls").unwrap()) - initial(&calls);
    assert!((rise - 0.95 * ETH * 10.0).abs() < 1e-6, "{rise}");
    let rise = initial(&e.report("coin").unwrap()) - initial(&coin);
    assert!((rise - 0.95 * 2.0 * ETH).abs() < 1e-6, "{rise}");
}

#[test]
fn a_low_score_raises_the_pmrm_2_im_as_margin_with_the_scores_set_directly() {
    let mut e = engine("derive-portfolio");
    e.set_market(market(None)).unwrap();
    e.upsert_account("eth", eth_perps("portfolio")).unwrap();
    e.upsert_account("btc", btc_perp("portfolio")).unwrap();
    let base = e.report("eth").unwrap();
    let direct = apply_scores_as_margin(
        &mut e,
        "eth",
        json!({"underlyings": {"ETH": {"spot": 0.25}}}),
    );
    // PMRM_2 `_getConfidenceContingency`: IM += (1 − q)·confMargin·|perps|·S with q the spot
    // score, below confThreshold 0.55: 0.75·1·10·3500 (docs/venues/derive.md §3).
    let rise = initial(&direct) - initial(&base);
    assert!((rise - 0.75 * 10.0 * ETH).abs() < 1e-6, "{rise}");
}

#[test]
fn pmrm_2_collateral_without_positions_takes_the_lowest_listed_spot_score() {
    // PMRM_2 collateral ETH (no haircut); "coin" holds 2 ETH and no position: its collateral's
    // confidence is capped by the lowest spot score listed (derive_portfolio module doc), so a
    // BTC spot score reaches it; the ETH perp holder reads no BTC score.
    let mut e = engine_with(
        json!({"profile": "derive-portfolio", "portfolio": {"derive": {
        "collateral": {"ETH": {"mmHaircut": 0, "imHaircut": 0, "riskCancelling": false}}}}}),
    );
    e.set_market(market(None)).unwrap();
    e.upsert_account(
        "coin",
        account(json!({"mode": "portfolio", "collateral": {"ETH": 2}, "positions": []})),
    )
    .unwrap();
    e.upsert_account("eth", eth_perps("portfolio")).unwrap();
    let base = e.report("coin").unwrap();
    let direct = apply_scores_as_margin(
        &mut e,
        "coin",
        json!({"underlyings": {"BTC": {"spot": 0.2}}}),
    );
    // IM += (1 − 0.2)·confMargin 1·collateral value 2·S.
    let rise = initial(&direct) - initial(&base);
    assert!((rise - 0.8 * 2.0 * ETH).abs() < 1e-6, "{rise}");
}

#[test]
fn accounts_that_read_no_listed_score_are_not_recomputed() {
    // A recomputation is made visible: after lowering the levels (set_config recomputes nothing),
    // any account recomputed reports a level crossing, whatever its numbers.
    let lowered = EngineConfig {
        relative_threshold: 0.0,
        absolute_threshold: 0.0,
        warning_health: 100.0,
        liquidatable_health: 99.0,
    };
    for (profile, mode) in [
        ("derive-standard", "cross"),
        ("derive-portfolio", "portfolio"),
    ] {
        let mut e = engine(profile);
        e.set_market(market(None)).unwrap();
        e.upsert_account("eth", eth_perps(mode)).unwrap();
        e.upsert_account("btc", btc_perp(mode)).unwrap();
        e.set_config(lowered.clone()).unwrap();
        // ETH's scores: the BTC account reads none of them.
        let updates = e
            .apply(scores(json!({"underlyings": {"ETH": {"spot": 0.9}}})))
            .unwrap();
        assert_eq!(ids(&updates), ["eth"], "{profile}");
        // A collateral score of an asset nobody holds: no one.
        let updates = e
            .apply(scores(json!({"collateral": {"WBTC": 0.2}})))
            .unwrap();
        assert!(updates.is_empty(), "{profile}: {updates:?}");
        // The witness works: a BTC index update recomputes "btc", which then crosses.
        let updates = e
            .apply(event(json!({"type": "indexUpdate", "underlying": "BTC",
                "price": 100_000, "publishTime": NOW})))
            .unwrap();
        assert_eq!(ids(&updates), ["btc"], "{profile}");
    }
    // Models that read no score at all (the drr and deribit profiles): nobody is recomputed, the
    // market still takes the scores.
    for profile in ["drr", "deribit-portfolio"] {
        let mut e = engine(profile);
        e.set_market(market(None)).unwrap();
        e.upsert_account("cross", eth_perps("cross")).unwrap();
        e.upsert_account("pm", eth_perps("portfolio")).unwrap();
        e.set_config(lowered.clone()).unwrap();
        let updates = e
            .apply(scores(json!({"underlyings": {"ETH": {"spot": 0.1}}})))
            .unwrap();
        assert!(updates.is_empty(), "{profile}: {updates:?}");
        assert_eq!(
            e.market().unwrap().spec().feed_confidence,
            market(Some(json!({"underlyings": {"ETH": {"spot": 0.1}}}))).feed_confidence
        );
    }
}

#[test]
fn bad_scores_are_coded_errors_with_the_markets_field_paths_and_change_nothing() {
    let mut e = engine("derive-standard");
    let err = e
        .apply(scores(json!({"underlyings": {"ETH": {"spot": 0.5}}})))
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("E_MISSING_MARKET_DATA", "market")
    );
    e.set_market(market(Some(json!({"underlyings": {"ETH": {"spot": 0.8}}}))))
        .unwrap();
    e.upsert_account("eth", eth_perps("cross")).unwrap();
    let before = e.snapshot();
    // (payload, field): the same payload as the market's `feedConfidence` is refused by
    // setMarket with the same path under `market.feedConfidence.`, except where the event alone
    // checks that the symbol is in the market (`None`: the market takes any symbol).
    let cases: [(Value, &str, bool); 12] = [
        (
            json!({"underlyings": {"ETH": {"spot": 1.5}}}),
            "underlyings.ETH.spot",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"perp": -0.1}}}),
            "underlyings.ETH.perp",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"spot": "NaN"}}}),
            "underlyings.ETH.spot",
            true,
        ),
        // JS sends NaN as null: not a number, as in the market.
        (
            json!({"underlyings": {"ETH": {"spot": null}}}),
            "underlyings.ETH.spot",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25, "vol": 2}]}}}),
            "underlyings.ETH.expiries[0].vol",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"expiries": [{"expiry": DEC25}, {"expiry": DEC25, "rate": 0.5}]}}}),
            "underlyings.ETH.expiries[1].expiry",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"expiries": [{"expiry": -5}]}}}),
            "underlyings.ETH.expiries[0].expiry",
            true,
        ),
        (
            json!({"underlyings": {"ETH": {"spots": 0.5}}}),
            "underlyings.ETH.spots",
            true,
        ),
        (json!({"collateral": {"ETH": 7}}), "collateral.ETH", true),
        (json!({"spot": 0.5}), "spot", true),
        (
            json!({"underlyings": {"DOGE": {"spot": 0.5}}}),
            "underlyings.DOGE",
            false,
        ),
        (
            json!({"collateral": {"DOGE": 0.5}}),
            "collateral.DOGE",
            false,
        ),
    ];
    for (payload, field, as_market) in cases {
        let mut ev = payload.clone();
        ev["type"] = json!("feedConfidence");
        let err = Event::from_value(ev)
            .and_then(|ev| e.apply(ev))
            .unwrap_err();
        // A score the market could hold but that is wrong: E_INVALID_INPUT, as in the market. A
        // symbol the market does not have: E_MISSING_MARKET_DATA, as `indexUpdate` and
        // `collateralPrice` refuse one.
        let code = if as_market {
            "E_INVALID_INPUT"
        } else {
            "E_MISSING_MARKET_DATA"
        };
        assert_eq!((err.code(), err.field()), (code, field), "{payload}: {err}");
        assert_eq!(e.snapshot(), before, "{payload} left the engine unchanged");
        // The market's decoder and validation, given the same object.
        let mut whole = market_json(None);
        whole["feedConfidence"] = payload.clone();
        let err = Event::from_value(json!({"type": "setMarket", "market": whole}))
            .and_then(|ev| e.apply(ev));
        if as_market {
            let err = err.unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                (
                    "E_INVALID_INPUT",
                    format!("market.feedConfidence.{field}").as_str()
                ),
                "{payload}"
            );
        } else {
            // The market takes scores of any symbol; put it back.
            err.unwrap();
            e = MarginEngine::restore(before.clone()).unwrap();
        }
        assert_eq!(e.snapshot(), before);
    }
    // The state after all those refusals still takes a good event.
    let updates = e
        .apply(scores(json!({"underlyings": {"ETH": {"spot": 0.5}}})))
        .unwrap();
    assert_eq!(ids(&updates), ["eth"]);
}

#[test]
fn snapshot_restore_and_replay_carry_the_scores() {
    let session = [
        json!({"type": "setMarket", "market": market_json(None)}),
        json!({"type": "upsertAccount", "id": "eth", "account": eth_perps("cross")}),
        json!({"type": "upsertAccount", "id": "btc", "account": btc_perp("cross")}),
        json!({"type": "feedConfidence", "underlyings": {"ETH": {"spot": 0.4,
            "expiries": [{"expiry": DEC25, "vol": 0.3}]}}, "collateral": {"ETH": 0.5}}),
    ];
    let tail = [
        json!({"type": "feedConfidence", "underlyings": {"ETH": {"perp": 0.2},
            "BTC": {"spot": 0.1}}}),
        json!({"type": "indexUpdate", "underlying": "ETH", "price": 3400, "publishTime": NOW}),
        json!({"type": "feedConfidence", "underlyings": {"ETH": {"perp": 0.9}}}),
    ];
    let ndjson = |events: &[Value]| {
        events
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut original = engine("derive-standard");
    replay(&mut original, &ndjson(&session), |_| Ok(())).unwrap();
    // The serialised snapshot holds the merged scores and restores to the same state.
    let text = serde_json::to_string(&original.snapshot()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["market"]["feedConfidence"],
        json!({"underlyings": {"ETH": {"spot": 0.4, "expiries": [{"expiry": DEC25, "vol": 0.3}]}},
               "collateral": {"ETH": 0.5}})
    );
    let mut restored = MarginEngine::restore(json::from_str(&text).unwrap()).unwrap();
    assert_eq!(restored.snapshot(), original.snapshot());
    let (mut a, mut b) = (vec![], vec![]);
    replay(&mut original, &ndjson(&tail), |u| {
        a.push(u.clone());
        Ok(())
    })
    .unwrap();
    replay(&mut restored, &ndjson(&tail), |u| {
        b.push(u.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(ids(&a), ["btc", "eth", "eth", "eth"]);
    assert_eq!(a, b, "byte-identical updates (bytes and hash included)");
    assert_eq!(restored.snapshot(), original.snapshot());
    // The event's own JSON (what a keeper logs) decodes back to the same event.
    for line in &tail {
        let ev = event(line.clone());
        assert_eq!(
            Event::from_json(&serde_json::to_string(&ev).unwrap()).unwrap(),
            ev
        );
    }
    // A refused line in a replay names its line.
    let bad = ndjson(&[json!({"type": "feedConfidence", "collateral": {"ETH": 2}})]);
    let err = replay(&mut original, &bad, |_| Ok(())).unwrap_err();
    assert_eq!(err.field(), "events[0].collateral.ETH");
}

#[test]
fn time_advance_drops_the_scores_of_expired_expiries_only() {
    // Scores for DEC25 (listed in the market) and for a later expiry; ETH's spot and perp scores
    // and a collateral score beside them. Past DEC25 only the DEC25 scores go, with its forward
    // and vol slice; the state equals a market written with the scores that remain.
    const MAR26: i64 = 1_805_961_600_000; // 2027-03-26 08:00 UTC
    let mut e = engine("derive-standard");
    e.set_market(market(None)).unwrap();
    e.upsert_account("eth", eth_perps("cross")).unwrap();
    e.apply(scores(json!({
        "underlyings": {"ETH": {"spot": 0.4, "perp": 0.6,
            "expiries": [{"expiry": DEC25, "vol": 0.3}, {"expiry": MAR26, "forward": 0.2}]}},
        "collateral": {"ETH": 0.5}})))
        .unwrap();
    let just_before = DEC25 - 86_400_000;
    e.apply(event(
        json!({"type": "timeAdvance", "now": just_before, "index": {"ETH": {"price": ETH}}}),
    ))
    .unwrap();
    assert_eq!(
        e.market().unwrap().spec().feed_confidence,
        market(Some(
            json!({"underlyings": {"ETH": {"spot": 0.4, "perp": 0.6,
            "expiries": [{"expiry": DEC25, "vol": 0.3}, {"expiry": MAR26, "forward": 0.2}]}},
            "collateral": {"ETH": 0.5}})
        ))
        .feed_confidence,
        "an expiry not yet reached keeps its scores"
    );
    e.apply(event(
        json!({"type": "timeAdvance", "now": DEC25, "index": {"ETH": {"price": ETH}}}),
    ))
    .unwrap();
    let remaining = json!({"underlyings": {"ETH": {"spot": 0.4, "perp": 0.6,
        "expiries": [{"expiry": MAR26, "forward": 0.2}]}}, "collateral": {"ETH": 0.5}});
    assert_eq!(
        e.market().unwrap().spec().feed_confidence,
        market(Some(remaining.clone())).feed_confidence
    );
    let text = serde_json::to_string(&e.snapshot()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["market"]["feedConfidence"], remaining);
}
