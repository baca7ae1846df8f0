//! `polc compile FILE --target ir|apparmor|selinux|landlock|spo-apparmor|... [-o OUT]`: the
//! policy's IR as stable JSON, the artifact a backend makes of it, or a deployment object
//! (`polc::deploy`), with its fidelity report on request.

use super::check::{load_policy, report_io};
use super::{input, report, CompileArgs, Ctx, GlobalArgs, Target, EXIT_OK, EXIT_USAGE};
use std::io::Write;
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
                .map(|a| Compiled::Text(a.report, a.text));
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
    let compiled = if lsm == crate::Lsm::Landlock {
        crate::compile::landlock_plan(&loaded.policy, &opts).map(|p| Compiled::Plan(Box::new(p)))
    } else {
        crate::compile::compile(&loaded.policy, lsm, &opts)
            .map(|a| Compiled::Text(a.report, a.text))
    };
    progress.done(ctx);
    finish(args, global, ctx, compiled)
}

/// What a compile produced: an artifact's text with its report, or a Landlock plan (its
/// report inside), written to the output as it is serialised: its JSON is as large as
/// the plan again.
enum Compiled {
    Text(polc_lang::fidelity::FidelityReport, String),
    Plan(Box<polc_landlock::Plan>),
}

impl Compiled {
    fn report(&self) -> &polc_lang::fidelity::FidelityReport {
        match self {
            Compiled::Text(report, _) => report,
            Compiled::Plan(plan) => &plan.report,
        }
    }
}

/// Print what a compile (for a kernel or a deployment target) produced: the report where
/// it belongs, the widening summary, then the output; or the error.
fn finish(
    args: &CompileArgs,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
    compiled: Result<Compiled, crate::compile::CompileError>,
) -> u8 {
    let out = args.output.as_deref();
    let output = match compiled {
        Ok(output) => {
            let fidelity = output.report();
            let code = report::print(fidelity, &args.backend, &args.report_file, out, global, ctx);
            let file = input::source_name(&args.file);
            report::say_summary(fidelity, &file, global.error_format, ctx);
            if code != EXIT_OK {
                return code;
            }
            output
        }
        Err(e) => return report::error(&e, &args.backend, &args.report_file, out, global, ctx),
    };
    match &output {
        Compiled::Text(_, text) => write_output(out, text.as_bytes(), global, ctx),
        Compiled::Plan(plan) => write_output_with(out, global, ctx, |w| plan.write_json(w)),
    }
}

/// Write a command's product to `out` ([`input::write_file`]: a regular file atomically,
/// a device or FIFO in place), or to stdout for none or `-`.
pub(crate) fn write_output(
    out: Option<&Path>,
    bytes: &[u8],
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
) -> u8 {
    write_output_with(out, global, ctx, |w| w.write_all(bytes))
}

/// [`write_output`] with the product written by `write` as it is made (through a
/// buffer), instead of built whole first.
pub(crate) fn write_output_with(
    out: Option<&Path>,
    global: &GlobalArgs,
    ctx: &mut Ctx<'_>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> u8 {
    match out {
        Some(path) if !input::is_stdout(path) => match input::write_file_with(path, write) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                report_io(ctx, global.error_format, &e);
                e.exit()
            }
        },
        _ => match (|| {
            let mut buf = std::io::BufWriter::new(&mut *ctx.stdout);
            write(&mut buf)?;
            buf.flush()
        })()
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
