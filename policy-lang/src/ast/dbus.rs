//! The syntax of D-Bus rules (`allow dbus ...`).

use super::Effect;
use crate::span::Spanned;

/// `allow dbus send bus system path "/org/x" interface "org.x.I" member "Get" name
/// "org.x" peer NAME`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbusStmt {
    /// Allow or deny.
    pub effect: Spanned<Effect>,
    /// Operation keywords as written (`send`, `receive`, `bind`).
    pub ops: Vec<Spanned<String>>,
    /// `bus system|session|"NAME"`: the bus as written; absent means every bus.
    pub bus: Option<Spanned<String>>,
    /// `path "GLOB"`: the object path; absent means every path.
    pub path: Option<Spanned<String>>,
    /// `interface "NAME"`; absent means every interface.
    pub interface: Option<Spanned<String>>,
    /// `member "NAME"`; absent means every member.
    pub member: Option<Spanned<String>>,
    /// `name "BUSNAME"`: the name owned (`bind`) or the peer's bus name.
    pub name: Option<Spanned<String>>,
    /// `peer NAME|self|any|unconfined`; absent means any peer.
    pub peer: Option<Spanned<String>>,
}

/// The words that introduce a field of a D-Bus rule, in the order the formatter writes
/// them.
pub const DBUS_FIELDS: [&str; 6] = ["bus", "path", "interface", "member", "name", "peer"];
