//! The front end on a large policy: `parse` alone, and `load` (parse + check + lower,
//! warnings included) of a generated policy of 10,000 rule statements, the same text
//! `polc gen-bench --rules 10000` writes. Throughput is in bytes of source per second.
//!
//! `POLC_BENCH_RULES` (comma-separated) measures other sizes, e.g.
//! `POLC_BENCH_RULES=1000,10000 cargo bench --bench frontend`. See docs/performance.md.
//!
//! The Landlock plan of the same policies, loaded once (`landlock plan`, at 1,000 and
//! 10,000 rules unless `POLC_BENCH_RULES` says otherwise), against an empty root, as
//! `polc compile --target landlock --landlock-root EMPTY` plans them: the placement of
//! every file rule and the reports for older kernels, without the JSON.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polc::{LoadOptions, Source};
use std::hint::black_box;

const DEFAULT_RULES: usize = 10_000;

fn sizes() -> Vec<usize> {
    match std::env::var("POLC_BENCH_RULES") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![DEFAULT_RULES],
    }
}

fn frontend(c: &mut Criterion) {
    let opts = LoadOptions::default();
    let mut g = c.benchmark_group("frontend");
    g.sample_size(10);
    for rules in sizes() {
        let src = Source::new("bench.pol", polc::generate::policy(rules));
        g.throughput(Throughput::Bytes(src.text.len() as u64));
        // Each closure first makes sure the input is valid (a failure would time the
        // error path); it runs only when the benchmark is selected.
        g.bench_with_input(BenchmarkId::new("parse", rules), &src, |b, src| {
            let (_, errors) = polc::lang::syntax::parse(&src.name, &src.text);
            fail_unless(errors.is_empty(), rules, &errors);
            b.iter(|| polc::lang::syntax::parse(black_box(&src.name), black_box(&src.text)))
        });
        g.bench_with_input(BenchmarkId::new("load", rules), &src, |b, src| {
            if let Err(failed) = polc::load(src, &opts) {
                fail_unless(false, rules, &failed.diagnostics);
            }
            b.iter(|| polc::load(black_box(src), black_box(&opts)))
        });
    }
    g.finish();
}

fn landlock_plan(c: &mut Criterion) {
    let Ok(root) = tempfile::tempdir() else {
        eprintln!("cannot make a temporary directory for the Landlock root");
        std::process::exit(1);
    };
    let opts = polc::compile::CompileOptions {
        landlock_root: root.path().to_path_buf(),
        ..Default::default()
    };
    let mut g = c.benchmark_group("landlock plan");
    g.sample_size(10);
    let sizes = match std::env::var("POLC_BENCH_RULES") {
        Ok(_) => sizes(),
        Err(_) => vec![1_000, DEFAULT_RULES],
    };
    for rules in sizes {
        let src = Source::new("bench.pol", polc::generate::policy(rules));
        let policy = match polc::load(&src, &LoadOptions::default()) {
            Ok(loaded) => loaded.policy,
            Err(failed) => {
                fail_unless(false, rules, &failed.diagnostics);
                continue;
            }
        };
        g.throughput(Throughput::Elements(rules as u64));
        g.bench_with_input(BenchmarkId::from_parameter(rules), &policy, |b, policy| {
            if let Err(e) = polc::compile::landlock_plan(policy, &opts) {
                eprintln!("the generated policy of {rules} rules does not plan: {e}");
                std::process::exit(1);
            }
            b.iter(|| polc::compile::landlock_plan(black_box(policy), black_box(&opts)))
        });
    }
    g.finish();
}

fn fail_unless(ok: bool, rules: usize, diags: &[polc::Diagnostic]) {
    if !ok {
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        eprintln!("the generated policy of {rules} rules does not load: {codes:?}");
        std::process::exit(1);
    }
}

criterion_group!(benches, frontend, landlock_plan);
criterion_main!(benches);
