//! Acknowledged widenings: what an `accept` block says about the rules inside it.
//!
//! `accept widened on selinux "REASON" { ... }` gives every statement inside an
//! [`Acceptance`] per fidelity and backend it names; lowering keeps them in each rule's
//! [`Origin`](super::Origin)s. A backend's report entry is accepted when every one of its
//! origins accepts its fidelity on that backend
//! ([`RuleFidelity::accepted_by`](crate::fidelity::RuleFidelity::accepted_by)), and strict
//! mode does not refuse it.

use crate::fidelity::Fidelity;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The fidelities an `accept` block may name: those strict mode refuses.
pub const ACCEPTABLE: [Fidelity; 2] = [Fidelity::Widened, Fidelity::Unsupported];

/// A backend an `accept` block names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcceptTarget {
    /// The AppArmor backend (report `apparmor`).
    Apparmor,
    /// The SELinux backend (report `selinux`).
    Selinux,
    /// The Landlock backend (report `landlock`).
    Landlock,
}

impl AcceptTarget {
    /// Every backend, in the order of the docs.
    pub const ALL: [AcceptTarget; 3] = [
        AcceptTarget::Apparmor,
        AcceptTarget::Selinux,
        AcceptTarget::Landlock,
    ];

    /// The keyword, which is also the `backend` of that backend's fidelity report.
    pub fn name(self) -> &'static str {
        match self {
            AcceptTarget::Apparmor => "apparmor",
            AcceptTarget::Selinux => "selinux",
            AcceptTarget::Landlock => "landlock",
        }
    }

    /// The backend of a keyword.
    pub fn from_name(s: &str) -> Option<AcceptTarget> {
        AcceptTarget::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for AcceptTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One fidelity accepted on one backend, for a reason.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Acceptance {
    /// `widened` or `unsupported`.
    pub fidelity: Fidelity,
    /// The backend.
    pub target: AcceptTarget,
    /// Why, as the policy's author wrote it.
    pub reason: String,
}

impl Acceptance {
    /// True when this acceptance covers `fidelity` in the report of `backend`.
    pub fn covers(&self, fidelity: Fidelity, backend: &str) -> bool {
        self.fidelity == fidelity && self.target.name() == backend
    }
}
