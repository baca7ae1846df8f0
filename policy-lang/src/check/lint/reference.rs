//! The straightforward lints and transition check, kept as the reference the fast ones
//! are tested against: every rule is compared with every rule of the same kind (and
//! every allowed exec with every earlier one), as the language defines the warnings.

use super::{
    covered_by, deny_matches_nothing, duplicate, duplicate_of, overlaps, same_rules, shadowed,
    unused_variables, Witness, OWN,
};
use crate::atom::{exec_rules, Atom, GlobEnds, Subject};
use crate::check::resolve::{Resolution, Workspace};
use crate::check::transitions::transition_conflict;
use crate::check::vars::Env;
use crate::diagnostics::Diagnostic;
use crate::ir::Effect;
use std::collections::{BTreeSet, HashMap};

fn kind(s: &Subject) -> u8 {
    match s {
        Subject::File { .. } => 0,
        Subject::Net { .. } => 1,
        Subject::Cap(_) => 2,
        Subject::Signal { .. } => 3,
        Subject::Ptrace { .. } => 4,
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
    let file = ws.unit(OWN).map_or("", |u| &*u.name);
    let same = same_rules(atoms);
    let mut buckets: HashMap<(Effect, u8), Vec<usize>> = HashMap::new();
    for (i, a) in atoms.iter().enumerate() {
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
        if let Some(b) = duplicate_of(&same, atoms, i) {
            if a.quals_covered_by(b) {
                out.push(duplicate(file, a, b));
            }
        } else {
            let witness = Witness::of(&a.subject);
            let broader = buckets
                .get(&(a.effect, kind(&a.subject)))
                .into_iter()
                .flatten()
                .filter(|j| **j != i)
                .filter_map(|j| atoms.get(*j).map(|b| (*j, b)))
                .find(|(j, b)| {
                    let ends = end_of(i).zip(end_of(*j));
                    b.subject != a.subject && covered_by(&a.subject, &b.subject, ends, &witness)
                })
                .map(|(_, b)| b);
            if let Some(b) = broader.filter(|b| a.quals_covered_by(b)) {
                out.push(shadowed(file, a, b));
            }
        }
        let witness = Witness::of(&a.subject);
        let overlapping_allow = || {
            buckets
                .get(&(Effect::Allow, kind(&a.subject)))
                .into_iter()
                .flatten()
                .filter_map(|j| atoms.get(*j).map(|b| (*j, b)))
                .any(|(j, b)| {
                    let ends = end_of(i).zip(end_of(j));
                    ends.is_none_or(|(ea, eb)| ea.may_overlap(&eb))
                        && overlaps(&a.subject, &b.subject, &witness)
                })
        };
        if a.effect == Effect::Deny && !overlapping_allow() {
            out.push(deny_matches_nothing(file, a));
        }
    }
    unused_variables(ws, res, env, file, out);
}

/// E0133: allowed exec of one path with two different transitions and no literal rule
/// to decide (every pair of exec rules; the pair itself is judged by the same function as
/// the indexed check).
pub(crate) fn check_transitions(ws: &Workspace, atoms: &[Atom], out: &mut Vec<Diagnostic>) {
    let execs = exec_rules(atoms);
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for (j, later) in execs.iter().enumerate() {
        for (i, earlier) in execs.iter().enumerate().take(j) {
            if let Some(d) = transition_conflict(ws, (i, earlier), (j, later), &mut reported) {
                out.push(d);
                break;
            }
        }
    }
}
