//! The target system's port contexts (`portcon`) and initial contexts of ports and nodes.
//!
//! The text format is what `seinfo --portcon --initialsid -x POLICY` prints:
//! `portcon PROTO LO[-HI] CONTEXT` and `sid NAME CONTEXT` lines (other lines are
//! ignored). The kernel labels a port with the first matching `portcon` of the binary
//! policy, which CIL writes narrowest range first (libsepol `cil_post_portcon_compare`:
//! width, then low port, then protocol); ports no entry covers get the `port` initial
//! context.

use crate::fcontexts::valid_type_name;
use polc_lang::ir::Proto;

/// One `portcon`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortCon {
    /// TCP or UDP.
    pub proto: Proto,
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
    /// The type.
    pub ty: String,
}

impl PortCon {
    /// CIL's order: narrowest range first.
    pub(crate) fn cil_cmp(&self, o: &PortCon) -> std::cmp::Ordering {
        (self.hi - self.lo)
            .cmp(&(o.hi - o.lo))
            .then(self.lo.cmp(&o.lo))
            .then(proto_rank(self.proto).cmp(&proto_rank(o.proto)))
    }
}

fn proto_rank(p: Proto) -> u8 {
    // CIL_PROTOCOL_UDP = 1, CIL_PROTOCOL_TCP = 2
    match p {
        Proto::Udp => 1,
        Proto::Tcp => 2,
    }
}

/// The target's network contexts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortContexts {
    /// Every TCP and UDP `portcon` (others are ignored).
    pub ports: Vec<PortCon>,
    /// The type of the `port` initial SID (ports without a portcon).
    pub default_port: Option<String>,
    /// The type of the `node` initial SID (checked by `node_bind`).
    pub node: Option<String>,
}

/// Why a port contexts text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("port contexts:{line}: {message}")]
pub struct PortParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn ctx_type(ctx: &str) -> Option<String> {
    let t = ctx.split(':').nth(2)?;
    valid_type_name(t).then(|| t.to_string())
}

impl PortContexts {
    /// Parse the output of `seinfo --portcon --initialsid -x POLICY`.
    pub fn parse(text: &str) -> Result<PortContexts, PortParseError> {
        let mut out = PortContexts::default();
        for (n, raw) in text.lines().enumerate() {
            let err = |m: &str| PortParseError {
                line: n + 1,
                message: m.to_string(),
            };
            let f: Vec<&str> = raw.split_whitespace().collect();
            match f.as_slice() {
                ["portcon", proto, range, ctx] => {
                    let proto = match *proto {
                        "tcp" => Proto::Tcp,
                        "udp" => Proto::Udp,
                        _ => continue,
                    };
                    let (lo, hi) = match range.split_once('-') {
                        Some((a, b)) => (a.parse::<u16>(), b.parse::<u16>()),
                        None => (range.parse::<u16>(), range.parse::<u16>()),
                    };
                    let (Ok(lo), Ok(hi)) = (lo, hi) else {
                        return Err(err("bad port range"));
                    };
                    if lo > hi {
                        return Err(err("bad port range"));
                    }
                    let ty =
                        ctx_type(ctx).ok_or_else(|| err("cannot read the type of the context"))?;
                    out.ports.push(PortCon { proto, lo, hi, ty });
                }
                ["sid", "port", ctx] => out.default_port = ctx_type(ctx),
                ["sid", "node", ctx] => out.node = ctx_type(ctx),
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn parses_seinfo_output() {
        let p = PortContexts::parse(
            "Initial SIDs: 2\n   sid node system_u:object_r:node_t:s0\n   sid port system_u:object_r:port_t:s0\n\nPortcon: 3\n   portcon sctp 1-511 system_u:object_r:reserved_port_t:s0\n   portcon tcp 443 system_u:object_r:http_port_t:s0\n   portcon udp 1024-65535 system_u:object_r:unreserved_port_t:s0\n",
        )
        .unwrap();
        assert_eq!(p.ports.len(), 2);
        assert_eq!(p.node.as_deref(), Some("node_t"));
        assert_eq!(p.default_port.as_deref(), Some("port_t"));
        assert!(PortContexts::parse("portcon tcp 9-1 a:b:c\n").is_err());
    }
}
