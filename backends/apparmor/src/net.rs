//! Network rules for AppArmor ABI 3.0 (address family and socket type only) and ABI 4.0
//! (fine-grained inet rules with ports).

use crate::Abi;
use polc_lang::fidelity::{AccessClass, Fidelity, Unrestricted};
use polc_lang::ir::Effect;
use polc_lang::ir::{IpFamily, NetOp, NetRule, PortRange, Proto};

fn sock_type(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "stream",
        Proto::Udp => "dgram",
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// The IP versions a rule covers: its one, or both.
fn versions(r: &NetRule) -> Vec<IpFamily> {
    r.family.map_or(IpFamily::BOTH.to_vec(), |f| vec![f])
}

/// True when every port of `lo..=hi` is in some range of `ranges`.
fn covered(lo: u16, hi: u16, ranges: &[PortRange]) -> bool {
    let mut v: Vec<PortRange> = ranges.to_vec();
    v.sort();
    let mut next = u32::from(lo);
    for r in v {
        if u32::from(r.hi) < next {
            continue;
        }
        if u32::from(r.lo) > next {
            break;
        }
        next = u32::from(r.hi) + 1;
    }
    next > u32::from(hi)
}

/// True when the ranges cover every port.
fn covers_all(ranges: &[PortRange]) -> bool {
    covered(1, 65535, ranges)
}

/// True when no port is in `ranges` without being in `minus`.
fn covers_nothing(ranges: &[PortRange], minus: &[PortRange]) -> bool {
    ranges.iter().all(|r| covered(r.lo, r.hi, minus))
}

/// The port ranges of the rules of one effect, operation and protocol that cover IP
/// version `fam`.
fn ranges(
    rules: &[NetRule],
    effect: Effect,
    op: NetOp,
    proto: Proto,
    fam: IpFamily,
) -> Vec<PortRange> {
    rules
        .iter()
        .filter(|r| {
            r.effect == effect && r.op == op && r.proto == proto && fam.covered_by(r.family)
        })
        .map(|r| r.ports)
        .collect()
}

/// Some rule of this protocol and effect covers IP version `fam`.
fn has(rules: &[NetRule], proto: Proto, effect: Effect, fam: IpFamily) -> bool {
    rules
        .iter()
        .any(|r| r.proto == proto && r.effect == effect && fam.covered_by(r.family))
}

/// The lines and the fidelity of every network rule.
pub(crate) fn compile(rules: &[NetRule], abi: Abi) -> (Vec<String>, Vec<(Fidelity, String)>) {
    match abi {
        Abi::V3_0 => compile_v3(rules),
        Abi::V4_0 => compile_v4(rules),
    }
}

/// The network requests the profile allows whatever the rules say: on ABI 3.0, an allow
/// rule of a protocol becomes `network inet TYPE`, which allows every connect and bind
/// of that protocol on every port (unless a deny of the protocol refuses them all).
pub(crate) fn unrestricted(rules: &[NetRule], abi: Abi) -> Vec<Unrestricted> {
    if abi != Abi::V3_0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in [Proto::Tcp, Proto::Udp] {
        let open: Vec<IpFamily> = IpFamily::BOTH
            .into_iter()
            .filter(|&f| has(rules, p, Effect::Allow, f) && !has(rules, p, Effect::Deny, f))
            .collect();
        // Both versions open: one class (the IPv4 and IPv6 lines alike).
        let classes: Vec<(Option<IpFamily>, &str)> = match open.as_slice() {
            [] => Vec::new(),
            [_, _] => vec![(None, "inet")],
            _ => open.iter().map(|f| (Some(*f), f.family_name())).collect(),
        };
        for (family, fam) in classes {
            out.push(Unrestricted {
                access: AccessClass::Net {
                    op: None,
                    proto: p,
                    family,
                },
                reason: format!(
                    "AppArmor ABI 3.0 cannot restrict operations or ports: `network {fam} {}` \
                     allows every {} connect and bind",
                    sock_type(p),
                    proto_name(p)
                ),
            });
        }
    }
    out
}

fn compile_v3(rules: &[NetRule]) -> (Vec<String>, Vec<(Fidelity, String)>) {
    let mut lines = Vec::new();
    for proto in [Proto::Tcp, Proto::Udp] {
        for effect in [Effect::Allow, Effect::Deny] {
            for fam in IpFamily::BOTH {
                let of = |r: &&NetRule| {
                    r.proto == proto && r.effect == effect && fam.covered_by(r.family)
                };
                if rules.iter().any(|r| of(&r)) {
                    // One line stands for every rule of the protocol, effect and IP
                    // version: it is audited when one of them is (the others are then
                    // logged too).
                    let audit = rules.iter().filter(of).any(|r| r.audit);
                    let q = match (audit, effect) {
                        (false, Effect::Allow) => "",
                        (false, Effect::Deny) => "deny ",
                        (true, Effect::Allow) => "audit ",
                        (true, Effect::Deny) => "audit deny ",
                    };
                    lines.push(format!(
                        "{q}network {} {},",
                        fam.family_name(),
                        sock_type(proto)
                    ));
                }
            }
        }
    }
    // A rule's fidelity depends only on its effect, protocol and IP versions: each of
    // these (at most twelve) is judged once against all the rules.
    let mut judged: Vec<(V3Kind, (Fidelity, String))> = Vec::new();
    let fidelity = rules
        .iter()
        .map(|rule| {
            let key = (rule.effect, rule.proto, rule.family);
            if let Some((_, f)) = judged.iter().find(|(k, _)| *k == key) {
                return f.clone();
            }
            let f = v3_fidelity(rules, rule);
            judged.push((key, f.clone()));
            f
        })
        .collect();
    (lines, fidelity)
}

/// What a rule's fidelity on ABI 3.0 depends on: its effect, protocol and IP versions.
type V3Kind = (Effect, Proto, Option<IpFamily>);

/// The fidelity on ABI 3.0 of `rule`, one of `rules`.
fn v3_fidelity(rules: &[NetRule], rule: &NetRule) -> (Fidelity, String) {
    let p = rule.proto;
    let name = proto_name(p);
    let ty = sock_type(p);
    let fams = versions(rule);
    let inet = rule.family.map_or("inet", IpFamily::family_name);
    let any_deny = fams.iter().any(|f| has(rules, p, Effect::Deny, *f));
    match rule.effect {
        Effect::Allow if any_deny => (
            Fidelity::Narrowed,
            format!(
                "on ABI 3.0 a deny rule for {name} becomes `deny network {inet} {ty}`, \
                         which refuses every {name} socket, this rule's too"
            ),
        ),
        Effect::Allow => {
            let full = fams.iter().all(|f| {
                [NetOp::Connect, NetOp::Bind]
                    .iter()
                    .all(|op| covers_all(&ranges(rules, Effect::Allow, *op, p, *f)))
            });
            if full {
                (Fidelity::Exact, String::new())
            } else {
                (
                    Fidelity::Widened,
                    format!(
                        "AppArmor ABI 3.0 cannot restrict operations or ports: \
                                 `network {inet} {ty}` allows every {name} connect and bind"
                    ),
                )
            }
        }
        Effect::Deny => {
            let allowed_left = fams.iter().any(|f| {
                [NetOp::Connect, NetOp::Bind].iter().any(|op| {
                    !covers_nothing(
                        &ranges(rules, Effect::Allow, *op, p, *f),
                        &ranges(rules, Effect::Deny, *op, p, *f),
                    )
                })
            });
            if allowed_left {
                (
                    Fidelity::Narrowed,
                    format!(
                        "AppArmor ABI 3.0 cannot restrict operations or ports: \
                                 `deny network {inet} {ty}` refuses every {name} socket"
                    ),
                )
            } else {
                (Fidelity::Exact, String::new())
            }
        }
    }
}

fn port_cond(ports: PortRange) -> Option<String> {
    if ports == PortRange::ALL {
        None
    } else {
        Some(format!("port={ports}"))
    }
}

fn compile_v4(rules: &[NetRule]) -> (Vec<String>, Vec<(Fidelity, String)>) {
    let mut lines = Vec::new();
    for proto in [Proto::Tcp, Proto::Udp] {
        // Operations polc does not model but every socket needs.
        for fam in IpFamily::BOTH {
            if has(rules, proto, Effect::Allow, fam) {
                lines.push(format!(
                    "network (create, getattr, setattr, getopt, setopt, shutdown) {} {},",
                    fam.family_name(),
                    sock_type(proto)
                ));
            }
        }
    }
    for rule in rules {
        let ty = sock_type(rule.proto);
        let (q, access, local) = match (rule.effect, rule.op, rule.proto) {
            (Effect::Allow, NetOp::Connect, _) => ("", "connect, send, receive", false),
            (Effect::Allow, NetOp::Bind, Proto::Tcp) => {
                ("", "bind, listen, accept, send, receive", true)
            }
            (Effect::Allow, NetOp::Bind, Proto::Udp) => ("", "bind, send, receive", true),
            (Effect::Deny, NetOp::Connect, _) => ("deny ", "connect, send", false),
            (Effect::Deny, NetOp::Bind, _) => ("deny ", "bind", true),
        };
        let cond = match port_cond(rule.ports) {
            None => String::new(),
            Some(c) if local => format!(" {c}"),
            Some(c) => format!(" peer=({c})"),
        };
        let a = if rule.audit { "audit " } else { "" };
        for fam in versions(rule) {
            let fam = fam.family_name();
            lines.push(format!("{a}{q}network ({access}) {fam} {ty}{cond},"));
        }
    }
    let fidelity = rules
        .iter()
        .map(|_| (Fidelity::Exact, String::new()))
        .collect();
    (lines, fidelity)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    fn rule(effect: Effect, op: NetOp, proto: Proto, lo: u16, hi: u16) -> NetRule {
        NetRule {
            audit: false,
            effect,
            op,
            proto,
            family: None,
            ports: PortRange { lo, hi },
            origins: Vec::new(),
        }
    }

    #[test]
    fn one_ip_version_is_one_family() {
        let mut v6 = rule(Effect::Allow, NetOp::Connect, Proto::Tcp, 443, 443);
        v6.family = Some(IpFamily::Inet6);
        let (lines, f) = compile_v4(std::slice::from_ref(&v6));
        assert_eq!(
            lines,
            vec![
                "network (create, getattr, setattr, getopt, setopt, shutdown) inet6 stream,",
                "network (connect, send, receive) inet6 stream peer=(port=443),",
            ]
        );
        assert_eq!(f[0].0, Fidelity::Exact);
        let mut all6 = rule(Effect::Allow, NetOp::Connect, Proto::Tcp, 1, 65535);
        all6.family = Some(IpFamily::Inet6);
        let mut bind6 = rule(Effect::Allow, NetOp::Bind, Proto::Tcp, 1, 65535);
        bind6.family = Some(IpFamily::Inet6);
        let (lines, f) = compile_v3(&[all6.clone(), bind6]);
        assert_eq!(lines, vec!["network inet6 stream,"]);
        assert!(f.iter().all(|x| x.0 == Fidelity::Exact));
        // A deny of IPv4 leaves the IPv6 rule whole.
        let mut deny4 = rule(Effect::Deny, NetOp::Connect, Proto::Tcp, 1, 65535);
        deny4.family = Some(IpFamily::Inet);
        let (lines, f) = compile_v3(&[all6, deny4]);
        assert_eq!(
            lines,
            vec!["network inet6 stream,", "deny network inet stream,"]
        );
        assert_eq!(f[0].0, Fidelity::Widened);
        assert_eq!(f[1].0, Fidelity::Exact);
    }

    #[test]
    fn port_arithmetic() {
        assert!(covers_all(&[
            PortRange { lo: 1, hi: 100 },
            PortRange { lo: 50, hi: 65535 }
        ]));
        assert!(!covers_all(&[
            PortRange { lo: 1, hi: 100 },
            PortRange { lo: 102, hi: 65535 }
        ]));
        assert!(covers_all(&[PortRange::ALL]));
        assert!(!covers_all(&[]));
        assert!(covers_nothing(
            &[PortRange { lo: 5, hi: 6 }],
            &[PortRange { lo: 1, hi: 10 }]
        ));
        assert!(!covers_nothing(
            &[PortRange { lo: 5, hi: 11 }],
            &[PortRange { lo: 1, hi: 10 }]
        ));
    }

    #[test]
    fn v3_port_rules_are_widened_and_full_rules_exact() {
        let (lines, f) = compile_v3(&[rule(Effect::Allow, NetOp::Connect, Proto::Tcp, 443, 443)]);
        assert_eq!(lines, vec!["network inet stream,", "network inet6 stream,"]);
        assert_eq!(f[0].0, Fidelity::Widened);
        let rules = [
            rule(Effect::Allow, NetOp::Connect, Proto::Udp, 1, 65535),
            rule(Effect::Allow, NetOp::Bind, Proto::Udp, 1, 65535),
        ];
        let (_, f) = compile_v3(&rules);
        assert!(f.iter().all(|x| x.0 == Fidelity::Exact));
    }

    #[test]
    fn v3_denies_narrow() {
        let rules = [
            rule(Effect::Allow, NetOp::Connect, Proto::Tcp, 1, 65535),
            rule(Effect::Deny, NetOp::Connect, Proto::Tcp, 25, 25),
        ];
        let (lines, f) = compile_v3(&rules);
        assert_eq!(lines.len(), 4);
        assert_eq!(f[0].0, Fidelity::Narrowed);
        assert_eq!(f[1].0, Fidelity::Narrowed);
        let (_, f) = compile_v3(&[rule(Effect::Deny, NetOp::Bind, Proto::Udp, 1, 65535)]);
        assert_eq!(f[0].0, Fidelity::Exact);
    }

    #[test]
    fn v4_uses_ports() {
        let rules = [
            rule(Effect::Allow, NetOp::Connect, Proto::Tcp, 443, 443),
            rule(Effect::Allow, NetOp::Bind, Proto::Tcp, 8080, 8089),
            rule(Effect::Deny, NetOp::Connect, Proto::Udp, 1, 65535),
        ];
        let (lines, f) = compile_v4(&rules);
        assert!(lines.contains(
            &"network (connect, send, receive) inet stream peer=(port=443),".to_string()
        ));
        assert!(lines.contains(
            &"network (bind, listen, accept, send, receive) inet6 stream port=8080-8089,"
                .to_string()
        ));
        assert!(lines.contains(&"deny network (connect, send) inet dgram,".to_string()));
        assert!(f.iter().all(|x| x.0 == Fidelity::Exact));
    }
}
