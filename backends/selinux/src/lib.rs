//! # polc-selinux: the SELinux backend of polc
//!
//! Compiles a policy's IR ([`polc_lang::ir::Policy`]) to a CIL module, with its file
//! contexts and a per-rule fidelity report. The module is one CIL `block` named from the
//! policy name ([`block_name`]): a domain type `BLOCK.domain`, an entrypoint type
//! `BLOCK.entry` labelling the `attach` executable, one type per `owns` path with its
//! `filecon`, port types with their `portcon`, a sub-domain `BLOCK.child_NAME` per child
//! policy ([`child_domain_type`]), and allow rules per class and permission.
//! Paths the policy does not own keep the types the target system gives them, read from
//! its `file_contexts` ([`FileContexts`]); when such a type covers more than the rule's
//! paths the rule is reported `widened`, naming the type and a path it lets through.
//!
//! ```
//! use polc_lang::ir::Effect;
//! use polc_lang::glob::Glob;
//! use polc_lang::ir::{FileRule, Owned, Policy, PolicyName};
//! use polc_lang::rights::Rights;
//! use polc_selinux::{compile, Config, FileContexts};
//!
//! let glob = Glob::parse("/var/lib/app/**").unwrap();
//! let policy = Policy {
//!     owns: vec![Owned { glob: glob.clone(), origins: vec![] }],
//!     files: vec![FileRule {
//!         effect: Effect::Allow,
//!         glob,
//!         rights: Rights::from_keyword("rw").unwrap(),
//!         exec_as: None,
//!         exec_mode: Default::default(),
//!         origins: vec![],
//!         audit: false,
//!         owner: false,
//!         dir_only: false,
//!     }],
//!     ..Policy::empty(PolicyName::new("org.example.app").unwrap())
//! };
//! let fc = FileContexts::parse("/.*  system_u:object_r:default_t:s0\n/var(/.*)?  system_u:object_r:var_t:s0\n").unwrap();
//! let out = compile(&policy, &Config { file_contexts: Some(fc), ..Config::default() }).unwrap();
//! assert!(out.cil.contains("(block org_example_app"));
//! assert!(out.cil.contains("(filecon \"/var/lib/app/.*\" any"));
//! assert!(out.allows.iter().any(|a| a.target == "org_example_app.owned_0" && a.perms.contains("write")));
//! ```
#![warn(missing_docs)]

mod automata;
mod cil;
mod dbus;
mod exec;
mod exec_modes;
mod fcontexts;
mod files;
mod integration;
mod ipc;
mod labels;
mod mapping;
mod names;
mod other;
mod ports;
mod ptrace;
mod regex;
mod report;
mod unix;

pub use exec::{
    child_domain_type, domain_context, domain_type, file_label, poison_command, CommandExt,
    Entrypoint, ExecError, ExecOptions, ExecStatus, PreparedExec,
};
pub use fcontexts::{FcEntry, FcLabel, FcParseError, FileClass, FileContexts, PathLabeller};
pub use integration::{valid_name, Attribute, IntegrationParseError, Launcher, TypeKind};
pub use names::{block_name, decode};
pub use ports::{PortCon, PortContexts, PortParseError};

use polc_lang::fidelity::FidelityReport;
use polc_lang::ir::{Origin, Policy, PolicyName, Proto};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The SELinux user of every context polc writes.
pub const USER: &str = "system_u";
/// The role of file, port and entrypoint types.
pub const OBJECT_ROLE: &str = "object_r";
/// The role of domains.
pub const DOMAIN_ROLE: &str = "system_r";
/// The level range of every context (dropped by an MLS-less base policy).
pub const LEVEL: &str = "((s0) (s0))";

/// How to compile.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Fail on `widened` and `unsupported` rules ([`Error::Strict`]).
    pub strict: bool,
    /// The target's file contexts. Without them, rules on paths the policy does not own
    /// are errors ([`Error::NeedsFileContexts`]).
    pub file_contexts: Option<FileContexts>,
    /// The target's port and node contexts. Without them, network rules are errors
    /// ([`Error::NeedsPortContexts`]).
    pub port_contexts: Option<PortContexts>,
    /// Domains of the target that start the policy's program (none: the domain is
    /// entered only by `setexeccon` from a domain the target lets in).
    pub launchers: Vec<Launcher>,
    /// Attributes of the target the module's types join (none: the types hold exactly
    /// the module's rules).
    pub attributes: Vec<Attribute>,
}

impl Config {
    /// The attribute given for every domain (`--selinux-attribute domain=ATTRIBUTE`): how a
    /// rule names `any` peer process.
    pub(crate) fn domain_attribute(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.kind == integration::TypeKind::Domain)
            .map(|a| a.name.as_str())
    }
}

/// An allow rule the module puts in the policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AllowRule {
    /// Source type (full name, e.g. `org_example_app.domain`).
    pub source: String,
    /// Target type (full name).
    pub target: String,
    /// Class.
    pub class: String,
    /// Permissions.
    pub perms: BTreeSet<String>,
    /// Present only when this other policy's module is installed (a CIL `optional`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<PolicyName>,
}

/// A compiled policy.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The module (and block) name: install the CIL as `MODULE.cil`.
    pub module_name: String,
    /// The CIL module text.
    pub cil: String,
    /// The file contexts the module adds, in file_contexts format (they are also in the
    /// module as `filecon`; this is for relabelling and review).
    pub file_contexts: String,
    /// Per-rule fidelity.
    pub report: FidelityReport,
    /// Every allow rule of the module, merged per (source, target, class) as in the
    /// binary policy: exactly what `sesearch -A` shows for the module's types.
    pub allows: Vec<AllowRule>,
}

/// A rule that needs something the configuration does not give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// The rule, as the policy states it.
    pub rule: String,
    /// Where it came from.
    pub origins: Vec<Origin>,
    /// An example of what could not be resolved (a path or a port).
    pub example: String,
}

/// Why a policy could not be compiled.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// Rules on paths the policy does not own, without the target's file contexts.
    #[error("{} rule(s) need the target's file contexts, e.g. `{}` for `{}`", .0.len(), first_example(.0), first_rule(.0))]
    #[diagnostic(
        code(polc::selinux::file_contexts),
        help("give the target's file contexts with --selinux-file-contexts (Debian: /etc/selinux/default/contexts/files/file_contexts), or own the paths")
    )]
    NeedsFileContexts(Vec<Unresolved>),
    /// Network rules without the target's port contexts.
    #[error("{} network rule(s) need the target's port contexts, e.g. `{}`", .0.len(), first_rule(.0))]
    #[diagnostic(
        code(polc::selinux::port_contexts),
        help("give the target's port contexts with --selinux-port-contexts (the output of `seinfo --portcon -x POLICY`)")
    )]
    NeedsPortContexts(Vec<Unresolved>),
    /// A path cannot be analysed within the search budget.
    #[error("the file contexts of `{0}` are too complex to analyse")]
    #[diagnostic(
        code(polc::selinux::too_complex),
        help("narrow the glob (a longer literal prefix), or split the rule")
    )]
    TooComplex(String),
    /// A launcher or attribute name that is not a name of the target's policy.
    #[error("`{0}` is not a type, role or attribute name")]
    #[diagnostic(
        code(polc::selinux::name),
        help("names of the target's policy are a letter, then letters, digits and `_` (e.g. unconfined_t)")
    )]
    BadName(String),
    /// Strict mode refuses widened or unsupported rules.
    #[error("strict mode refuses {} rule(s) that SELinux cannot enforce exactly", .report.strict_violations().count())]
    #[diagnostic(
        code(polc::selinux::strict),
        help("each entry says why; change the rules or compile without --strict")
    )]
    Strict {
        /// The full report.
        report: FidelityReport,
    },
}

fn first_rule(v: &[Unresolved]) -> &str {
    v.first().map_or("", |u| u.rule.as_str())
}
fn first_example(v: &[Unresolved]) -> &str {
    v.first().map_or("", |u| u.example.as_str())
}

/// What the lowering builds, rendered to CIL by [`cil::render`].
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) block: String,
    pub(crate) domain: String,
    /// Local type name → role (`object_r` or `system_r`), in declaration order.
    pub(crate) types: Vec<(String, &'static str)>,
    /// (regex, mode, local type).
    pub(crate) filecons: Vec<(String, Option<FileClass>, String)>,
    /// (proto, lo, hi, local type).
    pub(crate) portcons: Vec<(Proto, u16, u16, String)>,
    /// (source, target, class, requires) → perms.
    pub(crate) allows: AccessVectors,
    /// `auditallow`: (source, target, class, requires) → perms, for `audit allow` rules.
    pub(crate) auditallows: AccessVectors,
    /// (source, target, class, result, requires).
    pub(crate) transitions: BTreeSet<(String, String, String, String, Option<PolicyName>)>,
    /// Roles of the target authorised for the domain (besides `system_r`).
    pub(crate) roles: BTreeSet<String>,
    /// Attribute of the target → local types joining it.
    pub(crate) attributes: BTreeMap<String, BTreeSet<String>>,
    pub(crate) permissive: bool,
}

/// (source, target, class, requires) → perms: the `allow` and `auditallow` tables.
type AccessVectors = BTreeMap<(String, String, String, Option<PolicyName>), BTreeSet<&'static str>>;

/// Add `perms` to one access-vector table (nothing when empty).
fn add_perms(
    table: &mut AccessVectors,
    src: &str,
    tgt: &str,
    class: &str,
    perms: &[&'static str],
    requires: Option<&PolicyName>,
) {
    if perms.is_empty() {
        return;
    }
    table
        .entry((
            src.to_string(),
            tgt.to_string(),
            class.to_string(),
            requires.cloned(),
        ))
        .or_default()
        .extend(perms.iter().copied());
}

impl Out {
    pub(crate) fn allow(
        &mut self,
        src: &str,
        tgt: &str,
        class: &str,
        perms: &[&'static str],
        requires: Option<&PolicyName>,
    ) {
        add_perms(&mut self.allows, src, tgt, class, perms, requires);
    }

    /// Log the granted `perms` (an `audit allow` rule): `auditallow` beside the `allow`.
    pub(crate) fn auditallow(
        &mut self,
        src: &str,
        tgt: &str,
        class: &str,
        perms: &[&'static str],
        requires: Option<&PolicyName>,
    ) {
        add_perms(&mut self.auditallows, src, tgt, class, perms, requires);
    }
}

/// The rules of a policy (or of a child policy, with its parent's file contexts) as the
/// rules of `out.domain`; the file contexts in effect.
pub(crate) fn lower_rules(
    policy: &Policy,
    config: &Config,
    labels: files::Labels<'_>,
    out: &mut Out,
    findings: &mut report::Findings,
) -> Result<Vec<fcontexts::FcEntry>, Error> {
    let dom = out.domain.clone();
    // Process creation is not a right of the language (no backend mediates it).
    out.allow(&dom, &dom, "process", &["fork"], None);
    let files_result = files::lower(policy, config, labels, out, findings);
    let net_result = other::lower_net(policy, config, out, findings);
    let labels = files_result?;
    net_result?;
    other::lower_caps(policy, out, findings);
    ipc::lower_signals(policy, config, out, findings);
    ptrace::lower_ptrace(policy, config, out, findings);
    unix::lower_unix(policy, out, findings);
    unix::lower_families(policy, out, findings);
    dbus::lower_dbus(policy, config, out, findings);
    Ok(labels)
}

/// Compile one policy.
pub fn compile(policy: &Policy, config: &Config) -> Result<Compiled, Error> {
    let block = block_name(&policy.name);
    let mut out = Out {
        domain: names::qualified(&block, "domain"),
        block,
        ..Out::default()
    };
    out.types.push(("domain".into(), DOMAIN_ROLE));
    let mut findings = report::Findings::default();
    let labels = lower_rules(policy, config, files::Labels::Own, &mut out, &mut findings)?;
    exec_modes::lower_children(policy, config, &labels, &mut out, &mut findings)?;
    integration::lower(policy, config, &mut out, &mut findings)?;
    if policy.mode == polc_lang::ir::Mode::Complain {
        out.permissive = true;
        findings.touch(polc_lang::fidelity::Subject::Mode, None);
    }
    let report = FidelityReport {
        backend: "selinux".into(),
        target: "cil".into(),
        entries: findings.entries(policy),
        unrestricted: Vec::new(),
    };
    if config.strict && report.strict_violations().next().is_some() {
        return Err(Error::Strict { report });
    }
    let cil = cil::render(policy, &out);
    let file_contexts = out
        .filecons
        .iter()
        .map(|(re, mode, t)| {
            format!(
                "{re}\t{}{USER}:{OBJECT_ROLE}:{}:s0\n",
                mode.map(|m| format!("{}\t", m.fc_mode()))
                    .unwrap_or_default(),
                names::qualified(&out.block, t)
            )
        })
        .collect();
    let allows = out
        .allows
        .iter()
        .map(|((s, t, c, req), perms)| AllowRule {
            source: s.clone(),
            target: t.clone(),
            class: c.clone(),
            perms: perms.iter().map(|p| (*p).to_string()).collect(),
            requires: req.clone(),
        })
        .collect();
    Ok(Compiled {
        module_name: out.block.clone(),
        cil,
        file_contexts,
        report,
        allows,
    })
}

/// The one builder of IR values for tests, shared with the language's and the other
/// backends' tests.
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
#[path = "../../../policy-lang/tests/ir_support/mod.rs"]
mod ir_support;
