//! Deciding D-Bus requests.

use super::{decide, rule_ref, Decision, RequestPeer, RuleKind};
use crate::glob::is_valid_path;
use crate::ir::dbus::{fields_text, name_matches};
use crate::ir::{DbusOp, DbusRule, Policy};
use serde::Serialize;

/// A D-Bus request: one message sent or received, or one name owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbusRequest {
    /// The operation.
    pub op: DbusOp,
    /// The bus (`system`, `session` or a bus name).
    pub bus: String,
    /// The message's object path (none for `bind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The message's interface (none for `bind`, or a method call without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The message's member (none for `bind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The name owned (`bind`), or the peer's bus name (a well-known or unique name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The peer's policy (none for `bind`: the bus itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<RequestPeer>,
}

impl DbusRequest {
    /// A message sent or received.
    pub fn message(
        op: DbusOp,
        bus: &str,
        path: &str,
        interface: Option<&str>,
        member: &str,
        name: Option<&str>,
        peer: RequestPeer,
    ) -> DbusRequest {
        DbusRequest {
            op,
            bus: bus.to_string(),
            path: Some(path.to_string()),
            interface: interface.map(str::to_string),
            member: Some(member.to_string()),
            name: name.map(str::to_string),
            peer: Some(peer),
        }
    }

    /// Owning a name.
    pub fn bind(bus: &str, name: &str) -> DbusRequest {
        DbusRequest {
            op: DbusOp::Bind,
            bus: bus.to_string(),
            path: None,
            interface: None,
            member: None,
            name: Some(name.to_string()),
            peer: None,
        }
    }

    /// The request in words: `dbus send bus system path "/a" ... peer P`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "dbus {}{}",
            self.op.keyword(),
            fields_text(
                Some(&self.bus),
                self.path.as_deref(),
                self.interface.as_deref(),
                self.member.as_deref(),
                self.name.as_deref(),
            )
        );
        match &self.peer {
            Some(RequestPeer::Policy(p)) => {
                s.push_str(" peer ");
                s.push_str(p);
            }
            Some(RequestPeer::Unconfined) => s.push_str(" peer unconfined"),
            None => {}
        }
        s
    }

    /// The rule that allows exactly this request, as policy text; none when a field
    /// holds glob characters (the request then names no one message) or the peer is
    /// not a policy name.
    pub(crate) fn suggestion(&self) -> Option<String> {
        let fields = [
            &Some(self.bus.clone()),
            &self.path,
            &self.interface,
            &self.member,
            &self.name,
        ];
        if fields.iter().any(|f| {
            f.as_deref()
                .is_some_and(|v| v.contains(['*', '?', '{', '}', '[', ']']))
        }) {
            return None;
        }
        if let Some(RequestPeer::Policy(n)) = &self.peer {
            if n != "self" && crate::ir::PolicyName::new(n).is_err() {
                return None;
            }
        }
        Some(format!("allow {}", self.describe()))
    }
}

/// Whether a rule matches a request: every field the rule names must match the
/// request's (a request without the field matches no rule that names it).
pub(crate) fn matches(r: &DbusRule, req: &DbusRequest, me: &str) -> bool {
    let field = |pat: &Option<String>, v: &Option<String>| match (pat, v) {
        (None, _) => true,
        (Some(p), Some(v)) => name_matches(p, v),
        (Some(_), None) => false,
    };
    r.ops.contains(&req.op)
        && r.bus.as_ref().is_none_or(|b| *b == req.bus)
        && match (&r.path, &req.path) {
            (None, _) => true,
            (Some(g), Some(p)) => is_valid_path(p) && g.matches(p),
            (Some(_), None) => false,
        }
        && field(&r.interface, &req.interface)
        && field(&r.member, &req.member)
        && field(&r.name, &req.name)
        && match &req.peer {
            None => true,
            Some(RequestPeer::Unconfined) => r.peer.covers(crate::ir::peer::UNCONFINED),
            Some(RequestPeer::Policy(p)) => r.peer.covers(if p == "self" { me } else { p }),
        }
}

/// Indices of every rule (allow or deny) matching a request, in IR order.
pub(crate) fn matching_indices(p: &Policy, req: &DbusRequest) -> Vec<usize> {
    p.dbus
        .iter()
        .enumerate()
        .filter(|(_, r)| matches(r, req, p.name.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// Decide a D-Bus request.
pub(super) fn evaluate_dbus(p: &Policy, req: &DbusRequest) -> Decision {
    decide(
        p.dbus
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(r, req, p.name.as_str()))
            .map(|(i, r)| rule_ref(RuleKind::Dbus, i, r.effect, r.origins.clone(), r.audit)),
    )
}
