//! AppArmor profile text → statements: words grouped up to a `,`, a block opening `{` or a
//! block closing `}`, each with its line and column.
//!
//! The lexer knows only what separates statements: `#` comments (but `#include` is an
//! include), double-quoted strings, parentheses (`set=(term, kill)`) and brace alternations
//! inside a word (`/{usr/,}bin/ping`), whose commas do not end a statement.

use super::{ImportError, ImportErrorKind};
use polc_lang::ir::text::show;

/// Where a statement or word starts: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A word of a statement, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    pub pos: Pos,
}

/// How a statement ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// `,`: a rule.
    Comma,
    /// `{`: a block header (profile, hat, conditional).
    Open,
    /// `}`: a block's end (the statement has no words).
    Close,
    /// The end of a line, for the directives that need no comma (`include`, variables).
    Line,
    /// The end of the text.
    Eof,
}

/// One statement: its words and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stmt {
    pub words: Vec<Word>,
    pub end: End,
    pub pos: Pos,
}

impl Stmt {
    /// The statement as one line of text, words separated by one space.
    pub fn text(&self) -> String {
        let mut s = self
            .words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if self.end == End::Comma {
            s.push(',');
        }
        s
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
    file: &'a str,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.col = 1;
        } else {
            self.pos.col += 1;
        }
        Some(c)
    }

    fn err(&self, pos: Pos, kind: ImportErrorKind, message: String) -> ImportError {
        ImportError::new(kind, self.file, pos, message)
    }
}

/// Whether the statement begun by these words ends at the end of its line: an include
/// (`include <x>`, `#include <x>`, `include if exists <x>`) or a variable assignment
/// (`@{X} = a b`, `@{X}+=c`).
fn line_statement(words: &[Word]) -> bool {
    match words.first().map(|w| w.text.as_str()) {
        Some("include" | "#include") => true,
        Some(w) => {
            w.starts_with("@{") && (words.len() > 1 || w.contains('=')) && {
                words.iter().any(|w| w.text.contains('='))
            }
        }
        None => false,
    }
}

/// Splits a profile file into statements.
pub(crate) fn statements(file: &str, text: &str) -> Result<Vec<Stmt>, ImportError> {
    let mut lx = Lexer {
        chars: text.chars().peekable(),
        pos: Pos { line: 1, col: 1 },
        file,
    };
    let mut out = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut start = lx.pos;
    loop {
        // Whitespace; a newline may end an include or a variable assignment.
        while let Some(c) = lx.peek() {
            if c == '\n' && !words.is_empty() && line_statement(&words) {
                out.push(Stmt {
                    words: std::mem::take(&mut words),
                    end: End::Line,
                    pos: start,
                });
            }
            if c.is_whitespace() {
                lx.bump();
            } else {
                break;
            }
        }
        let Some(c) = lx.peek() else {
            break;
        };
        if words.is_empty() {
            start = lx.pos;
        }
        let wpos = lx.pos;
        match c {
            '#' => {
                // `#include` is a directive; anything else is a comment.
                let mut comment = String::new();
                while let Some(c) = lx.peek() {
                    if c == '\n' {
                        break;
                    }
                    comment.push(c);
                    lx.bump();
                }
                if words.is_empty() {
                    if let Some(rest) = comment.strip_prefix("#include") {
                        if rest.starts_with(char::is_whitespace) || rest.starts_with(['<', '"']) {
                            let mut ws = vec![Word {
                                text: "include".into(),
                                pos: wpos,
                            }];
                            let mut col = wpos.col + 8;
                            for part in rest.split_whitespace() {
                                ws.push(Word {
                                    text: part.to_string(),
                                    pos: Pos {
                                        line: wpos.line,
                                        col,
                                    },
                                });
                                col += part.chars().count() as u32 + 1;
                            }
                            out.push(Stmt {
                                words: ws,
                                end: End::Line,
                                pos: wpos,
                            });
                        }
                    }
                }
            }
            ',' => {
                lx.bump();
                out.push(Stmt {
                    words: std::mem::take(&mut words),
                    end: End::Comma,
                    pos: start,
                });
            }
            '{' | '}' if standalone(&mut lx) => {
                lx.bump();
                let end = if c == '{' { End::Open } else { End::Close };
                if end == End::Close && !words.is_empty() {
                    return Err(lx.err(
                        wpos,
                        ImportErrorKind::Syntax,
                        format!(
                            "expected `,` after `{}` before `}}`",
                            show(
                                &Stmt {
                                    words: words.clone(),
                                    end: End::Eof,
                                    pos: start
                                }
                                .text()
                            )
                        ),
                    ));
                }
                out.push(Stmt {
                    words: std::mem::take(&mut words),
                    end,
                    pos: if end == End::Close { wpos } else { start },
                });
            }
            _ => {
                let w = word(&mut lx)?;
                words.push(w);
            }
        }
    }
    if !words.is_empty() {
        out.push(Stmt {
            words,
            end: End::Eof,
            pos: start,
        });
    }
    Ok(out)
}

/// Whether the `{` or `}` at the cursor stands alone: followed by whitespace, a comment,
/// another brace or the end of the text.
fn standalone(lx: &mut Lexer<'_>) -> bool {
    let mut ahead = lx.chars.clone();
    ahead.next();
    match ahead.next() {
        None => true,
        Some(c) => c.is_whitespace() || c == '#' || c == '}' || c == '{',
    }
}

/// Reads one word: up to whitespace, or a `,` outside quotes, parentheses and braces.
fn word(lx: &mut Lexer<'_>) -> Result<Word, ImportError> {
    let pos = lx.pos;
    let mut text = String::new();
    let mut parens: Vec<Pos> = Vec::new();
    let mut braces: Vec<Pos> = Vec::new();
    while let Some(c) = lx.peek() {
        if parens.is_empty() && braces.is_empty() && (c.is_whitespace() || c == ',') {
            break;
        }
        if c.is_whitespace() && !parens.is_empty() {
            // Inside parentheses, whitespace is one space.
            lx.bump();
            if !text.ends_with(' ') {
                text.push(' ');
            }
            continue;
        }
        if c == '\n' {
            let open = braces.last().or(parens.last()).copied().unwrap_or(pos);
            return Err(lx.err(
                open,
                ImportErrorKind::Syntax,
                "unclosed `{` or `(` at the end of the line".into(),
            ));
        }
        if c.is_whitespace() {
            // Whitespace inside a brace alternation ends it badly.
            let open = braces.last().copied().unwrap_or(pos);
            return Err(lx.err(
                open,
                ImportErrorKind::Syntax,
                "unclosed `{` in a word".into(),
            ));
        }
        let here = lx.pos;
        lx.bump();
        match c {
            '"' => {
                text.push('"');
                let mut closed = false;
                while let Some(q) = lx.bump() {
                    if q == '\n' {
                        break;
                    }
                    text.push(q);
                    if q == '\\' {
                        if let Some(n) = lx.bump() {
                            text.push(n);
                        }
                        continue;
                    }
                    if q == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(lx.err(
                        here,
                        ImportErrorKind::Syntax,
                        "unterminated string".into(),
                    ));
                }
            }
            '\\' => {
                text.push('\\');
                if let Some(n) = lx.bump() {
                    text.push(n);
                }
            }
            '(' => {
                parens.push(here);
                text.push(c);
            }
            ')' => {
                if parens.pop().is_none() {
                    return Err(lx.err(here, ImportErrorKind::Syntax, "unmatched `)`".into()));
                }
                text.push(c);
            }
            '{' => {
                braces.push(here);
                text.push(c);
            }
            '}' => {
                if braces.pop().is_none() {
                    return Err(lx.err(here, ImportErrorKind::Syntax, "unmatched `}`".into()));
                }
                text.push(c);
            }
            other => text.push(other),
        }
        if text.len() > super::MAX_WORD {
            return Err(lx.err(pos, ImportErrorKind::TooLarge, "word too long".into()));
        }
    }
    if let Some(open) = parens.last().or(braces.last()) {
        return Err(lx.err(*open, ImportErrorKind::Syntax, "unclosed `{` or `(`".into()));
    }
    Ok(Word { text, pos })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn texts(src: &str) -> Vec<(String, End)> {
        statements("t", src)
            .unwrap()
            .into_iter()
            .map(|s| (s.text(), s.end))
            .collect()
    }

    #[test]
    fn splits_rules_blocks_and_directives() {
        let src = "#include <tunables/global>\n@{X} = a b\nprofile p /{usr/,}bin/x flags=(complain) {\n  signal (send) set=(term, kill) peer=foo,\n  /a r, # c\n}\n";
        assert_eq!(
            texts(src),
            vec![
                ("include <tunables/global>".into(), End::Line),
                ("@{X} = a b".into(), End::Line),
                ("profile p /{usr/,}bin/x flags=(complain)".into(), End::Open),
                (
                    "signal (send) set=(term, kill) peer=foo,".into(),
                    End::Comma
                ),
                ("/a r,".into(), End::Comma),
                ("".into(), End::Close),
            ]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = statements("t", "profile p {\n  /a{b r,\n}\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
        let e = statements("t", "/x \"abc r,\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 4));
    }
}
