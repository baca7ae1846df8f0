//! A kernel denial explained, as text: each access it records, the verdict of the
//! policy, the rules that decide, and the rule to add.

use super::explain::human_enforcements;
use polc_lang::denial::{self, Access, AccessExplanation, DenialExplanation, Verdict};
use polc_lang::diff::RuleCite;
use std::fmt::Write;

/// At most this many rules per list in human output (JSON has them all).
const SHOWN: usize = 8;

fn cites(s: &mut String, label: &str, rules: &[RuleCite]) {
    // The policy's own rules before those of abstractions.
    let mut sorted: Vec<&RuleCite> = rules.iter().collect();
    sorted.sort_by_key(|r| r.origins.iter().all(|o| !o.via.is_empty()) && !r.origins.is_empty());
    for r in sorted.iter().take(SHOWN) {
        let at: Vec<String> = r.origins.iter().map(ToString::to_string).collect();
        let at = if at.is_empty() {
            String::new()
        } else {
            format!("  ({})", at.join(", "))
        };
        let _ = writeln!(s, "    {label} {}{at}", r.rule);
    }
    if sorted.len() > SHOWN {
        let _ = writeln!(
            s,
            "    ... and {} more (--format json lists them all)",
            sorted.len() - SHOWN
        );
    }
}

/// The denial explained, for people.
pub fn human_denial(ex: &DenialExplanation, file: &str) -> String {
    let d = &ex.denial;
    let mut s = String::new();
    let subject = match (&d.subject, d.lsm) {
        (Some(x), denial::Lsm::AppArmor) => format!(", profile {x}"),
        (Some(x), denial::Lsm::SELinux) => format!(", domain {x}"),
        (Some(x), denial::Lsm::Landlock) => format!(", domain {x}"),
        (None, _) => String::new(),
    };
    let _ = writeln!(s, "{} denial{subject}: {}", d.lsm, d.permissions.join(", "));
    let _ = writeln!(s, "policy: {} ({file})", ex.policy);
    if let Some(other) = &ex.other_policy {
        let _ = writeln!(
            s,
            "warning: the log is about policy {other}, not {}: the answers below are for {}",
            ex.policy, ex.policy
        );
    }
    if d.complain {
        let _ = writeln!(
            s,
            "note: the access was allowed (complain mode) and only logged"
        );
    }
    for n in &d.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for a in &ex.accesses {
        s.push('\n');
        access(&mut s, a);
        s.push_str(&human_enforcements(&a.targets, "  "));
    }
    s
}

fn access(s: &mut String, a: &AccessExplanation) {
    let _ = writeln!(s, "{}", a.access.describe());
    match a.verdict {
        Verdict::AllowedByPolicy => {
            let _ = writeln!(
                s,
                "  the policy allows it: the kernel refused it for another reason (how the backend enforces the rule: see --target; another policy or security layer)"
            );
            cites(s, "allowed by", &a.granting);
        }
        Verdict::DeniedByRule => {
            let _ = writeln!(s, "  denied by the policy: change or remove the deny rule");
            cites(s, "denied by", &a.blocking);
            if a.granting.is_empty() {
                let _ = writeln!(s, "  and no allow rule covers it");
            } else {
                cites(s, "(overrides)", &a.granting);
            }
        }
        Verdict::NoAllow => {
            let _ = writeln!(s, "  no allow rule covers it");
            cites(s, "denied by", &a.blocking);
        }
        Verdict::Undetermined => {
            let _ = writeln!(
                s,
                "  the log does not say enough to decide; rules that may apply:"
            );
            cites(s, "may allow:", &a.granting);
            cites(s, "may deny: ", &a.blocking);
        }
        Verdict::Unmapped => {
            if let Access::Unmapped { reason, .. } = &a.access {
                let _ = writeln!(s, "  {reason}");
            }
        }
    }
    if let Some(rule) = &a.suggestion {
        let _ = writeln!(s, "  to allow it, add:\n      {rule}");
    }
    // The verdict line above already says what this note says.
    let said = |n: &str| {
        a.verdict == Verdict::AllowedByPolicy
            && n.contains("the kernel refused it for another reason")
    };
    for n in a.notes.iter().filter(|n| !said(n)) {
        let _ = writeln!(s, "  note: {n}");
    }
}
