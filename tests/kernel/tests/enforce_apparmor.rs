//! AppArmor enforcement end to end, in one boot of a real kernel: policies compiled on the
//! host are installed inside the VM through polc's store with the real loader
//! (`apparmor_parser`), then children started through polc's `Command` extension run under
//! the profile (an allowed read succeeds, a denied one fails with EACCES) while the
//! launcher is not confined; an upgrade and a rollback change what the child may do; an
//! unknown profile, a removed one, and a profile removed between the check and the exec
//! all keep the child from ever running. An app installed from source in the VM is
//! refused its framework's file before its plug is connected, allowed after, and refused
//! again after a disconnect and after the rollback of a connect.
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
use polc_kernel_harness::{kernel, Result};
use polc_lang::{load, LoadOptions, Source};

const NAME: &str = "org.polc.guest";

const V1: &str = r#"policy org.polc.guest {
    allow read map-exec "/bin/polc-probe"
    allow read "/data/pub/**"
}
"#;

/// The upgrade also lets the child read `/data/secret`.
const V2: &str = r#"policy org.polc.guest {
    version 2
    allow read map-exec "/bin/polc-probe"
    allow read "/data/pub/**", "/data/secret"
}
"#;

const APP: &str = "org.polc.app";

/// An app whose `secret` plug grants `/data/secret`; the framework is in the same file.
const APP_SOURCE: &str = r#"framework org.polc.vault {
    provides secret {
        allow read "/data/secret"
    }
    provides probe auto {
        allow read map-exec "/bin/polc-probe"
    }
}

policy org.polc.app {
    app
    plugs secret, probe
    allow read "/data/secret"
}
"#;

fn package(source: &str) -> Pkg<'_> {
    let policy = load(&Source::new("guest.pol", source), &LoadOptions::default())
        .map_err(|f| format!("{f:?}"))
        .unwrap()
        .policy;
    let out = polc_apparmor::compile(&policy, &polc_apparmor::Config::default()).unwrap();
    assert_eq!(out.profile_name, NAME);
    Pkg {
        name: NAME,
        lsm: "apparmor",
        source,
        ir_json: policy.to_json(),
        artifact_file: "profile",
        artifact: out.text,
    }
}

fn scenario() -> Result<()> {
    let k = kernel::fetch()?;
    let probe = build_static()?;
    let guest_bin = build_guest()?;
    let probe_cmd = "/bin/polc-probe";
    let mut s = Script::default();
    let run = |s: &mut Script, id: &str, lsm: &str, name: &str, then: &str, op: &[&str]| {
        let mut f = vec!["run", id, lsm, name, then, probe_cmd, "op"];
        f.extend_from_slice(op);
        s.cmd(&f);
    };
    s.cmd(&["install", "i1", "/pkg/v1"]);
    run(
        &mut s,
        "c-pub",
        "apparmor",
        NAME,
        "-",
        &["read", "/data/pub/f"],
    );
    run(
        &mut s,
        "c-secret",
        "apparmor",
        NAME,
        "-",
        &["read", "/data/secret"],
    );
    run(
        &mut s,
        "c-write",
        "apparmor",
        NAME,
        "-",
        &["write", "/data/pub/f"],
    );
    s.cmd(&["self", "p-secret", "/data/secret"]);
    run(
        &mut s,
        "c-auto",
        "auto",
        NAME,
        "-",
        &["read", "/data/secret"],
    );
    s.cmd(&["install", "i2", "/pkg/v2"]);
    run(
        &mut s,
        "c2-secret",
        "apparmor",
        NAME,
        "-",
        &["read", "/data/secret"],
    );
    s.cmd(&["rollback", "r1", NAME]);
    run(
        &mut s,
        "cr-secret",
        "apparmor",
        NAME,
        "-",
        &["read", "/data/secret"],
    );
    run(
        &mut s,
        "c-unknown",
        "apparmor",
        "org.polc.unknown",
        "-",
        &["create", "/data/trace-unknown"],
    );
    s.cmd(&["exists", "t-unknown", "/data/trace-unknown"]);
    run(
        &mut s,
        "c-race",
        "apparmor",
        NAME,
        "remove",
        &["create", "/data/trace-race"],
    );
    s.cmd(&["exists", "t-race", "/data/trace-race"]);
    run(
        &mut s,
        "c-removed",
        "apparmor",
        NAME,
        "-",
        &["create", "/data/trace-removed"],
    );
    s.cmd(&["exists", "t-removed", "/data/trace-removed"]);
    s.cmd(&["installsrc", "a1", "/pkg/app.pol"]);
    let secret = |s: &mut Script, id: &str| {
        run(s, id, "apparmor", APP, "-", &["read", "/data/secret"]);
    };
    secret(&mut s, "ca-installed");
    s.cmd(&["connect", "k1", APP, "secret"]);
    secret(&mut s, "ca-connected");
    s.cmd(&["disconnect", "k2", APP, "secret"]);
    secret(&mut s, "ca-disconnected");
    s.cmd(&["connect", "k3", APP, "secret"]);
    secret(&mut s, "ca-reconnected");
    s.cmd(&["rollback", "ra", APP]);
    secret(&mut s, "ca-rolled-back");
    s.cmd(&["disconnect", "k4", APP, "probe"]);

    let g = Guest::new(Lsm::AppArmor, &probe)?
        .with_apparmor_parser()?
        .file(
            "/bin/polc-enforce-guest",
            0o755,
            &std::fs::read(&guest_bin).unwrap(),
        )
        .file("/data/pub/f", 0o644, b"public")
        .file("/data/secret", 0o644, b"secret")
        .dir("/var")
        .dir("/var/lib")
        .dir("/pkg")
        .file("/pkg/app.pol", 0o644, APP_SOURCE.as_bytes());
    let g = add_package(g, "/pkg/v1", &package(V1));
    let g = add_package(g, "/pkg/v2", &package(V2));
    let run = g
        .file("/script", 0o644, s.text().as_bytes())
        .setup("/bin/polc-enforce-guest /script")
        .boot(&k.vmlinuz)?;
    let r = results(&run.console);
    let e = |id: &str, kind: &'static str, want: &str| (id.to_string(), kind, want.to_string());
    let status = format!("apparmor {NAME} enforcing");
    let expect = vec![
        e("i1", "installed", "1"),
        e("c-pub", "status", &status),
        e("c-pub", "exit", "0"),
        e("c-secret", "exit", "13"),
        e("c-write", "exit", "13"),
        // The launcher itself is not confined.
        e("p-secret", "errno", "0"),
        // The active LSM is found without naming it.
        e("c-auto", "status", &status),
        e("c-auto", "exit", "13"),
        // An upgrade is enforced on the next child, and a rollback too.
        e("i2", "installed", "2"),
        e("c2-secret", "exit", "0"),
        e("r1", "rolled-back", "1"),
        e("cr-secret", "exit", "13"),
        // An unknown profile: a clear error, and the command cannot be spawned.
        e(
            "c-unknown",
            "confine-error",
            "AppArmor(NotLoaded { profile: \"org.polc.unknown\" })",
        ),
        e("c-unknown", "spawn-error", "13"),
        e("t-unknown", "exists", "no"),
        // Removed after the check: the write in the child fails, the spawn with it.
        e("c-race", "status", &status),
        e("c-race", "removed", "ok"),
        e("c-race", "spawn-error", "*"),
        e("t-race", "exists", "no"),
        // Removed: not loaded any more.
        e("c-removed", "confine-error", "AppArmor(NotLoaded*"),
        e("c-removed", "spawn-error", "13"),
        e("t-removed", "exists", "no"),
        // An app's plug: the kernel enforces the connection, generation by generation.
        e("a1", "installed", "1"),
        e("ca-installed", "exit", "13"),
        e("k1", "connect", "2"),
        e("ca-connected", "exit", "0"),
        e("k2", "disconnect", "3"),
        e("ca-disconnected", "exit", "13"),
        e("k3", "connect", "4"),
        e("ca-reconnected", "exit", "0"),
        e("ra", "rolled-back", "3"),
        e("ca-rolled-back", "exit", "13"),
        e(
            "k4",
            "connect-error",
            "`probe` of `org.polc.vault` is connected automatically to every app that plugs it",
        ),
        e("end", "done", "-"),
    ];
    let bad = mismatches(&r, &expect);
    assert!(
        bad.is_empty(),
        "{}\nconsole:\n{}",
        bad.join("\n"),
        run.console
    );
    // The spawn after the race failed with the kernel's refusal, not a confinement check.
    assert_ne!(
        r["c-race"]
            .iter()
            .find(|(k, _)| k == "spawn-error")
            .map(|(_, v)| v.as_str()),
        Some("13")
    );
    Ok(())
}

#[test]
fn apparmor_children_run_under_installed_profiles() {
    if let Err(e) = scenario() {
        panic!("kernel harness: {e}");
    }
}
