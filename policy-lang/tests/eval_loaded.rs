//! The evaluator on policies loaded from text and from JSON: decisions, deciding
//! statements and transitions, the same for both forms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, Decision, Reason, Request};
use polc_lang::ir::{NetOp, Policy, Proto, SignalDir};
use polc_lang::rights::Right;
use polc_lang::{load, LoadOptions, Source};

const WEBAPP_JSON: &str = include_str!("json_corpus/webapp.json");
const WEBAPP_POL: &str = include_str!("json_corpus/webapp.pol");

fn policy(name: &str, text: &str) -> Policy {
    load(&Source::new(name, text), &LoadOptions::default())
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics))
        .policy
}

/// The source lines of the statements that decided, with the `use` chain.
fn deciding_lines(text: &str, d: &Decision) -> Vec<String> {
    let mut v: Vec<String> = d
        .deciding
        .iter()
        .flat_map(|r| r.origins.iter())
        .map(|o| {
            let line = text.lines().nth(o.line - 1).unwrap().trim().to_string();
            if o.via.is_empty() {
                line
            } else {
                format!("{line} (via {})", o.via.join(" > "))
            }
        })
        .collect();
    v.sort();
    v
}

fn requests() -> Vec<Request> {
    let mut v: Vec<Request> = [
        "/etc/ssl/certs/ca.pem",
        "/etc/ssl/private/key.pem",
        "/usr/share/webapp/index.html",
        "/var/lib/webapp/db/x",
        "/var/cache/webapp/c",
        "/var/log/webapp/app.log",
        "/var/log/webapp/sub/app.log",
        "/usr/bin/webapp",
        "/usr/bin/convert",
        "/etc/webapp.conf",
        "/etc/passwd",
    ]
    .iter()
    .flat_map(|p| Right::ALL.map(|r| Request::file(p, r)))
    .collect();
    for (op, proto, port) in [
        (NetOp::Connect, Proto::Tcp, 443),
        (NetOp::Connect, Proto::Tcp, 80),
        (NetOp::Bind, Proto::Tcp, 8085),
        (NetOp::Connect, Proto::Udp, 53),
    ] {
        v.push(Request::net(op, proto, port));
    }
    v.push(Request::capability("setuid"));
    v.push(Request::capability("sys_admin"));
    v.push(Request::signal(SignalDir::Send, "self", "term"));
    v.push(Request::signal(SignalDir::Send, "self", "hup"));
    v.push(Request::signal(
        SignalDir::Receive,
        "org.example.webapp",
        "hup",
    ));
    v
}

#[test]
fn decisions_and_deciding_statements_on_the_loaded_policy() {
    let p = policy("webapp.pol", WEBAPP_POL);
    let file = |path: &str, r| evaluate(&p, &Request::file(path, r));

    let d = file("/etc/ssl/certs/ca.pem", Right::Read);
    assert!(d.allowed);
    assert_eq!(
        deciding_lines(WEBAPP_POL, &d),
        [
            "allow read \"/etc/ssl/**\", \"/usr/share/webapp/**\"",
            // `tls` is used directly and through `webapp-common`: included once.
            "allow read list \"/etc/ssl/certs/**\" (via tls)",
        ]
    );

    let d = file("/etc/ssl/private/key.pem", Right::Read);
    assert_eq!(d.reason, Reason::Denied);
    assert_eq!(
        deciding_lines(WEBAPP_POL, &d),
        ["deny  read \"/etc/ssl/private/**\""]
    );

    // `write` implies `append`: the statement that named `write` decides an append.
    let d = file("/var/lib/webapp/db/x", Right::Append);
    assert!(d.allowed);
    assert_eq!(
        deciding_lines(WEBAPP_POL, &d),
        ["allow read write create delete \"${state_dir}/**\", \"${cache_dir}/**\""]
    );
    // Only the statements that gave the right are listed.
    let d = file("/var/log/webapp/app.log", Right::Create);
    assert_eq!(
        deciding_lines(WEBAPP_POL, &d),
        ["allow append create \"${log_dir}/*.log\" (via webapp-common)"]
    );
    assert!(!file("/var/log/webapp/sub/app.log", Right::Create).allowed);
    assert!(!file("/var/log/webapp/app.log", Right::Read).allowed);

    let d = file("/usr/bin/convert", Right::Exec);
    assert!(d.allowed);
    assert_eq!(
        d.exec_as.as_ref().map(|n| n.as_str()),
        Some("org.example.converter")
    );
    let d = file("/usr/bin/webapp", Right::Exec);
    assert!(d.allowed);
    assert_eq!(d.exec_as, None);

    assert_eq!(file("/etc/passwd", Right::Read).reason, Reason::DefaultDeny);
    assert!(evaluate(&p, &Request::net(NetOp::Bind, Proto::Tcp, 8085)).allowed);
    assert!(!evaluate(&p, &Request::net(NetOp::Connect, Proto::Tcp, 80)).allowed);
    assert_eq!(
        evaluate(&p, &Request::net(NetOp::Connect, Proto::Udp, 53)).reason,
        Reason::Denied
    );
    assert!(evaluate(&p, &Request::signal(SignalDir::Send, "self", "kill")).allowed);
    assert!(!evaluate(&p, &Request::signal(SignalDir::Send, "self", "hup")).allowed);
    assert!(
        evaluate(
            &p,
            &Request::signal(SignalDir::Receive, "org.example.webapp", "hup")
        )
        .allowed
    );
}

#[test]
fn the_json_form_decides_every_request_alike() {
    let text = policy("webapp.pol", WEBAPP_POL);
    let json = policy("webapp.json", WEBAPP_JSON);
    for r in requests() {
        let a = evaluate(&text, &r);
        let b = evaluate(&json, &r);
        assert_eq!(a.allowed, b.allowed, "{r:?}");
        assert_eq!(a.reason, b.reason, "{r:?}");
        assert_eq!(a.exec_as, b.exec_as, "{r:?}");
        let idx = |d: &Decision| {
            d.deciding
                .iter()
                .map(|x| (x.kind, x.index, x.origins.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(idx(&a), idx(&b), "{r:?}");
    }
}
