//! Linux capability names and numbers.

/// Capability names (lowercase, without `CAP_`), indexed by number (linux/capability.h):
/// the language's own list.
pub const NAMES: [&str; 41] = polc_lang::ir::CAPABILITIES;

/// The number of a capability name.
pub fn number(name: &str) -> Option<u32> {
    NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u32::try_from(i).ok())
}

/// The name of a capability number, if known.
pub fn name(n: u32) -> Option<&'static str> {
    usize::try_from(n).ok().and_then(|i| NAMES.get(i)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number("net_bind_service"), Some(10));
        assert_eq!(number("checkpoint_restore"), Some(40));
        assert_eq!(number("nope"), None);
        assert_eq!(name(21), Some("sys_admin"));
        assert_eq!(name(99), None);
    }
}
