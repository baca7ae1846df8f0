//! Checks shared by the JSON tests.
#![allow(dead_code)]

use polc_lang::ast::{File, StmtKind};
use polc_lang::span::{Span, Spanned};

/// The text under a span.
pub fn under(text: &str, span: Span) -> &str {
    text.get(span.start..span.end)
        .unwrap_or_else(|| panic!("span {span:?} out of the text"))
}

/// The JSON string under a span, decoded.
fn json_str(text: &str, span: Span) -> String {
    serde_json::from_str::<String>(under(text, span))
        .unwrap_or_else(|e| panic!("{:?} is not a JSON string: {e}", under(text, span)))
}

fn check_strings(text: &str, v: &[Spanned<String>]) {
    for s in v {
        assert_eq!(json_str(text, s.span), s.node);
    }
}

/// Every node's span holds the JSON value it was read from.
pub fn check_spans(text: &str, file: &File) {
    for item in &file.items {
        let whole = under(text, item.span);
        assert!(whole.starts_with('{') && whole.ends_with('}'), "{whole}");
        assert_eq!(json_str(text, item.name.span), item.name.node);
        for stmt in &item.body {
            let s = under(text, stmt.span);
            match &stmt.kind {
                StmtKind::Version(v) => {
                    assert!(s.starts_with("\"version\""), "{s}");
                    assert_eq!(under(text, v.span).parse::<u64>().unwrap(), v.node);
                }
                StmtKind::Attach(a) => {
                    assert!(s.starts_with("\"attach\""), "{s}");
                    check_strings(text, std::slice::from_ref(a));
                }
                StmtKind::Mode(m) => {
                    assert!(s.starts_with("\"mode\""), "{s}");
                    check_strings(text, std::slice::from_ref(m));
                }
                StmtKind::Use(refs) => {
                    assert!(s.starts_with("\"use\""), "{s}");
                    for r in refs {
                        let want = match r.node.version {
                            Some(v) => format!("{}@{v}", r.node.name),
                            None => r.node.name.clone(),
                        };
                        assert_eq!(json_str(text, r.span), want);
                    }
                }
                StmtKind::Owns(paths) => {
                    assert!(s.starts_with("\"owns\""), "{s}");
                    check_strings(text, paths);
                }
                StmtKind::Var { name, value } => {
                    assert_eq!(stmt.span, name.span.join(value.span));
                    check_strings(text, &[name.clone(), value.clone()]);
                }
                StmtKind::File {
                    effect,
                    rights,
                    paths,
                    exec_as,
                    ..
                } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, effect.span), effect.node.keyword());
                    check_strings(text, rights);
                    check_strings(text, paths);
                    check_strings(text, exec_as.as_slice());
                }
                StmtKind::Child { .. } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                }
                StmtKind::Accept(_) => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                }
                StmtKind::App => assert!(s.starts_with("\"app\""), "{s}"),
                StmtKind::Plugs(names) => {
                    assert!(s.starts_with("\"plugs\""), "{s}");
                    check_strings(text, names);
                }
                StmtKind::Provides(p) => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    check_strings(text, std::slice::from_ref(&p.name));
                }
                StmtKind::Net {
                    effect,
                    op,
                    proto,
                    ports,
                } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, effect.span), effect.node.keyword());
                    check_strings(text, &[op.clone(), proto.clone()]);
                    if let Some(p) = ports {
                        // The span covers the ports value (`443`, `"443"` or `"80-8089"`,
                        // leading zeros allowed), which reads back as the node's range.
                        let raw = under(text, p.span);
                        let inner = raw.trim_matches('"');
                        let (lo, hi) = inner.split_once('-').unwrap_or((inner, inner));
                        let num = |s: &str| s.parse::<u64>().ok();
                        assert_eq!(
                            (num(lo), num(hi)),
                            (Some(p.node.lo), Some(p.node.hi)),
                            "{raw}"
                        );
                    }
                }
                StmtKind::Capability { effect, caps } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, effect.span), effect.node.keyword());
                    check_strings(text, caps);
                }
                StmtKind::Signal {
                    effect,
                    direction,
                    signals,
                    peer,
                } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, effect.span), effect.node.keyword());
                    check_strings(text, &[direction.clone(), peer.clone()]);
                    check_strings(text, signals);
                }
                StmtKind::Unix(u) => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, u.effect.span), u.effect.node.keyword());
                    check_strings(text, &u.ops);
                    check_strings(text, u.sock_type.as_slice());
                    check_strings(text, u.peer.as_slice());
                    if let Some(a) = &u.addr {
                        let kind = match &a.node {
                            polc_lang::ast::UnixAddrSpec::Path(p) => {
                                check_strings(text, std::slice::from_ref(p));
                                "path"
                            }
                            polc_lang::ast::UnixAddrSpec::Abstract(n) => {
                                check_strings(text, n.as_slice());
                                "abstract"
                            }
                            polc_lang::ast::UnixAddrSpec::Anonymous => "anonymous",
                        };
                        assert_eq!(json_str(text, a.span), kind);
                    }
                }
                StmtKind::Dbus(d) => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, d.effect.span), d.effect.node.keyword());
                    check_strings(text, &d.ops);
                    for f in [&d.bus, &d.path, &d.interface, &d.member, &d.name, &d.peer] {
                        check_strings(text, f.as_slice());
                    }
                }
                StmtKind::NetFamily(n) => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, n.effect.span), n.effect.node.keyword());
                    check_strings(text, std::slice::from_ref(&n.family));
                    check_strings(text, &n.protocols);
                }
                StmtKind::Ptrace {
                    effect,
                    access,
                    direction,
                    peer,
                } => {
                    assert!(s.starts_with('{') && s.ends_with('}'), "{s}");
                    assert_eq!(json_str(text, effect.span), effect.node.keyword());
                    check_strings(text, &[direction.clone(), peer.clone()]);
                    check_strings(text, access);
                }
            }
        }
    }
}
