//! SELinux AVC records: `avc:  denied  { PERMS } for ... scontext=... tclass=...`.

use super::fields::{self, Fields};
use super::{trim_dir, Access, Denial, DenialError, Lsm, PathHint};
use crate::ir::{
    DbusOp, NetOp, PolicyName, Proto, PtraceAccess, PtraceDir, SignalDir, UnixOp, UnixType,
};
use crate::rights::Right;

pub(super) fn parse(line: &str) -> Result<Denial, DenialError> {
    let avc = line
        .find("avc:")
        .map_or(line, |i| line.get(i..).unwrap_or(line));
    let open = avc.find('{').ok_or(DenialError::Unrecognized)?;
    let head = avc.get(..open).unwrap_or_default();
    if !head.contains("denied") {
        return Err(DenialError::NotADenial {
            lsm: Lsm::SELinux,
            what: head.trim().trim_start_matches("avc:").trim().to_string(),
        });
    }
    let close = avc.find('}').ok_or(DenialError::Unrecognized)?;
    let perms: Vec<String> = avc
        .get(open + 1..close)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let f = fields::parse(avc.get(close + 1..).unwrap_or_default());
    let tclass = f.get("tclass").ok_or(DenialError::MissingField {
        lsm: Lsm::SELinux,
        field: "tclass",
    })?;
    let scontext = f.get("scontext").ok_or(DenialError::MissingField {
        lsm: Lsm::SELinux,
        field: "scontext",
    })?;
    let mut subject = context_type(scontext).map(str::to_string);
    // A child policy's sub-domain is a process of the child, not of its parent.
    let child = subject.as_deref().and_then(sub_domain);
    let mut subject_policy = subject
        .as_deref()
        .filter(|_| child.is_none())
        .and_then(policy_of_type);
    let mut complain = f.get("permissive") == Some("1");
    let mut notes = Vec::new();
    if let Some((parent, name)) = &child {
        notes.push(format!(
            "the process runs in the sub-domain of `child {name}` of policy `{parent}`: the child's rules decide it (`polc explain --child {name}`)"
        ));
    }
    let tcontext = f.get("tcontext").unwrap_or_default();
    let target_type = context_type(tcontext).map(str::to_string);
    let target_policy = target_type.as_deref().and_then(policy_of_type);
    // A process context (the role of files is object_r): signals, ptrace.
    let process_target = tcontext.split(':').nth(1).is_some_and(|r| r != "object_r");
    let between = Between {
        // A process no polc policy confines acting on one a polc policy confines: the
        // record is read as what that policy receives (a signal, being traced).
        reversed: subject_policy.is_none()
            && child.is_none()
            && target_policy.is_some()
            && process_target,
        // The other process: a polc policy, `unconfined` for `unconfined_t`, else its type.
        target: target_policy
            .clone()
            .or_else(|| target_type.as_deref().map(peer_of_type)),
        source: subject.as_deref().map(peer_of_type),
    };
    let mut accesses = Vec::new();
    // `open` and `getattr` come with the permission they serve; alone, they are a read.
    let primary = perms
        .iter()
        .any(|p| !matches!(p.as_str(), "open" | "getattr"));
    for perm in &perms {
        if primary && matches!(perm.as_str(), "open" | "getattr") {
            continue;
        }
        let a = match tclass {
            // PTRACE_MODE_READ is checked as `file read` on the peer's process context.
            "file" if perm == "read" && process_target && f.get("path").is_none() && f.get("name").is_none() => {
                ptrace(PtraceAccess::Read, &between)
            }
            "file" | "dir" | "lnk_file" | "chr_file" | "blk_file" | "sock_file" | "fifo_file" => {
                file(&f, tclass, perm, &mut notes)
            }
            "tcp_socket" | "udp_socket" => net(&f, tclass, perm),
            "capability" | "capability2" | "cap_userns" | "cap2_userns" => Access::Capability {
                name: perm.clone(),
            },
            "process"
                if matches!(
                    perm.as_str(),
                    "signal" | "sigkill" | "sigstop" | "sigchld" | "signull"
                ) =>
            {
                signal(perm, &between, &mut notes)
            }
            "process" if perm == "ptrace" => ptrace(PtraceAccess::Trace, &between),
            "unix_stream_socket" | "unix_dgram_socket" => unix(&f, tclass, perm, &between, &mut notes),
            "dbus" => dbus(&f, perm, &between, &mut notes),
            _ => Access::Unmapped {
                permission: format!("{tclass} {perm}"),
                reason: format!("SELinux class `{tclass}` permission `{perm}` has no counterpart in polc policies"),
            },
        };
        if !accesses.contains(&a) {
            accesses.push(a);
        }
    }
    let read_reversed = between.reversed
        && accesses.iter().any(|a| {
            matches!(
                a,
                Access::Signal { .. } | Access::Ptrace { .. } | Access::Dbus { .. }
            )
        });
    if read_reversed {
        let source = subject.take().unwrap_or_default();
        notes.push(format!(
            "`{source}` is not the domain of a polc policy: the record is read as what the policy `{}` lets it do to its processes",
            target_policy.as_deref().unwrap_or_default()
        ));
        if complain {
            // The source's domain is the permissive one, not the policy's.
            complain = false;
            notes.push(format!(
                "`{source}` is permissive: the access was allowed and logged"
            ));
        }
        subject = target_type.clone();
        subject_policy = target_policy.clone();
    }
    if complain {
        notes.push("the domain is permissive: the access was allowed and logged".into());
    }
    Ok(Denial {
        lsm: Lsm::SELinux,
        subject,
        subject_policy,
        permissions: perms,
        accesses,
        complain,
        notes,
        fields: f.map,
    })
}

/// The type of a security context `user:role:type:level`.
pub(super) fn context_type(ctx: &str) -> Option<&str> {
    ctx.split(':').nth(2)
}

/// The policy and the child of a child policy's sub-domain, `BLOCK.child_NAME` (NAME
/// mapped as a block name).
fn sub_domain(ty: &str) -> Option<(String, String)> {
    let (_, local) = ty.split_once('.')?;
    let child = local.strip_prefix("child_")?;
    Some((
        policy_of_type(ty)?,
        policy_of_type(&format!("{child}.domain"))?,
    ))
}

/// The polc policy a type belongs to: polc declares a policy's types in a CIL block named
/// after it, `.` written `_` and `-` written `__` (`org_example_web__app.domain`).
pub(super) fn policy_of_type(ty: &str) -> Option<String> {
    let (block, _) = ty.split_once('.')?;
    let mut out = String::new();
    let mut run = 0usize;
    let flush = |out: &mut String, run: usize| match run {
        0 => Some(()),
        1 => {
            out.push('.');
            Some(())
        }
        2 => {
            out.push('-');
            Some(())
        }
        _ => None,
    };
    for c in block.chars() {
        if c == '_' {
            run += 1;
        } else {
            flush(&mut out, run)?;
            run = 0;
            out.push(c);
        }
    }
    flush(&mut out, run)?;
    PolicyName::new(&out).ok().map(|n| n.to_string())
}

fn file(f: &Fields, tclass: &str, perm: &str, notes: &mut Vec<String>) -> Access {
    let dir = tclass == "dir";
    // `path=` is the whole path; `name=` only the last component.
    let hint = |child: bool| -> PathHint {
        if let Some(p) = f.get("path") {
            let (p, _) = trim_dir(p);
            if child {
                PathHint::ChildOf(p.to_string())
            } else if dir && p != "/" {
                // `tclass=dir`: the object is a directory.
                PathHint::Directory(p.to_string())
            } else {
                PathHint::Exact(p.to_string())
            }
        } else {
            let name = f.get("name").unwrap_or_default();
            PathHint::EndsWith(name.to_string())
        }
    };
    if f.get("path").is_none()
        && f.get("name").is_some()
        && !notes.iter().any(|n| n.contains("name="))
    {
        notes.push("the record has `name=` (the last path component) but no `path=`: pass the whole path with --path for an exact answer".into());
    }
    let right = match (perm, dir) {
        ("read", true) | ("search", true) => Right::List,
        ("read", false) | ("open", _) | ("getattr", _) => Right::Read,
        ("write", false) => Right::Write,
        ("append", _) => Right::Append,
        ("create", _) => Right::Create,
        ("unlink", _) | ("rmdir", _) => Right::Delete,
        ("execute" | "execute_no_trans", _) => Right::Exec,
        ("map", _) => Right::MapExec,
        ("lock", _) => Right::Lock,
        ("link", _) => Right::Link,
        ("rename" | "reparent", _) => Right::Rename,
        // Entry changes are checked on the directory; the entry is the `name=`.
        ("add_name", true) => {
            return Access::File {
                path: entry_hint(f),
                right: Right::Create,
            }
        }
        ("remove_name", true) => {
            return Access::File {
                path: entry_hint(f),
                right: Right::Delete,
            }
        }
        ("write", true) => {
            return Access::File {
                path: hint(true),
                right: Right::Create,
            }
        }
        _ => {
            return Access::Unmapped {
                permission: format!("{tclass} {perm}"),
                reason: format!("SELinux permission `{perm}` has no counterpart in polc rights"),
            }
        }
    };
    Access::File {
        path: hint(false),
        right,
    }
}

/// For `add_name`/`remove_name`: `path=` (when present) is the directory, `name=` the entry.
fn entry_hint(f: &Fields) -> PathHint {
    match (f.get("path"), f.get("name")) {
        (Some(dir), Some(name)) => {
            let (dir, _) = trim_dir(dir);
            let sep = if dir == "/" { "" } else { "/" };
            PathHint::Exact(format!("{dir}{sep}{name}"))
        }
        (Some(dir), None) => PathHint::ChildOf(trim_dir(dir).0.to_string()),
        (None, name) => PathHint::EndsWith(name.unwrap_or_default().to_string()),
    }
}

fn net(f: &Fields, tclass: &str, perm: &str) -> Access {
    let proto = if tclass == "udp_socket" {
        Proto::Udp
    } else {
        Proto::Tcp
    };
    let port = |k: &str| {
        f.get(k)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p > 0)
    };
    match perm {
        "name_connect" => Access::Net {
            op: Some(NetOp::Connect),
            proto,
            family: None,
            port: port("dest"),
        },
        "name_bind" => Access::Net {
            op: Some(NetOp::Bind),
            proto,
            family: None,
            port: port("src"),
        },
        "connect" => Access::Net {
            op: Some(NetOp::Connect),
            proto,
            family: None,
            port: port("dest"),
        },
        "bind" => Access::Net {
            op: Some(NetOp::Bind),
            proto,
            family: None,
            port: port("src"),
        },
        _ => Access::Net {
            op: None,
            proto,
            family: None,
            port: None,
        },
    }
}

/// The two processes of a record about a signal, ptrace or a socket's peer.
struct Between {
    /// The source is no polc policy's domain and the target is: read from the target's
    /// side.
    reversed: bool,
    /// The target process as a peer (a policy name, `unconfined`, else its type).
    target: Option<String>,
    /// The source process as a peer.
    source: Option<String>,
}

/// A process type as a peer: the policy it belongs to, `unconfined` for `unconfined_t`,
/// else the type itself (no rule can name it).
fn peer_of_type(ty: &str) -> String {
    match policy_of_type(ty) {
        Some(p) => p,
        None if ty == "unconfined_t" => "unconfined".into(),
        None => ty.to_string(),
    }
}

fn signal(perm: &str, between: &Between, notes: &mut Vec<String>) -> Access {
    let signal = match perm {
        "signull" => Some("exists".to_string()),
        "sigkill" => Some("kill".to_string()),
        "sigstop" => Some("stop".to_string()),
        "sigchld" => Some("chld".to_string()),
        _ => {
            notes.push("SELinux permission `signal` covers every signal but kill, stop, chld and exists (signal 0): the record does not say which".into());
            None
        }
    };
    if between.reversed {
        Access::Signal {
            direction: SignalDir::Receive,
            peer: between.source.clone(),
            signal,
        }
    } else {
        Access::Signal {
            direction: SignalDir::Send,
            peer: between.target.clone(),
            signal,
        }
    }
}

fn ptrace(access: PtraceAccess, between: &Between) -> Access {
    if between.reversed {
        Access::Ptrace {
            direction: PtraceDir::From,
            access,
            peer: between.source.clone(),
        }
    } else {
        Access::Ptrace {
            direction: PtraceDir::To,
            access,
            peer: between.target.clone(),
        }
    }
}

/// The bus daemon's `dbus` class: `send_msg` from the sender's domain to the receiver's
/// (`msgtype`, `interface`, `member`, `dest` logged; no bus, no path), `acquire_svc` on
/// the context the bus associates with a name (`service=`).
fn dbus(f: &Fields, perm: &str, between: &Between, notes: &mut Vec<String>) -> Access {
    let note = "SELinux's dbus records name no bus and no object path: the rules that may apply are listed";
    if !notes.iter().any(|n| n == note) {
        notes.push(note.into());
    }
    match perm {
        "send_msg" => {
            let (op, peer) = if between.reversed {
                (DbusOp::Receive, between.source.clone())
            } else {
                (DbusOp::Send, between.target.clone())
            };
            let get = |k: &str| f.get(k).map(str::to_string);
            Access::Dbus {
                op,
                bus: None,
                path: None,
                interface: get("interface"),
                member: get("member"),
                // The destination's name is the peer's for a sent message only.
                name: get("dest").filter(|_| op == DbusOp::Send),
                peer,
                complete: false,
            }
        }
        "acquire_svc" => Access::Dbus {
            op: DbusOp::Bind,
            bus: None,
            path: None,
            interface: None,
            member: None,
            name: f.get("service").map(str::to_string),
            peer: None,
            complete: false,
        },
        _ => Access::Unmapped {
            permission: format!("dbus {perm}"),
            reason: format!(
                "SELinux's dbus permission `{perm}` has no counterpart in polc policies"
            ),
        },
    }
}

/// `unix_stream_socket` / `unix_dgram_socket`: `connectto` (stream) and `sendto` (dgram)
/// are checked against the peer's domain, with the address in `path=` (an abstract name
/// starts with a NUL byte); the other permissions are on the process's own socket.
fn unix(
    f: &Fields,
    tclass: &str,
    perm: &str,
    between: &Between,
    notes: &mut Vec<String>,
) -> Access {
    let sock_type = if tclass == "unix_dgram_socket" {
        Some(UnixType::Dgram)
    } else {
        let note = "SELinux's `unix_stream_socket` class is stream and seqpacket sockets: the record does not say which";
        if !notes.iter().any(|n| n == note) {
            notes.push(note.into());
        }
        None
    };
    let (op, to_peer) = match perm {
        "connectto" => (Some(UnixOp::Connect), true),
        "sendto" => (Some(UnixOp::Send), true),
        "connect" => (Some(UnixOp::Connect), false),
        "bind" => (Some(UnixOp::Bind), false),
        "listen" => (Some(UnixOp::Listen), false),
        "accept" => (Some(UnixOp::Accept), false),
        "write" | "append" => (Some(UnixOp::Send), false),
        "read" | "recvfrom" => (Some(UnixOp::Receive), false),
        _ => (None, false),
    };
    let addr = f.get("path").map(|p| match p.strip_prefix('\0') {
        Some(name) => format!("@{name}"),
        None => p.to_string(),
    });
    Access::Unix {
        op,
        sock_type,
        addr,
        peer: if to_peer {
            between.target.clone()
        } else {
            None
        },
    }
}
