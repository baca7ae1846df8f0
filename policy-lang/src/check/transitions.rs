//! E0133: one path allowed to run with two different exec transitions, found over the
//! atoms that lowering builds.

use super::resolve::Workspace;
use crate::atom::{exec_rules, may_overlap, Atom, ExecRule, GlobEnds, Transition};
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::PrefixIndex;
use crate::hash::FastMap;
use crate::ir::text::one_line;
use std::collections::BTreeSet;

/// How an exec transition is described in a message.
pub(crate) fn transition((mode, to): &Transition<'_>) -> String {
    mode.describe(to.as_ref())
}

/// E0133: allowed exec of one path with two different transitions and no literal rule
/// to decide.
///
/// Each exec rule is compared with the earlier ones, in order, that can conflict with
/// it: two literal globs only when their texts are equal (found by hash), two other
/// globs only when their literal prefixes are related (a [`PrefixIndex`]); a literal and
/// a non-literal glob never conflict. The first earlier conflicting rule not yet reported
/// is reported, as when comparing every pair.
pub(crate) fn check_transitions(ws: &Workspace, atoms: &[Atom], out: &mut Vec<Diagnostic>) {
    let execs = exec_rules(atoms);
    let mut literal: FastMap<&str, Vec<usize>> = FastMap::default();
    for (k, (_, g, _)) in execs.iter().enumerate() {
        if g.is_literal() {
            literal.entry(g.as_str()).or_default().push(k);
        }
    }
    let wild = PrefixIndex::new(
        execs
            .iter()
            .enumerate()
            .filter(|(_, (_, g, _))| !g.is_literal())
            .map(|(k, (_, g, _))| (k, GlobEnds::of(g).prefix())),
    );
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for (j, later) in execs.iter().enumerate() {
        let related;
        let candidates: &[usize] = if later.1.is_literal() {
            literal.get(later.1.as_str()).map_or(&[], Vec::as_slice)
        } else {
            related = wild.related(GlobEnds::of(later.1).prefix());
            &related
        };
        let earlier_ones = candidates
            .iter()
            .take_while(|i| **i < j)
            .filter_map(|i| execs.get(*i).map(|e| (*i, e)));
        for (i, earlier) in earlier_ones {
            if let Some(d) = transition_conflict(ws, (i, earlier), (j, later), &mut reported) {
                out.push(d);
                break;
            }
        }
    }
}

/// E0133 for one pair of exec rules (`earlier` at index `i` before `later` at `j`): the
/// diagnostic when they conflict and neither was reported yet (marking the reported one).
pub(crate) fn transition_conflict(
    ws: &Workspace,
    (i, earlier): (usize, &ExecRule<'_>),
    (j, later): (usize, &ExecRule<'_>),
    reported: &mut BTreeSet<usize>,
) -> Option<Diagnostic> {
    let ((_, ga, ta), (_, gb, tb)) = (earlier, later);
    if ta == tb {
        return None;
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
        return None;
    }
    reported.insert(pi);
    let file = ws.unit(p.unit).map_or("", |u| &*u.name);
    let d = Diagnostic::new(
        Code::ConflictingTransition,
        file,
        p.span,
        format!(
            "conflicting exec transitions: `{}` runs {}, `{}` runs {}",
            one_line(gp.as_str()),
            transition(tp),
            one_line(go.as_str()),
            transition(to)
        ),
        "overlaps another exec rule",
    );
    Some(if o.unit == p.unit {
        d.with_label(o.span, "the other rule")
    } else {
        d.with_help(format!(
            "the other rule is at {}; make the paths disjoint, or add a rule for the exact path",
            ws.loc(o.unit, o.span)
        ))
    })
}
