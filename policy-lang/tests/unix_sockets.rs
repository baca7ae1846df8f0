//! Unix-socket rules and network-family rules, from policy text: syntax and formatter
//! round trip, the JSON form, lowering and the evaluator's decisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::eval::{evaluate, Reason, Request, RequestPeer, RuleKind, UnixRequestAddr};
use polc_lang::ir::{NetFamily, Policy, UnixAddr, UnixOp, UnixPeer, UnixType};
use polc_lang::{load, LoadOptions, Source};

const POLICY: &str = r#"policy org.example.app {
    allow unix connect, send, receive stream path "/run/app/*.sock" peer org.example.server
    allow unix bind, listen, accept stream abstract "@org.example.app"
    allow unix send, receive dgram anonymous peer self
    allow unix connect seqpacket abstract peer unconfined
    deny unix connect seqpacket abstract "@forbidden"
    allow net netlink route, kobject_uevent
    allow net raw icmp
    allow net packet
    deny net netlink audit
}
"#;

fn loaded(name: &str, text: &str) -> Policy {
    match load(&Source::new(name, text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!("{:#?}", f.diagnostics),
    }
}

fn unix(op: UnixOp, ty: UnixType, addr: UnixRequestAddr, peer: &str) -> Request {
    Request::Unix {
        op,
        sock_type: ty,
        addr,
        peer: RequestPeer::parse(peer),
    }
}

fn path(p: &str) -> UnixRequestAddr {
    UnixRequestAddr::Path(p.into())
}

fn abs(n: &str) -> UnixRequestAddr {
    UnixRequestAddr::Abstract(n.into())
}

fn family(f: NetFamily, p: Option<&str>) -> Request {
    Request::net_family(f, p)
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
    // Rights-style spacing: commas between operations are optional.
    let (spaced, d) = polc_lang::syntax::parse(
        "c.pol",
        "policy org.example.app {\n    allow unix connect send stream\n}\n",
    );
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(
        polc_lang::fmt::format(&spaced),
        "policy org.example.app {\n    allow unix connect, send stream\n}\n"
    );
}

#[test]
fn the_json_form_gives_the_same_ir() {
    let (file, _) = polc_lang::syntax::parse("a.pol", POLICY);
    let json = polc_lang::json::to_json_form(&file).unwrap();
    assert!(json.contains("\"unix\""), "{json}");
    assert!(json.contains("\"net_family\""), "{json}");
    let from_json = loaded("a.json", &json);
    let from_text = loaded("a.pol", POLICY);
    assert_eq!(from_json.unix.len(), from_text.unix.len());
    for (a, b) in from_json.unix.iter().zip(&from_text.unix) {
        assert_eq!(a.text(), b.text());
    }
    assert_eq!(from_json.net_families.len(), from_text.net_families.len());
}

#[test]
fn lowering_resolves_self_and_splits_protocols() {
    let p = loaded("a.pol", POLICY);
    assert_eq!(p.unix.len(), 5);
    let anon = p
        .unix
        .iter()
        .find(|r| r.addr == UnixAddr::Anonymous)
        .unwrap();
    assert_eq!(anon.peer, UnixPeer::Policy(p.name.clone()));
    assert_eq!(anon.sock_type, Some(UnixType::Dgram));
    // one family rule per protocol
    let netlink: Vec<_> = p
        .net_families
        .iter()
        .filter(|r| r.family == NetFamily::Netlink)
        .map(|r| r.text())
        .collect();
    assert_eq!(
        netlink,
        [
            "allow net netlink kobject_uevent",
            "allow net netlink route",
            "deny net netlink audit"
        ]
    );
    // v1 policies keep their IR: the new lists are not serialized when empty
    let v1 = loaded(
        "v1.pol",
        "policy org.example.v1 {\n    allow read \"/etc/hosts\"\n}\n",
    );
    let json = v1.to_json();
    assert!(
        !json.contains("\"unix\"") && !json.contains("net_families"),
        "{json}"
    );
}

#[test]
fn unix_requests_are_decided_by_every_part_of_the_rule() {
    let p = loaded("a.pol", POLICY);
    use UnixOp::*;
    use UnixType::*;
    let cases: [(Request, bool); 16] = [
        // path glob, type and peer
        (
            unix(
                Connect,
                Stream,
                path("/run/app/db.sock"),
                "org.example.server",
            ),
            true,
        ),
        (
            unix(
                Receive,
                Stream,
                path("/run/app/db.sock"),
                "org.example.server",
            ),
            true,
        ),
        (
            unix(
                Connect,
                Stream,
                path("/run/app/sub/db.sock"),
                "org.example.server",
            ),
            false,
        ),
        (
            unix(
                Connect,
                Stream,
                path("/run/app/db.sock"),
                "org.example.other",
            ),
            false,
        ),
        (
            unix(
                Connect,
                Dgram,
                path("/run/app/db.sock"),
                "org.example.server",
            ),
            false,
        ),
        (
            unix(Bind, Stream, path("/run/app/db.sock"), "org.example.server"),
            false,
        ),
        (
            unix(
                Connect,
                Stream,
                path("/run/app/../x.sock"),
                "org.example.server",
            ),
            false,
        ),
        // abstract name, any peer
        (
            unix(Listen, Stream, abs("@org.example.app"), "unconfined"),
            true,
        ),
        (
            unix(Listen, Stream, abs("@org.example.other"), "unconfined"),
            false,
        ),
        // anonymous, peer self (by name or `self`)
        (unix(Send, Dgram, UnixRequestAddr::Anonymous, "self"), true),
        (
            unix(Send, Dgram, UnixRequestAddr::Anonymous, "org.example.app"),
            true,
        ),
        (
            unix(Send, Dgram, UnixRequestAddr::Anonymous, "org.example.b"),
            false,
        ),
        (unix(Send, Dgram, abs("@x"), "self"), false),
        // every abstract name to unconfined peers, but the deny wins
        (unix(Connect, Seqpacket, abs("@ctl"), "unconfined"), true),
        (
            unix(Connect, Seqpacket, abs("@ctl"), "org.example.b"),
            false,
        ),
        (
            unix(Connect, Seqpacket, abs("@forbidden"), "unconfined"),
            false,
        ),
    ];
    for (r, want) in cases {
        assert_eq!(evaluate(&p, &r).allowed, want, "{r:?}");
    }
    let d = evaluate(
        &p,
        &unix(Connect, Seqpacket, abs("@forbidden"), "unconfined"),
    );
    assert_eq!(d.reason, Reason::Denied);
    assert!(d.deciding.iter().all(|r| r.kind == RuleKind::Unix));
}

#[test]
fn family_requests_match_family_and_protocol() {
    let p = loaded("a.pol", POLICY);
    let cases = [
        (family(NetFamily::Netlink, Some("route")), true),
        (family(NetFamily::Netlink, Some("kobject_uevent")), true),
        (family(NetFamily::Netlink, Some("audit")), false),
        (family(NetFamily::Netlink, Some("generic")), false),
        (family(NetFamily::Raw, Some("icmp")), true),
        (family(NetFamily::Raw, Some("icmpv6")), false),
        (family(NetFamily::Packet, None), true),
    ];
    for (r, want) in cases {
        assert_eq!(evaluate(&p, &r).allowed, want, "{r:?}");
    }
    let d = evaluate(&p, &family(NetFamily::Netlink, Some("audit")));
    assert_eq!(d.reason, Reason::Denied);
    let empty = loaded("e.pol", "policy org.example.e {\n}\n");
    let d = evaluate(&empty, &family(NetFamily::Packet, None));
    assert_eq!(d.reason, Reason::DefaultDeny);
}

#[test]
fn socket_types_and_raw_ip_versions() {
    use polc_lang::ir::{FamilySockType, IpFamily};
    let p = loaded(
        "typed.pol",
        "policy org.example.typed {\n    allow net netlink route dgram\n    allow net raw6\n    allow net raw icmp\n    deny net packet raw\n    allow net packet\n}\n",
    );
    let req = |family, ip, protocol: Option<&str>, sock_type| Request::NetFamily {
        family,
        ip,
        protocol: protocol.map(str::to_string),
        sock_type,
    };
    let cases = [
        (
            req(
                NetFamily::Netlink,
                None,
                Some("route"),
                Some(FamilySockType::Dgram),
            ),
            true,
        ),
        (
            req(
                NetFamily::Netlink,
                None,
                Some("route"),
                Some(FamilySockType::Raw),
            ),
            false,
        ),
        // No type: both types must be allowed.
        (req(NetFamily::Netlink, None, Some("route"), None), false),
        (
            req(NetFamily::Raw, Some(IpFamily::Inet6), Some("icmpv6"), None),
            true,
        ),
        // No IP version: IPv4 is refused for icmpv6.
        (req(NetFamily::Raw, None, Some("icmpv6"), None), false),
        (req(NetFamily::Raw, None, Some("icmp"), None), true),
        (
            req(NetFamily::Packet, None, None, Some(FamilySockType::Dgram)),
            true,
        ),
        (
            req(NetFamily::Packet, None, None, Some(FamilySockType::Raw)),
            false,
        ),
        (req(NetFamily::Packet, None, None, None), false),
    ];
    for (r, allowed) in cases {
        assert_eq!(evaluate(&p, &r).allowed, allowed, "{r:?}");
    }
    let texts: Vec<String> = p.net_families.iter().map(|r| r.text()).collect();
    assert!(
        texts.contains(&"allow net netlink route dgram".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"allow net raw6".to_string()), "{texts:?}");
    assert!(
        texts.contains(&"deny net packet raw".to_string()),
        "{texts:?}"
    );
}

#[test]
fn a_family_rule_type_on_the_next_line_is_its_type() {
    // As protocols may continue on the next line, so may the type: formatting puts it
    // back on the rule's line without changing the tree.
    let p = loaded(
        "next.pol",
        "policy org.example.next {\n    allow net packet\n        dgram\n}\n",
    );
    assert_eq!(
        p.net_families.iter().map(|r| r.text()).collect::<Vec<_>>(),
        vec!["allow net packet dgram".to_string()]
    );
}
