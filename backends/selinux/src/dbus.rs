//! D-Bus rules: the `dbus` class, which the bus daemon (`dbus-daemon` built with SELinux,
//! `dbus-broker`) checks.
//!
//! - A message from A to B is `allow A B:dbus send_msg`: `send` to a peer is the
//!   policy's domain to the peer's, `receive` from a peer the reverse. The class names
//!   no bus, object path, interface, member or bus name: a rule narrowed by any of them
//!   is **widened** to every message between the two domains. Peers are named as for
//!   ptrace: a policy's domain, the attribute of every domain for `any`, nothing for
//!   `unconfined` (narrowed).
//! - Owning a name is `acquire_svc` on the context the bus configuration associates
//!   with the name (`<selinux><associate own="NAME" context="..."/>`), by default the
//!   bus daemon's own. The module grants it on the policy's own domain: **narrowed**, as
//!   the bus grants it only for names its configuration associates with this domain.
//! - SELinux has no deny: a deny rule on a whole pair takes the pair's grant away
//!   (exact); a narrower one cannot (widened).

use crate::names::{block_name, qualified};
use crate::report::Findings;
use crate::{Config, Out};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{DbusOp, DbusRule, Effect, Peer, Policy};

/// True when a rule names something the `dbus` class cannot (bus, path, interface,
/// member, name).
fn narrowed(r: &DbusRule) -> bool {
    r.bus.is_some()
        || r.path.is_some()
        || r.interface.is_some()
        || r.member.is_some()
        || r.name.is_some()
}

/// True when a deny rule takes away everything an allow of `op` to `peer` grants.
fn denied_whole(p: &Policy, op: DbusOp, peer: &Peer) -> bool {
    p.dbus.iter().any(|d| {
        d.effect == Effect::Deny && d.ops.contains(&op) && !narrowed(d) && d.peer.includes(peer)
    })
}

/// The `dbus` class rules and the fidelity of each D-Bus rule.
pub(crate) fn lower_dbus(p: &Policy, config: &Config, out: &mut Out, findings: &mut Findings) {
    if p.dbus.is_empty() {
        return;
    }
    let any_attr = config.domain_attribute();
    let dom = out.domain.clone();
    let me = Peer::Policy(p.name.clone());
    for (i, r) in p.dbus.iter().enumerate() {
        let subject = Subject::Rule {
            list: RuleListKind::Dbus,
            index: i,
        };
        findings.touch(subject, None);
        let mut add = |f: Fidelity, why: String| findings.add(subject, None, f, why);
        if r.effect == Effect::Deny {
            let granted = p.dbus.iter().any(|a| {
                a.effect == Effect::Allow
                    && a.ops.iter().any(|o| r.ops.contains(o))
                    && (a.peer.includes(&r.peer) || r.peer.includes(&a.peer))
            });
            if granted && narrowed(r) {
                add(
                    Fidelity::Widened,
                    "SELinux has no deny, and its `dbus` class names no bus, path, interface, \
                     member or name: the messages this rule refuses are allowed where an allow \
                     rule grants the pair of domains"
                        .into(),
                );
            } else if granted && r.peer != Peer::Any && p.dbus.iter().any(|a| a.peer == Peer::Any) {
                add(
                    Fidelity::Widened,
                    "SELinux has no deny: the attribute granted for `any` holds this peer's domain"
                        .into(),
                );
            }
            continue;
        }
        let mut granted = Vec::new();
        for op in &r.ops {
            if denied_whole(p, *op, &r.peer) {
                continue;
            }
            let (other, requires) = match &r.peer {
                _ if *op == DbusOp::Bind => (dom.clone(), None),
                peer if *peer == me => (dom.clone(), None),
                Peer::Policy(name) => (qualified(&block_name(name), "domain"), Some(name)),
                Peer::Any => match any_attr {
                    Some(a) => (a.to_string(), None),
                    None => {
                        add(
                            Fidelity::Narrowed,
                            "SELinux names other processes by their domain, and no attribute of \
                             every domain is given (`--selinux-attribute domain=ATTRIBUTE`): not \
                             granted"
                                .into(),
                        );
                        continue;
                    }
                },
                Peer::Unconfined => {
                    add(
                        Fidelity::Narrowed,
                        "SELinux has no unconfined processes (every process has a domain): not \
                         granted"
                            .into(),
                    );
                    continue;
                }
            };
            let (src, tgt, perm) = match op {
                DbusOp::Send => (dom.as_str(), other.as_str(), "send_msg"),
                DbusOp::Receive => (other.as_str(), dom.as_str(), "send_msg"),
                DbusOp::Bind => (dom.as_str(), dom.as_str(), "acquire_svc"),
            };
            out.allow(src, tgt, "dbus", &[perm], requires);
            if r.audit {
                out.auditallow(src, tgt, "dbus", &[perm], requires);
            }
            granted.push(*op);
        }
        if granted.contains(&DbusOp::Bind) {
            add(
                Fidelity::Narrowed,
                "`acquire_svc` is granted on this policy's domain: the bus allows a name only \
                 when its configuration associates the name with that domain (`<selinux><associate \
                 own=\"NAME\" context=\"...\"/>`); otherwise it checks the bus daemon's own \
                 context, which the module does not name"
                    .into(),
            );
            if r.bus.is_some() || r.name.is_some() {
                add(
                    Fidelity::Widened,
                    "`acquire_svc` names no bus and no name: every name the bus associates with \
                     this policy's domain may be owned"
                        .into(),
                );
            }
        }
        if granted.iter().any(|o| *o != DbusOp::Bind) && narrowed(r) {
            add(
                Fidelity::Widened,
                "SELinux's `dbus` class names no bus, path, interface, member or name: `send_msg` \
                 allows every message between the two domains"
                    .into(),
            );
        }
    }
}
