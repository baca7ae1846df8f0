//! The harness itself against the real kernel: a hand-written AppArmor profile is enforced
//! on the attached probe and not on an unconfined one, and a deliberately wrong
//! expectation is detected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::probe::{build_static, Case, Outcome};
use polc_kernel_harness::vm::Lsm;
use polc_kernel_harness::{kernel, Result};

fn case(id: &str, exec: &str, op: &[&str]) -> Case {
    Case {
        id: id.into(),
        exec_attr: None,
        exec_path: exec.into(),
        op: op.iter().map(|s| s.to_string()).collect(),
    }
}

fn smoke() -> Result<()> {
    let k = kernel::fetch()?;
    let probe = build_static()?;
    let profile = "abi <abi/3.0>,\nprofile smoke /usr/bin/confined {\n  /usr/bin/confined mr,\n  /data/** r,\n  deny /data/secret r,\n}\n";
    let run = Guest::new(Lsm::AppArmor, &probe)?
        .with_apparmor_parser()?
        .probe_at("/usr/bin/confined")
        .file("/data/secret", 0o644, b"s")
        .file("/data/public", 0o644, b"p")
        .file("/etc/polc/smoke.aa", 0o644, profile.as_bytes())
        .setup("apparmor_parser -r /etc/polc/smoke.aa")
        .cases([
            case(
                "confined-public",
                "/usr/bin/confined",
                &["read", "/data/public"],
            ),
            case(
                "confined-secret",
                "/usr/bin/confined",
                &["read", "/data/secret"],
            ),
            case(
                "confined-write",
                "/usr/bin/confined",
                &["write", "/data/public"],
            ),
            case(
                "unconfined-secret",
                "/bin/polc-probe",
                &["read", "/data/secret"],
            ),
        ])
        .boot(&k.vmlinuz)?;
    assert!(
        run.console.contains("POLC-LSM") && run.console.contains("apparmor"),
        "{}",
        run.console
    );
    let expect = [
        ("confined-public", Outcome::Errno(0)),
        ("confined-secret", Outcome::Errno(libc_eacces())),
        ("confined-write", Outcome::Errno(libc_eacces())),
        ("unconfined-secret", Outcome::Errno(0)),
    ];
    for (id, want) in expect {
        assert_eq!(run.results.get(id), Some(&want), "case {id}");
    }
    // A wrong expectation is a mismatch: the harness cannot pass vacuously.
    assert_ne!(run.results.get("confined-secret"), Some(&Outcome::Errno(0)));
    Ok(())
}

fn libc_eacces() -> i32 {
    13
}

#[test]
fn apparmor_profile_is_enforced_in_the_vm() {
    if let Err(e) = smoke() {
        panic!("kernel harness: {e}");
    }
}
