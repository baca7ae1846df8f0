//! Glob syntax: brace structure, brace expansions and the path-form checks.
//!
//! The text is first scanned for control characters, then split into a tree of literal
//! runs and brace groups. Every brace expansion is then materialised (their number and
//! total length are bounded before any is built) and checked: star runs, then path form.

use super::class::{self, CharClass};
use super::{GlobError, GlobErrorKind, MAX_BRACE_DEPTH, MAX_EXPANDED_LEN, MAX_EXPANSIONS};
use std::sync::Arc;

/// A node of the brace tree.
#[derive(Clone, Debug)]
pub(super) enum Node {
    /// A run of the glob text without brace syntax: `start..end` in bytes.
    Text { start: usize, end: usize },
    /// A brace group with at least two alternatives (`{x}` is inlined as `x`).
    Alt(Vec<Vec<Node>>),
}

/// One token of a brace-free run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Token {
    /// `[...]`: one character of the class.
    Class(Arc<CharClass>),
    /// `[...]+`: one or more characters of the class.
    ClassPlus(Arc<CharClass>),
    /// A literal character.
    Lit(char),
    /// `?`
    One,
    /// `*`
    Star,
    /// `**`
    GlobStar,
}

/// One character of an expansion with the byte offset it comes from in the glob text.
type Expansion = Vec<(char, usize)>;

fn err(kind: GlobErrorKind, start: usize, end: usize) -> GlobError {
    GlobError { kind, start, end }
}

fn malformed(msg: impl Into<String>, start: usize, end: usize) -> GlobError {
    err(GlobErrorKind::Malformed(msg.into()), start, end)
}

/// True for the characters a glob may not hold.
pub(super) fn is_control(c: char) -> bool {
    c < '\u{20}' || c == '\u{7f}'
}

/// Parse `text` into its brace tree and check every expansion.
pub(super) fn parse(text: &str) -> Result<Vec<Node>, GlobError> {
    match plain(text) {
        Some(seq) => Ok(seq),
        None => parse_expanded(text, true),
    }
}

/// The brace tree of a glob without braces, classes or control characters that passes
/// every check, found without materialising its one expansion (most globs of a policy
/// have this shape); `None` for any other text, which [`parse_expanded`] decides and
/// reports on.
fn plain(text: &str) -> Option<Vec<Node>> {
    // Control characters are ASCII: no byte of a longer UTF-8 character is below 0x80.
    let other = |b: &u8| *b < 0x20 || *b == 0x7f || matches!(b, b'{' | b'}' | b'[');
    if text.as_bytes().iter().any(other) || !plain_form(text) {
        return None;
    }
    Some(vec![Node::Text {
        start: 0,
        end: text.len(),
    }])
}

/// Whether a brace-free, class-free glob text passes the star and path-form checks: it
/// starts with `/`, holds no `***`, and is `/` or has no empty, `.` or `..` component.
fn plain_form(text: &str) -> bool {
    let Some((b'/', rest)) = text.as_bytes().split_first() else {
        return false;
    };
    let mut stars = 0usize;
    for b in rest {
        stars = if *b == b'*' { stars + 1 } else { 0 };
        if stars >= 3 {
            return false;
        }
    }
    rest.is_empty()
        || rest
            .split(|b| *b == b'/')
            .all(|c| !matches!(c, [] | [b'.'] | [b'.', b'.']))
}

/// [`parse`] by the brace tree and its expansions. With `shortcut`, a glob without
/// classes whose stars no brace boundary can join has each expansion checked as a
/// string in one buffer ([`any_expansion`], [`plain_form`]); only a glob that fails there
/// is materialised, to report the problem where it is.
fn parse_expanded(text: &str, shortcut: bool) -> Result<Vec<Node>, GlobError> {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| is_control(c)) {
        return Err(err(GlobErrorKind::Control, i, i + c.len_utf8()));
    }
    let mut parser = Parser {
        text,
        pos: 0,
        in_class: vec![false; text.len()],
    };
    let seq = parser.seq(0, false)?;
    let (count, len) = stats(&seq, text);
    if count > MAX_EXPANSIONS as u64 {
        return Err(malformed(
            format!("more than {MAX_EXPANSIONS} brace expansions"),
            0,
            text.len(),
        ));
    }
    if len > MAX_EXPANDED_LEN as u64 {
        return Err(malformed(
            format!("brace expansions longer than {MAX_EXPANDED_LEN} characters in total"),
            0,
            text.len(),
        ));
    }
    // A star run joined across a boundary needs a `*` that brace syntax follows and one
    // that brace syntax precedes.
    let bytes = text.as_bytes();
    let brace = |b: &u8| matches!(b, b'{' | b',' | b'}');
    let joinable = bytes.windows(2).any(|w| matches!(w, [b'*', b] if brace(b)))
        && bytes.windows(2).any(|w| matches!(w, [b, b'*'] if brace(b)));
    if shortcut
        && !joinable
        && !text.contains('[')
        && any_expansion(&seq, text, &mut |e| Some(!plain_form(e))) == Some(false)
    {
        return Ok(seq);
    }
    for exp in expand(&seq, text) {
        check_stars(&exp, &parser.in_class)?;
        check_path_form(&exp, text, &parser.in_class)?;
    }
    Ok(seq)
}

/// The directory form of a file rule's path: when every brace expansion ends with `/`
/// (other than the root `/` itself), the text without those slashes, which must expand to
/// exactly the expansions without their last `/`. `Ok(None)` when no expansion ends with
/// `/`, or when the text is malformed in another way (the glob parse reports it);
/// [`GlobErrorKind::MixedDirForm`] when some expansions end with `/` and others do not,
/// or when the slashes cannot be removed from the text alone (`/a/{,b/}`).
pub(super) fn dir_form(text: &str) -> Result<Option<String>, GlobError> {
    // Every expansion ends with the text's last character unless the text ends with a
    // brace group: no `/` or `}` at the end, no trailing `/` anywhere.
    if !text.ends_with(['/', '}']) {
        return Ok(None);
    }
    // An expansion ends with a `/` of the text that only brace syntax follows: the end,
    // a `,` or `}`, or a `{` whose group can be empty, which takes an empty alternative
    // (`{,` `,,` `,}` or `{}`) somewhere. Without such a `/`, none ends with one.
    let bytes = text.as_bytes();
    let has = |a: u8, then: &[u8]| {
        bytes
            .windows(2)
            .any(|w| matches!(w, [x, y] if *x == a && then.contains(y)))
    };
    if !text.ends_with('/')
        && !has(b'/', b",}")
        && !(has(b'/', b"{") && (has(b'{', b",}") || has(b',', b",}")))
    {
        return Ok(None);
    }
    dir_form_expanded(text)
}

/// [`dir_form`] by the brace tree and every expansion.
fn dir_form_expanded(text: &str) -> Result<Option<String>, GlobError> {
    if text.chars().any(is_control) {
        return Ok(None);
    }
    let structure = |t: &str| -> Option<(Vec<Expansion>, Vec<bool>)> {
        let mut parser = Parser {
            text: t,
            pos: 0,
            in_class: vec![false; t.len()],
        };
        let seq = parser.seq(0, false).ok()?;
        let (count, len) = stats(&seq, t);
        if count > MAX_EXPANSIONS as u64 || len > MAX_EXPANDED_LEN as u64 {
            return None;
        }
        Some((expand(&seq, t), parser.in_class))
    };
    let Some((exps, in_class)) = structure(text) else {
        return Ok(None);
    };
    // The offset of each expansion's trailing `/`, if it has one.
    let trailing: Vec<Option<usize>> = exps
        .iter()
        .map(|e| match e.as_slice() {
            [.., (c, off)]
                if e.len() > 1 && *c == '/' && !in_class.get(*off).copied().unwrap_or(false) =>
            {
                Some(*off)
            }
            _ => None,
        })
        .collect();
    let with = trailing.iter().filter(|t| t.is_some()).count();
    if with == 0 {
        return Ok(None);
    }
    let mixed =
        |off: usize, all_end: bool| err(GlobErrorKind::MixedDirForm { all_end }, off, off + 1);
    if with < trailing.len() {
        let off = trailing.iter().flatten().next().copied().unwrap_or(0);
        return Err(mixed(off, false));
    }
    let removed: Vec<usize> = {
        let mut v: Vec<usize> = trailing.iter().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let stripped: String = text
        .char_indices()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, c)| c)
        .collect();
    let want: Vec<String> = exps
        .iter()
        .map(|e| {
            let n = e.len().saturating_sub(1);
            e.iter().take(n).map(|(c, _)| *c).collect()
        })
        .collect();
    // `//` and `/a//` keep their empty component: the form without the slash must not
    // end with `/` again.
    if want.iter().any(|w| w.ends_with('/')) {
        return Ok(None);
    }
    let got: Option<Vec<String>> = structure(&stripped).map(|(es, _)| {
        es.iter()
            .map(|e| e.iter().map(|(c, _)| *c).collect())
            .collect()
    });
    if got.as_ref() != Some(&want) {
        return Err(mixed(removed.first().copied().unwrap_or(0), true));
    }
    Ok(Some(stripped))
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// For each byte of the text, whether it lies inside a character class.
    in_class: Vec<bool>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// A sequence up to the end of the text or, inside braces, up to `,` or `}`.
    fn seq(&mut self, depth: usize, in_alt: bool) -> Result<Vec<Node>, GlobError> {
        let mut seq = Vec::new();
        let mut run_start = self.pos;
        loop {
            match self.peek() {
                None => break,
                Some(b'{') => {
                    push_text(&mut seq, run_start, self.pos);
                    let open = self.pos;
                    if depth >= MAX_BRACE_DEPTH {
                        return Err(malformed(
                            format!("braces nested deeper than {MAX_BRACE_DEPTH} levels"),
                            open,
                            open + 1,
                        ));
                    }
                    self.pos += 1;
                    let mut alts = Vec::new();
                    loop {
                        alts.push(self.seq(depth + 1, true)?);
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(malformed("unclosed `{`", open, open + 1)),
                        }
                    }
                    if alts.len() == 1 {
                        // `{x}` means `x`: inline it, so chains of such groups cost nothing.
                        seq.extend(alts.into_iter().flatten());
                    } else {
                        seq.push(Node::Alt(alts));
                    }
                    run_start = self.pos;
                }
                Some(b'[') => {
                    // A class is one unit of its run: braces and commas inside are members.
                    let end = class::scan(self.text, self.pos)?.end;
                    for b in self.in_class.get_mut(self.pos..end).unwrap_or_default() {
                        *b = true;
                    }
                    self.pos = end;
                }
                Some(b',' | b'}') if in_alt => break,
                Some(b'}') => return Err(malformed("unmatched `}`", self.pos, self.pos + 1)),
                Some(_) => self.pos += 1,
            }
        }
        push_text(&mut seq, run_start, self.pos);
        Ok(seq)
    }
}

fn push_text(seq: &mut Vec<Node>, start: usize, end: usize) {
    if start < end {
        seq.push(Node::Text { start, end });
    }
}

/// The text of a run (empty if the range is not on character boundaries, which the
/// parser never produces).
pub(super) fn run_text(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

/// Number of expansions and their total length in characters, saturating.
fn stats(seq: &[Node], text: &str) -> (u64, u64) {
    let mut count: u64 = 1;
    let mut len: u64 = 0;
    for node in seq {
        let (c, l) = match node {
            Node::Text { start, end } => (1, run_text(text, *start, *end).chars().count() as u64),
            Node::Alt(alts) => alts.iter().fold((0u64, 0u64), |(c, l), alt| {
                let (c2, l2) = stats(alt, text);
                (c.saturating_add(c2), l.saturating_add(l2))
            }),
        };
        len = len
            .saturating_mul(c)
            .saturating_add(l.saturating_mul(count));
        count = count.saturating_mul(c);
    }
    (count, len)
}

/// Every expansion, leftmost group varying slowest. Call only after [`stats`] bounded them.
fn expand(seq: &[Node], text: &str) -> Vec<Expansion> {
    let mut out: Vec<Expansion> = vec![Vec::new()];
    for node in seq {
        match node {
            Node::Text { start, end } => {
                let run = run_text(text, *start, *end);
                for e in &mut out {
                    e.reserve(run.len());
                    e.extend(run.char_indices().map(|(i, c)| (c, start + i)));
                }
            }
            Node::Alt(alts) => {
                let tails: Vec<Expansion> = alts.iter().flat_map(|a| expand(a, text)).collect();
                let mut next = Vec::with_capacity(out.len() * tails.len());
                for head in &out {
                    for tail in &tails {
                        let mut e = Vec::with_capacity(head.len() + tail.len());
                        e.extend_from_slice(head);
                        e.extend_from_slice(tail);
                        next.push(e);
                    }
                }
                out = next;
            }
        }
    }
    out
}

/// The number of brace expansions (saturating).
pub(super) fn expansion_count(seq: &[Node]) -> u64 {
    seq.iter().fold(1u64, |count, node| match node {
        Node::Text { .. } => count,
        Node::Alt(alts) => count.saturating_mul(
            alts.iter()
                .fold(0u64, |c, alt| c.saturating_add(expansion_count(alt))),
        ),
    })
}

/// `f` on each brace expansion's text in turn (leftmost group varying slowest), each
/// built in one reused buffer instead of materialised: `Some(false)` when `f` says so of
/// every expansion, else the first other answer (`Some(true)`, or `None`), where the
/// walk stops. Recurses once per brace group on the way to an expansion; callers bound
/// the number of expansions (at least `2^groups` for groups in sequence), nesting is
/// bounded by [`MAX_BRACE_DEPTH`].
pub(super) fn any_expansion(
    seq: &[Node],
    text: &str,
    f: &mut dyn FnMut(&str) -> Option<bool>,
) -> Option<bool> {
    let mut buf = String::with_capacity(text.len());
    walk(seq, None, &mut buf, text, f)
}

/// What is left to read after the sequence being walked: the rest of the sequence around
/// its brace group, then what is left after that one. It lives on the walk's stack (the
/// walk copied a vector of the sequences left for every alternative: most of the time of
/// matching or checking a brace glob).
struct Then<'n, 'o> {
    /// The rest of the enclosing sequence.
    seq: &'n [Node],
    /// What follows that.
    outer: Option<&'o Then<'n, 'o>>,
}

/// [`any_expansion`] from `seq`, then what `then` leaves to read, after `buf`.
fn walk<'n>(
    mut seq: &'n [Node],
    mut then: Option<&Then<'n, '_>>,
    buf: &mut String,
    text: &str,
    f: &mut dyn FnMut(&str) -> Option<bool>,
) -> Option<bool> {
    let len = buf.len();
    let answer = loop {
        match seq.split_first() {
            None => match then {
                None => break f(buf),
                Some(t) => {
                    seq = t.seq;
                    then = t.outer;
                }
            },
            Some((Node::Text { start, end }, tail)) => {
                buf.push_str(run_text(text, *start, *end));
                seq = tail;
            }
            Some((Node::Alt(alts), tail)) => {
                let after = Then {
                    seq: tail,
                    outer: then,
                };
                let mut answer = Some(false);
                for alt in alts {
                    answer = walk(alt, Some(&after), buf, text, f);
                    if answer != Some(false) {
                        break;
                    }
                }
                break answer;
            }
        }
    };
    buf.truncate(len);
    answer
}

/// The brace expansions as strings.
pub(super) fn expansions(seq: &[Node], text: &str) -> Vec<String> {
    expand(seq, text)
        .into_iter()
        .map(|e| e.into_iter().map(|(c, _)| c).collect())
        .collect()
}

/// `***` and star runs that a brace boundary would join (`{a,*}*`) are malformed, so that
/// the stars of every expansion are the stars of the text.
fn check_stars(exp: &[(char, usize)], in_class: &[bool]) -> Result<(), GlobError> {
    let mut run: Option<(usize, usize, usize)> = None; // (first offset, last offset, length)
    for &(c, off) in exp {
        if c != '*' || in_class.get(off).copied().unwrap_or(false) {
            run = None;
            continue;
        }
        run = match run {
            None => Some((off, off, 1)),
            Some((first, last, n)) => {
                if off != last + 1 {
                    return Err(malformed(
                        "a `*` run continues across a brace boundary",
                        first.min(off),
                        last.max(off) + 1,
                    ));
                }
                if n + 1 >= 3 {
                    return Err(malformed(
                        "`***`: a run of more than two `*`",
                        first,
                        off + 1,
                    ));
                }
                Some((first, off, n + 1))
            }
        };
    }
    Ok(())
}

/// Relative, empty component, trailing `/`, `.` and `..` components.
fn check_path_form(exp: &[(char, usize)], text: &str, in_class: &[bool]) -> Result<(), GlobError> {
    let span = |&(c, off): &(char, usize)| (off, off + c.len_utf8());
    // A `/` inside a class (`[^/]`) separates nothing.
    let sep = |&(c, off): &(char, usize)| c == '/' && !in_class.get(off).copied().unwrap_or(false);
    match exp.first() {
        None => return Err(err(GlobErrorKind::Relative, 0, text.len())),
        Some(first) if first.0 != '/' => {
            let (s, e) = span(first);
            return Err(err(GlobErrorKind::Relative, s, e));
        }
        Some(_) => {}
    }
    if exp.len() == 1 {
        return Ok(()); // the root
    }
    // Components: the characters between one `/` and the next (or the end).
    let mut slash = 0usize; // index in `exp` of the `/` opening the current component
    let mut i = 1usize;
    loop {
        let end = exp
            .iter()
            .skip(i)
            .position(sep)
            .map_or(exp.len(), |p| p + i);
        let comp = exp.get(i..end).unwrap_or(&[]);
        let opening = exp.get(slash).map(span).unwrap_or((0, 0));
        match (comp.first(), comp.last()) {
            (Some(first), Some(last)) => {
                let range = (
                    span(first).0.min(span(last).0),
                    span(first).1.max(span(last).1),
                );
                let kind = match comp {
                    [('.', _)] => Some(GlobErrorKind::Dot),
                    [('.', _), ('.', _)] => Some(GlobErrorKind::DotDot),
                    _ => None,
                };
                if let Some(kind) = kind {
                    return Err(err(kind, range.0, range.1));
                }
            }
            _ => {
                // Empty: `//` (underline both slashes) or a trailing `/`.
                let (s, e) = match exp.get(end) {
                    Some(next) => {
                        let n = span(next);
                        (opening.0.min(n.0), opening.1.max(n.1))
                    }
                    None => opening,
                };
                return Err(err(GlobErrorKind::EmptyComponent, s, e));
            }
        }
        if end >= exp.len() {
            return Ok(());
        }
        slash = end;
        i = end + 1;
    }
}

/// Split a brace-free run into tokens. Star runs longer than two never reach here (the
/// expansion checks reject them); they would be read as `**`.
pub(super) fn tokens(run: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(match c {
            '[' => match class::scan(run, i) {
                // The parser checked every class; a run never ends inside one.
                Ok(s) => {
                    while chars.next_if(|&(j, _)| j < s.end).is_some() {}
                    let class = Arc::new(s.class);
                    if s.plus {
                        Token::ClassPlus(class)
                    } else {
                        Token::Class(class)
                    }
                }
                Err(_) => Token::Lit('['),
            },
            '*' => {
                let mut n = 1;
                while chars.next_if(|&(_, c)| c == '*').is_some() {
                    n += 1;
                }
                if n == 1 {
                    Token::Star
                } else {
                    Token::GlobStar
                }
            }
            '?' => Token::One,
            c => Token::Lit(c),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    proptest::proptest! {
        /// The shortcuts for globs without braces and classes answer as the full parse
        /// by expansions does (errors included, which the shortcut leaves to it).
        #[test]
        fn plain_globs_parse_as_their_expansion(text in "/?[a./é*{},\\[\\]^+\u{1}]{0,10}/?") {
            if let Some(seq) = plain(&text) {
                let full = parse_expanded(&text, false);
                proptest::prop_assert!(full.is_ok(), "{text}: {full:?}");
                proptest::prop_assert_eq!(format!("{seq:?}"), format!("{:?}", full.unwrap()));
            }
            if !text.ends_with(['/', '}']) {
                proptest::prop_assert_eq!(dir_form_expanded(&text), Ok(None), "{}", text);
            }
            proptest::prop_assert_eq!(dir_form(&text), dir_form_expanded(&text), "{}", text);
        }
    }

    proptest::proptest! {
        /// Brace globs checked expansion by expansion as strings answer as the
        /// materialised check does, errors included.
        #[test]
        fn brace_globs_checked_in_place_as_materialised(text in "/?[a./*{},\\[\\]]{0,12}/?") {
            let fast = parse_expanded(&text, true).map(|s| format!("{s:?}"));
            let full = parse_expanded(&text, false).map(|s| format!("{s:?}"));
            proptest::prop_assert_eq!(fast, full, "{}", text);
        }

        /// Walking the expansions in one buffer visits exactly the materialised
        /// expansions, in order, and stops at the first answer other than `false`.
        #[test]
        fn expansions_walked_in_place_are_the_expansions(text in "/[a/*{},]{0,12}") {
            let Ok(seq) = parse(&text) else {
                return Ok(());
            };
            let want = expansions(&seq, &text);
            proptest::prop_assert_eq!(expansion_count(&seq), want.len() as u64);
            let mut seen = Vec::new();
            let all = any_expansion(&seq, &text, &mut |e| {
                seen.push(e.to_string());
                Some(false)
            });
            proptest::prop_assert_eq!(all, Some(false));
            proptest::prop_assert_eq!(&seen, &want);
            let mut n = 0;
            let second = any_expansion(&seq, &text, &mut |_| {
                n += 1;
                Some(n == 2)
            });
            proptest::prop_assert_eq!(second, Some(want.len() >= 2));
            proptest::prop_assert_eq!(n, want.len().min(2));
        }
    }

    #[test]
    fn plain_globs_take_the_shortcut() {
        for text in ["/", "/a/**", "/a/*.b?", "/a/b,c]+", "/é/x"] {
            assert!(plain(text).is_some(), "{text}");
        }
        for text in [
            "/a/{b,c}", "/a/[b]", "a/b", "/a//b", "/a/./b", "/a/..", "/a/***", "/a/",
        ] {
            assert!(plain(text).is_none(), "{text}");
        }
    }
}
