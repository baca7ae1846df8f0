//! The corpus: every `tests/corpus/ok/*.pol` loads, and its IR (the stable JSON) and
//! warnings are snapshotted; every `tests/corpus/err/*` file yields the diagnostic code
//! it names, and its rendered diagnostics (human, no colour, 80 columns, as `polc check`
//! draws them) are snapshotted. Review snapshot changes with `cargo insta review`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::command::render;
use polc::{load, Code, Diagnostic, LoadOptions, Source, SourceMap};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A corpus file named by its path under tests/corpus (`ok/x.pol`), so snapshots hold
/// no machine-specific paths.
fn source(path: &Path) -> Source {
    let name = path
        .strip_prefix(corpus_dir())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    Source::new(name, text)
}

fn rendered(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources.get(&d.file), false, 80))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code an err file must yield: `# expect: CODE` on its first line, or for the
/// JSON-form files (no comments in JSON) the `eNNNN-` prefix of the file name.
fn expected_code(path: &Path, text: &str) -> String {
    if let Some(code) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
    {
        return code.trim().to_string();
    }
    let name = path.file_name().unwrap().to_string_lossy();
    let prefix = name.split('-').next().unwrap_or_default();
    assert!(
        path.extension().is_some_and(|x| x == "json") && prefix.len() == 5,
        "{name}: a .pol err file starts with `# expect: CODE`; a .json one is named `eNNNN-...`"
    );
    prefix.to_uppercase()
}

#[test]
fn ok_corpus_loads_and_lowers() {
    insta::glob!("corpus/ok/*.pol", |path| {
        let src = source(path);
        let loaded = match load(&src, &LoadOptions::default()) {
            Ok(l) => l,
            Err(f) => panic!(
                "{} does not load:\n{}",
                src.name,
                rendered(&f.diagnostics, &f.sources)
            ),
        };
        assert!(
            loaded.warnings.iter().all(|d| !d.is_error()),
            "{}: an error among the warnings",
            src.name
        );
        insta::assert_snapshot!("ir", loaded.policy.to_json());
        insta::assert_snapshot!("warnings", rendered(&loaded.warnings, &loaded.sources));
    });
}

#[test]
fn err_corpus_yields_the_expected_codes() {
    insta::glob!("corpus/err/*", |path| {
        let src = source(path);
        let expected = expected_code(path, &src.text);
        let (diags, sources, failed) = match load(&src, &LoadOptions::default()) {
            Ok(l) => (l.warnings, l.sources, false),
            Err(f) => (f.diagnostics, f.sources, true),
        };
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{}: expected {expected}, got {codes:?}\n{}",
            src.name,
            rendered(&diags, &sources)
        );
        // An error code fails the load; a warning code does not.
        assert_eq!(
            failed,
            expected.starts_with('E'),
            "{}: load failed = {failed} with {codes:?}",
            src.name
        );
        insta::assert_snapshot!("diagnostics", rendered(&diags, &sources));
    });
}

/// Every code a policy file can produce has at least one err file (E0400, a read
/// failure, is exercised by the command-line tests instead).
#[test]
fn every_code_has_an_err_file() {
    let mut covered = BTreeSet::new();
    for entry in fs::read_dir(corpus_dir().join("err")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap_or_default();
        covered.insert(expected_code(&path, &text));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| **c != Code::Io)
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes without an err file: {missing:?}");
}

/// Warnings the shipped examples are known to have. The web application is the
/// language's reference example: its `allow net connect tcp 443` is shadowed by the
/// `network-client` abstraction it uses, which the checker points out (W0201).
const EXPECTED_WARNINGS: &[(&str, &[&str])] =
    &[("webapp.pol", &["W0201"]), ("webapp.json", &["W0201"])];

/// The shipped examples load, with no warnings but the expected ones.
#[test]
fn examples_load_cleanly() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut opts = LoadOptions::default();
    for entry in fs::read_dir(examples.join("abstractions")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        opts.abstractions
            .push(Source::new(path.to_string_lossy(), text));
    }
    let mut seen = 0;
    for entry in fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let name = path.to_string_lossy().into_owned();
        let src = Source::new(name.clone(), fs::read_to_string(&path).unwrap());
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected: &[&str] = EXPECTED_WARNINGS
            .iter()
            .find(|(f, _)| *f == file_name)
            .map_or(&[], |(_, codes)| codes);
        match load(&src, &opts) {
            Ok(l) => {
                let codes: Vec<&str> = l.warnings.iter().map(|d| d.code.as_str()).collect();
                assert_eq!(
                    codes,
                    expected,
                    "{name} has unexpected warnings:\n{}",
                    rendered(&l.warnings, &l.sources)
                );
            }
            Err(f) => panic!(
                "{name} does not load:\n{}",
                rendered(&f.diagnostics, &f.sources)
            ),
        }
        seen += 1;
    }
    assert!(seen >= 4, "expected the example policies, found {seen}");
}

/// The IR without source locations (which formatting moves).
fn meaning(json: &str) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("origins");
                m.remove("origin");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::from_str(json).unwrap();
    strip(&mut v);
    v
}

/// `polc fmt` never changes what a policy means: every ok file, formatted, lowers to
/// the same IR (source locations aside), and formatting is idempotent.
#[test]
fn formatting_preserves_meaning() {
    let opts = LoadOptions::default();
    for entry in fs::read_dir(corpus_dir().join("ok")).unwrap() {
        let src = source(&entry.unwrap().path());
        let formatted = polc::command::fmt::format_text(&src.name, &src.text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", src.name));
        let again = polc::command::fmt::format_text(&src.name, &formatted).unwrap();
        assert_eq!(again, formatted, "{}: not idempotent", src.name);
        let before = load(&src, &opts).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        let after = load(&Source::new(src.name.clone(), formatted), &opts)
            .unwrap_or_else(|f| panic!("{}: formatted text fails: {:?}", src.name, f.diagnostics));
        assert_eq!(
            meaning(&after.policy.to_json()),
            meaning(&before.policy.to_json()),
            "{}: formatting changed the IR",
            src.name
        );
    }
}
