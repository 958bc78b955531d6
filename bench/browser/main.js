// The browser side of bench/browser.mjs: the margin, pricing, engine and what-if suites
// (bench/*-suite.mjs, the same code as the Node runners) on the package's browser entry
// (js/web.js → pkg/web) and the npm peers, bundled by Vite. The query string chooses the suites
// and sizes (`?only=margin,engine&reps=101&legs=500&n=10000&pricingReps=7&perRep=200&whatIfLegs=100`);
// the result is published on `window.drrBench` ({ env, isolated, margin, pricing, engine, whatIf }
// or { error }).
import * as pkg from 'drr-margin';
import { reportFromParts, accountColumns } from '../../js/report.js';
import market from '../../tests/fixtures/market.json';
import blackScholes from 'black-scholes';
import greeks from 'greeks';
import impliedVolatility from 'implied-volatility';
import * as ql from '@quantlib/ql';
import { runMarginSuite, marginTable } from '../margin-suite.mjs';
import { pricingSuite } from '../pricing-suite.mjs';
import { runEngineSuite, engineTable } from '../engine-suite.mjs';
import { runWhatIfSuite, whatIfTable } from '../whatif-suite.mjs';

const { default: init, margin, __marginParts, priceBatch, impliedVolBatch, price, impliedVol } = pkg;

const query = new URLSearchParams(location.search);
const number = (name, fallback) => Number(query.get(name) ?? fallback);
const only = new Set((query.get('only') ?? 'margin,pricing,engine,whatif').split(','));
const out = document.getElementById('out');
// Between suites: let the page paint and the runner poll.
const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run() {
  await init();
  const env = `${navigator.userAgent}, ${navigator.hardwareConcurrency} cores, `
    + `crossOriginIsolated ${globalThis.crossOriginIsolated === true}`;
  const result = { env, isolated: globalThis.crossOriginIsolated === true };
  const text = [env];
  if (only.has('margin')) {
    result.margin = runMarginSuite({
      pkg: { margin, __marginParts },
      report: { reportFromParts, accountColumns },
      market,
      legs: number('legs', 500),
      reps: number('reps', 31),
      clock: { wall: () => performance.now() },
    });
    text.push('', ...marginTable(result.margin));
    out.textContent = text.join('\n');
    await yieldToBrowser();
  }
  if (only.has('pricing')) {
    result.pricing = pricingSuite({
      lib: { priceBatch, impliedVolBatch, price, impliedVol },
      peers: {
        'black-scholes': blackScholes,
        greeks,
        'implied-volatility': impliedVolatility,
        '@quantlib/ql': ql,
      },
      now: () => performance.now(),
      n: number('n', 10_000),
      reps: number('pricingReps', 7),
      env,
    });
    text.push('', ...result.pricing);
    out.textContent = text.join('\n');
    await yieldToBrowser();
  }
  if (only.has('engine')) {
    result.engine = runEngineSuite({
      MarginEngine: pkg.MarginEngine, market, perRep: number('perRep', 200), now: () => performance.now(),
    });
    text.push('', ...engineTable(result.engine));
    out.textContent = text.join('\n');
    await yieldToBrowser();
  }
  if (only.has('whatif')) {
    result.whatIf = runWhatIfSuite({ pkg, market, legs: number('whatIfLegs', 100), now: () => performance.now() });
    text.push('', ...whatIfTable(result.whatIf));
  }
  out.textContent = text.join('\n');
  console.log(out.textContent);
  return result;
}

run().then(
  (result) => { window.drrBench = result; },
  (e) => { window.drrBench = { error: `${e?.name}: ${e?.message}\n${e?.stack ?? ''}` }; out.textContent = String(e); },
);
