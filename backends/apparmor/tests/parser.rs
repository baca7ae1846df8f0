//! The `apparmor_parser` runner: errors are attributed to the right profile and line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use polc_apparmor::ParserError;

const GOOD: &str = "abi <abi/3.0>,\nprofile \"a\" {\n  \"/x\" r,\n}\n";
const BAD: &str = "abi <abi/3.0>,\nprofile \"b\" {\n  \"/x\" rw, bogus\n}\n";

#[test]
fn a_batch_names_the_refused_profiles() {
    let p = common::parser();
    let many: Vec<&str> = (0..250)
        .map(|i| if i == 137 { BAD } else { GOOD })
        .collect();
    let results = p.validate_all(&many).unwrap();
    assert_eq!(results.len(), 250);
    for (i, r) in results.iter().enumerate() {
        match (i, r) {
            (137, Err(ParserError::Rejected { message, line, .. })) => {
                assert_eq!(*line, Some(4), "{message}");
                assert!(message.contains("syntax error"), "{message}");
            }
            (137, other) => panic!("{other:?}"),
            (_, r) => assert!(r.is_ok(), "{i}: {r:?}"),
        }
    }
}

#[test]
fn binaries_and_errors() {
    let p = common::parser();
    assert!(!p.compile_binary(GOOD).unwrap().is_empty());
    let e = p.compile_binary(BAD).unwrap_err();
    assert_eq!(
        e.to_string(),
        "apparmor_parser rejected the profile at line 4: syntax error, unexpected TOK_CLOSE, expecting TOK_MODE"
    );
    assert!(p
        .version()
        .unwrap()
        .starts_with(|c: char| c.is_ascii_digit()));
    polc_apparmor::validate(GOOD).unwrap();
}
