//! The abstract form's fidelity report against the evaluator: wherever the profile a
//! node writes (SPO's template, its AppArmor patterns matched as AppArmor matches them)
//! decides a file request differently from `eval::evaluate`, a rule on that path is
//! reported as not exact. Random policies of allow and deny rules over overlapping
//! globs, every right but `list`, on paths inside and outside them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::rights::Right;
use polc_lang::{load, LoadOptions, Source};
use polc_spo::{compile, Abstract, Config};
use proptest::prelude::*;
use regex::bytes::Regex;

/// An AppArmor pattern (the subset polc emits) as an anchored byte regex.
fn aare(p: &str) -> Regex {
    let mut out = String::from("(?s-u)^");
    let b: Vec<char> = p.chars().collect();
    let mut i = 0;
    let mut depth = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        match c {
            '\\' => {
                let n = b[i + 1];
                if n == 'x' {
                    out.push_str(&format!("\\x{}{}", b[i + 2], b[i + 3]));
                    i += 4;
                } else {
                    out.push_str(&regex::escape(&n.to_string()));
                    i += 2;
                }
                continue;
            }
            _ if in_class => {
                if c == ']' {
                    in_class = false;
                }
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push('[');
            }
            '*' if b.get(i + 1) == Some(&'*') => {
                out.push_str(".*");
                i += 1;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '{' => {
                depth += 1;
                out.push_str("(?:");
            }
            ',' if depth > 0 => out.push('|'),
            '}' => {
                depth -= 1;
                out.push(')');
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    out.push('$');
    Regex::new(&out).unwrap()
}

/// The permission letter the node's profile needs for `right` on a file.
fn letter(right: Right) -> char {
    match right {
        Right::Read | Right::List => 'r',
        Right::Write | Right::Append | Right::Create | Right::Delete | Right::Rename => 'w',
        Right::Link => 'l',
        Right::Lock => 'k',
        Right::Exec => 'x',
        Right::MapExec => 'm',
    }
}

/// Whether the node's profile allows `right` on the file `path`.
fn node_allows(abs: &Abstract, path: &str, right: Right) -> bool {
    let mut allow: Vec<(&String, &str)> = Vec::new();
    let mut deny: Vec<(&String, &str)> = Vec::new();
    if let Some(f) = &abs.filesystem {
        for p in &f.read_only_paths {
            allow.push((p, "r"));
            deny.push((p, "wlk"));
        }
        for p in &f.write_only_paths {
            allow.push((p, "wlk"));
            deny.push((p, "r"));
        }
        for p in &f.read_write_paths {
            allow.push((p, "rwlk"));
        }
    }
    if let Some(e) = &abs.executable {
        for p in &e.allowed_executables {
            allow.push((p, "ixr"));
        }
        for p in &e.allowed_libraries {
            allow.push((p, "mr"));
        }
    }
    let l = letter(right);
    let hits = |lines: &[(&String, &str)]| {
        lines
            .iter()
            .any(|(p, perms)| perms.contains(l) && aare(p).is_match(path.as_bytes()))
    };
    hits(&allow) && !hits(&deny)
}

const GLOBS: [&str; 9] = [
    // Directory-only (rules with other rights than create, delete, list and rename do
    // not load and are skipped).
    "/srv/*/",
    "/srv/a/**/",
    "/srv/**",
    "/srv/a/**",
    "/srv/a/b",
    "/srv/*/b",
    "/srv/{a,c}/**",
    "/srv/a/*.log",
    "/etc/x.conf",
];
const PATHS: [&str; 8] = [
    "/srv/a/b",
    "/srv/a/c.log",
    "/srv/c/d",
    "/srv/x/b",
    "/srv/a/b/c",
    "/srv/b",
    "/etc/x.conf",
    "/etc/y",
];
const RIGHTS: [Right; 10] = [
    Right::Read,
    Right::Write,
    Right::Append,
    Right::Create,
    Right::Delete,
    Right::Rename,
    Right::Link,
    Right::Lock,
    Right::Exec,
    Right::MapExec,
];

fn rule() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.2),
        0..GLOBS.len(),
        prop_oneof![
            prop::collection::btree_set(0..RIGHTS.len(), 1..4),
            // Every write right (what `wlk` grants exactly), with or without read.
            prop::bool::ANY.prop_map(|read| (usize::from(!read)..8).collect()),
        ],
    )
        .prop_map(|(deny, g, rights)| {
            let words: Vec<&str> = rights.iter().map(|&r| RIGHTS[r].name()).collect();
            format!(
                "    {} {} \"{}\"\n",
                if deny { "deny" } else { "allow" },
                words.join(" "),
                GLOBS[g]
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_difference_from_the_evaluator_is_reported(
        rules in prop::collection::vec(rule(), 1..5)
    ) {
        let text = format!("policy org.example.p {{\n{}}}\n", rules.concat());
        let Ok(loaded) = load(&Source::new("p.pol", text.clone()), &LoadOptions::default()) else {
            return Ok(());
        };
        let policy = loaded.policy;
        let out = compile(&policy, &Config::default()).unwrap();
        let not_exact = |i: usize| {
            out.report.entries.iter().any(|e| {
                e.subject == Subject::Rule { list: RuleListKind::File, index: i }
                    && e.fidelity != Fidelity::Exact
            })
        };
        // Each path as a file, and as a directory for the rights that apply to one
        // (AppArmor names a directory with a trailing `/`).
        let dir_rights = [Right::Create, Right::Delete, Right::Rename];
        for path in PATHS {
            let requests = RIGHTS
                .iter()
                .map(|r| (Request::file(path, *r), path.to_string(), *r))
                .chain(dir_rights.iter().map(|r| (Request::dir(path, *r), format!("{path}/"), *r)));
            for (request, named, right) in requests {
                let want = evaluate(&policy, &request).allowed;
                let got = node_allows(&out.profile, &named, right);
                if want == got {
                    continue;
                }
                let reported = policy
                    .files
                    .iter()
                    .enumerate()
                    .any(|(i, r)| r.glob.matches(path) && not_exact(i));
                prop_assert!(
                    reported,
                    "{right} on {named}: evaluator {want}, node {got}, yet every rule on it is exact\n{text}{:#?}\n{:#?}",
                    out.profile,
                    out.report.entries
                );
            }
        }
    }
}

#[test]
fn the_pattern_matcher_matches_as_apparmor_does() {
    assert!(aare("/srv/**[^/]").is_match(b"/srv/a/b"));
    assert!(!aare("/srv/**[^/]").is_match(b"/srv/a/"));
    assert!(aare("/srv/{a,c}/**[^/]").is_match(b"/srv/c/d"));
    assert!(!aare("/srv/*[^/]/b").is_match(b"/srv/a/c/b"));
    assert!(aare("/srv/a\\,b").is_match(b"/srv/a,b"));
    assert!(aare("/x\\x5cy").is_match(b"/x\\y"));
}
