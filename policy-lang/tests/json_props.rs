//! Properties of the JSON reader: it never panics, its diagnostics stay inside the text,
//! and every document of the schema reads back into itself with exact spans.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod json_support;

use json_support::check_spans;
use polc_lang::ast::Effect;
use polc_lang::diagnostics::Code;
use polc_lang::json::{
    to_ast, Abstraction, Document, FrameworkDoc, InterfaceDoc, Net, Ports, Rule, Signal, Target,
    UseSpec, Vars,
};
use proptest::prelude::*;

const WEBAPP: &str = include_str!("json_corpus/webapp.json");

/// `to_ast` returns a tree or E0300 diagnostics located inside the text.
fn read_safely(text: &str) {
    match to_ast("fuzz.json", text) {
        Ok(file) => check_spans(text, &file),
        Err(diags) => {
            assert!(!diags.is_empty());
            for d in diags {
                assert_eq!(d.code, Code::InvalidJson);
                assert!(
                    !d.message.is_empty() && !d.message.contains('\n'),
                    "{}",
                    d.message
                );
                let span = d.primary.expect("located").span;
                assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
                assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z/*{}@$.\"\\\\\\-]{0,12}",
        Just("\u{e9}/\u{1F600}\n\t\"".to_string()),
    ]
}

fn strings(min: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), min..3)
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![Just(Effect::Allow), Just(Effect::Deny)]
}

fn ports() -> impl Strategy<Value = Option<Ports>> {
    prop::option::of(
        (any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(lo, hi, single)| Ports {
            lo,
            hi: if single { lo } else { hi },
        }),
    )
}

fn rule() -> impl Strategy<Value = Rule> {
    let target = prop_oneof![
        (strings(1), strings(1), prop::option::of(text())).prop_map(|(rights, paths, exec_as)| {
            Target::Files {
                rights,
                paths,
                exec_as,
                exec_mode: polc_lang::ast::ExecMode::Plain,
            }
        }),
        (text(), text(), ports()).prop_map(|(op, proto, ports)| Target::Net(Net {
            op,
            proto,
            ports
        })),
        strings(1).prop_map(Target::Capabilities),
        (text(), strings(0), text()).prop_map(|(direction, signals, peer)| {
            Target::Signal(Signal {
                direction,
                signals,
                peer,
            })
        }),
    ];
    (effect(), target, any::<(bool, bool)>()).prop_map(|(effect, target, (audit, owner))| {
        let files = matches!(target, Target::Files { .. });
        Rule {
            effect,
            target,
            audit,
            owner: owner && files,
            accept: None,
        }
    })
}

fn uses() -> impl Strategy<Value = Vec<UseSpec>> {
    prop::collection::vec(
        // A name holding `@` has no JSON form (nor a text one).
        (
            text().prop_filter("no @", |n| !n.contains('@')),
            prop::option::of(any::<u64>()),
        )
            .prop_map(|(name, version)| UseSpec { name, version }),
        0..3,
    )
}

fn vars() -> impl Strategy<Value = Vars> {
    prop::collection::vec((text(), text()), 0..3).prop_map(Vars)
}

fn abstraction() -> impl Strategy<Value = Abstraction> {
    (
        text(),
        prop::option::of(any::<u64>()),
        prop::option::of(text()),
        uses(),
        vars(),
        prop::collection::vec(text(), 0..2),
        prop::collection::vec(rule(), 0..4),
    )
        .prop_map(
            |(abstraction, version, mode, uses, vars, owns, rules)| Abstraction {
                abstraction,
                version,
                attach: None,
                mode,
                uses,
                vars,
                owns,
                rules,
            },
        )
}

fn document() -> impl Strategy<Value = Document> {
    (
        prop::option::of(text()),
        prop::option::of(any::<u64>()),
        prop::option::of(text()),
        prop::option::of(text()),
        uses(),
        vars(),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(rule(), 0..6),
        prop::collection::vec(abstraction(), 0..3),
        (
            any::<bool>(),
            strings(0),
            prop::collection::vec(framework(), 0..2),
        ),
    )
        .prop_map(
            |(
                policy,
                version,
                attach,
                mode,
                uses,
                vars,
                owns,
                rules,
                abstractions,
                (app, plugs, frameworks),
            )| {
                if policy.is_some() {
                    Document {
                        policy,
                        version,
                        attach,
                        mode,
                        uses,
                        vars,
                        owns,
                        rules,
                        children: Vec::new(),
                        app,
                        plugs,
                        abstractions,
                        frameworks,
                    }
                } else {
                    Document {
                        abstractions,
                        frameworks,
                        ..Document::default()
                    }
                }
            },
        )
}

fn framework() -> impl Strategy<Value = FrameworkDoc> {
    (
        text(),
        prop::option::of(any::<u64>()),
        prop::collection::vec(
            (text(), any::<bool>(), prop::collection::vec(rule(), 0..3)).prop_map(
                |(interface, auto, rules)| InterfaceDoc {
                    interface,
                    auto,
                    rules,
                },
            ),
            0..3,
        ),
    )
        .prop_map(|(framework, version, provides)| FrameworkDoc {
            framework,
            version,
            provides,
        })
}

/// Ways to break a valid document.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn mutate(text: &str, m: &Mutation) -> String {
    let clamp = |i: usize| {
        let mut i = i % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match m {
        Mutation::Delete(a, n) => {
            let a = clamp(*a);
            let b = clamp(a + n % 16).max(a);
            format!("{}{}", &text[..a], &text[b..])
        }
        Mutation::Insert(a, s) => {
            let a = clamp(*a);
            format!("{}{s}{}", &text[..a], &text[a..])
        }
        Mutation::Replace(a, c) => {
            let a = clamp(*a);
            let rest = &text[a..];
            let skip = rest.chars().next().map_or(0, char::len_utf8);
            format!("{}{c}{}", &text[..a], &rest[skip..])
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let junk = prop_oneof![
        Just("{".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("null".to_string()),
        Just("[[[[".to_string()),
        Just("\"x\": 1,".to_string()),
        any::<String>(),
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), junk).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Mutation::Replace(a, c)),
    ]
}

/// Words the text grammar gives a meaning in places where the generators put identifiers.
const RESERVED: &[&str] = &[
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
    "net",
    "capability",
    "signal",
    "as",
    "to",
    "from",
];

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_-]{0,6}".prop_filter("reserved", |w| !RESERVED.contains(&w.as_str()))
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(ident(), 1..3).prop_map(|parts| parts.join("."))
}

/// A string the text form can hold (no newline).
fn literal() -> impl Strategy<Value = String> {
    "[a-z/*{}$.\"\\\\ \u{e9}-]{0,12}"
}

fn text_rule() -> impl Strategy<Value = Rule> {
    let target = prop_oneof![
        (
            prop::collection::vec(ident(), 1..3),
            prop::collection::vec(literal(), 1..3),
            prop::option::of(name())
        )
            .prop_map(|(rights, paths, exec_as)| Target::Files {
                rights,
                paths,
                exec_as,
                exec_mode: polc_lang::ast::ExecMode::Plain,
            }),
        (ident(), ident(), ports()).prop_map(|(op, proto, ports)| Target::Net(Net {
            op,
            proto,
            ports
        })),
        prop::collection::vec(ident(), 1..3).prop_map(Target::Capabilities),
        (
            prop_oneof![Just("send".to_string()), Just("receive".to_string())],
            prop::collection::vec(ident(), 0..3),
            name()
        )
            .prop_map(|(direction, signals, peer)| Target::Signal(Signal {
                direction,
                signals,
                peer,
            })),
    ];
    (effect(), target, any::<(bool, bool)>()).prop_map(|(effect, target, (audit, owner))| {
        let files = matches!(target, Target::Files { .. });
        Rule {
            effect,
            target,
            audit,
            owner: owner && files,
            accept: None,
        }
    })
}

/// A document whose every value has a text form.
fn text_document() -> impl Strategy<Value = Document> {
    let uses = prop::collection::vec(
        (name(), prop::option::of(any::<u64>()))
            .prop_map(|(name, version)| UseSpec { name, version }),
        0..3,
    );
    let vars = prop::collection::vec((ident(), literal()), 0..3).prop_map(Vars);
    (
        (
            name(),
            prop::option::of(any::<u64>()),
            prop::option::of(literal()),
            prop::option::of(ident()),
        ),
        uses,
        vars,
        prop::collection::vec(literal(), 0..3),
        prop::collection::vec(text_rule(), 0..6),
        prop::collection::vec(
            (
                name(),
                prop::option::of(any::<u64>()),
                prop::collection::vec(text_rule(), 0..3),
            ),
            0..3,
        ),
    )
        .prop_map(
            |((policy, version, attach, mode), uses, vars, owns, rules, abs)| Document {
                policy: Some(policy),
                version,
                attach,
                mode,
                uses,
                vars,
                owns,
                rules,
                children: Vec::new(),
                abstractions: abs
                    .into_iter()
                    .map(|(abstraction, version, rules)| Abstraction {
                        abstraction,
                        version,
                        rules,
                        ..Abstraction::default()
                    })
                    .collect(),
                ..Document::default()
            },
        )
}

/// The tree without what JSON cannot hold: comments and blank lines.
fn without_layout(mut file: polc_lang::ast::File) -> polc_lang::ast::File {
    file.trailing_comments.clear();
    for item in &mut file.items {
        item.comments.clear();
        item.closing_comments.clear();
        for s in &mut item.body {
            s.comments.clear();
            s.trailing_comment = None;
            s.blank_line_before = false;
        }
    }
    file
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_without_panic(t in any::<String>()) {
        read_safely(&t);
    }

    #[test]
    fn json_like_text_is_read_without_panic(t in "[\\[\\]{}\":,0-9a-z\\\\ \n-]{0,60}") {
        read_safely(&t);
    }

    #[test]
    fn broken_documents_are_read_without_panic(ms in prop::collection::vec(mutation(), 1..4)) {
        let mut t = WEBAPP.to_string();
        for m in &ms {
            t = mutate(&t, m);
        }
        read_safely(&t);
    }

    #[test]
    fn documents_read_back_into_themselves(doc in document(), pretty in any::<bool>()) {
        let text = if pretty {
            doc.to_json_string()
        } else {
            serde_json::to_string(&doc).unwrap()
        };
        let file = to_ast("gen.json", &text).unwrap();
        check_spans(&text, &file);
        prop_assert_eq!(Document::from_ast(&file).unwrap(), doc);
    }

    /// A document and the text the formatter writes for its tree parse into the same tree.
    #[test]
    fn json_and_text_forms_agree(doc in text_document()) {
        let json = doc.to_json_string();
        let from_json = to_ast("gen.json", &json).unwrap();
        let text = polc_lang::fmt::format(&from_json);
        let (parsed, diags) = polc_lang::syntax::parse("gen.pol", &text);
        prop_assert!(diags.is_empty(), "{}\n{:?}", text, diags);
        prop_assert_eq!(without_layout(parsed.clone()), from_json);
        prop_assert_eq!(polc_lang::json::to_json_form(&parsed).unwrap(), json);
    }
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let deep = format!(
        "{{\"policy\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let bare = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for text in [deep, bare] {
        // Refused (no stack overflow on the way), with well-formed located diagnostics.
        let diags = to_ast("deep.json", &text).expect_err("100,000 nested arrays are refused");
        assert!(
            diags.iter().all(|d| d.code == Code::InvalidJson),
            "{diags:?}"
        );
        read_safely(&text);
    }
}
