//! Hostile input for the AppArmor importer: random token soups, mutated real profiles,
//! include cycles and expansion bombs end in a located error or an import, never a panic
//! or a hang.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_apparmor::import::{
    import, Class, ImportErrorKind, ImportOptions, IncludeRequest, Resolved, Resolver,
};
use proptest::prelude::*;

/// `tunables/global` defines a few variables; `self` includes itself; a directory.
struct Files;

impl Resolver for Files {
    fn resolve(&self, req: &IncludeRequest<'_>) -> Resolved {
        match req.name {
            "tunables/global" => Resolved::File {
                name: "tunables/global".into(),
                text: "@{HOME}=/home/*/ /root/\n@{PROC}=/proc/\n@{pid}={[1-9],[1-9][0-9]}\n".into(),
            },
            "self" => Resolved::File {
                name: "self".into(),
                text: "include <self>\n".into(),
            },
            "dir" => Resolved::Dir(vec!["a".into(), "self".into()]),
            "dir/self" => Resolved::File {
                name: "dir/self".into(),
                text: "include <dir>\n".into(),
            },
            "dir/a" => Resolved::File {
                name: "dir/a".into(),
                text: "/a r,\n".into(),
            },
            _ => Resolved::Missing,
        }
    }
}

const PING: &str = include_str!("../../../tests/real-profiles/source/profiles/bin.ping");

const TOKENS: &[&str] = &[
    "profile",
    "p",
    "{",
    "}",
    ",",
    "\n",
    " ",
    "/",
    "**",
    "*",
    "@{HOME}",
    "@{pid}",
    "@{X}",
    "r",
    "rw",
    "ix",
    "Px",
    "->",
    "owner",
    "audit",
    "deny",
    "capability",
    "network",
    "inet",
    "stream",
    "signal",
    "(send)",
    "set=(",
    ")",
    "peer=",
    "\"",
    "#",
    "include",
    "<tunables/global>",
    "<self>",
    "<dir>",
    "if",
    "exists",
    "^hat",
    "flags=(complain)",
    "=",
    "+=",
    "[0-9]",
    "{a,b}",
    "dbus",
    "unix",
    "mount",
    "\\",
    "\u{0}",
    "é",
    "abi",
    "<abi/3.0>",
    "peer=foo",
    "set=(\"a b\")",
    "set=(term)",
    "/usr/bin/x",
    "px",
    "Cx",
    "t",
    "file",
    "network inet dgram",
    "capability chown",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..60).prop_map(|v| v.concat())
}

/// Import; when it succeeds, the statements of every importable rule are polc syntax;
/// when it fails, the message is one line and the position is inside the text.
fn run(text: &str) {
    let imp = match import("input", text, &Files, &ImportOptions::default()) {
        Ok(imp) => imp,
        Err(e) => {
            assert!(!e.message.contains(char::is_control), "{text:?}: {e:?}");
            if e.file == "input" {
                assert!(
                    e.line as usize <= text.lines().count() + 1,
                    "{text:?}: {e:?}"
                );
            }
            return;
        }
    };
    let mut body = String::new();
    for e in &imp.entries {
        if e.class != Class::NotImportable && e.child.is_none() {
            for l in &e.polc {
                body.push_str(l);
                body.push('\n');
            }
        }
    }
    let policy = format!("policy {} {{\n{body}}}\n", imp.name);
    let (_, diags) = polc_lang::syntax::parse("imported.pol", &policy);
    assert!(
        diags.is_empty(),
        "{text:?} imported as {policy:?}: {:?}",
        diags.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn token_soups_never_panic(text in soup()) {
        run(&text);
    }

    #[test]
    fn mutated_real_profiles_never_panic(cut in 0usize..PING.len(), len in 0usize..40, insert in soup()) {
        let mut s: Vec<char> = PING.chars().collect();
        let cut = cut.min(s.len());
        let end = (cut + len).min(s.len());
        s.splice(cut..end, insert.chars());
        run(&s.into_iter().collect::<String>());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        run(&text);
    }
}

#[test]
fn include_cycles_and_bombs_are_errors() {
    let e = import(
        "input",
        "profile p {\n  include <self>\n}\n",
        &Files,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ImportErrorKind::IncludeCycle);
    assert_eq!(e.kind.code(), "E0502");
    // A directory include that reaches the cycle through one of its files.
    let e = import(
        "input",
        "profile p {\n include <dir>\n}\n",
        &Files,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind.code(), "E0502");
    // Variables whose product explodes: 8 values, 6 times.
    let mut bomb = String::from("@{A}=a b c d e f g h\nprofile p {\n  /");
    bomb.push_str(&"@{A}".repeat(6));
    bomb.push_str(" r,\n}\n");
    let e = import("input", &bomb, &Files, &ImportOptions::default()).unwrap_err();
    assert_eq!((e.kind.code(), e.line, e.column), ("E0504", 3, 3));
    // A variable that refers to itself.
    let e = import(
        "input",
        "@{A}=@{A}x\nprofile p {\n  /@{A} r,\n}\n",
        &Files,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind.code(), "E0504");
}

/// A signal set that is not a list of words is not importable, rather than a broken
/// polc statement (`allow signal send a\b to foo`).
#[test]
fn odd_signal_names_are_not_written() {
    let text = "profile p {\n  signal (send) set=(a\\b) peer=foo,\n  signal (send) set=(term) peer=foo,\n}\n";
    run(text);
    let imp = import("input", text, &Files, &ImportOptions::default()).unwrap();
    assert_eq!(imp.entries[1].class, Class::NotImportable);
    assert!(imp.entries[1].polc.is_empty());
    assert_eq!(imp.entries[2].polc, ["allow signal send term to foo"]);
}

/// A word that runs over a line end (a trailing `\\`) is quoted in the error on one line,
/// cut to 40 characters (found by the fuzzer on a mutated real profile).
#[test]
fn errors_quote_the_profile_on_one_line() {
    let text = "profile p {\n  /bin/x mixr\\\n  /etc/modules.conf you can redistribute it\n}\n";
    run(text);
    let e = import("input", text, &Files, &ImportOptions::default()).unwrap_err();
    assert_eq!(
        (e.kind.code(), e.line, e.column, e.message.as_str()),
        (
            "E0500",
            4,
            1,
            "expected `,` after `/bin/x mixr\\\\n /etc/modules.conf you can …` before `}`"
        )
    );
}
