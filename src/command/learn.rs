//! `polc learn POLICY [--write] [--iterations N] -- CMD ARGS...`: run a command under
//! Landlock with the policy, collect the kernel's records of what it was refused, and
//! propose rules as `polc suggest` does.
//!
//! Each run is the one of `polc run --lsm landlock` with denial logging. The records
//! are read from the kernel's audit (see [`super::audit`]); only those of the run's
//! Landlock domain are kept: the domain is the one whose `type=1424` record names the
//! child's pid as its creator. With `--iterations N`, the command runs again under the
//! policy with the rules proposed so far, until a run has no denial, nothing new is
//! learned, or N runs are done.
//!
//! Exit status: 0 the command's last run succeeded, 1 it still failed (the proposal is
//! printed all the same) or the policy has errors, 2 usage or I/O error, or the host
//! cannot show Landlock denials (no Landlock, an ABI without denial logging, no access
//! to the audit records: the message says how to fix it).

use super::audit::{AuditLog, Record};
use super::check::load_policy;
use super::suggest::{self, LogStats, Output};
use super::{input, Ctx, GlobalArgs, OutputFormat, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::confine::{self, Error, ExecFix, Options};
use clap::Args;
use polc_lang::denial::{self, Access, Denial, Lsm, PathHint};
use polc_lang::ir::Policy;
use polc_lang::rights::Right;
use serde::Serialize;
use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

/// `polc learn POLICY -- CMD ARGS...`
#[derive(Debug, Clone, Args)]
pub struct LearnArgs {
    /// The policy file to start from (e.g. one with only `use base`)
    #[arg(value_name = "POLICY")]
    pub file: PathBuf,
    /// Add the learned rules to POLICY (a block at the end of the policy, with a
    /// comment saying where they came from; atomically) and print the `polc diff` of
    /// the policy before and after
    #[arg(long)]
    pub write: bool,
    /// Run the command up to N times, each under the rules learned so far, until a
    /// run has no denial or nothing new is learned
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=50))]
    pub iterations: u32,
    /// Make the first run a trace: the command runs NOT CONFINED under `strace`, and
    /// every file, exec and network access Landlock would check is learned at once (as
    /// AppArmor's complain mode does for aa-genprof); the runs after it are confined and
    /// check the result. Only for programs and inputs you trust
    #[arg(long)]
    pub trace: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// One run of the command.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// 1, 2, ...
    pub run: u32,
    /// The command's exit code (128 + a signal); `None` when it was not started
    /// because the policy did not let it execute the program (the rule was added).
    pub exit: Option<i32>,
    /// The run's Landlock domain, as the records name it.
    pub domain: Option<String>,
    /// Denial records of the run.
    pub denials: usize,
    /// Rules proposed after the run (all runs so far).
    pub rules: usize,
    /// The accesses refused in the run, in words (each once).
    pub refused: Vec<String>,
    /// The run was traced, not confined (`--trace`): `denials` counts the accesses it
    /// made that the policy did not allow.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub traced: bool,
}

/// What `--format json` adds for `learn`.
#[derive(Serialize)]
struct LearnInfo<'a> {
    command: Vec<String>,
    runs: &'a [RunReport],
    succeeded: bool,
}

/// `polc learn`.
pub fn run(args: &LearnArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    if input::is_stdin(&args.file) {
        ctx.say("error: polc learn needs a policy file, not `-`");
        return EXIT_USAGE;
    }
    let loaded = match load_policy(&args.file, global, ctx) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let original = loaded.policy;
    let abi = polc_landlock::kernel_abi();
    if abi == 0 {
        ctx.say("error: Landlock is not available on this kernel: polc learn runs the command under Landlock");
        ctx.say("help: use Linux >= 6.15 with Landlock enabled (CONFIG_SECURITY_LANDLOCK, `landlock` in the `lsm=` boot parameter, see /sys/kernel/security/lsm), or collect AppArmor/SELinux records in complain mode and run `polc suggest --from-log`");
        return EXIT_USAGE;
    }
    if abi < polc_landlock::LOG_DENIALS_ABI {
        ctx.say(format_args!(
            "error: this kernel's Landlock (ABI {abi}) cannot log denials after exec (ABI {} can, Linux >= 6.15): polc learn would see none",
            polc_landlock::LOG_DENIALS_ABI
        ));
        ctx.say("help: use a newer kernel, or collect AppArmor/SELinux records in complain mode and run `polc suggest --from-log`");
        return EXIT_USAGE;
    }
    let mut log = match AuditLog::open() {
        Ok(l) => l,
        Err(e) => {
            ctx.say(format_args!("error: {e}"));
            ctx.say(format_args!("help: {}", e.help()));
            return EXIT_USAGE;
        }
    };
    if log.enabled_here() {
        ctx.say("note: the kernel's audit was disabled: polc enables it while it learns and disables it again after");
    }
    let mut all: Vec<Denial> = Vec::new();
    let mut runs: Vec<RunReport> = Vec::new();
    let mut last_exit: Option<i32> = None;
    let mut prev_rules: Vec<String> = Vec::new();
    let mut n = 0;
    if args.trace {
        let (exit, accesses) = match traced_run(&args.command, ctx) {
            Ok(x) => x,
            Err(code) => return code,
        };
        // What the policy already allows is no news.
        let d = super::trace::as_denial(accesses);
        let new: Vec<Access> = denial::explain(&original, &d)
            .accesses
            .into_iter()
            .filter(|a| a.verdict != denial::Verdict::AllowedByPolicy)
            .map(|a| a.access)
            .collect();
        let count = new.len();
        let refused: Vec<String> = new
            .iter()
            .map(polc_lang::denial::Access::describe)
            .collect();
        all.push(super::trace::as_denial(new));
        let s = denial::suggest(&original, &all);
        prev_rules = s.rule_lines();
        n = 1;
        runs.push(RunReport {
            run: 1,
            exit: Some(exit),
            domain: None,
            denials: count,
            rules: prev_rules.len(),
            refused,
            traced: true,
        });
        last_exit = Some(exit);
        ctx.say(format_args!(
            "learn: run 1 (traced, not confined): exit {exit}, {count} access{} beyond the policy, {} rule{} proposed",
            if count == 1 { "" } else { "es" },
            prev_rules.len(),
            if prev_rules.len() == 1 { "" } else { "s" },
        ));
    }
    while n < args.iterations {
        n += 1;
        let s = denial::suggest(&original, &all);
        let current = match policy_with(&args.file, &original, &s, global, ctx) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let options = Options {
            lsm: Some(crate::Lsm::Landlock),
            landlock: crate::compile::landlock_config(&crate::compile::CompileOptions::default()),
            landlock_enforce: polc_landlock::EnforceOptions {
                log_denials: true,
                ..Default::default()
            },
            ..Options::default()
        };
        let (mut cmd, status) = match confine::command(&current, &args.command, &options) {
            Ok(x) => x,
            Err(Error::ExecDenied {
                path,
                fix: ExecFix::Add(_),
                ..
            }) => {
                // The program itself: learned without running it (as `polc run` checks
                // it before starting), in the same iteration.
                all.push(exec_denial(&path));
                n -= 1;
                let s = denial::suggest(&original, &all);
                if s.rule_lines() == prev_rules {
                    ctx.say("error: the proposed rules do not let the policy execute the program");
                    return EXIT_FINDINGS;
                }
                prev_rules = s.rule_lines();
                ctx.say(format_args!(
                    "learn: the policy does not let the command execute {path}: read and exec added"
                ));
                continue;
            }
            Err(e) => {
                ctx.say(format_args!("error: {e}"));
                if let Some(h) = e.advice() {
                    ctx.say(format_args!("help: {h}"));
                }
                return match e {
                    Error::ExecDenied { .. } => EXIT_FINDINGS,
                    _ => EXIT_USAGE,
                };
            }
        };
        if let confine::Detail::Landlock(l) = &status.detail {
            if !l.denials_logged {
                ctx.say("error: Landlock did not accept the request to log the command's denials");
                return EXIT_USAGE;
            }
        }
        // The command's output goes to polc's stderr: stdout is the proposal.
        if let Ok(err) = std::io::stderr().as_fd().try_clone_to_owned() {
            cmd.stdout(std::process::Stdio::from(err));
        }
        let _ = log.collect(
            Duration::from_millis(30),
            Duration::from_millis(300),
            |_| false,
        );
        let lost_before = log.lost();
        let _ = ctx.stderr.flush();
        let program = args
            .command
            .first()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (pid, exit) = match spawn_wait(&mut cmd) {
            Ok(x) => x,
            Err(e) => {
                ctx.say(format_args!("error: cannot start `{program}`: {e}"));
                return EXIT_USAGE;
            }
        };
        let pid = pid.to_string();
        let records = log.collect(Duration::from_millis(400), Duration::from_secs(5), |rs| {
            domain_of(rs, &pid).is_some_and(|d| {
                rs.iter().any(|r| {
                    r.kind == 1424
                        && r.field("domain") == Some(d)
                        && r.field("status") == Some("deallocated")
                })
            })
        });
        let domain = domain_of(&records, &pid).map(str::to_string);
        let mine: Vec<Denial> = records
            .iter()
            .filter(|r| r.kind == 1423 && r.field("domain") == domain.as_deref())
            .filter_map(|r| denial::parse(&r.line()).ok())
            .collect();
        if let (Some(before), Some(after)) = (lost_before, log.lost()) {
            if after > before {
                ctx.say(format_args!(
                    "warning: the kernel lost {} audit records during run {n}: some denials may be missing (run again)",
                    after - before
                ));
            }
        }
        let count = mine.len();
        let mut refused: Vec<String> = Vec::new();
        for a in mine.iter().flat_map(|d| &d.accesses) {
            let w = a.describe();
            if !refused.contains(&w) {
                refused.push(w);
            }
        }
        all.extend(mine);
        let s = denial::suggest(&original, &all);
        let rules = s.rule_lines();
        runs.push(RunReport {
            run: n,
            exit: Some(exit),
            domain,
            denials: count,
            rules: rules.len(),
            refused,
            traced: false,
        });
        last_exit = Some(exit);
        ctx.say(format_args!(
            "learn: run {n}: exit {exit}, {count} denial record{}, {} rule{} proposed",
            if count == 1 { "" } else { "s" },
            rules.len(),
            if rules.len() == 1 { "" } else { "s" },
        ));
        if count == 0 {
            if exit != 0 {
                ctx.say(format_args!(
                    "note: the command failed (exit {exit}) with no Landlock denial logged: its failure is not a refusal by this policy"
                ));
            }
            break;
        }
        if rules == prev_rules {
            ctx.say("note: this run's denials add no rule: stopping");
            if !s.already_allowed.is_empty() {
                ctx.say("note: the policy allows some of what Landlock refused: Landlock enforces less than those rules (a glob expanded at plan time does not cover what the command creates later); see `polc compile --target landlock --report human`");
            }
            break;
        }
        prev_rules = rules;
    }
    let s = denial::suggest(&original, &all);
    let stats = LogStats {
        lines: all.len(),
        records: all.len(),
        skipped: 0,
        unreadable: Vec::new(),
    };
    let from = format!(
        "{} run{} of `{}`",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        command_line(&args.command)
    );
    let origin = format!("`polc learn` ({from})");
    let succeeded = last_exit == Some(0);
    let info = LearnInfo {
        command: args
            .command
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        runs: &runs,
        succeeded,
    };
    let code = suggest::output(
        &Output {
            file: &args.file,
            policy: &original,
            suggestions: &s,
            stats: &stats,
            from: &from,
            origin: &origin,
            write: args.write,
            format: args.format,
        },
        Some(info),
        global,
        ctx,
    );
    if code != EXIT_OK {
        return code;
    }
    if succeeded {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

/// The command line, shown (each argument quoted when needed).
fn command_line(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The policy with the proposed rules added, loaded.
fn policy_with(
    file: &std::path::Path,
    original: &Policy,
    s: &polc_lang::denial::Suggestions,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> Result<Policy, u8> {
    if s.rules.is_empty() {
        return Ok(original.clone());
    }
    let rules = suggest::rules_text(original, s);
    let text = suggest::with_rules(file, &rules, "polc learn", global, ctx)?;
    let opts = super::check::prepare(global, ctx)?;
    let src = polc_lang::Source::new(input::source_name(file), text);
    match crate::load(&src, &opts) {
        Ok(l) => Ok(l.policy),
        Err(failed) => {
            ctx.say("error: the policy with the proposed rules does not check:");
            super::render::emit(
                ctx,
                global.error_format,
                &failed.diagnostics,
                &failed.sources,
            );
            Err(EXIT_FINDINGS)
        }
    }
}

/// Run the command unconfined under `strace -ff -yy`, returning its exit code and the
/// accesses it made ([`super::trace`]).
fn traced_run(argv: &[OsString], ctx: &mut Ctx<'_>) -> Result<(i32, Vec<Access>), u8> {
    // polc learns as root: the trace goes into a private directory, removed on return.
    let tmp = match tempfile::Builder::new().prefix("polc-trace-").tempdir() {
        Ok(t) => t,
        Err(e) => {
            ctx.say(format_args!(
                "error: cannot create a directory for the trace in {}: {e}",
                std::env::temp_dir().display()
            ));
            return Err(EXIT_USAGE);
        }
    };
    let dir = tmp.path();
    let mut cmd = std::process::Command::new("strace");
    // `-yy`: paths of descriptors, and the protocol of sockets (`TCP:[...]`).
    cmd.args(["-ff", "-qq", "-yy", "-e"])
        .arg(format!("trace={}", super::trace::SYSCALLS))
        .arg("-o")
        .arg(dir.join("t"))
        .arg("--")
        .args(argv);
    if let Ok(err) = std::io::stderr().as_fd().try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(err));
    }
    // As a confined run: no signal blocked (polc blocks those it forwards), only the
    // standard streams open, a session of its own.
    if let Err(e) = confine::isolate(&mut cmd, &Options::default()) {
        ctx.say(format_args!("error: {e}"));
        return Err(EXIT_USAGE);
    }
    let _ = ctx.stderr.flush();
    let started = std::time::SystemTime::now();
    let exit = match spawn_wait(&mut cmd) {
        Ok((_, exit)) => exit,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ctx.say(
                "error: polc learn --trace runs the command under strace, which is not installed",
            );
            ctx.say("help: install it (Debian: apt-get install strace), or learn without --trace");
            return Err(EXIT_USAGE);
        }
        Err(e) => {
            ctx.say(format_args!("error: cannot start strace: {e}"));
            return Err(EXIT_USAGE);
        }
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    // A file born before the run existed (without a birth time: assume it did not).
    let existed = |p: &str| {
        std::fs::metadata(p)
            .and_then(|m| m.created())
            .is_ok_and(|born| born < started)
    };
    let mut accesses = Vec::new();
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).into_owned();
        for a in super::trace::accesses(&text, &existed) {
            if !accesses.contains(&a) {
                accesses.push(a);
            }
        }
    }
    if files.is_empty() {
        ctx.say("error: strace wrote no trace (is ptrace allowed here? see /proc/sys/kernel/yama/ptrace_scope)");
        return Err(EXIT_USAGE);
    }
    Ok((exit, accesses))
}

/// The denial `polc run` would report before starting a program the policy may not
/// execute: read and exec of its file.
fn exec_denial(path: &str) -> Denial {
    let file = |right| Access::File {
        path: PathHint::Exact(path.to_string()),
        right,
    };
    Denial {
        lsm: Lsm::Landlock,
        subject: None,
        subject_policy: None,
        permissions: vec!["fs.execute".into(), "fs.read_file".into()],
        accesses: vec![file(Right::Read), file(Right::Exec)],
        complain: false,
        notes: vec!["the program itself, checked before it starts".into()],
        fields: Default::default(),
    }
}

/// The domain whose creation record names `pid`.
fn domain_of<'a>(records: &'a [Record], pid: &str) -> Option<&'a str> {
    records
        .iter()
        .filter(|r| r.kind == 1424 && r.field("status") == Some("allocated"))
        .find(|r| r.field("pid") == Some(pid))
        .and_then(|r| r.field("domain"))
}

/// Spawn and wait (signals to polc are forwarded to the command, as `polc run` does, so
/// polc outlives a Ctrl-C and puts the audit back), returning the child's pid and exit
/// code (128 + signal).
fn spawn_wait(cmd: &mut std::process::Command) -> std::io::Result<(u32, i32)> {
    use std::os::unix::process::ExitStatusExt;
    let (pid, status) = confine::spawn_and_wait_pid(cmd)?;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok((pid, code))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn rec(kind: u16, text: &str) -> Record {
        Record {
            kind,
            text: text.into(),
        }
    }

    #[test]
    fn the_runs_domain_is_the_one_its_pid_created() {
        // Records as this host's kernel sends them (Linux 6.18).
        let records = [
            rec(
                1424,
                r#"audit(1796627215.117:5): domain=99 status=allocated mode=enforcing pid=42 uid=0 exe="/usr/bin/polc" comm="polc""#,
            ),
            rec(
                1423,
                r#"audit(1796627215.117:5): domain=11050c021 blockers=fs.read_dir path="/usr/lib/locale/C.utf8/LC_MESSAGES" dev="vda" ino=316537"#,
            ),
            rec(
                1424,
                r#"audit(1796627215.117:5): domain=11050c021 status=allocated mode=enforcing pid=11269 uid=0 exe="/work/polc" comm="polc""#,
            ),
            rec(
                1424,
                "audit(1796627215.173:7): domain=11050c021 status=deallocated denials=2",
            ),
        ];
        assert_eq!(domain_of(&records, "11269"), Some("11050c021"));
        assert_eq!(domain_of(&records, "42"), Some("99"));
        assert_eq!(domain_of(&records, "7"), None);
        assert_eq!(
            records[1].field("path"),
            Some("/usr/lib/locale/C.utf8/LC_MESSAGES")
        );
        let d = denial::parse(&records[1].line()).unwrap();
        assert_eq!(d.subject.as_deref(), Some("11050c021"));
        assert_eq!(
            d.accesses,
            [Access::File {
                path: PathHint::Exact("/usr/lib/locale/C.utf8/LC_MESSAGES".into()),
                right: Right::List
            }]
        );
    }

    #[test]
    fn command_lines_are_quoted_when_needed() {
        let argv: Vec<OsString> = ["sh", "-c", "echo 'a b'", ""].map(Into::into).to_vec();
        assert_eq!(command_line(&argv), r#"sh -c 'echo '\''a b'\''' ''"#);
    }
}
