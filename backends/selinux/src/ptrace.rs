//! Ptrace rules. The kernel's SELinux hook checks `file read` from the reader's domain
//! to the target's domain for `PTRACE_MODE_READ` and `process ptrace` for
//! `PTRACE_MODE_ATTACH` (`selinux_ptrace_access_check`), so each access maps to one
//! permission. Peers are named as for signals ([`crate::ipc`]): a policy's domain, the
//! attribute of every domain for `any`, nothing for `unconfined` beyond that attribute.

use crate::names::{block_name, qualified};
use crate::report::Findings;
use crate::{Config, Out};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{Effect, Peer, Policy, PtraceAccess, PtraceDir};
use std::collections::{BTreeMap, BTreeSet};

type Access = BTreeSet<PtraceAccess>;
type Table = BTreeMap<(PtraceDir, Peer), Access>;

fn get(m: &Table, dir: PtraceDir, peer: &Peer) -> Access {
    m.get(&(dir, peer.clone())).cloned().unwrap_or_default()
}

/// What the evaluator grants to a process of `peer` (for `any`: one no rule names).
fn ok(allow: &Table, deny: &Table, dir: PtraceDir, peer: &Peer) -> Access {
    let mut a = get(allow, dir, &Peer::Any);
    let mut d = get(deny, dir, &Peer::Any);
    if *peer != Peer::Any {
        a.extend(get(allow, dir, peer));
        d.extend(get(deny, dir, peer));
    }
    a.difference(&d).copied().collect()
}

fn perm(a: PtraceAccess) -> (&'static str, &'static str) {
    match a {
        PtraceAccess::Read => ("file", "read"),
        PtraceAccess::Trace => ("process", "ptrace"),
    }
}

fn words(v: &Access) -> String {
    v.iter().map(|a| a.keyword()).collect::<Vec<_>>().join(", ")
}

/// Ptrace rules: `file read` and `process ptrace` between domains.
pub(crate) fn lower_ptrace(p: &Policy, config: &Config, out: &mut Out, findings: &mut Findings) {
    let mut allow = Table::new();
    let mut deny = Table::new();
    for r in &p.ptrace {
        let m = match r.effect {
            Effect::Allow => &mut allow,
            Effect::Deny => &mut deny,
        };
        m.entry((r.direction, r.peer.clone()))
            .or_default()
            .extend(r.access.iter().copied());
    }
    let me = Peer::Policy(p.name.clone());
    let any_attr = config.domain_attribute();
    let dom = out.domain.clone();
    let named: BTreeSet<(PtraceDir, Peer)> = allow.keys().chain(deny.keys()).cloned().collect();
    // Within the domain one permission serves both sides: granted only for what both
    // `to self` and `from self` allow (AppArmor asks both too).
    let within: Access = ok(&allow, &deny, PtraceDir::To, &me)
        .intersection(&ok(&allow, &deny, PtraceDir::From, &me))
        .copied()
        .collect();
    if named.iter().any(|(_, peer)| *peer == me) {
        for a in &within {
            let (class, perm) = perm(*a);
            out.allow(&dom, &dom, class, &[perm], None);
        }
    }
    for (dir, peer) in &named {
        let (other, requires) = match peer {
            _ if *peer == me => continue,
            Peer::Policy(name) => (qualified(&block_name(name), "domain"), Some(name)),
            Peer::Any => match any_attr {
                Some(a) => (a.to_string(), None),
                None => continue,
            },
            Peer::Unconfined => continue,
        };
        for a in ok(&allow, &deny, *dir, peer) {
            let (class, perm) = perm(a);
            match dir {
                PtraceDir::To => out.allow(&dom, &other, class, &[perm], requires),
                PtraceDir::From => out.allow(&other, &dom, class, &[perm], requires),
            }
        }
    }
    for (i, r) in p.ptrace.iter().enumerate() {
        let subject = Subject::Rule {
            list: RuleListKind::Ptrace,
            index: i,
        };
        findings.touch(subject, None);
        let granted = ok(&allow, &deny, r.direction, &r.peer);
        let via_any: Access = match any_attr {
            Some(_) => ok(&allow, &deny, r.direction, &Peer::Any),
            None => Access::new(),
        };
        let kernel: Access = match &r.peer {
            Peer::Policy(_) => granted.union(&via_any).copied().collect(),
            Peer::Any | Peer::Unconfined => via_any,
        };
        let extra: Access = kernel.difference(&granted).copied().collect();
        let missing: Access = match r.effect {
            Effect::Allow => r
                .access
                .iter()
                .filter(|a| granted.contains(a) && !kernel.contains(a))
                .copied()
                .collect(),
            Effect::Deny => Access::new(),
        };
        // Another policy's domain: SELinux checks the pair once, so what this rule grants
        // holds whatever the peer's policy says about its side.
        let one_sided: Access = match (&r.peer, r.effect) {
            (Peer::Policy(_), Effect::Allow) if r.peer != me => {
                r.access.intersection(&granted).copied().collect()
            }
            _ => Access::new(),
        };
        if !extra.is_empty() {
            findings.add(
                subject,
                None,
                Fidelity::Widened,
                format!(
                    "not enforced for {}: the attribute `{}` given for `any` holds these processes' domains",
                    words(&extra),
                    any_attr.unwrap_or_default()
                ),
            );
        } else if !one_sided.is_empty() {
            let their_side = match r.direction {
                PtraceDir::To => "being read or traced",
                PtraceDir::From => "reading or tracing this policy's processes",
            };
            findings.add(
                subject,
                None,
                Fidelity::Widened,
                format!(
                    "SELinux checks the pair once, with the permission either module grants: {} {} `{peer}` is allowed whatever the policy `{peer}` says about {their_side} (AppArmor asks both sides)",
                    words(&one_sided),
                    r.direction.keyword(),
                    peer = r.peer.as_str(),
                ),
            );
        } else if !missing.is_empty() {
            let why = match r.peer {
                Peer::Unconfined => format!(
                    "SELinux has no unconfined processes (every process has a domain): not granted: {}",
                    words(&missing)
                ),
                _ => format!(
                    "SELinux names other processes by their domain, and no attribute of every domain is given (`--selinux-attribute domain=ATTRIBUTE`): not granted: {}",
                    words(&missing)
                ),
            };
            findings.add(subject, None, Fidelity::Narrowed, why);
        }
    }
}
