//! Explanations: a decision of the evaluator, with the rules behind it in the
//! language's own words and where they were written.

use polc_lang::eval::{evaluate, Reason, Request, RuleKind, RuleRef};
use polc_lang::ir::text::quote;
use polc_lang::ir::Effect;
use polc_lang::ir::{Origin, Policy, PolicyName, SignalDir};
use serde::Serialize;

/// Why a request is allowed or denied by a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The policy asked.
    pub policy: PolicyName,
    /// The request.
    pub request: Request,
    /// The decision.
    pub allowed: bool,
    /// Why: `allowed`, `denied` (a deny rule matched) or `default-deny` (no rule matched).
    pub reason: Reason,
    /// The deciding rules: the matching denies when denied, the matching allows when
    /// allowed, none for a default deny.
    pub deciding: Vec<ExplainedRule>,
    /// When a deny decided: the allow rules that would have granted the request.
    pub overridden: Vec<ExplainedRule>,
    /// For an allowed `exec`: the policy the executed file runs under, when it has a
    /// transition (`as NAME`); absent when it stays in this policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec_as: Option<PolicyName>,
    /// For an allowed `exec`: how it runs beyond `exec_as` (child, fallback, unconfined).
    #[serde(skip_serializing_if = "polc_lang::ir::ExecMode::is_plain")]
    pub exec_mode: polc_lang::ir::ExecMode,
    /// A deciding rule is `audit`ed: the access is logged (absent when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub audited: bool,
}

/// One rule taking part in an explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExplainedRule {
    /// Which list of the IR.
    pub kind: RuleKind,
    /// Index in that list.
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// The rule as the language writes it (after merging, variables substituted).
    pub rule: String,
    /// The statements behind it that concern the request, with file:line:col and the
    /// chain of `use` that pulled them in.
    pub origins: Vec<Origin>,
}

/// Decide `request` against `policy` with the evaluator (the reference semantics) and
/// explain the decision.
pub fn explain(policy: &Policy, request: &Request) -> Explanation {
    let decision = evaluate(policy, request);
    let deciding = decision
        .deciding
        .iter()
        .map(|r| explained(policy, r, r.index))
        .collect();
    let overridden = if decision.reason == Reason::Denied {
        overridden_allows(policy, request)
    } else {
        Vec::new()
    };
    Explanation {
        policy: policy.name.clone(),
        request: request.clone(),
        allowed: decision.allowed,
        reason: decision.reason,
        deciding,
        overridden,
        exec_as: decision.exec_as,
        exec_mode: decision.exec_mode,
        audited: decision.audited,
    }
}

fn explained(policy: &Policy, r: &RuleRef, index: usize) -> ExplainedRule {
    ExplainedRule {
        kind: r.kind,
        index,
        effect: r.effect,
        rule: describe_rule(policy, r.kind, index).unwrap_or_default(),
        origins: r.origins.clone(),
    }
}

/// The allow rules that match a request a deny refused: evaluate again without the
/// deny rules, and map the indices back to the full policy.
fn overridden_allows(policy: &Policy, request: &Request) -> Vec<ExplainedRule> {
    fn keep_allows<T: Clone>(rules: &[T], effect: impl Fn(&T) -> Effect) -> (Vec<T>, Vec<usize>) {
        rules
            .iter()
            .enumerate()
            .filter(|(_, r)| effect(r) == Effect::Allow)
            .map(|(i, r)| (r.clone(), i))
            .unzip()
    }
    let mut allows = policy.clone();
    let (files, file_map) = keep_allows(&policy.files, |r| r.effect);
    let (net, net_map) = keep_allows(&policy.net, |r| r.effect);
    let (caps, cap_map) = keep_allows(&policy.capabilities, |r| r.effect);
    let (signals, signal_map) = keep_allows(&policy.signals, |r| r.effect);
    let (unix, unix_map) = keep_allows(&policy.unix, |r| r.effect);
    let (families, family_map) = keep_allows(&policy.net_families, |r| r.effect);
    allows.unix = unix;
    allows.net_families = families;
    let (ptrace, ptrace_map) = keep_allows(&policy.ptrace, |r| r.effect);
    let (dbus, dbus_map) = keep_allows(&policy.dbus, |r| r.effect);
    allows.dbus = dbus;
    allows.files = files;
    allows.net = net;
    allows.capabilities = caps;
    allows.signals = signals;
    allows.ptrace = ptrace;
    let decision = evaluate(&allows, request);
    if !decision.allowed {
        return Vec::new();
    }
    decision
        .deciding
        .iter()
        .filter_map(|r| {
            let map = match r.kind {
                RuleKind::File => &file_map,
                RuleKind::Net => &net_map,
                RuleKind::Capability => &cap_map,
                RuleKind::Signal => &signal_map,
                RuleKind::Unix => &unix_map,
                RuleKind::NetFamily => &family_map,
                RuleKind::Ptrace => &ptrace_map,
                RuleKind::Dbus => &dbus_map,
            };
            map.get(r.index).map(|&i| explained(policy, r, i))
        })
        .collect()
}

/// One IR rule as the language writes it, e.g. `allow read write append "/srv/**"` or
/// `allow net bind tcp 8080-8089`; `None` when the index is out of range.
pub fn describe_rule(policy: &Policy, kind: RuleKind, index: usize) -> Option<String> {
    let (audit, owner) = match kind {
        RuleKind::File => policy.files.get(index).map(|r| (r.audit, r.owner)),
        RuleKind::Net => policy.net.get(index).map(|r| (r.audit, false)),
        RuleKind::Capability => policy.capabilities.get(index).map(|r| (r.audit, false)),
        RuleKind::Signal => policy.signals.get(index).map(|r| (r.audit, false)),
        RuleKind::Unix => policy.unix.get(index).map(|r| (r.audit, false)),
        RuleKind::NetFamily => policy.net_families.get(index).map(|r| (r.audit, false)),
        RuleKind::Ptrace => policy.ptrace.get(index).map(|_| (false, false)),
        RuleKind::Dbus => policy.dbus.get(index).map(|r| (r.audit, false)),
    }?;
    let text = describe_plain(policy, kind, index)?;
    // `audit` before the effect keyword, `owner` after it, as the language writes them.
    let text = match text.split_once(' ') {
        Some((effect, rest)) if owner => format!("{effect} owner {rest}"),
        _ => text,
    };
    Some(if audit { format!("audit {text}") } else { text })
}

fn describe_plain(policy: &Policy, kind: RuleKind, index: usize) -> Option<String> {
    match kind {
        RuleKind::File => policy.files.get(index).map(|r| {
            let mut s = format!(
                "{} {} {}",
                r.effect.keyword(),
                r.rights,
                quote(&r.path_text())
            );
            s.push_str(&r.exec_mode.suffix(r.exec_as.as_ref()));
            s
        }),
        RuleKind::Net => policy.net.get(index).map(|r| {
            let op = match r.op {
                polc_lang::ir::NetOp::Connect => "connect",
                polc_lang::ir::NetOp::Bind => "bind",
            };
            let proto = polc_lang::ir::text::proto_word(r.proto, r.family);
            let mut s = format!("{} net {op} {proto}", r.effect.keyword());
            if r.ports != polc_lang::ir::PortRange::ALL {
                s.push_str(&format!(" {}", r.ports));
            }
            s
        }),
        RuleKind::Capability => policy
            .capabilities
            .get(index)
            .map(|r| format!("{} capability {}", r.effect.keyword(), r.capability)),
        RuleKind::Signal => policy.signals.get(index).map(|r| {
            let (dir, word) = match r.direction {
                SignalDir::Send => ("send", "to"),
                SignalDir::Receive => ("receive", "from"),
            };
            let mut s = format!("{} signal {dir}", r.effect.keyword());
            if !r.signals.is_empty() {
                let sigs: Vec<&str> = r.signals.iter().map(String::as_str).collect();
                s.push(' ');
                s.push_str(&sigs.join(", "));
            }
            s.push_str(&format!(" {word} {}", r.peer));
            s
        }),
        RuleKind::Unix => policy.unix.get(index).map(|r| r.text()),
        RuleKind::NetFamily => policy.net_families.get(index).map(|r| r.text()),
        RuleKind::Ptrace => policy
            .ptrace
            .get(index)
            .map(polc_lang::ir::ptrace::ptrace_rule_text),
        // `describe_rule` writes `audit` itself.
        RuleKind::Dbus => policy.dbus.get(index).map(|r| {
            polc_lang::ir::DbusRule {
                audit: false,
                origins: Vec::new(),
                ..r.clone()
            }
            .text()
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use polc_lang::glob::Glob;
    use polc_lang::ir::{CapRule, FileRule, NetOp, NetRule, PortRange, Proto, SignalRule};
    use polc_lang::rights::{Right, Rights};

    fn policy() -> Policy {
        Policy {
            files: vec![FileRule {
                audit: false,
                owner: false,
                dir_only: false,
                effect: Effect::Allow,
                glob: Glob::parse("/usr/bin/x \"y\"").unwrap(),
                rights: Rights::one(Right::Exec).insert(Right::Read),
                exec_as: Some(PolicyName::new("org.example.child").unwrap()),
                origins: Vec::new(),
                exec_mode: Default::default(),
            }],
            net: vec![
                NetRule {
                    audit: false,
                    effect: Effect::Deny,
                    op: NetOp::Bind,
                    proto: Proto::Udp,
                    family: None,
                    ports: PortRange { lo: 8000, hi: 8080 },
                    origins: Vec::new(),
                },
                NetRule {
                    audit: false,
                    effect: Effect::Allow,
                    op: NetOp::Connect,
                    proto: Proto::Tcp,
                    family: None,
                    ports: PortRange::ALL,
                    origins: Vec::new(),
                },
            ],
            capabilities: vec![CapRule {
                audit: false,
                effect: Effect::Allow,
                capability: "setuid".into(),
                origins: Vec::new(),
            }],
            signals: vec![SignalRule {
                audit: false,
                effect: Effect::Allow,
                direction: SignalDir::Receive,
                peer: PolicyName::new("org.example.app").unwrap().into(),
                signals: ["term".to_string(), "hup".to_string()].into(),
                origins: Vec::new(),
            }],
            ..Policy::empty(PolicyName::new("org.example.app").unwrap())
        }
    }

    #[test]
    fn rules_are_described_in_the_language() {
        let p = policy();
        let d = |k, i| describe_rule(&p, k, i).unwrap();
        assert_eq!(
            d(RuleKind::File, 0),
            r#"allow read exec "/usr/bin/x \"y\"" as org.example.child"#
        );
        assert_eq!(d(RuleKind::Net, 0), "deny net bind udp 8000-8080");
        assert_eq!(d(RuleKind::Net, 1), "allow net connect tcp");
        assert_eq!(d(RuleKind::Capability, 0), "allow capability setuid");
        assert_eq!(
            d(RuleKind::Signal, 0),
            "allow signal receive hup, term from org.example.app"
        );
        assert_eq!(describe_rule(&p, RuleKind::Signal, 1), None);
    }
}
