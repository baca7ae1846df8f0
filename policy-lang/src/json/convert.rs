//! JSON documents to syntax trees with spans, and back.

use super::spans::{self, Loc, Node};
use super::{
    Abstraction, Accept, ChildDoc, Document, FrameworkDoc, InterfaceDoc, Ports, Rule, Target,
    ToJsonError, UseSpec, Vars,
};
use crate::ast::{
    AcceptBlock, ChildKind, File, Item, ItemKind, PortSpec, Provides, Qualifiers, Stmt, StmtKind,
    UseRef,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{Span, Spanned};

/// The fields of a document that belong to its policy.
const POLICY_FIELDS: [&str; 10] = [
    "version", "attach", "mode", "use", "vars", "owns", "rules", "children", "app", "plugs",
];

pub(super) fn to_ast(name: &str, text: &str) -> Result<File, Vec<Diagnostic>> {
    let doc: Document =
        serde_json::from_str(text).map_err(|e| vec![serde_error(name, text, &e)])?;
    let tree = spans::scan(text);
    let root = Loc(tree.as_ref());
    let mut items = Vec::new();
    match &doc.policy {
        Some(policy) => {
            let mut stmts = body(
                root,
                &Body {
                    version: doc.version,
                    attach: &doc.attach,
                    mode: &doc.mode,
                    uses: &doc.uses,
                    vars: &doc.vars,
                    owns: &doc.owns,
                    rules: &doc.rules,
                },
            );
            if doc.app {
                stmts.push(stmt(StmtKind::App, root.member_span("app")));
            }
            if !doc.plugs.is_empty() {
                let names = strings(root.field("plugs"), &doc.plugs);
                stmts.push(stmt(StmtKind::Plugs(names), root.member_span("plugs")));
            }
            let children = root.field("children");
            for (i, c) in doc.children.iter().enumerate() {
                let at = children.item(i);
                match child(at, c) {
                    Ok(kind) => stmts.push(stmt(kind, at.span())),
                    Err(d) => return Err(vec![d.into_diagnostic(name, at.span())]),
                }
            }
            items.push(Item {
                kind: ItemKind::Policy,
                name: Spanned::new(policy.clone(), root.field("policy").span()),
                body: stmts,
                comments: Vec::new(),
                closing_comments: Vec::new(),
                span: root.span(),
            })
        }
        None => {
            if let Some(m) = root.member("policy") {
                return Err(vec![Diagnostic::new(
                    Code::InvalidJson,
                    name,
                    m.value.span,
                    "`policy` is null",
                    "expected the policy's name",
                )
                .with_help("give the policy's name, or leave `policy` out in a document of abstractions only")]);
            }
            if let Some(m) = root
                .members()
                .iter()
                .find(|m| POLICY_FIELDS.contains(&m.key.as_str()))
            {
                return Err(vec![Diagnostic::new(
                    Code::InvalidJson,
                    name,
                    m.key_span,
                    format!("field `{}` belongs to a policy, and the document has no `policy`", one_line(&m.key)),
                    "policy field without a policy",
                )
                .with_help(
                    "name the policy with `\"policy\": \"NAME\"`, or move the fields into an abstraction of `abstractions`",
                )]);
            }
        }
    }
    let abstractions = root.field("abstractions");
    for (i, a) in doc.abstractions.iter().enumerate() {
        items.push(abstraction(abstractions.item(i), a));
    }
    let frameworks = root.field("frameworks");
    for (i, f) in doc.frameworks.iter().enumerate() {
        items.push(framework(frameworks.item(i), f));
    }
    Ok(File {
        items,
        trailing_comments: Vec::new(),
    })
}

/// Why a child object is refused.
struct ChildError(&'static str);

impl ChildError {
    fn into_diagnostic(self, name: &str, span: Span) -> Diagnostic {
        Diagnostic::new(Code::InvalidJson, name, span, self.0, "invalid child")
            .with_help("give exactly one of `child` and `hat`, with the child's name")
    }
}

/// A `children` entry as the statement `child NAME { ... }` or `hat NAME { ... }`.
fn child(loc: Loc<'_>, c: &ChildDoc) -> Result<StmtKind, ChildError> {
    let (kind, name, key) = match (&c.child, &c.hat) {
        (Some(n), None) => (ChildKind::Child, n, "child"),
        (None, Some(n)) => (ChildKind::Hat, n, "hat"),
        (Some(_), Some(_)) => return Err(ChildError("a child has both `child` and `hat`")),
        (None, None) => return Err(ChildError("a child needs `child` or `hat`")),
    };
    let rules = loc.field("rules");
    let body = c
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = rules.item(i);
            in_accept(at, r, stmt(rule(at, r), at.span()))
        })
        .collect();
    Ok(StmtKind::Child {
        kind,
        name: Spanned::new(name.clone(), loc.field(key).span()),
        body,
        closing_comments: Vec::new(),
    })
}

fn abstraction(loc: Loc<'_>, a: &Abstraction) -> Item {
    Item {
        kind: ItemKind::Abstraction,
        name: Spanned::new(a.abstraction.clone(), loc.field("abstraction").span()),
        body: body(
            loc,
            &Body {
                version: a.version,
                attach: &a.attach,
                mode: &a.mode,
                uses: &a.uses,
                vars: &a.vars,
                owns: &a.owns,
                rules: &a.rules,
            },
        ),
        comments: Vec::new(),
        closing_comments: Vec::new(),
        span: loc.span(),
    }
}

fn framework(loc: Loc<'_>, f: &FrameworkDoc) -> Item {
    let mut body = Vec::new();
    if let Some(v) = f.version {
        let value = Spanned::new(v, loc.field("version").span());
        body.push(stmt(StmtKind::Version(value), loc.member_span("version")));
    }
    let provides = loc.field("provides");
    for (i, p) in f.provides.iter().enumerate() {
        let at = provides.item(i);
        let rules = at.field("rules");
        let rules = p
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let rat = rules.item(k);
                let mut st = stmt(rule(rat, r), rat.span());
                st.quals = Qualifiers {
                    audit: r.audit.then(|| rat.field("audit").span()),
                    owner: r.owner.then(|| rat.field("owner").span()),
                };
                in_accept(rat, r, st)
            })
            .collect();
        body.push(stmt(
            StmtKind::Provides(Provides {
                name: Spanned::new(p.interface.clone(), at.field("interface").span()),
                auto: p.auto,
                body: rules,
                closing_comments: Vec::new(),
            }),
            at.span(),
        ));
    }
    Item {
        kind: ItemKind::Framework,
        name: Spanned::new(f.framework.clone(), loc.field("framework").span()),
        body,
        comments: Vec::new(),
        closing_comments: Vec::new(),
        span: loc.span(),
    }
}

/// The body fields shared by policies and abstractions.
struct Body<'a> {
    version: Option<u64>,
    attach: &'a Option<String>,
    mode: &'a Option<String>,
    uses: &'a [UseSpec],
    vars: &'a Vars,
    owns: &'a [String],
    rules: &'a [Rule],
}

fn stmt(kind: StmtKind, span: Span) -> Stmt {
    Stmt {
        kind,
        comments: Vec::new(),
        trailing_comment: None,
        blank_line_before: false,
        span,
        quals: Default::default(),
    }
}

fn strings(loc: Loc<'_>, values: &[String]) -> Vec<Spanned<String>> {
    values
        .iter()
        .enumerate()
        .map(|(i, s)| Spanned::new(s.clone(), loc.item(i).span()))
        .collect()
}

fn body(loc: Loc<'_>, b: &Body<'_>) -> Vec<Stmt> {
    let mut out = Vec::new();
    if let Some(v) = b.version {
        let value = Spanned::new(v, loc.field("version").span());
        out.push(stmt(StmtKind::Version(value), loc.member_span("version")));
    }
    if let Some(a) = b.attach {
        let value = Spanned::new(a.clone(), loc.field("attach").span());
        out.push(stmt(StmtKind::Attach(value), loc.member_span("attach")));
    }
    if let Some(m) = b.mode {
        let value = Spanned::new(m.clone(), loc.field("mode").span());
        out.push(stmt(StmtKind::Mode(value), loc.member_span("mode")));
    }
    if !b.uses.is_empty() {
        let list = loc.field("use");
        let refs = b
            .uses
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let r = UseRef {
                    name: u.name.clone(),
                    version: u.version,
                };
                Spanned::new(r, list.item(i).span())
            })
            .collect();
        out.push(stmt(StmtKind::Use(refs), loc.member_span("use")));
    }
    let vars = loc.field("vars").members();
    for (i, (name, value)) in b.vars.0.iter().enumerate() {
        let m = vars.get(i);
        let key_span = m.map_or_else(Span::default, |m| m.key_span);
        let value_span = m.map_or_else(Span::default, |m| m.value.span);
        out.push(stmt(
            StmtKind::Var {
                name: Spanned::new(name.clone(), key_span),
                value: Spanned::new(value.clone(), value_span),
            },
            key_span.join(value_span),
        ));
    }
    if !b.owns.is_empty() {
        let paths = strings(loc.field("owns"), b.owns);
        out.push(stmt(StmtKind::Owns(paths), loc.member_span("owns")));
    }
    let rules = loc.field("rules");
    for (i, r) in b.rules.iter().enumerate() {
        let at = rules.item(i);
        let mut st = stmt(rule(at, r), at.span());
        st.quals = Qualifiers {
            audit: r.audit.then(|| at.field("audit").span()),
            owner: r.owner.then(|| at.field("owner").span()),
        };
        out.push(in_accept(at, r, st));
    }
    out
}

/// A rule's statement, inside an `accept` block of its own when the rule has `accept`.
fn in_accept(loc: Loc<'_>, r: &Rule, st: Stmt) -> Stmt {
    let Some(a) = &r.accept else {
        return st;
    };
    let at = loc.field("accept");
    let span = st.span;
    let block = AcceptBlock {
        fidelities: strings(at.field("fidelities"), &a.fidelities),
        targets: strings(at.field("on"), &a.on),
        reason: Spanned::new(a.reason.clone(), at.field("reason").span()),
        body: vec![st],
        closing_comments: Vec::new(),
    };
    stmt(StmtKind::Accept(block), span)
}

fn rule(loc: Loc<'_>, r: &Rule) -> StmtKind {
    let effect = Spanned::new(r.effect, loc.field("effect").span());
    match &r.target {
        Target::Files {
            rights,
            paths,
            exec_as,
            exec_mode,
        } => StmtKind::File {
            effect,
            rights: strings(loc.field("rights"), rights),
            paths: strings(loc.field("paths"), paths),
            exec_as: exec_as
                .as_ref()
                .map(|n| Spanned::new(n.clone(), loc.field("as").span())),
            exec_mode: *exec_mode,
        },
        Target::Net(n) => {
            let at = loc.field("net");
            StmtKind::Net {
                effect,
                op: Spanned::new(n.op.clone(), at.field("op").span()),
                proto: Spanned::new(n.proto.clone(), at.field("proto").span()),
                ports: n.ports.map(|Ports { lo, hi }| {
                    Spanned::new(PortSpec { lo, hi }, at.field("ports").span())
                }),
            }
        }
        Target::Capabilities(caps) => StmtKind::Capability {
            effect,
            caps: strings(loc.field("capabilities"), caps),
        },
        Target::Signal(s) => {
            let at = loc.field("signal");
            StmtKind::Signal {
                effect,
                direction: Spanned::new(s.direction.clone(), at.field("direction").span()),
                signals: strings(at.field("signals"), &s.signals),
                peer: Spanned::new(s.peer.clone(), at.field("peer").span()),
            }
        }
        Target::Unix(u) => super::unix::unix_stmt(loc, effect, u, strings),
        Target::NetFamily(n) => super::unix::family_stmt(loc, effect, n, strings),
        Target::Dbus(d) => super::dbus::dbus_stmt(loc, effect, d, strings),
        Target::Ptrace(s) => {
            let at = loc.field("ptrace");
            StmtKind::Ptrace {
                effect,
                access: strings(at.field("access"), &s.access),
                direction: Spanned::new(s.direction.clone(), at.field("direction").span()),
                peer: Spanned::new(s.peer.clone(), at.field("peer").span()),
            }
        }
    }
}

/// An `E0300` diagnostic for a serde_json error, located and naming the field.
fn serde_error(name: &str, text: &str, e: &serde_json::Error) -> Diagnostic {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    let offset = byte_offset(text, e.line(), e.column());
    let culprit = culprit(text, offset);
    let tree: Option<Node> = match e.classify() {
        serde_json::error::Category::Data => spans::scan(text),
        _ => None,
    };
    let (span, message, label) = match (&tree, e.classify()) {
        (Some(root), _) => {
            let found = spans::locate(root, culprit);
            let message = if found.path.is_empty() {
                message
            } else {
                format!("at `{}`: {message}", found.path)
            };
            (found.span, message, "does not fit the policy schema")
        }
        (None, serde_json::error::Category::Eof) => (
            Span::new(text.len(), text.len()),
            message,
            "the document ends here",
        ),
        (None, _) => (char_span(text, culprit), message, "not valid JSON"),
    };
    Diagnostic::new(Code::InvalidJson, name, span, one_line(&message), label)
}

/// The message with control characters (from keys and values) escaped, on one line.
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The byte offset of serde_json's 1-based line and 0-based byte column.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let line_start = text
        .match_indices('\n')
        .nth(line.saturating_sub(2))
        .map_or(0, |(i, _)| i + 1);
    let line_start = if line <= 1 { 0 } else { line_start };
    (line_start + column).min(text.len())
}

/// The byte at fault for serde_json's position `offset`.
///
/// serde_json places an error just past the byte it last read: the end of a value it
/// read, or the start of a value it only peeked at (an array or object of the wrong
/// type), in which case the byte before is a separator.
fn culprit(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let next_token = || {
        (offset..bytes.len())
            .find(|&i| !matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')))
            .unwrap_or(offset)
    };
    let prev = offset.checked_sub(1);
    match prev.and_then(|p| bytes.get(p)) {
        None | Some(b' ' | b'\t' | b'\r' | b'\n' | b':' | b',') => next_token(),
        Some(b'[') if matches!(bytes.get(next_token()), Some(b'[' | b'{')) => next_token(),
        Some(_) => prev.unwrap_or(0),
    }
}

/// The span of the character at `offset` (empty at the end of the text).
fn char_span(text: &str, offset: usize) -> Span {
    let mut start = offset.min(text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let len = text
        .get(start..)
        .and_then(|s| s.chars().next())
        .map_or(0, char::len_utf8);
    Span::new(start, start + len)
}

pub(super) fn from_ast(file: &File) -> Result<Document, ToJsonError> {
    let policies: Vec<&Item> = file
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Policy)
        .collect();
    if policies.len() > 1 {
        return Err(ToJsonError::ManyPolicies(policies.len()));
    }

    let mut doc = Document::default();
    if let Some(p) = policies.first() {
        let b = collect(p)?;
        doc = Document {
            policy: Some(p.name.node.clone()),
            version: b.version,
            attach: b.attach,
            mode: b.mode,
            uses: b.uses,
            vars: b.vars,
            owns: b.owns,
            rules: b.rules,
            children: b.children,
            app: b.app,
            plugs: b.plugs,
            abstractions: Vec::new(),
            frameworks: Vec::new(),
        };
    }
    for a in file
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Abstraction)
    {
        let b = collect(a)?;
        if !b.children.is_empty() {
            return Err(ToJsonError::ChildInAbstraction(a.name.node.clone()));
        }
        if b.app || !b.plugs.is_empty() {
            return Err(ToJsonError::NoJsonForm {
                keyword: if b.app { "app" } else { "plugs" },
                item: a.name.node.clone(),
            });
        }
        doc.abstractions.push(Abstraction {
            abstraction: a.name.node.clone(),
            version: b.version,
            attach: b.attach,
            mode: b.mode,
            uses: b.uses,
            vars: b.vars,
            owns: b.owns,
            rules: b.rules,
        });
    }
    for f in file.items.iter().filter(|i| i.kind == ItemKind::Framework) {
        doc.frameworks.push(framework_doc(f)?);
    }
    Ok(doc)
}

/// A framework: `version` and its interfaces, each holding rules only.
fn framework_doc(f: &Item) -> Result<FrameworkDoc, ToJsonError> {
    let mut doc = FrameworkDoc {
        framework: f.name.node.clone(),
        ..FrameworkDoc::default()
    };
    let no_form = |keyword: &'static str| ToJsonError::NoJsonForm {
        keyword,
        item: f.name.node.clone(),
    };
    for s in &f.body {
        match &s.kind {
            StmtKind::Version(v) => once(&mut doc.version, v.node, "version", f)?,
            StmtKind::Provides(p) => {
                let c = collect_body(&p.body, f)?;
                if let Some(keyword) = c.first_not_rule() {
                    return Err(no_form(keyword));
                }
                doc.provides.push(InterfaceDoc {
                    interface: p.name.node.clone(),
                    auto: p.auto,
                    rules: c.rules,
                });
            }
            other => return Err(no_form(crate::check::exec::keyword(other))),
        }
    }
    Ok(doc)
}

/// The body of an item, gathered into the document's fields.
#[derive(Default)]
struct Collected {
    version: Option<u64>,
    attach: Option<String>,
    mode: Option<String>,
    uses: Vec<UseSpec>,
    vars: Vars,
    owns: Vec<String>,
    rules: Vec<Rule>,
    children: Vec<ChildDoc>,
    app: bool,
    plugs: Vec<String>,
}

impl Collected {
    /// The keyword of the first statement that is not a rule, for a body that may hold
    /// only rules (a child, a hat, an interface, an `accept` block).
    fn first_not_rule(&self) -> Option<&'static str> {
        [
            (self.version.is_some(), "version"),
            (self.attach.is_some(), "attach"),
            (self.mode.is_some(), "mode"),
            (!self.uses.is_empty(), "use"),
            (!self.vars.is_empty(), "var"),
            (!self.owns.is_empty(), "owns"),
            (!self.children.is_empty(), "child"),
            (self.app, "app"),
            (!self.plugs.is_empty(), "plugs"),
        ]
        .into_iter()
        .find_map(|(present, keyword)| present.then_some(keyword))
    }
}

fn once<T>(
    slot: &mut Option<T>,
    value: T,
    keyword: &'static str,
    item: &Item,
) -> Result<(), ToJsonError> {
    if slot.is_some() {
        return Err(ToJsonError::Repeated {
            keyword,
            item: item.name.node.clone(),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn nodes(v: &[Spanned<String>]) -> Vec<String> {
    v.iter().map(|s| s.node.clone()).collect()
}

fn collect(item: &Item) -> Result<Collected, ToJsonError> {
    collect_body(&item.body, item)
}

/// A child's statements as its rules.
fn collect_child(
    kind: ChildKind,
    name: &str,
    body: &[Stmt],
    item: &Item,
) -> Result<ChildDoc, ToJsonError> {
    let c = collect_body(body, item)?;
    if let Some(keyword) = c.first_not_rule() {
        return Err(ToJsonError::InChild {
            keyword,
            child: name.to_string(),
        });
    }
    let (child, hat) = match kind {
        ChildKind::Child => (Some(name.to_string()), None),
        ChildKind::Hat => (None, Some(name.to_string())),
    };
    Ok(ChildDoc {
        child,
        hat,
        rules: c.rules,
    })
}

/// The rules of an `accept` block, each with the block's `accept` object.
fn accept_rules(a: &AcceptBlock, item: &Item) -> Result<Vec<Rule>, ToJsonError> {
    let c = collect_body(&a.body, item)?;
    let nested = c
        .rules
        .iter()
        .any(|r| r.accept.is_some())
        .then_some("accept");
    if let Some(keyword) = c.first_not_rule().or(nested) {
        return Err(ToJsonError::InAccept {
            keyword,
            item: item.name.node.clone(),
        });
    }
    let spec = Accept {
        fidelities: nodes(&a.fidelities),
        on: nodes(&a.targets),
        reason: a.reason.node.clone(),
    };
    Ok(c.rules
        .into_iter()
        .map(|mut r| {
            r.accept = Some(spec.clone());
            r
        })
        .collect())
}

fn collect_body(body: &[Stmt], item: &Item) -> Result<Collected, ToJsonError> {
    let mut c = Collected::default();
    for s in body {
        let (audit, owner) = (s.quals.audit.is_some(), s.quals.owner.is_some());
        match &s.kind {
            StmtKind::Version(v) => once(&mut c.version, v.node, "version", item)?,
            StmtKind::Attach(a) => once(&mut c.attach, a.node.clone(), "attach", item)?,
            StmtKind::Mode(m) => once(&mut c.mode, m.node.clone(), "mode", item)?,
            StmtKind::Use(refs) => c.uses.extend(refs.iter().map(|r| UseSpec {
                name: r.node.name.clone(),
                version: r.node.version,
            })),
            StmtKind::Owns(paths) => c.owns.extend(nodes(paths)),
            StmtKind::Var { name, value } => {
                c.vars.0.push((name.node.clone(), value.node.clone()));
            }
            StmtKind::File {
                effect,
                rights,
                paths,
                exec_as,
                exec_mode,
            } => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: effect.node,
                target: Target::Files {
                    rights: nodes(rights),
                    paths: nodes(paths),
                    exec_as: exec_as.as_ref().map(|n| n.node.clone()),
                    exec_mode: *exec_mode,
                },
            }),
            StmtKind::Child {
                kind, name, body, ..
            } => c
                .children
                .push(collect_child(*kind, &name.node, body, item)?),
            StmtKind::Accept(a) => c.rules.extend(accept_rules(a, item)?),
            StmtKind::App => c.app = true,
            StmtKind::Plugs(names) => c.plugs.extend(nodes(names)),
            StmtKind::Provides(_) => {
                return Err(ToJsonError::NoJsonForm {
                    keyword: "provides",
                    item: item.name.node.clone(),
                })
            }
            StmtKind::Net {
                effect,
                op,
                proto,
                ports,
            } => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: effect.node,
                target: Target::Net(super::Net {
                    op: op.node.clone(),
                    proto: proto.node.clone(),
                    ports: ports.as_ref().map(|p| Ports {
                        lo: p.node.lo,
                        hi: p.node.hi,
                    }),
                }),
            }),
            StmtKind::Capability { effect, caps } => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: effect.node,
                target: Target::Capabilities(nodes(caps)),
            }),
            StmtKind::Signal {
                effect,
                direction,
                signals,
                peer,
            } => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: effect.node,
                target: Target::Signal(super::Signal {
                    direction: direction.node.clone(),
                    signals: nodes(signals),
                    peer: peer.node.clone(),
                }),
            }),
            StmtKind::Unix(u) => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: u.effect.node,
                target: Target::Unix(super::unix::unix_json(u)),
            }),
            StmtKind::NetFamily(n) => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: n.effect.node,
                target: Target::NetFamily(super::unix::family_json(n)),
            }),
            StmtKind::Dbus(d) => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: d.effect.node,
                target: Target::Dbus(super::dbus::dbus_json(d)),
            }),
            StmtKind::Ptrace {
                effect,
                access,
                direction,
                peer,
            } => c.rules.push(Rule {
                audit,
                owner,
                accept: None,
                effect: effect.node,
                target: Target::Ptrace(super::Ptrace {
                    access: nodes(access),
                    direction: direction.node.clone(),
                    peer: peer.node.clone(),
                }),
            }),
        }
    }
    Ok(c)
}
