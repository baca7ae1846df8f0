//! Acceptances added, removed or reworded: what an auditor must see besides the meaning.
//!
//! An `accept` block does not change what a policy allows (the evaluator ignores it), but
//! it changes what strict mode lets through: an acceptance NEW has and OLD had not is a
//! loosening ([`Direction::Broadened`]: strict passes on more), one removed a tightening,
//! a new reason a change. A rule accepts a fidelity on a backend when every statement
//! behind it does (as [`RuleFidelity::accepted_by`](crate::fidelity::RuleFidelity::accepted_by)
//! decides for a report's entry); rules are matched across the policies by their text.

use super::target::{origins_of, rule_keys};
use super::{AcceptChange, Change, Direction};
use crate::fidelity::{Fidelity, RuleListKind};
use crate::ir::{AcceptTarget, Origin, Policy};
use std::collections::BTreeMap;

type Key = (RuleListKind, String, Fidelity, AcceptTarget);

/// What each rule of `p` accepts: the reason and the rule's origins.
fn accepted(p: &Policy) -> BTreeMap<Key, (String, Vec<Origin>)> {
    let mut out = BTreeMap::new();
    for (list, i, text) in rule_keys(p) {
        let origins = origins_of(p, list, i);
        let Some(first) = origins.first() else {
            continue;
        };
        for a in &first.accepts {
            let everywhere = origins.iter().all(|o| {
                o.accepts
                    .iter()
                    .any(|b| b.covers(a.fidelity, a.target.name()))
            });
            if everywhere {
                out.entry((list, text.clone(), a.fidelity, a.target))
                    .or_insert_with(|| (a.reason.clone(), origins.clone()));
            }
        }
    }
    out
}

/// The acceptances NEW adds, removes or rewords, in the order of their rules' texts.
pub(super) fn accept_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let (o, n) = (accepted(old), accepted(new));
    let mut keys: Vec<&Key> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (was, is) = (o.get(key), n.get(key));
        let direction = match (was, is) {
            (None, Some(_)) => Direction::Broadened,
            (Some(_), None) => Direction::Narrowed,
            (Some(a), Some(b)) if a.0 != b.0 => Direction::Changed,
            _ => continue,
        };
        let origins = is.or(was).map(|x| x.1.clone()).unwrap_or_default();
        let (_, rule, fidelity, target) = key;
        out.push(Change::Accept(AcceptChange {
            direction,
            rule: rule.clone(),
            fidelity: *fidelity,
            target: *target,
            old: was.map(|x| x.0.clone()),
            new: is.map(|x| x.0.clone()),
            origins,
        }));
    }
    out
}
