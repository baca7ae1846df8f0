//! The semantic diff: what one policy grants that another does not.
//!
//! [`diff`] compares the *meaning* of two policies (their IR, after abstractions and
//! variables), never their text: reformatting, reordering, splitting or merging rules, or
//! moving rules into an abstraction gives an empty [`Diff`]. Source locations are reported,
//! never compared.
//!
//! ```
//! use polc_lang::ir::Effect;
//! use polc_lang::diff::{diff, Change, Direction};
//! use polc_lang::glob::Glob;
//! use polc_lang::ir::{FileRule, Policy, PolicyName};
//! use polc_lang::rights::Rights;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut old = Policy::empty(PolicyName::new("org.example.app")?);
//! let mut new = old.clone();
//! new.files.push(FileRule {
//!     effect: Effect::Allow,
//!     glob: Glob::parse("/var/lib/app/state")?,
//!     rights: Rights::from_keyword("write").unwrap_or_default(),
//!     exec_as: None,
//!     exec_mode: Default::default(),
//!     origins: vec![],
//!     audit: false,
//!     owner: false,
//!     dir_only: false,
//! });
//! let d = diff(&old, &new);
//! assert!(d.broadens());
//! let Some(Change::File(c)) = d.changes.first() else { panic!("a file change") };
//! assert_eq!(c.direction, Direction::Broadened);
//! assert_eq!(c.witness.as_deref(), Some("/var/lib/app/state"));
//! // Nothing changed the other way round but the direction.
//! assert!(!diff(&new, &old).broadens());
//! old.files = new.files.clone();
//! assert!(diff(&old, &new).is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # What is reported
//!
//! For each kind of access, what NEW grants that OLD did not ([`Direction::Broadened`])
//! and what OLD granted that NEW no longer does ([`Direction::Narrowed`]):
//!
//! - files, per right, as a set of paths ([`PathSet`]: the paths in every `within` glob
//!   and in no `except` glob) with a shortest witness path and the rules responsible on
//!   both sides ([`Side`]);
//! - exec transitions (`as NAME`) that differ on paths both policies let execute;
//! - network operations per operation and protocol, as port ranges;
//! - capabilities, signals (by direction, peer and signal), owned paths, and the policy's
//!   name, mode and attached executable.
//!
//! The result is *complete* and *sound* with respect to the evaluator
//! ([`crate::eval::evaluate`]): every request whose decision differs between the two
//! policies lies in some reported change of the right direction, and every request in a
//! reported change has the reported decisions.
//!
//! # How
//!
//! Rules present in both policies with the same subject and rights cancel out; path sets
//! are only computed around the changed rules, using a prefix index to find the rules
//! whose globs can overlap a changed one. See `docs/diff.md` for the derivation.

mod accept;
mod audit;
mod files;
mod index;
mod ipc;
mod other;
mod plugs;
mod region;
pub mod target;
mod transitions;
mod trie;

pub use crate::ir::text::{
    cap_rule_text, file_rule_text, net_rule_text, quote, rights_words, signal_rule_text,
};

pub use audit::AuditChange;
pub use ipc::RequestChange;
pub use plugs::{plug_changes, PlugChange, PlugChangeKind};

use crate::glob::Glob;
use crate::ir::Effect;
use crate::ir::{FileRule, NetOp, Origin, Policy, PolicyName, PortRange, Proto, SignalDir};
use crate::rights::Rights;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Whether a change grants more or less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// NEW grants it, OLD did not.
    Broadened,
    /// OLD granted it, NEW does not.
    Narrowed,
    /// Neither more nor less, but different (an exec transition, the name, the attached
    /// executable).
    Changed,
}

impl Direction {
    /// `+`, `-` or `~`.
    pub fn sign(self) -> char {
        match self {
            Direction::Broadened => '+',
            Direction::Narrowed => '-',
            Direction::Changed => '~',
        }
    }

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Broadened => "broadened",
            Direction::Narrowed => "narrowed",
            Direction::Changed => "changed",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The semantic difference between an OLD and a NEW policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The OLD policy's name.
    pub old: PolicyName,
    /// The NEW policy's name.
    pub new: PolicyName,
    /// Every change, in a canonical order: policy-level changes, files, transitions,
    /// network, capabilities, signals, owned paths.
    pub changes: Vec<Change>,
}

impl Diff {
    /// True when the two policies mean the same and accept the same widenings.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// True when some change is not a narrowing: NEW grants something OLD did not, or
    /// something changed in a way that is not simply less (an exec transition, the
    /// attached executable, the name). What `--fail-on broaden` fails on.
    pub fn broadens(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.direction() != Direction::Narrowed)
    }

    /// How many changes have this direction.
    pub fn count(&self, d: Direction) -> usize {
        self.changes.iter().filter(|c| c.direction() == d).count()
    }
}

/// How many changes of each direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Changes that grant more.
    pub broadened: usize,
    /// Changes that grant less.
    pub narrowed: usize,
    /// Other changes.
    pub changed: usize,
}

impl Diff {
    /// The number of changes of each direction.
    pub fn summary(&self) -> Summary {
        Summary {
            broadened: self.count(Direction::Broadened),
            narrowed: self.count(Direction::Narrowed),
            changed: self.count(Direction::Changed),
        }
    }
}

/// Everything `polc diff` reports: the diff, its summary and, per backend asked for, what
/// the kernel would enforce of it. Its JSON form is documented in `docs/diff.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The semantic diff (its fields appear at the top level of the JSON form).
    #[serde(flatten)]
    pub diff: Diff,
    /// Counts per direction.
    pub summary: Summary,
    /// One entry per `--target`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<target::TargetDiff>,
    /// Changes of an app's plugs and connections ([`plug_changes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugs: Vec<PlugChange>,
}

impl Report {
    /// A report of `diff` without backends.
    pub fn new(diff: Diff) -> Report {
        Report {
            summary: diff.summary(),
            diff,
            targets: Vec::new(),
            plugs: Vec::new(),
        }
    }

    /// The report of `diff` between two loads, with their plug changes.
    pub fn of(old: &crate::Loaded, new: &crate::Loaded) -> Report {
        Report {
            plugs: plug_changes(old.app.as_deref(), new.app.as_deref()),
            ..Report::new(diff(&old.policy, &new.policy))
        }
    }

    /// True when NEW may get more privileges than OLD: a broadening change of the rules
    /// or of the plugs.
    pub fn broadens(&self) -> bool {
        self.diff.broadens() || self.plugs.iter().any(|p| p.broadens)
    }

    /// True when anything differs: the rules' meaning or the plugs.
    pub fn differs(&self) -> bool {
        !self.diff.is_empty() || !self.plugs.is_empty()
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Change {
    /// The name, mode or attached executable.
    Policy(PolicyChange),
    /// Some rights on a set of paths.
    File(FileChange),
    /// The policy an executed file runs under.
    Transition(TransitionChange),
    /// A network operation on a range of ports.
    Net(NetChange),
    /// A capability.
    Capability(CapabilityChange),
    /// Signals to or from a peer.
    Signal(SignalChange),
    /// Unix-socket, network-family or ptrace requests.
    Request(RequestChange),
    /// Paths the package owns.
    Owns(OwnsChange),
    /// A child policy or hat: added, removed, or with changes of its own.
    Child(ChildChange),
    /// An acknowledged widening (`accept`) added, removed or with another reason.
    Accept(AcceptChange),
    /// An audited rule added or removed: the same decisions, logged differently.
    Audit(AuditChange),
}

/// An acceptance of a rule added, removed or reworded (see the `accept` module): the
/// meaning is the same, but strict mode lets through more (added) or less (removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AcceptChange {
    /// Broadened: NEW accepts it, OLD did not; narrowed: the reverse; changed: the reason.
    pub direction: Direction,
    /// The rule as policy text.
    pub rule: String,
    /// The fidelity accepted.
    pub fidelity: crate::fidelity::Fidelity,
    /// On which backend.
    pub target: crate::ir::AcceptTarget,
    /// OLD's reason (`None`: OLD does not accept it).
    pub old: Option<String>,
    /// NEW's reason (`None`: NEW does not accept it).
    pub new: Option<String>,
    /// Where NEW states the rule (OLD, when the acceptance is removed).
    pub origins: Vec<Origin>,
}

/// A change of a child policy or hat (matched by name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChildChange {
    /// Broadened (added), narrowed (removed) or changed (its rules or its kind).
    pub direction: Direction,
    /// The child's name.
    pub name: PolicyName,
    /// OLD's kind (`None`: added).
    pub old_kind: Option<crate::ir::ChildKind>,
    /// NEW's kind (`None`: removed).
    pub new_kind: Option<crate::ir::ChildKind>,
    /// The changes of its rules, as between two policies (empty when added or removed).
    pub changes: Vec<Change>,
}

impl Change {
    /// The direction of the change.
    pub fn direction(&self) -> Direction {
        match self {
            Change::Policy(c) => c.direction,
            Change::File(c) => c.direction,
            Change::Transition(c) => c.direction,
            Change::Net(c) => c.direction,
            Change::Capability(c) => c.direction,
            Change::Signal(c) => c.direction,
            Change::Request(c) => c.direction,
            Change::Owns(c) => c.direction,
            Change::Child(c) => c.direction,
            Change::Accept(c) => c.direction,
            Change::Audit(c) => c.direction,
        }
    }
}

/// A set of paths: those matched by every `within` glob and by no `except` glob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathSet {
    /// The set is inside each of these (one or two globs).
    pub within: Vec<Glob>,
    /// Minus the paths of these (only globs that overlap the `within` set are listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<Glob>,
}

impl PathSet {
    /// True when `path` is in the set.
    pub fn contains(&self, path: &str) -> bool {
        crate::glob::is_valid_path(path)
            && self.within.iter().all(|g| g.matches(path))
            && !self.except.iter().any(|g| g.matches(path))
    }
}

impl fmt::Display for PathSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.within.iter().enumerate() {
            if i > 0 {
                f.write_str(" within ")?;
            }
            f.write_str(g.as_str())?;
        }
        for (i, g) in self.except.iter().enumerate() {
            f.write_str(if i == 0 { " except " } else { ", " })?;
            f.write_str(g.as_str())?;
        }
        Ok(())
    }
}

/// How one side decided the changed requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decided {
    /// Allowed by the cited allow rules (and no deny).
    Allowed,
    /// Denied by the cited deny rules.
    Denied,
    /// No allow rule covered it (default deny); no rule is cited.
    NoAllow,
    /// Not decided: the comparison stopped at its budget before deciding these
    /// requests; no rule is cited.
    Undecided,
}

/// One side of a change: the decision and the rules responsible for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Allowed, denied by a rule, or not allowed by any.
    pub decision: Decided,
    /// The rules responsible (empty for [`Decided::NoAllow`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleCite>,
}

impl Side {
    fn no_allow() -> Side {
        Side {
            decision: Decided::NoAllow,
            rules: Vec::new(),
        }
    }
}

/// A rule of one of the two policies, cited as responsible for a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleCite {
    /// Index of the rule in its list of that side's IR.
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// The IR rule as policy text, in one line.
    pub rule: String,
    /// The source statements of the rule that contribute the changed rights.
    pub origins: Vec<Origin>,
}

/// A change of rights on a set of paths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// Broadened or narrowed.
    pub direction: Direction,
    /// The rights concerned (each of them changed on every path of the set).
    pub rights: Rights,
    /// The paths.
    pub paths: PathSet,
    /// A shortest path of the set; `None` only when the glob algebra's search bound was
    /// reached before one was found.
    pub witness: Option<String>,
    /// How OLD decided.
    pub old: Side,
    /// How NEW decides.
    pub new: Side,
    /// Which files the change concerns: `Some(true)` only files the process owns (the
    /// change comes from `owner` rules), `Some(false)` only files it does not own,
    /// absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    /// Which objects the change concerns: `Some(true)` only directories (the change comes
    /// from directory-only rules, paths written with a trailing `/`), `Some(false)` only
    /// other objects, absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<bool>,
}

/// A change of exec transition on paths both policies let execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransitionChange {
    /// Always [`Direction::Changed`].
    pub direction: Direction,
    /// The paths.
    pub paths: PathSet,
    /// A shortest path of the set (see [`FileChange::witness`]).
    pub witness: Option<String>,
    /// OLD's transition (`None`: the child stays in the policy).
    pub old_as: Option<PolicyName>,
    /// NEW's transition.
    pub new_as: Option<PolicyName>,
    /// OLD's exec mode (child, fallback, unconfined; with `old_as`).
    #[serde(skip_serializing_if = "crate::ir::ExecMode::is_plain")]
    pub old_mode: crate::ir::ExecMode,
    /// NEW's exec mode.
    #[serde(skip_serializing_if = "crate::ir::ExecMode::is_plain")]
    pub new_mode: crate::ir::ExecMode,
    /// The OLD allow-exec rule that chose the transition.
    pub old: Side,
    /// The NEW allow-exec rule that chooses it.
    pub new: Side,
    /// Which files the change concerns: `Some(true)` only files the process owns (the
    /// change comes from `owner` rules), `Some(false)` only files it does not own,
    /// absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    /// Which objects the change concerns: `Some(true)` only directories (the change comes
    /// from directory-only rules, paths written with a trailing `/`), `Some(false)` only
    /// other objects, absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<bool>,
}

/// A change of a network operation on a range of ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetChange {
    /// Broadened or narrowed.
    pub direction: Direction,
    /// Connect or bind.
    pub op: NetOp,
    /// TCP or UDP.
    pub proto: Proto,
    /// The IP version whose decisions changed; none: both changed alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<crate::ir::IpFamily>,
    /// The ports.
    pub ports: PortRange,
    /// How OLD decided.
    pub old: Side,
    /// How NEW decides.
    pub new: Side,
}

/// A change of a capability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapabilityChange {
    /// Broadened or narrowed.
    pub direction: Direction,
    /// The capability.
    pub capability: String,
    /// How OLD decided.
    pub old: Side,
    /// How NEW decides.
    pub new: Side,
}

/// A set of signal names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalSet {
    /// Exactly these.
    Only(BTreeSet<String>),
    /// Every signal but these.
    AllExcept(BTreeSet<String>),
}

impl SignalSet {
    /// True when the set holds `signal`.
    pub fn contains(&self, signal: &str) -> bool {
        match self {
            SignalSet::Only(s) => s.contains(signal),
            SignalSet::AllExcept(s) => !s.contains(signal),
        }
    }
}

impl fmt::Display for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        match self {
            SignalSet::Only(s) => f.write_str(&list(s)),
            SignalSet::AllExcept(s) if s.is_empty() => f.write_str("every signal"),
            SignalSet::AllExcept(s) => write!(f, "every signal except {}", list(s)),
        }
    }
}

/// A change of signals sent to or received from a peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignalChange {
    /// Broadened or narrowed.
    pub direction: Direction,
    /// Send or receive.
    pub signal_direction: SignalDir,
    /// The peer policy.
    pub peer: crate::ir::Peer,
    /// The signals.
    pub signals: SignalSet,
    /// How OLD decided.
    pub old: Side,
    /// How NEW decides.
    pub new: Side,
}

/// A change of the paths the package owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnsChange {
    /// Broadened (NEW owns more) or narrowed.
    pub direction: Direction,
    /// The paths.
    pub paths: PathSet,
    /// A shortest path of the set (see [`FileChange::witness`]).
    pub witness: Option<String>,
    /// The `owns` declarations of the side that owns them.
    pub origins: Vec<Origin>,
}

/// Which policy-level property changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyField {
    /// The policy's name.
    Name,
    /// `enforce` or `complain`.
    Mode,
    /// The attached executable.
    Attach,
}

/// A change of the name, mode or attached executable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyChange {
    /// `complain` after `enforce` broadens, the reverse narrows; the others are changes.
    pub direction: Direction,
    /// What changed.
    pub field: PolicyField,
    /// OLD's value (`None`: not declared).
    pub old: Option<String>,
    /// NEW's value.
    pub new: Option<String>,
    /// Where OLD declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_origin: Option<Origin>,
    /// Where NEW declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_origin: Option<Origin>,
}

/// The changes of the children and hats, matched by name.
fn child_changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut names: Vec<&PolicyName> = old
        .children
        .iter()
        .chain(&new.children)
        .map(|c| &c.policy.name)
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let (o, n) = (old.child(name.as_str()), new.child(name.as_str()));
        let (direction, changes) = match (o, n) {
            (Some(o), Some(n)) => {
                let changes = diff(&o.policy, &n.policy).changes;
                if changes.is_empty() && o.kind == n.kind {
                    continue;
                }
                (Direction::Changed, changes)
            }
            (None, Some(_)) => (Direction::Broadened, Vec::new()),
            (Some(_), None) => (Direction::Narrowed, Vec::new()),
            (None, None) => continue,
        };
        out.push(Change::Child(ChildChange {
            direction,
            name: name.clone(),
            old_kind: o.map(|c| c.kind),
            new_kind: n.map(|c| c.kind),
            changes,
        }));
    }
    out
}

/// Compare the meaning of two policies. See the [module docs](self).
///
/// File rules can apply to some objects only: `owner` rules to files the process owns,
/// directory-only rules (a trailing `/`) to directories. With such rules on either side,
/// the file rights and transitions are compared once for each kind of object (owned or
/// not, directory or not, as far as the rules distinguish them), each time with the
/// rules that apply to it; a change found for every kind is reported once, the others
/// with [`FileChange::owner`] / [`FileChange::dir`] (and the same fields of
/// [`TransitionChange`]) saying which objects.
pub fn diff(old: &Policy, new: &Policy) -> Diff {
    let any = |pred: fn(&FileRule) -> bool| old.files.iter().chain(&new.files).any(pred);
    let owner_axis: &[bool] = if any(|f| f.owner) {
        &[true, false]
    } else {
        &[true]
    };
    let dir_axis: &[bool] = if any(|f| f.dir_only) {
        &[true, false]
    } else {
        &[true]
    };
    let kinds: Vec<(bool, bool)> = owner_axis
        .iter()
        .flat_map(|o| dir_axis.iter().map(move |d| (*o, *d)))
        .collect();
    if kinds.len() == 1 {
        return diff_view(old, new);
    }
    // The comparison itself ignores `owner` and `dir_only`: on the policies as they are,
    // it is the view of owned directories. Without the rights of the rules that do not
    // apply to a kind (indices kept, so that the cited rules stay right), it is the view
    // of that kind.
    let views: Vec<((bool, bool), Diff)> = kinds
        .iter()
        .map(|&k| (k, diff_view(&for_kind(old, k), &for_kind(new, k))))
        .collect();
    let by_files = |c: &Change| matches!(c, Change::File(_) | Change::Transition(_));
    let mut changes: Vec<Change> = Vec::new();
    let mut seen: Vec<&Change> = Vec::new();
    for (_, v) in &views {
        for c in &v.changes {
            if seen.contains(&c) {
                continue;
            }
            seen.push(c);
            if !by_files(c) {
                changes.push(c.clone());
                continue;
            }
            let found: Vec<(bool, bool)> = views
                .iter()
                .filter(|(_, w)| w.changes.contains(c))
                .map(|(k, _)| *k)
                .collect();
            let all_with = |f: &dyn Fn(&(bool, bool)) -> bool| {
                let want: Vec<&(bool, bool)> = kinds.iter().filter(|k| f(k)).collect();
                want.len() == found.len() && want.iter().all(|k| found.contains(k))
            };
            if found.len() == kinds.len() {
                changes.push(c.clone());
            } else if let Some(o) = [true, false].into_iter().find(|o| all_with(&|k| k.0 == *o)) {
                changes.push(with_kind(c.clone(), Some(o), None));
            } else if let Some(d) = [true, false].into_iter().find(|d| all_with(&|k| k.1 == *d)) {
                changes.push(with_kind(c.clone(), None, Some(d)));
            } else {
                for (o, d) in &found {
                    let o = (owner_axis.len() > 1).then_some(*o);
                    let d = (dir_axis.len() > 1).then_some(*d);
                    changes.push(with_kind(c.clone(), o, d));
                }
            }
        }
    }
    let first = views.into_iter().next().map(|(_, v)| v);
    match first {
        Some(v) => Diff { changes, ..v },
        None => diff_view(old, new),
    }
}

/// The policy as it applies to one kind of object, `(owned, directory)`: the rules that
/// do not apply to it keep their place with no rights.
fn for_kind(p: &Policy, (owned, dir): (bool, bool)) -> Policy {
    let mut p = p.clone();
    for f in p
        .files
        .iter_mut()
        .filter(|f| (f.owner && !owned) || (f.dir_only && !dir))
    {
        f.rights = Rights::EMPTY;
        for o in &mut f.origins {
            o.rights = Rights::EMPTY;
        }
    }
    p
}

fn with_kind(mut c: Change, owner: Option<bool>, dir: Option<bool>) -> Change {
    match &mut c {
        Change::File(f) => (f.owner, f.dir) = (owner, dir),
        Change::Transition(t) => (t.owner, t.dir) = (owner, dir),
        _ => {}
    }
    c
}

fn diff_view(old: &Policy, new: &Policy) -> Diff {
    let mut changes = other::policy_changes(old, new);
    let mut o = files::View::new(old);
    let mut n = files::View::new(new);
    files::pair(&mut o, &mut n);
    // One search per side for the neighbours of every changed glob, for both the file
    // rights and the transitions.
    let exec = transitions::exec_changes(&o, &n);
    let mut queries = files::changed_texts(&o, &n);
    queries.extend(exec.texts(&o, &n));
    queries.sort_unstable();
    queries.dedup();
    o.find_neighbours(&queries);
    n.find_neighbours(&queries);
    changes.extend(files::file_changes(&o, &n));
    changes.extend(transitions::transition_changes(&mut o, &mut n, &exec));
    changes.extend(other::net_changes(old, new));
    changes.extend(other::capability_changes(old, new));
    changes.extend(other::signal_changes(old, new));
    changes.extend(ipc::request_changes(old, new));
    changes.extend(other::owns_changes(old, new));
    changes.extend(child_changes(old, new));
    changes.extend(accept::accept_changes(old, new));
    changes.extend(audit::audit_changes(old, new));
    Diff {
        old: old.name.clone(),
        new: new.name.clone(),
        changes,
    }
}
