//! Exec modes and child policies in SELinux terms: what the module cannot express.
//!
//! - `as NAME else inherit`: SELinux has no fallback; the exec always enters NAME's
//!   domain (a `type_transition`), which must be installed (narrowed).
//! - `as child NAME`: no sub-domain is generated for a child policy: the exec is not
//!   granted (unsupported).
//! - `as unconfined`: the module grants no transition to an unconfined domain
//!   (unsupported: the exec is not granted).
//! - a child policy or hat: its rules are not compiled (unsupported); SELinux has no
//!   `change_hat`.

use crate::report::Findings;
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{ChildKind, Effect, ExecMode, FileRule, Policy};
use polc_lang::rights::Right;

/// True when an allowed exec of this rule is left out of the module.
pub(crate) fn skips_exec(rule: &FileRule) -> bool {
    rule.effect == Effect::Allow && matches!(rule.exec_mode, ExecMode::Child | ExecMode::Unconfined)
}

/// The fidelity of a file rule's exec mode.
pub(crate) fn report_rule(findings: &mut Findings, i: usize, rule: &FileRule) {
    if rule.effect != Effect::Allow || !rule.rights.contains(Right::Exec) {
        return;
    }
    let subject = Subject::Rule {
        list: RuleListKind::File,
        index: i,
    };
    let to = rule.exec_as.as_ref().map_or("", |n| n.as_str());
    let (fidelity, reason) = match rule.exec_mode {
        ExecMode::Plain => return,
        ExecMode::Fallback => (
            Fidelity::Narrowed,
            format!(
                "SELinux has no fallback: the program always enters `{to}`'s domain, which must \
                 be installed; it never stays in this domain"
            ),
        ),
        ExecMode::Child => (
            Fidelity::Unsupported,
            format!(
                "no SELinux sub-domain is generated for the child policy `{to}`: the exec is \
                 not granted"
            ),
        ),
        ExecMode::Unconfined => (
            Fidelity::Unsupported,
            "the module grants no transition to an unconfined domain (that is the system \
             policy's choice): the exec is not granted"
                .to_string(),
        ),
    };
    findings.add(subject, Some(Right::Exec), fidelity, reason);
}

/// One entry per child policy or hat: not compiled.
pub(crate) fn children(findings: &mut Findings, p: &Policy) {
    for (i, c) in p.children.iter().enumerate() {
        let reason = match c.kind {
            ChildKind::Child => {
                "no SELinux sub-domain is generated for a child policy: its rules \
                                 are not compiled"
            }
            ChildKind::Hat => {
                "SELinux has no hats (`change_hat`): the hat's rules are not \
                               compiled"
            }
        };
        findings.add(
            Subject::Child { child: i },
            None,
            Fidelity::Unsupported,
            reason,
        );
    }
}
