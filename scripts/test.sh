#!/usr/bin/env bash
# `npm test`: set-up if needed, then every test layer. Runs all layers, prints each layer's summary
# line, and exits non-zero if any failed.
#   lint      cargo fmt --check; clippy -D warnings natively and for wasm32
#   native    cargo test (unit, integration, golden, property, doc tests)
#   wasm      the core's wasm-bindgen tests compiled to wasm32, run in Node
#   build     pkg/ (release, scripts/build-pkg.sh) + CLI
#   size      the .wasm's gzip -9 size within the budget (WASM_GZIP_BUDGET bytes, README "Build profile and size")
#   package   node --test tests/js (npm package in Node, parity with the CLI)
#   browser   node --test tests/browser (Vite builds www/ and a packaged app; Debian headless Chromium via playwright-core on localhost)
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "npm test: set-up failed" >&2; exit 1; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
logs=target/test-logs; mkdir -p "$logs"
declare -a names results
total_pass=0; total_fail=0; failed=0

layer() { # name summary-kind command...
  local name=$1 kind=$2; shift 2
  printf '\n==> [%s] %s\n' "$name" "$*"
  local t0=$SECONDS status
  "$@" 2>&1 | tee "$logs/$name.log"; status=${PIPESTATUS[0]}
  local pass=0 fail=0
  case $kind in
    cargo) pass=$(grep -hoE 'test result: [A-Za-z]+\. [0-9]+ passed' "$logs/$name.log" | awk '{s+=$4} END{print s+0}')
           fail=$(grep -hoE '[0-9]+ failed' "$logs/$name.log" | awk '{s+=$1} END{print s+0}') ;;
    node)  pass=$(grep -hoE '^# pass [0-9]+' "$logs/$name.log" | awk '{s+=$3} END{print s+0}')
           fail=$(grep -hoE '^# fail [0-9]+' "$logs/$name.log" | awk '{s+=$3} END{print s+0}') ;;
  esac
  [ "$status" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
  local verdict=ok; [ "$status" -eq 0 ] || { verdict=FAILED; failed=1; }
  names+=("$name"); results+=("$(printf '%-8s %-6s %4d passed, %d failed  (%ds)' "$name" "$verdict" "$pass" "$fail" $((SECONDS - t0)))")
}

lint() {
  cargo fmt --check && cargo clippy -q --all-targets -- -D warnings \
    && cargo clippy -q --all-targets --target wasm32-unknown-unknown -- -D warnings && echo "lint: clean"
}
build_package() { cargo build -q --release --bin drr-margin && bash scripts/build-pkg.sh; }
# The budget of issue 6: 250 KB (250,000 bytes) gzip -9.
WASM_GZIP_BUDGET=250000
WASM=pkg/web/drr_margin_bg.wasm
wasm_gzip_size() { gzip -9 -c "$WASM" | wc -c; }
size_budget() {
  [ -f "$WASM" ] || { echo "size: $WASM was not built"; return 1; }
  local gz; gz=$(wasm_gzip_size)
  if [ "$gz" -gt "$WASM_GZIP_BUDGET" ]; then
    echo "size: $gz bytes gzip -9, over the budget of $WASM_GZIP_BUDGET by $((gz - WASM_GZIP_BUDGET))"
    return 1
  fi
  echo "size: $gz bytes gzip -9, $((WASM_GZIP_BUDGET - gz)) under the budget of $WASM_GZIP_BUDGET"
}

layer lint    none  lint
layer native  cargo cargo test
layer wasm    cargo env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
                    cargo test --target wasm32-unknown-unknown --test wasm --test vol_surface
layer build   none  build_package
layer size    none  size_budget
layer package node  node --test tests/js/
layer browser node  node --test tests/browser/

printf '\n==> summary\n'
for r in "${results[@]}"; do echo "  $r"; done
if [ -f "$WASM" ]; then
  echo "  wasm size: $(stat -c %s "$WASM") bytes raw, $(wasm_gzip_size) bytes gzip -9"
fi
echo "$total_pass passed, $total_fail failed"
exit $failed
