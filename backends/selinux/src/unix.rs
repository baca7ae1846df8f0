//! Unix-socket rules and the network families beyond inet.
//!
//! - Unix rules: `unix_stream_socket` (stream and seqpacket) and `unix_dgram_socket`
//!   permissions on the domain's own sockets, `connectto` (stream) and `sendto` (dgram)
//!   on the peer's domain. SELinux checks the peer's domain, not the socket's address.
//! - Netlink rules: the `netlink_*_socket` class of the protocol; raw rules:
//!   `rawip_socket`; packet rules: `packet_socket`.
//! - SELinux has no deny: a deny rule is enforced only where no allow rule grants the
//!   same permission.

use crate::names::{block_name, qualified};
use crate::report::Findings;
use crate::Out;
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{
    Effect, FamilyRule, FamilySockType, NetFamily, Policy, UnixAddr, UnixOp, UnixPeer, UnixRule,
    UnixType,
};

/// The socket permissions every allowed socket of a class gets.
const BASE: [&str; 7] = [
    "create", "getattr", "getopt", "setopt", "read", "write", "shutdown",
];

/// The netlink class of each protocol (as the kernel maps them); protocols without a
/// class of their own share `netlink_socket`.
pub(crate) const NETLINK_CLASSES: &[(&str, &str)] = &[
    ("route", "netlink_route_socket"),
    ("sock_diag", "netlink_tcpdiag_socket"),
    ("nflog", "netlink_nflog_socket"),
    ("xfrm", "netlink_xfrm_socket"),
    ("selinux", "netlink_selinux_socket"),
    ("iscsi", "netlink_iscsi_socket"),
    ("audit", "netlink_audit_socket"),
    ("fib_lookup", "netlink_fib_lookup_socket"),
    ("connector", "netlink_connector_socket"),
    ("netfilter", "netlink_netfilter_socket"),
    ("dnrtmsg", "netlink_dnrt_socket"),
    ("kobject_uevent", "netlink_kobject_uevent_socket"),
    ("generic", "netlink_generic_socket"),
    ("scsitransport", "netlink_scsitransport_socket"),
    ("rdma", "netlink_rdma_socket"),
    ("crypto", "netlink_crypto_socket"),
];

/// Netlink classes with the `nlmsg_read` and `nlmsg_write` permissions.
const NLMSG: [&str; 4] = [
    "netlink_route_socket",
    "netlink_tcpdiag_socket",
    "netlink_xfrm_socket",
    "netlink_audit_socket",
];

fn classes(t: Option<UnixType>) -> &'static [&'static str] {
    match t {
        None => &["unix_stream_socket", "unix_dgram_socket"],
        Some(UnixType::Stream | UnixType::Seqpacket) => &["unix_stream_socket"],
        Some(UnixType::Dgram) => &["unix_dgram_socket"],
    }
}

fn op_perm(op: UnixOp) -> &'static str {
    match op {
        UnixOp::Connect => "connect",
        UnixOp::Send => "write",
        UnixOp::Receive => "read",
        UnixOp::Bind => "bind",
        UnixOp::Listen => "listen",
        UnixOp::Accept => "accept",
    }
}

fn subject(list: RuleListKind, index: usize) -> Subject {
    Subject::Rule { list, index }
}

/// True when two unix rules can match one request.
fn overlap(a: &UnixRule, b: &UnixRule) -> bool {
    let types = match (a.sock_type, b.sock_type) {
        (Some(x), Some(y)) => classes(Some(x)) == classes(Some(y)),
        _ => true,
    };
    let peers =
        matches!(a.peer, UnixPeer::Any) || matches!(b.peer, UnixPeer::Any) || a.peer == b.peer;
    types && peers && a.ops.intersection(&b.ops).next().is_some()
}

/// Unix rules.
pub(crate) fn lower_unix(p: &Policy, out: &mut Out, findings: &mut Findings) {
    let dom = out.domain.clone();
    let me = p.name.clone();
    for (i, r) in p.unix.iter().enumerate() {
        let s = subject(RuleListKind::Unix, i);
        findings.touch(s, None);
        if r.effect == Effect::Deny {
            if let Some(a) = p
                .unix
                .iter()
                .find(|a| a.effect == Effect::Allow && overlap(a, r))
            {
                findings.add(
                    s,
                    None,
                    Fidelity::Widened,
                    format!(
                        "SELinux has no deny and checks neither the address nor the peer's \
                         rule: not enforced where `{}` allows",
                        a.text()
                    ),
                );
            }
            continue;
        }
        for class in classes(r.sock_type) {
            let mut perms: Vec<&'static str> = BASE.to_vec();
            perms.extend(r.ops.iter().map(|o| op_perm(*o)));
            out.allow(&dom, &dom, class, &perms, None);
            let peer_perm = match *class {
                "unix_stream_socket" if r.ops.contains(&UnixOp::Connect) => Some("connectto"),
                "unix_dgram_socket"
                    if r.ops.contains(&UnixOp::Send) || r.ops.contains(&UnixOp::Connect) =>
                {
                    Some("sendto")
                }
                _ => None,
            };
            let Some(perm) = peer_perm else { continue };
            match &r.peer {
                UnixPeer::Policy(n) if *n == me => out.allow(&dom, &dom, class, &[perm], None),
                UnixPeer::Policy(n) => {
                    let other = qualified(&block_name(n), "domain");
                    out.allow(&dom, &other, class, &[perm], Some(n));
                }
                UnixPeer::Any => {
                    out.allow(&dom, &dom, class, &[perm], None);
                    findings.add(
                        s,
                        None,
                        Fidelity::Narrowed,
                        "SELinux names peers by domain: only the policy's own domain is \
                         granted, not the target's other domains",
                    );
                }
                UnixPeer::Unconfined => findings.add(
                    s,
                    None,
                    Fidelity::Narrowed,
                    "SELinux names peers by domain and the target's unconfined domain is not \
                     known: nothing is granted on the peer",
                ),
            }
        }
        if matches!(r.sock_type, Some(UnixType::Stream | UnixType::Seqpacket)) {
            findings.add(
                s,
                None,
                Fidelity::Widened,
                "SELinux's `unix_stream_socket` class covers stream and seqpacket sockets",
            );
        }
        match &r.addr {
            UnixAddr::Path { .. } => findings.add(
                s,
                None,
                Fidelity::Widened,
                "SELinux checks the peer's domain, not the socket's path: every socket of \
                 the peer is allowed (connecting also needs `write` on the socket file, \
                 from a file rule)",
            ),
            UnixAddr::Abstract { name: Some(_) } => findings.add(
                s,
                None,
                Fidelity::Widened,
                "SELinux checks the peer's domain, not the abstract name: every socket of \
                 the peer is allowed",
            ),
            UnixAddr::Abstract { name: None } | UnixAddr::Any | UnixAddr::Anonymous => {}
        }
    }
}

/// The classes of a family rule, and whether the class covers more than the rule.
fn family_classes(r: &FamilyRule) -> (Vec<&'static str>, bool) {
    match (r.family, r.protocol.as_deref()) {
        (NetFamily::Netlink, None) => (
            NETLINK_CLASSES
                .iter()
                .map(|(_, c)| *c)
                .chain(["netlink_socket"])
                .collect(),
            false,
        ),
        (NetFamily::Netlink, Some(p)) => match NETLINK_CLASSES.iter().find(|(k, _)| *k == p) {
            Some((_, c)) => (vec![*c], false),
            None => (vec!["netlink_socket"], true),
        },
        (NetFamily::Raw, p) => (vec!["rawip_socket"], p.is_some()),
        (NetFamily::Packet, _) => (vec!["packet_socket"], false),
    }
}

/// Netlink, raw and packet rules.
pub(crate) fn lower_families(p: &Policy, out: &mut Out, findings: &mut Findings) {
    let dom = out.domain.clone();
    let allowed: Vec<(usize, Vec<&'static str>)> = p
        .net_families
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effect == Effect::Allow)
        .map(|(i, r)| (i, family_classes(r).0))
        .collect();
    for (i, r) in p.net_families.iter().enumerate() {
        let s = subject(RuleListKind::NetFamily, i);
        findings.touch(s, None);
        let (cls, wide) = family_classes(r);
        if r.effect == Effect::Deny {
            let leak = allowed
                .iter()
                .find(|(_, c)| c.iter().any(|x| cls.contains(x)));
            if let Some((j, _)) = leak {
                let by = p.net_families.get(*j).map(|a| a.text()).unwrap_or_default();
                findings.add(
                    s,
                    None,
                    Fidelity::Widened,
                    format!("SELinux has no deny: not enforced where `{by}` allows"),
                );
            }
            continue;
        }
        for class in &cls {
            let mut perms: Vec<&'static str> = BASE.to_vec();
            perms.extend(["bind", "connect", "setattr"]);
            if NLMSG.contains(class) {
                perms.extend(["nlmsg_read", "nlmsg_write"]);
            }
            out.allow(&dom, &dom, class, &perms, None);
        }
        if wide {
            let why = match r.family {
                NetFamily::Raw => {
                    "SELinux's `rawip_socket` class covers every raw IP protocol".to_string()
                }
                _ => "SELinux's `netlink_socket` class covers every netlink protocol without \
                      a class of its own"
                    .to_string(),
            };
            findings.add(s, None, Fidelity::Widened, why);
        }
        if let Some(t) = r.sock_type {
            findings.add(
                s,
                None,
                Fidelity::Widened,
                format!(
                    "SELinux's socket classes do not tell raw from datagram sockets: the rule \
                     grants {} sockets too",
                    if t == FamilySockType::Raw {
                        "datagram"
                    } else {
                        "raw"
                    }
                ),
            );
        }
        if r.ip.is_some() {
            findings.add(
                s,
                None,
                Fidelity::Widened,
                "SELinux's `rawip_socket` class holds IPv4 and IPv6: the rule grants both",
            );
        }
    }
}
