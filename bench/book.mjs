// The benchmark book: a BTC options book of `legs` legs (3 expiries × strikes 60 000–137 500 ×
// calls/puts with mixed signs, from a fixed linear congruential sequence started at `seed`), plus
// a BTC and an ETH perpetual, in cross mode with 5M USDC. Shared by bench/margin.mjs and, bit for
// bit, by benches/margin.rs (same arithmetic in f64; seed 7); bench/whatif-suite.mjs takes seed 11.
// `node bench/book.mjs [legs] [distinct]` prints the account JSON.
export function book(legs = 500, seed = 7) {
  const expiries = ['25DEC26', '26MAR27', '25JUN27'];
  const positions = [];
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; positions.length < legs - 2; i++) {
    const expiry = expiries[i % expiries.length];
    const strike = 60000 + 2500 * Math.floor(rnd() * 32);
    const kind = rnd() < 0.5 ? 'C' : 'P';
    positions.push({ instrument: `BTC_USDC-${expiry}-${strike}-${kind}`, size: Math.round((rnd() - 0.5) * 40) / 10 || 0.1 });
  }
  positions.push({ instrument: 'BTC_USDC-PERPETUAL', size: 3.5, entryPrice: 97000 });
  positions.push({ instrument: 'ETH_USDC-PERPETUAL', size: -20, entryPrice: 3400 });
  return { mode: 'cross', collateral: { USDC: 5_000_000 }, positions };
}

// The same book with every leg a different instrument, as an exchange account holds them (one
// position per instrument): leg i has expiry i mod 3, a call for ⌊i/3⌋ even else a put, strike
// 60 000 + 1 000·⌊i/6⌋ (60 000–142 000 for 498 legs), so 3 × 83 (expiry, strike) pricing nodes
// where `book` has ≤ 96; sizes from the same sequence as `book`. Mirrored by benches/margin.rs.
export function distinctBook(legs = 500) {
  const expiries = ['25DEC26', '26MAR27', '25JUN27'];
  const positions = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; positions.length < legs - 2; i++) {
    const expiry = expiries[i % 3];
    const kind = Math.floor(i / 3) % 2 === 0 ? 'C' : 'P';
    const strike = 60000 + 1000 * Math.floor(i / 6);
    positions.push({ instrument: `BTC_USDC-${expiry}-${strike}-${kind}`, size: Math.round((rnd() - 0.5) * 40) / 10 || 0.1 });
  }
  positions.push({ instrument: 'BTC_USDC-PERPETUAL', size: 3.5, entryPrice: 97000 });
  positions.push({ instrument: 'ETH_USDC-PERPETUAL', size: -20, entryPrice: 3400 });
  return { mode: 'cross', collateral: { USDC: 5_000_000 }, positions };
}

// (`process` only in Node: bench/browser.mjs bundles this module for a page.)
if (globalThis.process?.argv && import.meta.url === `file://${process.argv[1]}`) {
  const make = process.argv[3] === 'distinct' ? distinctBook : book;
  process.stdout.write(JSON.stringify(make(Number(process.argv[2] ?? 500))) + '\n');
}
