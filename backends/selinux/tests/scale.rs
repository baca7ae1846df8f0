//! Policies with many rules compile in time that grows with the rules, not their square.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::P;
use polc_selinux::{compile, Config, FileContexts};

/// 3,000 file rules on distinct trees: the union of the allow globs of each right was
/// rebuilt for every rule (every glob copied, sorted and hashed: 10,000 rules ran for
/// over a minute); it is built once per right.
#[test]
fn thousands_of_file_rules_compile() {
    let n = 3000;
    let mut p = P::new("org.example.app");
    for i in 0..n {
        p = p.allow("read", &format!("/v{i}/**"));
    }
    let cfg = Config {
        file_contexts: Some(FileContexts::parse("/.* system_u:object_r:default_t:s0\n").unwrap()),
        ..Config::default()
    };
    let c = compile(&p.0, &cfg).unwrap();
    let rules = c
        .report
        .entries
        .iter()
        .filter(|e| e.rule.starts_with("allow read \"/v"))
        .count();
    assert_eq!(rules, n);
    assert!(c.cil.contains("default_t"), "{}", c.cil);
}
