//! # polc-apparmor: polc policies as AppArmor profiles
//!
//! [`compile`] turns a policy's IR into the text of one AppArmor profile for an explicit
//! target ABI, together with a [`FidelityReport`] that says, rule by rule, whether the
//! kernel will enforce exactly what the policy states, less (`narrowed`), more
//! (`widened`) or nothing (`unsupported`). In strict mode, widened and unsupported rules
//! are an error. [`Parser`] runs the real `apparmor_parser` to validate the text.
//!
//! ```
//! use polc_apparmor::{compile, Abi, Config};
//! use polc_lang::fidelity::Fidelity;
//! use polc_lang::ir::Policy;
//!
//! // The IR of `policy org.example.app { allow read "/etc/app/**" allow net connect tcp 443 }`.
//! let origin = r#"{"file": "app.pol", "line": 1, "column": 1, "span": {"start": 0, "end": 1}}"#;
//! let policy: Policy = serde_json::from_str(&format!(r#"{{
//!     "name": "org.example.app",
//!     "mode": "enforce",
//!     "files": [{{"effect": "allow", "glob": "/etc/app/**", "rights": ["read"],
//!                 "origins": [{{"rights": ["read"], "origin": {origin}}}]}}],
//!     "net": [{{"effect": "allow", "op": "connect", "proto": "tcp",
//!               "ports": {{"lo": 443, "hi": 443}}, "origins": [{origin}]}}],
//!     "capabilities": [],
//!     "signals": []
//! }}"#))?;
//!
//! let out = compile(&policy, &Config::default())?;
//! assert!(out.text.contains(r#"profile "org.example.app" {"#));
//! assert!(out.text.contains(r#""/etc/app/**[^/]" r,"#));
//! assert!(out.text.contains("network inet stream,"));
//! // ABI 3.0 cannot restrict ports: the network rule is widened, and strict mode refuses it.
//! assert_eq!(out.report.worst(), Fidelity::Widened);
//! assert!(compile(&policy, &Config { strict: true, ..Config::default() }).is_err());
//! // ABI 4.0 can.
//! let v4 = compile(&policy, &Config { abi: Abi::V4_0, strict: true })?;
//! assert!(v4.text.contains("peer=(port=443)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is emitted
//!
//! - `abi <abi/3.0>,` (or `4.0`), a header comment, and one `profile` named after the
//!   policy (the name is used as is: policy names are already a safe, injective charset;
//!   `unconfined` is refused). `attach` becomes the profile's attachment, `mode complain`
//!   `flags=(complain)`. Abstractions are already expanded in the IR: no `#include`, so the
//!   output does not depend on the host's files.
//! - File rules: each right maps to AppArmor permissions on the glob's *file form* and
//!   *directory form* (AppArmor names a directory with a trailing `/`); globs are
//!   translated exactly and every literal character AppArmor treats specially is escaped.
//!   The mapping tables, per ABI, are in `docs/backends/apparmor.md`.
//! - Network rules: ABI 3.0 has only `network inet stream` / `dgram` (widened for port- or
//!   operation-specific rules); ABI 4.0 has fine-grained rules with `port=`.
//! - `capability NAME,`, `signal (send) set=(...) peer="NAME",`, `deny` for deny rules.
//!
//! The output is deterministic: lines are merged by pattern, lines that differ only in
//! their first components are joined into one (`"/{home/*,root}/.aws/" rw,`), the lines
//! are sorted, and the same IR gives byte-identical text.
#![warn(missing_docs)]

mod aare;
mod dbus;
mod exec;
mod files;
pub mod import;
mod ipc;
mod names;
mod net;
mod parser;
mod profile;
mod unix;

pub use aare::MAX_PATTERN;
pub use exec::{
    loaded_profiles, poison_command, CommandExt, ExecError, ExecOptions, ExecStatus, PreparedExec,
};
pub use parser::{validate, Parser, ParserError};

use polc_lang::fidelity::{FidelityReport, RuleFidelity};
use polc_lang::ir::{Origin, Policy, PolicyName};
use std::fmt;
use std::str::FromStr;

/// The AppArmor policy ABI a profile is written for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Abi {
    /// AppArmor 3.0 (Debian 12's parser and kernels): network rules name only the address
    /// family and socket type. The default.
    #[default]
    V3_0,
    /// AppArmor 4.0: fine-grained inet rules with ports.
    V4_0,
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Abi::V3_0 => "3.0",
            Abi::V4_0 => "4.0",
        })
    }
}

/// An ABI name that is not `3.0` or `4.0`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown AppArmor ABI `{0}`: use `3.0` or `4.0`")]
pub struct UnknownAbi(pub String);

impl FromStr for Abi {
    type Err = UnknownAbi;
    fn from_str(s: &str) -> Result<Abi, UnknownAbi> {
        match s {
            "3.0" | "3" => Ok(Abi::V3_0),
            "4.0" | "4" => Ok(Abi::V4_0),
            other => Err(UnknownAbi(other.escape_default().to_string())),
        }
    }
}

/// How to compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The target ABI (default: [`Abi::V3_0`]).
    pub abi: Abi,
    /// Fail with [`Error::Strict`] when any rule is widened or unsupported (default: off;
    /// installers should turn it on).
    pub strict: bool,
}

/// A compiled policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The AppArmor profile name (the policy name).
    pub profile_name: String,
    /// The profile text, ready for `apparmor_parser`.
    pub text: String,
    /// How exactly each rule is enforced.
    pub report: FidelityReport,
}

/// Why a policy cannot be compiled. Each error has a code and help
/// ([`miette::Diagnostic`]), as every backend's errors do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// Strict mode and some entries are widened or unsupported; all of them are in the
    /// report, with their origins.
    #[error("strict mode: {} on AppArmor ABI {abi}", strict_summary(.report))]
    #[diagnostic(
        code(polc::apparmor::strict),
        help(
            "each entry says why; target `--apparmor-abi 4.0` for port rules, change the rules, or compile without --strict to accept the gaps"
        )
    )]
    Strict {
        /// The target.
        abi: Abi,
        /// The full report (see [`Error::violations`]).
        report: FidelityReport,
    },
    /// A glob AppArmor cannot be given safely (the checker refuses such globs; the backend
    /// refuses them again rather than emit a rule that could mean something else).
    #[error("cannot write the glob {} of the rule{} for AppArmor: {reason}", profile::quote_short(.glob), at(.origin))]
    #[diagnostic(
        code(polc::apparmor::unsafe_glob),
        help("paths are absolute, without empty components or control characters")
    )]
    UnsafeGlob {
        /// The glob.
        glob: String,
        /// Why.
        reason: String,
        /// Where the rule is written (its first origin).
        origin: Option<Box<Origin>>,
    },
    /// An attach path AppArmor cannot be given safely.
    #[error("cannot write the attach path {}{} for AppArmor: {reason}", profile::quote_short(.path), at(.origin))]
    #[diagnostic(
        code(polc::apparmor::unsafe_attach),
        help("paths are absolute, without empty components or control characters")
    )]
    UnsafeAttach {
        /// The path.
        path: String,
        /// Why.
        reason: String,
        /// Where the `attach` statement is written.
        origin: Option<Box<Origin>>,
    },
    /// A policy name AppArmor reserves.
    #[error("the name `{name}` is reserved by AppArmor")]
    #[diagnostic(code(polc::apparmor::reserved_name), help("rename the policy"))]
    ReservedName {
        /// The name.
        name: String,
    },
    /// Two allow rules with the same glob run executables under different policies.
    #[error("the rules on {} run executables under different policies", polc_lang::ir::text::quote_line(.glob))]
    #[diagnostic(
        code(polc::apparmor::conflicting_exec),
        help("give each executable one `as` target")
    )]
    ConflictingExec {
        /// The glob.
        glob: String,
    },
}

impl Error {
    /// For [`Error::Strict`]: the widened and unsupported entries.
    pub fn violations(&self) -> Vec<&RuleFidelity> {
        match self {
            Error::Strict { report, .. } => report.strict_violations().collect(),
            _ => Vec::new(),
        }
    }
}

/// ` at FILE:LINE:COLUMN`, or nothing without an origin.
fn at(origin: &Option<Box<Origin>>) -> String {
    origin
        .as_ref()
        .map_or(String::new(), |o| format!(" at {o}"))
}

fn strict_summary(report: &FidelityReport) -> String {
    let subjects: std::collections::BTreeSet<_> =
        report.strict_violations().map(|e| e.subject).collect();
    match subjects.len() {
        1 => "1 rule is widened or unsupported".into(),
        n => format!("{n} rules are widened or unsupported"),
    }
}

/// The AppArmor profile name of a policy.
pub fn profile_name(name: &PolicyName) -> Result<String, Error> {
    profile::profile_name(name)
}

/// Compile a policy into an AppArmor profile and its fidelity report.
pub fn compile(policy: &Policy, config: &Config) -> Result<Compiled, Error> {
    let (text, report) = profile::build(policy, config)?;
    if config.strict && report.strict_violations().next().is_some() {
        return Err(Error::Strict {
            abi: config.abi,
            report,
        });
    }
    Ok(Compiled {
        profile_name: profile::profile_name(&policy.name)?,
        text,
        report,
    })
}

/// The AppArmor patterns of a polc glob: its *file form* (the paths of the glob that are
/// not directories; `None` for `/`) and its *directory form* (the same paths with a
/// trailing `/`), translated and escaped exactly as the profile writes them. For tools
/// that emit AppArmor rules through another format (e.g. the Security Profiles
/// Operator's abstract profiles).
pub fn glob_patterns(glob: &str) -> Result<(Option<String>, Option<String>), Error> {
    let refused = |r: aare::Refusal| Error::UnsafeGlob {
        glob: glob.to_string(),
        reason: r.0,
        origin: None,
    };
    let forms = aare::glob_forms(glob).map_err(refused)?;
    for form in forms.file.iter().chain(forms.dir.iter()) {
        aare::check_length(form).map_err(refused)?;
    }
    Ok((forms.file, forms.dir))
}
