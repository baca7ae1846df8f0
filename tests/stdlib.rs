//! Every built-in abstraction compiles for the three backends, alone and all together,
//! in strict mode (each widening inherent to a backend is accepted where it is written),
//! and the real tools accept the result: `apparmor_parser -QK` the AppArmor profile of a
//! policy that uses every abstraction, `secilc` its SELinux module (against the SELinux
//! backend's minimal base policy and its file contexts). A widening the policy does not
//! accept still fails strict mode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, AppArmorAbi, CompileOptions,
};
use polc::lang::stdlib;
use polc::{load, LoadOptions, Lsm, Policy, Source};
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A policy that uses `names`; the XDG abstractions build their directory from
/// `${app_id}`, which the policy declares.
fn policy_using(names: &[&str]) -> Policy {
    policy_with(names, "")
}

/// A policy that uses `names` and holds the rules `extra` (lines of the language). As a
/// packaged program's policy does, it attaches to its executable, owns it (SELinux gives
/// it the domain's entry type) and may load and run it: then strict mode refuses nothing
/// of its own.
fn policy_with(names: &[&str], extra: &str) -> Policy {
    let var = if names.iter().any(|n| n.starts_with("xdg-")) {
        "    var app_id = \"org.example.app\"\n"
    } else {
        ""
    };
    let text = format!(
        "policy org.example.all {{\n    attach \"{EXE}\"\n    owns \"{EXE}\"\n\
         {var}    use {}\n    allow read exec map-exec \"{EXE}\"\n{extra}}}\n",
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

/// The test policy's executable.
const EXE: &str = "/opt/example/bin/example";

fn all_names() -> Vec<&'static str> {
    stdlib::all().iter().map(|(n, _)| *n).collect()
}

/// `apparmor_parser -QK` accepts `profile`. An AppArmor 3 parser has no `abi/4.0` and no
/// fine-grained network syntax: it validates everything else of an ABI 4.0 profile (as
/// the AppArmor backend's own tests do, see docs/backends/apparmor.md).
fn apparmor_accepts(target: &str, profile: &str) {
    let Err(e) = polc_apparmor::validate(profile) else {
        return;
    };
    let abi4 = "abi <abi/4.0>,";
    if e.to_string().contains("abi/4.0") && profile.contains(abi4) {
        let rest: String = profile
            .replace(abi4, "abi <abi/3.0>,")
            .lines()
            .filter(|l| !l.trim_start().starts_with("network") && !l.contains(" network "))
            .map(|l| format!("{l}\n"))
            .collect();
        if let Err(e) = polc_apparmor::validate(&rest) {
            panic!("apparmor_parser -QK rejected the {target} profile: {e}\n{rest}");
        }
    } else {
        panic!("apparmor_parser -QK rejected the {target} profile: {e}\n{profile}");
    }
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
    let fc = support::minimal_base_file_contexts(dir);
    let ports = dir.join("ports");
    std::fs::write(&ports, "sid port system_u:object_r:port_t:s0\n").unwrap();
    CompileOptions {
        selinux_file_contexts: Some(read_selinux_file_contexts(&fc).unwrap()),
        selinux_port_contexts: Some(read_selinux_port_contexts(&ports).unwrap()),
        ..CompileOptions::default()
    }
}

/// Debian's reference policy as the SELinux target: its file contexts and port contexts
/// (`seinfo --portcon` of its binary policy), as an installer on Debian compiles.
fn debian_selinux_options(dir: &Path) -> CompileOptions {
    let fc = Path::new(support::DEBIAN_FILE_CONTEXTS);
    let ports = support::debian_port_contexts(dir);
    CompileOptions {
        strict: true,
        selinux_file_contexts: Some(read_selinux_file_contexts(fc).unwrap()),
        selinux_port_contexts: Some(read_selinux_port_contexts(&ports).unwrap()),
        ..CompileOptions::default()
    }
}

/// The strict targets every abstraction must pass: AppArmor ABI 3.0 and 4.0, SELinux
/// with Debian's contexts, and Landlock planned against the host's file system and
/// against an empty one (strict refuses any expansion, so the plan cannot depend on
/// what the compiling machine holds).
fn strict_targets(dir: &Path) -> Vec<(&'static str, Lsm, CompileOptions)> {
    let strict = CompileOptions {
        strict: true,
        ..CompileOptions::default()
    };
    let empty = dir.join("empty-root");
    std::fs::create_dir_all(&empty).unwrap();
    vec![
        ("AppArmor 3.0", Lsm::AppArmor, strict.clone()),
        (
            "AppArmor 4.0",
            Lsm::AppArmor,
            CompileOptions {
                apparmor_abi: AppArmorAbi::V4_0,
                ..strict.clone()
            },
        ),
        (
            "SELinux (Debian)",
            Lsm::SeLinux,
            debian_selinux_options(dir),
        ),
        ("Landlock (host)", Lsm::Landlock, strict.clone()),
        (
            "Landlock (empty root)",
            Lsm::Landlock,
            CompileOptions {
                landlock_root: empty,
                ..strict
            },
        ),
    ]
}

#[test]
fn every_abstraction_compiles_for_every_backend_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    // The minimal base's contexts, best effort: the module must also build without a
    // distribution's policy.
    let selinux = base_selinux_options(dir.path());
    let plain = CompileOptions::default();
    let strict = strict_targets(dir.path());
    let mut refused = Vec::new();
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
        for (target, lsm, opts) in &strict {
            if let Err(e) = compile(&p, *lsm, opts) {
                refused.push(format!("{name} on {target}: {e}"));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "strict mode refused:\n{}",
        refused.join("\n")
    );
}

/// Strict mode refuses what nobody accepted: a policy's own widening rules next to the
/// abstractions fail it, on each backend, and only they are refused.
#[test]
fn a_widening_outside_an_accept_block_still_fails_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let uses = ["base", "nameservice", "ssl-certs"];
    let cases = [
        // AppArmor grants `w`, which also allows part of create, delete and rename.
        ("AppArmor 3.0", "    allow rw \"/srv/example/log\"\n"),
        ("AppArmor 4.0", "    allow rw \"/srv/example/log\"\n"),
        // etc_t labels every file of /etc that has no type of its own.
        ("SELinux (Debian)", "    allow read \"/etc/hostname\"\n"),
        // A glob inside a directory would be expanded against the file system.
        (
            "Landlock (host)",
            "    allow read \"/usr/share/doc/*/copyright\"\n",
        ),
        (
            "Landlock (empty root)",
            "    allow read \"/usr/share/doc/*/copyright\"\n",
        ),
    ];
    for (target, lsm, opts) in strict_targets(dir.path()) {
        let extra = cases.iter().find(|(t, _)| *t == target).unwrap().1;
        let p = policy_with(&uses, extra);
        assert!(
            compile(&p, lsm, &opts).is_err(),
            "{target}: strict mode took an unaccepted widening"
        );
        // Best effort, the report says which rules strict mode refuses: the policy's own.
        let a = compile(
            &p,
            lsm,
            &CompileOptions {
                strict: false,
                ..opts.clone()
            },
        )
        .unwrap();
        let files: Vec<String> = a
            .report
            .strict_violations()
            .flat_map(|e| e.origins.iter().map(|o| o.file.to_string()))
            .collect();
        let narrowed_expansion = a
            .report
            .entries
            .iter()
            .any(|e| e.reason.contains("is expanded against the filesystem"));
        assert!(
            files.iter().all(|f| f == "all.pol"),
            "{target}: refused outside the policy's own rules: {files:?}"
        );
        assert!(
            !files.is_empty() || narrowed_expansion,
            "{target}: nothing refused"
        );
        // In an accept block for that backend, the same rule passes.
        let backend = match lsm {
            Lsm::AppArmor => "apparmor",
            Lsm::SeLinux => "selinux",
            Lsm::Landlock => "landlock",
        };
        let accepted = format!(
            "    accept widened on {backend} \"known to the author\" {{\n    {}    }}\n",
            extra.trim_start()
        );
        let p = policy_with(&uses, &accepted);
        if let Err(e) = compile(&p, lsm, &opts) {
            panic!("{target}: strict mode refused an accepted widening: {e}");
        }
    }
}

#[test]
fn a_policy_using_every_abstraction_is_accepted_by_apparmor_parser_and_secilc() {
    let names = all_names();
    assert!(names.len() >= 40, "only {} abstractions", names.len());
    let p = policy_using(&names);
    assert_eq!(p.uses.len(), names.len());

    let dir = tempfile::tempdir().unwrap();
    // Strict on every target; the profiles strict mode gives go to apparmor_parser.
    for (target, lsm, opts) in strict_targets(dir.path()) {
        let a = compile(&p, lsm, &opts).unwrap_or_else(|e| panic!("{target}: {e}"));
        if lsm == Lsm::AppArmor {
            apparmor_accepts(target, &a.text);
        }
    }

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
