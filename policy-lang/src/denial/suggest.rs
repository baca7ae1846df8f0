//! Rules from denials: what `polc suggest` and `polc learn` propose.
//!
//! ```
//! use polc_lang::denial::{parse, suggest};
//! use polc_lang::{load, LoadOptions, Source};
//!
//! let text = "policy org.example.app {\n    use base\n    allow read \"/etc/**\"\n    deny read \"/etc/shadow\"\n}\n";
//! let policy = load(&Source::new("app.pol", text), &LoadOptions::default())
//!     .map_err(|f| format!("{:?}", f.diagnostics))?
//!     .policy;
//! let log = [
//!     r#"audit: type=1423 audit(1.2:3): domain=1a blockers=fs.read_file path="/proc/4242/status" dev="proc" ino=9"#,
//!     r#"audit: type=1423 audit(1.2:4): domain=1a blockers=fs.read_file path="/etc/shadow" dev="vda" ino=7"#,
//! ];
//! let denials: Vec<_> = log.iter().filter_map(|l| parse(l).ok()).collect();
//! let s = suggest(&policy, &denials);
//! assert_eq!(s.rule_lines(), [r#"allow read "/proc/${pid}/status""#]);
//! // The deny rule is named with its place, not overridden.
//! assert_eq!(s.denied_on_purpose[0].rules[0].origins[0].line, 4);
//! # Ok::<(), String>(())
//! ```
//!
//! [`suggest`] takes the denials of a log and a policy and proposes **rules**, not raw
//! paths. Each denial is first [`explain`](super::explain)ed against the policy; then:
//!
//! - Records of another subject than the policy are counted per subject and skipped:
//!   a record is the policy's when its subject maps to the policy's name, or (a profile
//!   or type not named after a policy, as `/usr/bin/curl`) names the policy's `attach`
//!   path or is the log's only subject while no record names the policy. Landlock
//!   records have no policy name (their domain is an id): all are taken (`polc learn`
//!   keeps only its run's domain).
//!   Complain-mode records (allowed, only logged) count as requests like the others.
//! - An access a `deny` rule of the policy refuses is **not** proposed: it is listed with
//!   the rule and its place (`FILE:LINE`), "denied on purpose".
//! - An access the policy already allows (the kernel refused it for another reason) is
//!   listed, not proposed.
//! - An access the language cannot express (a Landlock blocker with no counterpart, a
//!   record without a port or with the last path component only) is listed with why.
//! - The others become rules, generalised as follows, in this order:
//!   1. **Variables.** `/proc/<digits>/` becomes `/proc/${pid}/` (and `task/<digits>`
//!      `task/${tid}`), a home directory (`/root`, `/home/NAME`) becomes `${home}`.
//!   2. **Names.** A shared library's version numbers go (`libfoo.so.1.2.3` →
//!      `libfoo.so*`); a temporary name's random part becomes `*` (`tmpa8Xk2_q1` →
//!      `tmp*`, `data.Xa9k2Q` → `data.*`), except in the directories the program
//!      creates entries in and below them: those existed before the access (the log
//!      names them as they are), so their names were not the program's to choose.
//!   3. **Package trees.** Reading (`read`, `list`, `map-exec`) a file inside a
//!      package's directory of a library or data tree (`PREFIX/lib/PKG/...`,
//!      `PREFIX/share/PKG/...`, `PREFIX/lib/TRIPLET/PKG/...`, `PREFIX/libexec/PKG/...`,
//!      `/opt/PKG/...`), or listing that directory, gives `read` and `list` on the
//!      package's tree: `PREFIX/lib/PKG{,/**}` (with `map-exec` when it was asked).
//!      A program reads its package's files together (Python's standard library, a
//!      program's data), and one run shows only the first one it misses.
//!   4. **Working directories.** Creating an entry in a directory `D` gives the `manage`
//!      rights on `D/**`: a program that creates files there also writes, reads,
//!      renames and removes them, and builds subdirectories.
//!   5. **Directories.** [`DIR_THRESHOLD`] or more distinct entries of one directory
//!      with no wider rule become `D/*` with the union of their rights; programs
//!      executed are never merged (each one is a decision of its own).
//!
//!   `exec` goes with `read`: the kernel reads a file to execute it.
//!
//!   Generalisation never gives `/**`, a whole top-level directory (`/etc/*`,
//!   `/usr/**`, `${home}/**`) nor every capability: a wider candidate is replaced by the
//!   exact entries (for a working directory: `D/*` and `create`).
//!
//! Rules with the same glob merge their rights. The result, added to the policy, makes
//! the evaluator allow every logged request it names completely that no `deny` rule
//! covers (a property test checks it).

use super::explain::{explain, Verdict};
use super::{Access, Denial, PathHint};
use crate::diff::RuleCite;
use crate::glob::Glob;
use crate::ir::text::rights_words;
use crate::ir::{Effect, Policy, PolicyName};
use crate::rights::{Right, Rights};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// At least this many distinct entries of one directory become `DIR/*`.
pub const DIR_THRESHOLD: usize = 4;

/// What [`suggest`] proposes, and what it does not, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestions {
    /// The policy the rules are for.
    pub policy: PolicyName,
    /// Records of this policy read (those of other subjects are not counted).
    pub records: usize,
    /// Of them, records of accesses allowed in complain (permissive) mode.
    pub complain: usize,
    /// The rules to add.
    pub rules: Vec<ProposedRule>,
    /// Accesses a `deny` rule of the policy refuses: not proposed.
    pub denied_on_purpose: Vec<OnPurpose>,
    /// Accesses the policy already allows (the kernel refused them for another reason).
    pub already_allowed: Vec<Access>,
    /// Accesses no polc rule can express, with why.
    pub inexpressible: Vec<Inexpressible>,
    /// Records about other subjects, skipped: the subject and how many records.
    pub other_subjects: Vec<OtherSubject>,
}

impl Suggestions {
    /// The proposed rules as statements, one per line (no indentation).
    pub fn rule_lines(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }
}

/// One rule to add.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProposedRule {
    /// The statement, as policy text.
    pub rule: String,
    /// The logged accesses it allows, in words (`read /etc/hostname`).
    pub accesses: Vec<String>,
    /// How the logged paths were generalised, when they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generalised: Vec<String>,
    /// Caveats (a `deny` rule still refuses part of it, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// An access refused by a `deny` rule of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnPurpose {
    /// The access.
    pub access: Access,
    /// The deny rules, with their places.
    pub rules: Vec<RuleCite>,
}

/// An access no rule can express.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inexpressible {
    /// The access.
    pub access: Access,
    /// Why.
    pub reason: String,
}

/// Records of a subject other than the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherSubject {
    /// The subject, as the log names it (the policy it maps to).
    pub subject: String,
    /// How many records.
    pub records: usize,
}

/// A file rule being built: its glob text (variables unsubstituted), its meaning
/// (substituted, for the glob algebra), its rights and what it came from.
#[derive(Clone, Debug, Default)]
struct Candidate {
    meaning: String,
    rights: Rights,
    accesses: BTreeSet<String>,
    generalised: BTreeSet<String>,
}

/// Propose rules for the `denials` of `policy` (see the module docs).
pub fn suggest(policy: &Policy, denials: &[Denial]) -> Suggestions {
    let mut out = Suggestions {
        policy: policy.name.clone(),
        records: 0,
        complain: 0,
        rules: Vec::new(),
        denied_on_purpose: Vec::new(),
        already_allowed: Vec::new(),
        inexpressible: Vec::new(),
        other_subjects: Vec::new(),
    };
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    let mut files: BTreeMap<String, Candidate> = BTreeMap::new();
    let mut other_rules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let named = denials
        .iter()
        .any(|d| d.subject_policy.as_deref() == Some(policy.name.as_str()));
    let unnamed: BTreeSet<&str> = denials
        .iter()
        .filter(|d| d.lsm != super::Lsm::Landlock && d.subject_policy.is_none())
        .filter_map(|d| d.subject.as_deref())
        .collect();
    let attach = policy.attach.as_ref().map(|a| a.path.as_str());
    // The directories the program creates entries in: the log names them as they
    // exist, so their names are kept (a temporary-looking name there was chosen
    // before the program ran), and so are the names of the paths below them.
    let work_dirs: Vec<String> = denials
        .iter()
        .flat_map(|d| &d.accesses)
        .filter_map(|a| match a {
            Access::File {
                path: PathHint::ChildOf(dir),
                right: Right::Create,
            } => Some(format!("{}/", dir.trim_end_matches('/'))),
            _ => None,
        })
        .collect();
    let literal = |p: &str| work_dirs.iter().any(|w| p.starts_with(w.as_str()));
    for d in denials {
        let other = match (d.lsm, d.subject_policy.as_deref(), d.subject.as_deref()) {
            (_, Some(name), _) => (name != policy.name.as_str()).then_some(name),
            // Landlock domains are not named after policies; nor are records without
            // a subject.
            (super::Lsm::Landlock, None, _) | (_, None, None) => None,
            // A profile or type not named after a policy: the policy's `attach` path,
            // or the log's only subject when no record names the policy.
            (_, None, Some(s)) => {
                let ours = attach == Some(s) || (!named && unnamed.len() == 1);
                (!ours).then_some(s)
            }
        };
        if let Some(name) = other {
            *others.entry(name.to_string()).or_default() += 1;
            continue;
        }
        out.records += 1;
        if d.complain {
            out.complain += 1;
        }
        for a in explain(policy, d).accesses {
            let words = a.access.describe();
            match a.verdict {
                Verdict::Unmapped => {
                    let reason = match &a.access {
                        Access::Unmapped { reason, .. } => reason.clone(),
                        _ => "polc policies cannot express it".into(),
                    };
                    push_unique(
                        &mut out.inexpressible,
                        Inexpressible {
                            access: a.access,
                            reason,
                        },
                    );
                }
                Verdict::AllowedByPolicy => push_unique(&mut out.already_allowed, a.access),
                Verdict::DeniedByRule => push_unique(
                    &mut out.denied_on_purpose,
                    OnPurpose {
                        access: a.access,
                        rules: a.blocking,
                    },
                ),
                Verdict::NoAllow | Verdict::Undetermined => match &a.access {
                    Access::File {
                        path: PathHint::Exact(p) | PathHint::ChildOf(p) | PathHint::Directory(p),
                        ..
                    } if !crate::glob::is_valid_path(p) => push_unique(
                        &mut out.inexpressible,
                        Inexpressible {
                            reason: format!(
                                "`{}` is not a path a policy can name (relative, `..`, or control characters)",
                                crate::ir::text::show(p)
                            ),
                            access: a.access,
                        },
                    ),
                    Access::File { path, right } => match path {
                        PathHint::Exact(p) => {
                            let (text, mut why) = generalise_path(p, literal(p));
                            let mut rights = Rights::one(*right);
                            if *right == Right::Exec {
                                // The kernel opens the file to execute it: Landlock and
                                // AppArmor check read too.
                                rights = rights.insert(Right::Read);
                                why.push("exec goes with read: the kernel reads the file to execute it".into());
                            }
                            add(&mut files, text, rights, words, why);
                        }
                        PathHint::Directory(p) => {
                            let (text, mut why) = generalise_path(p, literal(p));
                            // On a directory: a directory-only rule, when the right is one
                            // that applies to directories (a trailing `/`).
                            let text = if Rights::NARROWED_ON_DIRECTORIES.contains(*right) {
                                why.push("the log names a directory: the rule applies to directories only".into());
                                crate::ir::dir_path_text_of(&text, true)
                            } else {
                                text
                            };
                            add(&mut files, text, Rights::one(*right), words, why);
                        }
                        PathHint::ChildOf(dir) if entries_denied(policy, dir, &a.blocking) => {
                            push_unique(
                                &mut out.denied_on_purpose,
                                OnPurpose {
                                    access: a.access.clone(),
                                    rules: a.blocking.clone(),
                                },
                            )
                        }
                        PathHint::ChildOf(dir) => {
                            let (dir, why) = generalise_path(dir, true);
                            let text = if dir == "/" {
                                "/*".to_string()
                            } else {
                                format!("{dir}/*")
                            };
                            let mut why = why;
                            why.push(format!(
                                "the log names the directory only: {text} covers its entries"
                            ));
                            add(&mut files, text, Rights::one(*right), words, why);
                        }
                        PathHint::EndsWith(name) => push_unique(
                            &mut out.inexpressible,
                            Inexpressible {
                                reason: format!(
                                    "the record names only the last path component `{name}`: a rule for every path ending in it would be a catch-all; log with the path (SELinux: `path=`) or add the rule by hand"
                                ),
                                access: a.access,
                            },
                        ),
                    },
                    Access::Net { port: None, .. } => push_unique(
                        &mut out.inexpressible,
                        Inexpressible {
                            reason: "the record has no port: a rule for every port would be a catch-all".into(),
                            access: a.access,
                        },
                    ),
                    Access::Signal { peer: None, .. } | Access::Signal { signal: None, .. } => {
                        push_unique(
                            &mut out.inexpressible,
                            Inexpressible {
                                reason: "the record names no peer policy or no signal: a rule for every peer or signal would be a catch-all".into(),
                                access: a.access,
                            },
                        )
                    }
                    Access::Dbus {
                        complete: false, ..
                    } => push_unique(
                        &mut out.inexpressible,
                        Inexpressible {
                            reason: "the record names no bus and no object path (SELinux's dbus records): a rule for every bus and path would be a catch-all; add the rule by hand".into(),
                            access: a.access,
                        },
                    ),
                    _ => match a.suggestion {
                        Some(rule) => {
                            other_rules.entry(rule).or_default().insert(words);
                        }
                        None => push_unique(
                            &mut out.inexpressible,
                            Inexpressible {
                                reason: a.notes.join("; "),
                                access: a.access,
                            },
                        ),
                    },
                },
            }
        }
    }
    out.other_subjects = others
        .into_iter()
        .map(|(subject, records)| OtherSubject { subject, records })
        .collect();
    let files = widen(files);
    for (text, c) in files {
        let notes = deny_notes(policy, &c);
        out.rules.push(ProposedRule {
            rule: format!(
                "allow {} {}",
                rights_words(c.rights),
                crate::ir::text::quote(&text)
            ),
            accesses: c.accesses.into_iter().collect(),
            generalised: c.generalised.into_iter().collect(),
            notes,
        });
    }
    for (rule, accesses) in other_rules {
        out.rules.push(ProposedRule {
            rule,
            accesses: accesses.into_iter().collect(),
            generalised: Vec::new(),
            notes: Vec::new(),
        });
    }
    out
}

/// Whether deny rules among `blocking` refuse the right on every entry of `dir` (the
/// log names only the directory): then the access is denied on purpose.
fn entries_denied(policy: &Policy, dir: &str, blocking: &[RuleCite]) -> bool {
    let text = if dir == "/" {
        "/*".to_string()
    } else {
        format!("{}/*", clean(dir))
    };
    let Ok(entries) = Glob::parse(&text) else {
        return false;
    };
    blocking
        .iter()
        .filter_map(|c| policy.files.get(c.index))
        .any(|f| f.effect == Effect::Deny && entries.is_subset(&f.glob))
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn add(
    files: &mut BTreeMap<String, Candidate>,
    text: String,
    rights: Rights,
    access: String,
    why: Vec<String>,
) {
    let meaning = meaning(&text);
    let c = files.entry(text).or_default();
    c.meaning = meaning;
    c.rights = c.rights.union(rights.with_implied());
    c.accesses.insert(access);
    c.generalised.extend(why);
}

/// The glob text with the built-in variables this module writes replaced by their sets
/// (what the loader substitutes), for the glob algebra.
fn meaning(text: &str) -> String {
    text.replace("${home}", "{/home/*,/root}")
        .replace("${pid}", "{[1-9],[1-9][0-9]+}")
        .replace("${tid}", "{[1-9],[1-9][0-9]+}")
}

/// A path's characters that a policy string would read as glob syntax or a variable,
/// each replaced by `?` (a policy string cannot escape them).
fn clean(component: &str) -> String {
    component
        .chars()
        .map(|c| {
            if matches!(c, '*' | '?' | '{' | '}' | '[' | ']' | '$' | ',') {
                '?'
            } else {
                c
            }
        })
        .collect()
}

fn is_pid(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('0') && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A path as a glob text with steps 1 and 2 of the module docs applied, and what was
/// generalised.
fn generalise_path(path: &str, keep_names: bool) -> (String, Vec<String>) {
    let mut why = Vec::new();
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut rest: &[&str] = &comps;
    // The home directory.
    match comps.as_slice() {
        ["root", tail @ ..] => {
            out.push("${home}".into());
            why.push("/root is a home directory: ${home}".into());
            rest = tail;
        }
        ["home", user, tail @ ..] => {
            out.push("${home}".into());
            why.push(format!("/home/{user} is a home directory: ${{home}}"));
            rest = tail;
        }
        _ => {}
    }
    let mut prev: Option<&str> = None;
    for (i, c) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let at_root = out.is_empty() && i == 0;
        let text = if out.len() == 1 && out.first().is_some_and(|p| p == "proc") && is_pid(c) {
            why.push(format!("/proc/{c} is a process: /proc/${{pid}}"));
            "${pid}".to_string()
        } else if prev == Some("task") && is_pid(c) && out.first().is_some_and(|p| p == "proc") {
            why.push(format!("task/{c} is a thread: task/${{tid}}"));
            "${tid}".to_string()
        } else if let Some(lib) = last.then(|| shared_library(c)).flatten() {
            why.push(format!("{c} is a versioned shared library: {lib}"));
            lib
        } else if let Some(t) = (!at_root && !keep_names).then(|| temporary(c)).flatten() {
            why.push(format!("{c} is a temporary name: {t}"));
            t
        } else {
            clean(c)
        };
        out.push(text);
        prev = Some(c);
    }
    let text = format!("/{}", out.join("/"));
    (text.replace("/${home}", "${home}"), why)
}

/// `libfoo.so.1.2.3` → `libfoo.so*`.
fn shared_library(name: &str) -> Option<String> {
    let at = name.find(".so.")?;
    let (stem, version) = name.split_at(at + 3);
    let digits = version.strip_prefix('.')?;
    let versioned = !digits.is_empty()
        && digits
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (versioned && !stem.is_empty()).then(|| format!("{}*", clean(stem)))
}

/// Whether `s` looks random: letters and digits mixed, or both cases.
fn random(s: &str) -> bool {
    let alnum = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let letter = s.bytes().any(|b| b.is_ascii_alphabetic());
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    alnum && ((digit && letter) || (upper && lower))
}

/// `tmpa8Xk2_q1` → `tmp*`, `.tmpXyZ123` → `.tmp*`, `data.Xa9k2Q` → `data.*`.
fn temporary(name: &str) -> Option<String> {
    for prefix in [".tmp", "tmp"] {
        if let Some(tail) = name.strip_prefix(prefix) {
            let tail = tail.trim_start_matches(['.', '_', '-']);
            if tail.len() >= 6 && random(tail) {
                return Some(format!("{prefix}*"));
            }
        }
    }
    let (stem, suffix) = name.rsplit_once('.')?;
    if !stem.is_empty() && (6..=12).contains(&suffix.len()) && random(suffix) {
        return Some(format!("{}.*", clean(stem)));
    }
    None
}

/// How many components of a glob text come before the first one that is only a
/// wildcard (`*`, `**`, a brace set); `${home}` and `tmp*` count as one each.
fn depth(dir: &str) -> usize {
    dir.split('/')
        .filter(|c| !c.is_empty())
        .take_while(|c| !matches!(*c, "*" | "**") && !c.starts_with('{'))
        .count()
}

/// The package tree of a read of `text` (step 3), if any: `text` is below a package's
/// directory, or is that directory and `listed`.
fn package_tree(text: &str, listed: bool) -> Option<String> {
    let comps: Vec<&str> = text.split('/').collect();
    // comps[0] is "" or "${home}".
    let opt = comps.get(1) == Some(&"opt");
    for (i, c) in comps.iter().enumerate().skip(1) {
        let tree = opt && i == 1 || matches!(*c, "lib" | "lib64" | "share" | "libexec");
        if !tree || (i < 2 && !opt) {
            continue;
        }
        let mut pkg = i + 1;
        if comps.get(pkg).is_some_and(|p| p.contains("-linux-")) {
            pkg += 1;
        }
        let below = pkg + 1 < comps.len();
        let is_dir = pkg + 1 == comps.len() && listed;
        if below || is_dir {
            let p = comps.get(pkg)?;
            if p.contains(['*', '?', '{', '$']) || ["locale", "zoneinfo"].contains(p) {
                return None;
            }
            return Some(format!("{}{{,/**}}", comps.get(..=pkg)?.join("/")));
        }
        return None;
    }
    None
}

/// Steps 3 to 5: package trees, working directories, directories past the threshold;
/// then every candidate another one covers (glob and rights) goes.
fn widen(files: BTreeMap<String, Candidate>) -> BTreeMap<String, Candidate> {
    let read_only = Rights::one(Right::Read)
        .insert(Right::List)
        .insert(Right::MapExec);
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    let merge = |out: &mut BTreeMap<String, Candidate>, text: String, c: Candidate| {
        let meaning = meaning(&text);
        let e = out.entry(text).or_default();
        e.meaning = meaning;
        e.rights = e.rights.union(c.rights);
        e.accesses.extend(c.accesses);
        e.generalised.extend(c.generalised);
    };
    for (text, c) in files {
        let ro = c.rights.intersection(read_only);
        let tree = package_tree(&text, ro.contains(Right::List)).filter(|t| depth(t) >= 3);
        match tree {
            Some(t) if !ro.is_empty() => {
                let rest = c.rights.difference(read_only);
                let mut tc = c.clone();
                // Reading a package's files goes with listing its directories.
                tc.rights = ro.insert(Right::Read).insert(Right::List);
                tc.generalised
                    .insert(format!("{text} is in a package tree: {t}"));
                merge(&mut out, t, tc);
                if !rest.is_empty() {
                    let mut rc = c;
                    rc.rights = rest;
                    merge(&mut out, text, rc);
                }
            }
            _ => merge(&mut out, text, c),
        }
    }
    // Working directories.
    let mut files = std::mem::take(&mut out);
    for (text, c) in std::mem::take(&mut files) {
        match text.strip_suffix("/*") {
            Some(dir) if c.rights.contains(Right::Create) && depth(dir) >= 2 => {
                let mut wc = c;
                let t = format!("{dir}/**");
                wc.rights = Rights::from_keyword("manage").unwrap_or(wc.rights);
                wc.generalised
                    .insert(format!("entries are created in {dir}: `manage` on {t}"));
                merge(&mut out, t, wc);
            }
            _ => merge(&mut out, text, c),
        }
    }
    // Directories past the threshold.
    let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (text, c) in &out {
        // Each program executed is a decision of its own: never widened.
        if c.rights.contains(Right::Exec) {
            continue;
        }
        if let Some((dir, name)) = text.rsplit_once('/') {
            if !name.contains(['*', '?', '{']) && !text.ends_with("**") {
                by_dir
                    .entry(dir.to_string())
                    .or_default()
                    .push(text.clone());
            }
        }
    }
    for (dir, entries) in by_dir {
        if entries.len() < DIR_THRESHOLD || depth(&dir) < 2 || dir.contains(['*', '?', '{']) {
            continue;
        }
        let t = format!("{dir}/*");
        for e in &entries {
            if let Some(mut c) = out.remove(e) {
                c.generalised.insert(format!(
                    "{} entries of {dir} (threshold {DIR_THRESHOLD}): {t}",
                    entries.len()
                ));
                merge(&mut out, t.clone(), c);
            }
        }
    }
    // Drop what a wider candidate covers.
    let globs: Vec<(String, Option<Glob>, Rights)> = out
        .iter()
        .map(|(t, c)| (t.clone(), Glob::parse(&c.meaning).ok(), c.rights))
        .collect();
    let mut covered = Vec::new();
    for (t, g, r) in &globs {
        let Some(g) = g else { continue };
        let wider = globs.iter().find(|(t2, g2, r2)| {
            t2 != t && r.is_subset(*r2) && g2.as_ref().is_some_and(|g2| g.is_subset(g2))
        });
        if let Some((t2, _, _)) = wider {
            covered.push((t.clone(), t2.clone()));
        }
    }
    for (t, into) in covered {
        if out.contains_key(&into) {
            if let Some(c) = out.remove(&t) {
                if let Some(w) = out.get_mut(&into) {
                    w.accesses.extend(c.accesses);
                    w.generalised.extend(c.generalised);
                }
            }
        }
    }
    out
}

fn deny_notes(policy: &Policy, c: &Candidate) -> Vec<String> {
    let Ok(g) = Glob::parse(&c.meaning) else {
        return Vec::new();
    };
    policy
        .files
        .iter()
        .filter(|f| {
            f.effect == Effect::Deny
                && !f.rights.intersection(c.rights).is_empty()
                && f.glob.intersects(&g)
        })
        .map(|f| {
            let at: Vec<String> = f
                .origins
                .iter()
                .map(|o| format!("{}:{}", o.origin.file, o.origin.line))
                .collect();
            format!(
                "`{}` ({}) still refuses part of it: deny wins",
                crate::ir::text::file_rule_text(f),
                at.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn paths_generalise() {
        let g = |p: &str| generalise_path(p, false).0;
        assert_eq!(g("/proc/1234/status"), "/proc/${pid}/status");
        assert_eq!(
            g("/proc/1234/task/77/stat"),
            "/proc/${pid}/task/${tid}/stat"
        );
        assert_eq!(g("/proc/0123/status"), "/proc/0123/status");
        assert_eq!(g("/root/.gitconfig"), "${home}/.gitconfig");
        assert_eq!(g("/home/ann/.cache/x"), "${home}/.cache/x");
        assert_eq!(g("/root"), "${home}");
        assert_eq!(g("/usr/lib/libssl.so.3"), "/usr/lib/libssl.so*");
        assert_eq!(g("/usr/lib/libfoo.so.1.2.3"), "/usr/lib/libfoo.so*");
        assert_eq!(g("/usr/lib/libfoo.so"), "/usr/lib/libfoo.so");
        assert_eq!(g("/tmp/tmpa8xk2_q1/f"), "/tmp/tmp*/f");
        assert_eq!(g("/tmp/.tmpXyZ123"), "/tmp/.tmp*");
        assert_eq!(g("/var/x/data.Xa9k2Q"), "/var/x/data.*");
        assert_eq!(g("/var/x/archive.tar"), "/var/x/archive.tar");
        assert_eq!(g("/tmp"), "/tmp");
        assert_eq!(g("/etc/a*b"), "/etc/a?b");
        assert_eq!(g("/etc/${x}"), "/etc/??x?");
    }

    #[test]
    fn package_trees() {
        let t = |p: &str| package_tree(p, false);
        assert_eq!(
            t("/usr/lib/python3.11/encodings/__init__.py").as_deref(),
            Some("/usr/lib/python3.11{,/**}")
        );
        assert_eq!(
            package_tree("/usr/lib/python3.11", true).as_deref(),
            Some("/usr/lib/python3.11{,/**}")
        );
        assert_eq!(
            t("/usr/lib/x86_64-linux-gnu/perl/5.36/x.pm").as_deref(),
            Some("/usr/lib/x86_64-linux-gnu/perl{,/**}")
        );
        assert_eq!(
            t("${home}/.pyenv/versions/3.11.7/lib/python3.11/os.py").as_deref(),
            Some("${home}/.pyenv/versions/3.11.7/lib/python3.11{,/**}")
        );
        assert_eq!(t("/usr/lib/python3.11"), None);
        assert_eq!(t("/usr/lib/os-release"), None);
        assert_eq!(t("/lib/x"), None);
        assert_eq!(t("/opt/app/bin/x").as_deref(), Some("/opt/app{,/**}"));
    }
}
