//! Formatting of D-Bus rules.

use super::{words, Parts};
use crate::ast::DbusStmt;
use crate::ir::dbus::fields_text;

/// `allow dbus send bus system path "/org/x" interface "org.x" member "Get" peer self`:
/// the fields in one order whatever order they were written in.
pub(super) fn dbus_parts(d: &DbusStmt) -> Parts {
    fn value(v: &Option<crate::span::Spanned<String>>) -> Option<&str> {
        v.as_ref().map(|v| v.node.as_str())
    }
    let mut tail = fields_text(
        value(&d.bus),
        value(&d.path),
        value(&d.interface),
        value(&d.member),
        value(&d.name),
    );
    if let Some(p) = &d.peer {
        tail.push_str(" peer ");
        tail.push_str(&p.node);
    }
    let tail = tail.trim_start().to_string();
    Parts {
        head: format!("{} dbus", d.effect.node.keyword()),
        list: words(&d.ops).map(str::to_string).collect(),
        tail: (!tail.is_empty()).then_some(tail),
    }
}
