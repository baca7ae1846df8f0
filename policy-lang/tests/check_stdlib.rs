//! Every built-in abstraction loads cleanly, alone and together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::ast::ItemKind;
use polc_lang::stdlib;

#[test]
fn each_stdlib_file_defines_its_abstraction_at_version_1() {
    for (name, text) in stdlib::all() {
        let (file, errors) = polc_lang::syntax::parse(&stdlib::source_name(name), text);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert_eq!(file.items.len(), 1, "{name}");
        assert_eq!(file.items[0].kind, ItemKind::Abstraction);
        assert_eq!(&file.items[0].name.node, name);
        assert_eq!(stdlib::get(name), Some(*text));
    }
    let names: Vec<&str> = stdlib::all().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        vec!["base", "network-client", "network-server", "tmp"]
    );
    assert_eq!(stdlib::get("nope"), None);
}

#[test]
fn each_stdlib_abstraction_loads_without_diagnostics() {
    for (name, _) in stdlib::all() {
        let l = policy(&pol(&format!("use {name}@1")));
        assert!(l.warnings.is_empty(), "{name}: {:#?}", l.warnings);
        assert_eq!(l.policy.uses.len(), 1);
        assert_eq!(l.policy.uses[0].source, format!("stdlib:{name}"));
        let rules = l.policy.files.len() + l.policy.net.len();
        assert!(rules > 0, "{name} grants nothing");
    }
    let l = policy(&pol("use base, network-client, network-server, tmp"));
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
    assert_eq!(l.policy.uses.len(), 4);
}

#[test]
fn base_grants_what_a_program_needs_to_start() {
    use polc_lang::eval::{evaluate, Request};
    use polc_lang::rights::Right;
    let p = policy(&pol("use base")).policy;
    for (path, right) in [
        ("/lib64/ld-linux-x86-64.so.2", Right::MapExec),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", Right::Read),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", Right::MapExec),
        ("/etc/ld.so.cache", Right::Read),
        ("/etc/passwd", Right::Read),
        ("/dev/null", Right::Write),
        ("/usr/share/zoneinfo/Europe/Paris", Right::Read),
    ] {
        let d = evaluate(&p, &Request::file(path, right));
        assert!(d.allowed, "{path} {right}");
    }
    for (path, right) in [("/etc/shadow", Right::Read), ("/etc/passwd", Right::Write)] {
        assert!(
            !evaluate(&p, &Request::file(path, right)).allowed,
            "{path} {right}"
        );
    }
}
