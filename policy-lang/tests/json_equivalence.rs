//! A JSON policy and its text form load into the same IR, and the checker's diagnostics
//! on a JSON policy underline the JSON value at fault.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diagnostics::Code;
use polc_lang::{load, LoadOptions, Source};
use serde_json::Value;

const WEBAPP_JSON: &str = include_str!("json_corpus/webapp.json");
const WEBAPP_POL: &str = include_str!("json_corpus/webapp.pol");

/// The IR's JSON without source locations, with the source file renamed to `SOURCE`.
fn without_origins(v: Value, file: &str) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k != "origins" && k != "origin")
                .map(|(k, v)| (k, without_origins(v, file)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| without_origins(v, file)).collect()),
        Value::String(s) if s == file => Value::String("SOURCE".into()),
        other => other,
    }
}

fn ir(name: &str, text: &str, opts: &LoadOptions) -> Value {
    let loaded = load(&Source::new(name, text), opts)
        .unwrap_or_else(|f| panic!("{name} does not load: {:#?}", f.diagnostics));
    without_origins(serde_json::to_value(&loaded.policy).unwrap(), name)
}

#[test]
fn the_json_and_text_forms_of_a_policy_have_the_same_ir() {
    let opts = LoadOptions::default();
    assert_eq!(
        ir("webapp.json", WEBAPP_JSON, &opts),
        ir("webapp.pol", WEBAPP_POL, &opts)
    );
    let mut with_vars = LoadOptions::default();
    with_vars
        .vars
        .insert("state_dir".into(), "/srv/webapp".into());
    let a = ir("webapp.json", WEBAPP_JSON, &with_vars);
    assert_eq!(a, ir("webapp.pol", WEBAPP_POL, &with_vars));
    assert_ne!(a, ir("webapp.json", WEBAPP_JSON, &opts));
}

#[test]
fn json_abstraction_files_serve_text_policies() {
    let lib = r#"{"abstractions": [{"abstraction": "tmp", "version": 1,
        "rules": [{"effect": "allow", "rights": ["rw", "create", "delete"], "paths": ["/tmp/app/**"]}]}]}"#;
    let text_lib =
        "abstraction tmp {\n    version 1\n    allow rw create delete \"/tmp/app/**\"\n}\n";
    let policy = "policy org.example.app {\n    use tmp@1\n}\n";
    let with = |name: &str, text: &str| LoadOptions {
        abstractions: vec![Source::new(name, text)],
        ..LoadOptions::default()
    };
    let a = load(&Source::new("app.pol", policy), &with("tmp.json", lib)).unwrap();
    let b = load(&Source::new("app.pol", policy), &with("tmp.pol", text_lib)).unwrap();
    assert_eq!(a.policy.files.len(), 1);
    assert_eq!(a.policy.files[0].rights, b.policy.files[0].rights);
    assert_eq!(a.policy.files[0].glob, b.policy.files[0].glob);
}

#[test]
fn origins_point_at_the_json_rule_objects() {
    let loaded = load(
        &Source::new("webapp.json", WEBAPP_JSON),
        &LoadOptions::default(),
    )
    .unwrap();
    let deny = loaded
        .policy
        .files
        .iter()
        .find(|f| f.glob.as_str() == "/etc/ssl/private/**")
        .unwrap();
    let o = &deny.origins[0].origin;
    assert_eq!(&*o.file, "webapp.json");
    let line = WEBAPP_JSON.lines().nth(o.line - 1).unwrap();
    assert!(line.contains("/etc/ssl/private/**"), "{line}");
    assert_eq!(&WEBAPP_JSON[o.span.start..o.span.start + 1], "{");
}

/// The code and the underlined text of each diagnostic of a failed load.
fn errors(text: &str) -> Vec<(Code, String)> {
    let failed = load(&Source::new("bad.json", text), &LoadOptions::default()).unwrap_err();
    failed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let s = d.primary.as_ref().map(|l| l.span).unwrap_or_default();
            (d.code, text[s.start..s.end].to_string())
        })
        .collect()
}

#[test]
fn checker_diagnostics_underline_the_json_value() {
    let errs = errors(
        r#"{"policy": "org.example.app", "rules": [
            {"effect": "allow", "rights": ["read", "fly"], "paths": ["/etc/x"]}]}"#,
    );
    assert_eq!(errs, vec![(Code::UnknownRight, "\"fly\"".to_string())]);
    let errs = errors(r#"{"policy": "Org.Example", "mode": "strict"}"#);
    let codes: Vec<Code> = errs.iter().map(|e| e.0).collect();
    assert!(codes.contains(&Code::InvalidName), "{errs:?}");
    assert!(codes.contains(&Code::UnknownMode), "{errs:?}");
    let errs = errors(
        r#"{"policy": "org.example.app", "rules": [
            {"effect": "allow", "net": {"op": "bind", "proto": "tcp", "ports": 70000}}]}"#,
    );
    assert_eq!(errs, vec![(Code::PortOutOfRange, "70000".to_string())]);
    let errs = errors(r#"{"policy": "org.example.app", "rules": []} x"#);
    assert_eq!(errs, vec![(Code::InvalidJson, "x".to_string())]);
}
