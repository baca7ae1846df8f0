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

/// The names the table in `stdlib.rs` lists are exactly the files of `policy-lang/stdlib/`.
fn stdlib_files() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".pol").map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The abstractions that build a per-program path from `${app_id}`, which the policy
/// using them declares.
const NEEDS_APP_ID: [&str; 3] = ["xdg-cache", "xdg-config", "xdg-data"];

/// A policy that uses `names`, declaring `app_id` when one of them needs it.
fn using(names: &[&str]) -> String {
    let needs = |n: &&str| NEEDS_APP_ID.contains(&n.split('@').next().unwrap_or(n));
    let var = if names.iter().any(needs) {
        "var app_id = \"org.example.app\"\n"
    } else {
        ""
    };
    pol(&format!("{var}use {}", names.join(", ")))
}

#[test]
fn each_stdlib_file_defines_its_abstraction_at_version_1() {
    for (name, text) in stdlib::all() {
        let (file, errors) = polc_lang::syntax::parse(&stdlib::source_name(name), text);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert_eq!(file.items.len(), 1, "{name}");
        assert_eq!(file.items[0].kind, ItemKind::Abstraction);
        assert_eq!(&file.items[0].name.node, name);
        assert_eq!(stdlib::get(name), Some(*text));
        // The header says what it grants and why, before the item starts.
        let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(header.len() >= 2, "{name}: no header comment");
        assert!(
            text[header.iter().map(|l| l.len() + 1).sum::<usize>()..]
                .starts_with(&format!("abstraction {name} {{\n    version 1\n")),
            "{name}: the item does not follow its header with `version 1`"
        );
    }
    let names: Vec<String> = stdlib::all().iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names, stdlib_files(), "the table and the files differ");
    assert!(names.len() >= 40, "only {} abstractions", names.len());
    for n in [
        "nameservice",
        "ssl-certs",
        "fonts",
        "wayland",
        "x11",
        "audio-playback",
        "dbus-session",
        "home",
        "home-write",
        "python3",
    ] {
        assert!(stdlib::get(n).is_some(), "{n} is missing");
    }
    assert_eq!(stdlib::get("nope"), None);
}

#[test]
fn each_stdlib_abstraction_loads_without_diagnostics() {
    for (name, _) in stdlib::all() {
        let l = policy(&using(&[&format!("{name}@1")]));
        assert!(l.warnings.is_empty(), "{name}: {:#?}", l.warnings);
        assert!(
            l.policy
                .uses
                .iter()
                .any(|u| u.source == format!("stdlib:{name}")),
            "{name}"
        );
        let rules = l.policy.files.len() + l.policy.net.len();
        assert!(rules > 0, "{name} grants nothing");
    }
    let all: Vec<&str> = stdlib::all().iter().map(|(n, _)| *n).collect();
    let l = policy(&using(&all));
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
    assert_eq!(l.policy.uses.len(), all.len());
}

#[test]
fn per_program_xdg_directories_need_app_id() {
    for name in NEEDS_APP_ID {
        let d = diags(&pol(&format!("use {name}")));
        assert!(
            d.iter()
                .any(|d| d.code == polc_lang::diagnostics::Code::UnknownVariable),
            "{name}: {d:#?}"
        );
    }
    use polc_lang::eval::{evaluate, Request};
    use polc_lang::rights::Right;
    let p = policy(&using(&["xdg-config"])).policy;
    let path = "/home/alice/.config/org.example.app/settings.ini";
    assert!(evaluate(&p, &Request::owned_file(path, Right::Write)).allowed);
    assert!(
        !evaluate(&p, &Request::file(path, Right::Write)).allowed,
        "another user's file"
    );
    let other = "/home/alice/.config/other/settings.ini";
    assert!(!evaluate(&p, &Request::owned_file(other, Right::Read)).allowed);
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
