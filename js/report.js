// drr-margin — `margin()` for the package's entry points (node.mjs, node.cjs, web.js).
//
// The WASM side (`__marginParts`, src/wasm/margin.rs) returns the report as JSON text without
// its position lines, plus the lines as columns; this builds the lines as plain objects with the
// keys in the order of the JSON text, so the report is the object `JSON.parse` of the whole
// text gives (JSON.stringify of it is the CLI's document, byte for byte; the parity tests check
// it). For the 500-leg bench book, building the lines takes ~0.04 ms, where JSON.parse of the
// 154 KB text took 0.6–0.9 ms and formatting it in WASM ~0.25 ms (bench/README.md). A portfolio
// report's scenario rows travel as columns too (parsing their text in JS cost ~0.05 ms).

const COLUMNS = 8; // value, delta, gamma, vega, theta, requirement initial/maintenance, isolatedHealth

/** The report from `__marginParts`'s `[text]` or `[text, numbers, ids, flags]`, the latter
 * optionally followed by the portfolio's scenario rows as `scenarioNumbers, scenarioStrings,
 * scenarioFlags`. */
export function reportFromParts(parts) {
  const report = JSON.parse(parts[0]);
  if (parts.length === 1) return report;
  const numbers = parts[1];
  const flags = parts[3];
  const count = flags.length;
  const ids = count > 0 ? parts[2].split('\n') : [];
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
      line.requirement = { position: i, instrument, initial: numbers[k + 5], maintenance: numbers[k + 6] };
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
