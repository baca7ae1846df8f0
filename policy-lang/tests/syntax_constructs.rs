//! Each construct of the grammar parses to the expected tree, with the expected spans.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::{Comment, Effect, File, ItemKind, PortSpec, Stmt, StmtKind, UseRef};
use polc_lang::span::{Span, Spanned};
use polc_lang::syntax::parse;

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

/// The one statement of `policy p { <stmt> }`, checked to parse without diagnostics.
fn stmt(src: &str) -> (Stmt, String) {
    let text = format!("policy p {{ {src} }}");
    let (file, diags) = parse("t.pol", &text);
    assert!(diags.is_empty(), "{src}: {diags:#?}");
    assert_eq!(file.items.len(), 1);
    assert_eq!(file.items[0].body.len(), 1, "{src}");
    (file.items[0].body[0].clone(), text)
}

/// The source text under a span.
fn at(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

fn s(v: &str) -> Spanned<String> {
    Spanned::new(v.to_string(), Span::default())
}

#[test]
fn the_example_parses_with_spans() {
    let (file, diags) = parse("webapp.pol", WEBAPP);
    assert!(diags.is_empty(), "{diags:#?}");
    insta::assert_snapshot!(outline(&file, WEBAPP));
}

/// Every node of a tree with the source text under its span, one per line.
fn outline(file: &File, text: &str) -> String {
    let mut out = String::new();
    let mut line = |depth: usize, what: &str, span: Span| {
        out.push_str(&format!(
            "{}{what}: `{}`\n",
            "  ".repeat(depth),
            at(text, span)
        ));
    };
    let comments = |cs: &[Comment]| {
        cs.iter()
            .map(|c| format!("{:?}", c.text))
            .collect::<Vec<_>>()
    };
    for item in &file.items {
        let first_line = Span::new(
            item.span.start,
            item.span.start + at(text, item.span).find('\n').unwrap_or(0),
        );
        line(
            0,
            &format!("{:?} comments={:?}", item.kind, comments(&item.comments)),
            first_line,
        );
        line(1, "name", item.name.span);
        for st in &item.body {
            let head = format!(
                "stmt comments={:?} trailing={:?} blank={}",
                comments(&st.comments),
                st.trailing_comment.as_ref().map(|c| &c.text),
                st.blank_line_before
            );
            line(1, &head, st.span);
            let mut leaf = |what: &str, span: Span| line(2, what, span);
            match &st.kind {
                StmtKind::Version(v) => leaf(&format!("version {}", v.node), v.span),
                StmtKind::Attach(a) => leaf(&format!("attach {:?}", a.node), a.span),
                StmtKind::Mode(m) => leaf(&format!("mode {}", m.node), m.span),
                StmtKind::Use(rs) => {
                    for r in rs {
                        leaf(&format!("use {} {:?}", r.node.name, r.node.version), r.span);
                    }
                }
                StmtKind::Owns(ps) => {
                    for p in ps {
                        leaf(&format!("owns {:?}", p.node), p.span);
                    }
                }
                StmtKind::Var { name, value } => {
                    leaf(&format!("var {}", name.node), name.span);
                    leaf(&format!("value {:?}", value.node), value.span);
                }
                StmtKind::File {
                    effect,
                    rights,
                    paths,
                    exec_as,
                    ..
                } => {
                    leaf(&format!("{:?}", effect.node), effect.span);
                    for r in rights {
                        leaf(&format!("right {}", r.node), r.span);
                    }
                    for p in paths {
                        leaf(&format!("path {:?}", p.node), p.span);
                    }
                    if let Some(n) = exec_as {
                        leaf(&format!("as {}", n.node), n.span);
                    }
                }
                StmtKind::Child {
                    kind, name, body, ..
                } => {
                    leaf(
                        &format!("{} {} ({} stmts)", kind.keyword(), name.node, body.len()),
                        name.span,
                    );
                }
                StmtKind::Net {
                    effect,
                    op,
                    proto,
                    ports,
                } => {
                    leaf(&format!("{:?}", effect.node), effect.span);
                    leaf(&format!("op {}", op.node), op.span);
                    leaf(&format!("proto {}", proto.node), proto.span);
                    if let Some(p) = ports {
                        leaf(&format!("ports {}-{}", p.node.lo, p.node.hi), p.span);
                    }
                }
                StmtKind::Capability { effect, caps } => {
                    leaf(&format!("{:?}", effect.node), effect.span);
                    for c in caps {
                        leaf(&format!("cap {}", c.node), c.span);
                    }
                }
                StmtKind::Signal {
                    effect,
                    direction,
                    signals,
                    peer,
                } => {
                    leaf(&format!("{:?}", effect.node), effect.span);
                    leaf(&format!("direction {}", direction.node), direction.span);
                    for s in signals {
                        leaf(&format!("signal {}", s.node), s.span);
                    }
                    leaf(&format!("peer {}", peer.node), peer.span);
                }
                StmtKind::Unix(u) => {
                    leaf(&format!("{:?}", u.effect.node), u.effect.span);
                    for o in &u.ops {
                        leaf(&format!("op {}", o.node), o.span);
                    }
                    if let Some(t) = &u.sock_type {
                        leaf(&format!("type {}", t.node), t.span);
                    }
                    if let Some(a) = &u.addr {
                        leaf(&format!("addr {:?}", a.node), a.span);
                    }
                    if let Some(p) = &u.peer {
                        leaf(&format!("peer {}", p.node), p.span);
                    }
                }
                StmtKind::Dbus(d) => {
                    leaf(&format!("{:?}", d.effect.node), d.effect.span);
                    for o in &d.ops {
                        leaf(&format!("op {}", o.node), o.span);
                    }
                    for (kw, f) in [
                        ("bus", &d.bus),
                        ("path", &d.path),
                        ("interface", &d.interface),
                        ("member", &d.member),
                        ("name", &d.name),
                        ("peer", &d.peer),
                    ] {
                        if let Some(v) = f {
                            leaf(&format!("{kw} {:?}", v.node), v.span);
                        }
                    }
                }
                StmtKind::NetFamily(n) => {
                    leaf(&format!("{:?}", n.effect.node), n.effect.span);
                    leaf(&format!("family {}", n.family.node), n.family.span);
                    for p in &n.protocols {
                        leaf(&format!("protocol {}", p.node), p.span);
                    }
                }
                StmtKind::App => leaf("app", st.span),
                StmtKind::Plugs(names) => {
                    for n in names {
                        leaf(&format!("plug {}", n.node), n.span);
                    }
                }
                StmtKind::Provides(p) => {
                    leaf(
                        &format!("provides {} auto={}", p.name.node, p.auto),
                        p.name.span,
                    );
                    leaf(&format!("({} stmts)", p.body.len()), p.name.span);
                }
                StmtKind::Accept(a) => {
                    for f in &a.fidelities {
                        leaf(&format!("fidelity {}", f.node), f.span);
                    }
                    for t in &a.targets {
                        leaf(&format!("target {}", t.node), t.span);
                    }
                    leaf(&format!("reason {:?}", a.reason.node), a.reason.span);
                    leaf(&format!("({} stmts)", a.body.len()), a.reason.span);
                }
                StmtKind::Ptrace {
                    effect,
                    access,
                    direction,
                    peer,
                } => {
                    leaf(&format!("{:?}", effect.node), effect.span);
                    for a in access {
                        leaf(&format!("access {}", a.node), a.span);
                    }
                    leaf(&format!("direction {}", direction.node), direction.span);
                    leaf(&format!("peer {}", peer.node), peer.span);
                }
            }
        }
        line(
            1,
            &format!("closing comments={:?}", comments(&item.closing_comments)),
            Span::new(item.span.end - 1, item.span.end),
        );
    }
    out.push_str(&format!(
        "trailing comments={:?}\n",
        comments(&file.trailing_comments)
    ));
    out
}

#[test]
fn item_kinds_names_and_spans() {
    let text = "policy org.example.app {}\nabstraction net-2_x { version 1 }";
    let (file, diags) = parse("t.pol", text);
    assert!(diags.is_empty());
    let [a, b] = &file.items[..] else {
        panic!("two items expected")
    };
    assert_eq!(a.kind, ItemKind::Policy);
    assert_eq!(a.name.node, "org.example.app");
    assert_eq!(at(text, a.name.span), "org.example.app");
    assert_eq!(at(text, a.span), "policy org.example.app {}");
    assert_eq!(b.kind, ItemKind::Abstraction);
    assert_eq!(b.name.node, "net-2_x");
    assert_eq!(at(text, b.span), "abstraction net-2_x { version 1 }");
}

#[test]
fn empty_and_comment_only_files() {
    for text in ["", "   \n\n\t", "# only\n# comments"] {
        let (file, diags) = parse("t.pol", text);
        assert!(diags.is_empty());
        assert!(file.items.is_empty());
        assert_eq!(file.trailing_comments.len(), text.matches('#').count());
    }
}

#[test]
fn version() {
    let (st, text) = stmt("version 18446744073709551615");
    let StmtKind::Version(v) = &st.kind else {
        panic!("{st:?}")
    };
    assert_eq!(v.node, u64::MAX);
    assert_eq!(at(&text, v.span), "18446744073709551615");
    assert_eq!(at(&text, st.span), "version 18446744073709551615");
}

#[test]
fn attach_and_mode() {
    let (st, text) = stmt(r#"attach "/usr/bin/app""#);
    assert_eq!(st.kind, StmtKind::Attach(s("/usr/bin/app")));
    let StmtKind::Attach(a) = &st.kind else {
        panic!()
    };
    assert_eq!(
        at(&text, a.span),
        r#""/usr/bin/app""#,
        "spans cover the quotes"
    );
    let (st, text) = stmt("mode complain");
    assert_eq!(st.kind, StmtKind::Mode(s("complain")));
    assert_eq!(at(&text, st.span), "mode complain");
}

#[test]
fn use_refs_with_versions() {
    let (st, text) = stmt("use base, tmp@1, org.x-y @ 22");
    let StmtKind::Use(refs) = &st.kind else {
        panic!("{st:?}")
    };
    let got: Vec<_> = refs.iter().map(|r| r.node.clone()).collect();
    let want = [("base", None), ("tmp", Some(1)), ("org.x-y", Some(22))]
        .map(|(n, v)| UseRef {
            name: n.to_string(),
            version: v,
        })
        .to_vec();
    assert_eq!(got, want);
    let spans: Vec<_> = refs.iter().map(|r| at(&text, r.span)).collect();
    assert_eq!(spans, ["base", "tmp@1", "org.x-y @ 22"]);
}

#[test]
fn owns_and_var() {
    let (st, _) = stmt(r#"owns "/a/**", "/b""#);
    assert_eq!(st.kind, StmtKind::Owns(vec![s("/a/**"), s("/b")]));
    let (st, text) = stmt(r#"var state_dir = "/var/lib/x""#);
    let StmtKind::Var { name, value } = &st.kind else {
        panic!("{st:?}")
    };
    assert_eq!(
        (name.node.as_str(), value.node.as_str()),
        ("state_dir", "/var/lib/x")
    );
    assert_eq!(at(&text, name.span), "state_dir");
    assert_eq!(at(&text, value.span), r#""/var/lib/x""#);
}

#[test]
fn file_rules() {
    let (st, text) = stmt(r#"deny read write "/a", "/b""#);
    let StmtKind::File {
        effect,
        rights,
        paths,
        exec_as,
        ..
    } = &st.kind
    else {
        panic!("{st:?}")
    };
    assert_eq!(effect.node, Effect::Deny);
    assert_eq!(at(&text, effect.span), "deny");
    assert_eq!(rights, &[s("read"), s("write")]);
    assert_eq!(at(&text, rights[1].span), "write");
    assert_eq!(paths, &[s("/a"), s("/b")]);
    assert_eq!(at(&text, paths[1].span), r#""/b""#);
    assert_eq!(exec_as, &None);

    let (st, text) = stmt(r#"allow exec map-exec "/usr/bin/x" as org.example.x"#);
    let StmtKind::File { exec_as, .. } = &st.kind else {
        panic!("{st:?}")
    };
    let exec_as = exec_as.as_ref().unwrap();
    assert_eq!(exec_as.node, "org.example.x");
    assert_eq!(at(&text, exec_as.span), "org.example.x");
    assert_eq!(
        at(&text, st.span),
        r#"allow exec map-exec "/usr/bin/x" as org.example.x"#
    );
}

/// Rights may be separated by commas, as capabilities and signals are: the same tree as
/// with spaces (the formatter writes spaces).
#[test]
fn rights_separated_by_commas() {
    let (spaced, _) = stmt(r#"allow read write create "/a""#);
    for src in [
        r#"allow read, write, create "/a""#,
        r#"allow read,write create "/a""#,
    ] {
        let (st, text) = stmt(src);
        assert_eq!(st, spaced, "{src}");
        let StmtKind::File { rights, .. } = &st.kind else {
            panic!("{st:?}")
        };
        assert_eq!(at(&text, rights[1].span), "write");
        let formatted = polc_lang::fmt::format(&parse("t.pol", &text).0);
        assert!(
            formatted.contains(r#"allow read write create "/a""#),
            "{formatted}"
        );
    }
}

#[test]
fn contextual_words_are_ordinary_idents_elsewhere() {
    // `as`, `to`, `from`, `net`... are only keywords where the grammar says so.
    let (st, _) = stmt(r#"allow read as to "/x" as as"#);
    let StmtKind::File {
        rights, exec_as, ..
    } = &st.kind
    else {
        panic!("{st:?}")
    };
    assert_eq!(rights, &[s("read"), s("as"), s("to")]);
    assert_eq!(exec_as, &Some(s("as")));
    let (st, _) = stmt("allow net net signal");
    assert!(
        matches!(&st.kind, StmtKind::Net { op, proto, ports: None, .. }
        if op.node == "net" && proto.node == "signal")
    );
}

#[test]
fn net_rules_and_port_forms() {
    for (src, want, span_text) in [
        ("allow net connect tcp", None, None),
        ("allow net connect tcp 443", Some((443, 443)), Some("443")),
        (
            "allow net bind udp 8080-8089",
            Some((8080, 8089)),
            Some("8080-8089"),
        ),
        (
            "allow net bind udp 8080 - 8089",
            Some((8080, 8089)),
            Some("8080 - 8089"),
        ),
        (
            "allow net bind udp 8080- 8089",
            Some((8080, 8089)),
            Some("8080- 8089"),
        ),
        (
            "allow net bind udp 8080 -8089",
            Some((8080, 8089)),
            Some("8080 -8089"),
        ),
        ("deny net bind tcp 9-1", Some((9, 1)), Some("9-1")),
    ] {
        let (st, text) = stmt(src);
        let StmtKind::Net {
            effect,
            op,
            proto,
            ports,
        } = &st.kind
        else {
            panic!("{st:?}")
        };
        assert_eq!(at(&text, effect.span), &src[..src.find(' ').unwrap()]);
        assert_eq!(at(&text, op.span), op.node);
        assert_eq!(at(&text, proto.span), proto.node);
        assert_eq!(
            ports.as_ref().map(|p| (p.node.lo, p.node.hi)),
            want,
            "{src}"
        );
        assert_eq!(ports.as_ref().map(|p| at(&text, p.span)), span_text);
        assert_eq!(at(&text, st.span), src);
    }
    let (st, _) = stmt("allow net bind tcp 80");
    assert!(
        matches!(&st.kind, StmtKind::Net { ports: Some(p), .. } if p.node == PortSpec { lo: 80, hi: 80 })
    );
}

#[test]
fn capability_rules() {
    let (st, text) = stmt("allow capability net_bind_service, setuid");
    let StmtKind::Capability { effect, caps } = &st.kind else {
        panic!("{st:?}")
    };
    assert_eq!(effect.node, Effect::Allow);
    assert_eq!(caps, &[s("net_bind_service"), s("setuid")]);
    assert_eq!(at(&text, caps[1].span), "setuid");
}

#[test]
fn signal_rules() {
    let (st, text) = stmt("allow signal send term, kill to org.example.webapp");
    let StmtKind::Signal {
        direction,
        signals,
        peer,
        ..
    } = &st.kind
    else {
        panic!("{st:?}")
    };
    assert_eq!(direction.node, "send");
    assert_eq!(signals, &[s("term"), s("kill")]);
    assert_eq!(peer.node, "org.example.webapp");
    assert_eq!(at(&text, peer.span), "org.example.webapp");
    assert_eq!(at(&text, direction.span), "send");

    let (st, _) = stmt("deny signal receive from self");
    assert!(
        matches!(&st.kind, StmtKind::Signal { effect, signals, peer, .. }
        if effect.node == Effect::Deny && signals.is_empty() && peer.node == "self")
    );
    // Another direction word takes either `to` or `from` (the checker reports it).
    for src in ["allow signal sned to x", "allow signal sned hup from x"] {
        let (st, _) = stmt(src);
        assert!(matches!(&st.kind, StmtKind::Signal { direction, .. } if direction.node == "sned"));
    }
}

#[test]
fn strings_are_decoded_and_keep_raw_characters() {
    let (st, text) = stmt("attach \"/a\\\"b\\\\c\u{0}\t\u{7f}é${x}\"");
    let StmtKind::Attach(a) = &st.kind else {
        panic!()
    };
    assert_eq!(a.node, "/a\"b\\c\u{0}\t\u{7f}é${x}");
    assert_eq!(a.span.end, text.len() - 2);
}

#[test]
fn whitespace_and_newlines_are_insignificant() {
    let text = "policy\np\n{allow\nread\n\"/x\"\n,\"/y\"as\nq}";
    let (file, diags) = parse("t.pol", text);
    assert!(diags.is_empty(), "{diags:#?}");
    let (st, _) = stmt(r#"allow read "/x", "/y" as q"#);
    assert_eq!(file.items[0].body, vec![st]);
    // CRLF line endings.
    let (file, diags) = parse("t.pol", "policy p {\r\n    version 1 # c\r\n}\r\n");
    assert!(diags.is_empty());
    assert_eq!(
        file.items[0].body[0]
            .trailing_comment
            .as_ref()
            .unwrap()
            .text,
        " c"
    );
}

#[test]
fn statements_follow_each_other_on_one_line() {
    let (file, diags) = parse(
        "t.pol",
        r#"policy p { version 1 mode enforce allow read "/a" }"#,
    );
    assert!(diags.is_empty());
    assert_eq!(file.items[0].body.len(), 3);
}
