//! Capability and signal names AppArmor knows.

/// The AppArmor name of a capability, if AppArmor knows it.
pub(crate) fn capability(name: &str) -> Option<&'static str> {
    // AppArmor knows every capability of the language (up to `checkpoint_restore`).
    polc_lang::ir::CAPABILITIES
        .iter()
        .copied()
        .find(|c| *c == name)
}

/// Signal names of AppArmor's `set=(...)`, besides `rtmin+N`.
const SIGNALS: [&str; 33] = [
    "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv", "usr2",
    "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "stp", "ttin", "ttou", "urg", "xcpu",
    "xfsz", "vtalrm", "prof", "winch", "io", "pwr", "sys", "emt", "exists",
];

/// The AppArmor name of a signal (lowercase, without `SIG`), if AppArmor knows it.
/// Linux's other names for the same signals are mapped (`tstp` is AppArmor's `stp`).
pub(crate) fn signal(name: &str) -> Option<String> {
    let alias = match name {
        "tstp" => "stp",
        "iot" => "abrt",
        "poll" => "io",
        "cld" => "chld",
        "rtmin" => "rtmin+0",
        "rtmax" => "rtmin+32",
        other => other,
    };
    if let Some(s) = SIGNALS.iter().find(|s| **s == alias) {
        return Some((*s).to_string());
    }
    let offset = |digits: &str| -> Option<u32> {
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u32>().ok().filter(|n| *n <= 32)
    };
    if let Some(n) = alias.strip_prefix("rtmin+").and_then(offset) {
        return Some(format!("rtmin+{n}"));
    }
    if let Some(n) = alias.strip_prefix("rtmax-").and_then(offset) {
        return Some(format!("rtmin+{}", 32 - n));
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(signal("term").as_deref(), Some("term"));
        assert_eq!(signal("tstp").as_deref(), Some("stp"));
        assert_eq!(signal("rtmin+3").as_deref(), Some("rtmin+3"));
        assert_eq!(signal("rtmax-2").as_deref(), Some("rtmin+30"));
        assert_eq!(signal("rtmin+33"), None);
        assert_eq!(signal("lost"), None);
        assert_eq!(signal("term kill"), None);
    }

    #[test]
    fn capability_names() {
        assert_eq!(capability("setuid"), Some("setuid"));
        assert_eq!(capability("CAP_SETUID"), None);
        assert_eq!(capability("setuid,"), None);
    }
}
