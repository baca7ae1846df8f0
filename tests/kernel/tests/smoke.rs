//! The harness itself against the real kernel: a hand-written AppArmor profile is enforced
//! on the attached probe and not on an unconfined one, and the differential tests' judge
//! detects a deliberately wrong expectation run in the guest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_kernel_harness::differential::{Limits, Pair, Tally};
use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::probe::{build_static, Case, Outcome};
use polc_kernel_harness::vm::Lsm;
use polc_kernel_harness::{kernel, Result};
use polc_lang::fidelity::Fidelity;

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
                "confined-secret-again",
                "/usr/bin/confined",
                &["read", "/data/secret"],
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
        // The same operation as `confined-secret`, run again in the guest.
        ("confined-secret-again", Outcome::Errno(libc_eacces())),
    ];
    for (id, want) in expect {
        assert_eq!(run.results.get(id), Some(&want), "case {id}");
    }
    // The judge of the differential tests, on this run: the right expectations agree, and a
    // deliberately wrong one (the refused read of `/data/secret` expected allowed) is a
    // mismatch. A kernel that enforced nothing would answer 0 to it and fail here.
    let pair = |id: &str, op: &[&str], expected: bool, wrong: bool| Pair {
        case: case(id, "/usr/bin/confined", op),
        policy: profile.to_string(),
        expected,
        fidelity: Fidelity::Exact,
        requests: op.join(" "),
        deliberately_wrong: wrong,
        known_gap: None,
    };
    let pairs = [
        pair("confined-public", &["read", "/data/public"], true, false),
        pair("confined-secret", &["read", "/data/secret"], false, false),
        pair("confined-write", &["write", "/data/public"], false, false),
        pair(
            "confined-secret-again",
            &["read", "/data/secret"],
            true,
            true,
        ),
    ];
    let mut tally = Tally::new("apparmor (smoke)");
    tally.judge_all(&pairs, &run.results);
    assert_eq!(tally.self_checks, (1, 1), "{}", tally.summary());
    assert_eq!((tally.pairs, tally.equal), (3, 3), "{}", tally.summary());
    if let Err(report) = tally.verdict(3, Limits::default()) {
        panic!("{report}");
    }
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
