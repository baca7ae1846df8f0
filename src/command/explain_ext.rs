//! `polc explain` beyond one request: `--denial 'LOG LINE'` maps a kernel denial back to
//! the policy, and `--target BACKEND` says whether each backend's kernel would enforce
//! exactly the decision.

use super::compile::write_output;
use super::diff::{fidelity_report, TargetArgs};
use super::{render, Ctx, ExplainArgs, GlobalArgs, LsmArg, OutputFormat, EXIT_OK, EXIT_USAGE};
use polc_lang::denial::{self, Access, AccessExplanation, DenialExplanation, Verdict};
use polc_lang::diff::target::{decision_fidelity, EnforcedRule, Enforcement};
use polc_lang::diff::RuleCite;
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::{Fidelity, FidelityReport};
use polc_lang::ir::Policy;
use std::fmt::Write;

/// The fidelity reports of `policy` for every `--target`, with the backend asked for; on
/// error the message is said and the exit code returned.
pub fn reports(
    policy: &Policy,
    opts: &TargetArgs,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<(LsmArg, FidelityReport)>, u8> {
    if opts.targets.is_empty() {
        return Ok(Vec::new());
    }
    let options = opts.options(ctx)?;
    let mut out = Vec::new();
    for &b in &opts.targets {
        match fidelity_report(policy, b, &options) {
            Ok(r) => out.push((b, r)),
            Err(e) => {
                ctx.say(e);
                return Err(EXIT_USAGE);
            }
        }
    }
    Ok(out)
}

/// Whether each backend enforces exactly the evaluator's decision of `request`.
pub fn enforcements(
    policy: &Policy,
    request: &Request,
    reports: &[(LsmArg, FidelityReport)],
) -> Vec<Enforcement> {
    let decision = evaluate(policy, request);
    reports
        .iter()
        .map(|(_, r)| decision_fidelity(policy, request, &decision, r))
        .collect()
}

/// An explanation with the enforcement of each `--target` (JSON: the explanation's
/// fields, then `targets`).
#[derive(serde::Serialize)]
pub struct WithTargets<'a, T: serde::Serialize> {
    /// The explanation.
    #[serde(flatten)]
    pub explanation: &'a T,
    /// One per backend.
    #[serde(skip_serializing_if = "<[Enforcement]>::is_empty")]
    pub targets: &'a [Enforcement],
}

/// The per-backend lines of `explain --target`.
pub fn human_enforcements(v: &[Enforcement], indent: &str) -> String {
    let mut s = String::new();
    for e in v {
        let name = if e.target.is_empty() {
            e.backend.clone()
        } else {
            format!("{} ({})", e.backend, e.target)
        };
        let verdict = match e.fidelity {
            Fidelity::Exact => "the kernel enforces exactly this decision",
            Fidelity::Narrowed => "the kernel may refuse what the policy allows",
            Fidelity::Widened => "the kernel allows what the policy denies",
            Fidelity::Unsupported => "the backend cannot express the deciding rule",
        };
        let _ = writeln!(
            s,
            "{indent}{name}: {} — {verdict}: {}",
            e.fidelity, e.reason
        );
        for r in &e.rules {
            let _ = writeln!(s, "{indent}    deciding: {}", enforced(r));
        }
        for r in &e.caveats {
            let _ = writeln!(s, "{indent}    unless:   {}", enforced(r));
        }
    }
    s
}

fn enforced(r: &EnforcedRule) -> String {
    let f = r
        .fidelity
        .map_or("no entry in the report".to_string(), |f| {
            super::diff::with_acceptance(f, r)
        });
    if r.reason.is_empty() {
        format!("{} ({f})", r.rule)
    } else {
        format!("{} ({f}: {})", r.rule, r.reason)
    }
}

/// `explain FILE --denial LINES` (`-`: standard input): each line that is a denial record
/// is explained in turn; with several lines, the others (SYSCALL, PATH, PROCTITLE records
/// of an audit log) are skipped. Exit 0 when every denial is explained, 2 when none is
/// found, when a denial record cannot be read (the others are still explained), or on
/// usage and I/O errors.
pub fn run_denial(
    arg: &str,
    policy: &Policy,
    file: &str,
    args: &ExplainArgs,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    let text = if arg == "-" {
        let mut t = String::new();
        if let Err(e) = ctx.stdin.read_to_string(&mut t) {
            ctx.say(format_args!("error: cannot read standard input: {e}"));
            return EXIT_USAGE;
        }
        t
    } else {
        arg.to_string()
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let several = lines.len() > 1;
    let mut exit = EXIT_OK;
    let mut parsed = Vec::new();
    for (n, line) in &lines {
        match denial::parse(line) {
            Ok(d) => parsed.push(d),
            Err(denial::DenialError::Unrecognized) if several => {}
            Err(e) if several => {
                ctx.say(format_args!("cannot read the denial on line {n}: {e}"));
                exit = EXIT_USAGE;
            }
            Err(e) => {
                ctx.say(format_args!("cannot read the denial: {e}"));
                return EXIT_USAGE;
            }
        }
    }
    if parsed.is_empty() {
        ctx.say(format_args!(
            "cannot read the denial: none of the {} lines is an AppArmor, SELinux or Landlock denial record",
            lines.len()
        ));
        return EXIT_USAGE;
    }
    let reports = match reports(policy, &args.target, ctx) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut all = Vec::new();
    for d in &parsed {
        let mut ex = denial::explain(policy, d);
        for a in &mut ex.accesses {
            if let Some(req) = a.access.request() {
                a.targets = enforcements(policy, &req, &reports);
            }
        }
        all.push(ex);
    }
    let text = match args.format {
        OutputFormat::Human => {
            let parts: Vec<String> = all.iter().map(|ex| human_denial(ex, file)).collect();
            render::sanitize(&parts.join("\n"))
        }
        // One record: its explanation; several: an array of them.
        OutputFormat::Json => {
            let json = match all.as_slice() {
                [one] => serde_json::to_string_pretty(one),
                many => serde_json::to_string_pretty(many),
            };
            json.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
        }
    };
    let written = write_output(None, text.as_bytes(), global, ctx);
    written.max(exit)
}

/// The access in words: `read /etc/shadow`, `create an entry of /usr/local`, ...
/// ([`Access::describe`]).
pub fn describe_access(a: &Access) -> String {
    a.describe()
}

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
    let _ = writeln!(s, "{}", describe_access(&a.access));
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
