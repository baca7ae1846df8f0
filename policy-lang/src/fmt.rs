//! The formatter: one canonical text for a syntax tree.
//!
//! ```
//! use polc_lang::fmt::format_source;
//!
//! let text = "policy   org.example.app{deny  read \"/etc/app/secret\"   # keep out\n}";
//! assert_eq!(
//!     format_source("app.pol", text).unwrap(),
//!     "policy org.example.app {\n    deny read \"/etc/app/secret\" # keep out\n}\n",
//! );
//! ```
//!
//! # The canonical form
//!
//! - Items in source order, separated by one blank line; `policy NAME {` on one line, the
//!   body indented by 4 spaces, `}` alone on the last line. An item with neither statements
//!   nor closing comments is written `policy NAME {}`.
//! - One statement per line, in source order, tokens separated by single spaces, `, `
//!   between list items. A signal rule writes `to` after `send` and `from` after
//!   `receive` (and `to` after any other direction word, which the checker rejects).
//! - Strings are written between `"` with `"` and `\` escaped; every other character is
//!   written as is. A string holding a newline has no source form (the parser never
//!   produces one); it is written raw and the output does not parse back.
//! - Comments are written `#` followed by their text, on their own line at the indentation
//!   of what they precede, except a statement's trailing comment, written after it with
//!   one space before `#`. A comment text holding newlines (the parser never produces one)
//!   is written as one comment per line. Comments inside a statement that spans several
//!   lines are moved before the statement.
//! - One blank line before a statement whose `blank_line_before` is set (ignored on the
//!   first statement of a body), and between the last item and the file's trailing
//!   comments. No blank line elsewhere; the output ends with a newline (an empty file
//!   formats to the empty string).
//!
//! # Long lists
//!
//! A statement is kept on one line while that line (with its indentation, without its
//! trailing comment) is at most [`MAX_WIDTH`] characters. A longer statement whose last
//! comma-separated list (paths of a rule or of `owns`, abstractions of `use`, capabilities,
//! signals) has two or more entries is written with the part before the list on the
//! first line and one entry per following line, indented by 8 spaces, each but the last
//! followed by `,`; what follows the list (`as NAME`, `to NAME`) ends the last line:
//!
//! ```text
//!     allow read write
//!         "/srv/app/data/**",
//!         "/srv/app/cache/**" as org.example.app
//! ```
//!
//! A long D-Bus rule is wrapped the same way, its fields (`bus`, `path`, `interface`,
//! `member`, `name`, `peer`) being the entries, without commas:
//!
//! ```text
//!     allow dbus send
//!         bus system
//!         path "/org/freedesktop/login1"
//!         interface "org.freedesktop.login1.Manager"
//!         member "{CreateSession,ReleaseSession}"
//! ```
//!
//! One entry per line keeps diffs of long lists line-by-line. Other statements are never
//! wrapped (a string is never split). The choice depends only on the tree, so formatting
//! is idempotent.

mod dbus;
mod unix;

use crate::ast::{AcceptBlock, Comment, ExecMode, File, Item, PortSpec, Stmt, StmtKind, UseRef};
use crate::diagnostics::Diagnostic;
use crate::ir::text::quote;
use crate::span::Spanned;
use crate::syntax;

/// The widest statement line kept on one line, in characters, indentation included.
pub const MAX_WIDTH: usize = 100;

const INDENT: &str = "    ";

/// Format a file in the canonical form.
pub fn format(f: &File) -> String {
    let mut out = String::new();
    for (n, item) in f.items.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        write_item(&mut out, item);
    }
    if !f.trailing_comments.is_empty() {
        if !f.items.is_empty() {
            out.push('\n');
        }
        write_comments(&mut out, "", &f.trailing_comments);
    }
    out
}

/// Parse and format a source text; refuses (returning the diagnostics) a text with
/// syntax errors.
pub fn format_source(name: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = syntax::parse(name, text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(format(&file))
}

fn write_comments(out: &mut String, indent: &str, cs: &[Comment]) {
    for c in cs {
        for line in c.text.split('\n') {
            out.push_str(indent);
            out.push('#');
            out.push_str(line);
            out.push('\n');
        }
    }
}

fn write_item(out: &mut String, item: &Item) {
    write_comments(out, "", &item.comments);
    out.push_str(item.kind.keyword());
    out.push(' ');
    out.push_str(&item.name.node);
    if item.body.is_empty() && item.closing_comments.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    write_body(out, "", &item.body, &item.closing_comments);
}

/// The statements of a body at one level deeper than `outer`, then its closing `}`.
fn write_body(out: &mut String, outer: &str, body: &[Stmt], closing: &[Comment]) {
    let indent = format!("{outer}{INDENT}");
    for (n, stmt) in body.iter().enumerate() {
        if n > 0 && stmt.blank_line_before {
            out.push('\n');
        }
        write_stmt(out, &indent, stmt);
    }
    write_comments(out, &indent, closing);
    out.push_str(outer);
    out.push_str("}\n");
}

/// A statement cut into the part before its last list, the list, and the part after it.
struct Parts {
    head: String,
    /// `false` for a list of words written one after the other (a D-Bus rule's fields).
    commas: bool,
    list: Vec<String>,
    tail: Option<String>,
}

fn write_stmt(out: &mut String, indent: &str, stmt: &Stmt) {
    write_comments(out, indent, &stmt.comments);
    let block = match &stmt.kind {
        StmtKind::Child {
            kind,
            name,
            body,
            closing_comments,
        } => Some((
            format!("{} {}", kind.keyword(), name.node),
            body,
            closing_comments,
        )),
        StmtKind::Provides(p) => Some((
            format!(
                "provides {}{}",
                p.name.node,
                if p.auto { " auto" } else { "" }
            ),
            &p.body,
            &p.closing_comments,
        )),
        StmtKind::Accept(a) => Some((accept_head(a), &a.body, &a.closing_comments)),
        _ => None,
    };
    if let Some((head, body, closing_comments)) = block {
        out.push_str(indent);
        out.push_str(&head);
        if body.is_empty() && closing_comments.is_empty() {
            out.push_str(" {}");
            write_trailing(out, indent, stmt);
            out.push('\n');
        } else {
            out.push_str(" {");
            write_trailing(out, indent, stmt);
            out.push('\n');
            write_body(out, indent, body, closing_comments);
        }
        return;
    }
    let Parts {
        head,
        commas,
        list,
        tail,
    } = qualified(parts(&stmt.kind), stmt.quals);
    let mut line = head.clone();
    if !list.is_empty() {
        line.push(' ');
        line.push_str(&list.join(if commas { ", " } else { " " }));
    }
    if let Some(t) = &tail {
        line.push(' ');
        line.push_str(t);
    }
    out.push_str(indent);
    if indent.len() + line.chars().count() <= MAX_WIDTH || list.len() < 2 {
        out.push_str(&line);
    } else {
        out.push_str(&head);
        let last = list.len() - 1;
        for (n, entry) in list.iter().enumerate() {
            out.push('\n');
            out.push_str(indent);
            out.push_str(INDENT);
            out.push_str(entry);
            if n < last && commas {
                out.push(',');
            }
        }
        if let Some(t) = &tail {
            out.push(' ');
            out.push_str(t);
        }
    }
    write_trailing(out, indent, stmt);
    out.push('\n');
}

/// `accept FIDELITIES on TARGETS "REASON"`, before the block.
fn accept_head(a: &AcceptBlock) -> String {
    format!(
        "accept {} on {} {}",
        words(&a.fidelities).collect::<Vec<_>>().join(", "),
        words(&a.targets).collect::<Vec<_>>().join(", "),
        quote(&a.reason.node)
    )
}

/// A statement's trailing comment, if any (without the final newline).
fn write_trailing(out: &mut String, indent: &str, stmt: &Stmt) {
    if let Some(c) = &stmt.trailing_comment {
        let mut lines = c.text.split('\n');
        out.push_str(" #");
        out.push_str(lines.next().unwrap_or(""));
        for more in lines {
            out.push('\n');
            out.push_str(indent);
            out.push('#');
            out.push_str(more);
        }
    }
}

fn words(ws: &[Spanned<String>]) -> impl Iterator<Item = &str> {
    ws.iter().map(|w| w.node.as_str())
}

fn quoted(ss: &[Spanned<String>]) -> Vec<String> {
    ss.iter().map(|s| quote(&s.node)).collect()
}

fn use_ref(u: &UseRef) -> String {
    match u.version {
        Some(v) => format!("{}@{v}", u.name),
        None => u.name.clone(),
    }
}

fn ports(p: &PortSpec) -> String {
    if p.lo == p.hi {
        p.lo.to_string()
    } else {
        format!("{}-{}", p.lo, p.hi)
    }
}

/// `audit` before the effect keyword, `owner` after it.
fn qualified(mut p: Parts, q: crate::ast::Qualifiers) -> Parts {
    if q.owner.is_some() {
        p.head = match p.head.split_once(' ') {
            Some((effect, rest)) => format!("{effect} owner {rest}"),
            None => format!("{} owner", p.head),
        };
    }
    if q.audit.is_some() {
        p.head = format!("audit {}", p.head);
    }
    p
}

fn parts(kind: &StmtKind) -> Parts {
    let simple = |head: String| Parts {
        commas: true,
        head,
        list: Vec::new(),
        tail: None,
    };
    match kind {
        StmtKind::Version(v) => simple(format!("version {}", v.node)),
        StmtKind::Attach(s) => simple(format!("attach {}", quote(&s.node))),
        StmtKind::Mode(m) => simple(format!("mode {}", m.node)),
        StmtKind::Use(refs) => Parts {
            commas: true,
            head: "use".to_string(),
            list: refs.iter().map(|r| use_ref(&r.node)).collect(),
            tail: None,
        },
        StmtKind::Owns(paths) => Parts {
            commas: true,
            head: "owns".to_string(),
            list: quoted(paths),
            tail: None,
        },
        StmtKind::Var { name, value } => {
            simple(format!("var {} = {}", name.node, quote(&value.node)))
        }
        StmtKind::File {
            effect,
            rights,
            paths,
            exec_as,
            exec_mode,
        } => {
            let mut head = effect.node.keyword().to_string();
            for r in words(rights) {
                head.push(' ');
                head.push_str(r);
            }
            let name = exec_as.as_ref().map_or("", |n| n.node.as_str());
            let tail = match exec_mode {
                ExecMode::Plain => exec_as.as_ref().map(|n| format!("as {}", n.node)),
                ExecMode::Inherit => Some("as inherit".to_string()),
                ExecMode::Unconfined => Some("as unconfined".to_string()),
                ExecMode::Child => Some(format!("as child {name}")),
                ExecMode::Fallback => Some(format!("as {name} else inherit")),
            };
            Parts {
                commas: true,
                head,
                list: quoted(paths),
                tail,
            }
        }
        StmtKind::Net {
            effect,
            op,
            proto,
            ports: p,
        } => {
            let mut s = format!("{} net {} {}", effect.node.keyword(), op.node, proto.node);
            if let Some(p) = p {
                s.push(' ');
                s.push_str(&ports(&p.node));
            }
            simple(s)
        }
        StmtKind::Capability { effect, caps } => Parts {
            commas: true,
            head: format!("{} capability", effect.node.keyword()),
            list: words(caps).map(str::to_string).collect(),
            tail: None,
        },
        StmtKind::Signal {
            effect,
            direction,
            signals,
            peer,
        } => {
            let to = if direction.node == "receive" {
                "from"
            } else {
                "to"
            };
            Parts {
                commas: true,
                head: format!("{} signal {}", effect.node.keyword(), direction.node),
                list: words(signals).map(str::to_string).collect(),
                tail: Some(format!("{to} {}", peer.node)),
            }
        }
        StmtKind::Unix(u) => unix::unix_parts(u),
        StmtKind::NetFamily(n) => unix::net_family_parts(n),
        StmtKind::Dbus(d) => dbus::dbus_parts(d),
        StmtKind::Ptrace {
            effect,
            access,
            direction,
            peer,
        } => Parts {
            commas: true,
            head: format!("{} ptrace", effect.node.keyword()),
            list: words(access).map(str::to_string).collect(),
            tail: Some(format!("{} {}", direction.node, peer.node)),
        },
        StmtKind::App => simple("app".to_string()),
        StmtKind::Plugs(names) => Parts {
            commas: true,
            head: "plugs".to_string(),
            list: words(names).map(str::to_string).collect(),
            tail: None,
        },
        // Written by `write_stmt` itself.
        StmtKind::Child { .. } | StmtKind::Accept(_) | StmtKind::Provides(_) => {
            simple(String::new())
        }
    }
}
