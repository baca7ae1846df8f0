//! How the module meets the target's own policy: domains of the target that launch the
//! policy's program ([`Launcher`]), and attributes of the target that the module's types
//! join ([`Attribute`]). Nothing by default: the module then holds exactly the policy's
//! rules, and its domain is entered only by `setexeccon` from a domain the target allows.

use crate::names::qualified;
use crate::report::Findings;
use crate::{Config, Error, Out};
use polc_lang::fidelity::{Fidelity, Subject};
use polc_lang::ir::Policy;
use std::fmt;
use std::str::FromStr;

/// A domain of the target system that starts the policy's program, e.g. the reference
/// policy's `unconfined_t` in role `unconfined_r` (written `unconfined_t:unconfined_r`).
///
/// The module lets it enter the policy's domain (`process transition`, the role
/// authorised for the domain) and gives the domain what every transition needs on its
/// launcher (`fd use`, inherited pipes, `sigchld`); when the policy has an `attach`
/// executable, executing it from the launcher enters the domain by itself
/// (`typetransition`), as AppArmor attaches a profile by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    /// The launcher's domain type (a type of the target's policy).
    pub domain: String,
    /// A role of the target in which the launcher runs (authorised for the domain).
    pub role: String,
}

/// Which of the module's types an [`Attribute`] is given to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeKind {
    /// The policy's domain.
    Domain,
    /// The file types: owned paths, deny carve-outs, the entrypoint.
    File,
    /// The port types the module declares.
    Port,
}

/// An attribute of the target's policy that the module's types of one kind join, e.g. the
/// reference policy's `domain`, `file_type` and `port_type` (written `domain=domain`,
/// `file=file_type`, `port=port_type`).
///
/// The target's rules for the attribute then apply to these types too: for the domain
/// that is more than the policy grants, which the report says (`widened`, on the mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Which types join it.
    pub kind: TypeKind,
    /// The attribute's name in the target's policy.
    pub name: String,
}

/// A launcher or attribute that is not well formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntegrationParseError {
    /// Not `TYPE:ROLE`.
    #[error("`{0}` is not TYPE:ROLE (e.g. unconfined_t:unconfined_r)")]
    Launcher(String),
    /// Not `KIND=ATTRIBUTE` with a kind of domain, file or port.
    #[error(
        "`{0}` is not KIND=ATTRIBUTE with KIND one of domain, file, port (e.g. domain=domain)"
    )]
    Attribute(String),
    /// Not an identifier of the target's policy.
    #[error(
        "`{0}` is not a type, role or attribute name (a letter, then letters, digits and `_`)"
    )]
    Name(String),
}

/// A name of the target's policy: a letter, then ASCII letters, digits and `_` (no `.`:
/// the module's own names are the only ones with a namespace).
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
}

fn name(s: &str) -> Result<String, IntegrationParseError> {
    if valid_name(s) {
        Ok(s.to_string())
    } else {
        Err(IntegrationParseError::Name(s.to_string()))
    }
}

impl FromStr for Launcher {
    type Err = IntegrationParseError;

    fn from_str(s: &str) -> Result<Launcher, IntegrationParseError> {
        let (domain, role) = s
            .split_once(':')
            .ok_or_else(|| IntegrationParseError::Launcher(s.to_string()))?;
        Ok(Launcher {
            domain: name(domain)?,
            role: name(role)?,
        })
    }
}

impl fmt::Display for Launcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.domain, self.role)
    }
}

impl FromStr for Attribute {
    type Err = IntegrationParseError;

    fn from_str(s: &str) -> Result<Attribute, IntegrationParseError> {
        let bad = || IntegrationParseError::Attribute(s.to_string());
        let (kind, attr) = s.split_once('=').ok_or_else(bad)?;
        let kind = match kind {
            "domain" => TypeKind::Domain,
            "file" => TypeKind::File,
            "port" => TypeKind::Port,
            _ => return Err(bad()),
        };
        Ok(Attribute {
            kind,
            name: name(attr)?,
        })
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TypeKind::Domain => "domain",
            TypeKind::File => "file",
            TypeKind::Port => "port",
        };
        write!(f, "{kind}={}", self.name)
    }
}

/// Add the launchers' transitions and the attribute memberships to `out`.
pub(crate) fn lower(
    p: &Policy,
    cfg: &Config,
    out: &mut Out,
    findings: &mut Findings,
) -> Result<(), Error> {
    for n in cfg
        .launchers
        .iter()
        .flat_map(|l| [&l.domain, &l.role])
        .chain(cfg.attributes.iter().map(|a| &a.name))
    {
        if !valid_name(n) {
            return Err(Error::BadName(n.clone()));
        }
    }
    let dom = out.domain.clone();
    let entry = qualified(&out.block, "entry");
    for l in &cfg.launchers {
        if l.role != crate::DOMAIN_ROLE {
            out.roles.insert(l.role.clone());
        }
        let launcher = l.domain.clone();
        out.allow(&launcher, &dom, "process", &["transition"], None);
        out.allow(&dom, &launcher, "fd", &["use"], None);
        out.allow(
            &dom,
            &launcher,
            "fifo_file",
            &["append", "getattr", "ioctl", "lock", "read", "write"],
            None,
        );
        out.allow(&dom, &launcher, "process", &["sigchld"], None);
        if p.attach.is_some() {
            out.allow(
                &launcher,
                &entry,
                "file",
                &["execute", "getattr", "map", "open", "read"],
                None,
            );
            out.transitions.insert((
                launcher.clone(),
                entry.clone(),
                "process".into(),
                dom.clone(),
                None,
            ));
        }
    }
    for a in &cfg.attributes {
        let members: Vec<String> = match a.kind {
            // the policy's domain and its children's sub-domains
            TypeKind::Domain => out
                .types
                .iter()
                .filter(|(_, role)| *role == crate::DOMAIN_ROLE)
                .map(|(t, _)| t.clone())
                .collect(),
            TypeKind::File => {
                let mut v: Vec<String> = out.filecons.iter().map(|(_, _, t)| t.clone()).collect();
                v.sort();
                v.dedup();
                v
            }
            TypeKind::Port => {
                let mut v: Vec<String> =
                    out.portcons.iter().map(|(_, _, _, t)| t.clone()).collect();
                v.sort();
                v.dedup();
                v
            }
        };
        if members.is_empty() {
            continue;
        }
        if a.kind == TypeKind::Domain {
            findings.add(
                Subject::Mode,
                None,
                Fidelity::Widened,
                format!(
                    "the domain joins the target's attribute `{}`: the target's rules for it apply to the domain too",
                    a.name
                ),
            );
        }
        out.attributes
            .entry(a.name.clone())
            .or_default()
            .extend(members);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parse_and_show() {
        let l: Launcher = "unconfined_t:unconfined_r".parse().unwrap();
        assert_eq!(l.domain, "unconfined_t");
        assert_eq!(l.to_string(), "unconfined_t:unconfined_r");
        let a: Attribute = "file=file_type".parse().unwrap();
        assert_eq!(a.kind, TypeKind::File);
        assert_eq!(a.to_string(), "file=file_type");
        for bad in [
            "unconfined_t",
            "a:b:c",
            ":r",
            "t:",
            "t) (allow:r",
            "t:r x",
            ".t:r",
        ] {
            assert!(bad.parse::<Launcher>().is_err(), "{bad}");
        }
        for bad in ["domain", "dir=x", "file=", "file=a.b", "file=a)"] {
            assert!(bad.parse::<Attribute>().is_err(), "{bad}");
        }
    }
}
