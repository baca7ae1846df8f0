//! The `polc` command-line tool: parse the arguments, run the subcommand, exit with its
//! code. Everything else is in `polc::command`.

use clap::{CommandFactory, FromArgMatches};
use polc::command::{run, Cli, ColorWhen, Ctx};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `--color` is read first so that clap's own help and errors follow it too.
    let clap_color = match ColorWhen::from_args(std::env::args_os()) {
        ColorWhen::Auto => clap::ColorChoice::Auto,
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
    };
    let matches = Cli::command().color(clap_color).get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let stderr = std::io::stderr();
    cli.global.stderr_is_terminal = stderr.is_terminal();
    // Colours on a terminal unless NO_COLOR is set (https://no-color.org), or as --color says.
    let color = cli.global.color.resolve(
        stderr.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(100);
    let mut ctx = Ctx {
        stdin: &mut std::io::stdin().lock(),
        stdout: &mut std::io::stdout().lock(),
        stderr: &mut stderr.lock(),
        color,
        width,
    };
    polc::command::exit_after_run();
    ExitCode::from(run(&cli, &mut ctx))
}
