//! Everything but file rights and transitions: the policy's name, mode and attached
//! executable; network port ranges; capabilities; signals; owned paths.

use super::index::{neighbours, Key};
use super::region::{intersects, region, Emptiness};
use super::{
    CapabilityChange, Change, Decided, Direction, NetChange, OwnsChange, PathSet, PolicyChange,
    PolicyField, RuleCite, Side, SignalChange, SignalSet,
};
use crate::glob::Glob;
use crate::ir::text::{cap_rule_text, net_rule_text, signal_rule_text};
use crate::ir::Effect;
use crate::ir::{IpFamily, Mode, NetOp, Origin, Peer, Policy, PortRange, Proto, SignalDir};
use std::collections::{BTreeMap, BTreeSet};

/// Name, mode and attached executable.
pub(super) fn policy_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(Change::Policy(PolicyChange {
            direction: Direction::Changed,
            field: PolicyField::Name,
            old: Some(old.name.to_string()),
            new: Some(new.name.to_string()),
            old_origin: None,
            new_origin: None,
        }));
    }
    if old.mode != new.mode {
        let word = |m: Mode| match m {
            Mode::Enforce => "enforce",
            Mode::Complain => "complain",
        };
        out.push(Change::Policy(PolicyChange {
            direction: if new.mode == Mode::Complain {
                Direction::Broadened
            } else {
                Direction::Narrowed
            },
            field: PolicyField::Mode,
            old: Some(word(old.mode).to_string()),
            new: Some(word(new.mode).to_string()),
            old_origin: None,
            new_origin: None,
        }));
    }
    let (oa, na) = (old.attach.as_ref(), new.attach.as_ref());
    if oa.map(|a| &a.path) != na.map(|a| &a.path) {
        out.push(Change::Policy(PolicyChange {
            direction: Direction::Changed,
            field: PolicyField::Attach,
            old: oa.map(|a| a.path.clone()),
            new: na.map(|a| a.path.clone()),
            old_origin: oa.map(|a| a.origin.clone()),
            new_origin: na.map(|a| a.origin.clone()),
        }));
    }
    out
}

/// Both sides' decision on one request class and the rules behind it.
fn sides(
    direction: Direction,
    old_allow: &[RuleCite],
    old_deny: &[RuleCite],
    new_allow: &[RuleCite],
    new_deny: &[RuleCite],
) -> (Side, Side) {
    let granting = |allow: &[RuleCite]| Side {
        decision: Decided::Allowed,
        rules: allow.to_vec(),
    };
    let refusing = |deny: &[RuleCite]| {
        if deny.is_empty() {
            Side::no_allow()
        } else {
            Side {
                decision: Decided::Denied,
                rules: deny.to_vec(),
            }
        }
    };
    match direction {
        Direction::Narrowed => (granting(old_allow), refusing(new_deny)),
        _ => (refusing(old_deny), granting(new_allow)),
    }
}

/// Allowed iff some allow and no deny.
fn allowed(allows: &[RuleCite], denies: &[RuleCite]) -> bool {
    !allows.is_empty() && denies.is_empty()
}

fn changed(old: bool, new: bool) -> Option<Direction> {
    match (old, new) {
        (false, true) => Some(Direction::Broadened),
        (true, false) => Some(Direction::Narrowed),
        _ => None,
    }
}

fn cite(index: usize, effect: Effect, rule: String, origins: &[Origin]) -> RuleCite {
    RuleCite {
        index,
        effect,
        rule,
        origins: origins.to_vec(),
    }
}

/// Network changes: per operation and protocol, a sweep over the ports where some rule
/// of either side starts or ends.
pub(super) fn net_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    type Key = (NetOp, Proto);
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    let shape = |p: &Policy, k: Key| {
        let mut v: Vec<(Effect, Option<IpFamily>, PortRange)> = p
            .net
            .iter()
            .filter(|r| (r.op, r.proto) == k)
            .map(|r| (r.effect, r.family, r.ports))
            .collect();
        v.sort_by_key(|(e, f, r)| (*e == Effect::Deny, *f, *r));
        v.dedup();
        v
    };
    for r in old.net.iter().chain(new.net.iter()) {
        keys.insert((r.op, r.proto));
    }
    let mut out = Vec::new();
    for key in keys {
        if shape(old, key) == shape(new, key) {
            continue;
        }
        let one_version = [old, new]
            .iter()
            .flat_map(|p| p.net.iter())
            .any(|r| (r.op, r.proto) == key && r.family.is_some());
        if !one_version {
            out.extend(net_key_changes(old, new, key, None));
            continue;
        }
        // Each IP version swept on its own; a change both have alike is stated once.
        let [v4, mut v6] = IpFamily::BOTH.map(|f| net_key_changes(old, new, key, Some(f)));
        for c in v4 {
            let alike = v6.iter().position(|d| same_but_version(&c, d));
            match alike.map(|k| v6.remove(k)) {
                Some(Change::Net(mut both)) => {
                    both.family = None;
                    out.push(Change::Net(both));
                }
                _ => out.push(c),
            }
        }
        out.extend(v6);
    }
    out
}

/// Two network changes that differ only in their IP version.
fn same_but_version(a: &Change, b: &Change) -> bool {
    match (a, b) {
        (Change::Net(a), Change::Net(b)) => {
            a.direction == b.direction
                && a.op == b.op
                && a.proto == b.proto
                && a.ports == b.ports
                && a.old == b.old
                && a.new == b.new
        }
        _ => false,
    }
}

/// The changes of one operation and protocol; with `version`, of that IP version only
/// (the rules of both versions and of that one).
fn net_key_changes(
    old: &Policy,
    new: &Policy,
    (op, proto): (NetOp, Proto),
    version: Option<IpFamily>,
) -> Vec<Change> {
    // Events: (port where it applies, side (0 old, 1 new), rule index, starts).
    let mut events: Vec<(u32, usize, usize, bool)> = Vec::new();
    for (side, p) in [old, new].into_iter().enumerate() {
        for (i, r) in p.net.iter().enumerate() {
            if r.op == op && r.proto == proto && version.is_none_or(|v| v.covered_by(r.family)) {
                events.push((u32::from(r.ports.lo), side, i, true));
                events.push((u32::from(r.ports.hi) + 1, side, i, false));
            }
        }
    }
    events.sort_unstable();
    let policies = [old, new];
    // Active rules per side and effect (0 allow, 1 deny).
    let mut active: [[BTreeSet<usize>; 2]; 2] = Default::default();
    // (ports, direction, rule ids per side and effect)
    type Segment = (PortRange, Direction, [[Vec<usize>; 2]; 2]);
    let mut segments: Vec<Segment> = Vec::new();
    let mut k = 0;
    while let Some(&(pos, ..)) = events.get(k) {
        while let Some(&(p, side, i, starts)) = events.get(k) {
            if p != pos {
                break;
            }
            let effect = policies
                .get(side)
                .and_then(|pol| pol.net.get(i))
                .map_or(0, |r| usize::from(r.effect == Effect::Deny));
            if let Some(set) = active.get_mut(side).and_then(|s| s.get_mut(effect)) {
                if starts {
                    set.insert(i);
                } else {
                    set.remove(&i);
                }
            }
            k += 1;
        }
        let next = events.get(k).map_or(65536, |e| e.0);
        if pos > 65535 || next <= pos {
            continue;
        }
        let ok = |s: &[BTreeSet<usize>; 2]| !s[0].is_empty() && s[1].is_empty();
        let [ao, an] = &active;
        let Some(direction) = changed(ok(ao), ok(an)) else {
            continue;
        };
        let ids = |s: &BTreeSet<usize>| s.iter().copied().collect::<Vec<_>>();
        let rules = [[ids(&ao[0]), ids(&ao[1])], [ids(&an[0]), ids(&an[1])]];
        let (Ok(lo), Ok(hi)) = (u16::try_from(pos), u16::try_from(next - 1)) else {
            continue;
        };
        match segments.last_mut() {
            Some((range, d, r))
                if *d == direction && *r == rules && u32::from(range.hi) + 1 == pos =>
            {
                range.hi = hi;
            }
            _ => segments.push((PortRange { lo, hi }, direction, rules)),
        }
    }
    segments
        .into_iter()
        .map(|(ports, direction, rules)| {
            let cites = |side: usize, effect: usize| -> Vec<RuleCite> {
                let p = policies.get(side).copied().unwrap_or(old);
                rules
                    .get(side)
                    .and_then(|r| r.get(effect))
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|&i| p.net.get(i).map(|r| (i, r)))
                            .map(|(i, r)| cite(i, r.effect, net_rule_text(r), &r.origins))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (o, n) = sides(
                direction,
                &cites(0, 0),
                &cites(0, 1),
                &cites(1, 0),
                &cites(1, 1),
            );
            Change::Net(NetChange {
                direction,
                op,
                proto,
                family: version,
                ports,
                old: o,
                new: n,
            })
        })
        .collect()
}

/// Capability changes, by name.
pub(super) fn capability_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    // name → rule indices of each side.
    let mut groups: BTreeMap<&str, [Vec<usize>; 2]> = BTreeMap::new();
    for (side, p) in [old, new].into_iter().enumerate() {
        for (i, r) in p.capabilities.iter().enumerate() {
            if let Some(v) = groups.entry(&r.capability).or_default().get_mut(side) {
                v.push(i);
            }
        }
    }
    let rules = |p: &Policy, ids: &[usize], effect: Effect| -> Vec<RuleCite> {
        ids.iter()
            .filter_map(|&i| p.capabilities.get(i).map(|r| (i, r)))
            .filter(|(_, r)| r.effect == effect)
            .map(|(i, r)| cite(i, effect, cap_rule_text(r), &r.origins))
            .collect()
    };
    let mut out = Vec::new();
    for (name, [oi, ni]) in groups {
        let (oa, od) = (
            rules(old, &oi, Effect::Allow),
            rules(old, &oi, Effect::Deny),
        );
        let (na, nd) = (
            rules(new, &ni, Effect::Allow),
            rules(new, &ni, Effect::Deny),
        );
        if let Some(direction) = changed(allowed(&oa, &od), allowed(&na, &nd)) {
            let (o, n) = sides(direction, &oa, &od, &na, &nd);
            out.push(Change::Capability(CapabilityChange {
                direction,
                capability: name.to_string(),
                old: o,
                new: n,
            }));
        }
    }
    out
}

/// Signal changes, per direction and peer: every signal some rule names is decided on
/// its own, and all the others together (only rules without a signal list match them).
pub(super) fn signal_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    // (direction, peer, side, rule index), grouped by sorting: no map of groups, and no
    // allocation for an unchanged peer (large policies have about one peer per rule).
    let mut keyed: Vec<Keyed<'_>> = Vec::with_capacity(old.signals.len() + new.signals.len());
    for (side, p) in [old, new].into_iter().enumerate() {
        keyed.extend(
            p.signals
                .iter()
                .enumerate()
                .map(|(i, r)| (r.direction, &r.peer, side, i)),
        );
    }
    keyed.sort_unstable();
    let mut out = Vec::new();
    for group in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let Some(&(dir, peer, ..)) = group.first() else {
            continue;
        };
        let split = group.partition_point(|k| k.2 == 0);
        let (o, n) = group.split_at_checked(split).unwrap_or((group, &[]));
        if same_signal_rules(old, o, new, n) {
            continue;
        }
        let ids = |ks: &[Keyed<'_>]| ks.iter().map(|k| k.3).collect::<Vec<usize>>();
        out.extend(signal_group_changes(old, &ids(o), new, &ids(n), dir, peer));
    }
    out
}

/// A signal rule of one side: (direction, peer, side, index in the side's list).
type Keyed<'p> = (SignalDir, &'p Peer, usize, usize);

/// True when two groups of signal rules hold the same rules (effect and signals), so
/// nothing changed for their direction and peer.
fn same_signal_rules(old: &Policy, o: &[Keyed<'_>], new: &Policy, n: &[Keyed<'_>]) -> bool {
    fn shapes<'p>(p: &'p Policy, ks: &[Keyed<'_>]) -> Vec<(bool, &'p BTreeSet<String>)> {
        let mut v: Vec<(bool, &BTreeSet<String>)> = ks.iter().filter_map(|k| rule(p, k)).collect();
        v.sort();
        v.dedup();
        v
    }
    fn rule<'p>(p: &'p Policy, k: &Keyed<'_>) -> Option<(bool, &'p BTreeSet<String>)> {
        p.signals
            .get(k.3)
            .map(|r| (r.effect == Effect::Deny, &r.signals))
    }
    if let ([a], [b]) = (o, n) {
        // One rule on each side, the common case, compared without allocating.
        return rule(old, a) == rule(new, b);
    }
    shapes(old, o) == shapes(new, n)
}

fn signal_group_changes(
    old: &Policy,
    oi: &[usize],
    new: &Policy,
    ni: &[usize],
    dir: SignalDir,
    peer: &Peer,
) -> Vec<Change> {
    let named: BTreeSet<&str> = oi
        .iter()
        .filter_map(|&i| old.signals.get(i))
        .chain(ni.iter().filter_map(|&i| new.signals.get(i)))
        .flat_map(|r| r.signals.iter().map(String::as_str))
        .collect();
    let rules = |p: &Policy, ids: &[usize], sig: Option<&str>, effect: Effect| {
        ids.iter()
            .filter_map(|&i| p.signals.get(i).map(|r| (i, r)))
            .filter(|(_, r)| {
                r.effect == effect
                    && (r.signals.is_empty() || sig.is_some_and(|s| r.signals.contains(s)))
            })
            .map(|(i, r)| cite(i, effect, signal_rule_text(r), &r.origins))
            .collect::<Vec<_>>()
    };
    // (direction, old rule ids, new rule ids) → signals (`None`: all unnamed ones).
    type Group = (Direction, Vec<usize>, Vec<usize>);
    let mut groups: BTreeMap<Group, (Vec<Option<&str>>, Side, Side)> = BTreeMap::new();
    let candidates = named.iter().map(|s| Some(*s)).chain(std::iter::once(None));
    for sig in candidates {
        let (oa, od) = (
            rules(old, oi, sig, Effect::Allow),
            rules(old, oi, sig, Effect::Deny),
        );
        let (na, nd) = (
            rules(new, ni, sig, Effect::Allow),
            rules(new, ni, sig, Effect::Deny),
        );
        let Some(direction) = changed(allowed(&oa, &od), allowed(&na, &nd)) else {
            continue;
        };
        let (o, n) = sides(direction, &oa, &od, &na, &nd);
        let ids = |s: &Side| s.rules.iter().map(|r| r.index).collect::<Vec<_>>();
        let key = (direction, ids(&o), ids(&n));
        groups
            .entry(key)
            .or_insert_with(|| (Vec::new(), o, n))
            .0
            .push(sig);
    }
    let mut out = Vec::new();
    for ((direction, ..), (sigs, o, n)) in groups {
        let listed: BTreeSet<String> = sigs.iter().flatten().map(|s| s.to_string()).collect();
        let signals = if sigs.contains(&None) {
            SignalSet::AllExcept(
                named
                    .iter()
                    .filter(|s| !listed.contains(**s))
                    .map(|s| s.to_string())
                    .collect(),
            )
        } else {
            SignalSet::Only(listed)
        };
        out.push(Change::Signal(SignalChange {
            direction,
            signal_direction: dir,
            peer: peer.clone(),
            signals,
            old: o,
            new: n,
        }));
    }
    out
}

/// Owned paths: each glob one side owns, minus every glob the other side owns.
pub(super) fn owns_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut out = owns_one_way(old, new, Direction::Broadened);
    out.extend(owns_one_way(new, old, Direction::Narrowed));
    out
}

fn owns_one_way(other: &Policy, gains: &Policy, direction: Direction) -> Vec<Change> {
    let queries: Vec<Key<'_>> = gains
        .owns
        .iter()
        .map(|o| Key::of(o.glob.as_str()))
        .collect();
    let near = neighbours(
        &queries,
        other.owns.iter().map(|o| Key::of(o.glob.as_str())),
    );
    let mut out = Vec::new();
    for (owned, near) in gains.owns.iter().zip(near) {
        if other.owns.iter().any(|o| o.glob == owned.glob) {
            continue;
        }
        let except: Vec<&Glob> = near
            .into_iter()
            .filter_map(|i| other.owns.get(i).map(|o| &o.glob))
            .filter(|g| intersects(g, &owned.glob))
            .collect();
        let witness = match region(&[&owned.glob], &except) {
            Emptiness::Empty => continue,
            Emptiness::Witness(w) => Some(w),
            Emptiness::Unknown => None,
        };
        out.push(Change::Owns(OwnsChange {
            direction,
            paths: PathSet {
                within: vec![owned.glob.clone()],
                except: except.into_iter().cloned().collect(),
            },
            witness,
            origins: owned.origins.clone(),
        }));
    }
    out
}
