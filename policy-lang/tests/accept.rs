//! `accept` blocks: parsed with spans, told from the unix operation `accept`, lowered into
//! the origins of the rules inside, and decided by `RuleFidelity::accepted_by` (the one
//! place strict mode, reports, `explain` and `diff` ask).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::ast::StmtKind;
use polc_lang::diagnostics::Code;
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use polc_lang::ir::{AcceptTarget, Acceptance, Origin};
use polc_lang::syntax::parse;

const BLOCK: &str = r#"policy org.example.app {
    accept widened, unsupported on selinux, landlock "by label" { # why
        allow read "/etc/passwd"
    }
}
"#;

#[test]
fn the_block_parses_with_spans_and_its_trailing_comment() {
    let (file, diags) = parse("t.pol", BLOCK);
    assert!(diags.is_empty(), "{diags:#?}");
    let st = &file.items[0].body[0];
    let StmtKind::Accept(a) = &st.kind else {
        panic!("{st:?}")
    };
    let at = |s: polc_lang::span::Span| &BLOCK[s.start..s.end];
    let words = |v: &[polc_lang::span::Spanned<String>]| {
        v.iter().map(|w| at(w.span).to_string()).collect::<Vec<_>>()
    };
    assert_eq!(words(&a.fidelities), ["widened", "unsupported"]);
    assert_eq!(words(&a.targets), ["selinux", "landlock"]);
    assert_eq!(a.reason.node, "by label");
    assert_eq!(at(a.reason.span), "\"by label\"");
    assert_eq!(a.body.len(), 1);
    assert!(at(st.span).starts_with("accept widened") && at(st.span).ends_with('}'));
    assert_eq!(st.trailing_comment.as_ref().unwrap().text, " why");
    assert_eq!(polc_lang::fmt::format(&file), BLOCK);
}

#[test]
fn a_unix_accept_operation_is_not_a_block() {
    // The unix rule's operation list ends before `accept widened`; `accept` after it on
    // the same line with no fidelity stays an operation.
    let text =
        pol("allow unix connect accept\naccept widened on selinux \"r\" {\nallow unix send\n}");
    let (file, diags) = parse("t.pol", &text);
    assert!(diags.is_empty(), "{diags:#?}");
    let body = &file.items[0].body;
    assert_eq!(body.len(), 2, "{body:#?}");
    let StmtKind::Unix(u) = &body[0].kind else {
        panic!("{:?}", body[0])
    };
    assert_eq!(u.ops.len(), 2);
    assert!(matches!(body[1].kind, StmtKind::Accept(_)));
    // After a list that could go on (capabilities, `use`), too.
    let text = pol("allow capability chown\naccept widened on selinux \"r\" {\n}");
    assert!(parse("t.pol", &text).1.is_empty());
}

fn acceptance(fidelity: Fidelity, target: AcceptTarget, reason: &str) -> Acceptance {
    Acceptance {
        fidelity,
        target,
        reason: reason.to_string(),
    }
}

#[test]
fn lowering_gives_each_statement_inside_the_blocks_acceptances() {
    let l = policy(BLOCK);
    let f = &l.policy.files[0];
    let accepts = &f.origins[0].origin.accepts;
    assert_eq!(
        accepts,
        &vec![
            acceptance(Fidelity::Widened, AcceptTarget::Selinux, "by label"),
            acceptance(Fidelity::Widened, AcceptTarget::Landlock, "by label"),
            acceptance(Fidelity::Unsupported, AcceptTarget::Selinux, "by label"),
            acceptance(Fidelity::Unsupported, AcceptTarget::Landlock, "by label"),
        ]
    );
    // A rule outside any block accepts nothing and serializes as before.
    let l = policy(&pol("allow read \"/etc/passwd\""));
    assert!(l.policy.files[0].origins[0].origin.accepts.is_empty());
    assert!(!l.policy.to_json().contains("accepts"));
}

#[test]
fn blocks_work_in_abstractions_children_and_for_unix_rules() {
    let text = r#"abstraction names {
    version 1
    accept widened on selinux "labels" {
        allow read "/etc/hosts"
    }
}
policy org.example.app {
    use names
    accept unsupported on landlock "paths" {
        allow unix connect stream path "/run/a.sock"
        allow net netlink route
    }
    child helper {
        accept widened on apparmor "child" {
            allow read "/etc/child"
        }
    }
    allow exec "/usr/bin/helper" as child helper
}
"#;
    let l = policy(text);
    let p = &l.policy;
    let hosts = p
        .files
        .iter()
        .find(|f| f.glob.as_str() == "/etc/hosts")
        .unwrap();
    assert_eq!(hosts.origins[0].origin.via, ["names"]);
    assert_eq!(
        hosts.origins[0].origin.accepts[0].target,
        AcceptTarget::Selinux
    );
    assert_eq!(
        p.unix[0].origins[0].accepts[0].target,
        AcceptTarget::Landlock
    );
    assert_eq!(p.net_families[0].origins[0].accepts[0].reason, "paths");
    let child = &p.children[0].policy;
    assert_eq!(child.files[0].origins[0].origin.accepts[0].reason, "child");
}

fn entry(fidelity: Fidelity, origins: Vec<Origin>) -> RuleFidelity {
    RuleFidelity {
        subject: Subject::Rule {
            list: RuleListKind::File,
            index: 0,
        },
        rights: None,
        fidelity,
        reason: "kernel".into(),
        rule: "allow read \"/etc/passwd\"".into(),
        origins,
    }
}

/// The origins of the one file rule of `body`.
fn origins(body: &str) -> Vec<Origin> {
    let l = policy(&pol(body));
    l.policy.files[0]
        .origins
        .iter()
        .map(|o| o.origin.clone())
        .collect()
}

#[test]
fn an_entry_is_accepted_when_every_origin_accepts_its_fidelity_on_the_backend() {
    let inside = "accept widened on selinux \"by label\" {\nallow read \"/etc/passwd\"\n}";
    let o = origins(inside);
    let widened = entry(Fidelity::Widened, o.clone());
    assert_eq!(widened.accepted_by("selinux"), Some("by label"));
    // Another backend, another fidelity: not accepted.
    assert_eq!(widened.accepted_by("landlock"), None);
    assert_eq!(widened.accepted_by("apparmor"), None);
    assert_eq!(
        entry(Fidelity::Unsupported, o.clone()).accepted_by("selinux"),
        None
    );
    // Exact and narrowed are never "accepted": strict does not refuse them anyway.
    assert_eq!(
        entry(Fidelity::Exact, o.clone()).accepted_by("selinux"),
        None
    );
    // One statement outside the block, merged into the same rule: not accepted.
    let both = origins(&format!("{inside}\nallow read \"/etc/passwd\""));
    assert_eq!(both.len(), 2);
    assert_eq!(entry(Fidelity::Widened, both).accepted_by("selinux"), None);
    // No origins (the mode, say): not accepted.
    assert_eq!(
        entry(Fidelity::Widened, Vec::new()).accepted_by("selinux"),
        None
    );
}

#[test]
fn strict_violations_leave_out_accepted_entries_and_the_json_says_why() {
    let o = origins("accept widened on selinux \"by label\" {\nallow read \"/etc/passwd\"\n}");
    let report = |backend: &str| FidelityReport {
        backend: backend.into(),
        target: "t".into(),
        entries: vec![entry(Fidelity::Widened, o.clone())],
        unrestricted: Vec::new(),
    };
    assert_eq!(report("selinux").strict_violations().count(), 0);
    assert_eq!(report("landlock").strict_violations().count(), 1);
    let json: serde_json::Value = serde_json::to_value(report("selinux")).unwrap();
    assert_eq!(json["entries"][0]["accepted"], "by label");
    let json: serde_json::Value = serde_json::to_value(report("landlock")).unwrap();
    assert!(json["entries"][0].get("accepted").is_none());
    // The serialized report reads back as the report (`accepted` is derived).
    let text = serde_json::to_string(&report("selinux")).unwrap();
    let back: FidelityReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report("selinux"));
}

#[test]
fn errors_point_at_the_offending_word() {
    let text = pol("accept widened, exact on selinx \"\" {\nversion 1\nallow read \"/a\"\n}");
    let ds = diags(&text);
    let got: Vec<(Code, &str)> = ds.iter().map(|d| (d.code, underlined(&text, d))).collect();
    assert_eq!(
        got,
        [
            (Code::AcceptFidelity, "exact"),
            (Code::AcceptTarget, "selinx"),
            (Code::AcceptReason, "\"\""),
            (Code::NotInAccept, "version 1"),
        ]
    );
    assert!(ds[1]
        .help
        .as_deref()
        .unwrap()
        .contains("did you mean `selinux`?"));
}

#[test]
fn the_diff_reports_acceptances_added_removed_and_reworded() {
    use polc_lang::diff::{diff, Change, Direction};
    let rule = "allow read \"/etc/passwd\"";
    let plain = policy(&pol(rule)).policy;
    let accepted = |reason: &str| {
        policy(&pol(&format!(
            "accept widened on selinux \"{reason}\" {{\n{rule}\n}}"
        )))
        .policy
    };
    let only = |d: polc_lang::diff::Diff| {
        assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
        let Some(Change::Accept(a)) = d.changes.into_iter().next() else {
            panic!("an acceptance change expected")
        };
        a
    };
    let added = only(diff(&plain, &accepted("labels")));
    assert_eq!(added.direction, Direction::Broadened);
    assert_eq!(added.rule, rule);
    assert_eq!((added.old, added.new.as_deref()), (None, Some("labels")));
    assert_eq!(added.target, AcceptTarget::Selinux);
    assert_eq!(added.origins[0].line, 3);
    let removed = only(diff(&accepted("labels"), &plain));
    assert_eq!(removed.direction, Direction::Narrowed);
    let reworded = only(diff(&accepted("labels"), &accepted("types")));
    assert_eq!(reworded.direction, Direction::Changed);
    assert!(diff(&accepted("labels"), &accepted("labels")).is_empty());
    // Accepted by one statement of two: the rule is not accepted, nothing to report.
    let half = policy(&pol(&format!(
        "accept widened on selinux \"labels\" {{\n{rule}\n}}\n{rule}"
    )))
    .policy;
    assert!(diff(&plain, &half).is_empty());
}

#[test]
fn the_json_form_writes_each_rule_of_a_block_with_its_accept_object() {
    use polc_lang::json::Document;
    let text = pol(
        "accept widened on selinux, landlock \"labels\" {\nallow read \"/etc/passwd\"\nallow net connect tcp 53\n}\nallow read \"/etc/hosts\"",
    );
    let (file, diags) = parse("app.pol", &text);
    assert!(diags.is_empty(), "{diags:#?}");
    let doc = Document::from_ast(&file).unwrap();
    let json = serde_json::to_value(&doc).unwrap();
    let spec = serde_json::json!({"fidelities": ["widened"], "on": ["selinux", "landlock"], "reason": "labels"});
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3, "{json:#}");
    assert_eq!(rules[0]["accept"], spec);
    assert_eq!(rules[1]["accept"], spec);
    assert!(rules[2].get("accept").is_none());
    // Read back, it means the same and accepts the same.
    let from_json = load_json(&serde_json::to_string_pretty(&json).unwrap());
    let from_text = policy(&text);
    let accepts = |p: &polc_lang::ir::Policy| {
        let mut v: Vec<(String, Vec<Acceptance>)> = p
            .files
            .iter()
            .map(|f| {
                (
                    f.glob.as_str().to_string(),
                    f.origins[0].origin.accepts.clone(),
                )
            })
            .collect();
        v.extend(
            p.net
                .iter()
                .map(|n| (n.ports.to_string(), n.origins[0].accepts.clone())),
        );
        v
    };
    assert_eq!(accepts(&from_json.policy), accepts(&from_text.policy));
    // The checker's spans point into the JSON: an unknown backend underlines its string.
    let bad = r#"{"policy": "org.example.app", "rules": [{"effect": "allow", "rights": ["read"], "paths": ["/a"], "accept": {"fidelities": ["widened"], "on": ["selinx"], "reason": "r"}}]}"#;
    let ds = match polc_lang::load(
        &polc_lang::Source::new("app.json", bad),
        &polc_lang::LoadOptions::default(),
    ) {
        Ok(_) => panic!("an unknown backend loads"),
        Err(f) => f.diagnostics,
    };
    assert_eq!(ds[0].code, Code::AcceptTarget);
    assert_eq!(underlined(bad, &ds[0]), "\"selinx\"");
    // An empty list is refused by the schema.
    let empty = bad.replace(r#"["selinx"]"#, "[]");
    let ds = match polc_lang::load(
        &polc_lang::Source::new("app.json", empty.as_str()),
        &polc_lang::LoadOptions::default(),
    ) {
        Ok(_) => panic!("an empty `on` loads"),
        Err(f) => f.diagnostics,
    };
    assert_eq!(ds[0].code, Code::InvalidJson);
    assert!(
        ds[0].message.contains("`on` of `accept` is empty"),
        "{ds:#?}"
    );
}

fn load_json(text: &str) -> polc_lang::Loaded {
    match polc_lang::load(
        &polc_lang::Source::new("app.json", text),
        &polc_lang::LoadOptions::default(),
    ) {
        Ok(l) => l,
        Err(f) => panic!("{:#?}", f.diagnostics),
    }
}
