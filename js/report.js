// drr-margin — `margin()` and `whatIf()` for the package's entry points (node.mjs, node.cjs, web.js).
//
// In: a plain account's positions cross as columns (`accountColumns`), not inside its JSON
// text: stringifying and parsing the 500 positions of the bench book cost ~0.7 ms. While the ids
// are the ones last sent, the WASM side's token for them goes instead (`held`; joining,
// copying and decoding 500 ids was ~4 % of the call).
// Out: the WASM side (`__marginParts`, src/wasm/margin.rs) returns the report as JSON text without
// its position lines, plus the lines as columns; this builds the lines as plain objects with the
// keys in the order of the JSON text, so the report is the object `JSON.parse` of the whole
// text gives (JSON.stringify of it is the CLI's document, byte for byte; the parity tests check
// it). For the 500-leg bench book, building the lines takes ~0.04 ms, where JSON.parse of the
// 154 KB text took 0.6–0.9 ms and formatting it in WASM ~0.25 ms (bench/README.md). A portfolio
// report's scenario rows travel as columns too (parsing their text in JS cost ~0.05 ms).

const COLUMNS = 8; // value, delta, gamma, vega, theta, requirement initial/maintenance, isolatedHealth

/** `margin()` through `__marginParts` (the wasm-bindgen module's, passed by each entry point):
 * the account's positions cross as columns when `accountColumns` can send them, the report
 * comes back as text plus columns. */
export function marginVia(marginParts, market, account, params) {
  const columns = accountColumns(account);
  if (columns === null) return reportFromParts(marginParts(market, account, params));
  const { rest, numbers, ids, flags } = columns;
  // The token instead of the ids when they are the ones it stands for in this WASM instance; an
  // empty array when the instance no longer holds them (other ids were sent to it since): then
  // the ids.
  let parts;
  if (columns.held && held.marginParts === marginParts) {
    parts = marginParts(market, rest, params, numbers, held.token, flags);
  }
  if (parts === undefined || parts.length === 0) {
    parts = marginParts(market, rest, params, numbers, ids.join('\n'), flags);
  }
  const report = reportFromParts(parts, ids);
  if (typeof parts[2] === 'number') held = { marginParts, ids, token: parts[2] };
  return report;
}

/** `whatIf()` through `__whatIfColumns` (the wasm-bindgen module's, passed by each entry point,
 * with its `whatIf` for accounts that cannot travel as columns): the account's positions cross
 * as columns, as for `margin()`. The result is the same as `whatIf`'s. */
export function whatIfVia(whatIfColumns, whatIf, market, account, order, params, options) {
  const columns = accountColumns(account);
  if (columns === null) return whatIf(market, account, order, params, options);
  return whatIfColumns(market, columns.rest, order, params, options, columns.numbers, columns.ids.join('\n'), columns.flags);
}

const POSITION_COLUMNS = 3; // size, entryPrice, isolatedMargin (src/portfolio/columns.rs)
const PRINTABLE_ID = /^[\x20-\x7e]+$/;
// The ids of the last account sent as columns, each of which passed PRINTABLE_ID: an id equal to
// the one at its index there needs no second test (a page sends one book again and again).
let printableIds = [];
// The ids last sent to `__marginParts` (of the WASM instance it belongs to) whose token it
// returned, and that token (src/wasm/margin.rs `HeldIds`): the token stands for exactly these
// ids, joined by '\n', while they are the last ids sent to that instance.
let held = { marginParts: undefined, ids: [], token: 0 };

/** The account without its positions (`rest`) and the positions as columns (`numbers`, the
 * array of `ids`, `flags`; `held`: the ids are the ones `held` names), or null when the
 * columns could not say exactly what `JSON.stringify(account)` says: then the account goes as
 * JSON text and the decoder reports whatever is wrong with it, with its code and field. Only
 * plain position objects with an `instrument` id of printable ASCII, a finite `size` and
 * optional finite `entryPrice`/`isolatedMargin` (`undefined`/`null` = absent) qualify. */
export function accountColumns(account) {
  if (account === null || typeof account !== 'object' || Array.isArray(account)) return null;
  if (typeof account.toJSON === 'function') return null;
  const positions = account.positions;
  if (!Array.isArray(positions) || positions.length === 0 || typeof positions.toJSON === 'function') {
    return null;
  }
  const count = positions.length;
  const numbers = new Float64Array(POSITION_COLUMNS * count);
  const flags = new Uint8Array(count);
  const ids = new Array(count);
  const heldIds = held.ids;
  let same = count === heldIds.length;
  for (let i = 0, k = 0; i < count; i++, k += POSITION_COLUMNS) {
    const p = positions[i];
    if (p === null || typeof p !== 'object') return null;
    const proto = Object.getPrototypeOf(p);
    if (proto !== Object.prototype && proto !== null) return null;
    for (const key in p) {
      if (!Object.prototype.hasOwnProperty.call(p, key)) return null;
      if (key !== 'instrument' && key !== 'size' && key !== 'entryPrice' && key !== 'isolatedMargin') {
        return null;
      }
    }
    const id = p.instrument;
    const size = p.size;
    if (typeof id !== 'string' || (id !== printableIds[i] && !PRINTABLE_ID.test(id))) return null;
    if (typeof size !== 'number' || !Number.isFinite(size)) return null;
    ids[i] = id;
    if (same && id !== heldIds[i]) same = false;
    numbers[k] = size;
    let flag = 0;
    const entry = p.entryPrice;
    if (entry !== undefined && entry !== null) {
      if (typeof entry !== 'number' || !Number.isFinite(entry)) return null;
      numbers[k + 1] = entry;
      flag |= 1;
    }
    const isolated = p.isolatedMargin;
    if (isolated !== undefined && isolated !== null) {
      if (typeof isolated !== 'number' || !Number.isFinite(isolated)) return null;
      numbers[k + 2] = isolated;
      flag |= 2;
    }
    flags[i] = flag;
  }
  printableIds = ids;
  const rest = {};
  for (const key of Object.keys(account)) {
    if (key !== 'positions') rest[key] = account[key];
  }
  return { rest, numbers, ids, flags, held: same };
}

/** The report from `__marginParts`'s `[text]` or `[text, numbers, ids, flags]`, the latter
 * optionally followed by the portfolio's scenario rows as `scenarioNumbers, scenarioStrings,
 * scenarioFlags`. `ids` is a number when the lines' ids are the position ids sent in, line for
 * line (`inputIds`, from `accountColumns`): the WASM side's token for them. */
export function reportFromParts(parts, inputIds) {
  const report = JSON.parse(parts[0]);
  if (parts.length === 1) return report;
  const numbers = parts[1];
  const flags = parts[3];
  const count = flags.length;
  const ids = typeof parts[2] === 'number' ? inputIds : count > 0 ? parts[2].split('\n') : [];
  const lines = [];
  for (let i = 0, k = 0; i < count; i++, k += COLUMNS) {
    const instrument = ids[i];
    const line = {
      position: i,
      instrument,
      value: numbers[k],
      delta: numbers[k + 1],
      gamma: numbers[k + 2],
      vega: numbers[k + 3],
      theta: numbers[k + 4],
    };
    const flag = flags[i];
    if (flag & 1) {
      line.requirement = { maintenance: numbers[k + 6], initial: numbers[k + 5] };
    }
    if (flag & 2) line.isolatedHealth = numbers[k + 7];
    lines.push(line);
  }
  report.positions = lines;
  if (parts.length > 4) report.portfolio.scenarios = scenariosFromColumns(parts[4], parts[5], parts[6]);
  return report;
}

const SCENARIO_COLUMNS = 7; // spotMove, pnl, pnlUsd, rawPnl, rawPnlUsd, volShock, weight

/** The portfolio's scenario rows, keys in the order of the JSON text (src/wasm/margin.rs). */
function scenariosFromColumns(numbers, strings, flags) {
  const count = flags.length;
  const texts = count > 0 ? strings.split('\n') : [];
  const rows = [];
  for (let i = 0, k = 0, t = 0; i < count; i++, k += SCENARIO_COLUMNS, t += 3) {
    const flag = flags[i];
    const row = {
      underlying: texts[t],
      currency: texts[t + 1],
      spotMove: numbers[k],
      vol: texts[t + 2],
      extended: (flag & 1) !== 0,
      pnl: numbers[k + 1],
      pnlUsd: numbers[k + 2],
      rawPnl: numbers[k + 3],
      rawPnlUsd: numbers[k + 4],
      worst: (flag & 2) !== 0,
    };
    if (flag & 4) row.volShock = numbers[k + 5];
    if (flag & 8) row.weight = numbers[k + 6];
    rows.push(row);
  }
  return rows;
}
