//! Tidy: the checkable invariants of ARCHITECTURE.md, read from the source tree, so the
//! document and the code cannot drift apart (as rust-analyzer's `tidy.rs` does).
//!
//! Each failure names the file and line and the invariant it breaks. Invariant 7 (every
//! diagnostic code has a file in `tests/corpus/err/` and a section in
//! `docs/diagnostics.md`) is checked by `tests/corpus.rs` (`every_code_has_an_err_file`)
//! and `policy-lang/tests/check_docs.rs`; this file adds the reverse direction: every
//! code documented exists.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

/// The modules of `polc_lang` a backend may use (invariant 1: backends read only the
/// IR, plus the glob algebra, the evaluator, fidelity reports and the rights the IR
/// rules carry, and the fast hash maps). `ir::text` (one-line rule texts) is part of
/// `ir`.
const BACKEND_MAY_USE: &[&str] = &["ir", "glob", "eval", "fidelity", "rights", "hash"];

/// Other polc crates a backend's library may depend on, with the reason. Test-only
/// dependencies (`[dev-dependencies]`) are not the library and are not checked.
const BACKEND_MAY_DEPEND_ON: &[(&str, &str, &str)] = &[
    (
        "apparmor",
        "polc-launch",
        "the launch core shared with SELinux; it depends on no polc crate",
    ),
    (
        "selinux",
        "polc-launch",
        "the launch core shared with AppArmor; it depends on no polc crate",
    ),
    (
        "spo",
        "polc-apparmor",
        "the Security Profiles Operator's form is AppArmor's: it reuses the AppArmor \
         backend's glob translation, which reads only the IR",
    ),
];

/// Invariant 8: the fuzz targets that must exist.
const FUZZ_TARGETS: &[&str] = &[
    "policy-lang/fuzz/fuzz_targets/parse.rs",
    "policy-lang/fuzz/fuzz_targets/json.rs",
    "policy-lang/fuzz/fuzz_targets/emit_apparmor.rs",
    "policy-lang/fuzz/fuzz_targets/emit_selinux.rs",
    "policy-lang/fuzz/fuzz_targets/emit_landlock.rs",
    "policy-lang/fuzz/fuzz_targets/import_apparmor.rs",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The backend crates: the directories of `backends/`.
fn backends() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(root().join("backends"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    v.sort();
    assert!(
        v.len() >= 4,
        "expected the backends under backends/, found {v:?}"
    );
    v
}

/// The lines of a file that are code: comment lines (including doc comments, whose
/// examples are compiled as other crates) are blanked, so line numbers stay right.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect()
}

/// The `polc_lang` modules a line names: `polc_lang::m`, `polc_lang::{m, n::x}`, or
/// `None` for a use of the crate that hides the module (`use polc_lang as l;`).
fn polc_lang_modules(line: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("polc_lang") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "polc_lang".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(path) = rest.strip_prefix("::") else {
            if !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                out.push(None);
            }
            continue;
        };
        if let Some(group) = path.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(Some(first_segment(&item)));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            if !item.trim().is_empty() {
                out.push(Some(first_segment(&item)));
            }
        } else {
            out.push(Some(first_segment(path)));
        }
    }
    out
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn backends_import_only_the_ir_side_of_polc_lang() {
    let mut bad = Vec::new();
    for b in backends() {
        for f in rust_files(&b.join("src")) {
            let text = fs::read_to_string(&f).unwrap();
            for (n, line) in code_lines(&text).iter().enumerate() {
                for m in polc_lang_modules(line) {
                    match m {
                        Some(m) if BACKEND_MAY_USE.contains(&m.as_str()) => {}
                        Some(m) => bad.push(format!(
                            "{}:{}: uses `polc_lang::{m}`; invariant 1 (backends read only the \
                             IR) allows only {BACKEND_MAY_USE:?}",
                            rel(&f),
                            n + 1
                        )),
                        None => bad.push(format!(
                            "{}:{}: uses `polc_lang` without naming a module; invariant 1 \
                             (backends read only the IR) needs `polc_lang::MODULE` paths",
                            rel(&f),
                            n + 1
                        )),
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// The dependency names of the `[dependencies]` and `[build-dependencies]` sections of a
/// Cargo.toml, with their line numbers (a `package = "..."` rename counts as that name).
fn library_dependencies(toml: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for (n, line) in toml.lines().enumerate() {
        let t = line.trim();
        if let Some(header) = t.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            if let Some(dep) = header
                .strip_prefix("dependencies.")
                .or_else(|| header.strip_prefix("build-dependencies."))
            {
                out.push((n + 1, dep.to_string()));
                in_deps = false;
            } else {
                in_deps = header == "dependencies"
                    || header == "build-dependencies"
                    || (header.starts_with("target.") && !header.ends_with("dev-dependencies"));
            }
            continue;
        }
        if !in_deps || t.starts_with('#') || t.is_empty() {
            continue;
        }
        let key: String = t
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        out.push((n + 1, key));
        if let Some(p) = t.split("package").nth(1) {
            if let Some(name) = p.split('"').nth(1) {
                out.push((n + 1, name.to_string()));
            }
        }
    }
    out
}

#[test]
fn backends_depend_on_no_polc_crate_but_polc_lang() {
    let mut bad = Vec::new();
    for b in backends() {
        let toml_path = b.join("Cargo.toml");
        let toml = fs::read_to_string(&toml_path).unwrap();
        let backend = b.file_name().unwrap().to_string_lossy().to_string();
        for (line, dep) in library_dependencies(&toml) {
            let allowed = dep == "polc-lang"
                || BACKEND_MAY_DEPEND_ON
                    .iter()
                    .any(|(who, what, _)| *who == backend && *what == dep);
            if dep.starts_with("polc") && !allowed {
                bad.push(format!(
                    "{}:{line}: depends on `{dep}`; invariant 1 (backends read only the IR) \
                     allows only polc-lang",
                    rel(&toml_path)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// Library code: everything but the CLI (`src/command/`, `src/main.rs`), the C binding
/// and tests.
fn library_files() -> Vec<PathBuf> {
    let mut files = rust_files(&root().join("policy-lang/src"));
    for b in backends() {
        files.extend(rust_files(&b.join("src")));
    }
    files.extend(
        rust_files(&root().join("src"))
            .into_iter()
            .filter(|f| !f.starts_with(root().join("src/command")) && !f.ends_with("src/main.rs")),
    );
    files
}

#[test]
fn only_the_cli_prints() {
    const PRINTERS: &[&str] = &[
        "print!(",
        "println!(",
        "eprint!(",
        "eprintln!(",
        "dbg!(",
        "io::stdout()",
        "io::stderr()",
    ];
    let mut bad = Vec::new();
    let files = library_files();
    assert!(files.len() > 50, "found only {} library files", files.len());
    for f in files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue; // a unit-test module of its parent
        }
        let text = fs::read_to_string(&f).unwrap();
        // The unit tests at the end of a file (from its first `#[cfg(test)]`) may print.
        let lines = code_lines(&text);
        let end = lines
            .iter()
            .position(|l| l.trim() == "#[cfg(test)]")
            .unwrap_or(lines.len());
        for (n, line) in lines.iter().take(end).enumerate() {
            for p in PRINTERS {
                let hit = line.match_indices(p).any(|(at, _)| {
                    !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if hit {
                    bad.push(format!(
                        "{}:{}: `{p}` in library code; invariant 3 (only the CLI and the C \
                         binding print or render): return a value instead",
                        rel(&f),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// The front end reads no file itself (invariant 3: file-system I/O is confined to the
/// CLI and the store): `polc_lang` takes sources as text.
#[test]
fn the_language_crate_does_no_file_io() {
    let mut bad = Vec::new();
    for f in rust_files(&root().join("policy-lang/src")) {
        let text = fs::read_to_string(&f).unwrap();
        for (n, line) in code_lines(&text).iter().enumerate() {
            if line.contains("std::fs") || line.contains("fs::read") || line.contains("File::open")
            {
                bad.push(format!(
                    "{}:{}: file-system I/O in polc-lang; invariant 3 confines it to the CLI \
                     and the store",
                    rel(&f),
                    n + 1
                ));
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// Invariant 8: the workspace lints deny unwrap, expect, panic and slice indexing, and
/// every crate of the workspace inherits them.
#[test]
fn every_crate_denies_panics() {
    let top = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut bad = Vec::new();
    let section = top
        .split("[workspace.lints.clippy]")
        .nth(1)
        .map(|s| s.split("\n[").next().unwrap_or(s))
        .unwrap_or("");
    for lint in ["unwrap_used", "expect_used", "panic", "indexing_slicing"] {
        let denied = section.lines().any(|l| {
            let l = l.replace(' ', "");
            l.starts_with(&format!("{lint}=")) && l.contains("\"deny\"")
        });
        if !denied {
            bad.push(format!(
                "Cargo.toml: [workspace.lints.clippy] does not deny `{lint}`; invariant 8 \
                 (never panic on input)"
            ));
        }
    }
    let members = top
        .lines()
        .find(|l| l.trim_start().starts_with("members"))
        .unwrap();
    let mut manifests = Vec::new();
    for m in members.split('"').skip(1).step_by(2) {
        if let Some(dir) = m.strip_suffix("/*") {
            for e in fs::read_dir(root().join(dir)).unwrap() {
                manifests.push(e.unwrap().path().join("Cargo.toml"));
            }
        } else {
            manifests.push(root().join(m).join("Cargo.toml"));
        }
    }
    manifests.sort();
    assert!(manifests.len() >= 8, "found only {manifests:?}");
    for m in manifests {
        let text = fs::read_to_string(&m).unwrap_or_default();
        let inherits = text.split("[lints]").nth(1).is_some_and(|s| {
            s.lines()
                .take(3)
                .any(|l| l.replace(' ', "") == "workspace=true")
        });
        if !inherits {
            bad.push(format!(
                "{}: no `[lints] workspace = true`; invariant 8 (never panic on input) \
                 applies to every crate",
                rel(&m)
            ));
        }
    }
    for t in FUZZ_TARGETS {
        if !root().join(t).is_file() {
            bad.push(format!("{t}: missing; invariant 8 says it is fuzzed"));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// The places ARCHITECTURE.md names exist: every backquoted path of the document
/// (`a/{b,c}.rs` stands for both files, a `*` for any ending of its name, a segment in
/// capitals such as `seeds/TARGET` for any entry of its directory).
#[test]
fn the_paths_architecture_md_names_exist() {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    for (n, line) in doc.lines().enumerate() {
        for (i, piece) in line.split('`').enumerate() {
            let looks_like_path = i % 2 == 1
                && !piece.contains(' ')
                && [
                    "src/",
                    "policy-lang/",
                    "backends/",
                    "bindings/",
                    "tests/",
                    "docs/",
                ]
                .iter()
                .any(|p| piece.starts_with(p));
            if !looks_like_path {
                continue;
            }
            checked += 1;
            if !expand(piece).iter().all(|p| path_exists(p)) {
                bad.push(format!(
                    "ARCHITECTURE.md:{}: names `{piece}`, which does not exist; the document \
                     must describe the tree",
                    n + 1
                ));
            }
        }
    }
    assert!(
        checked > 20,
        "found only {checked} paths in ARCHITECTURE.md"
    );
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

/// The paths a written path stands for: `a/{b,c}.rs` is `a/b.rs` and `a/c.rs`.
fn expand(piece: &str) -> Vec<String> {
    match (piece.find('{'), piece.find('}')) {
        (Some(a), Some(b)) if a < b => piece[a + 1..b]
            .split(',')
            .map(|alt| format!("{}{alt}{}", &piece[..a], &piece[b + 1..]))
            .collect(),
        _ => vec![piece.to_string()],
    }
}

/// Whether a written path exists (see [`the_paths_architecture_md_names_exist`]).
fn path_exists(piece: &str) -> bool {
    let segments: Vec<&str> = piece.split('/').collect();
    let placeholder = segments
        .iter()
        .position(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    if let Some(k) = placeholder {
        let dir = segments[..k].join("/");
        return fs::read_dir(root().join(dir)).is_ok_and(|mut d| d.next().is_some());
    }
    match piece.find('*').map(|i| &piece[..i]) {
        Some(stem) => {
            let p = root().join(stem);
            let (dir, start) = (p.parent().unwrap(), p.file_name().unwrap());
            fs::read_dir(dir).is_ok_and(|mut d| {
                d.any(|e| {
                    e.unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with(&*start.to_string_lossy())
                })
            })
        }
        None => root().join(piece.trim_end_matches('/')).exists(),
    }
}

/// Invariant 7, the reverse direction of `tests/corpus.rs` and
/// `policy-lang/tests/check_docs.rs`: every code with a section in
/// `docs/diagnostics.md` is a code of `policy-lang/src/diagnostics.rs`.
#[test]
fn every_documented_code_exists() {
    let doc = fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    let known: Vec<&str> = polc_lang::diagnostics::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    let mut bad = Vec::new();
    for (n, line) in doc.lines().enumerate() {
        let Some(head) = line.strip_prefix("## ") else {
            continue;
        };
        let code: String = head.chars().take_while(|c| c.is_alphanumeric()).collect();
        let looks_like_code = code.len() == 5
            && code.starts_with(['E', 'W'])
            && code[1..].chars().all(|c| c.is_ascii_digit());
        if looks_like_code && !known.contains(&code.as_str()) {
            bad.push(format!(
                "docs/diagnostics.md:{}: documents `{code}`, which polc does not have; \
                 invariant 7 (every diagnostic has a stable code)",
                n + 1
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn the_import_reader_sees_every_form() {
    assert_eq!(
        polc_lang_modules("use polc_lang::ir::Effect;"),
        [Some("ir".into())]
    );
    assert_eq!(
        polc_lang_modules("use polc_lang::{ast::File, glob::{Glob, X}, load};"),
        [Some("ast".into()), Some("glob".into()), Some("load".into())]
    );
    assert_eq!(polc_lang_modules("use polc_lang as lang;"), [None]);
    assert_eq!(polc_lang_modules("x = my_polc_lang::ast::Y"), []);
    assert_eq!(
        library_dependencies("[dependencies]\npolc-lang.workspace = true\nx = { package = \"polc\" }\n[dev-dependencies]\npolc = \"1\"\n[dependencies.polc-selinux]\n"),
        [
            (2, "polc-lang".to_string()),
            (3, "x".to_string()),
            (3, "polc".to_string()),
            (6, "polc-selinux".to_string())
        ]
    );
}

/// The command line is a feature the library can leave out: the C library (built with
/// `default-features = false` on `polc`) must not pull the argument parser and the
/// crates around it.
#[test]
fn the_c_library_builds_without_the_cli() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "polc-c",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.lines().any(|l| l.starts_with("polc v")), "{tree}");
    let cli_only: Vec<&str> = tree.lines().filter(|l| l.starts_with("clap")).collect();
    assert!(
        cli_only.is_empty(),
        "polc-c depends on crates only the CLI needs (the `cli` feature of `polc` must stay \
         off for the bindings): {cli_only:?}"
    );
}
