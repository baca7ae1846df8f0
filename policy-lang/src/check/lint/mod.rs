//! Warnings about the policy's own statements: duplicates (W0200), shadowed rules
//! (W0201), denies that match nothing allowed (W0202), unused variables (W0203).
//!
//! Only statements in the policy's own file are warned about; the other rule of a pair
//! may be anywhere (an abstraction from the stdlib, say), and is then named by its
//! location in the help.

use super::resolve::{Resolution, Workspace};
use super::vars::Env;
use crate::ast::StmtKind;
use crate::atom::{Atom, GlobEnds, Subject};
use crate::diagnostics::{Code, Diagnostic};
use crate::hash::FastMap;
use crate::ir::text::one_line;
use crate::ir::Effect;
use std::cell::OnceCell;
use std::collections::BTreeSet;

#[cfg(test)]
pub(crate) mod reference;
mod search;
#[cfg(test)]
mod tests;

/// The unit index of the policy's own file.
const OWN: usize = 0;

/// A short rendering of an atom, as it could be written.
pub(crate) fn describe(a: &Atom) -> String {
    let e = a.effect.keyword();
    match &a.subject {
        Subject::File {
            glob,
            rights,
            exec_as,
            exec_mode,
        } => {
            let t = exec_mode.suffix(exec_as.as_ref());
            let path = crate::ir::dir_path_text(glob, a.dir_only);
            format!("{e} {rights} \"{}\"{t}", one_line(&path))
        }
        Subject::Net {
            op,
            proto,
            family,
            ports,
        } => {
            let op = match op {
                crate::ir::NetOp::Connect => "connect",
                crate::ir::NetOp::Bind => "bind",
            };
            let proto = crate::ir::text::proto_word(*proto, *family);
            if *ports == crate::ir::PortRange::ALL {
                format!("{e} net {op} {proto}")
            } else {
                format!("{e} net {op} {proto} {ports}")
            }
        }
        Subject::Cap(c) => format!("{e} capability {c}"),
        Subject::Signal { dir, peer, signals } => {
            let (d, w) = match dir {
                crate::ir::SignalDir::Send => ("send", "to"),
                crate::ir::SignalDir::Receive => ("receive", "from"),
            };
            let s: Vec<&str> = signals.iter().map(String::as_str).collect();
            if s.is_empty() {
                format!("{e} signal {d} {w} {peer}")
            } else {
                format!("{e} signal {d} {} {w} {peer}", s.join(", "))
            }
        }
        Subject::Ptrace { dir, peer, access } => {
            let a: Vec<&str> = access.iter().map(|a| a.keyword()).collect();
            format!("{e} ptrace {} {} {peer}", a.join(", "), dir.keyword())
        }
    }
}

fn signals_subset(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    b.is_empty() || (!a.is_empty() && a.is_subset(b))
}

fn signals_overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.is_empty() || b.is_empty() || !a.is_disjoint(b)
}

/// One path of a glob's text, built cheaply: the first alternative of each brace, `x`
/// for each run of wildcards. Not always valid or in the glob (`/a/{}/b`): callers check
/// that the glob matches it before relying on it.
fn sample_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open = 0usize; // braces entered in their first alternative
    let mut skipping = 0usize; // nesting depth inside a skipped alternative
    let mut prev_star = false;
    for c in text.chars() {
        if skipping > 0 {
            match c {
                '{' => skipping += 1,
                '}' => {
                    skipping -= 1;
                    if skipping == 0 {
                        open = open.saturating_sub(1);
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            '{' => open += 1,
            ',' if open > 0 => skipping = 1,
            '}' if open > 0 => open -= 1,
            '*' if prev_star => {}
            '*' | '?' => out.push('x'),
            c => out.push(c),
        }
        prev_star = c == '*';
    }
    out
}

/// A path of a rule's glob, when it is a file rule and the sample is in it: found on
/// first use, since most rules have no candidate that gets as far as needing it.
pub(super) struct Witness<'a> {
    subject: &'a Subject,
    path: OnceCell<Option<String>>,
}

impl<'a> Witness<'a> {
    pub(super) fn of(subject: &'a Subject) -> Witness<'a> {
        Witness {
            subject,
            path: OnceCell::new(),
        }
    }

    fn get(&self) -> Option<&str> {
        self.path
            .get_or_init(|| match self.subject {
                Subject::File { glob, .. } => {
                    let w = sample_path(glob.as_str());
                    glob.matches(&w).then_some(w)
                }
                _ => None,
            })
            .as_deref()
    }
}

/// True when everything `a` covers, `b` covers (same effect assumed). `ends` are the
/// globs' literal ends for file rules; `witness` is a path of `a`, if one is found: when
/// `b` does not match it, `a ⊄ b` without the glob algebra.
fn covered_by(
    a: &Subject,
    b: &Subject,
    ends: Option<(GlobEnds<'_>, GlobEnds<'_>)>,
    witness: &Witness<'_>,
) -> bool {
    match (a, b) {
        (
            Subject::File {
                glob: ga,
                rights: ra,
                exec_as: ta,
                exec_mode: ma,
            },
            Subject::File {
                glob: gb,
                rights: rb,
                exec_as: tb,
                exec_mode: mb,
            },
        ) => {
            ta == tb
                && ma == mb
                && ra.is_subset(*rb)
                && ends.is_none_or(|(ea, eb)| ea.may_overlap(&eb))
                && witness.get().is_none_or(|w| gb.matches(w))
                && ga.is_subset(gb)
        }
        (
            Subject::Net {
                op: oa,
                proto: pa,
                family: fa,
                ports: xa,
            },
            Subject::Net {
                op: ob,
                proto: pb,
                family: fb,
                ports: xb,
            },
        ) => oa == ob && pa == pb && (fb.is_none() || fa == fb) && xb.lo <= xa.lo && xa.hi <= xb.hi,
        (Subject::Cap(a), Subject::Cap(b)) => a == b,
        (
            Subject::Signal {
                dir: da,
                peer: pa,
                signals: sa,
            },
            Subject::Signal {
                dir: db,
                peer: pb,
                signals: sb,
            },
        ) => da == db && pb.includes(pa) && signals_subset(sa, sb),
        (
            Subject::Ptrace {
                dir: da,
                peer: pa,
                access: aa,
            },
            Subject::Ptrace {
                dir: db,
                peer: pb,
                access: ab,
            },
        ) => da == db && pb.includes(pa) && aa.is_subset(ab),
        _ => false,
    }
}

/// True when some request matches both. `witness` is a path of `a`, if one is found: when
/// `b` matches it, they overlap without the glob algebra.
fn overlaps(a: &Subject, b: &Subject, witness: &Witness<'_>) -> bool {
    match (a, b) {
        (
            Subject::File {
                glob: ga,
                rights: ra,
                ..
            },
            Subject::File {
                glob: gb,
                rights: rb,
                ..
            },
        ) => {
            !ra.intersection(*rb).is_empty()
                && (witness.get().is_some_and(|w| gb.matches(w)) || ga.intersects(gb))
        }
        (
            Subject::Net {
                op: oa,
                proto: pa,
                family: fa,
                ports: xa,
            },
            Subject::Net {
                op: ob,
                proto: pb,
                family: fb,
                ports: xb,
            },
        ) => {
            oa == ob
                && pa == pb
                && (fa.is_none() || fb.is_none() || fa == fb)
                && xa.lo <= xb.hi
                && xb.lo <= xa.hi
        }
        (Subject::Cap(a), Subject::Cap(b)) => a == b,
        (
            Subject::Signal {
                dir: da,
                peer: pa,
                signals: sa,
            },
            Subject::Signal {
                dir: db,
                peer: pb,
                signals: sb,
            },
        ) => da == db && (pa.includes(pb) || pb.includes(pa)) && signals_overlap(sa, sb),
        (
            Subject::Ptrace {
                dir: da,
                peer: pa,
                access: aa,
            },
            Subject::Ptrace {
                dir: db,
                peer: pb,
                access: ab,
            },
        ) => da == db && (pa.includes(pb) || pb.includes(pa)) && !aa.is_disjoint(ab),
        _ => false,
    }
}

/// Point at the other rule: a label in the same file, else its location in the help.
fn other_rule(d: Diagnostic, a: &Atom, b: &Atom, what: &str) -> Diagnostic {
    if a.unit == b.unit {
        d.with_label(b.span, what)
    } else {
        let help = d.code.help();
        d.with_help(format!(
            "{what} is at {}:{}{}; {}",
            b.origin.file,
            b.origin.line,
            b.origin
                .via_text()
                .map_or_else(String::new, |v| format!(" ({v})")),
            help
        ))
    }
}

/// Every warning about the policy's own statements.
///
/// Each own rule is compared only with the rules that can be a duplicate of it (by hash),
/// cover it or overlap it (found by [`search::Search`]); the warnings, and their order,
/// are those of comparing every pair (the reference in the tests).
pub(crate) fn lint(
    ws: &Workspace,
    res: &Resolution,
    atoms: &[Atom],
    env: &Env,
    out: &mut Vec<Diagnostic>,
) {
    let file = ws.unit(OWN).map_or("", |u| &*u.name);
    let same = same_rules(atoms);
    let search = search::Search::new(atoms);
    for (i, a) in atoms.iter().enumerate() {
        if a.unit != OWN {
            continue;
        }
        // A rule that differs in `audit`, `owner` or `dir_only` is not redundant unless the other
        // rule's qualifiers cover it.
        if let Some(b) = duplicate_of(&same, atoms, i) {
            if a.quals_covered_by(b) {
                out.push(duplicate(file, a, b));
            }
        } else if let Some(b) = search.broader(i).and_then(|j| atoms.get(j)) {
            if a.quals_covered_by(b) {
                out.push(shadowed(file, a, b));
            }
        }
        if a.effect == Effect::Deny && !search.overlaps_allow(i) {
            out.push(deny_matches_nothing(file, a));
        }
    }
    unused_variables(ws, res, env, file, out);
}

/// Rules with equal effect and subject: each group of them, in statement order, as a
/// chain through one vector (a vector per group cost an allocation per rule).
pub(super) struct SameRules<'a> {
    /// The first and the last rule of each group, by effect and subject.
    ends: FastMap<(Effect, &'a Subject), (usize, usize)>,
    /// For each rule, the next rule of its group.
    next: Vec<Option<usize>>,
}

impl SameRules<'_> {
    /// The rules with the effect and subject of `a`, in statement order.
    fn group(&self, a: &Atom) -> impl Iterator<Item = usize> + '_ {
        let first = self
            .ends
            .get(&(a.effect, &a.subject))
            .map(|&(first, _)| first);
        std::iter::successors(first, |&j| self.next.get(j).copied().flatten())
    }
}

pub(super) fn same_rules(atoms: &[Atom]) -> SameRules<'_> {
    // Most rules are distinct: sized once instead of rehashed as it grows.
    let mut ends: FastMap<(Effect, &Subject), (usize, usize)> =
        FastMap::with_capacity_and_hasher(atoms.len(), Default::default());
    let mut next = vec![None; atoms.len()];
    for (i, a) in atoms.iter().enumerate() {
        let (_, last) = ends.entry((a.effect, &a.subject)).or_insert((i, i));
        if *last != i {
            if let Some(n) = next.get_mut(*last) {
                *n = Some(i);
            }
            *last = i;
        }
    }
    SameRules { ends, next }
}

/// The rule own rule `i` duplicates, if any: the later of two own statements is reported,
/// and always the own one of a pair with another file.
pub(super) fn duplicate_of<'a>(
    same: &SameRules<'_>,
    atoms: &'a [Atom],
    i: usize,
) -> Option<&'a Atom> {
    let a = atoms.get(i)?;
    same.group(a)
        .filter(|j| *j != i)
        .filter_map(|j| atoms.get(j).map(|b| (j, b)))
        .find(|(j, b)| *j < i || b.unit != OWN)
        .map(|(_, b)| b)
}

/// W0200 on `a`, a duplicate of `b`.
pub(super) fn duplicate(file: &str, a: &Atom, b: &Atom) -> Diagnostic {
    let d = Diagnostic::new(
        Code::DuplicateRule,
        file,
        a.span,
        format!("duplicate rule `{}`", describe(a)),
        "duplicate",
    );
    other_rule(d, a, b, "the same rule")
}

/// W0201 on `a`, covered by `b`.
pub(super) fn shadowed(file: &str, a: &Atom, b: &Atom) -> Diagnostic {
    let d = Diagnostic::new(
        Code::ShadowedRule,
        file,
        a.span,
        format!("rule `{}` is shadowed by `{}`", describe(a), describe(b)),
        "already covered",
    );
    other_rule(d, a, b, "the broader rule")
}

/// W0202 on the deny `a`.
pub(super) fn deny_matches_nothing(file: &str, a: &Atom) -> Diagnostic {
    Diagnostic::new(
        Code::DenyMatchesNothing,
        file,
        a.span,
        format!("`{}` matches nothing any allow grants", describe(a)),
        "no allow rule overlaps",
    )
}

/// W0203: variables declared in the policy's own file and never used.
pub(super) fn unused_variables(
    ws: &Workspace,
    res: &Resolution,
    env: &Env,
    file: &str,
    out: &mut Vec<Diagnostic>,
) {
    for e in res.items.iter().filter(|e| e.node.0 == OWN) {
        let Some(item) = ws.item(e.node) else {
            continue;
        };
        for s in &item.body {
            if let StmtKind::Var { name, .. } = &s.kind {
                if super::strings::is_var_name(&name.node) && !env.is_used(&name.node) {
                    out.push(Diagnostic::new(
                        Code::UnusedVariable,
                        file,
                        name.span,
                        format!("variable `{}` is never used", name.node),
                        "declared here",
                    ));
                }
            }
        }
    }
}
