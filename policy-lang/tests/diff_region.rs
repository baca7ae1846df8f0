//! `glob::region` (the sets the diff reports) against a brute-force oracle: every valid
//! path up to a length over a small alphabet.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::glob::{is_valid_path, region, Emptiness, Glob};
use proptest::prelude::*;
use proptest::sample::select;

const GLOBS: &[&str] = &[
    "/a",
    "/a/b",
    "/a/*",
    "/a/**",
    "/**",
    "/*",
    "/a/{b,c}",
    "/?/b",
    "/a/b*",
    "/a/**/b",
    "/{a,b}/**",
    "/*/b",
    "/a?",
    "/**b",
    "/.*",
    "/a/*/*",
    "/{,a/}b",
];

/// Every valid path of up to `n` characters over `a b x / .`.
fn paths(n: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut all = Vec::new();
    for _ in 0..n {
        let mut next = Vec::new();
        for p in &out {
            for c in ['a', 'b', 'x', '/', '.'] {
                next.push(format!("{p}{c}"));
            }
        }
        all.extend(next.iter().cloned());
        out = next;
    }
    all.retain(|p| is_valid_path(p));
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn region_agrees_with_brute_force(
        within in proptest::collection::vec(select(GLOBS), 0..3),
        except in proptest::collection::vec(select(GLOBS), 0..4),
    ) {
        let w: Vec<Glob> = within.iter().map(|g| Glob::parse(g).unwrap()).collect();
        let e: Vec<Glob> = except.iter().map(|g| Glob::parse(g).unwrap()).collect();
        let wr: Vec<&Glob> = w.iter().collect();
        let er: Vec<&Glob> = e.iter().collect();
        let inside = |p: &str| is_valid_path(p) && wr.iter().all(|g| g.matches(p)) && !er.iter().any(|g| g.matches(p));
        let shortest = paths(6).into_iter().filter(|p| inside(p)).map(|p| p.chars().count()).min();
        match region(&wr, &er) {
            Emptiness::Witness(p) => {
                prop_assert!(inside(&p), "witness {p} not in the set");
                if let Some(n) = shortest {
                    prop_assert!(p.chars().count() <= n, "witness {p} longer than {n}");
                }
            }
            Emptiness::Empty => prop_assert!(shortest.is_none(), "empty, but a path of length {shortest:?} is in it"),
            Emptiness::Unknown => prop_assert!(false, "undecided on small globs"),
        }
    }
}
