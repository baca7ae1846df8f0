//! `polc explain` beyond one request: `--denial 'LOG LINE'` maps a kernel denial back to
//! the policy, and `--target BACKEND` says whether each backend's kernel would enforce
//! exactly the decision.

use super::compile::write_output;
use super::diff::{fidelity_report, TargetArgs};
use super::{render, Ctx, ExplainArgs, GlobalArgs, LsmArg, OutputFormat, EXIT_OK, EXIT_USAGE};
use crate::text::denial::human_denial;
use polc_lang::denial;
use polc_lang::diff::target::{decision_fidelity, Enforcement};
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::FidelityReport;
use polc_lang::ir::Policy;

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
