//! Process peers of signal (and ptrace) rules: `any`, `unconfined`, policies and `self`,
//! through the whole front end (text → IR → evaluator, formatter, JSON form).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, Request};
use polc_lang::ir::{Peer, Policy, SignalDir};
use polc_lang::{load, LoadOptions, Source};

fn policy(text: &str) -> Policy {
    load(&Source::new("peers.pol", text), &LoadOptions::default())
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics))
        .policy
}

fn codes(text: &str) -> Vec<String> {
    match load(&Source::new("peers.pol", text), &LoadOptions::default()) {
        Ok(_) => Vec::new(),
        Err(f) => f.diagnostics.iter().map(|d| d.code.to_string()).collect(),
    }
}

const DAEMON: &str = r#"policy org.example.daemon {
    allow signal receive from any
    deny signal receive kill from any
    allow signal receive kill from unconfined
    allow signal send term, hup to unconfined
    allow signal send usr1 to self
}
"#;

#[test]
fn any_covers_policies_and_unconfined_and_unconfined_only_unconfined() {
    let p = policy(DAEMON);
    let ok = |dir, peer: &str, sig: &str| evaluate(&p, &Request::signal(dir, peer, sig)).allowed;
    // receive from any: from a policy, from an unconfined process, from itself
    assert!(ok(SignalDir::Receive, "org.example.other", "term"));
    assert!(ok(SignalDir::Receive, "unconfined", "hup"));
    assert!(ok(SignalDir::Receive, "self", "usr2"));
    // deny ... from any wins over the allow from unconfined
    assert!(!ok(SignalDir::Receive, "unconfined", "kill"));
    assert!(!ok(SignalDir::Receive, "org.example.other", "kill"));
    // send to unconfined: not to a policy
    assert!(ok(SignalDir::Send, "unconfined", "term"));
    assert!(!ok(SignalDir::Send, "unconfined", "kill"));
    assert!(!ok(SignalDir::Send, "org.example.other", "term"));
    assert!(ok(SignalDir::Send, "self", "usr1"));
    assert!(!ok(SignalDir::Send, "unconfined", "usr1"));
}

#[test]
fn peers_are_one_string_in_the_ir_json() {
    let p = policy(DAEMON);
    let peers: Vec<&Peer> = p.signals.iter().map(|s| &s.peer).collect();
    assert!(peers.contains(&&Peer::Any) && peers.contains(&&Peer::Unconfined));
    let json = p.to_json();
    assert!(json.contains(r#""peer": "any""#), "{json}");
    assert!(json.contains(r#""peer": "unconfined""#), "{json}");
    assert!(json.contains(r#""peer": "org.example.daemon""#), "{json}");
    let back: Policy = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn any_and_unconfined_are_reserved_policy_names() {
    for name in ["any", "unconfined"] {
        let text = format!("policy {name} {{\n    allow signal send to self\n}}\n");
        assert_eq!(codes(&text), ["E0100"], "{name}");
    }
    // `as any` names no policy; `as unconfined` is the unconfined exec mode (W0230).
    let text = "policy org.example.app {\n    allow exec \"/usr/bin/x\" as any\n}\n";
    assert_eq!(codes(text), ["E0100"]);
}

#[test]
fn the_formatter_keeps_peer_keywords() {
    assert_eq!(
        polc_lang::fmt::format_source("peers.pol", DAEMON).unwrap(),
        DAEMON
    );
}

const DEBUGGER: &str = r#"policy org.example.debugger {
    allow ptrace trace to org.example.app
    allow ptrace read to any
    deny ptrace trace to unconfined
    allow ptrace from unconfined
    deny ptrace trace from any
}
"#;

#[test]
fn ptrace_decides_by_direction_access_and_peer() {
    use polc_lang::ir::{PtraceAccess::*, PtraceDir::*};
    let p = policy(DEBUGGER);
    let ok = |dir, access, peer: &str| evaluate(&p, &Request::ptrace(dir, access, peer)).allowed;
    // an allowed trace implies read
    assert!(ok(To, Trace, "org.example.app") && ok(To, Read, "org.example.app"));
    // read to any, but no trace elsewhere
    assert!(ok(To, Read, "org.example.other") && ok(To, Read, "unconfined"));
    assert!(!ok(To, Trace, "org.example.other") && !ok(To, Trace, "unconfined"));
    // no access named: both; a denied trace does not deny read
    assert!(ok(From, Read, "unconfined"));
    assert!(!ok(From, Trace, "unconfined"));
    assert!(!ok(From, Read, "org.example.app"));
    // self is this policy: only `read to any` covers it
    assert!(ok(To, Read, "self") && !ok(To, Trace, "self"));
}

#[test]
fn ptrace_rules_go_through_the_json_form_and_the_formatter() {
    let p = policy(DEBUGGER);
    assert_eq!(p.ptrace.len(), 5);
    let (file, diags) = polc_lang::syntax::parse("peers.pol", DEBUGGER);
    assert!(diags.is_empty(), "{diags:#?}");
    let json = polc_lang::json::to_json_form(&file).unwrap();
    assert!(json.contains(r#""ptrace""#), "{json}");
    let back = load(&Source::new("peers.json", &json), &LoadOptions::default())
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics))
        .policy;
    let meaning = |p: &Policy| -> Vec<String> {
        p.ptrace
            .iter()
            .map(polc_lang::ir::ptrace::ptrace_rule_text)
            .collect()
    };
    assert_eq!(meaning(&back), meaning(&p));
    assert_eq!(
        polc_lang::fmt::format_source("peers.pol", DEBUGGER).unwrap(),
        DEBUGGER
    );
}

#[test]
fn unknown_ptrace_access_is_e0180() {
    let text = "policy org.example.app {\n    allow ptrace seize to self\n}\n";
    assert_eq!(codes(text), ["E0180"]);
}
