//! The glob algebra against a brute-force oracle.
//!
//! The oracle is written from the language definition and shares no code with the
//! implementation: brace expansion over the text, a recursive backtracking matcher per
//! expansion, a path-validity check, and enumeration of the valid paths up to
//! [`MAX_LEN`] characters over [`ALPHABET`] (the glob characters plus `x`, which no
//! generated glob names, so the "any other character" class is exercised too).
//!
//! Random globs are built over `a`, `b`, `.`, `/`, `*`, `**`, `?`, nested `{x,y}`, and
//! character classes with and without `+` (negated ones match `x`; see [`gen::CLASSES`]).
//! Case counts are set explicitly so that `PROPTEST_CASES` cannot lower them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::glob::{Emptiness, Glob};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::HashSet;

/// Characters of enumerated paths.
const ALPHABET: [char; 5] = ['a', 'b', 'x', '.', '/'];
/// Longest enumerated path.
const MAX_LEN: usize = 7;

mod gen;
mod oracle;

use gen::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_local_rejects: cases.saturating_mul(20),
        max_global_rejects: cases.saturating_mul(20),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Checks shared by the properties

/// `w` is a valid path in the set (by the backtracking matcher), and the enumeration
/// finds no shorter one.
fn check_witness(
    w: &str,
    in_set: impl Fn(&str) -> bool,
    shorter: impl Fn(usize) -> Option<String>,
) -> Result<(), TestCaseError> {
    prop_assert!(oracle::valid(w), "witness `{}` is not a valid path", w);
    prop_assert!(in_set(w), "witness `{}` is not in the set", w);
    let len = w.chars().count();
    if len <= MAX_LEN {
        let found = shorter(len - 1);
        prop_assert!(
            found.is_none(),
            "`{:?}` is shorter than witness `{}`",
            found,
            w
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(12_000))]

    /// `matches` agrees with the backtracking oracle on random and on near-miss paths.
    #[test]
    fn matches_agrees_with_oracle(
        glob in valid_glob(),
        random in path(),
        seed in any::<u64>(),
        near in any::<bool>(),
    ) {
        let g = Glob::parse(&glob).unwrap();
        let p = if near { instantiate(&glob, seed) } else { random };
        let exps = oracle::texts(&glob);
        prop_assert_eq!(g.matches(&p), oracle::matches(&exps, &p), "glob `{}` path `{}`", glob, p);
    }
}

proptest! {
    #![proptest_config(config(10_000))]

    /// `is_subset` and `difference_witness` against the oracle: a witness is checked
    /// directly; "subset" is checked by enumerating `a`'s short paths.
    #[test]
    fn subset_agrees_with_oracle((a, b) in glob_pair()) {
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let outcome = ga.difference(&gb);
        prop_assert_eq!(ga.is_subset(&gb), outcome == Emptiness::Empty);
        match outcome {
            Emptiness::Witness(w) => {
                prop_assert_eq!(ga.difference_witness(&gb), Some(w.clone()));
                check_witness(
                    &w,
                    |p| oracle::matches(&ea, p) && !oracle::matches(&eb, p),
                    |n| oracle::in_a_not_b(&ea, &eb, n),
                )?;
            }
            Emptiness::Empty => {
                prop_assert_eq!(ga.difference_witness(&gb), None);
                let bad = oracle::in_a_not_b(&ea, &eb, MAX_LEN);
                prop_assert!(bad.is_none(), "`{}` ⊆ `{}` claimed, but `{:?}`", a, b, bad);
            }
            Emptiness::Unknown => prop_assert!(false, "search bound reached on `{}` ∖ `{}`", a, b),
        }
    }

    /// `intersects` and `intersection_witness` against the oracle, and symmetry.
    #[test]
    fn intersection_agrees_with_oracle((a, b) in glob_pair()) {
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let outcome = ga.intersection(&gb);
        prop_assert_eq!(ga.intersects(&gb), outcome != Emptiness::Empty);
        prop_assert_eq!(gb.intersects(&ga), outcome != Emptiness::Empty, "not symmetric");
        match outcome {
            Emptiness::Witness(w) => {
                prop_assert_eq!(ga.intersection_witness(&gb), Some(w.clone()));
                check_witness(
                    &w,
                    |p| oracle::matches(&ea, p) && oracle::matches(&eb, p),
                    |n| oracle::in_both(&ea, &eb, n),
                )?;
            }
            Emptiness::Empty => {
                prop_assert_eq!(ga.intersection_witness(&gb), None);
                let common = oracle::in_both(&ea, &eb, MAX_LEN);
                prop_assert!(common.is_none(), "`{}` ∩ `{}` = ∅ claimed, but `{:?}`", a, b, common);
            }
            Emptiness::Unknown => prop_assert!(false, "search bound reached on `{}` ∩ `{}`", a, b),
        }
    }
}

proptest! {
    #![proptest_config(config(5_000))]

    /// `Glob::parse` accepts exactly what the restated rules accept, including the
    /// generator's invalid globs (`***`, `//`, `.` components, stars joined by braces).
    #[test]
    fn parse_agrees_with_oracle(t in tree(), relative in 0u8..8) {
        let mut text = render(&t);
        if relative == 0 {
            text.remove(0);
        }
        let parsed = Glob::parse(&text);
        prop_assert_eq!(parsed.is_ok(), oracle::glob_ok(&text), "`{}`: {:?}", text, parsed);
        if let Err(e) = parsed {
            prop_assert!(e.start <= e.end && e.end <= text.len());
            prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
        }
    }

    /// `Glob::parse` never panics, and its error ranges lie in the text.
    #[test]
    fn parse_never_panics(
        text in prop_oneof![
            any::<String>(),
            "[/{},*?.ab\\x00\\n]{0,24}",
            "/[{},*?ab/]{0,40}",
            "/[\\[\\]^+{},*?ab/-]{0,24}",
        ]
    ) {
        match Glob::parse(&text) {
            Ok(g) => {
                prop_assert!(oracle::glob_ok(&text), "`{:?}` accepted", text);
                let _ = g.matches("/a/b");
                let _ = g.literal_dir_prefix();
                prop_assert!(g.expansions().len() <= polc_lang::glob::MAX_EXPANSIONS);
            }
            Err(e) => {
                prop_assert!(!oracle::glob_ok(&text), "`{:?}` refused: {:?}", text, e);
                prop_assert!(e.start <= e.end && e.end <= text.len());
                prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(3_000))]

    /// `Glob::parse_path` (a file rule's path, a trailing `/` for directories only)
    /// agrees with the restated rules: what it accepts means the same paths and the same
    /// type as the oracle says; what the oracle refuses it refuses; the one thing it may
    /// refuse beyond the oracle is a path whose every expansion ends with `/` but whose
    /// slashes cannot be taken out of the text alone (E0126).
    #[test]
    fn rule_path_agrees_with_oracle(t in tree(), slash in 0u8..4) {
        let mut text = render(&t);
        match slash {
            1 => text.push('/'),
            2 => text.push_str("{/,}"),
            3 => text.push_str("{/,/}"),
            _ => {}
        }
        let expected = oracle::rule_path(&text);
        match Glob::parse_path(&text) {
            Ok((g, dir)) => {
                let Some((exps, odir)) = expected else {
                    return Err(TestCaseError::fail(format!("`{text}` accepted, the oracle refuses")));
                };
                prop_assert_eq!(dir, odir, "`{}`", text);
                prop_assume!(exps.len() <= MAX_PAIR_EXPANSIONS);
                for p in oracle::all_valid_paths(MAX_LEN - 2) {
                    prop_assert_eq!(g.matches(&p), oracle::matches(&exps, &p), "`{}` on `{}`", text, p);
                }
            }
            Err(e) => {
                prop_assert!(e.start <= e.end && e.end <= text.len());
                if expected.is_some() {
                    prop_assert_eq!(
                        &e.kind,
                        &polc_lang::glob::GlobErrorKind::MixedDirForm { all_end: true },
                        "`{}`",
                        text
                    );
                }
            }
        }
    }
}

#[test]
fn rule_paths_of_each_form() {
    let dir = |t: &str| Glob::parse_path(t).map(|(g, d)| (g.as_str().to_string(), d));
    assert_eq!(dir("/srv/cache/").unwrap(), ("/srv/cache".into(), true));
    assert_eq!(dir("/srv/{a,b}/").unwrap(), ("/srv/{a,b}".into(), true));
    assert_eq!(dir("/srv/{a/,b/}").unwrap(), ("/srv/{a,b}".into(), true));
    assert_eq!(dir("/").unwrap(), ("/".into(), false));
    assert_eq!(dir("/srv/*").unwrap(), ("/srv/*".into(), false));
    for bad in ["//", "/a//", "/a/{,b/}", "/a/{b/,c}", "/a/[^/]/"] {
        let e = Glob::parse_path(bad);
        assert!(e.is_err() || bad == "/a/[^/]/", "`{bad}`: {e:?}");
    }
    assert_eq!(dir("/a/[^/]/").unwrap(), ("/a/[^/]".into(), true));
}

/// The two oracles agree: brute-force generation of a glob's short paths equals the
/// enumeration of all valid paths filtered by the backtracking matcher.
#[test]
fn oracle_enumerations_agree() {
    let all = oracle::all_valid_paths(MAX_LEN);
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = valid_glob();
    for _ in 0..100 {
        let glob = strategy.new_tree(&mut runner).unwrap().current();
        let exps = oracle::texts(&glob);
        let by_filter: HashSet<String> = all
            .iter()
            .filter(|p| oracle::matches(&exps, p))
            .cloned()
            .collect();
        assert_eq!(oracle::members(&exps, MAX_LEN), by_filter, "glob `{glob}`");
    }
    let pairs = glob_pair();
    for _ in 0..60 {
        let (a, b) = pairs.new_tree(&mut runner).unwrap().current();
        let (ea, eb) = (oracle::texts(&a), oracle::texts(&b));
        let (ma, mb) = (
            |p: &String| oracle::matches(&ea, p),
            |p: &String| oracle::matches(&eb, p),
        );
        let diff = oracle::in_a_not_b(&ea, &eb, MAX_LEN);
        assert_eq!(
            diff.is_some(),
            all.iter().any(|p| ma(p) && !mb(p)),
            "`{a}` ∖ `{b}`"
        );
        assert!(diff.is_none_or(|p| ma(&p) && !mb(&p)), "`{a}` ∖ `{b}`");
        let both = oracle::in_both(&ea, &eb, MAX_LEN);
        assert_eq!(
            both.is_some(),
            all.iter().any(|p| ma(p) && mb(p)),
            "`{a}` ∩ `{b}`"
        );
        assert!(both.is_none_or(|p| ma(&p) && mb(&p)), "`{a}` ∩ `{b}`");
    }
}

/// The generators are not degenerate: on a fixed sample, both answers of each question
/// are common (otherwise the properties above would test little).
#[test]
fn generators_cover_both_answers() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let pairs = glob_pair();
    let (mut subset, mut intersect, n) = (0, 0, 1000);
    for _ in 0..n {
        let (a, b) = pairs.new_tree(&mut runner).unwrap().current();
        let (ga, gb) = (Glob::parse(&a).unwrap(), Glob::parse(&b).unwrap());
        subset += usize::from(ga.is_subset(&gb));
        intersect += usize::from(ga.intersects(&gb));
    }
    assert!(
        (n / 5..=n * 4 / 5).contains(&subset),
        "subset in {subset} of {n}"
    );
    assert!(
        (n / 5..=n * 4 / 5).contains(&intersect),
        "intersect in {intersect} of {n}"
    );

    let (globs, seeds) = (valid_glob(), any::<u64>());
    let mut matched = 0;
    for _ in 0..n {
        let glob = globs.new_tree(&mut runner).unwrap().current();
        let p = instantiate(&glob, seeds.new_tree(&mut runner).unwrap().current());
        matched += usize::from(Glob::parse(&glob).unwrap().matches(&p));
    }
    assert!(
        matched >= n / 5,
        "near-miss paths matched in {matched} of {n}"
    );
}
