// The same computation in a module Web Worker (how a page keeps heavy margin work off the UI thread).
import init, { margin } from 'drr-margin';

self.onmessage = async ({ data }) => {
  try {
    await init();
    const report = margin(data.market, data.account, data.params);
    self.postMessage({ report: JSON.stringify(report) });
  } catch (err) {
    self.postMessage({ error: `${err.code ?? ''} ${err.message}` });
  }
};
