//! Parsing of D-Bus rules.

use super::{Kind, PResult, Parser};
use crate::ast::dbus::DBUS_FIELDS;
use crate::ast::{DbusStmt, Effect, StmtKind};
use crate::ir::dbus::BUS_KEYWORDS;
use crate::span::Spanned;

impl Parser<'_> {
    /// `dbus OPS { FIELD }`, after `dbus`: `OPS = IDENT { [","] IDENT }`, `FIELD = bus
    /// (system | session | STRING) | path STRING | interface STRING | member STRING |
    /// name STRING | peer NAME`, each field at most once, in any order.
    pub(super) fn dbus(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        let at_op = |p: &Self| {
            p.peek_word()
                .is_some_and(|w| super::is_ident(w) && !DBUS_FIELDS.contains(&w) && !p.at_accept())
        };
        let mut ops = Vec::new();
        while at_op(self) {
            let t = self.bump();
            ops.push(Spanned::new(t.text.to_string(), t.span));
            if self.at(Kind::Comma) {
                self.bump();
                if !at_op(self) {
                    return Err(self.error("a D-Bus operation after `,`"));
                }
            }
        }
        if ops.is_empty() {
            return Err(self.error("a D-Bus operation (`send`, `receive` or `bind`)"));
        }
        let mut stmt = DbusStmt {
            effect,
            ops,
            bus: None,
            path: None,
            interface: None,
            member: None,
            name: None,
            peer: None,
        };
        while let Some(w) = self.peek_word().filter(|w| DBUS_FIELDS.contains(w)) {
            let kw = self.bump();
            let value = match w {
                "bus" => match self.peek_word() {
                    Some(b) if BUS_KEYWORDS.contains(&b) => {
                        let t = self.bump();
                        Spanned::new(b.to_string(), t.span)
                    }
                    _ => self.string("`system`, `session` or a bus name in quotes")?,
                },
                "peer" => self.name("a peer: a policy name, `self`, `any` or `unconfined`")?,
                "path" => self.string("an object path in quotes")?,
                _ => self.string("a name in quotes")?,
            };
            let slot = match w {
                "bus" => &mut stmt.bus,
                "path" => &mut stmt.path,
                "interface" => &mut stmt.interface,
                "member" => &mut stmt.member,
                "name" => &mut stmt.name,
                _ => &mut stmt.peer,
            };
            if slot.is_some() {
                return Err(self.error_at(
                    &kw,
                    kw.span,
                    "each field of a D-Bus rule once (merge the two values into one glob, `{a,b}`)",
                ));
            }
            *slot = Some(value);
        }
        if self.at(Kind::Str) {
            return Err(
                self.error("`bus`, `path`, `interface`, `member` or `name` before the string")
            );
        }
        Ok(StmtKind::Dbus(stmt))
    }
}
