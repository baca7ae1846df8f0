//! The JSON form of unix-socket rules (`"unix": {...}`) and of network families
//! (`"net_family": {...}`).

use super::spans::Loc;
use crate::ast::{Effect, NetFamilyStmt, StmtKind, UnixAddrSpec, UnixStmt};
use crate::span::Spanned;
use serde::{Deserialize, Serialize};

/// `unix OPS [TYPE] [ADDRESS] [peer PEER]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unix {
    /// Operation keywords (`connect`, `send`, ...).
    pub ops: Vec<String>,
    /// `stream`, `dgram` or `seqpacket`; absent means every type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub sock_type: Option<String>,
    /// `path`, `abstract` or `anonymous`; absent means any address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The path glob (`path`) or the `@name` (`abstract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A policy name, `self`, `any` or `unconfined`; absent means any peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

impl Unix {
    /// The shape errors the schema cannot express.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.ops.is_empty() {
            return Err("`unix.ops` is empty".into());
        }
        match (self.address.as_deref(), &self.name) {
            (None, Some(_)) => Err("`unix.name` needs `unix.address`".into()),
            (Some("path"), None) => Err("`unix.address` `path` needs `unix.name`".into()),
            (Some("anonymous"), Some(_)) => {
                Err("`unix.address` `anonymous` takes no `unix.name`".into())
            }
            (None | Some("path" | "abstract" | "anonymous"), _) => Ok(()),
            (Some(a), _) => Err(format!(
                "unknown `unix.address` `{a}`: write `path`, `abstract` or `anonymous`"
            )),
        }
    }
}

/// `net FAMILY [PROTOCOLS]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetFamily {
    /// `netlink`, `raw`, `raw4`, `raw6` or `packet`.
    pub family: String,
    /// Protocol names; absent or empty means every protocol.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
    /// The socket type (`raw`, `dgram`); absent means every type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub sock_type: Option<String>,
}

pub(super) fn unix_stmt(
    loc: Loc<'_>,
    effect: Spanned<Effect>,
    u: &Unix,
    strings: impl Fn(Loc<'_>, &[String]) -> Vec<Spanned<String>>,
) -> StmtKind {
    let at = loc.field("unix");
    let word = |f: &str, v: &Option<String>| {
        v.as_ref()
            .map(|v| Spanned::new(v.clone(), at.field(f).span()))
    };
    let name = word("name", &u.name);
    let addr_span = at.field("address").span();
    let addr = match u.address.as_deref() {
        Some("path") => name.map(|n| Spanned::new(UnixAddrSpec::Path(n), addr_span)),
        Some("abstract") => Some(Spanned::new(UnixAddrSpec::Abstract(name), addr_span)),
        Some("anonymous") => Some(Spanned::new(UnixAddrSpec::Anonymous, addr_span)),
        _ => None,
    };
    StmtKind::Unix(UnixStmt {
        effect,
        ops: strings(at.field("ops"), &u.ops),
        sock_type: word("type", &u.sock_type),
        addr,
        peer: word("peer", &u.peer),
    })
}

pub(super) fn family_stmt(
    loc: Loc<'_>,
    effect: Spanned<Effect>,
    n: &NetFamily,
    strings: impl Fn(Loc<'_>, &[String]) -> Vec<Spanned<String>>,
) -> StmtKind {
    let at = loc.field("net_family");
    StmtKind::NetFamily(NetFamilyStmt {
        effect,
        family: Spanned::new(n.family.clone(), at.field("family").span()),
        protocols: strings(at.field("protocols"), &n.protocols),
        sock_type: n
            .sock_type
            .as_ref()
            .map(|t| Spanned::new(t.clone(), at.field("type").span())),
    })
}

pub(super) fn unix_json(u: &UnixStmt) -> Unix {
    let (address, name) = match u.addr.as_ref().map(|a| &a.node) {
        None => (None, None),
        Some(UnixAddrSpec::Path(p)) => (Some("path"), Some(p.node.clone())),
        Some(UnixAddrSpec::Abstract(n)) => (Some("abstract"), n.as_ref().map(|n| n.node.clone())),
        Some(UnixAddrSpec::Anonymous) => (Some("anonymous"), None),
    };
    Unix {
        ops: u.ops.iter().map(|o| o.node.clone()).collect(),
        sock_type: u.sock_type.as_ref().map(|t| t.node.clone()),
        address: address.map(str::to_string),
        name,
        peer: u.peer.as_ref().map(|p| p.node.clone()),
    }
}

pub(super) fn family_json(n: &NetFamilyStmt) -> NetFamily {
    NetFamily {
        family: n.family.node.clone(),
        protocols: n.protocols.iter().map(|p| p.node.clone()).collect(),
        sock_type: n.sock_type.as_ref().map(|t| t.node.clone()),
    }
}
