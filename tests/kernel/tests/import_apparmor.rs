//! `polc import apparmor` judged by the AppArmor of Debian's kernel under qemu: for the
//! rules the import report calls exact, the original profile and the imported-then-compiled
//! profile decide the same.
//!
//! The 12 real profiles of `tests/real-profiles/source/` (Debian's `apparmor-profiles` and
//! `apparmor-profiles-extra`) are loaded with their includes by the real `apparmor_parser`
//! in the guest, unchanged but for `complain`, removed from both sides so that the kernel
//! decides (five of them are `flags=(complain)`), beside their imports compiled by polc's
//! AppArmor backend (renamed `imported.NAME`). For a sample of each profile's exact file
//! rules, a path the rule's glob matches and no rule that is not exact can match (a
//! shortest witness of `glob ∖ (globs of the other rules)`), plus a near miss beside it, are
//! created in the guest; `polc-probe` reads, writes and maps each one under the original
//! profile and under the import (entered by `exec NAME` in `/proc/self/attr/exec`), and the
//! two answers must agree. One boot runs every case.
//!
//! The comparison cannot pass vacuously: a copy of a refused read with its expectation
//! flipped must be reported, and so must every read the original allows when run under a
//! deliberately wrong import (`wrong.NAME`: the import plus `deny read` of each sampled
//! path).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::kernel_and_probe;
use polc::command::import::DirResolver;
use polc::import::{self, ImportOptions};
use polc_apparmor::import::{Class, Entry};
use polc_kernel_harness::differential::{observe, Limits, Observed, Pair, Tally};
use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::probe::{workspace_root, Case};
use polc_kernel_harness::vm::Lsm;
use polc_lang::fidelity::Fidelity;
use polc_lang::glob::{region, Emptiness, Glob};
use polc_lang::{load, LoadOptions, Source};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the probe runs from: a path every profile lets map (abstractions/base:
/// `/{usr/,}lib{,32,64}/**.so* mr`), as AppArmor checks the mapping of the executable
/// under the profile entered.
const PROBE: &str = "/usr/lib/polc/polc-probe.so";

/// Exact file rules sampled per profile (evenly spread over the report).
const PER_PROFILE: usize = 25;

/// The operations run on every sampled path.
const OPS: [&str; 3] = ["read", "write", "map-exec"];

/// Paths not sampled: mounted over in the guest (`/proc`, `/sys`, `/dev`), or the guest's
/// own programs, libraries and policies.
const RESERVED: [&str; 11] = [
    "/proc",
    "/sys",
    "/dev",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/etc/apparmor",
    "/etc/apparmor.d",
    "/etc/polc",
    "/usr/lib/polc",
];

/// Directories the guest holds whatever the samples are.
const GUEST_DIRS: [&str; 12] = [
    "/", "/proc", "/sys", "/dev", "/tmp", "/etc", "/sbin", "/usr", "/usr/bin", "/data", "/bin",
    "/usr/lib",
];

/// How much may go unjudged, in percent of the pairs, from the measured run.
const LIMITS: Limits = Limits {
    inconclusive_percent: 5,
    not_compared_percent: 0,
};

fn source_dir() -> PathBuf {
    workspace_root().join("tests/real-profiles/source")
}

/// Every quoted path of an entry's polc statements, as globs (a directory-only path of the
/// v2 syntax loses its `/`); `None` for a quoted path that is no glob.
fn globs(e: &Entry) -> Option<Vec<Glob>> {
    let mut out = Vec::new();
    for line in &e.polc {
        for (i, part) in line.split('"').enumerate() {
            if i % 2 == 1 && part.starts_with('/') {
                let p = if part.len() > 1 {
                    part.trim_end_matches('/')
                } else {
                    part
                };
                out.push(Glob::parse(p).ok()?);
            }
        }
    }
    Some(out)
}

/// A rule that can decide file requests although it carries no path polc can read.
fn pathless_file_rule(e: &Entry) -> bool {
    e.constructs.iter().any(|c| {
        c.starts_with("file")
            || c.starts_with("exec")
            || c.starts_with("path")
            || c.starts_with("link")
    })
}

/// The original profile in enforce mode: five of the twelve are `flags=(complain)`, where
/// the kernel allows everything but `deny` rules and would judge nothing. The flag is the
/// only change; the import loses its `mode complain` the same way ([`enforce_polc`]).
fn enforce_apparmor(text: &str) -> String {
    text.replace("flags=(complain,", "flags=(")
        .replace(" flags=(complain)", "")
}

/// The imported policy without `mode complain`.
fn enforce_polc(text: &str) -> String {
    text.lines()
        .filter(|l| l.trim() != "mode complain")
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A header whose only flag besides `complain` is `attach_disconnected`, which changes the
/// path of disconnected objects only (none is sampled): its rules are still judged.
fn only_attach_disconnected(source: &str) -> bool {
    source.contains("flags=(") && {
        let flags = source
            .split_once("flags=(")
            .and_then(|(_, r)| r.split_once(')'))
            .map_or("", |(f, _)| f);
        flags
            .split([',', ' '])
            .filter(|f| !f.is_empty())
            .all(|f| f == "complain" || f == "attach_disconnected")
    }
}

/// One sampled path, and the exact rule it comes from.
#[derive(Clone, Debug)]
struct Sample {
    path: String,
    /// `FILE:LINE: RULE` of the exact rule, and whether the path is a near miss of it.
    rule: String,
    near: bool,
}

/// A real profile and its import, ready for the guest.
struct Prepared {
    /// The file in `tests/real-profiles/source/profiles/`.
    file: String,
    /// The AppArmor name of the original profile.
    original: String,
    /// Its text, in enforce mode.
    original_text: String,
    /// The name of the compiled import.
    imported: String,
    /// The compiled import.
    profile: String,
    samples: Vec<Sample>,
    /// The name of the deliberately wrong import (reads of the sampled paths denied).
    wrong_name: String,
    /// Its compiled profile.
    wrong: String,
    /// Exact file rules with a path, and those sampled.
    exact_rules: usize,
}

/// The guest's file tree: a sampled path is kept only where it fits beside the others.
#[derive(Default)]
struct Tree {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            files: BTreeSet::new(),
            dirs: GUEST_DIRS.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn ancestors(p: &str) -> Vec<String> {
        let mut v = vec!["/".to_string()];
        let mut cur = String::new();
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            cur.push('/');
            cur.push_str(part);
            v.push(cur.clone());
        }
        v
    }

    /// Add `p` as a file unless it is reserved, a directory already, or below a file.
    fn add(&mut self, p: &str) -> bool {
        let ok_chars = p.chars().all(|c| c.is_ascii_graphic());
        let reserved = RESERVED
            .iter()
            .any(|r| p == *r || p.starts_with(&format!("{r}/")));
        if !ok_chars || reserved || self.dirs.contains(p) {
            return false;
        }
        let anc = Tree::ancestors(p);
        if anc.iter().any(|a| self.files.contains(a)) {
            return false;
        }
        if self.files.insert(p.to_string()) {
            self.dirs.extend(anc);
        }
        true
    }
}

/// Check and compile a polc policy for AppArmor.
fn compile_polc(file: &str, name: &str, text: &str) -> String {
    let policy = load(
        &Source::new(format!("{name}.pol"), text.to_string()),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|f| panic!("{file}: `{name}` does not check: {:?}", f.diagnostics))
    .policy;
    polc_apparmor::compile(&policy, &polc_apparmor::Config::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .text
}

/// A path polc can write as a literal: no glob or variable characters.
fn plain(p: &str) -> bool {
    p.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+~:=%".contains(c))
}

fn prepare(file: &str, tree: &mut Tree) -> Prepared {
    let dir = source_dir();
    let text = std::fs::read_to_string(dir.join("profiles").join(file)).unwrap();
    let resolver = DirResolver {
        dirs: vec![dir.join("include")],
        base: dir.join("profiles"),
    };
    let imp = import::apparmor(file, &text, &resolver, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let name = imp.imported.name.clone();
    let imported = format!("imported.{name}");
    let renamed = enforce_polc(&imp.policy).replacen(
        &format!("policy {name} {{"),
        &format!("policy {imported} {{"),
        1,
    );
    assert_ne!(renamed, imp.policy, "{file}: no `policy {name} {{` line");
    let out = compile_polc(file, &imported, &renamed);

    // The globs of the rules that are not exact: a request they may decide is not compared.
    let own: Vec<&Entry> = imp
        .imported
        .entries
        .iter()
        .filter(|e| e.child.is_none())
        .collect();
    let mut except: Vec<Glob> = Vec::new();
    for e in own.iter().filter(|e| e.class != Class::Exact) {
        // A header that is not exact (flags: `complain` with another flag is not written)
        // may change every decision of the profile.
        if e.constructs.contains(&"flags-other") && !only_attach_disconnected(&e.source) {
            except.push(Glob::parse("/**").unwrap());
            continue;
        }
        match globs(e) {
            Some(g) if !g.is_empty() || !pathless_file_rule(e) => except.extend(g),
            _ => except.push(Glob::parse("/**").unwrap()),
        }
    }
    let except_refs: Vec<&Glob> = except.iter().collect();
    let exact: Vec<(&Entry, Vec<Glob>)> = own
        .iter()
        .filter(|e| e.class == Class::Exact)
        .filter_map(|e| Some((*e, globs(e)?)))
        .filter(|(_, g)| !g.is_empty())
        .collect();
    let step = exact.len().div_ceil(PER_PROFILE).max(1);
    let mut samples = Vec::new();
    for (e, gs) in exact.iter().step_by(step) {
        let rule = format!("{}:{}: {}", e.file, e.line, e.source);
        let g = &gs[0];
        let Emptiness::Witness(p) = region(&[g], &except_refs) else {
            continue;
        };
        if !tree.add(&p) {
            continue;
        }
        samples.push(Sample {
            path: p.clone(),
            rule: rule.clone(),
            near: false,
        });
        let parent = p.rsplit_once('/').map_or("", |(a, _)| a);
        let near = [format!("{p}.polc"), format!("{parent}/polc-near")]
            .into_iter()
            .find(|n| !g.matches(n) && !except.iter().any(|x| x.matches(n)));
        if let Some(n) = near {
            if tree.add(&n) {
                samples.push(Sample {
                    path: n,
                    rule,
                    near: true,
                });
            }
        }
    }
    // The wrong import: the same, refusing to read every sampled path it can name.
    let wrong_name = format!("wrong.{name}");
    let denies: String = samples
        .iter()
        .filter(|s| !s.near && plain(&s.path))
        .map(|s| format!("    deny read \"{}\"\n", s.path))
        .collect();
    let wrong_text = renamed.replacen(
        &format!("policy {imported} {{"),
        &format!("policy {wrong_name} {{"),
        1,
    );
    let wrong_text = match wrong_text.trim_end().strip_suffix('}') {
        Some(body) => format!("{body}{denies}}}\n"),
        None => panic!("{file}: the import does not end with `}}`"),
    };
    let wrong = compile_polc(file, &wrong_name, &wrong_text);
    Prepared {
        wrong_name,
        wrong,
        file: file.to_string(),
        original_text: enforce_apparmor(&text),
        original: imp.imported.source_name.clone(),
        imported,
        profile: out,
        samples,
        exact_rules: exact.len(),
    }
}

fn add_tree(mut g: Guest, host: &Path, guest: &str) -> Guest {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(host)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let at = format!("{guest}/{name}");
        if p.is_dir() {
            g = add_tree(g.dir(&at), &p, &at);
        } else {
            g = g.file(&at, 0o644, &std::fs::read(&p).unwrap());
        }
    }
    g
}

fn case(id: String, profile: &str, op: &str, path: &str) -> Case {
    Case {
        id,
        exec_attr: Some(format!("exec {profile}")),
        exec_path: PROBE.to_string(),
        op: vec![op.to_string(), path.to_string()],
    }
}

#[test]
fn exact_rules_decide_as_the_original_profiles_do() {
    let (k, probe) = kernel_and_probe();
    let mut files: Vec<String> = std::fs::read_dir(source_dir().join("profiles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut tree = Tree::new();
    let prepared: Vec<Prepared> = files.iter().map(|f| prepare(f, &mut tree)).collect();

    let mut g = Guest::new(Lsm::AppArmor, &probe)
        .and_then(Guest::with_apparmor_parser)
        .unwrap_or_else(|e| panic!("cannot set up the AppArmor guest: {e}"))
        .probe_at(PROBE);
    g = add_tree(
        g.dir("/etc/polc/inc"),
        &source_dir().join("include"),
        "/etc/polc/inc",
    );
    for p in &prepared {
        g = g
            .file(
                &format!("/etc/polc/orig/{}", p.file),
                0o644,
                p.original_text.as_bytes(),
            )
            .file(
                &format!("/etc/polc/imp/{}", p.file),
                0o644,
                p.profile.as_bytes(),
            )
            .file(
                &format!("/etc/polc/wrong/{}", p.file),
                0o644,
                p.wrong.as_bytes(),
            );
    }
    for f in &tree.files {
        g = g.file(f, 0o644, b"polc\n");
    }
    g = g
        .setup("apparmor_parser -r -I /etc/polc/inc /etc/polc/orig/*")
        .setup("apparmor_parser -r /etc/polc/imp/*")
        .setup("apparmor_parser -r /etc/polc/wrong/*");

    // Each (sample, operation) under the original and under the import.
    let mut cases = Vec::new();
    let mut keys = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        for (j, s) in p.samples.iter().enumerate() {
            for op in OPS {
                let id = format!("p{i:02}-s{j:03}-{op}");
                cases.push(case(format!("{id}-orig"), &p.original, op, &s.path));
                cases.push(case(format!("{id}-imp"), &p.imported, op, &s.path));
                keys.push((i, j, op, id));
            }
            if !s.near && plain(&s.path) {
                let id = format!("p{i:02}-s{j:03}-read-wrong");
                cases.push(case(id, &p.wrong_name, "read", &s.path));
            }
        }
    }
    let start = std::time::Instant::now();
    let run = g
        .cases(cases.iter().cloned())
        .boot(&k.vmlinuz)
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "apparmor import: one boot, {} cases, {:.1?}",
        cases.len(),
        start.elapsed()
    );

    // The original's answer is the expectation of the import's case.
    let mut tally = Tally::new("apparmor import");
    let mut pairs = Vec::new();
    for (i, j, op, id) in &keys {
        let p = &prepared[*i];
        let s = &p.samples[*j];
        let args = vec![op.to_string(), s.path.clone()];
        let orig = run.results.get(&format!("{id}-orig"));
        let expected = match orig.map(|o| observe(&args, o)) {
            Some(Observed::Allowed) => true,
            Some(Observed::Refused) => false,
            _ => {
                tally.inconclusive.push(format!(
                    "{id}-orig: {orig:?} ({} under `{}`)",
                    s.path, p.original
                ));
                continue;
            }
        };
        pairs.push(Pair {
            case: case(format!("{id}-imp"), &p.imported, op, &s.path),
            policy: format!(
                "original `{}` ({}), import `{}`; exact rule {}{}",
                p.original,
                p.file,
                p.imported,
                s.rule,
                if s.near { " (a near miss of it)" } else { "" }
            ),
            expected,
            fidelity: Fidelity::Exact,
            requests: format!("{op} {} (the original: {orig:?})", s.path),
            deliberately_wrong: false,
            known_gap: None,
        });
    }
    // Self-checks: the flipped copy of a refused read, judged against the import's own
    // outcome; and every read the original allows, under the wrong import, which refuses it.
    pairs.extend(common::deliberately_wrong(&pairs).map(|mut w| {
        w.case.id = w.case.id.replace("-deliberately-wrong", "");
        w
    }));
    let wrong: Vec<Pair> = pairs
        .iter()
        .filter(|p| p.expected && p.case.op[0] == "read" && !p.deliberately_wrong)
        .filter_map(|p| {
            let id = p.case.id.replace("-imp", "-wrong");
            let i: usize = id.get(1..3)?.parse().ok()?;
            run.results.contains_key(&id).then(|| {
                let mut w = p.clone();
                w.case = case(id, &prepared[i].wrong_name, "read", &p.case.op[1]);
                w.deliberately_wrong = true;
                w
            })
        })
        .collect();
    pairs.extend(wrong);
    tally.judge_all(&pairs, &run.results);

    let allowed = pairs
        .iter()
        .filter(|p| p.expected && !p.deliberately_wrong)
        .count();
    for p in &prepared {
        println!(
            "  {}: {} exact file rules, {} paths sampled",
            p.file,
            p.exact_rules,
            p.samples.len()
        );
    }
    println!(
        "apparmor import: {} requests compared ({} allowed by the original), {} agreed, {} disagreed, {} inconclusive",
        tally.equal,
        allowed,
        tally.equal - tally.mismatches.len().min(tally.equal),
        tally.mismatches.len(),
        tally.inconclusive.len()
    );
    common::conclude(&tally, 300, LIMITS);
}
