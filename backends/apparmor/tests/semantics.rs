//! The compiled profile against the reference semantics, with AppArmor's own compiler as
//! the judge: `apparmor_parser -D dfa-states` prints the DFA the kernel would run, and the
//! tests run paths through it.
//!
//! - Globs: the file form of a compiled glob accepts exactly the glob's paths (but the
//!   root, a directory), the directory form exactly those paths with a trailing `/`.
//! - Fidelity: for random policies and requests, whenever the kernel's DFA allows an
//!   operation the reference semantics refuses, the report has a `widened` entry for a rule
//!   whose glob matches the path; whenever it refuses one the reference allows, a
//!   `narrowed` entry.
//!
//! The reference is polc's own: the glob module's matcher and the evaluator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{parser, PolicyBuilder};
use polc_apparmor::{compile, Config};
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::Policy;
use polc_lang::rights::Right;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

// ---------------------------------------------------------------- the kernel's DFA

struct Dfa {
    /// State → (allow, deny) permission bits.
    perms: BTreeMap<u32, (u32, u32)>,
    /// State → explicit transitions.
    next: BTreeMap<u32, BTreeMap<u8, u32>>,
    /// State → default transition and the bytes it excludes.
    default: BTreeMap<u32, (u32, Vec<u8>)>,
}

fn parse_class(s: &str) -> Vec<u8> {
    // `[^\x0/\x80]` or `[]`: the excluded bytes.
    let inner = s.trim().trim_start_matches('[').trim_start_matches('^');
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    let b = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'x' {
                let mut j = i + 2;
                while j < b.len() && j < i + 4 && b[j].is_ascii_hexdigit() {
                    j += 1;
                }
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 2..j]).unwrap(), 16).unwrap(),
                );
                i = j;
            } else {
                out.push(b[i + 1]);
                i += 2;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn perms_of(s: &str) -> Option<(u32, u32)> {
    let p = s.split("(0x ").nth(1)?;
    let p = p.trim_end().trim_end_matches(')');
    let mut it = p.split('/');
    let allow = u32::from_str_radix(it.next()?, 16).ok()?;
    let deny = u32::from_str_radix(it.next()?, 16).ok()?;
    Some((allow, deny))
}

/// The file-rule DFA of a profile.
fn dfa(profile: &str) -> Dfa {
    let p = parser();
    let mut child = Command::new(p.program())
        .args([
            "--kernel-features",
            "/etc/apparmor.d/abi/3.0",
            "-Q",
            "-K",
            "-D",
            "dfa-states",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(profile.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr);
    let mut dfa = Dfa {
        perms: BTreeMap::new(),
        next: BTreeMap::new(),
        default: BTreeMap::new(),
    };
    let mut state = 0;
    let mut blocks = 0;
    for line in text.lines() {
        if line.contains("<== (allow/deny/audit/quiet)") {
            blocks += 1;
            if blocks > 1 {
                break; // the second DFA is the policy's other classes
            }
            continue;
        }
        let t = line.trim();
        // `{N} perms: ...` starts a state's transitions; `{N} (0x ...)` in the header
        // lists an accepting state (states without transitions appear only there).
        let state_line = t
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
            .and_then(|(n, tail)| Some((n.parse::<u32>().ok()?, tail)));
        if let Some((n, tail)) = state_line {
            if tail.trim_start().starts_with("perms:") {
                state = n;
            }
            if let Some(p) = perms_of(tail) {
                dfa.perms.insert(n, p);
            }
            continue;
        }
        let Some((label, target)) = t.rsplit_once(" -> {") else {
            continue;
        };
        let target: u32 = target.split('}').next().unwrap().parse().unwrap();
        if label.starts_with('[') {
            dfa.default.insert(state, (target, parse_class(label)));
        } else {
            let hex = label.rsplit(' ').next().unwrap().trim_start_matches("0x");
            let byte = u8::from_str_radix(hex, 16).unwrap();
            dfa.next.entry(state).or_default().insert(byte, target);
        }
    }
    dfa
}

impl Dfa {
    /// The permissions the kernel grants on `path` (allow minus deny, owner bits).
    fn perms(&self, path: &str) -> u32 {
        self.perms_bytes(path.as_bytes())
    }

    /// A hard link at `path` (to `/t`): AppArmor matches the pair `path\0target` and needs
    /// the link permission on both halves (a deny rule only marks the second).
    fn link_allowed(&self, path: &str) -> bool {
        let pair = [path.as_bytes(), b"\0/t"].concat();
        self.perms(path) & L != 0 && self.perms_bytes(&pair) & L != 0
    }

    fn perms_bytes(&self, path: &[u8]) -> u32 {
        let (allow, deny) = self.entry(path);
        (allow & !deny) & 0x3fff
    }

    /// The allow and deny bits of the state `path` leads to, as the parser wrote them
    /// (none where the automaton has no transition).
    fn entry(&self, path: &[u8]) -> (u32, u32) {
        let mut s = 1;
        for &b in path {
            let explicit = self.next.get(&s).and_then(|m| m.get(&b));
            s = match explicit {
                Some(t) => *t,
                None => match self.default.get(&s) {
                    Some((t, excluded)) if !excluded.contains(&b) => *t,
                    _ => return (0, 0),
                },
            };
        }
        self.perms.get(&s).copied().unwrap_or((0, 0))
    }
}

// ------------------------------------------------------------ the reference semantics

fn valid_path(p: &str) -> bool {
    polc_lang::glob::is_valid_path(p)
}

fn glob_matches(glob: &str, path: &str) -> bool {
    Glob::parse(glob).unwrap().matches(path)
}

fn reference_allows(p: &Policy, path: &str, right: Right) -> bool {
    evaluate(p, &Request::file(path, right)).allowed
}

// ------------------------------------------------------------- rights as kernel ops

const R: u32 = 0x4;
const W: u32 = 0x2; // write; AppArmor's `w` also carries create and delete
const A: u32 = 0x8;
const X: u32 = 0x1;
const M: u32 = 0x40;
const K: u32 = 0x20;
const L: u32 = 0x10;

/// (directory form?, bits the kernel requires) for each operation of a right.
fn ops(r: Right) -> &'static [(bool, u32)] {
    match r {
        Right::Read => &[(false, R)],
        Right::Write => &[(false, W)],
        Right::Append => &[(false, A)],
        Right::Create | Right::Delete => &[(false, W), (true, W)],
        Right::Rename => &[(false, R | W), (true, R | W), (false, W), (true, W)],
        Right::List => &[(true, R)],
        Right::Exec => &[(false, X)],
        Right::MapExec => &[(false, M)],
        Right::Lock => &[(false, K), (false, K | W)],
        Right::Link => &[(false, L)],
    }
}

fn dir_form(path: &str) -> String {
    if path == "/" {
        "/".into()
    } else {
        format!("{path}/")
    }
}

// ------------------------------------------------------------------- generators

const LITS: &[&str] = &["a", "b", "é", "a.b", "ab"];

fn glob_part() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(LITS).prop_map(str::to_string),
        1 => Just("*".to_string()),
        1 => Just("?".to_string()),
        1 => (proptest::sample::select(LITS), proptest::sample::select(LITS))
            .prop_map(|(a, b)| format!("{{{a},{b}}}")),
        1 => proptest::sample::select(LITS).prop_map(|a| format!("{{{a},{a}/*}}")),
        1 => proptest::sample::select(LITS).prop_map(|a| format!("{a}{{,*}}")),
    ]
}

fn small_glob() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(proptest::collection::vec(glob_part(), 1..3), 0..3),
        prop_oneof![Just(""), Just("/**"), Just("/*"), Just("**")],
    )
        .prop_map(|(comps, tail)| {
            let body: Vec<String> = comps
                .iter()
                .map(|c| c.concat().replace("**", "*"))
                .collect();
            let g = format!("/{}{tail}", body.join("/"));
            let mut g = g.replace("//", "/");
            while g.contains("***") {
                g = g.replace("***", "**");
            }
            if g.len() > 1 && g.ends_with('/') {
                g.trim_end_matches('/').to_string()
            } else {
                g
            }
        })
}

fn small_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::collection::vec(proptest::sample::select(LITS), 1..3).prop_map(|v| v.concat()),
        0..4,
    )
    .prop_map(|v| format!("/{}", v.join("/")))
}

/// Paths that a glob likely matches: alternatives chosen and wildcards filled in.
fn instances(glob: &str, seed: u64) -> Vec<String> {
    struct Rng(u64);
    impl Rng {
        fn pick(&mut self, m: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as usize % m
        }
    }
    fn inst(g: &[char], rng: &mut Rng, out: &mut String) {
        let fills = ["", "a", "é", "ab", "b/a", "a/b/é"];
        let mut i = 0;
        while i < g.len() {
            match g[i] {
                '{' => {
                    let (mut depth, mut start, mut alts) = (0, i + 1, Vec::new());
                    let mut j = i + 1;
                    while j < g.len() {
                        match g[j] {
                            '{' => depth += 1,
                            '}' if depth == 0 => break,
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                alts.push(&g[start..j]);
                                start = j + 1;
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    alts.push(&g[start..j.min(g.len())]);
                    let k = rng.pick(alts.len());
                    inst(alts[k], rng, out);
                    i = j + 1;
                }
                '*' if g.get(i + 1) == Some(&'*') => {
                    out.push_str(fills[rng.pick(fills.len())]);
                    i += 2;
                }
                '*' => {
                    out.push_str(fills[rng.pick(4)]);
                    i += 1;
                }
                '?' => {
                    out.push(['a', 'é', 'b'][rng.pick(3)]);
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }
    let g: Vec<char> = glob.chars().collect();
    let mut rng = Rng(seed);
    (0..8)
        .map(|_| {
            let mut s = String::new();
            inst(&g, &mut rng, &mut s);
            s
        })
        .collect()
}

// ------------------------------------------------------------------------ tests

/// Compile `allow read GLOB` and `allow list GLOB` (the same letter on both forms, so
/// one pattern when the glob ends in a literal and `**`) and check, path by path, that
/// the kernel's DFA gives the file form exactly the glob's paths but the root and the
/// directory form exactly those paths with a trailing `/`.
fn forms_match_exactly(glob: &str, paths: &[String]) -> Result<(), String> {
    let policy = PolicyBuilder::new("t")
        .allow("read", glob)
        .allow("list", glob)
        .build();
    let out = compile(&policy, &Config::default()).unwrap();
    let d = dfa(&out.text);
    for p in paths
        .iter()
        .chain([&"/".to_string()])
        .filter(|p| valid_path(p))
    {
        let want = glob_matches(glob, p);
        let file = p != "/" && d.perms(p) & R != 0;
        let dir = d.perms(&dir_form(p)) & R != 0;
        if file != (want && p != "/") || dir != want {
            return Err(format!(
                "{glob} on {p}: file form {file}, directory form {dir}, the glob {want}\n{}",
                out.text
            ));
        }
    }
    Ok(())
}

/// Globs ending in a literal and `**` are written as one pattern for both forms; the
/// shapes where that would not be exact (a group or a wildcard before the `**`, the
/// root) keep the two forms. Each is judged by the DFA on paths at, inside and beside it.
#[test]
fn one_pattern_for_both_forms_is_exact() {
    let paths: Vec<String> = [
        "/a", "/a/b", "/a/b/c", "/ab", "/ab/c", "/abc", "/b", "/b/a", "/a/ab", "/a/b.c", "/x",
        "/x/a", "/a/x/b/c",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for glob in [
        "/**",
        "/a/**",
        "/a**",
        "/a/b**",
        "/a/{b,}**",
        "/a/{b,c}/**",
        "/a/*/**",
        "/{a,b}/**",
        "/a/b.**",
        "/{a,x}**",
        "/a/[a-b]**",
    ] {
        let profile = compile(
            &PolicyBuilder::new("t")
                .allow("read", glob)
                .allow("list", glob)
                .build(),
            &Config::default(),
        )
        .unwrap()
        .text;
        let lines = profile
            .lines()
            .filter(|l| l.trim_end().ends_with(" r,"))
            .count();
        let whole = matches!(
            glob,
            "/a/**" | "/a**" | "/a/b**" | "/a/{b,c}/**" | "/{a,b}/**" | "/a/*/**" | "/a/b.**"
        );
        assert_eq!(lines == 1, whole, "{glob}:\n{profile}");
        forms_match_exactly(glob, &paths).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn compiled_globs_match_exactly_the_glob_paths(
        glob in small_glob(),
        paths in proptest::collection::vec(small_path(), 20),
        seed in any::<u64>(),
    ) {
        prop_assume!(Glob::parse(&glob).is_ok());
        let mut all = paths;
        all.extend(instances(&glob, seed));
        if let Err(e) = forms_match_exactly(&glob, &all) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn the_report_accounts_for_every_difference_with_the_reference(
        rules in proptest::collection::vec(
            (any::<bool>(), proptest::sample::subsequence(Right::ALL.to_vec(), 1..4), small_glob()),
            1..5,
        ),
        paths in proptest::collection::vec(small_path(), 15),
        seed in any::<u64>(),
    ) {
        let mut b = PolicyBuilder::new("t");
        for (deny, rights, glob) in rules.iter().filter(|r| Glob::parse(&r.2).is_ok()) {
            let names: Vec<&str> = rights.iter().map(|r| r.name()).collect();
            let effect = if *deny { Effect::Deny } else { Effect::Allow };
            b = b.file(effect, &names.join(" "), &[glob], None);
        }
        let policy = b.build();
        let out = compile(&policy, &Config::default()).unwrap();
        let d = dfa(&out.text);
        prop_assume!(!policy.files.is_empty());
        let mut all = paths;
        for f in &policy.files {
            all.extend(instances(f.glob.as_str(), seed));
        }
        all.push("/".into());
        let reported = |fid: Fidelity, path: &str| {
            out.report.entries.iter().any(|e| {
                e.fidelity == fid
                    && matches!(e.subject, Subject::Rule { list: RuleListKind::File, index }
                        if glob_matches(policy.files[index].glob.as_str(), path))
            })
        };
        for p in all.iter().filter(|p| valid_path(p)) {
            for right in Right::ALL {
                let want = reference_allows(&policy, p, right);
                let granted: Vec<bool> = ops(right)
                    .iter()
                    .filter(|(dir, _)| *dir || p != "/")
                    .map(|(dir, bits)| {
                        let at = if *dir { dir_form(p) } else { p.clone() };
                        if *bits == L {
                            d.link_allowed(&at)
                        } else {
                            d.perms(&at) & bits == *bits
                        }
                    })
                    .collect();
                if granted.is_empty() {
                    continue; // no file operation on the root directory
                }
                let some = granted.iter().any(|g| *g);
                let all_ops = granted.iter().all(|g| *g);
                if some && !want {
                    prop_assert!(
                        reported(Fidelity::Widened, p),
                        "the kernel allows part of {} on {} but no rule on it is reported widened\n{}\n{:#?}",
                        right, p, out.text, out.report.entries
                    );
                }
                if !all_ops && want {
                    prop_assert!(
                        reported(Fidelity::Narrowed, p),
                        "the kernel refuses part of {} on {} but no rule on it is reported narrowed\n{}\n{:#?}",
                        right, p, out.text, out.report.entries
                    );
                }
            }
        }
    }
}

/// The profile of a policy granting each of `rights` on each of `globs`.
fn profile_of<G: AsRef<str>>(globs: &[G], rights: &[&str]) -> String {
    let b = globs.iter().fold(PolicyBuilder::new("t"), |b, g| {
        rights.iter().fold(b, |b, r| b.allow(r, g.as_ref()))
    });
    compile(&b.build(), &Config::default()).unwrap().text
}

/// The paths `fixed` and instances of each glob of `globs` (seeded by its position).
fn paths_for(fixed: &[&str], globs: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = fixed.iter().map(|p| p.to_string()).collect();
    for (seed, g) in globs.iter().enumerate() {
        paths.extend(instances(g, seed as u64));
    }
    paths
}

/// Lines that differ only in their head are joined into one (`"/{a,b/ab}/x" r,`): the
/// profile's DFA grants each path (file and directory form) exactly what the rules'
/// profiles compiled one by one grant together.
fn joined_lines_grant_what_their_rules_grant(globs: &[String], paths: &[String]) {
    let rights = ["read", "list", "write"];
    let joined = profile_of(globs, &rights);
    let d = dfa(&joined);
    let each: Vec<Dfa> = globs
        .iter()
        .map(|g| dfa(&profile_of(&[g], &rights)))
        .collect();
    for p in paths.iter().filter(|p| valid_path(p)) {
        for at in [p.clone(), dir_form(p)] {
            let want = each.iter().fold(0, |a, e| a | e.perms(&at));
            assert_eq!(d.perms(&at), want, "{at}\n{joined}");
        }
    }
}

#[test]
fn joined_heads_match_the_union_of_their_lines() {
    let globs: Vec<String> = [
        "/home/*/.a/**",
        "/root/.a/**",
        "/a/b/x",
        "/b/x",
        "/a.b/*/y",
        "/ab/*/y",
        "/run/a/*",
        "/var/run/a/*",
    ]
    .iter()
    .map(|g| g.to_string())
    .collect();
    let joined = profile_of(&globs, &["read"]);
    assert!(
        joined.contains(r#""/{home/*,root}/.a/**[^/]" r,"#),
        "{joined}"
    );
    assert!(joined.contains(r#""/{a/b,b}/x" r,"#), "{joined}");
    let paths = [
        "/home/u/.a/f",
        "/home/u/.a",
        "/root/.a/d/f",
        "/root/.a",
        "/home//.a/f",
        "/a/b/x",
        "/b/x",
        "/c/x",
        "/a/x",
        "/a.b/z/y",
        "/ab/z/y",
        "/ab/y",
        "/run/a/s",
        "/var/run/a/s",
        "/var/a/s",
    ];
    joined_lines_grant_what_their_rules_grant(&globs, &paths_for(&paths, &globs));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_joined_heads_match_the_union_of_their_lines(
        globs in proptest::collection::vec(small_glob(), 2..5),
        paths in proptest::collection::vec(small_path(), 15),
        seed in any::<u64>(),
    ) {
        prop_assume!(globs.iter().all(|g| Glob::parse(g).is_ok()));
        let mut all = paths;
        for g in &globs {
            all.extend(instances(g, seed));
        }
        joined_lines_grant_what_their_rules_grant(&globs, &all);
    }
}

/// Lines that differ in a middle component join into one group, again for the next
/// component (their cross product): abstractions/freedesktop.org's
/// `@{system_share_dirs}/{applications,icons,pixmaps}/**` and the like, with a `*` and a
/// `**` as the differing component and groups inside it.
#[test]
fn joined_middles_match_the_union_of_their_lines() {
    let mut globs: Vec<String> = Vec::new();
    for head in [
        "/usr",
        "/usr/local",
        "/var/lib/flatpak/exports",
        "/var/lib/flatpak/app/*/*/*/*/export",
        "/var/lib/flatpak/runtime/*/*/*/*/export",
    ] {
        for dir in ["applications", "icons", "pixmaps"] {
            globs.push(format!("{head}/share/{dir}"));
            globs.push(format!("{head}/share/{dir}/**"));
        }
    }
    globs.extend(
        [
            "/m/a/x/f",
            "/m/*/x/f",
            "/m/b/y/f",
            "/m/*/y/f",
            "/n/**/z",
            "/n/a/z",
            "/n/{a,b}/z",
            "/o/a{,*}/p",
            "/o/b/p",
        ]
        .iter()
        .map(|g| g.to_string()),
    );
    let joined = profile_of(&globs, &["read", "list"]);
    assert!(
        joined.contains(
            r#""/{usr,usr/local,var/lib/flatpak/exports}/share/{applications,icons,pixmaps}/{,**}" r,"#
        ),
        "{joined}"
    );
    assert!(
        joined.contains(r#""/var/lib/flatpak/{app,runtime}/*/*/*/*/export/share/{applications,icons,pixmaps}/{,**}" r,"#),
        "{joined}"
    );
    let paths = [
        "/usr/share/icons",
        "/usr/share/icons/a/b",
        "/usr/local/share/pixmaps/x",
        "/usr/share/mime/x",
        "/usr/share",
        "/var/lib/flatpak/app/a/b/c/d/export/share/applications/x.desktop",
        "/var/lib/flatpak/app/a/b/c/export/share/applications/x.desktop",
        "/m/a/x/f",
        "/m/c/x/f",
        "/m//x/f",
        "/m/a/y/f",
        "/m/b/y/f",
        "/n/z",
        "/n/a/b/z",
        "/n/c/z",
        "/o/ab/p",
        "/o/b/p",
        "/o/c/p",
    ];
    joined_lines_grant_what_their_rules_grant(&globs, &paths_for(&paths, &globs));
}

/// One component of a glob: literal text, wildcards and groups.
fn glob_component() -> impl Strategy<Value = String> {
    proptest::collection::vec(glob_part(), 1..3).prop_map(|c| c.concat().replace("**", "*"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Rules whose globs differ in one or two middle components (each the same head and
    /// tail), the components literal, `*`, `**`, groups, classes' stand-ins (`?`).
    #[test]
    fn random_joined_middles_match_the_union_of_their_lines(
        head in proptest::collection::vec(glob_component(), 0..2),
        first in proptest::collection::vec(
            prop_oneof![4 => glob_component(), 1 => Just("**".to_string())], 2..4),
        second in proptest::collection::vec(glob_component(), 1..3),
        tail in prop_oneof![Just(""), Just("/**"), Just("/*"), Just("/a*")],
        paths in proptest::collection::vec(small_path(), 15),
        seed in any::<u64>(),
    ) {
        let head: String = head.iter().map(|c| format!("/{c}")).collect();
        let mut globs: Vec<String> = Vec::new();
        for m in &first {
            for n in &second {
                globs.push(format!("{head}/{m}/{n}/x{tail}"));
            }
        }
        globs.sort();
        globs.dedup();
        prop_assume!(globs.iter().all(|g| Glob::parse(g).is_ok()));
        let mut all = paths;
        for g in &globs {
            all.extend(instances(g, seed));
        }
        joined_lines_grant_what_their_rules_grant(&globs, &all);
    }
}

/// A policy's rules: effect, rights and glob (a trailing `/`: directory-only).
type Rules = [(Effect, String, String)];

/// Deny lines of an enforced profile join their file and directory forms, and a
/// directory's line with the `Q/**` line below it (`deny "/x/{,**}" rwlkm,`), even where
/// the directories' letters lack lock, link or map-exec; allow lines and the lines of a
/// profile in complain mode join only where the letters are equal. Compared with the
/// same rules in complain mode, path by path in the DFA `apparmor_parser` builds: every
/// file gets exactly the same allow and deny bits (the link pair `path\0target` too),
/// every directory the same allow bits and the same deny bits but lock, link and
/// map-exec. The join adds no other letter, and takes none away from anything.
fn deny_joins_differ_only_in_lock_link_map_exec_on_directories(
    rules: &Rules,
    paths: &[String],
) -> Result<(), String> {
    let profile = |complain: bool| {
        let mut b = PolicyBuilder::new("t");
        if complain {
            b = b.complain();
        }
        for (effect, rights, glob) in rules {
            b = b.file(*effect, rights, &[glob], None);
        }
        compile(&b.build(), &Config::default()).unwrap().text
    };
    let (joined, apart) = (profile(false), profile(true));
    let (dj, da) = (dfa(&joined), dfa(&apart));
    // A deny of `l` marks the link pair (`path\0target`), not the path's own state.
    let link_pair = dfa("abi <abi/3.0>,\nprofile t {\n  deny \"/n/\" l,\n}\n")
        .entry(b"/n/\0/t")
        .1;
    assert_ne!(
        link_pair & L,
        0,
        "no link bit in the pair state of `deny l`"
    );
    // The letters in both halves of the permission word (owner's, bits 0-13; others',
    // bits 14-27).
    let lkm = (L | K | M) | (L | K | M) << 14;
    for p in paths.iter().filter(|p| valid_path(p)) {
        for (at, dir) in [(p.clone(), false), (dir_form(p), true)] {
            let pair = [at.as_bytes(), b"\0/t"].concat();
            for (bytes, extra) in [(at.as_bytes().to_vec(), lkm), (pair, link_pair)] {
                let ((ja, jd), (aa, ad)) = (dj.entry(&bytes), da.entry(&bytes));
                let more = jd & !ad;
                let ok =
                    ja == aa && ad & !jd == 0 && if dir { more & !extra == 0 } else { more == 0 };
                if !ok {
                    return Err(format!(
                        "{}: allow {ja:#x} deny {jd:#x} joined, allow {aa:#x} deny {ad:#x} apart\n{joined}\n{apart}",
                        String::from_utf8_lossy(&bytes).replace('\0', "\\0")
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn deny_lines_join_across_lock_link_and_map_exec_on_directories() {
    let rules: Vec<(Effect, String, String)> = [
        // `deny @{HOME}/.ssh/{,**} mrwkl,` as the importer translates it.
        (Effect::Deny, "create delete list", "/h/*/.s/"),
        (
            Effect::Deny,
            "read write create delete list map-exec lock link",
            "/h/*/.s/**",
        ),
        (Effect::Deny, "create delete", "/h/*/.i/"),
        (Effect::Deny, "write create delete link", "/h/*/.i/**"),
        (
            Effect::Deny,
            "read write create delete list map-exec lock link",
            "/h/*/.m**",
        ),
        // Not joined: `read` on the files only, or `exec`, would reach directories.
        (Effect::Deny, "read lock", "/h/*/.r/**"),
        (Effect::Deny, "create delete", "/h/*/.r/"),
        (Effect::Deny, "exec create delete", "/h/*/.x/**"),
        // Allow lines join on equal letters only.
        (Effect::Allow, "list", "/u/s/"),
        (Effect::Allow, "read list", "/u/s/**"),
        (Effect::Allow, "read list lock", "/u/k/**"),
        (Effect::Allow, "manage map-exec lock link", "/h/**"),
    ]
    .iter()
    .map(|(e, r, g)| (*e, r.to_string(), g.to_string()))
    .collect();
    let text = compile(
        &rules
            .iter()
            .fold(PolicyBuilder::new("t"), |b, (e, r, g)| {
                b.file(*e, r, &[g], None)
            })
            .build(),
        &Config::default(),
    )
    .unwrap()
    .text;
    for line in [
        r#"deny "/h/*/.s/{,**}" rwlkm,"#,
        r#"deny "/h/*/.i/{,**}" wl,"#,
        r#"deny "/h/*/.m**" rwlkm,"#,
        r#"deny "/h/*/.r/**[^/]" rk,"#,
        r#"deny "/h/*/.x/**[^/]" wx,"#,
        r#""/u/s/{,**}" r,"#,
        r#""/u/k/**[^/]" rk,"#,
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    let mut paths: Vec<String> = [
        "/h",
        "/h/u",
        "/h/u/.s",
        "/h/u/.s/k",
        "/h/u/.s/d/k",
        "/h/u/.sx",
        "/h/u/.i",
        "/h/u/.i/a",
        "/h/u/.m",
        "/h/u/.mutt",
        "/h/u/.m/a/b",
        "/h/u/.r",
        "/h/u/.r/f",
        "/h/u/.x/f",
        "/h/u/.x",
        "/u/s",
        "/u/s/f",
        "/u/s/d/f",
        "/u/k",
        "/u/k/f",
        "/x",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for (seed, (_, _, g)) in rules.iter().enumerate() {
        paths.extend(instances(g.trim_end_matches('/'), seed as u64));
    }
    deny_joins_differ_only_in_lock_link_map_exec_on_directories(&rules, &paths).unwrap();
}

/// A directory's line and the `Q/**` line of the tree below it, with the same letters,
/// are written `Q/{,**}`: the DFA grants every path what the two rules compiled apart
/// grant together.
#[test]
fn a_directory_and_the_tree_below_it_join_as_one_pattern() {
    let profile = |rules: &[(&str, &str)]| {
        let b = rules
            .iter()
            .fold(PolicyBuilder::new("t"), |b, (r, g)| b.allow(r, g));
        compile(&b.build(), &Config::default()).unwrap().text
    };
    let (dir, tree) = (("list", "/a/b/"), ("read list", "/a/b/**"));
    let joined = profile(&[dir, tree]);
    assert!(joined.contains(r#""/a/b/{,**}" r,"#), "{joined}");
    let (d, d1, d2) = (dfa(&joined), dfa(&profile(&[dir])), dfa(&profile(&[tree])));
    for p in [
        "/", "/a", "/a/b", "/a/bc", "/a/b/c", "/a/b/c/d", "/a/b/é", "/a/b/.x", "/x",
    ] {
        for at in [p.to_string(), dir_form(p)] {
            assert_eq!(
                d.perms(&at),
                d1.perms(&at) | d2.perms(&at),
                "{at}\n{joined}"
            );
        }
    }
}

/// A directory rule's rights (on a trailing-`/` glob).
const DIR_RIGHTS: [Right; 4] = [Right::Create, Right::Delete, Right::List, Right::Rename];

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_deny_joins_differ_only_in_lock_link_map_exec_on_directories(
        rules in proptest::collection::vec(
            (
                any::<bool>(),
                proptest::sample::subsequence(Right::ALL.to_vec(), 1..6),
                proptest::sample::subsequence(DIR_RIGHTS.to_vec(), 1..3),
                small_glob(),
                0..3u8,
            ),
            1..5,
        ),
        paths in proptest::collection::vec(small_path(), 15),
        seed in any::<u64>(),
    ) {
        // Each glob G as is or as `G/**`, beside the directory rule `G/` (the importer's
        // `G/{,**}`): the shapes that join.
        let mut rs: Vec<(Effect, String, String)> = Vec::new();
        let names = |v: &[Right]| v.iter().map(|r| r.name()).collect::<Vec<_>>().join(" ");
        for (deny, rights, dir_rights, glob, shape) in &rules {
            let effect = if *deny { Effect::Deny } else { Effect::Allow };
            let base = glob.trim_end_matches('/');
            rs.push((effect, names(dir_rights), format!("{base}/")));
            match shape {
                0 => rs.push((effect, names(rights), glob.clone())),
                1 => rs.push((effect, names(rights), format!("{base}/**"))),
                _ => {}
            }
        }
        rs.retain(|(_, _, g)| g != "/" && Glob::parse_path(g).is_ok());
        prop_assume!(!rs.is_empty());
        let mut all = paths;
        for (_, _, g) in &rs {
            all.extend(instances(g.trim_end_matches('/'), seed));
        }
        if let Err(e) = deny_joins_differ_only_in_lock_link_map_exec_on_directories(&rs, &all) {
            return Err(TestCaseError::fail(e));
        }
    }
}

#[test]
fn the_dfa_reader_reads_what_the_parser_compiled() {
    let d = dfa("abi <abi/3.0>,\nprofile t {\n  \"/a/**[^/]\" r,\n  \"/a/b\" w,\n  deny \"/a/c\" r,\n  \"/a/{x,y}/\" r,\n  \"/e\" mix,\n}\n");
    assert_eq!(d.perms("/a/q"), R);
    assert_eq!(d.perms("/a/b") & (R | W | A), R | W | A);
    assert_eq!(d.perms("/a/c"), 0);
    assert_eq!(d.perms("/a/x/"), R);
    assert_eq!(d.perms("/a/q/"), 0);
    assert_eq!(d.perms("/b"), 0);
    assert_eq!(d.perms("/e") & (X | M), X | M);
    assert!(glob_matches("/a/{b,c/*}", "/a/c/d"));
    assert!(!glob_matches("/a/*", "/a/b/c"));
    assert!(glob_matches("/**", "/"));
    assert!(glob_matches("/a/?", "/a/é"));
    let d = dfa("abi <abi/3.0>,\nprofile t {\n  \"/l\" l,\n  \"/m\" l,\n  deny \"/m\" l,\n}\n");
    assert!(d.link_allowed("/l"));
    assert!(!d.link_allowed("/m"));
    assert!(!d.link_allowed("/n"));
}
