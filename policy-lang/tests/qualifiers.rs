//! `audit` and `owner` (language v2): syntax and formatter, JSON form, checker, merging,
//! the IR's JSON and text forms, the evaluator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, Reason, Request};
use polc_lang::fmt::format_source;
use polc_lang::ir::text::file_rule_text;
use polc_lang::ir::Policy;
use polc_lang::json;
use polc_lang::rights::Right;
use polc_lang::{load, LoadOptions, Source};

fn policy(body: &str) -> Policy {
    let text = format!("policy org.example.q {{\n{body}\n}}\n");
    match load(&Source::new("q.pol", text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!("{:?}", f.diagnostics),
    }
}

fn codes(body: &str) -> Vec<String> {
    let text = format!("policy org.example.q {{\n{body}\n}}\n");
    match load(&Source::new("q.pol", text), &LoadOptions::default()) {
        Ok(l) => l.warnings.iter().map(|d| d.code.to_string()).collect(),
        Err(f) => f.diagnostics.iter().map(|d| d.code.to_string()).collect(),
    }
}

#[test]
fn qualifiers_format_back_in_canonical_order() {
    let src = "policy org.example.q {\naudit   allow owner read write \"/home/*/**\"\n\
               audit deny capability sys_admin\n}\n";
    let out = format_source("q.pol", src).unwrap();
    assert!(
        out.contains("    audit allow owner read write \"/home/*/**\"\n"),
        "{out}"
    );
    assert!(
        out.contains("    audit deny capability sys_admin\n"),
        "{out}"
    );
    assert_eq!(format_source("q.pol", &out).unwrap(), out);
}

#[test]
fn audit_must_precede_an_effect_and_owner_needs_a_file_rule() {
    assert_eq!(codes("audit read \"/a\""), ["E0001"]);
    assert_eq!(codes("allow owner net connect tcp 443"), ["E0150"]);
    assert_eq!(codes("allow owner capability chown"), ["E0150"]);
    assert_eq!(codes("deny owner signal send to self"), ["E0150"]);
    // `audit` is a keyword now: `allow audit ...` reads `audit` as a right.
    let c = codes("allow audit \"/a\"");
    assert!(!c.is_empty() && c.iter().all(|c| c == "E0001"), "{c:?}");
}

#[test]
fn qualified_rules_never_merge_with_plain_ones() {
    let p = policy(
        "allow read \"/a\"\n audit allow write \"/a\"\n allow owner read \"/a\"\n \
         audit allow net connect tcp 443\n allow net connect tcp 443",
    );
    let texts: Vec<String> = p.files.iter().map(file_rule_text).collect();
    assert_eq!(
        texts,
        [
            r#"allow read "/a""#,
            r#"audit allow write "/a""#,
            r#"allow owner read "/a""#
        ]
    );
    assert_eq!(p.net.len(), 2);
    // IR JSON: fields only when set, so v1 policies keep their bytes.
    let j = p.to_json();
    assert_eq!(j.matches("\"audit\": true").count(), 2, "{j}");
    assert_eq!(j.matches("\"owner\": true").count(), 1, "{j}");
    assert!(!j.contains("false"), "{j}");
}

#[test]
fn plain_rule_is_not_redundant_beside_an_audited_or_owner_one() {
    // Without the qualifiers each pair would be W0200 / W0201.
    assert!(codes("allow read \"/a\"\n audit allow read \"/a\"").is_empty());
    // The audited rule makes the plain one redundant, not the other way round.
    assert_eq!(
        codes("audit allow read \"/a\"\n allow read \"/a\""),
        ["W0200"]
    );
    assert!(codes("allow owner read \"/a/**\"\n allow read \"/a/b\"").is_empty());
    // An audited broader rule does make a plain narrower one redundant.
    assert_eq!(
        codes("audit allow read \"/a/**\"\n allow read \"/a/b\""),
        ["W0201"]
    );
    // A plain broader rule covers an `owner` narrower one.
    assert_eq!(
        codes("allow read \"/a/**\"\n allow owner read \"/a/b\""),
        ["W0201"]
    );
}

#[test]
fn owner_rules_apply_only_to_owned_files() {
    let p = policy("allow owner read write \"/home/*/**\"\n deny owner write \"/srv/**\"\n allow write \"/srv/**\"");
    let not_owned = evaluate(&p, &Request::file("/home/a/x", Right::Read));
    assert_eq!(not_owned.reason, Reason::DefaultDeny);
    assert!(evaluate(&p, &Request::owned_file("/home/a/x", Right::Read)).allowed);
    // `deny owner` refuses only owned files.
    assert!(evaluate(&p, &Request::file("/srv/x", Right::Write)).allowed);
    let d = evaluate(&p, &Request::owned_file("/srv/x", Right::Write));
    assert_eq!(d.reason, Reason::Denied);
}

#[test]
fn audited_decisions_name_an_audit_rule() {
    let p = policy(
        "audit allow read \"/etc/**\"\n allow read \"/etc/hosts\"\n audit deny read \"/etc/shadow\"\n \
         deny read \"/etc/gshadow\"\n audit allow capability chown",
    );
    let audited = |r: Request| evaluate(&p, &r).audited;
    assert!(audited(Request::file("/etc/hosts", Right::Read)));
    assert!(audited(Request::file("/etc/shadow", Right::Read)));
    assert!(!audited(Request::file("/etc/gshadow", Right::Read)));
    assert!(!audited(Request::file("/usr/bin/x", Right::Read)));
    assert!(audited(Request::capability("chown")));
    assert!(!audited(Request::capability("kill")));
}

#[test]
fn json_form_carries_the_qualifiers() {
    let src = "policy org.example.q {\n    audit allow owner read \"/home/*/**\"\n    \
               audit deny net connect tcp 25\n}\n";
    let (file, diags) = polc_lang::syntax::parse("q.pol", src);
    assert!(diags.is_empty(), "{diags:?}");
    let j = json::to_json_form(&file).unwrap();
    assert!(j.contains("\"audit\": true"), "{j}");
    assert!(j.contains("\"owner\": true"), "{j}");
    let back = json::to_ast("q.json", &j).unwrap();
    assert_eq!(back.items[0].body, file.items[0].body);
    // `owner` belongs to rules with paths.
    let bad = r#"{"policy": "org.example.q", "rules": [{"effect": "allow", "owner": true, "capabilities": ["chown"]}]}"#;
    let e = json::to_ast("q.json", bad).unwrap_err();
    assert!(
        e[0].message
            .contains("`owner` belongs to a rule with `paths`"),
        "{e:?}"
    );
}

#[test]
fn diff_says_which_files_an_owner_change_concerns() {
    use polc_lang::diff::{diff, Change, Direction};
    let old = policy("allow read \"/srv/**\"");
    let new = policy("allow owner read \"/srv/**\"");
    let d = diff(&old, &new);
    let files: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::File(f) => Some(f),
            _ => None,
        })
        .collect();
    // Owned files keep `read`; the others lose it.
    assert_eq!(files.len(), 1, "{:?}", d.changes);
    assert_eq!(files[0].direction, Direction::Narrowed);
    assert_eq!(files[0].owner, Some(false));
    let w = files[0].witness.clone().unwrap();
    assert!(evaluate(&old, &Request::file(&w, Right::Read)).allowed);
    assert!(!evaluate(&new, &Request::file(&w, Right::Read)).allowed);
    assert!(evaluate(&new, &Request::owned_file(&w, Right::Read)).allowed);
    // Without owner rules the diff is as before: one unqualified change.
    let d = diff(&old, &policy(""));
    assert!(d.changes.iter().all(|c| match c {
        Change::File(f) => f.owner.is_none(),
        _ => true,
    }));
}
