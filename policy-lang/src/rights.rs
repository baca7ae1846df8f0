//! File access rights, their groups, and a compact set type.
//!
//! Rights are atomic and orthogonal, with one documented implication:
//! `write` implies `append` (writing anywhere in a file includes writing at its end),
//! so lowering a rule that names `write` grants both.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// One file access right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Right {
    /// Read the contents of a file.
    Read,
    /// Modify or truncate the contents of a file (implies `append`).
    Write,
    /// Append to a file.
    Append,
    /// Create a file, directory, socket, fifo or device node at the path.
    Create,
    /// Remove (unlink or rmdir) the path.
    Delete,
    /// List the entries of the directory at the path.
    List,
    /// Execute the file.
    Exec,
    /// Map the file into memory as executable.
    MapExec,
    /// Take advisory locks on the file.
    Lock,
    /// Create a hard link at the path.
    Link,
    /// Rename to or from the path.
    Rename,
}

impl Right {
    /// Every right, in canonical order.
    pub const ALL: [Right; 11] = [
        Right::Read,
        Right::Write,
        Right::Append,
        Right::Create,
        Right::Delete,
        Right::List,
        Right::Exec,
        Right::MapExec,
        Right::Lock,
        Right::Link,
        Right::Rename,
    ];

    /// The keyword of the right in the language.
    pub fn name(self) -> &'static str {
        match self {
            Right::Read => "read",
            Right::Write => "write",
            Right::Append => "append",
            Right::Create => "create",
            Right::Delete => "delete",
            Right::List => "list",
            Right::Exec => "exec",
            Right::MapExec => "map-exec",
            Right::Lock => "lock",
            Right::Link => "link",
            Right::Rename => "rename",
        }
    }

    /// Parse a right keyword (not a group).
    pub fn from_name(s: &str) -> Option<Right> {
        Right::ALL.into_iter().find(|r| r.name() == s)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Named groups of rights usable wherever a right is.
pub const GROUPS: [(&str, &[Right]); 3] = [
    ("rw", &[Right::Read, Right::Write, Right::Append]),
    (
        "manage",
        &[
            Right::Read,
            Right::Write,
            Right::Append,
            Right::Create,
            Right::Delete,
            Right::List,
            Right::Lock,
            Right::Link,
            Right::Rename,
        ],
    ),
    ("all", &Right::ALL),
];

/// A set of rights.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rights(u16);

impl Rights {
    /// The empty set.
    pub const EMPTY: Rights = Rights(0);

    /// The rights that can apply to a directory, the only ones a directory-only rule (a
    /// path ending with `/`) may name: `create` (mkdir), `delete` (rmdir), `list` and
    /// `rename`. Reading, writing or appending to a directory's contents, executing or
    /// mapping it, locking it and hard-linking it are not operations polc gives a
    /// directory (the kernel refuses most; AppArmor allows none of them by a rule on a
    /// directory).
    pub const ON_DIRECTORIES: Rights = Rights(
        (1 << Right::Create as u16)
            | (1 << Right::Delete as u16)
            | (1 << Right::List as u16)
            | (1 << Right::Rename as u16),
    );

    /// The rights a trailing `/` narrows: those that apply to directories and to other
    /// objects (`create`, `delete`, `rename`). `list` applies to directories only, so a
    /// rule for it says the same with or without the slash, and is written without
    /// (the importer, `explain` and `suggest` write directory rules for these only).
    pub const NARROWED_ON_DIRECTORIES: Rights = Rights(
        (1 << Right::Create as u16) | (1 << Right::Delete as u16) | (1 << Right::Rename as u16),
    );

    /// A set holding one right.
    pub fn one(r: Right) -> Rights {
        Rights(r.bit())
    }

    /// Resolve a right or group keyword to its set, applying implications.
    pub fn from_keyword(s: &str) -> Option<Rights> {
        if let Some(r) = Right::from_name(s) {
            return Some(Rights::one(r).with_implied());
        }
        GROUPS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, rs)| rs.iter().copied().collect::<Rights>().with_implied())
    }

    /// The set plus the rights its members imply (`write` ⇒ `append`).
    pub fn with_implied(self) -> Rights {
        if self.contains(Right::Write) {
            self.insert(Right::Append)
        } else {
            self
        }
    }

    /// True when `r` is in the set.
    pub fn contains(self, r: Right) -> bool {
        self.0 & r.bit() != 0
    }

    /// The set with `r` added.
    pub fn insert(self, r: Right) -> Rights {
        Rights(self.0 | r.bit())
    }

    /// Union.
    pub fn union(self, o: Rights) -> Rights {
        Rights(self.0 | o.0)
    }

    /// Intersection.
    pub fn intersection(self, o: Rights) -> Rights {
        Rights(self.0 & o.0)
    }

    /// Rights in `self` and not in `o`.
    pub fn difference(self, o: Rights) -> Rights {
        Rights(self.0 & !o.0)
    }

    /// True when every right of `self` is in `o`.
    pub fn is_subset(self, o: Rights) -> bool {
        self.0 & !o.0 == 0
    }

    /// True when the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rights in canonical order.
    pub fn iter(self) -> impl Iterator<Item = Right> {
        Right::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Right> for Rights {
    fn from_iter<I: IntoIterator<Item = Right>>(it: I) -> Self {
        it.into_iter().fold(Rights::EMPTY, Rights::insert)
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Right::name)).finish()
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Right::name).collect();
        f.write_str(&names.join(" "))
    }
}

impl Serialize for Right {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Right {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Right::from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown right `{s}`")))
    }
}

impl Serialize for Rights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Rights {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<Right>::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_append() {
        let w = Rights::from_keyword("write");
        assert_eq!(w, Some(Rights::one(Right::Write).insert(Right::Append)));
        assert_eq!(
            Rights::from_keyword("append"),
            Some(Rights::one(Right::Append))
        );
    }

    #[test]
    fn names_round_trip() {
        for r in Right::ALL {
            assert_eq!(Right::from_name(r.name()), Some(r));
        }
        assert_eq!(Rights::from_keyword("nope"), None);
        assert_eq!(
            Rights::from_keyword("all").map(|r| r.iter().count()),
            Some(11)
        );
    }
}
