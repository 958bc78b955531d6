// Module Web Worker: every drr-margin call of the page runs here, so the UI thread never blocks.
// Protocol: {id, op, args} → {id, result} | {id, error}; live mode also posts {live: {...}}.
import init, { profiles, defaultParams } from 'drr-margin';
import { computeMargin, computeCurves, computeTicket, priceChain, errorText } from './compute.js';
import { LiveSession, summarise } from './live.js';

const ready = init();
let live = null, timer = null;

function stopLive() { if (timer) clearInterval(timer); timer = null; live?.free(); live = null; }

const ops = {
  profiles: ({ profile }) => ({ profiles: profiles(), params: defaultParams(profile) }),
  margin: computeMargin,
  curves: computeCurves,
  ticket: computeTicket,
  chain: ({ chain }) => priceChain(chain),
  liveStart: (args) => {
    stopLive();
    live = new LiveSession(args);
    const post = (event, updates) => self.postMessage({ live: { event, updates: updates.map(summarise) } });
    post(null, live.initial);
    if (!args.external) timer = setInterval(() => {
      try { const event = live.nextEvent(); post(event, live.apply(event)); }
      catch (e) { self.postMessage({ live: { error: errorText(e) } }); stopLive(); }
    }, args.intervalMs ?? 200);
    return { started: true };
  },
  liveEvent: ({ event }) => { if (!live) throw new Error('live mode is not running'); return live.apply(event).map(summarise); },
  liveStop: () => { stopLive(); return { stopped: true }; },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    await ready;
    self.postMessage({ id, result: ops[op](args) });
  } catch (e) {
    self.postMessage({ id, error: errorText(e) });
  }
};
