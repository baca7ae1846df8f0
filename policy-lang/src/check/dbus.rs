//! Checks of D-Bus rules (E0185-E0187).

use super::items::{check_path_literal, check_policy_name, PathUse, Sink};
use super::strings::suggest;
use super::unix::PEER_KEYWORDS;
use crate::ast::DbusStmt;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::dbus::{name_glob, BUS_KEYWORDS};
use crate::ir::text::one_line;
use crate::ir::DbusOp;
use crate::span::Spanned;

/// The longest D-Bus name (interface, member, bus name), as the specification sets it.
pub(crate) const MAX_NAME_LEN: usize = 255;

/// E0185, E0186, E0187 and the peer's name.
pub(crate) fn check_dbus(sink: &mut Sink<'_>, d: &DbusStmt) {
    let mut ops = Vec::new();
    for o in &d.ops {
        match DbusOp::from_keyword(&o.node) {
            Some(op) => ops.push((op, o)),
            None => {
                let help = match o.node.as_str() {
                    "eavesdrop" => "eavesdropping is not in the language: dbus-daemon deprecated it for `BecomeMonitor`, a method call that `send` covers".to_string(),
                    "own" | "acquire" => "owning a well-known name is `bind`".to_string(),
                    w => match suggest(w, DbusOp::ALL.iter().map(|o| o.keyword())) {
                        Some(s) => format!("did you mean `{s}`? {}", Code::UnknownDbusOp.help()),
                        None => Code::UnknownDbusOp.help().to_string(),
                    },
                };
                sink.push(
                    Diagnostic::new(
                        Code::UnknownDbusOp,
                        sink.file,
                        o.span,
                        format!("unknown D-Bus operation `{}`", one_line(&o.node)),
                        "not an operation",
                    )
                    .with_help(help),
                );
            }
        }
    }
    if let Some((_, bind)) = ops.iter().find(|(op, _)| *op == DbusOp::Bind) {
        let messages = ops.iter().find(|(op, _)| *op != DbusOp::Bind);
        if let Some((op, o)) = messages {
            sink.push(
                Diagnostic::new(
                    Code::DbusFieldNotApplicable,
                    sink.file,
                    o.span,
                    format!("`bind` and `{}` in one D-Bus rule", op.keyword()),
                    "a message operation",
                )
                .with_label(bind.span, "owns a name")
                .with_help(
                    "`name` means the name owned for `bind` and the peer's name for `send` and \
                     `receive`: write two rules",
                ),
            );
        }
        for (field, value) in [
            ("path", &d.path),
            ("interface", &d.interface),
            ("member", &d.member),
            ("peer", &d.peer),
        ] {
            if let Some(v) = value {
                sink.push(
                    Diagnostic::new(
                        Code::DbusFieldNotApplicable,
                        sink.file,
                        v.span,
                        format!("`{field}` on a D-Bus `bind` rule"),
                        "not a field of `bind`",
                    )
                    .with_label(bind.span, "owns a name")
                    .with_help("`bind` takes `bus` and `name` (the name owned) only"),
                );
            }
        }
    }
    if let Some(b) = &d.bus {
        if !BUS_KEYWORDS.contains(&b.node.as_str()) {
            let ok = !b.node.is_empty()
                && b.node.len() <= MAX_NAME_LEN
                && b.node
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !ok {
                invalid(
                    sink,
                    b,
                    "bus",
                    "a bus is `system`, `session` or a name of letters, digits, `_`, `-` and `.` \
                     (AppArmor's `bus=`)",
                );
            }
        }
    }
    if let Some(p) = &d.path {
        check_path_literal(sink, p, PathUse::Glob);
        // A path with variables is checked once they are substituted, as a glob only.
        if !p.node.contains('$') && crate::glob::Glob::parse(&p.node).is_ok() {
            if let Some(problem) = name_problem(&p.node, Grammar::ObjectPath) {
                invalid(sink, p, "object path", &problem);
            }
        }
    }
    for (what, value, grammar) in [
        ("interface", &d.interface, Grammar::Interface),
        ("member", &d.member, Grammar::Member),
        ("bus name", &d.name, Grammar::BusName),
    ] {
        if let Some(v) = value {
            if let Some(problem) = name_problem(&v.node, grammar) {
                invalid(sink, v, what, &problem);
            }
        }
    }
    if let Some(p) = &d.peer {
        if !PEER_KEYWORDS.contains(&p.node.as_str()) {
            check_policy_name(sink, p, "peer policy name");
        }
    }
}

fn invalid(sink: &mut Sink<'_>, v: &Spanned<String>, what: &str, help: &str) {
    sink.push(
        Diagnostic::new(
            Code::InvalidDbusName,
            sink.file,
            v.span,
            format!("invalid D-Bus {what} `{}`", one_line(&v.node)),
            "not valid here",
        )
        .with_help(help.to_string()),
    );
}

/// The grammars of the D-Bus specification's names.
#[derive(Clone, Copy)]
enum Grammar {
    /// Two or more elements `[A-Za-z_][A-Za-z0-9_]*` separated by `.`.
    Interface,
    /// One element `[A-Za-z_][A-Za-z0-9_]*`.
    Member,
    /// A well-known name (two or more elements `[A-Za-z_-][A-Za-z0-9_-]*`) or a unique
    /// one (`:` then two or more elements `[A-Za-z0-9_-]+`).
    BusName,
    /// `/`, or elements `[A-Za-z0-9_]+` each after a `/`.
    ObjectPath,
}

/// What is wrong with a name pattern, if anything: every brace expansion without a
/// wildcard must be a name of the grammar; one with wildcards may hold only the
/// grammar's characters.
fn name_problem(pattern: &str, g: Grammar) -> Option<String> {
    let glob = match g {
        Grammar::ObjectPath => crate::glob::Glob::parse(pattern).ok(),
        _ => name_glob(pattern),
    };
    let Some(glob) = glob else {
        return Some(
            "a name pattern is a name, or a glob of one with `*`, `?`, `{a,b}` and `[...]` \
             (no `/`, no control characters, balanced braces)"
                .to_string(),
        );
    };
    for e in glob.expansions() {
        let e = match g {
            Grammar::ObjectPath => e.as_str(),
            _ => e.strip_prefix('/').unwrap_or(&e),
        };
        if e.contains(['*', '?', '[']) {
            let extra: &[char] = match g {
                Grammar::Interface => &['.'],
                Grammar::Member => &[],
                Grammar::BusName => &['.', '-', ':'],
                Grammar::ObjectPath => &['/'],
            };
            let mut in_class = false;
            for c in e.chars() {
                match c {
                    '[' => in_class = true,
                    ']' => in_class = false,
                    '*' | '?' => {}
                    _ if in_class => {}
                    c if c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c) => {}
                    c => {
                        return Some(format!(
                            "`{}` is not in a D-Bus {}",
                            c.escape_default(),
                            grammar_word(g)
                        ))
                    }
                }
            }
        } else if let Some(p) = literal_problem(e, g) {
            return Some(p);
        }
    }
    None
}

fn grammar_word(g: Grammar) -> &'static str {
    match g {
        Grammar::Interface => "interface name",
        Grammar::Member => "member name",
        Grammar::BusName => "bus name",
        Grammar::ObjectPath => "object path",
    }
}

fn literal_problem(name: &str, g: Grammar) -> Option<String> {
    if name.is_empty() {
        return Some(format!("a D-Bus {} is not empty", grammar_word(g)));
    }
    if name.len() > MAX_NAME_LEN {
        return Some(format!("a D-Bus name is at most {MAX_NAME_LEN} bytes"));
    }
    let element = |e: &str, first_digit: bool, dash: bool| {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || (dash && c == '-');
        let mut cs = e.chars();
        cs.next()
            .is_some_and(|c| ok_char(c) && (first_digit || !c.is_ascii_digit()))
            && cs.all(ok_char)
    };
    let ok = match g {
        Grammar::ObjectPath => {
            name == "/"
                || name.strip_prefix('/').is_some_and(|rest| {
                    rest.split('/').all(|e| {
                        !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                })
        }
        Grammar::Member => element(name, false, false),
        Grammar::Interface => {
            name.split('.').count() >= 2 && name.split('.').all(|e| element(e, false, false))
        }
        Grammar::BusName => match name.strip_prefix(':') {
            Some(unique) => {
                unique.split('.').count() >= 2 && unique.split('.').all(|e| element(e, true, true))
            }
            None => {
                name.split('.').count() >= 2 && name.split('.').all(|e| element(e, false, true))
            }
        },
    };
    (!ok).then(|| match g {
        Grammar::ObjectPath => {
            "an object path is `/` or elements of letters, digits and `_`, each after a `/` \
             (`/org/freedesktop/DBus`)"
                .to_string()
        }
        Grammar::Member => {
            "a member is one element of letters, digits and `_`, not starting with a digit \
             (`GetAll`)"
                .to_string()
        }
        Grammar::Interface => {
            "an interface is two or more elements of letters, digits and `_` separated by `.`, \
             none starting with a digit (`org.freedesktop.DBus.Properties`)"
                .to_string()
        }
        Grammar::BusName => {
            "a bus name is two or more elements of letters, digits, `_` and `-` separated by \
             `.`, none starting with a digit (`org.freedesktop.NetworkManager`), or a unique \
             name (`:1.42`)"
                .to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_specification() {
        assert!(name_problem("org.freedesktop.DBus", Grammar::Interface).is_none());
        assert!(name_problem("org.freedesktop.*", Grammar::Interface).is_none());
        assert!(name_problem("DBus", Grammar::Interface).is_some());
        assert!(name_problem("org.1x", Grammar::Interface).is_some());
        assert!(name_problem("{Hello,AddMatch}", Grammar::Member).is_none());
        assert!(name_problem("{Hello,Add.Match}", Grammar::Member).is_some());
        assert!(name_problem("Get*", Grammar::Member).is_none());
        assert!(name_problem("Get-All", Grammar::Member).is_some());
        assert!(name_problem(":1.42", Grammar::BusName).is_none());
        assert!(name_problem("org.example-app.x", Grammar::BusName).is_none());
        assert!(name_problem("org/x", Grammar::BusName).is_some());
        assert!(name_problem("org.{a", Grammar::BusName).is_some());
        assert!(name_problem(&"a.".repeat(200), Grammar::BusName).is_some());
        assert!(name_problem("/org/freedesktop/DBus", Grammar::ObjectPath).is_none());
        assert!(name_problem("/org/example/**", Grammar::ObjectPath).is_none());
        assert!(name_problem("/org/my-app", Grammar::ObjectPath).is_some());
        assert!(name_problem("/org/{a,my-app}/*", Grammar::ObjectPath).is_some());
    }
}
