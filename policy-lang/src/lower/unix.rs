//! Lowering of unix-socket rules, of `net netlink|raw|packet` and of D-Bus rules: one rule
//! per statement (per protocol for family rules), identical rules merged, sorted.

use super::app::Plugged;
use super::{acceptances, sorted, Lowering};
use crate::ast::{StmtKind, UnixAddrSpec};
use crate::check::app::SAFE_ABSTRACTIONS;
use crate::check::resolve::{Resolution, Workspace};
use crate::check::vars::Env;
use crate::diagnostics::Code;
use crate::diagnostics::Diagnostic;
use crate::ir::dbus::name_glob;
use crate::ir::{
    Acceptance, DbusOp, DbusRule, Effect, FamilyRule, FamilySockType, IpFamily, NetFamily, Origin,
    Peer, Policy, PolicyName, UnixAddr, UnixOp, UnixPeer, UnixRule, UnixType,
};
use std::collections::{BTreeMap, BTreeSet};

// `audit` is part of both keys: an audited rule and a plain one never merge.
type UnixKey = (
    Effect,
    BTreeSet<UnixOp>,
    Option<UnixType>,
    UnixAddr,
    UnixPeer,
    bool,
);
type FamilyKey = (
    Effect,
    NetFamily,
    Option<IpFamily>,
    Option<String>,
    Option<FamilySockType>,
    bool,
);

/// A D-Bus rule's key: effect, ops, bus, path, interface, member, name, peer, audit.
type DbusKey = (
    Effect,
    BTreeSet<DbusOp>,
    Option<String>,
    Option<crate::glob::Glob>,
    Option<String>,
    Option<String>,
    Option<String>,
    Peer,
    bool,
);

/// The unix, family and D-Bus rules being lowered, merged by key.
#[derive(Default)]
struct Rules {
    unix: BTreeMap<UnixKey, Vec<Origin>>,
    families: BTreeMap<FamilyKey, Vec<Origin>>,
    dbus: BTreeMap<DbusKey, Vec<Origin>>,
}

/// The keys of the unix, family and D-Bus rules of a body (an interface's).
pub(super) type UnixKeys = (BTreeSet<UnixKey>, BTreeSet<FamilyKey>, BTreeSet<DbusKey>);

/// The unix and family rules of a body, by key.
pub(super) fn keys(
    lc: &Lowering<'_>,
    stmts: &[crate::ast::Stmt],
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
) -> UnixKeys {
    let mut rules = Rules::default();
    body(lc, stmts, &[], env, out, &mut rules);
    (
        rules.unix.into_keys().collect(),
        rules.families.into_keys().collect(),
        rules.dbus.into_keys().collect(),
    )
}

/// Fill `p.unix` and `p.net_families` from the policy and the abstractions it uses; for
/// an app, bounded by the interfaces it plugs and with its connected interfaces' rules.
pub(super) fn lower_unix(
    ws: &Workspace,
    res: &Resolution,
    me: &PolicyName,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    p: &mut Policy,
    plugged: Option<&[Plugged]>,
) {
    let mut rules = Rules::default();
    for e in &res.items {
        let Some(item) = ws.item(e.node) else {
            continue;
        };
        let lc = Lowering {
            ws,
            unit: e.node.0,
            via: &e.via,
            me,
        };
        body(&lc, &item.body, &[], env, out, &mut rules);
    }
    if let Some(plugged) = plugged {
        bound(&mut rules, plugged, me, out);
        for pl in plugged.iter().filter(|pl| pl.connected) {
            let via = vec![crate::ir::plug_via(&pl.found.name, &pl.found.framework)];
            let lc = Lowering {
                ws,
                unit: pl.found.node.0,
                via: &via,
                me,
            };
            body(&lc, pl.found.body(ws), &[], env, out, &mut rules);
        }
    }
    finish(rules, p);
}

/// True for an origin of the app itself (not a safe stdlib abstraction's).
fn is_app_origin(o: &Origin) -> bool {
    let safe = o.file.starts_with("stdlib:")
        && o.via
            .first()
            .is_some_and(|v| SAFE_ABSTRACTIONS.contains(&v.as_str()));
    !safe
}

/// An app's unix and family allow rules: covered only by an identical rule of a plugged
/// interface (E0220 otherwise); kept only when a connected one has it.
fn bound(rules: &mut Rules, plugged: &[Plugged], me: &PolicyName, out: &mut Vec<Diagnostic>) {
    let mut escape = |o: &Origin, text: String| {
        out.push(
            Diagnostic::new(
                Code::AppEscape,
                &o.file,
                o.span,
                format!("`{text}` is outside the bound of app `{me}`"),
                "no plugged interface grants this rule",
            )
            .with_help(format!(
                "a unix, network-family or D-Bus rule of an app needs a plugged interface with the same rule; {}",
                Code::AppEscape.help()
            )),
        );
    };
    bound_by_key(
        &mut rules.unix,
        plugged,
        |p| &p.keys.0,
        |k| {
            let (effect, ops, sock_type, addr, peer, audit) = k.clone();
            (
                effect,
                UnixRule {
                    effect,
                    ops,
                    sock_type,
                    addr,
                    peer,
                    audit,
                    origins: Vec::new(),
                }
                .text(),
            )
        },
        &mut escape,
    );
    bound_by_key(
        &mut rules.families,
        plugged,
        |p| &p.keys.1,
        |k| {
            let (effect, family, ip, protocol, sock_type, audit) = k.clone();
            (
                effect,
                FamilyRule {
                    effect,
                    family,
                    ip,
                    protocol,
                    sock_type,
                    audit,
                    origins: Vec::new(),
                }
                .text(),
            )
        },
        &mut escape,
    );
    bound_by_key(
        &mut rules.dbus,
        plugged,
        |p| &p.keys.2,
        |k| (k.0, dbus_rule(k.clone(), Vec::new()).text()),
        &mut escape,
    );
}

fn dbus_rule(k: DbusKey, origins: Vec<Origin>) -> DbusRule {
    let (effect, ops, bus, path, interface, member, name, peer, audit) = k;
    DbusRule {
        effect,
        audit,
        ops,
        bus,
        path,
        interface,
        member,
        name,
        peer,
        origins,
    }
}

/// The bound on one kind of rule merged by key: an app's allow rule is covered only by a
/// plugged interface with the same key (`escape` reports it otherwise, with its text),
/// and kept only when a connected interface has it.
fn bound_by_key<K: Ord>(
    rules: &mut BTreeMap<K, Vec<Origin>>,
    plugged: &[Plugged],
    keys: impl Fn(&Plugged) -> &BTreeSet<K>,
    effect_and_text: impl Fn(&K) -> (Effect, String),
    escape: &mut impl FnMut(&Origin, String),
) {
    rules.retain(|k, origins| {
        if !origins.iter().any(is_app_origin) {
            return true;
        }
        let (effect, text) = effect_and_text(k);
        if effect != Effect::Allow {
            return true;
        }
        if !plugged.iter().any(|p| keys(p).contains(k)) {
            for o in origins.iter().filter(|o| is_app_origin(o)) {
                escape(o, text.clone());
            }
        }
        if !plugged.iter().any(|p| p.connected && keys(p).contains(k)) {
            origins.retain(|o| !is_app_origin(o));
        }
        !origins.is_empty()
    });
}

/// Fill a child's `p.unix` and `p.net_families` from its body.
pub(super) fn lower_child_unix(
    ws: &Workspace,
    unit: usize,
    stmts: &[crate::ast::Stmt],
    me: &PolicyName,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    p: &mut Policy,
) {
    let mut rules = Rules::default();
    let lc = Lowering {
        ws,
        unit,
        via: &[],
        me,
    };
    body(&lc, stmts, &[], env, out, &mut rules);
    finish(rules, p);
}

/// The unix and family rules of one body (`accepts`: see `atoms_in`).
fn body(
    lc: &Lowering<'_>,
    stmts: &[crate::ast::Stmt],
    accepts: &[Acceptance],
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    rules: &mut Rules,
) {
    let (ws, unit, me) = (lc.ws, lc.unit, lc.me);
    {
        for s in stmts {
            let audit = s.quals.audit.is_some();
            match &s.kind {
                StmtKind::Accept(a) => {
                    let inner = acceptances(accepts, a);
                    body(lc, &a.body, &inner, env, out, rules);
                }
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
                    rules
                        .unix
                        .entry((effect, ops, sock_type, addr, peer, audit))
                        .or_default()
                        .push(lc.origin(s.span, accepts));
                }
                StmtKind::NetFamily(n) => {
                    let Some((family, ip)) = NetFamily::from_word(&n.family.node) else {
                        continue;
                    };
                    let sock_type = match &n.sock_type {
                        None => None,
                        Some(t) => match FamilySockType::from_keyword(&t.node) {
                            Some(t) if family.sock_types().contains(&t) => Some(t),
                            _ => continue,
                        },
                    };
                    let effect: Effect = n.effect.node.into();
                    let protocols: Vec<Option<String>> = if n.protocols.is_empty() {
                        vec![None]
                    } else {
                        n.protocols
                            .iter()
                            .filter(|p| family.protocols_of(ip).iter().any(|(k, _)| *k == p.node))
                            .map(|p| Some(p.node.clone()))
                            .collect()
                    };
                    for protocol in protocols {
                        rules
                            .families
                            .entry((effect, family, ip, protocol, sock_type, audit))
                            .or_default()
                            .push(lc.origin(s.span, accepts));
                    }
                }
                StmtKind::Dbus(d) => {
                    let ops: Option<BTreeSet<DbusOp>> = d
                        .ops
                        .iter()
                        .map(|o| DbusOp::from_keyword(&o.node))
                        .collect();
                    let Some(ops) = ops.filter(|o| !o.is_empty()) else {
                        continue;
                    };
                    let path = match &d.path {
                        None => None,
                        Some(p) => match env.glob(ws, unit, p, out) {
                            Some(g) => Some(g),
                            None => continue,
                        },
                    };
                    let pattern = |v: &Option<crate::span::Spanned<String>>| match v {
                        None => Ok(None),
                        Some(v) if name_glob(&v.node).is_some() => Ok(Some(v.node.clone())),
                        Some(_) => Err(()),
                    };
                    let (Ok(interface), Ok(member), Ok(name)) =
                        (pattern(&d.interface), pattern(&d.member), pattern(&d.name))
                    else {
                        continue;
                    };
                    let peer = match d.peer.as_ref().map(|p| p.node.as_str()) {
                        None => Peer::Any,
                        Some("self") => Peer::Policy(me.clone()),
                        Some(n) => match Peer::new(n) {
                            Ok(p) => p,
                            Err(_) => continue,
                        },
                    };
                    let effect = d.effect.node.into();
                    let bus = d.bus.as_ref().map(|b| b.node.clone());
                    rules
                        .dbus
                        .entry((effect, ops, bus, path, interface, member, name, peer, audit))
                        .or_default()
                        .push(lc.origin(s.span, accepts));
                }
                _ => {}
            }
        }
    }
}

fn finish(rules: Rules, p: &mut Policy) {
    let Rules {
        unix,
        families,
        dbus,
    } = rules;
    p.dbus = dbus
        .into_iter()
        .map(|(k, o)| dbus_rule(k, sorted(o)))
        .collect();
    p.unix = unix
        .into_iter()
        .map(
            |((effect, ops, sock_type, addr, peer, audit), o)| UnixRule {
                effect,
                audit,
                ops,
                sock_type,
                addr,
                peer,
                origins: sorted(o),
            },
        )
        .collect();
    p.net_families = families
        .into_iter()
        .map(
            |((effect, family, ip, protocol, sock_type, audit), o)| FamilyRule {
                effect,
                audit,
                family,
                ip,
                protocol,
                sock_type,
                origins: sorted(o),
            },
        )
        .collect();
}
