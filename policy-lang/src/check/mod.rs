//! The checker: everything the language says about a policy beyond its syntax.
//!
//! Checks are done in layers, each reporting every problem it finds with a stable
//! [`Code`](crate::diagnostics::Code) and a precise span:
//!
//! 1. each item on its own: names (policy names through
//!    [`PolicyName::new`](crate::ir::PolicyName::new), so that nothing that could inject
//!    into a profile or a CIL identifier passes), keywords (rights, modes, network
//!    operations and protocols, capabilities, signals), ports, declarations, and every
//!    path without variables (through [`Glob::parse`](crate::glob::Glob::parse));
//! 2. the file: exactly one policy, abstractions defined once;
//! 3. `use`: resolution (own file, extra abstraction files, stdlib), versions, cycles;
//! 4. variables: declarations, supplied values, references, and every path after
//!    substitution (again through `Glob::parse`);
//! 5. exec transitions that conflict (during lowering);
//! 6. warnings about the policy's own statements.
//!
//! [`load`](crate::load()) runs them all; [`check_file`] runs the first two on one file.

pub(crate) mod accept;
pub(crate) mod app;
pub(crate) mod dbus;
pub(crate) mod exec;
pub(crate) mod items;
pub(crate) mod lint;
mod names;
pub(crate) mod paths;
pub(crate) mod resolve;
pub(crate) mod strings;
pub(crate) mod transitions;
pub(crate) mod unix;
pub(crate) mod vars;

pub use crate::ir::{is_capability, is_signal, CAPABILITIES, SIGNALS};
pub use strings::suggest;

use crate::ast::File;
use crate::diagnostics::Diagnostic;
use items::Sink;
use paths::ParsedPaths;

/// Check a policy file on its own: every item, abstractions defined once, exactly one
/// policy. Abstractions are not resolved and strings with variables are checked only for
/// the syntax of their references.
///
/// ```
/// use polc_lang::ast::File;
/// let diags = polc_lang::check::check_file("empty.pol", "", &File::default());
/// assert_eq!(diags[0].code.as_str(), "E0135");
/// ```
pub fn check_file(name: &str, text: &str, file: &File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut paths = ParsedPaths::default();
    check_local(name, text, file, false, &mut paths, &mut out);
    let mut sink = Sink {
        file: name,
        text,
        out: &mut out,
        paths: &mut paths,
    };
    items::check_policy_count(&mut sink, &file.items);
    out
}

/// Item checks and duplicate abstractions of one file (`partial`: see [`items::check_item`]).
pub(crate) fn check_local(
    name: &str,
    text: &str,
    file: &File,
    partial: bool,
    paths: &mut ParsedPaths,
    out: &mut Vec<Diagnostic>,
) {
    let mut sink = Sink {
        file: name,
        text,
        out,
        paths,
    };
    for item in &file.items {
        items::check_item(&mut sink, item, partial);
    }
    items::check_duplicate_abstractions(&mut sink, &file.items);
}
