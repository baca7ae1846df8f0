//! Resolving `use`: own file, then the extra abstraction files (highest precedence
//! first), then the stdlib; versions and cycles.

use super::items::is_abstraction_name;
use super::strings::suggest;
use crate::ast::{File, Item, ItemKind, StmtKind, UseRef};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::one_line;
use crate::ir::UsedAbstraction;
use crate::span::{line_col, Span, Spanned};
use crate::stdlib;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Where a source file comes from, which decides the search order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// The policy's own file.
    Own,
    /// An extra abstraction file, with its precedence rank: 0 for
    /// `LoadOptions::abstractions`, then one per directory of `LoadOptions::search_path`
    /// from the last (searched first) to the first. A lower rank is searched first and
    /// hides the same name at a higher rank; within one rank, a name defined twice is
    /// E0136.
    Extra(usize),
    /// A built-in abstraction.
    Stdlib,
}

/// A parsed source file.
#[derive(Debug)]
pub(crate) struct Unit {
    /// The name diagnostics and origins use (shared by the origins).
    pub(crate) name: Arc<str>,
    /// The text.
    pub(crate) text: String,
    /// The tree.
    pub(crate) file: File,
    /// Where it comes from.
    pub(crate) tier: Tier,
    /// True when parsing reported errors: the tree is what could be recovered.
    pub(crate) partial: bool,
    /// Line starts of `text`, for origins.
    pub(crate) lines: crate::span::LineIndex,
}

/// An item: (unit index, item index).
pub(crate) type Node = (usize, usize);

/// Every source file of a load: the policy's own file first.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    /// The files; index 0 is the policy's own file.
    pub(crate) units: Vec<Unit>,
    /// Lookups already done (`None`: not found).
    cache: BTreeMap<String, Option<Node>>,
}

impl Workspace {
    /// A workspace holding the given units (own file first).
    pub(crate) fn new(units: Vec<Unit>) -> Workspace {
        Workspace {
            units,
            cache: BTreeMap::new(),
        }
    }

    /// The item at a node.
    pub(crate) fn item(&self, (u, i): Node) -> Option<&Item> {
        self.units.get(u)?.file.items.get(i)
    }

    /// The unit at an index.
    pub(crate) fn unit(&self, u: usize) -> Option<&Unit> {
        self.units.get(u)
    }

    /// `file:line` of a span in a unit.
    pub(crate) fn loc(&self, u: usize, span: Span) -> String {
        match self.units.get(u) {
            Some(unit) => format!("{}:{}", unit.name, line_col(&unit.text, span.start).0),
            None => "?".into(),
        }
    }

    pub(crate) fn abstractions_in(&self, u: usize, name: &str) -> Vec<Node> {
        self.units.get(u).map_or_else(Vec::new, |unit| {
            unit.file
                .items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.kind == ItemKind::Abstraction && it.name.node == name)
                .map(|(i, _)| (u, i))
                .collect()
        })
    }

    /// Find an abstraction by name, in search order; report ambiguity among extra files.
    pub(crate) fn find(&mut self, name: &str, out: &mut Vec<Diagnostic>) -> Option<Node> {
        if let Some(hit) = self.cache.get(name) {
            return *hit;
        }
        let found = self.search(name, out);
        self.cache.insert(name.to_string(), found);
        found
    }

    /// Every definition of `name` in the extra files, in search order (rank, then file
    /// order), with each one's rank.
    pub(crate) fn extra_definitions(&self, name: &str) -> Vec<(usize, Node)> {
        let mut found: Vec<(usize, Node)> = (0..self.units.len())
            .filter_map(|u| match self.units.get(u).map(|x| x.tier) {
                Some(Tier::Extra(rank)) => Some((rank, u)),
                _ => None,
            })
            .flat_map(|(rank, u)| {
                self.abstractions_in(u, name)
                    .into_iter()
                    .map(move |n| (rank, n))
            })
            .collect();
        // Stable: files of one rank keep their order.
        found.sort_by_key(|(rank, _)| *rank);
        found
    }

    fn search(&mut self, name: &str, out: &mut Vec<Diagnostic>) -> Option<Node> {
        if let Some(n) = self.abstractions_in(0, name).first() {
            return Some(*n);
        }
        let extra = self.extra_definitions(name);
        if let Some((rank, first)) = extra.first().copied() {
            // Another definition at the same rank is ambiguous; one at a later rank is
            // hidden by this one (a site directory overriding the distribution's).
            for (_, dup) in extra.iter().skip(1).filter(|(r, _)| *r == rank) {
                if let Some(d) = self.duplicate(*dup, first, name) {
                    out.push(d);
                }
            }
            return Some(first);
        }
        let text = stdlib::get(name)?;
        let unit_name = stdlib::source_name(name);
        let u = match self.units.iter().position(|x| *x.name == *unit_name) {
            Some(u) => u,
            None => {
                let (file, errors) = crate::syntax::parse(&unit_name, text);
                let partial = !errors.is_empty();
                out.extend(errors);
                self.units.push(Unit {
                    name: unit_name.into(),
                    text: text.to_string(),
                    file,
                    tier: Tier::Stdlib,
                    partial,
                    lines: crate::span::LineIndex::new(text),
                });
                self.units.len() - 1
            }
        };
        self.abstractions_in(u, name).first().copied()
    }

    fn duplicate(&self, dup: Node, first: Node, name: &str) -> Option<Diagnostic> {
        let unit = self.unit(dup.0)?;
        let item = self.item(dup)?;
        let first_item = self.item(first)?;
        let d = Diagnostic::new(
            Code::DuplicateAbstraction,
            &unit.name,
            item.name.span,
            format!("abstraction `{}` is defined more than once", one_line(name)),
            "defined again here",
        );
        Some(if dup.0 == first.0 {
            d.with_label(first_item.name.span, "first defined here")
        } else {
            d.with_help(format!(
                "it is also defined at {}, which is the one used; rename one of them",
                self.loc(first.0, first_item.name.span)
            ))
        })
    }

    /// Every abstraction name the workspace can see, for suggestions.
    fn known_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .units
            .iter()
            .filter(|u| u.tier != Tier::Stdlib)
            .flat_map(|u| u.file.items.iter())
            .filter(|i| i.kind == ItemKind::Abstraction)
            .map(|i| i.name.node.clone())
            .chain(stdlib::all().iter().map(|(n, _)| (*n).to_string()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The declared version of an abstraction item and the span of its statement.
pub(crate) fn declared_version(item: &Item) -> Option<(u64, Span)> {
    item.body.iter().find_map(|s| match &s.kind {
        StmtKind::Version(v) => Some((v.node, s.span)),
        _ => None,
    })
}

/// An item pulled into the policy, with the chain of `use` that pulled it.
#[derive(Clone, Debug)]
pub(crate) struct Expanded {
    /// The item.
    pub(crate) node: Node,
    /// The names of the abstractions used on the way, outermost first (empty for the policy).
    pub(crate) via: Vec<String>,
}

/// The result of resolution.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    /// The policy first, then every abstraction reached, each once, nearest first.
    pub(crate) items: Vec<Expanded>,
    /// The abstractions reached, sorted.
    pub(crate) uses: Vec<UsedAbstraction>,
}

struct Edge {
    target: Node,
    name: String,
    at: (usize, Span),
}

/// The longest chain of `use` from the policy to an abstraction (E0141). Each rule keeps
/// the chain that pulled it in, so an unbounded depth made memory grow with its square
/// (290 KB of policy used 1.35 GB); real chains are a few abstractions deep.
pub(crate) const MAX_USE_DEPTH: usize = 16;

/// Resolve the `use` graph from the policy at `root`.
pub(crate) fn resolve(ws: &mut Workspace, root: Node, out: &mut Vec<Diagnostic>) -> Resolution {
    let mut res = Resolution::default();
    let mut edges: BTreeMap<Node, Vec<Edge>> = BTreeMap::new();
    let mut seen: BTreeMap<Node, ()> = BTreeMap::new();
    let mut queue = VecDeque::from([Expanded {
        node: root,
        via: Vec::new(),
    }]);
    seen.insert(root, ());
    while let Some(cur) = queue.pop_front() {
        let refs: Vec<Spanned<UseRef>> = ws
            .item(cur.node)
            .map(|it| {
                it.body
                    .iter()
                    .filter_map(|s| match &s.kind {
                        StmtKind::Use(r) => Some(r.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        for r in refs {
            if !is_abstraction_name(&r.node.name) {
                continue;
            }
            let Some(target) = ws.find(&r.node.name, out) else {
                out.push(unknown(ws, cur.node.0, &r));
                continue;
            };
            check_version(ws, cur.node.0, &r, target, out);
            edges.entry(cur.node).or_default().push(Edge {
                target,
                name: r.node.name.clone(),
                at: (cur.node.0, r.span),
            });
            if seen.insert(target, ()).is_none() {
                if cur.via.len() >= MAX_USE_DEPTH {
                    out.push(too_deep(ws, cur.node.0, &r, &cur.via));
                    continue;
                }
                let mut via = cur.via.clone();
                via.push(r.node.name.clone());
                queue.push_back(Expanded { node: target, via });
            }
        }
        res.items.push(cur);
    }
    find_cycles(ws, root, &edges, out);
    res.uses = res
        .items
        .iter()
        .skip(1)
        .filter_map(|e| {
            let item = ws.item(e.node)?;
            let unit = ws.unit(e.node.0)?;
            Some(UsedAbstraction {
                name: item.name.node.clone(),
                version: declared_version(item).map_or(0, |v| v.0),
                source: unit.name.to_string(),
            })
        })
        .collect();
    res.uses.sort();
    res
}

fn too_deep(ws: &Workspace, u: usize, r: &Spanned<UseRef>, via: &[String]) -> Diagnostic {
    let file = ws.unit(u).map_or("", |x| &*x.name);
    let first = via.first().map_or("", String::as_str);
    Diagnostic::new(
        Code::UseTooDeep,
        file,
        r.span,
        format!(
            "`use {}` is {} abstractions deep, more than the limit of {MAX_USE_DEPTH}",
            one_line(&r.node.name),
            via.len() + 1
        ),
        "too deep",
    )
    .with_help(format!(
        "the chain starts with `use {}` in the policy; {}",
        one_line(first),
        Code::UseTooDeep.help()
    ))
}

fn unknown(ws: &Workspace, u: usize, r: &Spanned<UseRef>) -> Diagnostic {
    let file = ws.unit(u).map_or("", |x| &*x.name);
    let names = ws.known_names();
    let d = Diagnostic::new(
        Code::UnknownAbstraction,
        file,
        r.span,
        format!("unknown abstraction `{}`", one_line(&r.node.name)),
        "not found",
    );
    match suggest(&r.node.name, names.iter().map(String::as_str)) {
        Some(s) => d.with_help(format!(
            "did you mean `{s}`? {}",
            Code::UnknownAbstraction.help()
        )),
        None => d,
    }
}

fn check_version(
    ws: &Workspace,
    u: usize,
    r: &Spanned<UseRef>,
    target: Node,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(want), Some(item)) = (r.node.version, ws.item(target)) else {
        return;
    };
    let Some((have, vspan)) = declared_version(item) else {
        return;
    };
    if want == have {
        return;
    }
    let file = ws.unit(u).map_or("", |x| &*x.name);
    let name = one_line(&r.node.name);
    let d = Diagnostic::new(
        Code::AbstractionVersion,
        file,
        r.span,
        format!("`{name}@{want}` requires version {want}, but `{name}` is version {have}"),
        "version mismatch",
    );
    out.push(if target.0 == u {
        d.with_label(vspan, "declared here")
    } else {
        d.with_help(format!(
            "`{name}` declares version {have} at {}; write `{name}@{have}` or `{name}`",
            ws.loc(target.0, vspan)
        ))
    });
}

fn find_cycles(
    ws: &Workspace,
    root: Node,
    edges: &BTreeMap<Node, Vec<Edge>>,
    out: &mut Vec<Diagnostic>,
) {
    // Iterative DFS: (node, next edge index); names on the stack for the message.
    let mut done: BTreeMap<Node, ()> = BTreeMap::new();
    let mut stack: Vec<(Node, usize)> = vec![(root, 0)];
    let mut names: Vec<String> = Vec::new();
    while let Some((node, idx)) = stack.pop() {
        let Some(edge) = edges.get(&node).and_then(|es| es.get(idx)) else {
            done.insert(node, ());
            names.pop();
            continue;
        };
        stack.push((node, idx + 1));
        if let Some(pos) = stack.iter().position(|(n, _)| *n == edge.target) {
            // `names[k - 1]` names `stack[k]`; the root (a policy) is never a target.
            let mut shown: Vec<&str> = names
                .iter()
                .skip(pos.saturating_sub(1))
                .map(String::as_str)
                .collect();
            shown.push(&edge.name);
            let file = ws.unit(edge.at.0).map_or("", |x| &*x.name);
            let msg = if shown.len() <= 2 {
                format!("abstraction `{}` uses itself", one_line(&edge.name))
            } else {
                let path: Vec<String> =
                    shown.iter().map(|n| format!("`{}`", one_line(n))).collect();
                format!("cyclic use of abstractions: {}", path.join(" → "))
            };
            out.push(Diagnostic::new(
                Code::CyclicUse,
                file,
                edge.at.1,
                msg,
                "closes the cycle",
            ));
            continue;
        }
        if done.contains_key(&edge.target) {
            continue;
        }
        names.push(edge.name.clone());
        stack.push((edge.target, 0));
    }
}
