//! Exec modes (`as inherit`, `as child NAME`, `as NAME else inherit`, `as unconfined`) and
//! child policies and hats: syntax, formatter and JSON round trips, the checker, the IR
//! and the evaluator, through the real front end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, evaluate_child, Request};
use polc_lang::ir::{ChildKind, ExecMode, Policy};
use polc_lang::rights::Right;
use polc_lang::{load, LoadOptions, Source};

const WEB: &str = r#"policy org.example.web {
    allow read "/etc/web/**"
    allow read exec "/usr/bin/helper" as child helper
    allow exec "/usr/bin/tool" as org.example.tool else inherit
    allow exec "/usr/bin/sh" as inherit
    allow exec "/usr/bin/admin" as unconfined

    # the helper's own rules
    child helper {
        allow read "/etc/helper.conf" # only this
        deny read "/etc/helper.secret"
    }
    hat login {
        allow read "/etc/web/users"
    }
}
"#;

fn codes(text: &str) -> Vec<String> {
    match load(&Source::new("t.pol", text), &LoadOptions::default()) {
        Ok(l) => l.warnings.iter().map(|d| d.code.to_string()).collect(),
        Err(f) => f.diagnostics.iter().map(|d| d.code.to_string()).collect(),
    }
}

fn policy(text: &str) -> Policy {
    load(&Source::new("t.pol", text), &LoadOptions::default())
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
        .policy
}

#[test]
fn the_evaluator_decides_exec_modes_and_child_requests() {
    let p = policy(WEB);
    let exec = |path: &str| evaluate(&p, &Request::file(path, Right::Exec));
    let d = exec("/usr/bin/helper");
    assert!(d.allowed);
    assert_eq!(
        (d.exec_as.unwrap().as_str(), d.exec_mode),
        ("helper", ExecMode::Child)
    );
    let d = exec("/usr/bin/tool");
    assert_eq!(
        (d.exec_as.unwrap().as_str(), d.exec_mode),
        ("org.example.tool", ExecMode::Fallback)
    );
    let d = exec("/usr/bin/sh");
    assert!(d.allowed && d.exec_as.is_none() && d.exec_mode == ExecMode::Plain);
    let d = exec("/usr/bin/admin");
    assert!(d.allowed && d.exec_mode == ExecMode::Unconfined);

    // A child's rules are its own, both ways.
    let read = |path: &str| Request::file(path, Right::Read);
    assert!(!evaluate(&p, &read("/etc/helper.conf")).allowed);
    assert!(
        evaluate_child(&p, "helper", &read("/etc/helper.conf"))
            .unwrap()
            .allowed
    );
    assert!(
        !evaluate_child(&p, "helper", &read("/etc/web/index.html"))
            .unwrap()
            .allowed
    );
    assert!(
        !evaluate_child(&p, "helper", &read("/etc/helper.secret"))
            .unwrap()
            .allowed
    );
    assert!(
        evaluate_child(&p, "login", &read("/etc/web/users"))
            .unwrap()
            .allowed
    );
    assert!(evaluate_child(&p, "nobody", &read("/etc/web/users")).is_none());
    let kinds: Vec<(&str, ChildKind)> = p
        .children
        .iter()
        .map(|c| (c.policy.name.as_str(), c.kind))
        .collect();
    assert_eq!(
        kinds,
        [("helper", ChildKind::Child), ("login", ChildKind::Hat)]
    );
}

#[test]
fn as_inherit_means_what_no_as_means() {
    let written = policy("policy a { allow exec \"/usr/bin/sh\" as inherit }");
    let implicit = policy("policy a { allow exec \"/usr/bin/sh\" }");
    // Same meaning, same IR (origins aside: both statements sit at the same place).
    assert_eq!(written.files[0].exec_mode, implicit.files[0].exec_mode);
    assert_eq!(written.files[0].exec_as, implicit.files[0].exec_as);
    assert_eq!(written.files[0].rights, implicit.files[0].rights);
}

#[test]
fn the_formatter_and_the_json_form_keep_every_exec_mode_and_child() {
    let formatted = polc_lang::fmt::format_source("t.pol", WEB).unwrap();
    assert_eq!(formatted, WEB);
    let (tree, diags) = polc_lang::syntax::parse("t.pol", WEB);
    assert!(diags.is_empty(), "{diags:?}");
    let json = polc_lang::json::to_json_form(&tree).unwrap();
    assert!(json.contains("\"exec\": \"child\""), "{json}");
    assert!(json.contains("\"hat\": \"login\""), "{json}");
    let back = polc_lang::json::to_ast("t.json", &json).unwrap();
    // The JSON form keeps no comments: compare the meanings.
    let from_json = load(&Source::new("t.json", &json), &LoadOptions::default())
        .unwrap()
        .policy;
    let from_text = policy(WEB);
    assert_eq!(from_json.children.len(), 2);
    assert_eq!(
        from_json.children[0].policy.files.len(),
        from_text.children[0].policy.files.len()
    );
    let modes = |p: &Policy| p.files.iter().map(|f| f.exec_mode).collect::<Vec<_>>();
    assert_eq!(modes(&from_json), modes(&from_text));
    assert_eq!(polc_lang::json::to_json_form(&back).unwrap(), json);
}

#[test]
fn the_checker_reports_each_misuse_with_its_code() {
    let cases: &[(&str, &str)] = &[
        ("policy a { allow exec \"/x\" as child h }", "E0190"),
        (
            "abstraction b { version 1 allow exec \"/x\" as child h }\npolicy a { use b }",
            "E0190",
        ),
        ("policy a { child h { attach \"/x\" } }", "E0191"),
        ("policy a { child h { child g {} } }", "E0191"),
        (
            "policy a { allow exec \"/x\" as child h hat h {} }",
            "E0192",
        ),
        ("policy a { child h {} hat h {} }", "E0193"),
        ("policy a { allow exec \"/x\" as unconfined }", "W0230"),
        ("policy a { deny exec \"/x\" as inherit }", "E0140"),
        ("policy a { allow read \"/x\" as unconfined }", "E0132"),
        (
            "policy a { allow exec \"/x\" as b else inherit allow exec \"/x\" as b }",
            "E0133",
        ),
        ("policy a { allow exec \"/x\" as b else }", "E0001"),
    ];
    for (text, code) in cases {
        let got = codes(text);
        assert!(
            got.iter().any(|c| c == code),
            "{text}: expected {code}, got {got:?}"
        );
    }
    // A child's rules are checked like any rule.
    assert!(codes("policy a { child h { allow reed \"/x\" } }").contains(&"E0101".to_string()));
}

#[test]
fn diff_reports_exec_mode_and_child_changes_as_changes_of_meaning() {
    use polc_lang::diff::{diff, Change, Direction};
    let old = policy(
        r#"policy a {
    allow exec "/usr/bin/helper" as helper
    allow exec "/usr/bin/tool" as tool
    child helper {
        allow read "/etc/helper.conf"
    }
}"#,
    );
    let new = policy(
        r#"policy a {
    allow exec "/usr/bin/helper" as child helper
    allow exec "/usr/bin/tool" as tool else inherit
    child helper {
        allow read "/etc/helper.conf", "/etc/helper.d/**"
    }
    hat login {}
}"#,
    );
    let d = diff(&old, &new);
    let transitions: Vec<(Option<String>, ExecMode, ExecMode)> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Transition(t) => Some((t.witness.clone(), t.old_mode, t.new_mode)),
            _ => None,
        })
        .collect();
    assert_eq!(
        transitions,
        [
            (
                Some("/usr/bin/helper".into()),
                ExecMode::Plain,
                ExecMode::Child
            ),
            (
                Some("/usr/bin/tool".into()),
                ExecMode::Plain,
                ExecMode::Fallback
            ),
        ]
    );
    let children: Vec<(&str, Direction, usize)> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Child(k) => Some((k.name.as_str(), k.direction, k.changes.len())),
            _ => None,
        })
        .collect();
    assert_eq!(
        children,
        [
            ("helper", Direction::Changed, 1),
            ("login", Direction::Broadened, 0)
        ]
    );
    // The same policies: nothing changed.
    assert!(diff(&new, &new).changes.is_empty());
}
