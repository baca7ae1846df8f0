//! Exec modes and child policies in AppArmor: `cx` into a child profile written inside the
//! parent, hats, `pix` fallbacks and `ux`, judged by `apparmor_parser`; strict refuses an
//! unconfined exec.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use polc_apparmor::{compile, Config, Error};
use polc_lang::fidelity::{Fidelity, Subject};
use polc_lang::ir::Policy;
use polc_lang::{load, LoadOptions, Source};

fn load_text(text: &str) -> Policy {
    match load(&Source::new("exec.pol", text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!(
            "does not load: {:?}",
            f.diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message))
                .collect::<Vec<_>>()
        ),
    }
}

const PARENT: &str = r#"policy org.example.web {
    allow read exec "/usr/bin/helper" as child helper
    allow exec "/usr/bin/tool" as org.example.tool else inherit
    allow read "/etc/web/**"
    child helper {
        allow read "/etc/helper.conf"
    }
    hat login {
        allow read "/etc/web/users"
    }
}
"#;

#[test]
fn children_hats_and_fallbacks_are_profiles_apparmor_parser_accepts() {
    let out = compile(&load_text(PARENT), &Config::default()).unwrap();
    let t = &out.text;
    assert!(t.contains("\"/usr/bin/helper\" rcx -> \"helper\","), "{t}");
    assert!(
        t.contains("\"/usr/bin/tool\" mpix -> \"org.example.tool\","),
        "{t}"
    );
    assert!(
        t.contains("\n  profile \"helper\" {\n    \"/etc/helper.conf\" r,\n  }\n"),
        "{t}"
    );
    assert!(
        t.contains("\n  ^\"login\" {\n    \"/etc/web/users\" r,\n  }\n"),
        "{t}"
    );
    // The child's rules are its own: the parent's read of /etc/web/** is not in it.
    let child = t.split("profile \"helper\"").nth(1).unwrap();
    let child = child.split("  }").next().unwrap();
    assert!(!child.contains("/etc/web"), "{t}");
    common::assert_accepted(t);
    // One entry per child and per child rule, addressed by the child's index.
    let subjects: Vec<Subject> = out.report.entries.iter().map(|e| e.subject).collect();
    assert!(subjects.contains(&Subject::Child { child: 0 }));
    assert!(subjects.contains(&Subject::Child { child: 1 }));
    assert!(out.report.entries.iter().any(|e| matches!(
        e.subject,
        Subject::ChildRule { child: 1, .. }
    ) && e.rule
        == "hat login: allow read \"/etc/web/users\""));
}

#[test]
fn an_unconfined_exec_is_ux_reported_widened_and_refused_by_strict() {
    let p = load_text(
        r#"policy org.example.app {
    allow exec "/usr/bin/admin" as unconfined
}
"#,
    );
    let out = compile(&p, &Config::default()).unwrap();
    assert!(out.text.contains("\"/usr/bin/admin\" ux,"), "{}", out.text);
    common::assert_accepted(&out.text);
    let e = out
        .report
        .entries
        .iter()
        .find(|e| e.rule.contains("as unconfined"))
        .unwrap();
    assert_eq!(e.fidelity, Fidelity::Widened);
    let strict = Config {
        strict: true,
        ..Config::default()
    };
    match compile(&p, &strict) {
        Err(Error::Strict { .. }) => {}
        other => panic!("strict compiled an unconfined exec: {other:?}"),
    }
    // A child exec is exact: strict accepts it.
    let child = load_text(
        r#"policy org.example.app {
    allow read exec "/usr/bin/helper" as child helper
    child helper {
        allow read "/etc/helper.conf"
    }
}
"#,
    );
    compile(&child, &strict).unwrap();
}
