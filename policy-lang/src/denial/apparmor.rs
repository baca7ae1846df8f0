//! AppArmor audit records: `apparmor="DENIED" operation=... profile=...`.

use super::fields::{self, Fields};
use super::{trim_dir, Access, Denial, DenialError, Lsm, PathHint};
use crate::ir::{FamilySockType, IpFamily, NetFamily, NetOp, PolicyName, Proto, SignalDir};
use crate::rights::Right;

pub(super) fn parse(line: &str) -> Result<Denial, DenialError> {
    let f = fields::parse(line);
    let verdict = f.get("apparmor").unwrap_or_default();
    let complain = match verdict {
        "DENIED" => false,
        "ALLOWED" => true,
        other => {
            return Err(DenialError::NotADenial {
                lsm: Lsm::AppArmor,
                what: format!("apparmor=\"{other}\""),
            })
        }
    };
    let operation = f.get("operation").ok_or(DenialError::MissingField {
        lsm: Lsm::AppArmor,
        field: "operation",
    })?;
    let mut notes = Vec::new();
    let mut permissions = Vec::new();
    let class = f.get("class").unwrap_or_default();
    let accesses = if operation == "capable" || class == "cap" {
        let name = f.get("capname").ok_or(DenialError::MissingField {
            lsm: Lsm::AppArmor,
            field: "capname",
        })?;
        permissions.push(name.to_string());
        vec![Access::Capability {
            name: name.to_string(),
        }]
    } else if operation == "signal" || class == "signal" {
        signal(&f, &mut permissions)
    } else if f.get("family").is_some() || class == "net" {
        network(&f, operation, &mut permissions, &mut notes)
    } else if let Some(name) = f.get("name") {
        file(&f, operation, name, &mut permissions, &mut notes)
    } else {
        vec![Access::Unmapped {
            permission: operation.to_string(),
            reason: format!("AppArmor operation `{operation}` without a path has no counterpart in polc policies"),
        }]
    };
    let subject = f.get("profile").map(str::to_string);
    let subject_policy = subject
        .as_deref()
        .and_then(|p| PolicyName::new(p).ok())
        .map(|n| n.to_string());
    if complain {
        notes.push("the profile is in complain mode: the access was allowed and logged".into());
    }
    Ok(Denial {
        lsm: Lsm::AppArmor,
        subject,
        subject_policy,
        permissions,
        accesses,
        complain,
        notes,
        fields: f.map,
    })
}

/// The file rights of AppArmor's permission letters.
fn file(
    f: &Fields,
    operation: &str,
    name: &str,
    permissions: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Vec<Access> {
    let mask = f
        .get("denied_mask")
        .or_else(|| f.get("requested_mask"))
        .unwrap_or_default();
    permissions.push(mask.to_string());
    let (path, is_dir) = trim_dir(name);
    if !path.starts_with('/') {
        notes.push(format!(
            "AppArmor could not name the path from the root (`{name}`): the path is relative to a mount namespace or disconnected"
        ));
    }
    let exact = |right: Right| Access::File {
        path: PathHint::Exact(path.to_string()),
        right,
    };
    // Operations whose right is the operation itself.
    match operation {
        "rename_src" | "rename_dest" => return vec![exact(Right::Rename)],
        "link" => return vec![exact(Right::Link)],
        _ => {}
    }
    let mut out = Vec::new();
    for c in mask.chars() {
        let right = match c {
            'r' if is_dir => Right::List,
            'r' => Right::Read,
            'w' => Right::Write,
            'a' => Right::Append,
            'c' => Right::Create,
            'd' => Right::Delete,
            'x' => Right::Exec,
            'm' => Right::MapExec,
            'k' => Right::Lock,
            'l' => Right::Link,
            ':' => continue,
            other => {
                out.push(Access::Unmapped {
                    permission: other.to_string(),
                    reason: format!(
                        "AppArmor permission `{other}` has no counterpart in polc rights"
                    ),
                });
                continue;
            }
        };
        let a = exact(right);
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        out.push(Access::Unmapped {
            permission: operation.to_string(),
            reason: format!("no permission letters in `{mask}`"),
        });
    }
    out
}

fn signal(f: &Fields, permissions: &mut Vec<String>) -> Vec<Access> {
    let mask = f
        .get("denied_mask")
        .or_else(|| f.get("requested_mask"))
        .unwrap_or("send");
    permissions.push(mask.to_string());
    let signal = f
        .get("signal")
        .map(|s| s.trim_start_matches("SIG").to_lowercase());
    let peer = f.get("peer").map(str::to_string);
    if let Some(p) = peer.as_deref() {
        if p != "unconfined" && PolicyName::new(p).is_err() {
            return vec![Access::Unmapped {
                permission: format!("signal {mask} {}", signal.as_deref().unwrap_or("")),
                reason: format!(
                    "the peer `{p}` is not a polc policy: signal rules name policies and `unconfined`"
                ),
            }];
        }
    }
    let mut out = Vec::new();
    for word in mask.split_whitespace() {
        let direction = match word {
            "send" => SignalDir::Send,
            "receive" => SignalDir::Receive,
            _ => continue,
        };
        out.push(Access::Signal {
            direction,
            peer: peer.clone(),
            signal: signal.clone(),
        });
    }
    if out.is_empty() {
        out.push(Access::Signal {
            direction: SignalDir::Send,
            peer,
            signal,
        });
    }
    out
}

/// A netlink or packet socket by type, or a raw IP socket by IP version, with its
/// protocol when the record's number is one polc names.
fn family_access(f: &Fields, family: &str, sock_type: &str) -> Option<Access> {
    let (fam, ip) = match (family, sock_type) {
        ("netlink", _) => (NetFamily::Netlink, None),
        ("packet", _) => (NetFamily::Packet, None),
        ("inet", "raw") => (NetFamily::Raw, Some(IpFamily::Inet)),
        ("inet6", "raw") => (NetFamily::Raw, Some(IpFamily::Inet6)),
        _ => return None,
    };
    let sock_type =
        FamilySockType::from_keyword(sock_type).filter(|t| fam.sock_types().contains(t));
    if !fam.sock_types().is_empty() && sock_type.is_none() {
        return None;
    }
    let number = f.get("protocol").and_then(|p| p.parse::<u8>().ok());
    let protocol = number.and_then(|n| {
        fam.protocols_of(ip)
            .iter()
            .find(|(_, k)| *k == n)
            .map(|(name, _)| (*name).to_string())
    });
    Some(Access::NetFamily {
        family: fam,
        ip,
        protocol,
        sock_type,
    })
}

fn network(
    f: &Fields,
    operation: &str,
    permissions: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Vec<Access> {
    let mask = f
        .get("denied_mask")
        .or_else(|| f.get("requested_mask"))
        .unwrap_or(operation);
    permissions.push(mask.to_string());
    let family = f.get("family").unwrap_or_default();
    let sock_type = f.get("sock_type").unwrap_or_default();
    let ip = match family {
        "inet" => Some(IpFamily::Inet),
        "inet6" => Some(IpFamily::Inet6),
        _ => None,
    };
    if let Some(a) = family_access(f, family, sock_type) {
        return vec![a];
    }
    let proto = match (family, sock_type) {
        ("inet" | "inet6", "stream") => Proto::Tcp,
        ("inet" | "inet6", "dgram") => Proto::Udp,
        _ => {
            return vec![Access::Unmapped {
                permission: format!("network {family} {sock_type}"),
                reason: "polc network rules are about TCP and UDP over IPv4 and IPv6".into(),
            }]
        }
    };
    let port = |k: &str| {
        f.get(k)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p > 0)
    };
    let (op, port) = match operation {
        "connect" => (Some(NetOp::Connect), port("fport")),
        "bind" => (Some(NetOp::Bind), port("lport")),
        _ => (None, None),
    };
    if op.is_none() {
        notes.push(format!(
            "AppArmor refused `{operation}` on a {} socket: without port mediation it decides per family and type, so any allowed connect or bind of that protocol would have allowed it",
            match proto {
                Proto::Tcp => "TCP",
                Proto::Udp => "UDP",
            }
        ));
    } else if port.is_none() {
        notes.push(
            "the record has no port (AppArmor before ABI 4 mediates family and type only)".into(),
        );
    }
    vec![Access::Net {
        op,
        proto,
        family: ip,
        port,
    }]
}
