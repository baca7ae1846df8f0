//! The IR: the single, normalized meaning of a policy.
//!
//! Abstractions are expanded, variables substituted, rules with the same subject merged,
//! and every rule keeps the source locations it came from ([`Origin`]). Backends, the
//! evaluator and the diff read only this model. Its JSON form (`polc compile --target
//! ir`) is stable: fields and rules are in a canonical order.

pub mod accept;
pub mod dbus;
pub mod peer;
pub mod ptrace;
pub mod text;
pub mod unix;

pub use accept::{AcceptTarget, Acceptance, ACCEPTABLE};
pub use dbus::{DbusOp, DbusRule};
pub use peer::Peer;
pub use ptrace::{PtraceAccess, PtraceDir, PtraceRule};

use crate::glob::Glob;
use crate::rights::{Right, Rights};
use crate::span::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
pub use unix::{
    FamilyRule, FamilySockType, NetFamily, UnixAddr, UnixOp, UnixPeer, UnixRule, UnixType,
    NETLINK_PROTOCOLS, RAW_PROTOCOLS,
};

/// Whether a rule grants or refuses: the IR's own copy of the language's `allow`/`deny`
/// (lowering converts), so readers of the IR need nothing from the AST.
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

/// Every Linux capability, lowercase without `CAP_`, in the kernel's numeric order
/// (`CAP_CHOWN` = 0 ... `CAP_CHECKPOINT_RESTORE` = 40).
pub const CAPABILITIES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// The signals, lowercase without `SIG`, in numeric order on x86-64: `exists` = 0 (the
/// check `kill(pid, 0)`, which delivers nothing: AppArmor's `exists`, SELinux's
/// `signull`), then the standard signals `hup` = 1 ... `sys` = 31. No other signal
/// implies `exists`. Real-time signals (`rtmin+N`) are not part of the language.
pub const SIGNALS: [&str; 32] = [
    "exists", "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv",
    "usr2", "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "tstp", "ttin", "ttou",
    "urg", "xcpu", "xfsz", "vtalrm", "prof", "winch", "io", "pwr", "sys",
];

/// True for a known capability name.
pub fn is_capability(s: &str) -> bool {
    CAPABILITIES.contains(&s)
}

/// True for a known signal name.
pub fn is_signal(s: &str) -> bool {
    SIGNALS.contains(&s)
}

/// A validated policy name such as `org.example.webapp`.
///
/// Grammar: one or more labels separated by `.`; a label is a lowercase ASCII letter
/// followed by lowercase letters and digits, optionally in groups joined by single `-`
/// (`[a-z][a-z0-9]*(-[a-z0-9]+)*`). At most 100 bytes. No `_`, no uppercase, no other
/// character: this is what makes the backends' name mappings injective and
/// injection-free.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyName(String);

/// The longest accepted policy name, in bytes.
pub const MAX_NAME_LEN: usize = 100;

/// Why a string is not a valid policy name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

impl PolicyName {
    /// True when the name cannot name a policy in source text though its grammar is
    /// valid: a keyword of the language (`policy mode { }` does not parse) or a reserved
    /// peer (`self`, `any`, `unconfined`), both E0100.
    pub fn is_reserved(&self) -> bool {
        crate::syntax::is_reserved(&self.0)
            || ["self", "any", "unconfined"].contains(&self.as_str())
    }

    /// Validate a policy name.
    pub fn new(s: &str) -> Result<PolicyName, NameError> {
        if s.is_empty() {
            return Err(NameError("the name is empty".into()));
        }
        if s.len() > MAX_NAME_LEN {
            return Err(NameError(format!(
                "the name is longer than {MAX_NAME_LEN} bytes"
            )));
        }
        for label in s.split('.') {
            let mut chars = label.chars();
            match chars.next() {
                None => return Err(NameError("the name has an empty label".into())),
                Some(c) if c.is_ascii_lowercase() => {}
                Some(c) => {
                    return Err(NameError(format!(
                        "label `{label}` starts with `{}`, not a lowercase letter",
                        c.escape_default()
                    )))
                }
            }
            let mut prev_dash = false;
            for c in chars {
                if c == '-' {
                    if prev_dash {
                        return Err(NameError(format!("label `{label}` has `--`")));
                    }
                    prev_dash = true;
                } else if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    prev_dash = false;
                } else {
                    return Err(NameError(format!(
                        "`{}` is not allowed in a name (only a-z, 0-9, `-` and `.`)",
                        c.escape_default()
                    )));
                }
            }
            if prev_dash {
                return Err(NameError(format!("label `{label}` ends with `-`")));
            }
        }
        Ok(PolicyName(s.to_string()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PolicyName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        PolicyName::new(&s)
    }
}

impl From<PolicyName> for String {
    fn from(n: PolicyName) -> String {
        n.0
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a piece of the IR came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// The source file as named to the loader (`stdlib:base` for built-in abstractions),
    /// shared by every origin in that file.
    pub file: Arc<str>,
    /// 1-based line of the start of the statement.
    pub line: usize,
    /// 1-based column (characters) of the start of the statement.
    pub column: usize,
    /// Byte range of the statement in its file.
    pub span: Span,
    /// The chain of `use` that pulled it in, outermost first (empty for the policy's own
    /// rules); for the grant of an app's connected interface, the one element
    /// `plug IFACE of FRAMEWORK`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// The widenings the statement's `accept` block acknowledges (empty outside one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepts: Vec<Acceptance>,
}

/// The prefix of the `via` of an origin that an interface's grant carries.
pub const PLUG_VIA: &str = "plug ";

/// The `via` element of the rules an interface grants: `plug IFACE of FRAMEWORK`.
pub fn plug_via(interface: &str, framework: &str) -> String {
    format!("{PLUG_VIA}{interface} of {framework}")
}

impl Origin {
    /// How the statement reached the policy, for messages: `via use a → b` for a chain
    /// of `use`, `via plug IFACE of FRAMEWORK` for the grant of an app's connected
    /// interface; `None` for the policy's own statements.
    pub fn via_text(&self) -> Option<String> {
        let first = self.via.first()?;
        Some(if first.starts_with(PLUG_VIA) {
            format!("via {}", self.via.join(" → "))
        } else {
            format!("via use {}", self.via.join(" → "))
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if let Some(via) = self.via_text() {
            write!(f, " ({via})")?;
        }
        Ok(())
    }
}

/// `enforce` or `complain`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Violations are refused and logged.
    #[default]
    Enforce,
    /// Violations are logged only.
    Complain,
}

impl Mode {
    /// The statement that sets it: `mode enforce`, `mode complain`.
    pub fn statement(self) -> &'static str {
        match self {
            Mode::Enforce => "mode enforce",
            Mode::Complain => "mode complain",
        }
    }
}

/// A rule on files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRule {
    /// Allow or deny.
    pub effect: Effect,
    /// The paths the rule covers (variables already substituted).
    pub glob: Glob,
    /// The rights granted or refused (implications applied).
    pub rights: Rights,
    /// For `exec ... as NAME`: the policy an executed file runs under (with
    /// [`ExecMode::Child`], a child of this policy; with [`ExecMode::Fallback`], the policy
    /// preferred to staying in this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_as: Option<PolicyName>,
    /// How an allowed exec runs the executable, beyond `exec_as`.
    #[serde(default, skip_serializing_if = "ExecMode::is_plain")]
    pub exec_mode: ExecMode,
    /// Each source statement merged into this rule, with the rights it contributed.
    pub origins: Vec<RightsOrigin>,
    /// `audit`: the accesses this rule decides are logged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
    /// `owner`: the rule applies only to files the process owns (its fsuid is the
    /// file's owner).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
    /// The path was written with a trailing `/`: the rule applies only to directories
    /// (`glob` holds the paths without the slash).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir_only: bool,
}

impl FileRule {
    /// The rule's path as written in the language: the glob, with a trailing `/` when the
    /// rule applies to directories only (`/srv/cache/`).
    pub fn path_text(&self) -> String {
        dir_path_text(&self.glob, self.dir_only)
    }

    /// True when the rule decides `right` on `path`, for an object the process owns or
    /// not (`owner` rules apply only to owned files) and that is a directory or not
    /// (directory-only rules apply only to directories). The evaluator's matching of file
    /// rules, which `explain` and the diff's citations share.
    pub fn decides(&self, path: &str, right: Right, owner: bool, dir: bool) -> bool {
        self.rights.contains(right)
            && (owner || !self.owner)
            && (dir || !self.dir_only)
            && self.glob.matches(path)
    }
}

/// A glob as written in a file rule: with a trailing `/` when it denotes directories
/// only (the root `/` is written `/` either way).
pub fn dir_path_text(glob: &Glob, dir_only: bool) -> String {
    dir_path_text_of(glob.as_str(), dir_only)
}

/// A path or glob text with a trailing `/` when it denotes a directory (the root `/` is
/// written `/` either way): how rules and requests about directories are written.
pub fn dir_path_text_of(path: &str, dir: bool) -> String {
    if dir && path != "/" {
        format!("{path}/")
    } else {
        path.to_string()
    }
}

/// How an allowed exec runs the executable (with [`FileRule::exec_as`]).
///
/// `as inherit` is [`ExecMode::Plain`] without `exec_as`: it means what no `as` means.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    /// Without `exec_as`: stays in this policy (AppArmor `ix`); with it: runs under that
    /// policy (`px`).
    #[default]
    Plain,
    /// Runs under the child policy `exec_as` of this policy (AppArmor `cx`).
    Child,
    /// Runs under `exec_as` when it is loaded, else stays in this policy (AppArmor `pix`).
    Fallback,
    /// Runs unconfined (AppArmor `ux`); `exec_as` is empty.
    Unconfined,
}

impl ExecMode {
    /// True for [`ExecMode::Plain`] (left out of the JSON form).
    pub fn is_plain(&self) -> bool {
        *self == ExecMode::Plain
    }

    /// How a rule with this mode and target runs what it executes, in the language's
    /// words (`in this policy`, `as NAME`, `as child NAME`, ...).
    pub fn describe(self, exec_as: Option<&PolicyName>) -> String {
        match (self, exec_as) {
            (ExecMode::Unconfined, _) => "unconfined".to_string(),
            (ExecMode::Child, Some(n)) => format!("as child `{n}`"),
            (ExecMode::Fallback, Some(n)) => format!("as `{n}` else inherit"),
            (_, Some(n)) => format!("as `{n}`"),
            (_, None) => "in this policy".to_string(),
        }
    }

    /// The `as ...` suffix of a rule's one-line text (empty when the rule has none).
    pub fn suffix(self, exec_as: Option<&PolicyName>) -> String {
        match (self, exec_as) {
            (ExecMode::Unconfined, _) => " as unconfined".to_string(),
            (ExecMode::Child, Some(n)) => format!(" as child {n}"),
            (ExecMode::Fallback, Some(n)) => format!(" as {n} else inherit"),
            (_, Some(n)) => format!(" as {n}"),
            (_, None) => String::new(),
        }
    }
}

/// `child` or `hat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChildKind {
    /// Entered by an exec rule `as child NAME`.
    Child,
    /// Entered by the program itself (`change_hat`), never by exec.
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

/// A child policy or hat written inside its parent.
///
/// Its [`Policy`] has the child's local name, the parent's mode, no `attach`, `version`,
/// `owns` or children of its own; its rules are its own (nothing of the parent's applies
/// to it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// Child or hat.
    pub kind: ChildKind,
    /// Its rules, as a policy named by the child's local name.
    pub policy: Policy,
    /// Where it was declared.
    pub origin: Origin,
}

/// One source statement's share of a merged file rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RightsOrigin {
    /// The rights this statement contributed.
    pub rights: Rights,
    /// Where the statement is.
    pub origin: Origin,
}

/// `connect` or `bind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetOp {
    /// Outgoing connections (TCP connect, UDP send to a port).
    Connect,
    /// Binding a local port (and listening/receiving on it).
    Bind,
}

/// `tcp` or `udp` (IPv4 and IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP streams.
    Tcp,
    /// UDP datagrams.
    Udp,
}

/// One IP version of an inet rule: IPv4 (`AF_INET`) or IPv6 (`AF_INET6`). A rule
/// without one covers both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpFamily {
    /// IPv4 (`tcp4`, `udp4`; AppArmor's `inet`).
    #[serde(rename = "inet")]
    Inet,
    /// IPv6 (`tcp6`, `udp6`; AppArmor's `inet6`).
    #[serde(rename = "inet6")]
    Inet6,
}

impl IpFamily {
    /// Both versions, IPv4 first.
    pub const BOTH: [IpFamily; 2] = [IpFamily::Inet, IpFamily::Inet6];

    /// AppArmor's (and the socket API's) name of the family: `inet`, `inet6`.
    pub fn family_name(self) -> &'static str {
        match self {
            IpFamily::Inet => "inet",
            IpFamily::Inet6 => "inet6",
        }
    }

    /// The other IP version.
    pub fn other(self) -> IpFamily {
        match self {
            IpFamily::Inet => IpFamily::Inet6,
            IpFamily::Inet6 => IpFamily::Inet,
        }
    }

    /// True when a rule of `rule` family (none: both) covers this one.
    pub fn covered_by(self, rule: Option<IpFamily>) -> bool {
        rule.is_none_or(|f| f == self)
    }
}

/// The protocol words of net rules and requests with what they name: `tcp`, `udp` (both
/// IP versions) and `tcp4`, `tcp6`, `udp4`, `udp6` (one). The words are
/// [`text::proto_word`]'s.
pub fn inet_protocols() -> impl Iterator<Item = (&'static str, Proto, Option<IpFamily>)> {
    [Proto::Tcp, Proto::Udp].into_iter().flat_map(|p| {
        [None, Some(IpFamily::Inet), Some(IpFamily::Inet6)]
            .into_iter()
            .map(move |f| (text::proto_word(p, f), p, f))
    })
}

/// The protocol and IP version a protocol word names (`tcp6`), if it is one.
pub fn parse_inet_protocol(word: &str) -> Option<(Proto, Option<IpFamily>)> {
    inet_protocols()
        .find(|(w, _, _)| *w == word)
        .map(|(_, p, f)| (p, f))
}

/// An inclusive port range, `1 <= lo <= hi <= 65535`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
}

impl PortRange {
    /// Every port.
    pub const ALL: PortRange = PortRange { lo: 1, hi: 65535 };

    /// True when `port` is in the range.
    pub fn contains(&self, port: u16) -> bool {
        self.lo <= port && port <= self.hi
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

/// A network rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetRule {
    /// Allow or deny.
    pub effect: Effect,
    /// Connect or bind.
    pub op: NetOp,
    /// TCP or UDP.
    pub proto: Proto,
    /// One IP version (`tcp6`); none means both (`tcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<IpFamily>,
    /// Ports covered ([`PortRange::ALL`] when the rule named none).
    pub ports: PortRange,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
    /// `audit`: the accesses this rule decides are logged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
}

/// A capability rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapRule {
    /// Allow or deny.
    pub effect: Effect,
    /// Lowercase name without `CAP_` (`net_bind_service`).
    pub capability: String,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
    /// `audit`: the accesses this rule decides are logged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
}

/// `send` or `receive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalDir {
    /// This policy's processes send signals to the peer.
    Send,
    /// This policy's processes receive signals from the peer.
    Receive,
}

/// A signal rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalRule {
    /// Allow or deny.
    pub effect: Effect,
    /// Send or receive.
    pub direction: SignalDir,
    /// The peer: a policy (`self` is resolved to the policy's own name), `any` or
    /// `unconfined`.
    pub peer: Peer,
    /// Signal names (`term`, `kill`, ...); empty means every signal.
    pub signals: BTreeSet<String>,
    /// Source statements merged into this rule.
    pub origins: Vec<Origin>,
    /// `audit`: the accesses this rule decides are logged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub audit: bool,
}

/// A path the policy's package owns (installs and manages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owned {
    /// The owned paths.
    pub glob: Glob,
    /// Where it was declared.
    pub origins: Vec<Origin>,
}

/// The attached executable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attach {
    /// Absolute path of the executable (no glob).
    pub path: String,
    /// Where it was declared.
    pub origin: Origin,
}

/// The normalized meaning of one policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The policy's name.
    pub name: PolicyName,
    /// `version N`, if declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// The executable the policy confines, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<Attach>,
    /// Enforce or complain.
    pub mode: Mode,
    /// Abstractions used, directly or not, with their versions (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<UsedAbstraction>,
    /// Paths the package owns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owns: Vec<Owned>,
    /// File rules, sorted by (effect, glob text, exec_as, owner, audit, dir_only).
    pub files: Vec<FileRule>,
    /// Network rules, sorted.
    pub net: Vec<NetRule>,
    /// Capability rules, sorted.
    pub capabilities: Vec<CapRule>,
    /// Signal rules, sorted.
    pub signals: Vec<SignalRule>,
    /// Unix-socket rules, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unix: Vec<UnixRule>,
    /// Rules on the network families beyond inet (netlink, raw, packet), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub net_families: Vec<FamilyRule>,
    /// Ptrace rules, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ptrace: Vec<PtraceRule>,
    /// D-Bus rules, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dbus: Vec<DbusRule>,
    /// Child policies and hats, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Child>,
}

/// An abstraction that contributed rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UsedAbstraction {
    /// Its name.
    pub name: String,
    /// Its declared version.
    pub version: u64,
    /// Where it was loaded from (`stdlib:NAME` or a file path).
    pub source: String,
}

impl Policy {
    /// A policy of this name with no statements: enforcing, no rules, nothing used,
    /// owned or attached. The front end starts each policy it lowers from it; tests and
    /// tools building IR directly fill in what they need
    /// (`Policy { files, ..Policy::empty(name) }`).
    pub fn empty(name: PolicyName) -> Policy {
        Policy {
            name,
            version: None,
            attach: None,
            mode: Mode::Enforce,
            uses: Vec::new(),
            owns: Vec::new(),
            files: Vec::new(),
            net: Vec::new(),
            capabilities: Vec::new(),
            signals: Vec::new(),
            unix: Vec::new(),
            net_families: Vec::new(),
            ptrace: Vec::new(),
            dbus: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The child policy or hat of this name.
    pub fn child(&self, name: &str) -> Option<&Child> {
        self.children
            .iter()
            .find(|c| c.policy.name.as_str() == name)
    }

    /// The stable JSON form of the IR (pretty-printed, with a trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}
