//! Frameworks and apps.
//!
//! A framework (`framework NAME { provides IFACE [auto] { rules } }`) declares named
//! interfaces; a policy marked `app` may grant itself only
//!
//! - what it `owns` (any file right on its own paths, exec without a transition),
//!   signals and ptrace with itself;
//! - the rules of the safe stdlib abstractions ([`SAFE_ABSTRACTIONS`]);
//! - what the interfaces it `plugs` grant.
//!
//! Every other allow rule of the app (its own, or pulled in by `use` of an abstraction
//! that is not safe) must be covered by that union, which [`Bound::escape`] proves with
//! the glob algebra ([`region`]: the rule's paths minus the union is empty), port-range
//! union, and set containment for capabilities, signals and ptrace accesses. Unix and
//! netlink/raw/packet rules are covered only by an identical rule of a plugged interface.
//! Deny rules only narrow: they are never checked.

use super::exec::Scope;
use super::items::{check_policy_name, check_rule, Seen, Sink};
use crate::ast::{Item, ItemKind, Stmt, StmtKind};
use crate::atom::{Atom, Subject};
use crate::check::resolve::{Node, Tier, Workspace};
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::{region, Emptiness, Glob};
use crate::ir::text::one_line;
use crate::ir::{Effect, ExecMode, IpFamily, Peer, PolicyName};
use crate::rights::Right;
use crate::span::Spanned;

/// The stdlib abstractions an app may `use` without a plug: read-only system data every
/// program needs. Only the stdlib's own definitions are safe: an abstraction of the
/// same name in the app's file or on the search path is checked like the app's rules.
pub const SAFE_ABSTRACTIONS: [&str; 5] = ["base", "fonts", "locale", "ssl-certs", "timezone"];

/// Check a framework on its own: its name, one `version`, `provides` blocks of rules
/// with distinct names.
pub(crate) fn check_framework(sink: &mut Sink<'_>, item: &Item) {
    check_policy_name(sink, &item.name, "framework name");
    let mut version = Seen::new();
    let mut names: Vec<&Spanned<String>> = Vec::new();
    for stmt in &item.body {
        match &stmt.kind {
            StmtKind::Version(_) => version.check(sink, stmt.span, "version"),
            StmtKind::Provides(p) => {
                if let Some(first) = names.iter().find(|n| n.node == p.name.node) {
                    sink.report(
                        Code::DuplicateInterface,
                        p.name.span,
                        format!(
                            "interface `{}` is provided more than once",
                            one_line(&p.name.node)
                        ),
                        "provided again here",
                        None,
                        Some((first.span, "first provided here")),
                    );
                }
                names.push(&p.name);
                let scope = Scope {
                    children: Vec::new(),
                    inside: Some(format!("interface `{}`", one_line(&p.name.node))),
                };
                for s in &p.body {
                    if is_rule(&s.kind) {
                        check_rule(sink, s, &scope);
                    } else {
                        let word = super::exec::keyword(&s.kind);
                        sink.report(
                            Code::NotInFramework,
                            s.span,
                            format!(
                                "`{word}` is not allowed in interface `{}`",
                                one_line(&p.name.node)
                            ),
                            "not a rule",
                            Some("a `provides` block holds rules only".into()),
                            None,
                        );
                    }
                }
            }
            other => {
                let word = super::exec::keyword(other);
                sink.report(
                    Code::NotInFramework,
                    stmt.span,
                    format!(
                        "`{word}` is not allowed in framework `{}`",
                        one_line(&item.name.node)
                    ),
                    "not in a framework",
                    Some("a framework holds `version` and `provides NAME { rules }`".into()),
                    None,
                );
            }
        }
    }
}

/// True for the rule statements (what a child, an `accept` block or an interface holds).
fn is_rule(k: &StmtKind) -> bool {
    matches!(
        k,
        StmtKind::File { .. }
            | StmtKind::Net { .. }
            | StmtKind::Capability { .. }
            | StmtKind::Signal { .. }
            | StmtKind::Unix(_)
            | StmtKind::NetFamily(_)
            | StmtKind::Dbus(_)
            | StmtKind::Ptrace { .. }
    )
}

/// `app`, `plugs` or `provides` where they do not belong.
pub(crate) fn misplaced(sink: &mut Sink<'_>, stmt: &Stmt, kind: ItemKind) {
    let word = super::exec::keyword(&stmt.kind);
    let (msg, help) = match (&stmt.kind, kind) {
        (StmtKind::Plugs(_), ItemKind::Policy) => (
            "`plugs` in a policy that is not an app".to_string(),
            "write `app` in the policy: only an app plugs interfaces",
        ),
        (StmtKind::Provides(_), _) => (
            format!("`provides` is not allowed in {}", article(kind)),
            "interfaces are provided by a `framework NAME { provides IFACE { rules } }`",
        ),
        _ => (
            format!("`{word}` is not allowed in {}", article(kind)),
            "`app` and `plugs` are written in a policy",
        ),
    };
    sink.report(
        Code::NotInFramework,
        stmt.span,
        msg,
        "not here",
        Some(help.into()),
        None,
    );
}

fn article(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Policy => "a policy",
        ItemKind::Abstraction => "an abstraction",
        ItemKind::Framework => "a framework",
    }
}

/// An interface found in the workspace.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    /// The framework item.
    pub(crate) node: Node,
    /// The index of the `provides` statement in the framework's body.
    pub(crate) stmt: usize,
    /// The framework's name.
    pub(crate) framework: String,
    /// The interface's name.
    pub(crate) name: String,
    /// `auto`: connected to every app that plugs it.
    pub(crate) auto: bool,
}

impl Found {
    /// The rules of the interface.
    pub(crate) fn body<'w>(&self, ws: &'w Workspace) -> &'w [Stmt] {
        match ws
            .item(self.node)
            .and_then(|i| i.body.get(self.stmt))
            .map(|s| &s.kind)
        {
            Some(StmtKind::Provides(p)) => &p.body,
            _ => &[],
        }
    }
}

/// Every interface of every framework the workspace sees, in search order: the policy's
/// own file, then the extra files by rank (the first of a name is the one plugged).
pub(crate) fn interfaces(ws: &Workspace) -> Vec<Found> {
    let mut units: Vec<(usize, usize)> = ws
        .units
        .iter()
        .enumerate()
        .filter_map(|(u, unit)| match unit.tier {
            Tier::Own => Some((0, u)),
            Tier::Extra(rank) => Some((rank.saturating_add(1), u)),
            Tier::Stdlib => None,
        })
        .collect();
    units.sort();
    let mut found = Vec::new();
    for (_, u) in units {
        let Some(unit) = ws.unit(u) else { continue };
        for (i, item) in unit.file.items.iter().enumerate() {
            if item.kind != ItemKind::Framework {
                continue;
            }
            for (k, s) in item.body.iter().enumerate() {
                if let StmtKind::Provides(p) = &s.kind {
                    found.push(Found {
                        node: (u, i),
                        stmt: k,
                        framework: item.name.node.clone(),
                        name: p.name.node.clone(),
                        auto: p.auto,
                    });
                }
            }
        }
    }
    found
}

/// An unknown plug (E0221), with a suggestion among the known interfaces.
pub(crate) fn unknown_plug(file: &str, plug: &Spanned<String>, known: &[Found]) -> Diagnostic {
    let d = Diagnostic::new(
        Code::UnknownInterface,
        file,
        plug.span,
        format!("unknown interface `{}`", one_line(&plug.node)),
        "no framework provides it",
    );
    let names: Vec<&str> = known.iter().map(|f| f.name.as_str()).collect();
    match super::suggest(&plug.node, names.iter().copied()) {
        Some(s) => d.with_help(format!(
            "did you mean `{s}`? {}",
            Code::UnknownInterface.help()
        )),
        None => d,
    }
}

pub(crate) use super::lint::describe;

/// True when an atom comes from a safe stdlib abstraction.
pub(crate) fn is_safe(ws: &Workspace, atom: &Atom) -> bool {
    ws.unit(atom.unit).is_some_and(|u| u.tier == Tier::Stdlib)
        && atom
            .origin
            .via
            .first()
            .is_some_and(|v| SAFE_ABSTRACTIONS.contains(&v.as_str()))
}

/// What covers an app's rules: allow atoms (of safe abstractions, of interfaces) and the
/// app's own area.
#[derive(Default)]
pub(crate) struct Bound<'a> {
    /// The app's name (signals and ptrace with itself are its own).
    pub(crate) me: Option<&'a PolicyName>,
    /// What the app owns.
    pub(crate) owns: Vec<&'a Glob>,
    /// Allow atoms that cover.
    pub(crate) atoms: Vec<&'a Atom>,
}

impl Bound<'_> {
    /// `None` when the union covers the atom, else why not (a witness when there is one).
    pub(crate) fn escape(&self, a: &Atom) -> Option<String> {
        if a.effect == Effect::Deny {
            return None;
        }
        let allows = || self.atoms.iter().filter(|c| c.effect == Effect::Allow);
        match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
                exec_mode,
            } => {
                for r in rights.iter() {
                    let transition = (*exec_mode, exec_as);
                    let mut gs: Vec<&Glob> = Vec::new();
                    if r != Right::Exec || transition == (ExecMode::Plain, &None) {
                        gs.extend(self.owns.iter().copied());
                    }
                    for c in allows() {
                        if let Subject::File {
                            glob: g,
                            rights: rs,
                            exec_as: ea,
                            exec_mode: em,
                        } = &c.subject
                        {
                            let same_exec = r != Right::Exec || (*em, ea) == transition;
                            if rs.contains(r) && same_exec && a.objects_covered_by(c) {
                                gs.push(g);
                            }
                        }
                    }
                    match region(&[glob], &gs) {
                        Emptiness::Empty => {}
                        Emptiness::Witness(p) => {
                            return Some(format!("`{}` on `{}`", r.name(), one_line(&p)))
                        }
                        Emptiness::Unknown => {
                            return Some(format!(
                                "`{}` could not be proved covered (search bound)",
                                r.name()
                            ))
                        }
                    }
                }
                None
            }
            Subject::Net {
                op,
                proto,
                family,
                ports,
            } => {
                // Each IP version the rule covers, swept on its own.
                let versions = family.map_or(IpFamily::BOTH.to_vec(), |f| vec![f]);
                let gaps: Vec<(IpFamily, u32)> = versions
                    .into_iter()
                    .filter_map(|version| {
                        let mut ranges: Vec<(u32, u32)> = allows()
                            .filter_map(|c| match &c.subject {
                                Subject::Net {
                                    op: o,
                                    proto: p,
                                    family: f,
                                    ports: r,
                                } if o == op && p == proto && version.covered_by(*f) => {
                                    Some((u32::from(r.lo), u32::from(r.hi)))
                                }
                                _ => None,
                            })
                            .collect();
                        ranges.sort();
                        // Sweep: the lowest port of the rule not yet covered.
                        let mut next = u32::from(ports.lo);
                        for (lo, hi) in ranges {
                            if lo <= next && hi >= next {
                                next = hi.saturating_add(1);
                            }
                        }
                        (next <= u32::from(ports.hi)).then_some((version, next))
                    })
                    .collect();
                match gaps.as_slice() {
                    [] => None,
                    // Both versions (or the rule's one) uncovered from the same port.
                    [(_, a), (_, b)] if a == b => Some(format!("port {a}")),
                    [(_, port)] if family.is_some() => Some(format!("port {port}")),
                    [(version, port), ..] => Some(format!(
                        "port {port} ({})",
                        crate::ir::text::proto_word(*proto, Some(*version))
                    )),
                }
            }
            Subject::Cap(cap) => {
                let covered = allows().any(|c| matches!(&c.subject, Subject::Cap(x) if x == cap));
                (!covered).then(|| format!("capability `{cap}`"))
            }
            Subject::Signal { dir, peer, signals } => {
                if self.is_me(peer) {
                    return None;
                }
                let covers: Vec<&std::collections::BTreeSet<String>> = allows()
                    .filter_map(|c| match &c.subject {
                        Subject::Signal {
                            dir: d,
                            peer: p,
                            signals: s,
                        } if d == dir && p == peer => Some(s),
                        _ => None,
                    })
                    .collect();
                if covers.iter().any(|s| s.is_empty()) {
                    return None;
                }
                if signals.is_empty() {
                    return Some("every signal".into());
                }
                signals
                    .iter()
                    .find(|s| !covers.iter().any(|c| c.contains(*s)))
                    .map(|s| format!("signal `{s}`"))
            }
            Subject::Ptrace { dir, peer, access } => {
                if self.is_me(peer) {
                    return None;
                }
                access
                    .iter()
                    .find(|x| {
                        !allows().any(|c| {
                            matches!(&c.subject, Subject::Ptrace { dir: d, peer: p, access: s }
                                if d == dir && p == peer && s.contains(x))
                        })
                    })
                    .map(|x| format!("ptrace `{}`", x.keyword()))
            }
        }
    }

    fn is_me(&self, peer: &Peer) -> bool {
        matches!((peer, self.me), (Peer::Policy(p), Some(me)) if p == me)
    }
}

/// True when an owned glob names the app: a component of its literal directory prefix,
/// or the file of a literal glob, is the app's name or its last label, alone or followed
/// by `.` or `-` (`notes`, `notes.conf`, `notes-data` for `org.example.notes`). Without
/// it, `owns "/**"` would make the app's own area the whole file system.
pub(crate) fn owns_in_area(me: &PolicyName, glob: &Glob) -> bool {
    let full = me.as_str();
    let last = full.rsplit('.').next().unwrap_or(full);
    let names = |c: &str| {
        [full, last].iter().any(|n| {
            c == *n
                || c.strip_prefix(n)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('-'))
        })
    };
    let mut comps: Vec<&str> = glob.literal_dir_prefix().split('/').collect();
    if glob.is_literal() {
        comps.extend(glob.as_str().rsplit('/').next());
    }
    comps.into_iter().any(names)
}
