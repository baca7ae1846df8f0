//! Lowering an app: its plugs, the bound on its rules (see [`crate::check::app`]), and
//! its effective policy.
//!
//! The effective policy of an app is its rules and the grants of its connected
//! interfaces. An interface is connected when it is `auto` or named in
//! [`LoadOptions::connect`](crate::LoadOptions::connect). A rule of the app that only an
//! interface plugged but not connected covers is left out until the connection is made:
//! the privilege reaches the app through the connection, never through its own text.

use super::unix::{self, UnixKeys};
use super::{atoms_in, Lowering};
use crate::ast::{Item, StmtKind};
use crate::atom::Atom;
use crate::check::app::{self, Bound, Found};
use crate::check::items::Sink;
use crate::check::paths::ParsedPaths;
use crate::check::resolve::Workspace;
use crate::check::vars::Env;
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::Glob;
use crate::ir::text::one_line;
use crate::ir::{Owned, PolicyName};

/// An interface an app plugs, lowered.
pub(super) struct Plugged {
    /// Where it is.
    pub(super) found: Found,
    /// What it grants.
    pub(super) atoms: Vec<Atom>,
    /// Its unix and family rules, by key.
    pub(super) keys: UnixKeys,
    /// True when its grants reach the app.
    pub(super) connected: bool,
}

/// What an app's lowering needs besides the workspace.
pub(super) struct AppCtx<'a> {
    pub(super) ws: &'a Workspace,
    pub(super) item: &'a Item,
    pub(super) unit: usize,
    pub(super) me: &'a PolicyName,
    pub(super) connect: &'a [String],
}

/// Lower one interface's rules, with origins `via plug IFACE of FRAMEWORK`.
fn lower_interface(
    cx: &AppCtx<'_>,
    f: &Found,
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
) -> (Vec<Atom>, UnixKeys) {
    let via = vec![crate::ir::plug_via(&f.name, &f.framework)];
    let lc = Lowering {
        ws: cx.ws,
        unit: f.node.0,
        via: &via,
        me: cx.me,
    };
    let mut atoms = Vec::new();
    atoms_in(&lc, f.body(cx.ws), &[], env, out, &mut atoms);
    let keys = unix::keys(&lc, f.body(cx.ws), env, out);
    (atoms, keys)
}

/// The interfaces the app plugs, lowered; unknown plugs reported (E0221), frameworks of
/// other files checked (the policy's own file is checked with it).
pub(super) fn plugs(cx: &AppCtx<'_>, env: &mut Env, out: &mut Vec<Diagnostic>) -> Vec<Plugged> {
    let known = app::interfaces(cx.ws);
    let file = cx.ws.unit(cx.unit).map_or("", |u| &*u.name);
    let mut found: Vec<Found> = Vec::new();
    for s in &cx.item.body {
        if let StmtKind::Child { kind, .. } = &s.kind {
            out.push(
                Diagnostic::new(
                    Code::NotInFramework,
                    file,
                    s.span,
                    format!("`{}` is not allowed in an app yet", kind.keyword()),
                    "not bounded yet",
                )
                .with_help("the bound of an app does not cover child policies and hats yet"),
            );
        }
        let StmtKind::Plugs(names) = &s.kind else {
            continue;
        };
        for n in names {
            match known.iter().find(|f| f.name == n.node) {
                None => out.push(app::unknown_plug(file, n, &known)),
                Some(f) if !found.iter().any(|x| x.name == f.name) => found.push(f.clone()),
                Some(_) => {}
            }
        }
    }
    for c in cx.connect {
        if !found.iter().any(|f| f.name == *c) {
            out.push(
                Diagnostic::new(
                    Code::UnknownInterface,
                    file,
                    cx.item.name.span,
                    format!(
                        "`--connect {}` names no interface that app `{}` plugs",
                        one_line(c),
                        cx.me
                    ),
                    "this app",
                )
                .with_help("connect only what the app plugs: add the interface to its `plugs`, or leave the connection out"),
            );
        }
    }
    let mut checked: Vec<usize> = vec![cx.unit];
    for f in &found {
        if checked.contains(&f.node.0) {
            continue;
        }
        checked.push(f.node.0);
        if let (Some(unit), Some(item)) = (cx.ws.unit(f.node.0), cx.ws.item(f.node)) {
            let mut sink = Sink {
                file: &unit.name,
                text: &unit.text,
                out,
                paths: &mut ParsedPaths::default(),
            };
            app::check_framework(&mut sink, item);
        }
    }
    found
        .into_iter()
        .map(|f| {
            let (atoms, keys) = lower_interface(cx, &f, env, out);
            let connected = f.auto || cx.connect.contains(&f.name);
            Plugged {
                found: f,
                atoms,
                keys,
                connected,
            }
        })
        .collect()
}

/// Check every rule of the app against its bound (E0220) and return the atoms of its
/// effective policy: the app's rules that its own area, the safe abstractions and its
/// connected interfaces cover, then the connected interfaces' grants.
pub(super) fn bound(
    cx: &AppCtx<'_>,
    owns: &[Owned],
    atoms: Vec<Atom>,
    plugged: &[Plugged],
    env: &mut Env,
    out: &mut Vec<Diagnostic>,
) -> Vec<Atom> {
    let ws = cx.ws;
    for o in owns.iter().filter(|o| !app::owns_in_area(cx.me, &o.glob)) {
        for origin in &o.origins {
            out.push(
                Diagnostic::new(
                    Code::AppOwnsOutside,
                    &origin.file,
                    origin.span,
                    format!(
                        "app `{}` owns `{}`, which does not name it",
                        cx.me,
                        one_line(o.glob.as_str())
                    ),
                    "outside the app's area",
                )
                .with_help(format!(
                    "{}; other paths need an interface",
                    Code::AppOwnsOutside.help()
                )),
            );
        }
    }
    let owned: Vec<&Glob> = owns
        .iter()
        .filter(|o| app::owns_in_area(cx.me, &o.glob))
        .map(|o| &o.glob)
        .collect();
    let safe: Vec<&Atom> = atoms.iter().filter(|a| app::is_safe(ws, a)).collect();
    let bound_of = |only_connected: bool| Bound {
        me: Some(cx.me),
        owns: owned.clone(),
        atoms: safe
            .iter()
            .copied()
            .chain(
                plugged
                    .iter()
                    .filter(|p| p.connected || !only_connected)
                    .flat_map(|p| p.atoms.iter()),
            )
            .collect(),
    };
    let (full, connected) = (bound_of(false), bound_of(true));
    let mut others: Option<Vec<(Found, Vec<Atom>)>> = None;
    let mut keep = Vec::new();
    for a in &atoms {
        if app::is_safe(ws, a) {
            keep.push(true);
            continue;
        }
        if let Some(why) = full.escape(a) {
            let all = others.get_or_insert_with(|| every_interface(cx, env));
            out.push(escape(cx, a, &why, &owned, &safe, all));
            keep.push(false);
            continue;
        }
        keep.push(connected.escape(a).is_none());
    }
    let mut effective: Vec<Atom> = atoms
        .into_iter()
        .zip(keep)
        .filter_map(|(a, k)| k.then_some(a))
        .collect();
    for p in plugged.iter().filter(|p| p.connected) {
        effective.extend(p.atoms.iter().cloned());
    }
    effective
}

/// Every interface the workspace sees, lowered (for the help of E0220; their own
/// diagnostics are not the app's).
fn every_interface(cx: &AppCtx<'_>, env: &mut Env) -> Vec<(Found, Vec<Atom>)> {
    let mut scratch = Vec::new();
    app::interfaces(cx.ws)
        .into_iter()
        .map(|f| {
            let (atoms, _) = lower_interface(cx, &f, env, &mut scratch);
            (f, atoms)
        })
        .collect()
}

fn escape(
    cx: &AppCtx<'_>,
    a: &Atom,
    why: &str,
    owned: &[&Glob],
    safe: &[&Atom],
    all: &[(Found, Vec<Atom>)],
) -> Diagnostic {
    let file = cx.ws.unit(a.unit).map_or("", |u| &*u.name);
    let covering: Vec<String> = all
        .iter()
        .filter(|(_, atoms)| {
            let b = Bound {
                me: Some(cx.me),
                owns: owned.to_vec(),
                atoms: safe.iter().copied().chain(atoms.iter()).collect(),
            };
            b.escape(a).is_none()
        })
        .map(|(f, _)| format!("`{}` of `{}`", one_line(&f.name), one_line(&f.framework)))
        .collect();
    let help = if covering.is_empty() {
        format!("no known interface covers it; {}", Code::AppEscape.help())
    } else {
        format!("plug {} to cover it", covering.join(" or "))
    };
    Diagnostic::new(
        Code::AppEscape,
        file,
        a.span,
        format!(
            "`{}` is outside the bound of app `{}`",
            app::describe(a),
            cx.me
        ),
        format!("grants {why}, which the app neither owns nor plugs"),
    )
    .with_help(help)
}
