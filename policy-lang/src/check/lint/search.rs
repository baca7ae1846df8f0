//! The other rules a lint needs to look at, found without comparing every pair.
//!
//! The warnings are defined pairwise (see the reference in the tests): W0201 names the
//! first rule, in statement order, of the same effect that covers a rule; W0202 asks
//! whether any allow overlaps a deny. Most pairs of a large policy cannot be related,
//! and the relation says which:
//!
//! - file rules: a glob can only overlap or contain another if their literal prefixes
//!   are one a prefix of the other ([`PrefixIndex`]); the candidates are taken in
//!   statement order and decided by the same predicate as the reference;
//! - network rules: only rules of the same operation and protocol; covering port ranges
//!   are found by a sweep over the ranges sorted by their low port, overlapping ones by
//!   a binary search over the allowed ranges sorted the same way;
//! - capabilities: a capability rule covers only the same capability, which is the same
//!   rule, so none is shadowed; a deny overlaps an allow of the same name (a set lookup);
//! - signal rules: only rules of the same direction and peer, compared once per distinct
//!   signal set; a deny overlaps an allow when the union of the allowed sets meets it.
//!
//! Each search is near-linear in the number of rules plus the number of candidate pairs
//! it decides.

use super::{covered_by, overlaps, signals_subset, Witness, OWN};
use crate::atom::{Atom, GlobEnds, Subject};
use crate::glob::PrefixIndex;
use crate::hash::{FastMap, FastSet};
use crate::ir::Effect;
use crate::ir::{IpFamily, NetOp, Peer, PortRange, Proto, SignalDir};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// The indexes over one policy's atoms.
pub(super) struct Search<'a> {
    atoms: &'a [Atom],
    /// The literal ends of each file atom's glob.
    ends: Vec<Option<GlobEnds<'a>>>,
    /// File atoms by literal prefix: allows, then denies.
    files: [PrefixIndex<'a>; 2],
    /// W0201 for the own network and signal atoms: the first broader rule.
    broader: FastMap<usize, usize>,
    /// Allowed port ranges by operation and protocol.
    nets: FastMap<(NetOp, Proto, Option<IpFamily>), Ranges>,
    /// Allowed capabilities.
    caps: BTreeSet<&'a str>,
    /// Allowed signals by direction and peer.
    signals: FastMap<(SignalDir, &'a Peer), Signals<'a>>,
    /// The answer of the last prefix index query, its vector reused by the next.
    related: RefCell<Vec<usize>>,
}

fn slot(e: Effect) -> usize {
    match e {
        Effect::Allow => 0,
        Effect::Deny => 1,
    }
}

impl<'a> Search<'a> {
    /// Index the atoms.
    pub(super) fn new(atoms: &'a [Atom]) -> Search<'a> {
        let ends: Vec<Option<GlobEnds<'a>>> = atoms
            .iter()
            .map(|a| match &a.subject {
                Subject::File { glob, .. } => Some(GlobEnds::of(glob)),
                _ => None,
            })
            .collect();
        let files_of = |effect: Effect| {
            PrefixIndex::new(
                atoms
                    .iter()
                    .zip(&ends)
                    .enumerate()
                    .filter(|(_, (a, _))| a.effect == effect)
                    .filter_map(|(i, (_, e))| e.map(|e| (i, e.prefix()))),
            )
        };
        let files = [files_of(Effect::Allow), files_of(Effect::Deny)];
        let mut broader = net_broader(atoms);
        broader.extend(signal_broader(atoms));
        let mut nets: FastMap<(NetOp, Proto, Option<IpFamily>), Vec<PortRange>> =
            FastMap::default();
        let mut caps = BTreeSet::new();
        let mut signals: FastMap<(SignalDir, &'a Peer), Signals<'a>> = FastMap::default();
        for a in atoms.iter().filter(|a| a.effect == Effect::Allow) {
            match &a.subject {
                Subject::File { .. } => {}
                Subject::Net {
                    op,
                    proto,
                    family,
                    ports,
                } => {
                    nets.entry((*op, *proto, *family)).or_default().push(*ports);
                }
                Subject::Cap(c) => {
                    caps.insert(c.as_str());
                }
                Subject::Signal {
                    dir,
                    peer,
                    signals: s,
                } => {
                    let u = signals.entry((*dir, peer)).or_default();
                    u.every |= s.is_empty();
                    u.union.extend(s.iter().map(String::as_str));
                }
                Subject::Ptrace { .. } => {}
            }
        }
        Search {
            atoms,
            ends,
            files,
            broader,
            nets: nets.into_iter().map(|(k, v)| (k, Ranges::new(v))).collect(),
            caps,
            signals,
            related: RefCell::new(Vec::new()),
        }
    }

    /// Whether `stop` returns true for some atom of `index` related to `prefix` (see
    /// [`PrefixIndex::related`]), asked in statement order.
    fn any_related(
        &self,
        index: &PrefixIndex<'_>,
        prefix: &str,
        stop: impl FnMut(usize) -> bool,
    ) -> bool {
        // The vector is taken while in use: a query within `stop` (none today) would
        // simply get a new one.
        let mut out = self.related.take();
        index.related_into(prefix, &mut out);
        let found = out.iter().copied().any(stop);
        self.related.replace(out);
        found
    }

    fn end(&self, i: usize) -> Option<GlobEnds<'a>> {
        self.ends.get(i).copied().flatten()
    }

    /// W0201: the first other rule of the same effect, in statement order, that covers
    /// atom `i` (what the reference finds comparing `i` with every rule).
    pub(super) fn broader(&self, i: usize) -> Option<usize> {
        let a = self.atoms.get(i)?;
        match &a.subject {
            Subject::File { .. } => {
                let own = self.end(i)?;
                let index = self.files.get(slot(a.effect))?;
                let witness = Witness::of(&a.subject);
                let mut found = None;
                self.any_related(index, own.prefix(), |j| {
                    let Some(b) = self.atoms.get(j) else {
                        return false;
                    };
                    let ends = self.end(j).map(|e| (own, e));
                    let covers = j != i
                        && b.subject != a.subject
                        && covered_by(&a.subject, &b.subject, ends, &witness);
                    if covers {
                        found = Some(j);
                    }
                    covers
                });
                found
            }
            // Only the same capability covers a capability rule: the same rule.
            Subject::Cap(_) | Subject::Ptrace { .. } => None,
            Subject::Net { .. } | Subject::Signal { .. } => self.broader.get(&i).copied(),
        }
    }

    /// W0202: whether some allow rule overlaps atom `i`.
    pub(super) fn overlaps_allow(&self, i: usize) -> bool {
        let Some(a) = self.atoms.get(i) else {
            return false;
        };
        match &a.subject {
            Subject::File { .. } => {
                let (Some(own), Some(index)) = (self.end(i), self.files.get(slot(Effect::Allow)))
                else {
                    return false;
                };
                let witness = Witness::of(&a.subject);
                self.any_related(index, own.prefix(), |j| {
                    self.atoms.get(j).is_some_and(|b| {
                        self.end(j).is_none_or(|e| own.may_overlap(&e))
                            && overlaps(&a.subject, &b.subject, &witness)
                    })
                })
            }
            // A rule of both IP versions overlaps the rules of either.
            Subject::Net {
                op,
                proto,
                family,
                ports,
            } => [None, Some(IpFamily::Inet), Some(IpFamily::Inet6)]
                .into_iter()
                .filter(|f| family.is_none() || f.is_none() || f == family)
                .any(|f| {
                    self.nets
                        .get(&(*op, *proto, f))
                        .is_some_and(|r| r.overlap(*ports))
                }),
            Subject::Cap(c) => self.caps.contains(c.as_str()),
            Subject::Signal { dir, peer, signals } => self.signals.iter().any(|((d, p), u)| {
                d == dir
                    && (p.includes(peer) || peer.includes(p))
                    && (signals.is_empty()
                        || u.every
                        || signals.iter().any(|s| u.union.contains(s.as_str())))
            }),
            Subject::Ptrace { .. } => self.atoms.iter().any(|b| {
                b.effect == Effect::Allow
                    && overlaps(&a.subject, &b.subject, &Witness::of(&a.subject))
            }),
        }
    }
}

/// Port ranges sorted by low port, with the highest high port of each prefix.
struct Ranges {
    los: Vec<u16>,
    max_hi: Vec<u16>,
}

impl Ranges {
    fn new(mut v: Vec<PortRange>) -> Ranges {
        v.sort_unstable_by_key(|r| r.lo);
        let mut hi = 0;
        let max_hi = v
            .iter()
            .map(|r| {
                hi = hi.max(r.hi);
                hi
            })
            .collect();
        Ranges {
            los: v.iter().map(|r| r.lo).collect(),
            max_hi,
        }
    }

    /// Whether some range shares a port with `p`.
    fn overlap(&self, p: PortRange) -> bool {
        // Ranges starting at or below `p.hi`; one of them must reach `p.lo`.
        let n = self.los.partition_point(|lo| *lo <= p.hi);
        n.checked_sub(1)
            .and_then(|k| self.max_hi.get(k))
            .is_some_and(|hi| *hi >= p.lo)
    }
}

/// The allowed signals of one direction and peer.
#[derive(Default)]
struct Signals<'a> {
    /// Some rule allows every signal (an empty list).
    every: bool,
    /// The signals the rules list.
    union: BTreeSet<&'a str>,
}

/// W0201 for the own network atoms: for each, the first atom of the same effect,
/// operation and protocol whose range contains its range and differs from it.
///
/// Per (effect, operation, protocol): the distinct ranges with their first atom, sorted by
/// low port; a sweep in that order keeps, for the ranges starting strictly below the
/// query's low port, the first atom by high port (a Fenwick tree of minima over suffixes
/// of the sorted high ports); ranges with the same low port and a higher high port are
/// the rest of the query's group in the sorted list.
fn net_broader(atoms: &[Atom]) -> FastMap<usize, usize> {
    let mut out = net_broader_same_family(atoms);
    // A rule of both IP versions covers a one-version rule whose range it contains,
    // the same range included. One-version rules are few: compared with each.
    for (i, a) in atoms.iter().enumerate() {
        let Subject::Net {
            op,
            proto,
            family: Some(_),
            ports,
        } = &a.subject
        else {
            continue;
        };
        if a.unit != OWN {
            continue;
        }
        let both = atoms.iter().position(|b| {
            b.effect == a.effect
                && matches!(&b.subject, Subject::Net { op: o, proto: p, family: None, ports: r }
                    if o == op && p == proto && r.lo <= ports.lo && ports.hi <= r.hi)
        });
        if let Some(j) = both {
            let best = out.get(&i).map_or(j, |k| j.min(*k));
            out.insert(i, best);
        }
    }
    out
}

/// [`net_broader`] among the rules of the same IP versions.
fn net_broader_same_family(atoms: &[Atom]) -> FastMap<usize, usize> {
    type Key = (Effect, NetOp, Proto, Option<IpFamily>);
    let mut first: FastMap<Key, FastMap<(u16, u16), usize>> = FastMap::default();
    let mut queries: FastMap<Key, Vec<(u16, u16, usize)>> = FastMap::default();
    for (i, a) in atoms.iter().enumerate() {
        if let Subject::Net {
            op,
            proto,
            family,
            ports,
        } = &a.subject
        {
            let key = (a.effect, *op, *proto, *family);
            first
                .entry(key)
                .or_default()
                .entry((ports.lo, ports.hi))
                .or_insert(i);
            if a.unit == OWN {
                queries
                    .entry(key)
                    .or_default()
                    .push((ports.lo, ports.hi, i));
            }
        }
    }
    let mut out = FastMap::default();
    for (key, mut qs) in queries {
        let Some(ranges) = first.remove(&key) else {
            continue;
        };
        let mut ranges: Vec<((u16, u16), usize)> = ranges.into_iter().collect();
        ranges.sort_unstable();
        // The first atom among the rest of each range's low-port group.
        let mut group_min = vec![usize::MAX; ranges.len()];
        let mut run = usize::MAX;
        for k in (0..ranges.len()).rev() {
            let (Some(((lo, _), at)), next) = (ranges.get(k), ranges.get(k + 1)) else {
                continue;
            };
            if next.is_none_or(|((next_lo, _), _)| next_lo != lo) {
                run = usize::MAX;
            }
            run = run.min(*at);
            if let Some(m) = group_min.get_mut(k) {
                *m = run;
            }
        }
        let mut his: Vec<u16> = ranges.iter().map(|((_, hi), _)| *hi).collect();
        his.sort_unstable();
        his.dedup();
        let mut tree = SuffixMin::new(his.len());
        qs.sort_unstable();
        let mut added = 0;
        for (lo, hi, i) in qs {
            // Ranges starting strictly below `lo` go into the tree.
            while let Some(((_, rhi), at)) = ranges.get(added).filter(|r| r.0 .0 < lo) {
                tree.lower(his.partition_point(|h| h < rhi), *at);
                added += 1;
            }
            let below = tree.min_from(his.partition_point(|h| *h < hi));
            // Same low port, higher high port: after `(lo, hi)` in the sorted list.
            let k = ranges.partition_point(|((rlo, rhi), _)| (*rlo, *rhi) <= (lo, hi));
            let same_lo = ranges
                .get(k)
                .filter(|((rlo, _), _)| *rlo == lo)
                .and_then(|_| group_min.get(k).copied())
                .unwrap_or(usize::MAX);
            let best = below.min(same_lo);
            if best != usize::MAX {
                out.insert(i, best);
            }
        }
    }
    out
}

/// Minima over suffixes of positions `0..n`, with updates that only lower a value: a
/// Fenwick tree over the reversed positions.
struct SuffixMin {
    tree: Vec<usize>,
}

impl SuffixMin {
    fn new(n: usize) -> SuffixMin {
        SuffixMin {
            tree: vec![usize::MAX; n + 1],
        }
    }

    fn len(&self) -> usize {
        self.tree.len() - 1
    }

    /// Lower position `pos` to `v`.
    fn lower(&mut self, pos: usize, v: usize) {
        let mut k = self.len().saturating_sub(pos);
        while let Some(t) = self.tree.get_mut(k).filter(|_| k > 0) {
            *t = (*t).min(v);
            k += k & k.wrapping_neg();
        }
    }

    /// The minimum over positions `pos..n` (`usize::MAX` when none is set).
    fn min_from(&self, pos: usize) -> usize {
        let mut k = self.len().saturating_sub(pos);
        let mut m = usize::MAX;
        while let Some(t) = self.tree.get(k).filter(|_| k > 0) {
            m = m.min(*t);
            k -= k & k.wrapping_neg();
        }
        m
    }
}

/// W0201 for the own signal atoms: for each, the first atom of the same effect,
/// direction and peer whose signal set differs from and covers its set. Each distinct
/// set is compared with the distinct sets of its group once.
fn signal_broader(atoms: &[Atom]) -> FastMap<usize, usize> {
    type Key<'a> = (Effect, SignalDir, &'a Peer);
    // Per group: the distinct sets with their first atom, in the order first seen.
    let mut groups: FastMap<Key<'_>, Vec<(&BTreeSet<String>, usize)>> = FastMap::default();
    let mut seen: FastSet<(Key<'_>, &BTreeSet<String>)> = FastSet::default();
    let mut queries = Vec::new();
    for (i, a) in atoms.iter().enumerate() {
        if let Subject::Signal { dir, peer, signals } = &a.subject {
            let key = (a.effect, *dir, peer);
            if seen.insert((key, signals)) {
                groups.entry(key).or_default().push((signals, i));
            }
            if a.unit == OWN {
                queries.push((key, signals, i));
            }
        }
    }
    let mut answers: FastMap<(Key<'_>, &BTreeSet<String>), Option<usize>> = FastMap::default();
    let mut out = FastMap::default();
    for (key, set, i) in queries {
        let found = *answers.entry((key, set)).or_insert_with(|| {
            groups.get(&key).and_then(|g| {
                g.iter()
                    .find(|(other, _)| *other != set && signals_subset(set, other))
                    .map(|(_, j)| *j)
            })
        });
        if let Some(j) = found {
            out.insert(i, j);
        }
    }
    out
}
