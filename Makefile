# Keel: the two commands are `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
SWIFT ?= swift
# What building needs (also on a production host that builds from source: make release), and
# what the tests and benchmarks add (a real Prometheus, Alertmanager, jsonnet for the mixin,
# wrk for API load, ip for the loopback namespace, systemd-analyze for the units, chromium for the
# status page).
BUILD_PACKAGES := pkg-config librocksdb-dev libcurl4-openssl-dev libsodium-dev libjemalloc-dev
TEST_PACKAGES := openssl prometheus prometheus-alertmanager jsonnet wrk iproute2 systemd python3-venv chromium
# Schemathesis (from PyPI, pinned) fuzzes the API from its OpenAPI document, in a venv of its own.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS := .build/tools/schemathesis/bin/schemathesis
APT_PACKAGES := $(BUILD_PACKAGES) $(TEST_PACKAGES)
PREFIX ?= /usr/local
BIN_DEBUG = $(shell $(SWIFT) build --show-bin-path)
BIN_RELEASE = $(shell $(SWIFT) build -c release --show-bin-path)
# Suites and benchmarks run in a network namespace holding only loopback: nothing they start
# can reach beyond 127.0.0.0/8 (scripts/isolated). Installing and building happen outside it.
ISOLATED := scripts/isolated
# Swift Testing starts every test at once unless told otherwise; on two cores dozens of nodes,
# RocksDB chains and Prometheus at the same time made deadlines fail at random. Six at a time.
WIDTH := --experimental-maximum-parallelization-width 6

.PHONY: deps deps-build apt build release install run test lint format bench soak-crash mixin clean

## deps: install the Debian packages Keel builds and tests with, and Schemathesis, only those missing.
deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES)"
	@if ! $(SCHEMATHESIS) --version 2>/dev/null | grep -q "$(SCHEMATHESIS_VERSION)"; then \
	  echo "installing schemathesis $(SCHEMATHESIS_VERSION) into .build/tools/schemathesis"; \
	  rm -rf .build/tools/schemathesis && python3 -m venv .build/tools/schemathesis && \
	  .build/tools/schemathesis/bin/pip install -q "schemathesis==$(SCHEMATHESIS_VERSION)"; \
	fi

## deps-build: only what building needs (no Prometheus, no test tools): for a production host.
deps-build:
	@$(MAKE) --no-print-directory apt PACKAGES="$(BUILD_PACKAGES)"

apt:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: debug build of every target.
build: deps
	scripts/stamp-build >/dev/null
	$(SWIFT) build

## release: the release build, installing only the build packages.
release: deps-build
	scripts/stamp-build >/dev/null
	$(SWIFT) build -c release

## install: the three binaries into $(PREFIX)/bin (runbook/install.md; units in runbook/systemd).
install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN_RELEASE)/keel-node $(BIN_RELEASE)/keel-sidecar $(BIN_RELEASE)/keel $(DESTDIR)$(PREFIX)/bin/

## run: a dev node mining into .keel-dev, supervised by keel-sidecar (sidecar/dev.yaml); the first
## line it prints is the status page's address. Ctrl-C stops the sidecar, which stops the node cleanly.
run: build
	@$(BIN_DEBUG)/keel-sidecar run --config sidecar/dev.yaml

## test: every test (unit, in-process chain, real processes with SIGKILL), loopback only.
test: deps lint
	scripts/stamp-build >/dev/null
	$(SWIFT) build --build-tests
	KEEL_BIN_DIR=$(BIN_DEBUG) $(ISOLATED) $(SWIFT) test --skip-build --skip TimingTests --skip SoakProcessTests --skip LoadProcessTests $(WIDTH)
	# The soaks (three dev nodes mining for two minutes) run next, so their load cannot starve the
	# parallel suites' own nodes; then assertions about time (suites named *TimingTests) and the
	# hostile-peer load (*LoadProcessTests), alone.
	KEEL_BIN_DIR=$(BIN_DEBUG) $(ISOLATED) $(SWIFT) test --skip-build --filter SoakProcessTests
	KEEL_BIN_DIR=$(BIN_DEBUG) $(ISOLATED) $(SWIFT) test --skip-build --no-parallel --filter "TimingTests|LoadProcessTests"

## bench: release build, then every benchmark beside its reference from the same run, loopback only.
bench: deps
	scripts/stamp-build >/dev/null
	$(SWIFT) build -c release
	@mkdir -p bench/out
	cc -O2 -o bench/out/sodium-verify bench/sodium_verify.c $$(pkg-config --cflags --libs libsodium)
	KEEL_BIN_DIR=$(BIN_RELEASE) KEEL_SODIUM_REF=bench/out/sodium-verify $(ISOLATED) $(BIN_RELEASE)/keel-bench

## soak-crash: 200 SIGKILL/restart cycles of a mining node, loopback only.
soak-crash: deps
	scripts/stamp-build >/dev/null
	$(SWIFT) build --build-tests
	KEEL_BIN_DIR=$(BIN_DEBUG) KEEL_CRASH_CYCLES=$${KEEL_CRASH_CYCLES:-200} $(ISOLATED) $(SWIFT) test --skip-build --filter CrashConsistencyTests

## lint: the layout of every Swift file against .swift-format (swift-format ships with the
## toolchain; `make format` rewrites them to it), and every import declared in Package.swift.
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Benchmarks
	scripts/check-imports

format:
	$(SWIFT) format format --in-place --recursive --parallel Sources Tests Benchmarks

## mixin: render the monitoring mixin (monitoring/) into prometheus/rules, grafana/dashboards and
## the sidecar's alert model (Sources/KeelSidecar/AlertRule+Model.swift); commit the result.
mixin: deps
	scripts/render-mixin

clean:
	rm -rf .build bench/out
