//! The evaluator: the reference semantics of a policy.
//!
//! Default deny; a request is allowed when some `allow` rule matches it and no `deny`
//! rule does (`deny` wins); rule order does not matter.

pub(crate) mod dbus;
pub(crate) mod unix;

use crate::glob::is_valid_path;
use crate::ir::Effect;
use crate::ir::{
    ExecMode, FileRule, IpFamily, NetOp, Origin, Policy, PolicyName, Proto, PtraceAccess,
    PtraceDir, SignalDir,
};
use crate::rights::{Right, Rights};
pub use dbus::DbusRequest;
use serde::Serialize;
pub use unix::{RequestPeer, UnixRequestAddr};

/// An access to decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Request {
    /// A file access: one right on one path.
    File {
        /// An absolute, normalized path.
        path: String,
        /// The right.
        right: Right,
        /// The process owns the file (its fsuid is the file's owner): `owner` rules
        /// apply only then.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        owner: bool,
        /// The object is a directory: directory-only rules (a path written with a
        /// trailing `/`) apply only then; other rules apply to objects of every type.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dir: bool,
    },
    /// A network operation.
    Net {
        /// Connect or bind.
        op: NetOp,
        /// TCP or UDP.
        proto: Proto,
        /// The IP version of the socket; none asks for both (allowed only when both
        /// are).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        family: Option<IpFamily>,
        /// The port.
        port: u16,
    },
    /// Use of a capability (lowercase name without `CAP_`).
    Capability {
        /// The capability.
        name: String,
    },
    /// Sending a signal to, or receiving one from, a peer policy.
    Signal {
        /// Send or receive.
        direction: SignalDir,
        /// The peer's policy name.
        peer: String,
        /// The signal (lowercase name without `SIG`, e.g. `term`).
        signal: String,
    },
    /// A unix-socket operation.
    Unix {
        /// The operation.
        op: crate::ir::UnixOp,
        /// The socket's type.
        sock_type: crate::ir::UnixType,
        /// The address of the connection's named socket.
        addr: UnixRequestAddr,
        /// The process at the other end.
        peer: RequestPeer,
    },
    /// Use of a socket of a network family beyond inet.
    NetFamily {
        /// The family.
        family: crate::ir::NetFamily,
        /// For raw IP: the IP version; none asks for both (allowed only when both are).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip: Option<IpFamily>,
        /// The protocol (a name of the family's protocols), if it has one.
        protocol: Option<String>,
        /// For netlink and packet: the socket type; none asks for both (allowed only
        /// when both are).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sock_type: Option<crate::ir::FamilySockType>,
    },
    /// Reading or tracing a peer's process (`to`), or being read or traced by one (`from`).
    Ptrace {
        /// `to` or `from`.
        direction: PtraceDir,
        /// Read or trace.
        access: PtraceAccess,
        /// The peer's policy name, `self` or `unconfined`.
        peer: String,
    },
    /// A D-Bus message sent or received, or a bus name owned.
    Dbus(DbusRequest),
}

impl Request {
    /// The request in words, as `polc explain` and `polc diff` print it: `read /etc/passwd`,
    /// `net connect tcp 443`, `ptrace read to org.example.db`, ...
    pub fn describe(&self) -> String {
        match self {
            Request::File {
                path,
                right,
                owner,
                dir,
            } => {
                let path = crate::ir::dir_path_text_of(path, *dir);
                if *owner {
                    format!("{right} {path} (owned by the process)")
                } else {
                    format!("{right} {path}")
                }
            }
            Request::Net {
                op,
                proto,
                family,
                port,
            } => {
                let op = match op {
                    NetOp::Connect => "connect",
                    NetOp::Bind => "bind",
                };
                let proto = crate::ir::text::proto_word(*proto, *family);
                format!("net {op} {proto} {port}")
            }
            Request::Capability { name } => format!("capability {name}"),
            Request::Signal {
                direction,
                peer,
                signal,
            } => match direction {
                SignalDir::Send => format!("signal send {signal} to {peer}"),
                SignalDir::Receive => format!("signal receive {signal} from {peer}"),
            },
            Request::Unix {
                op,
                sock_type,
                addr,
                peer,
            } => {
                let addr = match addr {
                    UnixRequestAddr::Path(p) => p.clone(),
                    UnixRequestAddr::Abstract(n) => n.clone(),
                    UnixRequestAddr::Anonymous => "anonymous".to_string(),
                };
                let peer = match peer {
                    RequestPeer::Policy(p) => p.as_str(),
                    RequestPeer::Unconfined => "unconfined",
                };
                format!(
                    "unix {} {} {addr} peer {peer}",
                    op.keyword(),
                    sock_type.keyword()
                )
            }
            Request::NetFamily {
                family,
                ip,
                protocol,
                sock_type,
            } => crate::ir::unix::family_text(*family, *ip, protocol.as_deref(), *sock_type),
            Request::Ptrace {
                direction,
                access,
                peer,
            } => format!("ptrace {} {} {peer}", access.keyword(), direction.keyword()),
            Request::Dbus(d) => d.describe(),
        }
    }

    /// A file request.
    pub fn file(path: &str, right: Right) -> Request {
        Request::File {
            path: path.to_string(),
            right,
            owner: false,
            dir: false,
        }
    }

    /// A file request on a directory (directory-only rules apply).
    pub fn dir(path: &str, right: Right) -> Request {
        Request::File {
            path: path.to_string(),
            right,
            owner: false,
            dir: true,
        }
    }

    /// A file request on a file the process owns (`owner` rules apply).
    pub fn owned_file(path: &str, right: Right) -> Request {
        Request::File {
            path: path.to_string(),
            right,
            owner: true,
            dir: false,
        }
    }
}

/// Which list of the IR a rule is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// `Policy::files`
    File,
    /// `Policy::net`
    Net,
    /// `Policy::capabilities`
    Capability,
    /// `Policy::signals`
    Signal,
    /// `Policy::unix`
    Unix,
    /// `Policy::net_families`
    #[serde(rename = "net_family")]
    NetFamily,
    /// `Policy::ptrace`
    Ptrace,
    /// `Policy::dbus`
    Dbus,
}

/// A rule that took part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Which list.
    pub kind: RuleKind,
    /// Index in that list.
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// The source statements of the rule that concern this request.
    pub origins: Vec<Origin>,
    /// The rule is `audit`ed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
}

/// Why a request was decided as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No rule matched: default deny.
    DefaultDeny,
    /// Some allow matched and no deny did.
    Allowed,
    /// A deny rule matched (it wins over any allow).
    Denied,
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allowed or not.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The deciding rules: the matching denies when denied, the matching allows when allowed.
    pub deciding: Vec<RuleRef>,
    /// For an allowed `exec`: the policy the executed file runs under (`as NAME`), if any.
    pub exec_as: Option<PolicyName>,
    /// For an allowed `exec`: how it runs ([`ExecMode::Child`]: `exec_as` is a child of
    /// this policy; [`ExecMode::Fallback`]: `exec_as` when loaded, else this policy;
    /// [`ExecMode::Unconfined`]).
    #[serde(skip_serializing_if = "ExecMode::is_plain")]
    pub exec_mode: ExecMode,
    /// Some deciding rule is `audit`ed: the access is logged, allowed or not. (A denial
    /// that no `audit` rule decides may still be logged, depending on the backend.)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audited: bool,
}

impl Request {
    /// A network request on both IP versions (allowed only when both are).
    pub fn net(op: NetOp, proto: Proto, port: u16) -> Request {
        Request::Net {
            op,
            proto,
            family: None,
            port,
        }
    }

    /// A network request on one IP version.
    pub fn net_on(op: NetOp, proto: Proto, family: IpFamily, port: u16) -> Request {
        Request::Net {
            op,
            proto,
            family: Some(family),
            port,
        }
    }

    /// A capability request (lowercase name without `CAP_`).
    pub fn capability(name: &str) -> Request {
        Request::Capability {
            name: name.to_string(),
        }
    }

    /// A ptrace request; `peer` may be `self` for the policy itself or `unconfined`.
    pub fn ptrace(direction: PtraceDir, access: PtraceAccess, peer: &str) -> Request {
        Request::Ptrace {
            direction,
            access,
            peer: peer.to_string(),
        }
    }

    /// A request on a socket of a family beyond inet, of any IP version and type.
    pub fn net_family(family: crate::ir::NetFamily, protocol: Option<&str>) -> Request {
        Request::NetFamily {
            family,
            ip: None,
            protocol: protocol.map(str::to_string),
            sock_type: None,
        }
    }

    /// A signal request; `peer` may be `self` for the policy itself.
    pub fn signal(direction: SignalDir, peer: &str, signal: &str) -> Request {
        Request::Signal {
            direction,
            peer: peer.to_string(),
            signal: signal.to_string(),
        }
    }
}

impl Decision {
    fn default_deny() -> Decision {
        Decision {
            allowed: false,
            reason: Reason::DefaultDeny,
            deciding: Vec::new(),
            exec_as: None,
            exec_mode: ExecMode::Plain,
            audited: false,
        }
    }
}

/// Decide a request.
///
/// Default deny; allowed iff some `allow` rule matches and no `deny` rule does. The
/// result does not depend on the order of the rules in the IR, except for the indices in
/// [`Decision::deciding`], which are in IR order.
///
/// - File rules match when the rule's rights hold the requested right and its glob
///   matches the path; an `owner` rule matches only a request on a file the process
///   owns, a directory-only rule ([`FileRule::dir_only`]) only a request on a
///   directory. A path that is not a valid path ([`crate::glob::is_valid_path`]:
///   relative, with `.` or `..` components, empty components, a trailing `/`, or NUL)
///   matches no rule, so it is denied by default.
/// - Network rules match operation, protocol, IP version (a rule without one matches
///   both) and a port in the rule's range. A request without an IP version is decided
///   for each: allowed only when both are, else by the first refused (IPv4 first).
/// - Capability rules match by name.
/// - Signal rules match direction, peer (`self` in a request names the policy itself) and
///   signal (a rule with no signal list matches every signal).
/// - Unix rules match operation, type, address and peer (see [`crate::ir::unix`]);
///   family rules match family and protocol.
/// - D-Bus rules match operation, bus, and every field they name (see
///   [`crate::ir::dbus`]).
///
/// [`Decision::audited`] is true when some deciding rule is `audit`ed.
/// [`Decision::deciding`] lists the matching deny rules when denied, the matching allow
/// rules when allowed (empty for default deny); each [`RuleRef`] keeps only the origins
/// that contributed the requested right. For an allowed `exec`, [`Decision::exec_as`] is
/// the transition of the matching allow rules: a rule whose glob is a literal path wins
/// over globs; among rules of the same kind the first in the IR's canonical order (glob
/// text, then transition, with "no transition" first) wins. The checker rejects
/// overlapping globs with different transitions (E0133), so for a checked policy the
/// choice is unambiguous.
pub fn evaluate(p: &Policy, r: &Request) -> Decision {
    match r {
        Request::File {
            path,
            right,
            owner,
            dir,
        } => evaluate_file(p, path, *right, *owner, *dir),
        Request::Net {
            op,
            proto,
            family: Some(family),
            port,
        } => evaluate_net(p, *op, *proto, *family, *port),
        // Both versions: the first refused one decides, else both allow.
        Request::Net {
            op,
            proto,
            family: None,
            port,
        } => every(IpFamily::BOTH.map(|f| evaluate_net(p, *op, *proto, f, *port))),
        Request::Capability { name } => decide(
            p.capabilities
                .iter()
                .enumerate()
                .filter(|(_, c)| c.capability == *name)
                .map(|(i, c)| {
                    rule_ref(
                        RuleKind::Capability,
                        i,
                        c.effect,
                        c.origins.clone(),
                        c.audit,
                    )
                }),
        ),
        Request::Signal {
            direction,
            peer,
            signal,
        } => {
            let peer = if peer == "self" {
                p.name.as_str()
            } else {
                peer.as_str()
            };
            decide(
                p.signals
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| {
                        s.direction == *direction
                            && s.peer.covers(peer)
                            && (s.signals.is_empty() || s.signals.contains(signal))
                    })
                    .map(|(i, s)| {
                        rule_ref(RuleKind::Signal, i, s.effect, s.origins.clone(), s.audit)
                    }),
            )
        }
        Request::Unix {
            op,
            sock_type,
            addr,
            peer,
        } => unix::evaluate_unix(p, *op, *sock_type, addr, peer),
        Request::NetFamily {
            family,
            ip,
            protocol,
            sock_type,
        } => unix::evaluate_family(p, *family, *ip, protocol.as_deref(), *sock_type),
        Request::Ptrace {
            direction,
            access,
            peer,
        } => decide(
            crate::ir::ptrace::matching_rules(p, *direction, *access, peer)
                .into_iter()
                .filter_map(|i| p.ptrace.get(i).map(|r| (i, r)))
                .map(|(i, r)| rule_ref(RuleKind::Ptrace, i, r.effect, r.origins.clone(), false)),
        ),
        Request::Dbus(d) => dbus::evaluate_dbus(p, d),
    }
}

/// Decide every right on one path, in canonical order of the rights.
///
/// Convenience for `explain`: the same as calling [`evaluate`] with a file request for
/// each right of [`Right::ALL`] (on a file the process does not own).
pub fn evaluate_all(p: &Policy, path: &str) -> Vec<(Right, Decision)> {
    evaluate_all_owned(p, path, false)
}

/// [`evaluate_all`], saying whether the process owns the file.
pub fn evaluate_all_owned(p: &Policy, path: &str, owner: bool) -> Vec<(Right, Decision)> {
    evaluate_all_of(p, path, owner, false)
}

/// [`evaluate_all`], saying whether the process owns the object and whether it is a
/// directory.
pub fn evaluate_all_of(p: &Policy, path: &str, owner: bool, dir: bool) -> Vec<(Right, Decision)> {
    Right::ALL
        .into_iter()
        .map(|right| (right, evaluate_file(p, path, right, owner, dir)))
        .collect()
}

/// The rights allowed on a path (the process does not own the file).
pub fn allowed_rights(p: &Policy, path: &str) -> Rights {
    Right::ALL
        .into_iter()
        .filter(|r| evaluate_file(p, path, *r, false, false).allowed)
        .collect()
}

fn rule_ref(
    kind: RuleKind,
    index: usize,
    effect: Effect,
    origins: Vec<Origin>,
    audit: bool,
) -> RuleRef {
    RuleRef {
        kind,
        index,
        effect,
        origins,
        audit,
    }
}

/// The decision of a request that stands for several (both IP versions, both socket
/// types): the first refused one, else allowed with every deciding rule.
pub(crate) fn every(decisions: impl IntoIterator<Item = Decision>) -> Decision {
    let mut all: Option<Decision> = None;
    for d in decisions {
        if !d.allowed {
            return d;
        }
        all = Some(match all {
            None => d,
            Some(mut both) => {
                for r in d.deciding {
                    if !both.deciding.iter().any(|x| x.index == r.index) {
                        both.deciding.push(r);
                    }
                }
                both.deciding.sort_by_key(|x| x.index);
                both.audited |= d.audited;
                both
            }
        });
    }
    all.unwrap_or_else(Decision::default_deny)
}

/// Default deny, deny wins, over the matching rules.
fn decide(matching: impl Iterator<Item = RuleRef>) -> Decision {
    let (denies, allows): (Vec<RuleRef>, Vec<RuleRef>) =
        matching.partition(|m| m.effect == Effect::Deny);
    if !denies.is_empty() {
        Decision {
            allowed: false,
            reason: Reason::Denied,
            audited: denies.iter().any(|d| d.audit),
            deciding: denies,
            exec_as: None,
            exec_mode: ExecMode::Plain,
        }
    } else if !allows.is_empty() {
        Decision {
            allowed: true,
            reason: Reason::Allowed,
            audited: allows.iter().any(|a| a.audit),
            deciding: allows,
            exec_as: None,
            exec_mode: ExecMode::Plain,
        }
    } else {
        Decision::default_deny()
    }
}

/// Whether a network rule matches a request; a request without an IP version is
/// matched by the rules of either.
pub(crate) fn net_rule_matches(
    n: &crate::ir::NetRule,
    op: NetOp,
    proto: Proto,
    family: Option<IpFamily>,
    port: u16,
) -> bool {
    n.op == op
        && n.proto == proto
        && family.is_none_or(|f| f.covered_by(n.family))
        && n.ports.contains(port)
}

fn evaluate_net(p: &Policy, op: NetOp, proto: Proto, family: IpFamily, port: u16) -> Decision {
    decide(
        p.net
            .iter()
            .enumerate()
            .filter(|(_, n)| net_rule_matches(n, op, proto, Some(family), port))
            .map(|(i, n)| rule_ref(RuleKind::Net, i, n.effect, n.origins.clone(), n.audit)),
    )
}

fn evaluate_file(p: &Policy, path: &str, right: Right, owner: bool, dir: bool) -> Decision {
    if !is_valid_path(path) {
        return Decision::default_deny();
    }
    let matching: Vec<(usize, &FileRule)> = p
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.decides(path, right, owner, dir))
        .collect();
    let mut decision = decide(
        matching
            .iter()
            .map(|(i, f)| rule_ref(RuleKind::File, *i, f.effect, origins_for(f, right), f.audit)),
    );
    if decision.allowed && right == Right::Exec {
        (decision.exec_as, decision.exec_mode) = transition(matching.iter().map(|(_, f)| *f));
    }
    decision
}

/// The origins of a file rule that contributed `right` (all of them if, in a hand-built
/// IR, none records it).
fn origins_for(f: &FileRule, right: Right) -> Vec<Origin> {
    let contributing: Vec<Origin> = f
        .origins
        .iter()
        .filter(|o| o.rights.with_implied().contains(right))
        .map(|o| o.origin.clone())
        .collect();
    if contributing.is_empty() {
        f.origins.iter().map(|o| o.origin.clone()).collect()
    } else {
        contributing
    }
}

/// The transition of an allowed exec: literal paths win over globs, then the canonical
/// IR order (glob text, then transition).
fn transition<'a>(matching: impl Iterator<Item = &'a FileRule>) -> (Option<PolicyName>, ExecMode) {
    matching
        .filter(|f| f.effect == Effect::Allow)
        .min_by(|a, b| {
            (!a.glob.is_literal(), &a.glob, &a.exec_as, a.exec_mode).cmp(&(
                !b.glob.is_literal(),
                &b.glob,
                &b.exec_as,
                b.exec_mode,
            ))
        })
        .map_or((None, ExecMode::Plain), |f| {
            (f.exec_as.clone(), f.exec_mode)
        })
}

/// Decide a request in a child policy or hat of `p` (`None` when `p` has no child of
/// that name). A child's rules are its own: nothing of the parent's applies in it.
pub fn evaluate_child(p: &Policy, child: &str, r: &Request) -> Option<Decision> {
    p.child(child).map(|c| evaluate(&c.policy, r))
}
