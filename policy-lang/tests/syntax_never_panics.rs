//! Property: the parser never panics, on any input, and what it returns is sound:
//! every span lies in the text on character boundaries, every message is one line, and a
//! text without diagnostics formats to a text that parses back to the same tree.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::StmtKind;
use polc_lang::fmt::format;
use polc_lang::span::Span;
use polc_lang::syntax::parse;
use proptest::collection::vec;
use proptest::prelude::*;

fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end),
        "{what} span {span:?} out of {text:?}"
    );
}

/// Parse, and check what comes back.
fn check(text: &str) {
    let (file, diags) = parse("fuzz.pol", text);
    for d in &diags {
        assert!(d.is_error());
        assert!(!d.message.contains('\n'), "{:?}", d.message);
        let l = d.primary.as_ref().expect("located");
        check_span(text, l.span, "diagnostic");
        for s in &d.secondary {
            check_span(text, s.span, "label");
        }
    }
    for item in &file.items {
        check_span(text, item.span, "item");
        check_span(text, item.name.span, "name");
        for st in &item.body {
            check_span(text, st.span, "statement");
            assert!(item.span.start <= st.span.start && st.span.end <= item.span.end);
            if let StmtKind::File { paths, .. } = &st.kind {
                for p in paths {
                    check_span(text, p.span, "path");
                    assert!(text[p.span.start..].starts_with('"'));
                }
            }
        }
        for c in item.comments.iter().chain(&item.closing_comments) {
            check_span(text, c.span, "comment");
            assert!(text[c.span.start..].starts_with('#'));
        }
    }
    if diags.is_empty() {
        let out = format(&file);
        let (back, more) = parse("fuzz.pol", &out);
        assert!(more.is_empty(), "{text:?} formatted to {out:?}: {more:#?}");
        assert_eq!(back, file, "{text:?} formatted to {out:?}");
        assert_eq!(format(&back), out);
    }
}

/// Pieces of policy text, valid and not.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "policy", "abstraction", "version", "attach", "mode", "use", "owns", "var", "allow",
            "deny", "net", "capability", "signal", "as", "to", "from", "send", "receive", "read",
            "write", "exec", "tcp", "connect", "self", "org.example.app", "a..b", ".", "-",
            "{", "}", "{", "}", ",", "=", "@", "#", "# comment\n", "\n", "\n\n", "\"",
            "\"/etc/**\"", "\"${x}\"", "\"\\\"\"", "\"\\q\"", "\"open\n", "\\", "$", ";", "é",
            "\u{0}", "\r\n", "443", "80-90", "80-", "-90", "18446744073709551616", "0",
        ])
        .prop_map(str::to_string),
        1 => "[a-z0-9_.-]{1,6}",
        1 => "\"[^\"\n]{0,6}\"",
        1 => ".{1,3}",
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", " ", "\n", "", "\t", "  \n\n"])
}

fn soup() -> impl Strategy<Value = String> {
    vec((token(), separator()), 0..60).prop_map(|v| {
        v.into_iter()
            .flat_map(|(t, s)| [t, s.to_string()])
            .collect()
    })
}

/// A statement-level soup inside a well-formed item, to reach deep into bodies.
fn body_soup() -> impl Strategy<Value = String> {
    soup().prop_map(|s| format!("policy p {{\n{s}\n}}\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_string(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn any_bytes(bytes in vec(any::<u8>(), 0..300)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soups(text in soup()) {
        check(&text);
    }

    #[test]
    fn token_soups_in_a_body(text in body_soup()) {
        check(&text);
    }
}

#[test]
fn huge_inputs_do_not_exhaust_the_stack() {
    let n = 200_000;
    for text in [
        "{".repeat(n),
        "}".repeat(n),
        format!("policy p {{{}", "{".repeat(n)),
        format!("policy p {{{}}}", "allow read \"/x\"\n".repeat(n / 10)),
        format!("policy p {{ allow read {}\"/x\" }}", "r ".repeat(n)),
        format!("policy p {{ owns \"/x\"{} }}", ", \"/y\"".repeat(n / 5)),
        "\"".repeat(n),
        "#".repeat(n),
        "policy ".repeat(n),
        "$".repeat(n),
        "9".repeat(n),
    ] {
        check(&text);
    }
}

#[test]
fn regressions() {
    // Edge cases of the lexer and the recovery; crashers found by `fuzz/` go here too.
    for text in [
        "",
        "policy",
        "policy a {",
        "\"",
        "\"\\",
        "#",
        "policy a { allow signal send term, to x }",
    ] {
        check(text);
    }
}
