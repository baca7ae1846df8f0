//! Parsing of unix-socket rules and of `net netlink|raw|packet`.

use super::{Kind, PResult, Parser};
use crate::ast::unix::UNIX_TYPES;
use crate::ast::{Effect, NetFamilyStmt, StmtKind, UnixAddrSpec, UnixStmt};
use crate::span::Spanned;

/// The network families written after `net` instead of an operation.
pub(super) const FAMILIES: [&str; 5] = ["netlink", "raw", "raw4", "raw6", "packet"];

/// The socket types a family rule may end with.
const FAMILY_TYPES: [&str; 2] = ["raw", "dgram"];

/// Words that end the operation list of a unix rule.
const AFTER_OPS: [&str; 4] = ["path", "abstract", "anonymous", "peer"];

impl Parser<'_> {
    /// `unix OPS [TYPE] [ADDRESS] [peer NAME]`, after `unix`:
    /// `OPS = IDENT { [","] IDENT }`, `TYPE = stream | dgram | seqpacket`,
    /// `ADDRESS = path STRING | abstract [STRING] | anonymous`.
    pub(super) fn unix(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        let mut ops = Vec::new();
        loop {
            match self.peek_word() {
                Some(w)
                    if super::is_ident(w)
                        && !UNIX_TYPES.contains(&w)
                        && !AFTER_OPS.contains(&w)
                        && !self.at_accept() =>
                {
                    let t = self.bump();
                    ops.push(Spanned::new(w.to_string(), t.span));
                }
                _ => {}
            }
            if self.at(Kind::Comma) {
                self.bump();
                if !self
                    .peek_word()
                    .is_some_and(|w| super::is_ident(w) && !AFTER_OPS.contains(&w))
                {
                    return Err(self.error("a unix operation after `,`"));
                }
                continue;
            }
            match self.peek_word() {
                Some(w)
                    if super::is_ident(w)
                        && !UNIX_TYPES.contains(&w)
                        && !AFTER_OPS.contains(&w)
                        && !self.at_accept() => {}
                _ => break,
            }
        }
        if ops.is_empty() {
            return Err(self.error("a unix operation (`connect`, `send`, `receive`, ...)"));
        }
        let sock_type = match self.peek_word() {
            Some(w) if UNIX_TYPES.contains(&w) => {
                let t = self.bump();
                Some(Spanned::new(w.to_string(), t.span))
            }
            _ => None,
        };
        let addr = match self.peek_word() {
            Some("path") => {
                let kw = self.bump();
                let p = self.string("a socket path")?;
                let span = kw.span.join(p.span);
                Some(Spanned::new(UnixAddrSpec::Path(p), span))
            }
            Some("abstract") => {
                let kw = self.bump();
                if self.at(Kind::Str) {
                    let n = self.string("an abstract socket name")?;
                    let span = kw.span.join(n.span);
                    Some(Spanned::new(UnixAddrSpec::Abstract(Some(n)), span))
                } else {
                    Some(Spanned::new(UnixAddrSpec::Abstract(None), kw.span))
                }
            }
            Some("anonymous") => {
                let kw = self.bump();
                Some(Spanned::new(UnixAddrSpec::Anonymous, kw.span))
            }
            _ => None,
        };
        let peer = if self.at_word("peer") {
            self.bump();
            Some(self.name("a peer: a policy name, `self`, `any` or `unconfined`")?)
        } else {
            None
        };
        if self.at(Kind::Str) {
            return Err(self.error("`path`, `abstract` or `anonymous` before the address"));
        }
        Ok(StmtKind::Unix(UnixStmt {
            effect,
            ops,
            sock_type,
            addr,
            peer,
        }))
    }

    /// `net FAMILY [IDENT { "," IDENT }]`, after `net`, at a word of [`FAMILIES`].
    pub(super) fn net_family(&mut self, effect: Spanned<Effect>) -> PResult<StmtKind> {
        let kw = self.bump();
        let family = Spanned::new(kw.text.to_string(), kw.span);
        let mut protocols = Vec::new();
        if self.at_protocol(false) && !self.at_family_type() {
            protocols.push(self.protocol()?);
            loop {
                if self.at(Kind::Comma) {
                    self.bump();
                    if !self.at_protocol(true) {
                        return Err(self.error("a protocol"));
                    }
                    protocols.push(self.protocol()?);
                } else if self.at_list_element() && !self.at_word("audit") && !self.at_family_type()
                {
                    return Err(self.error("`,`"));
                } else {
                    break;
                }
            }
        }
        let sock_type = if self.at_family_type() {
            let t = self.bump();
            Some(Spanned::new(t.text.to_string(), t.span))
        } else {
            None
        };
        Ok(StmtKind::NetFamily(NetFamilyStmt {
            effect,
            family,
            protocols,
            sock_type,
        }))
    }

    /// At the socket type of a family rule (`raw`, `dgram`; no statement starts with
    /// these words, so on the next line too, as the protocols).
    fn at_family_type(&self) -> bool {
        self.peek_word().is_some_and(|w| FAMILY_TYPES.contains(&w))
    }

    /// At a protocol of a family rule: an identifier, or `audit` (netlink's audit
    /// protocol) after a comma or on the same line as the word before it; `audit` at the
    /// start of a line begins the next, audited, rule.
    fn at_protocol(&self, after_comma: bool) -> bool {
        match self.peek_word() {
            Some("audit") => after_comma || self.peek().newlines_before == 0,
            Some(_) => self.at_list_element(),
            None => false,
        }
    }

    fn protocol(&mut self) -> PResult<Spanned<String>> {
        if self.at_word("audit") {
            let t = self.bump();
            return Ok(Spanned::new(t.text.to_string(), t.span));
        }
        self.ident("a protocol")
    }
}
