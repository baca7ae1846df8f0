//! `polc run FILE -- CMD ARGS...`: start a command confined by a policy.
//!
//! Exit status: the command's own (128 + the signal that killed it), or, as `env` and
//! `timeout` do, 125 when polc itself fails (the policy has errors, it cannot be
//! confined as asked), 126 when the command cannot be executed and 127 when it is not
//! found. The command is never started unconfined.

use super::check::load_policy;
use super::{report, Ctx, GlobalArgs, OutputFormat, RunArgs};
use crate::confine::{self, Error, Options};

/// polc's own failure.
pub const EXIT_POLC: u8 = 125;
/// The command exists but cannot be executed.
pub const EXIT_CANNOT_EXEC: u8 = 126;
/// The command is not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// Run the command confined; returns the exit code described above.
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
        ..Options::default()
    };
    options.landlock = crate::compile::landlock_config(&compile_opts);
    let (mut cmd, status) = match confine::command(&loaded.policy, &args.command, &options) {
        Ok(x) => x,
        Err(e) => return fail(&e, ctx),
    };
    if let Some(format) = args.backend.report {
        let text = match format {
            OutputFormat::Json => serde_json::to_string_pretty(&status).unwrap_or_default(),
            OutputFormat::Human => format!(
                "confined by {} as `{}` ({})",
                status.lsm,
                status.name,
                if status.enforcing {
                    "enforcing"
                } else {
                    "not enforcing: violations are only logged"
                }
            ),
        };
        ctx.say(text);
    }
    let program = args
        .command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    match cmd.status() {
        Ok(exit) => {
            let ran = confine::Ran { status, exit };
            u8::try_from(ran.code()).unwrap_or(EXIT_POLC)
        }
        Err(source) => fail(&Error::Spawn { program, source }, ctx),
    }
}

fn fail(e: &Error, ctx: &mut Ctx<'_>) -> u8 {
    ctx.say(format_args!("error: {e}"));
    if let Some(h) = e.help() {
        ctx.say(format_args!("help: {h}"));
    }
    match e {
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            EXIT_NOT_FOUND
        }
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            EXIT_CANNOT_EXEC
        }
        _ => EXIT_POLC,
    }
}
