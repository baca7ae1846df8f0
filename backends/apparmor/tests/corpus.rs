//! Every policy of the corpus (`tests/corpus/ok/*.pol`) and every example
//! (`examples/*.pol`): loaded by the front end, compiled for both ABIs, snapshotted, and
//! the ABI 3.0 profile accepted by `apparmor_parser`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use polc_apparmor::{compile, Abi, Config};
use polc_lang::{load, LoadOptions, Source};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The policy files, as paths relative to the workspace root, sorted.
fn policy_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["tests/corpus/ok", "examples"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".pol") {
                out.push(format!("{dir}/{name}"));
            }
        }
    }
    out.sort();
    out
}

/// The examples' own abstraction directory (`polc --abstractions examples/abstractions`).
fn example_options() -> LoadOptions {
    let mut opts = LoadOptions::default();
    let dir = root().join("examples/abstractions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pol"))
        .collect();
    files.sort();
    for p in files {
        let name = p
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        opts.abstractions
            .push(Source::new(name, std::fs::read_to_string(&p).unwrap()));
    }
    opts
}

#[test]
fn corpus_and_examples_compile_and_are_accepted() {
    for rel in policy_files() {
        let text = std::fs::read_to_string(root().join(&rel)).unwrap();
        let loaded = match load(&Source::new(rel.clone(), text), &example_options()) {
            Ok(l) => l,
            Err(f) => {
                let msgs: Vec<String> = f
                    .diagnostics
                    .iter()
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect();
                // A file of abstractions only is not a policy to compile.
                if f.diagnostics
                    .iter()
                    .all(|d| d.code == polc_lang::diagnostics::Code::PolicyCount)
                {
                    continue;
                }
                panic!("{rel} does not load: {}", msgs.join("; "));
            }
        };
        let snap = rel.replace(['/', '.'], "_");
        for abi in [Abi::V3_0, Abi::V4_0] {
            let out = compile(&loaded.policy, &Config { abi, strict: false })
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            let tag = if abi == Abi::V3_0 { "abi3" } else { "abi4" };
            insta::assert_snapshot!(format!("{snap}.{tag}.profile"), out.text);
            insta::assert_snapshot!(
                format!("{snap}.{tag}.report"),
                common::render_report(&out.report)
            );
            if abi == Abi::V3_0 {
                common::assert_accepted(&out.text);
            }
        }
    }
}
