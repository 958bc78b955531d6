//! `margin()`: the whole computation for one account against one market snapshot.
//!
//! 1. Validate parameters, market and account.
//! 2. Value every position (USD, Greeks) and the haircut collateral → equity.
//! 3. The mode's model: standard per-position rules (cross, isolated) or the risk matrix
//!    (portfolio).
//! 4. The DRR sensitivity add-on on the net Greeks (floor or add-on, with its oracle buffer), the
//!    liquidity charge, then risk-flag multipliers/add-ons and the conservative stale-oracle
//!    multiplier. Nothing here ever lowers a requirement.
//! 5. Round to the margin asset: requirements up, equity down.

use super::collateral::{horizon_years, value_balance};
use super::derive_standard::derive_standard_contingencies;
use super::drr::{underlying_add_on, NetGreeks};
use super::liquidity::{no_depth_warning, underlying_charge, Liquidity};
use super::money::{to_base_units, Money, Rounding};
use super::params::{params_hash, DrrMode, RiskParams};
use super::portfolio::{portfolio_requirements_checked, Known, PositionMet};
use super::report::{Component, Components, MarginReport, PositionLine, Warning};
use super::scenario_cache::ScenarioCache;
use super::standard::standard_requirements_checked;
use super::statistical::statistical_risk;
use super::valuation::{
    option_unit_value_now, value_position, ExpiryTerms, OptionUnitValue, Shock, UnshockedTerms,
};
use crate::error::{Error, Quoted, Result};
use crate::market::{Market, MarketSpec};
use crate::portfolio::{Account, AccountSpec, MarginMode, Millis, Settlement};
use crate::vec_map::VecMap;

/// Where `Iterator::sum` of `f64` starts: a figure summed item by item from here, in the order
/// the items come, has the bits of the same items collected and summed, without keeping them.
const EMPTY_SUM: f64 = -0.0;

/// The vectors [`margin_detailed`] fills position by position for its models and drops at its
/// end. Natively the caller's [`ScenarioCache`] keeps them from one computation to the next
/// (emptied, their allocations reused: an engine recomputes its accounts at every update).
#[derive(Debug, Clone, Default)]
pub(crate) struct PositionBuffers {
    /// Each position's unshocked (USD value, delta).
    unshocked: Vec<(f64, f64)>,
    /// Each position's unit value if it is an option, if the account repeats an option.
    units: Vec<Option<OptionUnitValue>>,
    /// Each position's first position with the same option and its underlying's index.
    met_at: Vec<PositionMet>,
    /// Each position's option pricing inputs, for the risk matrix.
    terms: Vec<Option<UnshockedTerms>>,
    /// The terms of each expiry met, by underlying and expiry.
    expiries: Vec<(usize, Millis, ExpiryTerms)>,
    /// The positions' unshocked values, for the standard model.
    values: Vec<f64>,
    /// The book's underlyings (empty: their entries borrow the computation's market and account;
    /// see [`emptied`](crate::margin::scenario_cache::emptied)).
    books: Vec<BookUnderlying<'static>>,
}

impl PositionBuffers {
    /// Empties every vector (their allocations stay).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn clear(&mut self) {
        self.unshocked.clear();
        self.units.clear();
        self.met_at.clear();
        self.terms.clear();
        self.expiries.clear();
        self.values.clear();
        self.books.clear();
    }

    /// Empty buffers: the ones `cache` holds if there are any (natively), else new ones.
    fn lent_by(cache: Option<&ScenarioCache>) -> PositionBuffers {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(cache) = cache {
            return cache.lend_buffers();
        }
        #[cfg(target_arch = "wasm32")]
        let _ = cache;
        PositionBuffers::default()
    }

    /// Gives the buffers back to `cache` for its next computation.
    #[cfg(not(target_arch = "wasm32"))]
    fn give_back(self, cache: Option<&ScenarioCache>) {
        if let Some(cache) = cache {
            cache.give_buffers(self);
        }
    }
}

/// An underlying of the book as [`margin_detailed`] meets it position by position.
#[derive(Debug, Clone)]
struct BookUnderlying<'a> {
    name: &'a str,
    /// The market's data of it.
    data: &'a std::sync::Arc<crate::market::Underlying>,
    /// The net Greeks of its positions so far.
    greeks: NetGreeks,
    /// Whether its options' unit values are kept in the cache (its data if so), decided when
    /// the first of them is valued.
    kept: Option<Option<&'a std::sync::Arc<crate::market::Underlying>>>,
}

/// The entry of underlying `name` in `met`, added (with the market's data of it) if it is not
/// there yet, and its index; the market's error if it has no such underlying.
fn book_underlying<'m, 'a>(
    met: &'m mut Vec<BookUnderlying<'a>>,
    name: &'a str,
    market: &'a Market,
) -> Result<(usize, &'m mut BookUnderlying<'a>)> {
    // Names compared as the market compares them (length first: a book has few underlyings).
    let found = met
        .iter()
        .position(|u| u.name.len() == name.len() && crate::bytes::same_text(u.name, name));
    let slot = match found {
        Some(slot) => slot,
        None => {
            met.push(BookUnderlying {
                name,
                data: market.underlying_shared(name)?,
                greeks: NetGreeks::default(),
                kept: None,
            });
            met.len() - 1
        }
    };
    match met.get_mut(slot) {
        Some(book) => Ok((slot, book)),
        // Not reached: `slot` indexes `met`.
        None => Err(Error::missing(
            "underlyings",
            "no slot for an underlying of the book",
        )),
    }
}

/// The terms of `expiry` on underlying `slot` (`data`), from `met` if an option of that
/// expiry was valued before in this computation, else computed and added there.
fn expiry_terms(
    met: &mut Vec<(usize, Millis, ExpiryTerms)>,
    slot: usize,
    market: &Market,
    data: &crate::market::Underlying,
    expiry: Millis,
) -> Result<ExpiryTerms> {
    if let Some((_, _, terms)) = met.iter().find(|(s, e, _)| *e == expiry && *s == slot) {
        return Ok(*terms);
    }
    let terms = ExpiryTerms::new(market, data, expiry)?;
    met.push((slot, expiry, terms));
    Ok(terms)
}

/// [`option_unit_value_now`] of `position`, an option of `expiry` on underlying `slot`
/// (`data`), with the expiry's terms from `met` ([`expiry_terms`]). Always inlined natively:
/// each option of a book whose underlying moved is valued here, and inlined its value is built
/// in place (no call frame, no copies of the result); one copy in the `.wasm`.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn unit_value_now(
    met: &mut Vec<(usize, Millis, ExpiryTerms)>,
    slot: usize,
    market: &Market,
    data: &crate::market::Underlying,
    position: &crate::portfolio::Position,
    expiry: Millis,
) -> Result<OptionUnitValue> {
    let terms = expiry_terms(met, slot, market, data, expiry)?;
    option_unit_value_now(position, data, &terms)
}

/// Computes the margin report of `account` against `market` under `params`.
pub fn margin(
    market: &MarketSpec,
    account: &AccountSpec,
    params: &RiskParams,
) -> Result<MarginReport> {
    params.validate().map_err(|e| e.within("params"))?;
    let hash = params_hash(params)?;
    let market = Market::new(market.clone()).map_err(|e| e.within("market"))?;
    let account = Account::new(account).map_err(|e| e.within("account"))?;
    margin_hashed(&market, &account, params, &hash, false, None)
}

/// [`margin`] for an already validated market and account (the engine's incremental path).
pub fn margin_validated(
    market: &Market,
    account: &Account,
    params: &RiskParams,
) -> Result<MarginReport> {
    margin_hashed(market, account, params, &params_hash(params)?, false, None)
}

/// [`margin_validated`] keeping the risk matrix's pricing-node values in `cache` from one call to
/// the next: the same report, bit for bit, whatever the cache holds (see
/// [`super::scenario_cache`]); faster when accounts share nodes or an account is recomputed
/// against an unchanged market. The caller may forget an underlying whose data moved
/// ([`ScenarioCache::forget_underlying`]) to bound memory; correctness never depends on it.
pub fn margin_validated_cached(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    cache: &ScenarioCache,
) -> Result<MarginReport> {
    margin_hashed(
        market,
        account,
        params,
        &params_hash(params)?,
        false,
        Some(cache),
    )
}

/// [`margin_validated`] with the parameters' hash computed by the caller (`params_hash(params)`:
/// serialising the parameters costs more than a cross-margin computation of 50 legs, so callers
/// that compute many reports with the same parameters hash them once; the engine does, and the
/// JS binding keeps the last parameters). `params_checked`: the caller has run
/// `params.standard.validate()` and `params.portfolio.validate()` successfully (which
/// `RiskParams::validate` does not cover), so the model need not repeat them. `cache`: where the
/// risk matrix's node values are kept across calls, if anywhere (the same report: see
/// [`super::scenario_cache`]).
pub(crate) fn margin_hashed(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    params_hash: &str,
    params_checked: bool,
    cache: Option<&ScenarioCache>,
) -> Result<MarginReport> {
    margin_detailed(
        market,
        account,
        params,
        params_hash,
        params_checked,
        Detail::Full,
        cache,
    )
}

/// The report's figures for a caller that reads only its totals and lines: the numbers of
/// [`margin_hashed`] with an empty parameters' hash, but the position lines and their
/// requirements carry no instrument ids, there is no per-asset collateral, per-underlying
/// Greeks, DRR or liquidity detail (only their sums, in the components), no warnings, no
/// statistical VaR (not part of the requirement) and an empty scenario table for the risk
/// matrix (building those vectors and strings, and serialising the parameters for their hash,
/// cost a good part of a cross-margin computation).
/// Used by what-if's before and after, `max_size`'s trial sizes, the liquidation solver's
/// objective and the `.wasm` engine's recomputations (natively the engine's read
/// [`Detail::Figures`]); never returned to a caller. `params_checked` and `cache` as in
/// [`margin_hashed`].
pub(crate) fn margin_summary(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    params_checked: bool,
    cache: Option<&ScenarioCache>,
) -> Result<MarginReport> {
    margin_detailed(
        market,
        account,
        params,
        "",
        params_checked,
        Detail::Summary,
        cache,
    )
}

/// How much of the report [`margin_detailed`] builds: the numbers are the same in each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// The whole report ([`margin_hashed`]).
    Full,
    /// The whole report but the position lines' instrument ids, left empty: each is the id of
    /// the account's position the line names (`account.positions[line.position].id`), which a
    /// caller holding the account reads there. The JS binding's `margin()` sends the lines as
    /// columns and compares the ids there: cloning 500 ids into the lines and dropping them was
    /// 3 % of a 500-leg `margin()` in wasm32.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    WithoutLineIds,
    /// The totals, components and position lines only ([`margin_summary`]).
    Summary,
    /// [`Detail::Summary`] without the position lines, the amounts' decimal texts
    /// (`Money::units` left empty), the account's id or the margin asset's name, but with the
    /// amounts' integers (`MarginReport::base_units`): the engine's recomputations. Native
    /// only: the `.wasm` engine reads summaries (no size budget for a second path).
    #[cfg(not(target_arch = "wasm32"))]
    Figures,
}

/// The report of [`margin_hashed`] (`detail`: [`Detail::Full`]) or parts of it.
pub(crate) fn margin_detailed(
    market: &Market,
    account: &Account,
    params: &RiskParams,
    params_hash: &str,
    params_checked: bool,
    detail: Detail,
    cache: Option<&ScenarioCache>,
) -> Result<MarginReport> {
    // Only a described report has per-underlying and per-asset detail and warnings: summaries
    // are read for their totals and position lines (see [`margin_summary`]).
    let described = detail == Detail::Full || detail == Detail::WithoutLineIds;
    // The engine's figures have no position lines either.
    #[cfg(target_arch = "wasm32")]
    let lined = true;
    #[cfg(not(target_arch = "wasm32"))]
    let lined = detail != Detail::Figures;
    let mut warnings = Vec::new();
    // 2. Positions and collateral.
    let mut lines = Vec::with_capacity(if lined { account.positions.len() } else { 0 });
    let mut buffers = PositionBuffers::lent_by(cache);
    let PositionBuffers {
        unshocked,
        units,
        met_at,
        terms,
        expiries,
        values,
        books,
    } = &mut buffers;
    // Each position's unshocked (USD value, delta): its equity and what the models reuse.
    unshocked.reserve(account.positions.len());
    // The book's underlyings in order of first appearance (an account has a few), with their
    // net Greeks summed position by position; keyed by name once all positions are in.
    let mut met: Vec<BookUnderlying> = std::mem::take(books);
    // Books hold many positions in few options: each option is valued once, each position
    // scaled from that by the operations `value_position` uses, so the bits are the same. The
    // account knows, from its validation, which earlier position holds the same option (equal
    // terms, so equal canonical ids): see `Account::same_option_as`.
    // Kept only if the account knows of such repeats (else no position reads an earlier one's).
    let repeats = account.repeats_options();
    units.reserve(if repeats { account.positions.len() } else { 0 });
    // Each position's first position with the same option (itself if none before) and its
    // underlying's index in `met` (as met here, before `met` is sorted), for the risk matrix.
    met_at.reserve(account.positions.len());
    // Each position's option pricing inputs as valued here, for the risk matrix only.
    let matrix = account.mode == MarginMode::Portfolio;
    terms.reserve(if matrix { account.positions.len() } else { 0 });
    // `expiries`: the terms of each expiry met, by underlying (its index in `met`) and expiry.
    for (i, position) in account.positions.iter().enumerate() {
        let at = || format!("account.positions[{i}]");
        let inverse = position.instrument.settlement == Settlement::Inverse;
        let name = position.instrument.underlying.as_str();
        // Valuing the position would look its underlying up first: the same error.
        let (slot, book) = book_underlying(&mut met, name, market).map_err(|e| e.within(&at()))?;
        let (first_same, v) = match position.option_terms_key() {
            Some(key) => {
                let known = account
                    .same_option_as(i, &key)
                    .and_then(|first| Some((first, units.get(first).copied().flatten()?)));
                let (first, unit) = match known {
                    Some(known) => known,
                    None => {
                        let data: &crate::market::Underlying = book.data;
                        // Kept across computations for an underlying that did not change (the
                        // ones a liquidation or what-if trial does not move).
                        let shared = *book.kept.get_or_insert_with(|| {
                            cache
                                .filter(|cache| cache.units_kept(name, book.data, market.now()))
                                .map(|_| book.data)
                        });
                        let unit = match (cache, shared) {
                            (Some(cache), Some(shared)) => cache.unit_value(
                                name,
                                shared,
                                market.now(),
                                (key.0, key.1, key.2, key.3, key.4),
                                || unit_value_now(expiries, slot, market, data, position, key.1),
                            ),
                            _ => unit_value_now(expiries, slot, market, data, position, key.1),
                        }
                        .map_err(|e| e.within(&at()))?;
                        (i, unit)
                    }
                };
                if repeats {
                    units.push(Some(unit));
                }
                if matrix {
                    terms.push(unit.terms());
                }
                (first, unit.position_value(position.amount, inverse))
            }
            None => {
                if repeats {
                    units.push(None);
                }
                if matrix {
                    terms.push(None);
                }
                let v =
                    value_position(position, market, &Shock::NONE).map_err(|e| e.within(&at()))?;
                (i, v)
            }
        };
        met_at.push(PositionMet {
            first_same,
            underlying: slot,
        });
        let g = &mut book.greeks;
        g.delta += v.delta;
        g.gamma += v.gamma;
        g.vega += v.vega;
        g.theta += v.theta;
        unshocked.push((v.usd, v.delta));
        if !lined {
            continue;
        }
        lines.push(PositionLine {
            position: i,
            instrument: if detail == Detail::Full {
                position.id.clone()
            } else {
                String::new()
            },
            value: v.usd,
            delta: v.delta,
            gamma: v.gamma,
            vega: v.vega,
            theta: v.theta,
            requirement: None,
            isolated_health: None,
        });
    }
    // In name order, as the report's `greeks` map (and so the DRR and liquidity sums) iterate.
    crate::sort::insertion_sort_by(&mut met, |a, b| a.name > b.name);
    let mut greeks: VecMap<String, NetGreeks> = VecMap::new();
    if described {
        for book in &met {
            greeks.insert(book.name.to_string(), book.greeks);
        }
    }
    let horizon = horizon_years(params);
    let mut collateral = Vec::new();
    let (mut collateral_value, mut collateral_haircut) = (EMPTY_SUM, EMPTY_SUM);
    for (asset, &amount) in &account.collateral {
        let mut c = value_balance(asset, amount, market, params, horizon)
            .map_err(|e| e.within("market"))?;
        collateral_value += c.value;
        collateral_haircut += c.market_value - c.value;
        if described {
            c.asset = asset.clone();
            collateral.push(c);
        }
    }
    let positions_value: f64 = unshocked.iter().map(|u| u.0).sum();
    let equity = collateral_value + positions_value;

    // 3. The mode's model.
    let mut portfolio = None;
    let model = match account.mode {
        MarginMode::Cross | MarginMode::Isolated => {
            if !params_checked {
                params
                    .standard
                    .validate()
                    .map_err(|e| e.within("params.standard"))?;
            }
            // The positions were valued unshocked above: short options' marks come from there.
            values.extend(unshocked.iter().map(|u| u.0));
            let standard = standard_requirements_checked(
                market,
                &account.positions,
                &params.standard,
                Some(values),
                false, // the report's lines carry the ids
            )?;
            for requirement in standard.positions {
                if let Some(line) = lines.get_mut(requirement.position) {
                    line.requirement = Some(Component {
                        maintenance: requirement.maintenance,
                        initial: requirement.initial,
                    });
                }
            }
            // Derive's Standard Manager contingencies raise the initial requirement only.
            let contingencies = match &params.standard.derive {
                Some(derive) => {
                    let c = derive_standard_contingencies(
                        market,
                        &account.positions,
                        &account.collateral,
                        derive,
                    )?;
                    c.confidence + c.depeg
                }
                None => 0.0,
            };
            Component {
                maintenance: standard.maintenance,
                initial: standard.initial + contingencies,
            }
        }
        MarginMode::Portfolio => {
            if !params_checked {
                params
                    .portfolio
                    .validate()
                    .map_err(|e| e.within("params.portfolio"))?;
            }
            // The positions were valued unshocked above: the grid reuses those values.
            let result = portfolio_requirements_checked(
                market,
                &account.positions,
                &account.collateral,
                &params.portfolio,
                Known {
                    unshocked: Some(unshocked),
                    met: Some(met_at),
                    terms: Some(terms),
                    cache,
                    without_table: !described,
                },
            )?;
            let component = Component {
                maintenance: result.maintenance,
                initial: result.initial,
            };
            portfolio = Some(result);
            component
        }
    };
    if account.mode == MarginMode::Isolated {
        for (line, position) in lines.iter_mut().zip(&account.positions) {
            let own = position.isolated_margin.unwrap_or(0.0) + line.value;
            let maintenance = line.requirement.as_ref().map_or(0.0, |r| r.maintenance);
            line.isolated_health = (maintenance > 0.0).then(|| own / maintenance);
        }
    }

    // 4. DRR, liquidity, flags, stale oracle.
    let mut drr = Vec::new();
    let mut drr_sums = [EMPTY_SUM; 3];
    let mut stale = false;
    let mut liquidity = Vec::new();
    let (mut liquidity_maintenance, mut liquidity_initial) = (EMPTY_SUM, EMPTY_SUM);
    for book in &met {
        let mut d = underlying_add_on(market, book.data, book.name, &book.greeks, params)
            .map_err(|e| e.within("market"))?;
        drr_sums[0] += d.maintenance;
        drr_sums[1] += d.initial;
        drr_sums[2] += d.oracle_buffer;
        stale |= d.stale;
        if described {
            d.underlying = book.name.to_string();
            drr.push(d);
        }
    }
    let counted = if params.drr.enabled { 1.0 } else { 0.0 };
    let drr_total = Component {
        maintenance: counted * drr_sums[0],
        initial: counted * drr_sums[1],
    };
    let oracle_buffer: f64 = counted * drr_sums[2];
    let combined = match params.drr.mode {
        DrrMode::Floor => Component {
            maintenance: crate::math::max(model.maintenance, drr_total.maintenance),
            initial: crate::math::max(model.initial, drr_total.initial),
        },
        DrrMode::AddOn => Component {
            maintenance: model.maintenance + drr_total.maintenance,
            initial: model.initial + drr_total.initial,
        },
    };
    for book in &met {
        match underlying_charge(book.data, &book.greeks, &params.liquidity) {
            Liquidity::Flat => {}
            Liquidity::NoDepth if described => warnings.push(Warning {
                code: "W_NO_DEPTH".into(),
                message: no_depth_warning(book.name),
            }),
            Liquidity::NoDepth => {}
            Liquidity::Charge(mut charge) => {
                liquidity_maintenance += charge.maintenance;
                liquidity_initial += charge.initial;
                if described {
                    charge.underlying = book.name.to_string();
                    liquidity.push(charge);
                }
            }
        }
    }
    let liquidity_total = Component {
        maintenance: liquidity_maintenance,
        initial: liquidity_initial,
    };
    let before_flags = Component {
        maintenance: combined.maintenance + liquidity_total.maintenance,
        initial: combined.initial + liquidity_total.initial,
    };
    let (mut multiplier, mut add_on) = (1.0, 0.0);
    // A flag scoped to an underlying of the book or an asset of its collateral concerns it.
    let concerned = |scope: &str| {
        met.iter().any(|book| book.name == scope) || account.collateral.contains_key(scope)
    };
    for (i, flag) in market.flags().iter().enumerate() {
        let rule = params.flags.get(&flag.kind).ok_or_else(|| {
            Error::invalid(
                format!("market.flags[{i}].kind"),
                format!(
                    "unknown risk flag {}; the parameters know: [{}]",
                    Quoted(&flag.kind),
                    params
                        .flags
                        .keys()
                        .map(|k| Quoted(k).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if flag.scope.as_deref().is_none_or(concerned) {
            multiplier *= rule.multiplier;
            add_on += rule.add_on;
            if !described {
                continue;
            }
            warnings.push(Warning {
                code: "W_RISK_FLAG".into(),
                message: format!(
                    "{} ({}) raises requirements ×{} + {}",
                    flag.kind,
                    flag.scope.as_deref().unwrap_or("protocol"),
                    crate::numfmt::Shortest(rule.multiplier),
                    crate::numfmt::Shortest(rule.add_on)
                ),
            });
        }
    }
    if stale {
        multiplier *= params.oracle.stale_multiplier;
        if described {
            warnings.push(Warning {
                code: "W_STALE_ORACLE".into(),
                message: format!(
                    "an index quote is past oracle.maxStalenessMs: requirements ×{}",
                    crate::numfmt::Shortest(params.oracle.stale_multiplier)
                ),
            });
        }
    }
    let total = Component {
        maintenance: before_flags.maintenance * multiplier + add_on,
        initial: before_flags.initial * multiplier + add_on,
    };
    for book in met.iter().filter(|_| described) {
        if let Some(surface) = book.data.surface() {
            warnings.extend(surface.arbitrage_warnings().iter().map(|w| Warning {
                code: w.code.as_str().to_string(),
                message: format!("{}: {}", book.name, w.detail),
            }));
        }
    }

    // The `.wasm` keeps no buffers (no bytes for it).
    #[cfg(not(target_arch = "wasm32"))]
    {
        buffers.books = crate::margin::scenario_cache::emptied(met);
        buffers.give_back(cache);
    }

    // Not part of the requirement: only the full report shows it (a summary is read for its
    // numbers: liquidation trials, what-if, engine updates).
    let statistical = if params.statistical.enabled && described {
        Some(
            statistical_risk(
                market,
                &account.positions,
                &params.statistical,
                params.drr.default_vol,
            )
            .map_err(|e| e.within("params.statistical"))?,
        )
    } else {
        None
    };

    // 5. Exact amounts in the margin asset.
    let asset = market
        .collateral(&params.margin_asset)
        .map_err(|e| e.within("market"))?;
    let in_asset = |usd: f64| usd / asset.price;
    let decimals = asset.decimals;
    let components = Components {
        model,
        drr: drr_total,
        oracle_buffer,
        liquidity: liquidity_total,
        flags: Component {
            maintenance: total.maintenance - before_flags.maintenance,
            initial: total.initial - before_flags.initial,
        },
        collateral_haircut,
        total,
    };
    #[cfg(target_arch = "wasm32")]
    let texts = true;
    #[cfg(not(target_arch = "wasm32"))]
    let texts = detail != Detail::Figures;
    // Without the texts, the integers are kept in the report's `base_units` instead.
    let money = |usd: f64, rounding: Rounding, field: &str| -> Result<(Money, i128)> {
        let amount = in_asset(usd);
        if texts {
            return Ok((to_base_units(amount, decimals, rounding, field)?, 0));
        }
        // The same errors as `to_base_units`, without the text.
        let units = super::money::base_units(amount, decimals, rounding, field)?;
        let money = Money {
            units: String::new(),
            value: amount,
        };
        Ok((money, units))
    };
    // The `.wasm` always writes the texts: its units go unread.
    #[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
    let (equity_money, equity_units) = money(equity, Rounding::Down, "equity")?;
    #[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
    let (initial_margin, initial_units) = money(total.initial, Rounding::Up, "initialMargin")?;
    #[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
    let (maintenance_margin, maintenance_units) =
        money(total.maintenance, Rounding::Up, "maintenanceMargin")?;
    let (free_collateral, _) = money(equity - total.initial, Rounding::Down, "freeCollateral")?;
    Ok(MarginReport {
        account: if texts { account.id.clone() } else { None },
        mode: account.mode,
        margin_asset: if texts {
            params.margin_asset.clone()
        } else {
            String::new()
        },
        equity: equity_money,
        initial_margin,
        maintenance_margin,
        free_collateral,
        health: (total.maintenance > 0.0).then(|| equity / total.maintenance),
        components,
        positions: lines,
        collateral,
        greeks,
        drr,
        liquidity,
        portfolio,
        statistical,
        params_hash: params_hash.to_string(),
        warnings,
        #[cfg(not(target_arch = "wasm32"))]
        base_units: (!texts).then_some(super::money::BaseUnits {
            initial_margin: initial_units,
            maintenance_margin: maintenance_units,
            equity: equity_units,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sum_is_where_sums_start() {
        assert_eq!(
            std::iter::empty::<f64>().sum::<f64>().to_bits(),
            EMPTY_SUM.to_bits()
        );
        // A single +0.0 stays +0.0, as `sum` leaves it.
        assert_eq!(
            (EMPTY_SUM + 0.0).to_bits(),
            [0.0_f64].iter().sum::<f64>().to_bits()
        );
    }

    /// The summary every trial and engine update reads has the full report's numbers, bit for
    /// bit, without the scenario table, ids or hash.
    #[test]
    fn summaries_have_the_full_reports_numbers_without_the_table() {
        let market = Market::new(
            crate::json::from_str(include_str!("../../tests/fixtures/market.json")).unwrap(),
        )
        .unwrap();
        let mut checked = 0;
        for text in [
            include_str!("../../tests/fixtures/account.json"),
            include_str!("../../tests/fixtures/account-portfolio.json"),
        ] {
            let spec: AccountSpec = crate::json::from_str(text).unwrap();
            let account = Account::new(&spec).unwrap();
            for profile in ["drr", "deribit-portfolio", "deribit-standard"] {
                let params = super::super::profiles::profile(profile).unwrap();
                let full = margin_validated(&market, &account, &params).unwrap();
                let summary = margin_summary(&market, &account, &params, false, None).unwrap();
                let bits = |r: &MarginReport| {
                    let c = &r.components;
                    [
                        r.equity.value,
                        r.initial_margin.value,
                        r.maintenance_margin.value,
                        r.free_collateral.value,
                        r.health.unwrap_or(f64::NAN),
                        c.total.initial,
                        c.total.maintenance,
                        c.model.initial,
                        c.drr.initial,
                    ]
                    .map(f64::to_bits)
                };
                assert_eq!(bits(&summary), bits(&full), "{profile}");
                assert_eq!(summary.equity.units, full.equity.units);
                assert_eq!(summary.initial_margin.units, full.initial_margin.units);
                assert_eq!(
                    summary.maintenance_margin.units,
                    full.maintenance_margin.units
                );
                let rows = |r: &MarginReport| r.portfolio.as_ref().map(|p| p.scenarios.len());
                if account.mode == MarginMode::Portfolio {
                    assert!(rows(&full).is_some_and(|n| n > 0), "{profile}");
                    assert_eq!(rows(&summary), Some(0), "{profile}");
                    checked += 1;
                }
                assert!(summary.params_hash.is_empty() && summary.warnings.is_empty());
                assert_eq!(summary.positions.len(), full.positions.len());
                assert!(summary.greeks.is_empty());
                assert!(summary.drr.is_empty() && summary.collateral.is_empty());
                assert_eq!(summary.components, full.components, "{profile}");
            }
        }
        assert_eq!(checked, 3);
    }
}
