//! Rewrites that keep a policy's meaning give an empty diff: the statements reordered,
//! split or merged (by rights and by globs), a brace expanded into its alternatives,
//! some moved into an abstraction of the same file, and the whole reformatted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diff::diff;
use polc_lang::{load, LoadOptions, Source};
use proptest::prelude::*;
use proptest::sample::select;

const GLOBS: &[&str] = &[
    "/etc/app/**",
    "/etc/app/secret",
    "/var/lib/app/*.db",
    "/var/lib/app/**",
    "/tmp/**",
    "/srv/{www,data}/**",
    "/srv/www/index.html",
    "/home/*/.config/app/**",
];
const RIGHTS: &[&str] = &[
    "read", "write", "create", "delete", "list", "lock", "append",
];
/// Literal executables, each with its one transition (overlapping globs with different
/// transitions are a checker error).
const EXECS: &[(&str, Option<&str>)] = &[
    ("/usr/bin/app", None),
    ("/usr/bin/convert", Some("org.example.converter")),
    ("/usr/libexec/app/helper", Some("org.example.helper")),
];

/// One rule of one right, glob, port range, capability or signal.
#[derive(Clone, Debug)]
enum Atom {
    File {
        deny: bool,
        right: &'static str,
        glob: &'static str,
    },
    Exec {
        path: &'static str,
        to: Option<&'static str>,
    },
    Net {
        deny: bool,
        op: &'static str,
        proto: &'static str,
        ports: &'static str,
    },
    Cap {
        deny: bool,
        name: &'static str,
    },
    Signal {
        dir: &'static str,
        signals: &'static str,
        peer: &'static str,
    },
}

fn atom() -> impl Strategy<Value = Atom> {
    prop_oneof![
        6 => (any::<bool>(), select(RIGHTS), select(GLOBS))
            .prop_map(|(d, right, glob)| Atom::File { deny: d && glob != "/tmp/**", right, glob }),
        1 => select(EXECS).prop_map(|(path, to)| Atom::Exec { path, to }),
        1 => (any::<bool>(), select(vec!["connect", "bind"]), select(vec!["tcp", "udp"]), select(vec!["", " 443", " 8000-8100"]))
            .prop_map(|(deny, op, proto, ports)| Atom::Net { deny, op, proto, ports }),
        1 => (any::<bool>(), select(vec!["chown", "setuid", "net_bind_service"]))
            .prop_map(|(deny, name)| Atom::Cap { deny, name }),
        1 => (select(vec!["send", "receive"]), select(vec!["", " term", " term, kill"]), select(vec!["self", "org.example.peer"]))
            .prop_map(|(dir, signals, peer)| Atom::Signal { dir, signals, peer }),
    ]
}

fn effect(deny: bool) -> &'static str {
    if deny {
        "deny"
    } else {
        "allow"
    }
}

/// Statements for atoms, one each.
fn one_each(atoms: &[Atom]) -> Vec<String> {
    atoms
        .iter()
        .map(|a| match a {
            Atom::File { deny, right, glob } => format!("{} {right} \"{glob}\"", effect(*deny)),
            Atom::Exec { path, to } => match to {
                Some(t) => format!("allow exec \"{path}\" as {t}"),
                None => format!("allow exec \"{path}\""),
            },
            Atom::Net {
                deny,
                op,
                proto,
                ports,
            } => format!("{} net {op} {proto}{ports}", effect(*deny)),
            Atom::Cap { deny, name } => format!("{} capability {name}", effect(*deny)),
            Atom::Signal { dir, signals, peer } => {
                let prep = if *dir == "send" { "to" } else { "from" };
                format!("allow signal {dir}{signals} {prep} {peer}")
            }
        })
        .collect()
}

/// The same atoms grouped: file rules with the same effect and glob in one statement,
/// then statements with the same effect and rights joined over their globs; braces of
/// file rules expanded into their alternatives.
fn grouped(atoms: &[Atom]) -> Vec<String> {
    use std::collections::BTreeMap;
    let mut by_glob: BTreeMap<(bool, String), Vec<&str>> = BTreeMap::new();
    let mut rest = Vec::new();
    for a in atoms {
        match a {
            Atom::File { deny, right, glob } => {
                let globs: Vec<String> = if glob.contains('{') {
                    // `/srv/{www,data}/**` → `/srv/www/**`, `/srv/data/**`
                    vec![
                        glob.replace("{www,data}", "www"),
                        glob.replace("{www,data}", "data"),
                    ]
                } else {
                    vec![glob.to_string()]
                };
                for g in globs {
                    let v = by_glob.entry((*deny, g)).or_default();
                    if !v.contains(right) {
                        v.push(right);
                    }
                }
            }
            other => rest.push(other.clone()),
        }
    }
    let mut by_rights: BTreeMap<(bool, Vec<&str>), Vec<String>> = BTreeMap::new();
    for ((deny, glob), mut rights) in by_glob {
        rights.sort_unstable();
        by_rights.entry((deny, rights)).or_default().push(glob);
    }
    let mut out: Vec<String> = by_rights
        .into_iter()
        .map(|((deny, rights), globs)| {
            let globs: Vec<String> = globs.iter().map(|g| format!("\"{g}\"")).collect();
            format!("{} {} {}", effect(deny), rights.join(" "), globs.join(", "))
        })
        .collect();
    out.extend(one_each(&rest));
    out
}

fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
}

/// A policy file: `stmts` in the policy, `moved` in an abstraction it uses, laid out
/// with the whitespace and comments `style` picks.
fn file(stmts: &[String], moved: &[String], style: u64) -> String {
    let sep = match style % 3 {
        0 => "\n    ",
        1 => "   # a comment\n\t",
        _ => " ",
    };
    let mut s = String::new();
    let abstraction = if moved.is_empty() {
        String::new()
    } else {
        format!(
            "abstraction extracted {{ version 1{sep}{} }}\n",
            moved.join(sep)
        )
    };
    if style % 2 == 1 {
        s.push_str(&abstraction);
    }
    s.push_str("policy org.example.app {");
    s.push_str(sep);
    s.push_str("version 1");
    if !moved.is_empty() {
        s.push_str(sep);
        s.push_str("use extracted");
    }
    for st in stmts {
        s.push_str(sep);
        s.push_str(st);
    }
    s.push_str("\n}\n");
    if style.is_multiple_of(2) {
        s.push_str(&abstraction);
    }
    s
}

fn load_ok(name: &str, text: &str) -> polc_lang::ir::Policy {
    match load(&Source::new(name, text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!("{name} does not load: {:#?}\n{text}", f.diagnostics),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn meaning_preserving_rewrites_give_an_empty_diff(
        atoms in proptest::collection::vec(atom(), 0..14),
        seed in any::<u64>(),
        cut in 0usize..16,
        style in any::<u64>(),
    ) {
        let original = file(&one_each(&atoms), &[], 0);
        let mut rewritten = grouped(&atoms);
        shuffle(&mut rewritten, seed);
        let cut = cut.min(rewritten.len());
        let moved = rewritten.split_off(cut);
        let text = file(&rewritten, &moved, style);
        let old = load_ok("old.pol", &original);
        let new = load_ok("new.pol", &text);
        let d = diff(&old, &new);
        prop_assert!(d.is_empty(), "{original}\n---\n{text}\n{d:#?}");
        prop_assert!(diff(&new, &old).is_empty());
    }
}
