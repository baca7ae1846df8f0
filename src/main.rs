//! The `polc` command-line tool: parse the arguments, run the subcommand, exit with its
//! code. Everything else is in `polc::command`.

use clap::Parser;
use polc::command::{run, Cli, Ctx};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stderr = std::io::stderr();
    // Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
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
    ExitCode::from(run(&cli, &mut ctx))
}
