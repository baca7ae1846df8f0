//! Network, capability and signal rules.

use crate::mapping::{CAPABILITIES, CAPABILITIES2};
use crate::names::qualified;
use crate::ports::{PortCon, PortContexts};
use crate::report::{net_rule_text, Findings};
use crate::{Config, Error, Out, Unresolved, OBJECT_ROLE};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, Policy, PolicyName, Proto};
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
        return Err(needs_port_contexts(p));
    };
    audit_findings(p, findings);
    for proto in [Proto::Tcp, Proto::Udp] {
        let net = NetLowering {
            p,
            pc,
            proto,
            class: match proto {
                Proto::Tcp => "tcp_socket",
                Proto::Udp => "udp_socket",
            },
            pname: crate::report::proto(proto),
            dom: out.domain.clone(),
        };
        net.lower(out, findings);
    }
    Ok(())
}

/// The ports a child policy's sub-domain typed after the parent's lowering (`added`:
/// its portcons): they no longer have the type the parent's grants were computed on, so
/// the parent's allow rules on them are narrowed.
pub(crate) fn retyped_for_child(
    p: &Policy,
    child: &PolicyName,
    added: &[(Proto, u16, u16, String)],
    findings: &mut Findings,
) {
    for (i, r) in p.net.iter().enumerate() {
        if r.effect != Effect::Allow {
            continue;
        }
        let hit = added
            .iter()
            .find(|(proto, lo, hi, _)| *proto == r.proto && *lo <= r.ports.hi && r.ports.lo <= *hi);
        if let Some((_, lo, hi, t)) = hit {
            let ports = if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            };
            findings.add(
                net_subject(i),
                None,
                Fidelity::Narrowed,
                format!("port(s) {ports} get the type `{t}` of the child policy `{child}`: what this domain is granted on them may be refused"),
            );
        }
    }
}

/// The refusal when the policy has network rules and no port contexts were given:
/// every allow rule, with a port it names, is what the contexts would resolve.
fn needs_port_contexts(p: &Policy) -> Error {
    Error::NeedsPortContexts(
        p.net
            .iter()
            .filter(|r| r.effect == Effect::Allow)
            .map(|r| Unresolved {
                rule: net_rule_text(r),
                origins: r.origins.clone(),
                example: format!("{} {}", crate::report::proto(r.proto), r.ports),
            })
            .collect(),
    )
}

/// Every network rule gets a report entry; an `audit allow` one is unsupported, as
/// polc emits no `auditallow` for network rules.
fn audit_findings(p: &Policy, findings: &mut Findings) {
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
}

/// The network rules of one protocol being lowered: what the steps share.
struct NetLowering<'a> {
    p: &'a Policy,
    pc: &'a PortContexts,
    proto: Proto,
    /// The socket class, `tcp_socket` or `udp_socket`.
    class: &'static str,
    /// The protocol's word, `tcp` or `udp`.
    pname: &'static str,
    /// The confined domain.
    dom: String,
}

/// The port types after this module's portcons, by port.
struct PortTypes<'a> {
    /// The first portcon of the map holding each port (read for every port: a table
    /// instead of a scan of the ~500 portcons per port).
    first: Vec<Option<&'a str>>,
    /// The type of ports without a portcon.
    default: Option<&'a str>,
}

impl<'a> PortTypes<'a> {
    /// The table of `map` (sorted as CIL matches portcons), `default` for the rest.
    fn new(map: &'a [PortCon], default: Option<&'a str>) -> Self {
        let mut first: Vec<Option<&str>> = vec![None; 65536];
        for c in map {
            for slot in first
                .iter_mut()
                .take(usize::from(c.hi) + 1)
                .skip(usize::from(c.lo))
            {
                slot.get_or_insert(c.ty.as_str());
            }
        }
        PortTypes { first, default }
    }

    /// The type of `port`, if any.
    fn type_of(&self, port: u16) -> Option<&'a str> {
        self.first
            .get(usize::from(port))
            .copied()
            .flatten()
            .or(self.default)
    }
}

/// The ports the kernel lets through for one operation, and the allowed ports it
/// cannot type.
struct Granted {
    /// By port.
    kernel: Vec<bool>,
    /// Allowed ports that have no port context (nothing is granted on them).
    unknown: Vec<u16>,
    /// Whether SELinux checks the port at all (not for a UDP destination).
    check_ports: bool,
}

impl NetLowering<'_> {
    /// The protocol's rules: nothing unless some port is allowed to bind or connect;
    /// else this module's port type and portcons, the socket permissions, and per
    /// operation its `name_bind`/`name_connect` grants and findings.
    fn lower(&self, out: &mut Out, findings: &mut Findings) {
        let bind = allowed_ports(self.p, NetOp::Bind, self.proto, None);
        let connect = allowed_ports(self.p, NetOp::Connect, self.proto, None);
        let (has_bind, has_connect) = (
            self.has(NetOp::Bind) && bind.iter().any(|b| *b),
            self.has(NetOp::Connect) && connect.iter().any(|b| *b),
        );
        if !has_bind && !has_connect {
            return;
        }
        let map = self.port_map(if has_bind { &bind } else { &[] }, out);
        let types = PortTypes::new(&map, self.pc.default_port.as_deref());
        let mut base = vec![
            "create", "getattr", "getopt", "read", "setopt", "shutdown", "write",
        ];
        if has_connect {
            base.push("connect");
        }
        if has_bind {
            base.extend(["accept", "bind", "listen"]);
        }
        out.allow(&self.dom, &self.dom, self.class, &base, None);
        for (op, allowed) in [(NetOp::Connect, &connect), (NetOp::Bind, &bind)] {
            self.lower_op(op, allowed, &types, out, findings);
        }
    }

    /// Whether an allow rule of this protocol grants `op`.
    fn has(&self, op: NetOp) -> bool {
        self.p
            .net
            .iter()
            .any(|r| r.effect == Effect::Allow && r.op == op && r.proto == self.proto)
    }

    /// The port map after this module's portcons, sorted as CIL matches them: the
    /// target's, plus a portcon of this module's port type for every interval of
    /// `bind` (the ports to bind, by port) the target does not already type exactly.
    ///
    /// A child policy's sub-domain (`BLOCK.child_NAME`) has its own port type
    /// (`port_PROTO_child_NAME`: no other local type starts with `port_PROTO_`), and sees
    /// the portcons its parent added.
    fn port_map(&self, bind: &[bool], out: &mut Out) -> Vec<PortCon> {
        let local = match out
            .domain
            .strip_prefix(out.block.as_str())
            .and_then(|d| d.strip_prefix('.'))
        {
            Some(sub) if sub != "domain" => format!("port_{}_{sub}", self.pname),
            _ => format!("port_{}", self.pname),
        };
        let full = qualified(&out.block, &local);
        let added = out
            .portcons
            .iter()
            .filter(|(proto, ..)| *proto == self.proto)
            .map(|&(proto, lo, hi, ref t)| PortCon {
                proto,
                lo,
                hi,
                ty: qualified(&out.block, t),
            });
        let mut map: Vec<PortCon> = self
            .pc
            .ports
            .iter()
            .filter(|c| c.proto == self.proto)
            .cloned()
            .chain(added)
            .collect();
        let mut ours = Vec::new();
        for (lo, hi) in intervals(bind) {
            if !map.iter().any(|c| c.lo == lo && c.hi == hi) {
                ours.push(PortCon {
                    proto: self.proto,
                    lo,
                    hi,
                    ty: full.clone(),
                });
            }
        }
        if !ours.is_empty() {
            out.types.push((local.clone(), OBJECT_ROLE));
            for c in &ours {
                out.portcons.push((self.proto, c.lo, c.hi, local.clone()));
            }
        }
        map.extend(ours);
        map.sort_by(|a, b| a.cil_cmp(b));
        map
    }

    /// One operation given its `allowed` ports: the grants, then what the kernel lets
    /// through compared with the policy.
    fn lower_op(
        &self,
        op: NetOp,
        allowed: &[bool],
        types: &PortTypes,
        out: &mut Out,
        findings: &mut Findings,
    ) {
        if !allowed.iter().any(|b| *b) {
            one_version_findings(self.p, op, self.proto, &[], findings);
            return;
        }
        let rules: Vec<usize> = self
            .p
            .net
            .iter()
            .enumerate()
            .filter(|(_, r)| r.effect == Effect::Allow && r.op == op && r.proto == self.proto)
            .map(|(i, _)| i)
            .collect();
        let mut granted = self.grant_ports(op, allowed, types, out);
        if op == NetOp::Bind {
            for port in EPHEMERAL.0..=EPHEMERAL.1 {
                if let Some(x) = granted.kernel.get_mut(usize::from(port)) {
                    *x = true;
                }
            }
            self.grant_node_bind(&rules, out, findings);
        }
        one_version_findings(self.p, op, self.proto, &granted.kernel, findings);
        self.allow_findings(op, allowed, &granted, &rules, findings);
        self.deny_findings(op, &granted.kernel, findings);
    }

    /// `name_connect` or `name_bind` on the type of every allowed port, and so which
    /// ports the kernel lets through: every port of those types (every port where
    /// SELinux checks none).
    fn grant_ports(
        &self,
        op: NetOp,
        allowed: &[bool],
        types: &PortTypes,
        out: &mut Out,
    ) -> Granted {
        let perm = match op {
            NetOp::Connect => "name_connect",
            NetOp::Bind => "name_bind",
        };
        let mut kernel = vec![false; 65536];
        let mut unknown: Vec<u16> = Vec::new();
        let check_ports = !(op == NetOp::Connect && self.proto == Proto::Udp);
        if check_ports {
            let mut granted: BTreeSet<String> = BTreeSet::new();
            for port in 1..=65535u16 {
                if allowed.get(usize::from(port)).copied().unwrap_or(false) {
                    match types.type_of(port) {
                        Some(t) => {
                            granted.insert(t.to_string());
                        }
                        None => unknown.push(port),
                    }
                }
            }
            for t in &granted {
                out.allow(&self.dom, t, self.class, &[perm], None);
            }
            for port in 1..=65535u16 {
                if types.type_of(port).is_some_and(|t| granted.contains(t)) {
                    if let Some(x) = kernel.get_mut(usize::from(port)) {
                        *x = true;
                    }
                }
            }
        } else {
            kernel.iter_mut().for_each(|x| *x = true);
        }
        Granted {
            kernel,
            unknown,
            check_ports,
        }
    }

    /// `node_bind` on the node type; without one in the port contexts, the binding
    /// `rules` are narrowed.
    fn grant_node_bind(&self, rules: &[usize], out: &mut Out, findings: &mut Findings) {
        match &self.pc.node {
            Some(node) => out.allow(&self.dom, node, self.class, &["node_bind"], None),
            None => {
                for &i in rules {
                    findings.add(net_subject(i), None, Fidelity::Narrowed, "binding needs `node_bind` on the node type, which the port contexts do not give (`sid node`)");
                }
            }
        }
    }

    /// The allow `rules` of `op`: widened where the kernel lets through ports the policy
    /// does not allow (saying why), narrowed where allowed ports have no port context.
    fn allow_findings(
        &self,
        op: NetOp,
        allowed: &[bool],
        granted: &Granted,
        rules: &[usize],
        findings: &mut Findings,
    ) {
        let pname = self.pname;
        let extra: Vec<u16> = (1..=65535u16)
            .filter(|&q| {
                granted.kernel.get(usize::from(q)).copied().unwrap_or(false)
                    && !allowed.get(usize::from(q)).copied().unwrap_or(false)
            })
            .collect();
        for &i in rules {
            if !extra.is_empty() {
                let why = if !granted.check_ports {
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
            if !granted.unknown.is_empty() {
                findings.add(
                    net_subject(i),
                    None,
                    Fidelity::Narrowed,
                    format!(
                        "{pname} port(s) {} have no port context: nothing is granted on them",
                        ranges_text(&granted.unknown)
                    ),
                );
            }
        }
    }

    /// The deny rules of `op` the kernel does not enforce: widened on the ports it
    /// lets through (`kernel`, by port).
    fn deny_findings(&self, op: NetOp, kernel: &[bool], findings: &mut Findings) {
        for (j, d) in self.p.net.iter().enumerate() {
            if d.effect == Effect::Deny && d.op == op && d.proto == self.proto {
                let leak: Vec<u16> = (d.ports.lo..=d.ports.hi)
                    .filter(|q| kernel.get(usize::from(*q)).copied().unwrap_or(false))
                    .collect();
                if !leak.is_empty() {
                    findings.add(
                        net_subject(j),
                        None,
                        Fidelity::Widened,
                        format!(
                            "not enforced for {} port(s) {}",
                            self.pname,
                            ranges_text(&leak)
                        ),
                    );
                }
            }
        }
    }
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
