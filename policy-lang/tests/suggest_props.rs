//! `denial::suggest` against the evaluator: the proposed rules, added to the policy, make
//! it allow every logged request that no `deny` rule of the policy refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::denial::{suggest, Access, Denial, Lsm, PathHint};
use polc_lang::eval::{evaluate, Reason, Request};
use polc_lang::ir::{NetOp, Policy, Proto};
use polc_lang::rights::Right;
use polc_lang::{load, LoadOptions, Source};
use proptest::prelude::*;
use std::collections::BTreeMap;

const HEAD: &str = "policy org.example.app {\n    use base\n";
const DENIES: [&str; 4] = [
    "    deny write \"/etc/**\"\n",
    "    deny read \"/root/.ssh/**\"\n",
    "    deny read write \"/srv/data/a\"\n",
    "    deny create \"/var/lib/app/locked/*\"\n",
];

fn load_text(text: &str) -> Policy {
    load(&Source::new("app.pol", text), &LoadOptions::default())
        .map_err(|f| {
            f.diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|e| panic!("{text}\n{e:?}"))
        .policy
}

const DIRS: [&str; 12] = [
    "/etc",
    "/etc/app",
    "/usr/lib/python3.11",
    "/usr/lib/python3.11/encodings",
    "/proc/42",
    "/proc/7/task/9",
    "/root",
    "/root/.ssh",
    "/home/ann/.cache",
    "/tmp/tmpab12cd9",
    "/srv/data",
    "/var/lib/app/locked",
];
const NAMES: [&str; 9] = [
    "a",
    "b.conf",
    "libz.so.1.2",
    "data.Xa9k2Q",
    "c",
    "d",
    "e",
    "f",
    "a*b",
];

fn access() -> impl Strategy<Value = Access> {
    let right = prop::sample::select(Right::ALL.to_vec());
    prop_oneof![
        6 => (prop::sample::select(DIRS.to_vec()), prop::sample::select(NAMES.to_vec()), right.clone())
            .prop_map(|(d, n, right)| Access::File { path: PathHint::Exact(format!("{d}/{n}")), right }),
        2 => (prop::sample::select(DIRS.to_vec()), prop::sample::select(vec![Right::Create, Right::Delete, Right::Rename]))
            .prop_map(|(d, right)| Access::File { path: PathHint::ChildOf(d.to_string()), right }),
        // A directory (AppArmor's trailing `/`, SELinux's `tclass=dir`).
        2 => (prop::sample::select(DIRS.to_vec()), prop::sample::select(NAMES.to_vec()),
              prop::sample::select(vec![Right::Create, Right::Delete, Right::Rename, Right::List, Right::Read]))
            .prop_map(|(d, n, right)| Access::File { path: PathHint::Directory(format!("{d}/{n}")), right }),
        1 => (prop::sample::select(vec![NetOp::Connect, NetOp::Bind]), 1u16..3000)
            .prop_map(|(op, port)| Access::Net { op: Some(op), proto: Proto::Tcp, family: None, port: Some(port) }),
        1 => prop::sample::select(vec!["chown", "net_bind_service", "setuid"])
            .prop_map(|n| Access::Capability { name: n.to_string() }),
    ]
}

fn denial(accesses: Vec<Access>) -> Denial {
    Denial {
        lsm: Lsm::Landlock,
        subject: Some("1a2b".into()),
        subject_policy: None,
        permissions: Vec::new(),
        accesses,
        complain: false,
        notes: Vec::new(),
        fields: BTreeMap::new(),
    }
}

/// The request an access stands for: an entry of the directory for `ChildOf`.
fn request(a: &Access) -> Option<Request> {
    match a {
        Access::File {
            path: PathHint::ChildOf(d),
            right,
        } => Some(Request::file(&format!("{d}/zz9"), *right)),
        _ => a.request(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn proposed_rules_allow_every_logged_request_no_deny_covers(
        records in prop::collection::vec(prop::collection::vec(access(), 1..4), 1..12),
        denies in prop::collection::vec(any::<bool>(), 4),
    ) {
        let mut text = HEAD.to_string();
        for (d, on) in DENIES.iter().zip(&denies) {
            if *on {
                text.push_str(d);
            }
        }
        let old = load_text(&format!("{text}}}\n"));
        let denials: Vec<Denial> = records.into_iter().map(denial).collect();
        let s = suggest(&old, &denials);
        for r in &s.rules {
            prop_assert!(!r.rule.contains("\"/**\""), "catch-all: {}", r.rule);
            prop_assert!(!r.rule.contains("capability all"), "{}", r.rule);
        }
        let mut new_text = text.clone();
        for line in s.rule_lines() {
            new_text.push_str(&format!("    {line}\n"));
        }
        let new = load_text(&format!("{new_text}}}\n"));
        for d in &denials {
            for a in &d.accesses {
                let Some(req) = request(a) else { continue };
                if evaluate(&old, &req).reason == Reason::Denied {
                    prop_assert!(!evaluate(&new, &req).allowed, "a deny rule still refuses {req:?}");
                    continue;
                }
                prop_assert!(
                    evaluate(&new, &req).allowed,
                    "{req:?} not allowed after adding\n{}", s.rule_lines().join("\n")
                );
            }
        }
        // Every access is accounted for: proposed, on purpose, allowed or inexpressible.
        prop_assert!(s.records == denials.len());
    }
}

#[test]
fn deny_rules_are_named_not_overridden() {
    let text = format!("{HEAD}{}}}\n", DENIES[1]);
    let p = load_text(&text);
    let d = denial(vec![Access::File {
        path: PathHint::Exact("/root/.ssh/id_ed25519".into()),
        right: Right::Read,
    }]);
    let s = suggest(&p, &[d]);
    assert!(s.rules.is_empty(), "{:?}", s.rules);
    assert_eq!(s.denied_on_purpose.len(), 1);
    let at = &s.denied_on_purpose[0].rules[0].origins[0];
    assert_eq!((&*at.file, at.line), ("app.pol", 3));
}

#[test]
fn a_creation_every_entry_of_which_a_deny_refuses_is_denied_on_purpose() {
    let text = format!("{HEAD}{}}}\n", DENIES[3]);
    let p = load_text(&text);
    let d = denial(vec![Access::File {
        path: PathHint::ChildOf("/var/lib/app/locked".into()),
        right: Right::Create,
    }]);
    let s = suggest(&p, &[d]);
    assert!(s.rules.is_empty(), "{:?}", s.rules);
    assert_eq!(s.denied_on_purpose[0].rules[0].origins[0].line, 3);
}

#[test]
fn other_subjects_are_skipped_and_counted() {
    let p = load_text(&format!("{HEAD}}}\n"));
    let mut d = denial(vec![Access::Capability {
        name: "chown".into(),
    }]);
    d.subject_policy = Some("org.example.other".into());
    let s = suggest(&p, &[d.clone(), d]);
    assert!(s.rules.is_empty());
    assert_eq!(s.records, 0);
    assert_eq!(s.other_subjects[0].subject, "org.example.other");
    assert_eq!(s.other_subjects[0].records, 2);
}

#[test]
fn many_entries_of_a_directory_become_a_glob_past_the_threshold() {
    let p = load_text(&format!("{HEAD}}}\n"));
    let reads = |n: usize| -> Vec<Denial> {
        (0..n)
            .map(|i| {
                denial(vec![Access::File {
                    path: PathHint::Exact(format!("/srv/www/f{i}.html")),
                    right: Right::Read,
                }])
            })
            .collect()
    };
    let below = suggest(&p, &reads(polc_lang::denial::suggest::DIR_THRESHOLD - 1));
    assert_eq!(below.rules.len(), 3);
    let past = suggest(&p, &reads(polc_lang::denial::suggest::DIR_THRESHOLD));
    assert_eq!(past.rule_lines(), ["allow read \"/srv/www/*\""]);
    // Never a top-level directory.
    let top: Vec<Denial> = (0..6)
        .map(|i| {
            denial(vec![Access::File {
                path: PathHint::Exact(format!("/etc/f{i}")),
                right: Right::Read,
            }])
        })
        .collect();
    assert_eq!(suggest(&p, &top).rules.len(), 6);
}
