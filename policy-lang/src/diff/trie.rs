//! A few strings as a compressed trie of bytes (a radix tree), walked by many others: a
//! walk finds which of the few are a prefix of the walked string and of which it is a
//! prefix, reading the walked string only as far as it agrees with one of them.

/// How a key of the trie relates to a walked string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rel {
    /// The key is a proper prefix of the string.
    Shorter,
    /// The key is the string.
    Equal,
    /// The string is a proper prefix of the key.
    Longer,
}

/// The trie. Keys are numbered by their place in the list it was built from.
pub(crate) struct Trie {
    nodes: Vec<Node>,
    labels: Vec<u8>,
}

#[derive(Default)]
struct Node {
    /// The bytes from the parent to this node, in `Trie::labels`.
    label: (usize, usize),
    /// (first byte of the child's label, child).
    edges: Vec<(u8, usize)>,
    /// Keys ending here.
    ends: Vec<usize>,
    /// Keys going on below here.
    below: Vec<usize>,
}

/// A node of the uncompressed trie, while building.
#[derive(Default)]
struct Plain {
    edges: Vec<(u8, usize)>,
    ends: Vec<usize>,
}

impl Trie {
    /// The trie of `keys`.
    pub(crate) fn new<'a>(keys: impl Iterator<Item = &'a [u8]>) -> Trie {
        // A trie of one byte per node first.
        let mut plain: Vec<Plain> = vec![Plain::default()];
        let child = |plain: &[Plain], at: usize, b: u8| {
            plain
                .get(at)
                .and_then(|n| n.edges.iter().find(|e| e.0 == b))
                .map(|e| e.1)
        };
        let mut keys_seen: Vec<&'a [u8]> = Vec::new();
        for (k, key) in keys.enumerate() {
            let mut at = 0;
            for &b in key {
                at = match child(&plain, at, b) {
                    Some(c) => c,
                    None => {
                        let c = plain.len();
                        plain.push(Plain::default());
                        if let Some(n) = plain.get_mut(at) {
                            n.edges.push((b, c));
                        }
                        c
                    }
                };
            }
            if let Some(n) = plain.get_mut(at) {
                n.ends.push(k);
            }
            keys_seen.push(key);
        }
        // Then chains of nodes with one child and no key merged into one node.
        let mut t = Trie {
            nodes: vec![Node::default()],
            labels: Vec::new(),
        };
        let mut todo: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some((p, node)) = todo.pop() {
            let Some(pn) = plain.get(p) else { continue };
            if let Some(n) = t.nodes.get_mut(node) {
                n.ends.clone_from(&pn.ends);
            }
            for &(b, mut c) in &pn.edges {
                let start = t.labels.len();
                t.labels.push(b);
                while let Some(cn) = plain.get(c) {
                    match cn.edges.as_slice() {
                        [(b2, c2)] if cn.ends.is_empty() => {
                            t.labels.push(*b2);
                            c = *c2;
                        }
                        _ => break,
                    }
                }
                let id = t.nodes.len();
                t.nodes.push(Node {
                    label: (start, t.labels.len()),
                    ..Node::default()
                });
                if let Some(n) = t.nodes.get_mut(node) {
                    n.edges.push((b, id));
                }
                todo.push((c, id));
            }
        }
        // Each key is below every node on its way.
        for (k, key) in keys_seen.iter().enumerate() {
            let mut passed: Vec<usize> = Vec::new();
            t.walk(key, |_, _| {}, |node| passed.push(node));
            for node in passed {
                if let Some(n) = t.nodes.get_mut(node) {
                    n.below.push(k);
                }
            }
        }
        t
    }

    /// Walk `s` down the trie: `found` gets the keys related to `s`, with how, each key
    /// at most once; `passed` gets the nodes `s` goes beyond.
    fn walk(&self, s: &[u8], mut found: impl FnMut(Rel, usize), mut passed: impl FnMut(usize)) {
        let mut node = 0;
        let mut pos = 0;
        while let Some(n) = self.nodes.get(node) {
            let Some((&b, rest)) = s
                .get(pos..)
                .and_then(|r| r.split_first().map(|(b, _)| (b, r)))
            else {
                // `s` ends here.
                n.ends.iter().for_each(|&k| found(Rel::Equal, k));
                n.below.iter().for_each(|&k| found(Rel::Longer, k));
                return;
            };
            n.ends.iter().for_each(|&k| found(Rel::Shorter, k));
            let Some(c) = n.edges.iter().find(|e| e.0 == b).map(|e| e.1) else {
                return;
            };
            let Some(cn) = self.nodes.get(c) else { return };
            let label = self.labels.get(cn.label.0..cn.label.1).unwrap_or_default();
            if rest.starts_with(label) {
                passed(node);
                pos += label.len();
                node = c;
            } else {
                if label.starts_with(rest) {
                    // `s` ends inside the label: it is a proper prefix of every key below.
                    cn.ends
                        .iter()
                        .chain(&cn.below)
                        .for_each(|&k| found(Rel::Longer, k));
                }
                return;
            }
        }
    }

    /// The keys related to `s`, with how, each at most once.
    pub(crate) fn related(&self, s: &[u8], found: impl FnMut(Rel, usize)) {
        self.walk(s, found, |_| {});
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

    fn brute(keys: &[String], s: &str) -> Vec<(Rel, usize)> {
        let mut v: Vec<(Rel, usize)> = keys
            .iter()
            .enumerate()
            .filter_map(|(k, key)| {
                if key == s {
                    Some((Rel::Equal, k))
                } else if s.starts_with(key.as_str()) {
                    Some((Rel::Shorter, k))
                } else if key.starts_with(s) {
                    Some((Rel::Longer, k))
                } else {
                    None
                }
            })
            .collect();
        v.sort_by_key(|&(_, k)| k);
        v
    }

    #[test]
    fn walks_find_prefixes_and_extensions() {
        let keys: Vec<String> = ["/srv/a/", "/srv/ab", "/srv/", "/etc/x", "/srv/a/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = Trie::new(keys.iter().map(|k| k.as_bytes()));
        for s in [
            "/srv/a/b", "/srv/a", "/s", "/srv/", "/etc", "/usr", "", "/srv/abc",
        ] {
            let mut got = Vec::new();
            t.related(s.as_bytes(), |r, k| got.push((r, k)));
            got.sort_by_key(|&(_, k)| k);
            assert_eq!(got, brute(&keys, s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn walks_agree_with_brute_force(
            keys in proptest::collection::vec("[ab/]{0,6}", 0..8),
            walked in proptest::collection::vec("[ab/]{0,7}", 1..8),
        ) {
            let t = Trie::new(keys.iter().map(|k| k.as_bytes()));
            for s in &walked {
                let mut got = Vec::new();
                t.related(s.as_bytes(), |r, k| got.push((r, k)));
                got.sort_by_key(|&(_, k)| k);
                proptest::prop_assert_eq!(got, brute(&keys, s), "{}", s);
            }
        }
    }
}
