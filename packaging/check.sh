#!/usr/bin/env bash
# Checks what packaging/build.sh made in DIST, as a user gets it:
#
# * each wheel's platform tag (auditwheel) and metadata (twine);
# * the x86_64 wheel in a fresh venv of every CPython 3.10-3.13 the machine
#   has (pyenv's), each running a smoke subset of the suite there: history,
#   recovery with the official JavaScript client, mutable messages;
# * the sdist, built and installed by pip into a fresh venv;
# * the C tarball, unpacked into a scratch prefix: the README's C and C++
#   examples built through pkg-config alone, and run.
#
# Each check prints "test_dist_NAME: 1 passed, 0 failed" (or fails the run);
# the pytest runs print their own counts. With CI=true a CPython missing from
# 3.10-3.13 fails the run instead of being skipped.
#
# Usage: packaging/check.sh DIST SCRATCH VENV PROFILE
set -euo pipefail
dist="$(cd "$1" && pwd)" scratch="$2" venv="$3" profile="$4"
root="$PWD"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
rm -rf "$scratch"
mkdir -p "$scratch"
scratch="$(cd "$scratch" && pwd)"

pass() { echo "test_dist_$1: 1 passed, 0 failed"; }
fail() {
    echo "test_dist_$1: 0 passed, 1 failed"
    echo "dist: $2" >&2
    exit 1
}

# ---- wheels: platform tags and metadata --------------------------------
shopt -s nullglob
wheels=("$dist"/*.whl)
[ ${#wheels[@]} -gt 0 ] || fail wheels "no wheel in $dist"
for wheel in "${wheels[@]}"; do
    arch="$(basename "$wheel" | sed -n "s/^socketio_history-$version-cp310-abi3-manylinux2014_\([a-z0-9_]*\)\..*whl$/\1/p")"
    [ -n "$arch" ] || fail wheel "$(basename "$wheel"): not an abi3 manylinux2014 wheel of $version"
    shown="$("$venv/bin/auditwheel" show "$wheel" 2>&1)" || fail "wheel_$arch" "$shown"
    grep -q "manylinux_2_17_$arch" <<<"$shown" ||
        fail "wheel_$arch" "auditwheel does not find it manylinux_2_17_$arch: $shown"
    pass "wheel_$arch"
done
sdist="$dist/socketio_history-$version.tar.gz"
[ -f "$sdist" ] || fail sdist "no $sdist"
"$venv/bin/twine" check --strict "${wheels[@]}" "$sdist" || fail metadata "twine check failed"
pass metadata

# ---- the wheel on every CPython 3.10-3.13 ------------------------------
wheel="$(ls "$dist"/*_x86_64.whl)"
# The test tools, at the versions the suite pins.
pins=()
for name in python-socketio python-engineio pytest pytest-timeout werkzeug simple-websocket \
    aiohttp requests websocket-client; do
    pins+=("$(grep -i "^$name==" requirements-dev.txt)")
done
smoke=(
    tests/python/test_e2e.py
    tests/python/test_messages.py
    "tests/python/test_recovery.py::test_a_dropped_client_gets_its_sid_rooms_and_exactly_what_it_missed"
    "tests/python/test_recovery.py::test_recovery_works_again_and_again"
)
pyenv_root="$(pyenv root 2>/dev/null || true)"
ran=()
for minor in 10 11 12 13; do
    python="$(ls -d "$pyenv_root"/versions/3."$minor".*/bin/python3 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$python" ]; then
        [ "${CI:-}" = true ] && fail "python3_$minor" "CPython 3.$minor is not installed (pyenv)"
        echo "dist: CPython 3.$minor is not installed (pyenv): skipped" >&2
        continue
    fi
    env="$scratch/py3$minor"
    "$python" -m venv "$env"
    "$env/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" "${pins[@]}"
    echo "== smoke on $("$env/bin/python" -V)"
    "$env/bin/python" -m pytest -q -p no:cacheprovider "${smoke[@]}"
    ran+=("$("$env/bin/python" -c 'import platform; print(platform.python_version())')")
done
[ ${#ran[@]} -gt 0 ] || fail pythons "no CPython 3.10-3.13 found"
echo "dist: the wheel ran on CPython ${ran[*]}"

# ---- the sdist builds and installs --------------------------------------
env="$scratch/sdist"
python3 -m venv "$env"
# The build uses PROFILE (dev in `make test`, as every other step does) and
# its own target directory.
MATURIN_PEP517_ARGS="--profile $profile" CARGO_TARGET_DIR="$root/target/sdist" \
    "$env/bin/python" -m pip install --quiet --disable-pip-version-check "$sdist" ||
    fail sdist "pip could not build and install $sdist"
got="$("$env/bin/python" -c '
import importlib.metadata, socketio, socketio_history
sio = socketio.Server()
sio.enable_history("r")
sio.emit("e", "x", to="r")
print(importlib.metadata.version("socketio-history"), len(sio.get_history("r")))')"
[ "$got" = "$version 1" ] || fail sdist "the sdist's package says $got, want $version 1"
pass sdist

# ---- the C tarball through pkg-config alone -----------------------------
tarball="$dist/socketio_history-$version-$(uname -m)-linux-gnu.tar.gz"
[ -f "$tarball" ] || fail c_tarball "no $tarball"
tar -C "$scratch" -xzf "$tarball"
prefix="$scratch/socketio_history-$version"
for f in include/socketio_history.h include/socketio_history.hpp lib/libsocketio_history.a \
    "lib/libsocketio_history.so.$version" LICENSE-MIT LICENSE-APACHE; do
    [ -f "$prefix/$f" ] || fail c_tarball "the tarball lacks $f"
done
soname="libsocketio_history.so.$(cut -d. -f1-2 <<<"$version")"
[ "$(readlink "$prefix/lib/$soname")" = "libsocketio_history.so.$version" ] &&
    [ "$(readlink "$prefix/lib/libsocketio_history.so")" = "$soname" ] ||
    fail c_tarball "the library's links are not .so -> $soname -> .so.$version"
readelf -d "$prefix/lib/libsocketio_history.so.$version" | grep -q "Library soname: \[$soname\]" ||
    fail c_tarball "the library's SONAME is not $soname"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion socketio_history)" = "$version" ] ||
    fail c_tarball "pkg-config does not find socketio_history $version"
pass c_tarball
flags=($(pkg-config --cflags --libs socketio_history))
rpath="-Wl,-rpath,$(pkg-config --variable=libdir socketio_history)"
cd "$scratch"
python3 "$root/tests/c/readme_example.py" "$root/README.md" example.c
cc -std=c11 -Wall -Wextra -Werror example.c -o example_c "${flags[@]}" "$rpath"
./example_c >example_c.out
grep -q '^1 chat {"text":"hi"}$' example_c.out || fail c_tarball_example "$(cat example_c.out)"
pass c_tarball_example
python3 "$root/tests/c/readme_example.py" "$root/README.md" example.cpp cpp
c++ -std=c++17 -Wall -Wextra -Werror example.cpp -o example_cpp "${flags[@]}" "$rpath"
./example_cpp >example_cpp.out
grep -q '^v2 a1$' example_cpp.out || fail c_tarball_example_cpp "$(cat example_cpp.out)"
pass c_tarball_example_cpp
