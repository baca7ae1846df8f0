//! The other side of a process-to-process rule (signals, ptrace): a policy, any process,
//! or an unconfined process.

use super::{NameError, PolicyName};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The keyword for every process, confined or not.
pub const ANY: &str = "any";
/// The keyword for processes no policy confines.
pub const UNCONFINED: &str = "unconfined";

/// The peer of a signal or ptrace rule. `self` is resolved to the policy's own name by
/// lowering. In the IR's JSON it is one string: the policy name, `any` or `unconfined`
/// (both are reserved: no policy may take these names, so the string is unambiguous).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Peer {
    /// Processes confined by this policy.
    Policy(PolicyName),
    /// Every process: confined by any policy, or unconfined.
    Any,
    /// Processes that no policy confines.
    Unconfined,
}

impl Peer {
    /// Read a peer keyword or policy name (not `self`, which lowering resolves to the
    /// policy's own name).
    pub fn new(s: &str) -> Result<Peer, NameError> {
        match s {
            ANY => Ok(Peer::Any),
            UNCONFINED => Ok(Peer::Unconfined),
            "self" => Err(NameError(
                "`self` is resolved to the policy's own name in the IR".into(),
            )),
            _ => PolicyName::new(s).map(Peer::Policy),
        }
    }

    /// The peer as written in the language (a policy name, `any` or `unconfined`).
    pub fn as_str(&self) -> &str {
        match self {
            Peer::Policy(n) => n.as_str(),
            Peer::Any => ANY,
            Peer::Unconfined => UNCONFINED,
        }
    }

    /// The policy, for a policy peer.
    pub fn policy(&self) -> Option<&PolicyName> {
        match self {
            Peer::Policy(n) => Some(n),
            _ => None,
        }
    }

    /// True when a process described by `req` (a policy name, or `unconfined`) is one of
    /// this peer's processes.
    pub fn covers(&self, req: &str) -> bool {
        match self {
            Peer::Policy(n) => n.as_str() == req,
            Peer::Any => true,
            Peer::Unconfined => req == UNCONFINED,
        }
    }

    /// True when every process of `other` is one of this peer's processes.
    pub fn includes(&self, other: &Peer) -> bool {
        matches!(self, Peer::Any) || self == other
    }
}

impl From<PolicyName> for Peer {
    fn from(n: PolicyName) -> Peer {
        Peer::Policy(n)
    }
}

impl TryFrom<String> for Peer {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Peer::new(&s)
    }
}

impl From<Peer> for String {
    fn from(p: Peer) -> String {
        p.as_str().to_string()
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<PolicyName> for Peer {
    fn eq(&self, o: &PolicyName) -> bool {
        self.policy() == Some(o)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keywords_and_names_round_trip_through_json() {
        for s in ["any", "unconfined", "org.example.app"] {
            let p = Peer::new(s).unwrap();
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(j, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Peer>(&j).unwrap(), p);
        }
        assert!(Peer::new("self").is_err());
    }

    #[test]
    fn any_covers_every_process_and_unconfined_only_unconfined_ones() {
        let app = Peer::new("org.example.app").unwrap();
        assert!(Peer::Any.covers("org.example.app") && Peer::Any.covers("unconfined"));
        assert!(Peer::Unconfined.covers("unconfined"));
        assert!(!Peer::Unconfined.covers("org.example.app"));
        assert!(app.covers("org.example.app") && !app.covers("unconfined"));
        assert!(Peer::Any.includes(&app) && !app.includes(&Peer::Any));
    }
}
