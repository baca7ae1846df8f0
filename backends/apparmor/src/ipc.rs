//! Process-to-process rules: the peer of signal and ptrace rules.

use crate::profile::{profile_name, quote};
use crate::Error;
use polc_lang::ir::Peer;

/// The ` peer=...` clause of a rule on processes of `peer`: a policy's profile name,
/// AppArmor's own `unconfined` label, or nothing for every process.
pub(crate) fn peer_clause(peer: &Peer) -> Result<String, Error> {
    Ok(match peer {
        Peer::Policy(name) => format!(" peer={}", quote(&profile_name(name)?)),
        Peer::Unconfined => " peer=unconfined".to_string(),
        Peer::Any => String::new(),
    })
}
