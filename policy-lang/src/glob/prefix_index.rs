//! An index of globs by literal prefix: which globs can share a path with a given one.
//!
//! Every path a glob matches starts with the glob's literal prefix
//! ([`Glob::literal_prefix`](super::Glob::literal_prefix)), so two globs whose literal
//! prefixes are not one a prefix of the other share no path, and neither contains the
//! other (unless it matches no path). The lints, the transition check and the Landlock
//! backend's placement compare a glob only with the globs this index returns, instead of
//! with every glob of the policy. A literal path may be the query: the globs that can
//! match it are among those whose prefix is a prefix of it.
//!
//! A query costs a hash lookup for each length at which some indexed prefix could be a
//! proper prefix of the query's, a binary search for the indexed prefixes that extend
//! the query's, and the size of the answer.

use crate::hash::FastMap;

/// Globs (by item number: what the caller numbers them by) grouped by literal prefix.
#[derive(Debug, Default)]
pub struct PrefixIndex<'a> {
    /// The distinct prefixes, sorted.
    keys: Vec<&'a str>,
    /// The items of each key, ascending.
    items: Vec<Vec<usize>>,
    /// Key → its position in `keys`.
    at: FastMap<&'a str, usize>,
    /// `has_len[k]`: some key is `k` bytes long.
    has_len: Vec<bool>,
}

impl<'a> PrefixIndex<'a> {
    /// Index items given as (item number, literal prefix); numbers ascending.
    pub fn new(entries: impl IntoIterator<Item = (usize, &'a str)>) -> PrefixIndex<'a> {
        let mut groups: FastMap<&'a str, Vec<usize>> = FastMap::default();
        for (item, prefix) in entries {
            groups.entry(prefix).or_default().push(item);
        }
        let mut sorted: Vec<(&'a str, Vec<usize>)> = groups.into_iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let longest = sorted.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut index = PrefixIndex {
            keys: Vec::with_capacity(sorted.len()),
            items: Vec::with_capacity(sorted.len()),
            at: FastMap::default(),
            has_len: vec![false; longest + 1],
        };
        for (pos, (key, items)) in sorted.into_iter().enumerate() {
            if let Some(f) = index.has_len.get_mut(key.len()) {
                *f = true;
            }
            index.at.insert(key, pos);
            index.keys.push(key);
            index.items.push(items);
        }
        index
    }

    /// Every item whose prefix is a prefix of `prefix` or has `prefix` as a prefix,
    /// ascending.
    pub fn related(&self, prefix: &str) -> Vec<usize> {
        let mut out = Vec::new();
        // Keys that are proper prefixes of the query.
        for (len, _) in self
            .has_len
            .iter()
            .enumerate()
            .take(prefix.len())
            .filter(|(_, has)| **has)
        {
            // A key that is a prefix of the query ends on one of its char boundaries.
            let found = prefix.get(..len).and_then(|cut| self.at.get(cut));
            if let Some(items) = found.and_then(|pos| self.items.get(*pos)) {
                out.extend_from_slice(items);
            }
        }
        // Keys that extend the query (itself included): a run of the sorted keys.
        let first = self.keys.partition_point(|k| *k < prefix);
        for (key, items) in self.keys.iter().zip(&self.items).skip(first) {
            if !key.starts_with(prefix) {
                break;
            }
            out.extend_from_slice(items);
        }
        out.sort_unstable();
        out
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
    use super::PrefixIndex;

    #[test]
    fn related_prefixes_are_ancestors_and_extensions() {
        let keys = [
            "/etc/",
            "/etc/ssl/",
            "/var/",
            "/",
            "/etc/s",
            "/et",
            "/etc/ssl/x",
        ];
        let index = PrefixIndex::new(keys.iter().copied().enumerate());
        assert_eq!(index.related("/etc/ssl/"), vec![0, 1, 3, 4, 5, 6]);
        assert_eq!(index.related("/var/lib/x"), vec![2, 3]);
        assert_eq!(index.related("/"), vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(index.related("/opt"), vec![3]);
        assert!(PrefixIndex::new([]).related("/a").is_empty());
    }

    proptest::proptest! {
        /// The index finds exactly the items whose prefix is one a prefix of the other's
        /// (multi-byte characters included), in ascending order.
        #[test]
        fn related_agrees_with_brute_force(
            query in "/[aé/]{0,6}",
            keys in proptest::collection::vec("/[aé/]{0,6}", 0..16),
        ) {
            let index = PrefixIndex::new(keys.iter().map(String::as_str).enumerate());
            let want: Vec<usize> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.starts_with(&query) || query.starts_with(k.as_str()))
                .map(|(j, _)| j)
                .collect();
            proptest::prop_assert_eq!(index.related(&query), want);
        }
    }
}
