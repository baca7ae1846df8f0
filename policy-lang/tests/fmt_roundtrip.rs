//! Property: formatting any tree and parsing the text gives the tree back, and
//! formatting is idempotent.
//!
//! The generator makes every tree the grammar can express: names, idents and numbers of
//! any form the grammar accepts (keywords that are only contextual included), hostile
//! strings (quotes, backslashes, `${`, `#`, braces, control characters, any Unicode
//! except a newline), comments anywhere a tree holds them, long lists. It leaves out only
//! what has no source form: a newline in a string or a comment, trailing whitespace in a
//! comment, a reserved word as an ident or a name, `net`/`capability`/`signal` as the
//! first right of a file rule, `to`/`from` as a signal name, empty lists, and a blank
//! line before the first statement of a body.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::{
    AcceptBlock, Comment, Effect, ExecMode, File, Item, ItemKind, PortSpec, Provides, Qualifiers,
    Stmt, StmtKind, UseRef,
};
use polc_lang::fmt::format;
use polc_lang::span::{Span, Spanned};
use polc_lang::syntax::parse;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

const RESERVED: [&str; 14] = [
    "app",
    "plugs",
    "provides",
    "framework",
    "version",
    "attach",
    "mode",
    "use",
    "owns",
    "var",
    "allow",
    "deny",
    "policy",
    "abstraction",
];

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Span::default())
}

/// Words that are keywords somewhere, or look like something else.
fn tricky_words() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "as",
        "to",
        "from",
        "net",
        "capability",
        "signal",
        "self",
        "send",
        "receive",
        "tcp",
        "_",
        "map-exec",
        "Version",
        "ALLOW",
    ])
    .prop_map(str::to_string)
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[A-Za-z_][A-Za-z0-9_-]{0,10}", 1 => tricky_words()]
        .prop_filter("a reserved word", |s| !RESERVED.contains(&s.as_str()))
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_-]{1,8}(\\.[A-Za-z0-9_-]{1,8}){0,3}",
        1 => tricky_words(),
        1 => "[0-9]{1,5}(-[0-9]{1,5})?",
    ]
    .prop_filter("a reserved word", |s| !RESERVED.contains(&s.as_str()))
}

fn string() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\"", "\\", "\\\"", "${", "${x}", "}", "{", "/", "*", "**", "é", "🦀", "#", "\t", "\r",
        "\0", " ", ",", "\u{202e}", "\u{2028}", "a", "\\\\", "\"\"",
    ]);
    prop_oneof![
        2 => vec(pieces, 0..10).prop_map(|v| v.concat()),
        2 => "[^\n]{0,12}",
        1 => "/[a-z/*{},.-]{0,40}",
    ]
}

fn comment() -> impl Strategy<Value = Comment> {
    prop_oneof!["[^\n]{0,20}", "( [a-z#\"\\\\]{0,10}){0,3}",].prop_map(|s| Comment {
        text: s.trim_end_matches([' ', '\t', '\r', '\x0c']).to_string(),
        span: Span::default(),
    })
}

fn comments() -> impl Strategy<Value = Vec<Comment>> {
    prop_oneof![2 => Just(Vec::new()), 1 => vec(comment(), 1..3)]
}

fn effect() -> impl Strategy<Value = Spanned<Effect>> {
    prop_oneof![Just(Effect::Allow), Just(Effect::Deny)].prop_map(sp)
}

fn ports() -> impl Strategy<Value = Option<Spanned<PortSpec>>> {
    option::of(prop_oneof![
        any::<u64>().prop_map(|p| PortSpec { lo: p, hi: p }),
        (any::<u64>(), any::<u64>()).prop_map(|(lo, hi)| PortSpec { lo, hi }),
        (0..70000u64, 0..70000u64).prop_map(|(lo, hi)| PortSpec { lo, hi }),
    ])
    .prop_map(|p| p.map(sp))
}

fn spanned_list<S: Strategy>(
    s: S,
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<Spanned<S::Value>>> {
    vec(s, len).prop_map(|v| v.into_iter().map(sp).collect())
}

fn stmt_kind() -> impl Strategy<Value = StmtKind> {
    let first_right_ok = |rights: &Vec<Spanned<String>>| {
        !rights
            .first()
            .is_some_and(|r| ["net", "capability", "signal", "dbus"].contains(&r.node.as_str()))
    };
    let signal = ident().prop_filter("`to`/`from`", |s| s != "to" && s != "from");
    let direction = prop_oneof![
        Just("send".to_string()),
        Just("receive".to_string()),
        ident()
    ];
    prop_oneof![
        1 => any::<u64>().prop_map(|v| StmtKind::Version(sp(v))),
        1 => string().prop_map(|s| StmtKind::Attach(sp(s))),
        1 => ident().prop_map(|m| StmtKind::Mode(sp(m))),
        1 => vec((name(), option::of(any::<u64>())), 1..12).prop_map(|v| StmtKind::Use(
            v.into_iter()
                .map(|(name, version)| sp(UseRef { name, version }))
                .collect()
        )),
        1 => spanned_list(string(), 1..8).prop_map(StmtKind::Owns),
        1 => Just(StmtKind::App),
        1 => spanned_list(name(), 1..4).prop_map(StmtKind::Plugs),
        1 => (ident(), string()).prop_map(|(n, v)| StmtKind::Var {
            name: sp(n),
            value: sp(v)
        }),
        3 => (
            effect(),
            spanned_list(ident(), 1..4).prop_filter("first right", first_right_ok),
            spanned_list(string(), 1..8),
            option::of(name().prop_map(sp)),
            0..3usize
        )
            .prop_map(|(effect, rights, paths, exec_as, m)| {
                // The exec modes each spelling allows: with a name, `as NAME`,
                // `as child NAME`, `as NAME else inherit`; without, none, `as inherit`,
                // `as unconfined`.
                let exec_mode = match (&exec_as, m) {
                    (Some(_), 1) => ExecMode::Child,
                    (Some(_), 2) => ExecMode::Fallback,
                    (None, 1) => ExecMode::Inherit,
                    (None, 2) => ExecMode::Unconfined,
                    _ => ExecMode::Plain,
                };
                StmtKind::File {
                    effect,
                    rights,
                    paths,
                    exec_as,
                    exec_mode,
                }
            }),
        1 => (effect(), ident(), ident(), ports()).prop_map(|(effect, op, proto, ports)| {
            StmtKind::Net {
                effect,
                op: sp(op),
                proto: sp(proto),
                ports,
            }
        }),
        1 => (effect(), spanned_list(ident(), 1..12))
            .prop_map(|(effect, caps)| StmtKind::Capability { effect, caps }),
        1 => (effect(), direction, spanned_list(signal, 0..12), name()).prop_map(
            |(effect, direction, signals, peer)| StmtKind::Signal {
                effect,
                direction: sp(direction),
                signals,
                peer: sp(peer),
            }
        ),
        1 => (
            effect(),
            spanned_list(
                ident().prop_filter("a field word or `accept`", |w| {
                    !polc_lang::ast::dbus::DBUS_FIELDS.contains(&w.as_str()) && w != "accept"
                }),
                1..4
            ),
            option::of(prop_oneof![Just("system".to_string()), string()]),
            (option::of(string()), option::of(string()), option::of(string())),
            option::of(string()),
            option::of(name()),
        )
            .prop_map(|(effect, ops, bus, (path, interface, member), name, peer)| {
                StmtKind::Dbus(polc_lang::ast::DbusStmt {
                    effect,
                    ops,
                    bus: bus.map(sp),
                    path: path.map(sp),
                    interface: interface.map(sp),
                    member: member.map(sp),
                    name: name.map(sp),
                    peer: peer.map(sp),
                })
            }),
    ]
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        stmt_kind(),
        comments(),
        option::of(comment()),
        any::<bool>(),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(kind, comments, trailing_comment, blank_line_before, (audit, owner))| {
                // `audit` on any rule, `owner` on file rules (elsewhere it is a checker
                // error, still parsed and printed back).
                let rule = matches!(
                    kind,
                    StmtKind::File { .. }
                        | StmtKind::Net { .. }
                        | StmtKind::Capability { .. }
                        | StmtKind::Signal { .. }
                        | StmtKind::Dbus(_)
                );
                let at = |b: bool| (rule && b).then(Span::default);
                Stmt {
                    kind,
                    comments,
                    trailing_comment,
                    blank_line_before,
                    span: Span::default(),
                    quals: Qualifiers {
                        audit: at(audit),
                        owner: at(owner),
                    },
                }
            },
        )
}

/// An `accept` block holding any statements (the checker refuses all but rules). Its
/// first fidelity is one of the words that tell the block from a unix operation `accept`
/// continuing the statement before it.
fn accept_stmt() -> impl Strategy<Value = Stmt> {
    let first = prop::sample::select(vec!["widened", "unsupported", "exact", "narrowed"])
        .prop_map(str::to_string);
    (
        first,
        spanned_list(ident(), 0..3),
        spanned_list(ident(), 1..4),
        string(),
        vec(stmt(), 0..4),
        comments(),
        (comments(), option::of(comment()), any::<bool>()),
    )
        .prop_map(
            |(first, more, targets, reason, mut body, closing_comments, (cs, tc, blank))| {
                if let Some(s) = body.first_mut() {
                    s.blank_line_before = false;
                }
                let mut fidelities = vec![sp(first)];
                fidelities.extend(more);
                Stmt {
                    kind: StmtKind::Accept(AcceptBlock {
                        fidelities,
                        targets,
                        reason: sp(reason),
                        body,
                        closing_comments,
                    }),
                    comments: cs,
                    trailing_comment: tc,
                    blank_line_before: blank,
                    span: Span::default(),
                    quals: Qualifiers::default(),
                }
            },
        )
}

/// A `provides` block holding any statements (the checker refuses all but rules).
fn provides_stmt() -> impl Strategy<Value = Stmt> {
    (
        name(),
        any::<bool>(),
        vec(stmt(), 0..4),
        comments(),
        (comments(), option::of(comment()), any::<bool>()),
    )
        .prop_map(
            |(name, auto, mut body, closing_comments, (cs, tc, blank))| {
                if let Some(s) = body.first_mut() {
                    s.blank_line_before = false;
                }
                Stmt {
                    kind: StmtKind::Provides(Provides {
                        name: sp(name),
                        auto,
                        body,
                        closing_comments,
                    }),
                    comments: cs,
                    trailing_comment: tc,
                    blank_line_before: blank,
                    span: Span::default(),
                    quals: Qualifiers::default(),
                }
            },
        )
}

fn item() -> impl Strategy<Value = Item> {
    (
        prop_oneof![
            Just(ItemKind::Policy),
            Just(ItemKind::Abstraction),
            Just(ItemKind::Framework)
        ],
        name(),
        vec(
            prop_oneof![6 => stmt(), 1 => accept_stmt(), 1 => provides_stmt()],
            0..8,
        ),
        comments(),
        comments(),
    )
        .prop_map(|(kind, name, mut body, comments, closing_comments)| {
            if let Some(first) = body.first_mut() {
                first.blank_line_before = false;
            }
            Item {
                kind,
                name: sp(name),
                body,
                comments,
                closing_comments,
                span: Span::default(),
            }
        })
}

fn file() -> impl Strategy<Value = File> {
    (vec(item(), 0..4), comments()).prop_map(|(items, trailing_comments)| File {
        items,
        trailing_comments,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_of_format_is_the_identity(f in file()) {
        let text = format(&f);
        let (back, diags) = parse("gen.pol", &text);
        prop_assert!(diags.is_empty(), "{text}\n{diags:#?}");
        prop_assert_eq!(&back, &f, "{}", text);
        // Idempotent.
        prop_assert_eq!(format(&back), text);
    }
}
