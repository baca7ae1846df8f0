//! The evaluator on hand-built IR policies: one case per rule of the semantics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eval_support;

use eval_support::*;
use polc_lang::eval::{allowed_rights, evaluate, evaluate_all, Reason, Request, RuleKind};
use polc_lang::glob::is_valid_path;
use polc_lang::ir::Effect::{Allow, Deny};
use polc_lang::ir::{NetOp, Proto, RightsOrigin, SignalDir};
use polc_lang::rights::{Right, Rights};

#[test]
fn empty_policy_denies_everything_by_default() {
    let p = policy();
    let requests = [
        Request::file("/etc/passwd", Right::Read),
        Request::file("/", Right::List),
        Request::net(NetOp::Connect, Proto::Tcp, 443),
        Request::capability("chown"),
        Request::signal(SignalDir::Send, "self", "term"),
    ];
    for r in requests {
        let d = evaluate(&p, &r);
        assert!(!d.allowed, "{r:?}");
        assert_eq!(d.reason, Reason::DefaultDeny);
        assert!(d.deciding.is_empty());
        assert_eq!(d.exec_as, None);
    }
}

#[test]
fn an_allow_grants_exactly_its_rights_on_its_paths() {
    let mut p = policy();
    p.files.push(file(
        Allow,
        "/etc/app.conf",
        rights(&["read", "list"]),
        None,
        1,
    ));
    let d = evaluate(&p, &Request::file("/etc/app.conf", Right::Read));
    assert!(d.allowed);
    assert_eq!(d.reason, Reason::Allowed);
    assert_eq!(d.deciding.len(), 1);
    assert_eq!(d.deciding[0].kind, RuleKind::File);
    assert_eq!(d.deciding[0].index, 0);
    assert_eq!(d.deciding[0].effect, Allow);
    assert_eq!(d.deciding[0].origins, vec![origin(1)]);

    let d = evaluate(&p, &Request::file("/etc/app.conf", Right::Write));
    assert_eq!(d.reason, Reason::DefaultDeny);
    let d = evaluate(&p, &Request::file("/etc/other.conf", Right::Read));
    assert_eq!(d.reason, Reason::DefaultDeny);
}

#[test]
fn deny_wins_and_only_the_denies_decide() {
    let mut p = policy();
    p.files
        .push(file(Allow, "/etc/secret", rights(&["rw"]), None, 1));
    p.files.push(file(
        Allow,
        "/etc/secret",
        rights(&["read"]),
        Some("org.example.other"),
        2,
    ));
    p.files
        .push(file(Deny, "/etc/secret", rights(&["read"]), None, 3));
    let d = evaluate(&p, &Request::file("/etc/secret", Right::Read));
    assert!(!d.allowed);
    assert_eq!(d.reason, Reason::Denied);
    assert_eq!(d.deciding.len(), 1);
    assert_eq!(d.deciding[0].index, 2);
    assert_eq!(d.deciding[0].effect, Deny);
    assert_eq!(d.deciding[0].origins, vec![origin(3)]);

    // The deny is on read only: write stays allowed, by the first rule.
    let d = evaluate(&p, &Request::file("/etc/secret", Right::Write));
    assert!(d.allowed);
    assert_eq!(d.deciding.len(), 1);
    assert_eq!(d.deciding[0].index, 0);
}

#[test]
fn every_matching_allow_is_listed_in_ir_order() {
    let mut p = policy();
    p.files
        .push(file(Allow, "/srv/a", rights(&["read"]), None, 7));
    p.files
        .push(file(Allow, "/srv/b", rights(&["read"]), None, 8));
    p.files
        .push(file(Allow, "/srv/a", rights(&["manage"]), None, 9));
    let d = evaluate(&p, &Request::file("/srv/a", Right::Read));
    let idx: Vec<usize> = d.deciding.iter().map(|r| r.index).collect();
    assert_eq!(idx, vec![0, 2]);
}

#[test]
fn deciding_rules_keep_only_the_origins_that_gave_the_right() {
    let mut p = policy();
    let mut rule = file(Allow, "/var/log/app", rights(&["read", "write"]), None, 1);
    rule.origins = vec![
        RightsOrigin {
            rights: rights(&["read"]),
            origin: origin(1),
        },
        RightsOrigin {
            rights: rights(&["write"]),
            origin: origin(2),
        },
        RightsOrigin {
            rights: rights(&["read", "lock"]),
            origin: origin(3),
        },
    ];
    p.files.push(rule);
    let d = evaluate(&p, &Request::file("/var/log/app", Right::Read));
    assert_eq!(d.deciding[0].origins, vec![origin(1), origin(3)]);
    let d = evaluate(&p, &Request::file("/var/log/app", Right::Write));
    assert_eq!(d.deciding[0].origins, vec![origin(2)]);
    // `write` implies `append`, also when an origin records only `write`.
    let mut only_write = p.clone();
    only_write.files[0].rights = rights(&["read", "write"]);
    only_write.files[0].origins[1].rights = Rights::one(Right::Write);
    let d = evaluate(&only_write, &Request::file("/var/log/app", Right::Append));
    assert!(d.allowed);
    assert_eq!(d.deciding[0].origins, vec![origin(2)]);
}

#[test]
fn exec_transition_is_the_as_target_of_the_matching_allow() {
    let mut p = policy();
    p.files.push(file(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.converter"),
        1,
    ));
    p.files
        .push(file(Allow, "/usr/bin/convert", rights(&["read"]), None, 2));
    let d = evaluate(&p, &Request::file("/usr/bin/convert", Right::Exec));
    assert!(d.allowed);
    assert_eq!(d.exec_as, Some(name("org.example.converter")));
    // Only exec carries a transition.
    let d = evaluate(&p, &Request::file("/usr/bin/convert", Right::Read));
    assert!(d.allowed);
    assert_eq!(d.exec_as, None);
}

#[test]
fn a_denied_exec_has_no_transition() {
    let mut p = policy();
    p.files.push(file(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.converter"),
        1,
    ));
    p.files
        .push(file(Deny, "/usr/bin/convert", rights(&["exec"]), None, 2));
    let d = evaluate(&p, &Request::file("/usr/bin/convert", Right::Exec));
    assert!(!d.allowed);
    assert_eq!(d.exec_as, None);
}

#[test]
fn an_exec_without_as_inherits() {
    let mut p = policy();
    p.files.push(file(
        Allow,
        "/usr/bin/app",
        rights(&["exec", "map-exec"]),
        None,
        1,
    ));
    let d = evaluate(&p, &Request::file("/usr/bin/app", Right::Exec));
    assert!(d.allowed);
    assert_eq!(d.exec_as, None);
}

#[test]
fn conflicting_transitions_resolve_in_canonical_order_whatever_the_list_order() {
    // Hand-built conflicting rules (the checker rejects these): the choice is the
    // canonical IR order, whatever the order of the list.
    let a = file(
        Allow,
        "/usr/bin/x",
        rights(&["exec"]),
        Some("org.example.b"),
        1,
    );
    let b = file(
        Allow,
        "/usr/bin/x",
        rights(&["exec"]),
        Some("org.example.a"),
        2,
    );
    let c = file(Allow, "/usr/bin/x", rights(&["exec"]), None, 3);
    let r = Request::file("/usr/bin/x", Right::Exec);
    let mut p = policy();
    p.files = vec![a.clone(), b.clone()];
    let first = evaluate(&p, &r).exec_as;
    p.files = vec![b.clone(), a.clone()];
    assert_eq!(evaluate(&p, &r).exec_as, first);
    assert_eq!(first, Some(name("org.example.a")));
    p.files = vec![a, b, c];
    assert_eq!(evaluate(&p, &r).exec_as, None);
}

#[test]
fn invalid_paths_are_denied_by_default() {
    let bad = [
        "",
        "etc/passwd",
        "/etc/../etc/passwd",
        "/etc/./passwd",
        "/etc//passwd",
        "/etc/",
        "/etc/pass\0wd",
        "/..",
        "/.",
        "//",
    ];
    for path in bad {
        assert!(!is_valid_path(path), "{path:?}");
        let mut p = policy();
        // A rule whose text is the invalid path itself must not grant it either.
        p.files.push(polc_lang::ir::FileRule {
            audit: false,
            owner: false,
            dir_only: false,
            effect: Allow,
            glob: polc_lang::glob::Glob::parse("/**").unwrap(),
            rights: Rights::one(Right::Read),
            exec_as: None,
            origins: Vec::new(),
            exec_mode: Default::default(),
        });
        if let Ok(g) = polc_lang::glob::Glob::parse(path) {
            p.files.push(polc_lang::ir::FileRule {
                audit: false,
                owner: false,
                dir_only: false,
                effect: Allow,
                glob: g,
                rights: Rights::one(Right::Read),
                exec_as: None,
                origins: Vec::new(),
                exec_mode: Default::default(),
            });
        }
        let d = evaluate(&p, &Request::file(path, Right::Read));
        assert!(!d.allowed, "{path:?}");
        assert_eq!(d.reason, Reason::DefaultDeny, "{path:?}");
    }
    // Control characters are refused in policies, but a file name may hold them: such a
    // path is valid, and `*` or `**` match it as the kernel would.
    for good in [
        "/",
        "/etc",
        "/etc/passwd",
        "/a/.b/..c/...",
        "/with space/é",
        "/tmp/a\nb",
    ] {
        assert!(is_valid_path(good), "{good:?}");
    }
    let mut p = policy();
    p.files
        .push(file(Allow, "/tmp/*", rights(&["read"]), None, 1));
    assert!(evaluate(&p, &Request::file("/tmp/a\nb", Right::Read)).allowed);
}

#[test]
fn net_rules_match_op_proto_and_port_range() {
    let mut p = policy();
    p.net
        .push(net(Allow, NetOp::Connect, Proto::Tcp, 443, 443, 1));
    p.net
        .push(net(Allow, NetOp::Bind, Proto::Tcp, 8080, 8089, 2));
    p.net
        .push(net(Deny, NetOp::Bind, Proto::Tcp, 8085, 8085, 3));
    p.net
        .push(net(Allow, NetOp::Connect, Proto::Udp, 1, 65535, 4));
    let ok = |op, proto, port| evaluate(&p, &Request::net(op, proto, port)).allowed;
    assert!(ok(NetOp::Connect, Proto::Tcp, 443));
    assert!(!ok(NetOp::Connect, Proto::Tcp, 444));
    assert!(!ok(NetOp::Bind, Proto::Tcp, 443));
    assert!(!ok(NetOp::Connect, Proto::Udp, 0));
    assert!(ok(NetOp::Connect, Proto::Udp, 1));
    assert!(ok(NetOp::Connect, Proto::Udp, 65535));
    assert!(ok(NetOp::Bind, Proto::Tcp, 8080));
    assert!(ok(NetOp::Bind, Proto::Tcp, 8089));
    assert!(!ok(NetOp::Bind, Proto::Tcp, 8090));
    assert!(!ok(NetOp::Bind, Proto::Udp, 8080));
    let d = evaluate(&p, &Request::net(NetOp::Bind, Proto::Tcp, 8085));
    assert_eq!(d.reason, Reason::Denied);
    assert_eq!(d.deciding.len(), 1);
    assert_eq!(d.deciding[0].kind, RuleKind::Net);
    assert_eq!(d.deciding[0].index, 2);
    assert_eq!(d.deciding[0].origins, vec![origin(3)]);
}

#[test]
fn capabilities_match_by_name() {
    let mut p = policy();
    p.capabilities.push(cap(Allow, "net_bind_service", 1));
    p.capabilities.push(cap(Allow, "setuid", 2));
    p.capabilities.push(cap(Deny, "setuid", 3));
    let d = evaluate(&p, &Request::capability("net_bind_service"));
    assert!(d.allowed);
    assert_eq!(d.deciding[0].kind, RuleKind::Capability);
    assert_eq!(
        evaluate(&p, &Request::capability("setuid")).reason,
        Reason::Denied
    );
    assert_eq!(
        evaluate(&p, &Request::capability("NET_BIND_SERVICE")).reason,
        Reason::DefaultDeny
    );
}

#[test]
fn signals_match_direction_peer_and_signal() {
    let mut p = policy();
    p.signals.push(signal(
        Allow,
        SignalDir::Send,
        "org.example.app",
        &["term", "kill"],
        1,
    ));
    p.signals
        .push(signal(Allow, SignalDir::Receive, "org.example.app", &[], 2));
    p.signals.push(signal(
        Deny,
        SignalDir::Receive,
        "org.example.app",
        &["kill"],
        3,
    ));
    let ok = |dir, peer: &str, sig: &str| evaluate(&p, &Request::signal(dir, peer, sig)).allowed;
    assert!(ok(SignalDir::Send, "org.example.app", "term"));
    assert!(ok(SignalDir::Send, "self", "kill"));
    assert!(!ok(SignalDir::Send, "self", "usr1"));
    assert!(!ok(SignalDir::Send, "org.example.other", "term"));
    // No signal list: every signal.
    assert!(ok(SignalDir::Receive, "self", "usr1"));
    assert!(ok(SignalDir::Receive, "self", "hup"));
    let d = evaluate(&p, &Request::signal(SignalDir::Receive, "self", "kill"));
    assert_eq!(d.reason, Reason::Denied);
    assert_eq!(d.deciding[0].kind, RuleKind::Signal);
    assert_eq!(d.deciding[0].index, 2);
}

#[test]
fn evaluate_all_decides_every_right_on_a_path() {
    let mut p = policy();
    p.files
        .push(file(Allow, "/srv/data", rights(&["rw", "list"]), None, 1));
    p.files
        .push(file(Deny, "/srv/data", rights(&["append"]), None, 2));
    let all = evaluate_all(&p, "/srv/data");
    assert_eq!(all.len(), Right::ALL.len());
    let allowed: Vec<Right> = all
        .iter()
        .filter(|(_, d)| d.allowed)
        .map(|(r, _)| *r)
        .collect();
    assert_eq!(allowed, vec![Right::Read, Right::Write, Right::List]);
    assert_eq!(
        allowed_rights(&p, "/srv/data"),
        allowed.into_iter().collect::<Rights>()
    );
    for (r, d) in all {
        assert_eq!(d, evaluate(&p, &Request::file("/srv/data", r)));
    }
}

#[test]
fn decisions_serialize_for_machine_readers() {
    let mut p = policy();
    p.files
        .push(file(Deny, "/etc/shadow", rights(&["read"]), None, 4));
    let d = evaluate(&p, &Request::file("/etc/shadow", Right::Read));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["reason"], "denied");
    assert_eq!(json["deciding"][0]["kind"], "file");
    assert_eq!(json["deciding"][0]["effect"], "deny");
    assert_eq!(json["deciding"][0]["origins"][0]["line"], 4);
}

#[test]
fn globs_grant_and_deny_the_paths_they_match() {
    let mut p = policy();
    p.files
        .push(file(Allow, "/etc/ssl/**", rights(&["read"]), None, 1));
    p.files.push(file(
        Deny,
        "/etc/ssl/private/**",
        rights(&["read"]),
        None,
        2,
    ));
    p.files.push(file(
        Allow,
        "/var/lib/app/{data,cache}/*.db",
        rights(&["rw"]),
        None,
        3,
    ));
    let read = |path: &str| evaluate(&p, &Request::file(path, Right::Read));
    assert!(read("/etc/ssl/certs/ca.pem").allowed);
    // The `/` before `**` is literal: the directory itself is not under it.
    assert_eq!(read("/etc/ssl").reason, Reason::DefaultDeny);
    let d = read("/etc/ssl/private/key.pem");
    assert_eq!(d.reason, Reason::Denied);
    assert_eq!(d.deciding[0].index, 1);
    assert_eq!(read("/etc/sslx/a").reason, Reason::DefaultDeny);
    assert!(read("/var/lib/app/cache/x.db").allowed);
    assert!(!read("/var/lib/app/cache/sub/x.db").allowed);
    assert!(!read("/var/lib/app/logs/x.db").allowed);
    assert!(!read("/etc/ssl/../shadow").allowed);
}

#[test]
fn a_literal_path_wins_over_globs_for_the_transition() {
    let mut p = policy();
    p.files.push(file(
        Allow,
        "/usr/bin/*",
        rights(&["exec"]),
        Some("org.example.tools"),
        1,
    ));
    p.files.push(file(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.converter"),
        2,
    ));
    p.files
        .push(file(Allow, "/usr/bin/sh", rights(&["exec"]), None, 3));
    let exec = |path: &str| evaluate(&p, &Request::file(path, Right::Exec));
    let d = exec("/usr/bin/convert");
    assert!(d.allowed);
    assert_eq!(d.exec_as, Some(name("org.example.converter")));
    // Both rules decided; the literal one gave the transition.
    assert_eq!(d.deciding.len(), 2);
    assert_eq!(exec("/usr/bin/ls").exec_as, Some(name("org.example.tools")));
    // A literal rule without `as` means: inherit, even under a glob with a transition.
    let d = exec("/usr/bin/sh");
    assert!(d.allowed);
    assert_eq!(d.exec_as, None);
    // Braces are not a literal path.
    let mut q = policy();
    q.files.push(file(
        Allow,
        "/usr/bin/{convert}",
        rights(&["exec"]),
        Some("org.example.a"),
        1,
    ));
    q.files.push(file(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.b"),
        2,
    ));
    assert_eq!(
        evaluate(&q, &Request::file("/usr/bin/convert", Right::Exec)).exec_as,
        Some(name("org.example.b"))
    );
}
