//! Real AppArmor profiles (Debian's `apparmor-profiles` and `apparmor-profiles-extra`,
//! in `tests/real-profiles/source/`) through `polc import apparmor`:
//!
//! - every profile imports without error, and the polc policy of each
//!   (`tests/real-profiles/NAME.pol`) means what the import gives (compared with the
//!   semantic diff, so the committed policies may be edited by hand for readability);
//! - each policy checks and compiles for AppArmor (and `apparmor_parser -QK` accepts the
//!   profile), SELinux (with `secilc` on the minimal base policy of the SELinux tests)
//!   and Landlock;
//! - `docs/real-profiles.md` (per profile: source rules, includes expanded, exact /
//!   approximated / not importable, and the reasons) and the construct table of
//!   `docs/import.md` are what the import gives today.
//!
//! `POLC_DOCS_UPDATE=1 cargo test -p polc --test real_profiles` rewrites the policies and
//! the documents; review `git diff` before committing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::command::import::DirResolver;
use polc::compile::{
    compile, read_selinux_file_contexts, read_selinux_port_contexts, CompileOptions,
};
use polc::import::{self, Import, ImportOptions};
use polc::{load, LoadOptions, Lsm, Source};
use polc_apparmor::import::Class;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{compare_or_update, root, updating};

fn dir() -> PathBuf {
    root().join("tests/real-profiles")
}

/// The Debian package each source profile comes from.
fn package(file: &str) -> &'static str {
    match file {
        "usr.bin.pidgin" | "usr.bin.irssi" | "usr.bin.totem" => "apparmor-profiles-extra 1.35",
        _ => "apparmor-profiles 3.0.8-3",
    }
}

/// The source profiles, by file name.
fn sources() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir().join("source/profiles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    assert!(
        v.len() >= 12,
        "expected at least 12 source profiles, found {v:?}"
    );
    v
}

fn import_one(file: &str) -> Import {
    let path = dir().join("source/profiles").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let resolver = DirResolver {
        dirs: vec![dir().join("source/include")],
        base: dir().join("source/profiles"),
    };
    import::apparmor(file, &text, &resolver, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{file}: {}:{}:{}: {e}", e.file, e.line, e.column))
}

fn load_text(name: &str, text: &str) -> polc::Policy {
    match load(
        &Source::new(name, text.to_string()),
        &LoadOptions::default(),
    ) {
        Ok(l) => l.policy,
        Err(f) => panic!(
            "{name} does not check: {:?}",
            f.diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code.as_str(), d.message))
                .collect::<Vec<_>>()
        ),
    }
}

#[test]
fn profiles_import_and_the_policies_and_docs_match() {
    let mut problems = Vec::new();
    let mut rows = String::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut imports = Vec::new();
    for file in sources() {
        let imp = import_one(&file);
        // The committed policy means what the import gives.
        let pol_path = dir().join(format!("{file}.pol"));
        let fresh = load_text(&format!("{file}.pol (imported)"), &imp.policy);
        match std::fs::read_to_string(&pol_path) {
            Ok(committed) if !updating() => {
                let kept = load_text(&format!("tests/real-profiles/{file}.pol"), &committed);
                let d = polc_lang::diff::diff(&fresh, &kept);
                if !d.is_empty() {
                    problems.push(format!(
                        "tests/real-profiles/{file}.pol does not mean what `polc import apparmor` gives ({:?})",
                        d.summary()
                    ));
                }
            }
            Ok(committed) if committed == imp.policy => {}
            _ if updating() => std::fs::write(&pol_path, &imp.policy).unwrap(),
            _ => problems.push(format!("tests/real-profiles/{file}.pol is missing")),
        }
        let (e, a, n) = imp.imported.counts();
        let total = e + a + n;
        let _ = writeln!(
            rows,
            "| `{file}` | {} | `{}` | {total} | {e} | {a} | {n} | {:.1} % |",
            package(&file),
            imp.imported.name,
            percent(e, total)
        );
        for entry in &imp.imported.entries {
            if entry.class != Class::Exact {
                for part in entry.note.split("; ") {
                    *reasons.entry(part.to_string()).or_default() += 1;
                }
            }
        }
        imports.push(imp);
    }
    let (total, e, a, n) = import::totals(imports.iter().map(|i| &i.imported));
    let mut doc = String::from(
        "# Real profiles: what `polc import apparmor` makes of them\n\n\
         Generated by `tests/real_profiles.rs` from the profiles in `tests/real-profiles/source/`\n\
         (Debian 12's `apparmor-profiles` and `apparmor-profiles-extra`; see the README there);\n\
         `POLC_DOCS_UPDATE=1 cargo test -p polc --test real_profiles` regenerates it. A source\n\
         rule is counted once per include that reaches it (includes expanded, as AppArmor reads\n\
         them); the profile header (name, attachment, flags) counts as one rule. The classes and\n\
         the table behind them are in [import.md](import.md). Every policy in\n\
         `tests/real-profiles/` checks, compiles for AppArmor, SELinux and Landlock, and\n\
         `apparmor_parser -QK` accepts its AppArmor profile.\n\n\
         | source | package | policy | rules | exact | approximated | not importable | exact |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    doc.push_str(&rows);
    let _ = writeln!(
        doc,
        "| **all {}** | | | **{total}** | **{e}** | **{a}** | **{n}** | **{:.1} %** |\n",
        imports.len(),
        percent(e, total)
    );
    doc.push_str("## Why the other rules are not exact\n\nRules per reason (a rule with several reasons counts under each):\n\n| reason | rules |\n| --- | ---: |\n");
    let mut by_count: Vec<(String, usize)> = reasons.into_iter().collect();
    by_count.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    for (reason, count) in by_count {
        let _ = writeln!(doc, "| {} | {count} |", reason.replace('|', "\\|"));
    }
    compare_or_update(
        &root().join("docs/real-profiles.md"),
        &doc,
        "real_profiles",
        &mut problems,
    );

    // The construct table of docs/import.md.
    let import_doc = std::fs::read_to_string(root().join("docs/import.md")).unwrap_or_default();
    let (start, end) = ("<!-- table:start -->\n", "<!-- table:end -->");
    match (import_doc.find(start), import_doc.find(end)) {
        (Some(s), Some(t)) if s < t => {
            let generated = format!(
                "{}{start}{}{}",
                &import_doc[..s],
                import::table::markdown(),
                &import_doc[t..]
            );
            compare_or_update(
                &root().join("docs/import.md"),
                &generated,
                "real_profiles",
                &mut problems,
            );
        }
        _ => problems
            .push("docs/import.md has no `<!-- table:start -->` ... `<!-- table:end -->`".into()),
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

fn percent(part: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// The minimal SELinux base policy of the backend's tests, compiled: its file contexts
/// and port contexts, for the SELinux backend to resolve paths and ports against.
fn selinux_options(tmp: &Path) -> CompileOptions {
    let fc = support::minimal_base_file_contexts(tmp);
    let ports = Command::new("seinfo")
        .args(["--portcon", "--initialsid", "-x"])
        .arg(tmp.join("base.33"))
        .output()
        .expect("seinfo: apt-get install setools (tests/run-all.sh does)");
    assert!(ports.status.success(), "{ports:?}");
    let pc = tmp.join("ports");
    std::fs::write(&pc, &ports.stdout).unwrap();
    let empty = tmp.join("landlock-root");
    std::fs::create_dir_all(&empty).unwrap();
    CompileOptions {
        selinux_file_contexts: Some(read_selinux_file_contexts(&fc).unwrap()),
        selinux_port_contexts: Some(read_selinux_port_contexts(&pc).unwrap()),
        // Landlock plans globs against a file-system view: an empty directory, so that the
        // test does not depend on the host's files (its globs then match nothing there).
        landlock_root: empty,
        ..CompileOptions::default()
    }
}

#[test]
fn every_policy_compiles_for_every_backend_and_the_tools_accept_it() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = selinux_options(tmp.path());
    let base = root().join("backends/selinux/tests/selinux-base/base.cil");
    let mut failures = Vec::new();
    for file in sources() {
        let path = dir().join(format!("{file}.pol"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let policy = load_text(&format!("tests/real-profiles/{file}.pol"), &text);
        for lsm in [Lsm::AppArmor, Lsm::SeLinux, Lsm::Landlock] {
            let art = match compile(&policy, lsm, &opts) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{file}: {lsm:?}: {e}"));
                    continue;
                }
            };
            match lsm {
                Lsm::AppArmor => {
                    if let Err(e) = polc_apparmor::validate(&art.text) {
                        failures.push(format!(
                            "{file}: apparmor_parser -QK rejects the profile: {e}"
                        ));
                    }
                }
                Lsm::SeLinux => {
                    let module = tmp.path().join(&art.file_name);
                    std::fs::write(&module, &art.text).unwrap();
                    let out = Command::new("secilc")
                        .args(["-M", "false", "-c", "33", "-o"])
                        .arg(tmp.path().join("policy.33"))
                        .arg("-f")
                        .arg(tmp.path().join("fc.out"))
                        .arg(&base)
                        .arg(&module)
                        .output()
                        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
                    if !out.status.success() {
                        failures.push(format!(
                            "{file}: secilc rejects the module: {}",
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
                Lsm::Landlock => {}
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Every file of `tests/import/err/` fails to import with the code its first line
/// (`# expect: CODE`) names, located in the file; every import code has a file.
#[test]
fn every_import_error_code_has_a_file_that_yields_it() {
    let err_dir = root().join("tests/import/err");
    let mut seen = std::collections::BTreeSet::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&err_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: first line `# expect: CODE`", path.display()))
            .trim()
            .to_string();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let resolver = DirResolver {
            dirs: Vec::new(),
            base: err_dir.clone(),
        };
        let e =
            match polc_apparmor::import::import(&name, &text, &resolver, &ImportOptions::default())
            {
                Ok(_) => panic!("{name}: imports, expected {expected}"),
                Err(e) => e,
            };
        assert_eq!(e.kind.code(), expected, "{name}: {e}");
        assert!(e.file.ends_with(&name), "{name}: located in {}", e.file);
        seen.insert(expected);
    }
    for code in ["E0500", "E0501", "E0502", "E0503", "E0504", "E0505"] {
        assert!(
            seen.contains(code),
            "no file in tests/import/err/ yields {code}"
        );
    }
}

/// The command line: `--report json` gives every rule with the library's counts,
/// `--strict` exits 1 after writing the policy, and an import error is located in JSON.
#[test]
fn the_command_reports_in_json_and_strict_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ping.pol");
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(root())
        .args([
            "import",
            "apparmor",
            "-I",
            "tests/real-profiles/source/include",
        ])
        .arg("tests/real-profiles/source/profiles/bin.ping")
        .args(["--report", "json", "--strict", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
    let lib = import_one("bin.ping");
    let (e, a, n) = lib.imported.counts();
    assert_eq!(report["counts"]["exact"], e);
    assert_eq!(report["counts"]["approximated"], a);
    assert_eq!(report["counts"]["not_importable"], n);
    assert_eq!(report["rules"].as_array().unwrap().len(), e + a + n);
    assert!(stderr.contains("error[E0507]"), "{stderr}");
    load_text("ping.pol", &std::fs::read_to_string(&out).unwrap());

    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(root())
        .args(["--error-format", "json", "import", "apparmor"])
        .arg("tests/import/err/e0503-unknown-variable.profile")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["code"], "E0503");
    assert_eq!(
        (err["line"].as_u64(), err["column"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(o.stdout.is_empty(), "nothing is written on an error");
}
