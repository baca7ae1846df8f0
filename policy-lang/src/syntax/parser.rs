//! The parser: tokens → syntax tree, with recovery.
//!
//! A flat loop over the tokens (the grammar has two levels, items and statements, and no
//! recursion), with one token of lookahead. On an error the statement is dropped, one
//! diagnostic is recorded, and the parser skips to the next synchronisation token: a
//! statement keyword, an item keyword, `}` or the end of the input.

use super::lexer::{Kind, LexComment, Lexer, Token};
use crate::ast::{
    AcceptBlock, ChildKind, Comment, Effect, ExecMode, File, Item, ItemKind, PortSpec, Provides,
    Qualifiers, Stmt, StmtKind, UseRef,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::show;
use crate::span::{Span, Spanned};

mod dbus;
mod unix;

/// Words that start a statement.
pub(super) const STMT_KEYWORDS: [&str; 14] = [
    "version", "attach", "mode", "use", "owns", "var", "allow", "deny", "child", "hat", "audit",
    "app", "plugs", "provides",
];
/// Words that start an item.
pub(super) const ITEM_KEYWORDS: [&str; 3] = ["policy", "abstraction", "framework"];

/// The word that starts an `accept` block. Not reserved: `accept` is also a unix
/// operation, so it starts a statement only where a statement starts, or, after a
/// statement whose last list could go on, when a fidelity follows it.
pub(super) const ACCEPT: &str = "accept";
/// The words an `accept` block may name as fidelities (the checker refuses the first two).
const FIDELITY_WORDS: [&str; 4] = ["widened", "unsupported", "exact", "narrowed"];

/// True for the reserved words: the statement and item keywords ([`STMT_KEYWORDS`] and
/// [`ITEM_KEYWORDS`], written out as one `match` so that a word is compared only with
/// the keywords of its length: the parser asks this of every word it meets).
pub fn is_reserved(w: &str) -> bool {
    matches!(
        w,
        "version"
            | "attach"
            | "mode"
            | "use"
            | "owns"
            | "var"
            | "allow"
            | "deny"
            | "child"
            | "hat"
            | "audit"
            | "app"
            | "plugs"
            | "provides"
            | "policy"
            | "abstraction"
            | "framework"
    )
}

/// `IDENT = [A-Za-z_][A-Za-z0-9_-]*`, not a reserved word.
pub fn is_ident(w: &str) -> bool {
    let mut bs = w.bytes();
    bs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && bs.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        && !is_reserved(w)
}

/// `name = NAMEPART { "." NAMEPART }`, `NAMEPART = [A-Za-z0-9_-]+`, not a reserved word.
pub fn is_name(w: &str) -> bool {
    w.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) && !is_reserved(w)
}

/// `INT = [0-9]+`.
fn is_int(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// A syntax error was recorded; the caller resynchronises.
struct Reported;

type PResult<T> = Result<T, Reported>;

struct Parser<'a> {
    file: &'a str,
    /// Where the tokens come from, one at a time.
    lexer: Lexer<'a>,
    /// The next token.
    cur: Token<'a>,
    /// The token after it (the grammar looks one token further at `accept`).
    ahead: Token<'a>,
    diags: Vec<Diagnostic>,
    /// Comments of the tokens consumed since the last reset.
    pending: Vec<Comment>,
    /// End of the last consumed token.
    last_end: usize,
    /// The qualifiers of the rule being parsed.
    quals: Qualifiers,
    /// A comment on the line of a block statement's `{` (its trailing comment, where the
    /// formatter writes it).
    block_trailing: Option<Comment>,
}

/// Parse a text, lexed as the parser goes; the lexer's problems come first, then the
/// parser's, each in the order found.
pub(super) fn parse_text(file: &str, text: &str) -> (File, Vec<Diagnostic>) {
    let mut lexer = Lexer::new(file, text);
    let cur = lexer.next_token();
    let ahead = lexer.next_token();
    let mut p = Parser {
        file,
        lexer,
        cur,
        ahead,
        diags: Vec::new(),
        pending: Vec::new(),
        last_end: 0,
        quals: Qualifiers::default(),
        block_trailing: None,
    };
    let f = p.file();
    let mut diags = p.lexer.diags;
    diags.append(&mut p.diags);
    (f, diags)
}

fn describe(t: &Token<'_>) -> String {
    match t.kind {
        Kind::Word => format!("`{}`", show(t.text)),
        Kind::Str => "a string".to_string(),
        Kind::LBrace => "`{`".to_string(),
        Kind::RBrace => "`}`".to_string(),
        Kind::Comma => "`,`".to_string(),
        Kind::Eq => "`=`".to_string(),
        Kind::At => "`@`".to_string(),
        Kind::Eof => "end of file".to_string(),
    }
}

fn comments(cs: impl IntoIterator<Item = LexComment>) -> impl Iterator<Item = Comment> {
    cs.into_iter().map(|c| c.comment)
}

fn item_desc(kind: ItemKind, name: &str) -> String {
    let k = kind.keyword();
    if name.is_empty() {
        k.to_string()
    } else {
        format!("{k} `{}`", show(name))
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        &self.cur
    }

    fn peek_word(&self) -> Option<&'a str> {
        let t = self.peek();
        (t.kind == Kind::Word).then_some(t.text)
    }

    fn at(&self, kind: Kind) -> bool {
        self.peek().kind == kind
    }

    /// True at `accept` followed by a fidelity: an `accept` block, not a unix operation.
    pub(super) fn at_accept(&self) -> bool {
        self.at_word(ACCEPT)
            && self.ahead.kind == Kind::Word
            && FIDELITY_WORDS.contains(&self.ahead.text)
    }

    fn at_word(&self, w: &str) -> bool {
        self.peek_word() == Some(w)
    }

    /// After a block's `{`: a comment on the same line is the block statement's trailing
    /// comment.
    fn block_trailing_comment(&mut self) {
        let mut cs = self.take_comments();
        if cs.first().is_some_and(|c| c.newlines_before == 0) {
            self.block_trailing = Some(cs.remove(0).comment);
        }
        self.cur.comments = cs;
    }

    /// Take the comments written before the next token.
    fn take_comments(&mut self) -> Vec<LexComment> {
        std::mem::take(&mut self.cur.comments)
    }

    /// Consume the next token (never moves past the end); its comments go to `pending`.
    fn bump(&mut self) -> Token<'a> {
        let t = &mut self.cur;
        let tok = Token {
            kind: t.kind,
            text: t.text,
            value: std::mem::take(&mut t.value),
            span: t.span,
            newlines_before: t.newlines_before,
            comments: Vec::new(),
        };
        self.pending
            .extend(comments(std::mem::take(&mut t.comments)));
        if tok.kind != Kind::Eof {
            let next = self.lexer.next_token();
            self.cur = std::mem::replace(&mut self.ahead, next);
            self.last_end = tok.span.end;
        }
        tok
    }

    fn at_sync(&self) -> bool {
        let t = self.peek();
        match t.kind {
            Kind::Eof | Kind::RBrace => true,
            Kind::Word => is_reserved(t.text) || self.at_accept(),
            _ => false,
        }
    }

    /// Skip to the next statement keyword, item keyword, `}` or the end. A `{ ... }`
    /// block met on the way is skipped whole (up to an item keyword or the end).
    fn sync(&mut self) {
        let mut depth = 0usize;
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Eof => return,
                Kind::Word if ITEM_KEYWORDS.contains(&t.text) => return,
                Kind::LBrace => depth += 1,
                Kind::RBrace if depth > 0 => depth -= 1,
                _ if depth == 0 && self.at_sync() => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Record "expected X, found <next token>".
    fn error(&mut self, expected: &str) -> Reported {
        let t = self.peek();
        let d = Diagnostic::new(
            Code::Syntax,
            self.file,
            t.span,
            format!("expected {expected}, found {}", describe(t)),
            format!("expected {expected}"),
        );
        self.diags.push(d);
        Reported
    }

    /// Record "expected X, found <tok>" for an already consumed token.
    fn error_at(&mut self, tok: &Token<'_>, span: Span, expected: &str) -> Reported {
        self.diags.push(Diagnostic::new(
            Code::Syntax,
            self.file,
            span,
            format!("expected {expected}, found {}", describe(tok)),
            format!("expected {expected}"),
        ));
        Reported
    }

    fn file(&mut self) -> File {
        let mut file = File::default();
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Eof => {
                    file.trailing_comments = comments(self.take_comments()).collect();
                    return file;
                }
                Kind::Word if ITEM_KEYWORDS.contains(&t.text) => {
                    let item = self.item();
                    file.items.push(item);
                }
                _ => {
                    self.error("`policy` or `abstraction`");
                    self.bump();
                    while !(self.at(Kind::Eof)
                        || self.peek_word().is_some_and(|w| ITEM_KEYWORDS.contains(&w)))
                    {
                        self.bump();
                    }
                }
            }
        }
    }

    fn item(&mut self) -> Item {
        let leading = self.take_comments();
        self.pending.clear();
        let kw = self.bump();
        let kind = match kw.text {
            "policy" => ItemKind::Policy,
            "framework" => ItemKind::Framework,
            _ => ItemKind::Abstraction,
        };
        let mut failed = false;
        let name = match self.peek_word() {
            Some(w) if is_name(w) => {
                let t = self.bump();
                Spanned::new(w.to_string(), t.span)
            }
            _ => {
                let what = match kind {
                    ItemKind::Policy => "a policy name",
                    ItemKind::Abstraction => "an abstraction name",
                    ItemKind::Framework => "a framework name",
                };
                self.error(what);
                failed = true;
                // A word or a string here was meant as the name: skip it.
                let t = self.peek();
                if t.kind == Kind::Str || (t.kind == Kind::Word && !ITEM_KEYWORDS.contains(&t.text))
                {
                    self.bump();
                }
                Spanned::new(String::new(), Span::new(kw.span.end, kw.span.end))
            }
        };
        let mut open = None;
        if self.at(Kind::LBrace) {
            open = Some(self.bump().span);
        } else {
            if !failed {
                self.error("`{`");
            }
            while !(self.at_sync() || self.at(Kind::LBrace)) {
                self.bump();
            }
            if self.at(Kind::LBrace) {
                open = Some(self.bump().span);
            }
        }
        let mut item = Item {
            kind,
            name,
            body: Vec::new(),
            comments: comments(leading).collect(),
            closing_comments: Vec::new(),
            span: kw.span,
        };
        item.comments.append(&mut self.pending);
        let end = self.body(&mut item, open);
        item.span = Span::new(kw.span.start, end.max(kw.span.end));
        item
    }

    /// The statements of a body up to its `}`; returns the end of the item.
    fn body(&mut self, item: &mut Item, open: Option<Span>) -> usize {
        // True when the last consumed token ends the last statement of `item.body`.
        let mut just_parsed = false;
        loop {
            let mut cs = self.take_comments().into_iter().peekable();
            let free = item
                .body
                .last()
                .is_some_and(|l| l.trailing_comment.is_none());
            if just_parsed && free && cs.peek().is_some_and(|c| c.newlines_before == 0) {
                if let (Some(c), Some(last)) = (cs.next(), item.body.last_mut()) {
                    last.trailing_comment = Some(c.comment);
                }
            }
            let cs: Vec<LexComment> = cs.collect();
            let t = self.peek();
            let blank = !item.body.is_empty()
                && (t.newlines_before >= 2 || cs.iter().any(|c| c.newlines_before >= 2));
            let (kind, text, span) = (t.kind, t.text, t.span);
            match kind {
                Kind::RBrace => {
                    item.closing_comments.extend(comments(cs));
                    return self.bump().span.end;
                }
                Kind::Eof => {
                    item.closing_comments.extend(comments(cs));
                    if let Some(open) = open {
                        self.unclosed(item, open, span, "the file ends here");
                    }
                    return self.last_end;
                }
                Kind::Word if ITEM_KEYWORDS.contains(&text) => {
                    item.closing_comments.extend(comments(cs));
                    if let Some(open) = open {
                        self.unclosed(item, open, span, "the next item starts here");
                    }
                    return self.last_end;
                }
                Kind::Word if STMT_KEYWORDS.contains(&text) || text == ACCEPT => {
                    self.pending = comments(cs).collect();
                    match self.stmt() {
                        Ok(stmt) => {
                            item.body.push(Stmt {
                                kind: stmt,
                                comments: std::mem::take(&mut self.pending),
                                trailing_comment: self.block_trailing.take(),
                                blank_line_before: blank,
                                span: Span::new(span.start, self.last_end),
                                quals: std::mem::take(&mut self.quals),
                            });
                            just_parsed = true;
                        }
                        Err(Reported) => {
                            self.block_trailing = None;
                            self.sync();
                            self.pending.clear();
                            self.quals = Qualifiers::default();
                            just_parsed = false;
                        }
                    }
                }
                _ => {
                    // Not a synchronisation token: `sync` skips it.
                    self.error("a statement or `}`");
                    self.sync();
                    self.pending.clear();
                    just_parsed = false;
                }
            }
        }
    }

    fn unclosed(&mut self, item: &Item, open: Span, at: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(
                Code::UnclosedBlock,
                self.file,
                open,
                format!(
                    "unclosed block of {}",
                    item_desc(item.kind, &item.name.node)
                ),
                "this `{` is never closed",
            )
            .with_label(at, what),
        );
    }

    fn word(&mut self, ok: fn(&str) -> bool, expected: &str) -> PResult<Spanned<String>> {
        match self.peek_word() {
            Some(w) if ok(w) => {
                let t = self.bump();
                Ok(Spanned::new(w.to_string(), t.span))
            }
            _ => Err(self.error(expected)),
        }
    }

    fn ident(&mut self, expected: &str) -> PResult<Spanned<String>> {
        self.word(is_ident, expected)
    }

    fn name(&mut self, expected: &str) -> PResult<Spanned<String>> {
        self.word(is_name, expected)
    }

    /// A decimal number; E0004 (and `u64::MAX`) when it does not fit.
    fn number(&mut self, digits: &str, span: Span) -> u64 {
        digits.parse().unwrap_or_else(|_| {
            self.diags.push(Diagnostic::new(
                Code::NumberTooLarge,
                self.file,
                span,
                format!("number `{}` is too large", show(digits)),
                "does not fit in 64 bits",
            ));
            u64::MAX
        })
    }

    fn int(&mut self, expected: &str) -> PResult<Spanned<u64>> {
        let w = self.word(is_int, expected)?;
        Ok(Spanned::new(self.number(&w.node, w.span), w.span))
    }

    fn string(&mut self, expected: &str) -> PResult<Spanned<String>> {
        if self.at(Kind::Str) {
            let t = self.bump();
            Ok(Spanned::new(t.value, t.span))
        } else {
            Err(self.error(expected))
        }
    }

    fn punct(&mut self, kind: Kind, expected: &str) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.bump().span)
        } else {
            Err(self.error(expected))
        }
    }

    /// `STRING { "," STRING }`; `first` says what the first string is expected as.
    fn strings(&mut self, first: &str) -> PResult<Vec<Spanned<String>>> {
        let mut v = vec![self.string(first)?];
        loop {
            if self.at(Kind::Comma) {
                self.bump();
                v.push(self.string("a string")?);
            } else if self.at(Kind::Str) {
                return Err(self.error("`,`"));
            } else {
                return Ok(v);
            }
        }
    }

    /// True when the next token is a word that could only continue a comma list.
    fn at_list_element(&self) -> bool {
        self.peek_word().is_some_and(|w| !is_reserved(w)) && !self.at_accept()
    }

    /// `IDENT { "," IDENT }`.
    fn idents(&mut self, expected: &str) -> PResult<Vec<Spanned<String>>> {
        let mut v = vec![self.ident(expected)?];
        loop {
            if self.at(Kind::Comma) {
                self.bump();
                v.push(self.ident(expected)?);
            } else if self.at_list_element() {
                return Err(self.error("`,`"));
            } else {
                return Ok(v);
            }
        }
    }

    /// `name { "," name }`.
    fn names(&mut self, expected: &str) -> PResult<Vec<Spanned<String>>> {
        let mut v = vec![self.name(expected)?];
        loop {
            if self.at(Kind::Comma) {
                self.bump();
                v.push(self.name(expected)?);
            } else if self.at_list_element() {
                return Err(self.error("`,`"));
            } else {
                return Ok(v);
            }
        }
    }

    /// `IDENT { "," IDENT }`, ended by whatever follows the last one.
    fn comma_words(&mut self, expected: &str) -> PResult<Vec<Spanned<String>>> {
        let mut v = vec![self.ident(expected)?];
        while self.at(Kind::Comma) {
            self.bump();
            v.push(self.ident(expected)?);
        }
        Ok(v)
    }

    /// `useref = name [ "@" INT ]`.
    fn use_ref(&mut self) -> PResult<Spanned<UseRef>> {
        let name = self.name("an abstraction name")?;
        let mut span = name.span;
        let mut version = None;
        if self.at(Kind::At) {
            self.bump();
            let v = self.int("a version number")?;
            span = span.join(v.span);
            version = Some(v.node);
        }
        Ok(Spanned::new(
            UseRef {
                name: name.node,
                version,
            },
            span,
        ))
    }

    fn stmt(&mut self) -> PResult<StmtKind> {
        let mut kw = self.bump();
        if kw.text == "audit" {
            self.quals.audit = Some(kw.span);
            match self.peek_word() {
                Some("allow" | "deny") => kw = self.bump(),
                _ => return Err(self.error("`allow` or `deny` after `audit`")),
            }
        }
        Ok(match kw.text {
            "version" => StmtKind::Version(self.int("a version number")?),
            "attach" => StmtKind::Attach(self.string("a string")?),
            "mode" => StmtKind::Mode(self.ident("a mode")?),
            "use" => {
                let mut v = vec![self.use_ref()?];
                loop {
                    if self.at(Kind::Comma) {
                        self.bump();
                        v.push(self.use_ref()?);
                    } else if self.at_list_element() {
                        return Err(self.error("`,`"));
                    } else {
                        break StmtKind::Use(v);
                    }
                }
            }
            "owns" => StmtKind::Owns(self.strings("a string")?),
            "var" => {
                let name = self.ident("a variable name")?;
                self.punct(Kind::Eq, "`=`")?;
                let values = self.strings("a string")?;
                StmtKind::Var {
                    name,
                    value: var_list(values),
                }
            }
            "allow" => self.rule(Spanned::new(Effect::Allow, kw.span))?,
            "deny" => self.rule(Spanned::new(Effect::Deny, kw.span))?,
            "child" => self.child(ChildKind::Child)?,
            "hat" => self.child(ChildKind::Hat)?,
            ACCEPT => self.accept()?,
            "app" => StmtKind::App,
            "plugs" => StmtKind::Plugs(self.names("an interface name")?),
            "provides" => self.provides()?,
            _ => return Err(self.error_at(&kw, kw.span, "a statement")),
        })
    }

    /// The rest of an `allow`/`deny` statement.
    fn rule(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        if self.at_word("owner") {
            self.quals.owner = Some(self.bump().span);
        }
        match self.peek_word() {
            Some("net") => {
                self.bump();
                if self
                    .peek_word()
                    .is_some_and(|w| unix::FAMILIES.contains(&w))
                {
                    return self.net_family(effect);
                }
                let op = self.ident("a network operation")?;
                let proto = self.ident("a protocol")?;
                let ports = match self.peek_word() {
                    Some(w) if w.starts_with(|c: char| c.is_ascii_digit()) => Some(self.ports()?),
                    _ => None,
                };
                Ok(StmtKind::Net {
                    effect,
                    op,
                    proto,
                    ports,
                })
            }
            Some("capability") => {
                self.bump();
                let caps = self.idents("a capability name")?;
                Ok(StmtKind::Capability { effect, caps })
            }
            Some("signal") => {
                self.bump();
                self.signal(effect)
            }
            Some("unix") => {
                self.bump();
                self.unix(effect)
            }
            Some("ptrace") => {
                self.bump();
                self.ptrace(effect)
            }
            Some("dbus") => {
                self.bump();
                self.dbus(effect)
            }
            Some(w) if is_ident(w) => {
                // Rights are separated by spaces or, as capabilities and signals are, by
                // commas: `read write` and `read, write` are the same rule (the
                // formatter writes spaces).
                let mut rights = Vec::new();
                loop {
                    while let Some(w) = self.peek_word().filter(|w| is_ident(w)) {
                        let t = self.bump();
                        rights.push(Spanned::new(w.to_string(), t.span));
                    }
                    if !self.at(Kind::Comma) {
                        break;
                    }
                    self.bump();
                    if self.peek_word().filter(|w| is_ident(w)).is_none() {
                        let r = self.error("a right after `,`");
                        if let Some(d) = self.diags.pop() {
                            let rights: Vec<&str> =
                                rights.iter().map(|r| r.node.as_str()).collect();
                            self.diags.push(d.with_help(format!(
                                "a `,` separates rights; before the paths, write the rights \
                                 alone: `{} {} \"...\"`",
                                effect.node.keyword(),
                                rights.join(" ")
                            )));
                        }
                        return Err(r);
                    }
                }
                let paths = self.strings("a right or a string")?;
                let (exec_as, exec_mode) = if self.at_word("as") {
                    self.bump();
                    self.exec_target()?
                } else {
                    (None, ExecMode::Plain)
                };
                Ok(StmtKind::File {
                    effect,
                    rights,
                    paths,
                    exec_as,
                    exec_mode,
                })
            }
            _ => Err(self.error("a right, `net`, `capability` or `signal`")),
        }
    }

    /// After `as`: `inherit`, `unconfined`, `child name`, or `name [ "else" "inherit" ]`.
    fn exec_target(&mut self) -> PResult<(Option<Spanned<String>>, ExecMode)> {
        match self.peek_word() {
            Some("inherit") => {
                self.bump();
                Ok((None, ExecMode::Inherit))
            }
            Some("unconfined") => {
                self.bump();
                Ok((None, ExecMode::Unconfined))
            }
            Some("child") => {
                self.bump();
                Ok((Some(self.name("a child policy name")?), ExecMode::Child))
            }
            _ => {
                let name = self.name("a policy name, `inherit`, `child` or `unconfined`")?;
                if self.at_word("else") {
                    self.bump();
                    if !self.at_word("inherit") {
                        return Err(self.error("`inherit` after `else`"));
                    }
                    self.bump();
                    return Ok((Some(name), ExecMode::Fallback));
                }
                Ok((Some(name), ExecMode::Plain))
            }
        }
    }

    /// `"{" { stmt } "}"`, the body of a `child`, `hat`, `provides` or `accept` statement:
    /// its statements and the comments before its closing brace. The comments before the
    /// statement itself wait in `pending` while the body is parsed.
    fn braced_body(&mut self, expected: &str) -> PResult<(Vec<Stmt>, Vec<Comment>)> {
        let open = self.punct(Kind::LBrace, expected)?;
        self.block_trailing_comment();
        let trailing = self.block_trailing.take();
        let saved = std::mem::take(&mut self.pending);
        let mut inner = Item {
            kind: ItemKind::Policy,
            name: Spanned::new(String::new(), open),
            body: Vec::new(),
            comments: Vec::new(),
            closing_comments: Vec::new(),
            span: open,
        };
        self.body(&mut inner, Some(open));
        let mut saved = saved;
        saved.append(&mut self.pending);
        self.pending = saved;
        self.block_trailing = trailing;
        Ok((inner.body, inner.closing_comments))
    }

    /// `name "{" { stmt } "}"` after `child` or `hat`.
    fn child(&mut self, kind: ChildKind) -> PResult<StmtKind> {
        let what = match kind {
            ChildKind::Child => "a child policy name",
            ChildKind::Hat => "a hat name",
        };
        let name = self.name(what)?;
        let (body, closing_comments) = self.braced_body("`{`")?;
        Ok(StmtKind::Child {
            kind,
            name,
            body,
            closing_comments,
        })
    }

    /// `name [ "auto" ] "{" { stmt } "}"` after `provides`.
    fn provides(&mut self) -> PResult<StmtKind> {
        let name = self.name("an interface name")?;
        let auto = self.at_word("auto");
        if auto {
            self.bump();
        }
        let (body, closing_comments) = self.braced_body("`auto` or `{`")?;
        Ok(StmtKind::Provides(Provides {
            name,
            auto,
            body,
            closing_comments,
        }))
    }

    /// `IDENT { "," IDENT } "on" IDENT { "," IDENT } STRING "{" { stmt } "}"` after `accept`.
    fn accept(&mut self) -> PResult<StmtKind> {
        let fidelities = self.comma_words("a fidelity (`widened` or `unsupported`)")?;
        if !self.at_word("on") {
            return Err(self.error("`,` or `on`"));
        }
        self.bump();
        let targets = self.comma_words("a backend (`apparmor`, `selinux` or `landlock`)")?;
        let reason = self.string("the reason, a string")?;
        let (body, closing_comments) = self.braced_body("`{`")?;
        Ok(StmtKind::Accept(AcceptBlock {
            fidelities,
            targets,
            reason,
            body,
            closing_comments,
        }))
    }

    /// `IDENT [ IDENT { "," IDENT } ] ( "to" | "from" ) name` after `signal`.
    fn signal(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        let direction = self.ident("a signal direction")?;
        let at_peer = |p: &Self| p.at_word("to") || p.at_word("from");
        let mut signals = Vec::new();
        if !at_peer(self) {
            signals.push(self.ident("a signal name, `to` or `from`")?);
            loop {
                if self.at(Kind::Comma) {
                    self.bump();
                    if at_peer(self) {
                        return Err(self.error("a signal name"));
                    }
                    signals.push(self.ident("a signal name")?);
                } else if at_peer(self) {
                    break;
                } else {
                    return Err(self.error("`,`, `to` or `from`"));
                }
            }
        }
        match (direction.node.as_str(), self.peek_word()) {
            ("send", Some("from")) => return Err(self.error("`to` after `send`")),
            ("receive", Some("to")) => return Err(self.error("`from` after `receive`")),
            _ => {}
        }
        self.bump();
        let peer = self.name("a policy name")?;
        Ok(StmtKind::Signal {
            effect,
            direction,
            signals,
            peer,
        })
    }

    /// `[ IDENT { "," IDENT } ] ( "to" | "from" ) name` after `ptrace`.
    fn ptrace(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        let at_peer = |p: &Self| p.at_word("to") || p.at_word("from");
        let mut access = Vec::new();
        if !at_peer(self) {
            access.push(self.ident("`read`, `trace`, `to` or `from`")?);
            loop {
                if self.at(Kind::Comma) {
                    self.bump();
                    access.push(self.ident("`read` or `trace`")?);
                } else if at_peer(self) {
                    break;
                } else {
                    return Err(self.error("`,`, `to` or `from`"));
                }
            }
        }
        let dir = self.bump();
        let direction = Spanned::new(dir.text.to_string(), dir.span);
        let peer = self.name("a policy name, `self`, `any` or `unconfined`")?;
        Ok(StmtKind::Ptrace {
            effect,
            access,
            direction,
            peer,
        })
    }

    /// `INT [ "-" INT ]`; the range may be one word (`8000-8080`) or several.
    fn ports(&mut self) -> PResult<Spanned<PortSpec>> {
        let first = self.bump();
        let start = first.span.start;
        let bad = |p: &mut Self, t: &Token<'_>| p.error_at(t, t.span, "a port or a port range");
        let (lo_text, hi_text) = match first.text.split_once('-') {
            Some((lo, hi)) => (lo, Some(hi)),
            None => (first.text, None),
        };
        if !is_int(lo_text) {
            return Err(bad(self, &first));
        }
        let lo_span = Span::new(start, start + lo_text.len());
        let lo = self.number(lo_text, lo_span);
        let hi = match hi_text {
            // `80-90` in one word
            Some(hi) if is_int(hi) => {
                let span = Span::new(lo_span.end + 1, first.span.end);
                Spanned::new(self.number(hi, span), span)
            }
            // `80- 90`
            Some("") => self.int("a port number")?,
            Some(_) => return Err(bad(self, &first)),
            None => match self.peek_word() {
                // `80 - 90`
                Some("-") => {
                    self.bump();
                    self.int("a port number")?
                }
                // `80 -90`
                Some(w) if w.starts_with('-') => {
                    let t = self.bump();
                    match w.strip_prefix('-').filter(|d| is_int(d)) {
                        Some(digits) => {
                            let span = Span::new(t.span.start + 1, t.span.end);
                            Spanned::new(self.number(digits, span), span)
                        }
                        None => return Err(self.error_at(&t, t.span, "a port number")),
                    }
                }
                _ => Spanned::new(lo, lo_span),
            },
        };
        Ok(Spanned::new(
            PortSpec { lo, hi: hi.node },
            Span::new(start, hi.span.end),
        ))
    }
}

/// The value of `var NAME = "a", "b", ...`: one string stays as written; several become
/// the brace group `{a,b,...}` (the union of the alternatives), each `,` outside braces
/// in an alternative written `[,]` so that it stays a literal comma. The span covers
/// the whole list.
fn var_list(values: Vec<Spanned<String>>) -> Spanned<String> {
    let span = match (values.first(), values.last()) {
        (Some(a), Some(b)) => a.span.join(b.span),
        _ => Span::default(),
    };
    if values.len() == 1 {
        if let Some(v) = values.into_iter().next() {
            return v;
        }
        return Spanned::new(String::new(), span);
    }
    let alts: Vec<String> = values
        .iter()
        .map(|v| {
            let mut depth = 0usize;
            let mut out = String::with_capacity(v.node.len());
            // Characters of a class `[...]` (up to its first `]` past the first member).
            let mut class: Option<usize> = None;
            for c in v.node.chars() {
                if let Some(n) = class.as_mut() {
                    *n += 1;
                    if c == ']' && (*n > 1 && !(*n == 2 && out.ends_with("[^"))) {
                        class = None;
                    }
                    out.push(c);
                    continue;
                }
                match c {
                    '[' => class = Some(0),
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        out.push_str("[,]");
                        continue;
                    }
                    _ => {}
                }
                out.push(c);
            }
            out
        })
        .collect();
    Spanned::new(format!("{{{}}}", alts.join(",")), span)
}

#[cfg(test)]
mod tests {
    use super::{is_ident, is_reserved, ACCEPT, FIDELITY_WORDS, ITEM_KEYWORDS, STMT_KEYWORDS};

    /// The `match` of `is_reserved` names exactly the statement and item keywords.
    #[test]
    fn reserved_words_are_the_keywords() {
        for w in STMT_KEYWORDS.iter().chain(&ITEM_KEYWORDS) {
            assert!(is_reserved(w), "{w}");
            assert!(!is_ident(w), "{w}");
        }
        for w in FIDELITY_WORDS
            .iter()
            .chain(&[ACCEPT, "read", "as", "", "policyx", "Policy"])
        {
            assert!(!is_reserved(w), "{w}");
        }
    }
}
