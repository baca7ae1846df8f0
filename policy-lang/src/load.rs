//! The front-end pipeline: parse (or read JSON) → check → resolve abstractions →
//! substitute variables → validate → lower to the IR → lint.

use crate::ast::{File, ItemKind};
use crate::check::paths::ParsedPaths;
use crate::check::resolve::{self, Resolution, Tier, Unit, Workspace};
use crate::check::vars::Env;
use crate::check::{check_local, items, lint};
use crate::diagnostics::Diagnostic;
use crate::ir;
use crate::lower;
use std::collections::BTreeMap;

/// A named source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The name diagnostics and origins use (usually the path as given).
    pub name: String,
    /// The text.
    pub text: String,
}

impl Source {
    /// A source from a name and a text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// A directory of abstraction files on the search path, as its caller read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbstractionDir {
    /// The directory as named to the user (e.g. `/etc/polc/abstractions`).
    pub name: String,
    /// Its abstraction files, in the order they are searched.
    pub files: Vec<Source>,
}

/// Options of [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Values of install-time variables (`--var NAME=VALUE`); they override `var` defaults.
    pub vars: BTreeMap<String, String>,
    /// Extra abstraction files, searched before [`search_path`](Self::search_path) and the
    /// stdlib. When two of them define the same abstraction, the first is used and the
    /// other is an error (E0136).
    pub abstractions: Vec<Source>,
    /// Directories of abstraction files, lowest precedence first (the command line's:
    /// the distribution's, the site's, then each `--abstractions DIR`). An abstraction
    /// in a later directory overrides one of the same name in an earlier directory and
    /// in the stdlib; two of the same name in one directory are an error (E0136).
    pub search_path: Vec<AbstractionDir>,
    /// The interfaces connected to an app (`--connect PLUG`), by the name it plugs.
    /// `auto` interfaces are connected without being named here; a name the app does not
    /// plug is an error (E0221). Policies that are not apps ignore it.
    pub connect: Vec<String>,
}

impl LoadOptions {
    /// The extra abstraction files in search order, each with its precedence rank (a
    /// lower rank is searched first and hides the same name at a higher rank): the
    /// [`abstractions`](Self::abstractions) at rank 0, then the directories of the
    /// [`search_path`](Self::search_path) from the last to the first.
    pub(crate) fn ranked_files(&self) -> impl Iterator<Item = (usize, &Source)> {
        let dirs = self.search_path.iter().rev().enumerate();
        self.abstractions
            .iter()
            .map(|s| (0, s))
            .chain(dirs.flat_map(|(i, d)| d.files.iter().map(move |s| (i.saturating_add(1), s))))
    }
}

/// Every source text a load looked at, by name, so diagnostics can be rendered.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// Name → text.
    pub files: BTreeMap<String, String>,
}

impl SourceMap {
    /// The text of a file, if it was seen.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }
}

/// An interface an app plugs, and whether this load connected it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Plug {
    /// The interface's name, as the app's `plugs` names it.
    pub interface: String,
    /// The framework that provides it.
    pub framework: String,
    /// `auto`: connected to every app that plugs it.
    pub auto: bool,
    /// Its grants are in the effective policy (`auto`, or named in
    /// [`LoadOptions::connect`]).
    pub connected: bool,
}

/// A successful load.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The policy's meaning.
    pub policy: ir::Policy,
    /// For an app, the interfaces it plugs in the order written, each with its
    /// framework and whether it is connected; `None` for a policy that is not an app.
    pub app: Option<Vec<Plug>>,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
    /// The sources involved.
    pub sources: SourceMap,
}

/// A failed load: every diagnostic found (errors and warnings).
#[derive(Clone, Debug)]
pub struct Failed {
    /// All diagnostics, errors first in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources involved.
    pub sources: SourceMap,
}

/// Load a policy from text (`.pol`) or its JSON form (a name ending in `.json`).
///
/// Abstractions named by `use` are looked up in the policy's own file, then in
/// [`LoadOptions::abstractions`], then in the directories of
/// [`LoadOptions::search_path`] from the last to the first (policies in these files are
/// ignored), then in the [stdlib](crate::stdlib): the first found is used. Every diagnostic found is returned, sorted by file (the
/// policy's own file first) and position; the load fails when one of them is an error.
pub fn load(src: &Source, opts: &LoadOptions) -> Result<Loaded, Failed> {
    load_with(src, opts, &mut |ws, res, atoms, env, diags| {
        if !diags.iter().any(Diagnostic::is_error) {
            lint::lint(ws, res, atoms, env, diags);
        }
    })
}

/// What runs after lowering: the lints, given the diagnostics so far.
pub(crate) type AfterLower<'a> =
    dyn FnMut(&Workspace, &Resolution, &[crate::atom::Atom], &Env, &mut Vec<Diagnostic>) + 'a;

/// [`load`] with the step after lowering given (the tests run the reference lints there).
pub(crate) fn load_with(
    src: &Source,
    opts: &LoadOptions,
    after_lower: &mut AfterLower<'_>,
) -> Result<Loaded, Failed> {
    let mut diags = Vec::new();
    let own = parse_unit(src, Tier::Own, &mut diags);
    let syntax_ok = !own.partial;
    let mut units = vec![own];
    for (rank, extra) in opts.ranked_files().filter(|(_, x)| x.name != src.name) {
        units.push(parse_unit(extra, Tier::Extra(rank), &mut diags));
    }
    let mut ws = Workspace::new(units);
    let mut lowered = None;
    let mut app = None;
    let mut paths = ParsedPaths::default();
    if let Some(own) = ws.unit(0) {
        check_local(
            &own.name,
            &own.text,
            &own.file,
            own.partial,
            &mut paths,
            &mut diags,
        );
        if syntax_ok {
            let mut sink = items::Sink {
                file: &own.name,
                text: &own.text,
                out: &mut diags,
                paths: &mut paths,
            };
            items::check_policy_count(&mut sink, &own.file.items);
        }
    }
    let root = ws
        .unit(0)
        .and_then(|u| u.file.items.iter().position(|i| i.kind == ItemKind::Policy));
    if let (true, Some(root)) = (syntax_ok, root) {
        let res = resolve::resolve(&mut ws, (0, root), &mut diags);
        for e in res.items.iter().filter(|e| e.node.0 != 0) {
            if let (Some(unit), Some(item)) = (ws.unit(e.node.0), ws.item(e.node)) {
                let mut sink = items::Sink {
                    file: &unit.name,
                    text: &unit.text,
                    out: &mut diags,
                    paths: &mut paths,
                };
                items::check_item(&mut sink, item, unit.partial);
            }
        }
        let mut env = Env::build(&ws, &res, &opts.vars, paths, &mut diags);
        if let Some(l) = lower::lower(&ws, &res, &mut env, &opts.connect, &mut diags) {
            after_lower(&ws, &res, &l.atoms, &env, &mut diags);
            lowered = Some(l.policy);
            app = l.plugs;
        }
    }
    // The texts move to the source map: the workspace is done with.
    let mut sources = SourceMap::default();
    for u in ws.units {
        sources.files.insert(u.name.to_string(), u.text);
    }
    sort_diagnostics(&mut diags, &src.name);
    match lowered {
        Some(policy) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded {
            policy,
            app,
            warnings: diags,
            sources,
        }),
        _ => Err(Failed {
            diagnostics: diags,
            sources,
        }),
    }
}

pub(crate) fn parse_unit(src: &Source, tier: Tier, diags: &mut Vec<Diagnostic>) -> Unit {
    let (file, errors) = if src.name.ends_with(".json") {
        match crate::json::to_ast(&src.name, &src.text) {
            Ok(f) => (f, Vec::new()),
            Err(e) => (File::default(), e),
        }
    } else {
        crate::syntax::parse(&src.name, &src.text)
    };
    let partial = errors.iter().any(Diagnostic::is_error);
    diags.extend(errors);
    Unit {
        name: src.name.as_str().into(),
        text: src.text.clone(),
        file,
        tier,
        partial,
        lines: crate::span::LineIndex::new(&src.text),
    }
}

/// Sort by file (the policy's own first), then position, then code; drop repeats.
fn sort_diagnostics(diags: &mut Vec<Diagnostic>, own: &str) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                d.file != own,
                d.file.clone(),
                d.primary.as_ref().map(|l| (l.span.start, l.span.end)),
                d.code,
                d.message.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    diags.dedup();
}
