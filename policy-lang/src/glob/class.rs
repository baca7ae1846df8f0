//! Character classes: `[abc]`, `[a-z]`, `[^/.]`, and the repetition `[0-9]+`.
//!
//! # Syntax
//!
//! A class is `[`, an optional `^` (negation), one or more items, then `]`:
//!
//! - an item is a character, or a range `x-y` with `x ≤ y` (both included);
//! - a `]` right after the opening `[` (or after `[^`) is an ordinary member: `[]a]`
//!   holds `]` and `a`; any later `]` closes the class;
//! - a `-` first or last in the class is an ordinary member: `[-a]`, `[a-]`;
//! - `^` anywhere but first, and `[ { } , * ? \ +` inside a class, are ordinary members;
//!   there are no escapes. A literal `[` outside a class is written `[[]`;
//! - a class never matches `/`, negated or not: `/` in a class is malformed, except in a
//!   negated one where it only restates that (`[^/]` is one character other than `/`);
//!   negation is relative to the characters other than `/` and NUL.
//!
//! A class followed by `+` matches one or more characters of the class (`[0-9]+`: a
//! run of digits). A `+` anywhere else is an ordinary character.

use super::{GlobError, GlobErrorKind};

/// A character class of a glob.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CharClass {
    negated: bool,
    /// The items as written: single characters are `(c, c)`.
    items: Vec<(char, char)>,
    /// The characters matched: sorted, disjoint, non-adjacent inclusive ranges of code
    /// points, never holding `/` or NUL.
    set: Vec<(u32, u32)>,
}

const SLASH: u32 = '/' as u32;
const MAX_CHAR: u32 = char::MAX as u32;

impl CharClass {
    /// The class of the given items (each `(first, last)`, both included).
    fn new(negated: bool, items: Vec<(char, char)>) -> CharClass {
        let mut ranges: Vec<(u32, u32)> =
            items.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let positive = if negated {
            let mut out = Vec::new();
            let mut next = 1u32;
            for (a, b) in merged {
                if a > next {
                    out.push((next, a - 1));
                }
                next = next.max(b.saturating_add(1));
            }
            if next <= MAX_CHAR {
                out.push((next, MAX_CHAR));
            }
            out
        } else {
            merged
        };
        // Remove `/` and NUL.
        let mut set = Vec::new();
        for (a, b) in positive {
            let a = a.max(1);
            if a > b {
                continue;
            }
            if a <= SLASH && SLASH <= b {
                if a < SLASH {
                    set.push((a, SLASH - 1));
                }
                if SLASH < b {
                    set.push((SLASH + 1, b));
                }
            } else {
                set.push((a, b));
            }
        }
        CharClass {
            negated,
            items,
            set,
        }
    }

    /// True for a negated class (`[^...]`).
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The items as written, single characters as `(c, c)`.
    pub fn items(&self) -> &[(char, char)] {
        &self.items
    }

    /// The characters matched, as sorted disjoint inclusive ranges of code points
    /// (never `/` nor NUL; code points of the surrogate range are not characters).
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.set
    }

    /// True when the class matches `c`.
    pub fn holds(&self, c: char) -> bool {
        let c = c as u32;
        self.set
            .binary_search_by(|&(a, b)| {
                if b < c {
                    std::cmp::Ordering::Less
                } else if a > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// The class in glob syntax: `[`, `^` when negated, the items, `]`, written so that
    /// it reads back as the same class.
    pub fn to_glob(&self) -> String {
        let mut out = String::from("[");
        if self.negated {
            out.push('^');
        }
        // `]` first, `-` last, so neither needs more care.
        let mut items = self.items.clone();
        items.sort_by_key(|&(a, b)| (!(a == ']' && b == ']'), a == '-' && b == '-'));
        for (a, b) in items {
            out.push(a);
            if a != b {
                out.push('-');
                out.push(b);
            }
        }
        out.push(']');
        out
    }
}

fn malformed(msg: impl Into<String>, start: usize, end: usize) -> GlobError {
    GlobError {
        kind: GlobErrorKind::Class(msg.into()),
        start,
        end,
    }
}

/// A class read from glob text, and where it ends.
#[derive(Clone, Debug)]
pub struct Scanned {
    /// The class.
    pub class: CharClass,
    /// Whether a `+` follows (one or more characters of the class).
    pub plus: bool,
    /// Byte offset just past the class and its `+`.
    pub end: usize,
}

/// Read the class starting at byte `start` of `text` (which holds `[` there). Errors:
/// unclosed, a `/` member, a reversed range.
pub fn scan(text: &str, start: usize) -> Result<Scanned, GlobError> {
    let body = text.get(start + 1..).unwrap_or("");
    let mut chars = body.char_indices().peekable();
    let mut negated = false;
    if let Some(&(_, '^')) = chars.peek() {
        negated = true;
        chars.next();
    }
    let mut items: Vec<(char, char)> = Vec::new();
    let mut first = true;
    let close;
    loop {
        let Some((i, c)) = chars.next() else {
            return Err(malformed("unclosed `[`", start, start + 1));
        };
        let at = start + 1 + i;
        if c == ']' && !first {
            close = at;
            break;
        }
        first = false;
        if c == '/' && !negated {
            return Err(malformed("a character class cannot hold `/`", at, at + 1));
        }
        // A range `c-d`, unless the `-` is the last member.
        let mut lookahead = chars.clone();
        if let (Some((_, '-')), Some((j, d))) = (lookahead.next(), lookahead.next()) {
            if d != ']' {
                let d_at = start + 1 + j;
                if d == '/' && !negated {
                    return Err(malformed(
                        "a character class cannot hold `/`",
                        d_at,
                        d_at + 1,
                    ));
                }
                if d < c {
                    return Err(malformed(
                        format!("reversed range `{c}-{d}` in a character class"),
                        at,
                        d_at + d.len_utf8(),
                    ));
                }
                chars = lookahead;
                items.push((c, d));
                continue;
            }
        }
        items.push((c, c));
    }
    let mut end = close + 1;
    let plus = text.as_bytes().get(end) == Some(&b'+');
    if plus {
        end += 1;
    }
    Ok(Scanned {
        class: CharClass::new(negated, items),
        plus,
        end,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn class(s: &str) -> Scanned {
        scan(s, 0).unwrap()
    }

    #[test]
    fn members_ranges_and_negation() {
        let c = class("[a-c.]").class;
        assert!(c.holds('a') && c.holds('b') && c.holds('c') && c.holds('.'));
        assert!(!c.holds('d') && !c.holds('/'));
        let n = class("[^a]").class;
        assert!(n.holds('b') && n.holds('\u{1}') && n.holds(char::MAX));
        assert!(!n.holds('a') && !n.holds('/') && !n.holds('\0'));
    }

    #[test]
    fn bracket_and_dash_are_members_where_documented() {
        let c = class("[]a-]");
        assert_eq!(c.end, 5);
        assert!(c.class.holds(']') && c.class.holds('a') && c.class.holds('-'));
        assert!(!c.class.holds('b'));
        let n = class("[^]]").class;
        assert!(!n.holds(']') && n.holds('a'));
        let lit = class("[[]").class;
        assert!(lit.holds('[') && !lit.holds(']'));
        assert!(class("[-]").class.holds('-'));
        assert!(class("[a^]").class.holds('^'));
    }

    #[test]
    fn plus_is_part_of_the_class() {
        let s = class("[0-9]+/x");
        assert!(s.plus);
        assert_eq!(s.end, 6);
        assert!(!class("[0-9]x").plus);
    }

    #[test]
    fn malformed_classes_are_refused_with_a_range() {
        let e = scan("/[ab", 1).unwrap_err();
        assert_eq!((e.start, e.end), (1, 2));
        let e = scan("[a/]", 0).unwrap_err();
        assert_eq!((e.start, e.end), (2, 3));
        assert!(matches!(e.kind, GlobErrorKind::Class(m) if m.contains("`/`")));
        assert!(class("[^/]").class.holds('a') && !class("[^/]").class.holds('/'));
        let e = scan("[z-a]", 0).unwrap_err();
        assert_eq!((e.start, e.end), (1, 4));
        // `/` lies between `.` and `0`: the range holds the others only.
        let c = class("[.-0]").class;
        assert!(c.holds('.') && c.holds('0') && !c.holds('/'));
        assert!(scan("[]", 0).is_err());
    }

    #[test]
    fn written_form_reads_back() {
        for s in ["[a-z]", "[^]a-]", "[]]", "[-x]", "[^^]"] {
            let c = class(s).class;
            let back = class(&c.to_glob()).class;
            assert_eq!(c.ranges(), back.ranges(), "{s}");
            assert_eq!(c.is_negated(), back.is_negated());
        }
    }
}
