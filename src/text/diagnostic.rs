//! Diagnostics as text: `human` through miette's graphical handler, `json` as one
//! object per line.
//!
//! Policy files are untrusted input, and a reviewer reads the diagnostics in a
//! terminal: control characters (escape sequences, carriage returns, C1 controls) and
//! bidirectional-override characters of the source or of messages are replaced by `?`
//! before drawing, so a hostile file cannot rewrite the screen or hide text. The
//! replacement keeps byte lengths, so spans stay valid.

use miette::{GraphicalReportHandler, GraphicalTheme};
use polc_lang::diagnostics::{Diagnostic, Label};
use polc_lang::span::LineIndex;

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

/// `s` made one line for a terminal: every unsafe character, and newlines and tabs
/// too, replaced by `?` (as many as it has bytes). For text that is one field of a line
/// of output (file names, store metadata, rule texts, messages) but comes from files or
/// from the store, where a newline could start a line that looks like polc's own.
pub fn sanitize_line(s: &str) -> String {
    let bad = |c: char| unsafe_char(c) || c == '\n' || c == '\t';
    if !s.chars().any(bad) {
        return s.to_string();
    }
    s.chars()
        .flat_map(|c| {
            let n = if bad(c) { c.len_utf8() } else { 0 };
            let keep = (n == 0).then_some(c);
            std::iter::repeat_n('?', n).chain(keep)
        })
        .collect()
}

fn sanitized(d: &Diagnostic) -> Diagnostic {
    let mut d = d.clone();
    d.message = sanitize(&d.message);
    d.file = sanitize_line(&d.file);
    d.help = d.help.as_deref().map(sanitize);
    for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
        l.text = sanitize(&l.text);
    }
    d
}

/// The widest column at which a label is drawn under its line. Beyond it the snippet is
/// left out and the location written as `FILE:LINE:COLUMN` instead: a line thousands of
/// columns wide is unreadable drawn, and miette's renderer cannot pad past 65,535
/// columns (it would panic).
pub const MAX_DRAWN_COLUMN: usize = 1000;

/// Columns a character may take at most when drawn: a tab is 4 (miette's tab width), a
/// wide character 2.
fn max_columns(c: char) -> usize {
    if c == '\t' {
        4
    } else {
        2
    }
}

/// A source text with the start of each line, so that each diagnostic reads only the
/// lines it draws (drawing many diagnostics of one file takes time linear in their
/// number, not in their number times the file's size).
pub(crate) struct Indexed {
    name: String,
    text: String,
    starts: Vec<usize>,
}

impl Indexed {
    /// Sanitize and index `text`, the text of the file `name`.
    pub fn new(name: &str, text: &str) -> Self {
        let text = sanitize(text);
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Indexed {
            name: sanitize_line(name),
            text,
            starts,
        }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }

    /// The 1-based line and column (in characters) of `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let column = self
            .text
            .get(self.line_start(line)..offset)
            .map_or(0, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// True when `offset` may be drawn beyond [`MAX_DRAWN_COLUMN`]; reads at most
    /// that many characters of the line.
    fn too_wide(&self, offset: usize) -> bool {
        let offset = offset.min(self.text.len());
        let start = self.line_start(self.line_of(offset));
        let Some(before) = self.text.get(start..offset) else {
            return true;
        };
        if before.len() * 4 <= MAX_DRAWN_COLUMN {
            return false;
        }
        let mut columns = 0;
        for c in before.chars() {
            columns += max_columns(c);
            if columns > MAX_DRAWN_COLUMN {
                return true;
            }
        }
        false
    }
}

impl miette::SourceCode for Indexed {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        // Cut the lines around the span (one more on each side than asked for) and let
        // miette's own reader find the context in them; then give back positions in the
        // whole text.
        let first = self
            .line_of(span.offset())
            .saturating_sub(context_lines_before + 1);
        let last_offset = span.offset() + span.len().saturating_sub(1);
        let last = self.line_of(last_offset) + context_lines_after + 2;
        let (from, to) = (self.line_start(first), self.line_start(last));
        let window = self
            .text
            .get(from..to)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let inner = span
            .offset()
            .checked_sub(from)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let local = miette::SourceSpan::from((inner, span.len()));
        let c = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.to_string(),
            c.data(),
            (c.span().offset() + from, c.span().len()).into(),
            c.line() + first,
            c.column(),
            c.line_count() + first,
        )))
    }
}

/// A sanitized diagnostic with its indexed source, as miette draws it.
#[derive(Debug)]
struct Drawn<'a> {
    d: &'a Diagnostic,
    source: Option<&'a Indexed>,
}

impl std::fmt::Debug for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexed").field("name", &self.name).finish()
    }
}

impl std::fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Drawn<'_> {}

impl miette::Diagnostic for Drawn<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.d.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.d.is_error() {
            miette::Severity::Error
        } else {
            miette::Severity::Warning
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.d.help_text()))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source?;
        let label = |l: &Label, primary: bool| {
            let span = miette::SourceSpan::from((l.span.start, l.span.len()));
            let text = Some(l.text.clone());
            if primary {
                miette::LabeledSpan::new_primary_with_span(text, span)
            } else {
                miette::LabeledSpan::new_with_span(text, span)
            }
        };
        let primary = self.d.primary.iter().map(move |l| label(l, true));
        let secondary = self.d.secondary.iter().map(move |l| label(l, false));
        Some(Box::new(primary.chain(secondary)))
    }
}

/// One diagnostic drawn for people: the code, the message, the snippet with the
/// labelled spans, and the help. `color` adds ANSI styles; `width` wraps the text.
pub fn human(d: &Diagnostic, source: Option<&str>, color: bool, width: usize) -> String {
    let indexed = source.map(|t| Indexed::new(&d.file, t));
    human_indexed(d, indexed.as_ref(), color, width)
}

/// [`human`] for a source text already sanitized and indexed.
pub(crate) fn human_indexed(
    d: &Diagnostic,
    source: Option<&Indexed>,
    color: bool,
    width: usize,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let d = sanitized(d);
    let labels = || d.primary.iter().chain(d.secondary.iter());
    // Labels too far right to draw: say where they are in words instead.
    let wide =
        source.filter(|s| labels().any(|l| s.too_wide(l.span.start) || s.too_wide(l.span.end)));
    let drawn = Drawn {
        d: &d,
        source: if wide.is_some() { None } else { source },
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &drawn).is_err() {
        // Drawing failed (a span outside its text): fall back to one plain line.
        out = format!("{}[{}]: {}\n", severity_word(&d), d.code, d.message);
    }
    if let Some(s) = wide {
        for l in labels() {
            let (line, column) = s.line_col(l.span.start);
            out.push_str(&format!(
                "  at {}:{line}:{column}: {} (the line is too long to draw)\n",
                s.name, l.text
            ));
        }
        out.push('\n');
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
    let index = source.map(LineIndex::new);
    json_indexed(d, source.zip(index.as_ref()))
}

/// [`json`] with the source's line index.
pub(crate) fn json_indexed(d: &Diagnostic, source: Option<(&str, &LineIndex)>) -> String {
    serde_json::to_string(&d.to_json_indexed(source)).unwrap_or_else(|e| {
        format!(
            "{{\"code\":\"{}\",\"severity\":\"error\",\"message\":\"cannot encode diagnostic: {}\"}}",
            d.code,
            e.to_string().replace(['"', '\\'], "'")
        )
    })
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

    /// Draw every diagnostic `polc check` finds in `text`, as the CLI does.
    fn draw_all(text: &str) -> String {
        let src = polc_lang::Source::new("long.pol", text.to_string());
        let checked = crate::check(&src, &polc_lang::LoadOptions::default());
        let mut out = String::new();
        for d in &checked.diagnostics {
            out.push_str(&human(d, checked.sources.get(&d.file), false, 80));
        }
        out
    }

    #[test]
    fn a_label_far_right_is_located_not_drawn() {
        // A label at column 70,020: miette would pad 70,000 columns and panic.
        let text = format!(
            "policy a {{\n    allow read \"/{}\" bogus\n}}\n",
            "a".repeat(70_000)
        );
        let out = draw_all(&text);
        assert!(out.contains("E0001"), "{out}");
        assert!(
            out.contains(
                "at long.pol:2:70020: expected a statement or `}` (the line is too long to draw)"
            ),
            "{out}"
        );
        // Nothing of the long line is copied into the output.
        assert!(out.len() < 1000, "{} bytes", out.len());
        // 65,530 spaces before `policy`, then an error on the same line.
        let out = draw_all(&format!("{}policy a {{ bogus }}\n", " ".repeat(65_530)));
        assert!(out.contains("at long.pol:1:65542:"), "{out}");
    }

    #[test]
    fn a_label_just_inside_the_limit_is_drawn() {
        let text = format!(
            "{}policy a {{ bogus }}\n",
            " ".repeat(MAX_DRAWN_COLUMN / 2 - 20)
        );
        let out = draw_all(&text);
        assert!(out.contains("╭─[long.pol:1:"), "{out}");
        assert!(!out.contains("too long to draw"), "{out}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Long runs of spaces, tabs and wide characters before or inside a statement
        /// never make the renderer panic, and every diagnostic is either drawn or located.
        #[test]
        fn long_columns_never_panic(
            pad in proptest::sample::select(vec![" ", "\t", "é", "界", "a"]),
            n in 0usize..70_000,
            at in 0usize..4,
        ) {
            let run = pad.repeat(n);
            let text = match at {
                0 => format!("{run}policy a {{ bogus }}\n"),
                1 => format!("policy a {{\n    allow read \"/{run}x\" bogus\n}}\n"),
                2 => format!("policy a {{\n{run}allow bogus \"/x\"\n}}\n"),
                _ => format!("policy a {{\n    allow read \"/x\"{run}\n    deny bogus \"/{run}\"\n}}\n"),
            };
            let out = draw_all(&text);
            proptest::prop_assert!(out.contains("╭─[long.pol:") || out.contains("(the line is too long to draw)"), "{}", out);
        }
    }

    #[test]
    fn sanitize_line_leaves_one_line() {
        assert_eq!(sanitize_line("a\nb\tc\u{1b}[1m\u{202E}é"), "a?b?c?[1m???é");
        assert_eq!(sanitize_line("plain"), "plain");
    }

    #[test]
    fn json_is_one_line() {
        let d = Diagnostic::unlocated(Code::Io, "x.pol", "cannot read `x.pol`\nreally");
        let j = json(&d, None);
        assert!(!j.contains('\n'));
        assert!(j.contains("\"code\":\"E0400\""));
    }
}
