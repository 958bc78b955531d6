// A consumer app as a web developer writes it: the package imported by name, bundled by Vite.
// Computes one margin report on the main thread and one in a module Web Worker, and publishes
// both (as JSON text) for the packaging test to compare with Node's result.
import init, { margin, version } from 'drr-margin';
import market from './market.json';
import account from './account.json';

const show = (id, text, attrs) => {
  const out = document.getElementById(id);
  out.textContent = text;
  Object.assign(out.dataset, attrs);
};

try {
  // init() is idempotent: concurrent and repeated calls share one fetch and compile.
  await Promise.all([init(), init()]);
  await init();
  const report = margin(market, account, { profile: 'deribit-portfolio' });
  show('main', `v${version()}: IM ${report.initialMargin.units}`, { report: JSON.stringify(report) });
} catch (err) {
  show('main', `${err.code ?? ''} ${err.message}`, { error: String(err.code ?? err) });
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => {
  if (data.error) show('worker', data.error, { error: data.error });
  else show('worker', `IM ${JSON.parse(data.report).initialMargin.units}`, { report: data.report });
};
worker.onerror = (event) => show('worker', String(event.message), { error: String(event.message) });
worker.postMessage({ market, account, params: { profile: 'deribit-portfolio' } });
