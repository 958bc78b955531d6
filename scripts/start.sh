#!/usr/bin/env bash
# `npm start`: set-up if needed, build both wasm targets (web + node), serve www/ on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-pkg.sh
exec node scripts/serve.mjs "${PORT:-8080}"
