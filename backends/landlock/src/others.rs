//! Network, signal and capability rules, per ABI.

use crate::access::{NetAccess, Scopes};
use crate::files::Verdict;
use crate::plan::{Gap, GapKind};
use polc_lang::fidelity::{AccessClass, Fidelity};
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, NetRule, Peer, Policy, PortRange, Proto, SignalDir};

/// The most ports one network operation may hold as rules (one Landlock rule each).
pub const MAX_PORT_RULES: usize = 4096;

/// The ports a policy allows for one (op, proto): allows minus denies, as sorted,
/// disjoint, non-adjacent ranges.
pub(crate) struct PortSet {
    ranges: Vec<PortRange>,
}

impl PortSet {
    /// The ports Landlock allows: every rule's, whatever its IP version (Landlock does
    /// not tell IPv4 from IPv6).
    pub(crate) fn of(policy: &Policy, op: NetOp, proto: Proto) -> PortSet {
        PortSet::of_version(policy, op, proto, None)
    }

    /// The ports allowed to IP version `fam` (the evaluator's answer), or with `None`,
    /// by every rule.
    fn of_version(policy: &Policy, op: NetOp, proto: Proto, fam: Option<IpFamily>) -> PortSet {
        let mine = |e: Effect| {
            let mut v: Vec<(u32, u32)> = policy
                .net
                .iter()
                .filter(|r| {
                    r.op == op
                        && r.proto == proto
                        && r.effect == e
                        && fam.is_none_or(|f| f.covered_by(r.family))
                })
                .map(|r| (u32::from(r.ports.lo.max(1)), u32::from(r.ports.hi)))
                .filter(|(lo, hi)| lo <= hi)
                .collect();
            v.sort_unstable();
            v
        };
        // Union of the allowed ranges.
        let mut allowed: Vec<(u32, u32)> = Vec::new();
        for (lo, hi) in mine(Effect::Allow) {
            match allowed.last_mut() {
                Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
                _ => allowed.push((lo, hi)),
            }
        }
        // Minus every denied range.
        for (dlo, dhi) in mine(Effect::Deny) {
            let mut next = Vec::new();
            for (lo, hi) in allowed {
                if dhi < lo || hi < dlo {
                    next.push((lo, hi));
                    continue;
                }
                if lo < dlo {
                    next.push((lo, dlo - 1));
                }
                if dhi < hi {
                    next.push((dhi + 1, hi));
                }
            }
            allowed = next;
        }
        let ranges = allowed
            .into_iter()
            .filter_map(|(lo, hi)| {
                Some(PortRange {
                    lo: u16::try_from(lo).ok()?,
                    hi: u16::try_from(hi).ok()?,
                })
            })
            .collect();
        PortSet { ranges }
    }

    pub(crate) fn count(&self) -> usize {
        self.ranges
            .iter()
            .map(|r| usize::from(r.hi) - usize::from(r.lo) + 1)
            .sum()
    }

    pub(crate) fn all(&self) -> bool {
        self.count() == 65535
    }

    /// The allowed ports as maximal ranges.
    pub(crate) fn ranges(&self) -> Vec<PortRange> {
        self.ranges.clone()
    }
}

/// What the net rules become at one ABI.
pub(crate) struct NetPlan {
    pub handled: NetAccess,
    pub ports: Vec<(PortRange, NetAccess)>,
    pub verdicts: Vec<Verdict>,
    pub gaps: Vec<Gap>,
}

fn op_name(op: NetOp) -> &'static str {
    match op {
        NetOp::Connect => "connect",
        NetOp::Bind => "bind",
    }
}

fn op_access(op: NetOp) -> NetAccess {
    match op {
        NetOp::Connect => NetAccess::CONNECT_TCP,
        NetOp::Bind => NetAccess::BIND_TCP,
    }
}

pub(crate) fn net(policy: &Policy, abi: u8) -> NetPlan {
    let mut handled = NetAccess::EMPTY;
    let mut ports: Vec<(PortRange, NetAccess)> = Vec::new();
    let mut gaps = Vec::new();
    // Per op: None = exact, Some(reason) = too many ports.
    let mut too_many = [None, None];
    for (k, op) in [NetOp::Bind, NetOp::Connect].into_iter().enumerate() {
        let tcp = PortSet::of(policy, op, Proto::Tcp);
        let tcp_count = tcp.count();
        let udp = PortSet::of(policy, op, Proto::Udp);
        let name = op_name(op);
        if !udp.all() {
            gaps.push(Gap {
                what: format!("net {name} udp"),
                kind: GapKind::Inherent,
                access: Some(AccessClass::Net {
                    op: Some(op),
                    proto: Proto::Udp,
                    family: None,
                }),
                since_abi: None,
                reason: "Landlock does not restrict UDP".into(),
            });
        }
        if tcp_count == 65535 {
            continue;
        }
        if abi < 4 {
            gaps.push(Gap {
                what: format!("net {name} tcp"),
                kind: GapKind::Abi,
                access: Some(AccessClass::Net {
                    op: Some(op),
                    proto: Proto::Tcp,
                    family: None,
                }),
                since_abi: Some(4),
                reason: "Landlock restricts TCP ports from ABI 4".into(),
            });
        } else if tcp_count > MAX_PORT_RULES {
            let why = format!(
                "{} ports are allowed for tcp {name}, more than the {MAX_PORT_RULES} rules polc \
                 builds (one per port): tcp {name} is left unrestricted",
                tcp_count
            );
            gaps.push(Gap {
                what: format!("net {name} tcp"),
                kind: GapKind::Policy,
                access: Some(AccessClass::Net {
                    op: Some(op),
                    proto: Proto::Tcp,
                    family: None,
                }),
                since_abi: None,
                reason: why.clone(),
            });
            if let Some(slot) = too_many.get_mut(k) {
                *slot = Some(why);
            }
        } else {
            handled |= op_access(op);
            for r in tcp.ranges() {
                ports.push((r, op_access(op)));
            }
        }
    }
    ports.sort_by_key(|(r, a)| (r.lo, r.hi, a.bits()));
    let verdicts = policy
        .net
        .iter()
        .map(|r| {
            let mut v = net_verdict(r, abi, &too_many);
            if let Some(one) = one_version_verdict(policy, r) {
                v.and(one);
            }
            v
        })
        .collect();
    NetPlan {
        handled,
        ports,
        verdicts,
        gaps,
    }
}

/// A rule of one IP version (`tcp6`): Landlock's port rules hold both versions, so an
/// allow grants the other version too where the policy does not (widened) and a deny
/// refuses it too where the policy allows it (narrowed).
fn one_version_verdict(policy: &Policy, r: &NetRule) -> Option<Verdict> {
    let other = r.family?.other();
    let allowed = PortSet::of_version(policy, r.op, r.proto, Some(other)).ranges();
    let inside = |q: u16| allowed.iter().any(|a| a.contains(q));
    let (ports, fidelity, what): (Vec<u16>, _, _) = match r.effect {
        Effect::Allow => (
            (r.ports.lo..=r.ports.hi).filter(|q| !inside(*q)).collect(),
            Fidelity::Widened,
            "grants",
        ),
        Effect::Deny => (
            (r.ports.lo..=r.ports.hi).filter(|q| inside(*q)).collect(),
            Fidelity::Narrowed,
            "refuses",
        ),
    };
    let (first, last) = (ports.first()?, ports.last()?);
    let version = match other {
        IpFamily::Inet => "IPv4",
        IpFamily::Inet6 => "IPv6",
    };
    let at = if first == last {
        format!("port {first}")
    } else {
        format!("ports in {first}-{last}")
    };
    Some(Verdict::new(
        fidelity,
        format!(
            "Landlock does not tell IPv4 from IPv6: the rule {what} {version} {} {at} too",
            polc_lang::ir::text::proto_word(r.proto, None)
        ),
    ))
}

fn net_verdict(r: &NetRule, abi: u8, too_many: &[Option<String>; 2]) -> Verdict {
    let deny = r.effect == Effect::Deny;
    // An allow of some ports of an operation the kernel cannot restrict lets every port
    // through: widened (an allow of every port is exact).
    let some_ports = r.ports != PortRange::ALL;
    let op = op_name(r.op);
    if r.proto == Proto::Udp {
        return if deny {
            Verdict::new(Fidelity::Unsupported, "Landlock does not restrict UDP")
        } else if some_ports {
            Verdict::new(
                Fidelity::Widened,
                format!("Landlock does not restrict UDP: every UDP {op} is allowed, on every port"),
            )
        } else {
            Verdict::exact()
        };
    }
    if abi < 4 {
        return if deny {
            Verdict::new(
                Fidelity::Unsupported,
                "Landlock restricts TCP ports from ABI 4",
            )
        } else if some_ports {
            Verdict::new(
                Fidelity::Widened,
                format!(
                    "Landlock restricts TCP ports from ABI 4: every TCP {op} is allowed, on every port"
                ),
            )
        } else {
            Verdict::exact()
        };
    }
    let k = match r.op {
        NetOp::Bind => 0,
        NetOp::Connect => 1,
    };
    match too_many.get(k) {
        Some(Some(why)) => Verdict::new(Fidelity::Widened, why.clone()),
        _ => Verdict::exact(),
    }
}

/// What the signal rules become at one ABI.
pub(crate) struct SignalPlan {
    pub scopes: Scopes,
    pub verdicts: Vec<Verdict>,
    pub gaps: Vec<Gap>,
}

pub(crate) fn signals(policy: &Policy, abi: u8) -> SignalPlan {
    let me = &policy.name;
    let allow_send = |peer_is_self: bool| {
        policy.signals.iter().filter(move |s| {
            s.effect == Effect::Allow
                && s.direction == SignalDir::Send
                && (s.peer == *me) == peer_is_self
        })
    };
    let to_others = allow_send(false).next().is_some();
    let scoped = abi >= 6 && !to_others;
    let mut scopes = Scopes::EMPTY;
    if abi >= 6 {
        scopes |= Scopes::ABSTRACT_UNIX_SOCKET;
        if scoped {
            scopes |= Scopes::SIGNAL;
        }
    }
    let mut gaps = vec![Gap {
        what: "signal receive".into(),
        kind: GapKind::Inherent,
        access: None,
        since_abi: None,
        reason: "Landlock cannot restrict which processes signal the confined one".into(),
    }];
    if abi < 6 {
        gaps.push(Gap {
            what: "signal send".into(),
            kind: GapKind::Abi,
            access: None,
            since_abi: Some(6),
            reason: "Landlock scopes signals from ABI 6".into(),
        });
    } else if to_others {
        gaps.push(Gap {
            what: "signal send".into(),
            kind: GapKind::Policy,
            access: None,
            since_abi: None,
            reason: "the policy lets the process signal other policies, which Landlock's \
                     signal scope cannot express: signals are not restricted"
                .into(),
        });
    } else if !allow_send(true).any(|s| s.signals.is_empty()) {
        gaps.push(Gap {
            what: "signal send to self".into(),
            kind: GapKind::Inherent,
            access: None,
            since_abi: None,
            reason: "processes in the same Landlock domain can always signal each other".into(),
        });
    }
    let denies_send = policy
        .signals
        .iter()
        .any(|s| s.effect == Effect::Deny && s.direction == SignalDir::Send);
    let verdicts = policy
        .signals
        .iter()
        .map(|s| {
            let to_self = s.peer == *me;
            match (s.direction, s.effect) {
                (SignalDir::Receive, Effect::Allow) => Verdict::exact(),
                (SignalDir::Receive, Effect::Deny) => Verdict::new(
                    Fidelity::Unsupported,
                    "Landlock cannot restrict which processes signal the confined one",
                ),
                (SignalDir::Send, Effect::Allow) if to_self && scoped => Verdict::new(
                    Fidelity::Narrowed,
                    "only processes in the same Landlock domain (the confined process and its \
                     descendants) can be signalled, not other processes under this policy",
                ),
                (SignalDir::Send, Effect::Allow)
                    if s.peer == Peer::Any && s.signals.is_empty() && !denies_send =>
                {
                    Verdict::exact()
                }
                (SignalDir::Send, Effect::Allow) if !to_self && abi >= 6 => Verdict::new(
                    Fidelity::Widened,
                    format!(
                        "Landlock can only confine signals to the process's own domain; so that \
                         `{}` can be signalled, signals are not restricted at all",
                        s.peer
                    ),
                ),
                (SignalDir::Send, Effect::Allow) => Verdict::exact(),
                (SignalDir::Send, Effect::Deny) if to_self => Verdict::new(
                    Fidelity::Unsupported,
                    "Landlock cannot refuse signals within the process's own domain",
                ),
                (SignalDir::Send, Effect::Deny) if scoped => Verdict::exact(),
                (SignalDir::Send, Effect::Deny) if abi < 6 => {
                    Verdict::new(Fidelity::Unsupported, "Landlock scopes signals from ABI 6")
                }
                (SignalDir::Send, Effect::Deny) => Verdict::new(
                    Fidelity::Widened,
                    "signals are not restricted, since the policy lets the process signal \
                     other policies",
                ),
            }
        })
        .collect();
    SignalPlan {
        scopes,
        verdicts,
        gaps,
    }
}

/// The capabilities to keep (allowed and not denied, known names only), and a verdict
/// per capability rule.
pub(crate) fn capabilities(policy: &Policy) -> (Vec<String>, Vec<Verdict>) {
    let denied = |n: &str| {
        policy
            .capabilities
            .iter()
            .any(|c| c.effect == Effect::Deny && c.capability == n)
    };
    let mut keep: Vec<String> = policy
        .capabilities
        .iter()
        .filter(|c| c.effect == Effect::Allow && !denied(&c.capability))
        .filter(|c| crate::caps::number(&c.capability).is_some())
        .map(|c| c.capability.clone())
        .collect();
    keep.sort();
    keep.dedup();
    let verdicts = policy
        .capabilities
        .iter()
        .map(|c| {
            if crate::caps::number(&c.capability).is_some() || c.effect == Effect::Deny {
                Verdict::exact()
            } else {
                Verdict::new(
                    Fidelity::Narrowed,
                    format!(
                        "`{}` is not a capability polc knows: it is dropped",
                        c.capability
                    ),
                )
            }
        })
        .collect();
    (keep, verdicts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use polc_lang::ir::{NetRule, PolicyName};

    fn pol(rules: &[(Effect, u16, u16)]) -> Policy {
        Policy {
            net: rules
                .iter()
                .map(|(effect, lo, hi)| NetRule {
                    audit: false,
                    effect: *effect,
                    op: NetOp::Bind,
                    proto: Proto::Tcp,
                    family: None,
                    ports: PortRange { lo: *lo, hi: *hi },
                    origins: Vec::new(),
                })
                .collect(),
            ..Policy::empty(PolicyName::new("org.t").unwrap())
        }
    }

    #[test]
    fn port_sets_subtract_denies() {
        let p = pol(&[
            (Effect::Allow, 10, 20),
            (Effect::Allow, 15, 30),
            (Effect::Allow, 31, 31),
            (Effect::Deny, 12, 13),
            (Effect::Deny, 30, 40),
        ]);
        let s = PortSet::of(&p, NetOp::Bind, Proto::Tcp);
        let r: Vec<(u16, u16)> = s.ranges().iter().map(|r| (r.lo, r.hi)).collect();
        assert_eq!(r, vec![(10, 11), (14, 29)]);
        assert_eq!(s.count(), 18);
        let all = pol(&[(Effect::Allow, 1, 65535)]);
        assert!(PortSet::of(&all, NetOp::Bind, Proto::Tcp).all());
        assert_eq!(PortSet::of(&all, NetOp::Connect, Proto::Tcp).count(), 0);
    }
}
