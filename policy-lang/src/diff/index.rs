//! A prefix index over globs: which globs can share a path with a given one.
//!
//! Every path a glob matches starts with the glob's *literal prefix* (its text up to the
//! first `*`, `?`, `{` or `[`). Two globs whose literal prefixes are not one a prefix of the
//! other share no path, so only globs with compatible prefixes need the algebra. A
//! *literal* glob (no wildcard, no brace) matches only its text, which is its prefix: it
//! shares no path with a glob whose prefix is longer than it, so `/usr/bin/app` is not a
//! neighbour of `/usr/bin/app2` or `/usr/bin/app/*`, however many such rules there are.

use super::trie::{Rel, Trie};
use crate::hash::FxHasher;
use std::hash::Hasher;

/// The text of a glob up to its first wildcard, brace or character class.
pub(crate) fn literal_prefix(text: &str) -> &str {
    let end = text
        .bytes()
        .position(|b| matches!(b, b'*' | b'?' | b'{' | b'['))
        .unwrap_or(text.len());
    text.get(..end).unwrap_or(text)
}

/// True when a glob text has no wildcard, brace or character class (as
/// `Glob::is_literal`).
pub(crate) fn is_literal(text: &str) -> bool {
    !text
        .bytes()
        .any(|b| matches!(b, b'*' | b'?' | b'{' | b'}' | b'['))
}

/// What the index needs of a glob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key<'a> {
    /// The literal prefix.
    pub(crate) prefix: &'a str,
    /// The glob matches exactly its text (then `prefix` is the whole text).
    pub(crate) literal: bool,
}

impl<'a> Key<'a> {
    /// The key of a glob text.
    pub(crate) fn of(text: &'a str) -> Key<'a> {
        Key {
            prefix: literal_prefix(text),
            literal: is_literal(text),
        }
    }
}

/// For each query glob, the items whose glob may share a path with it, as sorted item
/// numbers: their literal prefixes are one a prefix of the other, and a literal glob's
/// prefix is not a proper prefix of the other's.
///
/// One pass over the items, each walked down a compressed trie of the queries' prefixes
/// only as far as it agrees with one of them (a few nodes for most items), so the cost
/// per item hardly grows with the number of queries. (A sorted index would compare long
/// shared prefixes scattered in memory `n log n` times, which dominated the time on
/// large policies.)
pub(crate) fn neighbours<'q, 'i>(
    queries: &[Key<'q>],
    items: impl Iterator<Item = Key<'i>>,
) -> Vec<Vec<usize>> {
    let trie = Trie::new(queries.iter().map(|q| q.prefix.as_bytes()));
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); queries.len()];
    for (j, item) in items.enumerate() {
        trie.related(item.prefix.as_bytes(), |rel, qi| {
            let keep = match rel {
                Rel::Equal => true,
                // A literal glob matches only its prefix, which no path of the other has.
                Rel::Shorter => queries.get(qi).is_some_and(|q| !q.literal),
                Rel::Longer => !item.literal,
            };
            if keep {
                if let Some(v) = out.get_mut(qi) {
                    v.push(j);
                }
            }
        });
    }
    out
}

/// What one read of a glob text gives: its hash (as the diff's tables of texts use it),
/// the length of its literal prefix, and whether it is literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    pub(crate) hash: u64,
    pub(crate) prefix: usize,
    pub(crate) literal: bool,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` equal to `b`, and possibly of bytes above such a
/// byte (never below the lowest one, never when there is none).
fn bytes_equal(w: u64, b: u8) -> u64 {
    let v = w ^ ONES.wrapping_mul(u64::from(b));
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// Hash a glob text and find its first wildcard or brace, eight bytes at a time.
pub(crate) fn scan(text: &str) -> Scan {
    let mut h = FxHasher::default();
    let mut prefix = None;
    let mut any = 0u64;
    let bytes = text.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0usize;
    let mut word = |w: u64, at: usize, h: &mut FxHasher| {
        h.add(w);
        let wild = bytes_equal(w, b'*')
            | bytes_equal(w, b'?')
            | bytes_equal(w, b'{')
            | bytes_equal(w, b'[');
        if prefix.is_none() && wild != 0 {
            prefix = Some(at + (wild.trailing_zeros() / 8) as usize);
        }
        any |= wild | bytes_equal(w, b'}');
    };
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        word(u64::from_le_bytes(w), at, &mut h);
        at += 8;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Zero bytes pad the last word: no wildcard is zero.
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(rest) {
            *d = *s;
        }
        word(u64::from_le_bytes(w), at, &mut h);
    }
    h.add(bytes.len() as u64);
    Scan {
        hash: h.finish(),
        prefix: prefix.unwrap_or(bytes.len()),
        literal: any == 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn prefixes_stop_at_the_first_wildcard_or_brace() {
        assert_eq!(literal_prefix("/etc/ssl/*.pem"), "/etc/ssl/");
        assert_eq!(literal_prefix("/{a,b}"), "/");
        assert_eq!(literal_prefix("/etc/passwd"), "/etc/passwd");
        assert_eq!(literal_prefix("/a?"), "/a");
        assert_eq!(literal_prefix("/a/[0-9]"), "/a/");
        assert!(!is_literal("/a/[0-9]"));
    }

    #[test]
    fn scans_find_the_first_wildcard_and_literals() {
        for t in [
            "/",
            "/etc/ssl/*.pem",
            "/etc/passwd",
            "/a?",
            "/{a,b}",
            "/usr/lib/app/lib*.so{,.*}",
            "/a/very/long/literal/path/of/many/words",
            "/0123456?",
            "/01234567?",
            "/é/*",
            "/a/[0-9]",
            "/abcdefg[0-9]",
        ] {
            let s = scan(t);
            assert_eq!(s.prefix, literal_prefix(t).len(), "{t}");
            assert_eq!(s.literal, is_literal(t), "{t}");
        }
        assert_ne!(scan("/a/b").hash, scan("/a/c").hash);
        assert_ne!(scan("/a").hash, scan("/a\0").hash);
    }

    #[test]
    fn neighbours_are_extensions_and_ancestors_only() {
        let items = [
            "/etc/**",
            "/etc/ssl/*.pem",
            "/var/**",
            "/**",
            "/etc/s*",
            "/et",
            "/etc/ssl/x",
        ];
        let n = neighbours(
            &[
                Key::of("/etc/ssl/*"),
                Key::of("/var/lib/x"),
                Key::of("/etc/ssl/x"),
                Key::of("/et"),
            ],
            items.iter().map(|t| Key::of(t)),
        );
        assert_eq!(n[0], vec![0, 1, 3, 4, 6]);
        assert_eq!(n[1], vec![2, 3]);
        assert_eq!(n[2], vec![0, 1, 3, 4, 6]);
        // A literal query has no neighbour whose prefix is longer than it.
        assert_eq!(n[3], vec![3, 5]);
    }

    proptest::proptest! {
        /// The word-at-a-time scan agrees with the byte-at-a-time definitions.
        #[test]
        fn scans_agree_with_bytes(text in "/[ab/*?{}é]{0,20}") {
            let s = scan(&text);
            proptest::prop_assert_eq!(s.prefix, literal_prefix(&text).len());
            proptest::prop_assert_eq!(s.literal, is_literal(&text));
        }

        /// The one-pass search finds exactly the globs whose literal prefixes are one a
        /// prefix of the other, but for a literal glob's prefix being a proper prefix of
        /// the other's.
        #[test]
        fn neighbours_agree_with_brute_force(
            queries in proptest::collection::vec("/[ab/]{0,6}[*?{]?[ab/]{0,2}", 1..4),
            items in proptest::collection::vec("/[ab/]{0,6}[*?{]?[ab/]{0,2}", 0..12),
        ) {
            let q: Vec<Key<'_>> = queries.iter().map(|t| Key::of(t)).collect();
            let found = neighbours(&q, items.iter().map(|t| Key::of(t)));
            for (qi, query) in queries.iter().enumerate() {
                let p = literal_prefix(query);
                let want: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        let i = literal_prefix(t);
                        (i.starts_with(p) && (!is_literal(query) || i == p))
                            || (p.starts_with(i) && i != p && !is_literal(t))
                    })
                    .map(|(j, _)| j)
                    .collect();
                proptest::prop_assert_eq!(&found[qi], &want, "query {}", query);
            }
        }
    }
}
