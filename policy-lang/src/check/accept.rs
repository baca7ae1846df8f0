//! `accept` blocks: acknowledged widenings (E0210-E0213).

use super::exec::{keyword, Scope};
use super::items::{check_rule, Sink};
use super::strings::suggest;
use crate::ast::{AcceptBlock, StmtKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::one_line;
use crate::ir::{AcceptTarget, ACCEPTABLE};

/// An `accept` block: known fidelities and backends, a reason, rules only, not nested.
pub(crate) fn check_accept(sink: &mut Sink<'_>, a: &AcceptBlock, scope: &Scope<'_>) {
    for f in &a.fidelities {
        if ACCEPTABLE.iter().any(|x| x.name() == f.node) {
            continue;
        }
        let help = match f.node.as_str() {
            "exact" | "narrowed" => {
                "strict mode never refuses `exact` or `narrowed` rules: there is nothing to accept"
                    .to_string()
            }
            w => match suggest(w, ACCEPTABLE.iter().map(|x| x.name())) {
                Some(s) => format!("did you mean `{s}`? {}", Code::AcceptFidelity.help()),
                None => Code::AcceptFidelity.help().to_string(),
            },
        };
        let d = Diagnostic::new(
            Code::AcceptFidelity,
            sink.file,
            f.span,
            format!("`{}` cannot be accepted", one_line(&f.node)),
            "not `widened` or `unsupported`",
        )
        .with_help(help);
        sink.push(d);
    }
    for t in &a.targets {
        if AcceptTarget::from_name(&t.node).is_some() {
            continue;
        }
        let names = AcceptTarget::ALL.iter().map(|x| x.name());
        let help = match suggest(&t.node, names) {
            Some(s) => format!("did you mean `{s}`? {}", Code::AcceptTarget.help()),
            None => Code::AcceptTarget.help().to_string(),
        };
        let d = Diagnostic::new(
            Code::AcceptTarget,
            sink.file,
            t.span,
            format!("unknown backend `{}`", one_line(&t.node)),
            "not a backend",
        )
        .with_help(help);
        sink.push(d);
    }
    if a.reason.node.trim().is_empty() {
        let d = Diagnostic::new(
            Code::AcceptReason,
            sink.file,
            a.reason.span,
            "`accept` with an empty reason".to_string(),
            "say why here",
        )
        .with_help(Code::AcceptReason.help());
        sink.push(d);
    }
    for s in &a.body {
        match &s.kind {
            StmtKind::File { .. }
            | StmtKind::Net { .. }
            | StmtKind::Capability { .. }
            | StmtKind::Signal { .. }
            | StmtKind::Unix(_)
            | StmtKind::NetFamily(_)
            | StmtKind::Dbus(_)
            | StmtKind::Ptrace { .. } => check_rule(sink, s, scope),
            other => {
                let word = keyword(other);
                let help = if matches!(other, StmtKind::Accept(_)) {
                    "`accept` blocks do not nest: name every fidelity and backend in one block"
                        .to_string()
                } else {
                    format!("an `accept` block holds rules only: write `{word}` outside it")
                };
                let d = Diagnostic::new(
                    Code::NotInAccept,
                    sink.file,
                    s.span,
                    format!("`{word}` is not allowed in an `accept` block"),
                    "not a rule",
                )
                .with_help(help);
                sink.push(d);
            }
        }
    }
}
