//! D-Bus rules. Landlock mediates nothing of D-Bus: the bus daemon decides which
//! messages it delivers and which names it grants, and asks only the LSMs that register
//! for it (AppArmor, SELinux). The bus is reached through a path unix socket
//! (`/run/dbus/system_bus_socket`, `/run/user/UID/bus`), which Landlock does not restrict
//! either.
//!
//! So an allow rule holds as written (what it allows is allowed: exact, as for netlink
//! rules), a deny rule is unsupported, and every D-Bus message is a gap of the ruleset.
//! Widening the allow rules to "the bus socket" would be no more honest: the socket is
//! the unix rules' business, and Landlock does not restrict it anyway.

use crate::files::Verdict;
use crate::plan::{Gap, GapKind};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::{Effect, Policy};

/// The verdict of each D-Bus rule.
pub(crate) fn verdicts(policy: &Policy) -> Vec<Verdict> {
    policy
        .dbus
        .iter()
        .map(|r| match r.effect {
            Effect::Allow => Verdict::exact(),
            Effect::Deny => Verdict::new(
                Fidelity::Unsupported,
                "Landlock does not mediate D-Bus: the bus daemon asks only AppArmor and SELinux",
            ),
        })
        .collect()
}

/// The gap of a policy with D-Bus rules: every message and name on every bus.
pub(crate) fn gaps(policy: &Policy) -> Vec<Gap> {
    if policy.dbus.is_empty() {
        return Vec::new();
    }
    vec![Gap {
        what: "D-Bus messages and bus names".into(),
        kind: GapKind::Inherent,
        access: None,
        since_abi: None,
        reason: "Landlock does not mediate D-Bus (the bus daemon asks only AppArmor and \
                 SELinux), nor connecting to the bus's path socket"
            .into(),
    }]
}
