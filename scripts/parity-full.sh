#!/usr/bin/env bash
# Full native ↔ wasm32 parity run: the parity corpus (default 10^6 rows) through the native CLI and
# through the npm package in Node; the digests must be equal. `npm test` runs 10^5 rows.
# Usage: scripts/parity-full.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
[ -x target/release/drr-margin ] || cargo build -q --release --bin drr-margin
[ -f pkg/node/drr_margin_bg.wasm ] || bash scripts/build-pkg.sh
native=$(target/release/drr-margin parity --count "$n")
wasm=$(node -e "console.log(require('./pkg/node/drr_margin.js').parityDigest($n))")
echo "rows=$n native=$native wasm32=$wasm"
[ "$native" = "$wasm" ] && echo "parity: identical" || { echo "parity: MISMATCH" >&2; exit 1; }
