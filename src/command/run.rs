//! `polc run FILE -- CMD ARGS...`: start a command confined by a policy.
//!
//! Exit status: the command's own (128 + the signal that killed it), or, as `env` and
//! `timeout` do, 125 when polc itself fails (the policy has errors, it cannot be
//! confined as asked), 126 when the command cannot be executed and 127 when it is not
//! found. The command is never started unconfined.

use super::check::load_policy;
use super::{render, report, Ctx, GlobalArgs, OutputFormat, RunArgs};
use crate::confine::{self, Error, Options};

/// polc's own failure.
pub const EXIT_POLC: u8 = 125;
/// The command exists but cannot be executed.
pub const EXIT_CANNOT_EXEC: u8 = 126;
/// The command is not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// Run the command confined; returns the exit code described above.
///
/// `--report json` writes the confinement status as one JSON document on one line of
/// stderr, without the `polc: ` prefix, before the command starts (the command's own
/// stderr follows); `--report human` writes what confines the command and, for
/// Landlock, the fidelity report of what the running kernel enforces.
pub fn run(args: &RunArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let loaded = match load_policy(&args.file, global, ctx) {
        Ok(l) => l,
        Err(_) => return EXIT_POLC,
    };
    let compile_opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(_) => return EXIT_POLC,
    };
    let mut options = Options {
        lsm: args.lsm.map(Into::into),
        pass_fds: args.pass_fds.clone(),
        ..Options::default()
    };
    options.landlock = crate::compile::landlock_config(&compile_opts);
    options.landlock_enforce.log_denials = !args.no_log_denials;
    let (mut cmd, status) = match confine::command(&loaded.policy, &args.command, &options) {
        Ok(x) => x,
        Err(e) => return fail(&e, ctx),
    };
    if let confine::Detail::Landlock(l) = &status.detail {
        if !l.denials_logged && !args.no_log_denials && l.kernel_abi > 0 {
            ctx.say(format_args!(
                "note: this kernel's Landlock (ABI {}) cannot log denials after exec (ABI {} \
                 can): the command's denials are not logged",
                l.kernel_abi,
                polc_landlock::LOG_DENIALS_ABI
            ));
        }
    }
    match args.backend.report {
        Some(OutputFormat::Json) => {
            let mut text = serde_json::to_string(&status).unwrap_or_default();
            text.push('\n');
            let _ = ctx.stderr.write_all(text.as_bytes());
        }
        Some(OutputFormat::Human) => {
            let mut text = format!(
                "confined by {} as `{}` ({})\n",
                status.lsm,
                render::sanitize(&status.name),
                if status.enforcing {
                    "enforcing"
                } else {
                    "not enforcing: violations are only logged"
                }
            );
            if let confine::Detail::Landlock(l) = &status.detail {
                text.push_str(&report::human(&l.report));
            }
            let _ = ctx.stderr.write_all(text.as_bytes());
        }
        None => {}
    }
    let _ = ctx.stderr.flush();
    let program = args
        .command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    match confine::spawn_and_wait(&mut cmd) {
        Ok(exit) => {
            let ran = confine::Ran { status, exit };
            u8::try_from(ran.code()).unwrap_or(EXIT_POLC)
        }
        Err(source) => fail(&Error::Spawn { program, source }, ctx),
    }
}

fn fail(e: &Error, ctx: &mut Ctx<'_>) -> u8 {
    ctx.say(format_args!("error: {e}"));
    if let Some(h) = e.advice() {
        ctx.say(format_args!("help: {h}"));
    }
    match e {
        Error::NotFound { .. } => EXIT_NOT_FOUND,
        Error::ExecDenied { .. } => EXIT_CANNOT_EXEC,
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            EXIT_NOT_FOUND
        }
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            EXIT_CANNOT_EXEC
        }
        _ => EXIT_POLC,
    }
}
