//! Exec modes and child policies in SELinux terms.
//!
//! - a child policy `child NAME { }` is a **sub-domain** of its parent, declared in the
//!   parent's block as `child_NAME` ([`crate::names::child_local`]): its rules are
//!   lowered by the same steps as the parent's, with the sub-domain as their source and
//!   the module's file types (the parent's), and each has its own fidelity entry
//!   (`Subject::ChildRule`).
//! - `as child NAME`: the domain transition to that sub-domain on the executed files'
//!   types, as `as NAME` to another policy's domain.
//! - `as NAME else inherit`: SELinux has no fallback; the exec always enters NAME's
//!   domain (a `type_transition`), which must be installed (narrowed).
//! - `as unconfined`: the module grants no transition to an unconfined domain
//!   (unsupported: the exec is not granted).
//! - a hat: SELinux has no `change_hat`; its rules are not compiled (unsupported). A
//!   program may switch its own domain with `setcon` (`dyntransition`), but nothing
//!   brings it back as `change_hat`'s token does, so that is not a hat.

use crate::files::{Labels, Target};
use crate::names::{child_local, qualified};
use crate::report::Findings;
use crate::{Config, Error, Out, DOMAIN_ROLE};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{ChildKind, Effect, ExecMode, FileRule, Policy};
use polc_lang::rights::Right;

/// The child policy (not a hat) an `as child NAME` rule of `p` enters.
fn child_of<'a>(p: &'a Policy, rule: &FileRule) -> Option<&'a Policy> {
    let name = rule.exec_as.as_ref()?;
    p.child(name.as_str())
        .filter(|c| c.kind == ChildKind::Child)
        .map(|c| &c.policy)
}

/// True when an allowed exec of this rule is left out of the module: `as unconfined`,
/// and `as child` naming no child policy of `p` (the checker refuses that, E0190).
pub(crate) fn skips_exec(p: &Policy, rule: &FileRule) -> bool {
    rule.effect == Effect::Allow
        && match rule.exec_mode {
            ExecMode::Unconfined => true,
            ExecMode::Child => child_of(p, rule).is_none(),
            _ => false,
        }
}

/// Where an exec of this rule of `p` (declared in `block`) enters: a child's sub-domain,
/// another policy's domain; `None` for an exec that stays in the domain.
pub(crate) fn target(p: &Policy, block: &str, rule: &FileRule) -> Option<Target> {
    match rule.exec_mode {
        ExecMode::Child => child_of(p, rule).map(|c| Target {
            domain: qualified(block, &child_local(&c.name)),
            entry: None,
            requires: None,
            shown: format!("child {}", c.name),
        }),
        _ => rule
            .exec_as
            .as_ref()
            .filter(|x| **x != p.name)
            .map(Target::policy),
    }
}

/// The fidelity of a file rule's exec mode.
pub(crate) fn report_rule(findings: &mut Findings, p: &Policy, i: usize, rule: &FileRule) {
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
        ExecMode::Child if child_of(p, rule).is_some() => return,
        ExecMode::Fallback => (
            Fidelity::Narrowed,
            format!(
                "SELinux has no fallback: the program always enters `{to}`'s domain, which must \
                 be installed; it never stays in this domain"
            ),
        ),
        ExecMode::Child => (
            Fidelity::Unsupported,
            format!("`{to}` is not a child policy of this policy: the exec is not granted"),
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

/// Each child policy as a sub-domain of the parent's module, its rules lowered with the
/// file contexts of the parent's lowering (`labels`); one entry per hat (not compiled).
pub(crate) fn lower_children(
    p: &Policy,
    config: &Config,
    labels: &[crate::fcontexts::FcEntry],
    out: &mut Out,
    findings: &mut Findings,
) -> Result<(), Error> {
    for (i, c) in p.children.iter().enumerate() {
        let subject = Subject::Child { child: i };
        if c.kind == ChildKind::Hat {
            findings.add(
                subject,
                None,
                Fidelity::Unsupported,
                "SELinux has no hats (`change_hat`): the hat's rules are not compiled",
            );
            continue;
        }
        findings.touch(subject, None);
        let local = child_local(&c.policy.name);
        let sub = qualified(&out.block, &local);
        out.types.push((local, DOMAIN_ROLE));
        let parent = std::mem::replace(&mut out.domain, sub);
        let ports_before = out.portcons.len();
        let mut own = Findings::default();
        let lowered = crate::lower_rules(&c.policy, config, Labels::Parent(labels), out, &mut own);
        out.domain = parent;
        lowered?;
        findings.absorb_child(i, own);
        let added = out.portcons.get(ports_before..).unwrap_or_default();
        crate::other::retyped_for_child(p, &c.policy.name, added, findings);
    }
    Ok(())
}
