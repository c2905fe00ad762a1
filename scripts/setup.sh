#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) needs, if it is missing.
# Idempotent and quick when everything is there. Everything comes from the
# package registries: crates.io, Debian's packages and npm. Nothing else.
#   scripts/setup.sh build   the wasm32 target, trunk, wasm-bindgen-cli
#   scripts/setup.sh test    the above, plus chromium, chromedriver, firefox-esr,
#                            npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
what="${1:-build}"

TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must be exactly the crate's version in Cargo.lock.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# make test checks formatting and lints before anything else.
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    echo "setup: adding the $component component"
    rustup component add "$component"
  fi
done
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  echo "setup: installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $WBG_VERSION (a few minutes, once)"
  # No --locked: its own lock file wants a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

if [ "$what" = test ]; then
  # unzip: the export tests check exported ZIPs with `unzip -t`, as a user would.
  # firefox-esr: the Firefox smoke test (tests/e2e/firefox.test.mjs).
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/unzip ] || [ ! -x /usr/bin/firefox-esr ]; then
    echo "setup: installing Debian's chromium, chromium-driver, firefox-esr and unzip"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver firefox-esr unzip >/dev/null
  fi
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
