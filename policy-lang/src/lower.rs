//! Lowering: a resolved, checked policy and its abstractions to the IR.
//!
//! Every statement of the policy and of each abstraction it uses (each abstraction once,
//! reached by the shortest chain of `use`) becomes one or more *atoms*: one rule about
//! one subject from one statement. Atoms are then merged into IR rules:
//!
//! - file rules by (effect, glob, `as` target, `owner`, `audit`), rights unioned, each statement kept in
//!   `origins` with the rights it contributed;
//! - network rules by (effect, operation, protocol, IP version, port range, `audit`);
//! - capability rules by (effect, capability, `audit`);
//! - signal rules by (effect, direction, peer, signal set, `audit`), so that every
//!   origin holds for the whole rule;
//! - owned paths by glob.
//!
//! Every list is sorted (by the keys above) and origins are sorted and deduplicated, so
//! the IR of a policy does not depend on the order of its statements.

mod app;
mod unix;

use crate::ast::{self, StmtKind};
use crate::atom::{Atom, Subject};
use crate::check::items::resolve_rights;
use crate::check::resolve::{Expanded, Resolution, Workspace};
use crate::check::transitions::check_transitions;
use crate::check::vars::Env;
use crate::diagnostics::Diagnostic;
use crate::glob::{text_head, Glob};
use crate::hash::FastMap;
use crate::ir::{
    AcceptTarget, Acceptance, Attach, CapRule, Child, ChildKind, Effect, ExecMode, FileRule, Mode,
    NetOp, NetRule, Origin, Owned, Peer, Policy, PolicyName, PortRange, Proto, PtraceAccess,
    PtraceDir, PtraceRule, RightsOrigin, SignalDir, SignalRule, ACCEPTABLE,
};
use crate::rights::Rights;
use crate::span::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn origin(ws: &Workspace, unit: usize, span: Span, via: &[String]) -> Origin {
    let (file, (line, column)) = ws.unit(unit).map_or_else(
        || (Arc::from(""), (1, 1)),
        |u| (Arc::clone(&u.name), u.lines.line_col(&u.text, span.start)),
    );
    Origin {
        file,
        line,
        column,
        span,
        via: via.to_vec(),
        accepts: Vec::new(),
    }
}

/// The acceptances an `accept` block gives its statements, added to those of the blocks
/// around it (none: the checker refuses nesting); unknown words are skipped (reported).
pub(crate) fn acceptances(outer: &[Acceptance], a: &ast::AcceptBlock) -> Vec<Acceptance> {
    let mut v = outer.to_vec();
    for f in &a.fidelities {
        let Some(fidelity) = ACCEPTABLE.into_iter().find(|x| x.name() == f.node) else {
            continue;
        };
        for t in &a.targets {
            if let Some(target) = AcceptTarget::from_name(&t.node) {
                v.push(Acceptance {
                    fidelity,
                    target,
                    reason: a.reason.node.clone(),
                });
            }
        }
    }
    sorted(v)
}

/// What [`lower`] makes of a policy.
pub(crate) struct Lowered {
    /// The IR.
    pub(crate) policy: Policy,
    /// The atoms it was built from (for the lints).
    pub(crate) atoms: Vec<Atom>,
    /// For an app, its plugs and whether each is connected.
    pub(crate) plugs: Option<Vec<crate::load::Plug>>,
}

/// Lower the resolved policy, or `None` when the policy's name is invalid (already
/// reported).
pub(crate) fn lower(
    ws: &Workspace,
    res: &Resolution,
    env: &mut Env,
    connect: &[String],
    out: &mut Vec<Diagnostic>,
) -> Option<Lowered> {
    let root = res.items.first()?;
    let item = ws.item(root.node)?;
    let name = PolicyName::new(&item.name.node).ok()?;
    if name.as_str() == "self" {
        return None;
    }
    let mut policy = Policy {
        uses: res.uses.clone(),
        ..Policy::empty(name.clone())
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
    let mut plugged = None;
    if item.body.iter().any(|s| s.kind == StmtKind::App) {
        let cx = app::AppCtx {
            ws,
            item,
            unit,
            me: &name,
            connect,
        };
        let p = app::plugs(&cx, env, out);
        atoms = app::bound(&cx, &policy.owns, atoms, &p, env, out);
        plugged = Some(p);
    }
    check_transitions(ws, &atoms, out);
    merge(&mut policy, &atoms);
    unix::lower_unix(ws, res, &name, env, out, &mut policy, plugged.as_deref());
    policy.children = children(ws, unit, item, policy.mode, env, out);
    let plugs = plugged.map(|p| {
        p.iter()
            .map(|p| crate::load::Plug {
                interface: p.found.name.clone(),
                framework: p.found.framework.clone(),
                auto: p.found.auto,
                connected: p.connected,
            })
            .collect()
    });
    Some(Lowered {
        policy,
        atoms,
        plugs,
    })
}

/// The `child` and `hat` blocks of the policy, each lowered on its own (its rules only),
/// sorted by name; a name written twice (E0193) keeps its first block.
fn children(
    ws: &Workspace,
    unit: usize,
    item: &ast::Item,
    mode: Mode,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
) -> Vec<Child> {
    let mut by_name: BTreeMap<PolicyName, Child> = BTreeMap::new();
    for s in &item.body {
        let StmtKind::Child {
            kind, name, body, ..
        } = &s.kind
        else {
            continue;
        };
        let Ok(name) = PolicyName::new(&name.node) else {
            continue;
        };
        if by_name.contains_key(&name) || name.as_str() == "self" {
            continue;
        }
        let mut atoms = Vec::new();
        let lc = Lowering {
            ws,
            unit,
            via: &[],
            me: &name,
        };
        atoms_in(&lc, body, &[], env, out, &mut atoms);
        check_transitions(ws, &atoms, out);
        let mut policy = Policy {
            mode,
            ..Policy::empty(name.clone())
        };
        merge(&mut policy, &atoms);
        unix::lower_child_unix(ws, unit, body, &name, env, out, &mut policy);
        let kind = match kind {
            ast::ChildKind::Child => ChildKind::Child,
            ast::ChildKind::Hat => ChildKind::Hat,
        };
        by_name.insert(
            name,
            Child {
                kind,
                policy,
                origin: origin(ws, unit, s.span, &[]),
            },
        );
    }
    by_name.into_values().collect()
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
    let lc = Lowering {
        ws,
        unit: e.node.0,
        via: &e.via,
        me,
    };
    atoms_in(&lc, &item.body, &[], env, out, atoms);
}

/// Where the statements being lowered are: their unit, the chain of `use` that pulled
/// them in, the policy they are lowered into.
pub(crate) struct Lowering<'a> {
    pub(crate) ws: &'a Workspace,
    pub(crate) unit: usize,
    pub(crate) via: &'a [String],
    pub(crate) me: &'a PolicyName,
}

impl Lowering<'_> {
    /// The origin of a statement, with the acceptances of its `accept` block.
    pub(crate) fn origin(&self, span: Span, accepts: &[Acceptance]) -> Origin {
        let mut o = origin(self.ws, self.unit, span, self.via);
        o.accepts = accepts.to_vec();
        o
    }
}

/// The atoms of the rules of one body (a policy's, an abstraction's, a child's or an
/// `accept` block's, whose `accepts` its statements carry).
pub(super) fn atoms_in(
    lc: &Lowering<'_>,
    body: &[ast::Stmt],
    accepts: &[Acceptance],
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
    atoms: &mut Vec<Atom>,
) {
    let (ws, unit, me) = (lc.ws, lc.unit, lc.me);
    for s in body {
        if let StmtKind::Accept(a) = &s.kind {
            atoms_in(lc, &a.body, &acceptances(accepts, a), env, out, atoms);
            continue;
        }
        let o = || lc.origin(s.span, accepts);
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
                dir_only: false,
            });
        };
        match &s.kind {
            StmtKind::File {
                effect,
                rights,
                paths,
                exec_as,
                exec_mode,
            } => {
                let rights = resolve_rights(rights);
                let exec_as = exec_as
                    .as_ref()
                    .and_then(|n| PolicyName::new(&n.node).ok())
                    .filter(|n| n.as_str() != "self");
                let exec_mode = match exec_mode {
                    ast::ExecMode::Plain | ast::ExecMode::Inherit => ExecMode::Plain,
                    ast::ExecMode::Child => ExecMode::Child,
                    ast::ExecMode::Fallback => ExecMode::Fallback,
                    ast::ExecMode::Unconfined => ExecMode::Unconfined,
                };
                for p in paths {
                    if let Some((glob, dir_only)) = env.rule_path(ws, unit, p, rights, out) {
                        let subject = Subject::File {
                            glob,
                            rights,
                            exec_as: exec_as.clone(),
                            exec_mode,
                        };
                        atoms.push(Atom {
                            effect: effect.node.into(),
                            subject,
                            origin: o(),
                            unit,
                            span: p.span,
                            audit,
                            owner,
                            dir_only,
                        });
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
                let Some((proto, family)) = crate::ir::parse_inet_protocol(&proto.node) else {
                    continue;
                };
                let ports = match ports {
                    None => PortRange::ALL,
                    Some(p) => match (u16::try_from(p.node.lo), u16::try_from(p.node.hi)) {
                        (Ok(lo), Ok(hi)) if lo >= 1 && lo <= hi => PortRange { lo, hi },
                        _ => continue,
                    },
                };
                push(
                    effect.node,
                    Subject::Net {
                        op,
                        proto,
                        family,
                        ports,
                    },
                    s.span,
                );
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
                    Peer::Policy(me.clone())
                } else {
                    match Peer::new(&peer.node) {
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
            StmtKind::Ptrace {
                effect,
                access,
                direction,
                peer,
            } => {
                let dir = match direction.node.as_str() {
                    "to" => PtraceDir::To,
                    "from" => PtraceDir::From,
                    _ => continue,
                };
                let peer = if peer.node == "self" {
                    Peer::Policy(me.clone())
                } else {
                    match Peer::new(&peer.node) {
                        Ok(p) => p,
                        Err(_) => continue,
                    }
                };
                let named = access
                    .iter()
                    .filter_map(|a| PtraceAccess::from_keyword(&a.node));
                let access = crate::ir::ptrace::resolve_access(effect.node.into(), named);
                push(effect.node, Subject::Ptrace { dir, peer, access }, s.span);
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
    // `owner`, `audit` and `dir_only` are part of every key (after the fields of v1, so
    // that v1 policies keep their order): an audited rule and a plain one never merge.
    // The glob is borrowed from its atom: the key orders as its text would.
    type FileKey<'a> = (
        Effect,
        &'a str,
        Option<PolicyName>,
        ExecMode,
        bool,
        bool,
        bool,
    );
    // By hash, then sorted once: an ordered map compared the globs' long shared heads at
    // every step of every insertion.
    let mut file_at: FastMap<FileKey<'_>, usize> =
        FastMap::with_capacity_and_hasher(atoms.len(), Default::default());
    let mut file_rules: Vec<Option<(Glob, Vec<RightsOrigin>)>> = Vec::new();
    type NetKey = (
        Effect,
        NetOp,
        Proto,
        Option<crate::ir::IpFamily>,
        PortRange,
        bool,
    );
    let mut net: BTreeMap<NetKey, Vec<Origin>> = BTreeMap::new();
    let mut caps: BTreeMap<(Effect, String, bool), Vec<Origin>> = BTreeMap::new();
    type SigKey = (Effect, SignalDir, Peer, BTreeSet<String>, bool);
    let mut sigs: BTreeMap<SigKey, Vec<Origin>> = BTreeMap::new();
    type PtraceKey = (Effect, PtraceDir, Peer, BTreeSet<PtraceAccess>);
    let mut ptrace: BTreeMap<PtraceKey, Vec<Origin>> = BTreeMap::new();
    // Most rules come from one statement: room for one origin, not the four a first
    // push makes room for (a quarter of the IR's memory at 10,000 rules).
    fn one<T>() -> Vec<T> {
        Vec::with_capacity(1)
    }
    for a in atoms {
        let o = a.origin.clone();
        match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
                exec_mode,
            } => {
                let key = (
                    a.effect,
                    glob.as_str(),
                    exec_as.clone(),
                    *exec_mode,
                    a.owner,
                    a.audit,
                    a.dir_only,
                );
                let at = *file_at.entry(key).or_insert_with(|| {
                    file_rules.push(Some((glob.clone(), one())));
                    file_rules.len() - 1
                });
                if let Some(Some((_, origins))) = file_rules.get_mut(at) {
                    origins.push(RightsOrigin {
                        rights: *rights,
                        origin: o,
                    });
                }
            }
            Subject::Net {
                op,
                proto,
                family,
                ports,
            } => net
                .entry((a.effect, *op, *proto, *family, *ports, a.audit))
                .or_insert_with(one)
                .push(o),
            Subject::Cap(c) => caps
                .entry((a.effect, c.clone(), a.audit))
                .or_insert_with(one)
                .push(o),
            Subject::Signal { dir, peer, signals } => sigs
                .entry((a.effect, *dir, peer.clone(), signals.clone(), a.audit))
                .or_insert_with(one)
                .push(o),
            Subject::Ptrace { dir, peer, access } => ptrace
                .entry((a.effect, *dir, peer.clone(), access.clone()))
                .or_insert_with(one)
                .push(o),
        }
    }
    // In the order of the keys (an ordered map's), most comparisons decided by the effect
    // and the first sixteen bytes of the glob as integers.
    type Sorted<'a> = ((Effect, (u64, u64)), FileKey<'a>, usize);
    let mut files: Vec<Sorted<'_>> = file_at
        .into_iter()
        .map(|(k, at)| ((k.0, text_head(k.1)), k, at))
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    p.files = files
        .into_iter()
        .filter_map(|(_, key, at)| Some((key, file_rules.get_mut(at)?.take()?)))
        .map(
            |((effect, _, exec_as, exec_mode, owner, audit, dir_only), (glob, origins))| {
                let origins = merge_rights_origins(origins);
                FileRule {
                    effect,
                    glob,
                    rights: origins.iter().fold(Rights::EMPTY, |r, o| r.union(o.rights)),
                    exec_as,
                    exec_mode,
                    origins,
                    audit,
                    owner,
                    dir_only,
                }
            },
        )
        .collect();
    p.net = net
        .into_iter()
        .map(|((effect, op, proto, family, ports, audit), o)| NetRule {
            audit,
            effect,
            op,
            proto,
            family,
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
    p.ptrace = ptrace
        .into_iter()
        .map(|((effect, direction, peer, access), o)| PtraceRule {
            effect,
            direction,
            peer,
            access,
            origins: sorted(o),
        })
        .collect();
}

/// Sort by origin; one entry per origin, with the union of its rights.
fn merge_rights_origins(mut v: Vec<RightsOrigin>) -> Vec<RightsOrigin> {
    if v.len() > 1 {
        v.sort_by(|a, b| a.origin.cmp(&b.origin));
        v.dedup_by(|later, kept| {
            let same = later.origin.cmp(&kept.origin) == std::cmp::Ordering::Equal;
            if same {
                kept.rights = kept.rights.union(later.rights);
            }
            same
        });
    }
    v
}
