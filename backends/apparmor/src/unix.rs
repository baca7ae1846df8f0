//! Unix-socket rules and the network families beyond inet.
//!
//! - Abstract and anonymous addresses and peers become `unix` rules: `addr=` for the
//!   socket's own address (bind, listen, accept), `peer=(addr=)` for the peer's (connect),
//!   both for send and receive; `peer=(label=)` names the peer's profile.
//! - Path addresses cannot be named in a `unix` rule (AppArmor mediates path sockets as
//!   files): the rule becomes a `unix` rule without an address (widened: every address)
//!   and a file rule `w` on the socket path (connecting and binding write the socket file).
//! - Every allowed type also gets `create, getattr, getopt, setopt, shutdown`, which the
//!   language does not separate from the operations that need them.
//! - `network` rules name a family and a socket type, never a protocol: a netlink or raw
//!   rule that names a protocol is widened to the family.

use crate::profile::profile_name;
use crate::{aare, Error};
use polc_lang::fidelity::{Fidelity, RuleFidelity, RuleListKind};
use polc_lang::ir::text::quote_line;
use polc_lang::ir::{
    Effect, FamilyRule, NetFamily, Policy, UnixAddr, UnixOp, UnixPeer, UnixRule, UnixType,
};
use std::collections::BTreeSet;

/// An abstract name as an AppArmor string (the checker refused globs and control
/// characters; `"` and `\` are escaped).
fn abstract_pattern(name: &str) -> String {
    let mut s = String::from("\"");
    for c in name.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

fn ops_text(ops: &[UnixOp]) -> String {
    ops.iter()
        .map(|o| o.keyword())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `unix` lines and file lines of one rule, and its fidelity.
fn unix_rule(r: &UnixRule, lines: &mut Vec<String>) -> Result<(Fidelity, String), Error> {
    let q = if r.effect == Effect::Deny {
        "deny "
    } else {
        ""
    };
    let ty = r
        .sock_type
        .map(|t| format!(" type={}", t.keyword()))
        .unwrap_or_default();
    let label = match &r.peer {
        UnixPeer::Any => None,
        UnixPeer::Unconfined => Some("label=unconfined".to_string()),
        UnixPeer::Policy(n) => Some(format!("label={}", quote_line(&profile_name(n)?))),
    };
    let ops: Vec<UnixOp> = r.ops.iter().copied().collect();
    let local: Vec<UnixOp> = ops.iter().copied().filter(|o| o.is_local()).collect();
    let connect: Vec<UnixOp> = ops
        .iter()
        .copied()
        .filter(|o| *o == UnixOp::Connect)
        .collect();
    let data: Vec<UnixOp> = ops
        .iter()
        .copied()
        .filter(|o| matches!(o, UnixOp::Send | UnixOp::Receive))
        .collect();
    let peer_part = |addr: Option<&str>| -> String {
        let parts: Vec<String> = addr
            .map(|a| format!("addr={a}"))
            .into_iter()
            .chain(label.clone())
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" peer=({})", parts.join(", "))
        }
    };
    // `bind` and `listen` happen before there is a peer: `apparmor_parser` refuses peer
    // conditionals on them, so their line has none.
    let line = |ops: &[UnixOp], addr: Option<&str>, peer_addr: Option<&str>| {
        let a = addr.map(|a| format!(" addr={a}")).unwrap_or_default();
        let (peerless, with_peer): (Vec<UnixOp>, Vec<UnixOp>) = ops
            .iter()
            .partition(|o| matches!(o, UnixOp::Bind | UnixOp::Listen));
        let mut out = Vec::new();
        if !with_peer.is_empty() {
            out.push(format!(
                "{q}unix ({}){ty}{a}{},",
                ops_text(&with_peer),
                peer_part(peer_addr)
            ));
        }
        if !peerless.is_empty() {
            out.push(format!("{q}unix ({}){ty}{a},", ops_text(&peerless)));
        }
        out
    };
    let mut fidelity = (Fidelity::Exact, String::new());
    if r.peer != UnixPeer::Any
        && ops
            .iter()
            .any(|o| matches!(o, UnixOp::Bind | UnixOp::Listen))
    {
        fidelity = if r.effect == Effect::Allow {
            (
                Fidelity::Widened,
                "AppArmor checks no peer for bind and listen (there is none yet): they are \
                 allowed whatever the peer"
                    .to_string(),
            )
        } else {
            (
                Fidelity::Narrowed,
                "AppArmor checks no peer for bind and listen (there is none yet): they are \
                 refused whatever the peer"
                    .to_string(),
            )
        };
    }
    match &r.addr {
        UnixAddr::Any => lines.extend(line(&ops, None, None)),
        UnixAddr::Abstract { name } => {
            let pat = match name {
                Some(n) => abstract_pattern(n),
                None => "\"@**\"".to_string(),
            };
            lines.extend(line(&local, Some(&pat), None));
            lines.extend(line(&connect, None, Some(&pat)));
            lines.extend(line(&data, Some(&pat), None));
            lines.extend(line(&data, None, Some(&pat)));
        }
        UnixAddr::Anonymous => {
            lines.extend(line(&data, Some("none"), Some("none")));
        }
        UnixAddr::Path { glob } => {
            let refused = |e: aare::Refusal| Error::UnsafeGlob {
                glob: glob.as_str().to_string(),
                reason: e.0,
                origin: r.origins.first().map(|o| Box::new(o.clone())),
            };
            let forms = aare::glob_forms(glob.as_str()).map_err(refused)?;
            if let Some(p) = &forms.file {
                aare::check_length(p).map_err(refused)?;
                if ops
                    .iter()
                    .any(|o| matches!(o, UnixOp::Connect | UnixOp::Bind))
                {
                    lines.push(format!("{q}\"{p}\" w,"));
                }
            }
            if r.effect == Effect::Deny {
                let unenforced: Vec<UnixOp> = ops
                    .iter()
                    .copied()
                    .filter(|o| !matches!(o, UnixOp::Connect | UnixOp::Bind))
                    .collect();
                if !unenforced.is_empty() {
                    fidelity = (
                        Fidelity::Widened,
                        format!(
                            "AppArmor mediates path sockets as files: only connect and bind \
                             (writing the socket file) are refused, not {}",
                            ops_text(&unenforced)
                        ),
                    );
                }
            } else {
                lines.extend(line(&ops, None, None));
                fidelity = (
                    Fidelity::Widened,
                    "AppArmor's unix rules cannot name a path: the rule allows these \
                     operations on every address (connecting and binding still need `w` \
                     on the socket file)"
                        .to_string(),
                );
            }
        }
    }
    Ok(fidelity)
}

/// The `unix` lines and the fidelity entries of every unix rule.
pub(crate) fn unix_rules(
    policy: &Policy,
    lines: &mut Vec<String>,
    report: &mut Vec<RuleFidelity>,
) -> Result<(), Error> {
    let mut create: BTreeSet<Option<UnixType>> = BTreeSet::new();
    for (index, r) in policy.unix.iter().enumerate() {
        let (f, reason) = unix_rule(r, lines)?;
        if r.effect == Effect::Allow {
            create.insert(r.sock_type);
        }
        report.push(RuleFidelity::rule(
            RuleListKind::Unix,
            index,
            f,
            reason,
            r.text(),
            r.origins.clone(),
        ));
    }
    let all = create.contains(&None);
    for t in create {
        if all && t.is_some() {
            continue;
        }
        let ty = t
            .map(|t| format!(" type={}", t.keyword()))
            .unwrap_or_default();
        lines.push(format!(
            "unix (create, getattr, getopt, setopt, shutdown){ty},"
        ));
    }
    Ok(())
}

/// The `network` lines of one family rule (family and types), and whether a protocol
/// was dropped.
fn family_lines(r: &FamilyRule) -> Vec<String> {
    let q = if r.effect == Effect::Deny {
        "deny "
    } else {
        ""
    };
    let types: Vec<&str> = match r.sock_type {
        Some(t) => vec![t.keyword()],
        None => vec!["raw", "dgram"],
    };
    let pairs: Vec<(&str, &str)> = match (r.family, r.ip, r.protocol.as_deref()) {
        (NetFamily::Netlink, _, _) => types.into_iter().map(|t| ("netlink", t)).collect(),
        (NetFamily::Raw, Some(v), _) => vec![(v.family_name(), "raw")],
        (NetFamily::Raw, None, Some("icmp")) => vec![("inet", "raw")],
        (NetFamily::Raw, None, Some("icmpv6")) => vec![("inet6", "raw")],
        (NetFamily::Raw, None, _) => vec![("inet", "raw"), ("inet6", "raw")],
        (NetFamily::Packet, _, _) if r.sock_type.is_none() => {
            return vec![format!("{q}network packet,")]
        }
        (NetFamily::Packet, _, _) => types.into_iter().map(|t| ("packet", t)).collect(),
    };
    pairs
        .into_iter()
        .map(|(f, t)| format!("{q}network {f} {t},"))
        .collect()
}

/// The `network` lines and the fidelity entries of every family rule.
pub(crate) fn family_rules(
    policy: &Policy,
    lines: &mut Vec<String>,
    report: &mut Vec<RuleFidelity>,
) {
    for (index, r) in policy.net_families.iter().enumerate() {
        let (f, reason) = match (r.effect, &r.protocol) {
            (_, None) => {
                lines.extend(family_lines(r));
                (Fidelity::Exact, String::new())
            }
            (Effect::Allow, Some(p)) => {
                lines.extend(family_lines(r));
                let what = match r.family {
                    NetFamily::Raw if p == "icmpv6" => "raw IPv6 protocol",
                    NetFamily::Raw => "raw IPv4 protocol",
                    _ => "netlink protocol",
                };
                (
                    Fidelity::Widened,
                    format!(
                        "AppArmor network rules name the family and type, not the protocol: \
                         every {what} is allowed"
                    ),
                )
            }
            (Effect::Deny, Some(p)) => (
                Fidelity::Widened,
                format!(
                    "AppArmor network rules cannot name the protocol `{p}`: refusing it would \
                     refuse the whole family, so the deny is not enforced"
                ),
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::NetFamily,
            index,
            f,
            reason,
            r.text(),
            r.origins.clone(),
        ));
    }
}
