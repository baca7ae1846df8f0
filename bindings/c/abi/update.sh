#!/usr/bin/env bash
# Update the C ABI reference (the exported polc_* symbols and the header) after a
# deliberate change of the C API. Adding functions is compatible; removing one or
# changing a signature or a type is a breaking change: raise POLC_ABI_VERSION in
# bindings/c/src/lib.rs (the SONAME follows) and say so in docs/c-api.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --quiet -p polc-c
lib="${CARGO_TARGET_DIR:-target}/debug/libpolc.so"
nm -D --defined-only "$lib" | awk '$3 ~ /^polc_/ { print $3 }' | LC_ALL=C sort > bindings/c/abi/symbols.txt
cp bindings/c/include/polc.h bindings/c/abi/polc.h
echo "updated bindings/c/abi/symbols.txt ($(wc -l < bindings/c/abi/symbols.txt) symbols) and bindings/c/abi/polc.h"
