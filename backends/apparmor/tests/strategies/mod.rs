//! Proptest strategies: policies with hostile strings in their paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use crate::common::PolicyBuilder;
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, Policy, Proto, SignalDir};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Characters that are literal in polc but mean something to AppArmor, its lexer or a
/// shell, plus non-ASCII.
pub const HOSTILE: &[&str] = &[
    "\"", ",", "[", "]", "^", "\\", "@", "#", "$", "(", ")", ".", "+", "|", "'", "=", "!", "<",
    ">", ":", ";", "%", "&", "~", "-", " ", "é", "中", "😀", "\u{a0}", "\u{2028}",
];

/// Whole strings crafted to break out of a quoted AppArmor path.
pub const PAYLOADS: &[&str] = &[
    "\" r, /etc/shadow rw, \"",
    "\\\" r,",
    "\\",
    "\\\\\"",
    "@HOME",
    "@",
    "\\x22",
    "\\052",
    "\\\"] profile evil [ /_ rwx, ]",
    "#include <abstractions/base>",
    "\" px -> unconfined, \"",
    "^[a-z]$",
    ",}",
];

/// Character classes, with the members AppArmor's class syntax and lexer read
/// specially (`- ] ^ \\ " ,`), negations, and `@` right before a class.
pub const CLASSES: &[&str] = &[
    "[a-z]", "[0-9]", "[^.]", "[^/]", "[]-]", "[-^]", "[^]^\\-]", "[\"\\]", "[,@]", "@[^a]", "[[]",
    "[!-~]",
];

fn literal_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9_]{1,4}",
        4 => proptest::sample::select(HOSTILE).prop_map(str::to_string),
        1 => proptest::sample::select(PAYLOADS).prop_map(str::to_string),
    ]
}

/// One path component of literal text (never empty, `.` or `..`, never a `/`).
pub fn literal_component() -> impl Strategy<Value = String> {
    proptest::collection::vec(literal_piece(), 1..4)
        // `/` separates components; `* ? { }` are glob syntax in polc; a literal `[` is
        // the class `[[]` (and `+` is `[+]`).
        .prop_map(|v| {
            v.concat()
                .replace(['/', '*', '?', '{', '}'], "_")
                .replace('[', "[[]")
                // `+` right after a class repeats it: write it as a class too.
                .replace('+', "[+]")
        })
        .prop_map(|s| {
            if s == "." || s == ".." {
                format!("{s}x")
            } else {
                s
            }
        })
}

/// A path of literal components.
pub fn literal_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(literal_component(), 1..4).prop_map(|v| format!("/{}", v.join("/")))
}

/// A literal alternative of a group (a `,` there would separate alternatives).
fn alternative() -> impl Strategy<Value = String> {
    literal_component().prop_map(|s| s.replace(',', "_"))
}

/// A glob component: literals, wildcards and groups.
fn glob_component() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        6 => literal_component(),
        1 => Just("*".to_string()),
        1 => Just("?".to_string()),
        1 => (alternative(), alternative()).prop_map(|(a, b)| format!("{{{a},{b}}}")),
        1 => (alternative(), alternative()).prop_map(|(a, b)| format!("{{{a},{b}/*}}")),
        1 => (alternative(), alternative()).prop_map(|(a, b)| format!("{a}{{{b},}}")),
        1 => alternative().prop_map(|a| format!("@{{{a}}}")),
        1 => proptest::sample::select(CLASSES).prop_map(str::to_string),
        1 => proptest::sample::select(CLASSES).prop_map(|c| format!("{c}+")),
    ];
    proptest::collection::vec(atom, 1..3).prop_map(|v| {
        // `**` only as a whole component (`a**` is allowed too, but `***` is malformed).
        v.concat().replace("**", "*")
    })
}

/// A glob of one to three components, the last possibly `**`.
pub fn glob() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(glob_component(), 1..4),
        prop_oneof![3 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(v, starstar)| {
            let mut g = format!("/{}", v.join("/"));
            if starstar {
                g.push_str("/**");
            }
            g
        })
}

fn rights() -> impl Strategy<Value = String> {
    let names = [
        "read", "write", "append", "create", "delete", "list", "exec", "map-exec", "lock", "link",
        "rename", "rw", "manage",
    ];
    proptest::sample::subsequence(names.to_vec(), 1..4).prop_map(|v| v.join(" "))
}

fn dir_rights() -> impl Strategy<Value = String> {
    let names = ["create", "delete", "list", "rename"];
    proptest::sample::subsequence(names.to_vec(), 1..4).prop_map(|v| v.join(" "))
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![3 => Just(Effect::Allow), 1 => Just(Effect::Deny)]
}

const NAMES: &[&str] = &[
    "org.example.app",
    "org.example.other",
    "a",
    "x-1.y2",
    "svc.db",
];

const CAPS: &[&str] = &[
    "setuid",
    "net_bind_service",
    "sys_admin",
    "bpf",
    "no_such_cap",
];

const SIGNALS: &[&str] = &["term", "kill", "hup", "usr1", "tstp", "rtmin+3", "bogus"];

#[derive(Clone, Debug)]
pub enum Stmt {
    File(Effect, String, String, Option<&'static str>),
    Net(Effect, NetOp, Proto, Option<IpFamily>, Option<(u16, u16)>),
    Cap(Effect, &'static str),
    Signal(Effect, SignalDir, Vec<&'static str>, &'static str),
    Dbus(Box<polc_lang::ir::DbusRule>),
}

/// Bus names, interfaces and members, literal and as globs (braces, classes, `*`).
const DBUS_NAMES: &[&str] = &[
    "org.freedesktop.DBus",
    "org.example.*",
    "{Hello,AddMatch}",
    ":1.4[0-9]",
    "org.a-b.c_d",
    "Get?ll",
];

fn dbus_rule() -> impl Strategy<Value = polc_lang::ir::DbusRule> {
    use polc_lang::ir::{DbusOp, DbusRule, Peer, PolicyName};
    let name = || proptest::option::of(proptest::sample::select(DBUS_NAMES).prop_map(String::from));
    (
        effect(),
        any::<bool>(),
        prop_oneof![
            Just(vec![DbusOp::Send]),
            Just(vec![DbusOp::Receive]),
            Just(vec![DbusOp::Send, DbusOp::Receive]),
            Just(vec![DbusOp::Bind]),
        ],
        proptest::option::of(proptest::sample::select(
            &["system", "session", "accessibility"][..],
        )),
        proptest::option::of(glob()),
        (name(), name(), name()),
        proptest::sample::select(
            NAMES
                .iter()
                .map(|n| Some(*n))
                .chain([None, Some("unconfined")])
                .collect::<Vec<_>>(),
        ),
    )
        .prop_map(
            |(effect, audit, ops, bus, path, (interface, member, bus_name), peer)| {
                let bind = ops.contains(&DbusOp::Bind);
                DbusRule {
                    effect,
                    audit,
                    ops: ops.into_iter().collect(),
                    bus: bus.map(String::from),
                    // The checker keeps `bind` to a bus and a name.
                    path: path
                        .and_then(|g| polc_lang::glob::Glob::parse(&g).ok())
                        .filter(|_| !bind),
                    interface: interface.filter(|_| !bind),
                    member: member.filter(|_| !bind),
                    name: bus_name,
                    peer: match peer {
                        _ if bind => Peer::Any,
                        None => Peer::Any,
                        Some("unconfined") => Peer::Unconfined,
                        Some(n) => Peer::Policy(PolicyName::new(n).unwrap()),
                    },
                    origins: Vec::new(),
                }
            },
        )
}

fn stmt() -> impl Strategy<Value = Stmt> {
    prop_oneof![
        6 => (effect(), rights(), glob()).prop_map(|(e, r, g)| Stmt::File(e, r, g, None)),
        // Directory-only rules: a trailing `/`, rights that apply to a directory.
        2 => (effect(), dir_rights(), glob()).prop_map(|(e, r, g)| Stmt::File(e, r, format!("{g}/"), None)),
        1 => (literal_path(), proptest::sample::select(NAMES))
            .prop_map(|(p, n)| Stmt::File(Effect::Allow, "exec".into(), p, Some(n))),
        2 => (
            effect(),
            prop_oneof![Just(NetOp::Connect), Just(NetOp::Bind)],
            prop_oneof![Just(Proto::Tcp), Just(Proto::Udp)],
            prop_oneof![
                2 => Just(None),
                1 => Just(Some(IpFamily::Inet)),
                1 => Just(Some(IpFamily::Inet6))
            ],
            proptest::option::of((1u16..=65535, 0u16..100)),
        )
            .prop_map(|(e, op, proto, f, p)| {
                Stmt::Net(e, op, proto, f, p.map(|(lo, w)| (lo, lo.saturating_add(w))))
            }),
        1 => (effect(), proptest::sample::select(CAPS)).prop_map(|(e, c)| Stmt::Cap(e, c)),
        1 => (
            effect(),
            prop_oneof![Just(SignalDir::Send), Just(SignalDir::Receive)],
            proptest::sample::subsequence(SIGNALS.to_vec(), 0..3),
            proptest::sample::select(NAMES),
        )
            .prop_map(|(e, d, s, n)| Stmt::Signal(e, d, s, n)),
        1 => dbus_rule().prop_map(|r| Stmt::Dbus(Box::new(r))),
    ]
}

/// The parts of a policy: name, attachment, complain mode, statements.
pub type Parts = (&'static str, Option<String>, bool, Vec<Stmt>);

/// The parts of a policy with up to a dozen statements, hostile paths included.
pub fn parts() -> impl Strategy<Value = Parts> {
    (
        proptest::sample::select(NAMES),
        proptest::option::of(literal_path()),
        any::<bool>(),
        proptest::collection::vec(stmt(), 0..12),
    )
}

/// Lower the parts to the IR as the front end does (rules merged and sorted).
pub fn build((name, attach, complain, stmts): &Parts) -> Policy {
    let mut b = PolicyBuilder::new(name);
    if let Some(a) = attach {
        b = b.attach(a);
    }
    if *complain {
        b = b.complain();
    }
    // Like the checker, refuse two exec transitions for the same path.
    let mut transitions: BTreeMap<String, Option<&str>> = BTreeMap::new();
    let mut dbus = Vec::new();
    for s in stmts.iter().cloned() {
        b = match s {
            // The glob module refuses what the checker would (`.` components made of
            // payload characters, stars joined across a brace).
            Stmt::File(_, _, g, _) if polc_lang::glob::Glob::parse_path(&g).is_err() => continue,
            Stmt::File(e, r, g, as_) => {
                let execs = e == Effect::Allow
                    && crate::common::rights(&r).contains(polc_lang::rights::Right::Exec);
                if execs && *transitions.entry(g.clone()).or_insert(as_) != as_ {
                    continue;
                }
                b.file(e, &r, &[&g], as_)
            }
            Stmt::Net(e, op, proto, f, ports) => b.net_on(e, op, proto, f, ports),
            Stmt::Cap(e, c) => b.cap(e, &[c]),
            Stmt::Signal(e, d, s, n) => b.signal(e, d, &s, n),
            Stmt::Dbus(r) => {
                if !dbus
                    .iter()
                    .any(|x: &polc_lang::ir::DbusRule| x.text() == r.text())
                {
                    dbus.push(*r);
                }
                b
            }
        };
    }
    let mut p = b.build();
    dbus.sort_by_key(|r| r.text());
    p.dbus = dbus;
    p
}

/// A policy with up to a dozen statements, hostile paths included.
pub fn policy() -> impl Strategy<Value = Policy> {
    parts().prop_map(|p| build(&p))
}
