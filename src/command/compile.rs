//! `polc compile FILE --target ir|apparmor|selinux|landlock [-o OUT]`: the policy's IR as stable
//! JSON, or the artifact a backend makes of it, with its fidelity report on request.

use super::check::{load_policy, report_io};
use super::{input, report, CompileArgs, Ctx, GlobalArgs, Target, EXIT_OK, EXIT_USAGE};
use std::path::Path;

/// Compile one policy; exit 0 when written, 1 when the policy has errors, 2 on usage
/// or I/O errors.
pub fn run(args: &CompileArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let loaded = match load_policy(&args.file, global, ctx) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let lsm = match args.target {
        Target::Ir => {
            return write_output(
                args.output.as_deref(),
                loaded.policy.to_json().as_bytes(),
                global,
                ctx,
            )
        }
        Target::AppArmor => crate::Lsm::AppArmor,
        Target::SeLinux => crate::Lsm::SeLinux,
        Target::Landlock => crate::Lsm::Landlock,
    };
    let opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let out = args.output.as_deref();
    let output = match crate::compile::compile(&loaded.policy, lsm, &opts) {
        Ok(a) => {
            let code = report::print(
                &a.report,
                &args.backend,
                &args.report_file,
                out,
                global,
                ctx,
            );
            let file = input::source_name(&args.file);
            report::say_summary(&a.report, &file, global.error_format, ctx);
            if code != EXIT_OK {
                return code;
            }
            a.text
        }
        Err(e) => return report::error(&e, &args.backend, &args.report_file, out, global, ctx),
    };
    write_output(args.output.as_deref(), output.as_bytes(), global, ctx)
}

/// Write a command's product to `out` ([`input::write_file`]: a regular file atomically,
/// a device or FIFO in place), or to stdout for none or `-`.
pub(crate) fn write_output(
    out: Option<&Path>,
    bytes: &[u8],
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    match out {
        Some(path) if !input::is_stdout(path) => match input::write_file(path, bytes) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                report_io(ctx, global.error_format, &e);
                e.exit()
            }
        },
        _ => match ctx
            .stdout
            .write_all(bytes)
            .and_then(|()| ctx.stdout.flush())
        {
            Ok(()) => EXIT_OK,
            Err(e) => {
                ctx.say(format_args!("cannot write to standard output: {e}"));
                EXIT_USAGE
            }
        },
    }
}
