//! Directory-only rules (language v2, a path with a trailing `/`): checker, merging, the
//! IR's JSON and text forms, the JSON form, the evaluator, the lints, the app bound and
//! the diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use polc_lang::diff::{diff, Change, Direction};
use polc_lang::eval::{evaluate, Reason, Request};
use polc_lang::fmt::format_source;
use polc_lang::ir::text::file_rule_text;
use polc_lang::ir::Policy;
use polc_lang::json;
use polc_lang::rights::Right;

/// The policy of a body of statements (panics on errors).
fn policy(body: &str) -> Policy {
    common::policy(&common::pol(body)).policy
}

/// The codes of every diagnostic of a body of statements.
fn codes(body: &str) -> Vec<String> {
    common::diags(&common::pol(body))
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

#[test]
fn a_trailing_slash_is_a_directory_only_rule_of_the_glob_without_it() {
    let p = policy("allow create delete \"/srv/cache/\"\n allow list \"/srv/{a,b}/\"");
    let rules: Vec<(String, bool)> = p
        .files
        .iter()
        .map(|f| (f.glob.as_str().to_string(), f.dir_only))
        .collect();
    assert_eq!(
        rules,
        [("/srv/cache".into(), true), ("/srv/{a,b}".into(), true)]
    );
    assert_eq!(
        file_rule_text(&p.files[0]),
        r#"allow create delete "/srv/cache/""#
    );
    // The IR's JSON says so only when true: v1 policies keep their bytes.
    let j = p.to_json();
    assert_eq!(j.matches("\"dir_only\": true").count(), 2, "{j}");
    let v1 = policy("allow list \"/srv/a\"").to_json();
    assert!(!v1.contains("dir_only"), "{v1}");
    // The root stays the root, of any type.
    assert!(!policy("allow list \"/\"").files[0].dir_only);
}

#[test]
fn directory_only_and_plain_rules_on_one_glob_do_not_merge() {
    let p = policy("allow list \"/srv/a/\"\n allow create \"/srv/a\"");
    assert_eq!(p.files.len(), 2);
}

#[test]
fn the_checker_refuses_mixed_forms_and_rights_that_never_apply_to_a_directory() {
    assert_eq!(codes("allow create \"/srv/{a/,b}\""), ["E0126"]);
    assert_eq!(codes("allow create \"/srv/a/{,b/}\""), ["E0126"]);
    assert_eq!(codes("allow read \"/srv/a/\""), ["E0127"]);
    assert_eq!(codes("allow manage \"/srv/a/\""), ["E0127"]);
    assert_eq!(codes("deny exec \"/srv/a/\""), ["E0127"]);
    assert!(codes("allow create delete list rename \"/srv/a/\"").is_empty());
    assert_eq!(codes("allow list \"/srv/a//\""), ["E0122"]);
    assert_eq!(codes("allow list \"//\""), ["E0122"]);
    // `owns` paths have any type.
    assert_eq!(codes("owns \"/srv/app/\""), ["E0122"]);
    // After substitution too: the value makes the path end with `/` nowhere, the
    // literal does.
    assert_eq!(
        codes("var d = \"/srv/a\"\n allow read \"${d}/\""),
        ["E0127"]
    );
    assert!(codes("var d = \"/srv/a\"\n allow list \"${d}/\"").is_empty());
}

#[test]
fn the_text_and_json_forms_keep_the_slash() {
    let src = "policy org.example.app {\n    allow create delete \"/srv/cache/\"\n}\n";
    assert_eq!(format_source("d.pol", src).unwrap(), src);
    let (file, diags) = polc_lang::syntax::parse("d.pol", src);
    assert!(diags.is_empty(), "{diags:?}");
    let j = json::to_json_form(&file).unwrap();
    assert!(j.contains("\"/srv/cache/\""), "{j}");
    let back = json::to_ast("d.json", &j).unwrap();
    assert_eq!(back.items[0].body, file.items[0].body);
}

#[test]
fn directory_only_rules_decide_requests_on_directories_only() {
    let p = policy(
        "allow create delete \"/srv/*/\"\n allow create \"/srv/files/*\"\n deny delete \"/srv/keep/\"",
    );
    assert!(evaluate(&p, &Request::dir("/srv/cache", Right::Create)).allowed);
    assert_eq!(
        evaluate(&p, &Request::file("/srv/cache", Right::Create)).reason,
        Reason::DefaultDeny
    );
    // A v1 rule applies to directories as well.
    assert!(evaluate(&p, &Request::dir("/srv/files/x", Right::Create)).allowed);
    assert!(evaluate(&p, &Request::file("/srv/files/x", Right::Create)).allowed);
    // A directory-only deny refuses directories only.
    assert_eq!(
        evaluate(&p, &Request::dir("/srv/keep", Right::Delete)).reason,
        Reason::Denied
    );
}

#[test]
fn lints_see_that_a_directory_only_rule_covers_less() {
    // A plain broader rule covers a directory-only narrower one...
    assert_eq!(
        codes("allow list \"/srv/**\"\n allow list \"/srv/a/\""),
        ["W0201"]
    );
    // ... but not the other way round.
    assert!(codes("allow list \"/srv/*/\"\n allow list \"/srv/a\"").is_empty());
    assert_eq!(
        codes("allow list \"/srv/a/\"\n allow list \"/srv/a/\""),
        ["W0200"]
    );
}

#[test]
fn diff_says_a_directory_only_rule_is_narrower_than_its_v1_twin() {
    let old = policy("allow list \"/srv/*\"");
    let new = policy("allow list \"/srv/*/\"");
    let d = diff(&old, &new);
    let files: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::File(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(files.len(), 1, "{:?}", d.changes);
    assert_eq!(files[0].direction, Direction::Narrowed);
    assert_eq!(files[0].dir, Some(false));
    assert_eq!(files[0].owner, None);
    let w = files[0].witness.clone().unwrap();
    assert!(evaluate(&old, &Request::file(&w, Right::List)).allowed);
    assert!(!evaluate(&new, &Request::file(&w, Right::List)).allowed);
    assert!(evaluate(&new, &Request::dir(&w, Right::List)).allowed);
    // The reverse is a broadening for non-directories; nothing changes for directories.
    let r = diff(&new, &old);
    assert!(r.changes.iter().all(|c| match c {
        Change::File(f) => f.direction == Direction::Broadened && f.dir == Some(false),
        _ => true,
    }));
}
