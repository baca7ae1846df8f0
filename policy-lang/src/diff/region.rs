//! Emptiness and witnesses of the path sets the diff builds: the intersection of a few
//! globs minus the union of others.
//!
//! This is the only place the diff asks the glob algebra about sets of paths, so the
//! diff's precision is the algebra's.

use crate::glob::{self, Glob};

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
pub(crate) fn region(within: &[&Glob], except: &[&Glob]) -> Emptiness {
    match glob::region(within, except) {
        glob::Emptiness::Empty => Emptiness::Empty,
        glob::Emptiness::Witness(w) => Emptiness::Witness(w),
        glob::Emptiness::Unknown => Emptiness::Unknown,
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
