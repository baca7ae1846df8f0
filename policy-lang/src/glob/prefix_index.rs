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
//! A query costs a binary search in the sorted prefixes, a walk up the chain of indexed
//! prefixes that are prefixes of one another, and the size of the answer.

/// The first sixteen bytes of `text` (zeros past its end) as two big-endian integers:
/// for texts `a` and `b`, `text_head(a) < text_head(b)` implies `a < b`, and equal heads
/// leave the order to the texts themselves. A sort by `(text_head(t), t)` is a sort by `t`
/// whose comparisons mostly look at two integers.
pub(crate) fn text_head(text: &str) -> (u64, u64) {
    let bytes = text.as_bytes();
    let word = |from: usize| {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(bytes.get(from..).unwrap_or_default()) {
            *d = *s;
        }
        u64::from_be_bytes(w)
    };
    (word(0), word(8))
}

/// Globs (by item number: what the caller numbers them by) grouped by literal prefix.
#[derive(Debug, Default)]
pub struct PrefixIndex<'a> {
    /// The distinct prefixes, sorted.
    keys: Vec<&'a str>,
    /// The items of every key, key after key, each key's ascending (one vector, not one
    /// per key: an index of 10,000 globs allocated 10,000 vectors).
    items: Vec<usize>,
    /// Where each key's items start in `items`; they end where the next key's start.
    starts: Vec<usize>,
    /// For each key, the longest other key that is a prefix of it (its position).
    parent: Vec<Option<usize>>,
}

impl<'a> PrefixIndex<'a> {
    /// Index items given as (item number, literal prefix); numbers ascending.
    pub fn new(entries: impl IntoIterator<Item = (usize, &'a str)>) -> PrefixIndex<'a> {
        // By prefix, then by item: each key's items stay ascending. The first sixteen
        // bytes of each prefix, as integers, decide most comparisons: the prefixes
        // share long heads, which comparing them as strings went over again and again.
        let mut entries: Vec<((u64, u64), &'a str, usize)> = entries
            .into_iter()
            .map(|(i, p)| (text_head(p), p, i))
            .collect();
        entries.sort_unstable();
        let mut index = PrefixIndex {
            items: Vec::with_capacity(entries.len()),
            ..PrefixIndex::default()
        };
        // The keys that are prefixes of the current one, longest last.
        let mut chain: Vec<usize> = Vec::new();
        for (_, key, item) in entries {
            if index.keys.last() == Some(&key) {
                index.items.push(item);
                continue;
            }
            while let Some(&top) = chain.last() {
                if index.keys.get(top).is_some_and(|k| key.starts_with(k)) {
                    break;
                }
                chain.pop();
            }
            index.parent.push(chain.last().copied());
            chain.push(index.keys.len());
            index.keys.push(key);
            index.starts.push(index.items.len());
            index.items.push(item);
        }
        index
    }

    /// The items of the keys at positions `keys` (one run of `items`).
    fn items_of(&self, keys: std::ops::Range<usize>) -> &[usize] {
        let at = |k: usize| self.starts.get(k).copied().unwrap_or(self.items.len());
        self.items
            .get(at(keys.start)..at(keys.end))
            .unwrap_or_default()
    }

    /// Every item whose prefix is a prefix of `prefix` or has `prefix` as a prefix,
    /// ascending.
    pub fn related(&self, prefix: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.related_into(prefix, &mut out);
        out
    }

    /// [`related`](Self::related) into `out`, cleared first: a caller with many queries
    /// reuses one vector.
    pub fn related_into(&self, prefix: &str, out: &mut Vec<usize>) {
        out.clear();
        let first = self.keys.partition_point(|k| *k < prefix);
        // Keys that are proper prefixes of the query: every such key sorts between itself
        // and the query, so it is the last key below the query or a key up that key's
        // chain; once one is a prefix of the query, so are all above it.
        let mut up = first.checked_sub(1);
        while let Some(k) = up {
            if self.keys.get(k).is_some_and(|key| prefix.starts_with(key)) {
                break;
            }
            up = self.parent.get(k).copied().flatten();
        }
        while let Some(k) = up {
            out.extend_from_slice(self.items_of(k..k + 1));
            up = self.parent.get(k).copied().flatten();
        }
        // Keys that extend the query (itself included): a run of the sorted keys, whose
        // items are one run of `items`.
        let last = first
            + self
                .keys
                .iter()
                .skip(first)
                .take_while(|k| k.starts_with(prefix))
                .count();
        out.extend_from_slice(self.items_of(first..last));
        out.sort_unstable();
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

    proptest::proptest! {
        /// Ordering by `(text_head, text)` is ordering by text.
        #[test]
        fn text_head_orders_as_the_text(a in "[a\\x00/é]{0,20}", b in "[a\\x00/é]{0,20}") {
            let (ha, hb) = (super::text_head(&a), super::text_head(&b));
            proptest::prop_assert_eq!((ha, &a).cmp(&(hb, &b)), a.cmp(&b));
        }
    }

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
