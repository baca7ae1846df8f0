//! Unix-socket rules and the network families beyond inet.
//!
//! Landlock restricts one unix operation: from ABI 6, connecting (or sending) to an
//! abstract socket created outside the process's Landlock domain
//! (`LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET`). The scope is kept unless an allow rule lets
//! the process reach abstract sockets of other processes; path and anonymous sockets and
//! every netlink, raw and packet socket are not restricted (reported per rule and as
//! gaps).

use crate::files::Verdict;
use crate::plan::{Gap, GapKind};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::{Effect, Policy, UnixAddr, UnixOp, UnixPeer, UnixRule};

/// What the unix and family rules become at one ABI.
pub(crate) struct UnixPlan {
    /// Keep `LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET` (ABI 6 and later).
    pub abstract_scoped: bool,
    /// One verdict per unix rule.
    pub unix: Vec<Verdict>,
    /// One verdict per family rule.
    pub families: Vec<Verdict>,
    /// What the kernel lets through whatever the rules say.
    pub gaps: Vec<Gap>,
}

/// True when the rule may reach an abstract socket: connect, or send on a datagram
/// socket (the scope checks these two; sending on a stream is on a connection already
/// made).
fn reaches_abstract(r: &UnixRule) -> bool {
    let dgram_send = r.ops.contains(&UnixOp::Send)
        && matches!(r.sock_type, None | Some(polc_lang::ir::UnixType::Dgram));
    matches!(r.addr, UnixAddr::Any | UnixAddr::Abstract { .. })
        && (r.ops.contains(&UnixOp::Connect) || dgram_send)
}

pub(crate) fn plan(policy: &Policy, abi: u8) -> UnixPlan {
    let me = &policy.name;
    let to_self = |r: &UnixRule| matches!(&r.peer, UnixPeer::Policy(n) if n == me);
    let to_others = policy
        .unix
        .iter()
        .any(|r| r.effect == Effect::Allow && reaches_abstract(r) && !to_self(r));
    let abstract_scoped = abi >= 6 && !to_others;
    let mut gaps = Vec::new();
    let has_rules = !policy.net_families.is_empty() || !policy.unix.is_empty();
    if !has_rules {
        return UnixPlan {
            abstract_scoped,
            unix: Vec::new(),
            families: Vec::new(),
            gaps,
        };
    }
    gaps.push(Gap {
        what: "unix path and anonymous sockets".into(),
        kind: GapKind::Inherent,
        access: None,
        since_abi: None,
        reason: "Landlock does not restrict connecting, sending or receiving on path and \
                 anonymous unix sockets (binding a path needs `create` on it)"
            .into(),
    });
    if abi < 6 {
        gaps.push(Gap {
            what: "unix abstract sockets".into(),
            kind: GapKind::Abi,
            access: None,
            since_abi: Some(6),
            reason: "Landlock scopes abstract unix sockets from ABI 6".into(),
        });
    } else if to_others {
        gaps.push(Gap {
            what: "unix abstract sockets".into(),
            kind: GapKind::Policy,
            access: None,
            since_abi: None,
            reason: "the policy lets the process reach abstract sockets of other processes, \
                     which Landlock's scope cannot express: abstract sockets are not restricted"
                .into(),
        });
    }
    gaps.push(Gap {
        what: "net netlink, raw, packet".into(),
        kind: GapKind::Inherent,
        access: None,
        since_abi: None,
        reason: "Landlock does not restrict netlink, raw or packet sockets".into(),
    });
    let unix = policy
        .unix
        .iter()
        .map(|r| {
            let abstract_connect = reaches_abstract(r) && !matches!(r.addr, UnixAddr::Any);
            match r.effect {
                Effect::Allow if abstract_connect && to_self(r) && abstract_scoped => Verdict::new(
                    Fidelity::Narrowed,
                    "only abstract sockets of the same Landlock domain (the confined \
                         process and its descendants) can be reached, not those of other \
                         processes under this policy",
                ),
                Effect::Allow if reaches_abstract(r) && !to_self(r) && abi >= 6 => Verdict::new(
                    Fidelity::Widened,
                    "Landlock can only confine abstract sockets to the process's own domain; \
                     so that other processes can be reached, no abstract socket is restricted",
                ),
                Effect::Allow
                    if r.ops.contains(&UnixOp::Bind) && matches!(r.addr, UnixAddr::Path { .. }) =>
                {
                    Verdict::new(
                        Fidelity::Narrowed,
                        "binding a path socket creates a file: it needs `create` on the path \
                         from a file rule (Landlock's MAKE_SOCK)",
                    )
                }
                Effect::Allow => Verdict::exact(),
                Effect::Deny
                    if abstract_scoped
                        && matches!(r.addr, UnixAddr::Abstract { .. })
                        && !to_self(r)
                        && !matches!(r.peer, UnixPeer::Any)
                        && r.ops
                            .iter()
                            .all(|o| matches!(o, UnixOp::Connect | UnixOp::Send)) =>
                {
                    Verdict::exact()
                }
                Effect::Deny => Verdict::new(
                    Fidelity::Unsupported,
                    "Landlock cannot refuse this unix operation (it only scopes abstract \
                     sockets to the process's own domain)",
                ),
            }
        })
        .collect();
    let families = policy
        .net_families
        .iter()
        .map(|r| match r.effect {
            Effect::Allow => Verdict::exact(),
            Effect::Deny => Verdict::new(
                Fidelity::Unsupported,
                "Landlock does not restrict netlink, raw or packet sockets",
            ),
        })
        .collect();
    UnixPlan {
        abstract_scoped,
        unix,
        families,
        gaps,
    }
}
