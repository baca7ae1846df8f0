//! SELinux AVC records: `avc:  denied  { PERMS } for ... scontext=... tclass=...`.

use super::fields::{self, Fields};
use super::{trim_dir, Access, Denial, DenialError, Lsm, PathHint};
use crate::ir::{NetOp, PolicyName, Proto, SignalDir};
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
    let subject = context_type(scontext).map(str::to_string);
    let subject_policy = subject.as_deref().and_then(policy_of_type);
    let complain = f.get("permissive") == Some("1");
    let mut notes = Vec::new();
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
            "file" | "dir" | "lnk_file" | "chr_file" | "blk_file" | "sock_file" | "fifo_file" => {
                file(&f, tclass, perm, &mut notes)
            }
            "tcp_socket" | "udp_socket" => net(&f, tclass, perm),
            "capability" | "capability2" | "cap_userns" | "cap2_userns" => Access::Capability {
                name: perm.clone(),
            },
            "process" if perm.starts_with("sig") => signal(&f, perm, &mut notes),
            _ => Access::Unmapped {
                permission: format!("{tclass} {perm}"),
                reason: format!("SELinux class `{tclass}` permission `{perm}` has no counterpart in polc policies"),
            },
        };
        if !accesses.contains(&a) {
            accesses.push(a);
        }
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

fn signal(f: &Fields, perm: &str, notes: &mut Vec<String>) -> Access {
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
    let peer = f
        .get("tcontext")
        .and_then(context_type)
        .map(|t| policy_of_type(t).unwrap_or_else(|| t.to_string()));
    Access::Signal {
        direction: SignalDir::Send,
        peer,
        signal,
    }
}
