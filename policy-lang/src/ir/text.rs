//! IR rules as one line of policy text, for reports, suggestions and backends' comments.
//! The diff re-exports these printers (`polc_lang::diff::file_rule_text`, ...).

use crate::ir::Effect;
use crate::ir::{
    CapRule, FileRule, IpFamily, NetOp, NetRule, PolicyName, PortRange, Proto, SignalDir,
    SignalRule,
};
use crate::rights::{Right, Rights};
use std::collections::BTreeSet;

/// A string literal of the language: `"..."` with `"` and `\` escaped, the only escapes
/// the language reads. The formatter, the importer and every text that is read back as
/// policy text quote through this.
pub fn quote(s: &str) -> String {
    quoted(s, false)
}

/// [`quote`] for a report or a message, on one line: control characters are escaped
/// too (`\n`, `\u{1b}`), as [`one_line`] does, so a hostile path cannot break a report's
/// line or drive a terminal. Not read back as policy text.
pub fn quote_line(s: &str) -> String {
    quoted(s, true)
}

fn quoted(s: &str, control: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if control && c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A user-written text shown in a message: control characters escaped ([`one_line`]),
/// texts longer than 40 characters cut with `…`. Every front end (the parser, the AppArmor
/// importer) quotes user text in its messages through this.
pub fn show(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => one_line(&text[..cut]) + "…",
        None => one_line(text),
    }
}

/// The text with its control characters escaped (`\n`, `\u{1b}`): a message stays on one
/// line and cannot drive a terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The rights as keywords, without the `append` that `write` implies (`read write`).
pub fn rights_words(rights: Rights) -> String {
    let shown = if rights.contains(Right::Write) {
        rights.difference(Rights::one(Right::Append))
    } else {
        rights
    };
    shown.to_string()
}

/// `allow read write "/glob" as NAME` (`audit allow owner read ...` when qualified).
pub fn file_rule_text(r: &FileRule) -> String {
    let mut s = file_text(r.effect, r.rights, &r.path_text(), None);
    s.push_str(&r.exec_mode.suffix(r.exec_as.as_ref()));
    qualified(s, r.audit, r.owner)
}

/// A rule's text with its qualifiers: `audit` before the effect, `owner` after it.
pub(crate) fn qualified(text: String, audit: bool, owner: bool) -> String {
    let text = match text.split_once(' ') {
        Some((effect, rest)) if owner => format!("{effect} owner {rest}"),
        _ => text,
    };
    if audit {
        format!("audit {text}")
    } else {
        text
    }
}

pub(crate) fn file_text(
    effect: Effect,
    rights: Rights,
    path: &str,
    exec_as: Option<&PolicyName>,
) -> String {
    let mut s = format!(
        "{} {} {}",
        effect.keyword(),
        rights_words(rights),
        quote(path)
    );
    if let Some(to) = exec_as {
        s.push_str(" as ");
        s.push_str(to.as_str());
    }
    s
}

pub(crate) fn op_word(op: NetOp) -> &'static str {
    match op {
        NetOp::Connect => "connect",
        NetOp::Bind => "bind",
    }
}

/// The protocol word of a protocol and IP version: `tcp`, `udp` (both), `tcp4`, `udp6`.
pub fn proto_word(proto: Proto, family: Option<IpFamily>) -> &'static str {
    match (proto, family) {
        (Proto::Tcp, None) => "tcp",
        (Proto::Tcp, Some(IpFamily::Inet)) => "tcp4",
        (Proto::Tcp, Some(IpFamily::Inet6)) => "tcp6",
        (Proto::Udp, None) => "udp",
        (Proto::Udp, Some(IpFamily::Inet)) => "udp4",
        (Proto::Udp, Some(IpFamily::Inet6)) => "udp6",
    }
}

/// `allow net connect tcp 443`.
pub fn net_rule_text(r: &NetRule) -> String {
    qualified(
        net_text(r.effect, r.op, proto_word(r.proto, r.family), r.ports),
        r.audit,
        false,
    )
}

pub(crate) fn net_text(effect: Effect, op: NetOp, proto: &str, ports: PortRange) -> String {
    let mut s = format!("{} net {} {proto}", effect.keyword(), op_word(op));
    if ports != PortRange::ALL {
        s.push(' ');
        s.push_str(&ports.to_string());
    }
    s
}

/// `allow capability net_bind_service`.
pub fn cap_rule_text(r: &CapRule) -> String {
    qualified(
        format!("{} capability {}", r.effect.keyword(), r.capability),
        r.audit,
        false,
    )
}

/// `allow signal send term, kill to org.example.peer`.
pub fn signal_rule_text(r: &SignalRule) -> String {
    qualified(
        signal_text(r.effect, r.direction, &r.signals, r.peer.as_str()),
        r.audit,
        false,
    )
}

pub(crate) fn signal_text(
    effect: Effect,
    direction: SignalDir,
    signals: &BTreeSet<String>,
    peer: &str,
) -> String {
    let (dir, prep) = match direction {
        SignalDir::Send => ("send", "to"),
        SignalDir::Receive => ("receive", "from"),
    };
    let mut s = format!("{} signal {dir}", effect.keyword());
    if !signals.is_empty() {
        s.push(' ');
        s.push_str(&signals.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    s.push_str(&format!(" {prep} {peer}"));
    s
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
    use crate::glob::Glob;

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"/a"b\c"#), r#""/a\"b\\c""#);
    }

    #[test]
    fn write_hides_the_implied_append() {
        let r = Rights::from_keyword("write").unwrap().insert(Right::Read);
        assert_eq!(rights_words(r), "read write");
        assert_eq!(rights_words(Rights::one(Right::Append)), "append");
    }

    #[test]
    fn qualifiers_read_like_the_language() {
        let r = FileRule {
            effect: Effect::Deny,
            glob: Glob::parse("/home/*/.ssh/**").unwrap(),
            rights: Rights::one(Right::Read),
            exec_as: None,
            exec_mode: crate::ir::ExecMode::Plain,
            origins: Vec::new(),
            audit: true,
            owner: true,
            dir_only: false,
        };
        assert_eq!(
            file_rule_text(&r),
            r#"audit deny owner read "/home/*/.ssh/**""#
        );
        let r = FileRule { audit: false, ..r };
        assert_eq!(file_rule_text(&r), r#"deny owner read "/home/*/.ssh/**""#);
        let c = CapRule {
            effect: Effect::Allow,
            capability: "chown".into(),
            origins: Vec::new(),
            audit: true,
        };
        assert_eq!(cap_rule_text(&c), "audit allow capability chown");
    }

    #[test]
    fn net_and_signal_rules_read_like_the_language() {
        assert_eq!(
            net_text(
                Effect::Allow,
                NetOp::Bind,
                proto_word(Proto::Tcp, None),
                PortRange { lo: 8080, hi: 8089 }
            ),
            "allow net bind tcp 8080-8089"
        );
        assert_eq!(
            net_text(
                Effect::Deny,
                NetOp::Connect,
                proto_word(Proto::Udp, Some(IpFamily::Inet6)),
                PortRange::ALL
            ),
            "deny net connect udp6"
        );
        let sigs: BTreeSet<String> = ["kill".to_string(), "term".to_string()].into();
        assert_eq!(
            signal_text(Effect::Allow, SignalDir::Receive, &sigs, "org.example.a"),
            "allow signal receive kill, term from org.example.a"
        );
    }
}
