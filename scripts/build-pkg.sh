#!/usr/bin/env bash
# Builds the npm package's two wasm targets into pkg/ (generated; never edit):
#   pkg/web   wasm-pack --target web     (browsers, Vite and other bundlers; explicit init())
#   pkg/node  wasm-pack --target nodejs  (Node: loads the .wasm synchronously from disk, never fetches)
# then optimises each .wasm with npm's binaryen wasm-opt (Debian's is broken; wasm-pack's download fails here).
# Usage: scripts/build-pkg.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=--release
[ "${1:-}" = "--dev" ] && profile=--dev
export PATH="$PWD/node_modules/.bin:$PATH"
for target in web nodejs; do
  out=pkg/${target/nodejs/node}
  # A failed build must stop here: the .wasm of the previous build would otherwise be packaged
  # (and tested) as if it were this one.
  status=0
  wasm-pack --log-level warn build --mode no-install "$profile" --target "$target" \
    --out-dir "$out" --out-name drr_margin 2>&1 | { grep -v 'failed to get wasm-pack version' || true; } \
    || status=$?
  [ "$status" -eq 0 ] || { echo "build-pkg: wasm-pack failed for --target $target (exit $status)" >&2; exit 1; }
  [ -f "$out/drr_margin_bg.wasm" ] || { echo "build-pkg: wasm-pack produced no $out/drr_margin_bg.wasm" >&2; exit 1; }
  # wasm-pack writes a `*` .gitignore into its out-dir, which npm pack honours: the published
  # package would lack its wasm and glue (tests/browser/packaging.test.mjs installs from `npm pack`).
  rm -f "$out/.gitignore"
  if [ "$profile" = --release ]; then
    wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$out/drr_margin_bg.wasm" -o "$out/drr_margin_bg.wasm"
  fi
done
raw=$(stat -c %s pkg/web/drr_margin_bg.wasm)
gz=$(gzip -9 -c pkg/web/drr_margin_bg.wasm | wc -c)
echo "build-pkg: pkg/web/drr_margin_bg.wasm ${raw} bytes raw, ${gz} bytes gzip -9"
