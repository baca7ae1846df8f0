//! Checks of one item on its own: names, keywords, declarations, literal paths.
//!
//! Everything here is independent of other items and of variable values; strings that
//! hold `${var}` references are only checked for the syntax of their references here and
//! validated in full after substitution.

use super::exec::{check_child, check_exec_mode, Scope};
use super::names::normalize_c_name;
use super::paths::{ParsedPaths, PathSite};
use super::strings::{has_refs, is_var_name, pieces, suggest, LitMap};
use crate::ast::{Effect, Item, ItemKind, PortSpec, Stmt, StmtKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::text::one_line;
use crate::ir::{is_capability, is_signal, CAPABILITIES, SIGNALS};
use crate::ir::{PolicyName, MAX_NAME_LEN};
use crate::rights::{Right, Rights, GROUPS};
use crate::span::{Span, Spanned};

/// Where diagnostics for one file go.
pub(crate) struct Sink<'a> {
    /// The file's name.
    pub(crate) file: &'a str,
    /// The file's text.
    pub(crate) text: &'a str,
    /// The diagnostics found.
    pub(crate) out: &'a mut Vec<Diagnostic>,
    /// The file rules' paths parsed so far.
    pub(crate) paths: &'a mut ParsedPaths,
}

impl Sink<'_> {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// Report a diagnostic with an optional specific help and secondary label.
    pub(crate) fn report(
        &mut self,
        code: Code,
        span: Span,
        message: String,
        label: &str,
        help: Option<String>,
        secondary: Option<(Span, &str)>,
    ) {
        let mut d = Diagnostic::new(code, self.file, span, message, label);
        d.help = help;
        if let Some((s, t)) = secondary {
            d = d.with_label(s, t);
        }
        self.out.push(d);
    }
}

fn did_you_mean(code: Code, s: Option<&str>) -> Option<String> {
    s.map(|s| format!("did you mean `{s}`? {}", code.help()))
}

/// Validate a policy name (`as NAME`, signal peers, the policy's own name).
pub(crate) fn check_policy_name(
    sink: &mut Sink<'_>,
    name: &Spanned<String>,
    what: &str,
) -> Option<PolicyName> {
    let n = &name.node;
    if n == "self" {
        sink.report(
            Code::InvalidName,
            name.span,
            format!("`self` cannot be used as {what}"),
            "reserved name",
            Some("`self` is reserved: it means the policy itself as a signal peer".into()),
            None,
        );
        return None;
    }
    if n == crate::ir::peer::ANY || n == crate::ir::peer::UNCONFINED {
        sink.report(
            Code::InvalidName,
            name.span,
            format!("`{n}` cannot be used as {what}"),
            "reserved name",
            Some(format!(
                "`{n}` is reserved: it names a kind of peer process in signal and ptrace rules"
            )),
            None,
        );
        return None;
    }
    match PolicyName::new(n) {
        Ok(p) => Some(p),
        Err(e) => {
            let fixed = n.to_ascii_lowercase().replace('_', "-");
            let help = (!n.is_empty() && PolicyName::new(&fixed).is_ok())
                .then(|| format!("write `{}`; {}", one_line(&fixed), Code::InvalidName.help()));
            sink.report(
                Code::InvalidName,
                name.span,
                format!("invalid {what} `{}`: {e}", one_line(n)),
                "invalid name",
                help,
                None,
            );
            None
        }
    }
}

/// True for a valid abstraction name: one label of a policy name.
pub(crate) fn is_abstraction_name(s: &str) -> bool {
    !s.contains('.') && s.len() <= MAX_NAME_LEN && PolicyName::new(s).is_ok()
}

fn check_abstraction_name(sink: &mut Sink<'_>, name: &str, span: Span) -> bool {
    if is_abstraction_name(name) {
        return true;
    }
    let why = if name.contains('.') {
        "abstraction names have no `.`".to_string()
    } else {
        match PolicyName::new(name) {
            Err(e) => e.0,
            Ok(_) => format!("the name is longer than {MAX_NAME_LEN} bytes"),
        }
    };
    sink.report(
        Code::InvalidAbstractionName,
        span,
        format!("invalid abstraction name `{}`: {why}", one_line(name)),
        "invalid name",
        None,
        None,
    );
    false
}

/// The rights named by a rule's keywords (unknown ones skipped), implications applied.
pub(crate) fn resolve_rights(kws: &[Spanned<String>]) -> Rights {
    kws.iter()
        .filter_map(|k| Rights::from_keyword(&k.node))
        .fold(Rights::EMPTY, Rights::union)
}

fn right_words() -> impl Iterator<Item = &'static str> {
    Right::ALL
        .iter()
        .map(|r| r.name())
        .chain(GROUPS.iter().map(|(n, _)| *n))
}

/// What a path literal is: the attached executable, a glob of any type (`owns`, unix
/// socket paths), or a file rule's path with the rule's rights (a trailing `/` there
/// means directories only).
#[derive(Clone, Copy)]
pub(crate) enum PathUse {
    Attach,
    Glob,
    Rule(Rights),
}

/// Check a path literal on its own: full validation without variables, reference
/// syntax with them.
pub(crate) fn check_path_literal(sink: &mut Sink<'_>, s: &Spanned<String>, use_: PathUse) {
    if has_refs(&s.node) {
        if let Err(e) = pieces(&s.node) {
            let span = LitMap::new(sink.text, s.span, &s.node).span(e.range);
            sink.report(
                Code::UnknownVariable,
                span,
                e.message,
                "malformed reference",
                None,
                None,
            );
        }
        return;
    }
    let site = PathSite::plain(sink.file, sink.text, s);
    match use_ {
        PathUse::Attach => drop(site.attach(sink.out)),
        PathUse::Glob => drop(site.glob(sink.out)),
        PathUse::Rule(rights) => drop(site.rule_path(rights, sink.paths, sink.out)),
    }
}

/// The first character not allowed in a variable's value (glob characters, `"`, `\`,
/// `$`, NUL, control characters), with its byte offset.
pub(crate) fn unsafe_value_char(v: &str) -> Option<(usize, char)> {
    v.char_indices().find(|(_, c)| {
        matches!(c, '*' | '?' | '{' | '}' | '[' | '"' | '\\' | '$') || c.is_control()
    })
}

/// The first character a set variable's value (a declared default, or a value supplied
/// for a variable whose default is a glob) may not hold: globs are allowed, quotes,
/// backslashes, `$` and control characters are not.
pub(crate) fn unsafe_set_value_char(v: &str) -> Option<(usize, char)> {
    v.char_indices()
        .find(|(_, c)| matches!(c, '"' | '\\' | '$') || c.is_control())
}

/// A help for an unsafe value character.
pub(crate) fn unsafe_value_help(c: char) -> String {
    match c {
        '*' | '?' | '{' | '}' | '[' => "a supplied value holds a literal path fragment unless the variable's default is a glob (a set of paths); write the glob in the rule, e.g. `\"${dir}/**\"`".into(),
        '$' => "a value cannot refer to other variables".into(),
        _ => Code::UnsafeVariableValue.help().into(),
    }
}

/// Remembers the first declaration of a once-only statement.
pub(crate) struct Seen {
    first: Option<Span>,
}

impl Seen {
    pub(crate) fn new() -> Seen {
        Seen { first: None }
    }

    /// Record a declaration; report it when it is the second one.
    pub(crate) fn check(&mut self, sink: &mut Sink<'_>, span: Span, what: &str) {
        match self.first {
            None => self.first = Some(span),
            Some(first) => sink.report(
                Code::DuplicateDeclaration,
                span,
                format!("`{what}` declared more than once"),
                "declared again here",
                None,
                Some((first, "first declared here")),
            ),
        }
    }
}

/// Check one item on its own. For a `partial` tree (recovered after syntax errors),
/// checks that something is missing are skipped: it may be in the unparsed text.
pub(crate) fn check_item(sink: &mut Sink<'_>, item: &Item, partial: bool) {
    if item.kind == ItemKind::Framework {
        super::app::check_framework(sink, item);
        return;
    }
    let is_policy = item.kind == ItemKind::Policy;
    let is_app = is_policy && item.body.iter().any(|s| s.kind == StmtKind::App);
    let mut app = Seen::new();
    if is_policy {
        check_policy_name(sink, &item.name, "policy name");
    } else {
        check_abstraction_name(sink, &item.name.node, item.name.span);
    }
    let (mut version, mut attach, mut mode) = (Seen::new(), Seen::new(), Seen::new());
    let mut vars: Vec<&Spanned<String>> = Vec::new();
    let scope = Scope::of_item(&item.body, is_policy);
    let mut children: Vec<&Spanned<String>> = Vec::new();
    for stmt in &item.body {
        let not_here = |sink: &mut Sink<'_>, what: &str| {
            sink.report(
                Code::NotInAbstraction,
                stmt.span,
                format!("`{what}` is not allowed in an abstraction"),
                "only in a policy",
                None,
                None,
            );
        };
        match &stmt.kind {
            StmtKind::Version(_) => version.check(sink, stmt.span, "version"),
            StmtKind::Attach(p) if is_policy => {
                attach.check(sink, stmt.span, "attach");
                check_path_literal(sink, p, PathUse::Attach);
            }
            StmtKind::Mode(m) if is_policy => {
                mode.check(sink, stmt.span, "mode");
                check_mode(sink, m);
            }
            StmtKind::Owns(paths) if is_policy => {
                for p in paths {
                    check_path_literal(sink, p, PathUse::Glob);
                }
            }
            StmtKind::Attach(_) => not_here(sink, "attach"),
            StmtKind::Mode(_) => not_here(sink, "mode"),
            StmtKind::Owns(_) => not_here(sink, "owns"),
            StmtKind::Use(refs) => {
                for r in refs {
                    check_abstraction_name(sink, &r.node.name, r.span);
                }
            }
            StmtKind::Var { name, value } => {
                check_var(sink, name, value, &vars);
                vars.push(name);
            }
            StmtKind::Child { name, .. } => {
                check_child(sink, stmt, &scope, &children);
                children.push(name);
            }
            StmtKind::Accept(a) => super::accept::check_accept(sink, a, &scope),
            StmtKind::App if is_policy => app.check(sink, stmt.span, "app"),
            StmtKind::Plugs(_) if is_app => {}
            StmtKind::App | StmtKind::Plugs(_) | StmtKind::Provides(_) => {
                super::app::misplaced(sink, stmt, item.kind);
            }
            _ => check_rule(sink, stmt, &scope),
        }
    }
    if !is_policy && !partial && version.first.is_none() {
        sink.report(
            Code::MissingVersion,
            item.name.span,
            format!(
                "abstraction `{}` declares no version",
                one_line(&item.name.node)
            ),
            "no `version` in this abstraction",
            None,
            None,
        );
    }
}

fn check_mode(sink: &mut Sink<'_>, m: &Spanned<String>) {
    if m.node != "enforce" && m.node != "complain" {
        let help = did_you_mean(Code::UnknownMode, suggest(&m.node, ["enforce", "complain"]));
        sink.report(
            Code::UnknownMode,
            m.span,
            format!("unknown mode `{}`", one_line(&m.node)),
            "not a mode",
            help,
            None,
        );
    }
}

fn check_var(
    sink: &mut Sink<'_>,
    name: &Spanned<String>,
    value: &Spanned<String>,
    earlier: &[&Spanned<String>],
) {
    if !is_var_name(&name.node) {
        sink.report(
            Code::InvalidVariable,
            name.span,
            format!("invalid variable name `{}`", one_line(&name.node)),
            "invalid name",
            None,
            None,
        );
    } else if let Some(first) = earlier.iter().find(|e| e.node == name.node) {
        sink.report(
            Code::InvalidVariable,
            name.span,
            format!("variable `{}` declared more than once", name.node),
            "declared again here",
            None,
            Some((first.span, "first declared here")),
        );
    }
    // A declared default is written by the policy's author: it may be a glob (a set of
    // paths); the injection characters stay refused.
    if let Some((i, c)) = unsafe_set_value_char(&value.node) {
        let span = LitMap::new(sink.text, value.span, &value.node).span(i..i + c.len_utf8());
        sink.report(
            Code::UnsafeVariableValue,
            span,
            format!(
                "value of variable `{}` holds `{}`",
                one_line(&name.node),
                c.escape_default()
            ),
            "not allowed in a value",
            Some(unsafe_value_help(c)),
            None,
        );
    }
}

pub(crate) fn check_rule(sink: &mut Sink<'_>, stmt: &Stmt, scope: &Scope<'_>) {
    if let Some(audit) = stmt.quals.audit {
        if matches!(
            stmt.kind,
            StmtKind::Unix(_) | StmtKind::NetFamily(_) | StmtKind::Ptrace { .. }
        ) {
            sink.report(
                Code::AuditNotSupported,
                audit,
                "`audit` on a unix, network-family or ptrace rule is not supported yet".to_string(),
                "not supported on this rule kind",
                None,
                None,
            );
        }
    }
    if let Some(owner) = stmt.quals.owner {
        if !matches!(stmt.kind, StmtKind::File { .. }) {
            sink.report(
                Code::OwnerNotOnFiles,
                owner,
                "`owner` on a rule that is not about files".to_string(),
                "only file rules can be conditioned on the owner",
                None,
                None,
            );
        }
    }
    match &stmt.kind {
        StmtKind::File {
            effect,
            rights,
            paths,
            exec_as,
            exec_mode,
        } => {
            check_rights(sink, stmt.span, rights);
            let resolved = resolve_rights(rights);
            for p in paths {
                check_path_literal(sink, p, PathUse::Rule(resolved));
            }
            if let Some(target) = exec_as {
                check_exec_as(sink, effect, rights, target);
            }
            let grants_exec = resolved.contains(Right::Exec)
                || rights
                    .iter()
                    .any(|k| Rights::from_keyword(&k.node).is_none());
            check_exec_mode(
                sink,
                stmt,
                effect,
                grants_exec,
                exec_as.as_ref(),
                *exec_mode,
                scope,
            );
        }
        StmtKind::Net {
            op, proto, ports, ..
        } => {
            check_net(sink, op, proto);
            if let Some(p) = ports {
                check_ports(sink, p);
            }
        }
        StmtKind::Capability { caps, .. } => check_caps(sink, caps),
        StmtKind::Signal {
            direction,
            signals,
            peer,
            ..
        } => check_signal(sink, direction, signals, peer),
        StmtKind::Unix(u) => super::unix::check_unix(sink, u),
        StmtKind::NetFamily(n) => super::unix::check_net_family(sink, n),
        StmtKind::Dbus(d) => super::dbus::check_dbus(sink, d),
        StmtKind::Ptrace { access, peer, .. } => check_ptrace(sink, access, peer),
        _ => {}
    }
}

fn check_rights(sink: &mut Sink<'_>, stmt_span: Span, rights: &[Spanned<String>]) {
    for k in rights {
        if Rights::from_keyword(&k.node).is_none() {
            let help = did_you_mean(Code::UnknownRight, suggest(&k.node, right_words()));
            sink.report(
                Code::UnknownRight,
                k.span,
                format!("unknown access right `{}`", one_line(&k.node)),
                "not a right",
                help,
                None,
            );
        }
    }
    if rights.is_empty() {
        sink.report(
            Code::UnknownRight,
            stmt_span,
            "rule names no access right".into(),
            "no right",
            None,
            None,
        );
    }
}

fn check_exec_as(
    sink: &mut Sink<'_>,
    effect: &Spanned<Effect>,
    rights: &[Spanned<String>],
    target: &Spanned<String>,
) {
    if effect.node == Effect::Deny {
        sink.report(
            Code::DenyWithAs,
            target.span,
            format!("`deny` rule with `as {}`", one_line(&target.node)),
            "transition on a deny",
            None,
            Some((effect.span, "this rule denies")),
        );
        return;
    }
    let known = resolve_rights(rights);
    let all_known = rights
        .iter()
        .all(|k| Rights::from_keyword(&k.node).is_some());
    if all_known && !known.contains(Right::Exec) {
        let help = known.contains(Right::MapExec).then(|| {
            "`map-exec` maps a file as executable code; `as` needs `exec`, the right to run it"
                .to_string()
        });
        sink.report(
            Code::AsWithoutExec,
            target.span,
            format!(
                "`as {}` on a rule that does not grant `exec`",
                one_line(&target.node)
            ),
            "transition without exec",
            help,
            None,
        );
    }
    check_policy_name(sink, target, "policy name after `as`");
}

fn check_net(sink: &mut Sink<'_>, op: &Spanned<String>, proto: &Spanned<String>) {
    if op.node != "connect" && op.node != "bind" {
        let help = match op.node.as_str() {
            "listen" | "accept" => {
                Some("`bind` covers binding, listening on and accepting from a port".to_string())
            }
            "send" | "sendto" => {
                Some("`connect` covers connecting and sending to a port".to_string())
            }
            _ => did_you_mean(Code::UnknownNetOp, suggest(&op.node, ["connect", "bind"])),
        };
        sink.report(
            Code::UnknownNetOp,
            op.span,
            format!("unknown network operation `{}`", one_line(&op.node)),
            "not an operation",
            help,
            None,
        );
    }
    if crate::ir::parse_inet_protocol(&proto.node).is_none() {
        let help = match proto.node.as_str() {
            "inet" | "inet6" | "ip" | "ipv4" | "ipv6" => Some(
                "`tcp` and `udp` cover both IPv4 and IPv6; `tcp4`, `tcp6`, `udp4` and `udp6` one"
                    .to_string(),
            ),
            _ => did_you_mean(
                Code::UnknownProto,
                suggest(&proto.node, crate::ir::inet_protocols().map(|(w, _, _)| w)),
            ),
        };
        sink.report(
            Code::UnknownProto,
            proto.span,
            format!("unknown protocol `{}`", one_line(&proto.node)),
            "not a protocol",
            help,
            None,
        );
    }
}

fn check_caps(sink: &mut Sink<'_>, caps: &[Spanned<String>]) {
    for c in caps {
        if is_capability(&c.node) {
            continue;
        }
        let norm = normalize_c_name(&c.node, "cap_");
        let help = if is_capability(&norm) {
            Some(format!("write `{norm}`: lowercase, without `CAP_`"))
        } else {
            did_you_mean(Code::UnknownCapability, suggest(&norm, CAPABILITIES))
        };
        sink.report(
            Code::UnknownCapability,
            c.span,
            format!("unknown capability `{}`", one_line(&c.node)),
            "not a capability",
            help,
            None,
        );
    }
}

fn check_signal(
    sink: &mut Sink<'_>,
    direction: &Spanned<String>,
    signals: &[Spanned<String>],
    peer: &Spanned<String>,
) {
    if direction.node != "send" && direction.node != "receive" {
        let help = did_you_mean(
            Code::UnknownDirection,
            suggest(&direction.node, ["send", "receive"]),
        );
        sink.report(
            Code::UnknownDirection,
            direction.span,
            format!("unknown signal direction `{}`", one_line(&direction.node)),
            "not a direction",
            help,
            None,
        );
    }
    for s in signals {
        if is_signal(&s.node) {
            continue;
        }
        let norm = normalize_c_name(&s.node, "sig");
        let help = if is_signal(&norm) {
            Some(format!("write `{norm}`: lowercase, without `SIG`"))
        } else if norm.starts_with("rtmin") || norm.starts_with("rtmax") {
            Some("real-time signals (`rtmin+N`) are not supported; use a standard signal".into())
        } else {
            did_you_mean(Code::UnknownSignal, suggest(&norm, SIGNALS))
        };
        sink.report(
            Code::UnknownSignal,
            s.span,
            format!("unknown signal `{}`", one_line(&s.node)),
            "not a signal",
            help,
            None,
        );
    }
    if !matches!(peer.node.as_str(), "self" | "any" | "unconfined") {
        check_policy_name(sink, peer, "peer policy name");
    }
}

fn check_ptrace(sink: &mut Sink<'_>, access: &[Spanned<String>], peer: &Spanned<String>) {
    for a in access {
        if crate::ir::PtraceAccess::from_keyword(&a.node).is_some() {
            continue;
        }
        let help = did_you_mean(
            Code::UnknownPtraceAccess,
            match a.node.as_str() {
                "attach" | "seize" | "tracedby" => Some("trace"),
                "readby" | "inspect" => Some("read"),
                other => suggest(other, ["read", "trace"]),
            },
        );
        sink.report(
            Code::UnknownPtraceAccess,
            a.span,
            format!("unknown ptrace access `{}`", one_line(&a.node)),
            "not a ptrace access",
            help.or_else(|| Some(Code::UnknownPtraceAccess.help().to_string())),
            None,
        );
    }
    if !matches!(peer.node.as_str(), "self" | "any" | "unconfined") {
        check_policy_name(sink, peer, "peer policy name");
    }
}

/// The spans of the two numbers of a port spec, when the source text shows them.
fn port_spans(text: &str, spec: &Spanned<PortSpec>) -> (Span, Span) {
    let whole = (spec.span, spec.span);
    let Some(raw) = text.get(spec.span.start..spec.span.end) else {
        return whole;
    };
    let num_span = |s: &str, off: usize| {
        let lead = s.len() - s.trim_start().len();
        let t = s.trim();
        let start = spec.span.start + off + lead;
        (t.parse::<u64>().ok(), Span::new(start, start + t.len()))
    };
    match raw.split_once('-') {
        None => match num_span(raw, 0) {
            (Some(n), sp) if n == spec.node.lo => (sp, sp),
            _ => whole,
        },
        Some((a, b)) => match (num_span(a, 0), num_span(b, a.len() + 1)) {
            ((Some(x), sa), (Some(y), sb)) if x == spec.node.lo && y == spec.node.hi => (sa, sb),
            _ => whole,
        },
    }
}

fn check_ports(sink: &mut Sink<'_>, spec: &Spanned<PortSpec>) {
    let PortSpec { lo, hi } = spec.node;
    let (lo_span, hi_span) = port_spans(sink.text, spec);
    let mut ok = true;
    let numbers = if lo == hi {
        vec![(lo, lo_span)]
    } else {
        vec![(lo, lo_span), (hi, hi_span)]
    };
    for (n, span) in numbers {
        if !(1..=65535).contains(&n) {
            sink.report(
                Code::PortOutOfRange,
                span,
                format!("port {n} is outside 1-65535"),
                "out of range",
                None,
                None,
            );
            ok = false;
        }
    }
    if ok && lo > hi {
        sink.report(
            Code::InvalidPortRange,
            spec.span,
            format!("port range {lo}-{hi} is empty"),
            "first port is greater than the last",
            Some(format!("write `{hi}-{lo}`")),
            None,
        );
    }
}

/// Report abstractions defined twice in one file.
pub(crate) fn check_duplicate_abstractions(sink: &mut Sink<'_>, items: &[Item]) {
    let mut seen: Vec<&Item> = Vec::new();
    for item in items.iter().filter(|i| i.kind == ItemKind::Abstraction) {
        if let Some(first) = seen.iter().find(|f| f.name.node == item.name.node) {
            sink.report(
                Code::DuplicateAbstraction,
                item.name.span,
                format!(
                    "abstraction `{}` is defined more than once",
                    one_line(&item.name.node)
                ),
                "defined again here",
                None,
                Some((first.name.span, "first defined here")),
            );
        } else {
            seen.push(item);
        }
    }
}

/// Report a policy file that does not hold exactly one policy.
pub(crate) fn check_policy_count(sink: &mut Sink<'_>, items: &[Item]) {
    let policies: Vec<&Item> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Policy)
        .collect();
    let help = "write `policy NAME { ... }`; a policy file holds exactly one policy";
    match policies.as_slice() {
        [_] => {}
        [] => match items.first() {
            Some(first) => sink.report(
                Code::PolicyCount,
                first.name.span,
                format!("`{}` holds no policy", one_line(sink.file)),
                "only abstractions in this file",
                Some(help.into()),
                None,
            ),
            None => sink.push(
                Diagnostic::unlocated(
                    Code::PolicyCount,
                    sink.file,
                    format!("`{}` holds no policy", one_line(sink.file)),
                )
                .with_help(help),
            ),
        },
        [first, rest @ ..] => {
            for p in rest {
                sink.report(
                    Code::PolicyCount,
                    p.name.span,
                    format!("`{}` holds more than one policy", one_line(sink.file)),
                    "another policy",
                    None,
                    Some((first.name.span, "first policy")),
                );
            }
        }
    }
}
