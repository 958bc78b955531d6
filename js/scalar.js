// drr-margin — `price()` and `impliedVol()` for the package's entry points (node.mjs, node.cjs,
// web.js).
//
// A plain request of finite numbers crosses as numbers (`__priceScalars`, `__impliedVolScalars`:
// src/wasm/scalar.rs), not as JSON text: the typed functions stringify the request, copy and
// parse the text in WASM, and `price` writes its result as JSON text that JS parses, ≈ 6–9 µs a
// call where the model takes ≈ 0.1 µs (`npm run bench`, "price() per option"). The numbers are
// those the text would carry: JSON.stringify writes −0 as 0 (so it goes as 0) and omits
// `undefined` fields (so they go as absent), and the text's numbers parse back to the same
// doubles. The result is the object JSON.parse of the typed function's text gives: the same keys
// in the same order, a non-finite number as null (JSON has none), −0 kept.
// Anything else (another prototype, a `toJSON`, an unknown or inherited key, a string or null
// where a number goes) and any request the model refuses go to the typed function, which
// returns the same result or throws the coded error naming the field.

/** `request`'s fields (undefined: absent), or null unless it is a plain object whose keys are
 * all its own and all among `kind`, `forward`, `strike`, `t`, `rate`, `inverse` and `other`
 * (`vol` or `price`). One `for…in` pass that reads each value by its key: V8 makes that fast for
 * every object, where named loads (destructuring) of a key an object lacks cost ≈ 1 µs on
 * objects built by spreading another (`{ ...rest, price }`). A fresh object per call: a getter
 * may call `price()` itself. */
function read(request, other) {
  if (request === null || typeof request !== 'object') return null;
  const proto = Object.getPrototypeOf(request);
  if (proto !== Object.prototype && proto !== null) return null;
  if (typeof request.toJSON === 'function') return null;
  const fields = {
    kind: undefined, price: undefined, forward: undefined, strike: undefined,
    t: undefined, vol: undefined, rate: undefined, inverse: undefined,
  };
  // A getter that throws: the typed function reports it (as an input that cannot be written as
  // JSON), with its code.
  try {
    for (const key in request) {
      if (!Object.prototype.hasOwnProperty.call(request, key)) return null;
      const value = request[key];
      switch (key) {
        case 'kind': fields.kind = value; break;
        case 'forward': fields.forward = value; break;
        case 'strike': fields.strike = value; break;
        case 't': fields.t = value; break;
        case 'rate': fields.rate = value; break;
        case 'inverse': fields.inverse = value; break;
        case 'vol': if (other !== 'vol') return null; fields.vol = value; break;
        case 'price': if (other !== 'price') return null; fields.price = value; break;
        default: return null;
      }
    }
  } catch {
    return null;
  }
  return fields;
}

/** A number as JSON.parse of its JSON text gives it: a non-finite one is written as null. */
const json = (x) => (Number.isFinite(x) ? x : null);
/** ±1 for "call"/"put", else 0. */
const kindCode = (kind) => (kind === 'call' ? 1 : kind === 'put' ? -1 : 0);
/** A finite number as its JSON text parses back: −0 as 0. */
const sent = (x) => (x === 0 ? 0 : x);
/** Whether the optional `rate` and `inverse` qualify (absent, or a finite number / a boolean). */
const optionalOk = (rate, inverse) => (rate === undefined || Number.isFinite(rate))
  && (inverse === undefined || typeof inverse === 'boolean');

// The view of the WASM side's result numbers (`__scalarsView`) and the function that made it,
// which names the WASM instance the view belongs to.
let results = { scalarsView: undefined, view: new Float64Array(0) };

/** `price()` through `__priceScalars` (its result read through `__scalarsView`) where the
 * request qualifies, else `price` (the typed function). */
export function priceVia(priceScalars, scalarsView, price, request) {
  const fields = read(request, 'vol');
  if (fields === null) return price(request);
  const { kind, forward, strike, t, vol, rate, inverse } = fields;
  const code = kindCode(kind);
  const qualifies = code !== 0 && Number.isFinite(forward) && Number.isFinite(strike)
    && Number.isFinite(t) && Number.isFinite(vol) && optionalOk(rate, inverse);
  if (!qualifies || !priceScalars(code, sent(forward), sent(strike), sent(t), sent(vol),
    rate === undefined ? undefined : sent(rate), inverse)) {
    return price(request);
  }
  // After the call: a call that grew the memory detached the view before it.
  if (results.scalarsView !== scalarsView || results.view.length === 0) {
    results = { scalarsView, view: scalarsView() };
  }
  const out = results.view;
  // The keys in the order of the typed function's JSON text (src/pricing/black.rs `Greeks`).
  return {
    price: json(out[0]), delta: json(out[1]), gamma: json(out[2]), vega: json(out[3]),
    theta: json(out[4]), rho: json(out[5]), vanna: json(out[6]), volga: json(out[7]),
  };
}

/** `impliedVol()` through `__impliedVolScalars` where the request qualifies, else `impliedVol`
 * (the typed function). */
export function impliedVolVia(impliedVolScalars, impliedVol, request) {
  const fields = read(request, 'price');
  if (fields === null) return impliedVol(request);
  const { kind, price, forward, strike, t, rate, inverse } = fields;
  const code = kindCode(kind);
  const qualifies = code !== 0 && Number.isFinite(price) && Number.isFinite(forward)
    && Number.isFinite(strike) && Number.isFinite(t) && optionalOk(rate, inverse);
  const vol = qualifies
    ? impliedVolScalars(code, sent(price), sent(forward), sent(strike), sent(t),
      rate === undefined ? undefined : sent(rate), inverse)
    : NaN;
  // NaN: refused (the typed function throws its error) or NaN (it returns the same NaN).
  return Number.isNaN(vol) ? impliedVol(request) : vol;
}
