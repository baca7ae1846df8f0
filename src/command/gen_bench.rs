//! `polc gen-bench [--rules N] [-o OUT]` (hidden): write the deterministic policy the
//! `frontend` bench measures, so that `polc check` can be timed on the same input.

use super::{compile::write_output, Ctx, GenBenchArgs, GlobalArgs};

/// Write the generated policy.
pub fn run(args: &GenBenchArgs, ctx: &mut Ctx<'_>) -> u8 {
    let text = crate::generate::policy(args.rules);
    write_output(
        args.output.as_deref(),
        text.as_bytes(),
        &GlobalArgs::default(),
        ctx,
    )
}
