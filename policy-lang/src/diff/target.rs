//! Backends: what each kernel would enforce of a diff or of a decision, read from the
//! backends' fidelity reports.
//!
//! A [`FidelityReport`] says, per IR rule (and per right of a file rule), whether the
//! backend enforces it exactly, narrowed, widened or not at all. [`target_diff`] puts the
//! entries of the rules behind each change of a [`Diff`] beside it, and lists the rules
//! both policies share whose fidelity differs; [`decision_fidelity`] says whether the
//! kernel would enforce exactly the evaluator's decision on one request.

use super::{Change, Diff, Side};
use crate::eval::{Decision, Reason, Request, RuleKind};
use crate::fidelity::{Fidelity, FidelityReport, RuleListKind, Subject};
use crate::ir::Effect;
use crate::ir::{Origin, Policy};
use crate::rights::{Right, Rights};
use serde::Serialize;
use std::collections::HashMap;

/// The fidelity of one rule (or some of its rights) in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnforcedRule {
    /// The rule as policy text.
    pub rule: String,
    /// Index of the rule in its list.
    pub index: usize,
    /// The rights the entry is about (file rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
    /// How exactly the backend enforces it; `None` when the report has no entry for it.
    pub fidelity: Option<Fidelity>,
    /// Why, in one line (empty for exact).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The reason the policy gives for accepting this fidelity on this backend (an
    /// `accept` block), if it does: see [`RuleFidelity::accepted_by`](crate::fidelity::RuleFidelity::accepted_by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

/// How a backend enforces the rules behind one change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeFidelity {
    /// Index of the change in [`Diff::changes`].
    pub change: usize,
    /// The worst fidelity of the entries below (`exact` when none).
    pub fidelity: Fidelity,
    /// Entries of OLD's rules behind the change.
    pub old: Vec<EnforcedRule>,
    /// Entries of NEW's rules behind the change.
    pub new: Vec<EnforcedRule>,
}

/// A rule both policies hold, whose fidelity differs between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFidelityChange {
    /// The rule as policy text.
    pub rule: String,
    /// Its entries in OLD's report.
    pub old: Vec<EnforcedRule>,
    /// Its entries in NEW's report.
    pub new: Vec<EnforcedRule>,
    /// Where NEW states it.
    pub origins: Vec<Origin>,
}

/// A diff as one backend would enforce it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetDiff {
    /// `apparmor`, `selinux` or `landlock`.
    pub backend: String,
    /// NEW's target, e.g. `abi 4.0`.
    pub target: String,
    /// Per change of the diff with rules behind it.
    pub changes: Vec<ChangeFidelity>,
    /// Shared rules whose fidelity differs.
    pub rules: Vec<RuleFidelityChange>,
}

impl TargetDiff {
    /// True when NEW's kernel enforcement is less faithful somewhere: a NEW rule behind a
    /// change is widened or unsupported, or a rule both policies hold became so (or lost
    /// its acceptance), and NEW does not accept it.
    pub fn widens(&self) -> bool {
        let bad = |v: &[EnforcedRule]| {
            v.iter()
                .any(|e| e.fidelity.is_some_and(Fidelity::fails_strict) && e.accepted.is_none())
        };
        self.changes.iter().any(|c| bad(&c.new)) || self.rules.iter().any(|r| bad(&r.new))
    }
}

/// The entries of `report` about rule `index` of list `list` and some of `rights`.
fn entries(
    report: &FidelityReport,
    list: RuleListKind,
    index: usize,
    rights: Option<Rights>,
    rule: &str,
) -> Vec<EnforcedRule> {
    let found: Vec<EnforcedRule> = report
        .entries
        .iter()
        .filter(|e| e.subject == Subject::Rule { list, index })
        .filter(|e| match (e.rights, rights) {
            (Some(a), Some(b)) => !a.intersection(b).is_empty(),
            _ => true,
        })
        .map(|e| EnforcedRule {
            rule: rule.to_string(),
            index,
            rights: e.rights,
            fidelity: Some(e.fidelity),
            reason: e.reason.clone(),
            accepted: report.accepted(e).map(str::to_string),
        })
        .collect();
    if found.is_empty() {
        vec![EnforcedRule {
            rule: rule.to_string(),
            index,
            rights: None,
            fidelity: None,
            reason: String::new(),
            accepted: None,
        }]
    } else {
        found
    }
}

fn side_entries(
    report: &FidelityReport,
    list: RuleListKind,
    side: &Side,
    rights: Option<Rights>,
) -> Vec<EnforcedRule> {
    side.rules
        .iter()
        .flat_map(|c| entries(report, list, c.index, rights, &c.rule))
        .collect()
}

fn worst(v: &[EnforcedRule]) -> Fidelity {
    v.iter()
        .filter_map(|e| e.fidelity)
        .max()
        .unwrap_or(Fidelity::Exact)
}

/// Put each change of `diff` beside the fidelity of the rules behind it, in the reports of
/// one backend for OLD and NEW, and list the rules both hold whose fidelity differs.
pub fn target_diff(
    diff: &Diff,
    old: &Policy,
    old_report: &FidelityReport,
    new: &Policy,
    new_report: &FidelityReport,
) -> TargetDiff {
    let mut changes = Vec::new();
    for (i, c) in diff.changes.iter().enumerate() {
        let (list, rights, o, n) = match c {
            Change::File(f) => (RuleListKind::File, Some(f.rights), &f.old, &f.new),
            Change::Transition(t) => (
                RuleListKind::File,
                Some(Rights::one(Right::Exec)),
                &t.old,
                &t.new,
            ),
            Change::Net(x) => (RuleListKind::Net, None, &x.old, &x.new),
            Change::Capability(x) => (RuleListKind::Capability, None, &x.old, &x.new),
            Change::Signal(x) => (RuleListKind::Signal, None, &x.old, &x.new),
            Change::Request(x) => (x.list, None, &x.old, &x.new),
            Change::Policy(_)
            | Change::Owns(_)
            | Change::Child(_)
            | Change::Accept(_)
            | Change::Audit(_) => continue,
        };
        let old_e = side_entries(old_report, list, o, rights);
        let new_e = side_entries(new_report, list, n, rights);
        let fidelity = worst(&old_e).max(worst(&new_e));
        changes.push(ChangeFidelity {
            change: i,
            fidelity,
            old: old_e,
            new: new_e,
        });
    }
    TargetDiff {
        backend: new_report.backend.clone(),
        target: new_report.target.clone(),
        changes,
        rules: shared_rule_changes(old, old_report, new, new_report),
    }
}

/// One rule's content, whatever its origins: what "the same rule" means across policies.
pub(super) fn rule_keys(p: &Policy) -> Vec<(RuleListKind, usize, String)> {
    let mut out = Vec::new();
    for (i, r) in p.files.iter().enumerate() {
        out.push((RuleListKind::File, i, super::file_rule_text(r)));
    }
    for (i, r) in p.net.iter().enumerate() {
        out.push((RuleListKind::Net, i, super::net_rule_text(r)));
    }
    for (i, r) in p.capabilities.iter().enumerate() {
        out.push((RuleListKind::Capability, i, super::cap_rule_text(r)));
    }
    for (i, r) in p.signals.iter().enumerate() {
        out.push((RuleListKind::Signal, i, super::signal_rule_text(r)));
    }
    for (i, r) in p.unix.iter().enumerate() {
        out.push((RuleListKind::Unix, i, r.text()));
    }
    for (i, r) in p.net_families.iter().enumerate() {
        out.push((RuleListKind::NetFamily, i, r.text()));
    }
    for (i, r) in p.dbus.iter().enumerate() {
        out.push((RuleListKind::Dbus, i, r.text()));
    }
    out
}

pub(super) fn origins_of(p: &Policy, list: RuleListKind, i: usize) -> Vec<Origin> {
    match list {
        RuleListKind::File => p
            .files
            .get(i)
            .map(|r| r.origins.iter().map(|o| o.origin.clone()).collect())
            .unwrap_or_default(),
        RuleListKind::Net => p.net.get(i).map(|r| r.origins.clone()).unwrap_or_default(),
        RuleListKind::Capability => p
            .capabilities
            .get(i)
            .map(|r| r.origins.clone())
            .unwrap_or_default(),
        RuleListKind::Signal => p
            .signals
            .get(i)
            .map(|r| r.origins.clone())
            .unwrap_or_default(),
        RuleListKind::Unix => p.unix.get(i).map(|r| r.origins.clone()).unwrap_or_default(),
        RuleListKind::NetFamily => p
            .net_families
            .get(i)
            .map(|r| r.origins.clone())
            .unwrap_or_default(),
        RuleListKind::Ptrace => p
            .ptrace
            .get(i)
            .map(|r| r.origins.clone())
            .unwrap_or_default(),
        RuleListKind::Dbus => p.dbus.get(i).map(|r| r.origins.clone()).unwrap_or_default(),
    }
}

fn shared_rule_changes(
    old: &Policy,
    old_report: &FidelityReport,
    new: &Policy,
    new_report: &FidelityReport,
) -> Vec<RuleFidelityChange> {
    let olds: HashMap<(RuleListKind, String), usize> = rule_keys(old)
        .into_iter()
        .map(|(l, i, t)| ((l, t), i))
        .collect();
    let mut out = Vec::new();
    for (list, ni, text) in rule_keys(new) {
        let Some(&oi) = olds.get(&(list, text.clone())) else {
            continue;
        };
        let o = entries(old_report, list, oi, None, &text);
        let n = entries(new_report, list, ni, None, &text);
        // An acceptance added or removed changes what strict mode refuses: listed too.
        let shape = |v: &[EnforcedRule]| {
            let mut s: Vec<(Option<Rights>, Option<Fidelity>, bool)> = v
                .iter()
                .map(|e| (e.rights, e.fidelity, e.accepted.is_some()))
                .collect();
            s.sort();
            s
        };
        if shape(&o) != shape(&n) {
            out.push(RuleFidelityChange {
                rule: text,
                old: o,
                new: n,
                origins: origins_of(new, list, ni),
            });
        }
    }
    out
}

/// Whether a backend's kernel enforces exactly one decision of the evaluator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enforcement {
    /// `apparmor`, `selinux` or `landlock`.
    pub backend: String,
    /// The target, e.g. `abi 4.0`.
    pub target: String,
    /// `exact`: the kernel decides the same; `narrowed`: it may refuse what the policy
    /// allows; `widened`: it may allow what the policy denies; `unsupported`: the deciding
    /// rule cannot be expressed.
    pub fidelity: Fidelity,
    /// Why, in one line.
    pub reason: String,
    /// Entries of the rules that decide it.
    pub rules: Vec<EnforcedRule>,
    /// Entries of other rules that may change the kernel's answer (widened allows when the
    /// policy denies, narrowed denies when it allows).
    pub caveats: Vec<EnforcedRule>,
}

fn list_of(k: RuleKind) -> RuleListKind {
    RuleListKind::from(k)
}

fn rule_text(p: &Policy, list: RuleListKind, i: usize) -> String {
    match list {
        RuleListKind::File => p.files.get(i).map(super::file_rule_text),
        RuleListKind::Net => p.net.get(i).map(super::net_rule_text),
        RuleListKind::Capability => p.capabilities.get(i).map(super::cap_rule_text),
        RuleListKind::Signal => p.signals.get(i).map(super::signal_rule_text),
        RuleListKind::Unix => p.unix.get(i).map(|r| r.text()),
        RuleListKind::NetFamily => p.net_families.get(i).map(|r| r.text()),
        RuleListKind::Ptrace => p.ptrace.get(i).map(crate::ir::ptrace::ptrace_rule_text),
        RuleListKind::Dbus => p.dbus.get(i).map(|r| r.text()),
    }
    .unwrap_or_default()
}

/// The effect of rule `i` of `list`.
fn effect_of(p: &Policy, list: RuleListKind, i: usize) -> Option<Effect> {
    match list {
        RuleListKind::File => p.files.get(i).map(|r| r.effect),
        RuleListKind::Net => p.net.get(i).map(|r| r.effect),
        RuleListKind::Capability => p.capabilities.get(i).map(|r| r.effect),
        RuleListKind::Signal => p.signals.get(i).map(|r| r.effect),
        RuleListKind::Unix => p.unix.get(i).map(|r| r.effect),
        RuleListKind::NetFamily => p.net_families.get(i).map(|r| r.effect),
        RuleListKind::Ptrace => p.ptrace.get(i).map(|r| r.effect),
        RuleListKind::Dbus => p.dbus.get(i).map(|r| r.effect),
    }
}

/// Whether `report`'s kernel would decide `request` as `decision` does (the evaluator's
/// decision of `request` on `policy`).
pub fn decision_fidelity(
    policy: &Policy,
    request: &Request,
    decision: &Decision,
    report: &FidelityReport,
) -> Enforcement {
    let (list, rights) = match request {
        Request::File { right, .. } => (RuleListKind::File, Some(Rights::one(*right))),
        Request::Net { .. } => (RuleListKind::Net, None),
        Request::Capability { .. } => (RuleListKind::Capability, None),
        Request::Signal { .. } => (RuleListKind::Signal, None),
        Request::Unix { .. } => (RuleListKind::Unix, None),
        Request::NetFamily { .. } => (RuleListKind::NetFamily, None),
        Request::Ptrace { .. } => (RuleListKind::Ptrace, None),
        Request::Dbus(_) => (RuleListKind::Dbus, None),
    };
    let of = |i: usize| entries(report, list, i, rights, &rule_text(policy, list, i));
    let deciding: Vec<EnforcedRule> = decision
        .deciding
        .iter()
        .filter(|r| list_of(r.kind) == list)
        .flat_map(|r| of(r.index))
        .collect();
    // Rules of the same list (and right) with a given effect and fidelity.
    let others = |effect: Effect, f: &[Fidelity]| -> Vec<EnforcedRule> {
        report
            .entries
            .iter()
            .filter_map(|e| match e.subject {
                Subject::Rule { list: l, index } if l == list => Some((index, e)),
                _ => None,
            })
            .filter(|(i, e)| {
                effect_of(policy, list, *i) == Some(effect)
                    && f.contains(&e.fidelity)
                    && match (e.rights, rights) {
                        (Some(a), Some(b)) => !a.intersection(b).is_empty(),
                        _ => true,
                    }
                    && !decision
                        .deciding
                        .iter()
                        .any(|d| d.index == *i && list_of(d.kind) == list)
            })
            .map(|(i, e)| EnforcedRule {
                rule: rule_text(policy, list, i),
                index: i,
                rights: e.rights,
                fidelity: Some(e.fidelity),
                reason: e.reason.clone(),
                accepted: report.accepted(e).map(str::to_string),
            })
            .collect()
    };
    let grants =
        |e: &EnforcedRule| matches!(e.fidelity, None | Some(Fidelity::Exact | Fidelity::Widened));
    let refuses = |e: &EnforcedRule| {
        matches!(
            e.fidelity,
            None | Some(Fidelity::Exact | Fidelity::Narrowed)
        )
    };
    let (fidelity, reason, caveats) = match decision.reason {
        Reason::Allowed => {
            let caveats = others(Effect::Deny, &[Fidelity::Narrowed]);
            if deciding.iter().any(grants) {
                (
                    Fidelity::Exact,
                    "an allow rule that decides it is enforced with at least its access"
                        .to_string(),
                    caveats,
                )
            } else if deciding
                .iter()
                .any(|e| e.fidelity == Some(Fidelity::Narrowed))
            {
                (
                    Fidelity::Narrowed,
                    first_reason(
                        &deciding,
                        "the allow rules that decide it are narrowed: the kernel may refuse it",
                    ),
                    caveats,
                )
            } else {
                (Fidelity::Unsupported, first_reason(&deciding, "the backend cannot express the allow rules that decide it: the kernel refuses it"), caveats)
            }
        }
        // What the backend cannot refuse at all (AppArmor ABI 3.0 ports, Landlock UDP):
        // the kernel allows it, whatever rule decides it.
        Reason::Denied | Reason::DefaultDeny
            if report.unrestricted_for(request).is_some() && !deciding.iter().any(refuses) =>
        {
            let why = report
                .unrestricted_for(request)
                .map_or_else(String::new, |u| u.reason.clone());
            let caveats = matching_allows(policy, request)
                .into_iter()
                .flat_map(of)
                .collect();
            (Fidelity::Widened, why, caveats)
        }
        Reason::Denied => {
            if deciding.iter().any(refuses) {
                (
                    Fidelity::Exact,
                    "a deny rule that decides it is enforced".to_string(),
                    Vec::new(),
                )
            } else {
                // The denies are widened or unsupported: an enforced allow lets it through.
                let allows: Vec<EnforcedRule> = matching_allows(policy, request)
                    .into_iter()
                    .flat_map(of)
                    .collect();
                if allows.iter().any(grants) {
                    (Fidelity::Widened, first_reason(&deciding, "the deny rules that decide it are not enforced, and an allow rule is: the kernel allows it"), allows)
                } else {
                    (Fidelity::Exact, "the deny rules are not enforced, but no enforced allow rule grants it either".to_string(), allows)
                }
            }
        }
        Reason::DefaultDeny => {
            let caveats = others(Effect::Allow, &[Fidelity::Widened]);
            let reason = if caveats.is_empty() {
                "no rule grants it and no rule of its kind is widened".to_string()
            } else {
                "no rule grants it; the kernel allows it only if a widened rule's extra access covers it".to_string()
            };
            (Fidelity::Exact, reason, caveats)
        }
    };
    Enforcement {
        backend: report.backend.clone(),
        target: report.target.clone(),
        fidelity,
        reason,
        rules: deciding,
        caveats,
    }
}

fn first_reason(v: &[EnforcedRule], fallback: &str) -> String {
    v.iter().find(|e| !e.reason.is_empty()).map_or_else(
        || fallback.to_string(),
        |e| format!("{fallback} ({})", e.reason),
    )
}

/// Indices of the allow rules of `list` that match `request`, whatever the denies say.
fn matching_allows(p: &Policy, request: &Request) -> Vec<usize> {
    let allow = |e: Effect| e == Effect::Allow;
    match request {
        Request::File {
            path,
            right,
            owner,
            dir,
        } => p
            .files
            .iter()
            .enumerate()
            .filter(|(_, r)| allow(r.effect) && r.decides(path, *right, *owner, *dir))
            .map(|(i, _)| i)
            .collect(),
        Request::Net {
            op,
            proto,
            family,
            port,
        } => p
            .net
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                allow(r.effect) && crate::eval::net_rule_matches(r, *op, *proto, *family, *port)
            })
            .map(|(i, _)| i)
            .collect(),
        Request::Capability { name } => p
            .capabilities
            .iter()
            .enumerate()
            .filter(|(_, r)| allow(r.effect) && &r.capability == name)
            .map(|(i, _)| i)
            .collect(),
        Request::Signal {
            direction,
            peer,
            signal,
        } => {
            let peer = if peer == "self" {
                p.name.as_str()
            } else {
                peer.as_str()
            };
            p.signals
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    allow(r.effect)
                        && r.direction == *direction
                        && r.peer.covers(peer)
                        && (r.signals.is_empty() || r.signals.contains(signal))
                })
                .map(|(i, _)| i)
                .collect()
        }
        Request::Unix { .. } => crate::eval::unix::matching_indices(p, request)
            .into_iter()
            .filter(|i| p.unix.get(*i).is_some_and(|r| allow(r.effect)))
            .collect(),
        Request::NetFamily { .. } => crate::eval::unix::matching_indices(p, request)
            .into_iter()
            .filter(|i| p.net_families.get(*i).is_some_and(|r| allow(r.effect)))
            .collect(),
        Request::Ptrace {
            direction,
            access,
            peer,
        } => crate::ir::ptrace::matching_rules(p, *direction, *access, peer)
            .into_iter()
            .filter(|i| p.ptrace.get(*i).is_some_and(|r| allow(r.effect)))
            .collect(),
        Request::Dbus(d) => crate::eval::dbus::matching_indices(p, d)
            .into_iter()
            .filter(|i| p.dbus.get(*i).is_some_and(|r| allow(r.effect)))
            .collect(),
    }
}
