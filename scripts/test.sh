#!/usr/bin/env bash
# Runs every test layer and prints each layer's counts, then the total:
#   0. lint:   cargo fmt --check, and cargo clippy -D warnings for the native
#              and the wasm32 targets (a finding stops the run here)
#   1. native: cargo test (src/core and the local source)
#   2. wasm:   wasm-bindgen-test in headless Chromium (browser glue, real workers)
#   3. e2e:    Playwright driving Chromium against the built app and the local source
#              (and, for the PWA tests, the release build in dist-release/)
# Exits non-zero if any layer fails. Called by `make test` after scripts/setup.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" TRUNK_OFFLINE=true
# The binaries are where cargo puts them: CARGO_TARGET_DIR if set.
target="${CARGO_TARGET_DIR:-target}"
logs=target/test-logs
mkdir -p "$logs"
status=0
declare -A passed failed

count_cargo() { # sums "test result: ... N passed; M failed" lines of a cargo test log
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { print p+0, f+0 }' "$1"
}

echo "== lint: cargo fmt --check, cargo clippy (native and wasm32)"
# tests/browser.rs reads the servers' addresses at compile time; clippy only
# compiles it, so any address will do.
if ! cargo fmt --all --check >"$logs/lint.log" 2>&1 \
  || ! cargo clippy --workspace --all-targets -- -D warnings >>"$logs/lint.log" 2>&1 \
  || ! TEST_APP_URL=http://127.0.0.1:1 TEST_SOURCE_URL=http://127.0.0.1:1 TEST_BIG_SOURCE_URL=http://127.0.0.1:1 \
       cargo clippy --target wasm32-unknown-unknown --lib --bins --test browser -- -D warnings >>"$logs/lint.log" 2>&1; then
  tail -60 "$logs/lint.log"; echo "lint failed: run cargo fmt, and fix what clippy says"; exit 1
fi

echo "== native layer: cargo test --workspace"
cargo test --workspace 2>&1 | tee "$logs/native.log"
native_rc=${PIPESTATUS[0]}
read -r passed[native] failed[native] < <(count_cargo "$logs/native.log")
# A layer that did not build or run counts as one failure, not as "0 failed".
[ "$native_rc" -eq 0 ] || { status=1; [ "${failed[native]}" -gt 0 ] || failed[native]=1; }

echo "== building the app (trunk) and the local source"
if ! trunk build --offline >"$logs/trunk.log" 2>&1 || ! cargo build -p local-source --bins 2>>"$logs/trunk.log"; then
  tail -50 "$logs/trunk.log"; echo "build failed"; exit 1
fi

echo "== wasm layer: wasm-bindgen-test in headless Chromium"
"$target"/debug/local-source --port 0 --count 200 --max-side 1200 >"$logs/wasm-source.out" 2>&1 &
source_pid=$!
"$target"/debug/serve-app --dir dist --port 0 >"$logs/wasm-app.out" 2>&1 &
app_pid=$!
# A few large PNGs (7..14 MB), larger than a worker's whole wasm memory.
"$target"/debug/local-source --port 0 --count 4 --formats png --min-side 2600 --max-side 2800 >"$logs/wasm-big-source.out" 2>&1 &
big_pid=$!
port_of() { for _ in $(seq 100); do p=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$1" | grep -o '[0-9]*$'); [ -n "$p" ] && { echo "$p"; return; }; sleep 0.1; done; }
export TEST_SOURCE_URL="http://127.0.0.1:$(port_of "$logs/wasm-source.out")"
export TEST_APP_URL="http://127.0.0.1:$(port_of "$logs/wasm-app.out")"
export TEST_BIG_SOURCE_URL="http://127.0.0.1:$(port_of "$logs/wasm-big-source.out")"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown --test browser 2>&1 | tee "$logs/wasm.log"
wasm_rc=${PIPESTATUS[0]}
kill "$source_pid" "$app_pid" "$big_pid" 2>/dev/null
read -r passed[wasm] failed[wasm] < <(count_cargo "$logs/wasm.log")
[ "$wasm_rc" -eq 0 ] || { status=1; [ "${failed[wasm]}" -gt 0 ] || failed[wasm]=1; }

# The PWA tests run against what users get: the release build. It is made
# again only when missing or older than what it is built from (its sw.js is
# the last file a build writes).
if ! scripts/dist-if-stale.sh >"$logs/dist.log" 2>&1; then
  tail -50 "$logs/dist.log"; echo "release build failed"; exit 1
fi

echo "== e2e layer: Playwright (node --test tests/e2e)"
node --test --test-concurrency=1 tests/e2e/ 2>&1 | tee "$logs/e2e.log"
e2e_rc=${PIPESTATUS[0]}
passed[e2e]=$(awk '/^# pass/ {print $3}' "$logs/e2e.log"); failed[e2e]=$(awk '/^# fail/ {print $3}' "$logs/e2e.log")
[ "$e2e_rc" -eq 0 ] || { status=1; [ "${failed[e2e]:-0}" -gt 0 ] || failed[e2e]=1; }

echo
total_p=0; total_f=0
for layer in native wasm e2e; do
  p=${passed[$layer]:-0}; f=${failed[$layer]:-0}
  echo "$layer: $p passed, $f failed"
  total_p=$((total_p + p)); total_f=$((total_f + f))
done
[ "$total_f" -eq 0 ] || status=1
echo "total: $total_p passed, $total_f failed"
exit $status
