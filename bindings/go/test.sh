#!/usr/bin/env bash
# The Go package's tests: `go test` of bindings/go against the C library built by cargo
# (bindings/c: libpolc.so.1 and include/polc.h). Needs Debian's golang-go (1.19 or
# later) and gcc; tests/run-all.sh installs both and runs this.
#
#     bash bindings/go/test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
command -v go >/dev/null || {
    echo "bindings/go: go is missing: apt-get install golang-go" >&2
    exit 1
}
(cd "$root" && cargo build --quiet -p polc-c)
# The library's SONAME is libpolc.so.1 (the C ABI major version): link and load it
# through that name, as an installed copy is.
lib="$(mktemp -d)"
trap 'rm -rf "$lib"' EXIT
ln -s "$target/debug/libpolc.so" "$lib/libpolc.so.1"
ln -s libpolc.so.1 "$lib/libpolc.so"
export CGO_ENABLED=1
export CGO_CFLAGS="-I$root/bindings/c/include"
export CGO_LDFLAGS="-L$lib -Wl,-rpath,$lib"
export GOCACHE="$target/go-build" GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
cd "$here"
test -z "$(gofmt -l .)" || { echo "bindings/go: not gofmt-formatted: $(gofmt -l .)" >&2; exit 1; }
go vet ./...
go test -count=1 ./...
