//! Fidelity reports: how exactly a backend expresses each rule of the IR.
//!
//! Every backend returns, beside its output, one [`RuleFidelity`] per IR rule (and per
//! policy-level construct such as the mode): `exact`, `narrowed` (the kernel enforces
//! less access than the rule grants: safe, but the app may break), `widened` (the kernel
//! allows more than the rule grants: a security gap) or `unsupported`. Strict mode fails
//! on `widened` and `unsupported`, unless the policy acknowledged it: an entry is
//! *accepted* ([`RuleFidelity::accepted_by`]) when every statement behind it is in an
//! `accept` block naming its fidelity and the report's backend. Serialized, an accepted
//! entry has an `accepted` field holding the reason.

use crate::eval::{Request, RuleKind};
use crate::ir::{Mode, Origin};
use crate::ir::{NetOp, Proto};
use crate::rights::Rights;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How exactly a rule is enforced. Ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fidelity {
    /// The kernel enforces exactly the rule.
    Exact,
    /// The kernel enforces less access than the rule grants.
    Narrowed,
    /// The kernel allows more than the rule grants.
    Widened,
    /// The backend cannot express the rule at all.
    Unsupported,
}

impl Fidelity {
    /// True for `widened` and `unsupported`, which strict mode refuses.
    pub fn fails_strict(self) -> bool {
        matches!(self, Fidelity::Widened | Fidelity::Unsupported)
    }

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Fidelity::Exact => "exact",
            Fidelity::Narrowed => "narrowed",
            Fidelity::Widened => "widened",
            Fidelity::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for Fidelity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What part of the policy a fidelity entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Subject {
    /// A rule: its list and index in the IR.
    Rule {
        /// Which list.
        list: RuleListKind,
        /// Index in the list.
        index: usize,
    },
    /// The policy's mode (`complain`).
    Mode,
    /// The `attach` declaration.
    Attach,
    /// The `owns` declaration at this index.
    Owns {
        /// Index in `Policy::owns`.
        index: usize,
    },
    /// A child policy or hat as a whole (`Policy::children` at this index).
    Child {
        /// Index in `Policy::children`.
        child: usize,
    },
    /// A rule of a child policy or hat: its list and index in the child's policy.
    ChildRule {
        /// Index in `Policy::children`.
        child: usize,
        /// Which list of the child's policy.
        list: RuleListKind,
        /// Index in the list.
        index: usize,
    },
}

/// Which rule list (mirrors [`RuleKind`], kept serializable both ways).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleListKind {
    /// File rules.
    File,
    /// Network rules.
    Net,
    /// Capability rules.
    Capability,
    /// Signal rules.
    Signal,
    /// Unix-socket rules.
    Unix,
    /// Network-family rules.
    #[serde(rename = "net_family")]
    NetFamily,
    /// Ptrace rules.
    Ptrace,
    /// D-Bus rules.
    Dbus,
}

impl From<RuleKind> for RuleListKind {
    fn from(k: RuleKind) -> Self {
        match k {
            RuleKind::File => RuleListKind::File,
            RuleKind::Net => RuleListKind::Net,
            RuleKind::Capability => RuleListKind::Capability,
            RuleKind::Signal => RuleListKind::Signal,
            RuleKind::Unix => RuleListKind::Unix,
            RuleKind::NetFamily => RuleListKind::NetFamily,
            RuleKind::Ptrace => RuleListKind::Ptrace,
            RuleKind::Dbus => RuleListKind::Dbus,
        }
    }
}

/// The one way backends build entries: `RuleFidelity::rule(list, index, fidelity, reason,
/// text, origins)` for a rule, [`RuleFidelity::new`] for another subject, then
/// [`RuleFidelity::for_rights`] when the entry is about some of a file rule's rights.
impl RuleFidelity {
    /// An entry about a whole subject.
    pub fn new(
        subject: Subject,
        fidelity: Fidelity,
        reason: impl Into<String>,
        rule: impl Into<String>,
        origins: Vec<Origin>,
    ) -> RuleFidelity {
        RuleFidelity {
            subject,
            rights: None,
            fidelity,
            reason: reason.into(),
            rule: rule.into(),
            origins,
        }
    }

    /// An entry about the rule at `index` of the list `list`.
    pub fn rule(
        list: RuleListKind,
        index: usize,
        fidelity: Fidelity,
        reason: impl Into<String>,
        rule: impl Into<String>,
        origins: Vec<Origin>,
    ) -> RuleFidelity {
        RuleFidelity::new(
            Subject::Rule { list, index },
            fidelity,
            reason,
            rule,
            origins,
        )
    }

    /// An entry about the policy's mode.
    pub fn mode(mode: Mode, fidelity: Fidelity, reason: impl Into<String>) -> RuleFidelity {
        RuleFidelity::new(
            Subject::Mode,
            fidelity,
            reason,
            mode.statement(),
            Vec::new(),
        )
    }

    /// The entry, about these rights of its file rule only (`None`: the whole rule).
    pub fn for_rights(mut self, rights: Option<Rights>) -> RuleFidelity {
        self.rights = rights;
        self
    }
}

/// The fidelity of one subject (or of some of a file rule's rights).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFidelity {
    /// What it is about.
    pub subject: Subject,
    /// For file rules: the rights this entry is about (a rule may be exact for some rights
    /// and widened for others). `None`: the whole subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
    /// How exactly it is enforced.
    pub fidelity: Fidelity,
    /// Why, in one line (empty for `exact`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The rule as the policy states it, in one line (for reports).
    pub rule: String,
    /// Where the subject came from.
    pub origins: Vec<Origin>,
}

impl RuleFidelity {
    /// The reason the policy gives for accepting this entry's fidelity on `backend` (the
    /// `backend` of the report holding it), or `None`: only a `widened` or `unsupported`
    /// entry with origins can be accepted, and only when every one of its origins (each
    /// statement behind it) carries an acceptance of that fidelity on that backend. The
    /// reason is the first origin's. This is the one place that decides it: strict mode,
    /// reports, `explain` and `diff` all ask here.
    pub fn accepted_by(&self, backend: &str) -> Option<&str> {
        if !self.fidelity.fails_strict() {
            return None;
        }
        let mut reason = None;
        for o in &self.origins {
            let a = o
                .accepts
                .iter()
                .find(|a| a.covers(self.fidelity, backend))?;
            reason.get_or_insert(a.reason.as_str());
        }
        reason
    }
}

/// A backend's fidelity report for one compiled policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ReportOut")]
pub struct FidelityReport {
    /// `apparmor`, `selinux` or `landlock`.
    pub backend: String,
    /// The target, e.g. `abi 3.0`.
    pub target: String,
    /// One entry per subject (several for a file rule whose rights differ in fidelity).
    pub entries: Vec<RuleFidelity>,
    /// Requests the kernel allows whatever the policy says: what no rule grants (default
    /// deny) or a deny refuses, but the backend cannot refuse. Not a rule's fidelity, so
    /// strict mode does not fail on it; `explain --target` reads it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrestricted: Vec<Unrestricted>,
}

/// A kind of request the kernel allows whatever the policy says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unrestricted {
    /// Which requests.
    #[serde(flatten)]
    pub access: AccessClass,
    /// Why, in one line.
    pub reason: String,
}

/// A class of requests, as [`Unrestricted`] names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum AccessClass {
    /// Network operations of a protocol, on every port.
    Net {
        /// The operation; `None`: connect and bind.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op: Option<NetOp>,
        /// The protocol.
        proto: Proto,
        /// The IP version; `None`: both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        family: Option<crate::ir::IpFamily>,
    },
}

impl AccessClass {
    /// True when `request` is of this class.
    pub fn covers(&self, request: &Request) -> bool {
        match (self, request) {
            (
                AccessClass::Net { op, proto, family },
                Request::Net {
                    op: rop,
                    proto: rproto,
                    family: rfamily,
                    ..
                },
            ) => {
                proto == rproto
                    && op.is_none_or(|o| o == *rop)
                    && family.is_none_or(|f| *rfamily == Some(f))
            }
            _ => false,
        }
    }
}

impl FidelityReport {
    /// The entries of the rules of child policy `child` (`Policy::children` at that
    /// index) as a policy of its own would have them (`Subject::ChildRule` becomes
    /// `Subject::Rule`): to judge a child as a policy.
    pub fn child_entries(&self, child: usize) -> Vec<RuleFidelity> {
        self.entries
            .iter()
            .filter_map(|e| match e.subject {
                Subject::ChildRule {
                    child: c,
                    list,
                    index,
                } if c == child => {
                    let mut e = e.clone();
                    e.subject = Subject::Rule { list, index };
                    Some(e)
                }
                _ => None,
            })
            .collect()
    }

    /// The worst fidelity of any entry (`exact` for an empty report).
    pub fn worst(&self) -> Fidelity {
        self.entries
            .iter()
            .map(|e| e.fidelity)
            .max()
            .unwrap_or(Fidelity::Exact)
    }

    /// The first entry of [`FidelityReport::unrestricted`] that covers `request`.
    pub fn unrestricted_for(&self, request: &Request) -> Option<&Unrestricted> {
        self.unrestricted.iter().find(|u| u.access.covers(request))
    }

    /// The entries strict mode refuses: `widened` and `unsupported` ones the policy did
    /// not accept ([`RuleFidelity::accepted_by`]).
    pub fn strict_violations(&self) -> impl Iterator<Item = &RuleFidelity> {
        self.entries
            .iter()
            .filter(|e| e.fidelity.fails_strict() && self.accepted(e).is_none())
    }

    /// Why the policy accepts `entry` (one of this report's), if it does.
    pub fn accepted<'a>(&self, entry: &'a RuleFidelity) -> Option<&'a str> {
        entry.accepted_by(&self.backend)
    }
}

/// The serialized form of a report: each entry with its `accepted` reason, if any.
#[derive(Serialize)]
struct ReportOut {
    backend: String,
    target: String,
    entries: Vec<EntryOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unrestricted: Vec<Unrestricted>,
}

/// An entry as serialized: its fields, then `accepted`.
#[derive(Serialize)]
struct EntryOut {
    #[serde(flatten)]
    entry: RuleFidelity,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<String>,
}

impl From<FidelityReport> for ReportOut {
    fn from(r: FidelityReport) -> ReportOut {
        let entries = r
            .entries
            .iter()
            .map(|e| EntryOut {
                accepted: r.accepted(e).map(str::to_string),
                entry: e.clone(),
            })
            .collect();
        ReportOut {
            backend: r.backend,
            target: r.target,
            entries,
            unrestricted: r.unrestricted,
        }
    }
}
