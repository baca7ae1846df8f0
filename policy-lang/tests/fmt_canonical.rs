//! The canonical form written by the formatter.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::{Comment, File, Item, ItemKind, Stmt, StmtKind};
use polc_lang::fmt::{format, format_source, MAX_WIDTH};
use polc_lang::span::{Span, Spanned};
use polc_lang::syntax::parse;

fn fmt(text: &str) -> String {
    let out = format_source("t.pol", text).unwrap_or_else(|d| panic!("{text}: {d:#?}"));
    // Idempotent, and the tree is unchanged.
    assert_eq!(format_source("t.pol", &out).unwrap(), out, "not idempotent");
    assert_eq!(
        parse("t.pol", &out).0,
        parse("t.pol", text).0,
        "tree changed"
    );
    out
}

const MESSY: &str = r#"  # examples/webapp.pol
policy   org.example.webapp{
  version 3
    attach "/usr/bin/webapp"
    mode enforce                      # or: complain
    use base,network-client@2          # abstractions
    var state_dir="/var/lib/webapp"


    owns "/var/lib/webapp/**"
    allow read "/etc/ssl/**" ,
          "/usr/share/webapp/**"
    allow read write create delete "${state_dir}/**"   
    allow exec map-exec "/usr/bin/webapp" allow exec "/usr/bin/convert"as org.example.converter
    deny  read "/etc/ssl/private/**"
    # network
    allow net connect tcp 443
    allow net bind tcp 8080 - 8089
    allow capability net_bind_service,setuid
    allow signal send term , kill to org.example.webapp
    allow signal receive from self
    # the end
}
abstraction   tmp{version 1 allow read write "/tmp/**"}
abstraction empty {
}
# trailing
"#;

#[test]
fn messy_source_gets_the_canonical_form() {
    insta::assert_snapshot!(fmt(MESSY));
}

#[test]
fn canonical_form_is_a_fixed_point() {
    let once = fmt(MESSY);
    assert_eq!(fmt(&once), once);
}

#[test]
fn empty_inputs() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
    assert_eq!(fmt("  # a\n\n#b  \n"), "# a\n#b\n");
    assert_eq!(fmt("policy a{}"), "policy a {}\n");
    assert_eq!(
        fmt("policy a{\n\n}abstraction b{}"),
        "policy a {}\n\nabstraction b {}\n"
    );
    assert_eq!(fmt("policy a{#c\n}"), "policy a {\n    #c\n}\n");
}

#[test]
fn strings_are_escaped() {
    assert_eq!(
        fmt(r#"policy a { attach "/a\"b\\c${x}é" }"#),
        "policy a {\n    attach \"/a\\\"b\\\\c${x}é\"\n}\n"
    );
    // Raw control characters are kept (the checker reports them).
    assert_eq!(
        fmt("policy a { attach \"/a\tb\u{0}\r\" }"),
        "policy a {\n    attach \"/a\tb\u{0}\r\"\n}\n"
    );
}

#[test]
fn comments_move_out_of_statements() {
    assert_eq!(
        fmt("policy a {\n    allow read # r\n      \"/a\", # a\n      \"/b\" # b\n}"),
        "policy a {\n    # r\n    # a\n    allow read \"/a\", \"/b\" # b\n}\n"
    );
    assert_eq!(
        fmt("policy a { # brace\n    version 1\n} # after\npolicy b {}"),
        "policy a {\n    # brace\n    version 1\n}\n\n# after\npolicy b {}\n"
    );
}

#[test]
fn blank_lines_are_kept_once_and_dropped_at_the_start() {
    assert_eq!(
        fmt("policy a {\n\n\n    version 1\n\n\n\n    # c\n    mode enforce\n    # d\n\n    attach \"/x\"\n}"),
        "policy a {\n    version 1\n\n    # c\n    mode enforce\n\n    # d\n    attach \"/x\"\n}\n"
    );
}

#[test]
fn long_lists_are_wrapped_one_entry_per_line() {
    let paths: Vec<String> = (0..6)
        .map(|n| format!("\"/srv/app/data-{n}/**\""))
        .collect();
    let text = format!(
        "policy a {{ allow read write {} as org.example.child # why\n owns {} use {} allow capability {} allow signal send {} to b }}",
        paths.join(", "),
        paths.join(", "),
        (0..12).map(|n| format!("abstraction-{n}@{n}")).collect::<Vec<_>>().join(", "),
        (0..12).map(|n| format!("capability_{n}")).collect::<Vec<_>>().join(", "),
        (0..15).map(|n| format!("signal{n}")).collect::<Vec<_>>().join(", "),
    );
    insta::assert_snapshot!(fmt(&text));
}

#[test]
fn long_dbus_rules_are_wrapped_one_field_per_line() {
    let long = r#"allow dbus send, receive peer org.example.peer member "PropertiesChanged" bus system interface "org.freedesktop.DBus.Properties" path "/org/freedesktop/NetworkManager/**" name "org.freedesktop.NetworkManager""#;
    let text = format!(
        "policy a {{ {long} # why\n audit deny dbus bind bus session name \"org.example.App\" }}"
    );
    let out = fmt(&text);
    assert_eq!(
        out,
        r#"policy a {
    allow dbus send, receive
        bus system
        path "/org/freedesktop/NetworkManager/**"
        interface "org.freedesktop.DBus.Properties"
        member "PropertiesChanged"
        name "org.freedesktop.NetworkManager"
        peer org.example.peer # why
    audit deny dbus bind bus session name "org.example.App"
}
"#
    );
    // `tests/dbus.rs` parses a wrapped rule back to the same tree.
    // A single long field is never wrapped.
    let one = format!(
        "policy a {{ allow dbus send path \"/{}\" }}",
        "x".repeat(200)
    );
    assert_eq!(fmt(&one).lines().count(), 3);
}

#[test]
fn width_limit_is_inclusive() {
    // `    owns "…", "/b"` exactly MAX_WIDTH characters wide stays on one line.
    let fill = MAX_WIDTH - "    owns \"\", \"/b\"".len();
    let one = format!("policy a {{ owns \"/{}\", \"/b\" }}", "é".repeat(fill - 1));
    let out = fmt(&one);
    assert_eq!(out.lines().nth(1).unwrap().chars().count(), MAX_WIDTH);
    // One more character wraps it.
    let two = format!("policy a {{ owns \"/{}\", \"/b\" }}", "é".repeat(fill));
    let out = fmt(&two);
    assert_eq!(out.lines().count(), 5, "{out}");
    // A single long entry is never wrapped.
    let three = format!("policy a {{ owns \"/{}\" }}", "x".repeat(200));
    assert_eq!(fmt(&three).lines().count(), 3);
}

#[test]
fn trailing_comment_does_not_count_for_the_width() {
    let text = format!("policy a {{ owns \"/a\", \"/b\" #{}\n}}\n", "c".repeat(200));
    assert_eq!(fmt(&text).lines().count(), 3);
}

#[test]
fn signal_direction_chooses_to_or_from() {
    assert_eq!(
        fmt("policy a { allow signal sned hup from x allow signal receive from y allow signal send to z }"),
        "policy a {\n    allow signal sned hup to x\n    allow signal receive from y\n    allow signal send to z\n}\n"
    );
}

#[test]
fn format_source_refuses_syntax_errors() {
    let diags = format_source("t.pol", "policy a { allow }").unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(
        diags[0].message,
        "expected a right, `net`, `capability` or `signal`, found `}`"
    );
}

#[test]
fn trees_without_source_form_still_format_to_parseable_text() {
    // Comment texts holding newlines (never produced by the parser) become one comment
    // per line.
    let c = |t: &str| Comment {
        text: t.to_string(),
        span: Span::default(),
    };
    let file = File {
        items: vec![Item {
            kind: ItemKind::Policy,
            name: Spanned::new("a".to_string(), Span::default()),
            body: vec![Stmt {
                kind: StmtKind::Mode(Spanned::new("enforce".to_string(), Span::default())),
                comments: vec![c(" x\n y")],
                trailing_comment: Some(c(" t\n u")),
                blank_line_before: true,
                span: Span::default(),
                quals: Default::default(),
            }],
            comments: vec![],
            closing_comments: vec![],
            span: Span::default(),
        }],
        trailing_comments: vec![],
    };
    assert_eq!(
        format(&file),
        "policy a {\n    # x\n    # y\n    mode enforce # t\n    # u\n}\n"
    );
}
