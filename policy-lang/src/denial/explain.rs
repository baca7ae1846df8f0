//! A denial against a policy: which rule refuses each access, or that no allow covers it,
//! and the rule to add.

use super::{Access, Denial, PathHint};
use crate::diff::{file_rule_text, net_rule_text, quote, signal_rule_text, RuleCite};
use crate::eval::{evaluate, Reason, Request, RequestPeer};
use crate::glob::Glob;
use crate::ir::text::proto_word;
use crate::ir::Effect;
use crate::ir::{NetOp, Policy, PolicyName, SignalDir};
use crate::rights::Rights;
use serde::Serialize;

/// What the policy says about a refused access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The policy allows it: the kernel refused it for another reason (how the backend
    /// enforces the rule, another policy, another security layer).
    AllowedByPolicy,
    /// Deny rules of the policy refuse it: they would need to change.
    DeniedByRule,
    /// No allow rule covers it: one would need to be added.
    NoAllow,
    /// The log does not say enough to decide; the rules that may apply are listed.
    Undetermined,
    /// polc policies cannot express it.
    Unmapped,
}

/// One refused access, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessExplanation {
    /// The access.
    pub access: Access,
    /// What the policy says.
    pub verdict: Verdict,
    /// The deny rules that refuse it (when undetermined: that may).
    pub blocking: Vec<RuleCite>,
    /// The allow rules that grant it (when undetermined: that may).
    pub granting: Vec<RuleCite>,
    /// A rule that would allow it, as policy text.
    pub suggestion: Option<String>,
    /// Caveats, one line each.
    pub notes: Vec<String>,
    /// Whether each backend asked about would enforce exactly the policy's decision (only
    /// for accesses the log names completely; filled by callers that have the backends'
    /// fidelity reports, see [`crate::diff::target::decision_fidelity`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<crate::diff::target::Enforcement>,
}

/// A denial explained against a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DenialExplanation {
    /// The policy explained against.
    pub policy: PolicyName,
    /// Set when the log is about another policy than this one (its name).
    pub other_policy: Option<String>,
    /// The parsed record.
    pub denial: Denial,
    /// Each refused access.
    pub accesses: Vec<AccessExplanation>,
}

/// Explain every access of `denial` against `policy`.
pub fn explain(policy: &Policy, denial: &Denial) -> DenialExplanation {
    let other_policy = denial
        .subject_policy
        .clone()
        .filter(|n| n != policy.name.as_str());
    DenialExplanation {
        policy: policy.name.clone(),
        other_policy,
        denial: denial.clone(),
        accesses: denial
            .accesses
            .iter()
            .map(|a| explain_access(policy, a, owns(denial)))
            .collect(),
    }
}

/// Whether the process owned the file of a file denial, when the record says: AppArmor
/// logs the process's file-system uid and the file's owner (`fsuid`, `ouid`), which
/// decide its `owner` rules.
fn owns(denial: &Denial) -> Option<bool> {
    let uid = |k: &str| denial.fields.get(k).and_then(|v| v.parse::<u64>().ok());
    Some(uid("fsuid")? == uid("ouid")?)
}

fn explain_access(policy: &Policy, access: &Access, owned: Option<bool>) -> AccessExplanation {
    let mut out = AccessExplanation {
        access: access.clone(),
        verdict: Verdict::Undetermined,
        blocking: Vec::new(),
        granting: Vec::new(),
        suggestion: None,
        notes: Vec::new(),
        targets: Vec::new(),
    };
    if let Access::Unmapped { .. } = access {
        out.verdict = Verdict::Unmapped;
        return out;
    }
    if let Some(mut req) = access.request() {
        if let (Request::File { owner, .. }, Some(o)) = (&mut req, owned) {
            *owner = o;
        }
        exact(policy, &req, &mut out);
    } else {
        partial(policy, access, &mut out);
    }
    out
}

/// A request the log names completely: ask the evaluator.
fn exact(policy: &Policy, req: &Request, out: &mut AccessExplanation) {
    let d = evaluate(policy, req);
    let cites = |effect: Effect| -> Vec<RuleCite> {
        matching(policy, req)
            .into_iter()
            .filter(|c| c.effect == effect)
            .collect()
    };
    match d.reason {
        Reason::Allowed => {
            out.verdict = Verdict::AllowedByPolicy;
            out.granting = cites(Effect::Allow);
            out.notes.push(
                "the policy allows this: the kernel refused it for another reason (see `--target` for how the backend enforces the rule)"
                    .into(),
            );
        }
        Reason::Denied => {
            out.verdict = Verdict::DeniedByRule;
            out.blocking = cites(Effect::Deny);
            out.granting = cites(Effect::Allow);
            if out.granting.is_empty() {
                out.suggestion = suggestion(req, &mut out.notes);
            }
        }
        Reason::DefaultDeny => {
            out.verdict = Verdict::NoAllow;
            out.suggestion = suggestion(req, &mut out.notes);
        }
    }
}

/// Every rule of `policy` that matches `req`, cited (file rules with the origins of the
/// requested right).
fn matching(policy: &Policy, req: &Request) -> Vec<RuleCite> {
    // The evaluator lists only the deciding side; both sides are wanted here.
    match req {
        Request::File {
            path,
            right,
            owner,
            dir,
        } => policy
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.decides(path, *right, *owner, *dir))
            .map(|(i, f)| file_cite(i, f, Rights::one(*right)))
            .collect(),
        Request::Net {
            op,
            proto,
            family,
            port,
        } => policy
            .net
            .iter()
            .enumerate()
            .filter(|(_, n)| crate::eval::net_rule_matches(n, *op, *proto, *family, *port))
            .map(|(i, n)| cite(i, n.effect, net_rule_text(n), n.origins.clone()))
            .collect(),
        Request::Capability { name } => policy
            .capabilities
            .iter()
            .enumerate()
            .filter(|(_, c)| &c.capability == name)
            .map(|(i, c)| {
                cite(
                    i,
                    c.effect,
                    crate::diff::cap_rule_text(c),
                    c.origins.clone(),
                )
            })
            .collect(),
        Request::Signal {
            direction,
            peer,
            signal,
        } => {
            let peer = if peer == "self" {
                policy.name.as_str()
            } else {
                peer.as_str()
            };
            policy
                .signals
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.direction == *direction
                        && s.peer.covers(peer)
                        && (s.signals.is_empty() || s.signals.contains(signal))
                })
                .map(|(i, s)| cite(i, s.effect, signal_rule_text(s), s.origins.clone()))
                .collect()
        }
        Request::Unix { .. } => crate::eval::unix::matching_indices(policy, req)
            .into_iter()
            .filter_map(|i| policy.unix.get(i).map(|r| (i, r)))
            .map(|(i, r)| cite(i, r.effect, r.text(), r.origins.clone()))
            .collect(),
        Request::NetFamily { .. } => crate::eval::unix::matching_indices(policy, req)
            .into_iter()
            .filter_map(|i| policy.net_families.get(i).map(|r| (i, r)))
            .map(|(i, r)| cite(i, r.effect, r.text(), r.origins.clone()))
            .collect(),
        Request::Ptrace {
            direction,
            access,
            peer,
        } => crate::ir::ptrace::matching_rules(policy, *direction, *access, peer)
            .into_iter()
            .filter_map(|i| policy.ptrace.get(i).map(|r| (i, r)))
            .map(|(i, r)| {
                let text = crate::ir::ptrace::ptrace_rule_text(r);
                cite(i, r.effect, text, r.origins.clone())
            })
            .collect(),
        Request::Dbus(d) => crate::eval::dbus::matching_indices(policy, d)
            .into_iter()
            .filter_map(|i| policy.dbus.get(i).map(|r| (i, r)))
            .map(|(i, r)| cite(i, r.effect, r.text(), r.origins.clone()))
            .collect(),
    }
}

impl AccessExplanation {
    /// A rule that may decide the access: among the granting or the blocking ones.
    fn may_apply(&mut self, c: RuleCite) {
        match c.effect {
            Effect::Allow => self.granting.push(c),
            Effect::Deny => self.blocking.push(c),
        }
    }

    /// Without a granting rule the access needs one; with some, the log leaves it open.
    fn settle(&mut self) {
        self.verdict = if self.granting.is_empty() {
            Verdict::NoAllow
        } else {
            Verdict::Undetermined
        };
    }
}

fn cite(index: usize, effect: Effect, rule: String, origins: Vec<crate::ir::Origin>) -> RuleCite {
    RuleCite {
        index,
        effect,
        rule,
        origins,
    }
}

fn file_cite(i: usize, f: &crate::ir::FileRule, rights: Rights) -> RuleCite {
    let some: Vec<crate::ir::Origin> = f
        .origins
        .iter()
        .filter(|o| !o.rights.with_implied().intersection(rights).is_empty())
        .map(|o| o.origin.clone())
        .collect();
    let origins = if some.is_empty() {
        f.origins.iter().map(|o| o.origin.clone()).collect()
    } else {
        some
    };
    cite(i, f.effect, file_rule_text(f), origins)
}

/// A glob literal for `path`: the path itself, with glob characters (which cannot be
/// escaped) replaced by `?`.
fn literal_glob(path: &str, notes: &mut Vec<String>) -> String {
    if path.contains(['*', '?', '{', '}', '[']) {
        notes.push(format!(
            "`{path}` holds glob characters, which a policy string cannot escape: the suggested rule writes each as `?`"
        ));
        path.chars()
            .map(|c| {
                if matches!(c, '*' | '?' | '{' | '}' | '[') {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    } else {
        path.to_string()
    }
}

fn suggestion(req: &Request, notes: &mut Vec<String>) -> Option<String> {
    Some(match req {
        Request::File {
            path, right, dir, ..
        } => {
            // On a directory, a directory-only rule when the right applies to one. A file
            // the process owns gets a plain rule too: `owner` is a refinement the author
            // chooses, not what the record asks for.
            let dir_only = *dir && crate::rights::Rights::NARROWED_ON_DIRECTORIES.contains(*right);
            let glob = crate::ir::dir_path_text_of(&literal_glob(path, notes), dir_only);
            format!("allow {right} {}", quote(&glob))
        }
        // Both IP versions, even when the record names one: which one a program uses
        // depends on the addresses its name resolution returns at run time.
        Request::Net {
            op, proto, port, ..
        } => {
            format!(
                "allow net {} {} {port}",
                op_word(*op),
                proto_word(*proto, None)
            )
        }
        Request::Capability { name } => format!("allow capability {name}"),
        Request::Signal {
            direction,
            peer,
            signal,
        } => {
            if crate::ir::Peer::new(peer).is_err() && peer != "self" {
                notes.push(format!(
                    "`{peer}` is not a policy name: no signal rule can name it"
                ));
                return None;
            }
            match direction {
                SignalDir::Send => format!("allow signal send {signal} to {peer}"),
                SignalDir::Receive => format!("allow signal receive {signal} from {peer}"),
            }
        }
        Request::Unix { .. } | Request::NetFamily { .. } => {
            return crate::eval::unix::suggestion(req)
        }
        Request::Ptrace {
            direction,
            access,
            peer,
        } => {
            if crate::ir::Peer::new(peer).is_err() && peer != "self" {
                notes.push(format!(
                    "`{peer}` is not a policy name: no ptrace rule can name it"
                ));
                return None;
            }
            format!(
                "allow ptrace {} {} {peer}",
                access.keyword(),
                direction.keyword()
            )
        }
        Request::Dbus(d) => {
            let s = d.suggestion();
            if s.is_none() {
                notes.push(
                    "the record's peer is not a policy name, or a field holds glob characters: no rule can name it exactly"
                        .into(),
                );
            }
            return s;
        }
    })
}

fn op_word(op: NetOp) -> &'static str {
    match op {
        NetOp::Connect => "connect",
        NetOp::Bind => "bind",
    }
}

/// A glob for the paths a partial hint may name (glob characters of names become `?`).
fn hint_glob(hint: &PathHint) -> Option<String> {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if matches!(c, '*' | '?' | '{' | '}' | '[') {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    };
    match hint {
        PathHint::Exact(p) | PathHint::Directory(p) => Some(clean(p)),
        PathHint::ChildOf(d) if d == "/" => Some("/*".into()),
        PathHint::ChildOf(d) => Some(format!("{}/*", clean(d))),
        PathHint::EndsWith(n) if n.is_empty() || n.contains('/') => None,
        PathHint::EndsWith(n) => Some(format!("/{{**/,}}{}", clean(n))),
    }
}

/// The log leaves part of the request open: list the rules that may apply.
fn partial(policy: &Policy, access: &Access, out: &mut AccessExplanation) {
    match access {
        Access::File { path, right } => {
            let Some(text) = hint_glob(path) else {
                out.notes.push("the record names no usable path".into());
                return;
            };
            let Ok(set) = Glob::parse(&text) else {
                out.notes.push(format!("`{text}` is not a valid glob"));
                return;
            };
            for (i, f) in policy.files.iter().enumerate() {
                if f.rights.contains(*right) && f.glob.intersects(&set) {
                    out.may_apply(file_cite(i, f, Rights::one(*right)));
                }
            }
            let covered = policy.files.iter().any(|f| {
                f.effect == Effect::Allow && f.rights.contains(*right) && set.is_subset(&f.glob)
            });
            out.verdict = if out.granting.is_empty() {
                Verdict::NoAllow
            } else if covered && out.blocking.is_empty() {
                Verdict::AllowedByPolicy
            } else {
                Verdict::Undetermined
            };
            if out.verdict != Verdict::AllowedByPolicy {
                out.suggestion = Some(format!("allow {right} {}", quote(&text)));
                out.notes.push(format!(
                    "the record does not name the whole path: the suggested rule covers {path}; narrow it to the entry the program needs"
                ));
            }
        }
        Access::Net {
            op,
            proto,
            family,
            port,
        } => {
            for (i, n) in policy.net.iter().enumerate() {
                let fits = n.proto == *proto
                    && family.is_none_or(|f| f.covered_by(n.family))
                    && op.is_none_or(|o| o == n.op)
                    && port.is_none_or(|p| n.ports.contains(p));
                if fits {
                    out.may_apply(cite(i, n.effect, net_rule_text(n), n.origins.clone()));
                }
            }
            out.settle();
            if out.verdict == Verdict::NoAllow {
                if let Some(op) = op {
                    out.suggestion = Some(format!(
                        "allow net {} {}",
                        op_word(*op),
                        proto_word(*proto, None)
                    ));
                    out.notes.push("the record has no port: the suggested rule allows every port; add the one the program needs".into());
                }
            }
        }
        Access::Signal {
            direction,
            peer,
            signal,
        } => {
            let peer_name = peer
                .as_deref()
                .map(|p| if p == "self" { policy.name.as_str() } else { p });
            for (i, s) in policy.signals.iter().enumerate() {
                let fits = s.direction == *direction
                    && peer_name.is_none_or(|p| s.peer.covers(p))
                    && signal
                        .as_deref()
                        .is_none_or(|sig| s.signals.is_empty() || s.signals.contains(sig));
                if fits {
                    out.may_apply(cite(i, s.effect, signal_rule_text(s), s.origins.clone()));
                }
            }
            out.settle();
            if let (Verdict::NoAllow, Some(p)) = (out.verdict, peer) {
                if crate::ir::Peer::new(p).is_ok() {
                    let word = match direction {
                        SignalDir::Send => "send",
                        SignalDir::Receive => "receive",
                    };
                    let prep = match direction {
                        SignalDir::Send => "to",
                        SignalDir::Receive => "from",
                    };
                    out.suggestion = Some(format!("allow signal {word} {prep} {p}"));
                    out.notes.push("the record does not name the signal: the suggested rule allows every signal; list the ones the program sends".into());
                }
            }
        }
        Access::Unix {
            op,
            sock_type,
            addr,
            peer,
        } => {
            let addr = addr.as_deref().map(super::unix_addr);
            let peer = peer.as_deref().map(RequestPeer::parse);
            for (i, r) in policy.unix.iter().enumerate() {
                let fits = op.is_none_or(|o| r.ops.contains(&o))
                    && sock_type.is_none_or(|t| r.sock_type.is_none_or(|rt| rt == t))
                    && addr
                        .as_ref()
                        .is_none_or(|a| crate::eval::unix::addr_matches(&r.addr, a))
                    && peer.as_ref().is_none_or(|p| {
                        crate::eval::unix::peer_matches(&r.peer, p, policy.name.as_str())
                    });
                if fits {
                    out.may_apply(cite(i, r.effect, r.text(), r.origins.clone()));
                }
            }
            out.settle();
            if op.is_none() {
                out.notes.push("creating the socket (and its options, attributes and shutdown) comes with every allowed unix rule of its type: allow the operation the program performs on it".into());
            } else {
                out.notes.push("the record does not say everything a unix rule names (type, address, peer): the rules that may apply are listed".into());
            }
        }
        Access::Dbus {
            op,
            bus,
            path,
            interface,
            member,
            name,
            peer,
            ..
        } => {
            // A field the record does not give may hold anything.
            let fits_name = |pat: &Option<String>, v: &Option<String>| match (pat, v) {
                (Some(p), Some(v)) => crate::ir::dbus::name_matches(p, v),
                _ => true,
            };
            let peer = peer.as_deref().map(RequestPeer::parse);
            for (i, r) in policy.dbus.iter().enumerate() {
                let fits = r.ops.contains(op)
                    && bus
                        .as_ref()
                        .is_none_or(|b| r.bus.as_ref().is_none_or(|rb| rb == b))
                    && match (&r.path, path) {
                        (Some(g), Some(p)) => g.matches(p),
                        _ => true,
                    }
                    && fits_name(&r.interface, interface)
                    && fits_name(&r.member, member)
                    && fits_name(&r.name, name)
                    && peer.as_ref().is_none_or(|p| match p {
                        RequestPeer::Unconfined => r.peer.covers(crate::ir::peer::UNCONFINED),
                        RequestPeer::Policy(n) => r.peer.covers(n),
                    });
                if fits {
                    out.may_apply(cite(i, r.effect, r.text(), r.origins.clone()));
                }
            }
            out.settle();
        }
        Access::Ptrace {
            direction,
            access,
            peer: None,
        } => {
            for (i, r) in policy.ptrace.iter().enumerate() {
                if r.direction == *direction && r.access.contains(access) {
                    let text = crate::ir::ptrace::ptrace_rule_text(r);
                    out.may_apply(cite(i, r.effect, text, r.origins.clone()));
                }
            }
            out.settle();
            out.notes.push(
                "the record names no peer policy: the rules that may apply are listed".into(),
            );
        }
        Access::Capability { .. }
        | Access::NetFamily { .. }
        | Access::Ptrace { .. }
        | Access::Unmapped { .. } => {}
    }
}
