//! Builders of IR values for the evaluator's tests: the one IR builder
//! (`ir_support`), with origins on lines of `t.pol`.
#![allow(dead_code)]

#[path = "../ir_support/mod.rs"]
mod ir_support;
// Not every test file uses every builder.
#[allow(unused_imports)]
pub use ir_support::{name, rights};

use polc_lang::ir::Effect;
use polc_lang::ir::{
    CapRule, FileRule, NetOp, NetRule, Origin, Policy, Proto, SignalDir, SignalRule,
};
use polc_lang::rights::Rights;

/// An origin on line `line` of `t.pol`.
pub fn origin(line: usize) -> Origin {
    ir_support::at("t.pol", line)
}

/// An empty policy named `org.example.app`.
pub fn policy() -> Policy {
    ir_support::policy("org.example.app")
}

/// A file rule with one origin on `line`.
pub fn file(
    effect: Effect,
    glob: &str,
    rs: Rights,
    exec_as: Option<&str>,
    line: usize,
) -> FileRule {
    ir_support::file_rule(effect, glob, rs, exec_as, origin(line))
}

/// A network rule with one origin on `line`.
pub fn net(effect: Effect, op: NetOp, proto: Proto, lo: u16, hi: u16, line: usize) -> NetRule {
    ir_support::net_rule(effect, op, proto, lo, hi, origin(line))
}

/// A capability rule with one origin on `line`.
pub fn cap(effect: Effect, capability: &str, line: usize) -> CapRule {
    ir_support::cap_rule(effect, capability, origin(line))
}

/// A signal rule with one origin on `line`.
pub fn signal(
    effect: Effect,
    direction: SignalDir,
    peer: &str,
    signals: &[&str],
    line: usize,
) -> SignalRule {
    ir_support::signal_rule(effect, direction, peer, signals, origin(line))
}
