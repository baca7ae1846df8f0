//! # polc
//!
//! A mandatory-access-control policy compiler: one policy language, parsed and
//! checked, lowered to one backend-neutral model (the IR), then compiled for an
//! enforcing kernel (AppArmor, SELinux or Landlock backends build on this crate).
//!
//! This crate is the stable facade that installers, build tools and reviewers call.
//! It re-exports the language's core values from [`polc_lang`] (available in full as
//! [`lang`]) and adds the operations the `polc` tool is made of, as plain values:
//!
//! - [`load`]: source text (or its JSON form) → a checked, lowered [`Policy`];
//! - [`check`]: every diagnostic of a source, whether it loads or not;
//! - [`explain`]: why a request is allowed or denied, with the deciding rules and
//!   where they were written (file:line:col and the `use` chain);
//! - [`store`]: installed policies as transactional generations with rollback (and,
//!   for SELinux, the labels of the files they own);
//! - [`confine`]: start a child confined by an installed policy, on AppArmor, SELinux
//!   or Landlock (what `polc run` does).
//!
//! Nothing here prints: diagnostics are [`Diagnostic`] values and an [`Explanation`]
//! serializes to JSON; [`text`] turns them into the text `polc` prints, for callers that
//! show it. The `polc` command line is a default feature (`cli`): a library user or a
//! binding that sets `default-features = false` builds neither it nor `clap`.
//!
//! ## Who calls what
//!
//! | caller | steps | API |
//! | --- | --- | --- |
//! | installer | read the policy and the abstraction search path; check; compile for the host; install as a transaction; connect plugs; roll back on failure | [`sources`], [`check`] / [`load`], [`compile::host_lsm`], [`compile::compile`], [`store::Store`] (`install`, `rollback`, `remove`), [`connect`] |
//! | runtime | start a program confined by a policy or an installed policy | [`confine::CommandExt`], [`confine::Options`] |
//! | auditor | why a request is decided; what a change grants; what a denial record means | [`explain`], [`lang::diff::Report`], [`lang::denial`], [`text`] |
//! | build and deploy tools | other formats in and out | [`import`], [`deploy`] |
//!
//! The language's own types (the IR, globs, fidelity reports, diffs) are in [`lang`]; the
//! ones above are re-exported here.
//!
//! ## Example
//!
//! ```
//! use polc::{check, explain, load, LoadOptions, Request, Right, Source};
//!
//! let src = Source::new("app.pol", r#"
//! policy org.example.app {
//!     var conf = "/etc/app"
//!     allow read "${conf}/**"
//!     deny  read "${conf}/secret"
//! }
//! "#);
//!
//! // Every diagnostic (errors and warnings), whether the policy loads or not.
//! let checked = check(&src, &LoadOptions::default());
//! assert!(!checked.has_errors());
//!
//! // The policy's meaning, and a question asked of it.
//! let loaded = load(&src, &LoadOptions::default()).map_err(|f| f.diagnostics).unwrap();
//! let why = explain(&loaded.policy, &Request::file("/etc/app/secret", Right::Read));
//! assert!(!why.allowed);
//! assert_eq!(why.deciding[0].rule, r#"deny read "/etc/app/secret""#);
//! assert_eq!(why.deciding[0].origins[0].line, 5);
//! // The allow that the deny overrode is reported too.
//! assert_eq!(why.overridden[0].rule, r#"allow read "/etc/app/**""#);
//! ```
//!
//! Install-time variables and extra abstraction files go in [`LoadOptions`]:
//!
//! ```
//! use polc::{load, LoadOptions, Source};
//!
//! let mut opts = LoadOptions::default();
//! opts.vars.insert("state_dir".into(), "/srv/app".into());
//! opts.abstractions.push(Source::new("site/logging.pol", r#"
//! abstraction site-logging {
//!     version 1
//!     allow append "/var/log/site/**"
//! }
//! "#));
//! let src = Source::new("app.pol", r#"
//! policy org.example.app {
//!     use site-logging@1
//!     var state_dir = "/var/lib/app"
//!     allow rw "${state_dir}/**"
//! }
//! "#);
//! let loaded = load(&src, &opts).map_err(|f| f.diagnostics).unwrap();
//! assert!(loaded.policy.files.iter().any(|r| r.glob.as_str() == "/srv/app/**"));
//! ```
//!
//! Directories of abstractions, as `polc` searches them (the distribution's, the
//! site's, then `--abstractions DIR`; a later one overriding an earlier one and the
//! built-in abstractions), go in `LoadOptions::search_path`, read by the caller;
//! [`sources::abstraction_search_path`] reads them as the command line does, and
//! [`lang::catalog`] lists what they make visible.
//!
//! An auditor's question, what a change grants:
//!
//! ```
//! use polc::{load, LoadOptions, Source};
//! use polc::lang::diff::Report;
//!
//! let opts = LoadOptions::default();
//! let old = load(&Source::new("old.pol", r#"policy a { allow read "/etc/app/**" }"#), &opts)
//!     .map_err(|f| f.diagnostics).unwrap();
//! let new = load(&Source::new("new.pol", r#"policy a { allow read write "/etc/app/**" }"#), &opts)
//!     .map_err(|f| f.diagnostics).unwrap();
//! let report = Report::of(&old, &new);
//! assert!(report.broadens()); // NEW grants more: `polc diff --fail-on broaden` exits 1
//! let text = polc::text::diff::human(&report, "old.pol", "new.pol");
//! assert!(text.contains("write"), "{text}");
//! ```
#![warn(missing_docs)]

/// The `polc` command line's implementation (feature `cli`): not an API; the binary and
/// the CLI's tests use it.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod command;
pub mod compile;
pub mod confine;
pub mod connect;
pub mod deploy;
mod explain;
#[doc(hidden)]
pub mod generate;
pub mod import;
pub mod limits;
pub mod request;
pub mod sources;
pub mod store;
pub mod text;

pub use store::Lsm;

pub use explain::{describe_rule, explain, ExplainedRule, Explanation};
pub use polc_lang as lang;
pub use polc_lang::diagnostics::{Code, Diagnostic, Severity};
pub use polc_lang::eval::{Decision, Reason, Request, RuleKind};
pub use polc_lang::ir::{Origin, Policy, PolicyName};
pub use polc_lang::rights::{Right, Rights};
pub use polc_lang::{Failed, LoadOptions, Loaded, Source, SourceMap};

/// The Rust examples of the README and the guides, compiled and run as doc-tests
/// (`cargo test --doc -p polc`), so they cannot drift from the API.
#[cfg(doctest)]
mod documentation_examples {
    #[doc = include_str!("../README.md")]
    mod readme {}
    #[doc = include_str!("../docs/runtime.md")]
    mod runtime {}
}

/// Load a policy: parse (or read the JSON form, for a name ending in `.json`), check,
/// and lower to the IR.
///
/// On success the [`Loaded`] value holds the policy and its warnings; on failure,
/// [`Failed`] holds every diagnostic found. Both carry the [`SourceMap`] of every file
/// involved, which a renderer needs to draw snippets.
pub fn load(src: &Source, opts: &LoadOptions) -> Result<Loaded, Failed> {
    polc_lang::load(src, opts)
}

/// The outcome of [`check`]: every diagnostic of a source, and the policy when it loaded.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Errors first, then warnings, as the loader reported them.
    pub diagnostics: Vec<Diagnostic>,
    /// The policy, when there was no error.
    pub policy: Option<Policy>,
    /// The sources involved (the file itself, abstraction files, the stdlib).
    pub sources: SourceMap,
}

impl Checked {
    /// True when some diagnostic is an error (or when the load failed without saying why).
    pub fn has_errors(&self) -> bool {
        self.policy.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Check a source: [`load`] it and keep every diagnostic, errors and warnings alike.
pub fn check(src: &Source, opts: &LoadOptions) -> Checked {
    match load(src, opts) {
        Ok(loaded) => Checked {
            diagnostics: loaded.warnings,
            policy: Some(loaded.policy),
            sources: loaded.sources,
        },
        Err(failed) => Checked {
            diagnostics: failed.diagnostics,
            policy: None,
            sources: failed.sources,
        },
    }
}
