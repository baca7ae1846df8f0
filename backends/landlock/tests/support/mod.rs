//! Test support: build IR policies from one-line rules, run the probe confined.
#![allow(dead_code)]

use polc_landlock::{CommandExt, EnforceOptions, Plan, Status};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity};
use std::process::Command;

/// The one builder of IR values for tests: policies from text, IR the front end would refuse.
#[path = "../../../../policy-lang/tests/ir_support/mod.rs"]
pub mod ir_support;

#[allow(unused_imports)] // not every test binary builds from text
pub use ir_support::from_lines as policy;

/// The one entry of `report` whose rule text contains `rule` (the front end decides the
/// order of the entries, so tests find them by their rule).
pub fn entry<'a>(report: &'a FidelityReport, rule: &str) -> &'a RuleFidelity {
    let found: Vec<&RuleFidelity> = report
        .entries
        .iter()
        .filter(|e| e.rule.contains(rule))
        .collect();
    match found[..] {
        [one] => one,
        _ => panic!("not one entry for {rule:?} in {:#?}", report.entries),
    }
}

/// The probe binary.
pub fn probe() -> &'static str {
    env!("CARGO_BIN_EXE_polc-landlock-probe")
}

/// Rules that let the probe itself start (its binary and the system's libraries).
pub fn probe_base() -> Vec<String> {
    vec![
        format!("allow read exec map-exec \"{}\"", probe()),
        "allow read exec map-exec \"/usr/**\"".to_string(),
        "allow read \"/etc/ld.so.cache\"".to_string(),
    ]
}

/// Run the probe confined by `plan`, performing `ops`; the errno of each.
pub fn run_probe(plan: &Plan, opts: &EnforceOptions, ops: &[String]) -> (Status, Vec<i32>) {
    let mut cmd = Command::new(probe());
    cmd.args(ops);
    let status = cmd.confine_with(plan, opts).expect("confine");
    let out = cmd.output().expect("spawn the confined probe");
    assert!(
        out.status.success(),
        "the probe failed: {}\nops: {ops:?}\nplan: {}",
        String::from_utf8_lossy(&out.stderr),
        plan.to_json()
    );
    let errs: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().expect("errno"))
        .collect();
    assert_eq!(errs.len(), ops.len(), "one answer per operation");
    (status, errs)
}

/// Whether the kernel's answer contradicts the evaluator's for a pair of this fidelity:
/// `exact` must agree; `narrowed` may refuse more, never allow more; `widened` may allow
/// more, never refuse more. `None`: not compared (`unsupported`).
pub fn contradicts(fid: Fidelity, kernel: bool, oracle: bool) -> Option<bool> {
    match fid {
        Fidelity::Exact => Some(kernel != oracle),
        Fidelity::Narrowed => Some(kernel && !oracle),
        Fidelity::Widened => Some(!kernel && oracle),
        Fidelity::Unsupported => None,
    }
}

/// The probe's answer as a decision: Some(true) allowed, Some(false) refused by the
/// kernel, None when the operation failed for another reason.
pub fn verdict(op: &str, errno: i32) -> Option<bool> {
    match errno {
        0 => Some(true),
        libc::EACCES | libc::EPERM | libc::EXDEV => Some(false),
        // exec of a script whose interpreter is missing: the script itself was allowed.
        libc::ENOENT if op.starts_with("exec:") => Some(true),
        // bind to a port in use / connect to a closed port: the kernel let it through.
        libc::EADDRINUSE | libc::ECONNREFUSED => Some(true),
        _ => None,
    }
}
