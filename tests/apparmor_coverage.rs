//! polc's abstractions measured against AppArmor's on this machine (issue 13).
//!
//! For each pair of `tests/apparmor-coverage.txt` (polc abstractions, an AppArmor
//! abstraction) whose polc abstractions exist:
//!
//! - AppArmor's side is `/etc/apparmor.d/abstractions/NAME`, wrapped in a profile and
//!   turned into polc rules by the importer (`polc import apparmor`, includes through
//!   the CLI's `DirResolver`); polc's side is `policy measure { use NAME, ... }`: one
//!   abstraction, or the set a user writes for what AppArmor's one grants
//!   (`nameservice+ssl-certs`);
//! - every file of a bounded walk of this machine is decided by the evaluator on both
//!   sides, for `read` and `write`, as a process that owns the file;
//! - the test asserts that polc grants no file, for any right, that a `deny` rule of
//!   AppArmor's abstraction refuses (on the files walked, and on a shortest path in each
//!   overlap of a polc allow and an AppArmor deny), and that the coverage is at least
//!   the pair's floor;
//! - `docs/abstractions.md` ("Measured against AppArmor") holds the table. The numbers
//!   depend on the host's files, so without `POLC_DOCS_UPDATE=1` only what does not is
//!   compared: the pairs measured, the pairs not yet written and the floors.
//!
//! `POLC_DOCS_UPDATE=1 cargo test -p polc --test apparmor_coverage` rewrites the table
//! and raises the floors of the data file (never lowers them); review `git diff`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;
use support::{root, updating};

use polc::command::import::DirResolver;
use polc::import::{self, ImportOptions};
use polc::lang::eval::evaluate;
use polc::lang::glob::is_valid_path;
use polc::lang::ir::Effect;
use polc::{load, LoadOptions, Policy, Reason, Request, Right, Source};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Where AppArmor's abstractions are read from.
const APPARMOR_DIR: &str = "/etc/apparmor.d";
/// At most this many files under one root, and in all.
const MAX_PER_ROOT: usize = 100_000;
const MAX_FILES: usize = 300_000;
/// Directories deeper than this below a root are not walked.
const MAX_DEPTH: usize = 24;
/// A floor is the measured coverage less this many points.
const FLOOR_MARGIN: u32 = 10;
/// One file in this many of those some rule may match is also decided on the whole
/// policies, to check the reduction that makes the measure fast.
const CROSS_CHECK: usize = 101;
/// Examples shown per kind and pair.
const EXAMPLES: usize = 3;
const START: &str = "<!-- coverage:start -->\n";
const END: &str = "<!-- coverage:end -->";

/// One line of `tests/apparmor-coverage.txt`.
#[derive(Clone, Debug)]
struct Pair {
    /// The polc abstractions the policy of polc's side uses (`a+b` in the file).
    polc: Vec<String>,
    apparmor: String,
    floor: Option<u32>,
}

/// The data file's lines, each with its pair if it holds one.
fn read_pairs() -> Vec<(String, Option<Pair>)> {
    let path = root().join("tests/apparmor-coverage.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                return (line.to_string(), None);
            }
            let f: Vec<&str> = t.split_whitespace().collect();
            let floor = match f.get(2) {
                None | Some(&"-") => None,
                Some(s) => Some(s.parse().unwrap_or_else(|_| {
                    panic!("tests/apparmor-coverage.txt:{}: floor `{s}`", i + 1)
                })),
            };
            assert!(
                f.len() == 2 || f.len() == 3,
                "tests/apparmor-coverage.txt:{}: `POLC APPARMOR [FLOOR]`",
                i + 1
            );
            let pair = Pair {
                polc: f[0].split('+').map(str::to_string).collect(),
                apparmor: f[1].to_string(),
                floor,
            };
            (line.to_string(), Some(pair))
        })
        .collect()
}

fn pair_line(p: &Pair) -> String {
    let floor = p.floor.map_or("-".to_string(), |f| f.to_string());
    format!("{:<21} {:<23} {floor}", p.polc.join("+"), p.apparmor)
}

/// The polc side of a pair as the page and the messages show it: `` `a` + `b` ``.
fn polc_shown(p: &Pair) -> String {
    p.polc
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The roots walked: (path, recursive). A missing root is skipped.
fn roots() -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = [
        "/etc",
        "/usr/bin",
        "/usr/sbin",
        "/usr/lib",
        "/usr/lib32",
        "/usr/lib64",
        "/usr/libexec",
        "/usr/local",
        "/usr/share",
        "/opt",
        "/var/lib",
        "/var/cache",
        "/var/tmp",
        "/tmp",
        "/run",
        "/home",
        "/dev",
        "/sys/devices/system/cpu",
        "/sys/devices/system/node",
        "/proc/sys",
    ]
    .iter()
    .map(|r| (r.to_string(), true))
    .collect();
    // The files directly in /proc (meminfo, cpuinfo...), and this process's own
    // directory under its number, as the kernel names it to AppArmor (not /proc/self).
    v.push(("/proc".to_string(), false));
    v.push((format!("/proc/{}", std::process::id()), true));
    v
}

/// The files (everything but directories; symbolic links as links, not followed) under
/// the roots, in walk order, and the count per root.
fn walk() -> (Vec<String>, Vec<(String, usize)>) {
    let mut files = Vec::new();
    let mut counts = Vec::new();
    for (r, recursive) in roots() {
        if !Path::new(&r).is_dir() {
            continue;
        }
        let before = files.len();
        let mut stack = vec![(r.clone(), 0usize)];
        'walk: while let Some((dir, depth)) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut entries: Vec<(String, bool)> = rd
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    let is_dir = e.file_type().ok()?.is_dir();
                    Some((name, is_dir))
                })
                .collect();
            entries.sort();
            let mut subdirs = Vec::new();
            for (name, is_dir) in entries {
                let path = if dir == "/" {
                    format!("/{name}")
                } else {
                    format!("{dir}/{name}")
                };
                if !is_valid_path(&path) {
                    continue;
                }
                if is_dir {
                    if recursive && depth < MAX_DEPTH {
                        subdirs.push(path);
                    }
                } else {
                    files.push(path);
                    if files.len() - before >= MAX_PER_ROOT || files.len() >= MAX_FILES {
                        break 'walk;
                    }
                }
            }
            stack.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
        }
        counts.push((r, files.len() - before));
        if files.len() >= MAX_FILES {
            break;
        }
    }
    (files, counts)
}

fn load_text(name: &str, text: &str) -> Policy {
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

/// AppArmor's abstraction `name` as polc IR, and how many of its rules the importer
/// could not state.
fn apparmor_side(dir: &Path, name: &str) -> (Policy, usize) {
    let file = dir.join("abstractions").join(name);
    assert!(
        file.is_file(),
        "{} is missing: the measure reads the host's AppArmor abstractions \
         (apt-get install apparmor; tests/run-all.sh does)",
        file.display()
    );
    let wrapped = format!(
        "include <tunables/global>\nprofile measure {{\n  include <abstractions/{name}>\n}}\n"
    );
    let resolver = DirResolver {
        dirs: vec![dir.to_path_buf()],
        base: dir.to_path_buf(),
    };
    let shown = format!("abstractions/{name} (wrapped in a profile)");
    let imp = import::apparmor(&shown, &wrapped, &resolver, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{shown}: {}:{}:{}: {e}", e.file, e.line, e.column));
    let (_, _, not_importable) = imp.imported.counts();
    (load_text(&shown, &imp.policy), not_importable)
}

fn polc_side(names: &[String]) -> Policy {
    let names = names.join(", ");
    load_text(
        &format!("policy using {names}"),
        &format!("policy measure {{\n    use {names}\n}}\n"),
    )
}

/// The file rules of a policy that may match a path below a directory, by directory.
struct Below<'a> {
    policy: &'a Policy,
    /// `policy` without its file rules.
    empty: Policy,
    /// Directory → indices in `policy.files`.
    cache: HashMap<String, Vec<usize>>,
}

impl<'a> Below<'a> {
    fn new(policy: &'a Policy) -> Self {
        Below {
            policy,
            empty: without_files(policy),
            cache: HashMap::new(),
        }
    }

    /// Indices of the rules that may match a path below `dir`: those of its parent's
    /// that may match below it ([`polc::lang::glob::Glob::may_match_below`]).
    fn rules(&mut self, dir: &str) -> Vec<usize> {
        if let Some(v) = self.cache.get(dir) {
            return v.clone();
        }
        let from = if dir == "/" {
            (0..self.policy.files.len()).collect()
        } else {
            self.rules(parent(dir))
        };
        let v: Vec<usize> = from
            .into_iter()
            .filter(|&i| self.policy.files[i].glob.may_match_below(dir))
            .collect();
        self.cache.insert(dir.to_string(), v.clone());
        v
    }

    /// The policy with only the file rules that may match a path below `dir`: the
    /// evaluator decides every file of `dir` on it as on the whole policy, since a rule
    /// that matches no such path takes part in no decision there.
    fn policy(&mut self, dir: &str) -> Policy {
        let files = self
            .rules(dir)
            .into_iter()
            .map(|i| self.policy.files[i].clone())
            .collect();
        Policy {
            files,
            ..self.empty.clone()
        }
    }
}

fn without_files(p: &Policy) -> Policy {
    Policy {
        files: Vec::new(),
        ..p.clone()
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn allowed(p: &Policy, path: &str, right: Right) -> bool {
    evaluate(p, &Request::owned_file(path, right)).allowed
}

/// Where a file is, for counting: its directory, cut to three components
/// (`/usr/lib/python3/dist-packages/x.py` → `/usr/lib/python3`).
fn area(path: &str) -> String {
    let dir = parent(path);
    match dir.match_indices('/').nth(3) {
        Some((i, _)) => dir[..i].to_string(),
        None => dir.to_string(),
    }
}

/// The areas with the most accesses, most first, with their counts.
fn top_areas(counts: &HashMap<String, usize>) -> String {
    let mut v: Vec<(&String, &usize)> = counts.iter().collect();
    v.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
    if v.is_empty() {
        return "—".to_string();
    }
    v.iter()
        .take(EXAMPLES)
        .map(|(d, n)| format!("{} {n}", shown(d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps `path` as a candidate example; the first thousand are enough to choose from.
fn candidate(list: &mut Vec<String>, path: &str) {
    if list.len() < 1000 {
        list.push(path.to_string());
    }
}

/// A few of `paths` (each once): from different directories first.
fn examples(paths: &[String]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in paths {
        if v.len() < EXAMPLES && v.iter().all(|e| parent(e) != parent(p)) {
            v.push(p.clone());
        }
    }
    for p in paths {
        if v.len() < EXAMPLES && !v.contains(p) {
            v.push(p.clone());
        }
    }
    v
}

/// The measure of one pair.
#[derive(Default)]
struct Measure {
    /// Files AppArmor grants `read`, and `write`.
    read: usize,
    write: usize,
    /// Of those (file, right) grants, the ones polc grants too.
    both: usize,
    /// (file, right) grants of polc that AppArmor does not make.
    polc_only: usize,
    polc_only_examples: Vec<String>,
    /// (file, right) grants of AppArmor that polc does not make, by [`area`].
    apparmor_only_dirs: HashMap<String, usize>,
    /// Accesses polc grants that an AppArmor `deny` rule refuses.
    denied: Vec<String>,
    /// AppArmor rules the importer could not state.
    not_imported: usize,
}

impl Measure {
    fn granted(&self) -> usize {
        self.read + self.write
    }

    /// Coverage in percent, if AppArmor grants anything here.
    fn coverage(&self) -> Option<f64> {
        (self.granted() > 0).then(|| self.both as f64 * 100.0 / self.granted() as f64)
    }
}

/// Decides `files` on AppArmor's side `aa` and polc's side `polc`.
fn measure(aa: &Policy, polc: &Policy, files: &[String]) -> Measure {
    let mut m = Measure::default();
    let (mut aa_below, mut polc_below) = (Below::new(aa), Below::new(polc));
    let mut seen = 0usize;
    // The walk gives the files of a directory one after the other.
    for group in files.chunk_by(|x, y| parent(x) == parent(y)) {
        let Some(dir) = group.first().map(|f| parent(f)) else {
            continue;
        };
        let (aa_dir, polc_dir) = (aa_below.policy(dir), polc_below.policy(dir));
        if aa_dir.files.is_empty() && polc_dir.files.is_empty() {
            continue;
        }
        let denies = aa_dir.files.iter().any(|f| f.effect == Effect::Deny);
        for path in group {
            seen += 1;
            for right in [Right::Read, Right::Write] {
                let a = allowed(&aa_dir, path, right);
                let p = allowed(&polc_dir, path, right);
                // Now and then, the whole policies decide the same: the reduction to
                // the rules that may match below the directory changes no decision.
                if seen % CROSS_CHECK == 1 {
                    assert_eq!(
                        (allowed(aa, path, right), allowed(polc, path, right)),
                        (a, p),
                        "{} {path}: the rules that may match below {dir} decide otherwise",
                        right.name()
                    );
                }
                match (a, p) {
                    (true, true) => m.both += 1,
                    (true, false) => {
                        *m.apparmor_only_dirs.entry(area(path)).or_default() += 1;
                    }
                    (false, true) => {
                        m.polc_only += 1;
                        candidate(&mut m.polc_only_examples, path);
                    }
                    (false, false) => {}
                }
                if a {
                    match right {
                        Right::Read => m.read += 1,
                        _ => m.write += 1,
                    }
                }
            }
            if denies {
                check_denied(&aa_dir, &polc_dir, path, &mut m.denied);
            }
        }
    }
    // Beyond this machine's files: a shortest path in each overlap of a polc allow
    // rule and an AppArmor deny rule with a common right.
    for d in aa.files.iter().filter(|f| f.effect == Effect::Deny) {
        for a in polc.files.iter().filter(|f| f.effect == Effect::Allow) {
            if d.rights.intersection(a.rights).is_empty() {
                continue;
            }
            if let Some(w) = a.glob.intersection_witness(&d.glob) {
                check_denied(aa, polc, &w, &mut m.denied);
            }
        }
    }
    m.denied.sort();
    m.denied.dedup();
    m.polc_only_examples = examples(&m.polc_only_examples);
    m
}

/// Records each right on `path` that AppArmor's deny rules refuse and polc grants.
fn check_denied(aa: &Policy, polc: &Policy, path: &str, out: &mut Vec<String>) {
    for right in Right::ALL {
        let d = evaluate(aa, &Request::owned_file(path, right));
        if d.reason == Reason::Denied && allowed(polc, path, right) {
            out.push(format!("{} {path}", right.name()));
        }
    }
}

/// A path as the page shows it: in code, without `|`, and this process's number as
/// `PID`, so that a regeneration changes no line for the process number.
fn shown(path: &str) -> String {
    let own = format!("/proc/{}", std::process::id());
    let path = match path.strip_prefix(&own) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/proc/PID{rest}"),
        _ => path.to_string(),
    };
    format!("`{}`", path.replace('|', "\\|"))
}

fn code_list(v: &[String]) -> String {
    if v.is_empty() {
        "—".to_string()
    } else {
        v.iter().map(|s| shown(s)).collect::<Vec<_>>().join(", ")
    }
}

/// The host, for the "Measured on" line.
fn host() -> String {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "an unknown system".to_string());
    let parser = Command::new("apparmor_parser")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no apparmor_parser".to_string());
    format!("{os}, {parser}")
}

/// What of the generated section does not depend on the host: every line but the
/// "Measured on" one, and of each table row its pair and its floor.
fn stable(section: &str) -> Vec<String> {
    section
        .lines()
        .filter(|l| !l.starts_with("Measured on"))
        .map(|l| {
            if l.starts_with("| `") {
                let cells: Vec<&str> = l.split(" | ").collect();
                format!(
                    "{} | {} | floor {}",
                    cells.first().unwrap_or(&""),
                    cells.get(1).unwrap_or(&""),
                    cells.get(5).unwrap_or(&"")
                )
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// The text before the table.
const INTRO: &[&str] = &[
    "Generated by `tests/apparmor_coverage.rs` from the pairs in `tests/apparmor-coverage.txt`;",
    "`POLC_DOCS_UPDATE=1 cargo test -p polc --test apparmor_coverage` regenerates it on the",
    "machine it runs on.",
    "",
    "For each pair, AppArmor's abstraction is read from this machine's `/etc/apparmor.d`,",
    "wrapped in a profile (with `tunables/global`) and turned into polc rules by",
    "`polc import apparmor` ([import.md](import.md)); polc's side is a policy that `use`s the",
    "abstraction, or the abstractions joined by `+` (what a user writes together for what",
    "AppArmor's one grants: see below the table). Both are then decided by polc's",
    "evaluator, the reference semantics, on the same files: everything but directories",
    "(symbolic links as links, not followed) under",
    "`/etc`, `/usr/{bin,sbin,lib,lib32,lib64,libexec,local,share}`, `/opt`,",
    "`/var/{lib,cache,tmp}`, `/tmp`, `/run`, `/home`, `/dev`, `/sys/devices/system/{cpu,node}`,",
    "`/proc/sys`, the files directly in `/proc` and the test's own `/proc/PID` (at most",
    "100,000 files per root and 300,000 in all), for `read` and for `write`, as a process",
    "that owns the file (so `owner` rules count, on both sides).",
    "",
    "- **AppArmor grants**: the (file, right) accesses AppArmor's abstraction allows, with the",
    "  number of files it lets read (r) and write (w); **both**: those polc's allows too;",
    "  **coverage** = both / AppArmor grants.",
    "- **AppArmor only, most in**: the directories (cut to three components) that hold",
    "  the most accesses AppArmor's abstraction allows and polc's does not, with their count.",
    "- **polc only**: the accesses polc's abstraction allows and AppArmor's does not, with a",
    "  few of their files.",
    "- **denied**: the accesses polc's abstraction allows that a `deny` rule of AppArmor's",
    "  refuses, on these files and on a shortest path in each overlap of a polc allow rule",
    "  and an AppArmor deny rule. The test fails unless it is 0.",
    "- **not imported**: AppArmor rules the importer cannot state (mostly directory-only",
    "  rights, unix sockets, D-Bus and ptrace: see [real-profiles.md](real-profiles.md)); they",
    "  grant nothing here.",
    "- **floor**: the coverage the test requires (`tests/apparmor-coverage.txt`). The files,",
    "  hence the figures, depend on the machine: without `POLC_DOCS_UPDATE=1` the test",
    "  compares with this page only what does not, the pairs measured, the pairs not yet",
    "  written and the floors. The update raises a floor to the measured coverage less 10",
    "  points and never lowers one.",
    "",
    "The goal (issue 13) is a coverage of at least 90 % with nothing denied.",
];

#[test]
fn polc_abstractions_against_apparmor_on_this_host() {
    let lines = read_pairs();
    let (files, counts) = walk();
    assert!(
        files.len() > 1000,
        "the walk found only {} files under {:?}",
        files.len(),
        roots()
    );
    let mut problems = Vec::new();
    let mut rows = String::new();
    let mut not_written = Vec::new();
    let mut new_lines = Vec::new();
    for (line, pair) in &lines {
        let Some(pair) = pair else {
            new_lines.push(line.clone());
            continue;
        };
        if pair
            .polc
            .iter()
            .any(|n| polc::lang::stdlib::get(n).is_none())
        {
            not_written.push(format!("{} ↔ `{}`", polc_shown(pair), pair.apparmor));
            new_lines.push(line.clone());
            continue;
        }
        let (aa, not_imported) = apparmor_side(Path::new(APPARMOR_DIR), &pair.apparmor);
        let m = Measure {
            not_imported,
            ..measure(&aa, &polc_side(&pair.polc), &files)
        };
        let coverage = m.coverage();
        let mut floor = pair.floor;
        if let (Some(c), Some(f)) = (coverage, pair.floor) {
            if c < f64::from(f) {
                problems.push(format!(
                    "{} covers {c:.1} % of what AppArmor's `{}` grants on this machine, below its floor of {f} % (tests/apparmor-coverage.txt)",
                    polc_shown(pair), pair.apparmor
                ));
            }
        }
        if updating() {
            if let Some(c) = coverage {
                let measured = (c.floor() as u32).saturating_sub(FLOOR_MARGIN);
                floor = Some(floor.map_or(measured, |f| f.max(measured)));
            }
        }
        if !m.denied.is_empty() {
            problems.push(format!(
                "{} grants what AppArmor's `{}` denies: {}",
                polc_shown(pair),
                pair.apparmor,
                m.denied.join(", ")
            ));
        }
        let _ = writeln!(
            rows,
            "| {} | `{}` | {} ({} r, {} w) | {} | {} | {} | {} | {} | {} | {} | {} |",
            polc_shown(pair),
            pair.apparmor,
            m.granted(),
            m.read,
            m.write,
            m.both,
            coverage.map_or("—".to_string(), |c| format!("{c:.1} %")),
            floor.map_or("—".to_string(), |f| format!("{f} %")),
            m.polc_only,
            m.denied.len(),
            m.not_imported,
            top_areas(&m.apparmor_only_dirs),
            code_list(&m.polc_only_examples),
        );
        new_lines.push(pair_line(&Pair {
            floor,
            ..pair.clone()
        }));
    }

    let mut section = INTRO.join("\n");
    section.push_str(
        "\n\n| polc | AppArmor | AppArmor grants | both | coverage | floor | polc only | denied | not imported | AppArmor only, most in | polc only, e.g. |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n",
    );
    section.push_str(&rows);
    if !not_written.is_empty() {
        let _ = write!(
            section,
            "\nNot yet written (paired, measured once the polc abstraction exists): {}.\n",
            not_written.join(", ")
        );
    }
    let walked = counts
        .iter()
        .map(|(r, n)| format!("{} {n}", shown(r)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        section,
        "\nMeasured on {}: {} files ({walked}).\n",
        host(),
        files.len()
    );

    let doc_path = root().join("docs/abstractions.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    match (doc.find(START), doc.find(END)) {
        (Some(s), Some(t)) if s < t => {
            let committed = &doc[s + START.len()..t];
            if updating() {
                let new = format!("{}{START}{section}{}", &doc[..s], &doc[t..]);
                if new != doc {
                    std::fs::write(&doc_path, new).unwrap();
                }
                let mut data = new_lines.join("\n");
                data.push('\n');
                std::fs::write(root().join("tests/apparmor-coverage.txt"), data).unwrap();
            } else {
                let (old, new) = (stable(committed), stable(&section));
                if old != new {
                    let at = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
                    problems.push(format!(
                        "docs/abstractions.md does not list the pairs and floors this test measures \
                         (the page has `{}` where the test has `{}`); run \
                         `POLC_DOCS_UPDATE=1 cargo test -p polc --test apparmor_coverage` and review the diff",
                        old.get(at).map_or("(the end)", String::as_str),
                        new.get(at).map_or("(the end)", String::as_str),
                    ));
                }
            }
        }
        _ => problems.push(format!(
            "docs/abstractions.md has no `{}` ... `{END}`",
            START.trim_end()
        )),
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The measure on made-up abstractions: what each side grants, and a `deny` of
/// AppArmor's that polc's abstraction overrides, found on a file of the list and on a
/// path that is not in it.
#[test]
fn the_measure_counts_both_ways_and_finds_what_apparmor_denies() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("abstractions")).unwrap();
    std::fs::create_dir_all(tmp.path().join("tunables")).unwrap();
    std::fs::write(tmp.path().join("tunables/global"), "").unwrap();
    std::fs::write(
        tmp.path().join("abstractions/made-up"),
        "/etc/** r,\n/srv/log w,\ndeny /etc/shadow r,\ndeny /etc/ssh/*_key r,\nunix (create),\n",
    )
    .unwrap();
    let (aa, not_imported) = apparmor_side(tmp.path(), "made-up");
    assert_eq!(not_imported, 1, "the unix rule");
    let polc = load_text(
        "made-up.pol",
        "abstraction made-up {\n    version 1\n    allow read \"/etc/*\", \"/etc/ssh/*\", \"/usr/share/**\"\n}\n\
         policy measure {\n    use made-up\n}\n",
    );
    let files: Vec<String> = [
        "/etc/hosts",
        "/etc/shadow",
        "/etc/ssl/certs/a.pem",
        "/srv/log",
        "/usr/share/doc/x",
        "/usr/share/doc/y",
    ]
    .map(String::from)
    .to_vec();
    let m = measure(&aa, &polc, &files);
    // AppArmor: read /etc/hosts, /etc/ssl/certs/a.pem; write /srv/log.
    assert_eq!((m.read, m.write), (2, 1));
    // polc: /etc/hosts of those; /etc/shadow and /usr/share/doc/{x,y} beyond them.
    assert_eq!(m.both, 1);
    assert_eq!(m.coverage().map(|c| c.round()), Some(33.0));
    assert_eq!(m.polc_only, 3);
    assert_eq!(
        m.polc_only_examples,
        ["/etc/shadow", "/usr/share/doc/x", "/usr/share/doc/y"]
    );
    assert_eq!(
        top_areas(&m.apparmor_only_dirs),
        "`/etc/ssl/certs` 1, `/srv` 1"
    );
    // /etc/shadow is in the list; /etc/ssh/*_key only in the rules.
    assert_eq!(m.denied, ["read /etc/shadow", "read /etc/ssh/_key"]);
}
