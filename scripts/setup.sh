#!/usr/bin/env bash
# Idempotent set-up for `npm start` and `npm test` on a fresh machine of this project's kind
# (Debian, rustup toolchain, node/npm; reachable: crates.io, npm, PyPI, Debian). Installs only what is
# missing or at the wrong version; nothing downloads a prebuilt binary from outside those registries.
#   fresh machine: ~5 min (two `cargo install`s); everything in place: ~1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*"; }
t0=$(date +%s)

# The wasm-bindgen CLI must equal the wasm-bindgen crate version in Cargo.lock (Cargo.toml pins it with =).
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
[ -n "$WB_VERSION" ] || { echo "[setup] cannot read the wasm-bindgen version from Cargo.lock" >&2; exit 1; }
WASM_PACK_VERSION=0.15.1

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION from crates.io (~2-3 min)"
  # --locked first; the registry mirror can lag behind the CLI's lockfile (seen for 0.2.130), then unlocked.
  cargo install -q wasm-bindgen-cli --version "$WB_VERSION" --locked 2>/dev/null \
    || cargo install -q wasm-bindgen-cli --version "$WB_VERSION"
fi

if [ "$(wasm-pack --version 2>/dev/null || true)" != "wasm-pack $WASM_PACK_VERSION" ]; then
  log "installing wasm-pack $WASM_PACK_VERSION from crates.io (~2 min)"
  cargo install -q wasm-pack --version "$WASM_PACK_VERSION" --locked
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  log "installing Debian chromium + chromium-driver (~30 s)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# Debian's binaryen (v108) silently corrupts wasm-bindgen output and wasm-pack would pick it up from PATH.
if dpkg -s binaryen >/dev/null 2>&1; then
  log "removing Debian binaryen (broken wasm-opt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq binaryen >/dev/null
fi

# JS tooling pinned in package-lock.json (binaryen's wasm-opt, playwright-core; no browser download).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "ok in $(( $(date +%s) - t0 )) s: $(wasm-bindgen --version), $(wasm-pack --version 2>/dev/null), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}'), $(chromium --version 2>/dev/null | head -1)"
