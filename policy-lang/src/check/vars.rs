//! Install-time variables: the environment (declarations, then supplied values) and
//! substitution into strings, with validation of the result.

use super::items::{unsafe_set_value_char, unsafe_value_char, unsafe_value_help};
use super::paths::{ParsedPaths, PathSite};
use super::resolve::{Node, Resolution, Workspace};
use super::strings::{has_refs, is_var_name, pieces, substitute, suggest, LitMap, Piece};
use crate::ast::StmtKind;
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::Glob;
use crate::ir::text::one_line;
use crate::rights::Rights;
use crate::span::{Span, Spanned};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

/// A variable's value, or a marker that its value was reported as unsafe.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Val {
    Safe(String),
    Unsafe,
}

#[derive(Clone, Debug)]
struct VarDef {
    val: Val,
    /// A set variable: its default is a glob (or a built-in set), so a supplied value
    /// may be a glob too.
    set: bool,
    /// A built-in variable, and whether a declaration or a supplied value may replace it.
    builtin: Option<bool>,
    /// Where it was declared (unit, span of the name), if declared.
    decl: Option<(usize, Span)>,
    /// The declaring item.
    item: Option<Node>,
}

/// The built-in variables: name, value, and whether a `var` declaration or a supplied
/// value may replace it. Each stands for a set of paths or of path components.
pub(crate) const BUILTINS: &[(&str, &str, bool)] = &[
    // A process or thread id: one or more digits without a leading zero.
    ("pid", "{[1-9],[1-9][0-9]+}", false),
    ("tid", "{[1-9],[1-9][0-9]+}", false),
    // A user id: one or more digits.
    ("uid", "[0-9]+", false),
    ("home", "{/home/*,/root}", true),
    ("proc", "/proc", true),
    ("run", "{/run,/var/run}", true),
];

/// A declaration or a supplied value for a built-in variable whose meaning is fixed.
fn builtin_fixed(file: &str, span: Option<Span>, name: &str) -> Diagnostic {
    let message = format!("variable `{name}` is built in and cannot be replaced");
    let d = match span {
        Some(span) => Diagnostic::new(
            Code::BuiltinVariable,
            file,
            span,
            message,
            "built-in variable",
        ),
        None => Diagnostic::unlocated(Code::BuiltinVariable, file, message),
    };
    d.with_help(format!(
        "`${{{name}}}` always means what docs/language.md says; declare a variable with another name"
    ))
}

/// The variables visible to a policy and its abstractions.
#[derive(Debug, Default)]
pub(crate) struct Env {
    defs: BTreeMap<String, VarDef>,
    used: BTreeSet<String>,
    /// The file rules' paths parsed by the item checks, and those parsed here.
    paths: ParsedPaths,
}

impl Env {
    /// Declarations of the expanded items (in expansion order), then supplied values;
    /// `paths` are the file rules' paths the item checks parsed.
    pub(crate) fn build(
        ws: &Workspace,
        res: &Resolution,
        supplied: &BTreeMap<String, String>,
        paths: ParsedPaths,
        out: &mut Vec<Diagnostic>,
    ) -> Env {
        let mut env = Env {
            paths,
            ..Env::default()
        };
        for &(name, value, overridable) in BUILTINS {
            env.defs.insert(
                name.to_string(),
                VarDef {
                    val: Val::Safe(value.to_string()),
                    set: true,
                    builtin: Some(overridable),
                    decl: None,
                    item: None,
                },
            );
        }
        for e in &res.items {
            let (Some(item), Some(unit)) = (ws.item(e.node), ws.unit(e.node.0)) else {
                continue;
            };
            for s in &item.body {
                let StmtKind::Var { name, value } = &s.kind else {
                    continue;
                };
                if !is_var_name(&name.node) {
                    continue;
                }
                let val = match unsafe_set_value_char(&value.node) {
                    None => Val::Safe(value.node.clone()),
                    Some(_) => Val::Unsafe,
                };
                let set = unsafe_value_char(&value.node).is_some();
                let def = VarDef {
                    val: val.clone(),
                    set,
                    builtin: None,
                    decl: Some((e.node.0, name.span)),
                    item: Some(e.node),
                };
                match env.defs.get(&name.node) {
                    None
                    | Some(VarDef {
                        builtin: Some(true),
                        ..
                    }) => {
                        env.defs.insert(name.node.clone(), def);
                    }
                    Some(VarDef {
                        builtin: Some(false),
                        ..
                    }) => {
                        out.push(builtin_fixed(&unit.name, Some(name.span), &name.node));
                    }
                    // A second declaration in the same item is reported by the item check.
                    Some(first) if first.item == Some(e.node) => {}
                    Some(first) if first.val == val => {}
                    Some(first) => {
                        let shown = match &first.val {
                            Val::Safe(v) => format!(" with `{}`", one_line(v)),
                            Val::Unsafe => String::new(),
                        };
                        let at = first.decl.map_or_else(String::new, |(u, sp)| ws.loc(u, sp));
                        out.push(
                            Diagnostic::new(
                                Code::InvalidVariable,
                                &unit.name,
                                name.span,
                                format!(
                                    "variable `{}` is declared again with another default",
                                    name.node
                                ),
                                "conflicting declaration",
                            )
                            .with_help(format!(
                                "it is first declared at {at}{shown}; the policy and the abstractions it uses share one set of variables"
                            )),
                        );
                    }
                }
            }
        }
        let own = ws.unit(0).map_or("", |u| &*u.name);
        for (name, value) in supplied {
            if !is_var_name(name) {
                out.push(Diagnostic::unlocated(
                    Code::InvalidVariable,
                    own,
                    format!(
                        "invalid variable name `{}` in a supplied value",
                        one_line(name)
                    ),
                ));
                continue;
            }
            let (set, builtin) = env
                .defs
                .get(name)
                .map_or((false, None), |d| (d.set, d.builtin));
            if builtin == Some(false) {
                out.push(builtin_fixed(own, None, name));
                continue;
            }
            let unsafe_char = if set {
                unsafe_set_value_char(value)
            } else {
                unsafe_value_char(value)
            };
            let val = match unsafe_char {
                None => Val::Safe(value.clone()),
                Some((_, c)) => {
                    out.push(
                        Diagnostic::unlocated(
                            Code::UnsafeVariableValue,
                            own,
                            format!(
                                "supplied value `{}` of variable `{name}` holds `{}`",
                                one_line(value),
                                c.escape_default()
                            ),
                        )
                        .with_help(unsafe_value_help(c)),
                    );
                    Val::Unsafe
                }
            };
            let def = env.defs.entry(name.clone()).or_insert(VarDef {
                val: Val::Unsafe,
                set: false,
                builtin: None,
                decl: None,
                item: None,
            });
            def.val = val;
            def.builtin = None;
        }
        env
    }

    /// True when the variable was referenced by some expanded string.
    pub(crate) fn is_used(&self, name: &str) -> bool {
        self.used.contains(name)
    }

    /// Substitute the variables of a path literal of `unit` and validate it as a glob.
    /// Problems of literals without variables were reported by the item check and are
    /// not reported again.
    pub(crate) fn glob(
        &mut self,
        ws: &Workspace,
        unit: usize,
        s: &Spanned<String>,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Glob> {
        self.expand(ws, unit, s, out, |site, out| site.glob(out))
    }

    /// Like [`Env::glob`], for a file rule's path: the glob and whether it denotes
    /// directories only ([`PathSite::rule_path`]).
    pub(crate) fn rule_path(
        &mut self,
        ws: &Workspace,
        unit: usize,
        s: &Spanned<String>,
        rights: Rights,
        out: &mut Vec<Diagnostic>,
    ) -> Option<(Glob, bool)> {
        let mut paths = std::mem::take(&mut self.paths);
        let found = self.expand(ws, unit, s, out, |site, out| {
            site.rule_path(rights, &mut paths, out)
        });
        self.paths = paths;
        found
    }

    /// Like [`Env::glob`], validating the path as the attached executable.
    pub(crate) fn attach(
        &mut self,
        ws: &Workspace,
        unit: usize,
        s: &Spanned<String>,
        out: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        self.expand(ws, unit, s, out, |site, out| site.attach(out))
    }

    fn expand<T>(
        &mut self,
        ws: &Workspace,
        unit: usize,
        s: &Spanned<String>,
        out: &mut Vec<Diagnostic>,
        validate: impl FnOnce(&PathSite<'_>, &mut Vec<Diagnostic>) -> Option<T>,
    ) -> Option<T> {
        let u = ws.unit(unit)?;
        if !has_refs(&s.node) {
            return validate(&PathSite::plain(&u.name, &u.text, s), &mut Vec::new());
        }
        let ps = pieces(&s.node).ok()?;
        let values = self.lookup_all(&u.name, &u.text, s, &ps, out)?;
        let sub = substitute(&s.node, &ps, |n| {
            values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str())
        });
        let site = PathSite {
            file: &u.name,
            source: &u.text,
            at: s.span,
            lit: OnceCell::new(),
            written: &s.node,
            subst: Some((&ps, &sub, values.clone())),
        };
        validate(&site, out)
    }

    /// The values of the references of a string, in order of first reference; `None`
    /// when one is unknown (reported) or unsafe (reported where it was given).
    fn lookup_all(
        &mut self,
        file: &str,
        text: &str,
        s: &Spanned<String>,
        ps: &[Piece],
        out: &mut Vec<Diagnostic>,
    ) -> Option<Vec<(String, String)>> {
        let mut values: Vec<(String, String)> = Vec::new();
        let mut ok = true;
        for p in ps {
            let Piece::Var(name, range) = p else { continue };
            self.used.insert(name.clone());
            match self.defs.get(name).map(|d| &d.val) {
                Some(Val::Safe(v)) => {
                    if !values.iter().any(|(k, _)| k == name) {
                        values.push((name.clone(), v.clone()));
                    }
                }
                Some(Val::Unsafe) => ok = false,
                None => {
                    ok = false;
                    let span = LitMap::new(text, s.span, &s.node).span(range.clone());
                    let mut d = Diagnostic::new(
                        Code::UnknownVariable,
                        file,
                        span,
                        format!("unknown variable `{name}`"),
                        "not declared",
                    );
                    if let Some(near) = suggest(name, self.defs.keys().map(String::as_str)) {
                        d = d.with_help(format!(
                            "did you mean `${{{near}}}`? {}",
                            Code::UnknownVariable.help()
                        ));
                    }
                    out.push(d);
                }
            }
        }
        ok.then_some(values)
    }
}
