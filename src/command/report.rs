//! Rendering of fidelity reports and backend errors.

use super::{render, BackendArgs, Ctx, OutputFormat, EXIT_FINDINGS, EXIT_USAGE};
use crate::compile::{
    read_selinux_file_contexts, read_selinux_port_contexts, CompileError, CompileOptions,
    ReadContextsError,
};
use polc_lang::fidelity::{Fidelity, FidelityReport};

/// The compile options of the backend arguments, or a usage error already reported.
pub fn options(args: &BackendArgs, ctx: &mut Ctx<'_>) -> Result<CompileOptions, u8> {
    let apparmor_abi = args
        .apparmor_abi
        .parse()
        .map_err(|e: polc_apparmor::UnknownAbi| {
            ctx.say(e);
            EXIT_USAGE
        })?;
    let read_error = |ctx: &mut Ctx<'_>, e: ReadContextsError| {
        match e {
            ReadContextsError::Read { .. } => ctx.say(format_args!("error[E0400]: {e}")),
            _ => ctx.say(format_args!("error: {e}")),
        }
        EXIT_USAGE
    };
    let selinux_file_contexts = match &args.selinux_file_contexts {
        None => None,
        Some(path) => Some(read_selinux_file_contexts(path).map_err(|e| read_error(ctx, e))?),
    };
    let selinux_port_contexts = match &args.selinux_port_contexts {
        None => None,
        Some(path) => Some(read_selinux_port_contexts(path).map_err(|e| read_error(ctx, e))?),
    };
    Ok(CompileOptions {
        strict: args.strict,
        apparmor_abi,
        landlock_abi: args.landlock_abi,
        landlock_root: args.landlock_root.clone(),
        selinux_file_contexts,
        selinux_port_contexts,
        selinux_launchers: args.selinux_launcher.clone(),
        selinux_attributes: args.selinux_attribute.clone(),
    })
}

/// A fidelity report for people: a summary line, then one line per entry that is not
/// exact (with its reason), then the exact ones.
pub fn human(report: &FidelityReport) -> String {
    let count = |f: Fidelity| report.entries.iter().filter(|e| e.fidelity == f).count();
    let mut out = format!(
        "fidelity ({} {}): {} exact, {} narrowed, {} widened, {} unsupported\n",
        render::sanitize_line(&report.backend),
        render::sanitize_line(&report.target),
        count(Fidelity::Exact),
        count(Fidelity::Narrowed),
        count(Fidelity::Widened),
        count(Fidelity::Unsupported)
    );
    let mut entries: Vec<_> = report.entries.iter().collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.fidelity));
    for e in entries {
        let rights = e.rights.map(|r| format!(" [{r}]")).unwrap_or_default();
        let at = e
            .origins
            .first()
            .map(|o| format!("  at {o}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<11} {}{rights}{}\n",
            e.fidelity.name(),
            render::sanitize_line(&e.rule),
            render::sanitize_line(&at)
        ));
        if e.fidelity != Fidelity::Exact && !e.reason.is_empty() {
            out.push_str(&format!(
                "              {}\n",
                render::sanitize_line(&e.reason)
            ));
        }
    }
    out
}

/// Print the report on stderr in the chosen format.
pub fn print(report: &FidelityReport, format: Option<OutputFormat>, ctx: &mut Ctx<'_>) {
    let text = match format {
        None => return,
        Some(OutputFormat::Human) => human(report),
        Some(OutputFormat::Json) => {
            let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
            s.push('\n');
            s
        }
    };
    let _ = ctx.stderr.write_all(text.as_bytes());
}

/// Report a backend error (with its report, for strict failures) and return the exit code.
pub fn error(e: &CompileError, format: Option<OutputFormat>, ctx: &mut Ctx<'_>) -> u8 {
    ctx.say(format_args!("error: {e}"));
    if let Some(report) = e.report() {
        let violations = report.strict_violations().map(|v| {
            let at = v
                .origins
                .first()
                .map(|o| format!(" at {o}"))
                .unwrap_or_default();
            format!("{}: {}{at}: {}", v.fidelity, v.rule, v.reason)
        });
        for line in violations.collect::<Vec<_>>() {
            ctx.say(format_args!("  {line}"));
        }
        if format.is_some() {
            print(report, format, ctx);
        }
    }
    if let Some(help) = e.help() {
        ctx.say(format_args!("help: {help}"));
    }
    EXIT_FINDINGS
}
