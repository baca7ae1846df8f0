//! File rights: for each right `r`, with `A`/`D` the unions of a side's allow/deny globs
//! holding `r`, a path is allowed iff it is in `A ∖ D`. What NEW grants that OLD did not
//! is `(NA ∖ ND) ∖ (OA ∖ OD)`, which is exactly the union of
//!
//! 1. `a ∖ (ND ∪ OA)` for each NEW allow glob `a` that OLD did not allow `r` on (no
//!    OLD allow covered those paths), and
//! 2. `a ∩ d ∖ ND` for each OLD deny glob `d` of `r` that NEW no longer denies `r` on,
//!    and each NEW allow glob `a` of `r` (OLD denied those paths with `d`).
//!
//! (A path of the difference not in any OLD allow is in some `a` not among OLD's allow
//! globs, so in a set of kind 1; one in some OLD deny `d` is in a set of kind 2, and `d`
//! cannot be a NEW deny of `r` or the path would be denied.) The narrowing is the same
//! with OLD and NEW swapped. Identical globs with identical rights on both sides produce
//! no set; the index limits every set to the globs that can overlap it.

use super::index::{literal_prefix, PrefixIndex};
use super::region::{intersects, is_subset, region, Emptiness};
use super::text::file_rule_text;
use super::{Change, Decided, Direction, FileChange, PathSet, RuleCite, Side};
use crate::ast::Effect;
use crate::glob::Glob;
use crate::ir::{FileRule, Origin, Policy};
use crate::rights::Rights;
use std::collections::{BTreeMap, HashMap};

/// One distinct glob of a policy's file rules.
pub(super) struct Entry<'p> {
    pub(super) glob: &'p Glob,
    /// Rights granted by allow rules with this glob.
    pub(super) allow: Rights,
    /// Rights refused by deny rules with this glob.
    pub(super) deny: Rights,
    /// Indices of the rules with this glob in `Policy::files`.
    pub(super) rules: Vec<usize>,
}

/// A policy's file rules by glob, with a prefix index.
pub(super) struct View<'p> {
    pub(super) policy: &'p Policy,
    pub(super) entries: Vec<Entry<'p>>,
    pub(super) by_text: HashMap<&'p str, usize>,
    index: Option<PrefixIndex<'p>>,
}

impl<'p> View<'p> {
    pub(super) fn new(policy: &'p Policy) -> Self {
        let mut entries: Vec<Entry<'p>> = Vec::new();
        let mut by_text: HashMap<&'p str, usize> = HashMap::with_capacity(policy.files.len());
        for (i, rule) in policy.files.iter().enumerate() {
            let id = *by_text.entry(rule.glob.as_str()).or_insert_with(|| {
                entries.push(Entry {
                    glob: &rule.glob,
                    allow: Rights::EMPTY,
                    deny: Rights::EMPTY,
                    rules: Vec::new(),
                });
                entries.len() - 1
            });
            if let Some(e) = entries.get_mut(id) {
                match rule.effect {
                    Effect::Allow => e.allow = e.allow.union(rule.rights),
                    Effect::Deny => e.deny = e.deny.union(rule.rights),
                }
                e.rules.push(i);
            }
        }
        View {
            policy,
            entries,
            by_text,
            index: None,
        }
    }

    pub(super) fn entry(&self, id: usize) -> Option<&Entry<'p>> {
        self.entries.get(id)
    }

    /// The entry with the same glob text, if any.
    pub(super) fn same_glob(&self, glob: &Glob) -> Option<&Entry<'p>> {
        self.by_text
            .get(glob.as_str())
            .and_then(|&i| self.entries.get(i))
    }

    pub(super) fn build_index(&mut self) {
        if self.index.is_none() {
            self.index = Some(PrefixIndex::new(
                self.entries.iter().map(|e| e.glob.as_str()),
            ));
        }
    }

    /// Entries whose glob may overlap `glob` (by literal prefix; no algebra).
    pub(super) fn neighbours(&self, glob: &Glob) -> Vec<usize> {
        let mut out = Vec::new();
        match &self.index {
            Some(idx) => idx.compatible(literal_prefix(glob.as_str()), &mut out),
            None => out.extend(0..self.entries.len()),
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Which side a cited entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Which {
    /// The side that grants (NEW for a broadening).
    Gains,
    /// The other side.
    Other,
}

/// Who decided the changed paths on the side that does not grant them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum OtherCause {
    NoAllow,
    Deny(usize),
}

/// One set of paths on which one right changed, before rights are merged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct TermKey {
    /// Texts of the `within` globs, as (side, entry).
    within: Vec<(Which, usize)>,
    /// The `except` globs, as (side, entry), sorted, one per distinct text.
    except: Vec<(Which, usize)>,
    /// The granting entry on the gaining side.
    grant: usize,
    /// The cause on the other side.
    other: OtherCause,
}

/// Changes of file rights between two policies.
pub(super) fn file_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut o = View::new(old);
    let mut n = View::new(new);
    if !any_change(&o, &n) {
        return Vec::new();
    }
    o.build_index();
    n.build_index();
    let mut out = one_way(&o, &n, Direction::Broadened);
    out.extend(one_way(&n, &o, Direction::Narrowed));
    out
}

/// True when some glob has different allow or deny rights on the two sides.
fn any_change(o: &View<'_>, n: &View<'_>) -> bool {
    let differs = |a: &View<'_>, b: &View<'_>| {
        a.entries.iter().any(|e| match b.same_glob(e.glob) {
            Some(f) => f.allow != e.allow || f.deny != e.deny,
            None => !e.allow.is_empty() || !e.deny.is_empty(),
        })
    };
    differs(o, n) || differs(n, o)
}

/// What `gains` grants that `other` does not.
fn one_way(other: &View<'_>, gains: &View<'_>, direction: Direction) -> Vec<Change> {
    // Term → rights, built per right, then merged across rights with the same sets.
    let mut terms: BTreeMap<TermKey, Rights> = BTreeMap::new();
    let mut cache = Overlaps::default();
    for (gid, g) in gains.entries.iter().enumerate() {
        // Kind 1: allow rights `gains` has on this glob and `other` has not.
        let before = other.same_glob(g.glob).map_or(Rights::EMPTY, |e| e.allow);
        let added = g.allow.difference(before);
        if added.is_empty() {
            continue;
        }
        let near_gain = gains.neighbours(g.glob);
        let near_other = other.neighbours(g.glob);
        for r in added.iter() {
            let mut except = Vec::new();
            for &id in &near_gain {
                if let Some(e) = gains.entry(id) {
                    if e.deny.contains(r) && cache.overlaps(Which::Gains, id, e.glob, gid, g.glob) {
                        except.push((Which::Gains, id));
                    }
                }
            }
            for &id in &near_other {
                if let Some(e) = other.entry(id) {
                    if e.allow.contains(r) && cache.overlaps(Which::Other, id, e.glob, gid, g.glob)
                    {
                        except.push((Which::Other, id));
                    }
                }
            }
            let key = TermKey {
                within: vec![(Which::Gains, gid)],
                except: dedup_texts(except, other, gains),
                grant: gid,
                other: OtherCause::NoAllow,
            };
            let slot = terms.entry(key).or_insert(Rights::EMPTY);
            *slot = slot.insert(r);
        }
    }
    for (did, d) in other.entries.iter().enumerate() {
        // Kind 2: deny rights `other` had on this glob and `gains` has not.
        let still = gains.same_glob(d.glob).map_or(Rights::EMPTY, |e| e.deny);
        let lifted = d.deny.difference(still);
        if lifted.is_empty() {
            continue;
        }
        let near_gain = gains.neighbours(d.glob);
        for r in lifted.iter() {
            let denies: Vec<usize> = near_gain
                .iter()
                .copied()
                .filter(|&id| gains.entry(id).is_some_and(|e| e.deny.contains(r)))
                .collect();
            for &aid in &near_gain {
                let Some(a) = gains.entry(aid) else { continue };
                if !a.allow.contains(r) || !cache.overlaps(Which::Other, did, d.glob, aid, a.glob) {
                    continue;
                }
                let except: Vec<(Which, usize)> = denies
                    .iter()
                    .copied()
                    .filter(|&id| {
                        gains.entry(id).is_some_and(|e| {
                            cache.overlaps(Which::Gains, id, e.glob, aid, a.glob)
                                && cache.overlaps(Which::Other, did, d.glob, id, e.glob)
                        })
                    })
                    .map(|id| (Which::Gains, id))
                    .collect();
                let within = if is_subset(d.glob, a.glob) {
                    vec![(Which::Other, did)]
                } else if is_subset(a.glob, d.glob) {
                    vec![(Which::Gains, aid)]
                } else {
                    vec![(Which::Gains, aid), (Which::Other, did)]
                };
                let key = TermKey {
                    within,
                    except: dedup_texts(except, other, gains),
                    grant: aid,
                    other: OtherCause::Deny(did),
                };
                let slot = terms.entry(key).or_insert(Rights::EMPTY);
                *slot = slot.insert(r);
            }
        }
    }
    let mut out = Vec::new();
    for (key, rights) in terms {
        if let Some(c) = materialize(&key, rights, other, gains, direction) {
            out.push(Change::File(c));
        }
    }
    out
}

/// Remembers which pairs of globs overlap (the algebra is the costly part).
#[derive(Default)]
struct Overlaps {
    seen: HashMap<(Which, usize, usize), bool>,
}

impl Overlaps {
    /// Whether entry `id` of side `which` overlaps entry `gid` of the gaining side.
    fn overlaps(&mut self, which: Which, id: usize, a: &Glob, gid: usize, b: &Glob) -> bool {
        *self
            .seen
            .entry((which, id, gid))
            .or_insert_with(|| intersects(a, b))
    }
}

fn glob_of<'p>(which: Which, id: usize, other: &View<'p>, gains: &View<'p>) -> Option<&'p Glob> {
    match which {
        Which::Gains => gains.entry(id).map(|e| e.glob),
        Which::Other => other.entry(id).map(|e| e.glob),
    }
}

/// Sort by glob text and keep one entry per text.
fn dedup_texts(
    mut v: Vec<(Which, usize)>,
    other: &View<'_>,
    gains: &View<'_>,
) -> Vec<(Which, usize)> {
    let text = |x: &(Which, usize)| glob_of(x.0, x.1, other, gains).map_or("", |g| g.as_str());
    v.sort_by(|a, b| text(a).cmp(text(b)).then(a.cmp(b)));
    v.dedup_by(|a, b| text(a) == text(b));
    v
}

/// Turn a term into a reported change, or `None` when its set is empty.
fn materialize(
    key: &TermKey,
    rights: Rights,
    other: &View<'_>,
    gains: &View<'_>,
    direction: Direction,
) -> Option<FileChange> {
    let within: Vec<&Glob> = key
        .within
        .iter()
        .filter_map(|&(w, id)| glob_of(w, id, other, gains))
        .collect();
    let mut except: Vec<&Glob> = key
        .except
        .iter()
        .filter_map(|&(w, id)| glob_of(w, id, other, gains))
        .collect();
    // A glob of `except` holding a `within` glob empties the set.
    if except
        .iter()
        .any(|e| within.iter().any(|w| is_subset(w, e)))
    {
        return None;
    }
    let witness = match region(&within, &except) {
        Emptiness::Empty => return None,
        Emptiness::Witness(w) => Some(w),
        Emptiness::Unknown => None,
    };
    prune_subsumed(&mut except);
    let grant = gains.entry(key.grant)?;
    let granting = Side {
        decision: Decided::Allowed,
        rules: cite(gains.policy, &grant.rules, Effect::Allow, rights),
    };
    let refusing = match key.other {
        OtherCause::NoAllow => Side {
            decision: Decided::NoAllow,
            rules: Vec::new(),
        },
        OtherCause::Deny(did) => Side {
            decision: Decided::Denied,
            rules: cite(other.policy, &other.entry(did)?.rules, Effect::Deny, rights),
        },
    };
    let (old, new) = match direction {
        Direction::Narrowed => (granting, refusing),
        _ => (refusing, granting),
    };
    Some(FileChange {
        direction,
        rights,
        paths: PathSet {
            within: within.into_iter().cloned().collect(),
            except: except.into_iter().cloned().collect(),
        },
        witness,
        old,
        new,
    })
}

/// Drop `except` globs contained in another one (small lists only: the check is pairwise).
fn prune_subsumed(except: &mut Vec<&Glob>) {
    if except.len() < 2 || except.len() > 32 {
        return;
    }
    let all = except.clone();
    except.retain(|g| {
        !all.iter()
            .any(|h| h.as_str() != g.as_str() && is_subset(g, h))
    });
}

/// The rules among `ids` with this effect that hold some of `rights`, with the origins
/// that contributed those rights.
pub(super) fn cite(
    policy: &Policy,
    ids: &[usize],
    effect: Effect,
    rights: Rights,
) -> Vec<RuleCite> {
    ids.iter()
        .filter_map(|&i| policy.files.get(i).map(|r| (i, r)))
        .filter(|(_, r)| r.effect == effect && !r.rights.intersection(rights).is_empty())
        .map(|(i, r)| RuleCite {
            index: i,
            effect,
            rule: file_rule_text(r),
            origins: origins_for(r, rights),
        })
        .collect()
}

/// The origins of a rule that contributed some of `rights` (all of them when none
/// records one, as in a hand-built IR).
pub(super) fn origins_for(r: &FileRule, rights: Rights) -> Vec<Origin> {
    let some: Vec<Origin> = r
        .origins
        .iter()
        .filter(|o| !o.rights.with_implied().intersection(rights).is_empty())
        .map(|o| o.origin.clone())
        .collect();
    if some.is_empty() {
        r.origins.iter().map(|o| o.origin.clone()).collect()
    } else {
        some
    }
}
