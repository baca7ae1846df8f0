//! AppArmor audit records: `apparmor="DENIED" operation=... profile=...`.

use super::fields::{self, Fields};
use super::{trim_dir, Access, Denial, DenialError, Lsm, PathHint};
use crate::ir::{
    DbusOp, FamilySockType, IpFamily, NetFamily, NetOp, PolicyName, Proto, PtraceAccess, PtraceDir,
    SignalDir, UnixOp, UnixType,
};
use crate::rights::Right;

pub(super) fn parse(line: &str) -> Result<Denial, DenialError> {
    // A user-space record (the bus daemon's `USER_AVC`) holds the record in `msg='...'`:
    // every field of interest follows `apparmor=`, in both forms. Only a field starts
    // there: after a space, the quote of `msg='`, or at the start (not in the middle of
    // prose such as `(apparmor="ALLOWED": ...`).
    let line = line
        .match_indices("apparmor=")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || line[..i].ends_with([' ', '\'']))
        .and_then(|i| line.get(i..))
        .unwrap_or(line);
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
    } else if operation == "ptrace" || class == "ptrace" {
        ptrace(&f, &mut permissions, &mut notes)
    } else if operation.starts_with("dbus_") || class == "dbus" {
        dbus(&f, operation, &mut permissions)
    } else if f.get("family") == Some("unix") || class == "unix" {
        unix(&f, operation, &mut permissions, &mut notes)
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
    // The bus daemon's records name the subject `label=`, the kernel's `profile=`.
    let subject = f
        .get("profile")
        .or_else(|| f.get("label"))
        .map(str::to_string);
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

/// The bus daemon's records (`operation="dbus_method_call"`, `dbus_signal`, `dbus_bind`,
/// `dbus_eavesdrop`): the operation in `mask`, the message's fields, the peer's bus name in
/// `name` and its profile in `peer_label`; a field the record leaves out is one the message
/// does not have (a method call without an interface).
fn dbus(f: &Fields, operation: &str, permissions: &mut Vec<String>) -> Vec<Access> {
    let mask = f.get("mask").unwrap_or(operation);
    permissions.push(mask.to_string());
    let op = match mask {
        "send" => DbusOp::Send,
        "receive" => DbusOp::Receive,
        "bind" => DbusOp::Bind,
        other => {
            return vec![Access::Unmapped {
                permission: format!("dbus {other}"),
                reason: "polc has no eavesdrop (dbus-daemon deprecated it for `BecomeMonitor`, a method call to the bus that `send` covers)".into(),
            }]
        }
    };
    let get = |k: &str| f.get(k).map(str::to_string);
    let message = op != DbusOp::Bind;
    vec![Access::Dbus {
        op,
        bus: get("bus"),
        path: get("path").filter(|_| message),
        interface: get("interface").filter(|_| message),
        member: get("member").filter(|_| message),
        name: get("name"),
        peer: get("peer_label").filter(|_| message),
        complete: true,
    }]
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
    // AppArmor names a directory with a trailing `/` (mkdir, rmdir, opening it).
    let exact = |right: Right| Access::File {
        path: if is_dir && path != "/" {
            PathHint::Directory(path.to_string())
        } else {
            PathHint::Exact(path.to_string())
        },
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
    let mask = mask(f, "send");
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

/// The mask of a record: the denied part, else what was requested (`denied_mask`, or
/// `denied` in the records of newer kernels).
fn mask<'a>(f: &'a Fields, default: &'a str) -> &'a str {
    ["denied_mask", "denied", "requested_mask", "requested"]
        .iter()
        .find_map(|k| f.get(k))
        .unwrap_or(default)
}

/// The peer label as a policy name or `unconfined`; another profile is not a polc policy
/// (a note says so).
fn peer_policy(f: &Fields, notes: &mut Vec<String>) -> Option<String> {
    let p = f.get("peer")?;
    if p == "unconfined" || PolicyName::new(p).is_ok() {
        return Some(p.to_string());
    }
    notes.push(format!(
        "the peer `{p}` is not a polc policy: rules name policies, `unconfined` and `any`"
    ));
    None
}

/// `operation="ptrace"`: `read`/`trace` are this profile's accesses to the peer,
/// `readby`/`tracedby` the peer's accesses to this profile (AppArmor checks both sides).
fn ptrace(f: &Fields, permissions: &mut Vec<String>, notes: &mut Vec<String>) -> Vec<Access> {
    let m = mask(f, "");
    permissions.push(m.to_string());
    let peer = peer_policy(f, notes);
    let mut out = Vec::new();
    for word in m.split_whitespace() {
        let (direction, access) = match word {
            "read" => (PtraceDir::To, PtraceAccess::Read),
            "trace" => (PtraceDir::To, PtraceAccess::Trace),
            "readby" => (PtraceDir::From, PtraceAccess::Read),
            "tracedby" => (PtraceDir::From, PtraceAccess::Trace),
            other => {
                out.push(Access::Unmapped {
                    permission: format!("ptrace {other}"),
                    reason: format!(
                        "AppArmor ptrace permission `{other}` has no counterpart in polc rules"
                    ),
                });
                continue;
            }
        };
        out.push(Access::Ptrace {
            direction,
            access,
            peer: peer.clone(),
        });
    }
    if out.is_empty() {
        out.push(Access::Unmapped {
            permission: "ptrace".into(),
            reason: format!("no ptrace permission in `{m}`"),
        });
    }
    out
}

/// `family="unix"`: the operations of the mask, the type, the address (the peer's for
/// connect, send and receive when logged, else the socket's own) and the peer's label.
fn unix(
    f: &Fields,
    operation: &str,
    permissions: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Vec<Access> {
    let m = mask(f, operation);
    permissions.push(m.to_string());
    let sock_type = match f.get("sock_type").unwrap_or_default() {
        "stream" => Some(UnixType::Stream),
        "dgram" => Some(UnixType::Dgram),
        "seqpacket" => Some(UnixType::Seqpacket),
        _ => None,
    };
    let own = f.get("addr").map(str::to_string);
    let theirs = f.get("peer_addr").map(str::to_string);
    let peer = peer_policy(f, notes);
    if own.is_none() && theirs.is_none() && f.get("peer").is_none() {
        notes.push("the record names no address or peer: the kernel mediates unix sockets by type only (AppArmor without af_unix mediation enforces `network unix TYPE`), so any allowed unix rule of this type would have allowed it".into());
    }
    let mut out: Vec<Access> = Vec::new();
    for word in m.split_whitespace() {
        let op = match word {
            "connect" => Some(UnixOp::Connect),
            "send" => Some(UnixOp::Send),
            "receive" => Some(UnixOp::Receive),
            "bind" => Some(UnixOp::Bind),
            "listen" => Some(UnixOp::Listen),
            "accept" => Some(UnixOp::Accept),
            // Creating, options, attributes, shutdown: granted with every allowed type.
            _ => None,
        };
        let addr = match op {
            Some(UnixOp::Connect | UnixOp::Send | UnixOp::Receive) => {
                theirs.clone().or_else(|| own.clone())
            }
            _ => own.clone(),
        };
        let a = Access::Unix {
            op,
            sock_type,
            addr,
            peer: peer.clone(),
        };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        out.push(Access::Unix {
            op: None,
            sock_type,
            addr: own,
            peer,
        });
    }
    out
}
