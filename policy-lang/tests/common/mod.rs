//! Helpers shared by the checker's tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diagnostics::{Code, Diagnostic};
use polc_lang::{load, Failed, LoadOptions, Loaded, Source};

/// Load `text` as `app.pol` with default options.
pub fn load_text(text: &str) -> Result<Loaded, Failed> {
    load(&Source::new("app.pol", text), &LoadOptions::default())
}

/// Every diagnostic of a load, errors and warnings.
pub fn diags_with(text: &str, opts: &LoadOptions) -> Vec<Diagnostic> {
    match load(&Source::new("app.pol", text), opts) {
        Ok(l) => l.warnings,
        Err(f) => f.diagnostics,
    }
}

/// Every diagnostic of a load with default options.
pub fn diags(text: &str) -> Vec<Diagnostic> {
    diags_with(text, &LoadOptions::default())
}

/// The loaded policy; panics with the diagnostics when the load fails.
pub fn policy(text: &str) -> polc_lang::Loaded {
    match load_text(text) {
        Ok(l) => l,
        Err(f) => panic!("load failed: {:#?}", f.diagnostics),
    }
}

/// The one diagnostic of a load, which must have `code`.
pub fn only(text: &str, code: Code) -> Diagnostic {
    let ds = diags(text);
    assert_eq!(ds.len(), 1, "expected one {code}, got {ds:#?}");
    assert_eq!(ds[0].code, code, "{ds:#?}");
    ds[0].clone()
}

/// The text under a diagnostic's primary span.
pub fn underlined<'a>(text: &'a str, d: &Diagnostic) -> &'a str {
    let span = d.primary.as_ref().expect("a primary span").span;
    &text[span.start..span.end]
}

/// The byte offset of the `n`th (0-based) occurrence of `needle`.
pub fn offset_of(text: &str, needle: &str, n: usize) -> usize {
    text.match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` not found {n} times"))
        .0
}

/// Wrap statements in a policy.
pub fn pol(body: &str) -> String {
    format!("policy org.example.app {{\n{body}\n}}\n")
}
