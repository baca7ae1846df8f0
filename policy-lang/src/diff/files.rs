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
//! no set; sets are limited to the globs whose literal prefixes can overlap a changed one.

use super::index::{neighbours, scan, Key};
use super::region::{intersects, is_subset, region, Emptiness};
use super::{Change, Decided, Direction, FileChange, PathSet, RuleCite, Side};
use crate::glob::Glob;
use crate::hash::{FastMap, HashMap64};
use crate::ir::text::file_rule_text;
use crate::ir::Effect;
use crate::ir::{FileRule, Origin, Policy};
use crate::rights::Rights;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::BTreeMap;

/// No rule, no entry.
const NONE: u32 = u32::MAX;

/// One distinct glob of a policy's file rules.
pub(super) struct Entry<'p> {
    pub(super) glob: &'p Glob,
    /// Rights granted by allow rules with this glob.
    pub(super) allow: Rights,
    /// Rights refused by deny rules with this glob.
    pub(super) deny: Rights,
    /// The first and last rule with this glob (indices in `Policy::files`); the others
    /// are chained through [`View::next_rule`].
    first: u32,
    last: u32,
    /// The glob's text in [`View::texts`], from `start`, `len` bytes, of which the first
    /// `prefix` are its literal prefix.
    start: usize,
    len: usize,
    prefix: usize,
    /// The glob has no wildcard and no brace.
    literal: bool,
    /// The text's hash ([`scan`]).
    hash: u64,
}

/// A policy's file rules by glob, with the neighbours of the changed globs.
///
/// Building it is the only pass that reads every rule's glob text where the policy keeps
/// it (one heap string per rule, in no useful order); the texts are copied into one
/// buffer in entry order, with their hashes and literal prefixes, so that the pairing
/// and the neighbour searches scan compact memory however large the policies are.
pub(super) struct View<'p> {
    pub(super) policy: &'p Policy,
    pub(super) entries: Vec<Entry<'p>>,
    /// Every entry's glob text, one after the other.
    texts: String,
    /// Text hash → the first entry with that hash; the others are chained through
    /// `same_hash`.
    by_hash: HashMap64<u32>,
    same_hash: Vec<u32>,
    /// For each rule, the next rule with the same glob ([`NONE`]: none).
    next_rule: Vec<u32>,
    /// For each entry, the other policy's entry with the same glob text.
    pub(super) twin: Vec<Option<usize>>,
    /// Entries whose allow or deny rights differ from their twin's (or have no twin).
    changed: Vec<usize>,
    /// Queried glob text → entries whose glob may overlap it.
    near: FastMap<&'p str, Vec<usize>>,
}

impl<'p> View<'p> {
    pub(super) fn new(policy: &'p Policy) -> Self {
        let n = policy.files.len();
        let mut entries: Vec<Entry<'p>> = Vec::with_capacity(n);
        let mut texts = String::with_capacity(n * 32);
        let mut by_hash = HashMap64::default();
        by_hash.reserve(n);
        let mut same_hash: Vec<u32> = Vec::with_capacity(n);
        let mut next_rule = vec![NONE; n];
        for (i, rule) in policy.files.iter().enumerate() {
            if i % TOUCH_BLOCK == 0 {
                touch(policy.files.get(i..).unwrap_or_default());
            }
            let (Ok(i), Ok(fresh)) = (u32::try_from(i), u32::try_from(entries.len())) else {
                break;
            };
            let text = rule.glob.as_str();
            let scan = scan(text);
            // The entry with this text, or a new one (at the head of its hash's chain).
            let id = match by_hash.entry(scan.hash) {
                MapEntry::Vacant(slot) => {
                    slot.insert(fresh);
                    same_hash.push(NONE);
                    fresh
                }
                MapEntry::Occupied(mut slot) => {
                    let head = *slot.get();
                    let mut at = head;
                    while at != NONE && text_of(&texts, entries.get(at as usize)) != text {
                        at = same_hash.get(at as usize).copied().unwrap_or(NONE);
                    }
                    if at == NONE {
                        slot.insert(fresh);
                        same_hash.push(head);
                        fresh
                    } else {
                        at
                    }
                }
            };
            if id == fresh {
                entries.push(Entry {
                    glob: &rule.glob,
                    allow: Rights::EMPTY,
                    deny: Rights::EMPTY,
                    first: i,
                    last: i,
                    start: texts.len(),
                    len: text.len(),
                    prefix: scan.prefix,
                    literal: scan.literal,
                    hash: scan.hash,
                });
                texts.push_str(text);
            }
            let Some(e) = entries.get_mut(id as usize) else {
                continue;
            };
            match rule.effect {
                Effect::Allow => e.allow = e.allow.union(rule.rights),
                Effect::Deny => e.deny = e.deny.union(rule.rights),
            }
            if e.last != i {
                if let Some(slot) = next_rule.get_mut(e.last as usize) {
                    *slot = i;
                }
                e.last = i;
            }
        }
        View {
            policy,
            entries,
            texts,
            by_hash,
            same_hash,
            next_rule,
            twin: Vec::new(),
            changed: Vec::new(),
            near: FastMap::default(),
        }
    }

    /// The entry whose glob text is `text` (of hash `hash`).
    pub(super) fn find(&self, hash: u64, text: &str) -> Option<usize> {
        let mut id = *self.by_hash.get(&hash)?;
        while id != NONE {
            let i = id as usize;
            if self.text(i) == text {
                return Some(i);
            }
            id = self.same_hash.get(i).copied().unwrap_or(NONE);
        }
        None
    }

    /// The glob text of entry `id`, from the compact copy.
    pub(super) fn text(&self, id: usize) -> &str {
        text_of(&self.texts, self.entries.get(id))
    }

    /// The index key of entry `id`, from the compact copy.
    fn key(&self, id: usize) -> Key<'_> {
        let text = self.text(id);
        let e = self.entries.get(id);
        Key {
            prefix: e.and_then(|e| text.get(..e.prefix)).unwrap_or(text),
            literal: e.is_some_and(|e| e.literal),
        }
    }

    /// Indices of the rules of an entry, in IR order.
    pub(super) fn rule_ids<'v>(&'v self, e: &Entry<'_>) -> impl Iterator<Item = usize> + 'v {
        let mut i = e.first;
        std::iter::from_fn(move || {
            if i == NONE {
                return None;
            }
            let at = i as usize;
            i = self.next_rule.get(at).copied().unwrap_or(NONE);
            Some(at)
        })
    }

    /// Iterate the rules of an entry, in IR order.
    pub(super) fn rules_iter<'v>(
        &'v self,
        e: &Entry<'_>,
    ) -> impl Iterator<Item = (usize, &'p FileRule)> + 'v {
        let files = &self.policy.files;
        self.rule_ids(e)
            .filter_map(move |i| files.get(i).map(|r| (i, r)))
    }

    /// The twin of entry `id` in the other view.
    pub(super) fn twin_of(&self, id: usize) -> Option<usize> {
        self.twin.get(id).copied().flatten()
    }

    /// Indices of the rules of an entry, in IR order.
    pub(super) fn rules_of(&self, e: &Entry<'_>) -> Vec<usize> {
        self.rule_ids(e).collect()
    }

    pub(super) fn entry(&self, id: usize) -> Option<&Entry<'p>> {
        self.entries.get(id)
    }

    /// Find the entries that may overlap each of `queries` (glob texts), in one pass
    /// over the entries; queries already answered are skipped.
    pub(super) fn find_neighbours(&mut self, queries: &[&'p str]) {
        let fresh: Vec<&'p str> = queries
            .iter()
            .copied()
            .filter(|q| !self.near.contains_key(q))
            .collect();
        if fresh.is_empty() {
            return;
        }
        let keys: Vec<Key<'p>> = fresh.iter().map(|q| Key::of(q)).collect();
        let found = neighbours(&keys, (0..self.entries.len()).map(|i| self.key(i)));
        self.near.extend(fresh.into_iter().zip(found));
    }

    /// True when the neighbours of `glob` were searched for.
    pub(super) fn searched(&self, glob: &Glob) -> bool {
        self.near.contains_key(glob.as_str())
    }

    /// Entries whose glob may overlap `glob`, one of the queries (by literal prefix; no
    /// algebra). Every entry for a glob that was not a query.
    pub(super) fn neighbours(&self, glob: &Glob) -> Vec<usize> {
        match self.near.get(glob.as_str()) {
            Some(v) => v.clone(),
            None => (0..self.entries.len()).collect(),
        }
    }
}

/// The text of an entry in a view's buffer of texts.
fn text_of<'t>(texts: &'t str, e: Option<&Entry<'_>>) -> &'t str {
    e.and_then(|e| texts.get(e.start..e.start + e.len))
        .unwrap_or("")
}

/// How many rules' texts [`touch`] reads ahead.
const TOUCH_BLOCK: usize = 256;

/// Read the first byte of the next [`TOUCH_BLOCK`] rules' glob texts. Each text is a heap
/// string of its own, found by a cache miss on large policies; a loop that does nothing
/// else lets the processor have many of those misses in flight at once, where the loop
/// that hashes and groups the texts would wait for each in turn.
fn touch(rules: &[FileRule]) {
    let mut x = 0u8;
    for r in rules.iter().take(TOUCH_BLOCK) {
        x ^= r.glob.as_str().as_bytes().first().copied().unwrap_or(0);
    }
    std::hint::black_box(x);
}

/// Pair the entries of two views by glob text and note which changed.
pub(super) fn pair(o: &mut View<'_>, n: &mut View<'_>) {
    o.twin = vec![None; o.entries.len()];
    n.twin = Vec::with_capacity(n.entries.len());
    for (ni, e) in n.entries.iter().enumerate() {
        let t = o.find(e.hash, n.text(ni));
        if let Some(oi) = t {
            if let Some(slot) = o.twin.get_mut(oi) {
                *slot = Some(ni);
            }
        }
        n.twin.push(t);
    }
    o.changed = changed_entries(o, n);
    n.changed = changed_entries(n, o);
}

/// The glob texts of the changed entries of both views.
pub(super) fn changed_texts<'p>(o: &View<'p>, n: &View<'p>) -> Vec<&'p str> {
    let mut queries: Vec<&'p str> = Vec::new();
    for v in [o, n] {
        queries.extend(
            v.changed
                .iter()
                .filter_map(|&i| v.entries.get(i).map(|e| e.glob.as_str())),
        );
    }
    queries
}

/// Entries of `a` whose rights differ from their twin's in `b`.
fn changed_entries(a: &View<'_>, b: &View<'_>) -> Vec<usize> {
    (0..a.entries.len())
        .filter(|&i| {
            let Some(e) = a.entries.get(i) else {
                return false;
            };
            match a.twin_of(i).and_then(|t| b.entries.get(t)) {
                Some(f) => f.allow != e.allow || f.deny != e.deny,
                None => !e.allow.is_empty() || !e.deny.is_empty(),
            }
        })
        .collect()
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

/// Changes of file rights between two paired views whose changed globs' neighbours
/// were searched for.
pub(super) fn file_changes(o: &View<'_>, n: &View<'_>) -> Vec<Change> {
    let mut out = one_way(o, n, Direction::Broadened);
    out.extend(one_way(n, o, Direction::Narrowed));
    out
}

/// What `gains` grants that `other` does not.
fn one_way(other: &View<'_>, gains: &View<'_>, direction: Direction) -> Vec<Change> {
    // Term → rights, built per right, then merged across rights with the same sets.
    let mut terms: BTreeMap<TermKey, Rights> = BTreeMap::new();
    let mut cache = Overlaps::default();
    for &gid in &gains.changed {
        let Some(g) = gains.entry(gid) else { continue };
        // Kind 1: allow rights `gains` has on this glob and `other` has not.
        let before = gains
            .twin_of(gid)
            .and_then(|t| other.entry(t))
            .map_or(Rights::EMPTY, |e| e.allow);
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
    for &did in &other.changed {
        let Some(d) = other.entry(did) else { continue };
        // Kind 2: deny rights `other` had on this glob and `gains` has not.
        let still = other
            .twin_of(did)
            .and_then(|t| gains.entry(t))
            .map_or(Rights::EMPTY, |e| e.deny);
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
    let mut out: Vec<FileChange> = terms
        .into_iter()
        .filter_map(|(key, rights)| materialize(&key, rights, other, gains, direction))
        .collect();
    // An order that does not depend on the order of the rules in the IR.
    out.sort_by(|a, b| {
        (&a.paths.within, &a.paths.except, a.rights).cmp(&(
            &b.paths.within,
            &b.paths.except,
            b.rights,
        ))
    });
    out.into_iter().map(Change::File).collect()
}

/// Remembers which pairs of globs overlap (the algebra is the costly part).
#[derive(Default)]
struct Overlaps {
    seen: FastMap<(Which, usize, usize), bool>,
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
        rules: cite(gains.policy, &gains.rules_of(grant), Effect::Allow, rights),
    };
    let refusing = match key.other {
        OtherCause::NoAllow => Side {
            decision: Decided::NoAllow,
            rules: Vec::new(),
        },
        OtherCause::Deny(did) => Side {
            decision: Decided::Denied,
            rules: cite(
                other.policy,
                &other.rules_of(other.entry(did)?),
                Effect::Deny,
                rights,
            ),
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
        owner: None,
        dir: None,
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
