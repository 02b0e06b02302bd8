# The two commands of the quick start: `make demo` and `make test`.
# Everything they need is installed or built by the targets themselves: a
# project virtualenv (.venv) with pinned tools, and the package's wheel.

CARGO ?= cargo
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
# A second virtualenv at the lowest python-socketio and python-engineio the
# package declares (pyproject.toml), for the tests at the bottom of the range.
VENV_MIN ?= .venv-min
MIN_PINS := $(shell sed -n -e 's/^dependencies = \[\(.*\)\]/\1/p' -e 's/^hiredis = \[\(.*\)\]/\1/p' \
	bindings/python/pyproject.toml | tr -d '" ' | tr ',' '\n' \
	| sed -n 's/^\(python-[a-z]*io\|redis\|hiredis\)>=\(.*\)/\1==\2/p' | sort -u)
# What runs at the lowest versions: the version check, the hooks, recovery,
# replays, messages, streams, several nodes and the frameworks.
MIN_TESTS := $(addprefix tests/python/test_,compat.py recording.py replay.py recovery.py \
	recovery_protocol.py client_recovery.py messages.py streams.py multinode.py frameworks.py \
	wire.py e2e.py durable.py streams_sessions.py streams_queue.py streams_sentinel.py \
	storm.py)
# Tests and the demo use the dev profile, shared with `cargo test`, so CI
# compiles the common crates once; benchmarks build with `release`.
PROFILE ?= dev

# Cargo's output directory for PROFILE.
PROFILE_DIR := $(if $(filter dev,$(PROFILE)),debug,$(PROFILE))
LIBDIR := target/$(PROFILE_DIR)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The declared minimum Rust (Cargo.toml) and the pinned development
# toolchain (rust-toolchain.toml).
MSRV := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
TOOLCHAIN := $(shell sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
# The shared library's SONAME (ffi/build.rs): major.minor until 1.0.
SONAME := libsocketio_history.so.$(word 1,$(subst ., ,$(VERSION))).$(word 2,$(subst ., ,$(VERSION)))
PREFIX ?= /usr/local
# The prefix the pkg-config file names (the C tarball's finds itself).
PC_PREFIX ?= $(PREFIX)
# `make install` builds release unless told otherwise (the tests install
# their dev build into a scratch prefix).
INSTALL_PROFILE ?= release
INSTALL_LIBDIR ?= target/$(if $(filter dev,$(INSTALL_PROFILE)),debug,$(INSTALL_PROFILE))
# cargo-fuzz, pinned; FUZZ_SECONDS bounds each target's run.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := target/tools/bin/cargo-fuzz
FUZZ_SECONDS ?= 60
# The header generator, pinned and installed into target/tools.
CBINDGEN_VERSION := 0.29.4
CBINDGEN := target/tools/bin/cbindgen
# The C SSE example: warnings as errors, against the built library.
SSE_CFLAGS := -Wall -Wextra -Wpedantic -Werror -g -pthread -Iinclude
SSE_LIBS = -L$(LIBDIR) -lsocketio_history -lmicrohttpd -Wl,-rpath,$(CURDIR)/$(LIBDIR)
# What a static link of the Rust staticlib needs (rustc --print native-static-libs).
NATIVE_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

# `make dist`: where, in which profile, for which architectures.
DIST := target/dist
DIST_PROFILE ?= release
DIST_ARCHES ?= x86_64 aarch64

WHEEL_SOURCES := Cargo.toml Cargo.lock $(shell find core/src bindings/python/src bindings/python/python -type f -not -name '*.pyc') bindings/python/Cargo.toml bindings/python/pyproject.toml

.PHONY: help demo demo-messages demo-web demo-sse demo-core test check test-rust test-python test-c lint fmt bench bench-core \
	toolchain msrv msrv-toolchain c-toolchain c-sse services browser node-modules venv wheel lib header \
	check-header install install-files fuzz clean dist test-dist

## This list: every target with what it does.
help:
	@awk '/^## /{doc = doc substr($$0, 4) " "; next} \
		/^[a-z][a-z-]*:/ && doc != "" {split($$0, t, ":"); sub(/[.] .*/, ".", doc); \
			printf "  %-15s %s\n", t[1], doc} \
		{doc = ""}' $(MAKEFILE_LIST)

## The demo: a python-socketio chat with a late joiner who gets the history,
## then an assistant streaming its answer into a room (mutable messages).
demo: wheel
	$(VPY) examples/chat_demo.py
	@echo
	$(VPY) examples/assistant_demo.py

## The mutable messages demo alone: appends, a mid-answer joiner, an edit, a delete.
demo-messages: wheel
	$(VPY) examples/assistant_demo.py

## The web demo: a chat page served by python-socketio (rooms with history,
## recovery, a streamed answer, edits); prints its URL, serves until Ctrl-C.
demo-web: wheel node-modules
	$(VPY) examples/web_demo.py --port $(or $(PORT),8000)

## A tour of the Rust core's model (rooms, seq/epoch, retention, resync).
demo-core:
	$(CARGO) run --quiet -p socketio-history --example tour

## Every test and check; what CI runs.
test: lint check-header msrv test-rust test-c test-python test-python-min test-dist fuzz

## The inner loop: formatting, clippy, ruff, mypy and the Rust tests.
check: lint test-rust

## The pinned toolchain with rustfmt and clippy. Where rustup knows the
## machine's stable toolchain but not under the pinned version's name, the
## name is linked to it (nothing is downloaded).
toolchain:
	@if command -v rustup >/dev/null 2>&1 && ! rustup run $(TOOLCHAIN) rustc --version >/dev/null 2>&1; then \
		if rustup run stable rustc --version 2>/dev/null | grep -q "^rustc $(TOOLCHAIN) "; then \
			rustup toolchain link $(TOOLCHAIN) "$$(rustup run stable rustc --print sysroot)"; \
		else echo "the pinned toolchain $(TOOLCHAIN) is missing: rustup toolchain install $(TOOLCHAIN)" >&2; exit 1; fi; \
	fi
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "rustfmt is missing: rustup component add rustfmt" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || { echo "clippy is missing: rustup component add clippy" >&2; exit 1; }

## Debian's rustc of the declared minimum version (apt-get when root), for
## `make msrv`. It goes to /usr/bin; rustup's toolchain stays the default.
MSRV_RUSTC := /usr/bin/rustc
msrv-toolchain:
	@if ! $(MSRV_RUSTC) --version 2>/dev/null | grep -q "^rustc $(MSRV)\."; then \
		if [ "$$(id -u)" != 0 ]; then echo "rustc $(MSRV) is missing at $(MSRV_RUSTC) (run as root to install it)" >&2; exit 1; fi; \
		apt-get update -qq; \
		v=$$(apt-cache madison rustc-web | awk -v m="$(MSRV)" '$$3 ~ "^" m "\\." {print $$3; exit}'); \
		[ -n "$$v" ] || { echo "Debian has no rustc-web $(MSRV).x to check the MSRV with" >&2; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
			rustc-web=$$v libstd-rust-web-dev=$$v libstd-rust-web-$(MSRV)=$$v; \
	fi

## Build every crate with the declared minimum Rust (rust-version), from
## the lockfile: the MSRV is a checked fact, not a guess.
msrv: msrv-toolchain
	RUSTC=$(MSRV_RUSTC) CARGO_TARGET_DIR=target/msrv $(CARGO) build --workspace --locked

## The project's own virtualenv with the pinned tools (re-made when
## requirements-dev.txt changes).
venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## The same tools at the lowest python-socketio and python-engineio the
## package supports (re-made when either pin list changes).
venv-min: $(VENV_MIN)/.installed

$(VENV_MIN)/.installed: requirements-dev.txt bindings/python/pyproject.toml
	@[ -n "$(MIN_PINS)" ] || { echo "no lower bounds found in bindings/python/pyproject.toml" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV_MIN)
	grep -v -e '^python-socketio==' -e '^python-engineio==' -e '^redis==' -e '^hiredis==' \
		requirements-dev.txt > $(VENV_MIN)/requirements.txt
	$(VENV_MIN)/bin/python -m pip install --quiet --disable-pip-version-check -r $(VENV_MIN)/requirements.txt $(MIN_PINS)
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

## Formatting and static checks: rustfmt, clippy, ruff, mypy --strict.
lint: toolchain venv
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bindings/python/python

## The Rust tests: the core's unit, contract, model and thread tests; the C ABI's.
test-rust:
	$(CARGO) test --workspace --exclude socketio-history-python --locked

## The C library (cdylib + staticlib) in PROFILE, with a link named after
## its SONAME so programs linked against it run from target/ as well.
lib:
	$(CARGO) build -p socketio-history-ffi --locked --profile $(PROFILE)
	ln -sf libsocketio_history.so $(LIBDIR)/$(SONAME)

$(CBINDGEN):
	$(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked --root target/tools

## Regenerate include/socketio_history.h from ffi/src.
header: $(CBINDGEN)
	$(CBINDGEN) --quiet --config ffi/cbindgen.toml --crate socketio-history-ffi --output include/socketio_history.h ffi

## Fail when the committed header differs from a fresh generation (into a
## scratch file: the check never touches the tree).
check-header: $(CBINDGEN)
	@mkdir -p target/header-check
	@$(CBINDGEN) --quiet --config ffi/cbindgen.toml --crate socketio-history-ffi \
		--output target/header-check/socketio_history.h ffi
	@diff -u include/socketio_history.h target/header-check/socketio_history.h \
		|| { echo "include/socketio_history.h is out of date: run 'make header' and commit it" >&2; exit 1; }

$(CARGO_FUZZ):
	$(CARGO) install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --root target/tools

## Each fuzz target for FUZZ_SECONDS, from the committed seed corpus
## (fuzz/corpus); new inputs go to target/fuzz so the tree stays clean.
## A crash, a panic or a disagreement with the model fails the run.
fuzz: $(CARGO_FUZZ)
	for t in ops ffi; do \
		mkdir -p target/fuzz/corpus/$$t fuzz/corpus/$$t && \
		RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run --fuzz-dir fuzz --sanitizer none $$t \
			target/fuzz/corpus/$$t fuzz/corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=target/fuzz/ \
			|| exit 1; \
	done

## The system C/C++ compilers, valgrind and pkg-config (apt-get when root).
c-toolchain:
	@missing=""; \
	for tool in cc:gcc c++:g++ valgrind:valgrind pkg-config:pkg-config; do \
		command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}"; \
	done; \
	[ -f /usr/include/microhttpd.h ] || missing="$$missing libmicrohttpd-dev"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq$$missing; \
		else echo "missing:$$missing (install them, or run as root)" >&2; exit 1; fi; \
	fi

## The C example server (examples/c-sse: Server-Sent Events per room with
## Last-Event-ID), built plainly and under ASan+UBSan (what the tests run).
c-sse: c-toolchain lib
	mkdir -p target/c-sse
	cc -std=c11 $(SSE_CFLAGS) examples/c-sse/sse_server.c -o target/c-sse/sse_server $(SSE_LIBS)
	cc -std=c11 $(SSE_CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all examples/c-sse/sse_server.c -o target/c-sse/sse_server-asan $(SSE_LIBS)

## Run the C SSE server on PORT (default 8080): open http://127.0.0.1:8080/.
demo-sse: c-sse
	target/c-sse/sse_server --port $(or $(PORT),8080)

## Servers the tests talk to: redis-server (apt-get when root). Without it
## the multi-node tests skip locally; with CI=true they fail instead.
services:
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
		else echo "redis-server is missing: install it (multi-node tests will skip)" >&2; fi; }

## Chromium for the browser tests (apt-get when root). Without it they
## skip locally; with CI=true they fail instead.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "chromium is missing: install it (browser tests will skip)" >&2; fi; }

## C and C++ tests against the built library: plain, ASan+UBSan, valgrind;
## then an install into a scratch prefix, used through pkg-config.
test-c: c-toolchain lib
	tests/c/run.sh $(LIBDIR) target/c-tests
	rm -rf target/c-tests/prefix
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/target/c-tests/prefix INSTALL_PROFILE=$(PROFILE)
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror tests/c/test_pkgconfig.c -o target/c-tests/test_pkgconfig \
		$$(PKG_CONFIG_PATH=target/c-tests/prefix/lib/pkgconfig pkg-config --cflags --libs socketio_history) \
		-Wl,-rpath,$(CURDIR)/target/c-tests/prefix/lib
	target/c-tests/test_pkgconfig

## Install the library (release build), headers and socketio_history.pc
## under PREFIX (and DESTDIR).
install:
	$(MAKE) --no-print-directory lib PROFILE=$(INSTALL_PROFILE)
	$(MAKE) --no-print-directory install-files

# What `install` copies, from INSTALL_LIBDIR as built (`make dist` builds
# the C library per architecture elsewhere).
install-files:
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(INSTALL_LIBDIR)/libsocketio_history.so $(DESTDIR)$(PREFIX)/lib/libsocketio_history.so.$(VERSION)
	ln -sf libsocketio_history.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libsocketio_history.so
	install -m 644 $(INSTALL_LIBDIR)/libsocketio_history.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/socketio_history.h include/socketio_history.hpp $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PC_PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@NATIVE_STATIC_LIBS@|$(NATIVE_STATIC_LIBS)|' \
		ffi/socketio_history.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/socketio_history.pc

## Release artefacts in target/dist (DIST_PROFILE, release by default):
## for each of DIST_ARCHES an abi3 manylinux2014 wheel and a C tarball, both
## linked by zig for glibc 2.17, and the sdist (packaging/build.sh).
dist: $(VENV)/.dist-installed
	packaging/build.sh $(DIST) $(DIST_PROFILE) $(VENV) $(DIST_ARCHES)

## `make dist` in the tests' profile, then what a user gets checked: wheel
## tags and metadata, the wheel on every CPython 3.10-3.13 here with a smoke
## subset of the suite, the sdist built by pip, the C tarball via pkg-config.
test-dist: node-modules c-toolchain
	$(MAKE) --no-print-directory dist DIST_PROFILE=$(PROFILE)
	packaging/check.sh $(DIST) target/dist-check $(VENV) $(PROFILE)

$(VENV)/.dist-installed: $(VENV)/.installed requirements-dist.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dist.txt
	touch $@

## The official Socket.IO client for the end-to-end tests, pinned by
## package-lock.json (re-installed when the lockfile changes).
node-modules: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js 20 (the end-to-end tests drive socket.io-client)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The Python suite runs under PYTHONMALLOC=debug: CPython's allocator checks
## catch a binding that writes where it should not.
test-python: wheel services browser node-modules c-sse
	PYTHONMALLOC=debug $(VPY) -m pytest

## The recovery, hook, messages, streams and framework tests with the
## lowest python-socketio and python-engineio the package declares.
test-python-min: wheel venv-min services node-modules
	$(VENV_MIN)/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
		target/wheels-$(PROFILE)/*.whl
	@$(VENV_MIN)/bin/python -c "import socketio_history._compat as c, importlib.metadata as m; \
		print('lowest supported:', ', '.join(d + ' ' + m.version(d) for d in c.SUPPORTED))"
	PYTHONMALLOC=debug $(VENV_MIN)/bin/python -m pytest $(MIN_TESTS)

## Format the Rust and Python sources.
fmt: venv
	$(CARGO) fmt --all
	$(VENV)/bin/ruff format .

## Benchmarks: everything measured side by side in one run (release builds);
## rewrites BENCHMARKS.md and the README's performance list. Never timed tests.
bench: services node-modules
	$(MAKE) --no-print-directory wheel lib PROFILE=release
	$(CARGO) bench -p socketio-history --bench core --locked
	mkdir -p target/bench
	cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -pthread -Iinclude benches/c/bench_c.c \
		-o target/bench/bench_c -Ltarget/release -lsocketio_history -Wl,-rpath,$(CURDIR)/target/release
	target/bench/bench_c > target/bench/c.json
	SOCKETIO_HISTORY_AUTOPATCH=0 $(VPY) benches/python/bench_python.py
	$(VPY) benches/report.py

## Criterion benches of the core only.
bench-core:
	$(CARGO) bench -p socketio-history --bench core --locked

## Remove build output and the virtualenv.
clean:
	$(CARGO) clean
	rm -rf $(VENV) $(VENV_MIN)
