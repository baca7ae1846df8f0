//! Byte spans of the values of a JSON text.
//!
//! serde_json keeps no locations, so [`scan`] walks the text once more and records the
//! span of every value and object key. It is used only on texts that serde_json read
//! (or for locating a serde_json error), so it is lenient: it finds structure, and does
//! not validate numbers or escapes.

use crate::span::Span;

/// The deepest nesting [`scan`] follows (serde_json stops at 128).
const MAX_DEPTH: usize = 256;

/// A JSON value with its span.
#[derive(Debug)]
pub(crate) struct Node {
    /// From the first byte of the value to one past its last.
    pub span: Span,
    /// What kind of value.
    pub kind: Kind,
}

/// The shape of a value.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A string, number, `true`, `false` or `null`.
    Scalar,
    /// `[...]`
    Array(Vec<Node>),
    /// `{...}`, members in text order (duplicates kept).
    Object(Vec<Member>),
}

/// One `"key": value` of an object.
#[derive(Debug)]
pub(crate) struct Member {
    /// The key, decoded.
    pub key: String,
    /// The key's span, quotes included.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Member {
    /// From the key to the end of the value.
    pub fn span(&self) -> Span {
        self.key_span.join(self.value.span)
    }
}

/// The tree of spans of a JSON text, or `None` when its structure is broken.
pub(crate) fn scan(text: &str) -> Option<Node> {
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    s.ws();
    let node = s.value(0)?;
    s.ws();
    (s.pos == s.bytes.len()).then_some(node)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.pos += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        let kind = match self.peek()? {
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => {
                self.string()?;
                Kind::Scalar
            }
            b'-' | b'0'..=b'9' => {
                self.skip_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'));
                Kind::Scalar
            }
            b'a'..=b'z' => {
                self.skip_while(|b| b.is_ascii_lowercase());
                Kind::Scalar
            }
            _ => return None,
        };
        Some(Node {
            span: Span::new(start, self.pos),
            kind,
        })
    }

    fn skip_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
    }

    /// A string starting at `"`; returns its span.
    fn string(&mut self) -> Option<Span> {
        let start = self.pos;
        self.eat(b'"')?;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(Span::new(start, self.pos));
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Kind> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']').is_some() {
            return Some(Kind::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(Kind::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Kind> {
        self.eat(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(Kind::Object(members));
        }
        loop {
            self.ws();
            let key_span = self.string()?;
            let raw = self.text.get(key_span.start..key_span.end)?;
            let key = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string());
            self.ws();
            self.eat(b':')?;
            self.ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(Kind::Object(members));
                }
                _ => return None,
            }
        }
    }
}

/// A position in the tree that may be missing; every step is total.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc<'a>(pub Option<&'a Node>);

impl<'a> Loc<'a> {
    /// The members of an object (none for anything else).
    pub fn members(self) -> &'a [Member] {
        match self.0 {
            Some(Node {
                kind: Kind::Object(m),
                ..
            }) => m,
            _ => &[],
        }
    }

    /// The member with this key (the last one, as serde_json keeps the last).
    pub fn member(self, key: &str) -> Option<&'a Member> {
        self.members().iter().rev().find(|m| m.key == key)
    }

    /// The value of a member.
    pub fn field(self, key: &str) -> Loc<'a> {
        Loc(self.member(key).map(|m| &m.value))
    }

    /// An element of an array.
    pub fn item(self, i: usize) -> Loc<'a> {
        match self.0 {
            Some(Node {
                kind: Kind::Array(items),
                ..
            }) => Loc(items.get(i)),
            _ => Loc(None),
        }
    }

    /// The span of the value (empty at 0 when missing).
    pub fn span(self) -> Span {
        self.0.map_or_else(Span::default, |n| n.span)
    }

    /// The span from a member's key to the end of its value.
    pub fn member_span(self, key: &str) -> Span {
        self.member(key).map_or_else(Span::default, Member::span)
    }
}

/// The innermost value or key at a byte offset, and the path to it (`rules[2].paths`).
pub(crate) struct Found {
    /// The value's or key's span.
    pub span: Span,
    /// The path of the value, or of the object holding the key.
    pub path: String,
}

/// Find what the byte at `offset` belongs to.
pub(crate) fn locate(root: &Node, offset: usize) -> Found {
    let inside = |s: Span| s.start <= offset && offset < s.end;
    let mut node = root;
    let mut path = String::new();
    'descend: loop {
        match &node.kind {
            Kind::Object(members) => {
                for m in members {
                    if inside(m.key_span) {
                        return Found {
                            span: m.key_span,
                            path,
                        };
                    }
                    if inside(m.value.span) {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(&m.key);
                        node = &m.value;
                        continue 'descend;
                    }
                }
            }
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if inside(item.span) {
                        path.push_str(&format!("[{i}]"));
                        node = item;
                        continue 'descend;
                    }
                }
            }
            Kind::Scalar => {}
        }
        return Found {
            span: node.span,
            path,
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn spans_cover_values_and_keys() {
        let t = r#" {"a": [1, "x\"y", {"b\u0063": null}], "d": true } "#;
        let root = scan(t).unwrap();
        let l = Loc(Some(&root));
        assert_eq!(&t[l.span().start..l.span().end], &t[1..t.len() - 1]);
        let a = l.field("a");
        assert_eq!(
            &t[a.item(1).span().start..a.item(1).span().end],
            r#""x\"y""#
        );
        let bc = a.item(2).member("bc").unwrap();
        assert_eq!(&t[bc.key_span.start..bc.key_span.end], r#""b\u0063""#);
        assert_eq!(&t[bc.span().start..bc.span().end], r#""b\u0063": null"#);
        let f = locate(&root, t.find("null").unwrap() + 1);
        assert_eq!(f.path, "a[2].bc");
        let f = locate(&root, t.find("\"d\"").unwrap());
        assert_eq!(f.path, "");
        assert_eq!(f.span.len(), 3);
    }

    #[test]
    fn broken_structure_gives_none() {
        for t in [
            "",
            "{",
            "[1,",
            "{\"a\" 1}",
            "[1] 2",
            "\"abc",
            "{\"a\":}",
            "@",
        ] {
            assert!(scan(t).is_none(), "{t}");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(scan(&deep).is_none());
    }
}
