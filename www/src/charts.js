// uPlot charts: P&L (at expiry, today, T+n) and net Greeks against one underlying's price, with
// vertical markers for liquidation, bankruptcy, breakeven and spot prices drawn by a uPlot hook.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const charts = new Map();
const width = (host) => Math.max(280, host.clientWidth || 600);

function vlines(marks) {
  return { hooks: { draw: [(u) => {
    const { ctx } = u;
    const [y0, y1] = [u.bbox.top, u.bbox.top + u.bbox.height];
    const line = (x, color, dash, label) => {
      if (x == null || !Number.isFinite(x) || x < u.scales.x.min || x > u.scales.x.max) return;
      const px = u.valToPos(x, 'x', true);
      ctx.save(); ctx.strokeStyle = color; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
      ctx.beginPath(); ctx.moveTo(px, y0); ctx.lineTo(px, y1); ctx.stroke();
      ctx.fillStyle = color; ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`; ctx.fillText(label, px + 3 * devicePixelRatio, y0 + 12 * devicePixelRatio);
      ctx.restore();
    };
    line(marks.spot, '#555', [2, 3], 'spot');
    for (const x of marks.liquidation ?? []) line(x, '#d33682', [6, 3], 'liq');
    for (const x of marks.bankruptcy ?? []) line(x, '#dc322f', [], 'bankr.');
    for (const x of marks.breakevens ?? []) line(x, '#268bd2', [1, 3], 'BE');
  }] } };
}

function upsert(host, key, opts, data) {
  const old = charts.get(key);
  old?.destroy();
  const chart = new uPlot({ ...opts, width: width(host), height: 260 }, data, host);
  charts.set(key, chart);
  if (!observed.has(host)) {
    observed.add(host);
    new ResizeObserver(() => { const c = charts.get(key); if (c && Math.abs(c.width - width(host)) > 2) c.setSize({ width: width(host), height: 260 }); }).observe(host);
  }
  return chart;
}
const observed = new WeakSet();

const money = (u, vals) => vals.map((v) => (v == null ? '' : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(0)}k` : v.toFixed(0)));

export function drawPnl(host, c, marks) {
  const series = [{ label: `${c.underlying} price` },
    { label: 'at expiry', stroke: '#268bd2', width: 2 },
    { label: 'today', stroke: '#859900', width: 2 },
    { label: c.daysForward ? `T+${c.daysForward}d` : 'T+n (n/a)', stroke: '#b58900', width: 1.5, dash: [6, 4] }];
  upsert(host, 'pnl', {
    title: 'P&L (USD) vs price', series, plugins: [vlines(marks)],
    scales: { x: { time: false } },
    axes: [{ label: `${c.underlying} index (USD)`, values: money }, { label: 'P&L (USD)', values: money, size: 60 }],
  }, [c.prices, c.atExpiry, c.today, c.later]);
}

export function drawGreeks(host, c) {
  upsert(host, 'greeks', {
    title: 'Net Greeks vs price', scales: { x: { time: false }, d: { auto: true }, g: { auto: true }, v: { auto: true } },
    series: [{ label: `${c.underlying} price` },
      { label: 'delta', stroke: '#6c71c4', width: 2, scale: 'd' },
      { label: 'gamma (own scale)', stroke: '#2aa198', width: 1.5, scale: 'g' },
      { label: 'vega', stroke: '#cb4b16', width: 1.5, scale: 'v' }],
    axes: [{ label: `${c.underlying} index (USD)`, values: money }, { label: 'delta', scale: 'd', size: 60 }, { label: 'vega (USD)', scale: 'v', side: 1, values: money, size: 60, grid: { show: false } }],
  }, [c.prices, c.delta, c.gamma, c.vega]);
}
