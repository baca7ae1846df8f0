//! Path and glob validation with spans mapped back into string literals.

use super::strings::{LitMap, Piece, Substituted};
use crate::diagnostics::{Code, Diagnostic};
use crate::glob::{Glob, GlobError, GlobErrorKind};
use crate::hash::FastMap;
use crate::ir::text::one_line;
use crate::rights::Rights;
use crate::span::{Span, Spanned};
use std::cell::OnceCell;
use std::ops::Range;
use std::sync::Arc;

/// A substitution: the pieces of the literal, the result, and the values used.
pub(crate) type Subst<'a> = (&'a [Piece], &'a Substituted, Vec<(String, String)>);

/// File rules' paths parsed during one load, by text: the item checks parse every path
/// without variables, and lowering takes the same glob from here instead of parsing the
/// path again (rules with the same path then also share one automaton).
#[derive(Debug, Default)]
pub(crate) struct ParsedPaths(FastMap<Arc<str>, (Glob, bool)>);

/// A string literal being validated: where it is, and how its text was produced.
pub(crate) struct PathSite<'a> {
    /// The file the literal is in.
    pub(crate) file: &'a str,
    /// The file's text.
    pub(crate) source: &'a str,
    /// Where the literal is in it.
    pub(crate) at: Span,
    /// The map from decoded offsets to source spans, built when a problem is reported
    /// (most paths have none).
    pub(crate) lit: OnceCell<LitMap>,
    /// The literal as written (decoded).
    pub(crate) written: &'a str,
    /// With variables: the pieces, the substitution and the values used.
    pub(crate) subst: Option<Subst<'a>>,
}

impl<'a> PathSite<'a> {
    /// A literal without variables.
    pub(crate) fn plain(file: &'a str, text: &'a str, s: &'a Spanned<String>) -> PathSite<'a> {
        PathSite {
            file,
            source: text,
            at: s.span,
            lit: OnceCell::new(),
            written: &s.node,
            subst: None,
        }
    }

    /// The text validated: the literal, or the result of substitution.
    pub(crate) fn path(&self) -> &str {
        self.subst
            .as_ref()
            .map_or(self.written, |(_, s, _)| &s.text)
    }

    /// The source span of a byte range of [`PathSite::path`].
    pub(crate) fn span(&self, r: Range<usize>) -> Span {
        let lit = self
            .lit
            .get_or_init(|| LitMap::new(self.source, self.at, self.written));
        match &self.subst {
            Some((_, sub, _)) => lit.span(sub.source_range(r)),
            None => lit.span(r),
        }
    }

    /// A help saying what the variables in the range `r` of the path were replaced by.
    fn subst_help(&self, r: Range<usize>) -> Option<String> {
        let (pieces, sub, values) = self.subst.as_ref()?;
        let names = sub.vars_in(r, pieces);
        let shown: Vec<String> = if names.is_empty() {
            values
                .iter()
                .map(|(n, v)| format!("`${{{n}}}` is `{}`", one_line(v)))
                .collect()
        } else {
            values
                .iter()
                .filter(|(n, _)| names.contains(n))
                .map(|(n, v)| format!("`${{{n}}}` is `{}`", one_line(v)))
                .collect()
        };
        Some(format!(
            "after substitution the path is `{}` ({})",
            one_line(&sub.text),
            shown.join(", ")
        ))
    }

    /// Validate the path as a glob; report the problem found.
    pub(crate) fn glob(&self, out: &mut Vec<Diagnostic>) -> Option<Glob> {
        match Glob::parse(self.path()) {
            Ok(g) => Some(g),
            Err(e) => {
                out.push(self.glob_error(&e));
                None
            }
        }
    }

    /// Validate a file rule's path: a glob, and whether it denotes directories only (a
    /// trailing `/`, [`Glob::parse_path`]). A directory-only path whose rule names a right
    /// that never applies to a directory is E0127.
    pub(crate) fn rule_path(
        &self,
        rights: Rights,
        parsed: &mut ParsedPaths,
        out: &mut Vec<Diagnostic>,
    ) -> Option<(Glob, bool)> {
        let path = match parsed.0.get(self.path()) {
            Some(known) => Ok(known.clone()),
            None => Glob::parse_path(self.path()).inspect(|ok| {
                // Keyed by the glob's own text when it is the path (not for directories).
                let key = if ok.0.as_str() == self.path() {
                    ok.0.shared_text()
                } else {
                    Arc::from(self.path())
                };
                parsed.0.insert(key, ok.clone());
            }),
        };
        match path {
            Ok((_, true)) if !rights.is_subset(Rights::ON_DIRECTORIES) => {
                let len = self.path().len();
                let bad = crate::ir::text::rights_words(rights.difference(Rights::ON_DIRECTORIES));
                let mut d = Diagnostic::new(
                    Code::NotOnDirectory,
                    self.file,
                    self.span(len.saturating_sub(1)..len),
                    format!(
                        "`{}` ends with `/` (directories only), where `{bad}` never applies",
                        one_line(self.path())
                    ),
                    "directories only",
                );
                if let Some(h) = self.subst_help(0..len) {
                    d = d.with_help(h);
                }
                out.push(d);
                None
            }
            Ok(r) => Some(r),
            Err(e) => {
                out.push(self.glob_error(&e));
                None
            }
        }
    }

    /// The diagnostic for a glob error.
    pub(crate) fn glob_error(&self, e: &GlobError) -> Diagnostic {
        let p = one_line(self.path());
        let len = self.path().len();
        let r = e.start.min(len)..e.end.clamp(e.start.min(len), len);
        let (code, message, label) = match &e.kind {
            GlobErrorKind::Relative => (
                Code::RelativePath,
                format!("path `{p}` is not absolute"),
                "does not start with `/`".to_string(),
            ),
            GlobErrorKind::DotDot => (
                Code::DotDotComponent,
                format!("path `{p}` has a `..` component"),
                "`..` component".to_string(),
            ),
            GlobErrorKind::Dot => (
                Code::DotComponent,
                format!("path `{p}` has a `.` component"),
                "`.` component".to_string(),
            ),
            GlobErrorKind::EmptyComponent if r.end >= len && self.path().ends_with('/') => (
                Code::EmptyComponent,
                format!("path `{p}` ends with `/`"),
                "trailing `/`".to_string(),
            ),
            GlobErrorKind::EmptyComponent => (
                Code::EmptyComponent,
                format!("path `{p}` has an empty component"),
                "empty component".to_string(),
            ),
            GlobErrorKind::MixedDirForm { all_end: false } => (
                Code::MixedDirForm,
                format!("some alternatives of `{p}` end with `/` and others do not"),
                "this alternative ends with `/`".to_string(),
            ),
            GlobErrorKind::MixedDirForm { all_end: true } => (
                Code::MixedDirForm,
                format!("the trailing `/` of `{p}` is not in one place for every alternative"),
                "write the `/` once, after the braces".to_string(),
            ),
            GlobErrorKind::Control => (
                Code::ControlCharacter,
                format!("path `{p}` holds a NUL or control character"),
                "control character".to_string(),
            ),
            GlobErrorKind::Malformed(why) => (
                Code::MalformedGlob,
                format!("malformed glob `{p}`: {}", one_line(why)),
                "malformed here".to_string(),
            ),
            GlobErrorKind::Class(why) => (
                Code::MalformedClass,
                format!("malformed character class in `{p}`: {}", one_line(why)),
                "malformed here".to_string(),
            ),
        };
        let mut d = Diagnostic::new(code, self.file, self.span(r.clone()), message, label);
        if let Some(h) = self.subst_help(r) {
            d = d.with_help(h);
        }
        d
    }

    /// Validate the path as the `attach` executable: absolute, no glob characters.
    pub(crate) fn attach(&self, out: &mut Vec<Diagnostic>) -> Option<String> {
        let path = self.path();
        let p = one_line(path);
        let bad = |r: Range<usize>, msg: String, label: &str| {
            let mut d =
                Diagnostic::new(Code::BadAttach, self.file, self.span(r.clone()), msg, label);
            if let Some(h) = self.subst_help(r) {
                d = d.with_help(h);
            }
            d
        };
        if let Some(i) = path.find(['*', '?', '{', '}']) {
            out.push(bad(
                i..i + 1,
                format!("attach path `{p}` holds a glob character"),
                "glob character",
            ));
            return None;
        }
        if path == "/" {
            out.push(bad(
                0..1,
                "attach path `/` is a directory".into(),
                "not an executable",
            ));
            return None;
        }
        match Glob::parse(path) {
            Ok(_) => Some(path.to_string()),
            Err(e) => {
                let len = path.len();
                let r = e.start.min(len)..e.end.clamp(e.start.min(len), len);
                let d = match e.kind {
                    GlobErrorKind::Relative => bad(
                        r,
                        format!("attach path `{p}` is not absolute"),
                        "does not start with `/`",
                    ),
                    GlobErrorKind::EmptyComponent if path.ends_with('/') && r.end >= len => bad(
                        r,
                        format!("attach path `{p}` ends with `/`"),
                        "trailing `/`",
                    ),
                    _ => self.glob_error(&e),
                };
                out.push(d);
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn attach_with_glob_points_at_the_character() {
        let text = r#"attach "/usr/bin/*""#;
        let s = Spanned::new("/usr/bin/*".to_string(), Span::new(7, text.len()));
        let mut out = Vec::new();
        assert!(PathSite::plain("f.pol", text, &s)
            .attach(&mut out)
            .is_none());
        assert_eq!(out[0].code, Code::BadAttach);
        assert_eq!(out[0].primary.as_ref().unwrap().span, Span::new(17, 18));
        assert_eq!(
            out[0].message,
            "attach path `/usr/bin/*` holds a glob character"
        );
    }

    #[test]
    fn glob_errors_map_to_codes_and_spans() {
        let text = r#""/a/../b""#;
        let s = Spanned::new("/a/../b".to_string(), Span::new(0, text.len()));
        let site = PathSite::plain("f.pol", text, &s);
        let d = site.glob_error(&GlobError {
            kind: GlobErrorKind::DotDot,
            start: 3,
            end: 5,
        });
        assert_eq!(d.code, Code::DotDotComponent);
        assert_eq!(d.primary.unwrap().span, Span::new(4, 6));
        let d = site.glob_error(&GlobError {
            kind: GlobErrorKind::Control,
            start: 99,
            end: 120,
        });
        assert_eq!(d.code, Code::ControlCharacter);
    }
}
