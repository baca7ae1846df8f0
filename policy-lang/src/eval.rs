//! The evaluator (stub: being implemented).

use crate::ir::Policy;
use crate::rights::Right;

/// An access to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// A file access.
    File {
        /// The path.
        path: String,
        /// The right.
        right: Right,
    },
}

impl Request {
    /// A file request.
    pub fn file(path: &str, right: Right) -> Request {
        Request::File { path: path.to_string(), right }
    }
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Allowed or not.
    pub allowed: bool,
}

/// Decide a request.
pub fn evaluate(_p: &Policy, _r: &Request) -> Decision {
    Decision { allowed: false }
}
