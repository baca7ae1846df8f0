//! `polc import apparmor PROFILE [-I DIR]... [--profile NAME] [--strict] [--report human|json] [-o FILE]`:
//! read an AppArmor profile and write a polc policy, with a report per source rule.

use super::input::{self, IoFailure};
use super::{render, Ctx, ErrorFormat, GlobalArgs, EXIT_FINDINGS, EXIT_OK};
use crate::import::{self, ImportError, ImportOptions, IncludeRequest, Resolved, Resolver};
use clap::{Args, Subcommand, ValueEnum};
use polc_apparmor::import::{Class, Imported};
use polc_lang::{LoadOptions, Source};
use std::path::{Component, Path, PathBuf};

/// `polc import FORMAT ...`
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// What to import.
    #[command(subcommand)]
    pub from: ImportFrom,
}

/// The formats `polc import` reads.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportFrom {
    /// An AppArmor profile (apparmor.d(5) syntax)
    #[command(name = "apparmor")]
    AppArmor(AppArmorArgs),
}

/// How `polc import` reports on each source rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One line per rule that is not exact, and a summary
    #[default]
    Human,
    /// One JSON document with every rule
    Json,
}

/// `polc import apparmor PROFILE ...`
#[derive(Debug, Clone, Args)]
pub struct AppArmorArgs {
    /// The profile file
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// A directory that holds `abstractions/` and `tunables/` for `include <...>`
    /// (repeatable, searched in order; default /etc/apparmor.d)
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// Which profile of the file to import (its AppArmor or polc name); default the first
    #[arg(long = "profile", value_name = "NAME")]
    pub name: Option<String>,
    /// Exit 1 unless every source rule imports exactly
    #[arg(long)]
    pub strict: bool,
    /// The report on standard error: `human` (rules that are not exact, and totals) or
    /// `json` (every rule)
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub report: ReportFormat,
    /// Write the policy to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Includes from directories: `<name>` in each `-I` directory in order, `"name"` relative
/// to the including file's directory (or absolute).
#[derive(Clone, Debug)]
pub struct DirResolver {
    /// The search directories of `<name>`.
    pub dirs: Vec<PathBuf>,
    /// The directory of the profile, for `"name"` includes of the profile itself.
    pub base: PathBuf,
}

impl DirResolver {
    fn read(path: &Path, shown: String) -> Resolved {
        if path.is_dir() {
            let Ok(rd) = std::fs::read_dir(path) else {
                return Resolved::Missing;
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                // apparmor_parser skips these in included directories.
                .filter(|n| !n.starts_with('.') && !n.ends_with('~') && !n.contains(".dpkg-"))
                .collect();
            names.sort();
            return Resolved::Dir(names);
        }
        match crate::limits::read_file(path, crate::limits::MAX_POLICY_BYTES) {
            Ok(text) => Resolved::File { name: shown, text },
            Err(_) => Resolved::Missing,
        }
    }
}

impl Resolver for DirResolver {
    fn resolve(&self, req: &IncludeRequest<'_>) -> Resolved {
        let rel = Path::new(req.name);
        if req.search {
            // `<name>` is relative to a search directory and never leaves it.
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Resolved::Missing;
            }
            for d in &self.dirs {
                let p = d.join(rel);
                if p.exists() {
                    return Self::read(&p, req.name.to_string());
                }
            }
            return Resolved::Missing;
        }
        let p = if rel.is_absolute() {
            rel.to_path_buf()
        } else {
            self.base.join(rel)
        };
        if p.exists() {
            Self::read(&p, input::display(&p))
        } else {
            Resolved::Missing
        }
    }
}

/// Run `polc import`.
pub fn run(args: &ImportArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    match &args.from {
        ImportFrom::AppArmor(a) => apparmor(a, global, ctx),
    }
}

fn apparmor(args: &AppArmorArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let src = match input::read_source(&args.profile) {
        Ok(s) => s,
        Err(e) => {
            report_io(ctx, global, &e);
            return e.exit();
        }
    };
    let dirs = if args.include.is_empty() {
        vec![PathBuf::from("/etc/apparmor.d")]
    } else {
        args.include.clone()
    };
    let resolver = DirResolver {
        dirs,
        base: args
            .profile
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let opts = ImportOptions {
        profile: args.name.clone(),
    };
    let imp = match import::apparmor(&src.name, &src.text, &resolver, &opts) {
        Ok(i) => i,
        Err(e) => {
            report_error(ctx, global, &e);
            return EXIT_FINDINGS;
        }
    };
    report(ctx, args.report, &imp.imported);
    // The policy must check: otherwise it is not written.
    let name = match &args.output {
        Some(p) if !input::is_stdout(p) => input::display(p),
        _ => format!("{}.pol", imp.imported.name),
    };
    let checked = polc_lang::load(
        &Source::new(&name, imp.policy.clone()),
        &LoadOptions::default(),
    );
    if let Err(f) = checked {
        render::emit(ctx, global.error_format, &f.diagnostics, &f.sources);
        ctx.say(format_args!(
            "error[E0506]: the policy imported from `{}` does not check; it is not written",
            src.name
        ));
        return EXIT_FINDINGS;
    }
    let code =
        super::compile::write_output(args.output.as_deref(), imp.policy.as_bytes(), global, ctx);
    if code != EXIT_OK {
        return code;
    }
    let (exact, approx, not) = imp.imported.counts();
    if args.strict && approx + not > 0 {
        ctx.say(format_args!(
            "error[E0507]: {} of {} source rules are not imported exactly (--strict)",
            approx + not,
            exact + approx + not
        ));
        return EXIT_FINDINGS;
    }
    EXIT_OK
}

fn report_io(ctx: &mut Ctx<'_>, global: &GlobalArgs, e: &IoFailure) {
    super::check::report_io(ctx, global.error_format, e);
}

/// An import error, as `error[E05xx]: message` with its location and help, or as JSON.
fn report_error(ctx: &mut Ctx<'_>, global: &GlobalArgs, e: &ImportError) {
    match global.error_format {
        ErrorFormat::Human => {
            ctx.say(format_args!("error[{}]: {}", e.kind.code(), e.message));
            let place = if e.line == 0 {
                render::sanitize_line(&e.file)
            } else {
                format!("{}:{}:{}", render::sanitize_line(&e.file), e.line, e.column)
            };
            let _ = writeln!(ctx.stderr, "  --> {place}\n  = help: {}", e.kind.help());
        }
        ErrorFormat::Json => {
            let v = serde_json::json!({
                "code": e.kind.code(),
                "severity": "error",
                "message": e.message,
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "help": e.kind.help(),
            });
            let _ = writeln!(ctx.stderr, "{v}");
        }
    }
}

/// The import report on stderr.
fn report(ctx: &mut Ctx<'_>, format: ReportFormat, p: &Imported) {
    let (exact, approx, not) = p.counts();
    match format {
        ReportFormat::Human => {
            for e in &p.entries {
                if e.class == Class::Exact {
                    continue;
                }
                let _ = writeln!(
                    ctx.stderr,
                    "{}:{}:{}: {} ({}): {}",
                    render::sanitize_line(&e.file),
                    e.line,
                    e.column,
                    e.class.as_str(),
                    render::sanitize_line(&e.note),
                    render::sanitize_line(&e.source)
                );
            }
            ctx.say(format_args!(
                "imported profile `{}` as policy `{}`: {} source rules, {exact} exact, {approx} approximated, {not} not importable",
                p.source_name,
                p.name,
                exact + approx + not
            ));
        }
        ReportFormat::Json => {
            let _ = writeln!(ctx.stderr, "{}", report_json(p));
        }
    }
}

/// The JSON report of an import.
pub fn report_json(p: &Imported) -> serde_json::Value {
    let (exact, approx, not) = p.counts();
    let entries: Vec<serde_json::Value> = p
        .entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file,
                "line": e.line,
                "column": e.column,
                "source": e.source,
                "class": e.class.as_str(),
                "note": e.note,
                "constructs": e.constructs,
                "polc": e.polc,
                "child": e.child,
            })
        })
        .collect();
    serde_json::json!({
        "profile": p.source_name,
        "policy": p.name,
        "counts": {"exact": exact, "approximated": approx, "not_importable": not},
        "other_profiles": p.other_profiles,
        "rules": entries,
    })
}
