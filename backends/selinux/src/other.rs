//! Network, capability and signal rules.

use crate::mapping::{CAPABILITIES, CAPABILITIES2};
use crate::names::qualified;
use crate::ports::PortCon;
use crate::report::{net_rule_text, Findings};
use crate::{Config, Error, Out, Unresolved, OBJECT_ROLE};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, Policy, Proto};
use std::collections::BTreeSet;

/// The default `ip_local_port_range`: binding these ports is not checked by SELinux.
pub(crate) const EPHEMERAL: (u16, u16) = (32768, 60999);

fn net_subject(i: usize) -> Subject {
    Subject::Rule {
        list: RuleListKind::Net,
        index: i,
    }
}

/// Ports allowed for (op, proto): allow ranges minus deny ranges. With `fam`, of the
/// rules that cover that IP version (the evaluator's answer for it); without, of every
/// rule: SELinux's sockets classes do not tell IPv4 from IPv6, so a one-version rule
/// stands for both.
fn allowed_ports(p: &Policy, op: NetOp, proto: Proto, fam: Option<IpFamily>) -> Vec<bool> {
    let mut v = vec![false; 65536];
    for eff in [Effect::Allow, Effect::Deny] {
        for r in p.net.iter().filter(|r| {
            r.op == op
                && r.proto == proto
                && r.effect == eff
                && fam.is_none_or(|f| f.covered_by(r.family))
        }) {
            for port in r.ports.lo..=r.ports.hi {
                if let Some(x) = v.get_mut(usize::from(port)) {
                    *x = eff == Effect::Allow;
                }
            }
        }
    }
    v
}

fn intervals(v: &[bool]) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let mut start: Option<u16> = None;
    for port in 1..=65535u16 {
        let on = v.get(usize::from(port)).copied().unwrap_or(false);
        match (on, start) {
            (true, None) => start = Some(port),
            (false, Some(s)) => {
                out.push((s, port - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, 65535));
    }
    out
}

fn ranges_text(ports: &[u16]) -> String {
    let v: Vec<bool> = {
        let mut v = vec![false; 65536];
        for p in ports {
            if let Some(x) = v.get_mut(usize::from(*p)) {
                *x = true;
            }
        }
        v
    };
    let iv = intervals(&v);
    let mut parts: Vec<String> = iv
        .iter()
        .take(4)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if iv.len() > 4 {
        parts.push("...".into());
    }
    parts.join(", ")
}

/// Network rules: port types, `portcon` for bound ports, socket permissions.
pub(crate) fn lower_net(
    p: &Policy,
    cfg: &Config,
    out: &mut Out,
    findings: &mut Findings,
) -> Result<(), Error> {
    if p.net.is_empty() {
        return Ok(());
    }
    let Some(pc) = cfg.port_contexts.as_ref() else {
        return Err(Error::NeedsPortContexts(
            p.net
                .iter()
                .filter(|r| r.effect == Effect::Allow)
                .map(|r| Unresolved {
                    rule: net_rule_text(r),
                    origins: r.origins.clone(),
                    example: format!("{} {}", crate::report::proto(r.proto), r.ports),
                })
                .collect(),
        ));
    };
    let dom = out.domain.clone();
    for (i, r) in p.net.iter().enumerate() {
        findings.touch(net_subject(i), None);
        if r.audit && r.effect == Effect::Allow {
            findings.add(
                net_subject(i),
                None,
                Fidelity::Unsupported,
                "the rule is enforced, but polc emits no `auditallow` for network rules: its accesses are not logged",
            );
        }
    }
    for proto in [Proto::Tcp, Proto::Udp] {
        let class = match proto {
            Proto::Tcp => "tcp_socket",
            Proto::Udp => "udp_socket",
        };
        let pname = crate::report::proto(proto);
        let bind = allowed_ports(p, NetOp::Bind, proto, None);
        let connect = allowed_ports(p, NetOp::Connect, proto, None);
        let has = |op: NetOp| {
            p.net
                .iter()
                .any(|r| r.effect == Effect::Allow && r.op == op && r.proto == proto)
        };
        let (has_bind, has_connect) = (
            has(NetOp::Bind) && bind.iter().any(|b| *b),
            has(NetOp::Connect) && connect.iter().any(|b| *b),
        );
        if !has_bind && !has_connect {
            continue;
        }
        // the port map after this module's portcons
        let local = format!("port_{pname}");
        let full = qualified(&out.block, &local);
        let mut map: Vec<PortCon> = pc
            .ports
            .iter()
            .filter(|c| c.proto == proto)
            .cloned()
            .collect();
        let mut ours = Vec::new();
        if has_bind {
            for (lo, hi) in intervals(&bind) {
                if !map.iter().any(|c| c.lo == lo && c.hi == hi) {
                    ours.push(PortCon {
                        proto,
                        lo,
                        hi,
                        ty: full.clone(),
                    });
                }
            }
        }
        if !ours.is_empty() {
            out.types.push((local.clone(), OBJECT_ROLE));
            for c in &ours {
                out.portcons.push((proto, c.lo, c.hi, local.clone()));
            }
        }
        map.extend(ours);
        map.sort_by(|a, b| a.cil_cmp(b));
        // the first portcon of the map holding each port (read for every port below:
        // a table instead of a scan of the ~500 portcons per port)
        let mut first: Vec<Option<&str>> = vec![None; 65536];
        for c in &map {
            for slot in first
                .iter_mut()
                .take(usize::from(c.hi) + 1)
                .skip(usize::from(c.lo))
            {
                slot.get_or_insert(c.ty.as_str());
            }
        }
        let type_of = |port: u16| -> Option<&str> {
            first
                .get(usize::from(port))
                .copied()
                .flatten()
                .or(pc.default_port.as_deref())
        };
        let mut base = vec![
            "create", "getattr", "getopt", "read", "setopt", "shutdown", "write",
        ];
        if has_connect {
            base.push("connect");
        }
        if has_bind {
            base.extend(["accept", "bind", "listen"]);
        }
        out.allow(&dom, &dom, class, &base, None);
        for (op, allowed, perm) in [
            (NetOp::Connect, &connect, "name_connect"),
            (NetOp::Bind, &bind, "name_bind"),
        ] {
            if !allowed.iter().any(|b| *b) {
                one_version_findings(p, op, proto, &[], findings);
                continue;
            }
            let rules: Vec<usize> = p
                .net
                .iter()
                .enumerate()
                .filter(|(_, r)| r.effect == Effect::Allow && r.op == op && r.proto == proto)
                .map(|(i, _)| i)
                .collect();
            // which ports the kernel lets through
            let mut kernel = vec![false; 65536];
            let mut unknown: Vec<u16> = Vec::new();
            let check_ports = !(op == NetOp::Connect && proto == Proto::Udp);
            if check_ports {
                let mut types: BTreeSet<String> = BTreeSet::new();
                for port in 1..=65535u16 {
                    if allowed.get(usize::from(port)).copied().unwrap_or(false) {
                        match type_of(port) {
                            Some(t) => {
                                types.insert(t.to_string());
                            }
                            None => unknown.push(port),
                        }
                    }
                }
                for t in &types {
                    out.allow(&dom, t, class, &[perm], None);
                }
                for port in 1..=65535u16 {
                    if type_of(port).is_some_and(|t| types.contains(t)) {
                        if let Some(x) = kernel.get_mut(usize::from(port)) {
                            *x = true;
                        }
                    }
                }
            } else {
                kernel.iter_mut().for_each(|x| *x = true);
            }
            if op == NetOp::Bind {
                for port in EPHEMERAL.0..=EPHEMERAL.1 {
                    if let Some(x) = kernel.get_mut(usize::from(port)) {
                        *x = true;
                    }
                }
                match &pc.node {
                    Some(node) => out.allow(&dom, node, class, &["node_bind"], None),
                    None => {
                        for &i in &rules {
                            findings.add(net_subject(i), None, Fidelity::Narrowed, "binding needs `node_bind` on the node type, which the port contexts do not give (`sid node`)");
                        }
                    }
                }
            }
            one_version_findings(p, op, proto, &kernel, findings);
            let extra: Vec<u16> = (1..=65535u16)
                .filter(|&q| {
                    kernel.get(usize::from(q)).copied().unwrap_or(false)
                        && !allowed.get(usize::from(q)).copied().unwrap_or(false)
                })
                .collect();
            for &i in &rules {
                if !extra.is_empty() {
                    let why = if !check_ports {
                        format!("SELinux does not check the destination port of {pname}: every port is allowed")
                    } else if op == NetOp::Bind
                        && extra
                            .iter()
                            .all(|q| (EPHEMERAL.0..=EPHEMERAL.1).contains(q))
                    {
                        format!("binding ports {}-{} (the default ip_local_port_range) is not checked by SELinux", EPHEMERAL.0, EPHEMERAL.1)
                    } else {
                        format!(
                            "the port types also cover {pname} port(s) {}",
                            ranges_text(&extra)
                        )
                    };
                    findings.add(net_subject(i), None, Fidelity::Widened, why);
                }
                if !unknown.is_empty() {
                    findings.add(
                        net_subject(i),
                        None,
                        Fidelity::Narrowed,
                        format!(
                            "{pname} port(s) {} have no port context: nothing is granted on them",
                            ranges_text(&unknown)
                        ),
                    );
                }
            }
            // deny rules that the kernel does not enforce
            for (j, d) in p.net.iter().enumerate() {
                if d.effect == Effect::Deny && d.op == op && d.proto == proto {
                    let leak: Vec<u16> = (d.ports.lo..=d.ports.hi)
                        .filter(|q| kernel.get(usize::from(*q)).copied().unwrap_or(false))
                        .collect();
                    if !leak.is_empty() {
                        findings.add(
                            net_subject(j),
                            None,
                            Fidelity::Widened,
                            format!("not enforced for {pname} port(s) {}", ranges_text(&leak)),
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// The rules of one IP version (`tcp6`) of one operation and protocol, given the ports
/// the kernel lets through (`kernel`, by port; empty: none): SELinux's `tcp_socket` and
/// `udp_socket` hold both versions, so an allow grants the other version too where the
/// policy does not (widened) and a deny refuses it too where the policy allows it
/// (narrowed).
fn one_version_findings(
    p: &Policy,
    op: NetOp,
    proto: Proto,
    kernel: &[bool],
    findings: &mut Findings,
) {
    let pname = crate::report::proto(proto);
    for (i, r) in p.net.iter().enumerate() {
        let Some(fam) = r.family.filter(|_| r.proto == proto && r.op == op) else {
            continue;
        };
        let other = fam.other();
        let other_allowed = allowed_ports(p, op, proto, Some(other));
        let at = |v: &[bool], q: u16| v.get(usize::from(q)).copied().unwrap_or(false);
        let (ports, fidelity, what): (Vec<u16>, _, _) = match r.effect {
            Effect::Allow => (
                (r.ports.lo..=r.ports.hi)
                    .filter(|&q| at(kernel, q) && !at(&other_allowed, q))
                    .collect(),
                Fidelity::Widened,
                "grants",
            ),
            Effect::Deny => (
                (r.ports.lo..=r.ports.hi)
                    .filter(|&q| at(&other_allowed, q) && !at(kernel, q))
                    .collect(),
                Fidelity::Narrowed,
                "refuses",
            ),
        };
        if !ports.is_empty() {
            findings.add(
                net_subject(i),
                None,
                fidelity,
                format!(
                    "SELinux's {pname}_socket does not tell IPv4 from IPv6: the rule {what} {} {pname} port(s) {} too",
                    crate::report::ip_version(other),
                    ranges_text(&ports)
                ),
            );
        }
    }
}

/// Capability rules: `capability`/`capability2` and their user-namespace twins on self.
pub(crate) fn lower_caps(p: &Policy, out: &mut Out, findings: &mut Findings) {
    let denied: BTreeSet<&str> = p
        .capabilities
        .iter()
        .filter(|r| r.effect == Effect::Deny)
        .map(|r| r.capability.as_str())
        .collect();
    let dom = out.domain.clone();
    for (i, r) in p.capabilities.iter().enumerate() {
        let subject = Subject::Rule {
            list: RuleListKind::Capability,
            index: i,
        };
        findings.touch(subject, None);
        let name = r.capability.as_str();
        let (class, userns) = if CAPABILITIES.contains(&name) {
            ("capability", "cap_userns")
        } else if CAPABILITIES2.contains(&name) {
            ("capability2", "cap2_userns")
        } else {
            findings.add(
                subject,
                None,
                Fidelity::Unsupported,
                format!("SELinux has no permission for capability `{name}`"),
            );
            continue;
        };
        if r.effect == Effect::Allow && !denied.contains(name) {
            if let Some(perm) = CAPABILITIES
                .iter()
                .chain(CAPABILITIES2.iter())
                .find(|c| **c == name)
            {
                out.allow(&dom, &dom, class, &[perm], None);
                out.allow(&dom, &dom, userns, &[perm], None);
                if r.audit {
                    out.auditallow(&dom, &dom, class, &[perm], None);
                    out.auditallow(&dom, &dom, userns, &[perm], None);
                }
            }
        }
    }
}
