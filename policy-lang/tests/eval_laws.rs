//! Laws of the evaluator, checked on generated IR policies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eval_support;

use eval_support::*;
use polc_lang::eval::{evaluate, Decision, Reason, Request, RuleKind};
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, Policy, Proto, SignalDir};
use polc_lang::rights::{Right, Rights};
use proptest::prelude::*;
use proptest::sample::select;

const GLOBS: &[&str] = &[
    "/", "/a", "/a/b", "/a/c", "/a/*", "/a/**", "/**", "/a/{b,c}", "/?/b", "/b/c", "/a/b/c",
    "/a/*/c",
];
const PATHS: &[&str] = &[
    "/", "/a", "/a/b", "/a/c", "/a/b/c", "/b/c", "/x/b", "/a/bb", "/a/x/c", "/b",
];
const TARGETS: &[Option<&str>] = &[None, Some("org.example.x"), Some("org.example.y")];
const CAPS: &[&str] = &["chown", "setuid", "net_bind_service", "kill"];
const PEERS: &[&str] = &["org.example.app", "org.example.peer"];
const SIGNALS: &[&str] = &["term", "kill", "usr1", "hup"];
const PORTS: &[u16] = &[1, 22, 443, 8080, 8089, 65535];

fn effect() -> impl Strategy<Value = Effect> + Clone {
    select(vec![Effect::Allow, Effect::Deny])
}

fn rights_set() -> impl Strategy<Value = Rights> {
    prop::collection::vec(select(&Right::ALL[..]), 1..4)
        .prop_map(|rs| rs.into_iter().collect::<Rights>().with_implied())
}

fn right() -> impl Strategy<Value = Right> {
    select(&Right::ALL[..])
}

fn port_range() -> impl Strategy<Value = (u16, u16)> {
    (select(PORTS), select(PORTS)).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

fn op() -> impl Strategy<Value = NetOp> {
    prop_oneof![Just(NetOp::Connect), Just(NetOp::Bind)]
}

fn proto() -> impl Strategy<Value = Proto> {
    prop_oneof![Just(Proto::Tcp), Just(Proto::Udp)]
}

fn family() -> impl Strategy<Value = Option<IpFamily>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(IpFamily::Inet)),
        1 => Just(Some(IpFamily::Inet6))
    ]
}

fn dir() -> impl Strategy<Value = SignalDir> {
    prop_oneof![Just(SignalDir::Send), Just(SignalDir::Receive)]
}

/// One rule of any kind, to add to a policy.
#[derive(Clone, Debug)]
enum AnyRule {
    /// Effect, glob, rights, transition, and the objects it applies to: `(owner,
    /// dir_only)`.
    File(
        Effect,
        &'static str,
        Rights,
        Option<&'static str>,
        (bool, bool),
    ),
    Net(Effect, NetOp, Proto, Option<IpFamily>, (u16, u16)),
    Cap(Effect, &'static str),
    Signal(Effect, SignalDir, &'static str, Vec<&'static str>),
}

fn any_rule_with(eff: impl Strategy<Value = Effect> + Clone) -> impl Strategy<Value = AnyRule> {
    prop_oneof![
        3 => (eff.clone(), select(GLOBS), rights_set(), select(TARGETS), kind()).prop_map(
            |(e, g, r, t, k)| AnyRule::File(e, g, r, if e == Effect::Allow && r.contains(Right::Exec) { t } else { None }, k)
        ),
        1 => (eff.clone(), op(), proto(), family(), port_range()).prop_map(|(e, o, p, f, r)| AnyRule::Net(e, o, p, f, r)),
        1 => (eff.clone(), select(CAPS)).prop_map(|(e, c)| AnyRule::Cap(e, c)),
        1 => (eff, dir(), select(PEERS), prop::collection::vec(select(SIGNALS), 0..3))
            .prop_map(|(e, d, p, s)| AnyRule::Signal(e, d, p, s)),
    ]
}

fn add(p: &mut Policy, rule: &AnyRule) {
    let line = p.files.len() + p.net.len() + p.capabilities.len() + p.signals.len() + 1;
    match rule {
        AnyRule::File(e, g, r, t, (owner, dir_only)) => {
            let mut f = file(*e, g, *r, *t, line);
            (f.owner, f.dir_only) = (*owner, *dir_only);
            p.files.push(f);
        }
        AnyRule::Net(e, o, pr, f, (lo, hi)) => {
            let mut r = net(*e, *o, *pr, *lo, *hi, line);
            r.family = *f;
            p.net.push(r);
        }
        AnyRule::Cap(e, c) => p.capabilities.push(cap(*e, c, line)),
        AnyRule::Signal(e, d, peer, s) => p.signals.push(signal(*e, *d, peer, s, line)),
    }
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec(any_rule_with(effect()), 0..12).prop_map(|rules| {
        let mut p = policy();
        for r in &rules {
            add(&mut p, r);
        }
        p
    })
}

/// Which objects a file rule applies to, `(owner, dir_only)`: mostly all of them.
fn kind() -> impl Strategy<Value = (bool, bool)> {
    prop_oneof![
        6 => Just((false, false)),
        2 => Just((false, true)),
        1 => Just((true, false)),
        1 => Just((true, true)),
    ]
}

/// A file request on an object of each kind: owned or not, directory or not.
fn file_request(path: &str, right: Right, (owner, dir): (bool, bool)) -> Request {
    Request::File {
        path: path.to_string(),
        right,
        owner,
        dir,
    }
}

fn arb_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        4 => (select(PATHS), right(), (any::<bool>(), any::<bool>()))
            .prop_map(|(p, r, k)| file_request(p, r, k)),
        1 => (op(), proto(), family(), prop_oneof![select(PORTS), any::<u16>()])
            .prop_map(|(op, proto, family, port)| Request::Net { op, proto, family, port }),
        1 => select(CAPS).prop_map(Request::capability),
        1 => (dir(), prop_oneof![select(PEERS), Just("self")], select(SIGNALS))
            .prop_map(|(d, p, s)| Request::signal(d, p, s)),
    ]
}

/// Every request the generators can make, for exhaustive checks of one policy.
fn all_requests() -> Vec<Request> {
    let mut v = Vec::new();
    for p in PATHS {
        for r in Right::ALL {
            for k in [(false, false), (false, true), (true, false), (true, true)] {
                v.push(file_request(p, r, k));
            }
        }
    }
    for o in [NetOp::Connect, NetOp::Bind] {
        for pr in [Proto::Tcp, Proto::Udp] {
            for port in [0, 1, 21, 22, 23, 443, 8080, 8085, 8089, 8090, 65535] {
                v.push(Request::net(o, pr, port));
                for f in IpFamily::BOTH {
                    v.push(Request::net_on(o, pr, f, port));
                }
            }
        }
    }
    for c in CAPS {
        v.push(Request::capability(c));
    }
    for d in [SignalDir::Send, SignalDir::Receive] {
        for peer in PEERS.iter().chain(&["self"]) {
            for s in SIGNALS {
                v.push(Request::signal(d, peer, s));
            }
        }
    }
    v
}

/// The deciding rules of a decision as rule contents (independent of list order).
fn deciding_contents(p: &Policy, d: &Decision) -> Vec<String> {
    let mut v: Vec<String> = d
        .deciding
        .iter()
        .map(|r| {
            let rule = match r.kind {
                RuleKind::File => serde_json::to_string(&p.files[r.index]),
                RuleKind::Net => serde_json::to_string(&p.net[r.index]),
                RuleKind::Capability => serde_json::to_string(&p.capabilities[r.index]),
                RuleKind::Signal => serde_json::to_string(&p.signals[r.index]),
                RuleKind::Unix => serde_json::to_string(&p.unix[r.index]),
                RuleKind::NetFamily => serde_json::to_string(&p.net_families[r.index]),
                RuleKind::Ptrace => serde_json::to_string(&p.ptrace[r.index]),
                RuleKind::Dbus => serde_json::to_string(&p.dbus[r.index]),
            };
            format!("{} {:?}", rule.unwrap(), r.origins)
        })
        .collect();
    v.sort();
    v
}

/// Whether a rule of the policy matches the request, computed rule by rule.
fn rule_matches(p: &Policy, kind: RuleKind, i: usize, r: &Request) -> bool {
    match (kind, r) {
        (
            RuleKind::File,
            Request::File {
                path,
                right,
                owner,
                dir,
            },
        ) => {
            let f = &p.files[i];
            f.rights.contains(*right)
                && (*owner || !f.owner)
                && (*dir || !f.dir_only)
                && f.glob.matches(path)
        }
        (
            RuleKind::Net,
            Request::Net {
                op,
                proto,
                family: Some(f),
                port,
            },
        ) => {
            let n = &p.net[i];
            n.op == *op
                && n.proto == *proto
                && n.family.is_none_or(|nf| nf == *f)
                && n.ports.lo <= *port
                && *port <= n.ports.hi
        }
        (RuleKind::Capability, Request::Capability { name }) => {
            p.capabilities[i].capability == *name
        }
        (
            RuleKind::Signal,
            Request::Signal {
                direction,
                peer,
                signal,
            },
        ) => {
            let s = &p.signals[i];
            let peer = if peer == "self" {
                p.name.as_str()
            } else {
                peer
            };
            s.direction == *direction
                && s.peer.as_str() == peer
                && (s.signals.is_empty() || s.signals.contains(signal))
        }
        _ => false,
    }
}

fn all_rules(p: &Policy) -> Vec<(RuleKind, usize, Effect)> {
    let mut v = Vec::new();
    v.extend(
        p.files
            .iter()
            .enumerate()
            .map(|(i, f)| (RuleKind::File, i, f.effect)),
    );
    v.extend(
        p.net
            .iter()
            .enumerate()
            .map(|(i, f)| (RuleKind::Net, i, f.effect)),
    );
    v.extend(
        p.capabilities
            .iter()
            .enumerate()
            .map(|(i, f)| (RuleKind::Capability, i, f.effect)),
    );
    v.extend(
        p.signals
            .iter()
            .enumerate()
            .map(|(i, f)| (RuleKind::Signal, i, f.effect)),
    );
    v
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// allowed ⇔ some allow matches ∧ no deny matches; deciding lists exactly the
    /// matching rules of the deciding effect; the reason agrees.
    #[test]
    fn decision_follows_the_definition(p in arb_policy(), r in arb_request()) {
        let d = evaluate(&p, &r);
        // A request on both IP versions: allowed only when each version is, and
        // decided by the first refused one.
        if let Request::Net { op, proto, family: None, port } = r {
            let [v4, v6] = IpFamily::BOTH.map(|f| evaluate(&p, &Request::net_on(op, proto, f, port)));
            prop_assert_eq!(d.allowed, v4.allowed && v6.allowed);
            if !v4.allowed {
                prop_assert_eq!(&d, &v4);
            } else if !v6.allowed {
                prop_assert_eq!(&d, &v6);
            }
            return Ok(());
        }
        let matching: Vec<(RuleKind, usize, Effect)> = all_rules(&p)
            .into_iter()
            .filter(|(k, i, _)| rule_matches(&p, *k, *i, &r))
            .collect();
        let any_deny = matching.iter().any(|m| m.2 == Effect::Deny);
        let any_allow = matching.iter().any(|m| m.2 == Effect::Allow);
        prop_assert_eq!(d.allowed, any_allow && !any_deny);
        let expected_reason = if any_deny { Reason::Denied } else if any_allow { Reason::Allowed } else { Reason::DefaultDeny };
        prop_assert_eq!(d.reason, expected_reason);
        let want: Vec<(RuleKind, usize)> = matching
            .iter()
            .filter(|m| match d.reason {
                Reason::Denied => m.2 == Effect::Deny,
                Reason::Allowed => m.2 == Effect::Allow,
                Reason::DefaultDeny => false,
            })
            .map(|m| (m.0, m.1))
            .collect();
        let got: Vec<(RuleKind, usize)> = d.deciding.iter().map(|x| (x.kind, x.index)).collect();
        prop_assert_eq!(got, want);
        for x in &d.deciding {
            prop_assert!(!x.origins.is_empty());
        }
        let is_exec = matches!(r, Request::File { right: Right::Exec, .. });
        if !(d.allowed && is_exec) {
            prop_assert_eq!(d.exec_as, None);
        } else {
            // The transition comes from a matching literal rule if there is one, else
            // from a matching glob.
            let allows: Vec<&polc_lang::ir::FileRule> =
                d.deciding.iter().map(|x| &p.files[x.index]).collect();
            let literal: Vec<_> = allows.iter().filter(|f| f.glob.is_literal()).collect();
            let from = if literal.is_empty() { allows.iter().collect() } else { literal };
            prop_assert!(from.iter().any(|f| f.exec_as == d.exec_as), "{:?}", d.exec_as);
        }
    }

    /// Adding a deny never allows more.
    #[test]
    fn adding_a_deny_never_allows_more(p in arb_policy(), rule in any_rule_with(Just(Effect::Deny))) {
        let mut q = p.clone();
        add(&mut q, &rule);
        for r in all_requests() {
            if evaluate(&q, &r).allowed {
                prop_assert!(evaluate(&p, &r).allowed, "{:?}", r);
            }
        }
    }

    /// Adding an allow never denies more.
    #[test]
    fn adding_an_allow_never_denies_more(p in arb_policy(), rule in any_rule_with(Just(Effect::Allow))) {
        let mut q = p.clone();
        add(&mut q, &rule);
        for r in all_requests() {
            if evaluate(&p, &r).allowed {
                prop_assert!(evaluate(&q, &r).allowed, "{:?}", r);
            }
        }
    }

    /// Permuting the rules changes no decision (the deciding rules are the same rules,
    /// at their new indices).
    #[test]
    fn permuting_rules_changes_nothing(
        (p, files, net, caps, sigs) in arb_policy().prop_flat_map(|p| {
            let f = Just(p.files.clone()).prop_shuffle();
            let n = Just(p.net.clone()).prop_shuffle();
            let c = Just(p.capabilities.clone()).prop_shuffle();
            let s = Just(p.signals.clone()).prop_shuffle();
            (Just(p), f, n, c, s)
        })
    ) {
        let mut q = p.clone();
        q.files = files;
        q.net = net;
        q.capabilities = caps;
        q.signals = sigs;
        for r in all_requests() {
            let a = evaluate(&p, &r);
            let b = evaluate(&q, &r);
            prop_assert_eq!(a.allowed, b.allowed);
            prop_assert_eq!(a.reason, b.reason);
            prop_assert_eq!(&a.exec_as, &b.exec_as);
            prop_assert_eq!(deciding_contents(&p, &a), deciding_contents(&q, &b));
        }
    }

    /// A deny with the glob and rights of any rule denies everything that rule matches.
    #[test]
    fn deny_of_the_same_glob_and_rights_denies(p in arb_policy(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!p.files.is_empty());
        let target = p.files[pick.index(p.files.len())].clone();
        let mut q = p.clone();
        q.files.push(polc_lang::ir::FileRule {
            effect: Effect::Deny,
            exec_as: None,
            ..target.clone()
        });
        for path in PATHS {
            for right in target.rights.iter() {
                if target.glob.matches(path) {
                    // On an object the rule (and so the deny) applies to.
                    let kind = (target.owner, target.dir_only);
                    let d = evaluate(&q, &file_request(path, right, kind));
                    prop_assert!(!d.allowed);
                    prop_assert_eq!(d.reason, Reason::Denied);
                }
            }
        }
    }

    /// A deny of exactly the requested path and right denies it, whatever else the policy says.
    #[test]
    fn deny_of_the_literal_path_denies(p in arb_policy(), path in select(PATHS), r in right()) {
        let mut q = p.clone();
        q.files.push(file(Effect::Deny, path, Rights::one(r), None, 99));
        let d = evaluate(&q, &Request::file(path, r));
        prop_assert!(!d.allowed);
        prop_assert_eq!(d.reason, Reason::Denied);
    }

    /// A request for a right no rule mentions is denied by default.
    #[test]
    fn a_right_in_no_rule_is_denied(p in arb_policy(), path in select(PATHS), r in right()) {
        let mut q = p.clone();
        q.files.retain(|f| !f.rights.contains(r));
        let d = evaluate(&q, &Request::file(path, r));
        prop_assert!(!d.allowed);
        prop_assert_eq!(d.reason, Reason::DefaultDeny);
        let d = evaluate(&q, &Request::capability("sys_admin"));
        prop_assert_eq!(d.reason, Reason::DefaultDeny);
    }

    /// Any string as a path: no panic, and a path that is not valid is never allowed.
    #[test]
    fn any_path_is_decided_without_panic(path in any::<String>(), r in right(), suffix in "(/[a-z.]{0,3}){0,3}/?") {
        let mut p = policy();
        p.files.push(file(Effect::Allow, "/**", Rights::one(r), None, 1));
        for candidate in [path.clone(), format!("/{path}"), suffix.clone()] {
            let d = evaluate(&p, &Request::file(&candidate, r));
            if !polc_lang::glob::is_valid_path(&candidate) {
                prop_assert!(!d.allowed, "{:?}", candidate);
            }
            if let Ok(g) = Glob::parse(&candidate) {
                let mut q = policy();
                q.files.push(polc_lang::ir::FileRule { audit: false, owner: false, dir_only: false,
                    effect: Effect::Allow,
                    glob: g,
                    rights: Rights::one(r),
                    exec_as: None,
                    origins: Vec::new(),
                    exec_mode: Default::default(),
                });
                let d = evaluate(&q, &Request::file(&candidate, r));
                if !polc_lang::glob::is_valid_path(&candidate) {
                    prop_assert!(!d.allowed, "{:?}", candidate);
                }
            }
        }
    }
}
