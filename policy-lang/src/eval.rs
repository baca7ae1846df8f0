//! The evaluator: the reference semantics of a policy (stub: being implemented).
//!
//! Default deny; a request is allowed when some `allow` rule matches it and no `deny`
//! rule does (`deny` wins); rule order does not matter.

use crate::ast::Effect;
use crate::ir::{NetOp, Origin, Policy, PolicyName, Proto, SignalDir};
use crate::rights::Right;
use serde::Serialize;

/// An access to decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Request {
    /// A file access: one right on one path.
    File {
        /// An absolute, normalized path.
        path: String,
        /// The right.
        right: Right,
    },
    /// A network operation.
    Net {
        /// Connect or bind.
        op: NetOp,
        /// TCP or UDP.
        proto: Proto,
        /// The port.
        port: u16,
    },
    /// Use of a capability (lowercase name without `CAP_`).
    Capability {
        /// The capability.
        name: String,
    },
    /// Sending a signal to, or receiving one from, a peer policy.
    Signal {
        /// Send or receive.
        direction: SignalDir,
        /// The peer's policy name.
        peer: String,
        /// The signal (lowercase name without `SIG`, e.g. `term`).
        signal: String,
    },
}

impl Request {
    /// A file request.
    pub fn file(path: &str, right: Right) -> Request {
        Request::File {
            path: path.to_string(),
            right,
        }
    }
}

/// Which list of the IR a rule is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// `Policy::files`
    File,
    /// `Policy::net`
    Net,
    /// `Policy::capabilities`
    Capability,
    /// `Policy::signals`
    Signal,
}

/// A rule that took part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Which list.
    pub kind: RuleKind,
    /// Index in that list.
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// The source statements of the rule that concern this request.
    pub origins: Vec<Origin>,
}

/// Why a request was decided as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No rule matched: default deny.
    DefaultDeny,
    /// Some allow matched and no deny did.
    Allowed,
    /// A deny rule matched (it wins over any allow).
    Denied,
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allowed or not.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The deciding rules: the matching denies when denied, the matching allows when allowed.
    pub deciding: Vec<RuleRef>,
    /// For an allowed `exec`: the policy the executed file runs under (`as NAME`), if any.
    pub exec_as: Option<PolicyName>,
}

/// Decide a request.
pub fn evaluate(_p: &Policy, _r: &Request) -> Decision {
    Decision {
        allowed: false,
        reason: Reason::DefaultDeny,
        deciding: Vec::new(),
        exec_as: None,
    }
}
