//! Text for people and machines: the renderings of diagnostics, explanations, denials
//! and diffs that the `polc` command, the C library and the Python package share.
//!
//! Pure functions from values to strings; nothing here reads or writes a file or a
//! terminal. Text that comes from policy files or logs is made safe for a terminal
//! ([`diagnostic::sanitize`], [`diagnostic::sanitize_line`]).

pub mod denial;
pub mod diagnostic;
pub mod diff;
pub mod explain;
