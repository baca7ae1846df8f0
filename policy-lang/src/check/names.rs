//! Spelling help for the names the language knows; the names themselves are the IR's
//! ([`crate::ir::CAPABILITIES`], [`crate::ir::SIGNALS`]).

/// The word a user probably meant when writing a C-style name (`CAP_SETUID`, `SIGTERM`).
pub(crate) fn normalize_c_name(s: &str, prefix: &str) -> String {
    let lower = s.to_ascii_lowercase();
    lower
        .strip_prefix(prefix)
        .map_or(lower.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{CAPABILITIES, SIGNALS};

    #[test]
    fn tables_are_complete_and_unique() {
        let caps: std::collections::BTreeSet<_> = CAPABILITIES.iter().collect();
        assert_eq!(caps.len(), 41);
        let sigs: std::collections::BTreeSet<_> = SIGNALS.iter().collect();
        assert_eq!(sigs.len(), 32);
        assert_eq!(normalize_c_name("CAP_SETUID", "cap_"), "setuid");
        assert_eq!(normalize_c_name("SIGTERM", "sig"), "term");
    }
}
