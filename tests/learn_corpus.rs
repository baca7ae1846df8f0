//! `polc suggest` on real denial records of the three LSMs (`tests/learn/*.log`, each
//! against the policies named in `CASES`): the proposal, human and JSON, snapshotted.
//! Review changes with `cargo insta review`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

/// (log, policy, what it shows)
const CASES: &[(&str, &str)] = &[
    // Landlock records of this host: temporary names, a working directory, package
    // trees, ports, /proc/PID under a deny rule.
    ("landlock-host.log", "landlock-app.pol"),
    // AppArmor: a deny rule named, a socket without a port, other profiles skipped.
    ("apparmor-curl.log", "apparmor-curl.pol"),
    // The same log for another of its profiles: /proc/PID generalised.
    ("apparmor-curl.log", "neutron.pol"),
    // AppArmor complain mode (ALLOWED records count as requests), six entries of one
    // directory past the threshold.
    ("apparmor-smbd-complain.log", "smbd.pol"),
    // SELinux: ports, last path components only.
    ("selinux-httpd.log", "httpd.pol"),
];

fn suggest(log: &str, policy: &str, json: bool) -> (i32, String) {
    let mut args = vec![
        "suggest".to_string(),
        "--from-log".into(),
        format!("tests/learn/{log}"),
        format!("tests/learn/{policy}"),
    ];
    if json {
        args.extend(["--format".into(), "json".into()]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let mut text = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    if !err.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&err);
    }
    (o.status.code().unwrap(), text)
}

#[test]
fn suggestions_of_real_records() {
    for (log, policy) in CASES {
        let name = format!(
            "{}__{}",
            log.trim_end_matches(".log"),
            policy.trim_end_matches(".pol")
        );
        let (code, human) = suggest(log, policy, false);
        assert_eq!(code, 0, "{name}: {human}");
        insta::assert_snapshot!(format!("{name}__human"), human);
        let (code, json) = suggest(log, policy, true);
        assert_eq!(code, 0, "{name}: {json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        insta::assert_json_snapshot!(format!("{name}__json"), v["suggestions"]);
    }
}

#[test]
fn the_proposal_added_to_the_policy_checks() {
    for (log, policy) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(policy);
        std::fs::copy(
            format!("{}/tests/learn/{policy}", env!("CARGO_MANIFEST_DIR")),
            &copy,
        )
        .unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(["suggest", "--write", "--from-log"])
            .arg(format!("{}/tests/learn/{log}", env!("CARGO_MANIFEST_DIR")))
            .arg(&copy)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let check = Command::new(env!("CARGO_BIN_EXE_polc"))
            .arg("check")
            .arg(&copy)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let text = std::fs::read_to_string(&copy).unwrap();
        if out.contains("# written to") {
            assert!(text.contains("# Added by `polc suggest` from"), "{text}");
            assert!(out.contains("broadened"), "{out}");
        }
        // Formatted: fmt --check finds nothing to change.
        let fmt = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(["fmt", "--check"])
            .arg(&copy)
            .output()
            .unwrap();
        assert!(fmt.status.success(), "{text}");
    }
}

#[test]
fn a_log_without_denials_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty.log");
    std::fs::write(&log, "Dec  7 07:00:00 host kernel: eth0: link up\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["suggest", "--from-log"])
        .arg(&log)
        .arg(format!(
            "{}/tests/learn/httpd.pol",
            env!("CARGO_MANIFEST_DIR")
        ))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no AppArmor, SELinux or Landlock denial record"),
        "{err}"
    );
}

#[test]
fn the_log_is_read_from_standard_input_with_dash() {
    use std::io::Write;
    let root = env!("CARGO_MANIFEST_DIR");
    let log = std::fs::read(format!("{root}/tests/learn/apparmor-curl.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "suggest",
            "--from-log",
            "-",
            "tests/learn/apparmor-curl.pol",
        ])
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&log).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("# polc suggest: 3 rules for org.example.curl from <stdin>\n"),
        "{out}"
    );
    // Both `-`: refused, standard input is read once.
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["suggest", "--from-log", "-", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
