// Minimal page: prices the form's option on every input through the public npm API.
import init, { price, version } from 'drr-margin';

const form = document.getElementById('inputs');
const out = document.getElementById('price');
const errorBox = document.getElementById('error');
const table = document.getElementById('greeks');
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

function recompute() {
  const f = new FormData(form);
  try {
    const g = price({
      kind: f.get('kind'),
      forward: Number(f.get('forward')),
      strike: Number(f.get('strike')),
      t: Number(f.get('days')) / 365,
      vol: Number(f.get('vol')) / 100,
      rate: Number(f.get('rate')) / 100,
    });
    out.textContent = usd.format(g.price);
    out.dataset.value = String(g.price);
    errorBox.textContent = '';
    const rows = [
      ['Delta', g.delta.toFixed(4)], ['Gamma', g.gamma.toExponential(4)],
      ['Vega / vol pt', (g.vega / 100).toFixed(2)], ['Theta / day', (g.theta / 365).toFixed(2)],
    ];
    table.innerHTML = rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('');
  } catch (err) {
    out.textContent = '—';
    table.innerHTML = '';
    delete out.dataset.value;
    errorBox.textContent = `${err.code ?? 'Error'} (${err.field ?? ''}): ${err.message}`;
  }
}

await init();
document.getElementById('version').textContent = version();
form.addEventListener('input', recompute);
recompute();
