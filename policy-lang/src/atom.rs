//! Atoms: one rule about one subject from one statement, the step between checked
//! statements and IR rules. Lowering builds them and merges them into the IR; the
//! checker's lints and transition check read them. This module sits below both, so the
//! checker never imports lowering.

use crate::glob::Glob;
use crate::ir::{
    Effect, ExecMode, IpFamily, NetOp, Origin, Peer, PolicyName, PortRange, Proto, PtraceAccess,
    PtraceDir, SignalDir,
};
use crate::rights::{Right, Rights};
use crate::span::Span;
use std::collections::BTreeSet;

/// What one atom is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// Rights on the paths of a glob.
    File {
        /// The paths.
        glob: Glob,
        /// The rights (implications applied).
        rights: Rights,
        /// `as NAME`.
        exec_as: Option<PolicyName>,
        /// How the exec runs (`as child`, `else inherit`, `as unconfined`).
        exec_mode: ExecMode,
    },
    /// A network operation on a port range.
    Net {
        /// Connect or bind.
        op: NetOp,
        /// TCP or UDP.
        proto: Proto,
        /// One IP version; none means both.
        family: Option<IpFamily>,
        /// The ports.
        ports: PortRange,
    },
    /// A capability.
    Cap(String),
    /// Signals to or from a peer.
    Signal {
        /// Send or receive.
        dir: SignalDir,
        /// The peer (`self` resolved).
        peer: Peer,
        /// The signals; empty means all.
        signals: BTreeSet<String>,
    },
    /// Reading or tracing a peer's processes, or being read or traced by them.
    Ptrace {
        /// `to` or `from`.
        dir: PtraceDir,
        /// The peer (`self` resolved).
        peer: Peer,
        /// The access modes (implications applied; never empty).
        access: BTreeSet<PtraceAccess>,
    },
}

/// One rule about one subject, from one statement.
#[derive(Clone, Debug)]
pub(crate) struct Atom {
    /// Allow or deny.
    pub(crate) effect: Effect,
    /// What it is about.
    pub(crate) subject: Subject,
    /// The statement.
    pub(crate) origin: Origin,
    /// The unit the statement is in.
    pub(crate) unit: usize,
    /// What to underline: the path literal, or the statement.
    pub(crate) span: Span,
    /// `audit`: the accesses it decides are logged.
    pub(crate) audit: bool,
    /// `owner` (file rules only): it applies to files the process owns.
    pub(crate) owner: bool,
    /// A file rule's path ends with `/`: it applies to directories only.
    pub(crate) dir_only: bool,
}

impl Atom {
    /// True when `b`'s qualifiers take nothing from `self`'s: `b` audits whatever `self`
    /// audits and applies to every file `self` applies to (owned or not, directory or
    /// not). Only then can `b` make `self` redundant (the lints' duplicates and
    /// shadowing).
    pub(crate) fn quals_covered_by(&self, b: &Atom) -> bool {
        (!self.audit || b.audit) && self.objects_covered_by(b)
    }

    /// True when `b` applies to every object `self` applies to: `b` is not `owner` unless
    /// `self` is, nor directory-only unless `self` is.
    pub(crate) fn objects_covered_by(&self, b: &Atom) -> bool {
        (!b.owner || self.owner) && (!b.dir_only || self.dir_only)
    }
}

/// A cheap necessary condition for two globs to share a path (and so for one to contain
/// the other): every path of a glob starts with its literal prefix (the text before the
/// first `*`, `?`, `{` or `}`) and ends with its literal suffix, so the prefixes must be
/// compatible (one a prefix of the other), and the suffixes likewise. It spares the glob
/// algebra most pairs of a large policy.
pub(crate) fn may_overlap(a: &Glob, b: &Glob) -> bool {
    GlobEnds::of(a).may_overlap(&GlobEnds::of(b))
}

/// The literal prefix and suffix of a glob (see [`may_overlap`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlobEnds<'a> {
    prefix: &'a str,
    suffix: &'a str,
}

impl<'a> GlobEnds<'a> {
    /// The ends of a glob.
    pub(crate) fn of(g: &'a Glob) -> GlobEnds<'a> {
        GlobEnds {
            prefix: prefix(g.as_str()),
            suffix: suffix(g.as_str()),
        }
    }

    /// The literal prefix: the text before the first `*`, `?`, `{` or `}`.
    pub(crate) fn prefix(&self) -> &'a str {
        self.prefix
    }

    /// False when the globs cannot share a path.
    pub(crate) fn may_overlap(&self, o: &GlobEnds<'_>) -> bool {
        (self.prefix.starts_with(o.prefix) || o.prefix.starts_with(self.prefix))
            && (self.suffix.ends_with(o.suffix) || o.suffix.ends_with(self.suffix))
    }
}

// `[`, `]` and `+` bound classes and their repetition: a prefix or suffix stops there.
// All ASCII, so the text is searched by bytes: no byte of a longer character is one.
fn wild(b: &u8) -> bool {
    matches!(b, b'*' | b'?' | b'{' | b'}' | b'[' | b']' | b'+')
}

fn prefix(s: &str) -> &str {
    s.bytes()
        .position(|b| wild(&b))
        .map_or(s, |i| s.get(..i).unwrap_or_default())
}

fn suffix(s: &str) -> &str {
    s.bytes()
        .rposition(|b| wild(&b))
        .map_or(s, |i| s.get(i + 1..).unwrap_or_default())
}

/// The transition of an exec rule: its mode and its target.
pub(crate) type Transition<'a> = (ExecMode, &'a Option<PolicyName>);

/// An allowed exec rule: the atom, its glob and its transition.
pub(crate) type ExecRule<'a> = (&'a Atom, &'a Glob, Transition<'a>);

/// The allowed exec rules of `atoms`, in order.
pub(crate) fn exec_rules(atoms: &[Atom]) -> Vec<ExecRule<'_>> {
    atoms
        .iter()
        .filter(|a| a.effect == Effect::Allow)
        .filter_map(|a| match &a.subject {
            Subject::File {
                glob,
                rights,
                exec_as,
                exec_mode,
            } if rights.contains(Right::Exec) => Some((a, glob, (*exec_mode, exec_as))),
            _ => None,
        })
        .collect()
}
