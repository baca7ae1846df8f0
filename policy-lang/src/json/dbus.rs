//! The JSON form of D-Bus rules (`"dbus": {...}`).

use super::spans::Loc;
use crate::ast::{DbusStmt, Effect, StmtKind};
use crate::span::Spanned;
use serde::{Deserialize, Serialize};

/// `dbus OPS [bus BUS] [path ...] [interface ...] [member ...] [name ...] [peer PEER]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dbus {
    /// Operation keywords (`send`, `receive`, `bind`).
    pub ops: Vec<String>,
    /// `system`, `session` or a bus name; absent means every bus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// The object path glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The name owned (`bind`) or the peer's bus name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A policy name, `self`, `any` or `unconfined`; absent means any peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

impl Dbus {
    /// The shape errors the schema cannot express.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.ops.is_empty() {
            return Err("`dbus.ops` is empty".into());
        }
        Ok(())
    }
}

pub(super) fn dbus_stmt(
    loc: Loc<'_>,
    effect: Spanned<Effect>,
    d: &Dbus,
    strings: impl Fn(Loc<'_>, &[String]) -> Vec<Spanned<String>>,
) -> StmtKind {
    let at = loc.field("dbus");
    let word = |f: &str, v: &Option<String>| {
        v.as_ref()
            .map(|v| Spanned::new(v.clone(), at.field(f).span()))
    };
    StmtKind::Dbus(DbusStmt {
        effect,
        ops: strings(at.field("ops"), &d.ops),
        bus: word("bus", &d.bus),
        path: word("path", &d.path),
        interface: word("interface", &d.interface),
        member: word("member", &d.member),
        name: word("name", &d.name),
        peer: word("peer", &d.peer),
    })
}

pub(super) fn dbus_json(d: &DbusStmt) -> Dbus {
    let value = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.node.clone());
    Dbus {
        ops: d.ops.iter().map(|o| o.node.clone()).collect(),
        bus: value(&d.bus),
        path: value(&d.path),
        interface: value(&d.interface),
        member: value(&d.member),
        name: value(&d.name),
        peer: value(&d.peer),
    }
}
