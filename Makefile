# The two commands of the quick start: `make demo` and `make test`.
# Everything they need is installed or built by the targets themselves.

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python

.PHONY: demo demo-core test test-rust lint fmt bench bench-core toolchain venv clean

demo: demo-core

## A tour of the core's model (rooms, seq/epoch, retention, resync).
demo-core:
	$(CARGO) run --quiet -p socketio-history --example tour

## Every test and check; what CI runs.
test: lint test-rust

toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy is missing: rustup component add clippy" >&2; exit 1; }

## The project's own virtualenv with the pinned dev tools (re-made when
## requirements-dev.txt changes).
venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint: toolchain venv
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-rust:
	$(CARGO) test --workspace --locked

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
