//! The semantic diff on large policies: two 10,000-rule policies that differ in a few
//! rules, and how the time grows from 1,000 to 20,000 rules, with a number of changed
//! rules that grows with the policies and with a fixed one. Numbers are recorded in
//! docs/performance.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polc_lang::diff::diff;
use polc_lang::ir::{Effect, NetOp, Policy, Proto};
use std::hint::black_box;

// The language's one builder of IR values for tests and benches.
#[path = "../policy-lang/tests/ir_support/mod.rs"]
mod ir_support;
use ir_support::{at as origin, cap_rule, file_rule, net_rule, rights};

const CAPS: [&str; 6] = [
    "chown",
    "setuid",
    "setgid",
    "net_bind_service",
    "sys_nice",
    "kill",
];

/// Which rules of [`policy`] an upgrade changes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    /// None: the OLD policy.
    None,
    /// About one in a thousand (one in 997), so more of them in larger policies.
    PerThousand,
    /// Eleven, of every kind, among the first thousand, whatever the size.
    Eleven,
}

/// A policy of `n` rules shaped like real ones: data directories, configuration files,
/// libraries, logs, executables with transitions, denies inside allowed trees, ports and
/// capabilities. An upgrade changes some rules the way a new version of a package does.
fn policy(n: usize, upgrade: Upgrade) -> Policy {
    let f = if upgrade == Upgrade::None {
        "old.pol"
    } else {
        "new.pol"
    };
    let mut p = Policy {
        version: Some(1),
        ..ir_support::policy("org.example.big")
    };
    let changed = |i: usize| match upgrade {
        Upgrade::None => false,
        Upgrade::PerThousand => i % 997 == 5,
        Upgrade::Eleven => i < 1000 && i % 97 == 5,
    };
    for i in 0..n {
        let o = origin(f, i + 1);
        let svc = if changed(i) {
            format!("svc{i}x")
        } else {
            format!("svc{i}")
        };
        match i % 10 {
            0 | 1 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/srv/{svc}/data/**"),
                rights(&["read", "write", "create"]),
                None,
                o,
            )),
            2 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/etc/{svc}/*.conf"),
                rights(&["read"]),
                None,
                o,
            )),
            3 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/usr/lib/{svc}/lib*.so{{,.*}}"),
                rights(&["read", "map-exec"]),
                None,
                o,
            )),
            4 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/var/log/{svc}/{{access,error}}.log"),
                rights(&["append", "create"]),
                None,
                o,
            )),
            5 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/usr/bin/{svc}"),
                rights(&["read", "exec"]),
                None,
                o,
            )),
            6 => p.files.push(file_rule(
                Effect::Deny,
                &format!("/srv/svc{}/data/secret/**", i - 6),
                rights(&["read", "write"]),
                None,
                o,
            )),
            7 => p.files.push(file_rule(
                Effect::Allow,
                &format!("/usr/libexec/{svc}/helper"),
                rights(&["exec"]),
                Some(&format!("org.example.h{}", i % 7)),
                o,
            )),
            8 => {
                let port = u16::try_from(1024 + i % 60000).unwrap();
                let hi = if changed(i) { port + 5 } else { port };
                let op = if i % 20 == 8 {
                    NetOp::Connect
                } else {
                    NetOp::Bind
                };
                p.net
                    .push(net_rule(Effect::Allow, op, Proto::Tcp, port, hi, o));
            }
            _ => {
                if i < 100 {
                    p.capabilities
                        .push(cap_rule(Effect::Allow, CAPS[i / 10 % CAPS.len()], o));
                } else {
                    p.files.push(file_rule(
                        Effect::Allow,
                        &format!("/run/{svc}/*.sock"),
                        rights(&["read", "write"]),
                        None,
                        o,
                    ));
                }
            }
        }
    }
    p.files.sort_by(|a, b| {
        (a.effect == Effect::Deny, &a.glob, &a.exec_as).cmp(&(
            b.effect == Effect::Deny,
            &b.glob,
            &b.exec_as,
        ))
    });
    p
}

/// `polc gen-bench`'s policy of `n` rule statements, and the same with every 997th rule
/// statement removed and five added: an upgrade, as text, loaded like `polc diff` does.
fn loaded(n: usize) -> (Policy, Policy) {
    let old_text = polc::generate::policy(n);
    let mut new_text = String::new();
    for (i, line) in old_text.lines().enumerate() {
        let rule =
            line.trim_start().starts_with("allow ") || line.trim_start().starts_with("deny ");
        if rule && i % 997 == 5 {
            continue;
        }
        if line == "}" {
            for k in 0..5 {
                new_text.push_str(&format!(
                    "    allow read write \"/srv/bench/added{k}/**\"\n"
                ));
            }
        }
        new_text.push_str(line);
        new_text.push('\n');
    }
    let load = |name: &str, text: &str| {
        polc::load(
            &polc::Source::new(name, text),
            &polc::LoadOptions::default(),
        )
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy
    };
    (load("old.pol", &old_text), load("new.pol", &new_text))
}

fn bench(c: &mut Criterion) {
    let (lo, ln) = loaded(10_000);
    assert!(!diff(&lo, &ln).is_empty());
    c.bench_function("diff/10000 loaded rules, an upgrade", |b| {
        b.iter(|| diff(black_box(&lo), black_box(&ln)))
    });
    let old = policy(10_000, Upgrade::None);
    let new = policy(10_000, Upgrade::PerThousand);
    let d = diff(&old, &new);
    assert!(!d.is_empty());
    c.bench_function("diff/10000 rules, a few changed", |b| {
        b.iter(|| diff(black_box(&old), black_box(&new)))
    });
    c.bench_function("diff/10000 rules, identical meaning", |b| {
        let mut same = old.clone();
        same.files.reverse();
        b.iter(|| diff(black_box(&old), black_box(&same)))
    });
    for (name, upgrade) in [
        ("diff/growth", Upgrade::PerThousand),
        ("diff/growth, 11 rules changed", Upgrade::Eleven),
        ("diff/growth, identical meaning", Upgrade::None),
    ] {
        let mut group = c.benchmark_group(name);
        let mut reported = None;
        for n in [1_000usize, 2_000, 5_000, 10_000, 20_000] {
            let old = policy(n, Upgrade::None);
            let mut new = policy(n, upgrade);
            if upgrade == Upgrade::None {
                new.files.reverse();
            }
            let changes = diff(&old, &new).changes.len();
            if upgrade != Upgrade::PerThousand {
                // The same changes whatever the size: only the rule count grows.
                assert_eq!(*reported.get_or_insert(changes), changes, "at {n} rules");
            }
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| diff(black_box(&old), black_box(&new)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
