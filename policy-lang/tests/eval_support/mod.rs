//! Builders of IR values for the evaluator's tests.
#![allow(dead_code)]

use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    CapRule, FileRule, Mode, NetOp, NetRule, Origin, Policy, PolicyName, PortRange, Proto,
    RightsOrigin, SignalDir, SignalRule,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::collections::BTreeSet;

/// A policy name (panics on an invalid one: test data only).
pub fn name(s: &str) -> PolicyName {
    PolicyName::new(s).unwrap()
}

/// An origin on line `line` of `t.pol`.
pub fn origin(line: usize) -> Origin {
    Origin {
        file: "t.pol".into(),
        line,
        column: 5,
        span: Span::new(line * 10, line * 10 + 5),
        via: Vec::new(),
        accepts: Vec::new(),
    }
}

/// Rights from keywords, with implications.
pub fn rights(words: &[&str]) -> Rights {
    words
        .iter()
        .map(|w| Rights::from_keyword(w).unwrap())
        .fold(Rights::EMPTY, Rights::union)
}

/// An empty policy named `org.example.app`.
pub fn policy() -> Policy {
    Policy {
        name: name("org.example.app"),
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
        children: Vec::new(),
    }
}

/// A file rule with one origin on `line`.
pub fn file(
    effect: Effect,
    glob: &str,
    rs: Rights,
    exec_as: Option<&str>,
    line: usize,
) -> FileRule {
    FileRule {
        audit: false,
        owner: false,
        dir_only: false,
        effect,
        glob: Glob::parse(glob).unwrap(),
        rights: rs,
        exec_as: exec_as.map(name),
        origins: vec![RightsOrigin {
            rights: rs,
            origin: origin(line),
        }],
        exec_mode: Default::default(),
    }
}

/// A network rule with one origin on `line`.
pub fn net(effect: Effect, op: NetOp, proto: Proto, lo: u16, hi: u16, line: usize) -> NetRule {
    NetRule {
        audit: false,
        effect,
        op,
        proto,
        family: None,
        ports: PortRange { lo, hi },
        origins: vec![origin(line)],
    }
}

/// A capability rule with one origin on `line`.
pub fn cap(effect: Effect, capability: &str, line: usize) -> CapRule {
    CapRule {
        audit: false,
        effect,
        capability: capability.into(),
        origins: vec![origin(line)],
    }
}

/// A signal rule with one origin on `line`.
pub fn signal(
    effect: Effect,
    direction: SignalDir,
    peer: &str,
    signals: &[&str],
    line: usize,
) -> SignalRule {
    SignalRule {
        audit: false,
        effect,
        direction,
        peer: name(peer).into(),
        signals: signals
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        origins: vec![origin(line)],
    }
}
