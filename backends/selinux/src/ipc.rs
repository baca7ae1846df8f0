//! Signal rules (and their peers: policies, `any`, `unconfined`) as `process` permissions
//! between domains.
//!
//! A policy peer is that policy's domain. `any` is the target's attribute that the
//! module's domain joins (`Config::attributes`, kind `domain`: the reference policy's
//! `domain` holds every process type); without one, SELinux has no name for "every other
//! domain" and nothing is granted (narrowed). SELinux has no unconfined processes: every
//! process has a domain, so `unconfined` is reached only through `any`'s attribute.

use crate::mapping::signal_perm;
use crate::names::{block_name, qualified};
use crate::report::Findings;
use crate::{Config, Out};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::SIGNALS;
use polc_lang::ir::{Effect, Peer, Policy, SignalDir};
use std::collections::{BTreeMap, BTreeSet};

type Sigs = BTreeSet<String>;

/// The allowed and denied signals of each (direction, peer) named by a rule.
struct Table {
    allow: BTreeMap<(SignalDir, Peer), Sigs>,
    deny: BTreeMap<(SignalDir, Peer), Sigs>,
}

impl Table {
    fn get(m: &BTreeMap<(SignalDir, Peer), Sigs>, dir: SignalDir, peer: &Peer) -> Sigs {
        m.get(&(dir, peer.clone())).cloned().unwrap_or_default()
    }

    /// What the evaluator allows to a process of `peer` (for `any`: a process no rule
    /// names otherwise).
    fn ok(&self, dir: SignalDir, peer: &Peer) -> Sigs {
        let mut a = Self::get(&self.allow, dir, &Peer::Any);
        let mut d = Self::get(&self.deny, dir, &Peer::Any);
        if *peer != Peer::Any {
            a.extend(Self::get(&self.allow, dir, peer));
            d.extend(Self::get(&self.deny, dir, peer));
        }
        a.difference(&d).cloned().collect()
    }
}

/// Signal rules: `process` permissions between domains.
pub(crate) fn lower_signals(p: &Policy, config: &Config, out: &mut Out, findings: &mut Findings) {
    let universe: Sigs = SIGNALS
        .iter()
        .map(|s| (*s).to_string())
        .chain(p.signals.iter().flat_map(|r| r.signals.iter().cloned()))
        .collect();
    let mut table = Table {
        allow: BTreeMap::new(),
        deny: BTreeMap::new(),
    };
    for r in &p.signals {
        let sigs = if r.signals.is_empty() {
            universe.clone()
        } else {
            r.signals.clone()
        };
        let m = match r.effect {
            Effect::Allow => &mut table.allow,
            Effect::Deny => &mut table.deny,
        };
        m.entry((r.direction, r.peer.clone()))
            .or_default()
            .extend(sigs);
    }
    let perms_of =
        |sigs: &Sigs| -> BTreeSet<&'static str> { sigs.iter().map(|s| signal_perm(s)).collect() };
    let kernel_of = |perms: &BTreeSet<&'static str>| -> Sigs {
        universe
            .iter()
            .filter(|s| perms.contains(signal_perm(s)))
            .cloned()
            .collect()
    };
    let me = Peer::Policy(p.name.clone());
    let any_attr = config.domain_attribute();
    let dirs = [SignalDir::Send, SignalDir::Receive];
    let self_perms: BTreeSet<&'static str> = dirs
        .iter()
        .filter(|d| {
            table.allow.contains_key(&(**d, me.clone()))
                || table.deny.contains_key(&(**d, me.clone()))
        })
        .flat_map(|d| perms_of(&table.ok(*d, &me)))
        .collect();
    let any_perms = |dir: SignalDir| -> BTreeSet<&'static str> {
        match any_attr {
            Some(_) => perms_of(&table.ok(dir, &Peer::Any)),
            None => BTreeSet::new(),
        }
    };
    let dom = out.domain.clone();
    let named: BTreeSet<(SignalDir, Peer)> = table
        .allow
        .keys()
        .chain(table.deny.keys())
        .cloned()
        .collect();
    for (dir, peer) in &named {
        let perms: Vec<&'static str> = perms_of(&table.ok(*dir, peer)).into_iter().collect();
        match peer {
            _ if *peer == me => out.allow(&dom, &dom, "process", &perms, None),
            Peer::Policy(name) => {
                let other = qualified(&block_name(name), "domain");
                match dir {
                    SignalDir::Send => out.allow(&dom, &other, "process", &perms, Some(name)),
                    SignalDir::Receive => out.allow(&other, &dom, "process", &perms, Some(name)),
                }
            }
            Peer::Any => {
                if let Some(attr) = any_attr {
                    match dir {
                        SignalDir::Send => out.allow(&dom, attr, "process", &perms, None),
                        SignalDir::Receive => out.allow(attr, &dom, "process", &perms, None),
                    }
                }
            }
            Peer::Unconfined => {}
        }
    }
    for (i, r) in p.signals.iter().enumerate() {
        let subject = Subject::Rule {
            list: RuleListKind::Signal,
            index: i,
        };
        findings.touch(subject, None);
        let ok = table.ok(r.direction, &r.peer);
        if r.audit && r.effect == Effect::Allow {
            // Log what this rule grants (its signals that no deny removed): one
            // permission covers several signals, so others may be logged too.
            let mine: Sigs = ok
                .iter()
                .filter(|s| r.signals.is_empty() || r.signals.contains(*s))
                .cloned()
                .collect();
            let perms: Vec<&'static str> = perms_of(&mine).into_iter().collect();
            let other = match &r.peer {
                _ if r.peer == me => Some((dom.clone(), None)),
                Peer::Policy(name) => Some((qualified(&block_name(name), "domain"), Some(name))),
                Peer::Any => any_attr.map(|a| (a.to_string(), None)),
                Peer::Unconfined => None,
            };
            if let Some((other, name)) = other {
                match r.direction {
                    SignalDir::Send => out.auditallow(&dom, &other, "process", &perms, name),
                    SignalDir::Receive => out.auditallow(&other, &dom, "process", &perms, name),
                }
            }
        }
        let perms: BTreeSet<&'static str> = if r.peer == me {
            self_perms.clone()
        } else {
            match &r.peer {
                // The permissions of this rule's signals (an allow of `exists` alone is
                // `signull`, whatever `signal` another rule needs).
                Peer::Policy(_) if r.effect == Effect::Allow => {
                    let mine: Sigs = ok
                        .iter()
                        .filter(|s| r.signals.is_empty() || r.signals.contains(*s))
                        .cloned()
                        .collect();
                    perms_of(&mine)
                        .into_iter()
                        .chain(any_perms(r.direction))
                        .collect()
                }
                Peer::Policy(_) => perms_of(&ok)
                    .into_iter()
                    .chain(any_perms(r.direction))
                    .collect(),
                _ => any_perms(r.direction),
            }
        };
        let kernel = kernel_of(&perms);
        let extra: Vec<String> = kernel.difference(&ok).cloned().collect();
        let missing: Vec<String> = match r.effect {
            Effect::Allow => ok
                .intersection(&r.signals_or(&universe))
                .filter(|s| !kernel.contains(*s))
                .cloned()
                .collect(),
            Effect::Deny => Vec::new(),
        };
        if !extra.is_empty() {
            let list = shown(&extra);
            let why = if r.effect == Effect::Deny {
                format!("not enforced for {list}")
            } else if r.peer == me {
                format!("one permission covers sending and receiving within the domain and several signals: also {list}")
            } else if r.peer == Peer::Unconfined {
                format!("SELinux has no unconfined processes: the attribute of `any` reaches them, with {list}")
            } else {
                format!(
                    "the `signal` permission covers every signal but kill, stop, chld and exists: also {list}"
                )
            };
            findings.add(subject, None, Fidelity::Widened, why);
        } else if let (Peer::Policy(_), Effect::Allow, false) =
            (&r.peer, r.effect, r.peer == me || perms.is_empty())
        {
            // Another policy's domain: SELinux checks the pair once, so what this rule
            // grants holds whatever the peer's policy says about its side.
            let their_side = match r.direction {
                SignalDir::Send => "receiving from this policy's processes",
                SignalDir::Receive => "sending to this policy's processes",
            };
            findings.add(
                subject,
                None,
                Fidelity::Widened,
                format!(
                    "SELinux checks the sender and receiver pair once, with the permission either module grants: allowed whatever the policy `{}` says about {their_side} (AppArmor asks both sides)",
                    r.peer.as_str()
                ),
            );
        } else if !missing.is_empty() {
            let list = shown(&missing);
            let why = match (&r.peer, any_attr) {
                (Peer::Unconfined, _) => format!(
                    "SELinux has no unconfined processes (every process has a domain): not granted: {list}"
                ),
                _ => format!(
                    "SELinux names other processes by their domain, and no attribute of every domain is given (`--selinux-attribute domain=ATTRIBUTE`): not granted: {list}"
                ),
            };
            findings.add(subject, None, Fidelity::Narrowed, why);
        }
    }
}

fn shown(v: &[String]) -> String {
    let list: Vec<&str> = v.iter().take(6).map(String::as_str).collect();
    let more = if v.len() > 6 {
        format!(" and {} more", v.len() - 6)
    } else {
        String::new()
    };
    format!("{}{more}", list.join(", "))
}

trait SignalsOr {
    fn signals_or(&self, all: &Sigs) -> Sigs;
}

impl SignalsOr for polc_lang::ir::SignalRule {
    fn signals_or(&self, all: &Sigs) -> Sigs {
        if self.signals.is_empty() {
            all.clone()
        } else {
            self.signals.clone()
        }
    }
}
