//! `polc completions SHELL` and `polc man [--dir DIR]`: shell completions and manual
//! pages generated from the command line's own definition, so they cannot drift from it.

use super::check::report_io;
use super::input::IoFailure;
use super::{Cli, Ctx, GlobalArgs, EXIT_OK, EXIT_USAGE};
use clap::{Args, CommandFactory};
use std::path::PathBuf;

/// `polc completions SHELL`
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `polc man [--dir DIR]`
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write polc.1 and a page per subcommand (polc-check.1, ...) into DIR (created if
    /// missing) instead of printing polc.1 on standard output
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Print the completion script for a shell on stdout.
pub fn completions(args: &CompletionsArgs, ctx: &mut Ctx<'_>) -> u8 {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "polc", &mut out);
    write_stdout(&out, ctx)
}

/// Print the manual page polc(1) on stdout, or write every page into a directory.
pub fn man(args: &ManArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let cmd = Cli::command();
    match &args.dir {
        Some(dir) => {
            match std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(cmd, dir)) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    let failure = IoFailure::new(dir, "write the manual pages into", &e);
                    report_io(ctx, global.error_format, &failure);
                    failure.exit()
                }
            }
        }
        None => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => write_stdout(&out, ctx),
                Err(e) => {
                    ctx.say(format_args!("cannot render the manual page: {e}"));
                    EXIT_USAGE
                }
            }
        }
    }
}

fn write_stdout(bytes: &[u8], ctx: &mut Ctx<'_>) -> u8 {
    match ctx
        .stdout
        .write_all(bytes)
        .and_then(|()| ctx.stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(e) => {
            ctx.say(format_args!("cannot write to standard output: {e}"));
            EXIT_USAGE
        }
    }
}
