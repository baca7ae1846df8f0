//! Ptrace rules. Every Landlock ABI scopes ptrace to the domain: a sandboxed process can
//! read or trace only processes of its own domain (or of domains nested in it), and a
//! process of another Landlock domain cannot read or trace it; processes outside any
//! Landlock domain (unconfined ones) can. Nothing in a ruleset changes this, so each rule
//! is judged against that fixed behaviour.

use crate::files::Verdict;
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::{Effect, Peer, Policy, PtraceDir};

const OUTSIDE: &str = "Landlock refuses reading or tracing processes outside the sandbox's domain";
const WITHIN: &str = "only processes of the same Landlock domain (the confined process and its \
                      descendants), not other processes under this policy";

/// The verdict of each ptrace rule.
pub(crate) fn verdicts(policy: &Policy) -> Vec<Verdict> {
    let me = Peer::Policy(policy.name.clone());
    policy
        .ptrace
        .iter()
        .map(|r| {
            let to_self = r.peer == me;
            match (r.direction, r.effect, &r.peer) {
                (PtraceDir::To, Effect::Allow, _) if to_self => {
                    Verdict::new(Fidelity::Narrowed, WITHIN)
                }
                (PtraceDir::To, Effect::Allow, _) => Verdict::new(Fidelity::Narrowed, OUTSIDE),
                (PtraceDir::To, Effect::Deny, Peer::Policy(_)) if !to_self => Verdict::exact(),
                (PtraceDir::To, Effect::Deny, Peer::Unconfined) => Verdict::exact(),
                (PtraceDir::To, Effect::Deny, _) => Verdict::new(
                    Fidelity::Unsupported,
                    "Landlock cannot refuse reading or tracing within the sandbox's domain",
                ),
                (PtraceDir::From, Effect::Allow, Peer::Unconfined) => Verdict::exact(),
                (PtraceDir::From, Effect::Allow, _) if to_self => {
                    Verdict::new(Fidelity::Narrowed, WITHIN)
                }
                (PtraceDir::From, Effect::Allow, _) => Verdict::new(
                    Fidelity::Narrowed,
                    "a process in another Landlock domain cannot read or trace the sandboxed one",
                ),
                (PtraceDir::From, Effect::Deny, _) => Verdict::new(
                    Fidelity::Unsupported,
                    "Landlock cannot refuse being read or traced by processes outside any \
                     Landlock domain",
                ),
            }
        })
        .collect()
}
