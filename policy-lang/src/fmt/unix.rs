//! Formatting of unix-socket rules and of `net netlink|raw|packet`.

use super::{quote, words, Parts};
use crate::ast::{NetFamilyStmt, UnixAddrSpec, UnixStmt};

/// `allow unix connect, send stream path "/run/app.sock" peer self`.
pub(super) fn unix_parts(u: &UnixStmt) -> Parts {
    let mut tail = Vec::new();
    if let Some(t) = &u.sock_type {
        tail.push(t.node.clone());
    }
    match u.addr.as_ref().map(|a| &a.node) {
        Some(UnixAddrSpec::Path(p)) => tail.push(format!("path {}", quote(&p.node))),
        Some(UnixAddrSpec::Abstract(Some(n))) => tail.push(format!("abstract {}", quote(&n.node))),
        Some(UnixAddrSpec::Abstract(None)) => tail.push("abstract".into()),
        Some(UnixAddrSpec::Anonymous) => tail.push("anonymous".into()),
        None => {}
    }
    if let Some(p) = &u.peer {
        tail.push(format!("peer {}", p.node));
    }
    Parts {
        commas: true,
        head: format!("{} unix", u.effect.node.keyword()),
        list: words(&u.ops).map(str::to_string).collect(),
        tail: (!tail.is_empty()).then(|| tail.join(" ")),
    }
}

/// `allow net netlink route, audit`.
pub(super) fn net_family_parts(n: &NetFamilyStmt) -> Parts {
    Parts {
        commas: true,
        head: format!("{} net {}", n.effect.node.keyword(), n.family.node),
        list: words(&n.protocols).map(str::to_string).collect(),
        tail: n.sock_type.as_ref().map(|t| t.node.clone()),
    }
}
