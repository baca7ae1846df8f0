//! Kernel denial log lines, mapped back to the policy language.
//!
//! [`parse`] reads one audit record of any of the three LSMs polc compiles for and says
//! which accesses it refused, in the policy's terms ([`Access`]); [`explain`] then
//! evaluates them against a policy and says which rule blocks each one, or that no allow
//! covers it, and the rule to add.
//!
//! ```
//! use polc_lang::denial::{parse, Access, Lsm, PathHint};
//! use polc_lang::rights::Right;
//!
//! let line = r#"audit: type=1400 audit(1700000000.123:45): apparmor="DENIED" operation="open" class="file" profile="org.example.app" name="/etc/shadow" pid=1234 comm="app" requested_mask="r" denied_mask="r" fsuid=1000 ouid=0"#;
//! let d = parse(line).map_err(|e| e.to_string())?;
//! assert_eq!(d.lsm, Lsm::AppArmor);
//! assert_eq!(d.subject.as_deref(), Some("org.example.app"));
//! assert_eq!(
//!     d.accesses,
//!     vec![Access::File { path: PathHint::Exact("/etc/shadow".into()), right: Right::Read }]
//! );
//! # Ok::<(), String>(())
//! ```
//!
//! # Formats
//!
//! - AppArmor: `apparmor="DENIED"` (or `"ALLOWED"` in complain mode) records, type 1400
//!   or `AVC`, with `operation`, `profile`, `name`, `denied_mask` (file permission
//!   letters `r w a c d x m k l`), `capname`, `signal`/`peer`, `operation="ptrace"`
//!   (`read trace readby tracedby`), or `family`/`sock_type` and the ports of AppArmor 4's
//!   fine-grained network mediation, or, for `family="unix"`, the operations, `addr`,
//!   `peer_addr` and `peer`.
//! - SELinux: `avc:  denied  { PERMS } for ... scontext=... tcontext=... tclass=...`,
//!   with `path=` (a whole path) or `name=` (its last component only), `dest=`/`src=` for
//!   ports, `capability=` for capabilities, `process` signals and `ptrace` (and `file read`
//!   on a process context: ptrace read), `unix_stream_socket`/`unix_dgram_socket`
//!   (`connectto`, `sendto` with the peer's domain). A record whose source is no polc
//!   policy's domain and whose target is (a signal from an unconfined shell) is read from
//!   the target policy's side.
//! - Landlock (ABI 7 audit, kernel 6.15+): `type=1423` (`LANDLOCK_ACCESS`) records,
//!   `domain=ID blockers=fs.read_file,... path="..."`, `net.*` with `dest=`/`src=`,
//!   `scope.*`. For creation, removal and `refer` Landlock logs the *directory*, so the
//!   access is to some entry of it ([`PathHint::ChildOf`]).
//!
//! A line may carry any prefix (syslog, `dmesg`, journald, `ausearch` output).

mod apparmor;
mod explain;
mod fields;
mod landlock;
mod selinux;
pub mod suggest;

pub use explain::{explain, AccessExplanation, DenialExplanation, Verdict};
pub use suggest::{suggest, Suggestions};

use crate::eval::{Request, RequestPeer, UnixRequestAddr};
use crate::ir::{NetOp, Proto, PtraceAccess, PtraceDir, SignalDir, UnixOp, UnixType};
use crate::rights::Right;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The LSM that wrote a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lsm {
    /// AppArmor.
    AppArmor,
    /// SELinux.
    SELinux,
    /// Landlock.
    Landlock,
}

impl Lsm {
    /// The lowercase name, as `--target` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Lsm::AppArmor => "apparmor",
            Lsm::SELinux => "selinux",
            Lsm::Landlock => "landlock",
        }
    }
}

impl fmt::Display for Lsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a log line says about the path of a file access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "form", content = "path", rename_all = "kebab-case")]
pub enum PathHint {
    /// The whole path.
    Exact(String),
    /// The whole path of a directory (AppArmor names directories with a trailing `/`,
    /// SELinux with `tclass=dir`): directory-only rules apply.
    Directory(String),
    /// Some entry directly inside this directory (Landlock logs the directory of a
    /// creation, removal or `refer`; SELinux `add_name`/`remove_name` checks on a path).
    ChildOf(String),
    /// Some path whose last component is this (SELinux `name=`).
    EndsWith(String),
}

impl fmt::Display for PathHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathHint::Exact(p) => f.write_str(p),
            PathHint::Directory(p) => f.write_str(&crate::ir::dir_path_text_of(p, true)),
            PathHint::ChildOf(d) => write!(f, "an entry of {d}"),
            PathHint::EndsWith(n) => write!(f, "a path ending in /{n}"),
        }
    }
}

/// One refused access, in the policy's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Access {
    /// A file right.
    File {
        /// The path, as far as the log says.
        path: PathHint,
        /// The right.
        right: Right,
    },
    /// A network operation.
    Net {
        /// Connect or bind (`None`: another socket operation, such as creating one).
        op: Option<NetOp>,
        /// TCP or UDP.
        proto: Proto,
        /// The IP version, when the log names it (AppArmor's `family`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        family: Option<crate::ir::IpFamily>,
        /// The port, when the log has it.
        port: Option<u16>,
    },
    /// A capability.
    Capability {
        /// Lowercase, without `CAP_`.
        name: String,
    },
    /// A signal.
    Signal {
        /// Send or receive.
        direction: SignalDir,
        /// The peer's policy name, when the log names it.
        peer: Option<String>,
        /// The signal, lowercase without `SIG`, when the log names it.
        signal: Option<String>,
    },
    /// A unix-socket operation.
    Unix {
        /// The operation (`None`: creating the socket, or another operation the language
        /// does not separate from the ones it names).
        op: Option<UnixOp>,
        /// The socket type, when the record says (SELinux's stream class is stream or
        /// seqpacket).
        sock_type: Option<UnixType>,
        /// The address of the connection's named socket as the log writes it: a path,
        /// `@NAME` (abstract) or `none` (anonymous), when logged.
        addr: Option<String>,
        /// The peer's policy (or `unconfined`), when the log names one.
        peer: Option<String>,
    },
    /// Reading or tracing a peer's process (`to`), or being read or traced by it (`from`).
    Ptrace {
        /// `to` or `from`.
        direction: PtraceDir,
        /// Read or trace.
        access: PtraceAccess,
        /// The peer's policy (or `unconfined`), when the log names one.
        peer: Option<String>,
    },

    /// A socket of a family beyond inet (netlink, raw IP, packet).
    #[serde(rename = "net_family")]
    NetFamily {
        /// The family.
        family: crate::ir::NetFamily,
        /// For raw IP: the IP version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ip: Option<crate::ir::IpFamily>,
        /// The protocol, by name, when the log gives one polc knows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
        /// For netlink and packet: the socket type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sock_type: Option<crate::ir::FamilySockType>,
    },
    /// A D-Bus message sent or received, or a bus name owned (records of the bus daemon,
    /// which asks the LSM).
    Dbus {
        /// Send, receive or bind.
        op: crate::ir::DbusOp,
        /// The bus, when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bus: Option<String>,
        /// The object path, when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// The interface, when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interface: Option<String>,
        /// The member, when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<String>,
        /// The name owned (`bind`) or the peer's bus name, when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The peer's policy (or `unconfined`), when logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        peer: Option<String>,
        /// The record names every field of the message (AppArmor's do; SELinux's name no
        /// bus and no path), so what it leaves out is absent, not unknown.
        complete: bool,
    },
    /// Something polc policies do not express.
    Unmapped {
        /// The LSM's word for it.
        permission: String,
        /// Why it has no counterpart.
        reason: String,
    },
}

impl Access {
    /// The access in words: `read /etc/shadow`, `create an entry of /usr/local`, ...
    pub fn describe(&self) -> String {
        match self {
            Access::File { path, right } => format!("{right} {path}"),
            Access::Net {
                op,
                proto,
                family,
                port,
            } => {
                let op = match op {
                    Some(NetOp::Connect) => "connect",
                    Some(NetOp::Bind) => "bind",
                    None => "use a socket",
                };
                let proto = crate::ir::text::proto_word(*proto, *family);
                match port {
                    Some(p) => format!("net {op} {proto} {p}"),
                    None => format!("net {op} {proto} (port not logged)"),
                }
            }
            Access::Capability { name } => format!("capability {name}"),
            Access::Signal {
                direction,
                peer,
                signal,
            } => {
                let (dir, prep) = match direction {
                    SignalDir::Send => ("send", "to"),
                    SignalDir::Receive => ("receive", "from"),
                };
                format!(
                    "signal {dir} {} {prep} {}",
                    signal.as_deref().unwrap_or("(signal not logged)"),
                    peer.as_deref().unwrap_or("(peer not logged)")
                )
            }
            Access::Unix {
                op,
                sock_type,
                addr,
                peer,
            } => {
                let mut w = vec!["unix".to_string()];
                w.push(op.map_or("use a socket", |o| o.keyword()).to_string());
                w.push(
                    sock_type
                        .map_or("(type not logged)", |t| t.keyword())
                        .to_string(),
                );
                match addr.as_deref() {
                    Some("none") => w.push("anonymous".into()),
                    Some(a) => w.push(a.to_string()),
                    None => w.push("(address not logged)".into()),
                }
                w.push(format!(
                    "peer {}",
                    peer.as_deref().unwrap_or("(peer not logged)")
                ));
                w.join(" ")
            }
            Access::Ptrace {
                direction,
                access,
                peer,
            } => format!(
                "ptrace {} {} {}",
                access.keyword(),
                direction.keyword(),
                peer.as_deref().unwrap_or("(peer not logged)")
            ),

            Access::NetFamily {
                family,
                ip,
                protocol,
                sock_type,
            } => crate::ir::unix::family_text(*family, *ip, protocol.as_deref(), *sock_type),
            Access::Dbus {
                op,
                bus,
                path,
                interface,
                member,
                name,
                peer,
                ..
            } => {
                if let Some(r) = self.dbus_request() {
                    return r.describe();
                }
                let unknown = |v: &Option<String>| v.clone().unwrap_or("(not logged)".into());
                let mut s = format!("dbus {} bus {}", op.keyword(), unknown(bus));
                if *op != crate::ir::DbusOp::Bind {
                    s.push_str(&format!(
                        " path {} interface {} member {}",
                        unknown(path),
                        unknown(interface),
                        unknown(member)
                    ));
                }
                s.push_str(&format!(" name {}", unknown(name)));
                if *op != crate::ir::DbusOp::Bind {
                    s.push_str(&format!(" peer {}", unknown(peer)));
                }
                s
            }
            Access::Unmapped { permission, .. } => permission.clone(),
        }
    }

    /// The D-Bus request of a complete D-Bus record.
    fn dbus_request(&self) -> Option<crate::eval::DbusRequest> {
        let Access::Dbus {
            op,
            bus: Some(bus),
            path,
            interface,
            member,
            name,
            peer,
            complete: true,
        } = self
        else {
            return None;
        };
        if *op == crate::ir::DbusOp::Bind {
            return name
                .as_deref()
                .map(|n| crate::eval::DbusRequest::bind(bus, n));
        }
        Some(crate::eval::DbusRequest::message(
            *op,
            bus,
            path.as_deref()?,
            interface.as_deref(),
            member.as_deref()?,
            name.as_deref(),
            RequestPeer::parse(peer.as_deref()?),
        ))
    }

    /// The evaluator's request, when the log says everything it needs.
    pub fn request(&self) -> Option<Request> {
        match self {
            Access::File {
                path: PathHint::Exact(p),
                right,
            } => Some(Request::file(p, *right)),
            Access::File {
                path: PathHint::Directory(p),
                right,
            } => Some(Request::dir(p, *right)),
            Access::Net {
                op: Some(op),
                proto,
                family,
                port: Some(port),
            } => Some(Request::Net {
                op: *op,
                proto: *proto,
                family: *family,
                port: *port,
            }),
            Access::Capability { name } => Some(Request::capability(name)),
            Access::Signal {
                direction,
                peer: Some(peer),
                signal: Some(signal),
            } => Some(Request::signal(*direction, peer, signal)),
            Access::Unix {
                op: Some(op),
                sock_type: Some(sock_type),
                addr: Some(addr),
                peer: Some(peer),
            } => Some(Request::Unix {
                op: *op,
                sock_type: *sock_type,
                addr: unix_addr(addr),
                peer: RequestPeer::parse(peer),
            }),
            Access::Ptrace {
                direction,
                access,
                peer: Some(peer),
            } => Some(Request::ptrace(*direction, *access, peer)),

            Access::NetFamily {
                family,
                ip,
                protocol,
                sock_type,
            } => Some(Request::NetFamily {
                family: *family,
                ip: *ip,
                protocol: protocol.clone(),
                sock_type: *sock_type,
            }),
            Access::Dbus { .. } => self.dbus_request().map(Request::Dbus),
            _ => None,
        }
    }
}

/// A parsed denial record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// Who wrote it.
    pub lsm: Lsm,
    /// The confined subject as the log names it: the AppArmor profile, the SELinux source
    /// type, the Landlock domain id.
    pub subject: Option<String>,
    /// The policy name the subject maps to, when it is one polc would have generated.
    pub subject_policy: Option<String>,
    /// The LSM's own words for what was refused (mask letters, permissions, blockers).
    pub permissions: Vec<String>,
    /// The accesses refused, in the policy's terms.
    pub accesses: Vec<Access>,
    /// True when the record reports an access allowed only because the policy is in
    /// complain (permissive) mode.
    pub complain: bool,
    /// Caveats of the mapping, one line each.
    pub notes: Vec<String>,
    /// Every `key=value` field of the record.
    pub fields: BTreeMap<String, String>,
}

/// Why a line is not a denial polc can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DenialError {
    /// None of the three formats.
    #[error("not an AppArmor, SELinux or Landlock denial record")]
    Unrecognized,
    /// The record lacks a field it needs.
    #[error("the {lsm} record has no `{field}` field")]
    MissingField {
        /// Which LSM.
        lsm: Lsm,
        /// The field.
        field: &'static str,
    },
    /// The record is of a kind that is not a denial.
    #[error("the {lsm} record is not a denial: {what}")]
    NotADenial {
        /// Which LSM.
        lsm: Lsm,
        /// What it is.
        what: String,
    },
}

/// Parse one log line (any prefix before the record is ignored).
pub fn parse(line: &str) -> Result<Denial, DenialError> {
    let line = line.trim();
    if line.contains("apparmor=") {
        return apparmor::parse(line);
    }
    if line.contains("avc:") && line.contains('{') {
        return selinux::parse(line);
    }
    if line.contains("blockers=")
        || line.contains("type=1423")
        || line.contains("LANDLOCK_ACCESS")
        || line.contains("UNKNOWN[1423]")
    {
        return landlock::parse(line);
    }
    if line.contains("type=1424")
        || line.contains("LANDLOCK_DOMAIN")
        || line.contains("UNKNOWN[1424]")
    {
        return Err(DenialError::NotADenial {
            lsm: Lsm::Landlock,
            what: "a domain record (type 1424); pass the access record (type 1423)".into(),
        });
    }
    Err(DenialError::Unrecognized)
}

/// A unix address as the logs write it: `none` for an anonymous socket, `@NAME` for an
/// abstract one, else a path.
pub(crate) fn unix_addr(addr: &str) -> UnixRequestAddr {
    if addr == "none" {
        UnixRequestAddr::Anonymous
    } else if addr.starts_with('@') {
        UnixRequestAddr::Abstract(addr.to_string())
    } else {
        UnixRequestAddr::Path(addr.to_string())
    }
}

/// The right of a file access on `path`, and the path with a directory's trailing `/`
/// removed.
pub(crate) fn trim_dir(path: &str) -> (&str, bool) {
    if path.len() > 1 {
        if let Some(p) = path.strip_suffix('/') {
            return (p, true);
        }
    }
    (path, path == "/")
}
