//! Deciding unix-socket and network-family requests.

use super::{decide, rule_ref, Decision, RuleKind};
use crate::glob::is_valid_path;
use crate::ir::{NetFamily, Policy, UnixAddr, UnixOp, UnixPeer, UnixType};
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

/// A family request: a rule without a protocol matches every protocol of its family.
pub(super) fn evaluate_family(p: &Policy, family: NetFamily, protocol: Option<&str>) -> Decision {
    decide(
        p.net_families
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.family == family && r.protocol.as_deref().is_none_or(|rp| Some(rp) == protocol)
            })
            .map(|(i, r)| rule_ref(RuleKind::NetFamily, i, r.effect, r.origins.clone(), r.audit)),
    )
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
        super::Request::NetFamily { family, protocol } => p
            .net_families
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.family == *family
                    && r.protocol
                        .as_deref()
                        .is_none_or(|rp| Some(rp) == protocol.as_deref())
            })
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
        super::Request::NetFamily { family, protocol } => Some(match protocol {
            Some(p) => format!("allow net {} {p}", family.keyword()),
            None => format!("allow net {}", family.keyword()),
        }),
        _ => None,
    }
}
