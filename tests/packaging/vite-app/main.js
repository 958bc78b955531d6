// A consumer app as a web developer writes it: the package imported by name, bundled by Vite.
// Computes one margin report on the main thread and one in a module Web Worker, and the answers
// to the price() and impliedVol() requests of pricing.json, and publishes them (as JSON text) for
// the packaging test to compare with Node's.
import init, { margin, version, price, impliedVol } from 'drr-margin';
import market from './market.json';
import account from './account.json';
import pricing from './pricing.json';

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
  // Each answer, or the error's code and message; −0 kept apart from 0.
  const answer = (f, request) => {
    try {
      return { result: f(request) };
    } catch (err) {
      return { error: [err.name, err.code, err.field, err.message] };
    }
  };
  const answers = {
    price: pricing.price.map((request) => answer(price, request)),
    impliedVol: pricing.impliedVol.map((request) => answer(impliedVol, request)),
  };
  const text = JSON.stringify(answers, (_, v) => (Object.is(v, -0) ? '-0' : v));
  show('pricing', `${answers.price.length + answers.impliedVol.length} answers`, { report: text });
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
