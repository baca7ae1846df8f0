//! Warnings about the policy's own statements: duplicates (W0200), shadowed rules
//! (W0201), denies that match nothing allowed (W0202), unused variables (W0203).
//!
//! Only statements in the policy's own file are warned about; the other rule of a pair
//! may be anywhere (an abstraction from the stdlib, say), and is then named by its
//! location in the help.

use super::resolve::{Resolution, Workspace};
use super::strings::esc;
use super::vars::Env;
use crate::ast::{Effect, StmtKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::lower::{Atom, Subject};
use std::collections::BTreeSet;

/// The unit index of the policy's own file.
const OWN: usize = 0;

/// A short rendering of an atom, as it could be written.
fn describe(a: &Atom) -> String {
    let e = a.effect.keyword();
    match &a.subject {
        Subject::File {
            glob,
            rights,
            exec_as,
        } => {
            let t = exec_as
                .as_ref()
                .map_or(String::new(), |n| format!(" as {n}"));
            format!("{e} {rights} \"{}\"{t}", esc(glob.as_str()))
        }
        Subject::Net { op, proto, ports } => {
            let op = match op {
                crate::ir::NetOp::Connect => "connect",
                crate::ir::NetOp::Bind => "bind",
            };
            let proto = match proto {
                crate::ir::Proto::Tcp => "tcp",
                crate::ir::Proto::Udp => "udp",
            };
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
    }
}

fn signals_subset(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    b.is_empty() || (!a.is_empty() && a.is_subset(b))
}

fn signals_overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.is_empty() || b.is_empty() || !a.is_disjoint(b)
}

/// True when everything `a` covers, `b` covers (same effect assumed).
fn covered_by(a: &Subject, b: &Subject) -> bool {
    match (a, b) {
        (
            Subject::File {
                glob: ga,
                rights: ra,
                exec_as: ta,
            },
            Subject::File {
                glob: gb,
                rights: rb,
                exec_as: tb,
            },
        ) => ta == tb && ra.is_subset(*rb) && ga.is_subset(gb),
        (
            Subject::Net {
                op: oa,
                proto: pa,
                ports: xa,
            },
            Subject::Net {
                op: ob,
                proto: pb,
                ports: xb,
            },
        ) => oa == ob && pa == pb && xb.lo <= xa.lo && xa.hi <= xb.hi,
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
        ) => da == db && pa == pb && signals_subset(sa, sb),
        _ => false,
    }
}

/// True when some request matches both.
fn overlaps(a: &Subject, b: &Subject) -> bool {
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
        ) => !ra.intersection(*rb).is_empty() && ga.intersects(gb),
        (
            Subject::Net {
                op: oa,
                proto: pa,
                ports: xa,
            },
            Subject::Net {
                op: ob,
                proto: pb,
                ports: xb,
            },
        ) => oa == ob && pa == pb && xa.lo <= xb.hi && xb.lo <= xa.hi,
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
        ) => da == db && pa == pb && signals_overlap(sa, sb),
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
            if b.origin.via.is_empty() {
                String::new()
            } else {
                format!(" (via use {})", b.origin.via.join(" → "))
            },
            help
        ))
    }
}

/// Every warning about the policy's own statements.
pub(crate) fn lint(
    ws: &Workspace,
    res: &Resolution,
    atoms: &[Atom],
    env: &Env,
    out: &mut Vec<Diagnostic>,
) {
    let file = ws.unit(OWN).map_or("", |u| u.name.as_str());
    for (i, a) in atoms.iter().enumerate() {
        if a.unit != OWN {
            continue;
        }
        let same_effect = atoms
            .iter()
            .enumerate()
            .filter(|(j, b)| *j != i && b.effect == a.effect);
        let mut dup = None;
        let mut broader = None;
        for (j, b) in same_effect {
            if b.subject == a.subject {
                // Report the later of two own statements, and always the own one of a
                // pair with another file.
                if (j < i || b.unit != OWN) && dup.is_none() {
                    dup = Some(b);
                }
            } else if broader.is_none() && covered_by(&a.subject, &b.subject) {
                broader = Some(b);
            }
        }
        if let Some(b) = dup {
            let d = Diagnostic::new(
                Code::DuplicateRule,
                file,
                a.span,
                format!("duplicate rule `{}`", describe(a)),
                "duplicate",
            );
            out.push(other_rule(d, a, b, "the same rule"));
        } else if let Some(b) = broader {
            let d = Diagnostic::new(
                Code::ShadowedRule,
                file,
                a.span,
                format!("rule `{}` is shadowed by `{}`", describe(a), describe(b)),
                "already covered",
            );
            out.push(other_rule(d, a, b, "the broader rule"));
        }
        if a.effect == Effect::Deny
            && !atoms
                .iter()
                .any(|b| b.effect == Effect::Allow && overlaps(&a.subject, &b.subject))
        {
            out.push(Diagnostic::new(
                Code::DenyMatchesNothing,
                file,
                a.span,
                format!("`{}` matches nothing any allow grants", describe(a)),
                "no allow rule overlaps",
            ));
        }
    }
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
