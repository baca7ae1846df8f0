//! Diagnostics written to the terminal in the format asked for (the text itself is
//! made by [`crate::text::diagnostic`]).

use super::{Ctx, ErrorFormat};
pub use crate::text::diagnostic::{human, json, sanitize, sanitize_line};
use crate::text::diagnostic::{human_indexed, json_indexed, Indexed};
use polc_lang::diagnostics::Diagnostic;
use polc_lang::span::LineIndex;
use polc_lang::SourceMap;
use std::collections::BTreeMap;

/// Write diagnostics to stderr in the chosen format, each with its file's text.
pub fn emit(ctx: &mut Ctx<'_>, format: ErrorFormat, diags: &[Diagnostic], sources: &SourceMap) {
    // Each file's text is sanitized and indexed once, however many diagnostics point
    // into it.
    let mut clean: BTreeMap<&str, Indexed> = BTreeMap::new();
    let mut index: BTreeMap<&str, LineIndex> = BTreeMap::new();
    for d in diags {
        let text = sources.get(&d.file);
        let out = match format {
            ErrorFormat::Human => {
                let indexed = text.map(|t| {
                    &*clean
                        .entry(d.file.as_str())
                        .or_insert_with(|| Indexed::new(&d.file, t))
                });
                human_indexed(d, indexed, ctx.color, ctx.width)
            }
            ErrorFormat::Json => {
                let text = text.map(|t| {
                    let i = index
                        .entry(d.file.as_str())
                        .or_insert_with(|| LineIndex::new(t));
                    (t, &*i)
                });
                json_indexed(d, text) + "\n"
            }
        };
        let _ = ctx.stderr.write_all(out.as_bytes());
    }
}

/// Say that a load failed without any diagnostic to show (never expected; kept so the
/// user is always told why the exit code is 1).
pub fn emit_unexplained_failure(ctx: &mut Ctx<'_>, format: ErrorFormat, file: &str) {
    let d = Diagnostic::unlocated(
        polc_lang::diagnostics::Code::Syntax,
        file,
        format!("`{file}` could not be loaded"),
    );
    emit(ctx, format, &[d], &SourceMap::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use polc_lang::diagnostics::Code;
    use polc_lang::span::Span;

    #[test]
    fn many_diagnostics_of_one_file_are_drawn_each_at_its_line() {
        // 20,000 errors in a 20,000-line file: each drawing reads only its own lines
        // (reading the whole file for each made this quadratic: 90 s for `polc check`).
        let n = 20_000;
        let mut text = String::from("policy a {\n");
        for i in 0..n {
            text.push_str(&format!("    allow bogus \"/x{i}\"\n"));
        }
        text.push_str("}\n");
        let mut sources = SourceMap::default();
        sources.files.insert("big.pol".into(), text.clone());
        let mut offset = "policy a {\n".len();
        let mut diags = Vec::new();
        for line in text.lines().skip(1).take(n) {
            let start = offset + 10;
            diags.push(Diagnostic::new(
                Code::UnknownRight,
                "big.pol",
                Span::new(start, start + 5),
                "unknown access right `bogus`",
                "not a right",
            ));
            offset += line.len() + 1;
        }
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut stdin = std::io::empty();
        let mut ctx = Ctx {
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            color: false,
            width: 80,
        };
        emit(&mut ctx, ErrorFormat::Human, &diags, &sources);
        emit(&mut ctx, ErrorFormat::Json, &diags, &sources);
        let err = String::from_utf8(stderr).unwrap_or_default();
        assert_eq!(err.matches("× unknown access right `bogus`").count(), n);
        assert!(
            err.contains("╭─[big.pol:20001:11]"),
            "the last one is at its line"
        );
        assert!(err.contains(&format!(" 20001 │     allow bogus \"/x{}\"", n - 1)));
        assert!(err.contains("\"line\":20001,\"column\":11"));
    }
}
