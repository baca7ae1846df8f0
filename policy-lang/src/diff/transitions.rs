//! Exec transitions: on a path both policies let execute, the policy the executed file
//! runs under is the `as` target of the first matching allow-exec rule in the order
//! (literal glob first, then glob text, then target, "no target" first). If the first
//! matching rules differ in target, at least one of them is a rule of one side only (the
//! order is the same on both sides), so only pairs with a changed rule are examined.

use super::files::{cite, View};
use super::region::{intersects, region, Emptiness};
use super::{Change, Decided, Direction, PathSet, Side, TransitionChange};
use crate::glob::Glob;
use crate::ir::Effect;
use crate::ir::{ExecMode, FileRule, PolicyName};
use crate::rights::{Right, Rights};

/// True for a rule that allows exec.
fn allows_exec(r: &FileRule) -> bool {
    r.effect == Effect::Allow && r.rights.contains(Right::Exec)
}

/// The allow-exec rules of each side with no rule of the same glob and target on the
/// other side (indices in `Policy::files`): the only rules whose transition can change.
pub(super) struct ExecChanges {
    old: Vec<usize>,
    new: Vec<usize>,
}

impl ExecChanges {
    /// True when no allow-exec rule changed: no transition can.
    pub(super) fn is_empty(&self) -> bool {
        self.old.is_empty() && self.new.is_empty()
    }

    /// The glob texts of the changed rules, whose neighbours the transitions need.
    pub(super) fn texts<'p>(&self, o: &View<'p>, n: &View<'p>) -> Vec<&'p str> {
        let of = |v: &View<'p>, i: usize| v.policy.files.get(i).map(|r| r.glob.as_str());
        self.old
            .iter()
            .filter_map(|&i| of(o, i))
            .chain(self.new.iter().filter_map(|&j| of(n, j)))
            .collect()
    }
}

/// The allow-exec rules that changed between two paired views.
pub(super) fn exec_changes(o: &View<'_>, n: &View<'_>) -> ExecChanges {
    ExecChanges {
        old: unmatched(o, n),
        new: unmatched(n, o),
    }
}

/// Allow-exec rules of `a` whose glob and target no allow-exec rule of `b` has.
fn unmatched(a: &View<'_>, b: &View<'_>) -> Vec<usize> {
    let mut out = Vec::new();
    for (id, e) in a.entries.iter().enumerate() {
        if !e.allow.contains(Right::Exec) {
            continue;
        }
        let twin = a.twin_of(id).and_then(|t| b.entry(t));
        for (i, r) in a.rules_iter(e).filter(|(_, r)| allows_exec(r)) {
            let matched = twin.is_some_and(|f| {
                f.allow.contains(Right::Exec)
                    && b.rules_iter(f).any(|(_, s)| {
                        allows_exec(s) && s.exec_as == r.exec_as && s.exec_mode == r.exec_mode
                    })
            });
            if !matched {
                out.push(i);
            }
        }
    }
    out
}

/// A rule's place in the transition order: literal globs first, then by glob text, by
/// target ("no target" first), by exec mode, and by place in the IR.
type OrderKey<'p> = (bool, &'p Glob, Option<&'p PolicyName>, ExecMode, usize);

fn order_key<'p>(v: &View<'p>, i: usize) -> Option<OrderKey<'p>> {
    let r = v.policy.files.get(i)?;
    Some((
        !r.glob.is_literal(),
        &r.glob,
        r.exec_as.as_ref(),
        r.exec_mode,
        i,
    ))
}

/// The allow-exec rules of `v` whose glob may overlap `glob` (one that was searched for).
fn allow_exec_near(v: &View<'_>, glob: &Glob) -> Vec<usize> {
    let mut out = Vec::new();
    for id in v.neighbours(glob) {
        let Some(e) = v.entry(id) else { continue };
        if e.allow.contains(Right::Exec) {
            out.extend(
                v.rules_iter(e)
                    .filter(|(_, r)| allows_exec(r))
                    .map(|(i, _)| i),
            );
        }
    }
    out
}

/// Globs of allow-exec rules of `v` before rule `i` in the transition order that overlap
/// its glob.
fn earlier_overlapping<'p>(v: &View<'p>, i: usize) -> Vec<&'p Glob> {
    let (Some(key), Some(rule)) = (order_key(v, i), v.policy.files.get(i)) else {
        return Vec::new();
    };
    allow_exec_near(v, &rule.glob)
        .into_iter()
        .filter(|&k| order_key(v, k).is_some_and(|other| other < key))
        .filter_map(|k| v.policy.files.get(k).map(|r| &r.glob))
        .filter(|g| intersects(g, &rule.glob))
        .collect()
}

/// Globs of deny-exec rules of `v` that overlap `glob` (one that was searched for).
fn deny_overlapping<'p>(v: &View<'p>, glob: &Glob) -> Vec<&'p Glob> {
    v.neighbours(glob)
        .into_iter()
        .filter_map(|id| v.entry(id))
        .filter(|e| e.deny.contains(Right::Exec))
        .map(|e| e.glob)
        .filter(|g| intersects(g, glob))
        .collect()
}

/// Changes of exec transitions between two paired views, given their changed allow-exec
/// rules, whose neighbours were searched for.
pub(super) fn transition_changes<'p>(
    o: &mut View<'p>,
    n: &mut View<'p>,
    changed: &ExecChanges,
) -> Vec<Change> {
    if changed.is_empty() {
        return Vec::new();
    }
    // Pairs (rule of old, rule of new) with at least one changed rule.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for &i in &changed.old {
        if let Some(x) = o.policy.files.get(i) {
            pairs.extend(allow_exec_near(n, &x.glob).into_iter().map(|j| (i, j)));
        }
    }
    for &j in &changed.new {
        if let Some(y) = n.policy.files.get(j) {
            pairs.extend(allow_exec_near(o, &y.glob).into_iter().map(|i| (i, j)));
        }
    }
    // In transition order, old rule first.
    let key = |(i, j): (usize, usize)| (order_key(o, i), order_key(n, j));
    pairs.sort_by_key(|&p| key(p));
    pairs.dedup();
    // The partners' own neighbours (for the rules before them in the order).
    let mut partners_old: Vec<&'p str> = Vec::new();
    let mut partners_new: Vec<&'p str> = Vec::new();
    for &(i, j) in &pairs {
        if let Some(x) = o.policy.files.get(i) {
            if !o.searched(&x.glob) {
                partners_old.push(x.glob.as_str());
            }
        }
        if let Some(y) = n.policy.files.get(j) {
            if !n.searched(&y.glob) {
                partners_new.push(y.glob.as_str());
            }
        }
    }
    for (side, mut q) in [(&mut *o, partners_old), (&mut *n, partners_new)] {
        q.sort_unstable();
        q.dedup();
        side.find_neighbours(&q);
    }
    let (o, n) = (&*o, &*n);
    let mut out = Vec::new();
    for (xi, yi) in pairs {
        let (Some(x), Some(y)) = (o.policy.files.get(xi), n.policy.files.get(yi)) else {
            continue;
        };
        if (x.exec_as == y.exec_as && x.exec_mode == y.exec_mode) || !intersects(&x.glob, &y.glob) {
            continue;
        }
        let within: Vec<&Glob> = if x.glob == y.glob {
            vec![&x.glob]
        } else {
            vec![&x.glob, &y.glob]
        };
        let mut except = earlier_overlapping(o, xi);
        except.extend(earlier_overlapping(n, yi));
        except.extend(deny_overlapping(o, &x.glob));
        except.extend(deny_overlapping(n, &y.glob));
        except.sort();
        except.dedup();
        let witness = match region(&within, &except) {
            Emptiness::Empty => continue,
            Emptiness::Witness(w) => Some(w),
            Emptiness::Unknown => None,
        };
        let exec = Rights::one(Right::Exec);
        out.push(Change::Transition(TransitionChange {
            direction: Direction::Changed,
            paths: PathSet {
                within: within.into_iter().cloned().collect(),
                except: except.into_iter().cloned().collect(),
            },
            witness,
            old_as: x.exec_as.clone(),
            new_as: y.exec_as.clone(),
            old_mode: x.exec_mode,
            new_mode: y.exec_mode,
            old: Side {
                decision: Decided::Allowed,
                rules: cite(o.policy, &[xi], Effect::Allow, exec),
            },
            new: Side {
                decision: Decided::Allowed,
                rules: cite(n.policy, &[yi], Effect::Allow, exec),
            },
            owner: None,
            dir: None,
        }));
    }
    out
}
