//! Formatting of D-Bus rules.

use super::{words, Parts};
use crate::ast::DbusStmt;
use crate::ir::dbus::fields;

/// `allow dbus send bus system path "/org/x" interface "org.x" member "Get" peer self`:
/// the fields in one order whatever order they were written in. A long rule is written
/// with one field per line, as the entries of a long list.
pub(super) fn dbus_parts(d: &DbusStmt) -> Parts {
    fn value(v: &Option<crate::span::Spanned<String>>) -> Option<&str> {
        v.as_ref().map(|v| v.node.as_str())
    }
    let mut list = fields(
        value(&d.bus),
        value(&d.path),
        value(&d.interface),
        value(&d.member),
        value(&d.name),
    );
    if let Some(p) = &d.peer {
        list.push(format!("peer {}", p.node));
    }
    let mut head = format!("{} dbus", d.effect.node.keyword());
    let ops: Vec<&str> = words(&d.ops).collect();
    if !ops.is_empty() {
        head.push(' ');
        head.push_str(&ops.join(", "));
    }
    Parts {
        head,
        commas: false,
        list,
        tail: None,
    }
}
