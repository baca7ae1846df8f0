//! Frameworks and apps: the bound on an app's rules (E0220 and friends), the effective
//! policy with and without connections, and a property test that the checker's verdict
//! agrees with the evaluator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, Request};
use polc_lang::glob::Glob;
use polc_lang::ir::Policy;
use polc_lang::rights::Right;
use polc_lang::{load, Failed, LoadOptions, Source};
use proptest::prelude::*;

const FRAMEWORK: &str = r#"
framework io.example.engine {
    version 1
    provides engine {
        allow read write "/run/engine.sock"
        allow net connect tcp 8000-8100
        allow capability net_admin
    }
    provides observe auto {
        allow read "/var/log/engine/**"
        allow signal send term, hup to io.example.engine
    }
}
"#;

fn app(body: &str) -> String {
    format!("{FRAMEWORK}\npolicy org.example.client {{\n    app\n{body}\n}}\n")
}

fn run(text: &str, connect: &[&str]) -> Result<Policy, Failed> {
    let opts = LoadOptions {
        connect: connect.iter().map(|s| s.to_string()).collect(),
        ..LoadOptions::default()
    };
    load(&Source::new("app.pol", text), &opts).map(|l| l.policy)
}

fn codes(text: &str) -> Vec<String> {
    match run(text, &[]) {
        Ok(_) => Vec::new(),
        Err(f) => f
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_string())
            .collect(),
    }
}

fn allows(p: &Policy, path: &str, right: Right) -> bool {
    evaluate(p, &Request::file(path, right)).allowed
}

#[test]
fn covered_rules_load() {
    let text = app(r#"    plugs engine, observe
    owns "/var/lib/client/**"
    allow read write create "/var/lib/client/**"
    allow read write "/run/engine.sock"
    allow read "/var/log/engine/a.log"
    allow net connect tcp 8050-8060
    allow capability net_admin
    allow signal send term to io.example.engine
    allow signal send to self"#);
    assert_eq!(codes(&text), Vec::<String>::new());
}

#[test]
fn a_glob_partly_covered_escapes_with_a_witness() {
    let text = app("    plugs engine\n    allow read \"/run/**\"");
    let f = run(&text, &["engine"]).unwrap_err();
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0220")
        .unwrap();
    let label = &d.primary.as_ref().unwrap().text;
    assert!(label.contains("`read` on `/run/"), "{label}");
    assert!(!label.contains("/run/engine.sock"), "{label}");
}

#[test]
fn port_ranges_are_covered_by_their_union_only() {
    let inside = app("    plugs engine\n    allow net connect tcp 8000-8100");
    assert_eq!(codes(&inside), Vec::<String>::new());
    let outside = app("    plugs engine\n    allow net connect tcp 8050-8200");
    assert_eq!(codes(&outside), vec!["E0220"]);
    let other_proto = app("    plugs engine\n    allow net connect udp 8050");
    assert_eq!(codes(&other_proto), vec!["E0220"]);
}

#[test]
fn capabilities_need_a_plug_that_grants_them() {
    assert_eq!(
        codes(&app("    plugs engine\n    allow capability net_admin")),
        Vec::<String>::new()
    );
    assert_eq!(
        codes(&app("    plugs observe\n    allow capability net_admin")),
        vec!["E0220"]
    );
    let f = run(&app("    allow capability net_admin"), &[]).unwrap_err();
    let help = f.diagnostics[0].help.clone().unwrap_or_default();
    assert!(help.contains("`engine` of `io.example.engine`"), "{help}");
}

#[test]
fn safe_abstractions_need_no_plug_but_others_do() {
    assert_eq!(codes(&app("    use base, locale")), Vec::<String>::new());
    assert!(codes(&app("    use network-client")).contains(&"E0220".to_string()));
}

#[test]
fn a_local_abstraction_named_like_a_safe_one_is_not_safe() {
    let text = format!(
        "abstraction base {{\n    version 1\n    allow write \"/etc/**\"\n}}\n{}",
        app("    use base")
    );
    assert_eq!(codes(&text), vec!["E0220"]);
}

#[test]
fn exec_transitions_are_covered_only_by_the_same_transition() {
    let fw = r#"
framework io.example.tools {
    version 1
    provides helper {
        allow read exec "/usr/bin/helper" as org.example.helper
    }
}
"#;
    let with = |rule: &str| {
        format!("{fw}\npolicy org.example.client {{\n    app\n    plugs helper\n    {rule}\n}}\n")
    };
    let codes_of = |t: String| -> Vec<String> {
        match run(&t, &[]) {
            Ok(_) => Vec::new(),
            Err(f) => f
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.code.as_str().to_string())
                .collect(),
        }
    };
    assert_eq!(
        codes_of(with("allow exec \"/usr/bin/helper\" as org.example.helper")),
        Vec::<String>::new()
    );
    assert_eq!(
        codes_of(with("allow exec \"/usr/bin/helper\" as unconfined")),
        vec!["E0220"]
    );
    assert_eq!(
        codes_of(with("allow exec \"/usr/bin/helper\"")),
        vec!["E0220"]
    );
    // Reading needs no transition.
    assert_eq!(
        codes_of(with("allow read \"/usr/bin/helper\"")),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_plugs_and_misplaced_statements_are_errors() {
    assert_eq!(codes(&app("    plugs engnie")), vec!["E0221"]);
    let not_app = format!("{FRAMEWORK}\npolicy org.example.client {{\n    plugs engine\n}}\n");
    assert_eq!(codes(&not_app), vec!["E0222"]);
}

#[test]
fn grants_reach_the_app_only_when_connected() {
    let text = app("    plugs engine, observe\n    allow read write \"/run/engine.sock\"");
    let off = run(&text, &[]).unwrap();
    assert!(!allows(&off, "/run/engine.sock", Right::Write));
    // `observe` is auto: connected without being named.
    assert!(allows(&off, "/var/log/engine/x.log", Right::Read));
    let on = run(&text, &["engine"]).unwrap();
    assert!(allows(&on, "/run/engine.sock", Right::Write));
    let rule = on
        .files
        .iter()
        .find(|r| r.glob.as_str() == "/run/engine.sock")
        .unwrap();
    let shown: Vec<String> = rule.origins.iter().map(|o| o.origin.to_string()).collect();
    assert!(
        shown
            .iter()
            .any(|s| s.ends_with("(via plug engine of io.example.engine)")),
        "{shown:?}"
    );
    assert!(on.capabilities.iter().any(|c| c.capability == "net_admin"));
    assert!(!off.capabilities.iter().any(|c| c.capability == "net_admin"));
}

#[test]
fn an_app_owns_only_paths_that_name_it() {
    let ok = app(
        r#"    owns "/var/lib/client/**", "/usr/bin/client", "/etc/client.conf", "/srv/org.example.client-data/**""#,
    );
    assert_eq!(codes(&ok), Vec::<String>::new());
    for bad in [
        "/**",
        "/etc/**",
        "/var/lib/cl*/**",
        "/var/lib/{client,x}/**",
        "/home/*/x",
    ] {
        let text = app(&format!("    owns \"{bad}\""));
        assert_eq!(codes(&text), vec!["E0224"], "{bad}");
    }
}

#[test]
fn connecting_what_the_app_does_not_plug_is_an_error() {
    let text = app("    plugs observe");
    let f = run(&text, &["engine"]).unwrap_err();
    assert_eq!(f.diagnostics[0].code.as_str(), "E0221");
    assert!(
        f.diagnostics[0].message.contains("`--connect engine`"),
        "{}",
        f.diagnostics[0].message
    );
}

#[test]
fn policies_that_are_not_apps_ignore_connections() {
    let text =
        format!("{FRAMEWORK}\npolicy org.example.plain {{\n    allow read \"/etc/**\"\n}}\n");
    let a = run(&text, &[]).unwrap();
    let b = run(&text, &["engine"]).unwrap();
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn frameworks_and_apps_round_trip_through_the_formatter() {
    let text = app("    plugs engine, observe\n    allow read \"/run/engine.sock\"");
    let once = polc_lang::fmt::format_source("app.pol", &text).unwrap();
    let twice = polc_lang::fmt::format_source("app.pol", &once).unwrap();
    assert_eq!(once, twice);
    assert!(once.contains("    provides observe auto {\n"), "{once}");
    assert!(
        once.contains("    app\n    plugs engine, observe\n"),
        "{once}"
    );
    let (a, _) = polc_lang::syntax::parse("a.pol", &text);
    let (b, _) = polc_lang::syntax::parse("b.pol", &once);
    assert_eq!(a, b);
}

// The property: the checker's verdict agrees with the evaluator. Interfaces and the
// app's rule are drawn over a small alphabet; the sampled paths are every path of up to
// three components over the same alphabet.
const SEGMENTS: [&str; 4] = ["a", "b", "run", "s.sock"];
const RIGHTS: [(&str, Right); 3] = [
    ("read", Right::Read),
    ("write", Right::Write),
    ("create", Right::Create),
];

fn glob_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(SEGMENTS.to_vec()).prop_map(str::to_string),
            1 => Just("*".to_string()),
            1 => Just("**".to_string()),
        ],
        1..=3,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

fn rights() -> impl Strategy<Value = Vec<usize>> {
    prop::sample::subsequence(vec![0, 1, 2], 1..=3)
}

fn paths() -> Vec<String> {
    let mut out: Vec<String> = SEGMENTS.iter().map(|s| format!("/{s}")).collect();
    for _ in 0..2 {
        let more: Vec<String> = out
            .iter()
            .flat_map(|p| SEGMENTS.iter().map(move |s| format!("{p}/{s}")))
            .collect();
        out.extend(more);
    }
    out.sort();
    out.dedup();
    out
}

fn rule(glob: &str, rs: &[usize]) -> String {
    let words: Vec<&str> = rs.iter().map(|i| RIGHTS[*i].0).collect();
    format!("        allow {} \"{glob}\"\n", words.join(" "))
}

fn framework(grants: &[(String, Vec<usize>)]) -> String {
    let body: String = grants.iter().map(|(g, r)| rule(g, r)).collect();
    format!("framework io.example.f {{\n    version 1\n    provides i {{\n{body}    }}\n}}\n")
}

fn app_text(grants: &[(String, Vec<usize>)], owns: &Option<String>, extra: &str) -> String {
    let owns = owns
        .as_ref()
        .map_or(String::new(), |o| format!("    owns \"{o}\"\n"));
    format!(
        "{}policy org.example.run {{\n    app\n    plugs i\n{owns}{extra}}}\n",
        framework(grants)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_verdict_agrees_with_the_evaluator(
        grants in prop::collection::vec((glob_text(), rights()), 0..4),
        owns in prop::option::of(glob_text()),
        glob in glob_text(),
        rs in rights(),
    ) {
        let with_rule = app_text(&grants, &owns, &rule(&glob, &rs).replacen("    ", "", 1));
        // An owned glob that does not name the app (`run`) is E0224: not this property.
        let union = run(&app_text(&grants, &owns, ""), &["i"]);
        prop_assume!(union.is_ok());
        let union = union.unwrap();
        let owned = owns.as_ref().map(|o| Glob::parse(o).unwrap());
        let app_glob = Glob::parse(&glob).unwrap();
        let covered = |p: &str, r: Right| {
            allows(&union, p, r) || owned.as_ref().is_some_and(|o| o.matches(p))
        };
        match run(&with_rule, &["i"]) {
            Ok(_) => {
                // Accepted: every request the rule allows, the union allows.
                for p in paths().iter().filter(|p| app_glob.matches(p)) {
                    for i in &rs {
                        prop_assert!(covered(p, RIGHTS[*i].1), "{p} {}\n{with_rule}", RIGHTS[*i].0);
                    }
                }
            }
            Err(f) => {
                // Refused: the witness is a request the rule allows and the union does not.
                let d = f.diagnostics.iter().find(|d| d.code.as_str() == "E0220");
                prop_assert!(d.is_some(), "{:?}", f.diagnostics);
                let label = d.unwrap().primary.as_ref().unwrap().text.clone();
                let right = label.split('`').nth(1).unwrap();
                let path = label.split('`').nth(3).unwrap();
                let right = RIGHTS.iter().find(|(n, _)| *n == right).map(|x| x.1);
                prop_assert!(app_glob.matches(path), "{label}");
                if let Some(r) = right {
                    prop_assert!(!covered(path, r), "{label}\n{with_rule}");
                }
            }
        }
    }
}

#[test]
fn the_json_form_carries_frameworks_and_apps() {
    let text = app("    plugs engine, observe\n    allow read write \"/run/engine.sock\"");
    let (file, errors) = polc_lang::syntax::parse("app.pol", &text);
    assert!(errors.is_empty(), "{errors:?}");
    let json = polc_lang::json::Document::from_ast(&file)
        .unwrap()
        .to_json_string();
    assert!(json.contains("\"app\": true"), "{json}");
    assert!(json.contains("\"interface\": \"observe\""), "{json}");
    let opts = LoadOptions {
        connect: vec!["engine".into()],
        ..LoadOptions::default()
    };
    let from_json = load(&Source::new("app.json", json.as_str()), &opts)
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
        .policy;
    let from_text = run(&text, &["engine"]).unwrap();
    let globs = |p: &Policy| -> Vec<(String, String)> {
        p.files
            .iter()
            .map(|r| (r.glob.as_str().to_string(), format!("{:?}", r.rights)))
            .collect()
    };
    assert_eq!(globs(&from_json), globs(&from_text));
    assert_eq!(from_json.capabilities.len(), from_text.capabilities.len());
    // The grant keeps its plug in the JSON form too.
    let rule = from_json
        .files
        .iter()
        .find(|r| r.glob.as_str() == "/run/engine.sock")
        .unwrap();
    assert!(rule
        .origins
        .iter()
        .any(|o| o.origin.via == ["plug engine of io.example.engine"]));
    // An interface holds rules only, in JSON as in text.
    let bad = "framework io.x { provides i { use base } }\npolicy p {}\n";
    let (file, _) = polc_lang::syntax::parse("bad.pol", bad);
    assert!(polc_lang::json::Document::from_ast(&file).is_err());
}
