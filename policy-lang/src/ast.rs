//! The syntax tree of a policy source file.
//!
//! Every node carries its [`Span`]; spans never take part in equality. Keywords that
//! name things the checker validates (rights, capabilities, modes, network
//! operations...) are kept as spanned strings so that the parser can accept them and the
//! checker can report an unknown one with a precise code and span. Comments are kept
//! so that the formatter never loses them.

pub mod dbus;
pub mod unix;

use crate::span::{Span, Spanned};
pub use dbus::DbusStmt;
use serde::{Deserialize, Serialize};
pub use unix::{NetFamilyStmt, UnixAddrSpec, UnixStmt};

/// A whole source file: policies and abstractions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// Comments after the last item.
    pub trailing_comments: Vec<Comment>,
}

/// A `# comment` (the text after `#`, without the newline).
#[derive(Clone, Debug)]
pub struct Comment {
    /// Text after the `#`.
    pub text: String,
    /// Where it was written (ignored by equality).
    pub span: Span,
}

impl PartialEq for Comment {
    fn eq(&self, o: &Self) -> bool {
        self.text == o.text
    }
}
impl Eq for Comment {}

/// Whether an item is a policy or an abstraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// `policy NAME { ... }`: a confinement domain.
    Policy,
    /// `abstraction NAME { ... }`: a reusable set of rules, pulled in with `use`.
    Abstraction,
    /// `framework NAME { ... }`: named interfaces (`provides`) that apps plug.
    Framework,
}

impl ItemKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ItemKind::Policy => "policy",
            ItemKind::Abstraction => "abstraction",
            ItemKind::Framework => "framework",
        }
    }
}

/// `policy NAME { ... }` or `abstraction NAME { ... }`.
#[derive(Clone, Debug)]
pub struct Item {
    /// Policy or abstraction.
    pub kind: ItemKind,
    /// The declared name.
    pub name: Spanned<String>,
    /// Statements of the body in source order.
    pub body: Vec<Stmt>,
    /// Comments on the lines before the item.
    pub comments: Vec<Comment>,
    /// Comments after the last statement, before the closing `}`.
    pub closing_comments: Vec<Comment>,
    /// From the keyword to the closing brace.
    pub span: Span,
}

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.name == o.name
            && self.body == o.body
            && self.comments == o.comments
            && self.closing_comments == o.closing_comments
    }
}
impl Eq for Item {}

/// One statement of a body.
#[derive(Clone, Debug)]
pub struct Stmt {
    /// What the statement says.
    pub kind: StmtKind,
    /// Comments on the lines before the statement.
    pub comments: Vec<Comment>,
    /// A comment at the end of the statement's last line.
    pub trailing_comment: Option<Comment>,
    /// True when one or more blank lines separate it from what precedes it in the body
    /// (the formatter keeps one blank line there).
    pub blank_line_before: bool,
    /// The statement, without comments.
    pub span: Span,
    /// `audit` and `owner` written on an `allow`/`deny` rule (none on other statements).
    pub quals: Qualifiers,
}

/// The qualifiers of a rule, `[audit] allow|deny [owner] ...`: one representation for
/// every rule kind. Each holds the span of its keyword; equality looks only at presence.
#[derive(Clone, Copy, Debug, Default)]
pub struct Qualifiers {
    /// `audit`: the accesses the rule decides are logged.
    pub audit: Option<Span>,
    /// `owner` (file rules only): the rule applies to files the process owns.
    pub owner: Option<Span>,
}

impl PartialEq for Qualifiers {
    fn eq(&self, o: &Self) -> bool {
        self.audit.is_some() == o.audit.is_some() && self.owner.is_some() == o.owner.is_some()
    }
}
impl Eq for Qualifiers {}

impl PartialEq for Stmt {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.quals == o.quals
            && self.comments == o.comments
            && self.trailing_comment == o.trailing_comment
            && self.blank_line_before == o.blank_line_before
    }
}
impl Eq for Stmt {}

/// `allow` or `deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Grants access.
    Allow,
    /// Refuses access; wins over every `allow`.
    Deny,
}

impl Effect {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// A reference to an abstraction in `use`: `NAME` or `NAME@VERSION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseRef {
    /// Abstraction name.
    pub name: String,
    /// Required version, if written.
    pub version: Option<u64>,
}

/// A port or an inclusive port range as written (`443`, `8000-8080`); range-checked by the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// First port.
    pub lo: u64,
    /// Last port (equal to `lo` for a single port).
    pub hi: u64,
}

/// The statements of the language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `version N`
    Version(Spanned<u64>),
    /// `attach "/usr/bin/app"`
    Attach(Spanned<String>),
    /// `mode enforce` / `mode complain`
    Mode(Spanned<String>),
    /// `use base, network-client@1`
    Use(Vec<Spanned<UseRef>>),
    /// `owns "/var/lib/app/**", ...`
    Owns(Vec<Spanned<String>>),
    /// `var NAME = "default"`: declares an install-time variable with a default value.
    Var {
        /// Variable name.
        name: Spanned<String>,
        /// Default value (a string literal).
        value: Spanned<String>,
    },
    /// `allow read write "/a", "/b" [as NAME]`
    File {
        /// Allow or deny.
        effect: Spanned<Effect>,
        /// Right or group keywords, as written.
        rights: Vec<Spanned<String>>,
        /// Path globs (string literals, may hold `${var}`).
        paths: Vec<Spanned<String>>,
        /// `as NAME`: run executables under another policy (the child's name for
        /// `as child NAME`, the preferred policy for `as NAME else inherit`).
        exec_as: Option<Spanned<String>>,
        /// How the executable runs: see [`ExecMode`].
        exec_mode: ExecMode,
    },
    /// `allow net connect tcp 443`
    Net {
        /// Allow or deny.
        effect: Spanned<Effect>,
        /// `connect` or `bind`.
        op: Spanned<String>,
        /// `tcp` or `udp`.
        proto: Spanned<String>,
        /// Ports; absent means every port.
        ports: Option<Spanned<PortSpec>>,
    },
    /// `allow capability net_bind_service, chown`
    Capability {
        /// Allow or deny.
        effect: Spanned<Effect>,
        /// Capability names without the `CAP_` prefix, lowercase.
        caps: Vec<Spanned<String>>,
    },
    /// `allow signal send [term, kill] to NAME` / `allow signal receive from NAME`
    Signal {
        /// Allow or deny.
        effect: Spanned<Effect>,
        /// `send` or `receive`.
        direction: Spanned<String>,
        /// Signal names (`term`, `kill`, ...); empty means every signal.
        signals: Vec<Spanned<String>>,
        /// The peer policy name (or `self`).
        peer: Spanned<String>,
    },
    /// `allow unix OPS [TYPE] [ADDRESS] [peer NAME]` (see [`UnixStmt`]).
    Unix(UnixStmt),
    /// `allow net netlink|raw|packet [PROTOCOLS]` (see [`NetFamilyStmt`]).
    NetFamily(NetFamilyStmt),
    /// `allow dbus OPS [bus BUS] [path ...] [interface ...] [member ...] [name ...] [peer
    /// NAME]` (see [`DbusStmt`]).
    Dbus(DbusStmt),
    /// `allow ptrace read, trace to PEER` / `allow ptrace read from PEER`
    Ptrace {
        /// Allow or deny.
        effect: Spanned<Effect>,
        /// `read`, `trace`; empty means both.
        access: Vec<Spanned<String>>,
        /// `to` (this policy's processes read or trace the peer's) or `from` (the peer's
        /// processes read or trace this policy's).
        direction: Spanned<String>,
        /// A policy name, `self`, `any` or `unconfined`.
        peer: Spanned<String>,
    },
    /// `child NAME { ... }` or `hat NAME { ... }`: a policy written inside its parent.
    Child {
        /// Child (entered by exec, `as child NAME`) or hat (entered by `change_hat`).
        kind: ChildKind,
        /// The child's local name.
        name: Spanned<String>,
        /// Its statements (rules only: see the checker).
        body: Vec<Stmt>,
        /// Comments after its last statement, before its closing `}`.
        closing_comments: Vec<Comment>,
    },
    /// `accept widened on selinux "REASON" { rules }`: the rules inside may be enforced
    /// with these fidelities on these backends, for this reason (see [`AcceptBlock`]).
    Accept(AcceptBlock),
    /// `app`: the policy is an app, bounded by its own area, the safe abstractions and
    /// the interfaces it plugs.
    App,
    /// `plugs docker, network`: the interfaces an app plugs.
    Plugs(Vec<Spanned<String>>),
    /// `provides NAME [auto] { rules }` in a framework (see [`Provides`]).
    Provides(Provides),
}

/// `provides NAME [auto] { rules }`: an interface of a framework, what it grants to the
/// apps that plug it and are connected to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provides {
    /// The interface's name.
    pub name: Spanned<String>,
    /// `auto`: connected to every app that plugs it.
    pub auto: bool,
    /// What it grants (rules only: see the checker).
    pub body: Vec<Stmt>,
    /// Comments after its last statement, before its closing `}`.
    pub closing_comments: Vec<Comment>,
}

/// `accept FIDELITY {, FIDELITY} on TARGET {, TARGET} "REASON" { rules }`: an
/// acknowledged widening. Strict mode does not refuse a rule whose every statement is
/// accepted for the fidelity and the backend of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptBlock {
    /// Fidelity keywords as written (`widened`, `unsupported`); checked by the checker.
    pub fidelities: Vec<Spanned<String>>,
    /// Backend keywords as written (`apparmor`, `selinux`, `landlock`); checked by the checker.
    pub targets: Vec<Spanned<String>>,
    /// Why the widening is acceptable (required, not empty).
    pub reason: Spanned<String>,
    /// Its statements (rules only: see the checker).
    pub body: Vec<Stmt>,
    /// Comments after its last statement, before its closing `}`.
    pub closing_comments: Vec<Comment>,
}

/// How an allowed exec runs the executable, as written after `as`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    /// No `as` (stays in this policy) or `as NAME` (runs under policy NAME).
    #[default]
    Plain,
    /// `as inherit`: stays in this policy, written explicitly.
    Inherit,
    /// `as child NAME`: runs under the child policy NAME written in this policy.
    Child,
    /// `as NAME else inherit`: runs under NAME when it is loaded, else stays in this policy.
    Fallback,
    /// `as unconfined`: runs without any confinement.
    Unconfined,
}

impl ExecMode {
    /// True for [`ExecMode::Plain`] (the JSON form leaves it out).
    pub fn is_plain(&self) -> bool {
        *self == ExecMode::Plain
    }
}

/// `child` or `hat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChildKind {
    /// `child NAME { ... }`: entered by an exec rule `as child NAME`.
    Child,
    /// `hat NAME { ... }`: entered by the program itself (`change_hat`), never by exec.
    Hat,
}

impl ChildKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ChildKind::Child => "child",
            ChildKind::Hat => "hat",
        }
    }
}
