//! The formatter (stub: being implemented).

use crate::ast::File;

/// Format a file in the canonical form.
pub fn format(_f: &File) -> String {
    String::new()
}
