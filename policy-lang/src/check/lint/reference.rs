//! The straightforward lints and transition check, kept as the reference the fast ones
//! are tested against: every rule is compared with every rule of the same kind (and
//! every allowed exec with every earlier one), as the language defines the warnings.

use super::{covered_by, describe, other_rule, overlaps, witness, OWN};
use crate::ast::{Effect, StmtKind};
use crate::check::resolve::{Resolution, Workspace};
use crate::check::strings::esc;
use crate::check::vars::Env;
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::Glob;
use crate::ir::PolicyName;
use crate::lower::{may_overlap, transition, Atom, GlobEnds, Subject};
use crate::rights::Right;
use std::collections::{BTreeSet, HashMap};

fn kind(s: &Subject) -> u8 {
    match s {
        Subject::File { .. } => 0,
        Subject::Net { .. } => 1,
        Subject::Cap(_) => 2,
        Subject::Signal { .. } => 3,
    }
}

fn ends(s: &Subject) -> Option<GlobEnds<'_>> {
    match s {
        Subject::File { glob, .. } => Some(GlobEnds::of(glob)),
        _ => None,
    }
}

/// Every warning about the policy's own statements, each rule compared with every rule.
pub(crate) fn lint(
    ws: &Workspace,
    res: &Resolution,
    atoms: &[Atom],
    env: &Env,
    out: &mut Vec<Diagnostic>,
) {
    let file = ws.unit(OWN).map_or("", |u| u.name.as_str());
    let mut same: HashMap<(Effect, &Subject), Vec<usize>> = HashMap::new();
    let mut buckets: HashMap<(Effect, u8), Vec<usize>> = HashMap::new();
    for (i, a) in atoms.iter().enumerate() {
        same.entry((a.effect, &a.subject)).or_default().push(i);
        buckets
            .entry((a.effect, kind(&a.subject)))
            .or_default()
            .push(i);
    }
    let all_ends: Vec<Option<GlobEnds<'_>>> = atoms.iter().map(|a| ends(&a.subject)).collect();
    let end_of = |i: usize| all_ends.get(i).copied().flatten();
    for (i, a) in atoms.iter().enumerate() {
        if a.unit != OWN {
            continue;
        }
        // Report the later of two own statements, and always the own one of a pair with
        // another file.
        let dup = same
            .get(&(a.effect, &a.subject))
            .into_iter()
            .flatten()
            .filter(|j| **j != i)
            .filter_map(|j| atoms.get(*j).map(|b| (*j, b)))
            .find(|(j, b)| *j < i || b.unit != OWN)
            .map(|(_, b)| b);
        if let Some(b) = dup {
            let d = Diagnostic::new(
                Code::DuplicateRule,
                file,
                a.span,
                format!("duplicate rule `{}`", describe(a)),
                "duplicate",
            );
            out.push(other_rule(d, a, b, "the same rule"));
        } else {
            let witness = witness(&a.subject);
            let broader = buckets
                .get(&(a.effect, kind(&a.subject)))
                .into_iter()
                .flatten()
                .filter(|j| **j != i)
                .filter_map(|j| atoms.get(*j).map(|b| (*j, b)))
                .find(|(j, b)| {
                    let ends = end_of(i).zip(end_of(*j));
                    b.subject != a.subject
                        && covered_by(&a.subject, &b.subject, ends, witness.as_deref())
                })
                .map(|(_, b)| b);
            if let Some(b) = broader {
                let d = Diagnostic::new(
                    Code::ShadowedRule,
                    file,
                    a.span,
                    format!("rule `{}` is shadowed by `{}`", describe(a), describe(b)),
                    "already covered",
                );
                out.push(other_rule(d, a, b, "the broader rule"));
            }
        }
        let overlapping_allow = || {
            buckets
                .get(&(Effect::Allow, kind(&a.subject)))
                .into_iter()
                .flatten()
                .filter_map(|j| atoms.get(*j).map(|b| (*j, b)))
                .any(|(j, b)| {
                    let ends = end_of(i).zip(end_of(j));
                    ends.is_none_or(|(ea, eb)| ea.may_overlap(&eb))
                        && overlaps(&a.subject, &b.subject)
                })
        };
        if a.effect == Effect::Deny && !overlapping_allow() {
            out.push(Diagnostic::new(
                Code::DenyMatchesNothing,
                file,
                a.span,
                format!("`{}` matches nothing any allow grants", describe(a)),
                "no allow rule overlaps",
            ));
        }
    }
    for e in res.items.iter().filter(|e| e.node.0 == OWN) {
        let Some(item) = ws.item(e.node) else {
            continue;
        };
        for s in &item.body {
            if let StmtKind::Var { name, .. } = &s.kind {
                if crate::check::strings::is_var_name(&name.node) && !env.is_used(&name.node) {
                    out.push(Diagnostic::new(
                        Code::UnusedVariable,
                        file,
                        name.span,
                        format!("variable `{}` is never used", name.node),
                        "declared here",
                    ));
                }
            }
        }
    }
}

/// E0133: allowed exec of one path with two different transitions and no literal rule
/// to decide.
pub(crate) fn check_transitions(ws: &Workspace, atoms: &[Atom], out: &mut Vec<Diagnostic>) {
    let execs: Vec<(&Atom, &Glob, &Option<PolicyName>)> = atoms
        .iter()
        .filter(|a| a.effect == Effect::Allow)
        .filter_map(|a| match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
            } if rights.contains(Right::Exec) => Some((a, glob, exec_as)),
            _ => None,
        })
        .collect();
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for (j, later) in execs.iter().enumerate() {
        for (i, earlier) in execs.iter().enumerate().take(j) {
            let ((_, ga, ta), (_, gb, tb)) = (earlier, later);
            if ta == tb {
                continue;
            }
            let conflict = match (ga.is_literal(), gb.is_literal()) {
                (true, true) => ga.as_str() == gb.as_str(),
                (false, false) => may_overlap(ga, gb) && ga.intersects(gb),
                _ => false,
            };
            // Point at the policy's own file when one of the two rules is there.
            let (pi, (p, gp, tp), (o, go, to)) = if later.0.unit != 0 && earlier.0.unit == 0 {
                (i, earlier, later)
            } else {
                (j, later, earlier)
            };
            if !conflict || reported.contains(&i) || reported.contains(&j) {
                continue;
            }
            reported.insert(pi);
            let file = ws.unit(p.unit).map_or("", |u| u.name.as_str());
            let mut d = Diagnostic::new(
                Code::ConflictingTransition,
                file,
                p.span,
                format!(
                    "conflicting exec transitions: `{}` runs {}, `{}` runs {}",
                    esc(gp.as_str()),
                    transition(tp),
                    esc(go.as_str()),
                    transition(to)
                ),
                "overlaps another exec rule",
            );
            d = if o.unit == p.unit {
                d.with_label(o.span, "the other rule")
            } else {
                d.with_help(format!(
                    "the other rule is at {}; make the paths disjoint, or add a rule for the exact path",
                    ws.loc(o.unit, o.span)
                ))
            };
            out.push(d);
            break;
        }
    }
}
