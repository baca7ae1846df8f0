//! SELinux enforcement and install-time labelling end to end, in one boot of a real kernel.
//!
//! On the host, each version of a policy is compiled to a CIL module by polc and, with the
//! test base policy (`enforce_support/selinux-base.cil`), to a binary policy by `secilc`.
//! In the VM (no SELinux userspace), the guest program installs the modules through polc's
//! store with a loader that writes those binary policies to `/sys/fs/selinux/load`; the
//! store labels what the policy owns and its `attach` executable, which is read back
//! through the `security.selinux` attribute and compared with the labels the compiled
//! module's file contexts give (matched on the host with polc's file_contexts model).
//! Children started through polc's `Command` extension run in the policy's domain: an
//! allowed read succeeds, a denied one fails with EACCES, while the launcher is not
//! confined. An upgrade, an upgrade that fails midway through labelling (fault injection),
//! a rollback and a removal each leave the expected labels; an unknown domain, a program
//! that is not the domain's entrypoint and a module removed between the check and the exec
//! all keep the child from ever running. A policy compiled with the runner's domain as its
//! launcher is entered by plainly executing its attach executable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod enforce_support;

use enforce_support::{add_package, build_guest, mismatches, results, Pkg, Script};
use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::probe::build_static;
use polc_kernel_harness::vm::Lsm;
use polc_kernel_harness::{kernel, require_tool, Result};
use polc_lang::ir::Policy;
use polc_lang::{load, LoadOptions, Source};
use polc_selinux::{FcLabel, FileClass, FileContexts};
use std::path::Path;
use std::process::Command;

const NAME: &str = "org.polc.guest";
const BASE_CIL: &str = include_str!("enforce_support/selinux-base.cil");
/// The base policy's file contexts, as the compiler reads them.
const BASE_FC: &str = "/.*\tsystem_u:object_r:default_t:s0
/\t-d\tsystem_u:object_r:root_t:s0
/data(/.*)?\tsystem_u:object_r:data_t:s0
/usr(/.*)?\tsystem_u:object_r:usr_t:s0
/usr/bin(/.*)?\tsystem_u:object_r:bin_t:s0
/bin(/.*)?\tsystem_u:object_r:bin_t:s0
/var(/.*)?\tsystem_u:object_r:var_t:s0
";

const V1: &str = r#"policy org.polc.guest {
    attach "/usr/bin/confined"
    owns "/data/owned/**"
    allow read exec map-exec "/usr/bin/confined"
    allow read list "/data/owned/**"
}
"#;

const LAUNCHED: &str = r#"policy org.polc.launched {
    attach "/usr/bin/launched"
    owns "/data/launched/**"
    allow read exec map-exec "/usr/bin/launched"
    allow read "/data/launched/**"
}
"#;

const V2: &str = r#"policy org.polc.guest {
    version 2
    attach "/usr/bin/confined"
    owns "/data/owned/**", "/data/more/**"
    allow read exec map-exec "/usr/bin/confined"
    allow read list "/data/owned/**", "/data/more/**"
}
"#;

const V3: &str = r#"policy org.polc.guest {
    version 3
    attach "/usr/bin/confined"
    owns "/data/owned/**", "/data/more/**", "/data/third/**"
    allow read exec map-exec "/usr/bin/confined"
    allow read list "/data/owned/**", "/data/more/**", "/data/third/**"
}
"#;

/// Every path whose label the test follows, its kind and its base type.
const PATHS: &[(&str, FileClass, &str)] = &[
    ("/", FileClass::Dir, "root_t"),
    ("/data", FileClass::Dir, "data_t"),
    ("/data/owned", FileClass::Dir, "data_t"),
    ("/data/owned/f", FileClass::File, "data_t"),
    ("/data/owned/sub", FileClass::Dir, "data_t"),
    ("/data/owned/sub/g", FileClass::File, "data_t"),
    ("/data/more", FileClass::Dir, "data_t"),
    ("/data/more/x", FileClass::File, "data_t"),
    ("/data/other", FileClass::Dir, "data_t"),
    ("/data/other/f", FileClass::File, "data_t"),
    ("/data/third", FileClass::Dir, "data_t"),
    ("/data/third/a", FileClass::File, "data_t"),
    ("/data/third/b", FileClass::File, "data_t"),
    ("/usr", FileClass::Dir, "usr_t"),
    ("/usr/bin", FileClass::Dir, "bin_t"),
    ("/usr/bin/confined", FileClass::File, "bin_t"),
    ("/bin", FileClass::Dir, "bin_t"),
    ("/bin/polc-probe", FileClass::File, "bin_t"),
];

fn ctx(ty: &str) -> String {
    format!("system_u:object_r:{ty}")
}

/// FNV-1a 64, as the guest's loader names precompiled policies.
fn fnv64(b: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

struct Version {
    policy: Policy,
    compiled: polc_selinux::Compiled,
    binary: Vec<u8>,
}

fn secilc(dir: &Path, files: &[&Path], out: &Path) -> Vec<u8> {
    let tool = require_tool("secilc", "secilc").unwrap();
    let o = Command::new(tool)
        .args(["-M", "false", "-c", "33", "-o"])
        .arg(out)
        .arg("-f")
        .arg(dir.join("file_contexts"))
        .args(files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "secilc failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(out).unwrap()
}

fn version(dir: &Path, tag: &str, source: &str) -> Version {
    version_with(dir, tag, source, Vec::new())
}

/// A version compiled with launchers of the base policy.
fn version_with(
    dir: &Path,
    tag: &str,
    source: &str,
    launchers: Vec<polc_selinux::Launcher>,
) -> Version {
    let policy = load(&Source::new("guest.pol", source), &LoadOptions::default())
        .map_err(|f| format!("{f:?}"))
        .unwrap()
        .policy;
    let config = polc_selinux::Config {
        file_contexts: Some(FileContexts::parse(BASE_FC).unwrap()),
        launchers,
        ..polc_selinux::Config::default()
    };
    let compiled = polc_selinux::compile(&policy, &config).unwrap();
    let module = dir.join(format!("{tag}.cil"));
    std::fs::write(&module, &compiled.cil).unwrap();
    let binary = secilc(
        dir,
        &[&dir.join("base.cil"), &module],
        &dir.join(format!("{tag}.policy")),
    );
    Version {
        policy,
        compiled,
        binary,
    }
}

/// The label of every followed path once `v` is installed (`None`: the base labels).
fn expected(v: Option<&Version>) -> Vec<(String, String)> {
    let mut labeller = v.map(|v| {
        FileContexts::parse(&v.compiled.file_contexts)
            .unwrap()
            .labeller()
    });
    PATHS
        .iter()
        .map(|(p, class, base)| {
            let mine = v.is_some_and(|v| {
                v.policy.owns.iter().any(|o| o.glob.matches(p))
                    || v.policy.attach.as_ref().is_some_and(|a| a.path == *p)
            });
            let label = match (&mut labeller, mine) {
                (Some(l), true) => match l.label(p, *class) {
                    Some(FcLabel::Type(t)) => ctx(&t),
                    other => panic!("{p}: the module gives {other:?}"),
                },
                _ => ctx(base),
            };
            ((*p).to_string(), label)
        })
        .collect()
}

fn scenario() -> Result<()> {
    let k = kernel::fetch()?;
    let probe = build_static()?;
    let guest_bin = build_guest()?;
    let tmp = std::env::temp_dir().join(format!("polc-enforce-selinux-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("base.cil"), BASE_CIL).unwrap();
    let base = secilc(&tmp, &[&tmp.join("base.cil")], &tmp.join("base.policy"));
    let v1 = version(&tmp, "v1", V1);
    let v2 = version(&tmp, "v2", V2);
    let v3 = version(&tmp, "v3", V3);
    // started by the case runner's domain (kernel_t) with no exec context set
    let launched = version_with(
        &tmp,
        "launched",
        LAUNCHED,
        vec!["kernel_t:system_r".parse().unwrap()],
    );
    let _ = std::fs::remove_dir_all(&tmp);
    let domain = format!(
        "system_u:system_r:{}",
        polc_selinux::domain_type(&v1.policy.name)
    );

    let mut s = Script::default();
    let confined = "/usr/bin/confined";
    let run =
        |s: &mut Script, id: &str, lsm: &str, name: &str, then: &str, exe: &str, op: &[&str]| {
            let mut f = vec!["run", id, lsm, name, then, exe, "op"];
            f.extend_from_slice(op);
            s.cmd(&f);
        };
    let labels = |s: &mut Script, tag: &str| {
        for (p, _, _) in PATHS {
            s.cmd(&["label", &format!("{tag}{p}"), p]);
        }
    };
    s.cmd(&["loadpolicy", "l0", "/etc/polc/selinux/base.policy"]);
    for (p, _, ty) in PATHS {
        s.cmd(&["setlabel", &format!("s{p}"), p, &ctx(ty)]);
    }
    s.cmd(&["enforce", "e1", "1"]);
    s.cmd(&["install", "i1", "/pkg/v1"]);
    labels(&mut s, "L1");
    run(
        &mut s,
        "c-owned",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/owned/f"],
    );
    run(
        &mut s,
        "c-owned-sub",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/owned/sub/g"],
    );
    run(
        &mut s,
        "c-other",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/other/f"],
    );
    run(
        &mut s,
        "c-more",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/more/x"],
    );
    s.cmd(&["self", "p-other", "/data/other/f"]);
    run(
        &mut s,
        "c-auto",
        "auto",
        NAME,
        "-",
        confined,
        &["read", "/data/other/f"],
    );
    run(
        &mut s,
        "c-unknown",
        "selinux",
        "org.polc.unknown",
        "-",
        confined,
        &["create", "/data/trace-unknown"],
    );
    s.cmd(&["exists", "t-unknown", "/data/trace-unknown"]);
    run(
        &mut s,
        "c-entry",
        "selinux",
        NAME,
        "-",
        "/bin/polc-probe",
        &["create", "/data/trace-entry"],
    );
    s.cmd(&["exists", "t-entry", "/data/trace-entry"]);
    s.cmd(&["install", "i2", "/pkg/v2"]);
    labels(&mut s, "L2");
    run(
        &mut s,
        "c2-more",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/more/x"],
    );
    // The second file relabelled by v3 fails: the store must put v2 back, labels included.
    s.cmd(&["install", "i3", "/pkg/v3", "Relabel", "1"]);
    labels(&mut s, "L3");
    run(
        &mut s,
        "c3-owned",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/owned/f"],
    );
    run(
        &mut s,
        "c3-third",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/third/a"],
    );
    s.cmd(&["rollback", "r1", NAME]);
    labels(&mut s, "R");
    run(
        &mut s,
        "cr-more",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/more/x"],
    );
    run(
        &mut s,
        "cr-owned",
        "selinux",
        NAME,
        "-",
        confined,
        &["read", "/data/owned/f"],
    );
    run(
        &mut s,
        "c-race",
        "selinux",
        NAME,
        "remove",
        confined,
        &["create", "/data/trace-race"],
    );
    s.cmd(&["exists", "t-race", "/data/trace-race"]);
    labels(&mut s, "D");
    run(
        &mut s,
        "c-removed",
        "selinux",
        NAME,
        "-",
        confined,
        &["create", "/data/trace-removed"],
    );
    s.cmd(&["exists", "t-removed", "/data/trace-removed"]);
    // A policy with a launcher: executing its attach executable enters its domain by
    // itself; another program stays in the launcher's domain.
    s.cmd(&["install", "i-launched", "/pkg/launched"]);
    let launched_exe = "/usr/bin/launched";
    for (id, exe, path) in [
        ("a-own", launched_exe, "/data/launched/f"),
        ("a-other", launched_exe, "/data/other/f"),
        ("a-plain", "/bin/polc-probe", "/data/other/f"),
    ] {
        s.cmd(&["plain", id, exe, "op", "read", path]);
    }

    let mut g = Guest::new(Lsm::SeLinux, &probe)?
        .file(
            "/bin/polc-enforce-guest",
            0o755,
            &std::fs::read(&guest_bin).unwrap(),
        )
        .probe_copy_at(confined)
        .probe_copy_at("/usr/bin/launched")
        .dir("/data/launched")
        .file("/data/launched/f", 0o644, b"launched")
        .dir("/var")
        .dir("/var/lib")
        .dir("/pkg")
        .dir("/etc/polc")
        .dir("/etc/polc/selinux")
        .dir("/data/owned/sub")
        .dir("/data/more")
        .dir("/data/other")
        .dir("/data/third")
        .file("/etc/polc/selinux/base.policy", 0o644, &base);
    for (p, class, _) in PATHS {
        if *class == FileClass::File && p.starts_with("/data/") {
            g = g.file(p, 0o644, p.as_bytes());
        }
    }
    for (tag, name, v) in [
        ("v1", NAME, &v1),
        ("v2", NAME, &v2),
        ("v3", NAME, &v3),
        ("launched", "org.polc.launched", &launched),
    ] {
        g = g.file(
            &format!(
                "/etc/polc/selinux/{}.policy",
                fnv64(v.compiled.cil.as_bytes())
            ),
            0o644,
            &v.binary,
        );
        let pkg = Pkg {
            name,
            lsm: "selinux",
            source: "",
            ir_json: v.policy.to_json(),
            artifact_file: &format!("{}.cil", v.compiled.module_name),
            artifact: v.compiled.cil.clone(),
        };
        g = add_package(g, &format!("/pkg/{tag}"), &pkg);
    }
    let run = g
        .file("/script", 0o644, s.text().as_bytes())
        .setup("mount -t selinuxfs selinuxfs /sys/fs/selinux")
        .setup("/bin/polc-enforce-guest /script")
        .boot(&k.vmlinuz)?;
    let r = results(&run.console);

    let e = |id: &str, kind: &'static str, want: &str| (id.to_string(), kind, want.to_string());
    let status = format!("selinux {domain} enforcing");
    let mut expect = vec![
        e("l0", "loaded", "ok"),
        e("e1", "enforce", "1"),
        e("i1", "installed", "1"),
        e("c-owned", "status", &status),
        e("c-owned", "exit", "0"),
        e("c-owned-sub", "exit", "0"),
        e("c-other", "exit", "13"),
        e("c-more", "exit", "13"),
        // The launcher itself is not confined.
        e("p-other", "errno", "0"),
        e("c-auto", "status", &status),
        e("c-auto", "exit", "13"),
        e(
            "c-unknown",
            "confine-error",
            "SeLinux(DomainNotLoaded { context: \"system_u:system_r:org_polc_unknown.domain\" })",
        ),
        e("c-unknown", "spawn-error", "13"),
        e("t-unknown", "exists", "no"),
        e("c-entry", "confine-error", "SeLinux(EntrypointDenied { program: \"/bin/polc-probe\", label: \"system_u:object_r:bin_t\"*"),
        e("c-entry", "spawn-error", "13"),
        e("t-entry", "exists", "no"),
        e("i2", "installed", "2"),
        e("c2-more", "exit", "0"),
        e("i3", "install-error", "*"),
        e("c3-owned", "exit", "0"),
        e("c3-third", "exit", "13"),
        e("r1", "rolled-back", "1"),
        e("cr-more", "exit", "13"),
        e("cr-owned", "exit", "0"),
        e("c-race", "status", &status),
        e("c-race", "removed", "ok"),
        // The kernel refuses the context of the removed module (EINVAL) in the child.
        e("c-race", "spawn-error", "22"),
        e("t-race", "exists", "no"),
        e("c-removed", "confine-error", "SeLinux(DomainNotLoaded*"),
        e("c-removed", "spawn-error", "13"),
        e("t-removed", "exists", "no"),
        e("i-launched", "installed", "1"),
        e("a-own", "exit", "0"),
        e("a-other", "exit", "13"),
        e("a-plain", "exit", "0"),
        e("end", "done", "-"),
    ];
    for (p, _, ty) in PATHS {
        expect.push(e(&format!("s{p}"), "set", "ok"));
        let _ = ty;
    }
    let checkpoints = [
        ("L1", expected(Some(&v1))),
        ("L2", expected(Some(&v2))),
        ("L3", expected(Some(&v2))),
        ("R", expected(Some(&v1))),
        ("D", expected(None)),
    ];
    for (tag, labels) in &checkpoints {
        for (p, l) in labels {
            expect.push(e(&format!("{tag}{p}"), "label", l));
        }
    }
    // The labels do change: the owned files get the module's types, and the attach
    // executable its entrypoint type.
    let l1 = &checkpoints[0].1;
    let find = |p: &str| l1.iter().find(|(q, _)| q == p).unwrap().1.clone();
    assert!(find("/data/owned/f").contains("org_polc_guest."), "{l1:?}");
    assert!(
        find("/usr/bin/confined").contains("org_polc_guest.entry"),
        "{l1:?}"
    );
    assert_eq!(find("/data/owned"), ctx("data_t"));
    assert_ne!(checkpoints[1].1, checkpoints[0].1);

    let bad = mismatches(&r, &expect);
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}\nconsole:\n{}",
        bad.len(),
        bad.join("\n"),
        run.console
    );
    Ok(())
}

#[test]
fn selinux_children_run_in_installed_domains_and_owned_files_are_labelled() {
    if let Err(e) = scenario() {
        panic!("kernel harness: {e}");
    }
}
