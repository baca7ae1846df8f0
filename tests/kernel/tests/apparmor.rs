//! AppArmor conformance: policies compiled by polc-apparmor, loaded with
//! `apparmor_parser -r` into the AppArmor of Debian's kernel under qemu, probed with real
//! system calls, and judged against the evaluator (`exact`: equal; `narrowed`: the
//! kernel never allows more).
//!
//! - `random_policies_agree_with_the_evaluator`: one boot, two dozen random policies
//!   over a file tree each, about 400 (policy, operation) pairs, plus a deliberately wrong
//!   expectation that must be reported.
//! - `curated_policies_agree_with_the_evaluator`: one boot: deny inside allow, globs,
//!   exec transitions (`as`), complain mode (allowed and logged), capabilities, signals,
//!   network rules and network families (netlink, raw, packet).
//! - `random_v2_policies_agree_with_the_evaluator`: one boot, random policies with `owner`
//!   and `audit` rules and globs with character classes, `${pid}` and `${uid}`, over
//!   trees where some paths belong to another user.
//! - `curated_v2_policies_agree_with_the_evaluator`: one boot: `owner` (and `setfsuid`),
//!   classes, signals from unconfined and to `any`, ptrace, the exec modes beyond `as
//!   NAME` (judged by the label the executed probe reads), `audit` records, unix sockets.
//! - `random_directory_rules_agree_with_the_evaluator`: as the random run, with
//!   directory-only rules (a trailing `/`) beside the v1 ones.
//! - `curated_directory_rules_agree_with_the_evaluator`: one boot: each mapping of a
//!   directory-only rule (mkdir, rmdir, listing; file operations at the same paths), and
//!   the evidence that a deny of lock, link or map-exec on a directory changes no
//!   operation's outcome in an enforced profile (the backend's deny lines carry them
//!   onto directories: `deny "/x/{,**}" rwlkm,`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    add_tree, at, kernel_and_probe, pair, ptrace_op, random_ops, random_rules, random_rules_over,
    seed, Op, Rng, DIRS,
};
use polc_apparmor::{compile, Config};
use polc_kernel_harness::differential::{combine, Limits, Pair, Tally};
use polc_kernel_harness::guest::{Guest, Run};
use polc_kernel_harness::policy::{build, TestPolicy};
use polc_kernel_harness::probe::{Case, Outcome};
use polc_kernel_harness::vm::Lsm;
use polc_lang::eval::{Request, RequestPeer, UnixRequestAddr};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleListKind, Subject};
use polc_lang::ir::{NetFamily, NetOp, Proto, PtraceAccess, SignalDir, UnixOp, UnixType};
use polc_lang::rights::Right;
use std::collections::BTreeMap;

/// AppArmor permission letters each right's operations need (docs/backends/apparmor.md):
/// two rights interact when their letters overlap.
fn letters(r: Right) -> &'static str {
    match r {
        Right::Read | Right::List => "r",
        Right::Write | Right::Append => "wa",
        Right::Create | Right::Delete => "w",
        Right::Rename => "rw",
        Right::Exec | Right::MapExec => "xm",
        Right::Lock => "kw",
        Right::Link => "l",
    }
}

fn interacts(a: Right, b: Right) -> bool {
    letters(a).chars().any(|c| letters(b).contains(c))
}

/// The worst fidelity of the report entries that can decide `req`: entries of file rules
/// whose glob matches the path (AppArmor rules are path patterns: they decide nothing
/// elsewhere) for rights that interact with the requested one; on ABI 3.0 every network
/// rule of the protocol; the capability's rules; the signal rules on the peer; the mode.
fn fidelity(p: &TestPolicy, report: &FidelityReport, req: &Request) -> Fidelity {
    let ir = &p.ir;
    combine(
        report
            .entries
            .iter()
            .filter(|e| match (e.subject, req) {
                (
                    Subject::Rule {
                        list: RuleListKind::File,
                        index,
                    },
                    Request::File { path, right, .. },
                ) => {
                    ir.files[index].glob.matches(path)
                        && e.rights
                            .is_none_or(|rs| rs.iter().any(|r2| interacts(r2, *right)))
                }
                (Subject::Mode | Subject::Attach, _) => true,
                (s, r) => common::decides_other(ir, s, r),
            })
            .map(|e| e.fidelity),
    )
}

/// Policies compiled and ready for a guest.
struct Batch {
    policies: BTreeMap<String, TestPolicy>,
    reports: BTreeMap<String, FidelityReport>,
    profiles: Vec<(String, String)>,
}

fn compile_all(policies: Vec<TestPolicy>) -> Batch {
    let mut b = Batch {
        policies: BTreeMap::new(),
        reports: BTreeMap::new(),
        profiles: Vec::new(),
    };
    for p in policies {
        let name = p.ir.name.to_string();
        let out = compile(&p.ir, &Config::default())
            .unwrap_or_else(|e| panic!("polc-apparmor refused {name}: {e}\n{}", p.source()));
        b.profiles.push((name.clone(), out.text));
        b.reports.insert(name.clone(), out.report);
        b.policies.insert(name, p);
    }
    b
}

impl Batch {
    fn pair(&self, id: String, exec_path: &str, op: &Op) -> Pair {
        let fid =
            |p: &TestPolicy, r: &Request| fidelity(p, &self.reports[&p.ir.name.to_string()], r);
        pair(id, None, exec_path, op, &self.policies, &fid)
    }

    /// The pairs of `ops` (case id, executable, operation) and a deliberately wrong copy of
    /// one (and of a socket's, where there is one), run in one boot of `g`; the time of the
    /// boot is printed.
    fn boot(
        &self,
        g: Guest,
        ops: &[(String, String, Op)],
        vmlinuz: &std::path::Path,
        what: &str,
    ) -> (Vec<Pair>, Run) {
        let mut pairs: Vec<Pair> = ops
            .iter()
            .map(|(id, exec, op)| self.pair(id.clone(), exec, op))
            .collect();
        pairs.extend(common::deliberately_wrong(&pairs));
        pairs.extend(common::deliberately_wrong_net(&pairs));
        let start = std::time::Instant::now();
        let run = g
            .cases(pairs.iter().map(|p| p.case.clone()))
            .boot(vmlinuz)
            .unwrap_or_else(|e| panic!("{e}"));
        println!(
            "{what}: one boot, {} cases, {:.1?}",
            pairs.len(),
            start.elapsed()
        );
        (pairs, run)
    }

    /// The guest with every profile in `/etc/polc/aa/`, loaded by one parser run.
    fn guest(&self, probe: &std::path::Path) -> Guest {
        let mut g = Guest::new(Lsm::AppArmor, probe)
            .and_then(Guest::with_apparmor_parser)
            .unwrap_or_else(|e| panic!("cannot set up the AppArmor guest: {e}"));
        for (i, (_, text)) in self.profiles.iter().enumerate() {
            g = g.file(&format!("/etc/polc/aa/{i:03}.aa"), 0o644, text.as_bytes());
        }
        g.setup("apparmor_parser -r /etc/polc/aa/*.aa")
    }
}

/// A policy attached to `attach`, which it may read and map (AppArmor checks the mapping
/// of the executable by the new profile), with `rules`.
fn attached(name: &str, attach: &str, rules: Vec<String>) -> TestPolicy {
    let mut lines = vec![
        format!("attach \"{attach}\""),
        format!("allow read map-exec \"{attach}\""),
    ];
    lines.extend(rules);
    build(name, &lines.join("\n")).unwrap_or_else(|e| panic!("{e}"))
}

/// How much of the random run may go unjudged (percent of its pairs), from the numbers
/// measured with the default seed (600 pairs: 0 inconclusive, 22 not compared, 3.7 %): a
/// drift towards judging less fails the run.
const RANDOM_LIMITS: Limits = Limits {
    inconclusive_percent: 1,
    not_compared_percent: 6,
};

/// The same for the curated run (40 pairs: 0 inconclusive, 1 not compared).
const CURATED_LIMITS: Limits = Limits {
    inconclusive_percent: 0,
    not_compared_percent: 3,
};

/// Random policies per boot (16 operations each).
const RANDOM_POLICIES: usize = 30;

/// Network pairs of the random run judged `exact`, and expected allowed, at least (measured
/// with the default seed: 90 of 120 exact, 14 expected allowed).
const NET_EXACT_MIN: (usize, usize) = (80, 12);

#[test]
fn random_policies_agree_with_the_evaluator() {
    random_batch(
        common::RandomBatch {
            label: "apparmor",
            seed: seed(0x00A9_A2A0),
            name: "org.polc.aa",
            letter: 'p',
            limits: RANDOM_LIMITS,
            net: true,
        },
        random_rules,
    );
}

/// [`RANDOM_POLICIES`] random policies with the file rules `rules` gives for each tree,
/// sixteen random operations each, and a deliberately wrong expectation, in one boot.
fn random_batch(b: common::RandomBatch, rules: fn(&mut Rng, &str) -> Vec<String>) {
    let seed = b.seed;
    println!(
        "{} random policies: seed {seed} (rerun with POLC_KERNEL_SEED={seed})",
        b.label
    );
    let (k, probe) = kernel_and_probe();
    let mut rng = Rng::new(seed);
    let mut net_rng = b.net_rng();
    let mut policies = Vec::new();
    let mut ops: Vec<(String, String, Op)> = Vec::new();
    let l = b.letter;
    for i in 0..RANDOM_POLICIES {
        let name = format!("{}{i}", b.name);
        let root = format!("/t/{l}{i}");
        let attach = format!("/usr/bin/{l}{i}");
        let mut lines = rules(&mut rng, &root);
        let mut mine = random_ops(&mut rng, &name, &root);
        if let Some(n) = net_rng.as_mut() {
            lines.extend(common::random_net_rules(n, i));
            mine.extend(common::random_net_ops(n, &name, i));
        }
        policies.push(attached(&name, &attach, lines));
        for (k, op) in mine.into_iter().enumerate() {
            ops.push((format!("{l}{i}-{k:02}-{}", op.args[0]), attach.clone(), op));
        }
    }
    let batch = compile_all(policies);
    let mut g = batch.guest(&probe);
    for i in 0..RANDOM_POLICIES {
        g = add_tree(
            g.probe_at(&format!("/usr/bin/{l}{i}")),
            &format!("/t/{l}{i}"),
        );
    }
    let (pairs, run) = batch.boot(g, &ops, &k.vmlinuz, b.label);
    assert!(
        run.console.contains("apparmor"),
        "AppArmor is not active:\n{}",
        run.console
    );
    if b.net {
        common::check_net_pairs(b.label, &pairs, NET_EXACT_MIN);
    }
    let mut tally = Tally::new(b.label);
    tally.judge_all(&pairs, &run.results);
    common::conclude(&tally, 300, b.limits);
}

const CURATED: &str = r#"
## org.polc.cur.complain /usr/bin/c-complain
mode complain
allow read "/c/complain/ok"

## org.polc.cur.deny /usr/bin/c-deny
allow read list "/c/deny/**"
deny read "/c/deny/secret/**"
deny read "/c/deny/pub/key"
allow write "/c/deny/pub/**"
deny write "/c/deny/pub/key"

## org.polc.cur.glob /usr/bin/c-glob
allow read "/c/glob/*.conf"
allow read "/c/glob/{a,b}/**"
allow append "/c/glob/**/log"
allow list "/c/glob/{a,b{,/**}}"

## org.polc.cur.exec-a /usr/bin/c-exec-a
allow exec "/c/exec/tool" as org.polc.cur.exec-b
allow exec map-exec read "/c/exec/plain"
allow read "/c/exec/only-a"

## org.polc.cur.exec-b
allow read map-exec "/c/exec/tool"
allow read "/c/exec/only-b"

## org.polc.cur.caps /usr/bin/c-caps
allow capability sys_admin
deny capability setgid
allow write "/c/caps/ro"

## org.polc.cur.caps2 /usr/bin/c-caps2
allow capability dac_override, setgid
allow write "/c/caps/ro"

## org.polc.cur.sig-a /usr/bin/c-sig-a
allow signal send cont, urg to org.polc.cur.sig-b

## org.polc.cur.sig-b /usr/bin/c-sig-b
allow signal receive cont from org.polc.cur.sig-a

## org.polc.cur.net /usr/bin/c-net
allow net connect tcp
allow net bind tcp

## org.polc.cur.fam /usr/bin/c-fam
allow net netlink route
allow net raw icmp
allow capability net_raw
"#;

/// One IP version: `tcp6` alone is `network inet6 stream` (exact), an IPv4 socket of
/// the same protocol is refused.
const CURATED_IP_VERSIONS: &str = r#"
## org.polc.cur.net6 /usr/bin/c-net6
allow net connect tcp6
allow net bind tcp6
"#;

/// The cases of [`CURATED_IP_VERSIONS`]: `socket(AF_INET6, ...)` and `AF_INET`.
fn ip_version_ops() -> Vec<(&'static str, Op)> {
    use polc_lang::ir::IpFamily::{Inet, Inet6};
    let net = |args: &'static [&'static str], op, proto, family, port| {
        (
            "/usr/bin/c-net6",
            Op::new(
                args,
                "org.polc.cur.net6",
                vec![Request::net_on(op, proto, family, port)],
            ),
        )
    };
    vec![
        net(
            &["connect", "tcp6", "1234"],
            NetOp::Connect,
            Proto::Tcp,
            Inet6,
            1234,
        ),
        net(
            &["connect", "tcp", "1234"],
            NetOp::Connect,
            Proto::Tcp,
            Inet,
            1234,
        ),
        net(
            &["bind", "tcp6", "40000"],
            NetOp::Bind,
            Proto::Tcp,
            Inet6,
            40000,
        ),
        net(
            &["bind", "tcp", "40000"],
            NetOp::Bind,
            Proto::Tcp,
            Inet,
            40000,
        ),
        net(
            &["bind", "udp6", "40000"],
            NetOp::Bind,
            Proto::Udp,
            Inet6,
            40000,
        ),
    ]
}

/// Socket types of netlink and packet sockets (`network netlink dgram`), raw IP by IP
/// version (`network inet6 raw`): the other type and version are refused.
const CURATED_SOCKET_TYPES: &str = r#"
## org.polc.cur.typed /usr/bin/c-typed
allow net netlink dgram
allow net packet dgram
allow net raw6
allow capability net_raw
"#;

/// The cases of [`CURATED_SOCKET_TYPES`].
fn socket_type_ops() -> Vec<(&'static str, Op)> {
    use polc_lang::ir::FamilySockType::{Dgram, Raw};
    use polc_lang::ir::IpFamily::{Inet, Inet6};
    let req = |family, ip, protocol: Option<&str>, sock_type| Request::NetFamily {
        family,
        ip,
        protocol: protocol.map(str::to_string),
        sock_type,
    };
    let sock = |args: &'static [&'static str], r: Request| {
        (
            "/usr/bin/c-typed",
            Op::new(args, "org.polc.cur.typed", vec![r]),
        )
    };
    vec![
        sock(
            &["socket", "netlink", "dgram", "0"],
            req(NetFamily::Netlink, None, Some("route"), Some(Dgram)),
        ),
        sock(
            &["socket", "netlink", "raw", "0"],
            req(NetFamily::Netlink, None, Some("route"), Some(Raw)),
        ),
        sock(
            &["socket", "packet", "dgram", "0"],
            req(NetFamily::Packet, None, None, Some(Dgram)),
        ),
        sock(
            &["socket", "packet", "raw", "0"],
            req(NetFamily::Packet, None, None, Some(Raw)),
        ),
        sock(
            &["socket", "inet6", "raw", "58"],
            req(NetFamily::Raw, Some(Inet6), Some("icmpv6"), None),
        ),
        sock(
            &["socket", "inet", "raw", "1"],
            req(NetFamily::Raw, Some(Inet), Some("icmp"), None),
        ),
    ]
}

fn file(p: &str, r: Right) -> Request {
    Request::file(p, r)
}

fn fam(family: NetFamily, protocol: Option<&str>) -> Request {
    Request::net_family(family, protocol)
}

/// (exec path, operation) of the curated cases, in order (complain first: its log lines
/// must not be lost to the kernel's rate limit).
fn curated_ops() -> Vec<(&'static str, Op)> {
    use Right::*;
    let o = Op::new;
    let cross = |args: &[&str], reqs: Vec<(&str, Request)>| Op {
        args: args.iter().map(|s| s.to_string()).collect(),
        requests: reqs.into_iter().map(|(p, r)| (p.to_string(), r)).collect(),
    };
    let (ea, eb) = ("org.polc.cur.exec-a", "org.polc.cur.exec-b");
    let (sa, sb) = ("org.polc.cur.sig-a", "org.polc.cur.sig-b");
    let sig = |d, peer: &str, s: &str| Request::signal(d, peer, s);
    vec![
        (
            "/usr/bin/c-deny",
            o(
                &["read", "/c/deny/pub/a"],
                "org.polc.cur.deny",
                vec![file("/c/deny/pub/a", Read)],
            ),
        ),
        (
            "/usr/bin/c-deny",
            o(
                &["read", "/c/deny/pub/key"],
                "org.polc.cur.deny",
                vec![file("/c/deny/pub/key", Read)],
            ),
        ),
        (
            "/usr/bin/c-deny",
            o(
                &["read", "/c/deny/secret/s"],
                "org.polc.cur.deny",
                vec![file("/c/deny/secret/s", Read)],
            ),
        ),
        (
            "/usr/bin/c-deny",
            o(
                &["list", "/c/deny/secret"],
                "org.polc.cur.deny",
                vec![file("/c/deny/secret", List)],
            ),
        ),
        (
            "/usr/bin/c-deny",
            o(
                &["append", "/c/deny/pub/a"],
                "org.polc.cur.deny",
                vec![file("/c/deny/pub/a", Append)],
            ),
        ),
        (
            "/usr/bin/c-deny",
            o(
                &["append", "/c/deny/pub/key"],
                "org.polc.cur.deny",
                vec![file("/c/deny/pub/key", Append)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["read", "/c/glob/x.conf"],
                "org.polc.cur.glob",
                vec![file("/c/glob/x.conf", Read)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["read", "/c/glob/x.conf.bak"],
                "org.polc.cur.glob",
                vec![file("/c/glob/x.conf.bak", Read)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["read", "/c/glob/a/x.conf"],
                "org.polc.cur.glob",
                vec![file("/c/glob/a/x.conf", Read)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["read", "/c/glob/b/deep/f"],
                "org.polc.cur.glob",
                vec![file("/c/glob/b/deep/f", Read)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["read", "/c/glob/ab/f"],
                "org.polc.cur.glob",
                vec![file("/c/glob/ab/f", Read)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["append", "/c/glob/a/log"],
                "org.polc.cur.glob",
                vec![file("/c/glob/a/log", Append)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["append", "/c/glob/b/deep/log"],
                "org.polc.cur.glob",
                vec![file("/c/glob/b/deep/log", Append)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["write", "/c/glob/a/log"],
                "org.polc.cur.glob",
                vec![file("/c/glob/a/log", Write)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["list", "/c/glob/a"],
                "org.polc.cur.glob",
                vec![file("/c/glob/a", List)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["list", "/c/glob/a/deep"],
                "org.polc.cur.glob",
                vec![file("/c/glob/a/deep", List)],
            ),
        ),
        (
            "/usr/bin/c-glob",
            o(
                &["list", "/c/glob/b/deep"],
                "org.polc.cur.glob",
                vec![file("/c/glob/b/deep", List)],
            ),
        ),
        // exec ... as: the tool runs under exec-b, which may read only-b; the plain
        // program stays in exec-a.
        (
            "/usr/bin/c-exec-a",
            cross(
                &["exec", "/c/exec/tool", "read", "/c/exec/only-b"],
                vec![
                    (ea, file("/c/exec/tool", Exec)),
                    (eb, file("/c/exec/only-b", Read)),
                ],
            ),
        ),
        (
            "/usr/bin/c-exec-a",
            cross(
                &["exec", "/c/exec/tool", "read", "/c/exec/only-a"],
                vec![
                    (ea, file("/c/exec/tool", Exec)),
                    (eb, file("/c/exec/only-a", Read)),
                ],
            ),
        ),
        (
            "/usr/bin/c-exec-a",
            cross(
                &["exec", "/c/exec/plain", "read", "/c/exec/only-a"],
                vec![
                    (ea, file("/c/exec/plain", Exec)),
                    (ea, file("/c/exec/only-a", Read)),
                ],
            ),
        ),
        (
            "/usr/bin/c-exec-a",
            cross(
                &["exec", "/c/exec/plain", "read", "/c/exec/only-b"],
                vec![
                    (ea, file("/c/exec/plain", Exec)),
                    (ea, file("/c/exec/only-b", Read)),
                ],
            ),
        ),
        (
            "/usr/bin/c-exec-a",
            o(
                &["exec", "/c/exec/other"],
                ea,
                vec![file("/c/exec/other", Exec)],
            ),
        ),
        (
            "/usr/bin/c-caps",
            o(
                &["sethostname", "polc"],
                "org.polc.cur.caps",
                vec![Request::capability("sys_admin")],
            ),
        ),
        (
            "/usr/bin/c-caps",
            o(
                &["setgid", "1"],
                "org.polc.cur.caps",
                vec![Request::capability("setgid")],
            ),
        ),
        (
            "/usr/bin/c-caps",
            o(
                &["write", "/c/caps/ro"],
                "org.polc.cur.caps",
                vec![
                    file("/c/caps/ro", Write),
                    Request::capability("dac_override"),
                ],
            ),
        ),
        (
            "/usr/bin/c-caps2",
            o(
                &["sethostname", "polc"],
                "org.polc.cur.caps2",
                vec![Request::capability("sys_admin")],
            ),
        ),
        (
            "/usr/bin/c-caps2",
            o(
                &["setgid", "1"],
                "org.polc.cur.caps2",
                vec![Request::capability("setgid")],
            ),
        ),
        (
            "/usr/bin/c-caps2",
            o(
                &["write", "/c/caps/ro"],
                "org.polc.cur.caps2",
                vec![
                    file("/c/caps/ro", Write),
                    Request::capability("dac_override"),
                ],
            ),
        ),
        // Signals to a peer running under sig-b: both sides are checked.
        (
            "/usr/bin/c-sig-a",
            cross(
                &["kill", "18", "@/run/sig-b.pid"],
                vec![
                    (sa, sig(SignalDir::Send, sb, "cont")),
                    (sb, sig(SignalDir::Receive, sa, "cont")),
                ],
            ),
        ),
        (
            "/usr/bin/c-sig-a",
            cross(
                &["kill", "23", "@/run/sig-b.pid"],
                vec![
                    (sa, sig(SignalDir::Send, sb, "urg")),
                    (sb, sig(SignalDir::Receive, sa, "urg")),
                ],
            ),
        ),
        (
            "/usr/bin/c-sig-a",
            cross(
                &["kill", "28", "@/run/sig-b.pid"],
                vec![
                    (sa, sig(SignalDir::Send, sb, "winch")),
                    (sb, sig(SignalDir::Receive, sa, "winch")),
                ],
            ),
        ),
        (
            "/usr/bin/c-net",
            o(
                &["connect", "tcp", "1234"],
                "org.polc.cur.net",
                vec![Request::net(NetOp::Connect, Proto::Tcp, 1234)],
            ),
        ),
        (
            "/usr/bin/c-net",
            o(
                &["bind", "tcp", "40000"],
                "org.polc.cur.net",
                vec![Request::net(NetOp::Bind, Proto::Tcp, 40000)],
            ),
        ),
        (
            "/usr/bin/c-net",
            o(
                &["connect", "udp", "53"],
                "org.polc.cur.net",
                vec![Request::net(NetOp::Connect, Proto::Udp, 53)],
            ),
        ),
        // Network families: netlink by protocol, raw by protocol (the family decides
        // IPv4 or IPv6), packet without a rule.
        (
            "/usr/bin/c-fam",
            o(
                &["socket", "netlink", "raw", "0"],
                "org.polc.cur.fam",
                vec![fam(NetFamily::Netlink, Some("route"))],
            ),
        ),
        (
            "/usr/bin/c-fam",
            o(
                &["socket", "inet", "raw", "1"],
                "org.polc.cur.fam",
                vec![fam(NetFamily::Raw, Some("icmp"))],
            ),
        ),
        (
            "/usr/bin/c-fam",
            o(
                &["socket", "inet6", "raw", "58"],
                "org.polc.cur.fam",
                vec![fam(NetFamily::Raw, Some("icmpv6"))],
            ),
        ),
        (
            "/usr/bin/c-fam",
            o(
                &["socket", "packet", "raw", "0"],
                "org.polc.cur.fam",
                vec![fam(NetFamily::Packet, None)],
            ),
        ),
    ]
}

#[test]
fn curated_policies_agree_with_the_evaluator() {
    let (k, probe) = kernel_and_probe();
    let policies = common::curated_policies(
        &format!(
            "{CURATED}{CURATED_IP_VERSIONS}{}{CURATED_SOCKET_TYPES}",
            common::CURATED_EXISTS
        ),
        true,
    );
    let attaches: Vec<String> = policies.iter().filter_map(|(_, a)| a.clone()).collect();
    let batch = compile_all(policies.into_iter().map(|(p, _)| p).collect());
    // The transition is the evaluator's too.
    let d = polc_lang::eval::evaluate(
        &batch.policies["org.polc.cur.exec-a"].ir,
        &file("/c/exec/tool", Right::Exec),
    );
    assert_eq!(
        d.exec_as.map(|n| n.to_string()).as_deref(),
        Some("org.polc.cur.exec-b")
    );

    let mut g = batch.guest(&probe);
    for a in &attaches {
        g = g.probe_at(a);
    }
    g = g
        .probe_at("/c/exec/tool")
        .probe_at("/c/exec/plain")
        .probe_at("/c/exec/other");
    for f in [
        "/c/complain/ok",
        "/c/complain/other",
        "/c/deny/pub/a",
        "/c/deny/pub/key",
        "/c/deny/secret/s",
        "/c/glob/x.conf",
        "/c/glob/x.conf.bak",
        "/c/glob/a/x.conf",
        "/c/glob/b/deep/f",
        "/c/glob/ab/f",
        "/c/glob/a/log",
        "/c/glob/b/deep/log",
        "/c/exec/only-a",
        "/c/exec/only-b",
    ] {
        g = g.file(f, 0o644, b"polc\n");
    }
    let g = g
        .file("/c/caps/ro", 0o444, b"polc\n")
        .dir("/c/glob/a/deep")
        .dir("/run")
        // No rate limit on the kernel log: the complain-mode lines must all be there.
        .setup("echo 0 > /proc/sys/kernel/printk_ratelimit")
        .setup("/bin/polc-probe spawn /run/sig-b.pid - /usr/bin/c-sig-b sleep 300")
        .setup("/bin/polc-probe spawn /run/ex-b.pid - /usr/bin/c-ex-b sleep 300")
        .after("dmesg | grep -F 'apparmor=\"ALLOWED\"' | grep -F org.polc.cur.complain");

    let mut pairs: Vec<Pair> = Vec::new();
    // Complain mode: the kernel allows what the policy refuses, and logs it.
    let complain = &batch.policies["org.polc.cur.complain"];
    for (i, path) in ["/c/complain/ok", "/c/complain/other"]
        .into_iter()
        .enumerate()
    {
        let op = Op::new(
            &["read", path],
            "org.polc.cur.complain",
            vec![file(path, Right::Read)],
        );
        let mut p = batch.pair(format!("complain-{i}"), "/usr/bin/c-complain", &op);
        assert_eq!(
            p.expected,
            i == 0,
            "the evaluator decides as the policy says"
        );
        assert_eq!(
            fidelity(
                complain,
                &batch.reports["org.polc.cur.complain"],
                &file(path, Right::Read)
            ),
            Fidelity::Exact
        );
        p.expected = true;
        p.requests = format!("{} (complain mode: logged, never refused)", p.requests);
        pairs.push(p);
    }
    for (i, (exec, op)) in curated_ops()
        .into_iter()
        .chain(ip_version_ops())
        .chain(common::exists_ops())
        .chain(socket_type_ops())
        .enumerate()
    {
        pairs.push(batch.pair(format!("c{i:02}-{}", op.args[0]), exec, &op));
    }
    pairs.extend(common::deliberately_wrong(&pairs));
    let run = g
        .cases(pairs.iter().map(|p| p.case.clone()))
        .boot(&k.vmlinuz)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tally = Tally::new("apparmor (curated)");
    tally.judge_all(&pairs, &run.results);
    let logged = run
        .console
        .lines()
        .any(|l| l.contains("apparmor=\"ALLOWED\"") && l.contains("name=\"/c/complain/other\""));
    assert!(
        logged,
        "complain mode: no `apparmor=\"ALLOWED\"` line for /c/complain/other in the kernel log:\n{}",
        run.console
    );
    common::conclude(&tally, pairs.len() / 2, CURATED_LIMITS);
}

// ---------------------------------------------------------------------------------------
// The language's v2 constructs (issue 12): `owner`, character classes and the built-in
// set variables in globs, unix sockets, ptrace, signals from unconfined processes and
// from any peer, the exec modes beyond `as NAME`, and `audit`.

/// Paths of each random tree owned by another user (uid 1000; files 0666, directories 0777
/// so that root passes the permission bits without `dac_override`): `owner` rules do not
/// apply to them.
const OTHER_OWNED: &[&str] = &[
    "d0/f1", "d0/m1", "d0/s0/f0", "d1", "d1/f0", "d1/m2", "d1/x", "d1/e1", "n/42",
];

/// Files named by numbers (`${pid}`, `${uid}`, classes) in each random tree.
const NUMBERED: &[&str] = &["n/1", "n/42", "n/042", "n/0", "n/x7"];

/// The random globs with character classes and built-in set variables.
const V2_GLOBS: &[&str] = &[
    "R/**",
    "R/d0/**",
    "R/d1/**",
    "R/d[01]/**",
    "R/d[^1]/f*",
    "R/*/f[0-9]",
    "R/d0/[fm]?",
    "R/d[0-9]/[a-z][0-9]",
    "R/d1/m[0-9]+",
    "R/n/${pid}",
    "R/n/${uid}",
    "R/n/[0-9]*",
    "R/n/[^0-9]*",
    "R/*/f0",
    "R/d0/s0/**",
    "R/d1/*",
    "R/n/**",
    "R/d0{,/**}",
];

/// Whether the probe (root, file-system uid 0) owns the path of an operation (`owner`
/// rules apply): AppArmor compares the fsuid with the uid of the inode the operation acts
/// on (a link's or a rename's source); a created file is the creator's.
fn owns_operand(root: &str, args: &[String]) -> bool {
    match args.first().map(String::as_str) {
        Some("create" | "mkdir") => true,
        _ => args
            .get(1)
            .is_none_or(|p| !OTHER_OWNED.iter().any(|o| at(root, o) == *p)),
    }
}

/// The requests of `op` on files the probe owns or not, as the guest's tree has it.
fn with_ownership(root: &str, mut op: Op) -> Op {
    let owner = owns_operand(root, &op.args);
    for (_, r) in &mut op.requests {
        if let Request::File { owner: o, .. } = r {
            *o = owner;
        }
    }
    op
}

/// How much of the random v2 run may go unjudged, from the numbers measured with the
/// default seed (400 pairs: 0 inconclusive, 35 not compared, 8.8 %: a `[0-9]+` rule is
/// narrowed, and with a widened `w` on the same path the pair bounds nothing).
const RANDOM_V2_LIMITS: Limits = Limits {
    inconclusive_percent: 1,
    not_compared_percent: 10,
};

/// Random policies of the v2 run (20 operations each).
const RANDOM_V2_POLICIES: usize = 20;

/// One boot: random policies whose rules are `owner` (two in five), `audit` (one in ten)
/// and whose globs have character classes and `${pid}` / `${uid}`, over trees where some
/// paths belong to another user; the usual operations plus reads and writes of numbered
/// files.
#[test]
fn random_v2_policies_agree_with_the_evaluator() {
    let seed = seed(0x00A9_B2B0);
    println!("apparmor random v2 policies: seed {seed} (rerun with POLC_KERNEL_SEED={seed})");
    let (k, probe) = kernel_and_probe();
    let mut rng = Rng::new(seed);
    let mut policies = Vec::new();
    let mut ops: Vec<(String, String, Op)> = Vec::new();
    for i in 0..RANDOM_V2_POLICIES {
        let name = format!("org.polc.v2r{i}");
        let root = format!("/t/v{i}");
        let attach = format!("/usr/bin/v{i}");
        let mut rules = Vec::new();
        for rule in random_rules_over(&mut rng, &root, V2_GLOBS) {
            let (effect, rest) = rule.split_once(' ').unwrap();
            let owner = if rng.chance(40) { "owner " } else { "" };
            let audit = if rng.chance(10) { "audit " } else { "" };
            rules.push(format!("{audit}{effect} {owner}{rest}"));
        }
        policies.push(attached(&name, &attach, rules));
        let mut mine = random_ops(&mut rng, &name, &root);
        for _ in 0..4 {
            let p = at(&root, rng.pick(NUMBERED));
            let (o, r) = if rng.chance(50) {
                ("read", Right::Read)
            } else {
                ("write", Right::Write)
            };
            mine.push(Op::new(&[o, &p], &name, vec![file(&p, r)]));
        }
        for (k, op) in mine.into_iter().enumerate() {
            let op = with_ownership(&root, op);
            ops.push((format!("v{i}-{k:02}-{}", op.args[0]), attach.clone(), op));
        }
    }
    let batch = compile_all(policies);
    let mut g = batch.guest(&probe);
    for i in 0..RANDOM_V2_POLICIES {
        let root = format!("/t/v{i}");
        g = add_tree(g.probe_at(&format!("/usr/bin/v{i}")), &root).dir(&at(&root, "n"));
        for n in NUMBERED {
            g = g.file(&at(&root, n), 0o644, b"polc\n");
        }
        let (dirs, files): (Vec<&str>, Vec<&str>) =
            OTHER_OWNED.iter().partition(|o| DIRS.contains(o));
        let dirs: Vec<String> = dirs.iter().map(|o| at(&root, o)).collect();
        let files: Vec<String> = files.iter().map(|o| at(&root, o)).collect();
        g = g.setup(&format!(
            "chown 1000:1000 {d} {f} && chmod 777 {d} && chmod 666 {f}",
            d = dirs.join(" "),
            f = files.join(" ")
        ));
    }
    let (pairs, run) = batch.boot(g, &ops, &k.vmlinuz, "apparmor v2");
    let owner_rules = batch
        .policies
        .values()
        .flat_map(|p| &p.ir.files)
        .filter(|r| r.owner)
        .count();
    let not_owned = ops
        .iter()
        .filter(|(_, _, op)| {
            op.requests
                .iter()
                .any(|(_, r)| matches!(r, Request::File { owner: false, .. }))
        })
        .count();
    println!("apparmor v2: {owner_rules} owner rules, {not_owned} operations on other-owned files");
    assert!(
        owner_rules >= 10 && not_owned >= 20,
        "the random v2 policies must exercise `owner` on owned and other-owned files"
    );
    let mut tally = Tally::new("apparmor (v2)");
    tally.judge_all(&pairs, &run.results);
    common::conclude(&tally, 250, RANDOM_V2_LIMITS);
}

const CURATED_V2: &str = r#"
## org.polc.v2.owner /usr/bin/v2-owner
allow capability setuid
allow owner read write "/v2/own/**"
allow read "/v2/own/pub"
allow write "/v2/own/ro*"
audit deny owner write "/v2/own/ro*"

## org.polc.v2.cls /usr/bin/v2-cls
allow read "/v2/cls/${pid}/stat"
allow read "/v2/cls/u${uid}"
allow read "/v2/cls/f[0-9a]"
deny read "/v2/cls/f[5-9]"
allow read "/v2/cls/g[^0-9/]x"

## org.polc.v2.sig /usr/bin/v2-sig
allow signal receive cont from unconfined
allow signal receive urg from any
allow signal receive winch from org.polc.v2.snd

## org.polc.v2.snd /usr/bin/v2-snd
allow signal send to any

## org.polc.v2.tracer /usr/bin/v2-tracer
allow ptrace read, trace to org.polc.v2.tracee
allow ptrace read to unconfined
allow ptrace read to self

## org.polc.v2.tracee /usr/bin/v2-tracee
allow ptrace read from org.polc.v2.tracer
allow ptrace trace from unconfined

## org.polc.v2.snoop /usr/bin/v2-snoop
allow ptrace read to org.polc.v2.tracee

## org.polc.v2.exec /usr/bin/v2-exec
allow exec "/v2/exec/pix" as org.polc.v2.exec-b else inherit
allow exec "/v2/exec/pix-none" as org.polc.v2.absent else inherit
allow exec "/v2/exec/ux" as unconfined
allow exec "/v2/exec/cx" as child helper
allow read map-exec "/v2/exec/pix-none"
allow read "/proc/${pid}/attr/current"
child helper {
    allow read map-exec "/v2/exec/cx"
    allow read "/proc/${pid}/attr/current"
}

## org.polc.v2.exec-b
allow read map-exec "/v2/exec/pix"
allow read "/proc/${pid}/attr/current"

## org.polc.v2.audit /usr/bin/v2-audit
audit allow read "/v2/audit/logged"
allow read "/v2/audit/quiet"
audit deny read "/v2/audit/denied"

## org.polc.v2.unix /usr/bin/v2-unix
allow unix connect, send, receive stream abstract "@polc-v2-ok" peer org.polc.v2.usrv
allow unix send, receive dgram anonymous peer self
allow unix bind, listen stream abstract "@polc-v2-mine"
allow unix connect, send seqpacket abstract "@polc-v2-unconf" peer unconfined
allow unix bind, listen stream path "/v2/unix/mine.sock"

## org.polc.v2.usrv /usr/bin/v2-usrv
allow unix bind, listen, accept, send, receive stream abstract "@polc-v2-ok"
allow unix bind, listen, accept, receive stream abstract "@polc-v2-other"
"#;

/// What the kernel must report as the label of a program `policy` executes from `path`:
/// the evaluator's transition, AppArmor's name for a child (`PARENT//CHILD`), this policy
/// for a fallback whose target is not loaded.
fn label_after_exec(p: &TestPolicy, path: &str, loaded: &dyn Fn(&str) -> bool) -> String {
    use polc_lang::ir::ExecMode;
    let d = polc_lang::eval::evaluate(&p.ir, &file(path, Right::Exec));
    assert!(d.allowed, "{path} is executable under {}", p.ir.name);
    let me = p.ir.name.to_string();
    match (d.exec_mode, d.exec_as.map(|n| n.to_string())) {
        (ExecMode::Unconfined, _) => "unconfined".into(),
        (ExecMode::Child, Some(c)) => format!("{me}//{c}"),
        (ExecMode::Fallback, Some(n)) if !loaded(&n) => me,
        (_, Some(n)) => n,
        (_, None) => me,
    }
}

fn unix_req(op: UnixOp, ty: UnixType, addr: UnixRequestAddr, peer: &str) -> Request {
    Request::Unix {
        op,
        sock_type: ty,
        addr,
        peer: RequestPeer::parse(peer),
    }
}

/// (exec path, operation) of the curated v2 cases.
fn curated_v2_ops(batch: &Batch) -> Vec<(&'static str, Op)> {
    use Right::*;
    let o = Op::new;
    let cross = |args: &[&str], reqs: Vec<(&str, Request)>| Op {
        args: args.iter().map(|s| s.to_string()).collect(),
        requests: reqs.into_iter().map(|(p, r)| (p.to_string(), r)).collect(),
    };
    let own = "org.polc.v2.owner";
    let mut v = vec![
        // Root's fsuid is 0: it owns `a` and `ro`, not `b` or `pub` (uid 1000).
        (
            "/usr/bin/v2-owner",
            o(
                &["read", "/v2/own/a"],
                own,
                vec![Request::owned_file("/v2/own/a", Read)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(&["read", "/v2/own/b"], own, vec![file("/v2/own/b", Read)]),
        ),
        (
            "/usr/bin/v2-owner",
            o(&["write", "/v2/own/b"], own, vec![file("/v2/own/b", Write)]),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["read", "/v2/own/pub"],
                own,
                vec![file("/v2/own/pub", Read)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["write", "/v2/own/ro"],
                own,
                vec![Request::owned_file("/v2/own/ro", Write)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["create", "/v2/own/new"],
                own,
                vec![Request::owned_file("/v2/own/new", Create)],
            ),
        ),
        // With fsuid 1000 the probe owns `b` and `pub`, not `a` or `ro`.
        (
            "/usr/bin/v2-owner",
            o(
                &["fsuid", "1000", "read", "/v2/own/b"],
                own,
                vec![Request::owned_file("/v2/own/b", Read)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["fsuid", "1000", "write", "/v2/own/b"],
                own,
                vec![Request::owned_file("/v2/own/b", Write)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["fsuid", "1000", "read", "/v2/own/a"],
                own,
                vec![file("/v2/own/a", Read)],
            ),
        ),
        (
            "/usr/bin/v2-owner",
            o(
                &["fsuid", "1000", "write", "/v2/own/ro"],
                own,
                vec![file("/v2/own/ro", Write)],
            ),
        ),
    ];
    for f in [
        "1/stat", "42/stat", "042/stat", "0/stat", "x/stat", "u0", "u1000", "u", "ux", "f3", "f7",
        "fa", "fb", "gbx", "g1x",
    ] {
        let p = format!("/v2/cls/{f}");
        v.push((
            "/usr/bin/v2-cls",
            o(&["read", &p], "org.polc.v2.cls", vec![file(&p, Read)]),
        ));
    }
    // Signals: from an unconfined sender (only the receiver is checked) and from a
    // confined one to `any`.
    let (rcv, snd) = ("org.polc.v2.sig", "org.polc.v2.snd");
    let sig = |d, peer: &str, s: &str| Request::signal(d, peer, s);
    for (n, s) in [("18", "cont"), ("23", "urg"), ("28", "winch")] {
        v.push((
            "/bin/polc-probe",
            o(
                &["kill", n, "@/run/v2-sig.pid"],
                rcv,
                vec![sig(SignalDir::Receive, "unconfined", s)],
            ),
        ));
        v.push((
            "/usr/bin/v2-snd",
            cross(
                &["kill", n, "@/run/v2-sig.pid"],
                vec![
                    (snd, sig(SignalDir::Send, rcv, s)),
                    (rcv, sig(SignalDir::Receive, snd, s)),
                ],
            ),
        ));
    }
    // Ptrace: both sides are checked when both are confined.
    let (tr, te, sn) = (
        "org.polc.v2.tracer",
        "org.polc.v2.tracee",
        "org.polc.v2.snoop",
    );
    for acc in [PtraceAccess::Read, PtraceAccess::Trace] {
        for (exec, tracer, pidfile, target) in [
            ("/usr/bin/v2-tracer", tr, "/run/v2-tracee.pid", te),
            (
                "/usr/bin/v2-tracer",
                tr,
                "/run/v2-unconfined.pid",
                "unconfined",
            ),
            ("/usr/bin/v2-tracer", tr, "/run/v2-tracer.pid", tr),
            ("/bin/polc-probe", "unconfined", "/run/v2-tracee.pid", te),
        ] {
            v.push((exec, ptrace_op(acc, pidfile, tracer, target)));
        }
    }
    // The snoop may read the tracee, which does not let it.
    v.push((
        "/usr/bin/v2-snoop",
        ptrace_op(PtraceAccess::Read, "/run/v2-tracee.pid", sn, te),
    ));
    // Exec modes, judged by the label the executed probe reports.
    let ex = "org.polc.v2.exec";
    let loaded = |n: &str| batch.policies.contains_key(n);
    for path in [
        "/v2/exec/pix",
        "/v2/exec/pix-none",
        "/v2/exec/ux",
        "/v2/exec/cx",
    ] {
        let label = label_after_exec(&batch.policies[ex], path, &loaded);
        let path: &'static str = path;
        v.push((
            "/usr/bin/v2-exec",
            o(
                &["exec", path, "label-is", &label],
                ex,
                vec![file(path, Exec)],
            ),
        ));
    }
    // Audit: decided as without it (the records are checked apart).
    let au = "org.polc.v2.audit";
    for f in ["logged", "quiet", "denied"] {
        let p = format!("/v2/audit/{f}");
        v.push((
            "/usr/bin/v2-audit",
            o(&["read", &p], au, vec![file(&p, Read)]),
        ));
    }
    // Unix sockets: abstract to a confined server, to another address, to an unconfined
    // server; socket pairs; binding.
    let (ux, srv) = ("org.polc.v2.unix", "org.polc.v2.usrv");
    let ab = |s: &str| UnixRequestAddr::Abstract(s.to_string());
    use UnixOp::*;
    use UnixType::*;
    for (ty, t, addr, peer) in [
        ("stream", Stream, "@polc-v2-ok", srv),
        ("stream", Stream, "@polc-v2-other", srv),
        ("seqpacket", Seqpacket, "@polc-v2-unconf", "unconfined"),
        ("stream", Stream, "@polc-v2-unconf-s", "unconfined"),
    ] {
        v.push((
            "/usr/bin/v2-unix",
            o(
                &["unix-connect", ty, addr],
                ux,
                vec![
                    unix_req(Connect, t, ab(addr), peer),
                    unix_req(UnixOp::Send, t, ab(addr), peer),
                ],
            ),
        ));
    }
    for (ty, t) in [("dgram", Dgram), ("stream", Stream)] {
        v.push((
            "/usr/bin/v2-unix",
            o(
                &["unix-pair", ty],
                ux,
                vec![
                    unix_req(UnixOp::Send, t, UnixRequestAddr::Anonymous, ux),
                    unix_req(Receive, t, UnixRequestAddr::Anonymous, ux),
                ],
            ),
        ));
    }
    // Binding a path socket creates its file: AppArmor's file rules decide it.
    let path = |p: &str| UnixRequestAddr::Path(p.to_string());
    for p in ["/v2/unix/mine.sock", "/v2/unix/nope.sock"] {
        v.push((
            "/usr/bin/v2-unix",
            o(
                &["unix-bind", "stream", p],
                ux,
                vec![
                    unix_req(Bind, Stream, path(p), "unconfined"),
                    unix_req(Listen, Stream, path(p), "unconfined"),
                ],
            ),
        ));
    }
    // A policy without unix rules.
    v.push((
        "/usr/bin/v2-owner",
        o(
            &["unix-pair", "dgram"],
            own,
            vec![
                unix_req(UnixOp::Send, Dgram, UnixRequestAddr::Anonymous, own),
                unix_req(Receive, Dgram, UnixRequestAddr::Anonymous, own),
            ],
        ),
    ));
    for (ty, t, addr) in [
        ("stream", Stream, "@polc-v2-mine"),
        ("stream", Stream, "@polc-v2-nope"),
        ("dgram", Dgram, "@polc-v2-mine"),
    ] {
        v.push((
            "/usr/bin/v2-unix",
            o(
                &["unix-bind", ty, addr],
                ux,
                vec![
                    unix_req(Bind, t, ab(addr), "unconfined"),
                    unix_req(Listen, t, ab(addr), "unconfined"),
                ],
            ),
        ));
    }
    v
}

/// The same for the curated v2 run (59 pairs: 0 inconclusive, 2 not compared, 3.4 %).
const CURATED_V2_LIMITS: Limits = Limits {
    inconclusive_percent: 0,
    not_compared_percent: 5,
};

/// One boot: `owner` (root's own files, another user's, and the same under
/// `setfsuid(1000)`), character classes with `${pid}` and `${uid}`, signals from
/// unconfined and to and from `any`, ptrace read and trace between two policies, to
/// `self` and to and from unconfined processes, `as NAME else inherit` with NAME loaded and
/// not, `as unconfined`, `as child NAME` (judged by the label the executed probe reads in
/// `/proc/self/attr/current`), `audit` (an `apparmor="AUDIT"` record for the audited
/// allowed read, none for the other), unix sockets (abstract connect to a confined and to
/// an unconfined server, socket pairs, bind); the kernel's records of the refusals are
/// printed for the denial-record corpus.
#[test]
fn curated_v2_policies_agree_with_the_evaluator() {
    let (k, probe) = kernel_and_probe();
    let policies = common::curated_policies(CURATED_V2, true);
    let attaches: Vec<String> = policies.iter().filter_map(|(_, a)| a.clone()).collect();
    let batch = compile_all(policies.into_iter().map(|(p, _)| p).collect());
    let mut g = batch.guest(&probe);
    for a in &attaches {
        g = g.probe_at(a);
    }
    for x in [
        "/v2/exec/pix",
        "/v2/exec/pix-none",
        "/v2/exec/ux",
        "/v2/exec/cx",
    ] {
        g = g.probe_at(x);
    }
    for f in [
        "/v2/own/a",
        "/v2/own/b",
        "/v2/own/pub",
        "/v2/own/ro",
        "/v2/cls/1/stat",
        "/v2/cls/42/stat",
        "/v2/cls/042/stat",
        "/v2/cls/0/stat",
        "/v2/cls/x/stat",
        "/v2/cls/u0",
        "/v2/cls/u1000",
        "/v2/cls/u",
        "/v2/cls/ux",
        "/v2/cls/f3",
        "/v2/cls/f7",
        "/v2/cls/fa",
        "/v2/cls/fb",
        "/v2/cls/gbx",
        "/v2/cls/g1x",
        "/v2/audit/logged",
        "/v2/audit/quiet",
        "/v2/audit/denied",
    ] {
        g = g.file(f, 0o666, b"polc\n");
    }
    let spawn = |g: Guest, pidfile: &str, exec: &str, op: &str| {
        g.setup(&format!("/bin/polc-probe spawn {pidfile} - {exec} {op}"))
    };
    let mut g = g
        .dir("/run")
        .dir("/v2/unix")
        .setup("chmod 777 /v2/own && chown 1000:1000 /v2/own/b /v2/own/pub")
        .setup("echo 0 > /proc/sys/kernel/printk_ratelimit")
        .setup("echo POLC-FEATURES $(ls /sys/kernel/security/apparmor/features/ /sys/kernel/security/apparmor/features/network*)");
    for (pidfile, exec, op) in [
        ("/run/v2-sig.pid", "/usr/bin/v2-sig", "sleep 300"),
        ("/run/v2-tracee.pid", "/usr/bin/v2-tracee", "sleep 300"),
        ("/run/v2-tracer.pid", "/usr/bin/v2-tracer", "sleep 300"),
        ("/run/v2-unconfined.pid", "/bin/polc-probe", "sleep 300"),
        (
            "/run/v2-srv-ok.pid",
            "/usr/bin/v2-usrv",
            "unix-serve stream @polc-v2-ok",
        ),
        (
            "/run/v2-srv-other.pid",
            "/usr/bin/v2-usrv",
            "unix-serve stream @polc-v2-other",
        ),
        (
            "/run/v2-srv-u.pid",
            "/bin/polc-probe",
            "unix-serve seqpacket @polc-v2-unconf",
        ),
        (
            "/run/v2-srv-us.pid",
            "/bin/polc-probe",
            "unix-serve stream @polc-v2-unconf-s",
        ),
    ] {
        g = spawn(g, pidfile, exec, op);
    }
    let g = g
        .setup("sleep 1")
        .after("dmesg | grep -F 'apparmor=' | grep -v -F 'STATUS' | sed 's/^/POLC-RECORD /'");

    let ops: Vec<(String, String, Op)> = curated_v2_ops(&batch)
        .into_iter()
        .enumerate()
        .map(|(i, (exec, op))| (format!("v{i:02}-{}", op.args[0]), exec.to_string(), op))
        .collect();
    let (mut pairs, run) = batch.boot(g, &ops, &k.vmlinuz, "apparmor curated v2");
    for l in run.console.lines().filter(|l| {
        ["POLC-FEATURES", "POLC-RECORD", "POLC-LABEL", "POLC-SERVE"]
            .iter()
            .any(|t| l.contains(t))
    }) {
        println!("{l}");
    }
    // ABI 3.0 declares unix mediation, which the backend's report assumes; a kernel without
    // AppArmor's af_unix support (upstream before 6.17, Debian 12's 6.1) enforces the
    // downgraded `network unix TYPE` rules: every address and peer of an allowed type
    // (docs/backends/apparmor.md). The pairs are then judged one way.
    let features = run
        .console
        .lines()
        .find(|l| l.contains("POLC-FEATURES"))
        .unwrap_or_else(|| panic!("no AppArmor features listed:\n{}", run.console));
    if !features.contains("af_unix") {
        println!("apparmor curated v2: the kernel does not mediate unix sockets by address and peer; unix pairs judged as widened");
        for p in pairs
            .iter_mut()
            .filter(|p| p.case.op[0].starts_with("unix-"))
        {
            p.fidelity = Fidelity::Widened;
            p.requests
                .push_str(" (kernel without af_unix mediation: `network unix TYPE`)");
        }
    }
    let mut tally = Tally::new("apparmor (curated v2)");
    tally.judge_all(&pairs, &run.results);
    // `audit`: an allowed access that an audited rule decides is logged, another is not.
    let au = &batch.policies["org.polc.v2.audit"];
    let mut audited = 0;
    for f in ["logged", "quiet", "denied"] {
        let path = format!("/v2/audit/{f}");
        let d = polc_lang::eval::evaluate(&au.ir, &file(&path, Right::Read));
        if !d.allowed {
            continue;
        }
        audited += usize::from(d.audited);
        let logged = run
            .console
            .lines()
            .any(|l| l.contains("apparmor=\"AUDIT\"") && l.contains(&format!("name=\"{path}\"")));
        assert_eq!(
            logged,
            d.audited,
            "{path}: an `apparmor=\"AUDIT\"` record {} expected:\n{}",
            if d.audited { "was" } else { "was not" },
            run.console
        );
    }
    assert_eq!(audited, 1, "one audited allowed read");
    common::conclude(&tally, pairs.len() / 2, CURATED_V2_LIMITS);
}

// ---------------------------------------------------------------------------------------
// Directory-only rules (a path ending with `/`): the directory form alone

/// Random policies with directory-only rules beside v1 ones, one boot: mkdir, rmdir and
/// listing ask about a directory, the other operations about files.
#[test]
fn random_directory_rules_agree_with_the_evaluator() {
    random_batch(
        common::RandomBatch {
            label: "apparmor (directory-only rules)",
            seed: seed(0x00D1_2A0A),
            name: "org.polc.aad",
            letter: 'q',
            limits: DIR_RANDOM_LIMITS,
            net: false,
        },
        common::random_dir_rules,
    );
}

/// How much of the directory run may go unjudged.
const DIR_RANDOM_LIMITS: Limits = Limits {
    inconclusive_percent: 1,
    not_compared_percent: 10,
};

/// Each mapping of a directory-only rule, one boot: a rule for directories allows mkdir,
/// rmdir and listing there and no file operation on the same path; a directory-only deny
/// refuses the directory and leaves the files at its paths to the allow rules.
const CURATED_DIRS: &str = r#"
## org.polc.dir.a /usr/bin/d-a
allow create delete list rename "/d/a/x/", "/d/a/y/", "/d/a/e0/", "/d/a/m0/", "/d/a/l/"

## org.polc.dir.b /usr/bin/d-b
allow manage "/d/b/**"
deny create delete list rename "/d/b/k*/"
"#;

fn curated_dir_ops() -> Vec<(&'static str, Op)> {
    use Right::*;
    let o = Op::new;
    let (a, b) = ("org.polc.dir.a", "org.polc.dir.b");
    let dir = Request::dir;
    vec![
        // mkdir where a directory rule allows it; mknod of a file at a directory path.
        (
            "/usr/bin/d-a",
            o(&["mkdir", "/d/a/x"], a, vec![dir("/d/a/x", Create)]),
        ),
        (
            "/usr/bin/d-a",
            o(&["create", "/d/a/y"], a, vec![file("/d/a/y", Create)]),
        ),
        (
            "/usr/bin/d-a",
            o(&["mkdir", "/d/a/z"], a, vec![dir("/d/a/z", Create)]),
        ),
        // rmdir of an empty directory; unlink of a file at a directory path.
        (
            "/usr/bin/d-a",
            o(&["rmdir", "/d/a/e0"], a, vec![dir("/d/a/e0", Delete)]),
        ),
        (
            "/usr/bin/d-a",
            o(&["rmdir", "/d/a/e1"], a, vec![dir("/d/a/e1", Delete)]),
        ),
        (
            "/usr/bin/d-a",
            o(&["delete", "/d/a/m0"], a, vec![file("/d/a/m0", Delete)]),
        ),
        // listing: the directory rule's path, and another directory.
        (
            "/usr/bin/d-a",
            o(&["list", "/d/a/l"], a, vec![dir("/d/a/l", List)]),
        ),
        (
            "/usr/bin/d-a",
            o(&["list", "/d/a/o"], a, vec![dir("/d/a/o", List)]),
        ),
        // a directory-only deny under a v1 allow: directories refused, files not.
        (
            "/usr/bin/d-b",
            o(&["mkdir", "/d/b/kd"], b, vec![dir("/d/b/kd", Create)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["create", "/d/b/kf"], b, vec![file("/d/b/kf", Create)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["rmdir", "/d/b/ke"], b, vec![dir("/d/b/ke", Delete)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["delete", "/d/b/km"], b, vec![file("/d/b/km", Delete)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["list", "/d/b/kl"], b, vec![dir("/d/b/kl", List)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["read", "/d/b/kr"], b, vec![file("/d/b/kr", Read)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["list", "/d/b/ol"], b, vec![dir("/d/b/ol", List)]),
        ),
        (
            "/usr/bin/d-b",
            o(&["mkdir", "/d/b/od"], b, vec![dir("/d/b/od", Create)]),
        ),
    ]
}

#[test]
fn curated_directory_rules_agree_with_the_evaluator() {
    let (k, probe) = kernel_and_probe();
    let policies = common::curated_policies(CURATED_DIRS, true);
    let attaches: Vec<String> = policies.iter().filter_map(|(_, a)| a.clone()).collect();
    let batch = compile_all(policies.into_iter().map(|(p, _)| p).collect());
    let mut g = batch.guest(&probe);
    for a in &attaches {
        g = g.probe_at(a);
    }
    for d in [
        "/d/a/e0", "/d/a/e1", "/d/a/l", "/d/a/o", "/d/b/ke", "/d/b/kl", "/d/b/ol",
    ] {
        g = g.dir(d);
    }
    for f in ["/d/a/m0", "/d/b/km", "/d/b/kr"] {
        g = g.file(f, 0o644, b"polc\n");
    }
    let inert = DirectoryLetters::new();
    let g = inert.add(g);
    // The kernel's denial records, for the denial mapping below.
    let g = g
        .setup("echo 0 > /proc/sys/kernel/printk_ratelimit")
        .after("dmesg | grep -F 'apparmor=\"DENIED\"' | grep -F org.polc.dir");
    let mut pairs: Vec<Pair> = curated_dir_ops()
        .into_iter()
        .enumerate()
        .map(|(i, (exec, op))| batch.pair(format!("d{i:02}-{}", op.args[0]), exec, &op))
        .collect();
    // Every curated pair is judged: the rules are exact on AppArmor.
    for p in &pairs {
        assert_eq!(p.fidelity, Fidelity::Exact, "{}: {}", p.case.id, p.policy);
    }
    pairs.extend(common::deliberately_wrong(&pairs));
    let run = g
        .cases(pairs.iter().map(|p| p.case.clone()))
        .cases(inert.cases())
        .boot(&k.vmlinuz)
        .unwrap_or_else(|e| panic!("{e}"));
    inert.judge(&run);
    let mut tally = Tally::new("apparmor (curated directory rules)");
    tally.judge_all(&pairs, &run.results);
    common::conclude(&tally, pairs.len() - 1, CURATED_LIMITS);
    // AppArmor names a refused directory with a trailing `/` (mkdir, rmdir, listing; the
    // refusals of no rule are logged, those of `deny` rules are quiet): the denial
    // mapping reads such a record as a request about a directory.
    for (operation, path, right) in [
        ("mkdir", "/d/a/z", Right::Create),
        ("rmdir", "/d/a/e1", Right::Delete),
        ("open", "/d/a/o", Right::List),
    ] {
        let name = format!("name=\"{path}/\"");
        let line = run
            .console
            .lines()
            .find(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains(&name))
            .unwrap_or_else(|| {
                panic!(
                    "no AppArmor record of {operation} {path}/ in the kernel log:\n{}",
                    run.console
                )
            });
        let d = polc_lang::denial::parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let requests: Vec<Request> = d.accesses.iter().filter_map(|a| a.request()).collect();
        assert!(
            requests.contains(&Request::dir(path, right)),
            "{line}: {requests:?}"
        );
    }
}

/// The evidence behind the backend's deny lines that carry lock (`k`), link (`l`) and
/// map-exec (`m`) onto directories (`deny "/x/{,**}" rwlkm,` for the file form's
/// `rwlkm` and the directory form's `rw`, docs/backends/apparmor.md): no allow line of
/// polc's gives a directory these letters, so in an enforced profile a deny of them on a
/// directory changes no operation's outcome there. Hand-written profiles, one per letter
/// and mode plus one without any deny, each with the letters polc's allow lines give at
/// most (`rwlkm` on files, `rw` on directories) over a tree of its own, run the
/// operations on and in a directory: listing it, an exclusive flock on its descriptor,
/// mapping it executable, hard-linking it to a new name, mkdir, rmdir and rename inside,
/// creating a file inside. In complain mode, where what no line allows is let through,
/// the deny of `k` or `m` refuses its operation (a flock, a mapping) on the directory:
/// the operations reach the checks, and complain-mode profiles keep their lines apart.
/// Linking a directory is refused by the kernel (EPERM) before AppArmor is asked, even
/// unconfined: `l` is never checked on a directory.
struct DirectoryLetters {
    /// (variant, letter denied, complain).
    variants: Vec<(String, Option<char>, bool)>,
}

/// The operations on directory `t` of a variant's tree, by name, and the letter whose
/// own operation each is.
const DIRECTORY_OPS: [(&str, Option<char>); 8] = [
    ("list", None),
    ("lock", Some('k')),
    ("map-exec", Some('m')),
    ("link", Some('l')),
    ("mkdir", None),
    ("rmdir", None),
    ("rename", None),
    ("create", None),
];

impl DirectoryLetters {
    fn new() -> Self {
        let mut variants = Vec::new();
        for complain in [false, true] {
            for letter in [None, Some('k'), Some('l'), Some('m')] {
                let name = format!(
                    "{}-{}",
                    letter.map_or("none".to_string(), String::from),
                    if complain { "complain" } else { "enforce" }
                );
                variants.push((name, letter, complain));
            }
        }
        DirectoryLetters { variants }
    }

    /// The probe a variant's cases run as (`unconfined`: no profile).
    fn exe(v: &str) -> String {
        if v == "unconfined" {
            "/bin/polc-probe".into()
        } else {
            format!("/usr/bin/dl-{v}")
        }
    }

    /// The profiles, probes and trees of every variant.
    fn add(&self, mut g: Guest) -> Guest {
        for d in ["d", "e", "r"] {
            g = g.dir(&format!("/dl/unconfined/t/{d}"));
        }
        for (v, letter, complain) in &self.variants {
            let exe = format!("/usr/bin/dl-{v}");
            let flags = if *complain { " flags=(complain)" } else { "" };
            let deny = letter.map_or(String::new(), |l| {
                format!("  deny \"/dl/{v}/t/{{,**[^/]/}}\" {l},\n")
            });
            let profile = format!(
                "abi <abi/3.0>,\nprofile dl-{v} {exe}{flags} {{\n  \"{exe}\" rm,\n  \"/dl/{v}/**[^/]\" rwlkm,\n  \"/dl/{v}/{{,**[^/]/}}\" rw,\n{deny}}}\n"
            );
            g = g.probe_at(&exe).file(
                &format!("/etc/polc/aa/dl-{v}.aa"),
                0o644,
                profile.as_bytes(),
            );
            for d in ["d", "e", "r"] {
                g = g.dir(&format!("/dl/{v}/t/{d}"));
            }
        }
        g
    }

    fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        let names = self.variants.iter().map(|(v, _, _)| v.as_str());
        for v in names.chain(["unconfined"]) {
            let t = format!("/dl/{v}/t");
            for (op, _) in DIRECTORY_OPS {
                let args: Vec<String> = match op {
                    "link" => vec![format!("{t}/d"), format!("{t}/ln")],
                    "mkdir" => vec![format!("{t}/n")],
                    "rmdir" => vec![format!("{t}/e")],
                    "rename" => vec![format!("{t}/r"), format!("{t}/r2")],
                    "create" => vec![format!("{t}/f")],
                    _ => vec![format!("{t}/d")],
                };
                cases.push(Case {
                    id: format!("dl-{v}-{op}"),
                    exec_attr: None,
                    exec_path: Self::exe(v),
                    op: std::iter::once(op.to_string()).chain(args).collect(),
                });
            }
        }
        cases
    }

    fn judge(&self, run: &Run) {
        let get = |v: &str, op: &str| -> i32 {
            match run.results.get(&format!("dl-{v}-{op}")) {
                Some(Outcome::Errno(e)) => *e,
                other => panic!("dl-{v}-{op}: unexpected outcome {other:?}\n{}", run.console),
            }
        };
        for v in self
            .variants
            .iter()
            .map(|(v, _, _)| v.as_str())
            .chain(["unconfined"])
        {
            let outcomes: Vec<String> = DIRECTORY_OPS
                .iter()
                .map(|(op, _)| format!("{op} {}", get(v, op)))
                .collect();
            println!("directory letters: {v:15} {}", outcomes.join(", "));
        }
        for (v, letter, complain) in &self.variants {
            let mode = if *complain { "complain" } else { "enforce" };
            let base = format!("none-{mode}");
            for (op, own) in DIRECTORY_OPS {
                let (with, without) = (get(v, op), get(&base, op));
                // In complain mode a deny still refuses: the letter's own operation shows
                // that it is checked on the directory (`l` never is, below).
                if *complain && own.is_some() && own == *letter && own != Some('l') {
                    assert!(
                        with == 13 && without != 13,
                        "{v} {op}: errno {with}, without the deny {without}: the operation does not reach the check of the letter on the directory"
                    );
                } else {
                    assert_eq!(
                        with, without,
                        "{v} {op}: a deny of {letter:?} on a directory changed the outcome"
                    );
                }
            }
        }
        // Unconfined, a flock on a directory succeeds and mapping one fails (ENODEV); an
        // enforced profile that gives directories only `rw` refuses both (EACCES). The
        // kernel refuses to hard-link a directory (EPERM) before AppArmor is asked, in
        // every variant: `l` is never checked on a directory's name.
        for (v, op, want) in [
            ("unconfined", "lock", 0),
            ("unconfined", "map-exec", 19),
            ("none-enforce", "lock", 13),
            ("none-enforce", "map-exec", 13),
            ("none-enforce", "list", 0),
            ("none-enforce", "mkdir", 0),
            ("none-enforce", "rmdir", 0),
            ("none-enforce", "rename", 0),
            ("none-enforce", "create", 0),
        ] {
            assert_eq!(get(v, op), want, "{v} {op}");
        }
        for v in self
            .variants
            .iter()
            .map(|(v, _, _)| v.as_str())
            .chain(["unconfined"])
        {
            assert_eq!(get(v, "link"), 1, "{v} link of a directory");
        }
    }
}
