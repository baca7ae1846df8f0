//! Path and glob errors, before and after substitution, with spans inside the string.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::diagnostics::Code;
use polc_lang::{LoadOptions, Source};

#[test]
fn path_form_errors_point_at_the_component() {
    for (path, code, under) in [
        ("etc/app.conf", Code::RelativePath, None),
        ("/etc/../app.conf", Code::DotDotComponent, Some("..")),
        ("/etc/./app.conf", Code::DotComponent, Some(".")),
        ("/etc//app.conf", Code::EmptyComponent, None),
        ("/etc/app//", Code::EmptyComponent, None),
        ("/etc/{app/,b}", Code::MixedDirForm, Some("/")),
        ("/etc/app/", Code::NotOnDirectory, Some("/")),
        ("/etc/app\u{1}.conf", Code::ControlCharacter, None),
        ("/etc/{a,b", Code::MalformedGlob, None),
        ("/etc/***", Code::MalformedGlob, None),
    ] {
        let t = pol(&format!("allow read \"{path}\""));
        let d = only(&t, code);
        let u = underlined(&t, &d);
        if let Some(under) = under {
            assert_eq!(u, under, "{path}");
        }
        // the span is inside the literal (or the literal itself)
        let lit = offset_of(&t, "\"", 0);
        let span = d.primary.as_ref().unwrap().span;
        assert!(
            span.start >= lit && span.end <= lit + path.len() + 2,
            "{path}: {span:?}"
        );
        assert!(!d.message.contains('\u{1}'), "{}", d.message);
    }
}

#[test]
fn errors_in_every_brace_expansion() {
    let t = pol("allow read \"/etc/{a,..}/x\"");
    let d = only(&t, Code::DotDotComponent);
    assert_eq!(underlined(&t, &d), "..");
}

#[test]
fn escapes_shift_spans_correctly() {
    let t = pol(r#"allow read "/a\"b/../c""#);
    let d = only(&t, Code::DotDotComponent);
    assert_eq!(underlined(&t, &d), "..");
}

#[test]
fn errors_after_substitution_name_the_variable() {
    let t = pol("var d = \"etc\"\nallow read \"${d}/app.conf\"");
    let d = only(&t, Code::RelativePath);
    assert_eq!(d.message, "path `etc/app.conf` is not absolute");
    assert_eq!(underlined(&t, &d), "${d}");
    assert_eq!(
        d.help_text(),
        "after substitution the path is `etc/app.conf` (`${d}` is `etc`)"
    );
    let mut opts = LoadOptions::default();
    opts.vars.insert("d".into(), "/srv/".into());
    let t = pol("var d = \"/srv\"\nallow read \"${d}/x\"");
    let ds = diags_with(&t, &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::EmptyComponent);
}

#[test]
fn attach_errors() {
    let t = pol("attach \"/usr/bin/*\"");
    let d = only(&t, Code::BadAttach);
    assert_eq!(underlined(&t, &d), "*");
    let t = pol("attach \"usr/bin/app\"");
    let d = only(&t, Code::BadAttach);
    assert_eq!(d.message, "attach path `usr/bin/app` is not absolute");
    let t = pol("attach \"/usr/bin/\"");
    only(&t, Code::BadAttach);
    let t = pol("attach \"/usr/../bin/app\"");
    only(&t, Code::DotDotComponent);
}

#[test]
fn conflicting_transitions_across_globs() {
    let t = pol("allow exec \"/usr/bin/*\" as org.a\nallow exec \"/usr/bin/c*\" as org.b");
    let d = only(&t, Code::ConflictingTransition);
    assert_eq!(underlined(&t, &d), "\"/usr/bin/c*\"");
    // inherit counts as a transition
    let t = pol("allow exec \"/usr/bin/*\"\nallow exec \"/usr/bin/c*\" as org.b");
    only(&t, Code::ConflictingTransition);
    // disjoint globs are fine
    let t = pol("allow exec \"/usr/bin/a*\" as org.a\nallow exec \"/usr/bin/c*\" as org.b");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    // against a rule of another file: the help names it
    let opts = LoadOptions {
        abstractions: vec![Source::new(
            "h.pol",
            "abstraction h {\n    version 1\n    allow exec \"/opt/**\"\n}\n",
        )],
        ..LoadOptions::default()
    };
    let ds = diags_with(&pol("use h\nallow exec \"/opt/*/bin\" as org.b"), &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert!(
        ds[0].help_text().contains("h.pol:3"),
        "{}",
        ds[0].help_text()
    );
}

#[test]
fn lints_use_glob_containment_and_intersection() {
    let t = pol("allow read \"/etc/app/**\"\nallow read \"/etc/app/app.conf\"");
    let d = only(&t, Code::ShadowedRule);
    assert_eq!(underlined(&t, &d), "\"/etc/app/app.conf\"");
    let t = pol("allow read \"/etc/**\"\ndeny read \"/etc/shadow\"");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
}
