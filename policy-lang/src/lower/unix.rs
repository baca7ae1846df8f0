//! Lowering of unix-socket rules and of `net netlink|raw|packet`: one rule per statement
//! (per protocol for family rules), identical rules merged, sorted.

use super::{origin, sorted};
use crate::ast::{StmtKind, UnixAddrSpec};
use crate::check::resolve::{Resolution, Workspace};
use crate::check::vars::Env;
use crate::diagnostics::Diagnostic;
use crate::ir::{
    Effect, FamilyRule, NetFamily, Origin, Policy, PolicyName, UnixAddr, UnixOp, UnixPeer,
    UnixRule, UnixType,
};
use std::collections::{BTreeMap, BTreeSet};

type UnixKey = (
    Effect,
    BTreeSet<UnixOp>,
    Option<UnixType>,
    UnixAddr,
    UnixPeer,
);

/// Fill `p.unix` and `p.net_families` from the policy and the abstractions it uses.
pub(super) fn lower_unix(
    ws: &Workspace,
    res: &Resolution,
    me: &PolicyName,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    p: &mut Policy,
) {
    let mut unix: BTreeMap<UnixKey, Vec<Origin>> = BTreeMap::new();
    let mut families: BTreeMap<(Effect, NetFamily, Option<String>), Vec<Origin>> = BTreeMap::new();
    for e in &res.items {
        let Some(item) = ws.item(e.node) else {
            continue;
        };
        let unit = e.node.0;
        for s in &item.body {
            match &s.kind {
                StmtKind::Unix(u) => {
                    let ops: Option<BTreeSet<UnixOp>> = u
                        .ops
                        .iter()
                        .map(|o| UnixOp::from_keyword(&o.node))
                        .collect();
                    let Some(ops) = ops.filter(|o| !o.is_empty()) else {
                        continue;
                    };
                    let sock_type = match &u.sock_type {
                        None => None,
                        Some(t) => match UnixType::from_keyword(&t.node) {
                            Some(t) => Some(t),
                            None => continue,
                        },
                    };
                    let addr = match u.addr.as_ref().map(|a| &a.node) {
                        None => UnixAddr::Any,
                        Some(UnixAddrSpec::Path(path)) => match env.glob(ws, unit, path, out) {
                            Some(glob) => UnixAddr::Path { glob },
                            None => continue,
                        },
                        Some(UnixAddrSpec::Abstract(n)) => UnixAddr::Abstract {
                            name: n.as_ref().map(|n| n.node.clone()),
                        },
                        Some(UnixAddrSpec::Anonymous) => UnixAddr::Anonymous,
                    };
                    let peer = match u.peer.as_ref().map(|p| p.node.as_str()) {
                        None | Some("any") => UnixPeer::Any,
                        Some("unconfined") => UnixPeer::Unconfined,
                        Some("self") => UnixPeer::Policy(me.clone()),
                        Some(n) => match PolicyName::new(n) {
                            Ok(n) => UnixPeer::Policy(n),
                            Err(_) => continue,
                        },
                    };
                    let effect = u.effect.node.into();
                    unix.entry((effect, ops, sock_type, addr, peer))
                        .or_default()
                        .push(origin(ws, unit, s.span, &e.via));
                }
                StmtKind::NetFamily(n) => {
                    let Some(family) = NetFamily::from_keyword(&n.family.node) else {
                        continue;
                    };
                    let effect: Effect = n.effect.node.into();
                    let protocols: Vec<Option<String>> = if n.protocols.is_empty() {
                        vec![None]
                    } else {
                        n.protocols
                            .iter()
                            .filter(|p| family.protocols().iter().any(|(k, _)| *k == p.node))
                            .map(|p| Some(p.node.clone()))
                            .collect()
                    };
                    for protocol in protocols {
                        families
                            .entry((effect, family, protocol))
                            .or_default()
                            .push(origin(ws, unit, s.span, &e.via));
                    }
                }
                _ => {}
            }
        }
    }
    p.unix = unix
        .into_iter()
        .map(|((effect, ops, sock_type, addr, peer), o)| UnixRule {
            effect,
            audit: false,
            ops,
            sock_type,
            addr,
            peer,
            origins: sorted(o),
        })
        .collect();
    p.net_families = families
        .into_iter()
        .map(|((effect, family, protocol), o)| FamilyRule {
            effect,
            audit: false,
            family,
            protocol,
            origins: sorted(o),
        })
        .collect();
}
