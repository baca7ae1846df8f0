//! Unix sockets, network families beyond inet, ptrace and D-Bus: compared request by
//! request.
//!
//! Each of these kinds has a small request space once its values are split where some
//! rule of either policy splits them: the operations, socket types, families and
//! accesses are few; the peers and addresses that matter are those the rules name, plus
//! one that no rule names (it stands for all the others); the paths of unix sockets are
//! split by the cells of the rules' globs (a witness path of every set of globs that
//! holds some path no other glob holds); so are D-Bus object paths, and D-Bus names
//! (interfaces, members, bus names) by the cells of the rules' name globs, with one name
//! no glob holds (a valid D-Bus name where the cell holds one). D-Bus messages are split
//! one field at a time among the rules still matching (see [`dbus_requests`]), within a
//! budget past which the diff says the comparison is not complete. Every request of that
//! space is decided by the
//! evaluator on both sides, and the requests decided differently are grouped by the
//! rules responsible, so the diff is exact for these kinds as for the others.

use super::region::{region, Emptiness};
use super::{Change, Decided, Direction, RuleCite, Side};
use crate::eval::{
    evaluate, DbusRequest, Decision, Request, RequestPeer, RuleKind, UnixRequestAddr,
};
use crate::fidelity::RuleListKind;
use crate::glob::is_valid_path;
use crate::glob::Glob;
use crate::ir::dbus::{name_glob, name_matches};
use crate::ir::ptrace::{ptrace_rule_text, PtraceAccess, PtraceDir};
use crate::ir::unix::UnixRule;
use crate::ir::{
    DbusOp, DbusRule, FamilySockType, IpFamily, NetFamily, Peer, Policy, PolicyName, UnixAddr,
    UnixOp, UnixPeer, UnixType,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Requests of one kind that OLD and NEW decide differently, for the same rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestChange {
    /// Broadened (NEW allows them) or narrowed.
    pub direction: Direction,
    /// Unix sockets, network families or ptrace.
    pub list: RuleListKind,
    /// The requests, in words (`unix send stream abstract @app peer org.example.db`).
    pub requests: Vec<String>,
    /// How OLD decided them.
    pub old: Side,
    /// How NEW decides them.
    pub new: Side,
}

/// The changes of the unix, network-family and ptrace rules.
pub(super) fn request_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    request_changes_within(old, new, MAX_DBUS_REQUESTS)
}

/// [`request_changes`] deciding at most `budget` D-Bus message requests.
fn request_changes_within(old: &Policy, new: &Policy, budget: usize) -> Vec<Change> {
    let (space, notes) = requests(old, new, budget);
    // (direction, list, old rules, new rules) → requests.
    type Key = (Direction, RuleListKind, Vec<usize>, Vec<usize>);
    let mut groups: BTreeMap<Key, (Vec<String>, Side, Side)> = BTreeMap::new();
    for (list, req) in space {
        let (o, n) = (evaluate(old, &req), evaluate(new, &req));
        if o.allowed == n.allowed {
            continue;
        }
        let direction = if n.allowed {
            Direction::Broadened
        } else {
            Direction::Narrowed
        };
        let ids = |d: &Decision| d.deciding.iter().map(|r| r.index).collect::<Vec<_>>();
        let entry = groups
            .entry((direction, list, ids(&o), ids(&n)))
            .or_insert_with(|| (Vec::new(), side(old, &o), side(new, &n)));
        entry.0.push(req.describe());
    }
    let mut changes: Vec<Change> = groups
        .into_iter()
        .map(|((direction, list, ..), (requests, old, new))| {
            Change::Request(RequestChange {
                direction,
                list,
                requests,
                old,
                new,
            })
        })
        .collect();
    for (list, why) in notes {
        // Never a silent "no difference": what was not decided is said to be undecided.
        let undecided = || Side {
            decision: Decided::Undecided,
            rules: Vec::new(),
        };
        changes.push(Change::Request(RequestChange {
            direction: Direction::Changed,
            list,
            requests: vec![why.to_string()],
            old: undecided(),
            new: undecided(),
        }));
    }
    changes
}

/// One side's decision with the rules behind it.
fn side(p: &Policy, d: &Decision) -> Side {
    let decision = match (d.allowed, d.deciding.is_empty()) {
        (true, _) => Decided::Allowed,
        (false, true) => Decided::NoAllow,
        (false, false) => Decided::Denied,
    };
    let rules = d
        .deciding
        .iter()
        .filter_map(|r| {
            let text = match r.kind {
                RuleKind::Unix => p.unix.get(r.index).map(|x| x.text()),
                RuleKind::NetFamily => p.net_families.get(r.index).map(|x| x.text()),
                RuleKind::Ptrace => p.ptrace.get(r.index).map(ptrace_rule_text),
                RuleKind::Dbus => p.dbus.get(r.index).map(|x| x.text()),
                _ => None,
            }?;
            Some(RuleCite {
                index: r.index,
                effect: r.effect,
                rule: text,
                origins: r.origins.clone(),
            })
        })
        .collect();
    Side { decision, rules }
}

/// Every request of these kinds worth deciding, with its list; `false` when the D-Bus
/// requests were cut at [`MAX_DBUS_REQUESTS`].
fn requests(old: &Policy, new: &Policy, budget: usize) -> (Vec<(RuleListKind, Request)>, Notes) {
    let both = [old, new];
    let mut out = Vec::new();
    let mut notes: Notes = Vec::new();
    if both.iter().any(|p| !p.ptrace.is_empty()) {
        let mut peers = peer_names(
            old,
            new,
            both.iter()
                .flat_map(|p| p.ptrace.iter())
                .filter_map(|r| match &r.peer {
                    Peer::Policy(n) => Some(n),
                    Peer::Any | Peer::Unconfined => None,
                }),
        );
        peers.insert("unconfined".to_string());
        for direction in [PtraceDir::To, PtraceDir::From] {
            for access in PtraceAccess::ALL {
                for peer in &peers {
                    out.push((
                        RuleListKind::Ptrace,
                        Request::Ptrace {
                            direction,
                            access,
                            peer: peer.clone(),
                        },
                    ));
                }
            }
        }
    }
    if both.iter().any(|p| !p.net_families.is_empty()) {
        for family in NetFamily::ALL {
            // Every protocol of the family, and a socket that names none.
            let protocols = family
                .protocols()
                .iter()
                .map(|(name, _)| Some((*name).to_string()))
                .chain([None]);
            // A socket is of one IP version (raw) or one type (netlink, packet).
            let ips: Vec<Option<IpFamily>> = match family {
                NetFamily::Raw => IpFamily::BOTH.map(Some).to_vec(),
                _ => vec![None],
            };
            let types: Vec<Option<FamilySockType>> = match family {
                NetFamily::Raw => vec![None],
                _ => FamilySockType::ALL.map(Some).to_vec(),
            };
            for protocol in protocols {
                for ip in &ips {
                    for sock_type in &types {
                        out.push((
                            RuleListKind::NetFamily,
                            Request::NetFamily {
                                family,
                                ip: *ip,
                                protocol: protocol.clone(),
                                sock_type: *sock_type,
                            },
                        ));
                    }
                }
            }
        }
    }
    if both.iter().any(|p| !p.unix.is_empty()) {
        let rules = || both.iter().flat_map(|p| p.unix.iter());
        let named = rules().filter_map(|r| match &r.peer {
            UnixPeer::Policy(n) => Some(n),
            UnixPeer::Any | UnixPeer::Unconfined => None,
        });
        let peers: Vec<RequestPeer> = peer_names(old, new, named)
            .into_iter()
            .map(RequestPeer::Policy)
            .chain([RequestPeer::Unconfined])
            .collect();
        let (addrs, exact) = unix_addrs(rules());
        if !exact {
            notes.push((RuleListKind::Unix, GLOBS_INCOMPLETE));
        }
        for op in UnixOp::ALL {
            for sock_type in UnixType::ALL {
                for addr in &addrs {
                    for peer in &peers {
                        out.push((
                            RuleListKind::Unix,
                            Request::Unix {
                                op,
                                sock_type,
                                addr: addr.clone(),
                                peer: peer.clone(),
                            },
                        ));
                    }
                }
            }
        }
    }
    if both.iter().any(|p| !p.dbus.is_empty()) {
        let (dbus, incomplete) = dbus_requests(old, new, budget);
        out.extend(
            dbus.into_iter()
                .map(|r| (RuleListKind::Dbus, Request::Dbus(r))),
        );
        notes.extend(incomplete.map(|why| (RuleListKind::Dbus, why)));
    }
    (out, notes)
}

/// Why a comparison is not complete, per list: the text of the undecided change it gets.
type Notes = Vec<(RuleListKind, &'static str)>;

/// The request that stands for the requests a comparison could not split exactly: one
/// field's globs overlap too much to split within [`MAX_CELL_SEARCHES`] (or a glob search
/// went past its bound), so a difference only where some of them overlap could be missed.
const GLOBS_INCOMPLETE: &str =
    "<comparison not complete: one field's globs overlap too much to split exactly>";

/// The most D-Bus message requests one comparison decides (each on both sides): the
/// split below needs far fewer for real policies; past it the comparison stops and
/// says so (see [`DBUS_INCOMPLETE`]).
const MAX_DBUS_REQUESTS: usize = 200_000;

/// The request that stands, in a D-Bus change, for the requests left undecided when a
/// comparison reached [`MAX_DBUS_REQUESTS`].
const DBUS_INCOMPLETE: &str =
    "<D-Bus comparison not complete: more requests than the diff decides>";

/// One field of a D-Bus message split into cells: a witness of every cell, and whether a
/// rule of the policy named by the second argument matches it (as the evaluator does).
struct DbusField {
    values: Vec<Option<String>>,
    matches: fn(&DbusRule, &str, Option<&str>) -> bool,
}

/// A rule of either policy, with that policy's name (what `peer self` means).
type LiveRule<'a> = (&'a DbusRule, &'a str);

/// The D-Bus requests worth deciding: every operation on each bus a rule names and one
/// it does not; for messages, an object path of every cell of the rules' path globs and
/// one outside them, likewise for interfaces (and a message without one), members and
/// the peer's names, and the peers as for the other process-to-process kinds. Witness
/// names are valid D-Bus names where the cell holds one.
///
/// The product of those fields is split one field at a time (the peer too): two values of a field that
/// the same rules (of those still matching) match lead to the same decisions, so one of
/// them stands for both. A field no rule constrains differently is one cell, and rules
/// that never meet are never combined. With the requests, why they are not complete:
/// more than `budget` message requests were needed (the requests so far are returned),
/// or a field's globs could not be split exactly.
fn dbus_requests(
    old: &Policy,
    new: &Policy,
    budget: usize,
) -> (Vec<DbusRequest>, Option<&'static str>) {
    let rules: Vec<&DbusRule> = old.dbus.iter().chain(&new.dbus).collect();
    let mut buses: BTreeSet<String> = rules.iter().filter_map(|r| r.bus.clone()).collect();
    if let Some(other) = ["session", "system", "<any other bus>"]
        .into_iter()
        .find(|b| !buses.contains(*b))
    {
        buses.insert(other.to_string());
    }
    let (paths, paths_exact) = glob_cells(&distinct(rules.iter().filter_map(|r| r.path.as_ref())));
    let exact = std::cell::Cell::new(paths_exact);
    let paths: Vec<Option<String>> = paths.into_iter().map(Some).collect();
    let names = |field: fn(&DbusRule) -> Option<&String>, grammar: NameGrammar, other: &str| {
        let globs: Vec<Glob> = rules
            .iter()
            .filter_map(|r| field(r))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|p| name_glob(p))
            .collect();
        let (cells, cells_exact) = name_cells(&globs.iter().collect::<Vec<_>>(), grammar);
        exact.set(exact.get() && cells_exact);
        let mut out: BTreeSet<String> = cells
            .into_iter()
            .filter_map(|w| w.strip_prefix('/').map(str::to_string))
            .filter(|w| !w.is_empty() && !w.contains('/'))
            .collect();
        out.insert(other.to_string());
        out
    };
    let interfaces: Vec<Option<String>> = names(
        |r| r.interface.as_ref(),
        NameGrammar::Interface,
        "<any other interface>",
    )
    .into_iter()
    .map(Some)
    .chain([None])
    .collect();
    let members = names(
        |r| r.member.as_ref(),
        NameGrammar::Member,
        "<any other member>",
    );
    let bus_names = names(
        |r| r.name.as_ref(),
        NameGrammar::BusName,
        "<any other name>",
    );
    let named = rules.iter().filter_map(|r| r.peer.policy());
    // A message always has a peer: `None` stands for an unconfined one.
    let peers: Vec<Option<String>> = peer_names(old, new, named)
        .into_iter()
        .map(Some)
        .chain([None])
        .collect();
    fn name_field(pat: &Option<String>, v: Option<&str>) -> bool {
        match (pat, v) {
            (None, _) => true,
            (Some(p), Some(v)) => name_matches(p, v),
            (Some(_), None) => false,
        }
    }
    let fields = [
        DbusField {
            values: paths,
            matches: |r, _, v| match (&r.path, v) {
                (None, _) => true,
                (Some(g), Some(p)) => is_valid_path(p) && g.matches(p),
                (Some(_), None) => false,
            },
        },
        DbusField {
            values: interfaces,
            matches: |r, _, v| name_field(&r.interface, v),
        },
        DbusField {
            values: members.into_iter().map(Some).collect(),
            matches: |r, _, v| name_field(&r.member, v),
        },
        DbusField {
            values: bus_names.iter().cloned().map(Some).collect(),
            matches: |r, _, v| name_field(&r.name, v),
        },
        DbusField {
            values: peers,
            matches: |r, me, v| match v {
                None => r.peer.covers(crate::ir::peer::UNCONFINED),
                Some(p) => r.peer.covers(if p == "self" { me } else { p }),
            },
        },
    ];
    let mut out = Vec::new();
    for bus in &buses {
        for name in &bus_names {
            out.push(DbusRequest::bind(bus, name));
        }
    }
    let mut budget = budget;
    for bus in &buses {
        for op in [DbusOp::Send, DbusOp::Receive] {
            let live: Vec<LiveRule> = [old, new]
                .into_iter()
                .flat_map(|p| p.dbus.iter().map(|r| (r, p.name.as_str())))
                .filter(|(r, _)| r.ops.contains(&op) && r.bus.as_ref().is_none_or(|b| b == bus))
                .collect();
            let mut cells = Vec::new();
            if !split(&fields, &live, &mut Vec::new(), &mut cells, &mut budget) {
                return (out, Some(DBUS_INCOMPLETE));
            }
            for cell in cells {
                let [Some(path), interface, Some(member), Some(name), peer] = &cell[..] else {
                    continue;
                };
                let peer = match peer {
                    Some(p) => RequestPeer::Policy(p.clone()),
                    None => RequestPeer::Unconfined,
                };
                out.push(DbusRequest::message(
                    op,
                    bus,
                    path,
                    interface.as_deref(),
                    member,
                    Some(name),
                    peer,
                ));
            }
        }
    }
    (out, (!exact.get()).then_some(GLOBS_INCOMPLETE))
}

/// The cells of the product of `fields` for the rules `live`: one value of each field
/// per set of rules that match it, recursively. `false` when `budget` ran out.
fn split(
    fields: &[DbusField],
    live: &[LiveRule],
    chosen: &mut Vec<Option<String>>,
    out: &mut Vec<Vec<Option<String>>>,
    budget: &mut usize,
) -> bool {
    let Some((field, rest)) = fields.split_first() else {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        out.push(chosen.clone());
        return true;
    };
    let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
    for v in &field.values {
        let (keep, next): (Vec<usize>, Vec<LiveRule>) = live
            .iter()
            .enumerate()
            .filter(|(_, (r, me))| (field.matches)(r, me, v.as_deref()))
            .unzip();
        if !seen.insert(keep) {
            continue;
        }
        chosen.push(v.clone());
        let done = split(rest, &next, chosen, out, budget);
        chosen.pop();
        if !done {
            return false;
        }
    }
    true
}

/// The grammars of D-Bus names a witness should follow.
#[derive(Clone, Copy)]
enum NameGrammar {
    Interface,
    Member,
    BusName,
}

impl NameGrammar {
    /// Globs (over one path component, as [`name_glob`]) every valid name is in, and
    /// globs no valid name is in: well-known bus names only.
    fn bounds(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            NameGrammar::Member => (&["/[a-zA-Z_]*"], &["/*[^a-zA-Z0-9_]*"]),
            NameGrammar::Interface => (
                &["/[a-zA-Z_]*", "/*.*", "/*[a-zA-Z0-9_]"],
                &["/*[^a-zA-Z0-9_.]*", "/*..*", "/*.[0-9]*"],
            ),
            NameGrammar::BusName => (
                &["/[a-zA-Z_-]*", "/*.*", "/*[a-zA-Z0-9_-]"],
                &["/*[^a-zA-Z0-9_.-]*", "/*..*", "/*.[0-9]*"],
            ),
        }
    }
}

/// A name of every cell of the name globs, as [`glob_cells`], valid in the grammar
/// where the cell holds a valid name (else the cell's shortest name).
fn name_cells(globs: &[&Glob], grammar: NameGrammar) -> (BTreeSet<String>, bool) {
    let parse =
        |gs: &[&str]| -> Vec<Glob> { gs.iter().filter_map(|g| Glob::parse(g).ok()).collect() };
    let (within, except) = grammar.bounds();
    let (within, except) = (parse(within), parse(except));
    cells(globs, |inside, outside| {
        let mut i: Vec<&Glob> = inside.to_vec();
        i.extend(within.iter());
        let mut o: Vec<&Glob> = outside.to_vec();
        o.extend(except.iter());
        match region(&i, &o) {
            Emptiness::Witness(w) => Emptiness::Witness(w),
            _ => region(inside, outside),
        }
    })
}

/// The globs once each (by text).
fn distinct<'a>(globs: impl Iterator<Item = &'a Glob>) -> Vec<&'a Glob> {
    let mut out: Vec<&Glob> = Vec::new();
    for g in globs {
        if !out.iter().any(|x| x.as_str() == g.as_str()) {
            out.push(g);
        }
    }
    out
}

/// The peers worth asking about, by name: those the rules name, both policies' own names
/// (`self`), and [`OTHER_PEER`] for every other policy.
fn peer_names<'a>(
    old: &Policy,
    new: &Policy,
    named: impl Iterator<Item = &'a PolicyName>,
) -> BTreeSet<String> {
    named
        .map(ToString::to_string)
        .chain([
            old.name.to_string(),
            new.name.to_string(),
            OTHER_PEER.to_string(),
        ])
        .collect()
}

/// The peer that stands for every policy no rule names: not a valid policy name, so no
/// rule names it, and it reads as what it means in the diff.
const OTHER_PEER: &str = "<any other policy>";

/// The abstract socket name that stands for every name no rule names.
const OTHER_ABSTRACT: &str = "@<any other name>";

/// The addresses worth deciding: anonymous; each abstract name a rule names and one it
/// does not; a path of every cell of the rules' path globs, and one outside them all.
fn unix_addrs<'a>(rules: impl Iterator<Item = &'a UnixRule>) -> (Vec<UnixRequestAddr>, bool) {
    let mut abstracts: BTreeSet<String> = BTreeSet::new();
    let mut globs: Vec<&Glob> = Vec::new();
    for r in rules {
        match &r.addr {
            UnixAddr::Abstract { name: Some(n) } => {
                abstracts.insert(n.clone());
            }
            UnixAddr::Path { glob } if !globs.iter().any(|g| g.as_str() == glob.as_str()) => {
                globs.push(glob);
            }
            _ => {}
        }
    }
    let mut out = vec![UnixRequestAddr::Anonymous];
    // A name no rule names (a rule could name the usual one: then it gets a number).
    let other = (0..)
        .map(|i| match i {
            0 => OTHER_ABSTRACT.to_string(),
            i => format!("{OTHER_ABSTRACT}{i}"),
        })
        .find(|n| !abstracts.contains(n))
        .unwrap_or_default();
    out.extend(
        abstracts
            .into_iter()
            .chain([other])
            .map(UnixRequestAddr::Abstract),
    );
    let (paths, exact) = glob_cells(&globs);
    out.extend(paths.into_iter().map(UnixRequestAddr::Path));
    (out, exact)
}

/// A path of every cell of the globs (every set of globs whose paths no other glob
/// holds, the empty set included: a path outside them all). The flag says the cells are
/// exact, every cell with its path: not so when a search went past its bound, or past
/// [`MAX_CELL_SEARCHES`] (then each glob gives a path of its own and one is outside them
/// all, which may miss a cell where globs overlap).
fn glob_cells(globs: &[&Glob]) -> (BTreeSet<String>, bool) {
    cells(globs, region)
}

/// The most cells one field's globs are split into, and the most region searches the
/// split may take. The split adds the globs one at a time and keeps only the cells that
/// hold a path, within each group of globs that overlap (globs of different groups share
/// no path, so a cell's path needs to avoid only its own group): globs that seldom
/// overlap (distinct names, paths in different directories) need a search per pair and
/// a few per glob.
const MAX_CELLS: usize = 64;
const MAX_CELL_SEARCHES: usize = 1024;
/// The most pairs of globs whose overlap is searched (a pair whose literal heads differ
/// is decided without a search).
const MAX_PAIR_SEARCHES: usize = 20_000;

/// [`glob_cells`] with the witness of `inside` minus `outside` found by `witness`.
fn cells(
    globs: &[&Glob],
    witness: impl Fn(&[&Glob], &[&Glob]) -> Emptiness,
) -> (BTreeSet<String>, bool) {
    type Cell<'g> = (Vec<&'g Glob>, Vec<&'g Glob>);
    let mut exact = true;
    let (mut searches, mut pairs) = (0usize, 0usize);
    // Groups of overlapping globs (union-find over the pairs that share a path).
    let mut group: Vec<usize> = (0..globs.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while let Some(&up) = group.get(i).filter(|&&up| up != i) {
            i = up;
        }
        i
    }
    // Every path of a glob starts with its text before the first wildcard or brace:
    // when neither such head starts the other, two globs share no path.
    let heads: Vec<(&str, bool)> = globs
        .iter()
        .map(|g| (super::index::literal_prefix(g.as_str()), g.is_literal()))
        .collect();
    for (a, (ga, (ha, la))) in globs.iter().zip(&heads).enumerate() {
        if !exact {
            break;
        }
        for (b, (gb, (hb, lb))) in globs.iter().zip(&heads).enumerate().skip(a + 1) {
            let disjoint = (*la && *lb && ha != hb) || !(ha.starts_with(hb) || hb.starts_with(ha));
            if disjoint {
                continue;
            }
            let (ra, rb) = (root(&mut group, a), root(&mut group, b));
            if ra == rb {
                continue;
            }
            pairs += 1;
            if pairs > MAX_PAIR_SEARCHES {
                exact = false;
                break;
            }
            if !matches!(witness(&[*ga, *gb], &[]), Emptiness::Empty) {
                if let Some(up) = group.get_mut(rb) {
                    *up = ra;
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Glob>> = BTreeMap::new();
    for (i, g) in globs.iter().enumerate() {
        groups.entry(root(&mut group, i)).or_default().push(*g);
    }
    // The cell outside every glob, then the cells of each group.
    let mut live: Vec<Cell> = vec![(Vec::new(), globs.to_vec())];
    for members in groups.values() {
        let mut cells: Vec<Cell> = vec![(Vec::new(), Vec::new())];
        for g in members {
            let mut next: Vec<Cell> = Vec::new();
            for (inside, outside) in &cells {
                let mut with = inside.clone();
                with.push(*g);
                let mut without = outside.clone();
                without.push(*g);
                for (i, o) in [(with, outside.clone()), (inside.clone(), without)] {
                    searches += 1;
                    match witness(&i, &o) {
                        Emptiness::Empty => {}
                        Emptiness::Witness(_) => next.push((i, o)),
                        // Kept: its path is looked for again at the end.
                        Emptiness::Unknown => next.push((i, o)),
                    }
                }
            }
            cells = next;
            if cells.len() > MAX_CELLS || searches > MAX_CELL_SEARCHES {
                exact = false;
                break;
            }
        }
        // The group's empty cell is the one outside every glob, already there.
        live.extend(cells.into_iter().filter(|(i, _)| !i.is_empty()));
        if !exact {
            break;
        }
    }
    let found: Vec<Emptiness> = if exact {
        live.iter().map(|(i, o)| witness(i, o)).collect()
    } else {
        let mut each: Vec<Emptiness> = globs.iter().map(|g| witness(&[*g], &[])).collect();
        each.push(witness(&[], globs));
        each
    };
    let mut paths: BTreeSet<String> = BTreeSet::new();
    for e in found {
        match e {
            Emptiness::Witness(w) => {
                paths.insert(w);
            }
            Emptiness::Empty => {}
            Emptiness::Unknown => exact = false,
        }
    }
    (paths, exact)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn loaded(text: &str) -> Policy {
        crate::load(
            &crate::Source::new("p.pol", text),
            &crate::LoadOptions::default(),
        )
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy
    }

    /// A policy of `n` D-Bus rules, each with its own path, interface, member and name,
    /// and rules on one field each (`fields`), beside a rule on every message and a deny.
    fn many(n: usize, fields: bool, extra: &str) -> Policy {
        let mut text = String::from("policy org.example.app {\n    allow dbus send, receive\n");
        text.push_str("    deny dbus send member \"Kill*\"\n");
        for i in 0..n {
            text.push_str(&format!(
                "    allow dbus send, receive bus system path \"/org/a{i}/**\" \
                 interface \"org.i{i}.*\" member \"M{i}*\" name \"org.n{i}\" peer org.p{i}\n"
            ));
            if fields {
                text.push_str(&format!("    deny dbus send path \"/org/d{i}\"\n"));
                text.push_str(&format!("    deny dbus send interface \"org.d{i}.I\"\n"));
                text.push_str(&format!("    deny dbus send member \"D{i}\"\n"));
                text.push_str(&format!("    deny dbus send name \"org.d{i}.N\"\n"));
            }
        }
        text.push_str(extra);
        text.push_str("}\n");
        loaded(&text)
    }

    /// What splitting every field independently would decide (the product of the cells).
    fn product(old: &Policy, new: &Policy) -> usize {
        let (requests, complete) = dbus_requests(old, new, usize::MAX);
        assert_eq!(complete, None);
        let distinct = |f: fn(&DbusRequest) -> Option<String>| {
            requests
                .iter()
                .filter(|r| r.op != DbusOp::Bind)
                .map(f)
                .collect::<BTreeSet<_>>()
                .len()
        };
        distinct(|r| Some(r.bus.clone()))
            * 2
            * distinct(|r| r.path.clone())
            * distinct(|r| r.interface.clone())
            * distinct(|r| r.member.clone())
            * distinct(|r| r.name.clone())
            * distinct(|r| r.peer.as_ref().map(|p| format!("{p:?}")))
    }

    #[test]
    fn many_rules_split_into_few_requests() {
        let old = many(40, false, "");
        let new = many(
            40,
            false,
            "    deny dbus receive member \"M7x\" peer org.p8\n",
        );
        let (requests, complete) = dbus_requests(&old, &new, MAX_DBUS_REQUESTS);
        assert_eq!(complete, None);
        // The product of the fields' cells is millions; the rules meet in few of them.
        assert!(product(&old, &new) > 10_000_000, "{}", product(&old, &new));
        assert!(requests.len() < 2_000, "{}", requests.len());
        // The change is still found.
        let changes = request_changes(&old, &new);
        assert!(!changes.is_empty());
        assert!(changes.iter().all(|c| match c {
            Change::Request(r) =>
                r.direction == Direction::Narrowed
                    && r.requests.iter().all(|q| q.contains("member \"M7x\"")),
            _ => false,
        }));
    }

    #[test]
    fn a_comparison_past_the_budget_says_it_is_not_complete() {
        let old = many(4, true, "");
        let new = many(4, true, "");
        let (requests, complete) = dbus_requests(&old, &new, usize::MAX);
        assert_eq!(complete, None);
        let (_, cut) = dbus_requests(&old, &new, requests.len() / 2);
        assert_eq!(cut, Some(DBUS_INCOMPLETE));
        // Equal policies, but what was not decided is not reported as "no difference".
        assert!(request_changes_within(&old, &new, requests.len()).is_empty());
        let changes = request_changes_within(&old, &new, requests.len() / 2);
        assert!(
            matches!(&changes[..], [Change::Request(r)] if r.requests == [DBUS_INCOMPLETE]
                && r.direction == Direction::Changed
                && r.old.decision == Decided::Undecided
                && r.new.decision == Decided::Undecided),
            "{changes:?}"
        );
    }

    /// Globs that seldom overlap split exactly however many there are (past 8 they used to
    /// get one path each, which could miss where two overlap); globs that all overlap each
    /// other have 2ⁿ cells: past the search budget the split says it is not exact, and the
    /// diff reports the comparison as not complete instead of "no difference".
    #[test]
    fn many_globs_split_exactly_or_say_they_could_not() {
        let globs: Vec<Glob> = (0..30)
            .map(|i| Glob::parse(&format!("/run/app{i}/*.sock")).unwrap())
            .chain([Glob::parse("/run/app1*/**").unwrap()])
            .collect();
        let (paths, exact) = glob_cells(&globs.iter().collect::<Vec<_>>());
        assert!(exact);
        // Each glob alone, `/run/app1N/x.sock` in both its own glob and the wide one,
        // and a path outside them all.
        assert!(paths.len() > 31, "{paths:?}");
        assert!(paths
            .iter()
            .any(|p| p.starts_with("/run/app1") && !p.ends_with(".sock")));

        let letters = "abcdefg";
        let overlapping: Vec<Glob> = letters
            .chars()
            .map(|c| Glob::parse(&format!("/x/*{c}*")).unwrap())
            .collect();
        let (_, exact) = glob_cells(&overlapping.iter().collect::<Vec<_>>());
        assert!(!exact);
        let rules: String = letters
            .chars()
            .map(|c| format!("    allow unix connect stream path \"/x/*{c}*\"\n"))
            .collect();
        let p = loaded(&format!("policy org.example.app {{\n{rules}}}\n"));
        let changes = request_changes(&p, &p);
        assert!(
            matches!(&changes[..], [Change::Request(r)] if r.requests == [GLOBS_INCOMPLETE]
                && r.list == RuleListKind::Unix
                && r.old.decision == Decided::Undecided),
            "{changes:?}"
        );
    }
}
