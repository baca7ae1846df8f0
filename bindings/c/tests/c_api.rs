//! The C API from C: the header is the pinned cbindgen's output (no drift), the C tests
//! compile with `-Wall -Wextra -Werror` against the library found through pkg-config, and
//! run under valgrind with no errors and no leaks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const CBINDGEN: &str = "0.29.4";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../../target"))
}

fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{text}",
        out.status
    );
    text
}

fn require(tool: &str, hint: &str) {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{tool}` is missing: {hint} (tests/run-all.sh installs it)"
    );
}

#[test]
fn header_matches_the_pinned_cbindgen_output() {
    require(
        "cbindgen",
        &format!("cargo install cbindgen --version {CBINDGEN} --locked"),
    );
    let v = run(Command::new("cbindgen").arg("--version"));
    assert!(
        v.contains(CBINDGEN),
        "cbindgen {CBINDGEN} is pinned, found {v}"
    );
    let out = std::env::temp_dir().join(format!("polc-header-{}.h", std::process::id()));
    run(Command::new("cbindgen")
        .current_dir(crate_dir())
        .args(["--config", "cbindgen.toml", "--crate", "polc-c", "--output"])
        .arg(&out));
    let fresh = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let committed = std::fs::read_to_string(crate_dir().join("include/polc.h")).unwrap();
    assert!(
        fresh == committed,
        "include/polc.h drifted from the code: run bindings/c/regen-header.sh and commit it"
    );
}

fn build_library() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo)
        .current_dir(crate_dir())
        .args(["build", "--quiet", "-p", "polc-c"]));
    let lib = target_dir().join("debug");
    assert!(
        lib.join("libpolc.so").is_file() && lib.join("libpolc.a").is_file(),
        "no libpolc in {}",
        lib.display()
    );
    // Programs linked with -lpolc need the library by its SONAME at run time, as an
    // installed system has it (scripts/install.sh).
    let soname = lib.join("libpolc.so.0");
    match std::os::unix::fs::symlink("libpolc.so", &soname) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => panic!("{soname:?}: {e}"),
        _ => {}
    }
    lib
}

/// Write a polc.pc for the built library into `dir`.
fn pkg_config_file(dir: &Path, libdir: &Path) {
    let text = std::fs::read_to_string(crate_dir().join("polc.pc.in"))
        .unwrap()
        .replace("@PREFIX@", &crate_dir().to_string_lossy())
        .replace("@LIBDIR@", &libdir.to_string_lossy())
        .replace(
            "@INCLUDEDIR@",
            &crate_dir().join("include").to_string_lossy(),
        )
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"));
    std::fs::write(dir.join("polc.pc"), text).unwrap();
}

/// A C test (`tests/c/NAME.c`) or a shipped example (`examples/NAME.c`).
fn source(name: &str) -> PathBuf {
    let test = crate_dir().join("tests/c").join(format!("{name}.c"));
    if test.is_file() {
        test
    } else {
        crate_dir().join("examples").join(format!("{name}.c"))
    }
}

fn compile_and_run(test: &str) {
    compile_and_run_with(test, &[]);
}

fn compile_and_run_with(test: &str, args: &[&str]) {
    require("gcc", "apt-get install gcc");
    require("pkg-config", "apt-get install pkg-config");
    require("valgrind", "apt-get install valgrind");
    let libdir = build_library();
    let work = std::env::temp_dir().join(format!("polc-capi-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    pkg_config_file(&work, &libdir);
    let flags = run(Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", &work)
        .args(["--cflags", "--libs", "polc"]));
    let exe = work.join(test);
    let mut gcc = Command::new("gcc");
    gcc.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-o"])
        .arg(&exe)
        .arg(source(test))
        .args(flags.split_whitespace());
    run(&mut gcc);
    let out = run(Command::new("valgrind")
        .env("LD_LIBRARY_PATH", &libdir)
        .args([
            "--quiet",
            "--error-exitcode=3",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
        ])
        .arg(&exe)
        .args(args));
    assert!(
        out.contains("all checks passed") || out.contains("installed "),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn c_load_and_diagnostics() {
    compile_and_run("test_load");
}

#[test]
fn c_deploy_objects_for_kubernetes_containers_and_systemd() {
    compile_and_run("test_deploy");
}

#[test]
fn c_compile_and_store_install_rollback_remove() {
    let root = std::env::temp_dir().join(format!("polc-capi-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    compile_and_run_with("test_install", &[root.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_documented_installer_installs_a_policy_with_variables() {
    let root = std::env::temp_dir().join(format!("polc-capi-viewer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let policy = root.join("viewer.pol");
    std::fs::write(
        &policy,
        "policy org.example.viewer {\n    var docs = \"/usr/share\"\n    allow read \"${docs}/**\"\n}\n",
    )
    .unwrap();
    let store = root.join("store");
    compile_and_run_with(
        "installer",
        &[
            policy.to_str().unwrap(),
            store.to_str().unwrap(),
            "landlock",
            "docs=/usr/share/doc",
        ],
    );
    assert!(store.join("org.example.viewer/gen-1").is_dir());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn c_compile_for_selinux_with_the_targets_contexts() {
    let fc = "/etc/selinux/default/contexts/files/file_contexts";
    assert!(
        Path::new(fc).is_file(),
        "{fc} is missing: apt-get install selinux-policy-default (tests/run-all.sh installs it)"
    );
    let work = std::env::temp_dir().join(format!("polc-capi-selinux-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    compile_and_run_with("test_selinux", &[fc, work.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&work);
}
