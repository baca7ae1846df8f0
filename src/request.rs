//! Requests written as short strings, as `polc explain` takes them:
//! a path and a right, `connect:tcp:443`, a capability name, `send:term:PEER`.

mod dbus;
mod unix;

pub use dbus::dbus;
pub use unix::{family, unix};

use polc_lang::check::{is_capability, is_signal, suggest, CAPABILITIES, SIGNALS};
use polc_lang::eval::Request;
use polc_lang::ir::{NetOp, SignalDir};
use polc_lang::rights::Right;

fn hint(suggestion: &Option<&str>) -> String {
    suggestion.map_or(String::new(), |s| format!(" (did you mean `{s}`?)"))
}

/// Why a request string is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The path is not an absolute, normalized path.
    #[error("`{path}` is not an absolute, normalized path: {why}")]
    Path {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Not one of the rights (groups are not requests).
    #[error("unknown access right `{0}` (rights: read, write, append, create, delete, list, exec, map-exec, lock, link, rename)")]
    Right(String),
    /// A malformed `OP:PROTO:PORT`.
    #[error("`{0}` is not a network request (write OP:PROTO:PORT, e.g. `connect:tcp:443`)")]
    Net(String),
    /// A port outside 1-65535.
    #[error("port `{0}` is outside 1-65535")]
    Port(String),
    /// A malformed capability name.
    #[error("`{0}` is not a capability name (lowercase, without `CAP_`, e.g. `net_bind_service`)")]
    Capability(String),
    /// A well-formed name that is not a Linux capability.
    #[error("unknown capability `{name}`{}; capabilities are {}", hint(.suggestion), CAPABILITIES.join(", "))]
    UnknownCapability {
        /// The name as given.
        name: String,
        /// The known name it is closest to, if any.
        suggestion: Option<&'static str>,
    },
    /// A well-formed signal request naming a signal the language does not know.
    #[error("unknown signal `{name}`{}; signals are {}", hint(.suggestion), SIGNALS.join(", "))]
    UnknownSignal {
        /// The name as given.
        name: String,
        /// The known name it is closest to, if any.
        suggestion: Option<&'static str>,
    },
    /// A malformed `DIRECTION:SIGNAL:PEER`.
    #[error("`{0}` is not a signal request (write send:SIGNAL:PEER or receive:SIGNAL:PEER, e.g. `send:term:self`)")]
    Signal(String),
    /// A malformed `OP:TYPE:PEER:ADDRESS`.
    #[error("`{0}` is not a unix request (write OP:TYPE:PEER:ADDRESS, e.g. `connect:stream:self:/run/app.sock`; ADDRESS is a path, `@name` or `anonymous`)")]
    Unix(String),
    /// A malformed `FAMILY[:PROTOCOL]`.
    #[error("`{0}` is not a network family request (write netlink:PROTOCOL, raw:icmp, raw:icmpv6 or packet)")]
    Family(String),
    /// A malformed D-Bus request.
    #[error("`{0}` is not a D-Bus request (write send:BUS:PEER:PATH:INTERFACE:MEMBER:NAME, receive:..., or bind:BUS:NAME, e.g. `send:system:unconfined:/org/freedesktop/DBus:org.freedesktop.DBus:Hello:org.freedesktop.DBus`)")]
    Dbus(String),
    /// A one-line request that is none of the forms [`parse`] takes.
    #[error("`{0}` is not a request (write `RIGHT PATH`, `owner RIGHT PATH`, `net OP:PROTO:PORT`, `capability NAME` or `signal DIRECTION:SIGNAL:PEER`, e.g. `read /etc/hosts`)")]
    Form(String),
}

/// A request written on one line, the words of `polc explain`'s options: `RIGHT PATH`
/// (`read /etc/hosts`), `owner RIGHT PATH` (on a file the process owns),
/// `net OP:PROTO:PORT`, `capability NAME` or `signal DIRECTION:SIGNAL:PEER` (`self` is
/// `own_name`). For callers that take a request as one string (the C API).
pub fn parse(text: &str, own_name: &str) -> Result<Request, RequestError> {
    let Some((head, rest)) = text.trim().split_once(' ') else {
        return Err(RequestError::Form(text.to_string()));
    };
    let rest = rest.trim();
    match head {
        "net" => net(rest),
        "capability" => capability(rest),
        "signal" => signal(rest, own_name),
        "unix" => unix(rest, own_name),
        "net-family" => family(rest),
        "owner" => match rest.split_once(' ') {
            Some((right, path)) => owned_file(path.trim(), right),
            None => Err(RequestError::Form(text.to_string())),
        },
        right => file(rest, right),
    }
}

/// Check that `path` is a valid path: `/`, or `/c1/.../cn` with non-empty components
/// that are not `.` or `..` and hold no NUL or control character.
pub fn validate_path(path: &str) -> Result<(), RequestError> {
    let err = |why| {
        Err(RequestError::Path {
            path: path.escape_default().to_string(),
            why,
        })
    };
    let Some(rest) = path.strip_prefix('/') else {
        return err("it does not start with `/`");
    };
    if path.chars().any(char::is_control) {
        return err("it holds a NUL or control character");
    }
    if rest.is_empty() {
        return Ok(());
    }
    for component in rest.split('/') {
        match component {
            "" => return err("it has an empty component or a trailing `/`"),
            "." => return err("it has a `.` component"),
            ".." => return err("it has a `..` component"),
            _ => {}
        }
    }
    Ok(())
}

/// A file request: `right` on `path`. A path written with a trailing `/` (`/srv/cache/`)
/// asks about a directory (directory-only rules apply); `/` is the root, a directory.
pub fn file(path: &str, right: &str) -> Result<Request, RequestError> {
    file_request(path, right, false)
}

/// A file request on a file the process owns: `owner` rules apply.
pub fn owned_file(path: &str, right: &str) -> Result<Request, RequestError> {
    file_request(path, right, true)
}

fn file_request(path: &str, right: &str, owner: bool) -> Result<Request, RequestError> {
    let (path, dir) = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() && !p.ends_with('/') => (p, true),
        _ => (path, path == "/"),
    };
    validate_path(path)?;
    let right = Right::from_name(right).ok_or_else(|| RequestError::Right(right.to_string()))?;
    Ok(Request::File {
        path: path.to_string(),
        right,
        owner,
        dir,
    })
}

/// A network request written `OP:PROTO:PORT`, e.g. `connect:tcp:443` or `bind:udp6:53`:
/// `tcp` and `udp` ask for both IP versions (allowed only when both are), `tcp4`,
/// `tcp6`, `udp4`, `udp6` for one.
pub fn net(spec: &str) -> Result<Request, RequestError> {
    let bad = || RequestError::Net(spec.to_string());
    let mut parts = spec.split(':');
    let (Some(op), Some(proto), Some(port), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let op = match op {
        "connect" => NetOp::Connect,
        "bind" => NetOp::Bind,
        _ => return Err(bad()),
    };
    let Some((proto, family)) = polc_lang::ir::parse_inet_protocol(proto) else {
        return Err(bad());
    };
    let port = match port.parse::<u16>() {
        Ok(p) if p >= 1 => p,
        _ if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(RequestError::Port(port.to_string()))
        }
        _ => return Err(bad()),
    };
    Ok(Request::Net {
        op,
        proto,
        family,
        port,
    })
}

/// A capability request: a lowercase name without `CAP_`, one of
/// [`CAPABILITIES`] (an unknown name is refused rather than answered "denied").
pub fn capability(name: &str) -> Result<Request, RequestError> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(RequestError::Capability(name.to_string()));
    }
    if !is_capability(name) {
        return Err(RequestError::UnknownCapability {
            name: name.to_string(),
            suggestion: suggest(name, CAPABILITIES),
        });
    }
    Ok(Request::Capability {
        name: name.to_string(),
    })
}

/// A signal request written `DIRECTION:SIGNAL:PEER`, e.g. `send:term:org.example.worker`
/// or `receive:hup:self`. `self` is replaced by `own_name`, the policy's own name.
pub fn signal(spec: &str, own_name: &str) -> Result<Request, RequestError> {
    let bad = || RequestError::Signal(spec.to_string());
    let mut parts = spec.splitn(3, ':');
    let (Some(dir), Some(sig), Some(peer)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let direction = match dir {
        "send" => SignalDir::Send,
        "receive" => SignalDir::Receive,
        _ => return Err(bad()),
    };
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    };
    if !word(sig) || !word(peer) {
        return Err(bad());
    }
    if !is_signal(sig) {
        return Err(RequestError::UnknownSignal {
            name: sig.to_string(),
            suggestion: suggest(sig, SIGNALS),
        });
    }
    let peer = if peer == "self" { own_name } else { peer };
    Ok(Request::Signal {
        direction,
        peer: peer.to_string(),
        signal: sig.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use polc_lang::ir::Proto;

    #[test]
    fn paths_must_be_valid() {
        assert!(validate_path("/").is_ok());
        assert!(validate_path("/etc/ssl/a b*c").is_ok());
        for bad in [
            "", "etc", "/etc/", "//etc", "/a/../b", "/a/./b", "/a\0b", "/a\nb",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn requests_parse() {
        assert_eq!(
            net("connect:tcp:443").unwrap(),
            Request::Net {
                op: NetOp::Connect,
                proto: Proto::Tcp,
                family: None,
                port: 443
            }
        );
        assert_eq!(
            net("bind:udp6:53").unwrap(),
            Request::Net {
                op: NetOp::Bind,
                proto: Proto::Udp,
                family: Some(polc_lang::ir::IpFamily::Inet6),
                port: 53
            }
        );
        assert_eq!(net("bind:tcp:0"), Err(RequestError::Port("0".into())));
        assert_eq!(
            net("bind:tcp:65536"),
            Err(RequestError::Port("65536".into()))
        );
        assert!(net("bind:sctp:1").is_err());
        assert!(net("bind:tcp").is_err());
        assert!(net("bind:tcp:1:2").is_err());
        assert!(file("/etc/x", "rw").is_err());
        assert!(file("/etc/x", "map-exec").is_ok());
        assert!(capability("CAP_SETUID").is_err());
        assert_eq!(
            signal("send:term:self", "org.example.app").unwrap(),
            Request::Signal {
                direction: SignalDir::Send,
                peer: "org.example.app".into(),
                signal: "term".into()
            }
        );
        assert!(signal("sned:term:self", "a").is_err());
        // Well-formed but unknown names are refused, with a hint.
        let e = capability("setuidd").unwrap_err();
        assert_eq!(
            e,
            RequestError::UnknownCapability {
                name: "setuidd".into(),
                suggestion: Some("setuid")
            }
        );
        assert!(e.to_string().starts_with(
            "unknown capability `setuidd` (did you mean `setuid`?); capabilities are chown, "
        ));
        let e = signal("send:trem:self", "a").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "unknown signal `trem` (did you mean `term`?); signals are exists, hup, "
            ),
            "{e}"
        );
        assert!(matches!(
            signal("send:nosuchsignal:self", "a"),
            Err(RequestError::UnknownSignal {
                suggestion: None,
                ..
            })
        ));
        assert!(signal("send::self", "a").is_err());
    }

    #[test]
    fn one_line_requests() {
        assert_eq!(
            parse(" read /etc/hosts ", "a").unwrap(),
            file("/etc/hosts", "read").unwrap()
        );
        assert_eq!(
            parse("net connect:tcp:443", "a").unwrap(),
            net("connect:tcp:443").unwrap()
        );
        assert_eq!(
            parse("capability net_bind_service", "a").unwrap(),
            capability("net_bind_service").unwrap()
        );
        assert_eq!(
            parse("signal send:term:self", "org.example.app").unwrap(),
            signal("send:term:org.example.app", "x").unwrap()
        );
        assert_eq!(parse("read", "a"), Err(RequestError::Form("read".into())));
        assert_eq!(
            parse("reed /etc/hosts", "a"),
            Err(RequestError::Right("reed".into()))
        );
        assert!(parse("read etc/hosts", "a").is_err());
    }
}
