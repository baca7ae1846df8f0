//! `audit` qualifiers added or removed: the same decisions, logged differently.
//!
//! An audited rule is matched across the policies by its text (qualifier included): one
//! only NEW holds logs what it decides where OLD did not say to, one only OLD held no
//! longer does. Neither grants more or less, so both are changes (`~`), which an
//! auditor reviews like any other.

use super::target::{origins_of, rule_keys};
use super::{Change, Direction};
use crate::ir::{Origin, Policy};
use serde::Serialize;
use std::collections::BTreeMap;

/// An audited rule added or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditChange {
    /// Always [`Direction::Changed`].
    pub direction: Direction,
    /// True: NEW audits it and OLD did not; false: the reverse.
    pub audited: bool,
    /// The rule as policy text (`audit allow read "/etc/shadow"`).
    pub rule: String,
    /// Where the side that audits it states the rule.
    pub origins: Vec<Origin>,
}

/// The audited rules of one side, by text, with their origins.
fn audited(p: &Policy) -> BTreeMap<String, Vec<Origin>> {
    rule_keys(p)
        .into_iter()
        .filter(|(_, _, text)| text.starts_with("audit "))
        .map(|(list, i, text)| (text, origins_of(p, list, i)))
        .collect()
}

/// The audited rules one side holds and the other does not.
pub(super) fn audit_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let (o, n) = (audited(old), audited(new));
    let change = |audited: bool, rule: &String, origins: &Vec<Origin>| {
        Change::Audit(AuditChange {
            direction: Direction::Changed,
            audited,
            rule: rule.clone(),
            origins: origins.clone(),
        })
    };
    let added = n
        .iter()
        .filter(|(t, _)| !o.contains_key(*t))
        .map(|(t, at)| change(true, t, at));
    let removed = o
        .iter()
        .filter(|(t, _)| !n.contains_key(*t))
        .map(|(t, at)| change(false, t, at));
    added.chain(removed).collect()
}
