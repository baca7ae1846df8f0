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

/// The header is C99 (and C++11): cbindgen writes `//` comments on its `#endif` lines,
/// trailing commas in enums and `bool` from `<stdbool.h>`, so C89 is not claimed
/// (docs/c-api.md says so).
#[test]
fn the_header_is_valid_c99_and_cxx11() {
    require("gcc", "apt-get install gcc");
    require("g++", "apt-get install g++");
    let work = std::env::temp_dir().join(format!("polc-capi-header-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let include = crate_dir().join("include");
    for (compiler, std, file) in [
        ("gcc", "-std=c99", "h.c"),
        ("gcc", "-std=c11", "h.c"),
        ("g++", "-std=c++11", "h.cpp"),
    ] {
        let src = work.join(file);
        std::fs::write(
            &src,
            "#include <polc.h>\nint main(void) { return (int)polc_abi_version() - POLC_ABI_VERSION; }\n",
        )
        .unwrap();
        run(Command::new(compiler)
            .args([
                std,
                "-pedantic",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
                "-I",
            ])
            .arg(&include)
            .arg(&src));
    }
    let _ = std::fs::remove_dir_all(&work);
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
    let soname = lib.join("libpolc.so.1");
    match std::os::unix::fs::symlink("libpolc.so", &soname) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => panic!("{soname:?}: {e}"),
        _ => {}
    }
    lib
}

/// The exported `polc_*` symbols of the shared library, sorted (as bindings/c/abi/update.sh
/// lists them).
fn exported_symbols(lib: &Path) -> String {
    let nm = run(Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib.join("libpolc.so")));
    let mut symbols: Vec<&str> = nm
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|s| s.starts_with("polc_"))
        .collect();
    symbols.sort_unstable();
    symbols.iter().map(|s| format!("{s}\n")).collect()
}

/// The C ABI check: the exported symbols and the header are those of the committed
/// reference, so that changing the ABI is a deliberate act.
#[test]
fn the_abi_matches_the_committed_reference() {
    require("nm", "apt-get install binutils");
    let how = "if the change is deliberate, run bindings/c/abi/update.sh and commit \
               bindings/c/abi/; if it removes or changes a function or a type, also raise \
               POLC_ABI_VERSION in bindings/c/src/lib.rs (docs/c-api.md, \"ABI policy\")";
    let symbols = exported_symbols(&build_library());
    let reference = std::fs::read_to_string(crate_dir().join("abi/symbols.txt")).unwrap();
    let line_set =
        |t: &str| -> std::collections::BTreeSet<String> { t.lines().map(str::to_string).collect() };
    let (now, then) = (line_set(&symbols), line_set(&reference));
    let added: Vec<_> = now.difference(&then).collect();
    let removed: Vec<_> = then.difference(&now).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "the exported symbols differ from bindings/c/abi/symbols.txt (added: {added:?}, \
         removed: {removed:?}): {how}"
    );
    let header = std::fs::read_to_string(crate_dir().join("include/polc.h")).unwrap();
    let reference = std::fs::read_to_string(crate_dir().join("abi/polc.h")).unwrap();
    let changed: Vec<_> = header
        .lines()
        .zip(reference.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("line {}: `{b}` became `{a}`", i + 1))
        .take(3)
        .collect();
    assert!(
        header == reference,
        "include/polc.h differs from bindings/c/abi/polc.h ({} lines vs {}; {changed:?}): {how}",
        header.lines().count(),
        reference.lines().count()
    );
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
    compile_and_run_in(test, args, true);
}

/// Compile a C test or example with `-Wall -Wextra -Werror` against the library found
/// through pkg-config: the executable and the library's directory.
fn compile_c(test: &str) -> (PathBuf, PathBuf) {
    require("gcc", "apt-get install gcc");
    require("pkg-config", "apt-get install pkg-config");
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
    (exe, libdir)
}

/// Compile a C test and run it, under valgrind when `valgrind` is true.
fn compile_and_run_in(test: &str, args: &[&str], valgrind: bool) {
    if valgrind {
        require("valgrind", "apt-get install valgrind");
    }
    let (exe, libdir) = compile_c(test);
    let work = exe.parent().unwrap().to_path_buf();
    let out = if valgrind {
        run(Command::new("valgrind")
            .env("LD_LIBRARY_PATH", &libdir)
            .args([
                "--quiet",
                "--error-exitcode=3",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
            ])
            .arg(&exe)
            .args(args))
    } else {
        run(Command::new(&exe)
            .env("LD_LIBRARY_PATH", &libdir)
            .args(args))
    };
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
fn c_explain_and_diff_as_text_and_json() {
    compile_and_run("test_explain");
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

/// The installer compiles in strict mode: a realistic policy built on the standard
/// library (whose inherent widenings are accepted where they are written) installs; one
/// more rule whose widening nobody accepted is refused.
#[test]
fn the_documented_installer_takes_a_policy_using_the_stdlib_in_strict_mode() {
    let root = std::env::temp_dir().join(format!("polc-capi-fetcher-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let (exe, libdir) = compile_c("installer");
    let install = |extra: &str| {
        let policy = root.join("fetcher.pol");
        std::fs::write(
            &policy,
            format!(
                "policy org.example.fetcher {{\n    attach \"/opt/fetcher/bin/fetcher\"\n    \
                 owns \"/opt/fetcher/**\"\n    use base, nameservice, ssl-certs, locale, timezone\n    \
                 allow read exec map-exec \"/opt/fetcher/bin/fetcher\"\n    \
                 allow read \"/opt/fetcher/share/**\"\n    allow net connect tcp 443\n{extra}}}\n"
            ),
        )
        .unwrap();
        Command::new(&exe)
            .env("LD_LIBRARY_PATH", &libdir)
            .arg(&policy)
            .arg(root.join("store"))
            .arg("landlock")
            .output()
            .unwrap()
    };
    let out = install("");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("installed org.example.fetcher generation 1"),
        "{text}"
    );
    // A glob Landlock would expand against the file system, outside an accept block.
    let out = install("    allow read \"/usr/share/doc/*/copyright\"\n");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("strict"), "{text}");
    assert!(!root.join("store/org.example.fetcher/gen-2").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn c_spawn_cat_confined_by_landlock_on_the_host() {
    let work = std::env::temp_dir().join(format!("polc-capi-spawn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    // Not under valgrind: it does not know the Landlock system calls (ENOSYS), so the
    // kernel would seem to lack Landlock.
    compile_and_run_in("test_spawn", &[work.to_str().unwrap()], false);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_lifecycle_example_installs_runs_confined_and_rolls_back() {
    let work = std::env::temp_dir().join(format!("polc-capi-lifecycle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let data = work.join("data");
    std::fs::write(&data, "data\n").unwrap();
    let policy = |extra: &str| {
        let file = work.join("app.pol");
        std::fs::write(
            &file,
            format!(
                "policy org.example.app {{\n    use base\n    allow read exec map-exec \"/usr/**\"\n{extra}}}\n"
            ),
        )
        .unwrap();
        file
    };
    let (exe, libdir) = compile_c("lifecycle");
    let store = work.join("store");
    let lifecycle = |pol: &Path| {
        Command::new(&exe)
            .env("LD_LIBRARY_PATH", &libdir)
            .arg(pol)
            .arg(&store)
            .args(["landlock", "cat"])
            .arg(&data)
            .output()
            .unwrap()
    };
    // Generation 1 lets cat read the file: installed, run confined, kept.
    let out = lifecycle(&policy(&format!("    allow read \"{}\"\n", data.display())));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("installed org.example.app generation 1\n"),
        "{text}"
    );
    assert!(text.contains("confined by landlock, enforcing\n"), "{text}");
    // Generation 2 forgets the file: cat fails under it, and it is rolled back.
    let out = lifecycle(&policy(""));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("installed org.example.app generation 2\n"),
        "{text}"
    );
    assert!(
        text.contains("cat failed: rolled back to generation 1\n"),
        "{text}"
    );
    let current = std::fs::read_to_string(store.join("org.example.app/current")).unwrap();
    assert_eq!(current.trim(), "1", "{text}");
    let _ = std::fs::remove_dir_all(&work);
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
