//! Generated policies and hostile strings, judged by secilc and sesearch.
//!
//! - 500 random policies per run are compiled and checked by secilc in one batch with the
//!   minimal base (neverallow checking on), and sesearch on the result shows exactly the
//!   allow rules each module promises.
//! - Globs full of quotes, parentheses, semicolons, spaces and other bytes cannot inject
//!   CIL: every module is one balanced `block`, and secilc accepts them all.
//! - Two packages whose names a naive mapping would merge compile into one policy
//!   without collisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    DbusOp, DbusRule, IpFamily, NetOp, Peer, Policy, PolicyName, Proto, SignalDir,
};

/// Whether a generated D-Bus rule names a member (the other half names none).
fn lo_member(signals: &[&str]) -> bool {
    signals.first().is_some_and(|s| s.len() % 2 == 0)
}
use polc_lang::rights::Rights;
use polc_selinux::{block_name, compile, decode};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const PREFIXES: &[&str] = &[
    "/etc",
    "/etc/ssl",
    "/usr/bin",
    "/usr/lib",
    "/usr/share/app",
    "/var/lib",
    "/var/lib/app",
    "/tmp",
    "/run",
    "/opt/x",
    "/",
];
const RIGHTS: &[&str] = &[
    "read", "write", "append", "create", "delete", "list", "exec", "map-exec", "lock", "link",
    "rename", "rw", "manage",
];
const CAPS: &[&str] = &[
    "chown",
    "setuid",
    "net_bind_service",
    "sys_admin",
    "syslog",
    "bpf",
    "kill",
];
const SIGS: &[&str] = &["term", "kill", "hup", "usr1", "stop", "chld"];

fn glob() -> impl Strategy<Value = String> {
    let tail = prop::collection::vec(
        prop_oneof![
            Just("a".to_string()),
            Just("b.conf".to_string()),
            Just("*".to_string()),
            Just("**".to_string()),
            Just("x?".to_string()),
            Just("{c,d}".to_string()),
            Just("{e,f/**}".to_string()),
            Just("private".to_string()),
        ],
        0..3,
    );
    (prop::sample::select(PREFIXES), tail).prop_map(|(p, t)| {
        let mut s = p.trim_end_matches('/').to_string();
        for part in t {
            s.push('/');
            s.push_str(&part);
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    })
}

fn policy(i: usize) -> impl Strategy<Value = Policy> {
    let files = prop::collection::vec(
        (
            any::<bool>(),
            prop::collection::vec(prop::sample::select(RIGHTS), 1..4),
            glob(),
            prop::option::weighted(0.15, 0..3usize),
            // Directory-only, when its rights all apply to a directory.
            prop::bool::weighted(0.3),
        ),
        0..6,
    );
    let net = prop::collection::vec(
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            1u16..9000,
            0u16..20,
        ),
        0..3,
    );
    let caps = prop::collection::vec((any::<bool>(), prop::sample::select(CAPS)), 0..3);
    let sigs = prop::collection::vec(
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(prop::sample::select(SIGS), 0..3),
            0..3usize,
        ),
        0..3,
    );
    let owns = prop::collection::vec(glob(), 0..3);
    (any::<bool>(), any::<bool>(), owns, files, net, caps, sigs).prop_map(
        move |(attach, complain, owns, files, net, caps, sigs)| {
            let name = format!("gen{i}.app");
            let peer = |k: usize| match k {
                0 => name.clone(),
                1 => format!("gen{}.app", (i + 1) % 500),
                _ => "org.example.absent".to_string(),
            };
            let mut p = P::new(&name);
            if attach {
                p = p.attach(&format!("/usr/bin/gen{i}"));
            }
            if complain {
                p = p.complain();
            }
            for o in owns {
                p = p.owns(&o);
            }
            for (allow, rights, g, exec_as, dir_only) in files {
                let on_dirs = rights.iter().all(|r| {
                    Rights::from_keyword(r).is_some_and(|rs| rs.is_subset(Rights::ON_DIRECTORIES))
                });
                let mut rights = rights.join(" ");
                p = match (allow, exec_as) {
                    (true, Some(k)) => {
                        rights.push_str(" exec");
                        let mut q = p.allow(&rights, &g);
                        let last = q.0.files.len() - 1;
                        q.0.files[last].exec_as = Some(PolicyName::new(&peer(k)).unwrap());
                        q
                    }
                    (true, None) => p.allow(&rights, &g),
                    (false, _) => p.deny(&rights, &g),
                };
                if dir_only && on_dirs && exec_as.is_none() {
                    let last = p.0.files.len() - 1;
                    p.0.files[last].dir_only = true;
                }
            }
            for (allow, connect, tcp, lo, width) in net {
                let eff = if allow { Effect::Allow } else { Effect::Deny };
                let op = if connect { NetOp::Connect } else { NetOp::Bind };
                let proto = if tcp { Proto::Tcp } else { Proto::Udp };
                p = p.net(eff, op, proto, lo, lo.saturating_add(width));
                // One IP version on a third of the rules each (from the port, to keep
                // the strategy's shape).
                if let Some(r) = p.0.net.last_mut() {
                    r.family =
                        [None, Some(IpFamily::Inet), Some(IpFamily::Inet6)][usize::from(lo % 3)];
                }
            }
            for (allow, c) in caps {
                p = p.cap(if allow { Effect::Allow } else { Effect::Deny }, c);
            }
            for (allow, send, s, k) in sigs {
                let dir = if send {
                    SignalDir::Send
                } else {
                    SignalDir::Receive
                };
                p = p.signal(
                    if allow { Effect::Allow } else { Effect::Deny },
                    dir,
                    &s,
                    &peer(k),
                );
                // A D-Bus rule beside every other signal rule: the same direction and
                // peer, narrowed by a member on every other one (`dbus send_msg`).
                if s.len() % 2 == 0 {
                    let op = if send { DbusOp::Send } else { DbusOp::Receive };
                    p.0.dbus.push(DbusRule {
                        effect: if allow { Effect::Allow } else { Effect::Deny },
                        audit: k == 1,
                        ops: [op].into_iter().collect(),
                        bus: None,
                        path: None,
                        interface: None,
                        member: (lo_member(&s)).then(|| "Get".to_string()),
                        name: None,
                        peer: Peer::Policy(PolicyName::new(&peer(k)).unwrap()),
                        origins: Vec::new(),
                    });
                }
            }
            p.0.dbus.push(DbusRule {
                effect: Effect::Allow,
                audit: false,
                ops: [DbusOp::Bind].into_iter().collect(),
                bus: Some("session".into()),
                path: None,
                interface: None,
                member: None,
                name: Some(format!("org.gen{i}")),
                peer: Peer::Any,
                origins: Vec::new(),
            });
            p.build()
        },
    )
}

#[test]
fn secilc_accepts_500_generated_policies_and_sesearch_shows_what_they_promise() {
    let cfg = base_config();
    let mut runner = TestRunner::default();
    let mut modules = Vec::new();
    let mut compiled = Vec::new();
    let mut names = Vec::new();
    for i in 0..500 {
        let p = policy(i).new_tree(&mut runner).unwrap().current();
        let c = compile(&p, &cfg).unwrap_or_else(|e| panic!("{e}\n{}", p.to_json()));
        names.push(p.name.to_string());
        modules.push((c.module_name.clone(), c.cil.clone()));
        compiled.push((p, c));
    }
    let (_dir, pol) = secilc_batch(&modules);
    let rules = sesearch_allows(&pol);
    let installed: Vec<&str> = names.iter().map(String::as_str).collect();
    let promised_all = promised(compiled.iter().map(|x| &x.1), &installed);
    for (p, c) in &compiled {
        let shown = of_block(&rules, &c.module_name);
        let want = of_block(&promised_all, &c.module_name);
        assert_eq!(
            shown,
            want,
            "allow rules of `{}` differ:\n{}\n{}",
            c.module_name,
            p.to_json(),
            c.cil
        );
    }
}

fn hostile_component() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('"'),
            Just('('),
            Just(')'),
            Just(';'),
            Just(' '),
            Just('\\'),
            Just('\''),
            Just('\n'),
            Just('\t'),
            Just('$'),
            Just('^'),
            Just('|'),
            Just('['),
            Just('#'),
            Just('é'),
            Just('a'),
            Just('.'),
            Just('*'),
            Just('{'),
            Just('}'),
            Just(','),
        ],
        1..8,
    )
    .prop_map(|v| v.into_iter().collect::<String>())
    .prop_filter("not a dot component", |s| s != "." && s != "..")
}

fn hostile_glob() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_component(), 1..4)
        .prop_map(|v| format!("/{}", v.join("/")))
        .prop_filter("a glob the language accepts", |s| Glob::parse(s).is_ok())
}

/// The top-level forms of a CIL text, or why it does not parse (quotes hold no newline,
/// comments run to the end of the line, parentheses balance).
fn cil_forms(text: &str) -> Result<usize, String> {
    let mut depth = 0i64;
    let mut forms = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\n') | None => return Err("unterminated string".into()),
                    Some(_) => {}
                }
            },
            '(' => {
                if depth == 0 {
                    forms += 1;
                }
                depth += 1;
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)`".into());
                }
            }
            c if c.is_whitespace() => {}
            c if depth == 0 => return Err(format!("`{c}` outside any form")),
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `(`".into());
    }
    Ok(forms)
}

#[test]
fn hostile_paths_cannot_inject_cil() {
    let cfg = base_config();
    let mut runner = TestRunner::default();
    let mut modules = Vec::new();
    for i in 0..150 {
        let globs = prop::collection::vec(hostile_glob(), 1..4)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut p = P::new(&format!("hostile{i}"));
        if let Some(g) = globs
            .iter()
            .find(|g| Glob::parse(g).is_ok_and(|g| g.is_literal()))
        {
            p = p.attach(g);
        }
        for g in &globs {
            p = p.owns(g).allow("read write create", g);
            // (a glob the language accepts may not accept a component after it)
            let below = format!("{g}/x");
            if Glob::parse(&below).is_ok() {
                p = p.deny("write", &below);
            }
        }
        let p = p.build();
        let c = compile(&p, &cfg).unwrap();
        assert_eq!(cil_forms(&c.cil), Ok(1), "{}", c.cil);
        for line in c.cil.lines() {
            if let Some(rest) = line.trim().strip_prefix("(filecon \"") {
                let re = rest.split('"').next().unwrap();
                assert!(
                    re.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "/_-\\.*+?|()[]^".contains(ch)),
                    "unexpected character in `{re}`"
                );
            }
        }
        modules.push((c.module_name.clone(), c.cil));
    }
    secilc_batch(&modules);
}

#[test]
fn two_packages_do_not_collide() {
    // `web-app` and `web.app`, `a-b.c` and `a.b-c`: a naive `-`/`.` to `_` mapping would merge them
    let names = ["org.web-app", "org.web.app", "a-b.c", "a.b-c"];
    let cfg = base_config();
    let mut modules = Vec::new();
    let mut compiled = Vec::new();
    for n in names {
        let p = P::new(n)
            .attach(&format!("/usr/bin/{}", n.replace('.', "_")))
            .owns(&format!("/var/lib/{n}/**"))
            .allow("manage", &format!("/var/lib/{n}/**"))
            .signal(Effect::Allow, SignalDir::Send, &["term"], "org.web-app")
            .build();
        let c = compile(&p, &cfg).unwrap();
        modules.push((c.module_name.clone(), c.cil.clone()));
        compiled.push(c);
    }
    let blocks: std::collections::BTreeSet<&str> =
        compiled.iter().map(|c| c.module_name.as_str()).collect();
    assert_eq!(blocks.len(), names.len());
    let (_dir, pol) = secilc_batch(&modules);
    let rules = sesearch_allows(&pol);
    let promised_all = promised(compiled.iter(), &names);
    for c in &compiled {
        assert_eq!(
            of_block(&rules, &c.module_name),
            of_block(&promised_all, &c.module_name)
        );
    }
}

fn name() -> impl Strategy<Value = PolicyName> {
    "[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,3}){0,2}(\\.[a-z][a-z0-9]{0,3}(-[a-z0-9]{1,3}){0,2}){0,3}"
        .prop_filter_map("valid name", |s| PolicyName::new(&s).ok())
}

proptest! {
    #[test]
    fn block_names_are_injective(a in name(), b in name()) {
        prop_assert_eq!(decode(&block_name(&a)), Some(a.clone()));
        if a != b {
            prop_assert_ne!(block_name(&a), block_name(&b));
        }
        let blk = block_name(&a);
        prop_assert!(blk.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
        prop_assert!(blk.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
    }
}
