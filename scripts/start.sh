#!/usr/bin/env bash
# `npm start`: set-up if needed, build both wasm targets (web + node), build the simulator page
# (www/, Vite, into target/www) and serve it on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-pkg.sh
node_modules/.bin/vite build --config www/vite.config.js --logLevel warn
exec node scripts/serve.mjs "${PORT:-8080}" target/www
