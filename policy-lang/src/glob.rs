//! The glob algebra (interface stub: being implemented).
//!
//! Semantics: a glob denotes a set of *valid paths*: `/`, or `/c1/c2/.../cn` with every
//! component non-empty, without NUL, and not `.` or `..`. `*` matches any run of
//! characters other than `/` (possibly empty), `**` any run of characters including `/`
//! (possibly empty), `?` exactly one character other than `/`, `{a,b,...}` any one of the
//! alternatives (which may nest, may be empty, and may hold wildcards and `/`). Every
//! other character is literal. A glob matches a path when some expansion matches the
//! whole path string and the path is valid.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A parsed glob.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Glob {
    text: String,
}

/// Why a glob or path is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobError {
    /// What is wrong.
    pub kind: GlobErrorKind,
    /// Byte range in the glob text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
}

/// The kinds of problem a glob or path can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobErrorKind {
    /// Not starting with `/`.
    Relative,
    /// A `..` component.
    DotDot,
    /// A `.` component.
    Dot,
    /// `//` or a trailing `/`.
    EmptyComponent,
    /// NUL or a control character.
    Control,
    /// Unbalanced braces, `***`, or too many alternatives.
    Malformed(String),
}

impl Glob {
    /// Parse and validate a glob (syntax and path form of every brace expansion).
    pub fn parse(text: &str) -> Result<Glob, GlobError> {
        Ok(Glob {
            text: text.to_string(),
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the glob has no wildcard and no braces.
    pub fn is_literal(&self) -> bool {
        !self.text.contains(['*', '?', '{', '}'])
    }

    /// True when `path` is a valid path in the glob's set.
    pub fn matches(&self, path: &str) -> bool {
        self.text == path
    }

    /// True when every path of `self` is in `other`.
    pub fn is_subset(&self, other: &Glob) -> bool {
        self.text == other.text
    }

    /// True when some path is in both.
    pub fn intersects(&self, other: &Glob) -> bool {
        self.text == other.text
    }
}

/// `glob.matches(path)`.
pub fn matches(glob: &Glob, path: &str) -> bool {
    glob.matches(path)
}

/// `a.is_subset(b)`.
pub fn is_subset(a: &Glob, b: &Glob) -> bool {
    a.is_subset(b)
}

/// `a.intersects(b)`.
pub fn intersects(a: &Glob, b: &Glob) -> bool {
    a.intersects(b)
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.text)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Glob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Glob::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("invalid glob `{s}`: {:?}", e.kind)))
    }
}
