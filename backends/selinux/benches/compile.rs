//! Compile time of the SELinux backend, beside secilc's time on the emitted module.
//!
//! `cargo bench -p polc-selinux`: the webapp example against the minimal test base's
//! contexts, `secilc` building the minimal base with the emitted module, then, against
//! Debian's reference policy (`selinux-policy-default`), side by side: parsing its
//! file_contexts, compiling webapp cold (parse and compile, as one `polc compile` does)
//! and warm (contexts parsed), and a 40-segment `*` glob (refused as too complex: the
//! time to the refusal). Numbers: docs/performance.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use polc_selinux::{compile, Config, FileContexts, PortContexts};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn webapp() -> polc_lang::ir::Policy {
    let rel = "examples/webapp.pol";
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    polc_lang::load(
        &polc_lang::Source::new(rel, text),
        &polc_lang::LoadOptions::default(),
    )
    .map_err(|f| f.diagnostics)
    .unwrap()
    .policy
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{name}` ({e}): apt-get install secilc setools"));
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("polc-selinux-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/selinux-base/base.cil");
    let (pol, fc) = (dir.join("base.33"), dir.join("base.fc"));
    let (pol_s, fc_s, base_s) = (
        pol.to_str().unwrap(),
        fc.to_str().unwrap(),
        base.to_str().unwrap(),
    );
    tool(
        "secilc",
        &["-M", "false", "-c", "33", "-o", pol_s, "-f", fc_s, base_s],
    );
    let minimal = Config {
        strict: false,
        file_contexts: Some(FileContexts::parse(&std::fs::read_to_string(&fc).unwrap()).unwrap()),
        port_contexts: Some(
            PortContexts::parse(&tool("seinfo", &["--portcon", "--initialsid", "-x", pol_s]))
                .unwrap(),
        ),
        ..Config::default()
    };
    let policy = webapp();
    c.bench_function("compile webapp (minimal base)", |b| {
        b.iter(|| compile(&policy, &minimal).unwrap())
    });

    let module = dir.join("org_example_webapp.cil");
    std::fs::write(&module, compile(&policy, &minimal).unwrap().cil).unwrap();
    let module_s = module.to_str().unwrap().to_string();
    c.bench_function("secilc minimal base + webapp", |b| {
        b.iter(|| {
            tool(
                "secilc",
                &[
                    "-M", "false", "-c", "33", "-o", pol_s, "-f", fc_s, base_s, &module_s,
                ],
            )
        })
    });

    // Debian's reference policy, as `polc compile --target selinux` on a Debian host sees
    // it: the texts of file_contexts, .homedirs and .subs_dist, and the port contexts.
    let deb = "/etc/selinux/default/contexts/files/file_contexts";
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{p} ({e}): apt-get install selinux-policy-default"))
    };
    let (fc_text, homedirs, subs) = (
        read(deb),
        read(&format!("{deb}.homedirs")),
        read(&format!("{deb}.subs_dist")),
    );
    let ports = PortContexts::parse(&tool(
        "seinfo",
        &[
            "--portcon",
            "--initialsid",
            "-x",
            "/etc/selinux/default/policy/policy.33",
        ],
    ))
    .unwrap();
    let parse_fc = || {
        FileContexts::parse(&fc_text)
            .unwrap()
            .with_extra(&homedirs, "file_contexts.homedirs")
            .unwrap()
            .with_substitutions(&subs)
            .unwrap()
    };
    let debian = Config {
        strict: false,
        file_contexts: Some(parse_fc()),
        port_contexts: Some(ports.clone()),
        ..Config::default()
    };
    // 40 `*` segments, and a deny of 39 segments then `x`: no literal prefix to narrow the
    // file contexts with
    let stars = |n: usize| vec!["*"; n].join("/");
    let deep_text = format!(
        "policy org.example.deep {{\n    allow read \"/{}\"\n    deny read \"/{}/x\"\n}}\n",
        stars(40),
        stars(39)
    );
    let deep = polc_lang::load(
        &polc_lang::Source::new("deep.pol", deep_text),
        &polc_lang::LoadOptions::default(),
    )
    .map_err(|f| f.diagnostics)
    .unwrap()
    .policy;
    let mut g = c.benchmark_group("Debian file_contexts");
    g.sample_size(10);
    g.bench_function("parse file_contexts", |b| b.iter(parse_fc));
    g.bench_function("compile webapp, cold (parse + compile)", |b| {
        b.iter(|| {
            let cfg = Config {
                strict: false,
                file_contexts: Some(parse_fc()),
                port_contexts: Some(ports.clone()),
                ..Config::default()
            };
            compile(&policy, &cfg).unwrap()
        })
    });
    g.bench_function("compile webapp, warm (parsed)", |b| {
        b.iter(|| compile(&policy, &debian).unwrap())
    });
    // refused within the budget (`debian::a_glob_of_forty_star_segments_is_refused_...`):
    // the time to the refusal
    g.bench_function("compile 40-segment glob, warm (refused)", |b| {
        b.iter(|| compile(&deep, &debian).unwrap_err())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
