//! `polc compile FILE --target ir|apparmor|selinux|landlock|spo-apparmor|... [-o OUT]`: the
//! policy's IR as stable JSON, the artifact a backend makes of it, or a deployment object
//! (`polc::deploy`), with its fidelity report on request.

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
        t => {
            let Some(target) = super::deploy::target(t) else {
                return EXIT_USAGE;
            };
            let opts = match report::options(&args.backend, ctx) {
                Ok(o) => o,
                Err(code) => return code,
            };
            let deploy_opts = args.deploy.options();
            let deployed = crate::deploy::deploy(&loaded.policy, target, &opts, &deploy_opts)
                .map(|a| (a.report, a.text));
            return finish(args, global, ctx, deployed);
        }
    };
    let opts = match report::options(&args.backend, ctx) {
        Ok(o) => o,
        Err(code) => return code,
    };
    // Resolving paths against a distribution's file_contexts takes seconds.
    let progress = super::progress::Progress::start(
        global,
        args.backend.report == Some(super::OutputFormat::Json),
        ctx,
        format_args!("compiling `{}` for {lsm}", loaded.policy.name),
    );
    let compiled = crate::compile::compile(&loaded.policy, lsm, &opts);
    progress.done(ctx);
    let compiled = compiled.map(|a| (a.report, a.text));
    finish(args, global, ctx, compiled)
}

/// Print what a compile (for a kernel or a deployment target) produced: the report where
/// it belongs, the widening summary, then the output; or the error.
fn finish(
    args: &CompileArgs,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
    compiled: Result<(polc_lang::fidelity::FidelityReport, String), crate::compile::CompileError>,
) -> u8 {
    let out = args.output.as_deref();
    let output = match compiled {
        Ok((fidelity, text)) => {
            let code = report::print(
                &fidelity,
                &args.backend,
                &args.report_file,
                out,
                global,
                ctx,
            );
            let file = input::source_name(&args.file);
            report::say_summary(&fidelity, &file, global.error_format, ctx);
            if code != EXIT_OK {
                return code;
            }
            text
        }
        Err(e) => return report::error(&e, &args.backend, &args.report_file, out, global, ctx),
    };
    write_output(out, output.as_bytes(), global, ctx)
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
