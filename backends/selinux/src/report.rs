//! Building the fidelity report: one-line rule texts and the grouping of per-right
//! findings into entries.

use polc_lang::fidelity::{Fidelity, RuleFidelity, RuleListKind, Subject};
use polc_lang::ir::text::quote_line;
use polc_lang::ir::Effect;
use polc_lang::ir::{CapRule, FileRule, Origin, Policy, Proto, SignalDir, SignalRule};
use polc_lang::rights::{Right, Rights};
use std::collections::BTreeMap;

fn effect(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
    }
}

/// `allow read write "/var/lib/app/**"`.
pub(crate) fn file_rule_text(r: &FileRule) -> String {
    let mut s = format!(
        "{}{}{} {} {}",
        audited(r.audit),
        effect(r.effect),
        if r.owner { " owner" } else { "" },
        r.rights,
        quote_line(&r.path_text())
    );
    s.push_str(&r.exec_mode.suffix(r.exec_as.as_ref()));
    s
}

/// `audit ` before an audited rule's text.
fn audited(audit: bool) -> &'static str {
    if audit {
        "audit "
    } else {
        ""
    }
}

pub(crate) fn proto(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

/// `IPv4`, `IPv6`.
pub(crate) fn ip_version(f: polc_lang::ir::IpFamily) -> &'static str {
    match f {
        polc_lang::ir::IpFamily::Inet => "IPv4",
        polc_lang::ir::IpFamily::Inet6 => "IPv6",
    }
}

pub(crate) use polc_lang::ir::text::net_rule_text;

/// `allow capability net_bind_service`.
pub(crate) fn cap_rule_text(r: &CapRule) -> String {
    format!(
        "{}{} capability {}",
        audited(r.audit),
        effect(r.effect),
        r.capability
    )
}

/// `allow signal send term, kill to org.example.app`.
pub(crate) fn signal_rule_text(r: &SignalRule) -> String {
    let (dir, prep) = match r.direction {
        SignalDir::Send => ("send", "to"),
        SignalDir::Receive => ("receive", "from"),
    };
    let sigs: Vec<&str> = r.signals.iter().map(String::as_str).collect();
    let mut s = format!("{}{} signal {dir}", audited(r.audit), effect(r.effect));
    if !sigs.is_empty() {
        s.push(' ');
        s.push_str(&sigs.join(", "));
    }
    s.push_str(&format!(" {prep} {}", r.peer));
    s
}

/// Findings about one subject, per right (`None`: the whole subject).
#[derive(Default)]
pub(crate) struct Findings {
    /// Per subject and right: the reasons per fidelity. A right can be both narrowed and
    /// widened (the kernel refuses some allowed operations and allows some refused ones):
    /// the report then has an entry for each, so nobody reads one direction as a bound.
    map: BTreeMap<(Subject, Option<Right>), ByFidelity>,
}

/// The reasons of one subject and right, per fidelity in increasing order: one or two
/// fidelities in a small vector (a map each took 9 MB of a 10,000-rule policy).
#[derive(Default)]
struct ByFidelity(Vec<(Fidelity, Vec<String>)>);

impl ByFidelity {
    /// Add `reason` to those of fidelity `f` (made to appear, with no reason, when
    /// exact or empty), once.
    fn add(&mut self, f: Fidelity, reason: String) {
        if let Err(at) = self.0.binary_search_by(|(g, _)| g.cmp(&f)) {
            self.0.insert(at, (f, Vec::new()));
        }
        let Some((_, reasons)) = self.0.iter_mut().find(|(g, _)| *g == f) else {
            return;
        };
        if f != Fidelity::Exact && !reason.is_empty() && !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
}

impl Findings {
    /// Record that the subject (or one of its rights) is enforced with `f` because of
    /// `reason`; `exact` records nothing but makes the subject appear.
    pub(crate) fn add(
        &mut self,
        s: Subject,
        r: Option<Right>,
        f: Fidelity,
        reason: impl Into<String>,
    ) {
        self.map.entry((s, r)).or_default().add(f, reason.into());
    }

    /// Make the subject appear (as exact unless something else is recorded).
    pub(crate) fn touch(&mut self, s: Subject, r: Option<Right>) {
        self.add(s, r, Fidelity::Exact, "");
    }

    /// Take the findings of child policy `child`'s lowering: its rules' entries become
    /// entries of the child's rules (`Subject::ChildRule`).
    pub(crate) fn absorb_child(&mut self, child: usize, own: Findings) {
        for ((s, r), by_fidelity) in own.map {
            let s = match s {
                Subject::Rule { list, index } => Subject::ChildRule { child, list, index },
                s => s,
            };
            let slot = self.map.entry((s, r)).or_default();
            for (f, reasons) in by_fidelity.0 {
                if reasons.is_empty() {
                    slot.add(f, String::new());
                }
                for reason in reasons {
                    slot.add(f, reason);
                }
            }
        }
    }

    /// The report entries, in subject order; rights of a file rule with the same outcome
    /// share an entry.
    pub(crate) fn entries(&self, p: &Policy) -> Vec<RuleFidelity> {
        let mut out: Vec<RuleFidelity> = Vec::new();
        let mut by_subject: BTreeMap<Subject, Vec<(Option<Right>, Fidelity, String)>> =
            BTreeMap::new();
        for ((s, r), by_fidelity) in &self.map {
            // exact only when nothing else is recorded; unsupported says it all
            let worst = by_fidelity
                .0
                .iter()
                .map(|(f, _)| *f)
                .max()
                .unwrap_or(Fidelity::Exact);
            for (f, reasons) in &by_fidelity.0 {
                let shown = match worst {
                    Fidelity::Exact => true,
                    Fidelity::Unsupported => *f == worst,
                    _ => *f != Fidelity::Exact,
                };
                if shown {
                    let reason = summarize(reasons, *f);
                    by_subject.entry(*s).or_default().push((*r, *f, reason));
                }
            }
        }
        for (s, items) in by_subject {
            let (rule, origins) = describe(p, s);
            // group rights by (fidelity, reason)
            let mut groups: Vec<(Fidelity, String, Option<Rights>)> = Vec::new();
            for (r, f, reason) in items {
                match groups
                    .iter_mut()
                    .find(|(gf, gr, _)| *gf == f && *gr == reason)
                {
                    Some(g) => {
                        if let Some(r) = r {
                            g.2 = Some(g.2.unwrap_or(Rights::EMPTY).insert(r));
                        }
                    }
                    None => groups.push((f, reason, r.map(Rights::one))),
                }
            }
            let single = groups.len() == 1;
            for (f, reason, rights) in groups {
                let rights = if single && is_whole(p, s, rights) {
                    None
                } else {
                    rights
                };
                out.push(
                    RuleFidelity::new(s, f, reason, rule.clone(), origins.clone())
                        .for_rights(rights),
                );
            }
        }
        out
    }
}

fn is_whole(p: &Policy, s: Subject, rights: Option<Rights>) -> bool {
    match (s, rights) {
        (_, None) => true,
        (
            Subject::Rule {
                list: RuleListKind::File,
                index,
            },
            Some(r),
        ) => p.files.get(index).is_some_and(|f| f.rights == r),
        (
            Subject::ChildRule {
                child,
                list: RuleListKind::File,
                index,
            },
            Some(r),
        ) => p
            .children
            .get(child)
            .and_then(|c| c.policy.files.get(index))
            .is_some_and(|f| f.rights == r),
        _ => true,
    }
}

fn summarize(reasons: &[String], f: Fidelity) -> String {
    if f == Fidelity::Exact {
        return String::new();
    }
    reasons.join("; ")
}

fn describe(p: &Policy, s: Subject) -> (String, Vec<Origin>) {
    match s {
        Subject::Rule { list, index } => match list {
            RuleListKind::File => p.files.get(index).map_or_else(Default::default, |r| {
                (
                    file_rule_text(r),
                    r.origins.iter().map(|o| o.origin.clone()).collect(),
                )
            }),
            RuleListKind::Net => p
                .net
                .get(index)
                .map_or_else(Default::default, |r| (net_rule_text(r), r.origins.clone())),
            RuleListKind::Capability => p
                .capabilities
                .get(index)
                .map_or_else(Default::default, |r| (cap_rule_text(r), r.origins.clone())),
            RuleListKind::Signal => p.signals.get(index).map_or_else(Default::default, |r| {
                (signal_rule_text(r), r.origins.clone())
            }),
            RuleListKind::Unix => p
                .unix
                .get(index)
                .map_or_else(Default::default, |r| (r.text(), r.origins.clone())),
            RuleListKind::Dbus => p
                .dbus
                .get(index)
                .map_or_else(Default::default, |r| (r.text(), r.origins.clone())),
            RuleListKind::NetFamily => p
                .net_families
                .get(index)
                .map_or_else(Default::default, |r| (r.text(), r.origins.clone())),
            RuleListKind::Ptrace => p.ptrace.get(index).map_or_else(Default::default, |r| {
                (
                    polc_lang::ir::ptrace::ptrace_rule_text(r),
                    r.origins.clone(),
                )
            }),
        },
        Subject::Mode => (
            format!(
                "mode {}",
                match p.mode {
                    polc_lang::ir::Mode::Enforce => "enforce",
                    polc_lang::ir::Mode::Complain => "complain",
                }
            ),
            Vec::new(),
        ),
        Subject::Attach => p.attach.as_ref().map_or_else(Default::default, |a| {
            (
                format!("attach {}", quote_line(&a.path)),
                vec![a.origin.clone()],
            )
        }),
        Subject::Owns { index } => p.owns.get(index).map_or_else(Default::default, |o| {
            (
                format!("owns {}", quote_line(o.glob.as_str())),
                o.origins.clone(),
            )
        }),
        Subject::Child { child } => p.children.get(child).map_or_else(Default::default, |c| {
            (
                format!("{} {}", c.kind.keyword(), c.policy.name),
                vec![c.origin.clone()],
            )
        }),
        Subject::ChildRule { child, list, index } => {
            p.children.get(child).map_or_else(Default::default, |c| {
                let (text, origins) = describe(&c.policy, Subject::Rule { list, index });
                (
                    format!("{} {}: {text}", c.kind.keyword(), c.policy.name),
                    origins,
                )
            })
        }
    }
}
