# The two commands of the quick start: `make demo` and `make test`.
# Everything they need is installed or built by the targets themselves: a
# project virtualenv (.venv) with pinned tools, and the package's wheel.

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
# Tests and the demo use the dev profile, shared with `cargo test`, so CI
# compiles the common crates once; benchmarks build with `release`.
PROFILE ?= dev

WHEEL_SOURCES := Cargo.toml Cargo.lock $(shell find core/src bindings/python/src bindings/python/python -type f -not -name '*.pyc') bindings/python/Cargo.toml bindings/python/pyproject.toml

.PHONY: demo demo-core test test-rust test-python lint fmt bench bench-core toolchain venv wheel clean

## The demo: a python-socketio chat with a late joiner who gets the history.
demo: wheel
	$(VPY) examples/chat_demo.py

## A tour of the Rust core's model (rooms, seq/epoch, retention, resync).
demo-core:
	$(CARGO) run --quiet -p socketio-history --example tour

## Every test and check; what CI runs.
test: lint test-rust test-python

toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy is missing: rustup component add clippy" >&2; exit 1; }

## The project's own virtualenv with the pinned tools (re-made when
## requirements-dev.txt changes).
venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## Build the wheel with maturin and install it into the venv, as a user's
## `pip install` would (only when its sources changed).
wheel: $(VENV)/.wheel-$(PROFILE)

$(VENV)/.wheel-$(PROFILE): $(VENV)/.installed $(WHEEL_SOURCES)
	rm -rf target/wheels-$(PROFILE)
	$(VENV)/bin/maturin build --quiet --locked --manifest-path bindings/python/Cargo.toml \
		--profile $(PROFILE) --interpreter $(VPY) --out target/wheels-$(PROFILE)
	$(VPY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels-$(PROFILE)/*.whl
	rm -f $(VENV)/.wheel-*
	touch $@

lint: toolchain venv
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-rust:
	$(CARGO) test --workspace --exclude socketio-history-python --locked

test-python: wheel
	$(VPY) -m pytest

fmt: venv
	$(CARGO) fmt --all
	$(VENV)/bin/ruff format .

## Benchmarks: measured side by side in one run; rewrites BENCHMARKS.md.
bench: bench-core

bench-core:
	$(CARGO) bench -p socketio-history --bench core --locked
	$(PYTHON) benches/report.py

clean:
	$(CARGO) clean
	rm -rf $(VENV)
