//! The real `apparmor_parser` accepts the profile of every generated policy: 1,000 per run
//! (10 batches of 100), with hostile strings in paths and attachments, on ABI 3.0. And
//! equivalent policies (statements shuffled, repeated) compile to the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod strategies;

use polc_apparmor::{compile, Config};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn parser_accepts_every_generated_profile(
        policies in proptest::collection::vec(strategies::policy(), 100)
    ) {
        let texts: Vec<String> = policies
            .iter()
            .map(|p| match compile(p, &Config::default()) {
                Ok(c) => c.text,
                Err(e) => panic!("{e}\n{p:#?}"),
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let results = common::parser().validate_all(&refs).unwrap();
        for (text, r) in texts.iter().zip(results) {
            if let Err(e) = r {
                prop_assert!(false, "{}\n--- profile ---\n{}", e, text);
            }
        }
        // Deterministic: compiling again gives the same bytes.
        for (p, t) in policies.iter().zip(&texts) {
            prop_assert_eq!(&compile(p, &Config::default()).unwrap().text, t);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_and_repeated_statements_compile_to_the_same_bytes(
        (parts, order, repeat) in strategies::parts().prop_flat_map(|p| {
            let n = p.3.len();
            (
                Just(p),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
                proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
            )
        })
    ) {
        let (name, attach, complain, stmts) = parts.clone();
        // Exec transitions keep their first-come order: the conflict filter is the
        // checker's, which refuses such policies outright.
        let mut shuffled: Vec<strategies::Stmt> = order.iter().map(|i| stmts[*i].clone()).collect();
        if !stmts.is_empty() {
            shuffled.extend(repeat.iter().map(|i| stmts[i.index(stmts.len())].clone()));
        }
        let has_conflict = |v: &[strategies::Stmt]| {
            let mut seen = std::collections::BTreeMap::new();
            v.iter().any(|s| match s {
                strategies::Stmt::File(_, r, g, as_)
                    if common::rights(r).contains(polc_lang::rights::Right::Exec) =>
                {
                    *seen.entry(g.clone()).or_insert(*as_) != *as_
                }
                _ => false,
            })
        };
        prop_assume!(!has_conflict(&stmts));
        let a = compile(&strategies::build(&parts), &Config::default()).unwrap().text;
        let b = compile(&strategies::build(&(name, attach, complain, shuffled)), &Config::default())
            .unwrap()
            .text;
        prop_assert_eq!(a, b);
    }
}
