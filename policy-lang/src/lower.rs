//! Lowering: a resolved, checked policy and its abstractions to the IR.
//!
//! Every statement of the policy and of each abstraction it uses (each abstraction once,
//! reached by the shortest chain of `use`) becomes one or more *atoms*: one rule about
//! one subject from one statement. Atoms are then merged into IR rules:
//!
//! - file rules by (effect, glob, `as` target), rights unioned, each statement kept in
//!   `origins` with the rights it contributed;
//! - network rules by (effect, operation, protocol, port range);
//! - capability rules by (effect, capability);
//! - signal rules by (effect, direction, peer, signal set), so that every origin holds
//!   for the whole rule;
//! - owned paths by glob.
//!
//! Every list is sorted (by the keys above) and origins are sorted and deduplicated, so
//! the IR of a policy does not depend on the order of its statements.

use crate::ast::{self, StmtKind};
use crate::check::items::resolve_rights;
use crate::check::prefix_index::PrefixIndex;
use crate::check::resolve::{Expanded, Resolution, Workspace};
use crate::check::strings::esc;
use crate::check::vars::Env;
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::Glob;
use crate::hash::FastMap;
use crate::ir::{
    Attach, CapRule, Effect, FileRule, Mode, NetOp, NetRule, Origin, Owned, Policy, PolicyName,
    PortRange, Proto, RightsOrigin, SignalDir, SignalRule,
};
use crate::rights::{Right, Rights};
use crate::span::Span;
use std::collections::{BTreeMap, BTreeSet};

/// What one atom is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// Rights on the paths of a glob.
    File {
        /// The paths.
        glob: Glob,
        /// The rights (implications applied).
        rights: Rights,
        /// `as NAME`.
        exec_as: Option<PolicyName>,
    },
    /// A network operation on a port range.
    Net {
        /// Connect or bind.
        op: NetOp,
        /// TCP or UDP.
        proto: Proto,
        /// The ports.
        ports: PortRange,
    },
    /// A capability.
    Cap(String),
    /// Signals to or from a peer.
    Signal {
        /// Send or receive.
        dir: SignalDir,
        /// The peer (`self` resolved).
        peer: PolicyName,
        /// The signals; empty means all.
        signals: BTreeSet<String>,
    },
}

/// One rule about one subject, from one statement.
#[derive(Clone, Debug)]
pub(crate) struct Atom {
    /// Allow or deny.
    pub(crate) effect: Effect,
    /// What it is about.
    pub(crate) subject: Subject,
    /// The statement.
    pub(crate) origin: Origin,
    /// The unit the statement is in.
    pub(crate) unit: usize,
    /// What to underline: the path literal, or the statement.
    pub(crate) span: Span,
}

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
        let mut push = |effect: ast::Effect, subject: Subject, span: Span| {
            atoms.push(Atom {
                effect: effect.into(),
                subject,
                origin: o(),
                unit,
                span,
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

/// A cheap necessary condition for two globs to share a path (and so for one to contain
/// the other): every path of a glob starts with its literal prefix (the text before the
/// first `*`, `?`, `{` or `}`) and ends with its literal suffix, so the prefixes must be
/// compatible (one a prefix of the other), and the suffixes likewise. It spares the glob
/// algebra most pairs of a large policy.
pub(crate) fn may_overlap(a: &Glob, b: &Glob) -> bool {
    GlobEnds::of(a).may_overlap(&GlobEnds::of(b))
}

/// The literal prefix and suffix of a glob (see [`may_overlap`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlobEnds<'a> {
    prefix: &'a str,
    suffix: &'a str,
}

impl<'a> GlobEnds<'a> {
    /// The ends of a glob.
    pub(crate) fn of(g: &'a Glob) -> GlobEnds<'a> {
        GlobEnds {
            prefix: prefix(g.as_str()),
            suffix: suffix(g.as_str()),
        }
    }

    /// The literal prefix: the text before the first `*`, `?`, `{` or `}`.
    pub(crate) fn prefix(&self) -> &'a str {
        self.prefix
    }

    /// False when the globs cannot share a path.
    pub(crate) fn may_overlap(&self, o: &GlobEnds<'_>) -> bool {
        (self.prefix.starts_with(o.prefix) || o.prefix.starts_with(self.prefix))
            && (self.suffix.ends_with(o.suffix) || o.suffix.ends_with(self.suffix))
    }
}

const WILD: [char; 4] = ['*', '?', '{', '}'];

fn prefix(s: &str) -> &str {
    s.find(WILD).map_or(s, |i| s.get(..i).unwrap_or_default())
}

fn suffix(s: &str) -> &str {
    s.rfind(WILD)
        .map_or(s, |i| s.get(i + 1..).unwrap_or_default())
}

/// How an exec transition is described in a message.
pub(crate) fn transition(t: &Option<PolicyName>) -> String {
    match t {
        Some(n) => format!("as `{n}`"),
        None => "in this policy".to_string(),
    }
}

/// E0133: allowed exec of one path with two different transitions and no literal rule
/// to decide.
///
/// Each exec rule is compared with the earlier ones, in order, that can conflict with
/// it: two literal globs only when their texts are equal (found by hash), two other
/// globs only when their literal prefixes are related (a [`PrefixIndex`]); a literal and
/// a non-literal glob never conflict. The first earlier conflicting rule not yet reported
/// is reported, as when comparing every pair.
pub(crate) fn check_transitions(ws: &Workspace, atoms: &[Atom], out: &mut Vec<Diagnostic>) {
    let execs = exec_rules(atoms);
    let mut literal: FastMap<&str, Vec<usize>> = FastMap::default();
    for (k, (_, g, _)) in execs.iter().enumerate() {
        if g.is_literal() {
            literal.entry(g.as_str()).or_default().push(k);
        }
    }
    let wild = PrefixIndex::new(
        execs
            .iter()
            .enumerate()
            .filter(|(_, (_, g, _))| !g.is_literal())
            .map(|(k, (_, g, _))| (k, GlobEnds::of(g).prefix())),
    );
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for (j, later) in execs.iter().enumerate() {
        let related;
        let candidates: &[usize] = if later.1.is_literal() {
            literal.get(later.1.as_str()).map_or(&[], Vec::as_slice)
        } else {
            related = wild.related(GlobEnds::of(later.1).prefix());
            &related
        };
        let earlier_ones = candidates
            .iter()
            .take_while(|i| **i < j)
            .filter_map(|i| execs.get(*i).map(|e| (*i, e)));
        for (i, earlier) in earlier_ones {
            if let Some(d) = transition_conflict(ws, (i, earlier), (j, later), &mut reported) {
                out.push(d);
                break;
            }
        }
    }
}

/// An allowed exec rule: the atom, its glob and its transition.
pub(crate) type ExecRule<'a> = (&'a Atom, &'a Glob, &'a Option<PolicyName>);

/// The allowed exec rules of `atoms`, in order.
pub(crate) fn exec_rules(atoms: &[Atom]) -> Vec<ExecRule<'_>> {
    atoms
        .iter()
        .filter(|a| a.effect == Effect::Allow)
        .filter_map(|a| match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
            } if rights.contains(Right::Exec) => Some((a, glob, exec_as)),
            _ => None,
        })
        .collect()
}

/// E0133 for one pair of exec rules (`earlier` at index `i` before `later` at `j`): the
/// diagnostic when they conflict and neither was reported yet (marking the reported one).
pub(crate) fn transition_conflict(
    ws: &Workspace,
    (i, earlier): (usize, &ExecRule<'_>),
    (j, later): (usize, &ExecRule<'_>),
    reported: &mut BTreeSet<usize>,
) -> Option<Diagnostic> {
    let ((_, ga, ta), (_, gb, tb)) = (earlier, later);
    if ta == tb {
        return None;
    }
    let conflict = match (ga.is_literal(), gb.is_literal()) {
        (true, true) => ga.as_str() == gb.as_str(),
        (false, false) => may_overlap(ga, gb) && ga.intersects(gb),
        _ => false,
    };
    // Point at the policy's own file when one of the two rules is there.
    let (pi, (p, gp, tp), (o, go, to)) = if later.0.unit != 0 && earlier.0.unit == 0 {
        (i, earlier, later)
    } else {
        (j, later, earlier)
    };
    if !conflict || reported.contains(&i) || reported.contains(&j) {
        return None;
    }
    reported.insert(pi);
    let file = ws.unit(p.unit).map_or("", |u| u.name.as_str());
    let d = Diagnostic::new(
        Code::ConflictingTransition,
        file,
        p.span,
        format!(
            "conflicting exec transitions: `{}` runs {}, `{}` runs {}",
            esc(gp.as_str()),
            transition(tp),
            esc(go.as_str()),
            transition(to)
        ),
        "overlaps another exec rule",
    );
    Some(if o.unit == p.unit {
        d.with_label(o.span, "the other rule")
    } else {
        d.with_help(format!(
            "the other rule is at {}; make the paths disjoint, or add a rule for the exact path",
            ws.loc(o.unit, o.span)
        ))
    })
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn merge(p: &mut Policy, atoms: &[Atom]) {
    type FileKey = (Effect, String, Option<PolicyName>);
    let mut files: BTreeMap<FileKey, (Glob, Vec<RightsOrigin>)> = BTreeMap::new();
    let mut net: BTreeMap<(Effect, NetOp, Proto, PortRange), Vec<Origin>> = BTreeMap::new();
    let mut caps: BTreeMap<(Effect, String), Vec<Origin>> = BTreeMap::new();
    type SigKey = (Effect, SignalDir, PolicyName, BTreeSet<String>);
    let mut sigs: BTreeMap<SigKey, Vec<Origin>> = BTreeMap::new();
    for a in atoms {
        let o = a.origin.clone();
        match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
            } => files
                .entry((a.effect, glob.as_str().to_string(), exec_as.clone()))
                .or_insert_with(|| (glob.clone(), Vec::new()))
                .1
                .push(RightsOrigin {
                    rights: *rights,
                    origin: o,
                }),
            Subject::Net { op, proto, ports } => net
                .entry((a.effect, *op, *proto, *ports))
                .or_default()
                .push(o),
            Subject::Cap(c) => caps.entry((a.effect, c.clone())).or_default().push(o),
            Subject::Signal { dir, peer, signals } => sigs
                .entry((a.effect, *dir, peer.clone(), signals.clone()))
                .or_default()
                .push(o),
        }
    }
    p.files = files
        .into_iter()
        .map(|((effect, _, exec_as), (glob, origins))| {
            let origins = merge_rights_origins(origins);
            FileRule {
                effect,
                glob,
                rights: origins.iter().fold(Rights::EMPTY, |r, o| r.union(o.rights)),
                exec_as,
                origins,
            }
        })
        .collect();
    p.net = net
        .into_iter()
        .map(|((effect, op, proto, ports), o)| NetRule {
            effect,
            op,
            proto,
            ports,
            origins: sorted(o),
        })
        .collect();
    p.capabilities = caps
        .into_iter()
        .map(|((effect, capability), o)| CapRule {
            effect,
            capability,
            origins: sorted(o),
        })
        .collect();
    p.signals = sigs
        .into_iter()
        .map(|((effect, direction, peer, signals), o)| SignalRule {
            effect,
            direction,
            peer,
            signals,
            origins: sorted(o),
        })
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
