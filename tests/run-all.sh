#!/usr/bin/env bash
# Every test of polc, from a fresh Debian 12 machine with the Rust toolchain:
#
#     bash tests/run-all.sh
#
# 1. installs what the tests need (Debian packages only when missing, cargo-fuzz only
#    when missing), 2. checks formatting, 3. runs clippy with warnings as errors,
# 4. runs every test of the workspace (unit, corpus snapshots, command line, store,
#    kernels under qemu, doc examples), 5. builds the Python wheel and tests it in a fresh
#    virtual environment, and tests the Go package, 6. fuzzes the parser, the JSON reader and each
#    backend's emitter for a bounded time each.
# It stops at the first failure and ends with one summary line.
set -euo pipefail

cd "$(dirname "$0")/.."

# A run builds everything once: incremental caches only cost disk (gigabytes) here.
export CARGO_INCREMENTAL=0

# Seconds per fuzz target (6 targets: about 3 minutes in all).
FUZZ_SECONDS="${POLC_FUZZ_SECONDS:-30}"
START=$SECONDS
STEPS=()

section() {
    printf '\n==== %s ====\n' "$*"
}

done_step() {
    STEPS+=("$1")
}

on_exit() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '\nrun-all: FAILED (exit %s) after: %s\n' "$rc" "${STEPS[*]:-nothing}" >&2
    fi
}
trap on_exit EXIT

# ---------------------------------------------------------------------------
section "1/6 dependencies"

# Debian packages the tests use:
#   build-essential     gcc for the C API's tests, libFuzzer (cargo fuzz), crates that build C
#   pkg-config          the C API's tests find the library through polc.pc
#   valgrind            the C API's tests run under it (no errors, no leaks)
#   qemu-system-x86     boots Debian's kernel with AppArmor / SELinux (tests/kernel)
#   busybox-static      the guest's userland in the initramfs
#   cpio                inspecting initramfs images by hand
#   apparmor            apparmor_parser: judge of the AppArmor backend's output; its abstractions
#                       (/etc/apparmor.d) measure polc's (tests/apparmor_coverage.rs)
#   secilc, setools     secilc and sesearch: judges of the SELinux backend's output
#   selinux-policy-default  Debian's reference policy and its file_contexts (SELinux backend)
#   policycoreutils, semodule-utils  semodule and friends: installing modules into a policy store
#   selinux-utils       matchpathcon and the SELinux tools the kernel tests compare with
APT_PACKAGES=(build-essential pkg-config valgrind qemu-system-x86 busybox-static cpio apparmor secilc setools
    selinux-policy-default policycoreutils semodule-utils selinux-utils
    # tests/deploy.rs: the OCI runtime-spec JSON schema (schema/*.json), the JSON-schema
    # validator run on it and on the SPO CRDs, and systemd-analyze for the unit drop-ins.
    golang-github-opencontainers-specs-dev python3-jsonschema systemd
    # bindings/python/test.sh: virtual environments for the wheel's build and tests;
    # bindings/go/test.sh: Go (cgo) for the Go package over the C API.
    python3-venv golang-go
    # tests/import_debian.rs: every Debian profile through `polc import apparmor`
    # (/etc/apparmor.d, /usr/share/apparmor/extra-profiles).
    apparmor-profiles apparmor-profiles-extra
    # tests/learn_host.rs: the programs `polc learn` learns policies for.
    # setpriv (util-linux) runs it without privileges; strace for `polc learn --trace`.
    tar python3 curl git util-linux strace)
# The C header is checked against this exact cbindgen (bindings/c/tests/c_api.rs).
CBINDGEN_VERSION=0.29.4

missing=()
for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg -s "$p" >/dev/null 2>&1; then
        missing+=("$p")
    fi
done
# The kernel tests download Debian's cloud kernel with apt-get: they need package lists.
if [[ ${#missing[@]} -gt 0 ]] || ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    echo "apt-get update"
    apt-get update -qq
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "Debian packages present: ${APT_PACKAGES[*]}"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
echo "cargo-fuzz: $(cargo fuzz --version)"
if [[ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
    echo "installing cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --force
fi
echo "$(cbindgen --version)"
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        echo "the Rust component $component is missing: rustup component add $component" >&2
        exit 1
    fi
done
done_step deps

# ---------------------------------------------------------------------------
section "2/6 cargo fmt --all -- --check"
cargo fmt --all -- --check
done_step fmt

# ---------------------------------------------------------------------------
section "3/6 cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
done_step clippy

# ---------------------------------------------------------------------------
section "4/6 cargo test --workspace"
# Snapshots are never written here: a changed snapshot is a failure to review with
# `cargo insta review` (or INSTA_UPDATE=always) on a developer's machine.
INSTA_UPDATE=no cargo test --workspace --no-fail-fast
done_step test

# ---------------------------------------------------------------------------
section "5/6 bindings: the Python wheel in a fresh virtual environment, the Go package"
bash bindings/python/test.sh
done_step python
bash bindings/go/test.sh
done_step go

# ---------------------------------------------------------------------------
# Every fuzz target of policy-lang/fuzz, each for a bounded time from its committed seeds
# (policy-lang/fuzz/seeds/TARGET); the corpus grows in policy-lang/fuzz/corpus (ignored).
FUZZ_TARGETS=(parse json emit_apparmor emit_selinux emit_landlock import_apparmor)
section "6/6 fuzz ${#FUZZ_TARGETS[@]} targets for ${FUZZ_SECONDS}s each"
if [[ ! -d policy-lang/fuzz ]]; then
    echo "policy-lang/fuzz is missing: the fuzz targets must exist (cargo fuzz list)" >&2
    exit 1
fi
(
    cd policy-lang/fuzz
    for target in "${FUZZ_TARGETS[@]}"; do
        if [[ ! -d "seeds/$target" ]]; then
            echo "policy-lang/fuzz/seeds/$target is missing: commit seed inputs for $target" >&2
            exit 1
        fi
        dict=()
        if [[ -f "$target.dict" ]]; then
            dict=("-dict=$target.dict")
        fi
        mkdir -p "corpus/$target"
        echo "fuzz $target"
        log="$(mktemp)"
        if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
            "${dict[@]}" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 >"$log" 2>&1; then
            tail -n 60 "$log" >&2
            # The panic message comes before the long backtrace the tail shows.
            grep -A 4 'panicked at' "$log" >&2 || true
            echo "fuzz $target failed (a failing input is kept in policy-lang/fuzz/artifacts/$target)" >&2
            exit 1
        fi
        grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
        rm -f "$log"
    done
)
done_step fuzz

printf '\nrun-all: OK: %s passed in %ss\n' "${STEPS[*]}" "$((SECONDS - START))"
