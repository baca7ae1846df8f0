//! Exec transitions: on a path both policies let execute, the policy the executed file
//! runs under is the `as` target of the first matching allow-exec rule in the order
//! (literal glob first, then glob text, then target, "no target" first). If the first
//! matching rules differ in target, at least one of them is a rule of one side only (the
//! order is the same on both sides), so only pairs with a changed rule are examined.

use super::files::{cite, View};
use super::index::{neighbours, FastMap, FastSet};
use super::region::{intersects, region, Emptiness};
use super::{Change, Decided, Direction, PathSet, Side, TransitionChange};
use crate::ast::Effect;
use crate::glob::Glob;
use crate::ir::{FileRule, Policy, PolicyName};
use crate::rights::{Right, Rights};

/// The allow-exec and deny-exec rules of one policy.
struct ExecRules<'p> {
    policy: &'p Policy,
    /// Allow rules granting exec: (rule index, rule), in transition order.
    allows: Vec<(usize, &'p FileRule)>,
    /// Deny rules refusing exec.
    denies: Vec<&'p Glob>,
    /// Query glob text → positions in `allows` that may overlap it.
    allow_near: FastMap<&'p str, Vec<usize>>,
    /// Query glob text → deny-exec globs that may overlap it.
    deny_near: FastMap<&'p str, Vec<usize>>,
    /// (glob text, target) of every allow-exec rule.
    present: FastSet<(&'p str, Option<&'p PolicyName>)>,
}

impl<'p> ExecRules<'p> {
    fn new(policy: &'p Policy) -> Self {
        let mut keyed: Vec<(bool, usize, &'p FileRule)> = policy
            .files
            .iter()
            .enumerate()
            .filter(|(_, r)| r.effect == Effect::Allow && r.rights.contains(Right::Exec))
            .map(|(i, r)| (!r.glob.is_literal(), i, r))
            .collect();
        keyed.sort_by(|a, b| (a.0, &a.2.glob, &a.2.exec_as).cmp(&(b.0, &b.2.glob, &b.2.exec_as)));
        let allows: Vec<(usize, &'p FileRule)> =
            keyed.into_iter().map(|(_, i, r)| (i, r)).collect();
        let present = allows
            .iter()
            .map(|(_, r)| (r.glob.as_str(), r.exec_as.as_ref()))
            .collect();
        ExecRules {
            policy,
            allows,
            denies: Vec::new(),
            allow_near: FastMap::default(),
            deny_near: FastMap::default(),
            present,
        }
    }

    /// Find the rules that may overlap each query glob (only needed when some
    /// allow-exec rule changed).
    fn find_neighbours(&mut self, queries: &[&'p str]) {
        if self.denies.is_empty() {
            self.denies = self
                .policy
                .files
                .iter()
                .filter(|r| r.effect == Effect::Deny && r.rights.contains(Right::Exec))
                .map(|r| &r.glob)
                .collect();
        }
        let a = neighbours(queries, self.allows.iter().map(|(_, r)| r.glob.as_str()));
        let d = neighbours(queries, self.denies.iter().map(|g| g.as_str()));
        self.allow_near.extend(queries.iter().copied().zip(a));
        self.deny_near.extend(queries.iter().copied().zip(d));
    }

    fn has(&self, r: &FileRule) -> bool {
        self.present
            .contains(&(r.glob.as_str(), r.exec_as.as_ref()))
    }

    /// Positions (in `allows`) of the rules that may overlap `glob`.
    fn allow_neighbours(&self, glob: &Glob) -> Vec<usize> {
        match self.allow_near.get(glob.as_str()) {
            Some(v) => v.clone(),
            None => (0..self.allows.len()).collect(),
        }
    }

    /// Deny-exec globs overlapping `glob`.
    fn deny_overlapping(&self, glob: &Glob) -> Vec<&'p Glob> {
        let near: Vec<usize> = match self.deny_near.get(glob.as_str()) {
            Some(v) => v.clone(),
            None => (0..self.denies.len()).collect(),
        };
        near.into_iter()
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

/// True when some glob's allow-exec rules (with their targets) differ between the two
/// paired views: the only case in which a transition can change.
pub(super) fn exec_changed<'p>(o: &View<'p>, n: &View<'p>) -> bool {
    fn targets<'p>(v: &View<'p>, id: usize) -> Vec<Option<&'p PolicyName>> {
        let Some(e) = v.entry(id) else {
            return Vec::new();
        };
        let mut t: Vec<Option<&PolicyName>> = v
            .rules_iter(e)
            .filter(|r| r.effect == Effect::Allow && r.rights.contains(Right::Exec))
            .map(|r| r.exec_as.as_ref())
            .collect();
        t.sort();
        t.dedup();
        t
    }
    let differs = |a: &View<'p>, b: &View<'p>| {
        (0..a.entries.len()).any(|i| {
            let has_exec = a.entry(i).is_some_and(|e| e.allow.contains(Right::Exec));
            match a.twin_of(i) {
                None => has_exec,
                Some(t) => {
                    let other_exec = b.entry(t).is_some_and(|e| e.allow.contains(Right::Exec));
                    (has_exec || other_exec) && targets(a, i) != targets(b, t)
                }
            }
        })
    };
    differs(n, o)
        || o.twin
            .iter()
            .zip(&o.entries)
            .any(|(t, e)| t.is_none() && e.allow.contains(Right::Exec))
}

/// Changes of exec transitions between two policies.
pub(super) fn transition_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut o = ExecRules::new(old);
    let mut n = ExecRules::new(new);
    let changed_old: Vec<usize> = (0..o.allows.len())
        .filter(|&i| o.allows.get(i).is_some_and(|(_, r)| !n.has(r)))
        .collect();
    let changed_new: Vec<usize> = (0..n.allows.len())
        .filter(|&i| n.allows.get(i).is_some_and(|(_, r)| !o.has(r)))
        .collect();
    if changed_old.is_empty() && changed_new.is_empty() {
        return Vec::new();
    }
    // Neighbours of the changed rules on both sides, then of their partners.
    let mut queries: Vec<&str> = changed_old
        .iter()
        .filter_map(|&i| o.allows.get(i).map(|(_, r)| r.glob.as_str()))
        .chain(
            changed_new
                .iter()
                .filter_map(|&j| n.allows.get(j).map(|(_, r)| r.glob.as_str())),
        )
        .collect();
    queries.sort_unstable();
    queries.dedup();
    o.find_neighbours(&queries);
    n.find_neighbours(&queries);
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
    // The partners' own neighbours (for the rules before them in the order).
    let mut partners_old: Vec<&str> = Vec::new();
    let mut partners_new: Vec<&str> = Vec::new();
    for &(i, j) in &pairs {
        if let Some((_, x)) = o.allows.get(i) {
            if !o.allow_near.contains_key(x.glob.as_str()) {
                partners_old.push(x.glob.as_str());
            }
        }
        if let Some((_, y)) = n.allows.get(j) {
            if !n.allow_near.contains_key(y.glob.as_str()) {
                partners_new.push(y.glob.as_str());
            }
        }
    }
    for (side, mut q) in [(&mut o, partners_old), (&mut n, partners_new)] {
        q.sort_unstable();
        q.dedup();
        if !q.is_empty() {
            side.find_neighbours(&q);
        }
    }
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
