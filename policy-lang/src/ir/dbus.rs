//! D-Bus rules: messages sent and received on a bus, and the well-known names a process
//! may own there.
//!
//! D-Bus is mediated in user space: the bus daemon (`dbus-daemon`, `dbus-broker`) asks
//! the LSM before it delivers a message or grants a name. A rule names:
//!
//! - the operations: `send` and `receive` (method calls, replies, signals), `bind`
//!   (own a well-known name, `RequestName`);
//! - the bus: `system`, `session` or another bus by name; absent means every bus;
//! - for `send`/`receive`: the object path (a path glob), the interface and the member
//!   (name globs), the peer's bus name (`name`) and the peer's policy (`peer`);
//! - for `bind`: the name owned (`name`).
//!
//! A field a rule does not name matches every message. A field it names matches only a
//! message that has it: a rule with an `interface` does not match a message without one.
//!
//! Interface, member and bus names are matched as globs over one name: `*` and `?`
//! match any characters (names hold no `/`), `{a,b}` alternatives, `[...]` classes.

use super::text::quote;
use super::{Effect, Origin, Peer};
use crate::glob::Glob;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An operation on a bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbusOp {
    /// Send a message (method call, reply, error, signal) to a peer.
    Send,
    /// Receive a message from a peer.
    Receive,
    /// Own a well-known bus name.
    Bind,
}

impl DbusOp {
    /// Every operation, in order.
    pub const ALL: [DbusOp; 3] = [DbusOp::Send, DbusOp::Receive, DbusOp::Bind];

    /// The keyword (AppArmor's too).
    pub fn keyword(self) -> &'static str {
        match self {
            DbusOp::Send => "send",
            DbusOp::Receive => "receive",
            DbusOp::Bind => "bind",
        }
    }

    /// The operation a keyword names.
    pub fn from_keyword(s: &str) -> Option<DbusOp> {
        DbusOp::ALL.into_iter().find(|o| o.keyword() == s)
    }
}

/// The buses written as keywords; any other bus is written as a string.
pub const BUS_KEYWORDS: [&str; 2] = ["system", "session"];

/// A D-Bus rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbusRule {
    /// Allow or deny.
    pub effect: Effect,
    /// `audit`: log the accesses the rule decides.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
    /// The operations (at least one; `bind` alone or `send`/`receive`).
    pub ops: BTreeSet<DbusOp>,
    /// The bus (`system`, `session` or a bus name); absent means every bus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// The object path; absent means every path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Glob>,
    /// The interface (a name glob); absent means every interface, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The member (a name glob); absent means every member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// For `bind`, the name owned; for `send`/`receive`, the peer's bus name (a name
    /// glob); absent means every name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The peer's policy.
    pub peer: Peer,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
}

impl DbusRule {
    /// The rule as one line of policy text.
    pub fn text(&self) -> String {
        let ops: Vec<&str> = self.ops.iter().map(|o| o.keyword()).collect();
        let mut s = format!("{} dbus {}", self.effect.keyword(), ops.join(", "));
        if self.audit {
            s.insert_str(0, "audit ");
        }
        s.push_str(&fields_text(
            self.bus.as_deref(),
            self.path.as_ref().map(Glob::as_str),
            self.interface.as_deref(),
            self.member.as_deref(),
            self.name.as_deref(),
        ));
        if self.peer != Peer::Any {
            s.push_str(" peer ");
            s.push_str(self.peer.as_str());
        }
        s
    }
}

/// ` bus system path "/a" interface "i" member "m" name "n"`: the fields of a rule or a
/// request as policy text, each one present with a leading space.
pub fn fields_text(
    bus: Option<&str>,
    path: Option<&str>,
    interface: Option<&str>,
    member: Option<&str>,
    name: Option<&str>,
) -> String {
    fields(bus, path, interface, member, name)
        .iter()
        .map(|f| format!(" {f}"))
        .collect()
}

/// `["bus system", "path \"/a\"", ...]`: each field present, as policy text, in the
/// one order fields are written in.
pub fn fields(
    bus: Option<&str>,
    path: Option<&str>,
    interface: Option<&str>,
    member: Option<&str>,
    name: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(b) = bus {
        if BUS_KEYWORDS.contains(&b) {
            out.push(format!("bus {b}"));
        } else {
            out.push(format!("bus {}", quote(b)));
        }
    }
    for (kw, v) in [
        ("path", path),
        ("interface", interface),
        ("member", member),
        ("name", name),
    ] {
        if let Some(v) = v {
            out.push(format!("{kw} {}", quote(v)));
        }
    }
    out
}

/// The glob of a name pattern (interface, member, bus name): the pattern as the one
/// component of a path, so the glob algebra's meaning (`*`, `?`, braces, classes) holds
/// for names, which never contain `/`. `None` for a pattern that is not a valid glob.
pub fn name_glob(pattern: &str) -> Option<Glob> {
    if pattern.contains('/') {
        return None;
    }
    Glob::parse(&format!("/{pattern}")).ok()
}

/// True when the name pattern matches the name.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains(['*', '?', '{', '}', '[']) {
        return pattern == name;
    }
    !name.contains('/') && name_glob(pattern).is_some_and(|g| g.matches(&format!("/{name}")))
}
