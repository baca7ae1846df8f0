//! docs/diagnostics.md documents every code, and each example triggers its code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diagnostics::Code;
use polc_lang::{load, LoadOptions, Source};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/diagnostics.md");
    std::fs::read_to_string(path).expect("docs/diagnostics.md")
}

/// The section of `code`: from its heading to the next one.
fn section(doc: &str, code: Code) -> Option<&str> {
    let head = format!("\n## {}: ", code.as_str());
    let start = doc.find(&head)? + 1;
    let rest = &doc[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 4);
    Some(&rest[..end])
}

/// The first fenced block of a section: (language, text).
fn example(section: &str) -> Option<(&str, &str)> {
    let open = section.find("```")?;
    let after = &section[open + 3..];
    let nl = after.find('\n')?;
    let lang = &after[..nl];
    let body = &after[nl + 1..];
    let close = body.find("```")?;
    Some((lang, &body[..close]))
}

#[test]
fn every_code_is_documented_with_its_title_and_help() {
    let doc = doc();
    for code in Code::ALL {
        let s = section(&doc, *code).unwrap_or_else(|| panic!("no section for {code}"));
        let first = s.lines().next().unwrap();
        assert_eq!(first, format!("## {}: {}", code.as_str(), code.title()));
        assert!(
            s.contains(&format!("Help: {}", code.help())),
            "{code}: the help differs from diagnostics.rs"
        );
        assert!(example(s).is_some(), "{code}: no example");
    }
}

#[test]
fn every_example_triggers_its_code() {
    let doc = doc();
    let mut failures = Vec::new();
    for code in Code::ALL {
        let (lang, text) = example(section(&doc, *code).unwrap()).unwrap();
        let name = match lang {
            "pol" => "example.pol",
            "json" => "example.json",
            _ => continue, // E0400 is the CLI's (reading a file)
        };
        let diags = match load(&Source::new(name, text), &LoadOptions::default()) {
            Ok(l) => l.warnings,
            Err(f) => f.diagnostics,
        };
        if !diags.iter().any(|d| d.code == *code) {
            let got: Vec<String> = diags
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect();
            failures.push(format!("{code}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
