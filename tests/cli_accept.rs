//! `accept` blocks on the command line: `--strict` refuses a widened rule nobody accepted,
//! lets it through on the backend its block names and still refuses it on another; the
//! report (text and JSON), `explain --target` and `diff` show the acceptance.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::process::Output;

/// The socket rule, widened on SELinux and AppArmor; nothing accepted.
const V1: &str = "tests/diff/accept-v1.pol";
/// The same, with the SELinux widening accepted.
const V2: &str = "tests/diff/accept-v2.pol";
const CONTEXTS: [&str; 2] = ["--selinux-file-contexts", "tests/deploy/file_contexts"];

mod support;

use support::{code, err, out, polc};

/// `polc compile FILE --target TARGET` with the SELinux contexts, the profile to a
/// temporary file, and `extra`.
fn compile(file: &str, target: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("out");
    let mut args = vec!["compile", file, "--target", target, "-o"];
    args.push(artifact.to_str().unwrap());
    args.extend(CONTEXTS);
    args.extend(extra);
    polc(&args)
}

#[test]
fn strict_refuses_what_nobody_accepted_and_only_on_the_other_backends() {
    // Nothing accepted: both backends refuse the socket rule.
    for target in ["selinux", "apparmor"] {
        let o = compile(V1, target, &["--strict"]);
        assert_eq!(code(&o), 1, "{target}: {}", err(&o));
        assert!(
            err(&o).contains("widened: allow unix connect stream path \"/run/peer.sock\""),
            "{target}: {}",
            err(&o)
        );
    }
    // Accepted on SELinux: SELinux passes, without the widening warning either.
    let o = compile(V2, "selinux", &["--strict"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(!err(&o).contains("widened"), "{}", err(&o));
    // AppArmor's widening of the same rule is not accepted: still refused.
    let o = compile(V2, "apparmor", &["--strict"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).contains(
            "widened: allow unix connect stream path \"/run/peer.sock\" at tests/diff/accept-v2.pol:5:9"
        ),
        "{}",
        err(&o)
    );
}

#[test]
fn the_report_shows_the_acceptance_in_text_and_json() {
    let o = compile(V2, "selinux", &["--report", "human"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    insta::assert_snapshot!("report_human", out(&o));
    let o = compile(V2, "selinux", &["--report", "json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let report: Value = serde_json::from_str(&out(&o)).unwrap();
    let accepted: Vec<&Value> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("accepted").is_some())
        .collect();
    assert_eq!(accepted.len(), 1, "{report:#}");
    insta::assert_json_snapshot!("report_json_accepted_entry", accepted[0]);
    // On AppArmor the same rule is widened and not accepted.
    let o = compile(V2, "apparmor", &["--report", "json"]);
    let report: Value = serde_json::from_str(&out(&o)).unwrap();
    assert!(
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("accepted").is_none()),
        "{report:#}"
    );
}

#[test]
fn explain_with_targets_shows_the_acceptance_where_it_shows_the_widened_rule() {
    let mut args = vec![
        "explain",
        V2,
        "--unix",
        "connect:stream:any:/run/other.sock",
        "--target",
        "selinux",
        "--target",
        "apparmor",
    ];
    args.extend(CONTEXTS);
    let o = polc(&args);
    assert_eq!(code(&o), 0, "{}", err(&o));
    insta::assert_snapshot!("explain_targets", out(&o));
}

#[test]
fn diff_reports_an_acceptance_added_as_a_loosening_and_removed_as_a_tightening() {
    let o = polc(&["diff", V1, V2, "--fail-on", "broaden"]);
    assert_eq!(code(&o), 1, "an added acceptance broadens: {}", err(&o));
    insta::assert_snapshot!("diff_added", out(&o));
    let o = polc(&["diff", V2, V1, "--fail-on", "broaden"]);
    assert_eq!(
        code(&o),
        0,
        "a removed acceptance only narrows: {}",
        err(&o)
    );
    insta::assert_snapshot!("diff_removed", out(&o));
    let mut args = vec!["diff", V1, V2, "--target", "selinux", "--format", "json"];
    args.extend(CONTEXTS);
    let o = polc(&args);
    let report: Value = serde_json::from_str(&out(&o)).unwrap();
    insta::assert_json_snapshot!("diff_json_change", report["changes"][0]);
    let rule = &report["targets"][0]["rules"][0];
    assert_eq!(
        rule["rule"],
        "allow unix connect stream path \"/run/peer.sock\""
    );
    assert!(rule["old"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("accepted").is_none()));
    assert!(rule["new"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.get("accepted").is_some()));
}

#[test]
fn landlock_strict_plans_follow_the_same_decision() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("policy org.example.app {{\n{body}\n}}\n")).unwrap();
        path.to_str().unwrap().to_string()
    };
    // Landlock confines abstract sockets only to the process's own domain: widened.
    let plain = write("plain.pol", "allow unix send");
    let accepted = write(
        "accepted.pol",
        "accept widened on landlock \"peers outside the domain are not confined\" {\nallow unix send\n}",
    );
    let o = compile(&plain, "landlock", &["--strict"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("widened `allow unix send`"), "{}", err(&o));
    let o = compile(&accepted, "landlock", &["--strict"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
}
