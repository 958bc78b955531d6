// The simulator page: state (market, account, profile, sliders), rendering, and the calls to the
// Web Worker that runs every drr-margin computation. The last inputs and results are published on
// `window.drrSimulator` (and as data attributes) so the browser test can recompute them in Node.
import sampleMarket from '../../tests/fixtures/market.json';
import sampleAccount from '../../tests/fixtures/account.json';
import { buildChain, buildFutures, parseInstrument, withEntryPrices } from './chain.js';
import { applyScenario } from './transform.js';
import { PRESETS, presetLegs } from './presets.js';
import { drawPnl, drawGreeks } from './charts.js';
import { decodeHash, encodeHash } from './share.js';
import './style.css';

const $ = (id) => document.getElementById(id);
const usd = (x, d = 0) => (x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const pct = (x) => `${(x * 100).toFixed(0)} %`;
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.flat().map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return e;
};

// ---------- worker RPC ----------
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map();
worker.onmessage = ({ data }) => {
  if (data.live) return onLive(data.live);
  const p = pending.get(data.id);
  if (!p) return;
  pending.delete(data.id);
  data.error ? p.reject(new Error(data.error)) : p.resolve(data.result);
};
worker.onerror = (e) => setStatus(`worker error: ${e.message}`, true);
const call = (op, args) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  worker.postMessage({ id, op, args });
});

// ---------- state ----------
const state = {
  market: structuredClone(sampleMarket),
  account: structuredClone(sampleAccount),
  sample: { market: true, account: true },
  profile: 'drr',
  scenario: { spotPct: 0, volPct: 0, days: 0, staleSec: 0, underlying: null },
  chartUnderlying: 'BTC',
  tplus: 7,
  includeCollateral: false,
};
const shared = decodeHash(location.hash);
if (shared) {
  if (shared.positions) state.account.positions = shared.positions;
  if (shared.collateral) state.account.collateral = shared.collateral;
  if (shared.mode) state.account.mode = shared.mode;
  if (shared.profile) state.profile = shared.profile;
}
const published = (window.drrSimulator = { ready: false, generation: 0 });

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

// ---------- data panel ----------
function renderDataLabel() {
  const parts = [state.sample.market ? 'sample market' : 'your market', state.sample.account ? 'sample account' : 'your account'];
  $('data-label').textContent = `${parts.join(' · ')}${state.sample.market || state.sample.account ? ' (sample data from tests/fixtures, not live prices)' : ''}`;
  $('data-label').classList.toggle('sample', state.sample.market || state.sample.account);
  $('collateral').replaceChildren(el('p', { class: 'muted' }, 'Collateral: ',
    Object.entries(state.account.collateral ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')));
}
function loadJson(text) {
  const value = JSON.parse(text);
  if (value.underlyings) { state.market = value; state.sample.market = false; }
  else if (value.positions) { state.account = value; state.sample.account = false; }
  else throw new Error('neither a Market (underlyings) nor an Account (positions)');
  $('mode').value = state.account.mode ?? 'cross';
  marketChanged();
}
for (const id of ['load-market', 'load-account']) $(id).addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try { loadJson(await file.text()); } catch (err) { setStatus(`could not load ${file.name}: ${err.message}`, true); }
});
$('paste-apply').addEventListener('click', () => {
  try { loadJson($('paste').value); } catch (err) { setStatus(`pasted JSON: ${err.message}`, true); }
});
$('export').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify({ market: state.market, account: state.account, profile: state.profile, scenario: state.scenario }, null, 2)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: 'drr-margin-state.json' });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
$('reset').addEventListener('click', () => {
  state.market = structuredClone(sampleMarket); state.account = structuredClone(sampleAccount);
  state.sample = { market: true, account: true };
  $('mode').value = state.account.mode;
  marketChanged();
});
$('share').addEventListener('click', async () => {
  try { await navigator.clipboard.writeText(location.href); setStatus('share link copied'); }
  catch { setStatus(`share link: ${location.href}`); }
});
$('mode').addEventListener('change', (e) => { state.account.mode = e.target.value; recompute(); });
$('profile').addEventListener('change', async (e) => {
  state.profile = e.target.value; describeProfile(); recompute();
  try { profileParams = (await call('profiles', { profile: state.profile })).params; } catch { /* shown by recompute */ }
});
let profileList = [], profileParams = null;
function describeProfile() { $('profile-desc').textContent = profileList.find((p) => p.name === state.profile)?.description ?? ''; }

// ---------- portfolio builder ----------
let chain = [], futures = [], chainPrices = [];
function renderLegs() {
  const body = $('legs').tBodies[0];
  body.replaceChildren(...state.account.positions.map((p, i) => {
    const id = typeof p.instrument === 'string' ? p.instrument : JSON.stringify(p.instrument);
    const side = el('select', { 'aria-label': `side of ${id}`, onchange: (e) => { p.size = Math.abs(p.size) * (e.target.value === 'buy' ? 1 : -1); recompute(); } },
      el('option', { value: 'buy', selected: p.size > 0 }, 'long'), el('option', { value: 'sell', selected: p.size < 0 }, 'short'));
    const size = el('input', { type: 'number', min: '0', step: 'any', value: Math.abs(p.size), 'aria-label': `size of ${id}`, inputmode: 'decimal',
      onchange: (e) => { const v = Number(e.target.value); if (v > 0) { p.size = Math.sign(p.size || 1) * v; recompute(); } } });
    return el('tr', {}, el('td', { class: 'mono' }, id), el('td', {}, side), el('td', {}, size), el('td', {}, p.entryPrice ?? ''),
      el('td', {}, el('button', { type: 'button', class: 'remove', 'aria-label': `remove ${id}`, onclick: () => { state.account.positions.splice(i, 1); recompute(); } }, '✕')));
  }));
  if (!state.account.positions.length) body.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No legs: add from the chain or apply a preset.')));
}
function addLeg(instrument, sign) {
  const size = Math.abs(Number($('add-size').value) || 1) * sign;
  const existing = state.account.positions.find((p) => p.instrument === instrument);
  const [leg] = withEntryPrices([{ instrument, size }], applyScenario(state.market, { ...state.scenario, staleSec: 0 }));
  if (!existing) state.account.positions.push(leg);
  else {
    // Adding to a perpetual/future: volume-weighted entry for the same side, unchanged when reducing.
    if (existing.entryPrice != null && leg.entryPrice != null && Math.sign(existing.size) === Math.sign(size))
      existing.entryPrice = (existing.entryPrice * Math.abs(existing.size) + leg.entryPrice * Math.abs(size)) / Math.abs(existing.size + size);
    existing.size += size;
  }
  state.account.positions = state.account.positions.filter((p) => p.size !== 0);
  recompute();
}
function renderChainSelectors() {
  const names = Object.keys(state.market.underlyings ?? {});
  for (const id of ['underlying', 'chart-underlying']) {
    const prev = $(id).value;
    $(id).replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    if (names.includes(prev)) $(id).value = prev;
  }
  const scope = $('spot-scope').value;
  $('spot-scope').replaceChildren(el('option', { value: '' }, 'every underlying'), ...names.map((n) => el('option', { value: n }, `${n} only`)));
  $('spot-scope').value = names.includes(scope) ? scope : '';
  if (!names.includes(state.chartUnderlying)) state.chartUnderlying = names[0];
  $('chart-underlying').value = state.chartUnderlying;
  $('expiry').replaceChildren(...chain.map((c, i) => el('option', { value: i }, `${c.underlying} ${c.code} (F ${usd(c.forward)})`)));
  $('instrument-list').replaceChildren(...[...futures.map((f) => f.id), ...chain.flatMap((c) => c.rows.flatMap((r) => [r.call, r.put]))].map((id) => el('option', { value: id })));
}
function renderChain() {
  const i = Number($('expiry').value || 0);
  const c = chain[i], px = chainPrices[i];
  if (!c) { $('chain').replaceChildren(); return; }
  const btn = (id, sign, label) => el('button', { type: 'button', class: sign > 0 ? 'buy' : 'sell', 'aria-label': `${sign > 0 ? 'buy' : 'sell'} ${id}`, onclick: () => addLeg(id, sign) }, label);
  $('chain').replaceChildren(
    el('thead', {}, el('tr', {}, ['Call', 'Call mark', 'Strike', 'IV', 'Put mark', 'Put'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, c.rows.map((r, j) => el('tr', { class: r.strike === c.atm ? 'atm' : '' },
      el('td', {}, btn(r.call, 1, 'B'), btn(r.call, -1, 'S')),
      el('td', { class: 'num' }, usd(px?.call[j], 1)),
      el('th', { scope: 'row', class: 'num' }, usd(r.strike)),
      el('td', { class: 'num' }, `${(r.vol * 100).toFixed(1)}`),
      el('td', { class: 'num' }, usd(px?.put[j], 1)),
      el('td', {}, btn(r.put, 1, 'B'), btn(r.put, -1, 'S'))))));
  $('futures').replaceChildren(...futures.map((f) => el('span', { class: 'future' }, `${f.label} ${usd(f.price, 1)} `,
    el('button', { type: 'button', class: 'buy', 'aria-label': `buy ${f.id}`, onclick: () => addLeg(f.id, 1) }, 'B'),
    el('button', { type: 'button', class: 'sell', 'aria-label': `sell ${f.id}`, onclick: () => addLeg(f.id, -1) }, 'S'))));
}
$('expiry').addEventListener('change', renderChain);
$('preset').replaceChildren(...Object.entries(PRESETS).map(([k, v]) => el('option', { value: k }, v)));
$('preset-apply').addEventListener('click', () => {
  try {
    state.account.positions = withEntryPrices(presetLegs($('preset').value, chain, $('underlying').value, Number($('preset-qty').value) || 1),
      applyScenario(state.market, { ...state.scenario, staleSec: 0 }));
    state.chartUnderlying = $('underlying').value;
    $('chart-underlying').value = state.chartUnderlying;
    recompute();
  } catch (err) { setStatus(err.message, true); }
});
$('clear-legs').addEventListener('click', () => { state.account.positions = []; recompute(); });

// ---------- sliders ----------
const sliders = [['spot', 'spotPct', (v) => `${v > 0 ? '+' : ''}${v} %`, 0.01], ['vol', 'volPct', (v) => `${v > 0 ? '+' : ''}${v} %`, 0.01],
  ['days', 'days', (v) => `${v} d`, 1], ['stale', 'staleSec', (v) => `${v} s`, 1]];
for (const [id, key, fmt, scale] of sliders) $(id).addEventListener('input', (e) => {
  const v = Number(e.target.value);
  $(`${id}-out`).textContent = fmt(v);
  state.scenario[key] = v * scale;
  recompute();
  if (key !== 'staleSec') refreshChain();
});
$('spot-scope').addEventListener('change', (e) => { state.scenario.underlying = e.target.value || null; recompute(); refreshChain(); });
$('sliders-reset').addEventListener('click', () => {
  for (const [id, key, fmt] of sliders) { $(id).value = 0; $(`${id}-out`).textContent = fmt(0); state.scenario[key] = 0; }
  recompute();
  refreshChain();
});
$('chart-underlying').addEventListener('change', (e) => { state.chartUnderlying = e.target.value; recompute(); });
$('pnl-collateral').addEventListener('change', (e) => { state.includeCollateral = e.target.checked; recompute(); });
$('tplus').addEventListener('change', (e) => { state.tplus = Math.max(0, Number(e.target.value) || 0); recompute(); });

// ---------- margin panel ----------
const LEVEL = (h) => (h == null ? '–' : h < 1 ? 'liquidatable' : h < 1.25 ? 'warning' : 'healthy');
function renderMargin(res) {
  const reports = Object.fromEntries(Object.entries(res.reports).map(([m, r]) => [m, r.json ? JSON.parse(r.json) : r]));
  const modes = Object.keys(reports);
  const rows = [['Initial margin', (r) => usd(r.initialMargin?.value)], ['Maintenance margin', (r) => usd(r.maintenanceMargin?.value)],
    ['Equity', (r) => usd(r.equity?.value)], ['Free collateral', (r) => usd(r.freeCollateral?.value)],
    ['Health', (r) => (r.health == null ? '–' : r.health.toFixed(3))], ['Level', (r) => LEVEL(r.health)]];
  const own = state.account.mode ?? 'cross';
  $('margin-table').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', {}, `profile ${state.profile}`), modes.map((m) => el('th', { scope: 'col', class: m === own ? 'own' : '' }, m + (m === own ? ' (account)' : ''))))),
    el('tbody', {}, rows.map(([label, f]) => el('tr', {}, el('th', { scope: 'row' }, label),
      modes.map((m) => reports[m].error ? el('td', { class: 'error' }, label === 'Initial margin' ? reports[m].error : '')
        : el('td', { class: `num ${label === 'Level' ? LEVEL(reports[m].health) : ''}`, dataset: { mode: m, field: label } }, f(reports[m])))))));
  const main = reports[own];
  $('components-mode').textContent = `${own}, ${state.profile}`;
  if (main && !main.error) {
    const c = main.components;
    const comp = [['Model (scenario loss / rule)', c.model], ['DRR add-on', c.drr], ['Oracle buffer', c.oracleBuffer], ['Liquidity', c.liquidity],
      ['Risk flags', c.flags], ['Collateral haircut', c.collateralHaircut], ['Total', c.total]];
    const v = (x, k) => (typeof x === 'number' ? x : x?.[k]);
    $('components').replaceChildren(el('thead', {}, el('tr', {}, el('th', {}, 'component'), el('th', { scope: 'col' }, 'initial'), el('th', { scope: 'col' }, 'maintenance'))),
      el('tbody', {}, comp.map(([label, x]) => el('tr', { class: label === 'Total' ? 'total' : '' }, el('th', { scope: 'row' }, label), el('td', { class: 'num' }, usd(v(x, 'initial'), 2)), el('td', { class: 'num' }, usd(v(x, 'maintenance'), 2))))),
      main.warnings?.length ? el('caption', {}, `warnings: ${main.warnings.map((w) => w.message ?? JSON.stringify(w)).join('; ')}`) : '');
    if (main.portfolio) renderHeatmap(main.portfolio);
  } else $('components').replaceChildren(el('tbody', {}, el('tr', {}, el('td', { class: 'error' }, main?.error ?? ''))));
  if (reports.portfolio && !reports.portfolio.error && own !== 'portfolio') renderHeatmap(reports.portfolio.portfolio);
  renderLiquidation(res.liquidation);
  return reports;
}
function renderLiquidation(liq) {
  if (liq.error) { $('liquidation').replaceChildren(el('p', { class: 'error' }, liq.error)); return; }
  $('liquidation').replaceChildren(el('table', { 'aria-label': 'Liquidation prices' },
    el('thead', {}, el('tr', {}, ['', 'spot', 'liquidation', 'bankruptcy', 'nearest', 'dist.'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, Object.entries(liq.underlyings ?? {}).map(([u, x]) => el('tr', { dataset: { underlying: u, nearest: x.nearest ?? '' } },
      el('th', { scope: 'row' }, u), el('td', { class: 'num' }, usd(x.spot)),
      el('td', { class: 'num liq' }, x.liquidationPrices.length ? x.liquidationPrices.map((p) => usd(p)).join(', ') : 'none'),
      el('td', { class: 'num' }, x.bankruptcyPrices.length ? x.bankruptcyPrices.map((p) => usd(p)).join(', ') : 'none'),
      el('td', { class: 'num' }, usd(x.nearest)), el('td', { class: 'num' }, x.distancePct == null ? '–' : `${x.distancePct.toFixed(0)} %`))))));
}
function renderHeatmap(portfolio) {
  const byU = {};
  for (const s of portfolio.scenarios ?? []) (byU[s.underlying] ??= []).push(s);
  // Cells show the book's P&L as revalued (rawPnlUsd: gains too); the margin counts pnlUsd
  // (after gain offsets and dampeners), shown in each cell's title and the caption.
  const worstAbs = Math.max(1, ...Object.values(byU).flat().map((s) => Math.abs(s.rawPnlUsd)));
  const contingencies = Object.entries(portfolio.contingencies ?? {}).filter(([, v]) => v).map(([k, v]) => `${k} ${usd(v, 2)}`).join(', ') || 'none';
  $('heatmap-summary').textContent = `Risk-matrix margin ${usd(portfolio.riskMatrixMargin, 2)} = worst loss ${usd(portfolio.worstLoss, 2)} + contingencies (${contingencies}); portfolio IM ${usd(portfolio.initial, 2)}, MM ${usd(portfolio.maintenance, 2)}.`;
  $('heatmap').replaceChildren(...Object.entries(byU).map(([u, list]) => {
    const moves = [...new Set(list.map((s) => s.spotMove))].sort((a, b) => a - b);
    const vols = ['up', 'same', 'down'].filter((v) => list.some((s) => s.vol === v));
    const cell = (m, v) => list.find((s) => s.spotMove === m && s.vol === v);
    return el('table', { class: 'heat', 'aria-label': `${u} scenario P&L` },
      el('caption', {}, `${u}: P&L per scenario (USD); worst counted ${usd(Math.min(...list.map((s) => s.pnlUsd)))} USD`),
      el('thead', {}, el('tr', {}, el('th', {}, 'vol \\ move'), moves.map((m) => el('th', { scope: 'col', class: list.find((s) => s.spotMove === m)?.extended ? 'ext' : '' }, `${m > 0 ? '+' : ''}${(m * 100).toFixed(0)}%`)))),
      el('tbody', {}, vols.map((v) => el('tr', {}, el('th', { scope: 'row' }, v), moves.map((m) => {
        const s = cell(m, v);
        if (!s) return el('td', {}, '');
        const a = Math.min(1, Math.abs(s.rawPnlUsd) / worstAbs);
        const bg = s.rawPnlUsd < 0 ? `rgba(220,50,47,${0.1 + 0.8 * a})` : `rgba(38,139,90,${s.rawPnlUsd > 0 ? 0.1 + 0.8 * a : 0.05})`;
        return el('td', { class: `num${s.worst ? ' worst' : ''}`, style: `background:${bg}`, title: `${u} ${m} vol ${v}: P&L ${s.rawPnlUsd} USD, counted ${s.pnlUsd} USD` }, usd(s.rawPnlUsd / 1000, 1) + 'k');
      })))));
  }));
}

// ---------- charts ----------
function renderCharts(curves, liq) {
  if (curves.error) { $('chart-marks').textContent = curves.error; return; }
  $('chart-u').textContent = curves.underlying;
  const x = liq?.underlyings?.[curves.underlying];
  const marks = { liquidation: x?.liquidationPrices ?? [], bankruptcy: x?.bankruptcyPrices ?? [], breakevens: curves.breakevens, spot: curves.spot };
  drawPnl($('pnl-chart'), curves, marks);
  drawGreeks($('greeks-chart'), curves);
  $('pnl-chart').dataset.liquidation = JSON.stringify(marks.liquidation);
  $('chart-marks').textContent = `P&L of the ${curves.includeCollateral ? 'account' : 'positions'} · spot ${usd(curves.spot)} · breakevens at expiry ${curves.breakevens.map((b) => usd(b)).join(', ') || 'none'} · whole account (collateral included): liquidation ${marks.liquidation.map((b) => usd(b)).join(', ') || 'none'} · bankruptcy ${marks.bankruptcy.map((b) => usd(b)).join(', ') || 'none'}${curves.expiry ? ` · expiry ${new Date(curves.expiry).toISOString().slice(0, 10)}` : ''}`;
}

// Price range of the charts (× spot): ±50 %, widened to show liquidation prices up to 0.2×–3×.
function chartRange(liq) {
  let [lo, hi] = [0.5, 1.5];
  for (const p of liq?.liquidationPrices ?? []) {
    const r = p / liq.spot;
    if (r >= 0.2 && r < lo) lo = Math.max(0.2, r * 0.9);
    if (r <= 3 && r > hi) hi = Math.min(3, r * 1.1);
  }
  return [lo, hi];
}

// ---------- recompute ----------
// Slider drags fire many events: run at most one computation at a time, then once more with the
// latest state if anything changed meanwhile (the worker never queues stale work).
function coalesce(run) {
  let running = null, again = false;
  return function trigger() {
    if (running) { again = true; return running; }
    running = (async () => {
      try { do { again = false; await run(); } while (again); } finally { running = null; }
    })();
    return running;
  };
}
let generation = 0;
const recompute = coalesce(recomputeNow);
async function recomputeNow() {
  const gen = ++generation;
  renderLegs();
  renderDataLabel();
  history.replaceState(null, '', `#${encodeHash({ positions: state.account.positions, collateral: state.account.collateral, mode: state.account.mode, profile: state.profile })}`);
  const args = { market: state.market, account: state.account, profile: state.profile, scenario: state.scenario };
  const key = JSON.stringify(args);
  if (published.ticketKey && published.ticketKey !== key) $('ticket-out').classList.add('stale');
  setStatus('computing…');
  const t0 = performance.now();
  try {
    const res = await call('margin', args);
    if (gen !== generation) return;
    const curves = await call('curves', { ...args, underlying: state.chartUnderlying, daysForward: state.tplus, includeCollateral: state.includeCollateral,
      range: chartRange(res.liquidation?.underlyings?.[state.chartUnderlying]) });
    if (gen !== generation) return;
    const reports = renderMargin(res);
    renderCharts(curves, res.liquidation);
    Object.assign(published, { inputs: res.inputs, reports: Object.fromEntries(Object.entries(res.reports).map(([m, r]) => [m, r.json ?? null])),
      liquidation: res.liquidation, curves, generation: gen, ready: true, latency: performance.now() - t0 });
    document.body.dataset.generation = gen;
    setStatus(`computed in ${(performance.now() - t0).toFixed(0)} ms in a Web Worker · ${state.account.positions.length} legs · ${Object.values(reports).some((r) => r.error) ? 'some modes refused (see table)' : 'all modes ok'}`);
  } catch (err) {
    if (gen === generation) setStatus(err.message, true);
  }
}
// The chain shows the market under the sliders (spot, vol, days), so marks follow every move.
const refreshChain = coalesce(refreshChainNow);
async function refreshChainNow() {
  const m = applyScenario(state.market, { ...state.scenario, staleSec: 0 });
  const expiry = $('expiry').value;
  chain = buildChain(m);
  futures = buildFutures(m);
  renderChainSelectors();
  if (expiry && Number(expiry) < chain.length) $('expiry').value = expiry;
  try { chainPrices = await call('chain', { chain }); } catch (err) { chainPrices = []; setStatus(`chain: ${err.message}`, true); }
  renderChain();
}
async function marketChanged() {
  await refreshChain();
  recompute();
}

// ---------- pre-trade ticket ----------
$('ticket-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const order = { instrument: $('t-instrument').value.trim(), side: $('t-side').value, size: Number($('t-size').value) };
  $('ticket-out').replaceChildren(el('p', { class: 'muted' }, 'computing…'));
  try {
    const res = await call('ticket', { market: state.market, account: state.account, profile: state.profile, scenario: state.scenario, order });
    published.ticket = res;
    published.ticketKey = JSON.stringify({ market: state.market, account: state.account, profile: state.profile, scenario: state.scenario });
    $('ticket-out').classList.remove('stale');
    renderTicket(res, order);
  } catch (err) { $('ticket-out').replaceChildren(el('p', { class: 'error' }, err.message)); }
});
function renderTicket(res, order) {
  const w = res.whatIf;
  if (w.error) { $('ticket-out').replaceChildren(el('p', { class: 'error refusal', role: 'alert' }, `Refused: ${w.error}`)); return; }
  const near = (side) => {
    const l = side.liquidation?.[parseInstrument(order.instrument).underlying];
    return l?.nearest;
  };
  const rows = [['Initial margin', (s) => usd(s.initialMargin?.value)], ['Maintenance margin', (s) => usd(s.maintenanceMargin?.value)],
    ['Equity', (s) => usd(s.equity?.value)], ['Free collateral', (s) => usd(s.freeCollateral?.value)], ['Health', (s) => (s.health == null ? '–' : s.health.toFixed(3))],
    ['Nearest liquidation', (s) => usd(near(s))]];
  const max = res.maxSize.error ? res.maxSize.error
    : res.maxSize.bounded === false ? `no limit from free collateral (searched to ${res.maxSize.size} contracts)`
    : `${res.maxSize.size} contracts`;
  $('ticket-out').replaceChildren(
    w.underCollateralised ? el('p', { class: 'refusal', role: 'alert' }, `Refused: ${order.side} ${order.size} ${order.instrument} would leave free collateral ${usd(w.after.freeCollateral?.value)} USD < 0.`)
      : el('p', { class: 'accepted' }, `Accepted: ${order.side} ${order.size} ${order.instrument} keeps free collateral ≥ 0.`),
    el('table', { 'aria-label': 'What-if before and after', dataset: { underCollateralised: String(!!w.underCollateralised) } },
      el('thead', {}, el('tr', {}, ['', 'before', 'after', 'impact'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map(([label, f]) => el('tr', {}, el('th', { scope: 'row' }, label), el('td', { class: 'num' }, f(w.before)), el('td', { class: 'num' }, f(w.after)),
        el('td', { class: 'num' }, label === 'Initial margin' ? usd(w.impact?.initialMargin?.value) : label === 'Maintenance margin' ? usd(w.impact?.maintenanceMargin?.value) : ''))))),
    el('p', { id: 'max-size', dataset: { size: res.maxSize.size ?? '' } }, `Maximum ${order.side} size: ${max}`));
}

// ---------- live mode ----------
let liveCount = 0, liveEvents = 0, ws = null;
// Updates carry base units of the margin asset (USDC: 6 decimals); the log shows them in USD.
const liveDecimals = () => state.market.collateral?.[profileParams?.marginAsset ?? 'USDC']?.decimals ?? 6;
function onLive(msg) {
  if (msg.event) liveEvents++;
  if (msg.error) { setStatus(`live: ${msg.error}`, true); stopLiveUi(); return; }
  if (msg.event?.type === 'indexUpdate') $('live-prices').textContent = `${msg.event.underlying} ${usd(msg.event.price, 2)} @ ${new Date(msg.event.publishTime).toISOString().replace('T', ' ').slice(0, 19)} UTC (market time)`;
  const body = $('live-log').tBodies[0];
  for (const u of msg.updates ?? []) {
    liveCount++;
    body.prepend(el('tr', {}, el('td', {}, u.sequence), el('td', { class: 'mono hash', title: u.hash }, u.hash.slice(0, 10) + '…'), el('td', {}, u.reason), el('td', { class: u.level }, u.level), el('td', { class: 'num' }, u.health?.toFixed?.(3) ?? '–'),
      ...[u.initialMargin, u.maintenanceMargin, u.equity].map((units) => el('td', { class: 'num', title: `${units} base units` }, usd(Number(units) / 10 ** liveDecimals(), 2)))));
    while (body.rows.length > 200) body.deleteRow(-1);
  }
  $('live-log').dataset.count = liveCount;
  $('live-log').dataset.events = liveEvents;
  $('live-summary').textContent = `${liveEvents} oracle events · ${liveCount} margin updates (logged when IM/MM moves beyond the engine threshold or the health level changes)`;
}
function stopLiveUi() { $('live-start').disabled = false; $('live-stop').disabled = true; }
$('live-start').addEventListener('click', async () => {
  liveCount = 0; liveEvents = 0; $('live-log').tBodies[0].replaceChildren();
  // The counters shown (and read by tests) restart with the session, not at its first message.
  $('live-log').dataset.count = 0; $('live-log').dataset.events = 0;
  const url = $('ws-url').value.trim();
  const market = applyScenario(state.market, state.scenario);
  try {
    await call('liveStart', { market, account: { ...state.account }, profile: state.profile, seed: Number($('seed').value) || 0, external: !!url });
    $('live-start').disabled = true; $('live-stop').disabled = false;
    if (url) {
      ws = new WebSocket(url);
      ws.onmessage = async (m) => { try { onLive({ event: JSON.parse(m.data), updates: await call('liveEvent', { event: JSON.parse(m.data) }) }); } catch (err) { setStatus(`live: ${err.message}`, true); } };
      ws.onerror = () => setStatus(`WebSocket ${url}: connection error`, true);
    }
  } catch (err) { setStatus(`live: ${err.message}`, true); }
});
$('live-stop').addEventListener('click', async () => { ws?.close(); ws = null; await call('liveStop', {}); stopLiveUi(); });

// ---------- start ----------
(async () => {
  try {
    ({ profiles: profileList, params: profileParams } = await call('profiles', { profile: state.profile }));
    $('profile').replaceChildren(...profileList.map((p) => el('option', { value: p.name }, p.name)));
    $('profile').value = state.profile;
    describeProfile();
  } catch (err) { setStatus(`engine: ${err.message}`, true); }
  $('mode').value = state.account.mode ?? 'cross';
  $('t-instrument').value = 'BTC_USDC-PERPETUAL';
  marketChanged();
})();
