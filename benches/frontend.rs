//! The front end on a large policy: parse, and parse + check + lower (`load`), of a
//! generated 10,000-rule policy (the same text `polc gen-bench --rules 10000` writes).
//! Throughput is in bytes of source per second. See docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use polc::{LoadOptions, Source};
use std::hint::black_box;

const RULES: usize = 10_000;

fn frontend(c: &mut Criterion) {
    let text = polc::generate::policy(RULES);
    let src = Source::new("bench.pol", text);
    let opts = LoadOptions::default();
    // Measure a policy that loads: a failing load would time the error path instead.
    if let Err(failed) = polc::load(&src, &opts) {
        let codes: Vec<&str> = failed.diagnostics.iter().map(|d| d.code.as_str()).collect();
        eprintln!("the generated policy does not load: {codes:?}");
        std::process::exit(1);
    }
    let mut g = c.benchmark_group("frontend");
    g.throughput(Throughput::Bytes(src.text.len() as u64));
    g.sample_size(10);
    g.bench_function("parse", |b| {
        b.iter(|| polc::lang::syntax::parse(black_box(&src.name), black_box(&src.text)))
    });
    g.bench_function("load", |b| {
        b.iter(|| polc::load(black_box(&src), black_box(&opts)))
    });
    g.finish();
}

criterion_group!(benches, frontend);
criterion_main!(benches);
