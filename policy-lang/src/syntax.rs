//! The parser (stub: being implemented).

use crate::ast::File;
use crate::diagnostics::Diagnostic;

/// Parse a source text; returns the tree (with what could be recovered) and every syntax error.
pub fn parse(_name: &str, _text: &str) -> (File, Vec<Diagnostic>) {
    (File::default(), Vec::new())
}
