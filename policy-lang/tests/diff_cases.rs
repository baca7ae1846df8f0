//! The diff on hand-built IR: one case per kind of change, and the JSON form of a diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod diff_support;

use diff_support::*;
use polc_lang::diff::{diff, Change, Decided, Direction, PolicyField, SignalSet};
use polc_lang::ir::Effect::{Allow, Deny};
use polc_lang::ir::{Attach, Mode, NetOp, Proto, SignalDir};

fn o(line: usize) -> polc_lang::ir::Origin {
    at("old.pol", line)
}
fn n(line: usize) -> polc_lang::ir::Origin {
    at("new.pol", line)
}

fn files(d: &polc_lang::diff::Diff) -> Vec<&polc_lang::diff::FileChange> {
    d.changes
        .iter()
        .filter_map(|c| match c {
            Change::File(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_rule_broadens_with_a_witness_and_its_location() {
    let old = policy("org.example.app");
    let mut new = old.clone();
    new.files.push(file_rule(
        Allow,
        "/var/lib/app/**",
        rights(&["write"]),
        None,
        n(7),
    ));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].direction, Direction::Broadened);
    assert_eq!(f[0].rights, rights(&["write"]));
    assert_eq!(f[0].paths.to_string(), "/var/lib/app/**");
    assert_eq!(f[0].witness.as_deref(), Some("/var/lib/app/c"));
    assert_eq!(f[0].new.decision, Decided::Allowed);
    assert_eq!(f[0].new.rules[0].origins[0].to_string(), "new.pol:7:5");
    assert_eq!(f[0].old.decision, Decided::NoAllow);
    assert!(d.broadens());
}

/// A character class is a wildcard to the index of neighbouring globs: a deny of one
/// path of `/a/[0-9]` added under it is found (the class was read as literal text, and
/// the diff said "no difference in meaning").
#[test]
fn a_deny_inside_a_character_class_narrows() {
    let mut old = policy("org.example.app");
    old.files
        .push(file_rule(Allow, "/a/[0-9]", rights(&["read"]), None, o(3)));
    let mut new = old.clone();
    new.files
        .push(file_rule(Deny, "/a/5", rights(&["read"]), None, n(4)));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1, "{d:#?}");
    assert_eq!(f[0].witness.as_deref(), Some("/a/5"));
    assert_eq!(f[0].new.decision, Decided::Denied);
}

#[test]
fn a_lifted_deny_names_the_old_deny() {
    let mut old = policy("org.example.app");
    old.files
        .push(file_rule(Allow, "/etc/**", rights(&["read"]), None, o(3)));
    old.files.push(file_rule(
        Deny,
        "/etc/shadow",
        rights(&["read"]),
        None,
        o(12),
    ));
    let mut new = policy("org.example.app");
    new.files
        .push(file_rule(Allow, "/etc/**", rights(&["read"]), None, n(3)));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1, "{d:#?}");
    assert_eq!(f[0].paths.to_string(), "/etc/shadow");
    assert_eq!(f[0].witness.as_deref(), Some("/etc/shadow"));
    assert_eq!(f[0].old.decision, Decided::Denied);
    assert_eq!(f[0].old.rules[0].origins[0].to_string(), "old.pol:12:5");
    assert_eq!(f[0].new.rules[0].rule, r#"allow read "/etc/**""#);
}

#[test]
fn a_wider_glob_reports_only_what_is_new() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/var/lib/app/*.db",
        rights(&["rw"]),
        None,
        o(3),
    ));
    let mut new = policy("org.example.app");
    new.files.push(file_rule(
        Allow,
        "/var/lib/app/**",
        rights(&["rw"]),
        None,
        n(3),
    ));
    new.files.push(file_rule(
        Deny,
        "/var/lib/app/secret/**",
        rights(&["all"]),
        None,
        n(4),
    ));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1, "{d:#?}");
    assert_eq!(f[0].rights, rights(&["rw"]));
    assert_eq!(
        f[0].paths.to_string(),
        "/var/lib/app/** except /var/lib/app/*.db, /var/lib/app/secret/**"
    );
    let w = f[0].witness.as_deref().unwrap();
    assert!(
        !w.ends_with(".db") && !w.starts_with("/var/lib/app/secret/"),
        "{w}"
    );
}

#[test]
fn a_new_deny_narrows() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/etc/ssl/**",
        rights(&["read"]),
        None,
        o(3),
    ));
    let mut new = old.clone();
    new.files.push(file_rule(
        Deny,
        "/etc/ssl/private/**",
        rights(&["read"]),
        None,
        n(9),
    ));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].direction, Direction::Narrowed);
    assert_eq!(f[0].paths.to_string(), "/etc/ssl/private/**");
    assert_eq!(f[0].new.decision, Decided::Denied);
    assert_eq!(f[0].old.decision, Decided::Allowed);
    assert!(!d.broadens());
}

#[test]
fn extended_rights_on_the_same_glob() {
    let mut old = policy("org.example.app");
    old.files
        .push(file_rule(Allow, "/srv/**", rights(&["read"]), None, o(3)));
    let mut new = policy("org.example.app");
    new.files.push(file_rule(
        Allow,
        "/srv/**",
        rights(&["read", "write", "create"]),
        None,
        n(3),
    ));
    let d = diff(&old, &new);
    let f = files(&d);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rights, rights(&["write", "create"]));
    // The same paths were readable before: only what is new.
    assert_eq!(f[0].paths.to_string(), "/srv/**");
}

#[test]
fn ports_capabilities_and_signals() {
    let mut old = policy("org.example.app");
    old.net
        .push(net_rule(Allow, NetOp::Bind, Proto::Tcp, 8080, 8089, o(5)));
    old.capabilities.push(cap_rule(Allow, "setuid", o(6)));
    old.signals.push(signal_rule(
        Allow,
        SignalDir::Send,
        "org.example.peer",
        &[],
        o(7),
    ));
    let mut new = policy("org.example.app");
    new.net
        .push(net_rule(Allow, NetOp::Bind, Proto::Tcp, 8080, 8099, n(5)));
    new.net
        .push(net_rule(Deny, NetOp::Bind, Proto::Tcp, 8085, 8085, n(6)));
    new.signals.push(signal_rule(
        Allow,
        SignalDir::Send,
        "org.example.peer",
        &["term"],
        n(7),
    ));
    let d = diff(&old, &new);
    let net: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Net(x) => Some((x.direction, x.ports.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        net,
        vec![
            (Direction::Narrowed, "8085".to_string()),
            (Direction::Broadened, "8090-8099".to_string()),
        ]
    );
    let caps: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Capability(x) => Some((x.direction, x.capability.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(caps, vec![(Direction::Narrowed, "setuid".to_string())]);
    let sigs: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Signal(x) => Some((x.direction, x.signals.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        sigs,
        vec![(
            Direction::Narrowed,
            SignalSet::AllExcept(["term".to_string()].into())
        )]
    );
}

#[test]
fn transitions_mode_attach_and_owns() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.converter"),
        o(4),
    ));
    old.owns.push(owned("/var/lib/app/**", o(2)));
    let mut new = policy("org.example.app");
    new.files.push(file_rule(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        None,
        n(4),
    ));
    new.owns.push(owned("/var/lib/{app,app2}/**", n(2)));
    new.mode = Mode::Complain;
    new.attach = Some(Attach {
        path: "/usr/bin/app".into(),
        origin: n(1),
    });
    let d = diff(&old, &new);
    let t: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Transition(t) => Some((t.witness.clone(), t.old_as.clone(), t.new_as.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        t,
        vec![(
            Some("/usr/bin/convert".into()),
            Some(name("org.example.converter")),
            None
        )]
    );
    assert!(files(&d).is_empty(), "exec stays allowed: {d:#?}");
    let fields: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Policy(p) => Some((p.field, p.direction)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            (PolicyField::Mode, Direction::Broadened),
            (PolicyField::Attach, Direction::Changed)
        ]
    );
    let owns: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Owns(x) => Some((x.direction, x.witness.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        owns,
        vec![(Direction::Broadened, Some("/var/lib/app2/c".into()))]
    );
}

#[test]
fn equal_meaning_in_other_words_is_no_change() {
    let mut old = policy("org.example.app");
    old.files.push(file_rule(
        Allow,
        "/a/{b,c}",
        rights(&["read", "write"]),
        None,
        o(1),
    ));
    let mut new = policy("org.example.app");
    new.files
        .push(file_rule(Allow, "/a/c", rights(&["read"]), None, n(1)));
    new.files
        .push(file_rule(Allow, "/a/b", rights(&["rw"]), None, n(2)));
    new.files
        .push(file_rule(Allow, "/a/c", rights(&["write"]), None, n(3)));
    assert!(diff(&old, &new).is_empty(), "{:#?}", diff(&old, &new));
    assert!(diff(&new, &old).is_empty());
}

/// A diff touching every kind of change, as JSON (the schema of docs/diff.md).
pub fn sample() -> (polc_lang::ir::Policy, polc_lang::ir::Policy) {
    let mut old = policy("org.example.webapp");
    old.files.push(file_rule(
        Allow,
        "/etc/ssl/**",
        rights(&["read"]),
        None,
        o(10),
    ));
    old.files.push(file_rule(
        Deny,
        "/etc/ssl/private/**",
        rights(&["read"]),
        None,
        o(14),
    ));
    old.files.push(file_rule(
        Allow,
        "/var/lib/webapp/**",
        rights(&["read", "write"]),
        None,
        o(11),
    ));
    old.files.push(file_rule(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        Some("org.example.converter"),
        o(12),
    ));
    old.net
        .push(net_rule(Allow, NetOp::Connect, Proto::Tcp, 443, 443, o(16)));
    old.capabilities.push(cap_rule(Allow, "setuid", o(18)));
    let mut new = policy("org.example.webapp");
    new.files.push(file_rule(
        Allow,
        "/etc/ssl/**",
        rights(&["read"]),
        None,
        n(10),
    ));
    new.files.push(file_rule(
        Allow,
        "/var/lib/webapp/**",
        rights(&["read", "write", "create"]),
        None,
        n(11),
    ));
    new.files.push(file_rule(
        Deny,
        "/var/lib/webapp/keys/**",
        rights(&["write"]),
        None,
        n(15),
    ));
    new.files.push(file_rule(
        Allow,
        "/usr/bin/convert",
        rights(&["exec"]),
        None,
        n(12),
    ));
    new.net
        .push(net_rule(Allow, NetOp::Connect, Proto::Tcp, 443, 443, n(16)));
    new.net
        .push(net_rule(Allow, NetOp::Bind, Proto::Tcp, 8080, 8089, n(17)));
    new.signals.push(signal_rule(
        Allow,
        SignalDir::Receive,
        "org.example.webapp",
        &[],
        n(19),
    ));
    (old, new)
}

#[test]
fn json_form() {
    let (old, new) = sample();
    let d = diff(&old, &new);
    insta::assert_snapshot!(serde_json::to_string_pretty(&d).unwrap());
}

/// Load a policy from text (the IR of the real front end).
fn loaded(text: &str) -> polc_lang::ir::Policy {
    polc_lang::load(
        &polc_lang::Source::new("p.pol", text),
        &polc_lang::LoadOptions::default(),
    )
    .map_err(|f| f.diagnostics)
    .unwrap()
    .policy
}

/// The requests of the unix, network-family and ptrace changes, in words, by direction.
fn request_changes(d: &polc_lang::diff::Diff) -> Vec<(Direction, Vec<String>)> {
    d.changes
        .iter()
        .filter_map(|c| match c {
            Change::Request(r) => Some((r.direction, r.requests.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn unix_family_and_ptrace_changes_are_found_request_by_request() {
    let old = loaded(
        r#"policy a {
            allow unix connect stream abstract "@a" peer b
            allow ptrace read to b
            allow net netlink route
            allow unix bind dgram path "/run/a/*.sock"
        }"#,
    );
    let new = loaded(
        r#"policy a {
            allow unix connect, send stream abstract "@a" peer b
            allow ptrace read, trace to b
            allow net netlink route, audit
            allow unix bind dgram path "/run/a/**"
            deny unix bind dgram path "/run/a/x/*"
        }"#,
    );
    let d = diff(&old, &new);
    let got = request_changes(&d);
    let broadened: Vec<&String> = got
        .iter()
        .filter(|(dir, _)| *dir == Direction::Broadened)
        .flat_map(|(_, r)| r)
        .collect();
    assert!(
        broadened.contains(&&"unix send stream @a peer b".to_string()),
        "{got:?}"
    );
    assert!(
        broadened.contains(&&"ptrace trace to b".to_string()),
        "{got:?}"
    );
    assert!(
        broadened.contains(&&"net netlink audit raw".to_string()),
        "{got:?}"
    );
    // The wider path glob grants other paths (its shortest one stands for them), to
    // every peer, but not those under the new deny.
    assert!(
        broadened.contains(&&"unix bind dgram /run/a/b peer <any other policy>".to_string()),
        "{got:?}"
    );
    assert!(
        !broadened
            .iter()
            .any(|r| r.starts_with("unix bind dgram /run/a/x/")),
        "{got:?}"
    );
    assert!(
        got.iter().all(|(dir, _)| *dir == Direction::Broadened),
        "{got:?}"
    );
    assert!(d.broadens());
    // The same rules in another order: no change.
    assert!(diff(&new, &new).changes.is_empty());
    // Taking them away narrows, request by request.
    let back = request_changes(&diff(&new, &old));
    assert!(
        back.iter().all(|(dir, _)| *dir == Direction::Narrowed),
        "{back:?}"
    );
    assert_eq!(
        back.iter().map(|(_, r)| r.len()).sum::<usize>(),
        got.iter().map(|(_, r)| r.len()).sum::<usize>()
    );
}

#[test]
fn a_member_added_to_a_dbus_rule_is_a_change() {
    let old = loaded(
        r#"policy a {
            allow dbus send bus system path "/org/x" interface "org.x.I" member "{Get,Set}" name "org.x"
            allow dbus bind bus session name "org.a"
        }"#,
    );
    let new = loaded(
        r#"policy a {
            allow dbus send bus system path "/org/x" interface "org.x.I" member "{Get,Set,Reset}" name "org.x"
            allow dbus bind bus session name "org.a.*"
        }"#,
    );
    let got = request_changes(&diff(&old, &new));
    let broadened: Vec<&String> = got
        .iter()
        .filter(|(dir, _)| *dir == Direction::Broadened)
        .flat_map(|(_, r)| r)
        .collect();
    let reset = r#"dbus send bus system path "/org/x" interface "org.x.I" member "Reset" name "org.x" peer"#;
    assert!(broadened.iter().any(|r| r.starts_with(reset)), "{got:?}");
    assert!(
        broadened
            .iter()
            .all(|r| r.contains(r#"member "Reset""#) || r.starts_with("dbus bind")),
        "{got:?}"
    );
    // `org.a.*` grants names of its own (a valid one stands for them: `org.a.` is not
    // a bus name) and no longer `org.a` itself.
    assert!(
        broadened.iter().any(|r| {
            r.strip_prefix(r#"dbus bind bus session name "org.a."#)
                .is_some_and(|rest| rest.len() > 1)
        }),
        "{got:?}"
    );
    assert_eq!(
        got.iter()
            .filter(|(dir, _)| *dir == Direction::Narrowed)
            .collect::<Vec<_>>(),
        vec![&(
            Direction::Narrowed,
            vec![r#"dbus bind bus session name "org.a""#.to_string()]
        )]
    );
    // Swapped, each change has the other direction.
    let back = request_changes(&diff(&new, &old));
    assert_eq!(
        back.iter()
            .filter(|(dir, _)| *dir == Direction::Narrowed)
            .count(),
        got.iter()
            .filter(|(dir, _)| *dir == Direction::Broadened)
            .count(),
        "{back:?}"
    );
}

#[test]
fn dbus_witness_names_are_valid_names() {
    let old = loaded(
        r#"policy a {
            allow dbus send interface "org.a.*" member "Get*" name "org.b.*"
            allow dbus receive interface "org.*.I?" member "{On,Off}*" name "org.c*"
            deny dbus send member "*[0-9]"
            allow dbus bind name "org.a.*"
        }"#,
    );
    let new = loaded(
        r#"policy a {
            allow dbus send, receive interface "org.*" member "*" name "org.*"
            allow dbus bind name "org.*.x*"
        }"#,
    );
    let d = diff(&old, &new);
    let requests: Vec<String> = request_changes(&d)
        .into_iter()
        .flat_map(|(_, r)| r)
        .collect();
    assert!(requests.len() > 10, "{requests:?}");
    let mut checked = 0;
    for r in &requests {
        // Each quoted name of the request, in a rule of its own: the checker's grammar
        // accepts it (the stand-ins for names no rule names are not names).
        let words: Vec<&str> = r.split('"').collect();
        for pair in words.chunks(2) {
            let [before, value] = pair else { continue };
            let field = before.split_whitespace().last().unwrap_or_default();
            if value.starts_with("<any other") || !["interface", "member", "name"].contains(&field)
            {
                continue;
            }
            let text = format!("policy a {{\n allow dbus send {field} \"{value}\"\n}}");
            let loaded = polc_lang::load(
                &polc_lang::Source::new("p.pol", &text),
                &polc_lang::LoadOptions::default(),
            );
            assert!(loaded.is_ok(), "{field} {value:?} in {r}");
            checked += 1;
        }
    }
    assert!(checked > 10, "{requests:?}");
}

/// Rules of the kinds compared request by request, to build random policies from.
const IPC_RULES: &[&str] = &[
    r#"allow unix connect stream abstract "@a" peer b"#,
    r#"allow unix send, receive dgram"#,
    r#"deny unix connect peer unconfined"#,
    r#"allow unix bind path "/run/x/*.sock""#,
    r#"allow unix bind, listen path "/run/x/**""#,
    r#"deny unix bind path "/run/x/y/*""#,
    r#"allow unix send anonymous"#,
    r#"allow unix listen, accept stream path "/run/s" peer any"#,
    r#"allow unix connect seqpacket abstract peer c"#,
    r#"allow ptrace read to b"#,
    r#"allow ptrace trace to any"#,
    r#"deny ptrace trace to unconfined"#,
    r#"allow ptrace read from self"#,
    r#"allow ptrace from c"#,
    r#"allow net netlink route"#,
    r#"allow net netlink"#,
    r#"deny net netlink audit"#,
    r#"allow net raw"#,
    r#"allow net packet"#,
    r#"allow net netlink route raw"#,
    r#"deny net packet dgram"#,
    r#"allow net raw6"#,
    r#"allow dbus send bus system path "/org/x" interface "org.x.I" member "{A,B}" name "org.x""#,
    r#"allow dbus send, receive bus session path "/org/x/**" peer b"#,
    r#"deny dbus send member "B""#,
    r#"allow dbus receive interface "org.x.*" peer unconfined"#,
    r#"allow dbus bind bus session name "org.a.*""#,
    r#"deny dbus bind name "org.a.secret""#,
    r#"allow dbus send bus "other" name ":1.*""#,
];

/// Requests the random test asks, including peers, names and paths no rule names.
fn ipc_requests() -> Vec<polc_lang::eval::Request> {
    use polc_lang::eval::{Request, RequestPeer, UnixRequestAddr};
    use polc_lang::ir::ptrace::{PtraceAccess, PtraceDir};
    use polc_lang::ir::{FamilySockType, IpFamily, NetFamily, UnixOp, UnixType};
    let mut out = Vec::new();
    let addrs = [
        UnixRequestAddr::Path("/run/x/a.sock".into()),
        UnixRequestAddr::Path("/run/x/y/z".into()),
        UnixRequestAddr::Path("/run/x/q/r/s".into()),
        UnixRequestAddr::Path("/run/s".into()),
        UnixRequestAddr::Path("/elsewhere".into()),
        UnixRequestAddr::Abstract("@a".into()),
        UnixRequestAddr::Abstract("@zz".into()),
        UnixRequestAddr::Anonymous,
    ];
    let peers = ["a", "b", "c", "zz.other"];
    for op in UnixOp::ALL {
        for sock_type in UnixType::ALL {
            for addr in &addrs {
                let unix_peers = peers
                    .iter()
                    .map(|p| RequestPeer::Policy((*p).to_string()))
                    .chain([RequestPeer::Unconfined]);
                for peer in unix_peers {
                    out.push(Request::Unix {
                        op,
                        sock_type,
                        addr: addr.clone(),
                        peer,
                    });
                }
            }
        }
    }
    for direction in [PtraceDir::To, PtraceDir::From] {
        for access in PtraceAccess::ALL {
            for peer in peers.iter().copied().chain(["unconfined"]) {
                out.push(Request::Ptrace {
                    direction,
                    access,
                    peer: peer.to_string(),
                });
            }
        }
    }
    use polc_lang::eval::DbusRequest;
    use polc_lang::ir::DbusOp;
    for bus in ["system", "session", "other", "zz"] {
        for name in ["org.x", "org.a.b", "org.a.secret", ":1.5", "org.zz"] {
            out.push(Request::Dbus(DbusRequest::bind(bus, name)));
        }
        for op in [DbusOp::Send, DbusOp::Receive] {
            for path in ["/org/x", "/org/x/y", "/zz"] {
                for interface in [Some("org.x.I"), Some("org.x.J"), Some("org.zz.I"), None] {
                    for member in ["A", "B", "C"] {
                        for name in ["org.x", ":1.5", "org.zz"] {
                            for peer in peers
                                .iter()
                                .map(|p| RequestPeer::Policy((*p).to_string()))
                                .chain([RequestPeer::Unconfined])
                            {
                                out.push(Request::Dbus(DbusRequest::message(
                                    op,
                                    bus,
                                    path,
                                    interface,
                                    member,
                                    Some(name),
                                    peer,
                                )));
                            }
                        }
                    }
                }
            }
        }
    }
    for (family, protocol) in [
        (NetFamily::Netlink, Some("route")),
        (NetFamily::Netlink, Some("audit")),
        (NetFamily::Netlink, Some("usersock")),
        (NetFamily::Netlink, None),
        (NetFamily::Raw, None),
        (NetFamily::Packet, None),
    ] {
        // A real socket: raw IP of one version, netlink and packet of one type.
        let shapes = match family {
            NetFamily::Raw => vec![(Some(IpFamily::Inet), None), (Some(IpFamily::Inet6), None)],
            _ => vec![
                (None, Some(FamilySockType::Raw)),
                (None, Some(FamilySockType::Dgram)),
            ],
        };
        for (ip, sock_type) in shapes {
            out.push(Request::NetFamily {
                family,
                ip,
                protocol: protocol.map(str::to_string),
                sock_type,
            });
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Complete against the evaluator: every request two random policies decide
    /// differently is in a change of its direction, cited with the same deciding rules
    /// on both sides (the change's requests stand for it).
    #[test]
    fn every_ipc_request_decided_differently_is_in_the_diff(
        old_rules in proptest::sample::subsequence(IPC_RULES.to_vec(), 0..=8),
        new_rules in proptest::sample::subsequence(IPC_RULES.to_vec(), 0..=8),
    ) {
        let text = |rules: &[&str]| format!("policy a {{\n{}\n}}\n", rules.join("\n"));
        let (old, new) = (loaded(&text(&old_rules)), loaded(&text(&new_rules)));
        let d = diff(&old, &new);
        for req in ipc_requests() {
            let (o, n) = (polc_lang::eval::evaluate(&old, &req), polc_lang::eval::evaluate(&new, &req));
            if o.allowed == n.allowed {
                continue;
            }
            let direction = if n.allowed { Direction::Broadened } else { Direction::Narrowed };
            let ids = |d: &polc_lang::eval::Decision| d.deciding.iter().map(|r| r.index).collect::<Vec<_>>();
            let cited = |s: &polc_lang::diff::Side| s.rules.iter().map(|r| r.index).collect::<Vec<_>>();
            let found = d.changes.iter().any(|c| match c {
                Change::Request(r) => r.direction == direction && cited(&r.old) == ids(&o) && cited(&r.new) == ids(&n),
                _ => false,
            });
            proptest::prop_assert!(found, "{} missing from the diff of\n{}\nand\n{}\n{:#?}", req.describe(), text(&old_rules), text(&new_rules), d.changes);
        }
    }
}

#[test]
fn an_audit_qualifier_added_or_removed_is_a_change() {
    let old = loaded("policy a {\n    allow read \"/x\"\n    audit deny write \"/y\"\n}\n");
    let new = loaded("policy a {\n    audit allow read \"/x\"\n    deny write \"/y\"\n}\n");
    let d = diff(&old, &new);
    let audits: Vec<(bool, String)> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Audit(a) => Some((a.audited, a.rule.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        audits,
        [
            (true, r#"audit allow read "/x""#.to_string()),
            (false, r#"audit deny write "/y""#.to_string()),
        ]
    );
    // Nothing else changed, and the audit changes are neither more nor less.
    assert_eq!(d.changes.len(), 2);
    assert!(d
        .changes
        .iter()
        .all(|c| c.direction() == Direction::Changed));
}
