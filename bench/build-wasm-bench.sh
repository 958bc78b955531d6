#!/usr/bin/env bash
# Builds the bench-only wasm32 module (examples/wasm_margin_bench.rs) for bench/margin_core.mjs
# into target/wasm-bench/, optimised with the same wasm-opt flags as the npm package
# (scripts/build-pkg.sh). Not part of the package. Needs `bash scripts/setup.sh` first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
cargo build -q --release --target wasm32-unknown-unknown --example wasm_margin_bench
wasm-bindgen --target nodejs --out-dir target/wasm-bench \
  target/wasm32-unknown-unknown/release/examples/wasm_margin_bench.wasm
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  target/wasm-bench/wasm_margin_bench_bg.wasm -o target/wasm-bench/wasm_margin_bench_bg.wasm
echo '{"type": "commonjs"}' > target/wasm-bench/package.json
echo "build-wasm-bench: target/wasm-bench/wasm_margin_bench.js"
