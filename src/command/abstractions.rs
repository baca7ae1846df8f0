//! `polc abstractions list` and `polc abstractions show NAME`: the abstractions on the
//! search path (built-in, the distribution's and the site's directories, then every
//! `--abstractions DIR`), which one `use NAME` finds, what one grants and how each
//! backend enforces it.

use super::check::report_io;
use super::input::{self, SearchDir};
use super::{
    diff, render, report, Ctx, ErrorFormat, GlobalArgs, LsmArg, OutputFormat, EXIT_FINDINGS,
    EXIT_OK, EXIT_USAGE,
};
use clap::{Args, Subcommand};
use polc_lang::catalog::{self, Catalog, Entry};
use polc_lang::diagnostics::{Code, Diagnostic};
use polc_lang::eval::RuleKind;
use polc_lang::fidelity::{Fidelity, FidelityReport};
use polc_lang::ir::{Origin, Policy};
use polc_lang::{LoadOptions, Source};
use serde_json::{json, Map, Value};

/// What `from` says of a built-in abstraction.
const BUILTIN: &str = "builtin";

/// `polc abstractions list|show`
#[derive(Debug, Clone, Args)]
pub struct AbstractionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AbstractionsCommand,
}

/// The subcommands of `polc abstractions`.
#[derive(Debug, Clone, Subcommand)]
pub enum AbstractionsCommand {
    /// List every abstraction on the search path: name, version, where it comes from,
    /// what it overrides or what shadows it, and the first line of its header comment
    #[command(after_help = "Examples:\n  polc abstractions list\n  \
        polc --abstractions ./site abstractions list --format json\n  \
        POLC_ABSTRACTIONS_PATH= polc abstractions list    # the built-in ones only\n\n\
        Search path, later overrides earlier: the built-in abstractions, then\n\
        /usr/share/polc/abstractions, then /etc/polc/abstractions (or the directories of\n\
        POLC_ABSTRACTIONS_PATH, separated by `:`, instead of these two), then each\n\
        --abstractions DIR in order. A policy's own abstraction overrides all of them.\n\
        Exit status: 0 listed, 1 an abstraction file has errors (the others are listed),\n\
        2 usage error or a directory that cannot be read.")]
    List(ListArgs),
    /// Show one abstraction: its file, its header comment, the rules it grants, and how
    /// faithfully AppArmor, SELinux and Landlock enforce them
    #[command(after_help = "Examples:\n  polc abstractions show tmp\n  \
        polc abstractions show base --target apparmor --target landlock\n  \
        polc abstractions show network-client --format json\n  \
        polc abstractions show base --target selinux \\\n      \
        --selinux-file-contexts /etc/selinux/default/contexts/files/file_contexts\n\n\
        Each backend compiles `policy show.NAME { use NAME }` as `polc compile` does (best\n\
        effort): exact, narrowed (the kernel enforces less), widened (the kernel allows more)\n\
        or unsupported, with the reason of every rule that is not exact. SELinux needs the\n\
        target's file contexts for paths (--selinux-file-contexts) and port contexts for\n\
        network rules (--selinux-port-contexts); without them it says so.\n\
        Exit status: 0 shown, 1 no such abstraction or it has errors, 2 usage or I/O error.")]
    Show(ShowArgs),
}

/// `polc abstractions list [--format human|json]`
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

/// `polc abstractions show NAME [--format human|json] [--target BACKEND]...`
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The abstraction's name (e.g. base)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Backends (all three when no --target is given)
    #[command(flatten)]
    pub target: diff::TargetArgs,
}

/// Run `polc abstractions ...`.
pub fn run(args: &AbstractionsArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    match &args.command {
        AbstractionsCommand::List(a) => list(a, global, ctx),
        AbstractionsCommand::Show(a) => show(a, global, ctx),
    }
}

/// The search path read and its catalog, the catalog's diagnostics reported; on a read
/// failure, the exit code.
fn read_catalog(
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> Result<(Vec<SearchDir>, LoadOptions, Catalog), u8> {
    let dirs = input::abstraction_search_path(&global.abstractions).map_err(|e| {
        report_io(ctx, global.error_format, &e);
        e.exit()
    })?;
    let opts = input::load_options_with(global, &dirs).map_err(|u| {
        ctx.say(u);
        EXIT_USAGE
    })?;
    let cat = catalog::catalog(&opts);
    render::emit(ctx, global.error_format, &cat.diagnostics, &cat.sources);
    Ok((dirs, opts, cat))
}

/// Where an abstraction comes from, as shown: `builtin` or its file.
fn from(source: &str) -> String {
    if source.starts_with("stdlib:") {
        BUILTIN.to_string()
    } else {
        source.to_string()
    }
}

fn name_version(e: &Entry) -> String {
    match e.version {
        Some(v) => format!("{}@{v}", e.name),
        None => e.name.clone(),
    }
}

/// `polc abstractions list`.
pub fn list(args: &ListArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (dirs, _, cat) = match read_catalog(global, ctx) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let code = if cat.diagnostics.iter().any(Diagnostic::is_error) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    let out = match args.format {
        OutputFormat::Human => human_list(&dirs, &cat),
        OutputFormat::Json => {
            let v = json!({
                "search_path": search_path_json(&dirs),
                "abstractions": cat.entries.iter().map(entry_json).collect::<Vec<_>>(),
            });
            pretty(&v)
        }
    };
    finish(ctx, &out, code)
}

fn human_list(dirs: &[SearchDir], cat: &Catalog) -> String {
    let line = |s: &str| render::sanitize_line(s);
    let mut path = vec![BUILTIN.to_string()];
    path.extend(dirs.iter().map(|d| {
        let missing = if d.files.is_none() { " (missing)" } else { "" };
        format!("{}{missing}", line(&input::display(&d.path)))
    }));
    let mut out = format!(
        "search path, later overrides earlier: {}\n",
        path.join(", ")
    );
    let rows: Vec<(String, String, &Entry)> = cat
        .entries
        .iter()
        .map(|e| (line(&name_version(e)), line(&from(&e.source)), e))
        .collect();
    let w1 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w2 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (nv, src, e) in &rows {
        let summary = line(e.summary().unwrap_or(""));
        let row = format!("{nv:<w1$}  {src:<w2$}  {summary}");
        out.push_str(row.trim_end());
        out.push('\n');
        let note = match &e.shadowed_by {
            Some(by) => format!("shadowed by {}", line(&from(by))),
            None if !e.overrides.is_empty() => {
                let hidden: Vec<String> = e.overrides.iter().map(|o| line(&from(o))).collect();
                format!("overrides {}", hidden.join(", "))
            }
            None => continue,
        };
        out.push_str(&format!("{:w1$}    {note}\n", ""));
    }
    out
}

fn search_path_json(dirs: &[SearchDir]) -> Vec<Value> {
    dirs.iter()
        .map(|d| {
            json!({
                "path": input::display(&d.path),
                "origin": d.origin,
                "found": d.files.is_some(),
                "files": d.files.as_ref().map_or(0, Vec::len),
            })
        })
        .collect()
}

fn entry_json(e: &Entry) -> Value {
    Value::Object(entry_map(e))
}

fn entry_map(e: &Entry) -> Map<String, Value> {
    let mut m = Map::new();
    let v = json!({
        "name": e.name,
        "version": e.version,
        "from": from(&e.source),
        "file": e.source,
        "dir": e.dir,
        "summary": e.summary(),
        "overrides": e.overrides.iter().map(|o| from(o)).collect::<Vec<_>>(),
        "shadowed_by": e.shadowed_by.as_deref().map(from),
    });
    if let Value::Object(o) = v {
        m = o;
    }
    m
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn finish(ctx: &mut Ctx<'_>, out: &str, code: u8) -> u8 {
    match ctx
        .stdout
        .write_all(out.as_bytes())
        .and_then(|()| ctx.stdout.flush())
    {
        Ok(()) => code,
        Err(e) => {
            ctx.say(format_args!("cannot write to standard output: {e}"));
            EXIT_USAGE
        }
    }
}

/// One backend's view of the abstraction: its report, or why it could not compile.
enum BackendView {
    Report(FidelityReport),
    Failed {
        backend: LsmArg,
        message: String,
        help: Option<String>,
    },
}

/// `polc abstractions show NAME`.
pub fn show(args: &ShowArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let (_, opts, cat) = match read_catalog(global, ctx) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(entry) = cat.used(&args.name) else {
        return unknown(&args.name, &cat, global, ctx);
    };
    let compile_opts = match args.target.options(ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let src = Source::new(
        format!("<abstractions show {}>", entry.name),
        format!(
            "policy show.{} {{\n    use {}\n}}\n",
            entry.name, entry.name
        ),
    );
    let loaded = match crate::load(&src, &opts) {
        Ok(l) => {
            render::emit(ctx, global.error_format, &l.warnings, &l.sources);
            l
        }
        Err(failed) => {
            render::emit(
                ctx,
                global.error_format,
                &failed.diagnostics,
                &failed.sources,
            );
            if !failed.diagnostics.iter().any(Diagnostic::is_error) {
                render::emit_unexplained_failure(ctx, global.error_format, &src.name);
            }
            return EXIT_FINDINGS;
        }
    };
    let backends = if args.target.targets.is_empty() {
        vec![LsmArg::AppArmor, LsmArg::SeLinux, LsmArg::Landlock]
    } else {
        args.target.targets.clone()
    };
    let views: Vec<BackendView> = backends
        .into_iter()
        .map(
            |b| match crate::compile::report(&loaded.policy, b.into(), &compile_opts) {
                Ok(mut report) => {
                    for e in &mut report.entries {
                        e.origins = e.origins.iter().map(without_show).collect();
                    }
                    BackendView::Report(report)
                }
                Err(e) => BackendView::Failed {
                    backend: b,
                    message: e.to_string(),
                    help: e.help(),
                },
            },
        )
        .collect();
    let out = match args.format {
        OutputFormat::Human => human_show(entry, &loaded.policy, &views),
        OutputFormat::Json => pretty(&show_json(entry, &loaded.policy, &views)),
    };
    finish(ctx, &out, EXIT_OK)
}

/// An unknown abstraction: E0102 (as for `use NAME`), with a near name if there is one.
fn unknown(name: &str, cat: &Catalog, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let shown = name.escape_default().to_string();
    let near = polc_lang::check::suggest(name, cat.names());
    let help = match near {
        Some(s) => format!(
            "did you mean `{s}`? `polc abstractions list` shows every abstraction on the search path"
        ),
        None => "`polc abstractions list` shows every abstraction on the search path".into(),
    };
    let message = format!("unknown abstraction `{shown}`");
    match global.error_format {
        ErrorFormat::Human => {
            ctx.say(format_args!("error[E0102]: {message}"));
            ctx.say(format_args!("help: {help}"));
        }
        ErrorFormat::Json => {
            let d = Diagnostic::unlocated(Code::UnknownAbstraction, "", message).with_help(help);
            render::emit(ctx, global.error_format, &[d], &Default::default());
        }
    }
    EXIT_FINDINGS
}

/// Every rule of the policy as the language writes it, with the origin of its first
/// statement.
fn rules(policy: &Policy) -> Vec<(RuleKind, String, Vec<String>)> {
    let lists = [
        (RuleKind::File, policy.files.len()),
        (RuleKind::Net, policy.net.len()),
        (RuleKind::Capability, policy.capabilities.len()),
        (RuleKind::Signal, policy.signals.len()),
        (RuleKind::Unix, policy.unix.len()),
        (RuleKind::NetFamily, policy.net_families.len()),
        (RuleKind::Ptrace, policy.ptrace.len()),
        (RuleKind::Dbus, policy.dbus.len()),
    ];
    let origins = |kind: RuleKind, i: usize| -> Vec<String> {
        let all: Vec<&Origin> = match kind {
            RuleKind::File => policy
                .files
                .get(i)
                .map(|r| r.origins.iter().map(|o| &o.origin).collect())
                .unwrap_or_default(),
            RuleKind::Net => policy
                .net
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::Capability => policy
                .capabilities
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::Signal => policy
                .signals
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::Unix => policy
                .unix
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::NetFamily => policy
                .net_families
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::Ptrace => policy
                .ptrace
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
            RuleKind::Dbus => policy
                .dbus
                .get(i)
                .map(|r| r.origins.iter().collect())
                .unwrap_or_default(),
        };
        all.into_iter()
            .map(|o| without_show(o).to_string())
            .collect()
    };
    lists
        .into_iter()
        .flat_map(|(kind, n)| (0..n).map(move |i| (kind, i)))
        .filter_map(|(kind, i)| {
            crate::describe_rule(policy, kind, i).map(|text| (kind, text, origins(kind, i)))
        })
        .collect()
}

/// An origin without the first step of its chain, the `use NAME` of the policy `show`
/// compiles: the chain as seen from the abstraction.
fn without_show(o: &Origin) -> Origin {
    let mut o = o.clone();
    if !o.via.is_empty() {
        o.via.remove(0);
    }
    o
}

fn counts(r: &FidelityReport) -> [(Fidelity, usize); 4] {
    let n = |f: Fidelity| r.entries.iter().filter(|e| e.fidelity == f).count();
    [
        (Fidelity::Exact, n(Fidelity::Exact)),
        (Fidelity::Narrowed, n(Fidelity::Narrowed)),
        (Fidelity::Widened, n(Fidelity::Widened)),
        (Fidelity::Unsupported, n(Fidelity::Unsupported)),
    ]
}

fn human_show(e: &Entry, policy: &Policy, views: &[BackendView]) -> String {
    let line = |s: &str| render::sanitize_line(s);
    let mut out = format!(
        "abstraction {}\nfrom: {}\n",
        line(&name_version(e)),
        line(&from(&e.source))
    );
    if !e.overrides.is_empty() {
        let hidden: Vec<String> = e.overrides.iter().map(|o| line(&from(o))).collect();
        out.push_str(&format!("overrides: {}\n", hidden.join(", ")));
    }
    if !e.header.is_empty() {
        out.push('\n');
        for l in &e.header {
            out.push_str(format!("  {}", line(l)).trim_end());
            out.push('\n');
        }
    }
    let rules = rules(policy);
    let plural = if rules.len() == 1 { "" } else { "s" };
    out.push_str(&format!("\ngrants ({} rule{plural}):\n", rules.len()));
    for (_, text, origins) in &rules {
        let at = origins
            .first()
            .map(|o| format!("  at {}", line(o)))
            .unwrap_or_default();
        out.push_str(&format!("  {}{at}\n", line(text)));
    }
    for v in views {
        out.push('\n');
        match v {
            BackendView::Report(r) => out.push_str(&report::human_entries(r, false)),
            BackendView::Failed {
                backend,
                message,
                help,
            } => {
                out.push_str(&format!(
                    "fidelity ({}): not compiled: {}\n",
                    crate::Lsm::from(*backend),
                    line(message)
                ));
                if let Some(h) = help {
                    out.push_str(&format!("  help: {h}\n"));
                }
            }
        }
    }
    out
}

fn show_json(e: &Entry, policy: &Policy, views: &[BackendView]) -> Value {
    let rules: Vec<Value> = rules(policy)
        .into_iter()
        .map(|(kind, text, origins)| json!({"kind": kind, "rule": text, "origins": origins}))
        .collect();
    let fidelity: Vec<Value> = views
        .iter()
        .map(|v| match v {
            BackendView::Report(r) => {
                let mut o = Map::new();
                o.insert("backend".into(), json!(r.backend));
                o.insert("target".into(), json!(r.target));
                for (f, n) in counts(r) {
                    o.insert(f.name().into(), json!(n));
                }
                let findings: Vec<&polc_lang::fidelity::RuleFidelity> = r
                    .entries
                    .iter()
                    .filter(|x| x.fidelity != Fidelity::Exact)
                    .collect();
                o.insert("not_exact".into(), json!(findings));
                Value::Object(o)
            }
            BackendView::Failed {
                backend,
                message,
                help,
            } => json!({
                "backend": crate::Lsm::from(*backend).name(),
                "error": message,
                "help": help,
            }),
        })
        .collect();
    let mut v = entry_map(e);
    v.insert("header".into(), json!(e.header));
    v.insert("rules".into(), json!(rules));
    v.insert("fidelity".into(), json!(fidelity));
    Value::Object(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn builtin_sources_are_shown_as_builtin() {
        assert_eq!(from("stdlib:tmp"), "builtin");
        assert_eq!(
            from("/etc/polc/abstractions/tmp.pol"),
            "/etc/polc/abstractions/tmp.pol"
        );
    }
}
