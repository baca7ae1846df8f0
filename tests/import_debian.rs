//! Every profile of Debian's `apparmor-profiles` and `apparmor-profiles-extra`, as the
//! packages install them (`/etc/apparmor.d` and `/usr/share/apparmor/extra-profiles`,
//! includes from `/etc/apparmor.d`), through `polc import apparmor`:
//!
//! - every profile imports without an error, and its policy checks;
//! - every policy compiles for AppArmor, and `apparmor_parser -QK` accepts the profile;
//! - `docs/import-debian.md` (per profile: source rules, includes expanded, exact /
//!   approximated / not importable, and the totals) and the summary of it in
//!   `docs/import.md` are what the import gives today.
//!
//! The profiles are the files the two packages list (`/var/lib/dpkg/info/PACKAGE.list`):
//! a package that is not installed fails the test with what to install
//! (`tests/run-all.sh` installs both). `POLC_DOCS_UPDATE=1 cargo test -p polc --test
//! import_debian` rewrites the documents; review `git diff` before committing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;
use support::{compare_or_update, root};

use polc::command::import::DirResolver;
use polc::compile::{compile, CompileOptions};
use polc::import::{self, Import, ImportOptions};
use polc::{load, LoadOptions, Lsm, Source};
use polc_apparmor::import::Class;
use polc_apparmor::Parser;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The packages whose profiles are imported.
const PACKAGES: [&str; 2] = ["apparmor-profiles", "apparmor-profiles-extra"];

/// Where the packages put profiles (files directly in these directories).
const PROFILE_DIRS: [&str; 2] = ["/etc/apparmor.d", "/usr/share/apparmor/extra-profiles"];

/// The include directory of every profile (the `apparmor` package's abstractions and
/// tunables, the packages' `local/` files).
const INCLUDE_DIR: &str = "/etc/apparmor.d";

const INSTALL: &str = "apt-get install apparmor apparmor-profiles apparmor-profiles-extra \
     (tests/run-all.sh installs them)";

/// One profile file of a package.
struct Profile {
    path: PathBuf,
    /// `apparmor-profiles 3.0.8-3`.
    package: String,
}

/// The installed version of a Debian package, or a failure saying what to install.
fn version(package: &str) -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status} ${Version}", package])
        .output()
        .unwrap_or_else(|e| panic!("dpkg-query: {e}: the test reads Debian's package database"));
    let text = String::from_utf8_lossy(&out.stdout);
    match text.split_once(' ') {
        Some(("installed", v)) if out.status.success() => v.to_string(),
        _ => panic!("the Debian package `{package}` is not installed: {INSTALL}"),
    }
}

/// Every profile file the packages installed, sorted by path.
fn profiles() -> Vec<Profile> {
    let mut v = Vec::new();
    for package in PACKAGES {
        let label = format!("{package} {}", version(package));
        let list = format!("/var/lib/dpkg/info/{package}.list");
        let text =
            std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{list}: {e}: {INSTALL}"));
        for line in text.lines() {
            let path = Path::new(line);
            let in_dir = PROFILE_DIRS
                .iter()
                .any(|d| path.parent() == Some(Path::new(d)));
            if !in_dir || path.file_name().is_some_and(|n| n == "README") {
                continue;
            }
            if path.is_dir() {
                continue;
            }
            assert!(
                path.is_file(),
                "{line} of {package} is missing: reinstall it (apt-get install --reinstall {package})"
            );
            v.push(Profile {
                path: path.to_path_buf(),
                package: label.clone(),
            });
        }
    }
    v.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(
        v.len() >= 100,
        "expected the profiles of {PACKAGES:?}, found {}: {INSTALL}",
        v.len()
    );
    v
}

/// What one profile gave: the import, and the compiled AppArmor profile.
struct Outcome {
    import: Import,
    apparmor: String,
}

/// Import, check and compile one profile; an error says which step failed.
fn one(p: &Profile) -> Result<Outcome, String> {
    let shown = p.path.display().to_string();
    let text = std::fs::read_to_string(&p.path).map_err(|e| format!("{shown}: {e}"))?;
    let resolver = DirResolver {
        dirs: vec![PathBuf::from(INCLUDE_DIR)],
        base: p.path.parent().unwrap_or(Path::new("/")).to_path_buf(),
    };
    let import =
        import::apparmor(&shown, &text, &resolver, &ImportOptions::default()).map_err(|e| {
            format!(
                "{shown}: import fails: {}:{}:{}: {e}",
                e.file, e.line, e.column
            )
        })?;
    let policy = load(
        &Source::new(
            format!("{}.pol", import.imported.name),
            import.policy.clone(),
        ),
        &LoadOptions::default(),
    )
    .map_err(|f| {
        format!(
            "{shown}: the imported policy does not check: {:?}",
            f.diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code.as_str(), d.message))
                .collect::<Vec<_>>()
        )
    })?
    .policy;
    let art = compile(&policy, Lsm::AppArmor, &CompileOptions::default())
        .map_err(|e| format!("{shown}: does not compile for AppArmor: {e}"))?;
    Ok(Outcome {
        import,
        apparmor: art.text,
    })
}

/// [`one`] over every profile, on every core.
fn all(profiles: &[Profile]) -> Vec<Result<Outcome, String>> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per = profiles.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = profiles
            .chunks(per)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn percent(part: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// The per-profile table, the totals and the reasons.
fn document(
    profiles: &[Profile],
    outcomes: &[&Outcome],
    packages: &[String],
    includes: &str,
) -> String {
    let mut doc = format!(
        "# Every Debian profile: what `polc import apparmor` makes of them\n\n\
         Generated by `tests/import_debian.rs` from every profile of\n{} as the packages\n\
         install them (`/etc/apparmor.d`, `/usr/share/apparmor/extra-profiles`; includes from\n\
         `/etc/apparmor.d`, of `{includes}`, with the empty `local/` files the\n\
         packages create); `POLC_DOCS_UPDATE=1 cargo test -p polc --test import_debian`\n\
         regenerates it. A source rule is counted once per include that reaches it (includes\n\
         expanded, as AppArmor reads them); the profile header (name, attachment, flags) counts\n\
         as one rule. The classes are in [import.md](import.md). Every profile imports, its\n\
         policy checks and compiles for AppArmor, and `apparmor_parser -QK` accepts the\n\
         compiled profile.\n\n\
         | source | package | policy | rules | exact | approximated | not importable | exact |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
        packages
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (p, o) in profiles.iter().zip(outcomes) {
        let (e, a, n) = o.import.imported.counts();
        let total = e + a + n;
        let _ = writeln!(
            doc,
            "| `{}` | {} | `{}` | {total} | {e} | {a} | {n} | {:.1} % |",
            p.path.display(),
            p.package.split(' ').next().unwrap_or_default(),
            o.import.imported.name,
            percent(e, total)
        );
        for entry in &o.import.imported.entries {
            if entry.class != Class::Exact {
                for part in entry.note.split("; ") {
                    *reasons.entry(part.to_string()).or_default() += 1;
                }
            }
        }
    }
    let (total, e, a, n) = import::totals(outcomes.iter().map(|o| &o.import.imported));
    let _ = writeln!(
        doc,
        "| **all {}** | | | **{total}** | **{e}** | **{a}** | **{n}** | **{:.1} %** |\n",
        outcomes.len(),
        percent(e, total)
    );
    doc.push_str(
        "## Why the other rules are not exact\n\n\
         Rules per reason (a rule with several reasons counts under each):\n\n\
         | reason | rules |\n| --- | ---: |\n",
    );
    let mut by_count: Vec<(String, usize)> = reasons.into_iter().collect();
    by_count.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    for (reason, count) in by_count {
        let _ = writeln!(doc, "| {} | {count} |", reason.replace('|', "\\|"));
    }
    doc
}

/// The summary paragraph of `docs/import.md`.
fn summary(outcomes: &[&Outcome], packages: &[String], includes: &str) -> String {
    let (total, e, a, n) = import::totals(outcomes.iter().map(|o| &o.import.imported));
    format!(
        "Over every profile of Debian 12's\n{} ({} files; includes from `/etc/apparmor.d`, of `{includes}`),\n\
         measured by `tests/import_debian.rs` on every test run: all {} import, their policies\n\
         check and compile for AppArmor, and `apparmor_parser -QK` accepts every compiled\n\
         profile; {total} source rules, includes expanded: {e} exact ({:.1} %), {a}\n\
         approximated ({:.1} %), {n} not importable ({:.1} %). The table per profile is in\n\
         [import-debian.md](import-debian.md).\n",
        packages
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(" and "),
        outcomes.len(),
        outcomes.len(),
        percent(e, total),
        percent(a, total),
        percent(n, total),
    )
}

#[test]
fn every_debian_profile_imports_checks_compiles_and_the_docs_match() {
    let start = Instant::now();
    let profiles = profiles();
    let packages: Vec<String> = PACKAGES
        .iter()
        .map(|p| format!("{p} {}", version(p)))
        .collect();
    // The includes (abstractions, tunables) are the `apparmor` package's.
    let includes = format!("apparmor {}", version("apparmor"));
    let results = all(&profiles);
    let imported = start.elapsed();
    let mut problems: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    let outcomes: Vec<&Outcome> = results.iter().filter_map(|r| r.as_ref().ok()).collect();

    // The real parser accepts every compiled profile (in batches, on every core).
    let parser = Parser::find()
        .unwrap_or_else(|e| panic!("{e}: {INSTALL}"))
        .kernel_features("/etc/apparmor.d/abi/3.0");
    let texts: Vec<&str> = outcomes.iter().map(|o| o.apparmor.as_str()).collect();
    let verdicts = parser
        .validate_all(&texts)
        .unwrap_or_else(|e| panic!("apparmor_parser: {e}"));
    for (p, v) in profiles.iter().zip(verdicts) {
        if let Err(e) = v {
            problems.push(format!(
                "{}: apparmor_parser -QK rejects the compiled profile: {e}",
                p.path.display()
            ));
        }
    }
    println!(
        "{} profiles: imported, checked and compiled in {imported:.1?}, validated by apparmor_parser in {:.1?}",
        profiles.len(),
        start.elapsed() - imported
    );

    compare_or_update(
        &root().join("docs/import-debian.md"),
        &document(&profiles, &outcomes, &packages, &includes),
        "import_debian",
        &mut problems,
    );
    let path = root().join("docs/import.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (open, close) = ("<!-- debian:start -->\n", "<!-- debian:end -->");
    match (doc.find(open), doc.find(close)) {
        (Some(s), Some(t)) if s < t => {
            let generated = format!(
                "{}{open}{}{}",
                &doc[..s],
                summary(&outcomes, &packages, &includes),
                &doc[t..]
            );
            compare_or_update(&path, &generated, "import_debian", &mut problems);
        }
        _ => problems
            .push("docs/import.md has no `<!-- debian:start -->` ... `<!-- debian:end -->`".into()),
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
