//! `scripts/install.sh` into a temporary prefix: every file of the install layout is
//! there, the C library carries its SONAME, and a C program builds against the installed
//! polc.pc and runs with the installed library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run a command; its stdout, or a failure with its stderr (and how to get the tool).
fn run(cmd: &mut Command, install_hint: &str) -> String {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}): {install_hint}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn install(prefix: &Path, destdir: Option<&Path>) {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/install.sh"))
        .arg("--prefix")
        .arg(prefix)
        .args(["--profile", "dev"]);
    if let Some(d) = destdir {
        cmd.arg("--destdir").arg(d);
    }
    run(&mut cmd, "bash is needed");
}

/// Every file the layout promises, relative to the prefix.
const LAYOUT: &[&str] = &[
    "bin/polc",
    "share/man/man1/polc.1",
    "share/man/man1/polc-check.1",
    "share/man/man1/polc-compile.1",
    "share/man/man1/polc-completions.1",
    "share/bash-completion/completions/polc",
    "share/zsh/site-functions/_polc",
    "share/fish/vendor_completions.d/polc.fish",
    "share/doc/polc/stdlib/base.pol",
    "share/doc/polc/stdlib/network-client.pol",
    "lib/libpolc.so.1",
    "lib/libpolc.so",
    "lib/libpolc.a",
    "lib/pkgconfig/polc.pc",
    "include/polc.h",
    "share/doc/polc/README.md",
    "share/doc/polc/cli.md",
    "share/doc/polc/language.md",
    "share/doc/polc/backends/selinux.md",
    "share/doc/polc/LICENSE-APACHE",
    "share/doc/polc/LICENSE-MIT",
];

#[test]
fn install_sh_lays_out_a_prefix_that_c_programs_build_against() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("usr");
    install(&prefix, None);

    for f in LAYOUT {
        let p = prefix.join(f);
        assert!(p.is_file(), "{f} is not installed in {}", prefix.display());
    }
    // Every abstraction of the standard library is there.
    for (name, _) in polc::lang::stdlib::all() {
        let p = prefix.join(format!("share/doc/polc/stdlib/{name}.pol"));
        assert!(p.is_file(), "abstraction {name} is not installed");
    }
    // The distribution's directory of the search path is there, and empty: a copy of a
    // built-in abstraction in it would shadow the built-in one.
    let dist = prefix.join("share/polc/abstractions");
    assert_eq!(
        std::fs::read_dir(&dist).unwrap().count(),
        0,
        "{}",
        dist.display()
    );
    // Every visible subcommand has a manual page.
    use clap::CommandFactory;
    for sub in polc::command::Cli::command().get_subcommands() {
        if !sub.is_hide_set() {
            let page = prefix.join(format!("share/man/man1/polc-{}.1", sub.get_name()));
            assert!(page.is_file(), "no manual page {}", page.display());
        }
    }

    // The installed binary runs, and its manual page is roff naming it.
    let version = run(Command::new(prefix.join("bin/polc")).arg("--version"), "");
    assert_eq!(
        version.trim(),
        format!("polc {}", env!("CARGO_PKG_VERSION"))
    );
    let man = std::fs::read_to_string(prefix.join("share/man/man1/polc.1")).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH polc 1"),
        "{man}"
    );

    // The shared library's SONAME is the versioned name, reached through the links.
    let readelf = run(
        Command::new("readelf")
            .arg("-d")
            .arg(prefix.join("lib/libpolc.so")),
        "apt-get install binutils",
    );
    assert!(
        readelf.contains("Library soname: [libpolc.so.1]"),
        "no SONAME libpolc.so.1:\n{readelf}"
    );
    let so0 = std::fs::read_link(prefix.join("lib/libpolc.so.1")).unwrap();
    assert_eq!(
        so0,
        Path::new(&format!("libpolc.so.{}", env!("CARGO_PKG_VERSION")))
    );

    // pkg-config finds the installed polc.pc, which names the prefix.
    let flags = run(
        Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env_remove("PKG_CONFIG_LIBDIR")
            .args(["--cflags", "--libs", "polc"]),
        "apt-get install pkg-config",
    );
    assert!(
        flags.contains(&format!("-I{}/include", prefix.display()))
            && flags.contains(&format!("-L{}/lib", prefix.display()))
            && flags.contains("-lpolc"),
        "{flags}"
    );

    // A C program builds with those flags, depends on libpolc.so.1, and runs with it.
    let c = tmp.path().join("version.c");
    std::fs::write(
        &c,
        "#include <polc.h>\n#include <stdio.h>\n\
         int main(void) { printf(\"libpolc %s\\n\", polc_version()); return 0; }\n",
    )
    .unwrap();
    let exe = tmp.path().join("version");
    run(
        Command::new("gcc")
            .args(["-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&c)
            .args(flags.split_whitespace()),
        "apt-get install gcc",
    );
    let needed = run(Command::new("readelf").arg("-d").arg(&exe), "");
    assert!(
        needed.contains("Shared library: [libpolc.so.1]"),
        "{needed}"
    );
    let out = run(
        Command::new(&exe).env("LD_LIBRARY_PATH", prefix.join("lib")),
        "",
    );
    assert_eq!(out.trim(), format!("libpolc {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn install_sh_with_destdir_stages_files_that_name_the_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let stage = tmp.path().join("stage");
    install(Path::new("/usr/local"), Some(&stage));
    for f in LAYOUT {
        let p = stage.join("usr/local").join(f);
        assert!(p.is_file(), "{f} is not staged in {}", stage.display());
    }
    let pc = std::fs::read_to_string(stage.join("usr/local/lib/pkgconfig/polc.pc")).unwrap();
    assert!(pc.contains("prefix=/usr/local\n"), "{pc}");
    assert!(pc.contains("libdir=/usr/local/lib\n"), "{pc}");
    assert!(!pc.contains('@'), "a placeholder is left in polc.pc:\n{pc}");
    assert!(
        !pc.contains(&stage.display().to_string()),
        "polc.pc names the staging directory:\n{pc}"
    );
}

#[test]
fn install_sh_refuses_a_missing_or_relative_prefix() {
    for args in [&[][..], &["--prefix", "usr"][..], &["--bogus"][..]] {
        let o = Command::new("bash")
            .arg(root().join("scripts/install.sh"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn cargo_install_path_installs_a_working_polc() {
    let tmp = tempfile::tempdir().unwrap();
    // The test build's own target directory, so nothing is compiled twice.
    let target = Path::new(env!("CARGO_BIN_EXE_polc"))
        .parent()
        .and_then(Path::parent)
        .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        Command::new(cargo)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", target)
            .args(["install", "--quiet", "--offline", "--locked", "--debug"])
            .args(["--path", "."])
            .arg("--root")
            .arg(tmp.path()),
        "cargo comes with rustup",
    );
    let polc = tmp.path().join("bin/polc");
    let out = run(
        Command::new(&polc)
            .current_dir(root())
            .args(["check", "examples/viewer.pol"]),
        "",
    );
    assert_eq!(out, "");
    let version = run(Command::new(&polc).arg("--version"), "");
    assert_eq!(
        version.trim(),
        format!("polc {}", env!("CARGO_PKG_VERSION"))
    );
}
