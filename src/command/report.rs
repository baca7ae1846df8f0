//! Rendering of fidelity reports and backend errors.

use super::{
    input, render, BackendArgs, Ctx, ErrorFormat, GlobalArgs, OutputFormat, ReportFileArgs,
};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::compile::{
    read_selinux_file_contexts, read_selinux_port_contexts, CompileError, CompileOptions,
    ReadContextsError,
};
use polc_lang::fidelity::{Fidelity, FidelityReport};
use std::path::Path;

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
    human_entries(report, true)
}

/// [`human`], with the exact entries or without them (only the summary line and the
/// entries that are not exact, as `polc abstractions show` prints them).
pub fn human_entries(report: &FidelityReport, exact: bool) -> String {
    let mut out = Vec::new();
    let _ = write_human(report, exact, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Write [`human_entries`]'s text to `w` entry by entry, without holding the report of a
/// large policy as text.
fn write_human(
    report: &FidelityReport,
    exact: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let count = |f: Fidelity| report.entries.iter().filter(|e| e.fidelity == f).count();
    let accepted = report
        .entries
        .iter()
        .filter(|e| report.accepted(e).is_some())
        .count();
    writeln!(
        w,
        "fidelity ({} {}): {} exact, {} narrowed, {} widened, {} unsupported{}",
        render::sanitize_line(&report.backend),
        render::sanitize_line(&report.target),
        count(Fidelity::Exact),
        count(Fidelity::Narrowed),
        count(Fidelity::Widened),
        count(Fidelity::Unsupported),
        if accepted > 0 {
            format!(" ({accepted} accepted)")
        } else {
            String::new()
        }
    )?;
    let mut entries: Vec<_> = report.entries.iter().collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.fidelity));
    for e in entries
        .into_iter()
        .filter(|e| exact || e.fidelity != Fidelity::Exact)
    {
        let rights = e.rights.map(|r| format!(" [{r}]")).unwrap_or_default();
        let at = e
            .origins
            .first()
            .map(|o| format!("  at {o}"))
            .unwrap_or_default();
        let fidelity = match report.accepted(e) {
            Some(reason) => format!("{} (accepted: {reason})", e.fidelity.name()),
            None => e.fidelity.name().to_string(),
        };
        writeln!(
            w,
            "  {:<11} {}{rights}{}",
            render::sanitize_line(&fidelity),
            render::sanitize_line(&e.rule),
            render::sanitize_line(&at)
        )?;
        if e.fidelity != Fidelity::Exact && !e.reason.is_empty() {
            writeln!(w, "              {}", render::sanitize_line(&e.reason))?;
        }
    }
    Ok(())
}

/// The one line said after every compile that widens or drops rules, whatever the
/// options: how many rules the kernel enforces with more access than they say (widened)
/// and how many it cannot express (unsupported), leaving out those the policy accepts
/// (`accept` blocks: the report shows them). `None` when there are none.
pub fn summary(report: &FidelityReport) -> Option<String> {
    let subjects = |f: Fidelity| {
        report
            .entries
            .iter()
            .filter(|e| e.fidelity == f && report.accepted(e).is_none())
            .map(|e| e.subject)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let (widened, unsupported) = (subjects(Fidelity::Widened), subjects(Fidelity::Unsupported));
    if widened + unsupported == 0 {
        return None;
    }
    let rules = |n: usize| if n == 1 { "rule" } else { "rules" };
    let counts = match (widened, unsupported) {
        (0, u) => format!("{u} {} unsupported", rules(u)),
        (w, 0) => format!("{w} {} widened", rules(w)),
        (w, u) => format!("{w} {} widened, {u} unsupported", rules(w)),
    };
    Some(format!(
        "warning: {counts} by {} {}: the kernel allows more than the policy says; see --report",
        report.backend, report.target
    ))
}

/// Say the [`summary`] line of `report` on stderr, if it has one: as `polc: warning: ...`,
/// or as one JSON object with `--error-format json`.
pub fn say_summary(report: &FidelityReport, file: &str, format: ErrorFormat, ctx: &mut Ctx<'_>) {
    let Some(line) = summary(report) else {
        return;
    };
    match format {
        ErrorFormat::Human => ctx.say(line),
        ErrorFormat::Json => {
            let message = line.trim_start_matches("warning: ").to_string();
            let v = serde_json::json!({
                "code": null,
                "severity": "warning",
                "message": message,
                "file": file,
                "location": null,
                "label": null,
                "help": "compile with --report human to see each rule and why, or --strict to refuse",
            });
            let _ = writeln!(ctx.stderr, "{v}");
        }
    }
}

/// The report's format: `--report`, or JSON when only `--report-file` is given.
fn format_of(args: &BackendArgs, file: &ReportFileArgs) -> Option<OutputFormat> {
    args.report
        .or(file.report_file.as_ref().map(|_| OutputFormat::Json))
}

/// Write the report in `format` to `w`; JSON as it is serialised, without holding the
/// text of a large policy's report whole.
fn write_report(
    report: &FidelityReport,
    format: OutputFormat,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Human => write_human(report, true, w),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            w.write_all(b"\n")
        }
    }
}

/// Print the report when asked (`--report`, `--report-file`), where it belongs: to
/// `--report-file` (`-`: stdout), else to stdout when `output` (`-o`) names a file, else
/// to stderr. Returns the exit code of writing it (2 when `--report-file` cannot be
/// written, said in the chosen error format).
pub fn print(
    report: &FidelityReport,
    args: &BackendArgs,
    file: &ReportFileArgs,
    output: Option<&Path>,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    let Some(format) = format_of(args, file) else {
        return EXIT_OK;
    };
    let write = |w: &mut dyn std::io::Write| write_report(report, format, w);
    let dash = |p: &Path| input::is_stdout(p);
    match (&file.report_file, output) {
        (Some(file), _) if !dash(file) => {
            super::compile::write_output_with(Some(file), global, ctx, write)
        }
        (Some(_), _) => super::compile::write_output_with(None, global, ctx, write),
        (None, Some(out)) if !dash(out) => {
            super::compile::write_output_with(None, global, ctx, write)
        }
        (None, _) => {
            let mut buf = std::io::BufWriter::new(&mut *ctx.stderr);
            let _ = write(&mut buf).and_then(|()| std::io::Write::flush(&mut buf));
            EXIT_OK
        }
    }
}

/// Report a backend error (with its report, for strict failures, where [`print`] puts
/// it) and return the exit code.
pub fn error(
    e: &CompileError,
    args: &BackendArgs,
    file: &ReportFileArgs,
    output: Option<&Path>,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    match e.code() {
        Some(code) => ctx.say(format_args!("error[{code}]: {e}")),
        None => ctx.say(format_args!("error: {e}")),
    }
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
        let _ = print(report, args, file, output, global, ctx);
    }
    if let Some(help) = e.help() {
        ctx.say(format_args!("help: {help}"));
    }
    EXIT_FINDINGS
}
