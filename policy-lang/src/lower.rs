//! Lowering: a resolved, checked policy and its abstractions to the IR.
//!
//! Every statement of the policy and of each abstraction it uses (each abstraction once,
//! reached by the shortest chain of `use`) becomes one or more *atoms*: one rule about
//! one subject from one statement. Atoms are then merged into IR rules:
//!
//! - file rules by (effect, glob, `as` target, `owner`, `audit`), rights unioned, each statement kept in
//!   `origins` with the rights it contributed;
//! - network rules by (effect, operation, protocol, port range, `audit`);
//! - capability rules by (effect, capability, `audit`);
//! - signal rules by (effect, direction, peer, signal set, `audit`), so that every
//!   origin holds for the whole rule;
//! - owned paths by glob.
//!
//! Every list is sorted (by the keys above) and origins are sorted and deduplicated, so
//! the IR of a policy does not depend on the order of its statements.

use crate::ast::{self, StmtKind};
use crate::atom::{Atom, Subject};
use crate::check::items::resolve_rights;
use crate::check::resolve::{Expanded, Resolution, Workspace};
use crate::check::transitions::check_transitions;
use crate::check::vars::Env;
use crate::diagnostics::Diagnostic;
use crate::glob::Glob;
use crate::ir::{
    Attach, CapRule, Effect, FileRule, Mode, NetOp, NetRule, Origin, Owned, Policy, PolicyName,
    PortRange, Proto, RightsOrigin, SignalDir, SignalRule,
};
use crate::rights::Rights;
use crate::span::Span;
use std::collections::{BTreeMap, BTreeSet};

fn origin(ws: &Workspace, unit: usize, span: Span, via: &[String]) -> Origin {
    let (file, (line, column)) = ws.unit(unit).map_or(("", (1, 1)), |u| {
        (u.name.as_str(), u.lines.line_col(&u.text, span.start))
    });
    Origin {
        file: file.to_string(),
        line,
        column,
        span,
        via: via.to_vec(),
    }
}

/// Lower the resolved policy. Returns the IR and the atoms it was built from (for the
/// lints), or `None` when the policy's name is invalid (already reported).
pub(crate) fn lower(
    ws: &Workspace,
    res: &Resolution,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
) -> Option<(Policy, Vec<Atom>)> {
    let root = res.items.first()?;
    let item = ws.item(root.node)?;
    let name = PolicyName::new(&item.name.node).ok()?;
    if name.as_str() == "self" {
        return None;
    }
    let mut policy = Policy {
        name: name.clone(),
        version: None,
        attach: None,
        mode: Mode::Enforce,
        uses: res.uses.clone(),
        owns: Vec::new(),
        files: Vec::new(),
        net: Vec::new(),
        capabilities: Vec::new(),
        signals: Vec::new(),
    };
    let mut owns: BTreeMap<String, Owned> = BTreeMap::new();
    let unit = root.node.0;
    for s in &item.body {
        match &s.kind {
            StmtKind::Version(v) if policy.version.is_none() => policy.version = Some(v.node),
            StmtKind::Mode(m) if m.node == "complain" => policy.mode = Mode::Complain,
            StmtKind::Attach(p) if policy.attach.is_none() => {
                if let Some(path) = env.attach(ws, unit, p, out) {
                    policy.attach = Some(Attach {
                        path,
                        origin: origin(ws, unit, s.span, &[]),
                    });
                }
            }
            StmtKind::Owns(paths) => {
                for p in paths {
                    if let Some(glob) = env.glob(ws, unit, p, out) {
                        owns.entry(glob.as_str().to_string())
                            .or_insert_with(|| Owned {
                                glob,
                                origins: Vec::new(),
                            })
                            .origins
                            .push(origin(ws, unit, s.span, &[]));
                    }
                }
            }
            _ => {}
        }
    }
    policy.owns = owns
        .into_values()
        .map(|mut o| {
            o.origins.sort();
            o.origins.dedup();
            o
        })
        .collect();
    let mut atoms = Vec::new();
    for e in &res.items {
        atoms_of(ws, e, &name, env, out, &mut atoms);
    }
    check_transitions(ws, &atoms, out);
    merge(&mut policy, &atoms);
    Some((policy, atoms))
}

/// Lowering is where the language's `allow`/`deny` becomes the IR's.
impl From<ast::Effect> for Effect {
    fn from(e: ast::Effect) -> Self {
        match e {
            ast::Effect::Allow => Effect::Allow,
            ast::Effect::Deny => Effect::Deny,
        }
    }
}

fn atoms_of(
    ws: &Workspace,
    e: &Expanded,
    me: &PolicyName,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    atoms: &mut Vec<Atom>,
) {
    let Some(item) = ws.item(e.node) else { return };
    let unit = e.node.0;
    for s in &item.body {
        let o = || origin(ws, unit, s.span, &e.via);
        let (audit, owner) = (s.quals.audit.is_some(), s.quals.owner.is_some());
        let mut push = |effect: ast::Effect, subject: Subject, span: Span| {
            atoms.push(Atom {
                effect: effect.into(),
                subject,
                origin: o(),
                unit,
                span,
                audit,
                owner,
            });
        };
        match &s.kind {
            StmtKind::File {
                effect,
                rights,
                paths,
                exec_as,
            } => {
                let rights = resolve_rights(rights);
                let exec_as = exec_as
                    .as_ref()
                    .and_then(|n| PolicyName::new(&n.node).ok())
                    .filter(|n| n.as_str() != "self");
                for p in paths {
                    if let Some(glob) = env.glob(ws, unit, p, out) {
                        let subject = Subject::File {
                            glob,
                            rights,
                            exec_as: exec_as.clone(),
                        };
                        push(effect.node, subject, p.span);
                    }
                }
            }
            StmtKind::Net {
                effect,
                op,
                proto,
                ports,
            } => {
                let op = match op.node.as_str() {
                    "connect" => NetOp::Connect,
                    "bind" => NetOp::Bind,
                    _ => continue,
                };
                let proto = match proto.node.as_str() {
                    "tcp" => Proto::Tcp,
                    "udp" => Proto::Udp,
                    _ => continue,
                };
                let ports = match ports {
                    None => PortRange::ALL,
                    Some(p) => match (u16::try_from(p.node.lo), u16::try_from(p.node.hi)) {
                        (Ok(lo), Ok(hi)) if lo >= 1 && lo <= hi => PortRange { lo, hi },
                        _ => continue,
                    },
                };
                push(effect.node, Subject::Net { op, proto, ports }, s.span);
            }
            StmtKind::Capability { effect, caps } => {
                for c in caps {
                    if crate::check::is_capability(&c.node) {
                        push(effect.node, Subject::Cap(c.node.clone()), c.span);
                    }
                }
            }
            StmtKind::Signal {
                effect,
                direction,
                signals,
                peer,
            } => {
                let dir = match direction.node.as_str() {
                    "send" => SignalDir::Send,
                    "receive" => SignalDir::Receive,
                    _ => continue,
                };
                let peer = if peer.node == "self" {
                    me.clone()
                } else {
                    match PolicyName::new(&peer.node) {
                        Ok(p) => p,
                        Err(_) => continue,
                    }
                };
                let signals: BTreeSet<String> = signals
                    .iter()
                    .filter(|x| crate::check::is_signal(&x.node))
                    .map(|x| x.node.clone())
                    .collect();
                push(effect.node, Subject::Signal { dir, peer, signals }, s.span);
            }
            _ => {}
        }
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn merge(p: &mut Policy, atoms: &[Atom]) {
    // `owner` and `audit` are part of every key (after the fields of v1, so that v1
    // policies keep their order): an audited rule and a plain one never merge.
    type FileKey = (Effect, String, Option<PolicyName>, bool, bool);
    let mut files: BTreeMap<FileKey, (Glob, Vec<RightsOrigin>)> = BTreeMap::new();
    let mut net: BTreeMap<(Effect, NetOp, Proto, PortRange, bool), Vec<Origin>> = BTreeMap::new();
    let mut caps: BTreeMap<(Effect, String, bool), Vec<Origin>> = BTreeMap::new();
    type SigKey = (Effect, SignalDir, PolicyName, BTreeSet<String>, bool);
    let mut sigs: BTreeMap<SigKey, Vec<Origin>> = BTreeMap::new();
    for a in atoms {
        let o = a.origin.clone();
        match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
            } => files
                .entry((
                    a.effect,
                    glob.as_str().to_string(),
                    exec_as.clone(),
                    a.owner,
                    a.audit,
                ))
                .or_insert_with(|| (glob.clone(), Vec::new()))
                .1
                .push(RightsOrigin {
                    rights: *rights,
                    origin: o,
                }),
            Subject::Net { op, proto, ports } => net
                .entry((a.effect, *op, *proto, *ports, a.audit))
                .or_default()
                .push(o),
            Subject::Cap(c) => caps
                .entry((a.effect, c.clone(), a.audit))
                .or_default()
                .push(o),
            Subject::Signal { dir, peer, signals } => sigs
                .entry((a.effect, *dir, peer.clone(), signals.clone(), a.audit))
                .or_default()
                .push(o),
        }
    }
    p.files = files
        .into_iter()
        .map(|((effect, _, exec_as, owner, audit), (glob, origins))| {
            let origins = merge_rights_origins(origins);
            FileRule {
                effect,
                glob,
                rights: origins.iter().fold(Rights::EMPTY, |r, o| r.union(o.rights)),
                exec_as,
                origins,
                audit,
                owner,
            }
        })
        .collect();
    p.net = net
        .into_iter()
        .map(|((effect, op, proto, ports, audit), o)| NetRule {
            audit,
            effect,
            op,
            proto,
            ports,
            origins: sorted(o),
        })
        .collect();
    p.capabilities = caps
        .into_iter()
        .map(|((effect, capability, audit), o)| CapRule {
            audit,
            effect,
            capability,
            origins: sorted(o),
        })
        .collect();
    p.signals = sigs
        .into_iter()
        .map(
            |((effect, direction, peer, signals, audit), o)| SignalRule {
                audit,
                effect,
                direction,
                peer,
                signals,
                origins: sorted(o),
            },
        )
        .collect();
}

/// Sort by origin; one entry per origin, with the union of its rights.
fn merge_rights_origins(v: Vec<RightsOrigin>) -> Vec<RightsOrigin> {
    let mut by: BTreeMap<Origin, Rights> = BTreeMap::new();
    for ro in v {
        let r = by.entry(ro.origin).or_default();
        *r = r.union(ro.rights);
    }
    by.into_iter()
        .map(|(origin, rights)| RightsOrigin { rights, origin })
        .collect()
}
