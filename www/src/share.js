// URL hash ⇄ portfolio: `#p=<base64url of JSON {positions, collateral, mode, profile}>`, so a state
// can be shared as a link. Decoding never throws: a malformed hash is ignored.
const toB64url = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (b64) => new TextDecoder().decode(Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));

export const encodeHash = (portfolio) => `p=${toB64url(JSON.stringify(portfolio))}`;

export function decodeHash(hash) {
  const m = /[#&]p=([A-Za-z0-9_-]+)/.exec(hash ?? '');
  if (!m) return null;
  try {
    const value = JSON.parse(fromB64url(m[1]));
    return value && typeof value === 'object' && Array.isArray(value.positions ?? []) ? value : null;
  } catch { return null; }
}
