//! Injection: for generated hostile paths, the compiled binary policy
//! (`apparmor_parser -Q -K -S`) of the emitted profile equals that of a profile holding only
//! the intended rules, written here independently (every byte of the path as an octal
//! escape, which the parser decodes to the literal byte), or the input was refused (by the
//! glob module, which the checker uses, or by the backend).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod strategies;

use common::{parser, PolicyBuilder};
use polc_apparmor::{compile, Config, Error};
use polc_lang::ir::Effect;
use proptest::prelude::*;

/// Rights whose AppArmor rule is on the file form only, with the letters AppArmor gives
/// them (an allowed `exec` stays in the profile: `ix`).
const FILE_RIGHTS: &[(&str, &str, &str)] = &[
    ("read", "r", "r"),
    ("write", "w", "w"),
    ("append", "a", "a"),
    ("exec", "ix", "x"),
    ("map-exec", "m", "m"),
    ("lock", "k", "k"),
    ("link", "l", "l"),
];

/// The path in AppArmor's octal escapes: `\ooo` for every byte but `/` (AppArmor's lexer
/// wants a quoted path to start with a plain `/`).
fn octal(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b == b'/' {
                "/".to_string()
            } else {
                format!("\\{b:03o}")
            }
        })
        .collect()
}

/// The brace expansions of a glob made of literals and `{a,b}` groups only.
fn expand(glob: &str) -> Vec<String> {
    let Some(open) = glob.find('{') else {
        return vec![glob.to_string()];
    };
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut start = open + 1;
    let mut close = open;
    for (i, c) in glob.char_indices().skip_while(|(i, _)| *i <= open) {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                parts.push(&glob[start..i]);
                close = i;
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&glob[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let (pre, post) = (&glob[..open], &glob[close + 1..]);
    parts
        .iter()
        .flat_map(|p| expand(&format!("{pre}{p}{post}")))
        .collect()
}

/// The intended profile: one rule per expansion.
fn reference(name: &str, effect: Effect, letters: &str, paths: &[String]) -> String {
    let q = if effect == Effect::Deny { "deny " } else { "" };
    let mut t = format!("abi <abi/3.0>,\nprofile \"{name}\" {{\n");
    for p in paths {
        t.push_str(&format!("  {q}\"{}\" {letters},\n", octal(p)));
    }
    t.push_str("}\n");
    t
}

fn hostile_glob() -> impl Strategy<Value = String> {
    let component = prop_oneof![
        3 => strategies::literal_component(),
        1 => (strategies::literal_component(), strategies::literal_component())
            .prop_map(|(a, b)| format!("{{{a},{b}}}")),
        1 => (strategies::literal_component(), strategies::literal_component())
            .prop_map(|(a, b)| format!("{a}@{{{b},x}}")),
    ];
    // A few raw control characters and empty components too, which must be refused.
    let raw = prop_oneof![
        20 => Just(String::new()),
        1 => Just("\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\u{7}".to_string()),
        1 => Just("/".to_string()),
    ];
    (proptest::collection::vec(component, 1..4), raw)
        .prop_map(|(v, raw)| format!("/{}{raw}", v.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn hostile_paths_compile_to_exactly_the_intended_rules(
        glob in hostile_glob(),
        right in proptest::sample::select(FILE_RIGHTS),
        deny in any::<bool>(),
    ) {
        let (keyword, allow_letters, deny_letters) = right;
        let effect = if deny { Effect::Deny } else { Effect::Allow };
        if polc_lang::glob::Glob::parse(&glob).is_err() {
            // Refused before the backend: such a glob cannot be in the IR.
            return Ok(());
        }
        let policy = PolicyBuilder::new("org.example.app")
            .file(effect, keyword, &[&glob], None)
            .build();
        let out = match compile(&policy, &Config::default()) {
            Ok(out) => out,
            Err(Error::UnsafeGlob { .. }) => {
                prop_assert!(
                    glob.chars().any(char::is_control) || glob.contains("//") || glob.ends_with('/'),
                    "refused a safe glob {:?}", glob
                );
                return Ok(());
            }
            Err(e) => panic!("{e}"),
        };
        prop_assert!(!glob.chars().any(char::is_control), "accepted {:?}", glob);
        let letters = if deny { deny_letters } else { allow_letters };
        // `write` implies `append`, which `w` covers.
        let paths: Vec<String> = expand(&glob).into_iter().filter(|p| p != "/").collect();
        // Globs with an invalid expansion are the checker's to refuse (the rule for such an
        // expansion only matches strings the kernel never presents).
        prop_assume!(paths.iter().all(|p| !p.contains("//") && !p.ends_with('/')));
        let want = reference("org.example.app", effect, letters, &paths);
        let p = parser();
        let got_bin = p.compile_binary(&out.text)
            .unwrap_or_else(|e| panic!("{e}\n{}", out.text));
        let want_bin = p.compile_binary(&want).unwrap_or_else(|e| panic!("{e}\n{want}"));
        prop_assert!(got_bin == want_bin, "binaries differ\n--- emitted ---\n{}\n--- intended ---\n{}", out.text, want);
    }
}

/// A string literal of the language: `"` and `\` escaped, nothing else.
fn polc_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The same through the front end: the policy is source text, and the checker may
    /// refuse it (control characters, `${...}`, empty components); what it accepts compiles
    /// to exactly the intended rules.
    #[test]
    fn hostile_policy_text_compiles_to_exactly_the_intended_rules(
        glob in hostile_glob(),
        right in proptest::sample::select(FILE_RIGHTS),
        deny in any::<bool>(),
    ) {
        let (keyword, allow_letters, deny_letters) = right;
        let effect = if deny { "deny" } else { "allow" };
        let src = format!(
            "policy org.example.app {{\n    {effect} {keyword} {}\n}}\n",
            polc_string(&glob)
        );
        let Ok(loaded) = polc_lang::load(
            &polc_lang::Source::new("hostile.pol", src),
            &polc_lang::LoadOptions::default(),
        ) else {
            return Ok(()); // refused by the checker
        };
        let policy = loaded.policy;
        prop_assert_eq!(policy.files.len(), 1);
        let out = compile(&policy, &Config::default()).unwrap();
        let paths: Vec<String> = policy.files[0]
            .glob
            .expansions()
            .into_iter()
            .filter(|p| p != "/")
            .collect();
        let e = if deny { Effect::Deny } else { Effect::Allow };
        let letters = if deny { deny_letters } else { allow_letters };
        let want = reference("org.example.app", e, letters, &paths);
        let p = parser();
        let got_bin = p.compile_binary(&out.text).unwrap_or_else(|e| panic!("{e}\n{}", out.text));
        let want_bin = p.compile_binary(&want).unwrap_or_else(|e| panic!("{e}\n{want}"));
        prop_assert!(got_bin == want_bin, "binaries differ\n--- emitted ---\n{}\n--- intended ---\n{}", out.text, want);
    }
}

#[test]
fn the_reference_is_sensitive_to_a_changed_rule() {
    // A sanity check of the oracle: different rules give different binaries.
    let p = parser();
    let a = p
        .compile_binary(&reference("t", Effect::Allow, "r", &["/a\"b".into()]))
        .unwrap();
    let b = p
        .compile_binary(&reference("t", Effect::Allow, "r", &["/a\"c".into()]))
        .unwrap();
    let c = p
        .compile_binary(&reference("t", Effect::Allow, "w", &["/a\"b".into()]))
        .unwrap();
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_eq!(expand("/a{b,c{d,e}}f"), vec!["/abf", "/acdf", "/acef"]);
}
