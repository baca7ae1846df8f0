//! Diagnostics: stable codes, messages, labelled spans and help.
//!
//! Every diagnostic has a stable [`Code`] documented in `docs/diagnostics.md`. Library
//! code returns [`Diagnostic`] values; rendering (human via miette, or JSON) is done at the
//! edge by the CLI or the C binding, with [`Diagnostic::to_report`] giving a value miette
//! can draw.

use crate::span::{LineIndex, Span};
use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is not accepted.
    Error,
    /// The policy is accepted, but something is probably wrong.
    Warning,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $help:literal; )*) => {
        /// A stable diagnostic code. Codes are never reused for another meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( #[doc = $title] $variant, )*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as printed, e.g. `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A short title.
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }

            /// The general advice for this code.
            pub fn help(self) -> &'static str {
                match self { $( Code::$variant => $help, )* }
            }

            /// The severity of diagnostics with this code.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error", "see docs/language.md for the grammar";
    UnterminatedString = "E0002", Error, "unterminated string literal", "close the string with `\"` on the same line";
    InvalidEscape = "E0003", Error, "invalid escape in a string literal", "the only escapes are `\\\"` and `\\\\`";
    NumberTooLarge = "E0004", Error, "number too large", "numbers must fit in 64 bits";
    UnclosedBlock = "E0005", Error, "unclosed block", "add the missing `}`";
    InvalidCharacter = "E0006", Error, "unexpected character", "remove the character; names are made of a-z, 0-9, `-`, `_` and `.`";
    InvalidName = "E0100", Error, "invalid or unsafe policy name", "a name is dot-separated labels of lowercase letters, digits and single `-`, each starting with a letter, at most 100 bytes (e.g. `org.example.webapp`)";
    UnknownRight = "E0101", Error, "unknown access right", "rights are read, write, append, create, delete, list, exec, map-exec, lock, link, rename; groups are rw, manage, all";
    UnknownAbstraction = "E0102", Error, "unknown abstraction", "built-in abstractions are listed in docs/language.md; add a directory with `--abstractions DIR`";
    AbstractionVersion = "E0103", Error, "abstraction version mismatch", "use the version the abstraction declares, or drop `@VERSION`";
    CyclicUse = "E0104", Error, "cyclic use of abstractions", "an abstraction cannot use itself, directly or through others";
    UnknownVariable = "E0105", Error, "unknown variable", "declare it with `var NAME = \"default\"` or supply it with `--var NAME=VALUE`";
    UnsafeVariableValue = "E0106", Error, "unsafe variable value", "a variable's value must be an absolute, normalized path without glob characters, quotes, NUL or control characters";
    UnknownCapability = "E0107", Error, "unknown capability", "use a Linux capability name without `CAP_`, in lowercase, e.g. `net_bind_service`";
    UnknownSignal = "E0108", Error, "unknown signal", "use a signal name without `SIG`, in lowercase, e.g. `term`, `kill`, `usr1`";
    UnknownNetOp = "E0109", Error, "unknown network operation", "network operations are `connect` and `bind`";
    UnknownProto = "E0110", Error, "unknown protocol", "protocols are `tcp` and `udp`";
    PortOutOfRange = "E0111", Error, "port outside 1-65535", "ports are 1 to 65535";
    InvalidPortRange = "E0112", Error, "empty port range", "write the lower port first: `8000-8080`";
    UnknownMode = "E0113", Error, "unknown mode", "modes are `enforce` and `complain`";
    UnknownDirection = "E0114", Error, "unknown signal direction", "write `signal send ... to NAME` or `signal receive ... from NAME`";
    RelativePath = "E0120", Error, "relative path", "paths are absolute: start with `/` (or with a variable holding an absolute path)";
    DotDotComponent = "E0121", Error, "path has a `..` component", "write the normalized path without `..`";
    EmptyComponent = "E0122", Error, "path has an empty component or a trailing `/`", "remove the doubled or trailing `/`; use `/**` to cover a directory's contents";
    ControlCharacter = "E0123", Error, "NUL or control character in a path", "paths may not contain NUL or control characters";
    MalformedGlob = "E0124", Error, "malformed glob", "globs use `*`, `**`, `?` and `{a,b}`; braces must balance and `***` is not allowed";
    DotComponent = "E0125", Error, "path has a `.` component", "write the normalized path without `.` components";
    MixedDirForm = "E0126", Error, "some alternatives of a path end with `/` and others do not", "a trailing `/` makes a rule apply to directories only: end every alternative with `/` (write it once after the braces, `\"/srv/{a,b}/\"`), or none";
    NotOnDirectory = "E0127", Error, "right that never applies to a directory", "a path ending with `/` denotes directories only, where only `create`, `delete`, `list` and `rename` apply: drop the other rights or the trailing `/`";
    BadAttach = "E0130", Error, "attach is not an absolute executable path", "attach names one executable: an absolute path without glob characters or trailing `/`";
    DuplicateDeclaration = "E0131", Error, "declared more than once", "keep one declaration";
    AsWithoutExec = "E0132", Error, "`as` on a rule without `exec`", "`as NAME` names the policy executed files run under; the rule must grant `exec`";
    ConflictingTransition = "E0133", Error, "conflicting exec transitions", "two rules send overlapping paths to different policies; make the paths disjoint";
    NotInAbstraction = "E0134", Error, "statement not allowed in an abstraction", "attach, mode, version of a policy and owns belong in the policy itself";
    PolicyCount = "E0135", Error, "a policy file must hold exactly one policy", "put each policy in its own file";
    DuplicateAbstraction = "E0136", Error, "abstraction defined more than once", "rename one of them";
    InvalidVariable = "E0137", Error, "invalid variable declaration", "a variable name is lowercase letters, digits and `_`, starting with a letter; declare it once";
    MissingVersion = "E0138", Error, "abstraction without a version", "write `version N` in the abstraction";
    InvalidAbstractionName = "E0139", Error, "invalid abstraction name", "an abstraction name is lowercase letters, digits and `-`, starting with a letter";
    DenyWithAs = "E0140", Error, "`deny` with `as`", "a transition is only meaningful on `allow exec`";
    UseTooDeep = "E0141", Error, "chain of `use` too deep", "an abstraction may be at most 16 `use` away from the policy: use the deep abstractions directly, or merge some";
    UnknownUnixOp = "E0170", Error, "unknown unix operation", "unix operations are connect, send, receive, bind, listen and accept";
    UnknownFamilyProtocol = "E0171", Error, "unknown protocol for a network family", "`net netlink` takes netlink protocols (route, audit, kobject_uevent, ...), `net raw` takes icmp or icmpv6 (`raw4` icmp, `raw6` icmpv6), `net packet` takes none";
    UnixOpAddress = "E0172", Error, "unix operation does not apply", "anonymous sockets only send and receive; datagram sockets do not listen or accept";
    InvalidAbstractName = "E0173", Error, "invalid abstract socket name", "an abstract name is `@` followed by 1 to 107 printable characters, without globs or variables";
    FamilySockType = "E0174", Error, "socket type does not apply to the family", "`net netlink` and `net packet` take `raw` or `dgram` after their protocols; raw IP sockets (`net raw`, `raw4`, `raw6`) are raw and take none";
    UnknownDbusOp = "E0185", Error, "unknown D-Bus operation", "D-Bus operations are send, receive and bind";
    DbusFieldNotApplicable = "E0186", Error, "D-Bus field does not apply", "`bind` stands alone and takes `bus` and `name` (the name owned) only; `send` and `receive` take every field";
    InvalidDbusName = "E0187", Error, "invalid D-Bus name", "interfaces (`org.freedesktop.DBus`), members (`Hello`), bus names (`org.example.app`, `:1.42`) and object paths (`/org/freedesktop/DBus`) follow the D-Bus specification; `*`, `?`, `{a,b}` and `[...]` may stand for parts";
    UnknownPtraceAccess = "E0180", Error, "unknown ptrace access", "ptrace accesses are `read` and `trace` (none written: both)";
    UnknownChild = "E0190", Error, "unknown child policy", "`as child NAME` names a `child NAME { ... }` written in the same policy";
    NotInChild = "E0191", Error, "statement not allowed here", "a child policy or hat holds rules only, and only a policy holds children";
    ExecToHat = "E0192", Error, "exec into a hat", "a hat is entered by the program (`change_hat`), never by exec: declare a `child` to run executables under it";
    DuplicateChild = "E0193", Error, "child policy declared more than once", "give each child and hat of a policy its own name";
    AcceptFidelity = "E0210", Error, "fidelity that cannot be accepted", "an `accept` block names `widened` or `unsupported`, the fidelities strict mode refuses";
    AcceptTarget = "E0211", Error, "unknown backend in `accept`", "backends are `apparmor`, `selinux` and `landlock`";
    AcceptReason = "E0212", Error, "`accept` without a reason", "say why the widening is acceptable on that backend: reports, `explain` and `diff` show it";
    NotInAccept = "E0213", Error, "statement not allowed in `accept`", "an `accept` block holds rules only, and `accept` blocks do not nest";
    AppEscape = "E0220", Error, "app rule outside its bound", "an app may grant itself only what it `owns`, the rules of the safe abstractions and what the interfaces it plugs grant: plug an interface that covers the rule, or narrow the rule";
    UnknownInterface = "E0221", Error, "unknown interface", "an app plugs interfaces that a framework `provides`, in the policy's file or on the abstraction search path";
    NotInFramework = "E0222", Error, "statement not allowed here", "a framework holds `version` and `provides` blocks, a `provides` block holds rules only, and `app` and `plugs` are written in a policy (`plugs` only in an app)";
    AppOwnsOutside = "E0224", Error, "app owns a path outside its area", "an app owns only paths that name it: a directory or file of its literal prefix is the app's name or its last label (`notes`, `notes.conf`, `notes-data` for `org.example.notes`)";
    DuplicateInterface = "E0223", Error, "interface provided more than once", "give each interface of a framework its own name";
    OwnerNotOnFiles = "E0150", Error, "`owner` on a rule that is not about files", "`owner` conditions file rules on the file's owner; remove it from network, capability and signal rules";
    AuditNotSupported = "E0151", Error, "`audit` on a rule kind that cannot carry it yet", "`audit` is supported on file, network (inet), capability and signal rules; remove it from unix, netlink/raw/packet and ptrace rules";
    MalformedClass = "E0160", Error, "malformed character class", "a class is `[abc]`, `[a-z]` or `[^...]`, closed by `]`; it cannot hold `/` (write a literal `[` as `[[]`)";
    BuiltinVariable = "E0161", Error, "built-in variable replaced", "`pid`, `tid` and `uid` are built in; `home`, `proc` and `run` may be replaced";
    InvalidJson = "E0300", Error, "invalid JSON policy", "see docs/json.md for the schema";
    Io = "E0400", Error, "cannot read input", "check the path and its permissions";
    DuplicateRule = "W0200", Warning, "duplicate rule", "remove one of the two rules";
    ShadowedRule = "W0201", Warning, "rule is shadowed by a broader rule", "the broader rule already grants this; remove the narrower one or narrow the broader one";
    DenyMatchesNothing = "W0202", Warning, "deny matches nothing any allow grants", "the deny has no effect: check its path and rights";
    UnusedVariable = "W0203", Warning, "variable declared but not used", "remove the declaration";
    UnconfinedExec = "W0230", Warning, "exec runs unconfined", "nothing restricts an unconfined program; prefer `as NAME` or `as child NAME` (strict compilation refuses it)";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A labelled span in the diagnostic's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The bytes to underline.
    pub span: Span,
    /// What to say under them.
    pub text: String,
}

/// One problem found in a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// One line, lowercase, no trailing period; user input in backticks.
    pub message: String,
    /// The source file's name, as given to the loader.
    pub file: String,
    /// The main location.
    pub primary: Option<Label>,
    /// Further locations in the same file.
    pub secondary: Vec<Label>,
    /// Advice specific to this instance; the code's general help is used when absent.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a primary label.
    pub fn new(
        code: Code,
        file: &str,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            file: file.to_string(),
            primary: Some(Label {
                span,
                text: label.into(),
            }),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A diagnostic without a location in a source text.
    pub fn unlocated(code: Code, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            file: file.to_string(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Replace the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Add a secondary label.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// The severity (from the code).
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// The help shown: the specific one, else the code's general help.
    pub fn help_text(&self) -> &str {
        self.help.as_deref().unwrap_or(self.code.help())
    }

    /// A machine-readable form; `source` is the text of [`Diagnostic::file`] (for line/column).
    pub fn to_json(&self, source: Option<&str>) -> JsonDiagnostic {
        let index = source.map(LineIndex::new);
        self.to_json_indexed(source.zip(index.as_ref()))
    }

    /// [`Diagnostic::to_json`] with the [`LineIndex`] of the source, for many
    /// diagnostics of one text without rescanning it for each.
    pub fn to_json_indexed(&self, source: Option<(&str, &LineIndex)>) -> JsonDiagnostic {
        let at = |offset: usize| source.map_or((0, 0), |(t, i)| i.line_col(t, offset));
        let loc = |span: Span| {
            let (line, column) = at(span.start);
            let (end_line, end_column) = at(span.end);
            JsonLocation {
                span,
                line,
                column,
                end_line,
                end_column,
            }
        };
        JsonDiagnostic {
            code: self.code,
            severity: self.severity(),
            message: self.message.clone(),
            file: self.file.clone(),
            location: self.primary.as_ref().map(|l| loc(l.span)),
            label: self.primary.as_ref().map(|l| l.text.clone()),
            help: self.help_text().to_string(),
        }
    }

    /// A value that miette's handlers render, with the source text for the snippet.
    pub fn to_report(&self, source: Option<&str>) -> Report {
        Report {
            diag: self.clone(),
            source: source.map(|s| miette::NamedSource::new(self.file.clone(), s.to_string())),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A location in the JSON form of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonLocation {
    /// Byte range.
    pub span: Span,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column of the end.
    pub end_column: usize,
}

/// The JSON form of a diagnostic (`--error-format json`), documented in docs/diagnostics.md.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    /// Stable code.
    pub code: Code,
    /// `error` or `warning`.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// Source file.
    pub file: String,
    /// Where, when the diagnostic has a location.
    pub location: Option<JsonLocation>,
    /// The text under the primary span.
    pub label: Option<String>,
    /// Advice.
    pub help: String,
}

/// A diagnostic paired with its source text, for miette's renderers.
#[derive(Debug)]
pub struct Report {
    diag: Diagnostic,
    source: Option<miette::NamedSource<String>>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.help_text()))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let primary = self
            .diag
            .primary
            .iter()
            .map(|l| miette::LabeledSpan::new_primary_with_span(Some(l.text.clone()), l.span));
        let secondary = self
            .diag
            .secondary
            .iter()
            .map(|l| miette::LabeledSpan::new_with_span(Some(l.text.clone()), l.span));
        Some(Box::new(primary.chain(secondary)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            let s = c.as_str();
            assert_eq!(s.len(), 5);
            assert!(s.starts_with('E') || s.starts_with('W'));
            assert_eq!(s.starts_with('W'), c.severity() == Severity::Warning);
            assert!(!c.help().is_empty());
        }
    }
}
