//! The lexer: source text → tokens, one at a time, with nom over `&str`.
//!
//! The lexer never fails: every byte of the input ends up in a token, in a comment, in
//! whitespace, or in an "unexpected character" diagnostic (E0006), after which lexing
//! goes on. Strings are decoded here (E0002 unterminated, E0003 invalid escape); numbers
//! are words, interpreted (and range-checked, E0004) by the parser where it expects one.
//!
//! Comments are not tokens of the grammar: each token carries the comments written
//! between it and the previous token, with the number of line breaks before each, which
//! is all the parser needs to attach them and to see blank lines.

use crate::ast::Comment;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::show;
use crate::span::Span;
use nom::bytes::complete::{take, take_till, take_while1};
use nom::character::complete::{anychar, char};
use nom::IResult;

/// The lexer's input: the rest of the source. Every input is a suffix of the source, so
/// its byte offset is the source's length less its own ([`offset`]): a located span
/// (`nom_locate`) counted the lines of every piece it consumed.
type In<'a> = &'a str;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A run of `[A-Za-z0-9_.-]`: keywords, identifiers, names and numbers.
    Word,
    /// A string literal; its decoded value is in [`Token::value`].
    Str,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `=`
    Eq,
    /// `@`
    At,
    /// The end of the input (always the last token).
    Eof,
}

/// A comment seen before a token.
#[derive(Clone, Debug)]
pub(super) struct LexComment {
    /// The comment.
    pub comment: Comment,
    /// Line breaks between the previous token or comment and this comment.
    pub newlines_before: usize,
}

/// A token with its span, its source text and the comments written before it.
#[derive(Clone, Debug)]
pub(super) struct Token<'a> {
    /// What it is.
    pub kind: Kind,
    /// The source text of the token (quotes included for strings).
    pub text: &'a str,
    /// The decoded value of a string literal (empty for other tokens).
    pub value: String,
    /// Where it is.
    pub span: Span,
    /// Line breaks between the previous token or comment and this token.
    pub newlines_before: usize,
    /// Comments between the previous token and this one, in order.
    pub comments: Vec<LexComment>,
}

/// True for the characters of a word.
pub(super) const fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// True for whitespace (newlines are ordinary whitespace).
const fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0c')
}

/// [`CLASS`] bit of the bytes of words ([`is_word_char`]).
const WORD: u8 = 1;
/// [`CLASS`] bit of the bytes of whitespace ([`is_space`]).
const SPACE: u8 = 2;

/// The class bits of every byte: a table lookup per byte instead of a character
/// decoded and tested (the lexer's inner loops). Bytes outside ASCII are in no class, so a
/// run of a class always ends at a character boundary.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, with every index below 128 in a table of 256"
)]
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8 as char;
        if is_word_char(c) {
            t[b] |= WORD;
        }
        if is_space(c) {
            t[b] |= SPACE;
        }
        b += 1;
    }
    t
};

/// The class bits of `b`.
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// The length of the longest start of `i` whose bytes are all of class `bit`.
fn run_len(i: &[u8], bit: u8) -> usize {
    let mut n = 0;
    while let Some(&b) = i.get(n) {
        if class(b) & bit == 0 {
            break;
        }
        n += 1;
    }
    n
}

/// The longest start of `i` whose bytes are all of class `bit`, and the rest.
fn split_run(i: In<'_>, bit: u8) -> (In<'_>, In<'_>) {
    let n = run_len(i.as_bytes(), bit);
    (i.get(..n).unwrap_or(i), i.get(n..).unwrap_or_default())
}

/// The start of a string's body up to the next `"`, `\` or newline, and the rest: ASCII
/// bytes, found by bytes, so the split is at a character boundary.
fn string_chunk(i: In<'_>) -> (In<'_>, In<'_>) {
    let n = i
        .bytes()
        .position(|b| matches!(b, b'"' | b'\\' | b'\n'))
        .unwrap_or(i.len());
    (i.get(..n).unwrap_or(i), i.get(n..).unwrap_or_default())
}

/// True for the characters that may start some token, comment or whitespace.
fn is_known(c: char) -> bool {
    is_word_char(c) || is_space(c) || matches!(c, '"' | '#' | '{' | '}' | ',' | '=' | '@')
}

/// The byte offset of `rest`, a suffix of a source of `total` bytes.
fn offset(total: usize, rest: &str) -> usize {
    total.saturating_sub(rest.len())
}

/// The lexer's result of one string literal.
struct StrLit {
    value: String,
    /// Problems found, as diagnostics.
    problems: Vec<Diagnostic>,
}

/// A string literal: `"` { char | `\"` | `\\` } `"`, ended early by a newline or the end
/// of the input (E0002). Invalid escapes (E0003) are kept verbatim in the value.
fn string<'a>(file: &str, total: usize, i: In<'a>) -> IResult<In<'a>, StrLit> {
    let start = offset(total, i);
    let (mut i, _) = char('"')(i)?;
    let mut lit = StrLit {
        value: String::new(),
        problems: Vec::new(),
    };
    loop {
        let (chunk, rest) = string_chunk(i);
        lit.value.push_str(chunk);
        i = rest;
        match i.chars().next() {
            Some('"') => {
                let (rest, _) = anychar(i)?;
                return Ok((rest, lit));
            }
            Some('\\') => {
                let esc_start = offset(total, i);
                let (after_bs, _) = anychar(i)?;
                match after_bs.chars().next() {
                    Some(c @ ('"' | '\\')) => {
                        let (rest, _) = anychar(after_bs)?;
                        lit.value.push(c);
                        i = rest;
                    }
                    Some('\n') | None => {
                        // The backslash is the last character of the line: the string is
                        // unterminated, reported below.
                        lit.value.push('\\');
                        i = after_bs;
                    }
                    Some(c) => {
                        let (rest, _) = anychar(after_bs)?;
                        lit.value.push('\\');
                        lit.value.push(c);
                        lit.problems.push(Diagnostic::new(
                            Code::InvalidEscape,
                            file,
                            Span::new(esc_start, offset(total, rest)),
                            format!("invalid escape `\\{}` in a string", show(&c.to_string())),
                            "not a valid escape",
                        ));
                        i = rest;
                    }
                }
            }
            // A newline or the end of the input: unterminated. The newline is left to
            // the whitespace that follows.
            _ => {
                let line = lit.value.as_str();
                let mut end = offset(total, i);
                if line.ends_with('\r') {
                    end -= 1;
                }
                let at_eof = i.is_empty();
                lit.problems.push(Diagnostic::new(
                    Code::UnterminatedString,
                    file,
                    Span::new(start, end),
                    "unterminated string literal",
                    if at_eof {
                        "the file ends before the closing `\"`"
                    } else {
                        "the line ends before the closing `\"`"
                    },
                ));
                return Ok((i, lit));
            }
        }
    }
}

/// A comment: `#` up to the end of the line; the text excludes the `#`, the newline and
/// trailing whitespace.
fn comment(total: usize, i: In<'_>) -> IResult<In<'_>, Comment> {
    let start = offset(total, i);
    let (i, _) = char('#')(i)?;
    let (rest, body) = take_till(|c| c == '\n')(i)?;
    let text = body.trim_end_matches([' ', '\t', '\r', '\x0c']).to_string();
    let end = start + 1 + text.len();
    Ok((
        rest,
        Comment {
            text,
            span: Span::new(start, end),
        },
    ))
}

/// The lexer: hands out the tokens of a text one at a time, so that the parser never
/// holds more than the two it looks at (a vector of every token was the largest
/// allocation of a load). Problems are collected in [`Lexer::diags`]; after the text
/// ends, every call returns [`Kind::Eof`].
pub(super) struct Lexer<'a> {
    /// The file's name, for diagnostics.
    file: &'a str,
    /// The whole text.
    text: &'a str,
    /// What is left to lex.
    rest: In<'a>,
    /// The problems found so far, in the order found.
    pub(super) diags: Vec<Diagnostic>,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`.
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        Lexer {
            file,
            text,
            rest: text,
            diags: Vec::new(),
        }
    }

    /// The next token, with the comments written before it.
    pub(super) fn next_token(&mut self) -> Token<'a> {
        let (file, text) = (self.file, self.text);
        let mut comments = Vec::new();
        let mut newlines = 0usize;
        let total = text.len();
        let mut i: In<'a> = self.rest;
        loop {
            let (ws, rest) = split_run(i, SPACE);
            newlines += ws.bytes().filter(|&b| b == b'\n').count();
            i = rest;
            // Every token, comment and whitespace starts with an ASCII character; any other
            // byte starts a character that is reported as unexpected.
            let Some(&first) = i.as_bytes().first() else {
                self.rest = i;
                return Token {
                    kind: Kind::Eof,
                    text: "",
                    value: String::new(),
                    span: Span::new(text.len(), text.len()),
                    newlines_before: newlines,
                    comments,
                };
            };
            let before = i;
            let diags = &mut self.diags;
            let c = if first.is_ascii() {
                char::from(first)
            } else {
                char::REPLACEMENT_CHARACTER
            };
            let (rest, kind, value) = match c {
                '#' => {
                    if let Ok((rest, c)) = comment(total, i) {
                        comments.push(LexComment {
                            comment: c,
                            newlines_before: newlines,
                        });
                        newlines = 0;
                        i = rest;
                        continue;
                    }
                    unexpected(file, total, i, diags)
                }
                '"' => match string(file, total, i) {
                    Ok((rest, lit)) => {
                        diags.extend(lit.problems);
                        (rest, Some(Kind::Str), lit.value)
                    }
                    Err(_) => unexpected(file, total, i, diags),
                },
                '{' | '}' | ',' | '=' | '@' => match anychar::<_, nom::error::Error<In<'a>>>(i) {
                    Ok((rest, _)) => {
                        let kind = match c {
                            '{' => Kind::LBrace,
                            '}' => Kind::RBrace,
                            ',' => Kind::Comma,
                            '=' => Kind::Eq,
                            _ => Kind::At,
                        };
                        (rest, Some(kind), String::new())
                    }
                    Err(_) => unexpected(file, total, i, diags),
                },
                _ if class(first) & WORD != 0 => {
                    (split_run(i, WORD).1, Some(Kind::Word), String::new())
                }
                _ => unexpected(file, total, i, diags),
            };
            i = rest;
            if let Some(kind) = kind {
                self.rest = rest;
                let start = offset(total, before);
                let end = offset(total, rest);
                return Token {
                    kind,
                    text: text.get(start..end).unwrap_or(""),
                    value,
                    span: Span::new(start, end),
                    newlines_before: newlines,
                    comments,
                };
            }
        }
    }
}

/// A run of characters no token starts with (E0006); always consumes at least one char.
fn unexpected<'a>(
    file: &str,
    total: usize,
    i: In<'a>,
    diags: &mut Vec<Diagnostic>,
) -> (In<'a>, Option<Kind>, String) {
    let start = offset(total, i);
    let (rest, run) = match take_while1::<_, _, nom::error::Error<In<'a>>>(|c| !is_known(c))(i) {
        Ok(r) => r,
        // The first character is a known one whose lexer failed (cannot happen for a
        // well-formed lexer); consume it alone so that lexing always progresses.
        Err(_) => match take::<_, _, nom::error::Error<In<'a>>>(1usize)(i) {
            Ok(r) => r,
            Err(_) => return (i, None, String::new()),
        },
    };
    let what = if run.chars().nth(1).is_some() {
        "unexpected characters"
    } else {
        "unexpected character"
    };
    diags.push(Diagnostic::new(
        Code::InvalidCharacter,
        file,
        Span::new(start, start + run.len()),
        format!("{what} `{}`", show(run)),
        "not part of the language here",
    ));
    (rest, None, String::new())
}

#[cfg(test)]
mod tests {
    use super::{is_space, is_word_char, split_run, string_chunk, SPACE, WORD};
    use nom::bytes::complete::take_while;

    /// What `split_run` replaced: nom's `take_while` over the decoded characters.
    fn by_chars(i: &str, f: fn(char) -> bool) -> (&str, &str) {
        let r: nom::IResult<&str, &str> = take_while(f)(i);
        match r {
            Ok((rest, run)) => (run, rest),
            Err(_) => ("", i),
        }
    }

    proptest::proptest! {
        /// The byte scan splits where the character scan does, multi-byte characters,
        /// control characters and every character class of the lexer included.
        #[test]
        fn split_run_agrees_with_take_while(i in "[a-zA-Z0-9_.\\- \t\r\n\x0cé€😀\"#{},=@\\\\\x00]{0,24}") {
            proptest::prop_assert_eq!(split_run(&i, SPACE), by_chars(&i, is_space));
            proptest::prop_assert_eq!(split_run(&i, WORD), by_chars(&i, is_word_char));
            let in_string: fn(char) -> bool = |c| !matches!(c, '"' | '\\' | '\n');
            proptest::prop_assert_eq!(string_chunk(&i), by_chars(&i, in_string));
        }
    }
}
