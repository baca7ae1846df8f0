//! The glob algebra on hand-picked cases: the documented semantics, every error with its
//! range, the helpers, the algebra with its witnesses, and hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::diagnostics::Code;
use polc_lang::glob::{is_valid_path, Emptiness, Glob, GlobErrorKind, MAX_EXPANSIONS};

fn g(text: &str) -> Glob {
    Glob::parse(text).unwrap_or_else(|e| panic!("`{text}` should parse: {e:?}"))
}

#[test]
fn documented_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        // `*` never crosses `/`.
        ("/a/*", "/a/b", true),
        ("/a/*", "/a/b/c", false),
        ("/a/*", "/a", false),
        ("/a/*.pem", "/a/.pem", true),
        ("/a/b*", "/a/b", true),
        // `/a/**` needs something below `/a`.
        ("/a/**", "/a", false),
        ("/a/**", "/a/b", true),
        ("/a/**", "/a/b/c", true),
        ("/a/**", "/ab", false),
        // `/a/**/b` needs a directory in between.
        ("/a/**/b", "/a/b", false),
        ("/a/**/b", "/a/x/b", true),
        ("/a/**/b", "/a/x/y/b", true),
        ("/a/{,**/}b", "/a/b", true),
        ("/a/{,**/}b", "/a/x/y/b", true),
        ("/a/**b", "/a/b", true),
        ("/a/**b", "/a/xb", true),
        ("/a/**b", "/a/x/y/b", true),
        // The root.
        ("/", "/", true),
        ("/*", "/", true),
        ("/**", "/", true),
        ("/**", "/etc/passwd", true),
        ("/?", "/", false),
        // `?` is one character, not `/`.
        ("/a?c", "/abc", true),
        ("/a?c", "/ac", false),
        ("/a?c", "/a/c", false),
        ("/?", "/é", true),
        // Wildcards never produce `.` or `..` components.
        ("/a/*", "/a/.", false),
        ("/a/*", "/a/..", false),
        ("/a/.*", "/a/.x", true),
        ("/a/.*", "/a/.", false),
        ("/a/.*", "/a/..", false),
        ("/a/.*", "/a/...", true),
        ("/a/**", "/a/b/../c", false),
        ("/a/?", "/a/.", false),
        ("/a/??", "/a/..", false),
        // Braces.
        ("/{usr/,}lib/*.so", "/usr/lib/libc.so", true),
        ("/{usr/,}lib/*.so", "/lib/libc.so", true),
        ("/{usr/,}lib/*.so", "/usr/local/lib/libc.so", false),
        ("/x{a,{b,c{d,}}}", "/xcd", true),
        ("/x{a,{b,c{d,}}}", "/xc", true),
        ("/x{a,{b,c{d,}}}", "/xd", false),
        ("/x{}y", "/xy", true),
        ("/x{a}y", "/xay", true),
        // Other characters are literal.
        ("/a,b", "/a,b", true),
        ("/a\\*", "/a\\*", true),
        ("/a\\*", "/a\\bc", true),
        ("/a]b", "/a]b", true),
        ("/a+b", "/a+b", true),
        // Character classes: one character of the class, never `/`.
        ("/[ab]", "/a", true),
        ("/[ab]", "/[ab]", false),
        ("/[[]ab]", "/[ab]", true),
        ("/x[0-9]", "/x7", true),
        ("/x[0-9]", "/x", false),
        ("/x[0-9]", "/x12", false),
        ("/x[^0-9]", "/xa", true),
        ("/x[^0-9]", "/x5", false),
        ("/x[^a]y", "/x/y", false),
        ("/x[]-]", "/x]", true),
        ("/x[]-]", "/x-", true),
        ("/x[a-]", "/x-", true),
        ("/x[{,}]", "/x,", true),
        ("/{x[,],y}", "/x,", true),
        ("/{x[,],y}", "/y", true),
        ("/[.]", "/.", false),
        ("/a[.]", "/a.", true),
        // `[...]+`: one or more characters of the class.
        ("/proc/[0-9]+", "/proc/1", true),
        ("/proc/[0-9]+", "/proc/4194304", true),
        ("/proc/[0-9]+", "/proc/", false),
        ("/proc/[0-9]+", "/proc/12a", false),
        ("/proc/[0-9]+/fd", "/proc/12/fd", true),
        ("/proc/{[1-9],[1-9][0-9]+}", "/proc/0", false),
        ("/proc/{[1-9],[1-9][0-9]+}", "/proc/012", false),
        ("/proc/{[1-9],[1-9][0-9]+}", "/proc/102", true),
        ("/x[^.]+", "/x..", false),
        ("/[^.]+", "/..", false),
        // Invalid paths never match.
        ("/**", "", false),
        ("/**", "a", false),
        ("/**", "/a/", false),
        ("/**", "//a", false),
        ("/**", "/a/./b", false),
        ("/**", "/a\0", false),
        // Control characters other than NUL may be in paths, matched by wildcards.
        ("/*", "/a\nb", true),
    ];
    for &(glob, path, expected) in cases {
        assert_eq!(g(glob).matches(path), expected, "`{glob}` on {path:?}");
        assert_eq!(polc_lang::glob::matches(&g(glob), path), expected);
    }
}

#[test]
fn valid_paths() {
    for p in [
        "/", "/a", "/a/b", "/.a", "/...", "/a.", "/a..b", "/a b", "/\u{1}",
    ] {
        assert!(is_valid_path(p), "{p:?}");
    }
    for p in [
        "", "a", "a/b", "//", "/a/", "/a//b", "/.", "/..", "/a/./b", "/a/..", "/\0",
    ] {
        assert!(!is_valid_path(p), "{p:?}");
    }
}

#[test]
fn errors_with_ranges() {
    use GlobErrorKind::*;
    let cases: &[(&str, GlobErrorKind, usize, usize)] = &[
        ("", Relative, 0, 0),
        ("a/b", Relative, 0, 1),
        ("*/b", Relative, 0, 1),
        ("{/a,b}", Relative, 4, 5),
        ("{,/a}", Relative, 0, 5),
        ("/a/../b", DotDot, 3, 5),
        ("/a/..", DotDot, 3, 5),
        ("/a/{x,..}", DotDot, 6, 8),
        ("/a/.", Dot, 3, 4),
        ("/./a", Dot, 1, 2),
        ("/a/{.,x}/b", Dot, 4, 5),
        ("/a/.{,x}", Dot, 3, 4),
        ("/a//b", EmptyComponent, 2, 4),
        ("/a/", EmptyComponent, 2, 3),
        ("//", EmptyComponent, 0, 2),
        ("/a/{,b}/c", EmptyComponent, 2, 8),
        ("/a{/,}", EmptyComponent, 3, 4),
        ("/a\0b", Control, 2, 3),
        ("/a\nb", Control, 2, 3),
        ("/a\u{7f}", Control, 2, 3),
        ("{/a\u{1}", Control, 3, 4),
        ("/a/{b", Malformed("unclosed `{`".into()), 3, 4),
        ("/a/{b,{c}", Malformed("unclosed `{`".into()), 3, 4),
        ("/a/b}", Malformed("unmatched `}`".into()), 4, 5),
        (
            "/a/***",
            Malformed("`***`: a run of more than two `*`".into()),
            3,
            6,
        ),
        (
            "/a/{x,**}*",
            Malformed("a `*` run continues across a brace boundary".into()),
            6,
            10,
        ),
        (
            "/a/*{}*",
            Malformed("a `*` run continues across a brace boundary".into()),
            3,
            7,
        ),
        (
            "/a/*{*}",
            Malformed("a `*` run continues across a brace boundary".into()),
            3,
            6,
        ),
    ];
    for (text, kind, start, end) in cases {
        let e = Glob::parse(text).expect_err(text);
        assert_eq!((&e.kind, e.start, e.end), (kind, *start, *end), "`{text}`");
    }
    // Ranges are byte ranges, on character boundaries.
    let e = Glob::parse("/é/./ü").unwrap_err();
    assert_eq!((e.kind, e.start, e.end), (Dot, 4, 5));
    let e = Glob::parse("ü/a").unwrap_err();
    assert_eq!((e.kind, e.start, e.end), (Relative, 0, 2));
    // A wildcard component is fine even when it starts with dots.
    for ok in [
        "/a/.*",
        "/a/..?",
        "/a/.{x,y}",
        "/{a,b/c}",
        "/{a,b}{,/c}",
        "/a/{*,b}",
        "/**",
    ] {
        g(ok);
    }
}

#[test]
fn error_messages_and_codes() {
    let e = Glob::parse("/a/../b").unwrap_err();
    assert_eq!(e.to_string(), "glob has a `..` component");
    assert_eq!(e.kind.code(), Code::DotDotComponent);
    let e = Glob::parse("/a/{b").unwrap_err();
    assert_eq!(e.to_string(), "malformed glob: unclosed `{`");
    assert_eq!(e.kind.code(), Code::MalformedGlob);
    let codes = [
        (GlobErrorKind::Relative, "E0120"),
        (GlobErrorKind::DotDot, "E0121"),
        (GlobErrorKind::EmptyComponent, "E0122"),
        (GlobErrorKind::Control, "E0123"),
        (GlobErrorKind::Malformed(String::new()), "E0124"),
        (GlobErrorKind::Dot, "E0125"),
    ];
    for (kind, code) in codes {
        assert_eq!(kind.code().as_str(), code, "{kind:?}");
    }
}

#[test]
fn helpers() {
    let prefixes = [
        ("/etc/ssl/*.pem", "/etc/ssl"),
        ("/etc/ssl/**", "/etc/ssl"),
        ("/etc/ssl*", "/etc"),
        ("/{a,b}", "/"),
        ("/a/{b,c}/d", "/a"),
        ("/a/b?/c", "/a"),
        ("/etc/passwd", "/etc"),
        ("/a", "/"),
        ("/", "/"),
        ("/**", "/"),
        ("/a,b/c*", "/a,b"),
    ];
    for (glob, prefix) in prefixes {
        assert_eq!(g(glob).literal_dir_prefix(), prefix, "`{glob}`");
    }

    assert!(g("/etc/passwd").is_literal());
    assert!(g("/a,b").is_literal());
    assert!(g("/").is_literal());
    for wild in ["/a*", "/a?", "/{a}", "/**"] {
        assert!(!g(wild).is_literal(), "`{wild}`");
    }

    assert_eq!(g("/a").expansions(), ["/a"]);
    assert_eq!(
        g("/{a,b}/{c,d{e,}}").expansions(),
        ["/a/c", "/a/de", "/a/d", "/b/c", "/b/de", "/b/d"]
    );
    assert_eq!(g("/x{a,a}").expansions(), ["/xa", "/xa"]);
    assert_eq!(g("/{usr/,}lib").expansions(), ["/usr/lib", "/lib"]);
    // Each expansion is a glob on its own.
    for e in g("/{a/**,b*,c?}{,.d}").expansions() {
        g(&e);
    }
}

#[test]
fn equality_order_and_serde() {
    assert_eq!(g("/a/*"), g("/a/*"));
    assert_ne!(g("/a/*"), g("/a/{*}"));
    assert!(g("/a") < g("/b"));
    let json = serde_json::to_string(&g("/a/{b,c}")).unwrap();
    assert_eq!(json, r#""/a/{b,c}""#);
    let back: Glob = serde_json::from_str(&json).unwrap();
    assert_eq!(back, g("/a/{b,c}"));
    let err = serde_json::from_str::<Glob>(r#""/a/../b""#).unwrap_err();
    assert!(err.to_string().contains("invalid glob `/a/../b`"), "{err}");
    assert_eq!(format!("{}", g("/a*")), "/a*");
    assert_eq!(format!("{:?}", g("/a*")), "Glob(\"/a*\")");
}

/// (a, b, a ⊆ b, a ∩ b ≠ ∅)
const ALGEBRA: &[(&str, &str, bool, bool)] = &[
    ("/a/*", "/a/**", true, true),
    ("/a/**", "/a/*", false, true),
    ("/a/b", "/a/*", true, true),
    ("/a/*", "/a/b", false, true),
    ("/a", "/a/**", false, false),
    ("/a/**", "/a/**/**", false, true),
    ("/a/**/**", "/a/**", true, true),
    ("/a/{b,c}", "/a/?", true, true),
    ("/a/?", "/a/{b,c}", false, true),
    ("/a/*", "/b/*", false, false),
    ("/a/*.pem", "/a/*.key", false, false),
    ("/a/*.pem", "/a/x*", false, true),
    ("/**", "/*", false, true),
    ("/*", "/**", true, true),
    ("/", "/*", true, true),
    ("/", "/a/**", false, false),
    // Components that wildcards cannot produce do not count.
    ("/a/.?", "/a/.[.]", false, false),
    ("/a/.?", "/a/.[^.]", true, true),
    ("/a/.[^.]", "/a/.?", true, true),
    ("/a/?", "/a/[^.]", true, true),
    ("/a/[^.]", "/a/?", true, true),
    // Character classes and their repetition.
    ("/a/[0-9]", "/a/?", true, true),
    ("/a/?", "/a/[0-9]", false, true),
    ("/a/[0-4]", "/a/[3-9]", false, true),
    ("/a/[0-2]", "/a/[3-9]", false, false),
    ("/a/[^0-9]", "/a/[0-9]", false, false),
    ("/a/[0-9a-f]", "/a/{[0-9],[a-f]}", true, true),
    ("/a/[0-9]+", "/a/*", true, true),
    ("/a/*", "/a/[0-9]+", false, true),
    ("/a/[0-9]+", "/a/[0-9]*", true, true),
    ("/a/[0-9]*", "/a/[0-9]+", false, true),
    ("/a/{[1-9],[1-9][0-9]+}", "/a/[0-9]+", true, true),
    ("/a/[0-9]+", "/a/{[1-9],[1-9][0-9]+}", false, true),
    ("/a/[0-9]+/b", "/a/[a-z]+/b", false, false),
    ("/a/[^/]+", "/a/*", true, true),
    ("/a/*", "/a/[^a]+", false, true),
    ("/a/{.?,x}", "/a/.*", false, true),
    ("/a/.?", "/a/.*", true, true),
    ("/a/.*", "/a/.?*", true, true),
    ("/a/..*", "/a/...*", false, true),
    ("/a/...*", "/a/..*", true, true),
    ("/a/?*", "/a/*", true, true),
    ("/a/*", "/a/?*", true, true),
    // `**` across components.
    ("/a/**/b", "/a/**b", true, true),
    ("/a/**b", "/a/**/b", false, true),
    ("/a/{,**/}b", "/a/**b", true, true),
    ("/**/x/**", "/**x**", true, true),
    ("/*/*", "/**", true, true),
    ("/*/*", "/*", false, false),
    // Non-ASCII and other literal characters.
    ("/é/*", "/?/*", true, true),
    ("/?/*", "/é/*", false, true),
    ("/a\\b", "/a?b", true, true),
];

#[test]
fn algebra_cases() {
    for &(a, b, subset, meet) in ALGEBRA {
        let (ga, gb) = (g(a), g(b));
        assert_eq!(ga.is_subset(&gb), subset, "`{a}` ⊆ `{b}`");
        assert_eq!(polc_lang::glob::is_subset(&ga, &gb), subset);
        assert_eq!(ga.intersects(&gb), meet, "`{a}` ∩ `{b}`");
        assert_eq!(gb.intersects(&ga), meet, "`{b}` ∩ `{a}`");
        assert_eq!(polc_lang::glob::intersects(&ga, &gb), meet);
        match ga.difference_witness(&gb) {
            Some(w) => assert!(
                !subset && ga.matches(&w) && !gb.matches(&w),
                "`{a}` ∖ `{b}`: {w}"
            ),
            None => assert!(subset, "`{a}` ∖ `{b}`"),
        }
        match ga.intersection_witness(&gb) {
            Some(w) => assert!(
                meet && ga.matches(&w) && gb.matches(&w),
                "`{a}` ∩ `{b}`: {w}"
            ),
            None => assert!(!meet, "`{a}` ∩ `{b}`"),
        }
    }
}

#[test]
fn witnesses_are_shortest_and_readable() {
    let diff = |a: &str, b: &str| g(a).difference_witness(&g(b));
    let meet = |a: &str, b: &str| g(a).intersection_witness(&g(b));
    // A character neither glob names comes first.
    assert_eq!(diff("/a/**", "/a/*").as_deref(), Some("/a/b/b"));
    assert_eq!(diff("/a/?", "/a/{b,c}").as_deref(), Some("/a/d"));
    assert_eq!(diff("/**", "/a/**").as_deref(), Some("/"));
    assert_eq!(diff("/a/**", "/a/**/x").as_deref(), Some("/a/b"));
    assert_eq!(diff("/a/.*", "/a/.?*").as_deref(), None);
    assert_eq!(diff("/a/.?", "/a/.b").as_deref(), Some("/a/.c"));
    assert_eq!(meet("/a/**/b", "/*/x*/**").as_deref(), Some("/a/x/b"));
    assert_eq!(meet("/**.pem", "/etc/**").as_deref(), Some("/etc/.pem"));
    assert_eq!(meet("/a", "/{a,b}").as_deref(), Some("/a"));
    assert_eq!(meet("/{a,b}", "/a").as_deref(), Some("/a"));
    assert_eq!(meet("/a", "/b").as_deref(), None);
    assert_eq!(g("/x").difference(&g("/x")), Emptiness::Empty);
    assert_eq!(
        g("/x").difference(&g("/y")),
        Emptiness::Witness("/x".into())
    );
}

#[test]
fn hostile_input_is_bounded() {
    // Too many expansions, too deep, too long in total.
    let many = format!("/a{}", "{a,b}".repeat(13));
    let e = Glob::parse(&many).unwrap_err();
    assert_eq!(
        e.kind,
        GlobErrorKind::Malformed(format!("more than {MAX_EXPANSIONS} brace expansions"))
    );
    assert_eq!((e.start, e.end), (0, many.len()));
    let just = format!("/a{}", "{a,b}".repeat(12));
    assert_eq!(g(&just).expansions().len(), MAX_EXPANSIONS);
    let deep = format!("/a{}", "{".repeat(100_000));
    assert!(matches!(
        Glob::parse(&deep).unwrap_err().kind,
        GlobErrorKind::Malformed(_)
    ));
    let alts = format!("/{{{}}}", vec!["a"; 100_000].join(","));
    assert!(matches!(
        Glob::parse(&alts).unwrap_err().kind,
        GlobErrorKind::Malformed(_)
    ));
    let long = format!("/{{{}}}", vec!["a".repeat(400); 4000].join(","));
    assert!(matches!(
        Glob::parse(&long).unwrap_err().kind,
        GlobErrorKind::Malformed(_)
    ));

    // Long globs and many single-alternative groups are fine, and matching is linear.
    let lit = format!("/{}b", "a/".repeat(20_000));
    assert!(g(&lit).matches(&lit));
    let stars = format!("/{}b", "*/".repeat(20_000));
    assert!(g(&stars).matches(&lit));
    let chain = format!("/a{}", "{}".repeat(100_000));
    assert!(g(&chain).matches("/a"));
    let backtracker = format!("/{}b", "*a".repeat(200));
    assert!(!g(&backtracker).matches(&format!("/{}", "a".repeat(5_000))));

    // Determinising `/**a` then twenty `?` needs 2^20 states: the search gives up, and the
    // boolean forms answer conservatively.
    let q = "?".repeat(20);
    let a = g(&format!("/**a{q}"));
    let b = g(&format!("/**{{a}}{q}"));
    assert_eq!(a.difference(&b), Emptiness::Unknown);
    assert!(!a.is_subset(&b));
    assert_eq!(a.difference_witness(&b), None);
    // Intersection is a plain product: it stays exact here.
    assert!(a.intersects(&b));
}
