#!/usr/bin/env bash
# The release artefacts (`make dist`), in OUT:
#
# * per architecture, an abi3 wheel (one for every CPython >= 3.10) tagged
#   manylinux2014, built by maturin with zig as the linker so that glibc
#   2.17 is targeted without Docker (maturin finds zig through the venv's
#   `python-zig`, from the pinned `ziglang`);
# * per architecture, the C tarball socketio_history-VERSION-ARCH-linux-gnu
#   .tar.gz: headers, the shared library (linked by zig for glibc 2.17
#   through cargo-zigbuild) with its SONAME links, the static library, a
#   relocatable pkg-config file, the licenses;
# * the sdist (`pip install` builds it with a Rust toolchain).
#
# An architecture whose Rust target cannot be added is left out, said aloud.
#
# Usage: packaging/build.sh OUT PROFILE VENV ARCH...
set -euo pipefail
out="$1" profile="$2" venv="$3"
shift 3
export PATH="$PWD/$venv/bin:$PATH"
rm -rf "$out"
mkdir -p "$out"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
name="socketio_history-$version"
profile_dir="$([ "$profile" = dev ] && echo debug || echo "$profile")"
# What ships carries no debug info (the release profile keeps it for
# profiling); these builds have their own target directories anyway.
export "CARGO_PROFILE_${profile^^}_DEBUG=false"

# The C tarball of ARCH: `make install-files` into a staging prefix, with a
# pkg-config file that finds its prefix from where it lies (${pcfiledir}),
# so the tree works wherever it is unpacked.
c_tarball() {
    local arch=$1 target=$2
    local stage="$out/stage/$name"
    cargo-zigbuild zigbuild --quiet -p socketio-history-ffi --locked --profile "$profile" \
        --target "$target.2.17"
    rm -rf "$out/stage"
    make --no-print-directory install-files DESTDIR="$stage" PREFIX= \
        PC_PREFIX='$${pcfiledir}/../..' INSTALL_LIBDIR="target/$target/$profile_dir"
    install -m 644 LICENSE-MIT LICENSE-APACHE "$stage/"
    sed -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" \
        -e "s/@SONAME@/libsocketio_history.so.$(cut -d. -f1-2 <<<"$version")/g" \
        packaging/c-README.in >"$stage/README"
    tar -C "$out/stage" -czf "$out/$name-$arch-linux-gnu.tar.gz" "$name"
    rm -rf "$out/stage"
}

for arch in "$@"; do
    target="$arch-unknown-linux-gnu"
    if ! rustup target list --installed | grep -qx "$target" &&
        ! rustup target add "$target"; then
        echo "dist: the Rust target $target cannot be added here: nothing for $arch" >&2
        continue
    fi
    maturin build --quiet --locked --manifest-path bindings/python/Cargo.toml \
        --profile "$profile" --strip --zig --compatibility manylinux2014 --target "$target" \
        --out "$out"
    c_tarball "$arch" "$target"
done
maturin sdist --manifest-path bindings/python/Cargo.toml --out "$out"
ls -l "$out"
