//! A prefix index over globs: which globs can share a path with a given one.
//!
//! Every path a glob matches starts with the glob's *literal prefix* (its text up to the
//! first `*`, `?` or `{`). Two globs whose literal prefixes are not one a prefix of the
//! other share no path, so only globs with compatible prefixes need the algebra.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The text of a glob up to its first wildcard or brace.
pub(crate) fn literal_prefix(text: &str) -> &str {
    let end = text.find(['*', '?', '{']).unwrap_or(text.len());
    text.get(..end).unwrap_or(text)
}

/// The directory part of a literal prefix: up to and including its last `/`.
fn dir_of(prefix: &str) -> &str {
    prefix
        .rfind('/')
        .and_then(|i| prefix.get(..=i))
        .unwrap_or(prefix)
}

/// For each query glob, the items whose glob may share a path with it (their literal
/// prefixes are one a prefix of the other), as sorted item numbers.
///
/// One pass over the items with a few hash lookups each, whatever the number of items:
/// if `P ⊑ Q` the directory part of `P` is a prefix of `Q` ending at one of `Q`'s `/`;
/// if `Q ⊑ P` the directory part of `Q` is one of `P`'s ancestor directories. (A sorted
/// index would compare long shared prefixes scattered in memory `n log n` times, which
/// dominated the time on large policies.)
pub(crate) fn neighbours<'a>(
    queries: &[&'a str],
    items: impl Iterator<Item = &'a str>,
) -> Vec<Vec<usize>> {
    let prefixes: Vec<&str> = queries.iter().map(|q| literal_prefix(q)).collect();
    // Directory part of each query → queries; each ancestor directory → queries. Only
    // cuts of an item at these lengths can hit, so the lengths are kept to skip lookups.
    let mut by_dir: FastMap<&str, Vec<usize>> = FastMap::default();
    let mut by_ancestor: FastMap<&str, Vec<usize>> = FastMap::default();
    let longest = prefixes.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut dir_len = vec![false; longest + 1];
    let mut ancestor_len = vec![false; longest + 1];
    for (qi, p) in prefixes.iter().enumerate() {
        let d = dir_of(p);
        by_dir.entry(d).or_default().push(qi);
        if let Some(f) = dir_len.get_mut(d.len()) {
            *f = true;
        }
        for (k, _) in p.match_indices('/') {
            if let Some(a) = p.get(..=k) {
                by_ancestor.entry(a).or_default().push(qi);
                if let Some(f) = ancestor_len.get_mut(a.len()) {
                    *f = true;
                }
            }
        }
    }
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); queries.len()];
    let mut push = |qi: usize, j: usize| {
        if let Some(v) = out.get_mut(qi) {
            v.push(j);
        }
    };
    for (j, text) in items.enumerate() {
        let q = literal_prefix(text);
        let bytes = q.as_bytes();
        let mut last_slash = 0;
        for (k, &b) in bytes.iter().enumerate().take(longest) {
            if b != b'/' {
                continue;
            }
            last_slash = k;
            // Queries whose directory is this cut of the item's prefix.
            if dir_len.get(k + 1).copied().unwrap_or(false) {
                if let Some(qs) = q.get(..=k).and_then(|cut| by_dir.get(cut)) {
                    for &qi in qs {
                        if prefixes.get(qi).is_some_and(|p| q.starts_with(p)) {
                            push(qi, j);
                        }
                    }
                }
            }
        }
        if bytes.len() > longest {
            last_slash = q.rfind('/').unwrap_or(0);
        }
        // Queries of which this item's prefix is a proper prefix.
        if ancestor_len.get(last_slash + 1).copied().unwrap_or(false) {
            if let Some(qs) = q.get(..=last_slash).and_then(|d| by_ancestor.get(d)) {
                for &qi in qs {
                    if prefixes
                        .get(qi)
                        .is_some_and(|p| p.starts_with(q) && p.len() > q.len())
                    {
                        push(qi, j);
                    }
                }
            }
        }
    }
    for v in &mut out {
        v.sort_unstable();
        v.dedup();
    }
    out
}

/// A fast hasher for the diff's maps of glob texts (Fx, as in rustc): the keys are the
/// policies' own texts, so hash flooding is not a concern, and SipHash dominated the time
/// of diffing large policies.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // Fold the high bits, where the multiplications put the entropy, into the low
        // bits the table indexes with.
        let h = self.hash;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// A hash map with [`FxHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A hash set with [`FxHasher`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

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
            &["/etc/ssl/*", "/var/lib/x", "/etc/ssl/x"],
            items.iter().copied(),
        );
        assert_eq!(n[0], vec![0, 1, 3, 4, 5, 6]);
        assert_eq!(n[1], vec![2, 3]);
        assert_eq!(n[2], vec![0, 1, 3, 4, 5, 6]);
    }

    proptest::proptest! {
        /// The one-pass search finds exactly the globs whose literal prefixes are one a
        /// prefix of the other.
        #[test]
        fn neighbours_agree_with_brute_force(
            queries in proptest::collection::vec("/[ab/]{0,6}[*?{]?[ab/]{0,2}", 1..4),
            items in proptest::collection::vec("/[ab/]{0,6}[*?{]?[ab/]{0,2}", 0..12),
        ) {
            let q: Vec<&str> = queries.iter().map(String::as_str).collect();
            let found = neighbours(&q, items.iter().map(String::as_str));
            for (qi, query) in q.iter().enumerate() {
                let p = literal_prefix(query);
                let want: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        let i = literal_prefix(t);
                        i.starts_with(p) || p.starts_with(i)
                    })
                    .map(|(j, _)| j)
                    .collect();
                proptest::prop_assert_eq!(&found[qi], &want, "query {}", query);
            }
        }
    }
}
