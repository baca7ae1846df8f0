//! `polc fmt [--check] FILE...`: rewrite policies in the canonical style.

use super::check::report_io;
use super::input::{self, IoFailure};
use super::{render, Ctx, FmtArgs, GlobalArgs, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use polc_lang::{fmt, syntax, SourceMap};
use std::path::Path;

pub use super::input::STDIN_NAME;

/// Format each file. Without `--check`, files that change are replaced atomically and
/// `-` copies standard input, formatted, to standard output. With `--check`, nothing is
/// written: the files that would change are listed on stdout. Exit 0 when done (or all
/// formatted), 1 on syntax errors or (with `--check`) files to reformat, 2 on usage or
/// I/O errors. A file with syntax errors is never touched.
pub fn run(args: &FmtArgs, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let mut exit = EXIT_OK;
    for path in &args.files {
        let code = fmt_one(path, args.check, global, ctx);
        exit = exit.max(code);
    }
    exit
}

fn fmt_one(path: &Path, check: bool, global: &GlobalArgs, ctx: &mut Ctx<'_>) -> u8 {
    let stdin = path == Path::new("-");
    let name = if stdin {
        STDIN_NAME.to_string()
    } else {
        input::display(path)
    };
    if name.ends_with(".json") {
        ctx.say(format_args!(
            "`{name}` is a JSON-form policy; `fmt` formats the text form (.pol) only"
        ));
        return EXIT_USAGE;
    }
    let text = if stdin {
        match crate::limits::read_limited(&mut *ctx.stdin, crate::limits::MAX_POLICY_BYTES) {
            Ok(t) => t,
            Err(e) => {
                ctx.say(format_args!("cannot read standard input: {e}"));
                return EXIT_USAGE;
            }
        }
    } else {
        match input::read_source(path) {
            Ok(s) => s.text,
            Err(e) => {
                report_io(ctx, global.error_format, &e);
                return e.exit();
            }
        }
    };
    let formatted = match format_text(&name, &text) {
        Ok(f) => f,
        Err(FormatError::Syntax(diags)) => {
            let mut sources = SourceMap::default();
            sources.files.insert(name.clone(), text);
            render::emit(ctx, global.error_format, &diags, &sources);
            return EXIT_FINDINGS;
        }
        Err(FormatError::MeaningChanged) => {
            ctx.say(format_args!(
                "internal error: formatting `{name}` would change its meaning; it is left unchanged (please report this)"
            ));
            return EXIT_USAGE;
        }
    };
    let changed = formatted != text;
    if check {
        if changed {
            let _ = writeln!(ctx.stdout, "{}", render::sanitize_line(&name));
            return EXIT_FINDINGS;
        }
        return EXIT_OK;
    }
    if stdin {
        return super::compile::write_output(None, formatted.as_bytes(), global, ctx);
    }
    if changed {
        if let Err(e) = input::write_file(path, formatted.as_bytes()) {
            report_io(ctx, global.error_format, &e);
            return IoFailure::exit(&e);
        }
    }
    EXIT_OK
}

/// Why a text cannot be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse: its syntax errors.
    Syntax(Vec<polc_lang::diagnostics::Diagnostic>),
    /// The formatted text would not parse back to the same tree (a formatter bug): the
    /// file must not be written.
    MeaningChanged,
}

/// Format a text in the canonical style. The result is parsed again and compared with
/// the original tree (spans aside), so a formatter bug can never rewrite a policy into
/// a different one.
pub fn format_text(name: &str, text: &str) -> Result<String, FormatError> {
    let (tree, errors) = syntax::parse(name, text);
    if errors.iter().any(|d| d.is_error()) {
        return Err(FormatError::Syntax(errors));
    }
    let formatted = fmt::format(&tree);
    let (again, errors) = syntax::parse(name, &formatted);
    if !errors.is_empty() || again != tree {
        return Err(FormatError::MeaningChanged);
    }
    Ok(formatted)
}
