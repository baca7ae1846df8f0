//! The JSON form read into syntax trees: the tree, its spans, and the way back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::{Effect, File, Item, ItemKind, PortSpec, Stmt, StmtKind, UseRef};
use polc_lang::json::{to_ast, to_json_form, Document};
use polc_lang::span::{Span, Spanned};

mod json_support;
use json_support::{check_spans, under};

const WEBAPP: &str = include_str!("json_corpus/webapp.json");

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Span::default())
}

fn strs(v: &[&str]) -> Vec<Spanned<String>> {
    v.iter().map(|s| sp(s.to_string())).collect()
}

fn st(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        comments: Vec::new(),
        trailing_comment: None,
        blank_line_before: false,
        span: Span::default(),
        quals: Default::default(),
    }
}

fn item(kind: ItemKind, name: &str, body: Vec<Stmt>) -> Item {
    Item {
        kind,
        name: sp(name.into()),
        body,
        comments: Vec::new(),
        closing_comments: Vec::new(),
        span: Span::default(),
    }
}

fn files(effect: Effect, rights: &[&str], paths: &[&str], exec_as: Option<&str>) -> Stmt {
    st(StmtKind::File {
        effect: sp(effect),
        rights: strs(rights),
        paths: strs(paths),
        exec_as: exec_as.map(|s| sp(s.into())),
        exec_mode: polc_lang::ast::ExecMode::Plain,
    })
}

fn net(effect: Effect, op: &str, proto: &str, ports: Option<(u64, u64)>) -> Stmt {
    st(StmtKind::Net {
        effect: sp(effect),
        op: sp(op.into()),
        proto: sp(proto.into()),
        ports: ports.map(|(lo, hi)| sp(PortSpec { lo, hi })),
    })
}

fn var(name: &str, value: &str) -> Stmt {
    st(StmtKind::Var {
        name: sp(name.into()),
        value: sp(value.into()),
    })
}

fn uses(refs: &[(&str, Option<u64>)]) -> Stmt {
    st(StmtKind::Use(
        refs.iter()
            .map(|(n, v)| {
                sp(UseRef {
                    name: n.to_string(),
                    version: *v,
                })
            })
            .collect(),
    ))
}

/// The tree the parser builds for `json_corpus/webapp.pol`, without comments and blank lines.
fn webapp_ast() -> File {
    use Effect::{Allow, Deny};
    let policy = item(
        ItemKind::Policy,
        "org.example.webapp",
        vec![
            st(StmtKind::Version(sp(3))),
            st(StmtKind::Attach(sp("/usr/bin/webapp".into()))),
            st(StmtKind::Mode(sp("enforce".into()))),
            uses(&[("webapp-common", None), ("tls", Some(2))]),
            var("state_dir", "/var/lib/webapp"),
            var("cache_dir", "/var/cache/webapp"),
            st(StmtKind::Owns(strs(&[
                "/var/lib/webapp/**",
                "${cache_dir}/**",
            ]))),
            files(
                Allow,
                &["read"],
                &["/etc/ssl/**", "/usr/share/webapp/**"],
                None,
            ),
            files(
                Allow,
                &["read", "write", "create", "delete"],
                &["${state_dir}/**", "${cache_dir}/**"],
                None,
            ),
            files(Allow, &["exec", "map-exec"], &["/usr/bin/webapp"], None),
            files(
                Allow,
                &["exec"],
                &["/usr/bin/convert"],
                Some("org.example.converter"),
            ),
            files(Deny, &["read"], &["/etc/ssl/private/**"], None),
            net(Allow, "connect", "tcp", Some((443, 443))),
            net(Allow, "bind", "tcp", Some((8080, 8089))),
            net(Deny, "connect", "udp", None),
            st(StmtKind::Capability {
                effect: sp(Allow),
                caps: strs(&["net_bind_service", "setuid"]),
            }),
            st(StmtKind::Signal {
                effect: sp(Allow),
                direction: sp("send".into()),
                signals: strs(&["term", "kill"]),
                peer: sp("org.example.webapp".into()),
            }),
            st(StmtKind::Signal {
                effect: sp(Allow),
                direction: sp("receive".into()),
                signals: Vec::new(),
                peer: sp("self".into()),
            }),
        ],
    );
    let common = item(
        ItemKind::Abstraction,
        "webapp-common",
        vec![
            st(StmtKind::Version(sp(1))),
            uses(&[("tls", None)]),
            var("log_dir", "/var/log/webapp"),
            files(Allow, &["append", "create"], &["${log_dir}/*.log"], None),
            files(Allow, &["read"], &["/etc/webapp.conf"], None),
        ],
    );
    let tls = item(
        ItemKind::Abstraction,
        "tls",
        vec![
            st(StmtKind::Version(sp(2))),
            files(Allow, &["read", "list"], &["/etc/ssl/certs/**"], None),
            net(Allow, "connect", "tcp", Some((443, 443))),
        ],
    );
    File {
        items: vec![policy, common, tls],
        trailing_comments: Vec::new(),
    }
}

#[test]
fn webapp_document_reads_into_the_expected_tree() {
    let file = to_ast("webapp.json", WEBAPP).unwrap();
    assert_eq!(file, webapp_ast());
}

#[test]
fn every_node_carries_the_span_of_its_json_value() {
    let file = to_ast("webapp.json", WEBAPP).unwrap();
    check_spans(WEBAPP, &file);
    // Spot checks of what the checker will underline.
    let policy = &file.items[0];
    assert_eq!(under(WEBAPP, policy.name.span), "\"org.example.webapp\"");
    assert_eq!(under(WEBAPP, policy.body[0].span), "\"version\": 3");
    let StmtKind::File { paths, .. } = &policy.body[8].kind else {
        panic!("not a file rule: {:?}", policy.body[8]);
    };
    assert_eq!(under(WEBAPP, paths[1].span), "\"${cache_dir}/**\"");
    assert_eq!(
        under(WEBAPP, policy.body[4].span),
        "\"state_dir\": \"/var/lib/webapp\""
    );
}

#[test]
fn escapes_are_decoded_and_spans_cover_the_escaped_text() {
    let text = r#"{"p\u006flicy": "org.example.app", "rules": [
        {"effect": "allow", "rights": ["read"], "paths": ["/srv/\"q\"/\u00e9\/x"]}]}"#;
    let file = to_ast("t.json", text).unwrap();
    let StmtKind::File { paths, .. } = &file.items[0].body[0].kind else {
        panic!("not a file rule");
    };
    assert_eq!(paths[0].node, "/srv/\"q\"/é/x");
    assert_eq!(under(text, paths[0].span), r#""/srv/\"q\"/\u00e9\/x""#);
    check_spans(text, &file);
}

#[test]
fn a_document_of_abstractions_only_has_no_policy_item() {
    let text = r#"{"abstractions": [{"abstraction": "tmp", "version": 1,
        "rules": [{"effect": "allow", "rights": ["rw"], "paths": ["/tmp/**"]}]}]}"#;
    let file = to_ast("tmp.json", text).unwrap();
    assert_eq!(file.items.len(), 1);
    assert_eq!(file.items[0].kind, ItemKind::Abstraction);
    check_spans(text, &file);
    // An empty document holds nothing (the checker reports the missing policy).
    assert_eq!(to_ast("e.json", "{}").unwrap(), File::default());
}

#[test]
fn statements_come_in_a_fixed_order_whatever_the_key_order() {
    let a = r#"{"rules": [{"effect": "allow", "capabilities": ["chown"]}], "mode": "complain",
        "vars": {"b": "/b", "a": "/a"}, "policy": "org.example.app", "version": 1}"#;
    let b = r#"{"policy": "org.example.app", "version": 1, "mode": "complain",
        "vars": {"b": "/b", "a": "/a"}, "rules": [{"capabilities": ["chown"], "effect": "allow"}]}"#;
    let fa = to_ast("a.json", a).unwrap();
    assert_eq!(fa, to_ast("b.json", b).unwrap());
    let kinds: Vec<&str> = fa.items[0]
        .body
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Version(_) => "version",
            StmtKind::Mode(_) => "mode",
            StmtKind::Var { name, .. } => name.node.as_str(),
            StmtKind::Capability { .. } => "capability",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    // Variables keep their document order.
    assert_eq!(kinds, ["version", "mode", "b", "a", "capability"]);
    check_spans(a, &fa);
}

#[test]
fn ports_accept_a_number_a_string_or_a_range() {
    for (ports, want) in [
        ("443", Some((443, 443))),
        ("\"443\"", Some((443, 443))),
        ("\"8000-8080\"", Some((8000, 8080))),
        ("\"9-1\"", Some((9, 1))),
        ("70000", Some((70000, 70000))),
    ] {
        let text = format!(
            r#"{{"policy": "org.example.app", "rules": [{{"effect": "allow",
                "net": {{"op": "bind", "proto": "udp", "ports": {ports}}}}}]}}"#
        );
        let file = to_ast("t.json", &text).unwrap();
        let StmtKind::Net { ports: got, .. } = &file.items[0].body[0].kind else {
            panic!("not a net rule");
        };
        assert_eq!(
            got.as_ref().map(|p| (p.node.lo, p.node.hi)),
            want,
            "{ports}"
        );
        check_spans(&text, &file);
    }
}

#[test]
fn empty_lists_and_absent_fields_add_no_statement() {
    let text = r#"{"policy": "org.example.app", "use": [], "vars": {}, "owns": [], "rules": []}"#;
    let file = to_ast("t.json", text).unwrap();
    assert!(file.items[0].body.is_empty());
}

#[test]
fn the_json_form_of_the_tree_reads_back_into_the_same_tree() {
    let file = to_ast("webapp.json", WEBAPP).unwrap();
    let json = to_json_form(&file).unwrap();
    let again = to_ast("again.json", &json).unwrap();
    assert_eq!(again, file);
    check_spans(&json, &again);
    // Same document, modulo layout.
    let a: serde_json::Value = serde_json::from_str(WEBAPP).unwrap();
    let b: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        Document::from_ast(&file).unwrap(),
        serde_json::from_str::<Document>(WEBAPP).unwrap()
    );
}

#[test]
fn trees_without_a_json_form_are_refused() {
    let mut two = webapp_ast();
    two.items.push(two.items[0].clone());
    assert_eq!(
        to_json_form(&two).unwrap_err().to_string(),
        "the file holds 2 policies; a JSON document holds at most one"
    );
    let mut twice = webapp_ast();
    let mode = twice.items[0].body[2].clone();
    twice.items[0].body.push(mode);
    assert_eq!(
        to_json_form(&twice).unwrap_err().to_string(),
        "`mode` is declared more than once in `org.example.webapp`"
    );
}

#[test]
fn several_use_and_owns_statements_merge_in_the_json_form() {
    let mut file = webapp_ast();
    let body = &mut file.items[0].body;
    body.push(uses(&[("extra", Some(4))]));
    body.push(st(StmtKind::Owns(strs(&["/srv/webapp/**"]))));
    let doc = Document::from_ast(&file).unwrap();
    let names: Vec<String> = doc.uses.iter().map(|u| u.name.clone()).collect();
    assert_eq!(names, ["webapp-common", "tls", "extra"]);
    assert_eq!(doc.owns.len(), 3);
}

#[test]
fn the_documented_example_is_the_corpus_document() {
    let doc = include_str!("../../docs/json.md");
    let block = doc
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a json block in docs/json.md");
    let a: serde_json::Value = serde_json::from_str(block).unwrap();
    let b: serde_json::Value = serde_json::from_str(WEBAPP).unwrap();
    assert_eq!(a, b);
    let text = doc
        .split("```\npolicy")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a text block in docs/json.md");
    let corpus = include_str!("json_corpus/webapp.pol");
    assert!(
        corpus.ends_with(&format!("policy{text}")),
        "docs/json.md and webapp.pol differ"
    );
}

/// The tree without what JSON cannot hold: comments and blank lines.
fn without_layout(mut file: File) -> File {
    file.trailing_comments.clear();
    for item in &mut file.items {
        item.comments.clear();
        item.closing_comments.clear();
        for s in &mut item.body {
            s.comments.clear();
            s.trailing_comment = None;
            s.blank_line_before = false;
        }
    }
    file
}

#[test]
fn text_and_json_forms_read_into_the_same_tree() {
    let (parsed, diags) =
        polc_lang::syntax::parse("webapp.pol", include_str!("json_corpus/webapp.pol"));
    assert!(diags.is_empty(), "{diags:?}");
    let parsed = without_layout(parsed);
    assert_eq!(parsed, webapp_ast());
    assert_eq!(to_ast("webapp.json", WEBAPP).unwrap(), parsed);
    // And the text's JSON form reads back into the text's tree.
    let json = to_json_form(&parsed).unwrap();
    assert_eq!(to_ast("webapp.json", &json).unwrap(), parsed);
}
