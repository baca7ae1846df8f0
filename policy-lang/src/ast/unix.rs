//! The syntax of unix-socket rules and of the network families beyond inet
//! (`allow unix ...`, `allow net netlink|raw|packet ...`).

use super::Effect;
use crate::span::Spanned;

/// The address part of a unix rule, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixAddrSpec {
    /// `path "GLOB"`: sockets bound to a path of the glob.
    Path(Spanned<String>),
    /// `abstract ["@NAME"]`: abstract sockets, all or the one named.
    Abstract(Option<Spanned<String>>),
    /// `anonymous`: unnamed sockets (`socketpair`, unbound sockets).
    Anonymous,
}

/// `allow unix connect, send stream path "/run/app.sock" peer NAME`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixStmt {
    /// Allow or deny.
    pub effect: Spanned<Effect>,
    /// Operation keywords as written (`connect`, `send`, ...).
    pub ops: Vec<Spanned<String>>,
    /// `stream`, `dgram` or `seqpacket`; absent means every type.
    pub sock_type: Option<Spanned<String>>,
    /// The address of the connection's named socket; absent means any address.
    pub addr: Option<Spanned<UnixAddrSpec>>,
    /// `peer NAME|self|any|unconfined`; absent means any peer.
    pub peer: Option<Spanned<String>>,
}

/// `allow net netlink route, audit` / `allow net raw4 icmp` / `allow net packet dgram`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetFamilyStmt {
    /// Allow or deny.
    pub effect: Spanned<Effect>,
    /// `netlink`, `raw`, `raw4`, `raw6` or `packet`.
    pub family: Spanned<String>,
    /// Protocol keywords as written; empty means every protocol of the family.
    pub protocols: Vec<Spanned<String>>,
    /// The socket type after the protocols (`raw`, `dgram`); absent means every type.
    pub sock_type: Option<Spanned<String>>,
}

/// The unix socket types.
pub const UNIX_TYPES: [&str; 3] = ["stream", "dgram", "seqpacket"];
