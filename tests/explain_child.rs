//! `polc explain --child NAME`: a request decided in a child policy or hat, and how an
//! allowed exec runs (child, fallback, unconfined).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn polc(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1),
    )
}

const FILE: &str = "tests/corpus/ok/exec-modes.pol";

#[test]
fn explain_addresses_a_child_and_names_the_exec_mode() {
    let (out, code) = polc(&[
        "explain",
        FILE,
        "--path",
        "/usr/bin/helper",
        "--access",
        "exec",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("runs as: org.example.web//helper (child policy)"),
        "{out}"
    );
    assert!(
        out.contains("allow read exec \"/usr/bin/helper\" as child helper"),
        "{out}"
    );
    let (out, _) = polc(&[
        "explain",
        FILE,
        "--path",
        "/usr/bin/admin",
        "--access",
        "exec",
    ]);
    assert!(out.contains("runs as: unconfined"), "{out}");
    // The child's own rules decide, both ways.
    let read = |child: &str, path: &str| {
        polc(&[
            "explain", FILE, "--child", child, "--path", path, "--access", "read",
        ])
        .0
    };
    assert!(read("helper", "/etc/helper.conf").contains("allowed: read /etc/helper.conf"));
    assert!(read("helper", "/etc/web/index.html").contains("denied: read /etc/web/index.html"));
    assert!(read("login", "/etc/web/users").contains("allowed: read /etc/web/users"));
    let (out, code) = polc(&[
        "explain", FILE, "--child", "nope", "--path", "/x", "--access", "read",
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("has no child or hat `nope` (it has: helper, login)"),
        "{out}"
    );
}
