//! Every built-in abstraction compiles for the three backends, alone and all together,
//! and the real tools accept the result: `apparmor_parser -QK` the AppArmor profile of a
//! policy that uses every abstraction, `secilc` its SELinux module (against the SELinux
//! backend's minimal base policy and its file contexts).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, CompileOptions,
};
use polc::lang::stdlib;
use polc::{load, LoadOptions, Lsm, Policy, Source};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A policy that uses `names`; the XDG abstractions build their directory from
/// `${app_id}`, which the policy declares.
fn policy_using(names: &[&str]) -> Policy {
    let var = if names.iter().any(|n| n.starts_with("xdg-")) {
        "    var app_id = \"org.example.app\"\n"
    } else {
        ""
    };
    let text = format!(
        "policy org.example.all {{\n    attach \"/usr/bin/example\"\n{var}    use {}\n}}\n",
        names.join(", ")
    );
    match load(&Source::new("all.pol", &text), &LoadOptions::default()) {
        Ok(l) => {
            assert!(l.warnings.is_empty(), "{names:?}: {:#?}", l.warnings);
            l.policy
        }
        Err(f) => panic!("{names:?}: {:#?}", f.diagnostics),
    }
}

fn all_names() -> Vec<&'static str> {
    stdlib::all().iter().map(|(n, _)| *n).collect()
}

/// secilc, run on the minimal base with `module`: its stderr when it refuses.
fn secilc(dir: &Path, module: &str) -> Result<(), String> {
    let base = root().join("backends/selinux/tests/selinux-base/base.cil");
    let file = dir.join("module.cil");
    std::fs::write(&file, module).unwrap();
    let out = Command::new("secilc")
        .args(["-M", "false", "-c", "33", "-f"])
        .arg(dir.join("module.fc"))
        .arg("-o")
        .arg(dir.join("policy.33"))
        .arg(&base)
        .arg(&file)
        .output()
        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The minimal base's file contexts (as secilc writes them) and a port context file.
fn base_selinux_options(dir: &Path) -> CompileOptions {
    let fc = dir.join("file_contexts");
    let out = Command::new("secilc")
        .args(["-M", "false", "-c", "33", "-o"])
        .arg(dir.join("base.33"))
        .arg("-f")
        .arg(&fc)
        .arg(root().join("backends/selinux/tests/selinux-base/base.cil"))
        .output()
        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
    assert!(out.status.success(), "{out:?}");
    let ports = dir.join("ports");
    std::fs::write(&ports, "sid port system_u:object_r:port_t:s0\n").unwrap();
    CompileOptions {
        selinux_file_contexts: Some(read_selinux_file_contexts(&fc).unwrap()),
        selinux_port_contexts: Some(read_selinux_port_contexts(&ports).unwrap()),
        ..CompileOptions::default()
    }
}

#[test]
fn every_abstraction_compiles_for_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    // The minimal base's contexts: Debian's take seconds per policy to compare with.
    let selinux = base_selinux_options(dir.path());
    let plain = CompileOptions::default();
    for name in all_names() {
        let p = policy_using(&[name]);
        for (lsm, opts) in [
            (Lsm::AppArmor, &plain),
            (Lsm::Landlock, &plain),
            (Lsm::SeLinux, &selinux),
        ] {
            let a = compile(&p, lsm, opts).unwrap_or_else(|e| panic!("{name} on {lsm:?}: {e}"));
            assert!(
                !a.report.entries.is_empty(),
                "{name} on {lsm:?}: empty report"
            );
        }
    }
}

#[test]
fn a_policy_using_every_abstraction_is_accepted_by_apparmor_parser_and_secilc() {
    let names = all_names();
    assert!(names.len() >= 40, "only {} abstractions", names.len());
    let p = policy_using(&names);
    assert_eq!(p.uses.len(), names.len());

    let aa = compile(&p, Lsm::AppArmor, &CompileOptions::default()).unwrap();
    if let Err(e) = polc_apparmor::validate(&aa.text) {
        panic!("apparmor_parser -QK rejected the profile: {e}\n{}", aa.text);
    }

    let dir = tempfile::tempdir().unwrap();
    let se = compile(&p, Lsm::SeLinux, &base_selinux_options(dir.path())).unwrap();
    if let Err(e) = secilc(dir.path(), &se.text) {
        panic!("secilc rejected the module: {e}\n{}", se.text);
    }
    // The check can fail: secilc refuses a type the base does not have.
    let bad = format!("{}(allow example_no_such_t self (file (read)))\n", se.text);
    assert!(secilc(dir.path(), &bad).is_err());

    let ll = compile(&p, Lsm::Landlock, &CompileOptions::default()).unwrap();
    assert!(
        ll.text.contains("\"policy\": \"org.example.all\""),
        "{}",
        ll.text
    );
}
