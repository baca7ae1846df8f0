//! Unix-socket rules and the network families beyond inet (netlink, raw, packet).
//!
//! A unix rule names the operations, the socket type, the address of the connection's
//! *named socket* and the peer policy:
//!
//! - `connect` and `send` concern the address connected or sent to (the peer's);
//! - `bind`, `listen` and `accept` concern the socket's own address;
//! - `send` and `receive` on a connection match when either end has the address, so a
//!   client's `connect, send, receive` and a server's `bind, listen, accept, send,
//!   receive` name the same path;
//! - `anonymous` is a connection where neither end has a name (`socketpair`).
//!
//! A family rule grants or refuses the use of sockets of a family (create, bind, send,
//! receive, ...), narrowed to one protocol when it names one.

use super::text::quote;
use super::{Effect, IpFamily, Origin, PolicyName};
use crate::glob::Glob;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// An operation on a unix socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnixOp {
    /// Connect to a listening socket (stream, seqpacket) or set a dgram socket's peer.
    Connect,
    /// Send data.
    Send,
    /// Receive data.
    Receive,
    /// Bind the socket to an address.
    Bind,
    /// Listen for connections.
    Listen,
    /// Accept a connection.
    Accept,
}

impl UnixOp {
    /// Every operation, in order.
    pub const ALL: [UnixOp; 6] = [
        UnixOp::Connect,
        UnixOp::Send,
        UnixOp::Receive,
        UnixOp::Bind,
        UnixOp::Listen,
        UnixOp::Accept,
    ];

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            UnixOp::Connect => "connect",
            UnixOp::Send => "send",
            UnixOp::Receive => "receive",
            UnixOp::Bind => "bind",
            UnixOp::Listen => "listen",
            UnixOp::Accept => "accept",
        }
    }

    /// The operation a keyword names.
    pub fn from_keyword(s: &str) -> Option<UnixOp> {
        UnixOp::ALL.into_iter().find(|o| o.keyword() == s)
    }

    /// True for the operations that concern the socket's own address.
    pub fn is_local(self) -> bool {
        matches!(self, UnixOp::Bind | UnixOp::Listen | UnixOp::Accept)
    }
}

/// A unix socket type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnixType {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Dgram,
    /// `SOCK_SEQPACKET`.
    Seqpacket,
}

impl UnixType {
    /// Every type, in order.
    pub const ALL: [UnixType; 3] = [UnixType::Stream, UnixType::Dgram, UnixType::Seqpacket];

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            UnixType::Stream => "stream",
            UnixType::Dgram => "dgram",
            UnixType::Seqpacket => "seqpacket",
        }
    }

    /// The type a keyword names.
    pub fn from_keyword(s: &str) -> Option<UnixType> {
        UnixType::ALL.into_iter().find(|t| t.keyword() == s)
    }
}

/// The address part of a unix rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum UnixAddr {
    /// Any address, named or not.
    Any,
    /// Sockets bound to a path of the glob.
    Path {
        /// The paths.
        glob: Glob,
    },
    /// Abstract sockets: the one named (with its leading `@`), or all.
    Abstract {
        /// `@NAME`; absent means every abstract name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Unnamed sockets at both ends.
    Anonymous,
}

/// The peer of a unix rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum UnixPeer {
    /// Any process, confined or not.
    Any,
    /// Unconfined processes only.
    Unconfined,
    /// Processes under this policy (`self` is resolved to the policy's own name).
    Policy(PolicyName),
}

impl fmt::Display for UnixPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnixPeer::Any => f.write_str("any"),
            UnixPeer::Unconfined => f.write_str("unconfined"),
            UnixPeer::Policy(p) => f.write_str(p.as_str()),
        }
    }
}

/// A unix-socket rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnixRule {
    /// Allow or deny.
    pub effect: Effect,
    /// `audit`: log the accesses the rule decides.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
    /// The operations (at least one).
    pub ops: BTreeSet<UnixOp>,
    /// The socket type; absent means every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sock_type: Option<UnixType>,
    /// The address.
    pub addr: UnixAddr,
    /// The peer.
    pub peer: UnixPeer,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
}

impl UnixRule {
    /// The rule as one line of policy text.
    pub fn text(&self) -> String {
        let ops: Vec<&str> = self.ops.iter().map(|o| o.keyword()).collect();
        let mut s = format!("{} unix {}", self.effect.keyword(), ops.join(", "));
        if self.audit {
            s.insert_str(0, "audit ");
        }
        if let Some(t) = self.sock_type {
            s.push(' ');
            s.push_str(t.keyword());
        }
        match &self.addr {
            UnixAddr::Any => {}
            UnixAddr::Path { glob } => {
                s.push_str(" path ");
                s.push_str(&quote(glob.as_str()));
            }
            UnixAddr::Abstract { name: Some(n) } => {
                s.push_str(" abstract ");
                s.push_str(&quote(n));
            }
            UnixAddr::Abstract { name: None } => s.push_str(" abstract"),
            UnixAddr::Anonymous => s.push_str(" anonymous"),
        }
        if self.peer != UnixPeer::Any {
            s.push_str(" peer ");
            s.push_str(&self.peer.to_string());
        }
        s
    }
}

/// A network family beyond inet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetFamily {
    /// `AF_NETLINK`, by protocol.
    Netlink,
    /// Raw IP sockets (`AF_INET`/`AF_INET6`, `SOCK_RAW`), by protocol.
    Raw,
    /// `AF_PACKET`.
    Packet,
}

impl NetFamily {
    /// Every family, in order.
    pub const ALL: [NetFamily; 3] = [NetFamily::Netlink, NetFamily::Raw, NetFamily::Packet];

    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            NetFamily::Netlink => "netlink",
            NetFamily::Raw => "raw",
            NetFamily::Packet => "packet",
        }
    }

    /// The family a keyword names.
    pub fn from_keyword(s: &str) -> Option<NetFamily> {
        NetFamily::ALL.into_iter().find(|f| f.keyword() == s)
    }

    /// The family and IP version a family word names: `netlink`, `raw` (both versions),
    /// `raw4` (IPv4), `raw6` (IPv6), `packet`.
    pub fn from_word(s: &str) -> Option<(NetFamily, Option<IpFamily>)> {
        match s {
            "raw4" => Some((NetFamily::Raw, Some(IpFamily::Inet))),
            "raw6" => Some((NetFamily::Raw, Some(IpFamily::Inet6))),
            _ => NetFamily::from_keyword(s).map(|f| (f, None)),
        }
    }

    /// The word of a family and IP version (the inverse of [`NetFamily::from_word`]).
    pub fn word(self, ip: Option<IpFamily>) -> &'static str {
        match (self, ip) {
            (NetFamily::Raw, Some(IpFamily::Inet)) => "raw4",
            (NetFamily::Raw, Some(IpFamily::Inet6)) => "raw6",
            _ => self.keyword(),
        }
    }

    /// The socket types a rule of this family may name (netlink and packet sockets are
    /// raw or datagram sockets; a raw IP socket is raw).
    pub fn sock_types(self) -> &'static [FamilySockType] {
        match self {
            NetFamily::Netlink | NetFamily::Packet => &[FamilySockType::Raw, FamilySockType::Dgram],
            NetFamily::Raw => &[],
        }
    }

    /// The protocols a rule of this family may name, with their numbers.
    pub fn protocols(self) -> &'static [(&'static str, u8)] {
        match self {
            NetFamily::Netlink => NETLINK_PROTOCOLS,
            NetFamily::Raw => RAW_PROTOCOLS,
            NetFamily::Packet => &[],
        }
    }

    /// The protocols a rule of this family and IP version may name: `raw4` only
    /// `icmp`, `raw6` only `icmpv6`.
    pub fn protocols_of(self, ip: Option<IpFamily>) -> &'static [(&'static str, u8)] {
        match (self, ip) {
            (NetFamily::Raw, Some(IpFamily::Inet)) => RAW_PROTOCOLS.get(..1).unwrap_or(&[]),
            (NetFamily::Raw, Some(IpFamily::Inet6)) => RAW_PROTOCOLS.get(1..).unwrap_or(&[]),
            _ => self.protocols(),
        }
    }
}

/// The socket type of a netlink or packet rule: `raw` (`SOCK_RAW`) or `dgram`
/// (`SOCK_DGRAM`). A rule without one covers both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FamilySockType {
    /// `SOCK_RAW`.
    Raw,
    /// `SOCK_DGRAM`.
    Dgram,
}

impl FamilySockType {
    /// Both types.
    pub const ALL: [FamilySockType; 2] = [FamilySockType::Raw, FamilySockType::Dgram];

    /// The keyword (AppArmor's too).
    pub fn keyword(self) -> &'static str {
        match self {
            FamilySockType::Raw => "raw",
            FamilySockType::Dgram => "dgram",
        }
    }

    /// The type a keyword names.
    pub fn from_keyword(s: &str) -> Option<FamilySockType> {
        FamilySockType::ALL.into_iter().find(|t| t.keyword() == s)
    }
}

/// Netlink protocols by name (`NETLINK_ROUTE` = 0 ...), as the language writes them.
pub const NETLINK_PROTOCOLS: &[(&str, u8)] = &[
    ("route", 0),
    ("usersock", 2),
    ("firewall", 3),
    ("sock_diag", 4),
    ("nflog", 5),
    ("xfrm", 6),
    ("selinux", 7),
    ("iscsi", 8),
    ("audit", 9),
    ("fib_lookup", 10),
    ("connector", 11),
    ("netfilter", 12),
    ("ip6_fw", 13),
    ("dnrtmsg", 14),
    ("kobject_uevent", 15),
    ("generic", 16),
    ("scsitransport", 18),
    ("ecryptfs", 19),
    ("rdma", 20),
    ("crypto", 21),
    ("smc", 22),
];

/// Raw IP protocols by name: `icmp` on IPv4, `icmpv6` on IPv6.
pub const RAW_PROTOCOLS: &[(&str, u8)] = &[("icmp", 1), ("icmpv6", 58)];

/// A rule on a network family beyond inet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyRule {
    /// Allow or deny.
    pub effect: Effect,
    /// `audit`: log the accesses the rule decides.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
    /// The family.
    pub family: NetFamily,
    /// For raw IP: one IP version (`raw4`, `raw6`); absent means both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpFamily>,
    /// The protocol (a name of [`NetFamily::protocols`]); absent means every protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// For netlink and packet: the socket type; absent means both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sock_type: Option<FamilySockType>,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
}

impl FamilyRule {
    /// The rule as one line of policy text.
    pub fn text(&self) -> String {
        let s = format!(
            "{} {}",
            self.effect.keyword(),
            family_text(
                self.family,
                self.ip,
                self.protocol.as_deref(),
                self.sock_type
            )
        );
        if self.audit {
            format!("audit {s}")
        } else {
            s
        }
    }
}

/// `net netlink route dgram`, `net raw6`: a family rule's subject (or a request's) as
/// policy text.
pub fn family_text(
    family: NetFamily,
    ip: Option<IpFamily>,
    protocol: Option<&str>,
    sock_type: Option<FamilySockType>,
) -> String {
    let mut s = format!("net {}", family.word(ip));
    for w in [protocol, sock_type.map(FamilySockType::keyword)]
        .into_iter()
        .flatten()
    {
        s.push(' ');
        s.push_str(w);
    }
    s
}
