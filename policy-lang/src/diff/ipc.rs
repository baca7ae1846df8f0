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
//! no glob holds. Every request of that space is decided by the
//! evaluator on both sides, and the requests decided differently are grouped by the
//! rules responsible, so the diff is exact for these kinds as for the others.

use super::region::{region, Emptiness};
use super::{Change, Decided, Direction, RuleCite, Side};
use crate::eval::{
    evaluate, DbusRequest, Decision, Request, RequestPeer, RuleKind, UnixRequestAddr,
};
use crate::fidelity::RuleListKind;
use crate::glob::Glob;
use crate::ir::dbus::name_glob;
use crate::ir::ptrace::{ptrace_rule_text, PtraceAccess, PtraceDir};
use crate::ir::unix::UnixRule;
use crate::ir::{
    DbusOp, FamilySockType, IpFamily, NetFamily, Peer, Policy, PolicyName, UnixAddr, UnixOp,
    UnixPeer, UnixType,
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

/// Most unix path globs split into cells exactly (2ⁿ region searches); past it each glob
/// gives one path of its own and one outside every glob.
const MAX_SPLIT_GLOBS: usize = 8;

/// The changes of the unix, network-family and ptrace rules.
pub(super) fn request_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let space = requests(old, new);
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
    groups
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
        .collect()
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

/// Every request of the three kinds worth deciding, with its list.
fn requests(old: &Policy, new: &Policy) -> Vec<(RuleListKind, Request)> {
    let both = [old, new];
    let mut out = Vec::new();
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
        let addrs = unix_addrs(rules());
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
        out.extend(
            dbus_requests(old, new)
                .into_iter()
                .map(|r| (RuleListKind::Dbus, Request::Dbus(r))),
        );
    }
    out
}

/// The D-Bus requests worth deciding: every operation on each bus a rule names and one
/// it does not; for messages, an object path of every cell of the rules' path globs and
/// one outside them, likewise for interfaces (and a message without one), members and
/// the peer's names, and each peer as for the other process-to-process kinds.
fn dbus_requests(old: &Policy, new: &Policy) -> Vec<DbusRequest> {
    let rules = || [old, new].into_iter().flat_map(|p| p.dbus.iter());
    let mut buses: BTreeSet<String> = rules().filter_map(|r| r.bus.clone()).collect();
    if let Some(other) = ["session", "system", "<any other bus>"]
        .into_iter()
        .find(|b| !buses.contains(*b))
    {
        buses.insert(other.to_string());
    }
    let paths: Vec<String> = glob_cells(&distinct(rules().filter_map(|r| r.path.as_ref())))
        .into_iter()
        .collect();
    let names = |field: fn(&crate::ir::DbusRule) -> Option<&String>, other: &str| {
        let globs: Vec<Glob> = rules()
            .filter_map(field)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|p| name_glob(p))
            .collect();
        let mut out: BTreeSet<String> = glob_cells(&globs.iter().collect::<Vec<_>>())
            .into_iter()
            .filter_map(|w| w.strip_prefix('/').map(str::to_string))
            .filter(|w| !w.is_empty() && !w.contains('/'))
            .collect();
        out.insert(other.to_string());
        out
    };
    let interfaces: Vec<Option<String>> = names(|r| r.interface.as_ref(), "<any other interface>")
        .into_iter()
        .map(Some)
        .chain([None])
        .collect();
    let members = names(|r| r.member.as_ref(), "<any other member>");
    let bus_names = names(|r| r.name.as_ref(), "<any other name>");
    let named = rules().filter_map(|r| r.peer.policy());
    let peers: Vec<RequestPeer> = peer_names(old, new, named)
        .into_iter()
        .map(RequestPeer::Policy)
        .chain([RequestPeer::Unconfined])
        .collect();
    let mut out = Vec::new();
    for bus in &buses {
        for name in &bus_names {
            out.push(DbusRequest::bind(bus, name));
        }
        for op in [DbusOp::Send, DbusOp::Receive] {
            for path in &paths {
                for interface in &interfaces {
                    for member in &members {
                        for name in &bus_names {
                            for peer in &peers {
                                out.push(DbusRequest::message(
                                    op,
                                    bus,
                                    path,
                                    interface.as_deref(),
                                    member,
                                    Some(name),
                                    peer.clone(),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    out
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
fn unix_addrs<'a>(rules: impl Iterator<Item = &'a UnixRule>) -> Vec<UnixRequestAddr> {
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
    let paths = glob_cells(&globs);
    out.extend(paths.into_iter().map(UnixRequestAddr::Path));
    out
}

/// A path of every cell of the globs (every set of globs whose paths no other glob
/// holds, the empty set included: a path outside them all); past [`MAX_SPLIT_GLOBS`], a
/// path of each glob and one outside them all.
fn glob_cells(globs: &[&Glob]) -> BTreeSet<String> {
    let mut paths: BTreeSet<String> = BTreeSet::new();
    if globs.len() <= MAX_SPLIT_GLOBS {
        // Every set of globs (including none) whose cell holds a path.
        for mask in 0u32..(1 << globs.len()) {
            let (mut inside, mut outside): (Vec<&Glob>, Vec<&Glob>) = (Vec::new(), Vec::new());
            for (i, g) in globs.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    inside.push(g);
                } else {
                    outside.push(g);
                }
            }
            if let Emptiness::Witness(w) = region(&inside, &outside) {
                paths.insert(w);
            }
        }
    } else {
        for g in globs {
            if let Emptiness::Witness(w) = region(&[*g], &[]) {
                paths.insert(w);
            }
        }
        if let Emptiness::Witness(w) = region(&[], globs) {
            paths.insert(w);
        }
    }
    paths
}
