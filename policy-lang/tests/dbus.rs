//! D-Bus rules, from policy text: syntax and formatter round trip, the JSON form, lowering
//! and the evaluator's decisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, DbusRequest, Reason, Request, RequestPeer};
use polc_lang::ir::{DbusOp, Peer, Policy};
use polc_lang::{load, LoadOptions, Source};

const POLICY: &str = r#"policy org.example.app {
    allow dbus send
        bus system
        path "/org/freedesktop/DBus"
        interface "org.freedesktop.DBus"
        member "{Hello,AddMatch}"
        name "org.freedesktop.DBus"
    allow dbus send, receive bus session path "/org/example/**" peer self
    allow dbus receive interface "org.example.*" peer unconfined
    allow dbus bind bus session name "org.example.app.*"
    deny dbus bind name "org.example.app.secret"
    deny dbus send member "PowerOff"
}
"#;

fn loaded(name: &str, text: &str) -> Policy {
    match load(&Source::new(name, text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!("{:#?}", f.diagnostics),
    }
}

fn send(
    bus: &str,
    path: &str,
    interface: Option<&str>,
    member: &str,
    name: &str,
    peer: &str,
) -> Request {
    Request::Dbus(DbusRequest::message(
        DbusOp::Send,
        bus,
        path,
        interface,
        member,
        Some(name),
        RequestPeer::parse(peer),
    ))
}

#[test]
fn statements_format_and_parse_back_to_the_same_tree() {
    let (file, diags) = polc_lang::syntax::parse("a.pol", POLICY);
    assert!(diags.is_empty(), "{diags:#?}");
    let text = polc_lang::fmt::format(&file);
    assert_eq!(text, POLICY);
    let (again, diags) = polc_lang::syntax::parse("b.pol", &text);
    assert!(diags.is_empty());
    assert_eq!(file, again);
    // Fields in any order, operations without commas, a quoted well-known bus: the
    // formatter writes the canonical form.
    let (shuffled, d) = polc_lang::syntax::parse(
        "c.pol",
        "policy org.example.app {\n    allow dbus send receive peer self member \"Get\" bus \"session\"\n}\n",
    );
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(
        polc_lang::fmt::format(&shuffled),
        "policy org.example.app {\n    allow dbus send, receive bus session member \"Get\" peer self\n}\n"
    );
    // A field twice is a syntax error.
    let (_, d) = polc_lang::syntax::parse(
        "d.pol",
        "policy org.example.app {\n    allow dbus send member \"A\" member \"B\"\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
}

#[test]
fn the_json_form_gives_the_same_ir() {
    let (file, _) = polc_lang::syntax::parse("a.pol", POLICY);
    let json = polc_lang::json::to_json_form(&file).unwrap();
    assert!(json.contains("\"dbus\""), "{json}");
    let from_json = loaded("a.json", &json);
    let from_text = loaded("a.pol", POLICY);
    let texts = |p: &Policy| p.dbus.iter().map(|r| r.text()).collect::<Vec<_>>();
    assert_eq!(texts(&from_json), texts(&from_text));
}

#[test]
fn lowering_resolves_self() {
    let p = loaded("a.pol", POLICY);
    assert_eq!(p.dbus.len(), 6);
    let own = p
        .dbus
        .iter()
        .find(|r| r.path.is_some() && r.ops.len() == 2)
        .unwrap();
    assert_eq!(own.peer, Peer::Policy(p.name.clone()));
}

#[test]
fn the_evaluator_matches_every_field_a_rule_names() {
    let p = loaded("a.pol", POLICY);
    let bus = |m: &str| {
        send(
            "system",
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            m,
            "org.freedesktop.DBus",
            "unconfined",
        )
    };
    // A member of the braces, on the bus named, to the name named.
    assert!(evaluate(&p, &bus("Hello")).allowed);
    assert!(evaluate(&p, &bus("AddMatch")).allowed);
    assert!(!evaluate(&p, &bus("ListNames")).allowed);
    // Another bus, another name, a message without the interface the rule names.
    let other_bus = send(
        "session",
        "/org/freedesktop/DBus",
        Some("org.freedesktop.DBus"),
        "Hello",
        "org.freedesktop.DBus",
        "unconfined",
    );
    assert!(!evaluate(&p, &other_bus).allowed);
    let no_interface = send(
        "system",
        "/org/freedesktop/DBus",
        None,
        "Hello",
        "org.freedesktop.DBus",
        "unconfined",
    );
    assert!(!evaluate(&p, &no_interface).allowed);
    // `peer self`: processes under this policy, named as `self` or by name.
    let to_self = |peer: &str| {
        send(
            "session",
            "/org/example/a/b",
            Some("org.example.I"),
            "Get",
            ":1.7",
            peer,
        )
    };
    assert!(evaluate(&p, &to_self("self")).allowed);
    assert!(evaluate(&p, &to_self("org.example.app")).allowed);
    assert!(!evaluate(&p, &to_self("org.example.other")).allowed);
    // A receive from unconfined processes on any bus, by interface glob.
    let recv = |interface: &str| {
        Request::Dbus(DbusRequest::message(
            DbusOp::Receive,
            "accessibility",
            "/x",
            Some(interface),
            "Changed",
            Some(":1.9"),
            RequestPeer::Unconfined,
        ))
    };
    assert!(evaluate(&p, &recv("org.example.Db")).allowed);
    assert!(!evaluate(&p, &recv("org.other.Db")).allowed);
    // Deny wins, on every bus.
    let d = evaluate(&p, &to_self("self"));
    assert_eq!(d.reason, Reason::Allowed);
    let power = send(
        "session",
        "/org/example/a",
        Some("org.example.I"),
        "PowerOff",
        ":1.7",
        "self",
    );
    assert_eq!(evaluate(&p, &power).reason, Reason::Denied);
    // Names owned: the glob, less the denied one; no rule for the system bus.
    let bind = |bus: &str, n: &str| Request::Dbus(DbusRequest::bind(bus, n));
    assert!(evaluate(&p, &bind("session", "org.example.app.Editor")).allowed);
    assert_eq!(
        evaluate(&p, &bind("session", "org.example.app.secret")).reason,
        Reason::Denied
    );
    assert!(!evaluate(&p, &bind("system", "org.example.app.Editor")).allowed);
    assert!(!evaluate(&p, &bind("session", "org.example.app")).allowed);
}
