// Margin parity: random accounts (seeded) through the native CLI (x86_64, the keeper) and the npm
// package (wasm32) must give the same report, every float bit-identical (JSON prints the shortest
// round-trip form, so deep-equal parsed JSON means equal bits). DRR_MARGIN_PARITY_ACCOUNTS sets
// the count (default 60; the npm-package issue's full corpus is larger).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { margin } from 'drr-margin';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const market = JSON.parse(readFileSync(fixture('market.json')));
const cli = process.env.DRR_MARGIN_CLI ?? new URL('../../target/release/drr-margin', import.meta.url).pathname;
const count = Number(process.env.DRR_MARGIN_PARITY_ACCOUNTS ?? 60);

let seed = 20261124;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

function randomAccount(i) {
  const mode = pick(['cross', 'portfolio', 'isolated']);
  const positions = [];
  const legs = 1 + Math.floor(rnd() * 12);
  for (let j = 0; j < legs; j++) {
    const u = pick(['BTC', 'ETH']);
    const settle = pick(['', '_USDC']);
    const kind = rnd();
    const size = Math.round((rnd() - 0.45) * 100) / 10 || 0.5;
    if (kind < 0.2) {
      const entry = u === 'BTC' ? 90000 + rnd() * 15000 : 3000 + rnd() * 800;
      const position = { instrument: `${u}${settle}-PERPETUAL`, size: settle ? size : size * 1000, entryPrice: Math.round(entry) };
      if (mode === 'isolated') position.isolatedMargin = Math.round(rnd() * 20000);
      positions.push(position);
    } else {
      const expiry = pick(['25DEC26', '26MAR27']);
      const strike = u === 'BTC' ? 70000 + 5000 * Math.floor(rnd() * 9) : 2500 + 250 * Math.floor(rnd() * 8);
      const position = { instrument: `${u}${settle}-${expiry}-${strike}-${pick(['C', 'P'])}`, size };
      if (mode === 'isolated') position.isolatedMargin = Math.round(rnd() * 20000);
      positions.push(position);
    }
  }
  return { id: `random-${i}`, mode, collateral: { USDC: Math.round(rnd() * 500000), BTC: Math.round(rnd() * 30) / 10 }, positions };
}

test(`margin reports: native CLI and wasm32 agree bit for bit on ${count} random accounts`, () => {
  let compared = 0;
  for (let i = 0; i < count; i++) {
    const account = randomAccount(i);
    const profile = pick(['drr', 'deribit-standard', 'deribit-portfolio', 'hyperliquid', 'derive-standard',
      'derive-portfolio', 'paradex-portfolio', 'cme-span-16']);
    let native, nativeError;
    try {
      native = JSON.parse(execFileSync(cli, ['margin', '--market', fixture('market.json'), '--account', '-', '--profile', profile],
        { input: JSON.stringify(account), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }));
    } catch (e) {
      nativeError = JSON.parse(e.stderr).error;
    }
    let wasm, wasmError;
    try { wasm = margin(market, account, { profile }); } catch (e) { wasmError = { code: e.code, field: e.field }; }
    if (nativeError || wasmError) {
      // Both must refuse, with the same code and field (the field is prefixed the same way).
      assert.ok(nativeError && wasmError, `account ${i}: one side failed: ${JSON.stringify(nativeError ?? wasmError)}`);
      assert.equal(wasmError.code, nativeError.code, `account ${i}`);
      continue;
    }
    assert.deepEqual(wasm, native, `account ${i} (${account.mode}, ${profile})`);
    compared++;
  }
  assert.ok(compared > count / 2, `only ${compared} reports compared`);
});
