//! The parser of policy source files.
//!
//! [`parse`] turns a source text into a [`File`] and every syntax error it holds. It never
//! fails and never panics: on an error it records a diagnostic, skips to the next
//! statement keyword, item keyword or `}`, and goes on, so that one run reports all the
//! syntax errors of a file. Work is linear in the size of the input and the parser does
//! not recurse.
//!
//! ```
//! use polc_lang::ast::StmtKind;
//! use polc_lang::syntax::parse;
//!
//! let (file, diags) = parse("app.pol", r#"
//! policy org.example.app {
//!     allow read "/etc/app/**"   # configuration
//! }
//! "#);
//! assert!(diags.is_empty());
//! let stmt = &file.items[0].body[0];
//! assert!(matches!(&stmt.kind, StmtKind::File { paths, .. } if paths[0].node == "/etc/app/**"));
//! assert_eq!(stmt.trailing_comment.as_ref().map(|c| c.text.as_str()), Some(" configuration"));
//!
//! let (_, diags) = parse("bad.pol", "policy a { allow read }");
//! assert_eq!(diags[0].message, "expected a right or a string, found `}`");
//! ```
//!
//! # Grammar
//!
//! ```text
//! file      = { item } ;
//! item      = ( "policy" | "abstraction" ) name "{" { stmt } "}" ;
//! stmt      = "version" INT
//!           | "attach" STRING
//!           | "mode" IDENT
//!           | "use" useref { "," useref }
//!           | "owns" STRING { "," STRING }
//!           | "var" IDENT "=" STRING
//!           | effect "net" IDENT IDENT [ INT [ "-" INT ] ]          (* op proto ports *)
//!           | effect "capability" IDENT { "," IDENT }
//!           | effect "signal" IDENT [ IDENT { "," IDENT } ] ( "to" | "from" ) name
//!           | effect IDENT { IDENT } STRING { "," STRING } [ "as" name ] ;
//! effect    = "allow" | "deny" ;
//! useref    = name [ "@" INT ] ;
//! name      = NAMEPART { "." NAMEPART } ;
//! NAMEPART  = [A-Za-z0-9_-]+ ;
//! IDENT     = [A-Za-z_][A-Za-z0-9_-]* ;
//! INT       = [0-9]+ ;                          (* fits u64, else E0004 *)
//! STRING    = '"' { any char except '"', '\', newline | '\"' | '\\' } '"' ;
//! COMMENT   = "#" { any char except newline } ;
//! ```
//!
//! Lexical rules and the choices the grammar leaves open:
//!
//! - Whitespace (space, tab, CR, LF, form feed) and comments separate tokens anywhere;
//!   newlines are ordinary whitespace. Tokens need no separator between them when their
//!   kinds differ (`read"/a"` is `read` `"/a"`).
//! - Words are maximal runs of `[A-Za-z0-9_.-]`; a word is then read as a keyword, an
//!   IDENT, a name or an INT where the grammar asks for one. So `version3` is one word
//!   (not a statement), `8000-8080` is one word read as a port range (as are `8000 - 8080`,
//!   `8000- 8080` and `8000 -8080`).
//! - Reserved words: `version attach mode use owns var allow deny policy abstraction`
//!   are never an IDENT or a name. A statement is recognised by its leading keyword, so a
//!   statement whose end is missing is reported instead of swallowing the next one.
//! - After `allow`/`deny`, the words `net`, `capability` and `signal` choose the statement,
//!   so none of them can be the first right of a file rule. `to` and `from` end a signal
//!   list, so they cannot be signal names. `send` goes with `to` and `receive` with `from`
//!   (the tree keeps only the direction; another direction word, reported by the checker,
//!   takes either).
//! - Strings are stored decoded. The only escapes are `\"` and `\\` (another is E0003 and
//!   is kept verbatim). A newline ends an unterminated string (E0002); any other character,
//!   NUL and control characters included, is kept as is (the checker reports control
//!   characters in paths, E0123).
//! - Numbers must fit in a `u64` (E0004).
//! - A character that starts no token is reported (E0006, one diagnostic for a run of
//!   them) and skipped.
//!
//! # Comments
//!
//! Comments are kept in the tree so that the formatter never loses them. A comment's text
//! is what follows `#` on its line, without trailing whitespace.
//!
//! - Comments on the lines before a statement or an item go to its `comments`; so do
//!   comments written inside a statement that spans several lines, and comments inside an
//!   item's header or after its `{` on the same line.
//! - A comment on the line where a statement ends, after it, is its `trailing_comment`.
//! - Comments after the last statement of a body, before `}`, are the item's
//!   `closing_comments`; comments after the last item are the file's `trailing_comments`.
//! - `blank_line_before` is set on a statement (other than the first of its body) when a
//!   blank line precedes it or its comments.
//!
//! # Diagnostics
//!
//! | code  | when |
//! | ----- | ---- |
//! | E0001 | a token other than the grammar allows: `expected X, found Y`, on Y |
//! | E0002 | a string not closed on its line, from its `"` to the end of the line |
//! | E0003 | an escape other than `\"` and `\\`, on the two characters |
//! | E0004 | a number that does not fit in 64 bits, on its digits |
//! | E0005 | a block not closed before the end of the file or the next item, on its `{` |
//! | E0006 | characters that start no token, on the run of them |
//!
//! Diagnostics are returned in source order.

mod lexer;
mod parser;

use crate::ast::File;
use crate::diagnostics::Diagnostic;

pub use parser::{is_ident, is_name, is_reserved};

/// Parse a source text named `name`; returns the tree (with whatever could be recovered)
/// and every syntax error, in source order. An empty list of diagnostics means the text
/// follows the grammar.
pub fn parse(name: &str, text: &str) -> (File, Vec<Diagnostic>) {
    let (file, mut diags) = parser::parse_text(name, text);
    diags.sort_by_key(|d| d.primary.as_ref().map_or(usize::MAX, |l| l.span.start));
    (file, diags)
}
