#!/usr/bin/env bash
# Build polc and install it: the binary, its manual pages and shell completions, the
# standard library's abstractions, the C library (with its SONAME), its header and a
# filled pkg-config file, and the documentation.
#
#   scripts/install.sh --prefix PREFIX [--destdir DESTDIR] [--libdir DIR] [--profile release|dev]
#
# Files go to DESTDIR/PREFIX/... while the installed files (polc.pc) name PREFIX, as
# package builds want. --libdir defaults to PREFIX/lib. --profile chooses the cargo
# profile to build with (default release; the tests use dev to reuse their build).
set -euo pipefail

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

prefix=""
destdir=""
libdir=""
profile="release"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
        --destdir=*) destdir="${1#*=}"; shift ;;
        --libdir) libdir="${2:?--libdir needs a directory}"; shift 2 ;;
        --libdir=*) libdir="${1#*=}"; shift ;;
        --profile) profile="${2:?--profile needs release or dev}"; shift 2 ;;
        --profile=*) profile="${1#*=}"; shift ;;
        -h|--help) usage ;;
        *) echo "install.sh: unknown argument \`$1\`" >&2; usage ;;
    esac
done
[[ -n "$prefix" ]] || { echo "install.sh: --prefix is required" >&2; usage; }
[[ "$prefix" == /* ]] || { echo "install.sh: --prefix must be absolute, not \`$prefix\`" >&2; exit 2; }
libdir="${libdir:-$prefix/lib}"
case "$profile" in
    release) outdir=release ;;
    dev) outdir=debug ;;
    *) echo "install.sh: --profile is release or dev, not \`$profile\`" >&2; exit 2 ;;
esac

src="$(cd "$(dirname "$0")/.." && pwd)"
cd "$src"
cargo=${CARGO:-cargo}
"$cargo" build --quiet --profile "$profile" -p polc -p polc-c
target="${CARGO_TARGET_DIR:-$src/target}/$outdir"
version="$("$target/polc" --version | awk '{print $2}')"
# The SONAME's number is the C ABI major version, not the package's.
major="$(sed -n 's/^#define POLC_ABI_VERSION \([0-9][0-9]*\)$/\1/p' bindings/c/include/polc.h)"
[ -n "$major" ] || { echo "install.sh: no POLC_ABI_VERSION in bindings/c/include/polc.h" >&2; exit 1; }

d="$destdir"
install -d "$d$prefix/bin" "$d$prefix/share/man/man1" \
    "$d$prefix/share/bash-completion/completions" "$d$prefix/share/zsh/site-functions" \
    "$d$prefix/share/fish/vendor_completions.d" "$d$prefix/share/polc/abstractions" \
    "$d$prefix/share/doc/polc/backends" "$d$prefix/share/doc/polc/stdlib" "$d$prefix/include" "$d$libdir/pkgconfig"

# The command, its manual pages (polc.1 and polc-COMMAND.1) and completions.
install -m 0755 "$target/polc" "$d$prefix/bin/polc"
"$target/polc" man --dir "$d$prefix/share/man/man1"
chmod 0644 "$d$prefix/share/man/man1"/*.1
"$target/polc" completions bash > "$d$prefix/share/bash-completion/completions/polc"
"$target/polc" completions zsh > "$d$prefix/share/zsh/site-functions/_polc"
"$target/polc" completions fish > "$d$prefix/share/fish/vendor_completions.d/polc.fish"

# The standard library's abstractions, for reading: polc has them built in. Not in
# share/polc/abstractions, the distribution's directory of the search path, which is
# created empty for packages: a copy there would shadow the built-in one.
install -m 0644 policy-lang/stdlib/*.pol "$d$prefix/share/doc/polc/stdlib/"

# The C library: libpolc.so.VERSION, with the SONAME libpolc.so.ABI (the C ABI major
# version, POLC_ABI_VERSION) and the
# development link libpolc.so; the static library; the header; polc.pc.
install -m 0755 "$target/libpolc.so" "$d$libdir/libpolc.so.$version"
ln -sfn "libpolc.so.$version" "$d$libdir/libpolc.so.$major"
ln -sfn "libpolc.so.$major" "$d$libdir/libpolc.so"
install -m 0644 "$target/libpolc.a" "$d$libdir/libpolc.a"
install -m 0644 bindings/c/include/polc.h "$d$prefix/include/polc.h"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" \
    -e "s|@INCLUDEDIR@|$prefix/include|g" -e "s|@VERSION@|$version|g" \
    bindings/c/polc.pc.in > "$d$libdir/pkgconfig/polc.pc"
chmod 0644 "$d$libdir/pkgconfig/polc.pc"

# The documentation and the licenses.
install -m 0644 README.md LICENSE-APACHE LICENSE-MIT docs/*.md "$d$prefix/share/doc/polc/"
install -m 0644 docs/backends/*.md "$d$prefix/share/doc/polc/backends/"

echo "installed polc $version into $d$prefix"
