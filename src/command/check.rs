//! `polc check FILE...`: load each policy and report every diagnostic.

use super::input::{self, PrepareError};
use super::{render, CheckArgs, Ctx, ErrorFormat, GlobalArgs, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use polc_lang::LoadOptions;
use std::path::Path;

/// Check each file; exit 0 when no file has an error (warnings allowed), 1 when some
/// file has errors, 2 when an option is wrong or a file cannot be read.
pub fn run(args: &CheckArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let opts = match prepare(global, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut exit = EXIT_OK;
    let (mut errors, mut warnings) = (0usize, 0usize);
    for (i, path) in args.files.iter().enumerate() {
        let last = i + 1 == args.files.len();
        let outcome = check_file(path, &opts, global.error_format, last, ctx);
        errors += outcome.errors;
        warnings += outcome.warnings;
        exit = exit.max(outcome.exit);
    }
    if global.error_format == ErrorFormat::Human {
        let files = args.files.len();
        ctx.say(format_args!(
            "checked {files} file{}: {errors} error{}, {warnings} warning{}",
            plural(files),
            plural(errors),
            plural(warnings)
        ));
    }
    exit
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The load options of the global arguments; on failure the problem is reported and
/// the exit code returned.
pub(crate) fn prepare(global: &GlobalArgs, ctx: &mut Ctx<'_>) -> Result<LoadOptions, u8> {
    match input::load_options(global) {
        Ok(o) => Ok(o),
        Err(PrepareError::Usage(u)) => {
            ctx.say(u);
            Err(EXIT_USAGE)
        }
        Err(PrepareError::Io(e)) => {
            report_io(ctx, global.error_format, &e);
            Err(e.exit())
        }
    }
}

/// Report a read or write failure in the chosen format.
pub(crate) fn report_io(ctx: &mut Ctx<'_>, format: ErrorFormat, e: &input::IoFailure) {
    match format {
        ErrorFormat::Human => ctx.say(format_args!("error[E0400]: {e}")),
        ErrorFormat::Json => {
            render::emit(ctx, format, &[e.to_diagnostic()], &Default::default());
        }
    }
}

struct Outcome {
    exit: u8,
    errors: usize,
    warnings: usize,
}

/// Check one file and report its diagnostics. The result of the `last` file checked is
/// not freed when the process exits next: see
/// [`super::leave_to_exit`].
fn check_file(
    path: &Path,
    opts: &LoadOptions,
    format: ErrorFormat,
    last: bool,
    ctx: &mut Ctx<'_>,
) -> Outcome {
    let src = match input::read_policy(path, ctx.stdin) {
        Ok(s) => s,
        Err(e) => {
            report_io(ctx, format, &e);
            return Outcome {
                exit: e.exit(),
                errors: 1,
                warnings: 0,
            };
        }
    };
    let checked = crate::check(&src, opts);
    render::emit(ctx, format, &checked.diagnostics, &checked.sources);
    let errors = checked.errors().count();
    let warnings = checked.warnings().count();
    let has_errors = checked.has_errors();
    if last {
        super::leave_to_exit(checked);
    }
    if has_errors {
        if errors == 0 {
            render::emit_unexplained_failure(ctx, format, &src.name);
        }
        return Outcome {
            exit: EXIT_FINDINGS,
            errors: errors.max(1),
            warnings,
        };
    }
    Outcome {
        exit: EXIT_OK,
        errors,
        warnings,
    }
}

/// Load one policy for a command that uses it (explain, compile): warnings are
/// reported and the policy returned; on errors they are reported and the exit code
/// returned.
pub(crate) fn load_policy(
    path: &Path,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> Result<polc_lang::Loaded, u8> {
    load_policy_below(path, global, None, ctx)
}

/// [`load_policy`] with one more directory of abstractions and frameworks searched after
/// (below) every directory of the search path.
pub(crate) fn load_policy_below(
    path: &Path,
    global: &GlobalArgs,
    lowest: Option<polc_lang::AbstractionDir>,
    ctx: &mut Ctx<'_>,
) -> Result<polc_lang::Loaded, u8> {
    let mut opts = prepare(global, ctx)?;
    if let Some(dir) = lowest {
        opts.search_path.insert(0, dir);
    }
    let src = input::read_policy(path, ctx.stdin).map_err(|e| {
        report_io(ctx, global.error_format, &e);
        e.exit()
    })?;
    match crate::load(&src, &opts) {
        Ok(loaded) => {
            render::emit(ctx, global.error_format, &loaded.warnings, &loaded.sources);
            Ok(loaded)
        }
        Err(failed) => {
            render::emit(
                ctx,
                global.error_format,
                &failed.diagnostics,
                &failed.sources,
            );
            if !failed.diagnostics.iter().any(|d| d.is_error()) {
                render::emit_unexplained_failure(ctx, global.error_format, &src.name);
            }
            Err(EXIT_FINDINGS)
        }
    }
}
