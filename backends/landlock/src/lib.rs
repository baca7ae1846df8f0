//! # polc-landlock: policies as Landlock rulesets
//!
//! Turns a policy's IR into a Landlock ruleset [`Plan`] for an explicit ABI and
//! compatibility level, with a fidelity report per rule, and enforces plans: on the
//! calling process ([`restrict_self`]) or on a child between fork and exec
//! ([`CommandExt::confine`]), together with `no_new_privs` and the reduction of the
//! capability sets to the capabilities the policy allows.
//!
//! ```
//! use polc_landlock::{plan, Compatibility, Config, CommandExt};
//! use polc_lang::ir::Policy;
//! use std::process::Command;
//!
//! // The IR of `policy org.example.cat { allow read exec map-exec "/usr/**" }`
//! // (normally from `polc_lang::load`).
//! let policy: Policy = serde_json::from_str(r#"{
//!   "name": "org.example.cat", "mode": "enforce",
//!   "files": [{ "effect": "allow", "glob": "/usr/**", "rights": ["read", "exec", "map-exec"],
//!               "origins": [] }],
//!   "net": [], "capabilities": [], "signals": []
//! }"#)?;
//! let config = Config { compatibility: Compatibility::BestEffort, ..Config::default() };
//! let plan = plan(&policy, &config)?;
//! assert_eq!(plan.paths[0].path, "/usr");
//!
//! // The child may read and run what is under /usr, and nothing else.
//! let mut cmd = Command::new("/usr/bin/cat");
//! cmd.arg("/etc/hostname");
//! let status = cmd.confine(&plan)?;
//! println!("kernel ABI {}: {:?}", status.kernel_abi, status.enforcement);
//! # if status.kernel_abi > 0 {
//! let out = cmd.output()?;
//! assert!(!out.status.success()); // /etc/hostname is not under /usr
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Semantics
//!
//! Landlock has allow rules only, on directory hierarchies or single files; `deny`,
//! globs inside a directory and several rights have no direct equivalent. The plan says
//! per rule and right whether the kernel enforces it `exact`ly, `narrowed` (less
//! access), `widened` (more) or not at all (`unsupported`), and lists in `unrestricted`
//! what the policy refuses but the kernel will allow anyway. The mapping table and every
//! decision are in `docs/backends/landlock.md`. In [`Compatibility::Strict`] (the
//! default) planning refuses anything widened or unsupported, globs that need the
//! filesystem to be expanded, complain mode and what the target ABI cannot restrict;
//! enforcement refuses a kernel that cannot give what the plan promises.
#![warn(missing_docs)]

mod access;
pub mod caps;
mod dbus;
mod enforce;
mod files;
mod fsview;
mod others;
mod pattern;
mod plan;
mod ptrace;
mod sys;
mod unix;

pub use access::{fs_bits, FsAccess, NetAccess, Scopes};
pub use enforce::{
    restrict_self, CapabilityStatus, CommandExt, EnforceOptions, Enforcement, Prepared,
    RulesetState, Skipped, Status, Threads, LOG_DENIALS_ABI,
};
pub use files::PathType;
pub use others::MAX_PORT_RULES;
pub use plan::{
    plan, Compatibility, Config, Gap, GapKind, KernelFallback, PathRule, Plan, PortRule, MAX_ABI,
};
pub use sys::kernel_abi;

/// ` at `G` of the rule at FILE:LINE:COLUMN`, or nothing when unknown.
fn at_rule(glob: &Option<String>, origin: &Option<Box<polc_lang::ir::Origin>>) -> String {
    match (glob, origin) {
        (Some(g), Some(o)) => format!(" at `{g}` of the rule at {o}"),
        (Some(g), None) => format!(" at `{g}`"),
        _ => String::new(),
    }
}

/// Why a plan or its enforcement failed. Each error has a code, and help where there is
/// advice ([`miette::Diagnostic`]), as every backend's errors do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// The requested ABI is outside 1 to [`MAX_ABI`].
    #[error("landlock ABI {abi} is not supported: polc targets ABI 1 to {MAX_ABI}")]
    #[diagnostic(code(polc::landlock::abi), help("choose an ABI from 1 to 7"))]
    UnsupportedAbi {
        /// The requested ABI.
        abi: u8,
    },
    /// Strict mode refuses the plan.
    #[error("strict mode refuses the landlock plan: {}", .problems.join("; "))]
    #[diagnostic(
        code(polc::landlock::strict),
        help(
            "change the policy, raise the target ABI, or use best effort to enforce what Landlock can and report the rest"
        )
    )]
    Strict {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// Expanding globs looked at too many directory entries.
    #[error("expanding globs under `{root}` looked at more than {limit} directory entries{}", at_rule(.glob, .origin))]
    #[diagnostic(
        code(polc::landlock::expansion),
        help("narrow the globs, or anchor them in a smaller directory")
    )]
    ExpansionTooLarge {
        /// The root the globs were resolved against.
        root: String,
        /// The limit.
        limit: usize,
        /// The glob being expanded when the limit was reached.
        glob: Option<String>,
        /// Where its rule is written.
        origin: Option<Box<polc_lang::ir::Origin>>,
    },
    /// Strict mode, and the running kernel has no Landlock.
    #[error("the running kernel does not support landlock")]
    #[diagnostic(
        code(polc::landlock::unavailable),
        help(
            "boot a kernel with CONFIG_SECURITY_LANDLOCK=y and `landlock` in `lsm=`, or use best effort to run unconfined with a report"
        )
    )]
    NoLandlock,
    /// Strict mode, and the running kernel's ABI enforces less than the plan.
    #[error("the running kernel's landlock ABI {kernel} enforces less than the plan for ABI {planned}: {}", .problems.join("; "))]
    #[diagnostic(
        code(polc::landlock::kernel_too_old),
        help("run on a newer kernel, plan for the kernel's ABI, or use best effort")
    )]
    KernelTooOld {
        /// The kernel's ABI.
        kernel: u8,
        /// The plan's ABI.
        planned: u8,
        /// What would be lost.
        problems: Vec<String>,
    },
    /// Strict mode, and the calling process has threads Landlock cannot restrict.
    #[error(
        "the process has {threads} threads, which restrict_self cannot all restrict on this kernel"
    )]
    #[diagnostic(
        code(polc::landlock::threads),
        help("confine the process before it starts threads")
    )]
    Threads {
        /// How many.
        threads: usize,
    },
    /// The `landlock` crate refused the ruleset.
    #[error("cannot build the landlock ruleset: {0}")]
    #[diagnostic(code(polc::landlock::ruleset))]
    Ruleset(#[from] landlock::RulesetError),
    /// A system call failed.
    #[error("cannot {what}: {source}")]
    #[diagnostic(code(polc::landlock::os))]
    Os {
        /// What polc was doing.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
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
