//! Exec modes and child policies: `as inherit`, `as child NAME`, `as NAME else inherit`,
//! `as unconfined`, and the `child NAME { ... }` / `hat NAME { ... }` blocks (E0190-E0193,
//! W0230).

use super::items::{check_policy_name, check_rule, Sink};
use crate::ast::{ChildKind, Effect, ExecMode, Stmt, StmtKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::one_line;
use crate::span::{Span, Spanned};

/// Where a rule is written: what `as child NAME` may name there.
pub(crate) struct Scope<'a> {
    /// The children and hats of the enclosing policy (none in an abstraction or a child).
    pub(crate) children: Vec<(&'a str, ChildKind)>,
    /// `None` in a policy; else what the rule is in (`an abstraction`, `child \`x\``).
    pub(crate) inside: Option<String>,
}

impl<'a> Scope<'a> {
    /// The scope of a policy's or an abstraction's own statements.
    pub(crate) fn of_item(body: &'a [Stmt], is_policy: bool) -> Scope<'a> {
        if !is_policy {
            return Scope {
                children: Vec::new(),
                inside: Some("an abstraction".to_string()),
            };
        }
        let children = body
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Child { kind, name, .. } => Some((name.node.as_str(), *kind)),
                _ => None,
            })
            .collect();
        Scope {
            children,
            inside: None,
        }
    }
}

fn report(sink: &mut Sink<'_>, code: Code, span: Span, message: String, label: &str) -> Diagnostic {
    let d = Diagnostic::new(code, sink.file, span, message, label);
    sink.push(d.clone());
    d
}

/// A `child` or `hat` block: only in a policy, once per name, holding rules only.
pub(crate) fn check_child(
    sink: &mut Sink<'_>,
    stmt: &Stmt,
    scope: &Scope<'_>,
    earlier: &[&Spanned<String>],
) {
    let StmtKind::Child {
        kind, name, body, ..
    } = &stmt.kind
    else {
        return;
    };
    if let Some(inside) = &scope.inside {
        let d = Diagnostic::new(
            Code::NotInChild,
            sink.file,
            stmt.span,
            format!("`{}` is not allowed in {inside}", kind.keyword()),
            "only in a policy",
        )
        .with_help("write child policies and hats in the policy itself, not nested");
        sink.push(d);
        return;
    }
    check_policy_name(sink, name, "child name");
    if let Some(first) = earlier.iter().find(|e| e.node == name.node) {
        let d = Diagnostic::new(
            Code::DuplicateChild,
            sink.file,
            name.span,
            format!("child `{}` declared more than once", one_line(&name.node)),
            "declared again here",
        )
        .with_label(first.span, "first declared here");
        sink.push(d);
    }
    let inner = Scope {
        children: Vec::new(),
        inside: Some(format!("{} `{}`", kind.keyword(), one_line(&name.node))),
    };
    for s in body {
        match &s.kind {
            StmtKind::File { .. }
            | StmtKind::Net { .. }
            | StmtKind::Capability { .. }
            | StmtKind::Signal { .. }
            | StmtKind::Unix(_)
            | StmtKind::NetFamily(_)
            | StmtKind::Dbus(_)
            | StmtKind::Ptrace { .. } => check_rule(sink, s, &inner),
            StmtKind::Accept(a) => super::accept::check_accept(sink, a, &inner),
            other => {
                let word = keyword(other);
                let d = Diagnostic::new(
                    Code::NotInChild,
                    sink.file,
                    s.span,
                    format!(
                        "`{word}` is not allowed in {} `{}`",
                        kind.keyword(),
                        one_line(&name.node)
                    ),
                    "not a rule",
                )
                .with_help(format!(
                    "a {} holds rules only: write `{word}` in the policy",
                    kind.keyword()
                ));
                sink.push(d);
            }
        }
    }
}

/// The keyword of a non-rule statement.
pub(crate) fn keyword(k: &StmtKind) -> &'static str {
    match k {
        StmtKind::Version(_) => "version",
        StmtKind::Attach(_) => "attach",
        StmtKind::Mode(_) => "mode",
        StmtKind::Use(_) => "use",
        StmtKind::Owns(_) => "owns",
        StmtKind::Var { .. } => "var",
        StmtKind::Child { kind, .. } => kind.keyword(),
        StmtKind::Accept(_) => "accept",
        StmtKind::App => "app",
        StmtKind::Plugs(_) => "plugs",
        StmtKind::Provides(_) => "provides",
        StmtKind::File { .. } => "allow",
        StmtKind::Net { .. }
        | StmtKind::Capability { .. }
        | StmtKind::Signal { .. }
        | StmtKind::Unix(_)
        | StmtKind::NetFamily(_)
        | StmtKind::Dbus(_)
        | StmtKind::Ptrace { .. } => "allow",
    }
}

/// The exec mode of a file rule: on `allow` with `exec` (E0140, E0132), `as child` naming
/// a child of this policy (E0190, E0192), `as unconfined` (W0230).
pub(crate) fn check_exec_mode(
    sink: &mut Sink<'_>,
    stmt: &Stmt,
    effect: &Spanned<Effect>,
    grants_exec: bool,
    exec_as: Option<&Spanned<String>>,
    mode: ExecMode,
    scope: &Scope<'_>,
) {
    let written = match (mode, exec_as) {
        (ExecMode::Plain, _) => return,
        (ExecMode::Inherit, _) => "as inherit".to_string(),
        (ExecMode::Unconfined, _) => "as unconfined".to_string(),
        (ExecMode::Child, n) => format!("as child {}", n.map_or("", |n| n.node.as_str())),
        (ExecMode::Fallback, n) => {
            format!("as {} else inherit", n.map_or("", |n| n.node.as_str()))
        }
    };
    // `as NAME` and `as child NAME` on a deny or without exec are reported with the name
    // by the `as` checks; the forms without a name are reported here.
    if exec_as.is_none() {
        if effect.node == Effect::Deny {
            let d = Diagnostic::new(
                Code::DenyWithAs,
                sink.file,
                stmt.span,
                format!("`deny` rule with `{written}`"),
                "exec mode on a deny",
            )
            .with_label(effect.span, "this rule denies");
            sink.push(d);
            return;
        }
        if !grants_exec {
            report(
                sink,
                Code::AsWithoutExec,
                stmt.span,
                format!("`{written}` on a rule that does not grant `exec`"),
                "exec mode without exec",
            );
            return;
        }
    }
    match (mode, exec_as) {
        (ExecMode::Child, Some(n)) => check_child_target(sink, n, scope),
        (ExecMode::Unconfined, _) if effect.node == Effect::Allow => {
            let d = Diagnostic::new(
                Code::UnconfinedExec,
                sink.file,
                stmt.span,
                "executed files run unconfined".to_string(),
                "`as unconfined`",
            )
            .with_help(
                "nothing restricts what they do; prefer `as NAME` or `as child NAME`, \
                 strict compilation refuses this rule",
            );
            sink.push(d);
        }
        _ => {}
    }
}

fn check_child_target(sink: &mut Sink<'_>, n: &Spanned<String>, scope: &Scope<'_>) {
    if let Some(inside) = &scope.inside {
        report(
            sink,
            Code::UnknownChild,
            n.span,
            format!("`as child {}` in {inside}", one_line(&n.node)),
            "no children here",
        );
        return;
    }
    match scope.children.iter().find(|(c, _)| *c == n.node) {
        Some((_, ChildKind::Child)) => {}
        Some((_, ChildKind::Hat)) => {
            let d = Diagnostic::new(
                Code::ExecToHat,
                sink.file,
                n.span,
                format!("`{}` is a hat, not a child", one_line(&n.node)),
                "a hat is entered by `change_hat`, never by exec",
            )
            .with_help(format!(
                "declare it `child {} {{ ... }}` to run executables under it",
                one_line(&n.node)
            ));
            sink.push(d);
        }
        None => {
            let names: Vec<&str> = scope
                .children
                .iter()
                .filter(|(_, k)| *k == ChildKind::Child)
                .map(|(c, _)| *c)
                .collect();
            let help = match super::strings::suggest(&n.node, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it in this policy: `child {} {{ ... }}`",
                    one_line(&n.node)
                ),
            };
            let d = Diagnostic::new(
                Code::UnknownChild,
                sink.file,
                n.span,
                format!("unknown child policy `{}`", one_line(&n.node)),
                "no child of this name in this policy",
            )
            .with_help(help);
            sink.push(d);
        }
    }
}
