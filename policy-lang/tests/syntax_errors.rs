//! Syntax errors: each code, with its exact message and span, and recovery.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::StmtKind;
use polc_lang::diagnostics::Diagnostic;
use polc_lang::syntax::parse;

/// Each diagnostic as `CODE start..end `text under the span`: message (label)`.
fn render(text: &str, diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let l = d.primary.as_ref().expect("every syntax error is located");
            let mut s = format!(
                "{} {}..{} `{}`: {} ({})",
                d.code,
                l.span.start,
                l.span.end,
                &text[l.span.start..l.span.end],
                d.message,
                l.text
            );
            for sec in &d.secondary {
                s.push_str(&format!(
                    " [{}..{}: {}]",
                    sec.span.start, sec.span.end, sec.text
                ));
            }
            s
        })
        .collect()
}

fn errors(text: &str) -> Vec<String> {
    let (_, diags) = parse("t.pol", text);
    assert!(diags.iter().all(|d| d.file == "t.pol" && d.is_error()));
    render(text, &diags)
}

/// The single diagnostic of `policy p { <body> }` (offsets are into that text).
fn one(body: &str) -> String {
    let text = format!("policy p {{ {body} }}");
    let mut es = errors(&text);
    assert_eq!(es.len(), 1, "{text}: {es:#?}");
    es.remove(0)
}

#[test]
fn e0001_expected_found() {
    let cases = [
        ("allow read", "E0001 22..23 `}`: expected a right or a string, found `}` (expected a right or a string)"),
        ("version x", "E0001 19..20 `x`: expected a version number, found `x` (expected a version number)"),
        ("version 3.0", "E0001 19..22 `3.0`: expected a version number, found `3.0` (expected a version number)"),
        ("attach x", "E0001 18..19 `x`: expected a string, found `x` (expected a string)"),
        ("mode \"x\"", "E0001 16..19 `\"x\"`: expected a mode, found a string (expected a mode)"),
        ("use a b", "E0001 17..18 `b`: expected `,`, found `b` (expected `,`)"),
        ("use a,", "E0001 18..19 `}`: expected an abstraction name, found `}` (expected an abstraction name)"),
        ("use a..b", "E0001 15..19 `a..b`: expected an abstraction name, found `a..b` (expected an abstraction name)"),
        ("use a@", "E0001 18..19 `}`: expected a version number, found `}` (expected a version number)"),
        ("use a@x", "E0001 17..18 `x`: expected a version number, found `x` (expected a version number)"),
        ("owns \"/a\" \"/b\"", "E0001 21..25 `\"/b\"`: expected `,`, found a string (expected `,`)"),
        ("owns", "E0001 16..17 `}`: expected a string, found `}` (expected a string)"),
        ("var x \"v\"", "E0001 17..20 `\"v\"`: expected `=`, found a string (expected `=`)"),
        ("var 1x = \"v\"", "E0001 15..17 `1x`: expected a variable name, found `1x` (expected a variable name)"),
        ("var x =", "E0001 19..20 `}`: expected a string, found `}` (expected a string)"),
        ("allow \"/x\"", "E0001 17..21 `\"/x\"`: expected a right, `net`, `capability` or `signal`, found a string (expected a right, `net`, `capability` or `signal`)"),
        ("allow read.x \"/x\"", "E0001 17..23 `read.x`: expected a right, `net`, `capability` or `signal`, found `read.x` (expected a right, `net`, `capability` or `signal`)"),
        ("allow read, \"/a\"", "E0001 23..27 `\"/a\"`: expected a right after `,`, found a string (expected a right after `,`)"),
        ("allow read,", "E0001 23..24 `}`: expected a right after `,`, found `}` (expected a right after `,`)"),
        ("allow read \"/a\", read", "E0001 28..32 `read`: expected a string, found `read` (expected a string)"),
        ("allow read \"/a\" \"/b\"", "E0001 27..31 `\"/b\"`: expected `,`, found a string (expected `,`)"),
        ("allow exec \"/a\" as", "E0001 30..31 `}`: expected a policy name, `inherit`, `child` or `unconfined`, found `}` (expected a policy name, `inherit`, `child` or `unconfined`)"),
        ("allow exec \"/a\" as \"b\"", "E0001 30..33 `\"b\"`: expected a policy name, `inherit`, `child` or `unconfined`, found a string (expected a policy name, `inherit`, `child` or `unconfined`)"),
        ("allow net", "E0001 21..22 `}`: expected a network operation, found `}` (expected a network operation)"),
        ("allow net connect", "E0001 29..30 `}`: expected a protocol, found `}` (expected a protocol)"),
        ("allow net connect tcp 80x", "E0001 33..36 `80x`: expected a port or a port range, found `80x` (expected a port or a port range)"),
        ("allow net connect tcp 80-x", "E0001 33..37 `80-x`: expected a port or a port range, found `80-x` (expected a port or a port range)"),
        ("allow net connect tcp 80-", "E0001 37..38 `}`: expected a port number, found `}` (expected a port number)"),
        ("allow net connect tcp 80 -x", "E0001 36..38 `-x`: expected a port number, found `-x` (expected a port number)"),
        ("allow net connect tcp 80 443", "E0001 36..39 `443`: expected a statement or `}`, found `443` (expected a statement or `}`)"),
        ("allow capability", "E0001 28..29 `}`: expected a capability name, found `}` (expected a capability name)"),
        ("allow capability chown setuid", "E0001 34..40 `setuid`: expected `,`, found `setuid` (expected `,`)"),
        ("allow signal", "E0001 24..25 `}`: expected a signal direction, found `}` (expected a signal direction)"),
        ("allow signal send", "E0001 29..30 `}`: expected a signal name, `to` or `from`, found `}` (expected a signal name, `to` or `from`)"),
        ("allow signal send term kill to x", "E0001 34..38 `kill`: expected `,`, `to` or `from`, found `kill` (expected `,`, `to` or `from`)"),
        ("allow signal send term, to x", "E0001 35..37 `to`: expected a signal name, found `to` (expected a signal name)"),
        ("allow signal send from x", "E0001 29..33 `from`: expected `to` after `send`, found `from` (expected `to` after `send`)"),
        ("allow signal receive hup to x", "E0001 36..38 `to`: expected `from` after `receive`, found `to` (expected `from` after `receive`)"),
        ("allow signal send to", "E0001 32..33 `}`: expected a policy name, found `}` (expected a policy name)"),
        ("frobnicate", "E0001 11..21 `frobnicate`: expected a statement or `}`, found `frobnicate` (expected a statement or `}`)"),
        ("{ }", "E0001 11..12 `{`: expected a statement or `}`, found `{` (expected a statement or `}`)"),
    ];
    for (body, want) in cases {
        assert_eq!(one(body), want, "{body}");
    }
}

#[test]
fn e0001_reserved_words_are_not_values() {
    // `allow` is reserved: `mode` misses its value, then `allow` starts a rule.
    assert_eq!(
        errors("policy p { mode allow }"),
        [
            "E0001 16..21 `allow`: expected a mode, found `allow` (expected a mode)",
            "E0001 22..23 `}`: expected a right, `net`, `capability` or `signal`, found `}` (expected a right, `net`, `capability` or `signal`)",
        ]
    );
    // A rule missing its paths does not swallow the next statement.
    let text = "policy p {\n    allow read write\n    deny read \"/x\"\n}";
    let (file, diags) = parse("t.pol", text);
    assert_eq!(
        render(text, &diags),
        ["E0001 36..40 `deny`: expected a right or a string, found `deny` (expected a right or a string)"]
    );
    assert_eq!(file.items[0].body.len(), 1);
}

#[test]
fn e0001_stray_blocks_are_skipped_whole() {
    assert_eq!(
        one("allow read { \"/a\" }"),
        "E0001 22..23 `{`: expected a right or a string, found `{` (expected a right or a string)"
    );
    let (file, _) = parse("t.pol", "policy p { { version 1 } mode enforce }");
    assert_eq!(file.items[0].body.len(), 1);
}

#[test]
fn e0001_items() {
    assert_eq!(
        errors("allow read \"/x\"\npolicy p {}"),
        ["E0001 0..5 `allow`: expected `policy` or `abstraction`, found `allow` (expected `policy` or `abstraction`)"]
    );
    assert_eq!(
        errors("policy { version 1 }"),
        ["E0001 7..8 `{`: expected a policy name, found `{` (expected a policy name)"]
    );
    assert_eq!(
        errors("abstraction .a { version 1 }"),
        ["E0001 12..14 `.a`: expected an abstraction name, found `.a` (expected an abstraction name)"]
    );
    assert_eq!(
        errors("policy a b { version 1 }"),
        ["E0001 9..10 `b`: expected `{`, found `b` (expected `{`)"]
    );
    assert_eq!(
        errors("policy allow { }"),
        ["E0001 7..12 `allow`: expected a policy name, found `allow` (expected a policy name)"]
    );
    // A missing `{` before a statement: the statements are still read.
    let text = "policy a version 1 }";
    let (file, diags) = parse("t.pol", text);
    assert_eq!(
        render(text, &diags),
        ["E0001 9..16 `version`: expected `{`, found `version` (expected `{`)"]
    );
    assert_eq!(file.items[0].body.len(), 1);
    assert_eq!(
        errors("policy a {} }"),
        ["E0001 12..13 `}`: expected `policy` or `abstraction`, found `}` (expected `policy` or `abstraction`)"]
    );
}

#[test]
fn e0002_unterminated_string() {
    let text = "policy p {\n    attach \"/usr/bin/x\n}\n";
    assert_eq!(
        errors(text),
        ["E0002 22..33 `\"/usr/bin/x`: unterminated string literal (the line ends before the closing `\"`)"]
    );
    // CRLF: the span stops before the CR.
    let text = "policy p {\r\n    attach \"/x\r\n}\r\n";
    assert_eq!(
        errors(text),
        ["E0002 23..26 `\"/x`: unterminated string literal (the line ends before the closing `\"`)"]
    );
    // An escaped quote does not close the string; a backslash at the end of the line
    // does not continue it.
    let text = "policy p { attach \"/x\\\"\n attach \"/y\\\n}";
    assert_eq!(
        errors(text),
        [
            "E0002 18..23 `\"/x\\\"`: unterminated string literal (the line ends before the closing `\"`)",
            "E0002 32..36 `\"/y\\`: unterminated string literal (the line ends before the closing `\"`)"
        ]
    );
    let text = "policy p { attach \"/x";
    assert_eq!(
        errors(text),
        [
            "E0005 9..10 `{`: unclosed block of policy `p` (this `{` is never closed) [21..21: the file ends here]",
            "E0002 18..21 `\"/x`: unterminated string literal (the file ends before the closing `\"`)"
        ]
    );
}

#[test]
fn e0003_invalid_escape() {
    let text = r#"policy p { attach "/a\n\t\$\é" }"#;
    assert_eq!(
        errors(text),
        [
            "E0003 21..23 `\\n`: invalid escape `\\n` in a string (not a valid escape)",
            "E0003 23..25 `\\t`: invalid escape `\\t` in a string (not a valid escape)",
            "E0003 25..27 `\\$`: invalid escape `\\$` in a string (not a valid escape)",
            "E0003 27..30 `\\é`: invalid escape `\\é` in a string (not a valid escape)",
        ]
    );
    let text = "policy p { attach \"\\\u{1}\" }";
    assert_eq!(
        errors(text),
        ["E0003 19..21 `\\\u{1}`: invalid escape `\\\\u{1}` in a string (not a valid escape)"]
    );
}

#[test]
fn e0004_number_too_large() {
    let text = "policy p { version 18446744073709551616 use a@99999999999999999999 allow net bind tcp 1-18446744073709551616 }";
    assert_eq!(
        errors(text),
        [
            "E0004 19..39 `18446744073709551616`: number `18446744073709551616` is too large (does not fit in 64 bits)",
            "E0004 46..66 `99999999999999999999`: number `99999999999999999999` is too large (does not fit in 64 bits)",
            "E0004 88..108 `18446744073709551616`: number `18446744073709551616` is too large (does not fit in 64 bits)",
        ]
    );
    // The statements are kept (the number saturates).
    let (file, _) = parse("t.pol", text);
    assert_eq!(file.items[0].body.len(), 3);
}

#[test]
fn e0005_unclosed_block() {
    let text = "policy p {\n    allow read \"/x\"\n";
    assert_eq!(
        errors(text),
        ["E0005 9..10 `{`: unclosed block of policy `p` (this `{` is never closed) [31..31: the file ends here]"]
    );
    let text = "abstraction a {\n    version 1\npolicy p {\n}\n";
    let (file, diags) = parse("t.pol", text);
    assert_eq!(
        render(text, &diags),
        ["E0005 14..15 `{`: unclosed block of abstraction `a` (this `{` is never closed) [30..36: the next item starts here]"]
    );
    assert_eq!(file.items.len(), 2, "the next item is read");
    // No E0005 without a `{`: the missing `{` is the error.
    assert_eq!(
        errors("policy p"),
        ["E0001 8..8 ``: expected `{`, found end of file (expected `{`)"]
    );
}

#[test]
fn e0006_unexpected_character() {
    let text = "policy p { allow read \"/x\"; }";
    let (file, diags) = parse("t.pol", text);
    assert_eq!(
        render(text, &diags),
        ["E0006 26..27 `;`: unexpected character `;` (not part of the language here)"]
    );
    assert_eq!(file.items[0].body.len(), 1, "the character is skipped");
    assert_eq!(
        errors("policy p { $$$ ∀\u{0} }"),
        [
            "E0006 11..14 `$$$`: unexpected characters `$$$` (not part of the language here)",
            "E0006 15..19 `∀\u{0}`: unexpected characters `∀\\u{0}` (not part of the language here)",
        ]
    );
    assert_eq!(
        errors("\u{feff}policy p {}"),
        ["E0006 0..3 `\u{feff}`: unexpected character `\u{feff}` (not part of the language here)"]
    );
}

#[test]
fn long_words_are_cut_in_messages() {
    let word = "x".repeat(100);
    let es = errors(&format!("policy p {{ {word} }}"));
    assert_eq!(
        es[0].split(": ").nth(1).unwrap(),
        format!(
            "expected a statement or `}}`, found `{}…` (expected a statement or `}}`)",
            "x".repeat(40)
        )
    );
}

#[test]
fn every_error_of_a_file_is_reported_and_the_rest_is_read() {
    let text = r#"policy org.example.app {
    version
    mode enforce
    allow read "/a" "/b"
    allow net connect tcp 443
    use base,
    allow capability chown setuid
    attach "/usr/bin/app
    allow signal send to self
    deny write "\q"
}
"#;
    let (file, diags) = parse("app.pol", text);
    insta::assert_snapshot!(render(text, &diags).join("\n"));
    let kinds: Vec<&str> = file.items[0]
        .body
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Mode(_) => "mode",
            StmtKind::Net { .. } => "net",
            StmtKind::Attach(_) => "attach",
            StmtKind::Signal { .. } => "signal",
            StmtKind::File { .. } => "file",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["mode", "net", "attach", "signal", "file"]);
}

#[test]
fn diagnostics_have_the_code_help() {
    let (_, diags) = parse("t.pol", "policy p { attach \"\\x\" }");
    assert_eq!(
        diags[0].help_text(),
        "the only escapes are `\\\"` and `\\\\`"
    );
}

/// A `,` between the rights and the paths says exactly what to write instead.
#[test]
fn a_comma_before_the_paths_has_a_fix_it() {
    let (_, diags) = parse("t.pol", "policy p {\n    deny read, write, \"/x\"\n}\n");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(
        diags[0].help.as_deref(),
        Some("a `,` separates rights; before the paths, write the rights alone: `deny read write \"...\"`")
    );
}
