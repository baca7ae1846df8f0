//! D-Bus requests: `OP:BUS:PEER:PATH:INTERFACE:MEMBER:NAME` and `bind:BUS:NAME`.

use super::RequestError;
use polc_lang::eval::{DbusRequest, Request, RequestPeer};
use polc_lang::ir::DbusOp;

/// A D-Bus request: a message written `send:BUS:PEER:PATH:INTERFACE:MEMBER:NAME` or
/// `receive:...` (e.g. `send:system:unconfined:/org/freedesktop/DBus:org.freedesktop.DBus:Hello:org.freedesktop.DBus`;
/// an empty INTERFACE is a message without one; NAME, the peer's bus name, comes last
/// and may be a unique name such as `:1.42`), or a name owned, `bind:BUS:NAME`. The
/// peer is a policy name, `self` (the policy itself, `own_name`) or `unconfined`.
pub fn dbus(spec: &str, own_name: &str) -> Result<Request, RequestError> {
    let bad = || RequestError::Dbus(spec.to_string());
    let (op, rest) = spec.split_once(':').ok_or_else(bad)?;
    let op = DbusOp::from_keyword(op).ok_or_else(bad)?;
    let word_ok = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    };
    if op == DbusOp::Bind {
        let (bus, name) = rest.split_once(':').ok_or_else(bad)?;
        if !word_ok(bus) || !word_ok(name) {
            return Err(bad());
        }
        return Ok(Request::Dbus(DbusRequest::bind(bus, name)));
    }
    let mut parts = rest.splitn(6, ':');
    let (Some(bus), Some(peer), Some(path), Some(interface), Some(member), Some(name)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let peer_ok = !peer.is_empty()
        && peer
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    if !word_ok(bus) || !peer_ok || !word_ok(member) || !word_ok(name) {
        return Err(bad());
    }
    if !interface.is_empty() && !word_ok(interface) {
        return Err(bad());
    }
    super::validate_path(path)?;
    let peer = match peer {
        "self" => RequestPeer::Policy(own_name.to_string()),
        p => RequestPeer::parse(p),
    };
    Ok(Request::Dbus(DbusRequest::message(
        op,
        bus,
        path,
        (!interface.is_empty()).then_some(interface),
        member,
        Some(name),
        peer,
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dbus_requests() {
        assert_eq!(
            dbus(
                "send:system:unconfined:/org/freedesktop/DBus:org.freedesktop.DBus:Hello:org.freedesktop.DBus",
                "x"
            )
            .unwrap(),
            Request::Dbus(DbusRequest::message(
                DbusOp::Send,
                "system",
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "Hello",
                Some("org.freedesktop.DBus"),
                RequestPeer::Unconfined
            ))
        );
        assert_eq!(
            dbus("receive:session:self:/a::Ping::1.42", "org.example.a").unwrap(),
            Request::Dbus(DbusRequest::message(
                DbusOp::Receive,
                "session",
                "/a",
                None,
                "Ping",
                Some(":1.42"),
                RequestPeer::Policy("org.example.a".into())
            ))
        );
        assert_eq!(
            dbus("bind:session:org.example.App", "x").unwrap(),
            Request::Dbus(DbusRequest::bind("session", "org.example.App"))
        );
        for bad in [
            "send:system",
            "own:session:org.x",
            "bind:session:",
            "send:system:Bad:/a:i.x:M:n.x",
            "send:system:self:rel:i.x:M:n.x",
            "send:system:self:/a:i.x::n.x",
        ] {
            assert!(dbus(bad, "x").is_err(), "{bad}");
        }
    }
}
