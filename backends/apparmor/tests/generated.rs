//! The real `apparmor_parser` accepts the profile of every generated policy: 1,000 per run
//! (10 batches of 100), with hostile strings in paths and attachments, on ABI 3.0.
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
