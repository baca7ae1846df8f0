//! D-Bus rules: AppArmor's `dbus` rules, which the bus daemon (`dbus-daemon`,
//! `dbus-broker`) asks the kernel to decide.
//!
//! - `send`/`receive`: `dbus (send, receive) bus=B path=P interface=I member=M
//!   peer=(name=N, label=L),`, each field only when the rule names it;
//! - `bind`: `dbus bind bus=B name=N,`.
//!
//! Every field is an AppArmor pattern translated from the polc glob (object paths as
//! paths, names as one component), so the rule is exact.

use crate::profile::profile_name;
use crate::{aare, Error};
use polc_lang::fidelity::{Fidelity, RuleFidelity, RuleListKind};
use polc_lang::ir::text::quote_line;
use polc_lang::ir::{DbusOp, DbusRule, Effect, Peer, Policy};

/// The `dbus` lines of the policy's D-Bus rules, and their fidelity.
pub(crate) fn dbus_rules(
    policy: &Policy,
    lines: &mut Vec<String>,
    report: &mut Vec<RuleFidelity>,
) -> Result<(), Error> {
    for (index, rule) in policy.dbus.iter().enumerate() {
        let (line, repeat) = dbus_line(rule)?;
        lines.push(line);
        let (fidelity, reason) = match (repeat, rule.effect) {
            (false, _) => (Fidelity::Exact, String::new()),
            (true, Effect::Allow) => (
                Fidelity::Narrowed,
                format!(
                    "a `[...]+` matches at most {} characters in AppArmor",
                    aare::MAX_REPEAT
                ),
            ),
            (true, Effect::Deny) => (
                Fidelity::Widened,
                format!(
                    "a `[...]+` matches at most {} characters in AppArmor: longer names are \
                     not denied",
                    aare::MAX_REPEAT
                ),
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Dbus,
            index,
            fidelity,
            reason,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    Ok(())
}

/// One rule's line, and whether a pattern holds a bounded repeat (`[...]+`).
fn dbus_line(r: &DbusRule) -> Result<(String, bool), Error> {
    let refused = |glob: &str| {
        let glob = glob.to_string();
        let origin = r.origins.first().map(|o| Box::new(o.clone()));
        move |e: aare::Refusal| Error::UnsafeGlob {
            glob,
            reason: e.0,
            origin,
        }
    };
    let mut repeat = false;
    // A pattern for a path glob, or for a name glob as the one component of a path.
    let mut pattern = |text: &str, name: bool| -> Result<String, Error> {
        let glob = if name {
            format!("/{text}")
        } else {
            text.to_string()
        };
        let forms = aare::glob_forms(&glob).map_err(refused(text))?;
        repeat |= forms.repeat;
        let p = forms.file.unwrap_or_else(|| "/".to_string());
        aare::check_length(&p).map_err(refused(text))?;
        let p = if name {
            p.strip_prefix('/').unwrap_or(&p).to_string()
        } else {
            p
        };
        // `p` is escaped for AppArmor: only the quotes are added here.
        Ok(format!("\"{p}\""))
    };
    let mut s = String::new();
    if r.audit {
        s.push_str("audit ");
    }
    if r.effect == Effect::Deny {
        s.push_str("deny ");
    }
    let ops: Vec<&str> = r.ops.iter().map(|o| o.keyword()).collect();
    s.push_str("dbus ");
    if ops.len() == 1 {
        s.push_str(ops.join("").as_str());
    } else {
        s.push('(');
        s.push_str(&ops.join(", "));
        s.push(')');
    }
    if let Some(b) = &r.bus {
        s.push_str(" bus=");
        s.push_str(&quote_line(b));
    }
    if r.ops.contains(&DbusOp::Bind) {
        // The checker keeps `bind` alone, with a name only.
        if let Some(n) = &r.name {
            s.push_str(" name=");
            s.push_str(&pattern(n, true)?);
        }
        s.push(',');
        return Ok((s, repeat));
    }
    if let Some(p) = &r.path {
        s.push_str(" path=");
        s.push_str(&pattern(p.as_str(), false)?);
    }
    for (kw, v) in [("interface", &r.interface), ("member", &r.member)] {
        if let Some(v) = v {
            s.push(' ');
            s.push_str(kw);
            s.push('=');
            s.push_str(&pattern(v, true)?);
        }
    }
    let mut peer = Vec::new();
    if let Some(n) = &r.name {
        peer.push(format!("name={}", pattern(n, true)?));
    }
    match &r.peer {
        Peer::Any => {}
        Peer::Unconfined => peer.push("label=unconfined".to_string()),
        Peer::Policy(n) => peer.push(format!("label={}", quote_line(&profile_name(n)?))),
    }
    if !peer.is_empty() {
        s.push_str(&format!(" peer=({})", peer.join(", ")));
    }
    s.push(',');
    Ok((s, repeat))
}
