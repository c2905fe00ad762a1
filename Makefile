# The two commands of the README: `make run` and `make test`.
# Both install what they need first (scripts/setup.sh) and are idempotent.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export TRUNK_OFFLINE := true
APP_PORT ?= 8080
SOURCE_PORT ?= 8765

.PHONY: run test setup build demo-server dist bench fuzz native-test clean

## make run: build, start the local demo source and the app server, print the URL.
run: setup build demo-server
	@trap 'kill 0' EXIT INT TERM; \
	$${CARGO_TARGET_DIR:-target}/debug/local-source --port $(SOURCE_PORT) --count 2000 & \
	$${CARGO_TARGET_DIR:-target}/debug/serve-app --dir dist --port $(APP_PORT) & \
	sleep 1; \
	echo; echo "Open http://127.0.0.1:$(APP_PORT)/  (local source on http://127.0.0.1:$(SOURCE_PORT); Ctrl+C stops both)"; echo; \
	wait

setup:
	@scripts/setup.sh build

## The page and the worker, built by Trunk (debug build, offline).
build:
	trunk build --offline

## The release build, in dist-release/ (the tests use the debug dist/).
## Trunk runs wasm-opt for --release: it must be npm's binaryen@132.0.0
## (package.json), first on PATH. Debian's binaryen (v108) breaks the
## wasm-bindgen output: the page fails at start in __wbindgen_init_externref_table.
dist: setup
	@[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund --loglevel=error
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" trunk build --release --offline --dist dist-release

## make bench: measurements (never pass/fail, not part of `make test`, not for CI).
## Writes bench/results.json and BENCHMARKS.md. BENCH_RUNS=N (default 3) runs
## per figure; BENCH_QUICK=1 makes every workload about 10x smaller.
bench:
	@scripts/setup.sh test
	$(MAKE) demo-server
	@scripts/dist-if-stale.sh
	node bench/run.mjs

## make fuzz: each fuzz target (tests/fuzz.rs: provider responses, sniff and
## limits, URL lists and CSV) for FUZZ_SECONDS (default 60) on stable Rust
## with proptest; fails on the first input that panics, and prints it.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) cargo test --release --test fuzz -- --ignored --test-threads=1 --nocapture

## The local demo source and the static app server (native).
demo-server:
	cargo build -p local-source --bins

## make test: every layer, native, wasm in headless Chromium, then end to end.
test:
	@scripts/setup.sh test
	@scripts/test.sh

native-test:
	cargo test --workspace

clean:
	rm -rf dist dist-release target/wasm-bindgen-test
