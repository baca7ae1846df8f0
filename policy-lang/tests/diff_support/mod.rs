//! Builders of IR policies and checks of a diff against the evaluator.
#![allow(dead_code)]

use polc_lang::diff::{Change, Decided, Diff, Direction, Side};
use polc_lang::eval::{evaluate, Reason, Request};
#[path = "../ir_support/mod.rs"]
mod ir_support;
#[allow(unused_imports)]
pub use ir_support::*;

use polc_lang::ir::{Effect, NetOp, Policy, Proto, SignalDir};
use polc_lang::rights::{Right, Rights};
use std::collections::BTreeSet;

/// Sort the rule lists in the IR's canonical order (the diff must not need it).
pub fn canonical(p: &mut Policy) {
    p.files.sort_by(|a, b| {
        (a.effect == Effect::Deny, &a.glob, &a.exec_as).cmp(&(
            b.effect == Effect::Deny,
            &b.glob,
            &b.exec_as,
        ))
    });
}

/// The probes of the property tests.
pub struct Probes<'a> {
    pub paths: &'a [&'a str],
    pub caps: &'a [&'a str],
    pub peers: &'a [&'a str],
    pub signals: &'a [&'a str],
}

/// Every request of the probe set, plus the ports around every net rule boundary.
pub fn requests(p: &Probes<'_>, old: &Policy, new: &Policy) -> Vec<Request> {
    let mut out = Vec::new();
    // Every kind of object a file rule can single out: owned or not, directory or not.
    for path in p.paths {
        for r in Right::ALL {
            for (owner, dir) in [(false, false), (false, true), (true, false), (true, true)] {
                out.push(Request::File {
                    path: path.to_string(),
                    right: r,
                    owner,
                    dir,
                });
            }
        }
    }
    let mut ports: BTreeSet<u16> = [1u16, 2, 80, 443, 8080, 65534, 65535].into();
    for r in old.net.iter().chain(new.net.iter()) {
        for q in [
            r.ports.lo.saturating_sub(1),
            r.ports.lo,
            r.ports.hi,
            r.ports.hi.saturating_add(1),
        ] {
            if q >= 1 {
                ports.insert(q);
            }
        }
    }
    let one_version = [old, new]
        .iter()
        .any(|p| p.net.iter().any(|r| r.family.is_some()));
    for op in [NetOp::Connect, NetOp::Bind] {
        for proto in [Proto::Tcp, Proto::Udp] {
            for &port in &ports {
                // Where a rule names an IP version the diff speaks per version: a
                // request on both is then the conjunction of two requests it decides.
                if one_version {
                    for f in polc_lang::ir::IpFamily::BOTH {
                        out.push(Request::net_on(op, proto, f, port));
                    }
                } else {
                    out.push(Request::net(op, proto, port));
                }
            }
        }
    }
    for c in p.caps {
        out.push(Request::capability(c));
    }
    for d in [SignalDir::Send, SignalDir::Receive] {
        for peer in p.peers {
            for s in p.signals {
                out.push(Request::signal(d, peer, s));
            }
        }
    }
    out
}

/// True when change `c` covers request `r`.
pub fn covers(c: &Change, r: &Request, own_name: &str) -> bool {
    match (c, r) {
        (
            Change::File(f),
            Request::File {
                path,
                right,
                owner,
                dir,
            },
        ) => {
            f.rights.contains(*right)
                && f.paths.contains(path)
                && f.owner.is_none_or(|o| o == *owner)
                && f.dir.is_none_or(|d| d == *dir)
        }
        (
            Change::Net(n),
            Request::Net {
                op,
                proto,
                family,
                port,
            },
        ) => {
            // A change of both versions covers a request on either or both; a change
            // of one version, a request on that version.
            n.op == *op
                && n.proto == *proto
                && (n.family.is_none() || n.family == *family)
                && n.ports.contains(*port)
        }
        (Change::Capability(k), Request::Capability { name }) => &k.capability == name,
        (
            Change::Signal(s),
            Request::Signal {
                direction,
                peer,
                signal,
            },
        ) => {
            let peer = if peer == "self" {
                own_name
            } else {
                peer.as_str()
            };
            s.signal_direction == *direction
                && s.peer.as_str() == peer
                && s.signals.contains(signal)
        }
        _ => false,
    }
}

/// Check the side's decision and cited rules against the evaluator's decision.
fn check_side(
    side: &Side,
    p: &Policy,
    r: &Request,
    rights: Rights,
    what: &str,
) -> Result<(), String> {
    let d = evaluate(p, r);
    let ok = match side.decision {
        Decided::Allowed => d.allowed,
        Decided::Denied => d.reason == Reason::Denied,
        Decided::NoAllow => {
            !d.allowed
                && d.deciding.iter().all(|x| x.effect == Effect::Deny)
                && !allow_matches(p, r)
        }
        // A comparison cut at its budget is not complete: never right for a request.
        Decided::Undecided => false,
    };
    if !ok {
        return Err(format!(
            "{what}: side says {:?}, evaluator says {:?} for {r:?}",
            side.decision, d.reason
        ));
    }
    // Every cited rule matches the request (a file rule: for one of the change's rights;
    // together they match every right).
    if let (Request::File { path, right, .. }, Decided::Allowed | Decided::Denied) =
        (r, side.decision)
    {
        let any = side.rules.iter().any(|c| {
            p.files
                .get(c.index)
                .is_some_and(|f| f.rights.contains(*right) && f.glob.matches(path))
        });
        if !any {
            return Err(format!("{what}: no cited rule matches {r:?}"));
        }
    }
    for cite in &side.rules {
        let matches = match r {
            Request::File { path, .. } => p.files.get(cite.index).is_some_and(|f| {
                f.effect == cite.effect
                    && !f.rights.intersection(rights).is_empty()
                    && f.glob.matches(path)
            }),
            Request::Net {
                op,
                proto,
                family,
                port,
            } => p.net.get(cite.index).is_some_and(|n| {
                n.effect == cite.effect
                    && n.op == *op
                    && n.proto == *proto
                    && family.is_none_or(|f| f.covered_by(n.family))
                    && n.ports.contains(*port)
            }),
            Request::Capability { name } => p
                .capabilities
                .get(cite.index)
                .is_some_and(|c| c.effect == cite.effect && &c.capability == name),
            Request::Signal { signal, .. } => p.signals.get(cite.index).is_some_and(|s| {
                s.effect == cite.effect && (s.signals.is_empty() || s.signals.contains(signal))
            }),
            // The generated policies hold no unix, family or D-Bus rule.
            Request::Unix { .. } | Request::NetFamily { .. } | Request::Dbus(_) => false,
            Request::Ptrace {
                direction,
                access,
                peer,
            } => polc_lang::ir::ptrace::matching_rules(p, *direction, *access, peer)
                .contains(&cite.index),
        };
        if !matches {
            return Err(format!(
                "{what}: cited rule {} ({}) does not match {r:?}",
                cite.index, cite.rule
            ));
        }
    }
    Ok(())
}

fn allow_matches(p: &Policy, r: &Request) -> bool {
    match r {
        Request::File {
            path,
            right,
            owner,
            dir,
        } => p.files.iter().any(|f| {
            f.effect == Effect::Allow
                && f.rights.contains(*right)
                && (*owner || !f.owner)
                && (*dir || !f.dir_only)
                && f.glob.matches(path)
        }),
        Request::Net {
            op,
            proto,
            family,
            port,
        } => p.net.iter().any(|n| {
            n.effect == Effect::Allow
                && n.op == *op
                && n.proto == *proto
                && family.is_none_or(|f| f.covered_by(n.family))
                && n.ports.contains(*port)
        }),
        Request::Capability { name } => p
            .capabilities
            .iter()
            .any(|c| c.effect == Effect::Allow && &c.capability == name),
        Request::Signal {
            direction,
            peer,
            signal,
        } => {
            let peer = if peer == "self" {
                p.name.as_str()
            } else {
                peer.as_str()
            };
            p.signals.iter().any(|s| {
                s.effect == Effect::Allow
                    && s.direction == *direction
                    && s.peer.as_str() == peer
                    && (s.signals.is_empty() || s.signals.contains(signal))
            })
        }
        Request::Unix { .. } | Request::NetFamily { .. } | Request::Dbus(_) => false,
        Request::Ptrace {
            direction,
            access,
            peer,
        } => polc_lang::ir::ptrace::matching_rules(p, *direction, *access, peer)
            .iter()
            .any(|i| p.ptrace.get(*i).is_some_and(|r| r.effect == Effect::Allow)),
    }
}

/// Completeness and soundness of `d` on the probes; `Err` says what is wrong.
pub fn check(d: &Diff, old: &Policy, new: &Policy, probes: &Probes<'_>) -> Result<(), String> {
    let own = old.name.as_str();
    for r in requests(probes, old, new) {
        let (a, b) = (evaluate(old, &r), evaluate(new, &r));
        let want = match (a.allowed, b.allowed) {
            (false, true) => Some(Direction::Broadened),
            (true, false) => Some(Direction::Narrowed),
            _ => None,
        };
        // Completeness: a differing decision is covered by a change of its direction.
        if let Some(dir) = want {
            if !d
                .changes
                .iter()
                .any(|c| c.direction() == dir && covers(c, &r, own))
            {
                return Err(format!("{r:?} is {dir} but no change covers it"));
            }
        }
        // Transitions.
        if let Request::File {
            path,
            right: Right::Exec,
            ..
        } = &r
        {
            if a.allowed && b.allowed && a.exec_as != b.exec_as {
                let found = d.changes.iter().any(|c| match c {
                    Change::Transition(t) => {
                        t.paths.contains(path) && t.old_as == a.exec_as && t.new_as == b.exec_as
                    }
                    _ => false,
                });
                if !found {
                    return Err(format!(
                        "transition of {path} changed {:?} → {:?}, not reported",
                        a.exec_as, b.exec_as
                    ));
                }
            }
        }
        // Soundness: every change covering the probe agrees with the evaluator.
        for c in &d.changes {
            if let Change::Transition(t) = c {
                if let Request::File {
                    path,
                    right: Right::Exec,
                    owner,
                    dir,
                } = &r
                {
                    if t.paths.contains(path)
                        && t.owner.is_none_or(|o| o == *owner)
                        && t.dir.is_none_or(|d| d == *dir)
                        && !(a.allowed
                            && b.allowed
                            && a.exec_as == t.old_as
                            && b.exec_as == t.new_as)
                    {
                        return Err(format!("transition change {t:?} contradicted at {path}"));
                    }
                }
                continue;
            }
            if !covers(c, &r, own) {
                continue;
            }
            if want != Some(c.direction()) {
                return Err(format!(
                    "change {c:?} covers {r:?} whose decisions are {} → {}",
                    a.allowed, b.allowed
                ));
            }
            let (so, sn) = match c {
                Change::File(f) => (&f.old, &f.new),
                Change::Net(n) => (&n.old, &n.new),
                Change::Capability(k) => (&k.old, &k.new),
                Change::Signal(s) => (&s.old, &s.new),
                _ => continue,
            };
            let rights = match c {
                Change::File(f) => f.rights,
                _ => Rights::EMPTY,
            };
            check_side(so, old, &r, rights, "old")?;
            check_side(sn, new, &r, rights, "new")?;
        }
    }
    // Witnesses are real.
    for c in &d.changes {
        match c {
            Change::File(f) => {
                let w = f
                    .witness
                    .as_deref()
                    .ok_or("a file change without witness")?;
                if !f.paths.contains(w) {
                    return Err(format!("witness {w} not in {}", f.paths));
                }
                for right in f.rights.iter() {
                    // On the kind of object the change concerns (either, when it says
                    // none).
                    let r = Request::File {
                        path: w.to_string(),
                        right,
                        owner: f.owner.unwrap_or(false),
                        dir: f.dir.unwrap_or(false),
                    };
                    let (a, b) = (evaluate(old, &r).allowed, evaluate(new, &r).allowed);
                    let ok = match f.direction {
                        Direction::Broadened => !a && b,
                        Direction::Narrowed => a && !b,
                        Direction::Changed => false,
                    };
                    if !ok {
                        return Err(format!(
                            "witness {w} of {c:?} has decisions {a} → {b} for {right}"
                        ));
                    }
                    check_side(&f.old, old, &r, f.rights, "old")?;
                    check_side(&f.new, new, &r, f.rights, "new")?;
                }
            }
            Change::Transition(t) => {
                let w = t
                    .witness
                    .as_deref()
                    .ok_or("a transition change without witness")?;
                let r = Request::File {
                    path: w.to_string(),
                    right: Right::Exec,
                    owner: t.owner.unwrap_or(false),
                    dir: t.dir.unwrap_or(false),
                };
                let (a, b) = (evaluate(old, &r), evaluate(new, &r));
                if !(a.allowed && b.allowed && a.exec_as == t.old_as && b.exec_as == t.new_as) {
                    return Err(format!(
                        "transition witness {w} contradicted: {:?} → {:?}",
                        a.exec_as, b.exec_as
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
