#!/usr/bin/env bash
# Makes the release build (make dist → dist-release/) only when it is missing
# or older than what it is built from (its sw.js is the last file a build
# writes). Used by the PWA tests (scripts/test.sh) and by make bench.
set -euo pipefail
cd "$(dirname "$0")/.."
stale=$(find Cargo.toml Cargo.lock Trunk.toml index.html src style pwa scripts/sw-precache.mjs scripts/csp.mjs scripts/quiet-console.mjs \
  -newer dist-release/sw.js -print -quit 2>/dev/null || true)
if [ ! -f dist-release/sw.js ] || [ -n "$stale" ]; then
  echo "== release build (make dist → dist-release/)"
  "${MAKE:-make}" --no-print-directory dist
fi
