//! Deciding unix-socket and network-family requests.

use super::{decide, rule_ref, Decision, RuleKind};
use crate::glob::is_valid_path;
use crate::ir::{
    FamilyRule, FamilySockType, IpFamily, NetFamily, Policy, UnixAddr, UnixOp, UnixPeer, UnixType,
};
use serde::Serialize;

/// The address of a unix request: the address of the connection's named socket (the
/// socket's own for `bind`, `listen`, `accept`; the peer's for `connect`; either end's
/// for `send` and `receive`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum UnixRequestAddr {
    /// A socket bound to this path.
    Path(String),
    /// An abstract socket (`@name`).
    Abstract(String),
    /// No name at either end.
    Anonymous,
}

/// The peer of a unix request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum RequestPeer {
    /// A process under this policy (`self` names the policy itself).
    Policy(String),
    /// An unconfined process.
    Unconfined,
}

impl RequestPeer {
    /// `unconfined`, or a policy name (`self` included).
    pub fn parse(s: &str) -> RequestPeer {
        if s == "unconfined" {
            RequestPeer::Unconfined
        } else {
            RequestPeer::Policy(s.to_string())
        }
    }
}

pub(crate) fn addr_matches(rule: &UnixAddr, req: &UnixRequestAddr) -> bool {
    match (rule, req) {
        (UnixAddr::Any, _) => true,
        (UnixAddr::Path { glob }, UnixRequestAddr::Path(p)) => is_valid_path(p) && glob.matches(p),
        (UnixAddr::Abstract { name: None }, UnixRequestAddr::Abstract(_)) => true,
        (UnixAddr::Abstract { name: Some(n) }, UnixRequestAddr::Abstract(m)) => n == m,
        (UnixAddr::Anonymous, UnixRequestAddr::Anonymous) => true,
        _ => false,
    }
}

pub(crate) fn peer_matches(rule: &UnixPeer, req: &RequestPeer, me: &str) -> bool {
    match (rule, req) {
        (UnixPeer::Any, _) => true,
        (UnixPeer::Unconfined, RequestPeer::Unconfined) => true,
        (UnixPeer::Policy(n), RequestPeer::Policy(p)) => {
            n.as_str() == if p == "self" { me } else { p.as_str() }
        }
        _ => false,
    }
}

/// A unix request: every part of a rule must match (a rule without a type matches every
/// type; `any` matches every peer).
pub(super) fn evaluate_unix(
    p: &Policy,
    op: UnixOp,
    sock_type: UnixType,
    addr: &UnixRequestAddr,
    peer: &RequestPeer,
) -> Decision {
    decide(
        p.unix
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.ops.contains(&op)
                    && r.sock_type.is_none_or(|t| t == sock_type)
                    && addr_matches(&r.addr, addr)
                    && peer_matches(&r.peer, peer, p.name.as_str())
            })
            .map(|(i, r)| rule_ref(RuleKind::Unix, i, r.effect, r.origins.clone(), r.audit)),
    )
}

/// Whether a family rule matches a request: a rule without a protocol, IP version or
/// socket type matches every one; a request without an IP version or type is matched
/// by the rules of either.
pub(crate) fn family_matches(
    r: &FamilyRule,
    family: NetFamily,
    ip: Option<IpFamily>,
    protocol: Option<&str>,
    sock_type: Option<FamilySockType>,
) -> bool {
    r.family == family
        && r.protocol.as_deref().is_none_or(|rp| Some(rp) == protocol)
        && ip.is_none_or(|v| v.covered_by(r.ip))
        && sock_type.is_none_or(|t| r.sock_type.is_none_or(|rt| rt == t))
}

/// A family request. One without an IP version (raw IP) or a socket type (netlink,
/// packet) is decided for each: allowed only when every one is, else by the first
/// refused.
pub(super) fn evaluate_family(
    p: &Policy,
    family: NetFamily,
    ip: Option<IpFamily>,
    protocol: Option<&str>,
    sock_type: Option<FamilySockType>,
) -> Decision {
    let ips: Vec<Option<IpFamily>> = match (family, ip) {
        (NetFamily::Raw, None) => IpFamily::BOTH.map(Some).to_vec(),
        _ => vec![ip],
    };
    let types: Vec<Option<FamilySockType>> = match sock_type {
        None if !family.sock_types().is_empty() => {
            family.sock_types().iter().copied().map(Some).collect()
        }
        _ => vec![sock_type],
    };
    let decisions = ips.iter().flat_map(|ip| {
        types.iter().map(move |t| {
            decide(
                p.net_families
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| family_matches(r, family, *ip, protocol, *t))
                    .map(|(i, r)| {
                        rule_ref(RuleKind::NetFamily, i, r.effect, r.origins.clone(), r.audit)
                    }),
            )
        })
    });
    super::every(decisions)
}

/// Indices of every rule (allow or deny) of its list that matches a unix or family
/// request, in IR order; empty for other requests.
pub(crate) fn matching_indices(p: &Policy, req: &super::Request) -> Vec<usize> {
    let d = match req {
        super::Request::Unix {
            op,
            sock_type,
            addr,
            peer,
        } => p
            .unix
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.ops.contains(op)
                    && r.sock_type.is_none_or(|t| t == *sock_type)
                    && addr_matches(&r.addr, addr)
                    && peer_matches(&r.peer, peer, p.name.as_str())
            })
            .map(|(i, _)| i)
            .collect(),
        super::Request::NetFamily {
            family,
            ip,
            protocol,
            sock_type,
        } => p
            .net_families
            .iter()
            .enumerate()
            .filter(|(_, r)| family_matches(r, *family, *ip, protocol.as_deref(), *sock_type))
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    };
    d
}

/// The rule a unix or family request needs, as policy text.
pub(crate) fn suggestion(req: &super::Request) -> Option<String> {
    match req {
        super::Request::Unix {
            op,
            sock_type,
            addr,
            peer,
        } => {
            let mut s = format!("allow unix {} {}", op.keyword(), sock_type.keyword());
            match addr {
                UnixRequestAddr::Path(p) if p.contains(['*', '?', '{', '}', '[', ']']) => {
                    return None
                }
                UnixRequestAddr::Path(p) => {
                    s.push_str(" path ");
                    s.push_str(&crate::ir::text::quote(p));
                }
                UnixRequestAddr::Abstract(n) => {
                    s.push_str(" abstract ");
                    s.push_str(&crate::ir::text::quote(n));
                }
                UnixRequestAddr::Anonymous => s.push_str(" anonymous"),
            }
            match peer {
                RequestPeer::Unconfined => s.push_str(" peer unconfined"),
                RequestPeer::Policy(n) => {
                    if n != "self" && crate::ir::PolicyName::new(n).is_err() {
                        return None;
                    }
                    s.push_str(" peer ");
                    s.push_str(n);
                }
            }
            Some(s)
        }
        super::Request::NetFamily {
            family,
            ip,
            protocol,
            sock_type,
        } => Some(format!(
            "allow {}",
            crate::ir::unix::family_text(*family, *ip, protocol.as_deref(), *sock_type)
        )),
        _ => None,
    }
}
