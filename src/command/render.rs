//! Rendering diagnostics at the edge: `human` through miette's graphical handler,
//! `json` as one object per line.
//!
//! Policy files are untrusted input, and a reviewer reads the diagnostics in a
//! terminal: control characters (escape sequences, carriage returns, C1 controls) and
//! bidirectional-override characters of the source or of messages are replaced by `?`
//! before drawing, so a hostile file cannot rewrite the screen or hide text. The
//! replacement keeps byte lengths, so spans stay valid.

use super::{Ctx, ErrorFormat};
use miette::{GraphicalReportHandler, GraphicalTheme};
use polc_lang::diagnostics::Diagnostic;
use polc_lang::SourceMap;
use std::collections::BTreeMap;

/// True for characters that must not reach a terminal raw: C0 and C1 controls other
/// than newline and tab, DEL, and the bidirectional embedding/override/isolate marks.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `s` with every unsafe character replaced by as many `?` as it has bytes.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

fn sanitized(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.message = sanitize(&d.message);
    d.file = sanitize(&d.file);
    d.help = d.help.as_deref().map(sanitize);
    for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
        l.text = sanitize(&l.text);
    }
    d
}

/// One diagnostic drawn for people: the code, the message, the snippet with the
/// labelled spans, and the help. `color` adds ANSI styles; `width` wraps the text.
pub fn human(d: &Diagnostic, source: Option<&str>, color: bool, width: usize) -> String {
    let source = source.map(sanitize);
    human_sanitized(d, source.as_deref(), color, width)
}

/// [`human`] for a source text already passed through [`sanitize`].
fn human_sanitized(d: &Diagnostic, source: Option<&str>, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let report = sanitized(d).to_report(source);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Drawing failed (a span outside its text): fall back to one plain line.
        out = format!(
            "{}[{}]: {}\n",
            severity_word(d),
            d.code,
            sanitize(&d.message)
        );
    }
    out
}

fn severity_word(d: &Diagnostic) -> &'static str {
    if d.is_error() {
        "error"
    } else {
        "warning"
    }
}

/// One diagnostic as one line of JSON (no trailing newline).
pub fn json(d: &Diagnostic, source: Option<&str>) -> String {
    serde_json::to_string(&d.to_json(source)).unwrap_or_else(|e| {
        format!(
            "{{\"code\":\"{}\",\"severity\":\"error\",\"message\":\"cannot encode diagnostic: {}\"}}",
            d.code,
            e.to_string().replace(['"', '\\'], "'")
        )
    })
}

/// Write diagnostics to stderr in the chosen format, each with its file's text.
pub fn emit(ctx: &mut Ctx<'_>, format: ErrorFormat, diags: &[Diagnostic], sources: &SourceMap) {
    // Each file's text is sanitized once, however many diagnostics point into it.
    let mut clean: BTreeMap<&str, String> = BTreeMap::new();
    for d in diags {
        let text = sources.get(&d.file);
        let out = match format {
            ErrorFormat::Human => {
                let text = text.map(|t| {
                    clean
                        .entry(d.file.as_str())
                        .or_insert_with(|| sanitize(t))
                        .as_str()
                });
                human_sanitized(d, text, ctx.color, ctx.width)
            }
            ErrorFormat::Json => json(d, text) + "\n",
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
    fn sanitize_keeps_byte_length_and_layout() {
        let s = "a\u{1b}[2Jb\r\n\tc\u{202E}d\u{9b}e\0";
        let t = sanitize(s);
        assert_eq!(t.len(), s.len());
        assert_eq!(t, "a?[2Jb?\n\tc???d??e?");
        assert_eq!(sanitize("plain é"), "plain é");
    }

    #[test]
    fn human_output_has_no_escape_sequences_without_colour() {
        let src = "policy a {\n    allow read \"/tmp/\u{1b}]0;pwned\u{7}\"\n}\n";
        let d = Diagnostic::new(
            Code::ControlCharacter,
            "a.pol",
            Span::new(26, 43),
            "path `/tmp/\u{1b}]0;pwned\u{7}` has a control character",
            "here",
        );
        let out = human(&d, Some(src), false, 80);
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(!out.contains('\u{7}'), "{out}");
        assert!(out.contains("E0123"), "{out}");
    }

    #[test]
    fn json_is_one_line() {
        let d = Diagnostic::unlocated(Code::Io, "x.pol", "cannot read `x.pol`\nreally");
        let j = json(&d, None);
        assert!(!j.contains('\n'));
        assert!(j.contains("\"code\":\"E0400\""));
    }
}
