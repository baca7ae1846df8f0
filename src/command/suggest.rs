//! `polc suggest --from-log FILE|- POLICY [--write]`: rules for the denials of an audit
//! log, and what the parts `polc learn` shares with it (reading logs, printing the
//! proposal, writing it into the policy file).
//!
//! Exit status: 0 the proposal is printed (with no rule when nothing is missing) or
//! written, 1 the policy has errors (or, with `--write`, the policy with the rules added
//! would not check), 2 usage or I/O error, or no denial record in the log.

use super::check::{load_policy, prepare, report_io};
use super::compile::write_output;
use super::input;
use super::{render, Ctx, GlobalArgs, OutputFormat, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use clap::Args;
use polc_lang::denial::{self, Denial, Suggestions};
use polc_lang::diff::{diff, Report};
use polc_lang::ir::text::one_line;
use polc_lang::ir::Policy;
use polc_lang::syntax;
use polc_lang::Source;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `polc suggest --from-log FILE POLICY`
#[derive(Debug, Clone, Args)]
pub struct SuggestArgs {
    /// The log to read: an audit log, `dmesg` or `journalctl -k` output, `ausearch`
    /// output; `-` reads standard input. AppArmor, SELinux AVC and Landlock records
    /// are read, whatever their line prefix; other lines are skipped and counted
    #[arg(long = "from-log", value_name = "FILE", required = true)]
    pub from_log: PathBuf,
    /// The policy file the rules are for
    #[arg(value_name = "POLICY")]
    pub file: PathBuf,
    /// Add the rules to POLICY, as a block at the end of the policy with a comment
    /// saying where they came from (atomically), and print the `polc diff` of the
    /// policy before and after
    #[arg(long)]
    pub write: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// What a log held.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LogStats {
    /// Non-empty lines read.
    pub lines: usize,
    /// Denial records read.
    pub records: usize,
    /// Lines that are not denial records (other audit records, other messages).
    pub skipped: usize,
    /// Denial records that could not be read, with the line number and why.
    pub unreadable: Vec<(usize, String)>,
}

/// Parse every line of a log that is a denial record.
pub fn parse_log(text: &str) -> (Vec<Denial>, LogStats) {
    let mut stats = LogStats::default();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        stats.lines += 1;
        match denial::parse(line) {
            Ok(d) => {
                stats.records += 1;
                out.push(d);
            }
            Err(denial::DenialError::Unrecognized | denial::DenialError::NotADenial { .. }) => {
                stats.skipped += 1
            }
            Err(e) => stats.unreadable.push((n + 1, e.to_string())),
        }
    }
    (out, stats)
}

/// The proposed rules as formatted polc statements (each with comments saying what it
/// allows), not indented; empty when there is none.
pub fn rules_text(policy: &Policy, s: &Suggestions) -> String {
    let mut body = String::new();
    for r in &s.rules {
        let shown: Vec<&str> = r.accesses.iter().take(3).map(String::as_str).collect();
        let more = r.accesses.len().saturating_sub(3);
        let more = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        let _ = writeln!(body, "    # {}{more}", one_line(&shown.join(", ")));
        for g in r.generalised.iter().take(3) {
            let _ = writeln!(body, "    # {}", one_line(g));
        }
        for n in &r.notes {
            let _ = writeln!(body, "    # note: {}", one_line(n));
        }
        let _ = writeln!(body, "    {}", r.rule);
    }
    if body.is_empty() {
        return String::new();
    }
    let wrapped = format!("policy {} {{\n{body}}}\n", policy.name);
    let formatted = polc_lang::fmt::format_source("rules", &wrapped).unwrap_or(wrapped);
    let lines: Vec<&str> = formatted.lines().collect();
    let inner = lines.get(1..lines.len().saturating_sub(1)).unwrap_or(&[]);
    let mut out = String::new();
    for l in inner {
        out.push_str(l.strip_prefix("    ").unwrap_or(l));
        out.push('\n');
    }
    out
}

/// What was not proposed, as comment lines.
pub fn not_proposed(s: &Suggestions) -> String {
    let mut out = String::new();
    for p in &s.denied_on_purpose {
        let by: Vec<String> = p
            .rules
            .iter()
            .map(|r| {
                let at: Vec<String> = r
                    .origins
                    .iter()
                    .map(|o| format!("{}:{}", o.file, o.line))
                    .collect();
                format!("`{}` at {}", r.rule, at.join(", "))
            })
            .collect();
        let _ = writeln!(
            out,
            "# denied on purpose: {} by rule {}",
            p.access.describe(),
            by.join("; ")
        );
    }
    for a in &s.already_allowed {
        let _ = writeln!(
            out,
            "# already allowed by the policy (the kernel refused it for another reason): {}",
            a.describe()
        );
    }
    for i in &s.inexpressible {
        let _ = writeln!(
            out,
            "# not expressible in polc: {}: {}",
            i.access.describe(),
            i.reason
        );
    }
    for o in &s.other_subjects {
        let _ = writeln!(
            out,
            "# skipped: {} record{} of another subject, {}",
            o.records,
            if o.records == 1 { "" } else { "s" },
            o.subject
        );
    }
    one_line_each(&out)
}

fn one_line_each(s: &str) -> String {
    s.lines().map(|l| one_line(l) + "\n").collect()
}

/// The summary line of a proposal.
pub fn summary(s: &Suggestions, stats: &LogStats, from: &str) -> String {
    let mut out = format!(
        "# polc suggest: {} rule{} for {} from {from}\n# {} denial record{} of the policy",
        s.rules.len(),
        if s.rules.len() == 1 { "" } else { "s" },
        s.policy,
        s.records,
        if s.records == 1 { "" } else { "s" },
    );
    if s.complain > 0 {
        let _ = write!(out, " ({} in complain mode)", s.complain);
    }
    if stats.lines > stats.records {
        let _ = write!(
            out,
            ", {} other line{} skipped",
            stats.skipped,
            if stats.skipped == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    for (n, e) in &stats.unreadable {
        let _ = writeln!(out, "# line {n} not read: {e}");
    }
    one_line_each(&out)
}

/// The JSON document of `suggest` and `learn`.
#[derive(Serialize)]
pub struct Document<'a, T: Serialize> {
    /// The policy file.
    pub file: String,
    /// Where the records came from.
    pub from: &'a str,
    /// What the log held.
    pub log: &'a LogStats,
    /// The proposal.
    pub suggestions: &'a Suggestions,
    /// The rules as formatted polc text.
    pub text: String,
    /// Set by `--write`: the meaning of the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<Report>,
    /// What `learn` adds (its runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learn: Option<T>,
}

/// `polc suggest`.
pub fn run(args: &SuggestArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    if input::is_stdin(&args.from_log) && input::is_stdin(&args.file) {
        ctx.say("error: the log and the policy cannot both be `-`: standard input is read once");
        return EXIT_USAGE;
    }
    if args.write && input::is_stdin(&args.file) {
        ctx.say("error: --write needs a policy file, not `-`");
        return EXIT_USAGE;
    }
    let loaded = match load_policy(&args.file, global, ctx) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let text = if input::is_stdin(&args.from_log) {
        let mut t = String::new();
        if let Err(e) = ctx.stdin.read_to_string(&mut t) {
            ctx.say(format_args!("error: cannot read standard input: {e}"));
            return EXIT_USAGE;
        }
        t
    } else {
        match std::fs::read(&args.from_log) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                let e = input::IoFailure::new(&args.from_log, "read", &e);
                report_io(ctx, global.error_format, &e);
                return e.exit();
            }
        }
    };
    let (denials, stats) = parse_log(&text);
    let from = input::source_name(&args.from_log);
    if denials.is_empty() {
        ctx.say(format_args!(
            "error: no AppArmor, SELinux or Landlock denial record in {from} ({} line{} read)",
            stats.lines,
            if stats.lines == 1 { "" } else { "s" }
        ));
        ctx.say("help: pass the kernel's audit records: `ausearch -m AVC,1423 -i`, `journalctl -k`, `dmesg`, or /var/log/audit/audit.log");
        return EXIT_USAGE;
    }
    let s = denial::suggest(&loaded.policy, &denials);
    let origin = format!("`polc suggest` from {from}");
    output(
        &Output {
            file: &args.file,
            policy: &loaded.policy,
            suggestions: &s,
            stats: &stats,
            from: &from,
            origin: &origin,
            write: args.write,
            format: args.format,
        },
        None::<()>,
        global,
        ctx,
    )
}

/// What [`output`] prints or writes.
pub struct Output<'a> {
    /// The policy file.
    pub file: &'a Path,
    /// The policy as loaded.
    pub policy: &'a Policy,
    /// The proposal.
    pub suggestions: &'a Suggestions,
    /// What the log held.
    pub stats: &'a LogStats,
    /// Where the records came from, for the summary.
    pub from: &'a str,
    /// Where the rules came from, for the comment of the written block.
    pub origin: &'a str,
    /// `--write`.
    pub write: bool,
    /// `--format`.
    pub format: OutputFormat,
}

/// Print the proposal (and with `--write`, write it and print the diff).
pub fn output<T: Serialize>(
    o: &Output<'_>,
    learn: Option<T>,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    let rules = rules_text(o.policy, o.suggestions);
    let mut diff_report = None;
    let mut exit = EXIT_OK;
    if o.write && !o.suggestions.rules.is_empty() {
        match write_back(o.file, &rules, o.origin, o.policy, global, ctx) {
            Ok(r) => diff_report = Some(r),
            Err(code) => return code,
        }
    }
    let file = input::source_name(o.file);
    let text = match o.format {
        OutputFormat::Human => {
            let mut t = summary(o.suggestions, o.stats, o.from);
            if !rules.is_empty() {
                t.push('\n');
                t.push_str(&rules);
            }
            let rest = not_proposed(o.suggestions);
            if !rest.is_empty() {
                t.push('\n');
                t.push_str(&rest);
            }
            if let Some(r) = &diff_report {
                let _ = writeln!(
                    t,
                    "\n# written to {file}; what the policy grants now that it did not:"
                );
                t.push_str(&crate::text::diff::human(
                    r,
                    &format!("{file} (before)"),
                    &file,
                ));
            }
            render::sanitize(&t)
        }
        OutputFormat::Json => {
            let doc = Document {
                file: file.clone(),
                from: o.from,
                log: o.stats,
                suggestions: o.suggestions,
                text: rules,
                diff: diff_report,
                learn,
            };
            serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                + "\n"
        }
    };
    exit = exit.max(write_output(None, text.as_bytes(), global, ctx));
    exit
}

/// Add `rules` (formatted statements) to the policy in `file` as a block at its end,
/// check the result, write it atomically, and return the diff of before and after.
pub fn write_back(
    file: &Path,
    rules: &str,
    origin: &str,
    old: &Policy,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> Result<Report, u8> {
    let new_text = with_rules(file, rules, origin, global, ctx)?;
    let opts = prepare(global, ctx)?;
    let src = Source::new(input::source_name(file), new_text.clone());
    let new = match crate::load(&src, &opts) {
        Ok(l) => l.policy,
        Err(failed) => {
            ctx.say("error: the policy with the proposed rules does not check; nothing written:");
            render::emit(
                ctx,
                global.error_format,
                &failed.diagnostics,
                &failed.sources,
            );
            return Err(EXIT_FINDINGS);
        }
    };
    if let Err(e) = input::write_atomic(file, new_text.as_bytes()) {
        report_io(ctx, global.error_format, &e);
        return Err(e.exit());
    }
    Ok(Report::new(diff(old, &new)))
}

/// The text of `file` with `rules` added at the end of its policy, formatted.
pub fn with_rules(
    file: &Path,
    rules: &str,
    origin: &str,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> Result<String, u8> {
    let src = input::read_source(file).map_err(|e| {
        report_io(ctx, global.error_format, &e);
        e.exit()
    })?;
    let text = src.text.clone();
    let (ast, _) = syntax::parse(&src.name, &text);
    let close = ast
        .items
        .iter()
        .find(|i| i.kind == polc_lang::ast::ItemKind::Policy)
        .map(|i| i.span.end.saturating_sub(1))
        .filter(|&at| text.as_bytes().get(at) == Some(&b'}'));
    let Some(close) = close else {
        ctx.say(format_args!(
            "error: cannot find the end of the policy in {}: nothing written",
            input::display(file)
        ));
        return Err(EXIT_USAGE);
    };
    let mut block = format!("\n    # Added by {}: review before use\n", one_line(origin));
    for l in rules.lines() {
        block.push_str("    ");
        block.push_str(l);
        block.push('\n');
    }
    let (head, tail) = text.split_at(close);
    let joined = format!("{}\n{block}{tail}", head.trim_end());
    polc_lang::fmt::format_source(&src.name, &joined).map_err(|diags| {
        render::emit(ctx, global.error_format, &diags, &Default::default());
        EXIT_FINDINGS
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_log_is_read_whatever_its_lines() {
        let log = "\
Dec  7 07:00:00 host kernel: eth0: link up
type=SYSCALL msg=audit(1.2:3): arch=c000003e syscall=257 success=no exit=-13
audit: type=1423 audit(1.2:4): domain=1a blockers=fs.read_file path=\"/etc/hostname\" dev=\"vda\" ino=611
audit: type=1424 audit(1.2:4): domain=1a status=allocated mode=enforcing pid=7 uid=0 exe=\"/x\" comm=\"x\"
audit: type=1423 audit(1.2:5): domain=1a path=\"/etc/x\"

";
        let (denials, stats) = parse_log(log);
        assert_eq!(denials.len(), 1);
        assert_eq!(stats.lines, 5);
        assert_eq!(stats.records, 1);
        assert_eq!(stats.skipped, 3);
        assert_eq!(stats.unreadable.len(), 1);
        assert_eq!(stats.unreadable[0].0, 5);
    }
}
