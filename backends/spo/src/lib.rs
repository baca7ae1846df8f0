//! # polc-spo: polc policies as Security Profiles Operator abstract AppArmor profiles
//!
//! The Kubernetes Security Profiles Operator (SPO) distributes AppArmor profiles to every
//! node from an `AppArmorProfile` object. Its `v1` form is *abstract*: allow lists of
//! read-only, write-only and read-write paths, executables, libraries, capabilities, and
//! TCP/UDP/raw sockets on or off. The node daemon turns it into profile text (upstream
//! `crd2armor`):
//!
//! | abstract field | profile rules the node writes |
//! | --- | --- |
//! | `filesystem.readOnlyPaths: [P]` | `P r,` and `deny P wlk,` |
//! | `filesystem.writeOnlyPaths: [P]` | `P wlk,` and `deny P r,` |
//! | `filesystem.readWritePaths: [P]` | `P rwlk,` |
//! | `executable.allowedExecutables: [P]` | `P ixr,` (the child stays in the profile) |
//! | `executable.allowedLibraries: [P]` | `P mr,` |
//! | `network.allowedProtocols.allowTcp` / `allowUdp` | `network tcp,` / `network udp,` (every port, both directions) |
//! | `network.allowRaw` | `network raw,` (`false`: `deny network raw,`) |
//! | `capability.allowedCapabilities: [C]` | `capability C,` |
//! | always | `#include <abstractions/base>` and denials of writes under `/proc` and `/sys` |
//! | `mode: Complain` | `flags=(complain)`, and none of the `deny` lines above |
//!
//! A directory-only file rule (a path ending with `/`) lists its directory form alone
//! (`/srv/cache/`), as the AppArmor backend writes it.
//!
//! This form is coarse, so [`compile`] computes it from the IR like any backend, with a
//! fidelity report per rule: `exact`, `narrowed`, `widened` (e.g. `allow net connect tcp
//! 443` becomes every TCP operation on every port) or `unsupported` (a `deny` that an allow
//! overlaps: the abstract form has no deny of its own). Strict mode refuses widened and
//! unsupported rules; since every profile the operator writes includes
//! `<abstractions/base>`, the policy-level entry is always `widened`, and strict mode
//! always refuses: the abstract form cannot state a policy exactly.
//!
//! ```
//! use polc_lang::fidelity::Fidelity;
//! use polc_lang::ir::Policy;
//! use polc_spo::{compile, Config};
//!
//! let origin = r#"{"file": "app.pol", "line": 1, "column": 1, "span": {"start": 0, "end": 1}}"#;
//! let policy: Policy = serde_json::from_str(&format!(r#"{{
//!     "name": "org.example.app", "mode": "enforce",
//!     "files": [{{"effect": "allow", "glob": "/etc/app/**", "rights": ["read"],
//!                 "origins": [{{"rights": ["read"], "origin": {origin}}}]}}],
//!     "net": [{{"effect": "allow", "op": "connect", "proto": "tcp",
//!               "ports": {{"lo": 443, "hi": 443}}, "origins": [{origin}]}}],
//!     "capabilities": [], "signals": []
//! }}"#))?;
//! let out = compile(&policy, &Config::default())?;
//! let fs = out.profile.filesystem.as_ref().unwrap();
//! assert_eq!(fs.read_only_paths, vec!["/etc/app/**[^/]".to_string()]);
//! assert_eq!(out.profile.network.as_ref().unwrap().allowed_protocols.allow_tcp, Some(true));
//! assert_eq!(out.report.worst(), Fidelity::Widened);
//! assert!(compile(&policy, &Config { strict: true }).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

use polc_lang::fidelity::{
    AccessClass, Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject, Unrestricted,
};
use polc_lang::glob::Glob;
use polc_lang::ir::text::{cap_rule_text, file_rule_text, net_rule_text, quote, signal_rule_text};
use polc_lang::ir::Effect;
use polc_lang::ir::{Mode, NetOp, Policy, PortRange, Proto};
use polc_lang::rights::{Right, Rights};
use serde::Serialize;
use std::collections::BTreeSet;

/// How to compile.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Fail with [`Error::Strict`] when any entry is widened or unsupported.
    pub strict: bool,
}

/// The `spec.abstract` of an SPO `AppArmorProfile` (field names as the CRD spells them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Abstract {
    /// `capability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<Capability>,
    /// `executable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable: Option<Executable>,
    /// `filesystem`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Filesystem>,
    /// `network`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
}

/// `abstract.capability`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    /// Capability names, lowercase without `CAP_`, sorted.
    pub allowed_capabilities: Vec<String>,
}

/// `abstract.executable`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Executable {
    /// Executables (`ixr`), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_executables: Vec<String>,
    /// Libraries (`mr`), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_libraries: Vec<String>,
}

/// `abstract.filesystem`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filesystem {
    /// `r` and `deny wlk`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub read_only_paths: Vec<String>,
    /// `wlk` and `deny r`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub write_only_paths: Vec<String>,
    /// `rwlk`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub read_write_paths: Vec<String>,
}

/// `abstract.network`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// Always written `false`: polc has no raw-socket rule, and `false` makes the node
    /// write `deny network raw`.
    pub allow_raw: bool,
    /// TCP and UDP.
    pub allowed_protocols: Protocols,
}

/// `abstract.network.allowedProtocols`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Protocols {
    /// `network tcp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_tcp: Option<bool>,
    /// `network udp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_udp: Option<bool>,
}

/// A compiled policy: the abstract profile, its mode, and the fidelity report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// `spec.abstract`.
    pub profile: Abstract,
    /// `spec.mode`: `Enforce` or `Complain`.
    pub mode: &'static str,
    /// Per-rule fidelity.
    pub report: FidelityReport,
}

/// Why a policy could not be compiled, with a code and help ([`miette::Diagnostic`]), as
/// every backend's errors have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// Strict mode refuses widened or unsupported entries.
    #[error("strict mode refuses {} rule(s) that the operator's abstract AppArmor profile cannot enforce exactly", .report.strict_violations().count())]
    #[diagnostic(
        code(polc::spo::strict),
        help(
            "the abstract form always includes <abstractions/base>; compile without --strict to accept the listed differences, or deploy the profile from `--target apparmor` to the nodes yourself"
        )
    )]
    Strict {
        /// The full report.
        report: FidelityReport,
    },
}

/// The rights the node writes for `wlk`.
fn write_group() -> Rights {
    [
        Right::Write,
        Right::Append,
        Right::Create,
        Right::Delete,
        Right::Rename,
        Right::Link,
        Right::Lock,
    ]
    .into_iter()
    .collect()
}

/// Rights that act on the directory form of a path as well (entries made or removed).
fn dir_rights() -> Rights {
    [Right::Create, Right::Delete, Right::Rename]
        .into_iter()
        .collect()
}

/// Where one pattern goes, and which rule put it there.
#[derive(Default)]
struct Grant {
    read: bool,
    write: bool,
}

struct Placed {
    rule: usize,
    glob: Glob,
    /// The directory form (`p/`), else the file form: the two never overlap.
    dir: bool,
    grant: Grant,
    /// In one of the filesystem lists, so its deny lines apply; else a read granted
    /// through `ixr` or `mr` only (which denies nothing).
    listed: bool,
}

/// Compile a policy into the abstract form and its fidelity report.
pub fn compile(policy: &Policy, config: &Config) -> Result<Compiled, Error> {
    let mut report = Vec::new();
    policy_entries(policy, &mut report);

    let enforce = policy.mode == Mode::Enforce;
    let mut fs = Filesystem::default();
    let mut exe = Executable::default();
    let mut placed: Vec<Placed> = Vec::new();
    let mut file_findings: Vec<(Fidelity, Vec<String>)> = Vec::new();
    for (i, rule) in policy.files.iter().enumerate() {
        let mut fidelity = Fidelity::Exact;
        let mut why = Vec::new();
        if rule.effect == Effect::Deny {
            let overlapping = policy.files.iter().any(|a| {
                a.effect == Effect::Allow
                    && !a.rights.intersection(rule.rights).is_empty()
                    && a.glob.intersects(&rule.glob)
            });
            if overlapping {
                fidelity = Fidelity::Unsupported;
                why.push(
                    "the abstract form has no deny rules: the allow rules that overlap it \
                     grant the access it refuses"
                        .to_string(),
                );
            }
            file_findings.push((fidelity, why));
            continue;
        }
        let (file, dir) = match polc_apparmor::glob_patterns(rule.glob.as_str()) {
            // A directory-only rule: the directory form alone, as in AppArmor.
            Ok((_, dir)) if rule.dir_only => (None, dir),
            Ok(forms) => forms,
            Err(e) => {
                file_findings.push((Fidelity::Unsupported, vec![e.to_string()]));
                continue;
            }
        };
        let unsafe_text = |p: &Option<String>| {
            p.as_deref()
                .is_some_and(|p| p.chars().any(|c| c.is_whitespace() || "\"#!".contains(c)))
        };
        if unsafe_text(&file) || unsafe_text(&dir) {
            file_findings.push((
                Fidelity::Unsupported,
                vec![format!(
                    "the operator writes abstract paths unquoted: {} has a blank, `\"`, `#` or `!`",
                    quote(rule.glob.as_str())
                )],
            ));
            continue;
        }
        let rights = rule.rights;
        // Whether an `ixr` or `mr` entry reads the file in place of a filesystem list.
        let mut read_by_exec = false;
        let w = rights.intersection(write_group());
        let mut file_grant = Grant {
            read: rights.contains(Right::Read),
            write: !w.is_empty(),
        };
        let dir_grant = Grant {
            read: rights.contains(Right::List),
            write: !rights.intersection(dir_rights()).is_empty(),
        };
        if !w.is_empty() && w != write_group() {
            fidelity = fidelity.max(Fidelity::Widened);
            why.push(format!(
                "the abstract form grants writes as `wlk`: also {}",
                write_group().difference(w)
            ));
        }
        if rights.contains(Right::Exec) {
            if let Some(f) = &file {
                exe.allowed_executables.push(f.clone());
            }
            if !rights.contains(Right::Read) {
                fidelity = fidelity.max(Fidelity::Widened);
                why.push("executables are allowed as `ixr`: also read".into());
            }
            if rule.exec_mode == polc_lang::ir::ExecMode::Unconfined {
                fidelity = fidelity.max(Fidelity::Narrowed);
                why.push("executables run in this profile (`ix`), not unconfined".into());
            } else if let (polc_lang::ir::ExecMode::Child, Some(to)) =
                (rule.exec_mode, &rule.exec_as)
            {
                fidelity = fidelity.max(Fidelity::Widened);
                why.push(format!(
                    "executables run in this profile (`ix`), not under the child {to}: \
                     they get this profile's access"
                ));
            } else if let Some(to) = &rule.exec_as {
                fidelity = fidelity.max(Fidelity::Narrowed);
                why.push(format!(
                    "executables run in this profile (`ix`), not under {to}"
                ));
            }
            // `ixr` already reads the file: no read-only entry (its `deny wlk` would take
            // writes away from other rules).
            if file_grant.read && !file_grant.write {
                file_grant.read = false;
                read_by_exec = true;
            }
        }
        if rights.contains(Right::MapExec) {
            if let Some(f) = &file {
                exe.allowed_libraries.push(f.clone());
            }
            if !rights.contains(Right::Read) {
                fidelity = fidelity.max(Fidelity::Widened);
                why.push("libraries are allowed as `mr`: also read".into());
            }
            if file_grant.read && !file_grant.write {
                file_grant.read = false;
                read_by_exec = true;
            }
        }
        if read_by_exec {
            placed.push(Placed {
                rule: i,
                glob: rule.glob.clone(),
                dir: false,
                grant: Grant {
                    read: true,
                    write: false,
                },
                listed: false,
            });
        }
        for (pattern, grant, is_dir) in [(file, file_grant, false), (dir, dir_grant, true)] {
            let Some(p) = pattern else { continue };
            match (grant.read, grant.write) {
                (true, true) => fs.read_write_paths.push(p),
                (true, false) => fs.read_only_paths.push(p),
                (false, true) => fs.write_only_paths.push(p),
                (false, false) => continue,
            }
            placed.push(Placed {
                rule: i,
                glob: rule.glob.clone(),
                dir: is_dir,
                grant,
                listed: true,
            });
        }
        // In complain mode the node writes none of its deny lines.
        if !w.is_empty() && enforce {
            let system = ["/proc/**", "/sys/**"];
            if let Some(g) = system
                .iter()
                .find(|s| Glob::parse(s).is_ok_and(|s| s.intersects(&rule.glob)))
            {
                fidelity = fidelity.max(Fidelity::Narrowed);
                why.push(format!(
                    "the operator's profile denies most writes under {}",
                    g.trim_end_matches("/**")
                ));
            }
        }
        file_findings.push((fidelity, why));
    }
    // A read-only path denies writes, a write-only path reads, to every rule that
    // overlaps it (in enforce mode: in complain mode the node writes no deny lines).
    for (i, rule) in policy.files.iter().enumerate() {
        if rule.effect == Effect::Deny || !enforce {
            continue;
        }
        let Some((fidelity, why)) = file_findings.get_mut(i) else {
            continue;
        };
        let mine: Vec<&Placed> = placed.iter().filter(|p| p.rule == i).collect();
        for other in placed.iter().filter(|p| p.rule != i) {
            let same_form =
                |f: fn(&Grant) -> bool| mine.iter().any(|p| p.dir == other.dir && f(&p.grant));
            let wants_write = same_form(|g| g.write);
            let wants_read = same_form(|g| g.read);
            let denies_write = other.listed && other.grant.read && !other.grant.write;
            let denies_read = other.listed && other.grant.write && !other.grant.read;
            if !((denies_write && wants_write) || (denies_read && wants_read)) {
                continue;
            }
            if let Some(path) = other.glob.intersection_witness(&rule.glob) {
                let what = if denies_write { "writes" } else { "reads" };
                let list = if denies_write {
                    "read-only"
                } else {
                    "write-only"
                };
                *fidelity = (*fidelity).max(Fidelity::Narrowed);
                let reason = format!(
                    "{} is {list}, so the node denies {what} on paths such as {}",
                    quote(other.glob.as_str()),
                    quote(&path)
                );
                if !why.contains(&reason) {
                    why.push(reason);
                }
            }
        }
    }
    for (i, (rule, (fidelity, why))) in policy.files.iter().zip(file_findings).enumerate() {
        report.push(
            RuleFidelity::rule(
                RuleListKind::File,
                i,
                fidelity,
                why.join("; "),
                file_rule_text(rule),
                rule.origins.iter().map(|o| o.origin.clone()).collect(),
            )
            .for_rights(Some(rule.rights)),
        );
    }

    let network = net(policy, &mut report);
    let capability = caps(policy, &mut report);
    for (i, rule) in policy.signals.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => (
                Fidelity::Narrowed,
                "the abstract form has no signal rules: the profile allows only the signals \
                 <abstractions/base> allows",
            ),
            Effect::Deny => (Fidelity::Exact, ""),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Signal,
            i,
            fidelity,
            reason,
            signal_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    for (i, rule) in policy.unix.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => (
                Fidelity::Narrowed,
                "the abstract form has no unix rules: the profile allows only the unix \
                 operations <abstractions/base> allows",
            ),
            Effect::Deny => (
                Fidelity::Unsupported,
                "the abstract form cannot refuse unix operations <abstractions/base> allows",
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Unix,
            i,
            fidelity,
            reason,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    for (i, rule) in policy.net_families.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => (
                Fidelity::Narrowed,
                "the abstract form has no netlink, raw or packet rules: the profile allows \
                 only what <abstractions/base> allows",
            ),
            Effect::Deny => (
                Fidelity::Unsupported,
                "the abstract form cannot refuse sockets <abstractions/base> allows",
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::NetFamily,
            i,
            fidelity,
            reason,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    for (i, rule) in policy.dbus.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => (
                Fidelity::Narrowed,
                "the abstract form has no D-Bus rules: the profile allows only the D-Bus \
                 messages <abstractions/base> allows",
            ),
            Effect::Deny => (
                Fidelity::Unsupported,
                "the abstract form has no D-Bus rules: a deny cannot be stated",
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Dbus,
            i,
            fidelity,
            reason,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    for (i, rule) in policy.ptrace.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => (
                Fidelity::Narrowed,
                "the abstract form has no ptrace rules: the profile allows only the ptrace \
                 access <abstractions/base> allows",
            ),
            Effect::Deny => (
                Fidelity::Unsupported,
                "the abstract form has no ptrace rules: a deny cannot be stated",
            ),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Ptrace,
            i,
            fidelity,
            reason,
            polc_lang::ir::ptrace::ptrace_rule_text(rule),
            rule.origins.clone(),
        ));
    }

    for list in [
        &mut fs.read_only_paths,
        &mut fs.write_only_paths,
        &mut fs.read_write_paths,
        &mut exe.allowed_executables,
        &mut exe.allowed_libraries,
    ] {
        sort_dedup(list);
    }
    let filesystem = (fs != Filesystem::default()).then_some(fs);
    let executable = (exe != Executable::default()).then_some(exe);
    let report = FidelityReport {
        backend: "spo-apparmor".into(),
        target: "AppArmorProfile v1 abstract".into(),
        entries: report,
        unrestricted: unrestricted(policy),
    };
    if config.strict && report.strict_violations().next().is_some() {
        return Err(Error::Strict { report });
    }
    Ok(Compiled {
        profile: Abstract {
            capability,
            executable,
            filesystem,
            network,
        },
        mode: match policy.mode {
            Mode::Enforce => "Enforce",
            Mode::Complain => "Complain",
        },
        report,
    })
}

fn sort_dedup(v: &mut Vec<String>) {
    v.sort();
    v.dedup();
}

fn policy_entries(policy: &Policy, report: &mut Vec<RuleFidelity>) {
    report.push(RuleFidelity::mode(
        policy.mode,
        Fidelity::Widened,
        "the operator's profile always includes <abstractions/base> (shared \
         libraries, locales, /dev/null and more), beyond the policy's rules",
    ));
    if let Some(a) = &policy.attach {
        report.push(RuleFidelity::new(
            Subject::Attach,
            Fidelity::Narrowed,
            "the profile confines the container from its entrypoint (it has no \
             attachment), not only this executable and its children",
            format!("attach {}", quote(&a.path)),
            vec![a.origin.clone()],
        ));
    }
    for (child, c) in policy.children.iter().enumerate() {
        report.push(RuleFidelity::new(
            Subject::Child { child },
            Fidelity::Unsupported,
            "the Security Profiles Operator's form has no child profiles or hats",
            format!("{} {}", c.kind.keyword(), c.policy.name),
            vec![c.origin.clone()],
        ));
    }
    for (index, o) in policy.owns.iter().enumerate() {
        report.push(RuleFidelity::new(
            Subject::Owns { index },
            Fidelity::Exact,
            "",
            format!("owns {}", quote(o.glob.as_str())),
            o.origins.clone(),
        ));
    }
}

fn net(policy: &Policy, report: &mut Vec<RuleFidelity>) -> Option<Network> {
    let allowed = |proto: Proto| {
        policy
            .net
            .iter()
            .any(|r| r.effect == Effect::Allow && r.proto == proto)
    };
    let (tcp, udp) = (allowed(Proto::Tcp), allowed(Proto::Udp));
    for (i, rule) in policy.net.iter().enumerate() {
        let (fidelity, reason) = match rule.effect {
            Effect::Allow => {
                let both_ops = [NetOp::Connect, NetOp::Bind].iter().all(|op| {
                    policy.net.iter().any(|r| {
                        r.effect == Effect::Allow
                            && r.proto == rule.proto
                            && r.op == *op
                            && r.family.is_none()
                            && r.ports == PortRange::ALL
                    })
                });
                let denied = policy
                    .net
                    .iter()
                    .any(|r| r.effect == Effect::Deny && r.proto == rule.proto);
                if both_ops && !denied {
                    (Fidelity::Exact, String::new())
                } else {
                    (
                        Fidelity::Widened,
                        format!(
                            "the abstract form allows {} as a whole: every port, connect and bind",
                            proto_name(rule.proto)
                        ),
                    )
                }
            }
            Effect::Deny => {
                if allowed(rule.proto) {
                    (
                        Fidelity::Unsupported,
                        format!(
                            "the abstract form has no deny rules: {} is allowed as a whole",
                            proto_name(rule.proto)
                        ),
                    )
                } else {
                    (Fidelity::Exact, String::new())
                }
            }
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Net,
            i,
            fidelity,
            reason,
            net_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    (tcp || udp).then(|| Network {
        allow_raw: false,
        allowed_protocols: Protocols {
            allow_tcp: tcp.then_some(true),
            allow_udp: udp.then_some(true),
        },
    })
}

/// The network requests the abstract form allows whatever the rules say: a protocol that
/// is allowed at all is allowed as a whole (every port, connect and bind).
fn unrestricted(policy: &Policy) -> Vec<Unrestricted> {
    [Proto::Tcp, Proto::Udp]
        .into_iter()
        .filter(|&p| {
            policy
                .net
                .iter()
                .any(|r| r.effect == Effect::Allow && r.proto == p)
        })
        .map(|p| Unrestricted {
            access: AccessClass::Net {
                op: None,
                proto: p,
                family: None,
            },
            reason: format!(
                "the abstract form allows {} as a whole: every port, connect and bind",
                proto_name(p)
            ),
        })
        .collect()
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

fn caps(policy: &Policy, report: &mut Vec<RuleFidelity>) -> Option<Capability> {
    let denied: BTreeSet<&str> = policy
        .capabilities
        .iter()
        .filter(|r| r.effect == Effect::Deny)
        .map(|r| r.capability.as_str())
        .collect();
    let mut allowed = BTreeSet::new();
    for (i, rule) in policy.capabilities.iter().enumerate() {
        let c = rule.capability.as_str();
        let (fidelity, reason) = match rule.effect {
            Effect::Allow if denied.contains(c) => (Fidelity::Exact, String::new()),
            Effect::Allow => {
                allowed.insert(c.to_string());
                (Fidelity::Exact, String::new())
            }
            Effect::Deny => (Fidelity::Exact, String::new()),
        };
        report.push(RuleFidelity::rule(
            RuleListKind::Capability,
            i,
            fidelity,
            reason,
            cap_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    (!allowed.is_empty()).then(|| Capability {
        allowed_capabilities: allowed.into_iter().collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn policy(files: &str, net: &str, caps: &str) -> Policy {
        let json = format!(
            r#"{{"name": "org.example.t", "mode": "enforce",
                "files": [{files}], "net": [{net}], "capabilities": [{caps}], "signals": []}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    fn file(effect: &str, glob: &str, rights: &str) -> String {
        format!(
            r#"{{"effect": "{effect}", "glob": "{glob}", "rights": [{rights}], "origins": []}}"#
        )
    }

    fn rule_fidelity(out: &Compiled, list: RuleListKind, index: usize) -> &RuleFidelity {
        out.report
            .entries
            .iter()
            .find(|e| e.subject == Subject::Rule { list, index })
            .unwrap()
    }

    #[test]
    fn read_only_paths_deny_writes_to_overlapping_rules() {
        let p = policy(
            &[
                file("allow", "/srv/**", r#""read""#),
                file(
                    "allow",
                    "/srv/data/**",
                    r#""read","write","append","create","delete","rename","link","lock""#,
                ),
            ]
            .join(","),
            "",
            "",
        );
        let out = compile(&p, &Config::default()).unwrap();
        let fs = out.profile.filesystem.as_ref().unwrap();
        assert_eq!(fs.read_only_paths, vec!["/srv/**[^/]"]);
        assert!(fs
            .read_write_paths
            .contains(&"/srv/data/**[^/]".to_string()));
        assert_eq!(
            rule_fidelity(&out, RuleListKind::File, 0).fidelity,
            Fidelity::Exact
        );
        let e = rule_fidelity(&out, RuleListKind::File, 1);
        assert_eq!(e.fidelity, Fidelity::Narrowed, "{e:?}");
        assert!(e.reason.contains("read-only"), "{}", e.reason);
    }

    #[test]
    fn a_read_granted_as_ixr_is_narrowed_by_an_overlapping_write_only_path() {
        let p = policy(
            &[
                file("allow", "/srv/**", r#""read","exec""#),
                file(
                    "allow",
                    "/srv/a/**",
                    r#""write","append","create","delete","rename","link","lock""#,
                ),
            ]
            .join(","),
            "",
            "",
        );
        let out = compile(&p, &Config::default()).unwrap();
        let fs = out.profile.filesystem.as_ref().unwrap();
        assert!(fs.read_only_paths.is_empty(), "{fs:?}");
        assert!(fs.write_only_paths.contains(&"/srv/a/**[^/]".to_string()));
        let e = rule_fidelity(&out, RuleListKind::File, 0);
        assert_eq!(e.fidelity, Fidelity::Narrowed, "{e:?}");
        assert!(e.reason.contains("write-only"), "{}", e.reason);
        assert_eq!(
            rule_fidelity(&out, RuleListKind::File, 1).fidelity,
            Fidelity::Exact
        );
    }

    #[test]
    fn partial_writes_are_widened_and_deny_is_unsupported_only_when_overlapped() {
        let p = policy(
            &[
                file("allow", "/var/log/app/**", r#""write","append""#),
                file("deny", "/var/log/app/secret", r#""write""#),
                file("deny", "/etc/shadow", r#""read""#),
            ]
            .join(","),
            "",
            "",
        );
        let out = compile(&p, &Config::default()).unwrap();
        let e = rule_fidelity(&out, RuleListKind::File, 0);
        assert_eq!(e.fidelity, Fidelity::Widened);
        assert!(e.reason.contains("create"), "{}", e.reason);
        assert_eq!(
            rule_fidelity(&out, RuleListKind::File, 1).fidelity,
            Fidelity::Unsupported
        );
        assert_eq!(
            rule_fidelity(&out, RuleListKind::File, 2).fidelity,
            Fidelity::Exact
        );
        assert!(matches!(
            compile(&p, &Config { strict: true }),
            Err(Error::Strict { .. })
        ));
    }

    #[test]
    fn network_is_exact_only_for_a_whole_protocol_and_capabilities_are_exact() {
        let net = |op: &str, lo: u16, hi: u16| {
            format!(
                r#"{{"effect": "allow", "op": "{op}", "proto": "udp", "ports": {{"lo": {lo}, "hi": {hi}}}, "origins": []}}"#
            )
        };
        let caps = r#"{"effect": "allow", "capability": "chown", "origins": []},
                      {"effect": "allow", "capability": "setuid", "origins": []},
                      {"effect": "deny", "capability": "setuid", "origins": []}"#;
        let whole = policy(
            "",
            &[net("connect", 1, 65535), net("bind", 1, 65535)].join(","),
            caps,
        );
        let out = compile(&whole, &Config::default()).unwrap();
        let n = out.profile.network.as_ref().unwrap();
        assert_eq!(n.allowed_protocols.allow_udp, Some(true));
        assert_eq!(n.allowed_protocols.allow_tcp, None);
        assert!(!n.allow_raw);
        assert_eq!(
            rule_fidelity(&out, RuleListKind::Net, 0).fidelity,
            Fidelity::Exact
        );
        assert_eq!(
            out.profile.capability.unwrap().allowed_capabilities,
            vec!["chown"]
        );
        let one_port = policy("", &net("connect", 53, 53), "");
        let out = compile(&one_port, &Config::default()).unwrap();
        assert_eq!(
            rule_fidelity(&out, RuleListKind::Net, 0).fidelity,
            Fidelity::Widened
        );
    }

    #[test]
    fn complain_mode_writes_no_denies_so_nothing_is_narrowed_by_them() {
        let mut p = policy(
            &[
                file("allow", "/srv/**", r#""read""#),
                file(
                    "allow",
                    "/srv/data/**",
                    r#""write","append","create","delete","rename","link","lock""#,
                ),
            ]
            .join(","),
            "",
            "",
        );
        let enforce = compile(&p, &Config::default()).unwrap();
        assert_eq!(
            rule_fidelity(&enforce, RuleListKind::File, 1).fidelity,
            Fidelity::Narrowed
        );
        p.mode = Mode::Complain;
        let complain = compile(&p, &Config::default()).unwrap();
        assert_eq!(complain.mode, "Complain");
        assert_eq!(
            rule_fidelity(&complain, RuleListKind::File, 1).fidelity,
            Fidelity::Exact
        );
    }

    #[test]
    fn the_base_abstraction_always_widens() {
        let out = compile(&policy("", "", ""), &Config::default()).unwrap();
        assert_eq!(out.profile, Abstract::default());
        assert_eq!(out.report.worst(), Fidelity::Widened);
    }
}
