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
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    CapRule, FileRule, Mode, NetOp, NetRule, Origin, Policy, PolicyName, PortRange, Proto,
    RightsOrigin,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::hint::black_box;

const CAPS: [&str; 6] = [
    "chown",
    "setuid",
    "setgid",
    "net_bind_service",
    "sys_nice",
    "kill",
];

fn origin(file: &str, line: usize) -> Origin {
    Origin {
        file: file.to_string(),
        line,
        column: 5,
        span: Span::new(line * 40, line * 40 + 30),
        via: Vec::new(),
        accepts: Vec::new(),
    }
}

fn rights(words: &[&str]) -> Rights {
    words
        .iter()
        .filter_map(|w| Rights::from_keyword(w))
        .fold(Rights::EMPTY, Rights::union)
}

fn file(effect: Effect, glob: &str, rs: Rights, exec_as: Option<String>, o: Origin) -> FileRule {
    FileRule {
        audit: false,
        owner: false,
        dir_only: false,
        effect,
        glob: Glob::parse(glob).unwrap(),
        rights: rs,
        exec_as: exec_as.map(|n| PolicyName::new(&n).unwrap()),
        origins: vec![RightsOrigin {
            rights: rs,
            origin: o,
        }],
        exec_mode: Default::default(),
    }
}

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
        name: PolicyName::new("org.example.big").unwrap(),
        version: Some(1),
        attach: None,
        mode: Mode::Enforce,
        uses: Vec::new(),
        owns: Vec::new(),
        files: Vec::new(),
        net: Vec::new(),
        capabilities: Vec::new(),
        signals: Vec::new(),
        unix: Vec::new(),
        net_families: Vec::new(),
        ptrace: Vec::new(),
        children: Vec::new(),
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
            0 | 1 => p.files.push(file(
                Effect::Allow,
                &format!("/srv/{svc}/data/**"),
                rights(&["read", "write", "create"]),
                None,
                o,
            )),
            2 => p.files.push(file(
                Effect::Allow,
                &format!("/etc/{svc}/*.conf"),
                rights(&["read"]),
                None,
                o,
            )),
            3 => p.files.push(file(
                Effect::Allow,
                &format!("/usr/lib/{svc}/lib*.so{{,.*}}"),
                rights(&["read", "map-exec"]),
                None,
                o,
            )),
            4 => p.files.push(file(
                Effect::Allow,
                &format!("/var/log/{svc}/{{access,error}}.log"),
                rights(&["append", "create"]),
                None,
                o,
            )),
            5 => p.files.push(file(
                Effect::Allow,
                &format!("/usr/bin/{svc}"),
                rights(&["read", "exec"]),
                None,
                o,
            )),
            6 => p.files.push(file(
                Effect::Deny,
                &format!("/srv/svc{}/data/secret/**", i - 6),
                rights(&["read", "write"]),
                None,
                o,
            )),
            7 => p.files.push(file(
                Effect::Allow,
                &format!("/usr/libexec/{svc}/helper"),
                rights(&["exec"]),
                Some(format!("org.example.h{}", i % 7)),
                o,
            )),
            8 => {
                let port = u16::try_from(1024 + i % 60000).unwrap();
                let hi = if changed(i) { port + 5 } else { port };
                p.net.push(NetRule {
                    audit: false,
                    effect: Effect::Allow,
                    op: if i % 20 == 8 {
                        NetOp::Connect
                    } else {
                        NetOp::Bind
                    },
                    proto: Proto::Tcp,
                    family: None,
                    ports: PortRange { lo: port, hi },
                    origins: vec![o],
                });
            }
            _ => {
                if i < 100 {
                    p.capabilities.push(CapRule {
                        audit: false,
                        effect: Effect::Allow,
                        capability: CAPS[i / 10 % CAPS.len()].to_string(),
                        origins: vec![o],
                    });
                } else {
                    p.files.push(file(
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
