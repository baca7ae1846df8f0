//! Malformed JSON and schema violations: one E0300 diagnostic, its message, and what it underlines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diagnostics::Code;
use polc_lang::json::to_ast;

/// The message, the underlined text and the label of the one diagnostic for `text`.
fn error(text: &str) -> (String, String, String) {
    let diags = to_ast("bad.json", text).expect_err(text);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::InvalidJson);
    assert_eq!(d.file, "bad.json");
    assert!(d.is_error());
    let label = d.primary.as_ref().expect("a located diagnostic");
    let under = text
        .get(label.span.start..label.span.end)
        .unwrap()
        .to_string();
    (d.message.clone(), under, label.text.clone())
}

fn rule(body: &str) -> String {
    format!(
        r#"{{"policy": "org.example.app", "rules": [{{"effect": "allow", "rights": ["read"], "paths": ["/a"]}}, {body}]}}"#
    )
}

#[test]
fn syntax_errors_point_at_the_offending_character() {
    let text = "{\"policy\": \"org.example.app\",\n  \"rules\": [\n    {\"effect\": \"allow\" \"rights\": []}]}";
    let (msg, under, label) = error(text);
    assert_eq!(msg, "expected `,` or `}`");
    assert_eq!(under, "\"");
    assert_eq!(label, "not valid JSON");
    let d = &to_ast("bad.json", text).unwrap_err()[0];
    let json = d.to_json(Some(text));
    let loc = json.location.unwrap();
    assert_eq!((loc.line, loc.column), (3, 24));

    let (msg, under, _) = error(r#"{"policy": "org.example.é", }"#);
    assert_eq!(msg, "trailing comma");
    assert_eq!(under, "}");

    let (msg, under, _) = error("{\"policy\": tru}");
    assert_eq!(msg, "expected ident");
    assert_eq!(under, "}");

    let (msg, under, _) = error("{\"policy\": \"é\"} x");
    assert_eq!(msg, "trailing characters");
    assert_eq!(under, "x");
}

#[test]
fn a_truncated_document_points_at_its_end() {
    for (text, want) in [
        ("", "EOF while parsing a value"),
        (
            "{\"policy\": \"org.example.app\",\n \"rules\": [",
            "EOF while parsing a list",
        ),
        ("{\"policy\": \"org.ex", "EOF while parsing a string"),
    ] {
        let (msg, under, label) = error(text);
        assert_eq!(msg, want);
        assert_eq!(under, "");
        assert_eq!(label, "the document ends here");
        let d = &to_ast("bad.json", text).unwrap_err()[0];
        assert_eq!(d.primary.as_ref().unwrap().span.start, text.len());
    }
}

#[test]
fn the_document_must_be_an_object() {
    for text in ["[1]", "\"org.example.app\"", "null", "3"] {
        let (msg, under, label) = error(text);
        assert!(
            msg.ends_with("expected a policy document (a JSON object)"),
            "{msg}"
        );
        assert_eq!(under, text);
        assert_eq!(label, "does not fit the policy schema");
    }
}

#[test]
fn unknown_fields_are_named_and_underlined() {
    let (msg, under, _) = error(r#"{"policy": "org.example.app", "atach": "/bin/x"}"#);
    assert!(
        msg.starts_with("unknown field `atach`, expected one of `policy`, `version`, `attach`"),
        "{msg}"
    );
    assert_eq!(under, "\"atach\"");

    let (msg, under, _) = error(&rule(
        r#"{"effect": "allow", "rights": ["read"], "path": ["/x"]}"#,
    ));
    assert_eq!(msg, "at `rules[1]`: unknown field `path`, expected one of `audit`, `effect`, `owner`, `rights`, `paths`, `as`, `exec`, `net`, `capabilities`, `signal`, `unix`, `net_family`, `ptrace`, `dbus`, `accept`");
    assert_eq!(under, "\"path\"");

    let (msg, under, _) = error(&rule(
        r#"{"effect": "allow", "net": {"op": "bind", "proto": "tcp", "port": 80}}"#,
    ));
    assert_eq!(
        msg,
        "at `rules[1].net`: unknown field `port`, expected one of `op`, `proto`, `ports`"
    );
    assert_eq!(under, "\"port\"");

    let (msg, _, _) = error(&rule(
        r#"{"effect": "allow", "signal": {"direction": "send", "peer": "self", "to": "x"}}"#,
    ));
    assert_eq!(
        msg,
        "at `rules[1].signal`: unknown field `to`, expected one of `direction`, `signals`, `peer`"
    );

    let (msg, under, _) =
        error(r#"{"abstractions": [{"abstraction": "tmp", "version": 1, "abstractions": []}]}"#);
    assert!(msg.starts_with("at `abstractions[0]`: unknown field `abstractions`, expected one of `abstraction`, `version`"), "{msg}");
    assert_eq!(under, "\"abstractions\"");

    let (msg, _, _) = error(r#"{"policy": "org.example.app", "policy": "org.example.app"}"#);
    assert_eq!(msg, "duplicate field `policy`");
}

#[test]
fn missing_fields_are_named_and_their_object_underlined() {
    let body = r#"{"rights": ["read"], "paths": ["/x"]}"#;
    let (msg, under, _) = error(&rule(body));
    assert_eq!(msg, "at `rules[1]`: missing field `effect`");
    assert_eq!(under, body);

    let (msg, under, _) = error(&rule(r#"{"effect": "deny", "net": {"op": "connect"}}"#));
    assert_eq!(msg, "at `rules[1].net`: missing field `proto`");
    assert_eq!(under, r#"{"op": "connect"}"#);

    let (msg, _, _) = error(&rule(
        r#"{"effect": "deny", "signal": {"direction": "send"}}"#,
    ));
    assert_eq!(msg, "at `rules[1].signal`: missing field `peer`");

    let (msg, _, _) = error(r#"{"abstractions": [{"version": 1}]}"#);
    assert_eq!(msg, "at `abstractions[0]`: missing field `abstraction`");
}

#[test]
fn values_of_the_wrong_type_are_named_and_underlined() {
    let cases = [
        (r#"{"policy": 3}"#, "at `policy`: invalid type: integer `3`, expected a string", "3"),
        (r#"{"policy": "org.example.app", "version": "3"}"#, "at `version`: invalid type: string \"3\", expected u64", "\"3\""),
        (r#"{"policy": "org.example.app", "version": -1}"#, "at `version`: invalid value: integer `-1`, expected u64", "-1"),
        (r#"{"policy": "org.example.app", "version": 1.5}"#, "at `version`: invalid type: floating point `1.5`, expected u64", "1.5"),
        (r#"{"policy": "org.example.app", "use": "base"}"#, "at `use`: invalid type: string \"base\", expected a sequence", "\"base\""),
        (r#"{"policy": "org.example.app", "use": [1]}"#, "at `use[0]`: invalid type: integer `1`, expected an abstraction name, `NAME` or `NAME@VERSION`", "1"),
        (r#"{"policy": "org.example.app", "vars": ["a"]}"#, "at `vars`: invalid type: sequence, expected an object of variable names to string values", "[\"a\"]"),
        (r#"{"policy": "org.example.app", "vars": {"a": 1}}"#, "at `vars.a`: invalid type: integer `1`, expected a string", "1"),
        (r#"{"policy": "org.example.app", "owns": [true]}"#, "at `owns[0]`: invalid type: boolean `true`, expected a string", "true"),
        (r#"{"policy": "org.example.app", "rules": {}}"#, "at `rules`: invalid type: map, expected a sequence", "{}"),
        (r#"{"policy": "org.example.app", "rules": ["allow read /x"]}"#, "at `rules[0]`: invalid type: string \"allow read /x\", expected a rule object", "\"allow read /x\""),
        (r#"{"policy": "org.example.app", "abstractions": [[]]}"#, "at `abstractions[0]`: invalid type: sequence, expected an abstraction object", "[]"),
    ];
    for (text, want, want_under) in cases {
        let (msg, under, _) = error(text);
        assert_eq!(msg, want, "{text}");
        assert_eq!(under, want_under, "{text}");
    }
    let (msg, under, _) = error(&rule(r#"{"effect": "permit", "capabilities": ["chown"]}"#));
    assert_eq!(
        msg,
        "at `rules[1].effect`: unknown variant `permit`, expected `allow` or `deny`"
    );
    assert_eq!(under, "\"permit\"");
    let (msg, under, _) = error(&rule(
        r#"{"effect": "allow", "rights": "read", "paths": ["/x"]}"#,
    ));
    assert_eq!(
        msg,
        "at `rules[1].rights`: invalid type: string \"read\", expected a sequence"
    );
    assert_eq!(under, "\"read\"");
    let (msg, _, _) = error(&rule(r#"{"effect": "allow", "net": ["connect", "tcp"]}"#));
    assert_eq!(
        msg,
        "at `rules[1].net`: invalid type: sequence, expected a `net` object"
    );
    let (msg, _, _) = error(&rule(r#"{"effect": "allow", "signal": "send"}"#));
    assert_eq!(
        msg,
        "at `rules[1].signal`: invalid type: string \"send\", expected a `signal` object"
    );
}

#[test]
fn ports_and_use_references_are_parsed_with_their_own_messages() {
    for (ports, want) in [
        ("\"80-x\"", "invalid ports `80-x`: write a port (`443`) or a range (`\"8000-8080\"`)"),
        ("\"80-\"", "invalid ports `80-`: write a port (`443`) or a range (`\"8000-8080\"`)"),
        ("\" 80\"", "invalid ports ` 80`: write a port (`443`) or a range (`\"8000-8080\"`)"),
        ("\"99999999999999999999\"", "invalid ports `99999999999999999999`: write a port (`443`) or a range (`\"8000-8080\"`)"),
        ("-1", "invalid type: integer `-1`, expected a port (`443`) or a port range (`\"8000-8080\"`)"),
        ("[80, 90]", "invalid type: sequence, expected a port (`443`) or a port range (`\"8000-8080\"`)"),
    ] {
        let (msg, under, _) = error(&rule(&format!(
            r#"{{"effect": "allow", "net": {{"op": "bind", "proto": "tcp", "ports": {ports}}}}}"#
        )));
        assert_eq!(msg, format!("at `rules[1].net.ports`: {want}"), "{ports}");
        assert_eq!(under, ports);
    }
    for (r, want) in [
        (
            "tmp@x",
            "invalid version `x` in `tmp@x`: write `NAME` or `NAME@VERSION`",
        ),
        (
            "tmp@",
            "invalid version `` in `tmp@`: write `NAME` or `NAME@VERSION`",
        ),
        (
            "tmp@+1",
            "invalid version `+1` in `tmp@+1`: write `NAME` or `NAME@VERSION`",
        ),
    ] {
        let (msg, under, _) = error(&format!(
            r#"{{"policy": "org.example.app", "use": ["base", "{r}"]}}"#
        ));
        assert_eq!(msg, format!("at `use[1]`: {want}"));
        assert_eq!(under, format!("\"{r}\""));
    }
}

#[test]
fn rules_of_the_wrong_shape_are_refused_with_their_object_underlined() {
    let cases = [
        (r#"{"effect": "allow"}"#, "a rule needs one of `paths`, `net`, `capabilities` or `signal`"),
        (r#"{"effect": "allow", "rights": ["read"]}"#, "a rule with `rights` needs `paths`"),
        (r#"{"effect": "allow", "paths": ["/x"]}"#, "a rule with `paths` needs `rights`"),
        (r#"{"effect": "allow", "rights": [], "paths": ["/x"]}"#, "`rights` is empty"),
        (r#"{"effect": "allow", "rights": ["read"], "paths": []}"#, "`paths` is empty"),
        (r#"{"effect": "allow", "capabilities": []}"#, "`capabilities` is empty"),
        (r#"{"effect": "allow", "capabilities": ["chown"], "rights": ["read"]}"#, "`rights` belongs to a rule with `paths`"),
        (r#"{"effect": "allow", "capabilities": ["chown"], "as": "org.example.x"}"#, "`as` belongs to a rule with `paths`"),
        (r#"{"effect": "allow", "rights": ["read"], "paths": ["/x"], "capabilities": ["chown"]}"#,
         "a rule has `paths` and `capabilities`: give exactly one of `paths`, `net`, `capabilities` or `signal`"),
        (r#"{"effect": "deny", "net": {"op": "bind", "proto": "tcp"}, "capabilities": ["chown"], "signal": {"direction": "send", "peer": "self"}}"#,
         "a rule has `net` and `capabilities` and `signal`: give exactly one of `paths`, `net`, `capabilities` or `signal`"),
    ];
    for (body, want) in cases {
        let (msg, under, label) = error(&rule(body));
        assert_eq!(msg, format!("at `rules[1]`: {want}"), "{body}");
        assert_eq!(under, body);
        assert_eq!(label, "does not fit the policy schema");
    }
}

#[test]
fn policy_fields_need_a_policy_name() {
    let text = r#"{"abstractions": [], "mode": "enforce"}"#;
    let diags = to_ast("bad.json", text).unwrap_err();
    let d = &diags[0];
    assert_eq!(
        d.message,
        "field `mode` belongs to a policy, and the document has no `policy`"
    );
    let span = d.primary.as_ref().unwrap().span;
    assert_eq!(&text[span.start..span.end], "\"mode\"");
    assert!(d.help_text().contains("\"policy\": \"NAME\""));

    let text = r#"{"policy": null, "abstractions": []}"#;
    let d = &to_ast("bad.json", text).unwrap_err()[0];
    assert_eq!(d.message, "`policy` is null");
    let span = d.primary.as_ref().unwrap().span;
    assert_eq!(&text[span.start..span.end], "null");
}

#[test]
fn values_the_checker_judges_pass_through_unchanged() {
    // Unknown rights, modes, names and paths are the checker's to report, with their own codes.
    let text = r#"{"policy": "Not A Name", "mode": "strict", "attach": "relative",
        "use": ["@1"], "vars": {"BAD": "x", "BAD": "y"},
        "rules": [{"effect": "deny", "rights": ["fly"], "paths": ["a/../b\u0000"], "as": "x"},
                  {"effect": "allow", "net": {"op": "listen", "proto": "sctp", "ports": 0}},
                  {"effect": "allow", "capabilities": ["CAP_CHOWN"]},
                  {"effect": "allow", "signal": {"direction": "sideways", "signals": ["none"], "peer": "?"}}]}"#;
    let file = to_ast("odd.json", text).unwrap();
    assert_eq!(file.items[0].name.node, "Not A Name");
    assert_eq!(file.items[0].body.len(), 9);
}

#[test]
fn diagnostics_render_with_the_code_help() {
    let d = &to_ast("bad.json", "{").unwrap_err()[0];
    assert_eq!(d.help_text(), "see docs/json.md for the schema");
    assert_eq!(d.code.as_str(), "E0300");
}
