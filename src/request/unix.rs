//! Unix-socket and network-family requests: `OP:TYPE:PEER:ADDRESS` and `FAMILY[:PROTOCOL]`.

use super::RequestError;
use polc_lang::eval::{Request, RequestPeer, UnixRequestAddr};
use polc_lang::ir::{FamilySockType, NetFamily, UnixOp, UnixType};

/// A unix request written `OP:TYPE:PEER:ADDRESS`, e.g.
/// `connect:stream:self:/run/app.sock`, `connect:stream:unconfined:@app` or
/// `send:dgram:org.example.b:anonymous`. The address is a path, `@name` or `anonymous`;
/// the peer a policy name, `self` (the policy itself, `own_name`) or `unconfined`.
pub fn unix(spec: &str, own_name: &str) -> Result<Request, RequestError> {
    let bad = || RequestError::Unix(spec.to_string());
    let mut parts = spec.splitn(4, ':');
    let (Some(op), Some(ty), Some(peer), Some(addr)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let op = UnixOp::from_keyword(op).ok_or_else(bad)?;
    let sock_type = UnixType::from_keyword(ty).ok_or_else(bad)?;
    let peer_ok = !peer.is_empty()
        && peer
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    if !peer_ok {
        return Err(bad());
    }
    let peer = match peer {
        "self" => RequestPeer::Policy(own_name.to_string()),
        p => RequestPeer::parse(p),
    };
    let addr = if addr == "anonymous" {
        UnixRequestAddr::Anonymous
    } else if addr.starts_with('@') && addr.len() > 1 {
        UnixRequestAddr::Abstract(addr.to_string())
    } else {
        super::validate_path(addr)?;
        UnixRequestAddr::Path(addr.to_string())
    };
    Ok(Request::Unix {
        op,
        sock_type,
        addr,
        peer,
    })
}

/// A network-family request written `FAMILY[:PROTOCOL[:TYPE]]`, e.g. `netlink:route`,
/// `netlink:route:dgram`, `raw6:icmpv6`, `packet::raw` or `packet`. `raw` asks for both IP
/// versions, and no type for both types (allowed only when every one is).
pub fn family(spec: &str) -> Result<Request, RequestError> {
    let bad = || RequestError::Family(spec.to_string());
    let mut parts = spec.split(':');
    let fam = parts.next().unwrap_or_default();
    let protocol = parts.next().filter(|p| !p.is_empty());
    let sock_type = parts.next();
    if parts.next().is_some() {
        return Err(bad());
    }
    let (family, ip) = NetFamily::from_word(fam).ok_or_else(bad)?;
    if let Some(p) = protocol {
        if !family.protocols_of(ip).iter().any(|(k, _)| *k == p) {
            return Err(bad());
        }
    }
    let sock_type = match sock_type {
        None => None,
        Some(t) => Some(
            FamilySockType::from_keyword(t)
                .filter(|t| family.sock_types().contains(t))
                .ok_or_else(bad)?,
        ),
    };
    Ok(Request::NetFamily {
        family,
        ip,
        protocol: protocol.map(str::to_string),
        sock_type,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unix_requests() {
        assert_eq!(
            unix("connect:stream:self:/run/app.sock", "org.example.a").unwrap(),
            Request::Unix {
                op: UnixOp::Connect,
                sock_type: UnixType::Stream,
                addr: UnixRequestAddr::Path("/run/app.sock".into()),
                peer: RequestPeer::Policy("org.example.a".into()),
            }
        );
        assert_eq!(
            unix("send:dgram:unconfined:@a:b", "x").unwrap(),
            Request::Unix {
                op: UnixOp::Send,
                sock_type: UnixType::Dgram,
                addr: UnixRequestAddr::Abstract("@a:b".into()),
                peer: RequestPeer::Unconfined,
            }
        );
        for bad in [
            "connect:stream:self",
            "open:stream:self:/x",
            "connect:raw:self:/x",
            "connect:stream:Bad:/x",
            "connect:stream:self:rel",
        ] {
            assert!(unix(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn family_requests() {
        assert_eq!(
            family("netlink:route").unwrap(),
            Request::net_family(NetFamily::Netlink, Some("route"))
        );
        assert_eq!(family("raw6::").ok(), None, "an empty type is not a type");
        assert_eq!(
            family("packet::dgram").unwrap(),
            Request::NetFamily {
                family: NetFamily::Packet,
                ip: None,
                protocol: None,
                sock_type: Some(FamilySockType::Dgram),
            }
        );
        assert!(family("raw4:icmpv6").is_err());
        assert!(family("raw:icmp:dgram").is_err());
        assert!(family("packet").is_ok());
        assert!(family("packet:route").is_err());
        assert!(family("netlink:tcp").is_err());
        assert!(family("inet").is_err());
    }
}
