//! Emptiness and witnesses of the path sets the diff builds: the intersection of a few
//! globs minus the union of others.
//!
//! This is the only place the diff asks the glob algebra about sets of paths, so the
//! diff's precision is the algebra's.

use crate::eval::is_valid_path;
use crate::glob::Glob;

/// Whether a set of paths is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Emptiness {
    /// No valid path is in the set.
    Empty,
    /// A shortest valid path of the set.
    Witness(String),
    /// The algebra's search bound was reached first.
    Unknown,
}

/// The paths in every glob of `within` and in no glob of `except`.
///
/// `within` must not be empty (an empty `within` would be every path).
pub(crate) fn region(within: &[&Glob], except: &[&Glob]) -> Emptiness {
    // Each glob denotes the valid paths it matches; a literal glob denotes exactly its
    // text, so one literal member of `within` decides the set.
    let Some(first) = within.iter().find(|g| g.is_literal()).or(within.first()) else {
        return Emptiness::Unknown;
    };
    let candidate = first.as_str();
    if is_valid_path(candidate)
        && within.iter().all(|g| g.matches(candidate))
        && !except.iter().any(|g| g.matches(candidate))
    {
        Emptiness::Witness(candidate.to_string())
    } else {
        Emptiness::Empty
    }
}

/// True when `a` and `b` share a path (conservatively `true` when undecided).
pub(crate) fn intersects(a: &Glob, b: &Glob) -> bool {
    a.intersects(b)
}

/// True when every path of `a` is in `b` (conservatively `false` when undecided).
pub(crate) fn is_subset(a: &Glob, b: &Glob) -> bool {
    a.is_subset(b)
}
