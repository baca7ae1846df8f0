//! Test support: build IR policies from one-line rules, run the probe confined.
#![allow(dead_code)]

use polc_landlock::{CommandExt, EnforceOptions, Plan, Status};
use polc_lang::fidelity::Fidelity;
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    CapRule, FileRule, Mode, NetOp, NetRule, Origin, Policy, PolicyName, PortRange, Proto,
    RightsOrigin, SignalDir, SignalRule,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::collections::BTreeSet;
use std::process::Command;

// The language's one builder of IR values for tests.
#[path = "../../../../policy-lang/tests/ir_support/mod.rs"]
mod ir_support;

fn origin(line: usize) -> Origin {
    Origin {
        file: "test.pol".into(),
        line,
        column: 5,
        span: Span::new(0, 0),
        via: Vec::new(),
        accepts: Vec::new(),
    }
}

/// Split a rule line into words, keeping `"..."` strings (without quotes) whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').expect("closing quote");
            out.push(format!("\"{}", &r[..end]));
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].trim_end_matches(',').to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// A policy named `name` from rule lines in the language's rule syntax (one rule per
/// line, one path per file rule), e.g. `allow read write "/x/**"`,
/// `deny net bind tcp 8000-8080`, `allow capability chown`,
/// `allow signal send term to self`, `mode complain`.
pub fn policy(name: &str, lines: &[&str]) -> Policy {
    let pname = PolicyName::new(name).expect("name");
    let mut p = ir_support::policy(name);
    for (n, line) in lines.iter().enumerate() {
        let w = words(line);
        let o = origin(n + 1);
        if w[0] == "mode" {
            p.mode = if w[1] == "complain" {
                Mode::Complain
            } else {
                Mode::Enforce
            };
            continue;
        }
        let effect = if w[0] == "allow" {
            Effect::Allow
        } else {
            Effect::Deny
        };
        match w[1].as_str() {
            "net" => {
                let op = if w[2] == "connect" {
                    NetOp::Connect
                } else {
                    NetOp::Bind
                };
                let proto = if w[3] == "tcp" {
                    Proto::Tcp
                } else {
                    Proto::Udp
                };
                let ports = match w.get(4) {
                    None => PortRange::ALL,
                    Some(s) => {
                        let (lo, hi) = s.split_once('-').unwrap_or((s, s));
                        PortRange {
                            lo: lo.parse().unwrap(),
                            hi: hi.parse().unwrap(),
                        }
                    }
                };
                p.net.push(NetRule {
                    audit: false,
                    effect,
                    op,
                    proto,
                    family: None,
                    ports,
                    origins: vec![o],
                });
            }
            "capability" => {
                for c in &w[2..] {
                    p.capabilities.push(CapRule {
                        audit: false,
                        effect,
                        capability: c.clone(),
                        origins: vec![o.clone()],
                    });
                }
            }
            "signal" => {
                let direction = if w[2] == "send" {
                    SignalDir::Send
                } else {
                    SignalDir::Receive
                };
                let k = w
                    .iter()
                    .position(|x| x == "to" || x == "from")
                    .expect("to/from");
                let signals: BTreeSet<String> = w[3..k].iter().cloned().collect();
                let peer = if w[k + 1] == "self" {
                    pname.clone()
                } else {
                    PolicyName::new(&w[k + 1]).unwrap()
                };
                p.signals.push(SignalRule {
                    audit: false,
                    effect,
                    direction,
                    peer: polc_lang::ir::Peer::Policy(peer),
                    signals,
                    origins: vec![o],
                });
            }
            _ => {
                let q = w.iter().position(|x| x.starts_with('"')).expect("a path");
                let rights = w[1..q].iter().fold(Rights::EMPTY, |acc, k| {
                    acc.union(Rights::from_keyword(k).unwrap_or_else(|| panic!("right {k}")))
                });
                let (glob, dir_only) = Glob::parse_path(&w[q][1..]).expect("glob");
                let exec_as = match w.get(q + 1).map(String::as_str) {
                    Some("as") => Some(PolicyName::new(&w[q + 2]).unwrap()),
                    _ => None,
                };
                p.files.push(FileRule {
                    audit: false,
                    owner: false,
                    dir_only,
                    effect,
                    glob,
                    rights,
                    exec_as,
                    origins: vec![RightsOrigin { rights, origin: o }],
                    exec_mode: Default::default(),
                });
            }
        }
    }
    p
}

/// The probe binary.
pub fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_polc-landlock-probe")
}

/// Rules that let the probe itself start (its binary and the system's libraries).
pub fn probe_base() -> Vec<String> {
    vec![
        format!("allow read exec map-exec \"{}\"", probe()),
        "allow read exec map-exec \"/usr/**\"".to_string(),
        "allow read \"/etc/ld.so.cache\"".to_string(),
    ]
}

/// Run the probe confined by `plan`, performing `ops`; the errno of each.
pub fn run_probe(plan: &Plan, opts: &EnforceOptions, ops: &[String]) -> (Status, Vec<i32>) {
    let mut cmd = Command::new(probe());
    cmd.args(ops);
    let status = cmd.confine_with(plan, opts).expect("confine");
    let out = cmd.output().expect("spawn the confined probe");
    assert!(
        out.status.success(),
        "the probe failed: {}\nops: {ops:?}\nplan: {}",
        String::from_utf8_lossy(&out.stderr),
        plan.to_json()
    );
    let errs: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().expect("errno"))
        .collect();
    assert_eq!(errs.len(), ops.len(), "one answer per operation");
    (status, errs)
}

/// Whether the kernel's answer contradicts the evaluator's for a pair of this fidelity:
/// `exact` must agree; `narrowed` may refuse more, never allow more; `widened` may allow
/// more, never refuse more. `None`: not compared (`unsupported`).
pub fn contradicts(fid: Fidelity, kernel: bool, oracle: bool) -> Option<bool> {
    match fid {
        Fidelity::Exact => Some(kernel != oracle),
        Fidelity::Narrowed => Some(kernel && !oracle),
        Fidelity::Widened => Some(!kernel && oracle),
        Fidelity::Unsupported => None,
    }
}

/// The probe's answer as a decision: Some(true) allowed, Some(false) refused by the
/// kernel, None when the operation failed for another reason.
pub fn verdict(op: &str, errno: i32) -> Option<bool> {
    match errno {
        0 => Some(true),
        libc::EACCES | libc::EPERM | libc::EXDEV => Some(false),
        // exec of a script whose interpreter is missing: the script itself was allowed.
        libc::ENOENT if op.starts_with("exec:") => Some(true),
        // bind to a port in use / connect to a closed port: the kernel let it through.
        libc::EADDRINUSE | libc::ECONNREFUSED => Some(true),
        _ => None,
    }
}
