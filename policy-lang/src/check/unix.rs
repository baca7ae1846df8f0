//! Checks of unix-socket rules and of `net netlink|raw|packet` (E0170-E0173).

use super::items::{check_path_literal, check_policy_name, PathUse, Sink};
use super::strings::suggest;
use crate::ast::{NetFamilyStmt, UnixAddrSpec, UnixStmt};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::one_line;
use crate::ir::{FamilySockType, NetFamily, UnixOp};
use crate::span::Spanned;

/// The peer keywords of a unix rule, besides policy names.
pub(crate) const PEER_KEYWORDS: [&str; 3] = ["self", "any", "unconfined"];

/// The longest abstract socket name, with its leading `@` (`sun_path` is 108 bytes).
pub(crate) const MAX_ABSTRACT_LEN: usize = 108;

fn help_of(code: Code, s: Option<&str>) -> String {
    match s {
        Some(s) => format!("did you mean `{s}`? {}", code.help()),
        None => code.help().to_string(),
    }
}

/// E0170, E0172, E0173 and the peer's name.
pub(crate) fn check_unix(sink: &mut Sink<'_>, u: &UnixStmt) {
    let mut ops = Vec::new();
    for o in &u.ops {
        match UnixOp::from_keyword(&o.node) {
            Some(op) => ops.push((op, o)),
            None => {
                let help = match o.node.as_str() {
                    "read" | "write" => {
                        "`send` and `receive` cover writing to and reading from a socket"
                            .to_string()
                    }
                    "create" => {
                        "creating a socket is covered by the operation that uses it".to_string()
                    }
                    w => help_of(
                        Code::UnknownUnixOp,
                        suggest(w, UnixOp::ALL.iter().map(|o| o.keyword())),
                    ),
                };
                sink.push(
                    Diagnostic::new(
                        Code::UnknownUnixOp,
                        sink.file,
                        o.span,
                        format!("unknown unix operation `{}`", one_line(&o.node)),
                        "not an operation",
                    )
                    .with_help(help),
                );
            }
        }
    }
    let dgram = u.sock_type.as_ref().is_some_and(|t| t.node == "dgram");
    for (op, o) in &ops {
        if dgram && matches!(op, UnixOp::Listen | UnixOp::Accept) {
            sink.push(
                Diagnostic::new(
                    Code::UnixOpAddress,
                    sink.file,
                    o.span,
                    format!("`{}` on `dgram` unix sockets", op.keyword()),
                    "not a datagram operation",
                )
                .with_help("datagram sockets do not listen or accept; use `stream` or `seqpacket`"),
            );
        }
    }
    match u.addr.as_ref().map(|a| (&a.node, a.span)) {
        Some((UnixAddrSpec::Path(p), _)) => check_path_literal(sink, p, PathUse::Glob),
        Some((UnixAddrSpec::Abstract(Some(n)), _)) => check_abstract(sink, n),
        Some((UnixAddrSpec::Anonymous, span)) => {
            for (op, o) in &ops {
                if !matches!(op, UnixOp::Send | UnixOp::Receive) {
                    sink.push(
                        Diagnostic::new(
                            Code::UnixOpAddress,
                            sink.file,
                            o.span,
                            format!("`{}` on anonymous unix sockets", op.keyword()),
                            "needs an address",
                        )
                        .with_label(span, "no address")
                        .with_help(
                            "anonymous sockets (`socketpair`) only send and receive; name a \
                             `path` or `abstract` address to connect, bind, listen or accept",
                        ),
                    );
                }
            }
        }
        _ => {}
    }
    if let Some(p) = &u.peer {
        if !PEER_KEYWORDS.contains(&p.node.as_str()) {
            check_policy_name(sink, p, "peer policy name");
        }
    }
}

/// E0173: an abstract name is `@` followed by 1 to 107 printable bytes, without
/// wildcards.
fn check_abstract(sink: &mut Sink<'_>, n: &Spanned<String>) {
    let name = n.node.as_str();
    let problem = if !name.starts_with('@') {
        Some(format!(
            "write `@{}`: abstract names start with `@`",
            one_line(name)
        ))
    } else if name.len() < 2 {
        Some("write the name after `@`, or `abstract` alone for every abstract name".to_string())
    } else if name.len() > MAX_ABSTRACT_LEN {
        Some(format!(
            "an abstract name is at most {MAX_ABSTRACT_LEN} bytes with its `@`"
        ))
    } else if name.chars().any(|c| c.is_control()) {
        Some("abstract names may not hold NUL or control characters".to_string())
    } else if name.contains(['*', '?', '{', '}', '[', ']']) || name.contains("${") {
        Some(
            "abstract names are literal: no glob characters or variables; write `abstract` \
             alone for every abstract name"
                .to_string(),
        )
    } else {
        None
    };
    if let Some(help) = problem {
        sink.push(
            Diagnostic::new(
                Code::InvalidAbstractName,
                sink.file,
                n.span,
                format!("invalid abstract socket name `{}`", one_line(name)),
                "not an abstract name",
            )
            .with_help(help),
        );
    }
}

/// E0171: the protocols must belong to the family (and IP version); E0174: so must the
/// socket type.
pub(crate) fn check_net_family(sink: &mut Sink<'_>, n: &NetFamilyStmt) {
    let Some((family, ip)) = NetFamily::from_word(&n.family.node) else {
        return;
    };
    if let Some(t) = &n.sock_type {
        let ok =
            FamilySockType::from_keyword(&t.node).is_some_and(|t| family.sock_types().contains(&t));
        if !ok {
            sink.push(
                Diagnostic::new(
                    Code::FamilySockType,
                    sink.file,
                    t.span,
                    format!(
                        "socket type `{}` does not apply to `net {}`",
                        one_line(&t.node),
                        family.word(ip)
                    ),
                    "not a type of this family",
                )
                .with_help(if family.sock_types().is_empty() {
                    format!(
                        "raw IP sockets are raw: `net {}` takes no socket type",
                        family.word(ip)
                    )
                } else {
                    format!("`net {}` takes `raw` or `dgram`", family.word(ip))
                }),
            );
        }
    }
    let family_word = family.word(ip);
    let known: Vec<&str> = family.protocols_of(ip).iter().map(|(p, _)| *p).collect();
    for p in &n.protocols {
        if known.contains(&p.node.as_str()) {
            continue;
        }
        let help = if known.is_empty() {
            format!("`net {}` takes no protocol", family_word)
        } else {
            match suggest(&p.node, known.iter().copied()) {
                Some(s) => format!(
                    "did you mean `{s}`? protocols of `net {}` are {}",
                    family_word,
                    known.join(", ")
                ),
                None => format!(
                    "protocols of `net {}` are {}",
                    family_word,
                    known.join(", ")
                ),
            }
        };
        sink.push(
            Diagnostic::new(
                Code::UnknownFamilyProtocol,
                sink.file,
                p.span,
                format!(
                    "unknown protocol `{}` for `net {}`",
                    one_line(&p.node),
                    family_word
                ),
                "not a protocol of this family",
            )
            .with_help(help),
        );
    }
}
