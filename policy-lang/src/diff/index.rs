//! A prefix index over globs: which globs can share a path with a given one.
//!
//! Every path a glob matches starts with the glob's *literal prefix* (its text up to the
//! first `*`, `?` or `{`). Two globs whose literal prefixes are not one a prefix of the
//! other share no path, so only globs with compatible prefixes need the algebra.

use std::collections::HashMap;

/// The text of a glob up to its first wildcard or brace.
pub(crate) fn literal_prefix(text: &str) -> &str {
    let end = text.find(['*', '?', '{']).unwrap_or(text.len());
    text.get(..end).unwrap_or(text)
}

/// Items (numbered `0..n`) by the literal prefix of their glob.
pub(crate) struct PrefixIndex<'a> {
    /// (prefix, item), sorted.
    sorted: Vec<(&'a str, usize)>,
    /// prefix → items.
    exact: HashMap<&'a str, Vec<usize>>,
}

impl<'a> PrefixIndex<'a> {
    /// Index items given by their glob texts.
    pub(crate) fn new(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut sorted: Vec<(&'a str, usize)> = texts
            .enumerate()
            .map(|(i, t)| (literal_prefix(t), i))
            .collect();
        sorted.sort_unstable();
        let mut exact: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (p, i) in &sorted {
            exact.entry(p).or_default().push(*i);
        }
        PrefixIndex { sorted, exact }
    }

    /// Every item whose glob may share a path with a glob of literal prefix `prefix`,
    /// appended to `out` (unsorted, each item once).
    pub(crate) fn compatible(&self, prefix: &str, out: &mut Vec<usize>) {
        // Items whose prefix extends `prefix` (including equal).
        let start = self.sorted.partition_point(|(p, _)| *p < prefix);
        for (p, i) in self.sorted.iter().skip(start) {
            if !p.starts_with(prefix) {
                break;
            }
            out.push(*i);
        }
        // Items whose prefix is a proper prefix of `prefix`.
        for (cut, _) in prefix.char_indices() {
            if let Some(head) = prefix.get(..cut) {
                if let Some(items) = self.exact.get(head) {
                    out.extend_from_slice(items);
                }
            }
        }
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
    }

    #[test]
    fn compatible_finds_extensions_and_ancestors_only() {
        let texts = [
            "/etc/**",
            "/etc/ssl/*.pem",
            "/var/**",
            "/**",
            "/etc/s*",
            "/et",
        ];
        let idx = PrefixIndex::new(texts.iter().copied());
        let mut out = Vec::new();
        idx.compatible("/etc/ssl/", &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 1, 3, 4, 5]);
        out.clear();
        idx.compatible("/var/lib/x", &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![2, 3]);
    }
}
