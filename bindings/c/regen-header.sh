#!/usr/bin/env bash
# Regenerate include/polc.h with the pinned cbindgen.
set -euo pipefail
cd "$(dirname "$0")"
want=0.29.4
have=$(cbindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "cbindgen $want is needed (have: ${have:-none}): cargo install cbindgen --version $want --locked" >&2
  exit 2
fi
cbindgen --config cbindgen.toml --crate polc-c --output include/polc.h
