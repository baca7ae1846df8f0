//! What a backend's kernel would enforce of a diff or a decision, from fidelity reports
//! built in code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod diff_support;

use diff_support::*;
use polc_lang::diff::diff;
use polc_lang::diff::target::{decision_fidelity, target_diff};
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use polc_lang::ir::Effect::{Allow, Deny};
use polc_lang::rights::{Right, Rights};

fn entry(
    list: RuleListKind,
    index: usize,
    rights: Option<Rights>,
    f: Fidelity,
    reason: &str,
) -> RuleFidelity {
    RuleFidelity {
        subject: Subject::Rule { list, index },
        rights,
        fidelity: f,
        reason: reason.into(),
        rule: String::new(),
        origins: Vec::new(),
    }
}

fn report(backend: &str, entries: Vec<RuleFidelity>) -> FidelityReport {
    FidelityReport {
        backend: backend.into(),
        target: "test".into(),
        entries,
        unrestricted: Vec::new(),
    }
}

#[test]
fn a_change_is_shown_with_the_fidelity_of_its_rules() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/etc/**",
        rights(&["read"]),
        None,
        at("old.pol", 1),
    ));
    let mut new = old.clone();
    new.files.push(file_rule(
        Allow,
        "/var/lib/app/**",
        rights(&["read", "write"]),
        None,
        at("new.pol", 2),
    ));
    let d = diff(&old, &new);
    assert_eq!(d.changes.len(), 1);
    let exact = report(
        "apparmor",
        vec![
            entry(RuleListKind::File, 0, None, Fidelity::Exact, ""),
            entry(RuleListKind::File, 1, None, Fidelity::Exact, ""),
        ],
    );
    let t = target_diff(&d, &old, &exact, &new, &exact);
    assert_eq!(t.changes.len(), 1);
    assert_eq!(t.changes[0].fidelity, Fidelity::Exact);
    assert!(!t.widens());
    let wide = report(
        "selinux",
        vec![
            entry(RuleListKind::File, 0, None, Fidelity::Exact, ""),
            entry(
                RuleListKind::File,
                1,
                Some(rights(&["read"])),
                Fidelity::Exact,
                "",
            ),
            entry(
                RuleListKind::File,
                1,
                Some(rights(&["write"])),
                Fidelity::Widened,
                "var_lib_t is wider",
            ),
        ],
    );
    let t = target_diff(&d, &old, &exact, &new, &wide);
    assert_eq!(t.changes[0].fidelity, Fidelity::Widened);
    assert_eq!(t.changes[0].new.len(), 2);
    assert!(t.widens());
    assert!(t.rules.is_empty());
}

#[test]
fn shared_rules_whose_fidelity_changed_are_listed() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/etc/**",
        rights(&["read"]),
        None,
        at("old.pol", 1),
    ));
    let mut new = old.clone();
    new.files.insert(
        0,
        file_rule(
            Deny,
            "/etc/shadow",
            rights(&["read"]),
            None,
            at("new.pol", 2),
        ),
    );
    let d = diff(&old, &new);
    let before = report(
        "landlock",
        vec![entry(RuleListKind::File, 0, None, Fidelity::Exact, "")],
    );
    let after = report(
        "landlock",
        vec![
            entry(
                RuleListKind::File,
                0,
                None,
                Fidelity::Unsupported,
                "no deny in Landlock",
            ),
            entry(
                RuleListKind::File,
                1,
                None,
                Fidelity::Narrowed,
                "expanded at install time",
            ),
        ],
    );
    let t = target_diff(&d, &old, &before, &new, &after);
    assert_eq!(t.rules.len(), 1);
    assert_eq!(t.rules[0].rule, r#"allow read "/etc/**""#);
    assert_eq!(t.rules[0].new[0].fidelity, Some(Fidelity::Narrowed));
    // The narrowing's deny is not enforced.
    assert_eq!(t.changes[0].fidelity, Fidelity::Unsupported);
}

#[test]
fn decisions_per_backend() {
    let mut p = policy("org.example.app");
    p.files.push(file_rule(
        Allow,
        "/etc/**",
        rights(&["read"]),
        None,
        at("app.pol", 1),
    ));
    p.files.push(file_rule(
        Deny,
        "/etc/shadow",
        rights(&["read"]),
        None,
        at("app.pol", 2),
    ));
    let exact = report(
        "apparmor",
        vec![
            entry(RuleListKind::File, 0, None, Fidelity::Exact, ""),
            entry(RuleListKind::File, 1, None, Fidelity::Exact, ""),
        ],
    );
    let no_deny = report(
        "landlock",
        vec![
            entry(RuleListKind::File, 0, None, Fidelity::Exact, ""),
            entry(
                RuleListKind::File,
                1,
                None,
                Fidelity::Unsupported,
                "Landlock has no deny rules",
            ),
        ],
    );
    let shadow = Request::file("/etc/shadow", Right::Read);
    let d = evaluate(&p, &shadow);
    assert_eq!(
        decision_fidelity(&p, &shadow, &d, &exact).fidelity,
        Fidelity::Exact
    );
    let e = decision_fidelity(&p, &shadow, &d, &no_deny);
    assert_eq!(e.fidelity, Fidelity::Widened);
    assert!(
        e.reason.contains("Landlock has no deny rules"),
        "{}",
        e.reason
    );

    let hosts = Request::file("/etc/hosts", Right::Read);
    let d = evaluate(&p, &hosts);
    let narrowed = report(
        "selinux",
        vec![entry(
            RuleListKind::File,
            0,
            None,
            Fidelity::Narrowed,
            "not owned",
        )],
    );
    assert_eq!(
        decision_fidelity(&p, &hosts, &d, &narrowed).fidelity,
        Fidelity::Narrowed
    );
    assert_eq!(
        decision_fidelity(&p, &hosts, &d, &exact).fidelity,
        Fidelity::Exact
    );

    // Default deny: exact, with the widened allows as caveats.
    let other = Request::file("/var/x", Right::Read);
    let d = evaluate(&p, &other);
    let widened = report(
        "selinux",
        vec![entry(
            RuleListKind::File,
            0,
            None,
            Fidelity::Widened,
            "etc_t",
        )],
    );
    let e = decision_fidelity(&p, &other, &d, &widened);
    assert_eq!(e.fidelity, Fidelity::Exact);
    assert_eq!(e.caveats.len(), 1);
}

#[test]
fn removing_a_widened_rule_does_not_widen() {
    let mut old = policy("org.example.app");
    old.net.push(net_rule(
        Allow,
        polc_lang::ir::NetOp::Bind,
        polc_lang::ir::Proto::Tcp,
        8080,
        8089,
        at("old.pol", 1),
    ));
    let new = policy("org.example.app");
    let d = diff(&old, &new);
    assert!(!d.broadens());
    let before = report(
        "apparmor",
        vec![entry(
            RuleListKind::Net,
            0,
            None,
            Fidelity::Widened,
            "abi 3.0: no ports",
        )],
    );
    let t = target_diff(&d, &old, &before, &new, &report("apparmor", vec![]));
    assert_eq!(t.changes[0].fidelity, Fidelity::Widened);
    assert!(!t.widens());
}
