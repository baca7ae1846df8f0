//! The regular expressions of file_contexts (the PCRE2 subset that policies use), and
//! the translation of polc globs to the same form.
//!
//! libselinux compiles each file_contexts regex with PCRE2 in byte mode with
//! `PCRE2_DOTALL`, anchored as `^REGEX$` (without a group: a top-level `|` splits the
//! anchors, exactly as PCRE2 does). The parser accepts literals, escapes (`\.`, `\xHH`,
//! `\d`, `\w`, `\s` and their negations, `\t`, `\n`...), `.`, bracket classes with ranges
//! and negation, groups `( )` and `(?: )`, `|`, the quantifiers `* + ? {n} {n,} {n,m}`
//! (lazy forms included: they match the same language) and the anchors `^` and `$`.
//! Anything else (back-references, look-around, possessive quantifiers...) is refused,
//! so nothing is modelled wrongly.

use crate::automata::{ByteSet, Re};

/// Why a regex could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RegexError(pub(crate) String);

/// The longest bounded repetition accepted (`{n,m}` with m above this is refused).
const MAX_REPEAT: u32 = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn digit() -> ByteSet {
    ByteSet::range(b'0', b'9')
}
fn word() -> ByteSet {
    ByteSet::range(b'a', b'z')
        .union(ByteSet::range(b'A', b'Z'))
        .union(digit())
        .union(ByteSet::single(b'_'))
}
fn space() -> ByteSet {
    [b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c]
        .into_iter()
        .fold(ByteSet::EMPTY, ByteSet::with)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, RegexError> {
        Err(RegexError(format!("{what} at byte {}", self.i)))
    }

    fn alt(&mut self) -> Result<Re, RegexError> {
        let mut alts = vec![self.concat()?];
        while self.peek() == Some(b'|') {
            self.i += 1;
            alts.push(self.concat()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Re::Empty)
        } else {
            Re::Alt(alts)
        })
    }

    fn concat(&mut self) -> Result<Re, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            let atom = self.quantified(atom)?;
            items.push(atom);
        }
        Ok(Re::Concat(items))
    }

    fn hex(&mut self) -> Result<u8, RegexError> {
        let braced = self.peek() == Some(b'{');
        if braced {
            self.i += 1;
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) && self.i - start < 2 {
            self.i += 1;
        }
        let text = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default()).unwrap_or("");
        let v = u8::from_str_radix(if text.is_empty() { "0" } else { text }, 16)
            .or_else(|_| self.err("bad hex escape"))?;
        if braced {
            if self.peek() != Some(b'}') {
                return self.err("bad hex escape");
            }
            self.i += 1;
        }
        Ok(v)
    }

    /// After a backslash: the set it denotes.
    fn escape(&mut self) -> Result<ByteSet, RegexError> {
        let Some(c) = self.peek() else {
            return self.err("trailing backslash");
        };
        self.i += 1;
        Ok(match c {
            b'd' => digit(),
            b'D' => digit().complement(),
            b'w' => word(),
            b'W' => word().complement(),
            b's' => space(),
            b'S' => space().complement(),
            b't' => ByteSet::single(b'\t'),
            b'n' => ByteSet::single(b'\n'),
            b'r' => ByteSet::single(b'\r'),
            b'f' => ByteSet::single(0x0c),
            b'v' => ByteSet::single(0x0b),
            b'e' => ByteSet::single(0x1b),
            b'a' => ByteSet::single(0x07),
            b'x' => ByteSet::single(self.hex()?),
            c if c.is_ascii_alphanumeric() => {
                self.i -= 1;
                return self.err("unsupported escape");
            }
            c => ByteSet::single(c),
        })
    }

    fn class(&mut self) -> Result<ByteSet, RegexError> {
        // after '['
        let negate = self.peek() == Some(b'^');
        if negate {
            self.i += 1;
        }
        let mut set = ByteSet::EMPTY;
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated class");
            };
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == b'[' && self.s.get(self.i + 1) == Some(&b':') {
                return self.err("unsupported POSIX class");
            }
            self.i += 1;
            let lo_set = if c == b'\\' {
                self.escape()?
            } else {
                ByteSet::single(c)
            };
            let single = (0..=255u8)
                .filter(|b| lo_set.contains(*b))
                .collect::<Vec<_>>();
            if self.peek() == Some(b'-')
                && self.s.get(self.i + 1).is_some_and(|&n| n != b']')
                && single.len() == 1
            {
                self.i += 1;
                let Some(h) = self.peek() else {
                    return self.err("unterminated class");
                };
                self.i += 1;
                let hi = if h == b'\\' {
                    let hs = self.escape()?;
                    let v: Vec<u8> = (0..=255u8).filter(|b| hs.contains(*b)).collect();
                    match v.as_slice() {
                        [x] => *x,
                        _ => return self.err("bad range"),
                    }
                } else {
                    h
                };
                let lo = single.first().copied().unwrap_or(0);
                if hi < lo {
                    return self.err("bad range");
                }
                set = set.union(ByteSet::range(lo, hi));
            } else {
                set = set.union(lo_set);
            }
        }
        Ok(if negate { set.complement() } else { set })
    }

    fn atom(&mut self) -> Result<Re, RegexError> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end");
        };
        self.i += 1;
        Ok(match c {
            b'.' => Re::Set(ByteSet::FULL),
            b'^' => Re::Bol,
            b'$' => Re::Eol,
            b'\\' => Re::Set(self.escape()?),
            b'[' => Re::Set(self.class()?),
            b'(' => {
                if self.peek() == Some(b'?') {
                    if self.s.get(self.i + 1) == Some(&b':') {
                        self.i += 2;
                    } else {
                        return self.err("unsupported group");
                    }
                }
                let inner = self.alt()?;
                if self.peek() != Some(b')') {
                    return self.err("unbalanced parenthesis");
                }
                self.i += 1;
                inner
            }
            b'*' | b'+' | b'?' => return self.err("nothing to repeat"),
            c => Re::Set(ByteSet::single(c)),
        })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(self.s.get(start..self.i)?)
            .ok()?
            .parse()
            .ok()
    }

    fn quantified(&mut self, atom: Re) -> Result<Re, RegexError> {
        let mut atom = atom;
        loop {
            let (min, max) = match self.peek() {
                Some(b'*') => {
                    self.i += 1;
                    (0, None)
                }
                Some(b'+') => {
                    self.i += 1;
                    (1, None)
                }
                Some(b'?') => {
                    self.i += 1;
                    (0, Some(1))
                }
                Some(b'{') => {
                    let save = self.i;
                    self.i += 1;
                    let Some(min) = self.number() else {
                        self.i = save;
                        return Ok(atom);
                    };
                    let max = if self.peek() == Some(b',') {
                        self.i += 1;
                        if self.peek() == Some(b'}') {
                            None
                        } else {
                            match self.number() {
                                Some(m) => Some(m),
                                None => {
                                    self.i = save;
                                    return Ok(atom);
                                }
                            }
                        }
                    } else {
                        Some(min)
                    };
                    if self.peek() != Some(b'}') {
                        self.i = save;
                        return Ok(atom);
                    }
                    self.i += 1;
                    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
                        return self.err("repetition too large");
                    }
                    (min, max)
                }
                _ => return Ok(atom),
            };
            match self.peek() {
                Some(b'?') => self.i += 1,
                Some(b'+') => return self.err("possessive quantifier"),
                _ => {}
            }
            if matches!(atom, Re::Bol | Re::Eol) {
                return self.err("quantified anchor");
            }
            atom = Re::Repeat(Box::new(atom), min, max);
        }
    }
}

/// Parse a file_contexts regex into the language libselinux matches: `^REGEX$` under
/// PCRE2 search semantics. The `^` binds to the first top-level alternative and the `$`
/// to the last one; other alternatives may match anywhere in the path (they get `.*`
/// on the open side), exactly as PCRE2 reads the anchored text.
pub(crate) fn parse_fc_regex(text: &str) -> Result<Re, RegexError> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let re = p.alt()?;
    if p.i != p.s.len() {
        return p.err("unbalanced parenthesis");
    }
    let alts = match re {
        Re::Alt(alts) => alts,
        other => vec![other],
    };
    let any = || Re::Repeat(Box::new(Re::Set(ByteSet::FULL)), 0, None);
    let last = alts.len().saturating_sub(1);
    let mut out = Vec::with_capacity(alts.len());
    for (i, alt) in alts.into_iter().enumerate() {
        let mut items = match alt {
            Re::Concat(items) => items,
            other => vec![other],
        };
        if i != 0 && items.first() != Some(&Re::Bol) {
            items.insert(0, any());
        }
        if i != last && items.last() != Some(&Re::Eol) {
            items.push(any());
        }
        out.push(Re::Concat(items));
    }
    Ok(if out.len() == 1 {
        out.pop().unwrap_or(Re::Empty)
    } else {
        Re::Alt(out)
    })
}

/// True when libselinux and CIL consider the regex free of meta characters (an "exact"
/// path specification), and the length of its literal stem.
pub(crate) fn fc_meta(text: &str) -> (bool, usize, usize) {
    // (meta, stem_len, str_len) as computed by libsepol's cil_post_fc_fill_data
    let b = text.as_bytes();
    let (mut meta, mut stem, mut len) = (false, 0usize, 0usize);
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'.' | b'^' | b'$' | b'?' | b'*' | b'+' | b'|' | b'[' | b'(' | b'{' => meta = true,
            b'\\' => {
                i += 1;
                if b.get(i).is_none() {
                    if !meta {
                        stem += 1;
                    }
                    len += 1;
                    return (meta, stem, len);
                }
                if !meta {
                    stem += 1;
                }
            }
            _ => {
                if !meta {
                    stem += 1;
                }
            }
        }
        len += 1;
        i += 1;
    }
    (meta, stem, len)
}

/// A glob token.
enum Tok {
    Lit(u8),
    /// `[...]` (and `[...]+`): the class's bytes (see [`class_bytes`]), one or more.
    Class(ByteSet, bool),
    Star,
    DoubleStar,
    Quest,
    Open,
    Comma,
    Close,
}

fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'[' => {
                if let Ok(sc) = polc_lang::glob::class::scan(text, i) {
                    out.push(Tok::Class(class_bytes(&sc.class), sc.plus));
                    i = sc.end;
                    continue;
                }
                out.push(Tok::Lit(c));
            }
            b'*' if b.get(i + 1) == Some(&b'*') => {
                out.push(Tok::DoubleStar);
                i += 2;
                continue;
            }
            b'*' => out.push(Tok::Star),
            b'?' => out.push(Tok::Quest),
            b'{' => out.push(Tok::Open),
            b',' => out.push(Tok::Comma),
            b'}' => out.push(Tok::Close),
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Commas outside braces and unbalanced braces: the glob module refuses such globs, but
/// the backend stays safe and reads them as literal characters, which is how they are
/// written to CIL too.
fn balanced(toks: &[Tok]) -> bool {
    let mut depth: i64 = 0;
    for t in toks {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// The bytes of a class: its ASCII members, and every byte from 0x80 when it holds a
/// character beyond ASCII (matched byte by byte, as `?` is: file_contexts regexes run
/// in byte mode).
fn class_bytes(c: &polc_lang::glob::class::CharClass) -> ByteSet {
    let mut set = ByteSet::EMPTY;
    for &(a, b) in c.ranges() {
        if a <= 0x7f {
            let lo = u8::try_from(a).unwrap_or(0x7f);
            let hi = u8::try_from(b.min(0x7f)).unwrap_or(0x7f);
            set = set.union(ByteSet::range(lo, hi));
        }
        if b >= 0x80 {
            set = set.union(ByteSet::range(0x80, 0xff));
        }
    }
    set
}

/// A byte set as a file_contexts bracket class, every member as `\xHH`.
fn push_class(out: &mut String, set: &ByteSet) {
    out.push('[');
    let mut b = 0u16;
    while b <= 0xff {
        let lo = b as u8;
        if !set.contains(lo) {
            b += 1;
            continue;
        }
        let mut hi = lo;
        while hi < 0xff && set.contains(hi + 1) {
            hi += 1;
        }
        if hi == lo {
            out.push_str(&format!("\\x{lo:02x}"));
        } else {
            out.push_str(&format!("\\x{lo:02x}-\\x{hi:02x}"));
        }
        b = u16::from(hi) + 1;
    }
    out.push(']');
}

fn not_slash() -> ByteSet {
    ByteSet::single(b'/').complement()
}

/// The language of a glob, as a [`Re`] over path strings (validity of the path is
/// checked separately).
pub(crate) fn glob_re(text: &str) -> Re {
    let toks = tokens(text);
    let braces = balanced(&toks);
    let mut stack: Vec<(Vec<Re>, Vec<Re>)> = vec![(Vec::new(), Vec::new())];
    for t in &toks {
        let item = match t {
            Tok::Lit(c) => Re::Set(ByteSet::single(*c)),
            Tok::Class(set, false) => Re::Set(*set),
            Tok::Class(set, true) => Re::Repeat(Box::new(Re::Set(*set)), 1, None),
            Tok::Star => Re::Repeat(Box::new(Re::Set(not_slash())), 0, None),
            Tok::DoubleStar => Re::Repeat(Box::new(Re::Set(ByteSet::FULL)), 0, None),
            Tok::Quest => Re::Set(not_slash()),
            Tok::Open if braces => {
                stack.push((Vec::new(), Vec::new()));
                continue;
            }
            Tok::Comma if braces && stack.len() > 1 => {
                if let Some((alts, cur)) = stack.last_mut() {
                    alts.push(Re::Concat(std::mem::take(cur)));
                }
                continue;
            }
            Tok::Close if braces && stack.len() > 1 => {
                let (mut alts, cur) = stack.pop().unwrap_or_default();
                alts.push(Re::Concat(cur));
                Re::Alt(alts)
            }
            Tok::Open => Re::Set(ByteSet::single(b'{')),
            Tok::Comma => Re::Set(ByteSet::single(b',')),
            Tok::Close => Re::Set(ByteSet::single(b'}')),
        };
        if let Some((_, cur)) = stack.last_mut() {
            cur.push(item);
        }
    }
    let (_, cur) = stack.pop().unwrap_or_default();
    Re::Concat(cur)
}

fn push_lit(out: &mut String, c: u8) {
    if c.is_ascii_alphanumeric() || c == b'/' || c == b'_' || c == b'-' {
        out.push(char::from(c));
    } else if c == b'.' {
        out.push_str("\\.");
    } else {
        out.push_str(&format!("\\x{c:02x}"));
    }
}

/// The file_contexts regex for a glob: `*` → `[^/]*`, `**` → `.*`, `?` → `[^/]`,
/// `{a,b}` → `(a|b)`; letters, digits, `/`, `_` and `-` are written as they are, `.` as
/// `\.`, and every other byte as `\xHH`, so the text holds no quote, space, newline,
/// parenthesis or semicolon of the user's and is safe in CIL and in file_contexts.
pub(crate) fn glob_to_fc_regex(text: &str) -> String {
    let toks = tokens(text);
    let braces = balanced(&toks);
    let mut out = String::new();
    let mut depth = 0usize;
    for t in &toks {
        match t {
            Tok::Lit(c) => push_lit(&mut out, *c),
            Tok::Class(set, plus) => {
                push_class(&mut out, set);
                if *plus {
                    out.push('+');
                }
            }
            Tok::Star => out.push_str("[^/]*"),
            Tok::DoubleStar => out.push_str(".*"),
            Tok::Quest => out.push_str("[^/]"),
            Tok::Open if braces => {
                depth += 1;
                out.push('(');
            }
            Tok::Comma if braces && depth > 0 => out.push('|'),
            Tok::Close if braces && depth > 0 => {
                depth -= 1;
                out.push(')');
            }
            Tok::Open => push_lit(&mut out, b'{'),
            Tok::Comma => push_lit(&mut out, b','),
            Tok::Close => push_lit(&mut out, b'}'),
        }
    }
    out
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
    fn meta_and_stem_follow_libsepol() {
        assert_eq!(fc_meta("/etc/.*"), (true, 5, 7));
        assert_eq!(fc_meta("/usr/bin/foo\\.sh"), (false, 15, 15));
        assert_eq!(fc_meta("/a?quota\\.(user|group)"), (true, 2, 21));
    }

    #[test]
    fn classes_translate_to_byte_classes() {
        assert_eq!(glob_to_fc_regex("/p/[0-9]+/x"), "/p/[\\x30-\\x39]+/x");
        assert_eq!(glob_to_fc_regex("/p/[]a-]"), "/p/[\\x2d\\x5d\\x61]");
        let neg = glob_to_fc_regex("/p/[^a]");
        assert_eq!(neg, "/p/[\\x01-\\x2e\\x30-\\x60\\x62-\\xff]");
        for g in [
            "/p/[0-9]+/x",
            "/p/[]a-]",
            "/p/[^a]",
            "/p/{[1-9],[1-9][0-9]+}",
        ] {
            parse_fc_regex(&glob_to_fc_regex(g)).unwrap();
        }
    }

    #[test]
    fn globs_translate_to_safe_regexes() {
        assert_eq!(glob_to_fc_regex("/var/lib/app/**"), "/var/lib/app/.*");
        assert_eq!(
            glob_to_fc_regex("/a b/\"x\";(y)/{c,d*}/?"),
            "/a\\x20b/\\x22x\\x22\\x3b\\x28y\\x29/(c|d[^/]*)/[^/]"
        );
        assert_eq!(glob_to_fc_regex("/x{y"), "/x\\x7by");
        // the translation parses back
        for g in ["/var/lib/app/**", "/a b/{c,d*}/?", "/x{y", "/{,a}"] {
            parse_fc_regex(&glob_to_fc_regex(g)).unwrap();
        }
    }

    #[test]
    fn refuses_what_it_cannot_model() {
        assert!(parse_fc_regex("/a(?=b)").is_err());
        assert!(parse_fc_regex("/a\\1").is_err());
        assert!(parse_fc_regex("/a*+").is_err());
        assert!(parse_fc_regex("/a(").is_err());
        assert!(parse_fc_regex("/a{2,3}b[0-9a-f]\\.x").is_ok());
        // `^/a|/b$`: the first alternative is anchored at the start only
        let re = parse_fc_regex("/a|/b").unwrap();
        assert!(matches!(re, Re::Alt(ref v) if v.len() == 2));
    }
}
