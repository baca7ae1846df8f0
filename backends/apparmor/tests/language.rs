//! Policies written in the language, through the real front end (`polc_lang::load`):
//! the reference example, equivalent policies, and the names the checker accepts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use polc_apparmor::{compile, Abi, Config};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::Policy;
use polc_lang::{load, LoadOptions, Source};

fn load_text(name: &str, text: &str) -> Policy {
    match load(&Source::new(name, text), &LoadOptions::default()) {
        Ok(l) => l.policy,
        Err(f) => panic!(
            "{name} does not load: {:?}",
            f.diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message))
                .collect::<Vec<_>>()
        ),
    }
}

fn text_of(name: &str, src: &str) -> String {
    compile(&load_text(name, src), &Config::default())
        .unwrap()
        .text
}

/// The example of the language reference.
const WEBAPP: &str = r#"# examples/webapp.pol
policy org.example.webapp {
    version 3
    attach "/usr/bin/webapp"
    mode enforce                      # or: complain
    use base, network-client          # abstractions; `use tmp@1` pins a version
    var state_dir = "/var/lib/webapp" # install-time variable with a default; --var overrides

    owns "/var/lib/webapp/**"

    allow read "/etc/ssl/**", "/usr/share/webapp/**"
    allow read write create delete "${state_dir}/**"
    allow exec map-exec "/usr/bin/webapp"
    allow exec "/usr/bin/convert" as org.example.converter
    deny  read "/etc/ssl/private/**"

    allow net connect tcp 443
    allow net bind tcp 8080-8089
    allow capability net_bind_service, setuid
    allow signal send term, kill to org.example.webapp
    allow signal receive from self
}
"#;

#[test]
fn the_reference_example() {
    let policy = load_text("webapp.pol", WEBAPP);
    for (abi, tag) in [(Abi::V3_0, "abi3"), (Abi::V4_0, "abi4")] {
        let out = compile(&policy, &Config { abi, strict: false }).unwrap();
        insta::assert_snapshot!(format!("webapp.{tag}.profile"), out.text);
        insta::assert_snapshot!(
            format!("webapp.{tag}.report"),
            common::render_report(&out.report)
        );
        if abi == Abi::V3_0 {
            common::assert_accepted(&out.text);
        }
    }
}

#[test]
fn abstractions_and_inline_rules_compile_to_the_same_bytes() {
    let with_use = r#"
policy org.example.app {
    use files
    allow read "/etc/app/**"
}
abstraction files {
    version 1
    allow read write "/var/lib/app/**"
    allow net connect tcp 443
}
"#;
    let inline = r#"
policy org.example.app {
    allow net connect tcp 443
    allow read write "/var/lib/app/**"
    allow read "/etc/app/**"
}
"#;
    assert_eq!(text_of("a.pol", with_use), text_of("b.pol", inline));
}

#[test]
fn order_duplicates_and_grouping_do_not_change_the_bytes() {
    let a = r#"
policy org.example.app {
    allow read "/a/**", "/b/*"
    allow write "/a/**"
    deny read "/a/secret"
    allow capability setuid, chown
}
"#;
    let b = r#"
policy org.example.app {
    allow capability chown
    deny read "/a/secret"
    allow read write "/a/**"
    allow read "/b/*"
    allow read "/b/*"
    allow capability setuid
}
"#;
    assert_eq!(text_of("a.pol", a), text_of("b.pol", b));
}

#[test]
fn every_name_the_checker_accepts_is_exact() {
    let caps = polc_lang::ir::CAPABILITIES.join(", ");
    let sigs = polc_lang::ir::SIGNALS.join(", ");
    let src = format!(
        "policy org.example.names {{\n    allow capability {caps}\n    allow signal send {sigs} to org.example.peer\n}}\n"
    );
    let out = compile(&load_text("names.pol", &src), &Config::default()).unwrap();
    assert!(
        out.report
            .entries
            .iter()
            .all(|e| e.fidelity == Fidelity::Exact),
        "{:#?}",
        out.report.entries
    );
    common::assert_accepted(&out.text);
}
