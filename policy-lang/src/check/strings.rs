//! String literals: mapping decoded offsets back to source spans, `${var}` references,
//! and quoting user input in messages.

use crate::span::Span;
use std::ops::Range;

/// Maps byte offsets in a decoded string literal to spans in its source text.
///
/// A literal's span covers its quotes and the stored value is decoded (`\"` and `\\`
/// resolved). When the source text under the span does not decode to the stored value
/// (a tree from the JSON form, or a span that does not point at a literal), every range
/// maps to the whole literal.
#[derive(Clone, Debug)]
pub(crate) struct LitMap {
    whole: Span,
    /// For each decoded byte, the source offset of the character holding it; one extra
    /// entry for the end of the value (the closing quote).
    offsets: Option<Vec<usize>>,
}

impl LitMap {
    /// The map of the literal `value` written at `span` in `text`.
    pub(crate) fn new(text: &str, span: Span, value: &str) -> LitMap {
        LitMap {
            whole: span,
            offsets: decode_offsets(text, span, value),
        }
    }

    /// The source span of the decoded byte range `r` (the whole literal when unmappable).
    pub(crate) fn span(&self, r: Range<usize>) -> Span {
        let Some(offs) = &self.offsets else {
            return self.whole;
        };
        match (offs.get(r.start), offs.get(r.end)) {
            (Some(&s), Some(&e)) if s <= e => Span::new(s, e.max(s)),
            _ => self.whole,
        }
    }
}

fn decode_offsets(text: &str, span: Span, value: &str) -> Option<Vec<usize>> {
    let raw = text.get(span.start..span.end)?;
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let base = span.start + 1;
    let mut offs = Vec::with_capacity(value.len() + 1);
    let mut decoded = String::with_capacity(value.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        let c = if c == '\\' {
            match chars.next() {
                Some((_, e @ ('"' | '\\'))) => e,
                _ => return None,
            }
        } else {
            c
        };
        for _ in 0..c.len_utf8() {
            offs.push(base + i);
        }
        decoded.push(c);
    }
    offs.push(base + inner.len());
    (decoded == value).then_some(offs)
}

/// A piece of a string that may hold `${name}` references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text: a byte range of the decoded string.
    Lit(Range<usize>),
    /// `${name}`: the name and the range of the whole reference.
    Var(String, Range<usize>),
}

/// A malformed `${...}` reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefError {
    /// Byte range in the decoded string.
    pub(crate) range: Range<usize>,
    /// What is wrong (lowercase, user input in backticks).
    pub(crate) message: String,
}

/// True for a valid variable name: `[a-z][a-z0-9_]*`.
pub(crate) fn is_var_name(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some('a'..='z'))
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Split a string into literal text and `${name}` references. `$` not followed by `{`
/// is an ordinary character.
pub(crate) fn pieces(s: &str) -> Result<Vec<Piece>, RefError> {
    let mut out = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    while let Some(rest) = s.get(i..) {
        let Some(at) = rest.find("${") else { break };
        let start = i + at;
        let name_start = start + 2;
        let Some(close) = s.get(name_start..).and_then(|r| r.find('}')) else {
            return Err(RefError {
                range: start..s.len(),
                message: "unterminated variable reference: `${` without `}`".into(),
            });
        };
        let name_end = name_start + close;
        let name = s.get(name_start..name_end).unwrap_or_default();
        if !is_var_name(name) {
            return Err(RefError {
                range: start..name_end + 1,
                message: format!(
                    "invalid variable reference `${{{}}}`: a name is lowercase letters, digits and `_`, starting with a letter",
                    one_line(name)
                ),
            });
        }
        if lit_start < start {
            out.push(Piece::Lit(lit_start..start));
        }
        out.push(Piece::Var(name.to_string(), start..name_end + 1));
        i = name_end + 1;
        lit_start = i;
    }
    if lit_start < s.len() {
        out.push(Piece::Lit(lit_start..s.len()));
    }
    Ok(out)
}

/// True when the string holds a `${`.
pub(crate) fn has_refs(s: &str) -> bool {
    s.contains("${")
}

/// The string with every `${name}` replaced by `lookup(name)`; for each byte of the
/// result (and one past the end), the decoded range of the source it came from (the
/// byte itself for literal text, the whole reference for a substituted value).
pub(crate) struct Substituted {
    /// The resulting text.
    pub(crate) text: String,
    map: Vec<Range<usize>>,
}

impl Substituted {
    /// The decoded source range behind the result's byte range `r`.
    pub(crate) fn source_range(&self, r: Range<usize>) -> Range<usize> {
        let end_idx = r.end.max(r.start);
        let first = self.map.get(r.start).or(self.map.last());
        let last = if end_idx > r.start {
            self.map.get(end_idx - 1)
        } else {
            first
        };
        match (first, last) {
            (Some(a), Some(b)) => {
                let s = a.start.min(b.start);
                let e = if end_idx > r.start {
                    a.end.max(b.end)
                } else {
                    a.end
                };
                s..e
            }
            _ => 0..0,
        }
    }

    /// The references whose values overlap the result's byte range `r`.
    pub(crate) fn vars_in(&self, r: Range<usize>, pieces: &[Piece]) -> Vec<String> {
        let src = self.source_range(r);
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Var(n, pr)
                    if pr.start < src.end.max(src.start + 1) && src.start < pr.end =>
                {
                    Some(n.clone())
                }
                _ => None,
            })
            .collect()
    }
}

/// Substitute the references of `pieces` (from `source`).
pub(crate) fn substitute<'a>(
    source: &str,
    pieces: &[Piece],
    mut lookup: impl FnMut(&str) -> Option<&'a str>,
) -> Substituted {
    let mut text = String::with_capacity(source.len());
    let mut map = Vec::with_capacity(source.len() + 1);
    for p in pieces {
        match p {
            Piece::Lit(r) => {
                text.push_str(source.get(r.clone()).unwrap_or_default());
                map.extend(r.clone().map(|i| i..i + 1));
            }
            Piece::Var(name, r) => {
                let v = lookup(name).unwrap_or_default();
                text.push_str(v);
                map.extend(std::iter::repeat_n(r.clone(), v.len()));
            }
        }
    }
    map.push(source.len()..source.len());
    Substituted { text, map }
}

use crate::ir::text::one_line;

/// The candidate closest to `word` by edit distance (a swap of two neighbours counting
/// as one edit), when close enough to be a likely typo; else the one candidate `word`
/// is a prefix of.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let near = candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    near.or_else(|| {
        let mut prefixed = candidates
            .iter()
            .filter(|c| word.len() >= 3 && c.starts_with(word));
        match (prefixed.next(), prefixed.next()) {
            (Some(c), None) => Some(*c),
            _ => None,
        }
    })
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    let get =
        |d: &Vec<usize>, i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for (i, ca) in a.iter().enumerate().map(|(i, c)| (i + 1, c)) {
        for (j, cb) in b.iter().enumerate().map(|(j, c)| (j + 1, c)) {
            let cost = usize::from(ca != cb);
            let mut v = (get(&d, i - 1, j) + 1)
                .min(get(&d, i, j - 1) + 1)
                .min(get(&d, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                v = v.min(get(&d, i - 2, j - 2) + 1);
            }
            if let Some(x) = d.get_mut(at(i, j)) {
                *x = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_through_escapes() {
        let text = r#"x "/a\"b\\c" y"#;
        let span = Span::new(2, 12);
        let m = LitMap::new(text, span, "/a\"b\\c");
        // `b` is decoded byte 3, written at source offset 7
        assert_eq!(m.span(3..4), Span::new(7, 8));
        // `"` is decoded byte 2, written as `\"` at 5..7
        assert_eq!(m.span(2..3), Span::new(5, 7));
        // end of value: the closing quote
        assert_eq!(m.span(6..6), Span::new(11, 11));
        // a span that is not this literal falls back to the whole literal
        let m = LitMap::new(text, span, "other");
        assert_eq!(m.span(0..1), span);
    }

    #[test]
    fn maps_multibyte_characters() {
        let text = "\"/é/x\"";
        let m = LitMap::new(text, Span::new(0, text.len()), "/é/x");
        assert_eq!(m.span(1..3), Span::new(2, 4));
        assert_eq!(m.span(4..5), Span::new(5, 6));
    }

    #[test]
    fn splits_references() {
        let p = pieces("/a/${dir}/b$c").unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Lit(0..3),
                Piece::Var("dir".into(), 3..9),
                Piece::Lit(9..13)
            ]
        );
        assert!(pieces("/a/${Dir}").is_err());
        assert_eq!(pieces("/a/${dir").unwrap_err().range, 3..8);
        assert_eq!(pieces("").unwrap(), vec![]);
    }

    #[test]
    fn substitution_maps_back() {
        let s = "${d}/x";
        let p = pieces(s).unwrap();
        let sub = substitute(s, &p, |_| Some("/var/lib"));
        assert_eq!(sub.text, "/var/lib/x");
        assert_eq!(sub.source_range(1..4), 0..4);
        assert_eq!(sub.source_range(8..10), 4..6);
        assert_eq!(sub.source_range(10..10), 6..6);
        assert_eq!(sub.vars_in(0..1, &p), vec!["d".to_string()]);
        assert!(sub.vars_in(9..10, &p).is_empty());
    }

    #[test]
    fn escapes_and_suggestions() {
        assert_eq!(one_line("a\nb\0"), "a\\nb\\u{0}");
        assert_eq!(one_line("é"), "é");
        assert_eq!(suggest("reed", ["read", "write"]), Some("read"));
        assert_eq!(suggest("zzzz", ["read", "write"]), None);
        assert_eq!(suggest("bsae", ["base", "tmp"]), Some("base"));
        assert_eq!(
            suggest("net_bind", ["net_bind_service", "net_raw"]),
            Some("net_bind_service")
        );
    }
}
