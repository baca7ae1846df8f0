//! An explanation as text: the request, the verdict, the deciding and overridden rules
//! with where they were written, and (`--target`) how each backend enforces it.

use super::diagnostic::sanitize_line;
use crate::{ExplainedRule, Explanation, Reason, Request};
use polc_lang::diff::target::{EnforcedRule, Enforcement};
use polc_lang::fidelity::Fidelity;
use polc_lang::rights::Right;
use std::fmt::Write;

/// The explanation for people.
pub fn human(ex: &Explanation) -> String {
    let mut s = String::new();
    let verdict = if ex.allowed { "allowed" } else { "denied" };
    let _ = writeln!(s, "{verdict}: {}", ex.request.describe());
    let _ = writeln!(s, "policy: {}", ex.policy);
    let why = match ex.reason {
        Reason::Allowed => "an allow rule matches and no deny rule does",
        Reason::Denied => "a deny rule matches (deny wins over allow)",
        Reason::DefaultDeny => "no rule matches (default deny)",
    };
    let _ = writeln!(s, "reason: {why}");
    if ex.audited {
        let _ = writeln!(s, "audited: yes (an `audit` rule decides)");
    }
    if ex.allowed {
        if let Request::File {
            right: Right::Exec, ..
        } = ex.request
        {
            use polc_lang::ir::ExecMode;
            match (&ex.exec_as, ex.exec_mode) {
                (_, ExecMode::Unconfined) => {
                    let _ = writeln!(s, "runs as: unconfined (no confinement)");
                }
                (Some(to), ExecMode::Child) => {
                    let _ = writeln!(s, "runs as: {}//{to} (child policy)", ex.policy);
                }
                (Some(to), ExecMode::Fallback) => {
                    let _ = writeln!(
                        s,
                        "runs as: {to} (transition), or {} when {to} is not loaded",
                        ex.policy
                    );
                }
                (Some(to), _) => {
                    let _ = writeln!(s, "runs as: {to} (transition)");
                }
                (None, _) => {
                    let _ = writeln!(s, "runs as: {} (no transition)", ex.policy);
                }
            }
        }
    }
    rules(&mut s, "deciding rule", &ex.deciding);
    rules(&mut s, "overridden allow rule", &ex.overridden);
    s
}

fn rules(s: &mut String, title: &str, rules: &[ExplainedRule]) {
    if rules.is_empty() {
        return;
    }
    let plural = if rules.len() == 1 { "" } else { "s" };
    let _ = writeln!(s, "\n{title}{plural}:");
    for r in rules {
        let _ = writeln!(s, "  {}", r.rule);
        for o in &r.origins {
            // A file name may hold a newline: keep each origin on its line.
            let _ = writeln!(s, "      at {}", sanitize_line(&o.to_string()));
        }
        if r.origins.is_empty() {
            let _ = writeln!(s, "      (no source location)");
        }
    }
}

/// An explanation with the enforcement of each `--target` (JSON: the explanation's
/// fields, then `targets`).
#[derive(serde::Serialize)]
pub struct WithTargets<'a, T: serde::Serialize> {
    /// The explanation.
    #[serde(flatten)]
    pub explanation: &'a T,
    /// One per backend.
    #[serde(skip_serializing_if = "<[Enforcement]>::is_empty")]
    pub targets: &'a [Enforcement],
}

/// The per-backend lines of `explain --target`.
pub fn human_enforcements(v: &[Enforcement], indent: &str) -> String {
    let mut s = String::new();
    for e in v {
        let name = if e.target.is_empty() {
            e.backend.clone()
        } else {
            format!("{} ({})", e.backend, e.target)
        };
        let verdict = match e.fidelity {
            Fidelity::Exact => "the kernel enforces exactly this decision",
            Fidelity::Narrowed => "the kernel may refuse what the policy allows",
            Fidelity::Widened => "the kernel allows what the policy denies",
            Fidelity::Unsupported => "the backend cannot express the deciding rule",
        };
        let _ = writeln!(
            s,
            "{indent}{name}: {} — {verdict}: {}",
            e.fidelity, e.reason
        );
        for r in &e.rules {
            let _ = writeln!(s, "{indent}    deciding: {}", enforced(r));
        }
        for r in &e.caveats {
            let _ = writeln!(s, "{indent}    unless:   {}", enforced(r));
        }
    }
    s
}

fn enforced(r: &EnforcedRule) -> String {
    let f = r
        .fidelity
        .map_or("no entry in the report".to_string(), |f| {
            super::diff::with_acceptance(f, r)
        });
    if r.reason.is_empty() {
        format!("{} ({f})", r.rule)
    } else {
        format!("{} ({f}: {})", r.rule, r.reason)
    }
}
