//! Ptrace rules: reading (`/proc/PID/mem`, `kcmp`, `process_vm_readv`...) or tracing
//! (`PTRACE_ATTACH`, `PTRACE_SEIZE`) the processes of a peer, or being read or traced by
//! them.

use super::{Effect, Origin, Peer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Which side of the access this policy's processes are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PtraceDir {
    /// `to PEER`: this policy's processes read or trace the peer's.
    To,
    /// `from PEER`: the peer's processes read or trace this policy's.
    From,
}

impl PtraceDir {
    /// `to` or `from`.
    pub fn keyword(self) -> &'static str {
        match self {
            PtraceDir::To => "to",
            PtraceDir::From => "from",
        }
    }
}

/// The kernel's two ptrace access modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PtraceAccess {
    /// `PTRACE_MODE_READ`: inspect (`/proc/PID/{mem,environ,...}`, `kcmp`, `pidfd_getfd`).
    Read,
    /// `PTRACE_MODE_ATTACH`: trace (attach, seize, `process_vm_writev`). Implies `read`.
    Trace,
}

impl PtraceAccess {
    /// Both, in canonical order.
    pub const ALL: [PtraceAccess; 2] = [PtraceAccess::Read, PtraceAccess::Trace];

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            PtraceAccess::Read => "read",
            PtraceAccess::Trace => "trace",
        }
    }

    /// Read a keyword.
    pub fn from_keyword(s: &str) -> Option<PtraceAccess> {
        PtraceAccess::ALL.into_iter().find(|a| a.keyword() == s)
    }
}

/// A ptrace rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtraceRule {
    /// Allow or deny.
    pub effect: Effect,
    /// `to` or `from`.
    pub direction: PtraceDir,
    /// The peer (`self` resolved to the policy's own name).
    pub peer: Peer,
    /// The access modes (never empty; an allowed `trace` always comes with `read`).
    pub access: BTreeSet<PtraceAccess>,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
}

/// The access modes a rule covers: none named means both; an allowed `trace` implies
/// `read` (a tracer can read its tracee anyway), a denied one does not (`deny ptrace trace`
/// leaves reading to the allow rules).
pub fn resolve_access(
    effect: Effect,
    named: impl IntoIterator<Item = PtraceAccess>,
) -> BTreeSet<PtraceAccess> {
    let mut set: BTreeSet<PtraceAccess> = named.into_iter().collect();
    if set.is_empty() || (effect == Effect::Allow && set.contains(&PtraceAccess::Trace)) {
        set.extend(PtraceAccess::ALL);
    }
    set
}

/// Indices of the rules of `p` (allow and deny) that match a request: `peer` is a policy
/// name, `self` or `unconfined`.
pub fn matching_rules(
    p: &super::Policy,
    direction: PtraceDir,
    access: PtraceAccess,
    peer: &str,
) -> Vec<usize> {
    let peer = if peer == "self" {
        p.name.as_str()
    } else {
        peer
    };
    p.ptrace
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.direction == direction && r.peer.covers(peer) && r.access.contains(&access)
        })
        .map(|(i, _)| i)
        .collect()
}

/// `allow ptrace read, trace to org.example.peer`.
pub fn ptrace_rule_text(r: &PtraceRule) -> String {
    let access: Vec<&str> = r.access.iter().map(|a| a.keyword()).collect();
    format!(
        "{} ptrace {} {} {}",
        r.effect.keyword(),
        access.join(", "),
        r.direction.keyword(),
        r.peer
    )
}
