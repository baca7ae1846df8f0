//! The diff against the evaluator on random policy pairs: every probe whose decision
//! differs is covered by a reported change of the right direction (completeness), and no
//! reported change is contradicted by the evaluator (soundness), witnesses included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod diff_support;

use diff_support::*;
use polc_lang::diff::diff;
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, Policy, Proto, SignalDir};
use polc_lang::rights::{Right, Rights};
use proptest::prelude::*;
use proptest::sample::select;

const GLOBS: &[&str] = &[
    "/", "/a", "/a/b", "/a/c", "/a/*", "/a/**", "/**", "/a/{b,c}", "/?/b", "/b/c", "/a/b/c",
    "/a/*/c", "/a/b*", "/*", "/a/**/c", "/{a,b}/c", "/b/**",
];
const PATHS: &[&str] = &[
    "/", "/a", "/a/b", "/a/c", "/a/b/c", "/b/c", "/x/b", "/a/bb", "/a/x/c", "/b", "/a/b/x/c",
    "/a/*", "/a/**", "/a/{b,c}", "/?/b", "/a/*/c", "/a/b*", "/*", "/**", "/a/**/c", "/{a,b}/c",
    "/b/**", "/a/x", "/c", "/a/b/c/d", "/b/b", "/x", "/a/c/c", "/b/x/c",
];
const TARGETS: &[Option<&str>] = &[None, Some("org.example.x"), Some("org.example.y")];
const CAPS: &[&str] = &["chown", "setuid", "net_admin"];
const PEERS: &[&str] = &["org.example.app", "org.example.peer"];
const SIGNALS: &[&str] = &["term", "kill", "hup"];
const PORTS: &[u16] = &[1, 22, 80, 443, 1024, 8080, 8089, 65535];

/// One rule of any kind, as generated.
#[derive(Clone, Debug)]
enum Spec {
    /// Effect, glob, rights, transition, and the objects it applies to: `(owner,
    /// dir_only)`.
    File(
        Effect,
        &'static str,
        Rights,
        Option<&'static str>,
        (bool, bool),
    ),
    Net(Effect, NetOp, Proto, Option<IpFamily>, u16, u16),
    Cap(Effect, &'static str),
    Signal(Effect, SignalDir, &'static str, Vec<&'static str>),
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![3 => Just(Effect::Allow), 1 => Just(Effect::Deny)]
}

fn some_rights() -> impl Strategy<Value = Rights> {
    proptest::collection::vec(select(Right::ALL.to_vec()), 1..4)
        .prop_map(|v| v.into_iter().collect::<Rights>().with_implied())
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

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        6 => (effect(), select(GLOBS), some_rights(), select(TARGETS), kind()).prop_map(|(e, g, r, t, k)| {
            let t = if e == Effect::Allow && r.contains(Right::Exec) { t } else { None };
            Spec::File(e, g, r, t, k)
        }),
        // Exec rules with transitions, often.
        2 => (select(GLOBS), select(TARGETS)).prop_map(|(g, t)| {
            Spec::File(Effect::Allow, g, Rights::one(Right::Exec), t, (false, false))
        }),
        1 => (effect(), select(vec![NetOp::Connect, NetOp::Bind]), select(vec![Proto::Tcp, Proto::Udp]),
              select(vec![None, None, Some(IpFamily::Inet), Some(IpFamily::Inet6)]),
              select(PORTS), select(PORTS))
            .prop_map(|(e, o, p, f, a, b)| Spec::Net(e, o, p, f, a.min(b), a.max(b))),
        1 => (effect(), select(CAPS)).prop_map(|(e, c)| Spec::Cap(e, c)),
        1 => (effect(), select(vec![SignalDir::Send, SignalDir::Receive]), select(PEERS),
              proptest::collection::vec(select(SIGNALS), 0..3))
            .prop_map(|(e, d, p, s)| Spec::Signal(e, d, p, s)),
    ]
}

fn build(file: &str, specs: &[Spec]) -> Policy {
    let mut p = policy("org.example.app");
    for (i, s) in specs.iter().enumerate() {
        let o = at(file, i + 1);
        match s {
            Spec::File(e, g, r, t, (owner, dir_only)) => {
                let mut f = file_rule(*e, g, *r, *t, o);
                (f.owner, f.dir_only) = (*owner, *dir_only);
                p.files.push(f);
            }
            Spec::Net(e, op, pr, f, lo, hi) => {
                let mut r = net_rule(*e, *op, *pr, *lo, *hi, o);
                r.family = *f;
                p.net.push(r);
            }
            Spec::Cap(e, c) => p.capabilities.push(cap_rule(*e, c, o)),
            Spec::Signal(e, d, peer, sigs) => p.signals.push(signal_rule(*e, *d, peer, sigs, o)),
        }
    }
    p
}

/// A pair sharing some rules: OLD = shared + only_old, NEW = shared + only_new, each in
/// its own order.
fn pair() -> impl Strategy<Value = (Policy, Policy)> {
    (
        proptest::collection::vec(spec(), 0..8),
        proptest::collection::vec(spec(), 0..4),
        proptest::collection::vec(spec(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(shared, only_old, only_new, reverse)| {
            let mut o: Vec<Spec> = shared.clone();
            o.extend(only_old);
            let mut n: Vec<Spec> = only_new;
            if reverse {
                n.extend(shared.into_iter().rev());
            } else {
                n.extend(shared);
            }
            (build("old.pol", &o), build("new.pol", &n))
        })
}

/// Random paths over the characters the globs use, plus others.
fn random_paths() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        proptest::collection::vec(
            select(vec!["a", "b", "c", "x", "bb", ".a", "ab", "*", "{b,c}"]),
            0..4,
        )
        .prop_map(|parts| format!("/{}", parts.join("/"))),
        0..8,
    )
}

fn probes_with(extra: &[String]) -> Vec<&str> {
    PATHS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect()
}

fn probes() -> Probes<'static> {
    Probes {
        paths: PATHS,
        caps: CAPS,
        peers: &["org.example.app", "org.example.peer", "self"],
        signals: &["term", "kill", "hup", "usr1"],
    }
}

proptest! {
    // At least 5,000 pairs; PROPTEST_CASES asks for more.
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(5000), ..ProptestConfig::default() })]

    #[test]
    fn diff_is_complete_and_sound((old, new) in pair(), extra in random_paths()) {
        let paths = probes_with(&extra);
        let probes = Probes { paths: &paths, ..probes() };
        let d = diff(&old, &new);
        if let Err(e) = check(&d, &old, &new, &probes) {
            prop_assert!(false, "{e}\nold: {old:#?}\nnew: {new:#?}\ndiff: {d:#?}");
        }
        // The reverse diff mirrors it.
        let r = diff(&new, &old);
        if let Err(e) = check(&r, &new, &old, &probes) {
            prop_assert!(false, "reverse: {e}");
        }
    }

    #[test]
    fn a_policy_equals_itself_in_any_order((old, _new) in pair(), seed in any::<u64>()) {
        let mut shuffled = old.clone();
        shuffle(&mut shuffled.files, seed);
        shuffle(&mut shuffled.net, seed);
        shuffle(&mut shuffled.capabilities, seed);
        shuffle(&mut shuffled.signals, seed);
        // Origins never count.
        for f in &mut shuffled.files {
            for o in &mut f.origins {
                o.origin.file = "elsewhere.pol".into();
            }
        }
        let d = diff(&old, &shuffled);
        prop_assert!(d.is_empty(), "{d:#?}");
    }
}

/// A deterministic shuffle.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
}
