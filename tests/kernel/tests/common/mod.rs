//! Shared by the conformance tests: setting up the kernel and the probe (failing loudly),
//! a seeded generator of random policies and operations over a small file tree per
//! policy, and the requests each operation makes of the evaluator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use polc_kernel_harness::differential::Pair;
use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::kernel::{self, Kernel};
use polc_kernel_harness::policy::TestPolicy;
use polc_kernel_harness::probe::{build_static, Case};
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::{PtraceAccess, PtraceDir};
use polc_lang::rights::Right;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The kernel and the static probe, or a failure that says why.
pub fn kernel_and_probe() -> (Kernel, PathBuf) {
    let k = kernel::fetch().unwrap_or_else(|e| {
        panic!("cannot set up the test kernel: {e}\n(the tests need apt access to Debian's `linux-image-cloud-amd64`; run `apt-get update`)")
    });
    let probe = build_static().unwrap_or_else(|e| {
        panic!("cannot build the static probe: {e}\n(it needs the glibc static libraries: `apt-get install libc6-dev`)")
    });
    (k, probe)
}

/// The seed of the random policies: `POLC_KERNEL_SEED`, else a fixed one.
pub fn seed(default: u64) -> u64 {
    std::env::var("POLC_KERNEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// xorshift64: small, seeded, reproducible.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Directories of each policy's tree (relative; `""` is the root). `e0`, `e1` stay empty.
pub const DIRS: &[&str] = &["", "d0", "d0/s0", "d1", "d0/e0", "d1/e1"];
/// Regular files read and written, never removed.
pub const FILES: &[&str] = &["f0", "d0/f0", "d0/f1", "d0/s0/f0", "d1/f0", "d1/f1"];
/// Files removed or renamed by the mutations (each used once).
pub const MUTABLE: &[&str] = &["d0/m0", "d0/m1", "d1/m2", "d1/m3", "d0/s0/m4", "m5"];
/// Executables: scripts whose interpreter is missing (`execve` gives ENOENT once the
/// LSM allowed the script).
pub const EXECS: &[&str] = &["d0/x", "d1/x"];
/// Empty directories removed by the mutations.
pub const EMPTY: &[&str] = &["d0/e0", "d1/e1"];

/// Globs of the random rules, `R` standing for the tree's root.
pub const GLOBS: &[&str] = &[
    "R/**",
    "R/d0/**",
    "R/d1/**",
    "R/d0/*",
    "R/d0/f*",
    "R/*/f0",
    "R/d0/s0/**",
    "R/d{0,1}/**",
    "R/d0{,/**}",
    "R/{d0,d1}/x",
    "R/**/f0",
    "R/d1/*",
    "R/f0",
    "R/d0/f1",
    "R/d1/m*",
    "R",
    "R/d0",
    "R/*/m?",
    "R/d0/s0/f0",
    "R/d1/{f1,e1,x}",
];

pub fn at(root: &str, rel: &str) -> String {
    if rel.is_empty() {
        root.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

/// Put a policy's tree under `root` into the guest.
pub fn add_tree(mut g: Guest, root: &str) -> Guest {
    for d in DIRS {
        g = g.dir(&at(root, d));
    }
    for f in FILES.iter().chain(MUTABLE) {
        g = g.file(&at(root, f), 0o644, b"polc\n");
    }
    for x in EXECS {
        g = g.file(&at(root, x), 0o755, b"#!/nonexistent/polc-interpreter\n");
    }
    g
}

/// Every path of a policy's tree, with `true` for directories.
pub fn tree_paths(root: &str) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = DIRS.iter().map(|d| (at(root, d), true)).collect();
    v.extend(
        FILES
            .iter()
            .chain(MUTABLE)
            .chain(EXECS)
            .map(|f| (at(root, f), false)),
    );
    v
}

/// The same tree on the host, under `host_root` (for planning against the guest's
/// filesystem).
pub fn mirror_tree(host_root: &Path, root: &str) {
    for (p, dir) in tree_paths(root) {
        let hp = host_root.join(p.trim_start_matches('/'));
        if dir {
            std::fs::create_dir_all(&hp).unwrap();
        } else {
            std::fs::create_dir_all(hp.parent().unwrap()).unwrap();
            std::fs::write(&hp, "polc\n").unwrap();
        }
    }
}

/// Random file rules over the tree at `root`, their globs from [`GLOBS`].
pub fn random_rules(rng: &mut Rng, root: &str) -> Vec<String> {
    random_rules_over(rng, root, GLOBS)
}

/// Random file rules over the tree at `root`, their globs from `globs`.
pub fn random_rules_over(rng: &mut Rng, root: &str, globs: &[&str]) -> Vec<String> {
    let n = 1 + rng.below(5);
    (0..n)
        .map(|_| {
            let effect = if rng.chance(25) { "deny" } else { "allow" };
            let mut rights: Vec<&str> = Right::ALL
                .iter()
                .filter(|_| rng.chance(30))
                .map(|r| r.name())
                .collect();
            if rights.is_empty() {
                rights.push(Right::ALL[rng.below(Right::ALL.len())].name());
            }
            let glob = rng.pick(globs).replacen('R', root, 1);
            format!("{effect} {} \"{glob}\"", rights.join(" "))
        })
        .collect()
}

/// One operation of the probe, with the requests it makes of each policy.
#[derive(Clone, Debug)]
pub struct Op {
    pub args: Vec<String>,
    pub requests: Vec<(String, Request)>,
}

impl Op {
    pub fn new(args: &[&str], policy: &str, requests: Vec<Request>) -> Op {
        Op {
            args: args.iter().map(|s| s.to_string()).collect(),
            requests: requests
                .into_iter()
                .map(|r| (policy.to_string(), r))
                .collect(),
        }
    }
}

/// `ptrace-read` or `ptrace-trace` by a process of `tracer` of the process whose pid is in
/// `pidfile`, of `target`: the tracer's `to` request and the target's `from` request
/// (`unconfined` has no policy and makes none).
pub fn ptrace_op(access: PtraceAccess, pidfile: &str, tracer: &str, target: &str) -> Op {
    let op = match access {
        PtraceAccess::Read => "ptrace-read",
        PtraceAccess::Trace => "ptrace-trace",
    };
    let mut requests = Vec::new();
    if tracer != "unconfined" {
        requests.push((
            tracer.to_string(),
            Request::ptrace(PtraceDir::To, access, target),
        ));
    }
    if target != "unconfined" {
        requests.push((
            target.to_string(),
            Request::ptrace(PtraceDir::From, access, tracer),
        ));
    }
    Op {
        args: vec![op.to_string(), format!("@{pidfile}")],
        requests,
    }
}

/// Random operations over the tree at `root`, on behalf of `policy`; mutations last,
/// each on its own path.
pub fn random_ops(rng: &mut Rng, policy: &str, root: &str) -> Vec<Op> {
    let f = |p: &str, r: Right| Request::file(p, r);
    let mut ops = Vec::new();
    for _ in 0..6 {
        let p = at(root, rng.pick(FILES));
        let (op, r) = match rng.below(4) {
            0 => ("read", Right::Read),
            1 => ("write", Right::Write),
            2 => ("append", Right::Append),
            _ => ("truncate", Right::Write),
        };
        ops.push(Op::new(&[op, &p], policy, vec![f(&p, r)]));
    }
    // Operations on directories ask about a directory (directory-only rules apply).
    let d = |p: &str, r: Right| Request::dir(p, r);
    for _ in 0..2 {
        let p = at(root, rng.pick(&DIRS[..4]));
        ops.push(Op::new(&["list", &p], policy, vec![d(&p, Right::List)]));
    }
    let x = at(root, rng.pick(EXECS));
    ops.push(Op::new(&["exec", &x], policy, vec![f(&x, Right::Exec)]));
    let p = at(root, rng.pick(FILES));
    if rng.chance(50) {
        ops.push(Op::new(
            &["map-exec", &p],
            policy,
            vec![f(&p, Right::Read), f(&p, Right::MapExec)],
        ));
    } else {
        ops.push(Op::new(
            &["lock", &p],
            policy,
            vec![f(&p, Right::Read), f(&p, Right::Lock)],
        ));
    }
    for k in 0..2 {
        let p = at(root, &format!("{}n{k}", dir_prefix(rng.pick(&DIRS[..4]))));
        let (op, req) = if k == 0 {
            ("create", f(&p, Right::Create))
        } else {
            ("mkdir", d(&p, Right::Create))
        };
        ops.push(Op::new(&[op, &p], policy, vec![req]));
    }
    let a = at(root, rng.pick(FILES));
    let b = at(root, &format!("{}l0", dir_prefix(rng.pick(&DIRS[..4]))));
    ops.push(Op::new(&["link", &a, &b], policy, vec![f(&b, Right::Link)]));
    let mut pool: Vec<&str> = MUTABLE.to_vec();
    let i = rng.below(pool.len());
    let m = at(root, pool.swap_remove(i));
    ops.push(Op::new(&["delete", &m], policy, vec![f(&m, Right::Delete)]));
    let e = at(root, rng.pick(EMPTY));
    ops.push(Op::new(&["rmdir", &e], policy, vec![d(&e, Right::Delete)]));
    let i = rng.below(pool.len());
    let m = at(root, pool.swap_remove(i));
    let r = at(root, &format!("{}r0", dir_prefix(rng.pick(&DIRS[..4]))));
    ops.push(Op::new(
        &["rename", &m, &r],
        policy,
        vec![f(&m, Right::Rename), f(&r, Right::Rename)],
    ));
    ops
}

/// `d/` for a directory `d` of the tree, `` for its root.
fn dir_prefix(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!("{d}/")
    }
}

/// The requests in one line.
pub fn show_requests(reqs: &[(String, Request)]) -> String {
    reqs.iter()
        .map(|(p, r)| format!("{p}: {}", r.describe()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Build a pair: the evaluator's answer over every request (each under its policy),
/// the fidelity from `fidelity_of`, and the policies' text.
pub fn pair(
    id: String,
    exec_attr: Option<String>,
    exec_path: &str,
    op: &Op,
    policies: &BTreeMap<String, TestPolicy>,
    fidelity_of: &dyn Fn(&TestPolicy, &Request) -> Fidelity,
) -> Pair {
    let mut expected = true;
    let mut fidelities = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for (name, r) in &op.requests {
        let p = policies
            .get(name)
            .unwrap_or_else(|| panic!("no policy {name}"));
        expected &= evaluate(&p.ir, r).allowed;
        fidelities.push(fidelity_of(p, r));
        let src = p.source();
        if !texts.contains(&src) {
            texts.push(src);
        }
    }
    let fidelity = polc_kernel_harness::differential::combine(fidelities);
    Pair {
        case: Case {
            id,
            exec_attr,
            exec_path: exec_path.to_string(),
            op: op.args.clone(),
        },
        policy: texts.join("\n"),
        expected,
        fidelity,
        requests: show_requests(&op.requests),
        deliberately_wrong: false,
        known_gap: None,
    }
}

/// True for an operation that changes nothing (`read`, `list`, `ptrace-read`, possibly
/// under `landlock`).
fn is_read_only(op: &[String]) -> bool {
    let first = match op.first().map(String::as_str) {
        Some("landlock") => op.get(2),
        _ => op.first(),
    };
    matches!(
        first.map(String::as_str),
        Some("read" | "list" | "ptrace-read")
    )
}

/// A copy of an exact pair that the evaluator refuses and whose operation changes nothing
/// (read, list, ptrace read), with the expectation flipped to "allowed": the harness must report it as
/// a mismatch, which it does only when the kernel refuses it (a kernel that enforced
/// nothing would pass a flipped allowed pair). None when there is no such pair: the verdict
/// then fails, saying no self-check ran.
pub fn deliberately_wrong(pairs: &[Pair]) -> Option<Pair> {
    flipped(pairs, is_read_only)
}

/// A second deliberately wrong expectation for the network rules: the first exact pair
/// that creates a socket the evaluator refuses (a socket made and closed changes nothing),
/// flipped as [`deliberately_wrong`] does. None without such a pair (the runs that have
/// network rules check that there is one, with [`check_net_pairs`]).
pub fn deliberately_wrong_net(pairs: &[Pair]) -> Option<Pair> {
    flipped(pairs, |op| op.first().is_some_and(|o| o == "socket"))
}

/// The first exact pair refused by the evaluator, not already a self-check nor a known gap,
/// whose operation `op_fits`, copied with its expectation flipped to "allowed".
fn flipped(pairs: &[Pair], op_fits: impl Fn(&[String]) -> bool) -> Option<Pair> {
    let p = pairs.iter().find(|p| {
        p.fidelity == Fidelity::Exact
            && !p.expected
            && !p.deliberately_wrong
            && p.known_gap.is_none()
            && op_fits(&p.case.op)
    })?;
    let mut w = p.clone();
    w.case.id = format!("{}-deliberately-wrong", p.case.id);
    w.expected = true;
    w.deliberately_wrong = true;
    Some(w)
}

/// Print the summary and fail with every problem.
pub fn conclude(
    tally: &polc_kernel_harness::differential::Tally,
    min_compared: usize,
    limits: polc_kernel_harness::differential::Limits,
) {
    // Written to stderr directly, past the test harness's capture: the counts are part of
    // every run's output, passing or not.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", tally.summary());
    for g in &tally.known_gaps {
        println!("{g}");
    }
    for i in &tally.inconclusive {
        println!("  inconclusive: {i}");
    }
    if let Err(report) = tally.verdict(min_compared, limits) {
        panic!("{report}");
    }
}

/// Curated policies: `## NAME [ATTACH]` headers, statements below. With `map_self`, an
/// attached policy may also read and map its own executable (AppArmor checks it).
pub fn curated_policies(text: &str, map_self: bool) -> Vec<(TestPolicy, Option<String>)> {
    let mut out = Vec::new();
    for block in text.split("## ").filter(|b| !b.trim().is_empty()) {
        let (head, body) = block.split_once('\n').unwrap();
        let mut h = head.split_whitespace();
        let name = h.next().unwrap();
        let attach = h.next().map(str::to_string);
        let mut text = String::new();
        if let Some(a) = &attach {
            text.push_str(&format!("attach \"{a}\"\n"));
            if map_self {
                text.push_str(&format!("allow read map-exec \"{a}\"\n"));
            }
        }
        text.push_str(body);
        let p = polc_kernel_harness::policy::build(name, &text).unwrap_or_else(|e| panic!("{e}"));
        out.push((p, attach));
    }
    out
}

/// Whether a report entry about a network, capability, signal, unix or ptrace rule
/// (`subject`) can decide `req`: same protocol, same capability, same direction and a peer
/// that covers the request's (`any` covers every peer), same socket type. False for every
/// other subject.
pub fn decides_other(
    ir: &polc_lang::ir::Policy,
    subject: polc_lang::fidelity::Subject,
    req: &Request,
) -> bool {
    use polc_lang::fidelity::{RuleListKind, Subject};
    let Subject::Rule { list, index } = subject else {
        return false;
    };
    match (list, req) {
        // Either IP version's rules: SELinux and Landlock do not tell them apart.
        (RuleListKind::Net, Request::Net { proto, .. }) => {
            ir.net.get(index).is_some_and(|r| r.proto == *proto)
        }
        (RuleListKind::Capability, Request::Capability { name }) => ir
            .capabilities
            .get(index)
            .is_some_and(|r| &r.capability == name),
        (
            RuleListKind::Signal,
            Request::Signal {
                direction, peer, ..
            },
        ) => ir
            .signals
            .get(index)
            .is_some_and(|r| r.direction == *direction && r.peer.covers(peer)),
        (RuleListKind::NetFamily, Request::NetFamily { family, .. }) => ir
            .net_families
            .get(index)
            .is_some_and(|r| r.family == *family),
        // Every unix rule: rules of other addresses, peers and types are compiled to
        // lines that can overlap (a path rule to an address-less `unix` line, a stream
        // rule to SELinux's class of stream and seqpacket sockets).
        (RuleListKind::Unix, Request::Unix { .. }) => index < ir.unix.len(),
        (
            RuleListKind::Ptrace,
            Request::Ptrace {
                direction, peer, ..
            },
        ) => ir
            .ptrace
            .get(index)
            .is_some_and(|r| r.direction == *direction && r.peer.covers(peer)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Directory-only rules (a path ending with `/`)

/// Globs of random directory-only rules, `R` standing for the tree's root: the tree's
/// directories, the empty ones [`random_ops`] removes, and the `n1` it makes.
pub const DIR_GLOBS: &[&str] = &[
    "R/*/",
    "R/d0/*/",
    "R/**/",
    "R/d{0,1}/",
    "R/d0/e0/",
    "R/d1/e1/",
    "R/*/n1/",
    "R/n1/",
    "R/d0/s0/",
    "R/{d0,d1}/{e0,e1,n1}/",
];

/// Random rules over the tree at `root`: the v1 rules of [`random_rules`] and one to
/// three directory-only rules (rights among those that apply to a directory).
pub fn random_dir_rules(rng: &mut Rng, root: &str) -> Vec<String> {
    random_dir_rules_over(rng, root, GLOBS, DIR_GLOBS)
}

/// [`random_dir_rules`] with the v1 rules' globs from `globs` and the directory-only
/// rules' from `dir_globs`.
pub fn random_dir_rules_over(
    rng: &mut Rng,
    root: &str,
    globs: &[&str],
    dir_globs: &[&str],
) -> Vec<String> {
    let mut rules = random_rules_over(rng, root, globs);
    rules.truncate(2);
    for _ in 0..1 + rng.below(3) {
        let effect = if rng.chance(25) { "deny" } else { "allow" };
        let mut rights: Vec<&str> = ["create", "delete", "list", "rename"]
            .into_iter()
            .filter(|_| rng.chance(50))
            .collect();
        if rights.is_empty() {
            rights.push(["create", "delete", "list"][rng.below(3)]);
        }
        let glob = rng.pick(dir_globs).replacen('R', root, 1);
        rules.push(format!("{effect} {} \"{glob}\"", rights.join(" ")));
    }
    rules
}

/// One boot of random policies: their names, trees, seed and limits (each LSM's
/// `random_batch` takes it).
pub struct RandomBatch {
    pub label: &'static str,
    pub seed: u64,
    /// Policy `i` is `{name}{i}`, its tree `/t/{letter}{i}` (its executable, where it has
    /// one, `/usr/bin/{letter}{i}`).
    pub name: &'static str,
    pub letter: char,
    pub limits: polc_kernel_harness::differential::Limits,
    /// Network rules and operations beside the file ones ([`random_net_rules`],
    /// [`random_net_ops`]), drawn from a generator of their own (the file rules stay those
    /// of the seed).
    pub net: bool,
}

impl RandomBatch {
    /// The generator of the network rules and operations, when the batch has them.
    pub fn net_rng(&self) -> Option<Rng> {
        self.net.then(|| Rng::new(self.seed ^ 0x6E65_7476_3200))
    }
}

/// `exists` (signal 0, `kill(pid, 0)`): AppArmor's `set=(exists)`, SELinux's
/// `signull`; `cont` does not imply it, nor it `cont`. Both ends are checked, against a
/// process of `ex-b` (`/run/ex-b.pid`, spawned by each suite).
pub const CURATED_EXISTS: &str = r#"
## org.polc.cur.ex-a /usr/bin/c-ex-a
allow read "/run/ex-b.pid"
allow signal send exists to org.polc.cur.ex-b

## org.polc.cur.ex-c /usr/bin/c-ex-c
allow read "/run/ex-b.pid"
allow signal send cont to org.polc.cur.ex-b

## org.polc.cur.ex-b /usr/bin/c-ex-b
allow signal receive exists from org.polc.cur.ex-a
allow signal receive cont from org.polc.cur.ex-c
"#;

/// The cases of [`CURATED_EXISTS`], against a process of `ex-b` whose pid the senders
/// read from `/run/ex-b.pid` (were it unreadable, `kill` would signal the process group).
pub fn exists_ops() -> Vec<(&'static str, Op)> {
    let b = "org.polc.cur.ex-b";
    let kill = |exec: &'static str, from: &str, number: &str, signal: &str| {
        let args = ["kill", number, "@/run/ex-b.pid"];
        (
            exec,
            Op {
                args: args.iter().map(|s| s.to_string()).collect(),
                requests: vec![
                    (
                        from.to_string(),
                        Request::signal(polc_lang::ir::SignalDir::Send, b, signal),
                    ),
                    (
                        b.to_string(),
                        Request::signal(polc_lang::ir::SignalDir::Receive, from, signal),
                    ),
                ],
            },
        )
    };
    vec![
        kill("/usr/bin/c-ex-a", "org.polc.cur.ex-a", "0", "exists"),
        kill("/usr/bin/c-ex-a", "org.polc.cur.ex-a", "18", "cont"),
        kill("/usr/bin/c-ex-c", "org.polc.cur.ex-c", "0", "exists"),
        kill("/usr/bin/c-ex-c", "org.polc.cur.ex-c", "18", "cont"),
    ]
}

// ---------------------------------------------------------------------------------------
// Network rules of language v2: one IP version, typed netlink and packet sockets, raw IP
// by version

/// The port random policy `i` connects to and the one it binds: each policy its own, since
/// SELinux gives a bound port its policy's own type (`portcon`), which relabels that port
/// for every other domain too (another policy's `allow net bind tcp` or `connect tcp` to
/// it, granted on the base's port types, is then refused by the kernel).
pub fn net_ports(i: usize) -> (u16, u16) {
    (2000 + i as u16, 40000 + i as u16)
}

/// Random network rules of random policy `i` (one to four): `tcp`/`udp` for both IP
/// versions or one (`tcp4`, `tcp6`, ...), some with a port (its own ports of
/// [`net_ports`], or `443`; a range for connect only); netlink `route` or every protocol,
/// packet and raw IP sockets, of one type or IP version or all; a deny one in four. Three
/// policies in four also allow the `net_raw` capability raw and packet sockets need.
pub fn random_net_rules(rng: &mut Rng, i: usize) -> Vec<String> {
    let (connect_port, bind_port) = net_ports(i);
    let mut rules: Vec<String> = (0..1 + rng.below(4))
        .map(|_| {
            let effect = if rng.chance(25) { "deny" } else { "allow" };
            let what = match rng.below(5) {
                0 | 1 => {
                    let op = rng.pick(&["connect", "bind"]);
                    let proto = rng.pick(&["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"]);
                    let port = match (rng.chance(30), op) {
                        (false, _) => String::new(),
                        (true, "connect") => format!(
                            " {}",
                            [connect_port.to_string(), "443".into(), "1-39999".into()]
                                [rng.below(3)]
                        ),
                        (true, _) => format!(" {bind_port}"),
                    };
                    format!("net {op} {proto}{port}")
                }
                2 => format!(
                    "net netlink{}{}",
                    rng.pick(&["", " route"]),
                    rng.pick(&["", " raw", " dgram"])
                ),
                3 => format!("net packet{}", rng.pick(&["", " raw", " dgram"])),
                _ => format!(
                    "net {}",
                    rng.pick(&["raw", "raw4", "raw6", "raw icmp", "raw6 icmpv6"])
                ),
            };
            format!("{effect} {what}")
        })
        .collect();
    if rng.chance(75) {
        rules.push("allow capability net_raw".into());
    }
    rules
}

/// Random network operations of random policy `i`, `policy` (four): two connects or binds
/// over IPv4 or IPv6 on the loopback address (to and on its ports of [`net_ports`]), two
/// netlink `route`, packet or raw IP sockets of one type or IP version (with the `net_raw`
/// capability the kernel checks for the last two).
pub fn random_net_ops(rng: &mut Rng, policy: &str, i: usize) -> Vec<Op> {
    let (connect_port, bind_port) = net_ports(i);
    use polc_lang::ir::FamilySockType::{Dgram, Raw};
    use polc_lang::ir::IpFamily::{Inet, Inet6};
    use polc_lang::ir::{NetFamily, NetOp, Proto};
    let mut ops = Vec::new();
    for _ in 0..2 {
        let (op, port, net_op) = if rng.chance(50) {
            ("connect", connect_port, NetOp::Connect)
        } else {
            ("bind", bind_port, NetOp::Bind)
        };
        let (proto, p, family) = match rng.below(4) {
            0 => ("tcp", Proto::Tcp, Inet),
            1 => ("tcp6", Proto::Tcp, Inet6),
            2 => ("udp", Proto::Udp, Inet),
            _ => ("udp6", Proto::Udp, Inet6),
        };
        let port_text = port.to_string();
        ops.push(Op::new(
            &[op, proto, &port_text],
            policy,
            vec![Request::net_on(net_op, p, family, port)],
        ));
    }
    let family = |family, ip, protocol: Option<&str>, sock_type| Request::NetFamily {
        family,
        ip,
        protocol: protocol.map(str::to_string),
        sock_type,
    };
    let net_raw = || Request::capability("net_raw");
    for _ in 0..2 {
        let (args, reqs): (&[&str], Vec<Request>) = match rng.below(6) {
            0 => (
                &["socket", "netlink", "dgram", "0"],
                vec![family(NetFamily::Netlink, None, Some("route"), Some(Dgram))],
            ),
            1 => (
                &["socket", "netlink", "raw", "0"],
                vec![family(NetFamily::Netlink, None, Some("route"), Some(Raw))],
            ),
            2 => (
                &["socket", "packet", "dgram", "0"],
                vec![
                    family(NetFamily::Packet, None, None, Some(Dgram)),
                    net_raw(),
                ],
            ),
            3 => (
                &["socket", "packet", "raw", "0"],
                vec![family(NetFamily::Packet, None, None, Some(Raw)), net_raw()],
            ),
            4 => (
                &["socket", "inet", "raw", "1"],
                vec![
                    family(NetFamily::Raw, Some(Inet), Some("icmp"), None),
                    net_raw(),
                ],
            ),
            _ => (
                &["socket", "inet6", "raw", "58"],
                vec![
                    family(NetFamily::Raw, Some(Inet6), Some("icmpv6"), None),
                    net_raw(),
                ],
            ),
        };
        ops.push(Op::new(args, policy, reqs));
    }
    ops
}

/// The network pairs of a random run (connect, bind, socket), per fidelity and expected
/// answer, printed; fails when fewer than `min.0` of them are `exact` or fewer than `min.1`
/// are expected allowed, or when none is deliberately wrong ([`deliberately_wrong_net`]):
/// the network rules must be tested, not only generated.
pub fn check_net_pairs(label: &str, pairs: &[Pair], min: (usize, usize)) {
    let mut by_fidelity: BTreeMap<String, usize> = BTreeMap::new();
    let mut allowed = 0;
    for p in pairs.iter().filter(|p| {
        !p.deliberately_wrong
            && matches!(
                p.case.op.first().map(String::as_str),
                Some("connect" | "bind" | "socket")
            )
    }) {
        *by_fidelity
            .entry(p.fidelity.name().to_string())
            .or_default() += 1;
        allowed += usize::from(p.expected);
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{label}: network pairs by fidelity: {by_fidelity:?}, {allowed} expected allowed"
    );
    assert!(
        pairs
            .iter()
            .any(|p| p.deliberately_wrong && p.case.op.first().is_some_and(|o| o == "socket")),
        "{label}: no deliberately wrong expectation among the network pairs"
    );
    let exact = by_fidelity.get("exact").copied().unwrap_or(0);
    assert!(
        exact >= min.0 && allowed >= min.1,
        "{label}: {exact} network pairs are exact, {allowed} expected allowed ({min:?} wanted): {by_fidelity:?}"
    );
}
