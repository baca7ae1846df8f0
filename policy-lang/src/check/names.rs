//! The names the language knows: capabilities, signals, network operations, modes.

/// Every Linux capability, lowercase without `CAP_`, in the kernel's numeric order
/// (`CAP_CHOWN` = 0 ... `CAP_CHECKPOINT_RESTORE` = 40).
pub const CAPABILITIES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// The standard signals, lowercase without `SIG`, in numeric order on x86-64 (`hup` = 1
/// ... `sys` = 31). Real-time signals (`rtmin+N`) are not part of the language.
pub const SIGNALS: [&str; 31] = [
    "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv", "usr2",
    "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "tstp", "ttin", "ttou", "urg",
    "xcpu", "xfsz", "vtalrm", "prof", "winch", "io", "pwr", "sys",
];

/// True for a known capability name.
pub fn is_capability(s: &str) -> bool {
    CAPABILITIES.contains(&s)
}

/// True for a known signal name.
pub fn is_signal(s: &str) -> bool {
    SIGNALS.contains(&s)
}

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

    #[test]
    fn tables_are_complete_and_unique() {
        let caps: std::collections::BTreeSet<_> = CAPABILITIES.iter().collect();
        assert_eq!(caps.len(), 41);
        let sigs: std::collections::BTreeSet<_> = SIGNALS.iter().collect();
        assert_eq!(sigs.len(), 31);
        assert_eq!(normalize_c_name("CAP_SETUID", "cap_"), "setuid");
        assert_eq!(normalize_c_name("SIGTERM", "sig"), "term");
    }
}
