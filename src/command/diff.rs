//! `polc diff OLD NEW`: what NEW grants that OLD did not, what it no longer grants, and
//! (with `--target`) how each backend's kernel would enforce the difference.

use super::check::load_policy;
use super::compile::write_output;
use super::{
    render, BackendArgs, Ctx, GlobalArgs, LsmArg, OutputFormat, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE,
};
use crate::compile::CompileOptions;
use crate::text::diff::human;
use clap::{Args, ValueEnum};
use polc_lang::diff::target::{target_diff, TargetDiff};
use polc_lang::diff::Report;
use polc_lang::fidelity::FidelityReport;
use polc_lang::ir::Policy;
use std::path::PathBuf;

/// When `polc diff` exits 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// On any difference in meaning.
    #[default]
    Any,
    /// Only when NEW grants more (any change that is not a narrowing).
    Broaden,
}

/// Backend options shared by `diff` and `explain`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Also show how a backend's kernel would enforce it (repeatable)
    #[arg(long = "target", value_enum, value_name = "BACKEND")]
    pub targets: Vec<LsmArg>,
    /// The AppArmor ABI for --target apparmor: 3.0 or 4.0
    #[arg(long, value_name = "ABI", default_value = "3.0")]
    pub apparmor_abi: String,
    /// The Landlock ABI for --target landlock: 1 to 7
    #[arg(long, value_name = "ABI", default_value_t = polc_landlock::MAX_ABI)]
    pub landlock_abi: u8,
    /// The directory the Landlock plan resolves globs and denies against
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub landlock_root: PathBuf,
    /// For --target selinux: the target system's SELinux file_contexts file
    #[arg(long, value_name = "PATH")]
    pub selinux_file_contexts: Option<PathBuf>,
    /// For --target selinux: the target system's port contexts (`seinfo --portcon -x`)
    #[arg(long, value_name = "PATH")]
    pub selinux_port_contexts: Option<PathBuf>,
}

impl TargetArgs {
    /// The compile options of `--target` (best effort, as an installer without
    /// `--strict`), read as `polc compile` reads its backend options; on error, the
    /// message is said and the exit code returned.
    pub fn options(&self, ctx: &mut Ctx<'_>) -> Result<CompileOptions, u8> {
        let backend = BackendArgs {
            strict: false,
            apparmor_abi: self.apparmor_abi.clone(),
            landlock_abi: self.landlock_abi,
            landlock_root: self.landlock_root.clone(),
            selinux_file_contexts: self.selinux_file_contexts.clone(),
            selinux_port_contexts: self.selinux_port_contexts.clone(),
            selinux_launcher: Vec::new(),
            selinux_attribute: Vec::new(),
            report: None,
        };
        super::report::options(&backend, ctx)
    }
}

/// `polc diff OLD NEW [--format human|json] [--fail-on any|broaden] [--target BACKEND]...`
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The old policy (`.pol` text or `.json` form)
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The new policy
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Exit 1 on any difference, or only when NEW grants more
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    pub fail_on: FailOn,
    /// Backends
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The fidelity report of `policy` on `backend`; `Err` says why there is none.
pub fn fidelity_report(
    policy: &Policy,
    backend: LsmArg,
    options: &CompileOptions,
) -> Result<FidelityReport, String> {
    crate::compile::report(policy, backend.into(), options).map_err(|e| {
        let help = e.help().map_or(String::new(), |h| format!(" ({h})"));
        format!("cannot compile `{}` for --target: {e}{help}", policy.name)
    })
}

/// Compare two policies; exit 0 when they mean the same, 1 when they differ (with
/// `--fail-on broaden`, only when NEW grants more), 2 on any error.
pub fn run(args: &DiffArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    // A policy with errors is an error of the comparison: 1 means "different".
    let as_error = |code: u8| {
        if code == EXIT_FINDINGS {
            EXIT_USAGE
        } else {
            code
        }
    };
    if super::input::is_stdin(&args.old) && super::input::is_stdin(&args.new) {
        ctx.say("error: OLD and NEW cannot both be `-`: standard input is read once");
        return EXIT_USAGE;
    }
    let old = match load_policy(&args.old, global, ctx) {
        Ok(l) => l,
        Err(code) => return as_error(code),
    };
    let new = match load_policy(&args.new, global, ctx) {
        Ok(l) => l,
        Err(code) => return as_error(code),
    };
    let mut report = Report::of(&old, &new);
    let options = if args.target.targets.is_empty() {
        CompileOptions::default()
    } else {
        match args.target.options(ctx) {
            Ok(o) => o,
            Err(code) => return code,
        }
    };
    for &backend in &args.target.targets {
        let reports = fidelity_report(&old.policy, backend, &options)
            .and_then(|o| fidelity_report(&new.policy, backend, &options).map(|n| (o, n)));
        match reports {
            Ok((o, n)) => {
                report
                    .targets
                    .push(target_diff(&report.diff, &old.policy, &o, &new.policy, &n))
            }
            Err(e) => {
                ctx.say(e);
                return EXIT_USAGE;
            }
        }
    }
    let text = match args.format {
        OutputFormat::Human => render::sanitize(&human(
            &report,
            &super::input::source_name(&args.old),
            &super::input::source_name(&args.new),
        )),
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                + "\n"
        }
    };
    let written = write_output(None, text.as_bytes(), global, ctx);
    if written != EXIT_OK {
        return written;
    }
    exit_code(&report, args.fail_on)
}

/// 0 or 1 from a report: any difference (a change, or a shared rule whose enforcement
/// changed on a target), or only broadening (a change that is not a narrowing, or a
/// target on which NEW's enforcement is widened or unsupported somewhere).
pub fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    let failed = match fail_on {
        FailOn::Any => report.differs() || report.targets.iter().any(|t| !t.rules.is_empty()),
        FailOn::Broaden => report.broadens() || report.targets.iter().any(TargetDiff::widens),
    };
    if failed {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
