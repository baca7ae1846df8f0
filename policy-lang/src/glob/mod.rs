//! The glob algebra: the one meaning of path globs, used by the evaluator, the diff and
//! the backends.
//!
//! A [`Glob`] denotes a set of *valid paths*. This module parses and checks globs, matches
//! paths, decides containment and intersection exactly, and finds witnesses.
//!
//! ```
//! use polc_lang::glob::Glob;
//!
//! # fn main() -> Result<(), polc_lang::glob::GlobError> {
//! let ssl = Glob::parse("/etc/ssl/**")?;
//! let pem = Glob::parse("/etc/ssl/*.pem")?;
//! assert!(ssl.matches("/etc/ssl/certs/ca.pem"));
//! assert!(!ssl.matches("/etc/ssl")); // `/**` needs something below the directory
//! assert!(pem.is_subset(&ssl));
//! assert!(!ssl.is_subset(&pem));
//! assert_eq!(ssl.difference_witness(&pem).as_deref(), Some("/etc/ssl/a"));
//! assert_eq!(pem.literal_dir_prefix(), "/etc/ssl");
//! assert!(Glob::parse("/etc/../shadow").is_err());
//! # Ok(())
//! # }
//! ```
//!
//! # Valid paths
//!
//! A valid path is `/`, or `/c1/c2/.../cn` where every component is nonempty, is not `.`
//! or `..`, and holds no NUL. Other control characters may occur in paths (the kernel
//! allows them); globs cannot hold them, so only wildcards match them. [`is_valid_path`]
//! tells whether a string is one. A glob never matches an invalid path.
//!
//! # Syntax
//!
//! | glob | matches |
//! | --- | --- |
//! | `*` | any run of characters other than `/`, possibly empty |
//! | `**` | any run of characters, `/` included, possibly empty |
//! | `?` | exactly one character other than `/` |
//! | `{a,b,...}` | any one of the alternatives; they nest, may be empty, may hold wildcards and `/`; `{x}` is `x` |
//! | `[abc]`, `[a-z]`, `[^a-z]` | one character of the class (negated with `^`); never `/` |
//! | `[0-9]+` | one or more characters of the class |
//! | anything else | itself: `,` outside braces, `\`, `]` outside a class, `+` not after a class are ordinary characters; there are no escapes (a literal `[` is `[[]`) |
//!
//! Inside a class, a `]` written first (after the optional `^`) and a `-` written first
//! or last are members; `{ } , * ? [ \ +` are members; a class never matches `/`:
//! `/` is malformed in a class except a negated one (`[^/]`), and a range spanning `/`
//! (`[.-0]`) holds the others. See [`class`].
//!
//! A glob denotes the union, over its brace expansions, of the valid paths the expansion
//! matches as a whole string. For example `/{usr/,}lib/*.so` expands to `/usr/lib/*.so` and
//! `/lib/*.so`.
//!
//! Consequences worth knowing:
//!
//! - `*` never crosses `/`: `/a/*` matches `/a/b` but not `/a/b/c`.
//! - `/a/**` does not match `/a` (it would need `/a/`, which is not a valid path); it
//!   matches `/a/b` and `/a/b/c`.
//! - `/a/**/b` does not match `/a/b` (that would need `/a//b`); it matches `/a/x/b` and
//!   `/a/x/y/b`. Write `/a/{,**/}b` for both.
//! - `/a/**b` matches `/a/b`, `/a/xb` and `/a/x/y/b`.
//! - `/*` and `/**` match `/` itself (the wildcard matching the empty string).
//! - Wildcards never produce a `.` or `..` component: `/a/*` does not match `/a/..`, and
//!   `/a/.*` matches `/a/.x` but not `/a/.` or `/a/..`.
//!
//! # Errors
//!
//! [`Glob::parse`] checks, in this order, and reports the first problem with the byte
//! range of the offending text:
//!
//! 1. NUL or control characters (below U+0020, or U+007F) anywhere: [`GlobErrorKind::Control`].
//! 2. Brace and class structure: an unclosed `[`, a `/` in a class, a reversed range
//!    (`[z-a]`), an unclosed `{` or an unmatched `}`, braces nested deeper than
//!    [`MAX_BRACE_DEPTH`], more than [`MAX_EXPANSIONS`] expansions or more than
//!    [`MAX_EXPANDED_LEN`] characters in all expansions together: [`GlobErrorKind::Malformed`].
//! 3. For each expansion in order (leftmost group varying slowest): a run of three or more
//!    `*`, or a run of `*` that a brace boundary would join (`{a,*}*`, `*{}*`; write the
//!    stars together instead), is malformed; then the path form, left to right: not
//!    starting with `/` ([`GlobErrorKind::Relative`]), an empty component or trailing `/`
//!    other than the root `/` itself ([`GlobErrorKind::EmptyComponent`]), a component that
//!    is exactly `.` ([`GlobErrorKind::Dot`]) or `..` ([`GlobErrorKind::DotDot`]).
//!    A component with a wildcard (`.*`, `.?`) is fine.
//!
//! The star rule makes the stars of every expansion the stars of the text, so a backend
//! may use the text or the [`Glob::expansions`] and get the same meaning.
//!
//! # Algebra
//!
//! [`Glob::is_subset`] and [`Glob::intersects`] are exact over valid paths: each glob
//! becomes an automaton over a symbolic alphabet (`/`, `.`, the literal characters of
//! either glob, and one symbol for each set of other characters that every class of
//! either glob treats alike: one symbol when there are no classes), and a breadth-first search of
//! its product with the other glob (determinised for containment) and with the
//! automaton of valid paths decides emptiness of `A ∖ B` or `A ∩ B`. Witnesses are
//! shortest valid paths. Matching simulates the automaton: linear in the path length
//! times the glob size, never backtracking.
//!
//! A search is bounded by [`MAX_PRODUCT_STATES`] states and [`MAX_SEARCH_WORK`] steps,
//! far beyond any hand-written glob. Past the bound [`Glob::difference`] and
//! [`Glob::intersection`] return [`Emptiness::Unknown`], and the boolean forms answer
//! conservatively: `is_subset` says `false` (not shown to be contained) and `intersects`
//! says `true` (not shown to be disjoint); the witness forms return `None`.
//!
//! # Sets of several globs
//!
//! [`region`] decides the set of paths in every glob of one list and in no glob of
//! another (`A₁ ∩ … ∩ Aₙ ∖ (B₁ ∪ … ∪ Bₘ)`), with a shortest witness, by the same search
//! over the product of all the automata (the `B`s determinised together). Unions,
//! intersections and differences of unions of globs reduce to it: the semantic diff
//! describes every change as such a set.

mod algebra;
pub mod class;
mod nfa;
mod parse;
mod prefix_index;
mod set;
mod wild;

pub use algebra::{MAX_PRODUCT_STATES, MAX_SEARCH_WORK};
pub(crate) use prefix_index::text_head;
pub use prefix_index::PrefixIndex;
pub use set::region;

use crate::diagnostics::Code;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

/// True for the bytes that end a glob's literal prefix and suffix: wildcards, braces, and
/// the `[`, `]` and `+` that bound classes and their repetition. All ASCII, so the text is
/// searched by bytes: no byte of a longer character is one of them.
fn is_wild(b: u8) -> bool {
    matches!(b, b'*' | b'?' | b'{' | b'}' | b'[' | b']' | b'+')
}

/// Most brace expansions a glob may have.
pub const MAX_EXPANSIONS: usize = 4096;
/// Most characters all brace expansions of a glob may hold together.
pub const MAX_EXPANDED_LEN: usize = 1 << 20;
/// Deepest nesting of braces.
pub const MAX_BRACE_DEPTH: usize = 32;

/// A parsed glob. Equality, order and hashing are those of the text.
#[derive(Clone)]
pub struct Glob {
    /// Shared, as the compiled form is: a copy of a glob allocates nothing.
    text: Arc<str>,
    compiled: Arc<Compiled>,
}

struct Compiled {
    seq: Vec<parse::Node>,
    /// Built on first use: most globs of a policy are only matched against a few of the
    /// others (the lints compare related rules only), and building every automaton at
    /// parse time was most of the front end's time.
    nfa: OnceLock<nfa::Nfa>,
}

/// Most brace expansions of a glob matched one by one, without its automaton.
const FEW_EXPANSIONS: u64 = 16;

/// Globs up to this length get their automaton on first use; longer ones at parse time,
/// where a glob too complex to build is refused. Below it the build cannot fail: the
/// builder makes at most `1 + 2 × len` states, and ε-removal works at most 3 per pair of
/// states, under [`nfa::MAX_NFA_WORK`] (`3 × 1025² < 2²²`).
const LAZY_MAX_LEN: usize = 512;

/// Why a glob or path is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct GlobError {
    /// What is wrong.
    pub kind: GlobErrorKind,
    /// Byte range in the glob text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
}

/// The kinds of problem a glob or path can have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GlobErrorKind {
    /// Not starting with `/`.
    #[error("glob is not an absolute path")]
    Relative,
    /// A `..` component.
    #[error("glob has a `..` component")]
    DotDot,
    /// A `.` component.
    #[error("glob has a `.` component")]
    Dot,
    /// `//` or a trailing `/`.
    #[error("glob has an empty component or a trailing `/`")]
    EmptyComponent,
    /// NUL or a control character.
    #[error("glob holds a NUL or control character")]
    Control,
    /// Some brace expansions end with `/` (directories only) and others do not; or
    /// (`all_end`) every one does, but the slashes cannot be taken out of the text alone
    /// (`/a/{,b/}`).
    #[error("the brace expansions do not all end with `/` in one place")]
    MixedDirForm {
        /// Every expansion ends with `/`.
        all_end: bool,
    },
    /// Unbalanced braces, `***`, or too many alternatives.
    #[error("malformed glob: {0}")]
    Malformed(String),
    /// An unclosed `[`, a `/` in a class, or a reversed range.
    #[error("malformed character class: {0}")]
    Class(String),
}

impl GlobErrorKind {
    /// The diagnostic code for this kind of problem.
    pub fn code(&self) -> Code {
        match self {
            GlobErrorKind::Relative => Code::RelativePath,
            GlobErrorKind::DotDot => Code::DotDotComponent,
            GlobErrorKind::Dot => Code::DotComponent,
            GlobErrorKind::EmptyComponent => Code::EmptyComponent,
            GlobErrorKind::Control => Code::ControlCharacter,
            GlobErrorKind::MixedDirForm { .. } => Code::MixedDirForm,
            GlobErrorKind::Malformed(_) => Code::MalformedGlob,
            GlobErrorKind::Class(_) => Code::MalformedClass,
        }
    }
}

/// Whether a set of paths is empty, with a witness when it is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Emptiness {
    /// No valid path is in the set.
    Empty,
    /// A shortest valid path in the set.
    Witness(String),
    /// The search bound was reached first (see the module docs).
    Unknown,
}

impl Glob {
    /// Parse and validate a glob (syntax and path form of every brace expansion).
    pub fn parse(text: &str) -> Result<Glob, GlobError> {
        let seq = parse::parse(text)?;
        let nfa = OnceLock::new();
        if text.len() > LAZY_MAX_LEN {
            let built = nfa::build(&seq, text).ok_or_else(|| GlobError {
                kind: GlobErrorKind::Malformed("glob too complex".to_string()),
                start: 0,
                end: text.len(),
            })?;
            let _ = nfa.set(built);
        }
        Ok(Glob {
            text: Arc::from(text),
            compiled: Arc::new(Compiled { seq, nfa }),
        })
    }

    /// The automaton, built on first use (see [`LAZY_MAX_LEN`]).
    fn nfa(&self) -> &nfa::Nfa {
        self.compiled.nfa.get_or_init(|| {
            // Only short globs reach here, and their build cannot fail (see
            // `LAZY_MAX_LEN`); the empty automaton is never used.
            nfa::build(&self.compiled.seq, &self.text).unwrap_or_else(nfa::Nfa::nothing)
        })
    }

    /// Parse a file rule's path: a glob, and whether it denotes directories only. A path
    /// whose every brace expansion ends with `/` (`/srv/cache/`, `/home/*/`,
    /// `/srv/{a,b}/`) is the glob without that slash, for directories only; `/` itself is
    /// the root, of any type. A mix (`/srv/{a/,b}`) is [`GlobErrorKind::MixedDirForm`];
    /// `//` and `/a//` keep their empty component ([`GlobErrorKind::EmptyComponent`]).
    ///
    /// ```
    /// use polc_lang::glob::Glob;
    /// let (g, dir) = Glob::parse_path("/srv/*/").unwrap();
    /// assert_eq!((g.as_str(), dir), ("/srv/*", true));
    /// let (g, dir) = Glob::parse_path("/srv/*").unwrap();
    /// assert_eq!((g.as_str(), dir), ("/srv/*", false));
    /// assert!(Glob::parse_path("/srv/{a/,b}").is_err());
    /// assert!(Glob::parse_path("/a//").is_err());
    /// ```
    pub fn parse_path(text: &str) -> Result<(Glob, bool), GlobError> {
        match parse::dir_form(text)? {
            None => Ok((Glob::parse(text)?, false)),
            Some(stripped) => match Glob::parse(&stripped) {
                Ok(g) => Ok((g, true)),
                // Report the problem where it is in the text as written.
                Err(_) => Glob::parse(text).map(|g| (g, false)),
            },
        }
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The glob as written, shared with the glob (nothing is copied).
    pub(crate) fn shared_text(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    /// True when the glob has no wildcard and no braces: it matches exactly its text.
    pub fn is_literal(&self) -> bool {
        !self.text.contains(['*', '?', '{', '}', '['])
    }

    /// The literal prefix: the text before the first `*`, `?`, `{`, `}`, `[`, `]` or `+`.
    /// Every path the glob matches starts with it, so two globs whose literal prefixes
    /// are not one a prefix of the other share no path, and neither contains the other
    /// unless it matches no path ([`PrefixIndex`] finds the globs that may).
    ///
    /// `/etc/ssl/*.pem` → `/etc/ssl/`; `/a/{b,c}` → `/a/`; `/etc/passwd` → itself.
    pub fn literal_prefix(&self) -> &str {
        let s = self.as_str();
        s.bytes()
            .position(is_wild)
            .map_or(s, |i| s.get(..i).unwrap_or_default())
    }

    /// The literal suffix: the text after the last `*`, `?`, `{`, `}`, `[`, `]` or `+`.
    /// Every path the glob matches ends with it.
    ///
    /// `/etc/ssl/*.pem` → `.pem`; `/a/**` → the empty text; `/etc/passwd` → itself.
    pub fn literal_suffix(&self) -> &str {
        let s = self.as_str();
        s.bytes()
            .rposition(is_wild)
            .map_or(s, |i| s.get(i + 1..).unwrap_or_default())
    }

    /// The longest directory prefix of the glob with no wildcard or brace: the text up to
    /// the last `/` before the first `*`, `?` or `{` (or, for a literal glob, its parent
    /// directory), `/` when that is the root. Every path the glob matches is this
    /// directory or lies below it.
    ///
    /// `/etc/ssl/*.pem` → `/etc/ssl`; `/etc/ssl/**` → `/etc/ssl`; `/{a,b}` → `/`;
    /// `/etc/passwd` → `/etc`; `/` → `/`.
    pub fn literal_dir_prefix(&self) -> &str {
        let wild = self
            .text
            .find(['*', '?', '{', '['])
            .unwrap_or(self.text.len());
        let head = self.text.get(..wild).unwrap_or("");
        match head.rfind('/') {
            Some(0) | None => "/",
            Some(i) => self.text.get(..i).unwrap_or("/"),
        }
    }

    /// The brace expansions as glob texts (leftmost group varying slowest), at most
    /// [`MAX_EXPANSIONS`]. Each is itself a valid glob with the same meaning as its part of
    /// this one; duplicates are kept.
    pub fn expansions(&self) -> Vec<String> {
        parse::expansions(&self.compiled.seq, &self.text)
    }

    /// True when `path` is a valid path in the glob's set.
    pub fn matches(&self, path: &str) -> bool {
        if self.is_literal() {
            // A literal glob passed the path-form checks: it is one valid path, compared
            // as a string without building its automaton.
            return path == &*self.text;
        }
        if !is_valid_path(path) {
            return false;
        }
        self.matches_without_automaton(path)
            .unwrap_or_else(|| self.nfa().accepts(path))
    }

    /// [`Glob::matches`] on a valid path for a glob without classes and with at most
    /// [`FEW_EXPANSIONS`] brace expansions, each matched as literals and wildcards
    /// (see [`wild`]); `None` for other globs.
    fn matches_without_automaton(&self, path: &str) -> Option<bool> {
        if let Some(m) = wild::matches(&self.text, path) {
            return Some(m);
        }
        if self.text.contains('[') || parse::expansion_count(&self.compiled.seq) > FEW_EXPANSIONS {
            return None;
        }
        parse::any_expansion(&self.compiled.seq, &self.text, &mut |e| {
            wild::matches(e, path)
        })
    }

    /// False only when no path of the glob lies below the directory `dir` (a valid
    /// path); may be true when none does. Linear in `dir`'s length: a cheap test of
    /// whether a directory tree can hold matches, where [`Glob::intersects`] with
    /// `DIR/**` searches a product automaton.
    pub fn may_match_below(&self, dir: &str) -> bool {
        let prefix = if dir.ends_with('/') {
            dir.to_string()
        } else {
            format!("{dir}/")
        };
        if self.is_literal() {
            return self.text.starts_with(&prefix);
        }
        self.nfa().alive_after(&prefix)
    }

    /// Whether some valid path is in `self` but not in `other`, with a shortest one.
    pub fn difference(&self, other: &Glob) -> Emptiness {
        if self.text == other.text {
            return Emptiness::Empty;
        }
        if self.is_literal() {
            // A literal glob passed the path-form checks: its text is a valid path.
            return if other.matches(&self.text) {
                Emptiness::Empty
            } else {
                Emptiness::Witness(self.text.to_string())
            };
        }
        algebra::difference(self.nfa(), other.nfa())
    }

    /// Whether some valid path is in both, with a shortest one.
    pub fn intersection(&self, other: &Glob) -> Emptiness {
        // Globs whose literal prefixes diverge share no path: no search (which could
        // only reach its bound, and then answer `Unknown`, on such a pair).
        let (a, b) = (self.literal_prefix(), other.literal_prefix());
        if !a.starts_with(b) && !b.starts_with(a) {
            return Emptiness::Empty;
        }
        for (lit, glob) in [(self, other), (other, self)] {
            if lit.is_literal() {
                return if glob.matches(&lit.text) {
                    Emptiness::Witness(lit.text.to_string())
                } else {
                    Emptiness::Empty
                };
            }
        }
        algebra::intersection(self.nfa(), other.nfa())
    }

    /// True when every path of `self` is in `other` (`false` when the search bound is
    /// reached: see the module docs).
    pub fn is_subset(&self, other: &Glob) -> bool {
        self.difference(other) == Emptiness::Empty
    }

    /// True when some path is in both (`true` when the search bound is reached: see the
    /// module docs).
    pub fn intersects(&self, other: &Glob) -> bool {
        self.intersection(other) != Emptiness::Empty
    }

    /// A shortest valid path in `self` but not in `other`; `None` when `self ⊆ other` or
    /// when the search bound is reached.
    pub fn difference_witness(&self, other: &Glob) -> Option<String> {
        match self.difference(other) {
            Emptiness::Witness(w) => Some(w),
            Emptiness::Empty | Emptiness::Unknown => None,
        }
    }

    /// A shortest valid path in both; `None` when they are disjoint or when the search
    /// bound is reached.
    pub fn intersection_witness(&self, other: &Glob) -> Option<String> {
        match self.intersection(other) {
            Emptiness::Witness(w) => Some(w),
            Emptiness::Empty | Emptiness::Unknown => None,
        }
    }
}

/// True for `/` and `/c1/.../cn` with every component nonempty, not `.` or `..`, and
/// without NUL.
pub fn is_valid_path(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    // By bytes: `/`, `.` and NUL are ASCII, never part of a longer UTF-8 character.
    match path.as_bytes().split_first() {
        Some((b'/', rest)) => rest
            .split(|b| *b == b'/')
            .all(|c| !matches!(c, [] | [b'.'] | [b'.', b'.']) && !c.contains(&0)),
        _ => false,
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

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Glob {}

impl Hash for Glob {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for Glob {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Glob {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
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
        Glob::parse(&s).map_err(|e| serde::de::Error::custom(format!("invalid glob `{s}`: {e}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    proptest::proptest! {
        /// Matching without the automaton (globs of literals, `*`, `**` and `?`, and few
        /// brace expansions of them) agrees with the automaton on every valid path.
        #[test]
        fn matching_without_the_automaton_agrees_with_it(
            text in "/[a./é*?{},]{0,12}",
            paths in proptest::collection::vec("/[a./éx]{0,8}", 1..8),
        ) {
            let Ok(g) = Glob::parse(&text) else {
                return Ok(());
            };
            let braces = text.contains(['{', '}']);
            for path in paths.iter().chain(g.expansions().iter()).filter(|p| is_valid_path(p)) {
                let fast = g.matches_without_automaton(path);
                proptest::prop_assert!(braces || fast.is_some(), "{}", text);
                proptest::prop_assert!(
                    fast.is_none_or(|m| m == g.nfa().accepts(path)),
                    "{} against {}", text, path
                );
            }
        }
    }

    #[test]
    fn wildcard_matching_declines_braces_classes_and_long_globs() {
        assert_eq!(wild::matches("/a/{b,c}", "/a/b"), None);
        assert_eq!(wild::matches("/a/[bc]", "/a/b"), None);
        let long = format!("/{}", "a?".repeat(100));
        assert_eq!(wild::matches(&long, &long), None);
        // A literal head that differs decides without the tokens.
        assert_eq!(wild::matches(&long, "/b"), Some(false));
        assert_eq!(wild::matches("/a/*", "/b/c"), Some(false));
        assert_eq!(wild::matches("/a/**/b", "/a/x/y/b"), Some(true));
        assert_eq!(wild::matches("/a/*", "/a/x/y"), Some(false));
    }

    /// Globs the automaton is built lazily for never fail to build: the worst shapes for
    /// ε-removal (many empty alternatives joined at one state, star loops, nested groups,
    /// class loops) at the longest length built lazily.
    #[test]
    fn lazily_built_automata_always_build() {
        // `head` (at most 4,096 expansions), then `unit` up to the length.
        let fill = |head: &str, unit: &str| {
            let mut s = format!("/{head}");
            while s.len() + unit.len() <= LAZY_MAX_LEN {
                s.push_str(unit);
            }
            s
        };
        let nested = {
            let mut s = String::from("/");
            for _ in 0..MAX_BRACE_DEPTH - 1 {
                s.push_str("{a*,b**");
            }
            s + &"}".repeat(MAX_BRACE_DEPTH - 1)
        };
        let cases = [
            format!("/{{{}}}", ",".repeat(LAZY_MAX_LEN - 3)),
            fill(&"{,}".repeat(10), "**a"),
            fill("", "**a"),
            fill(&"{*a,**b}".repeat(9), "*?"),
            fill("{a,b,c,d,e,f,g,h}", "[a-z]+"),
            fill(&"{,*a}".repeat(9), "**a"),
            nested,
        ];
        for text in cases {
            assert!(text.len() <= LAZY_MAX_LEN, "{} bytes", text.len());
            let seq = parse::parse(&text)
                .map_err(|e| format!("{text}: {e:?}"))
                .unwrap();
            assert!(nfa::build(&seq, &text).is_some(), "{text}");
        }
    }
}
