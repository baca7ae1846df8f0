//! Rendering the lowered module as CIL text.
//!
//! Every identifier written comes from polc (block and local type names), from a
//! validated policy name, or from a validated type name of the target's file/port
//! contexts; strings (`filecon` paths) are regexes made only of letters, digits, `/`,
//! `_`, `-`, `\`, `.`, `x`-escapes and regex operators (see [`crate::regex`]). Names of
//! the base policy and of other blocks are written with a leading `.` (global
//! namespace), so a local name can never capture them.

use crate::names::block_name;
use crate::{Out, DOMAIN_ROLE, LEVEL, OBJECT_ROLE, USER};
use polc_lang::ir::text::quote_line;
use polc_lang::ir::{Policy, PolicyName};
use std::collections::BTreeMap;
use std::fmt::Write;

fn reference(block: &str, full: &str) -> String {
    match full.strip_prefix(block).and_then(|r| r.strip_prefix('.')) {
        Some(local) if !local.contains('.') => local.to_string(),
        _ => format!(".{full}"),
    }
}

fn ctx(local: &str) -> String {
    format!("(.{USER} .{OBJECT_ROLE} {local} {LEVEL})")
}

/// Render the module.
pub(crate) fn render(p: &Policy, out: &Out) -> String {
    let b = &out.block;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "; polc: SELinux module for policy `{}` (generated; do not edit)",
        p.name
    );
    if let Some(v) = p.version {
        let _ = writeln!(s, "; version {v}");
    }
    let _ = writeln!(s, "(block {b}");
    for (t, role) in &out.types {
        let _ = writeln!(s, "    (type {t})");
        let _ = writeln!(s, "    (roletype .{role} {t})");
    }
    // every domain of the module (the policy's and its children's) in the launchers' roles
    let domains: Vec<&str> = out
        .types
        .iter()
        .filter(|(_, role)| *role == DOMAIN_ROLE)
        .map(|(t, _)| t.as_str())
        .collect();
    for role in &out.roles {
        for d in &domains {
            let _ = writeln!(s, "    (roletype .{role} {d})");
        }
    }
    for (attr, members) in &out.attributes {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        let _ = writeln!(s, "    (typeattributeset .{attr} ({}))", members.join(" "));
    }
    if let Some(a) = &p.attach {
        let _ = writeln!(s, "    ; attach {}", quote_line(&a.path));
    }
    for (re, mode, t) in &out.filecons {
        let kw = mode.map_or("any", |m| m.cil_keyword());
        let _ = writeln!(s, "    (filecon \"{re}\" {kw} {})", ctx(t));
    }
    for (proto, lo, hi, t) in &out.portcons {
        let range = if lo == hi {
            lo.to_string()
        } else {
            format!("({lo} {hi})")
        };
        let _ = writeln!(
            s,
            "    (portcon {} {range} {})",
            crate::report::proto(*proto),
            ctx(t)
        );
    }
    // unconditional rules, then one optional per peer policy
    let mut by_peer: BTreeMap<Option<&PolicyName>, Vec<String>> = BTreeMap::new();
    let allows = out.allows.iter().map(|r| ("allow", r));
    let audits = out.auditallows.iter().map(|r| ("auditallow", r));
    for (kw, ((src, tgt, class, req), perms)) in allows.chain(audits) {
        let tgt_ref = if src == tgt {
            "self".to_string()
        } else {
            reference(b, tgt)
        };
        let perms: Vec<&str> = perms.iter().copied().collect();
        by_peer.entry(req.as_ref()).or_default().push(format!(
            "({kw} {} {tgt_ref} ({class} ({})))",
            reference(b, src),
            perms.join(" ")
        ));
    }
    for (src, tgt, class, result, req) in &out.transitions {
        by_peer.entry(req.as_ref()).or_default().push(format!(
            "(typetransition {} {} {class} {})",
            reference(b, src),
            reference(b, tgt),
            reference(b, result)
        ));
    }
    for (peer, lines) in &by_peer {
        match peer {
            None => {
                for l in lines {
                    let _ = writeln!(s, "    {l}");
                }
            }
            Some(peer) => {
                let _ = writeln!(s, "    (optional peer_{}", block_name(peer));
                for l in lines {
                    let _ = writeln!(s, "        {l}");
                }
                let _ = writeln!(s, "    )");
            }
        }
    }
    if out.permissive {
        for d in &domains {
            let _ = writeln!(s, "    (typepermissive {d})");
        }
    }
    let _ = writeln!(s, ")");
    s
}
