//! polc's share of an AppArmor install: compiling a 1,000-rule policy, against
//! `apparmor_parser -Q -K` on the emitted profile (results in docs/backends/apparmor.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{criterion_group, criterion_main, Criterion};
use polc_apparmor::{compile, Config, Parser};
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    FileRule, NetOp, NetRule, Origin, Policy, PolicyName, PortRange, Proto, RightsOrigin,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::hint::black_box;

/// 1,000 rules: 950 file rules of varied shapes, 50 network rules.
fn policy() -> Policy {
    let origin = Origin {
        file: "bench.pol".into(),
        line: 1,
        column: 1,
        span: Span::new(0, 1),
        via: Vec::new(),
        accepts: Vec::new(),
    };
    let rights = [
        "read",
        "read list",
        "manage",
        "write",
        "exec map-exec",
        "append lock",
    ];
    let shapes = [
        "/srv/app{i}/**",
        "/etc/app{i}/*.conf",
        "/usr/lib/app{i}/lib{a,b}*.so",
        "/var/log/app{i}.log",
        "/home/*/.config/app{i}/**",
    ];
    let mut files: Vec<FileRule> = (0..950)
        .map(|i| {
            let r = rights[i % rights.len()]
                .split(' ')
                .map(|w| Rights::from_keyword(w).unwrap())
                .fold(Rights::EMPTY, Rights::union);
            let glob = shapes[i % shapes.len()].replace("{i}", &i.to_string());
            FileRule {
                audit: false,
                owner: false,
                dir_only: false,
                effect: if i % 10 == 9 {
                    Effect::Deny
                } else {
                    Effect::Allow
                },
                glob: Glob::parse(&glob).unwrap(),
                rights: r,
                exec_as: None,
                origins: vec![RightsOrigin {
                    rights: r,
                    origin: origin.clone(),
                }],
                exec_mode: Default::default(),
            }
        })
        .collect();
    files.sort_by(|a, b| (a.effect, a.glob.as_str()).cmp(&(b.effect, b.glob.as_str())));
    let net = (0..50u16)
        .map(|i| NetRule {
            audit: false,
            effect: Effect::Allow,
            op: if i % 2 == 0 {
                NetOp::Connect
            } else {
                NetOp::Bind
            },
            proto: Proto::Tcp,
            family: None,
            ports: PortRange {
                lo: 1000 + i,
                hi: 1000 + i,
            },
            origins: vec![origin.clone()],
        })
        .collect();
    Policy {
        files,
        net,
        ..Policy::empty(PolicyName::new("org.example.bench").unwrap())
    }
}

fn bench(c: &mut Criterion) {
    let p = policy();
    let text = compile(&p, &Config::default()).unwrap().text;
    c.bench_function("polc compile, 1000 rules", |b| {
        b.iter(|| compile(black_box(&p), &Config::default()).unwrap())
    });
    let parser = Parser::find().unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("apparmor_parser -Q -K, 1000 rules", |b| {
        b.iter(|| parser.validate(black_box(&text)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
