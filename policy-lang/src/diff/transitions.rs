//! Exec transitions: on a path both policies let execute, the policy the executed file
//! runs under is the `as` target of the first matching allow-exec rule in the order
//! (literal glob first, then glob text, then target, "no target" first). If the first
//! matching rules differ in target, at least one of them is a rule of one side only (the
//! order is the same on both sides), so only pairs with a changed rule are examined.

use super::files::cite;
use super::index::{literal_prefix, PrefixIndex};
use super::region::{intersects, region, Emptiness};
use super::{Change, Decided, Direction, PathSet, Side, TransitionChange};
use crate::ast::Effect;
use crate::glob::Glob;
use crate::ir::{FileRule, Policy, PolicyName};
use crate::rights::{Right, Rights};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The allow-exec and deny-exec rules of one policy.
struct ExecRules<'p> {
    policy: &'p Policy,
    /// Allow rules granting exec: (rule index, rule), in transition order.
    allows: Vec<(usize, &'p FileRule)>,
    /// Deny rules refusing exec.
    denies: Vec<&'p Glob>,
    allow_index: PrefixIndex<'p>,
    deny_index: PrefixIndex<'p>,
    /// (glob text, target) of every allow-exec rule.
    present: HashSet<(&'p str, Option<&'p PolicyName>)>,
}

fn order(a: &FileRule, b: &FileRule) -> Ordering {
    (!a.glob.is_literal(), &a.glob, &a.exec_as).cmp(&(!b.glob.is_literal(), &b.glob, &b.exec_as))
}

impl<'p> ExecRules<'p> {
    fn new(policy: &'p Policy) -> Self {
        let mut allows: Vec<(usize, &'p FileRule)> = policy
            .files
            .iter()
            .enumerate()
            .filter(|(_, r)| r.effect == Effect::Allow && r.rights.contains(Right::Exec))
            .collect();
        allows.sort_by(|a, b| order(a.1, b.1));
        let denies: Vec<&'p Glob> = policy
            .files
            .iter()
            .filter(|r| r.effect == Effect::Deny && r.rights.contains(Right::Exec))
            .map(|r| &r.glob)
            .collect();
        let allow_index = PrefixIndex::new(allows.iter().map(|(_, r)| r.glob.as_str()));
        let deny_index = PrefixIndex::new(denies.iter().map(|g| g.as_str()));
        let present = allows
            .iter()
            .map(|(_, r)| (r.glob.as_str(), r.exec_as.as_ref()))
            .collect();
        ExecRules {
            policy,
            allows,
            denies,
            allow_index,
            deny_index,
            present,
        }
    }

    fn has(&self, r: &FileRule) -> bool {
        self.present
            .contains(&(r.glob.as_str(), r.exec_as.as_ref()))
    }

    /// Positions (in `allows`) of the rules that may overlap `glob`.
    fn allow_neighbours(&self, glob: &Glob) -> Vec<usize> {
        let mut out = Vec::new();
        self.allow_index
            .compatible(literal_prefix(glob.as_str()), &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Deny-exec globs overlapping `glob`.
    fn deny_overlapping(&self, glob: &Glob) -> Vec<&'p Glob> {
        let mut out = Vec::new();
        self.deny_index
            .compatible(literal_prefix(glob.as_str()), &mut out);
        out.sort_unstable();
        out.dedup();
        out.into_iter()
            .filter_map(|i| self.denies.get(i).copied())
            .filter(|g| intersects(g, glob))
            .collect()
    }

    /// Allow-exec globs before position `pos` in transition order that overlap `glob`.
    fn earlier_overlapping(&self, pos: usize, glob: &Glob) -> Vec<&'p Glob> {
        self.allow_neighbours(glob)
            .into_iter()
            .filter(|&i| i < pos)
            .filter_map(|i| self.allows.get(i).map(|(_, r)| &r.glob))
            .filter(|g| intersects(g, glob))
            .collect()
    }
}

/// Changes of exec transitions between two policies.
pub(super) fn transition_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let o = ExecRules::new(old);
    let n = ExecRules::new(new);
    let changed_old: Vec<usize> = (0..o.allows.len())
        .filter(|&i| o.allows.get(i).is_some_and(|(_, r)| !n.has(r)))
        .collect();
    let changed_new: Vec<usize> = (0..n.allows.len())
        .filter(|&i| n.allows.get(i).is_some_and(|(_, r)| !o.has(r)))
        .collect();
    if changed_old.is_empty() && changed_new.is_empty() {
        return Vec::new();
    }
    // Pairs (position in old, position in new) with at least one changed rule.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for &i in &changed_old {
        if let Some((_, x)) = o.allows.get(i) {
            pairs.extend(n.allow_neighbours(&x.glob).into_iter().map(|j| (i, j)));
        }
    }
    for &j in &changed_new {
        if let Some((_, y)) = n.allows.get(j) {
            pairs.extend(o.allow_neighbours(&y.glob).into_iter().map(|i| (i, j)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut out = Vec::new();
    for (i, j) in pairs {
        let (Some(&(xi, x)), Some(&(yi, y))) = (o.allows.get(i), n.allows.get(j)) else {
            continue;
        };
        if x.exec_as == y.exec_as || !intersects(&x.glob, &y.glob) {
            continue;
        }
        let within: Vec<&Glob> = if x.glob == y.glob {
            vec![&x.glob]
        } else {
            vec![&x.glob, &y.glob]
        };
        let mut except = o.earlier_overlapping(i, &x.glob);
        except.extend(n.earlier_overlapping(j, &y.glob));
        except.extend(o.deny_overlapping(&x.glob));
        except.extend(n.deny_overlapping(&y.glob));
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
            old: Side {
                decision: Decided::Allowed,
                rules: cite(o.policy, &[xi], Effect::Allow, exec),
            },
            new: Side {
                decision: Decided::Allowed,
                rules: cite(n.policy, &[yi], Effect::Allow, exec),
            },
        }));
    }
    out
}
