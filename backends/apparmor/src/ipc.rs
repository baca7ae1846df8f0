//! Process-to-process rules: the peer of signal and ptrace rules.

use crate::profile::profile_name;
use crate::Error;
use polc_lang::fidelity::{Fidelity, RuleFidelity, RuleListKind};
use polc_lang::ir::ptrace::ptrace_rule_text;
use polc_lang::ir::text::quote_line;
use polc_lang::ir::{Effect, Peer, Policy, PtraceAccess, PtraceDir};

/// The ` peer=...` clause of a rule on processes of `peer`: a policy's profile name,
/// AppArmor's own `unconfined` label, or nothing for every process.
pub(crate) fn peer_clause(peer: &Peer) -> Result<String, Error> {
    Ok(match peer {
        Peer::Policy(name) => format!(" peer={}", quote_line(&profile_name(name)?)),
        Peer::Unconfined => " peer=unconfined".to_string(),
        Peer::Any => String::new(),
    })
}

/// Ptrace rules: `ptrace (read trace) peer=...` for `to`, `ptrace (readby tracedby)
/// peer=...` for `from`. AppArmor checks both sides (the tracer's profile for
/// `read`/`trace`, the tracee's for `readby`/`tracedby`); each rule maps exactly to its
/// side.
pub(crate) fn ptrace(
    policy: &Policy,
    lines: &mut Vec<String>,
    report: &mut Vec<RuleFidelity>,
) -> Result<(), Error> {
    for (index, rule) in policy.ptrace.iter().enumerate() {
        let peer = peer_clause(&rule.peer)?;
        let perms: Vec<&str> = rule
            .access
            .iter()
            .map(|a| match (rule.direction, a) {
                (PtraceDir::To, PtraceAccess::Read) => "read",
                (PtraceDir::To, PtraceAccess::Trace) => "trace",
                (PtraceDir::From, PtraceAccess::Read) => "readby",
                (PtraceDir::From, PtraceAccess::Trace) => "tracedby",
            })
            .collect();
        let q = if rule.effect == Effect::Deny {
            "deny "
        } else {
            ""
        };
        lines.push(format!("{q}ptrace ({}){peer},", perms.join(" ")));
        report.push(RuleFidelity::rule(
            RuleListKind::Ptrace,
            index,
            Fidelity::Exact,
            "",
            ptrace_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    Ok(())
}
