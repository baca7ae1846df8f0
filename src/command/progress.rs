//! A progress line on stderr while polc does long work (an SELinux compile resolving
//! paths against a distribution's file_contexts takes seconds), drawn only when stderr
//! is a terminal and diagnostics are for people: never in a pipe, a log or JSON.

use super::{render, Ctx, ErrorFormat, GlobalArgs};

/// A progress line being shown; [`Progress::done`] erases it.
#[must_use = "call done() to erase the line before printing anything else"]
pub struct Progress {
    shown: bool,
}

impl Progress {
    /// Show `polc: WHAT...` when stderr is a terminal, diagnostics are `human` and
    /// `json_on_stderr` (a JSON report) is false; else show nothing.
    pub fn start(
        global: &GlobalArgs,
        json_on_stderr: bool,
        ctx: &mut Ctx<'_>,
        what: impl std::fmt::Display,
    ) -> Progress {
        let shown = global.stderr_is_terminal
            && global.error_format == ErrorFormat::Human
            && !json_on_stderr;
        if shown {
            let _ = write!(
                ctx.stderr,
                "polc: {}...",
                render::sanitize(&what.to_string())
            );
            let _ = ctx.stderr.flush();
        }
        Progress { shown }
    }

    /// Erase the line (carriage return, then clear to the end of the line).
    pub fn done(self, ctx: &mut Ctx<'_>) {
        if self.shown {
            let _ = write!(ctx.stderr, "\r\x1b[K");
            let _ = ctx.stderr.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(global: &GlobalArgs, json: bool) -> String {
        let mut err = Vec::new();
        let mut ctx = Ctx {
            stdin: &mut std::io::empty(),
            stdout: &mut std::io::sink(),
            stderr: &mut err,
            color: false,
            width: 100,
        };
        Progress::start(global, json, &mut ctx, "compiling").done(&mut ctx);
        String::from_utf8(err).unwrap_or_default()
    }

    #[test]
    fn a_progress_line_only_on_a_terminal_and_never_with_json() {
        let mut g = GlobalArgs::default();
        assert_eq!(shown(&g, false), "");
        g.stderr_is_terminal = true;
        assert_eq!(shown(&g, false), "polc: compiling...\r\x1b[K");
        assert_eq!(shown(&g, true), "");
        g.error_format = ErrorFormat::Json;
        assert_eq!(shown(&g, false), "");
    }
}
