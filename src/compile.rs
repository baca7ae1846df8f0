//! Compile a policy's IR for an LSM: one entry point over the backends.
//!
//! ```
//! use polc::compile::{compile, CompileOptions};
//! use polc::{load, LoadOptions, Lsm, Source};
//!
//! let src = Source::new("app.pol", r#"
//! policy org.example.app {
//!     allow read "/etc/app/**"
//!     deny  read "/etc/app/secret"
//! }
//! "#);
//! let loaded = load(&src, &LoadOptions::default()).map_err(|f| f.diagnostics).unwrap();
//! let artifact = compile(&loaded.policy, Lsm::AppArmor, &CompileOptions::default()).unwrap();
//! assert!(artifact.text.contains("profile \"org.example.app\""));
//! assert_eq!(artifact.file_name, "org.example.app.apparmor");
//! // Every rule's fidelity: exact, narrowed, widened or unsupported.
//! assert!(!artifact.report.entries.is_empty());
//! ```

use crate::store::Lsm;
pub use polc_apparmor::Abi as AppArmorAbi;
use polc_lang::fidelity::FidelityReport;
use polc_lang::ir::Policy;
use std::path::{Path, PathBuf};

pub use polc_selinux::{Attribute, FileContexts, Launcher, PortContexts};

/// How to compile: one config struct for every backend.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Fail on `widened` and `unsupported` rules (the backends' strict mode).
    pub strict: bool,
    /// The AppArmor ABI to target (default 3.0: Debian 12's parser and kernel).
    pub apparmor_abi: polc_apparmor::Abi,
    /// The Landlock ABI to plan for (1 to 7, default 7).
    pub landlock_abi: u8,
    /// Where the Landlock plan resolves install-time expansions (default `/`).
    pub landlock_root: PathBuf,
    /// The target system's SELinux file contexts, to which paths the policy does not own
    /// resolve (e.g. Debian's `/etc/selinux/default/contexts/files/file_contexts`).
    pub selinux_file_contexts: Option<polc_selinux::FileContexts>,
    /// The target system's SELinux port contexts, to which network rules resolve.
    pub selinux_port_contexts: Option<polc_selinux::PortContexts>,
    /// Domains of the target that start the program into the SELinux domain (e.g. the
    /// reference policy's `unconfined_t:unconfined_r`); none by default.
    pub selinux_launchers: Vec<polc_selinux::Launcher>,
    /// Attributes of the target the SELinux module's types join (e.g. the reference
    /// policy's `domain=domain`, `file=file_type`, `port=port_type`); none by default.
    pub selinux_attributes: Vec<polc_selinux::Attribute>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            strict: false,
            apparmor_abi: polc_apparmor::Abi::default(),
            landlock_abi: polc_landlock::MAX_ABI,
            landlock_root: PathBuf::from("/"),
            selinux_file_contexts: None,
            selinux_port_contexts: None,
            selinux_launchers: Vec::new(),
            selinux_attributes: Vec::new(),
        }
    }
}

/// A compiled policy for one LSM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The LSM.
    pub lsm: Lsm,
    /// The artifact: an AppArmor profile, a CIL module, or a Landlock plan (JSON).
    pub text: String,
    /// The file name it is stored under (SELinux takes the module name from it).
    pub file_name: String,
    /// Per-rule fidelity.
    pub report: FidelityReport,
}

/// Why a policy could not be compiled: the backend's error, with its code and help
/// ([`miette::Diagnostic`], the same for every backend).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CompileError {
    /// The AppArmor backend refused.
    #[error(transparent)]
    #[diagnostic(transparent)]
    AppArmor(#[from] polc_apparmor::Error),
    /// The Landlock backend refused.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Landlock(#[from] polc_landlock::Error),
    /// The SELinux backend refused.
    #[error(transparent)]
    #[diagnostic(transparent)]
    SeLinux(#[from] polc_selinux::Error),
    /// A deployment object could not be made (`polc::deploy`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Deploy(#[from] crate::deploy::DeployError),
}

impl CompileError {
    /// Advice for the user.
    pub fn help(&self) -> Option<String> {
        miette::Diagnostic::help(self).map(|h| h.to_string())
    }

    /// The error's stable code (`polc::BACKEND::KIND`), for scripts and the docs.
    pub fn code(&self) -> Option<String> {
        miette::Diagnostic::code(self).map(|c| c.to_string())
    }

    /// True when strict mode refused widened or unsupported rules.
    pub fn is_strict(&self) -> bool {
        matches!(
            self,
            CompileError::AppArmor(polc_apparmor::Error::Strict { .. })
                | CompileError::Landlock(polc_landlock::Error::Strict { .. })
                | CompileError::SeLinux(polc_selinux::Error::Strict { .. })
                | CompileError::Deploy(crate::deploy::DeployError::Spo(
                    polc_spo::Error::Strict { .. }
                ))
        )
    }

    /// The fidelity report a strict failure carries, if any.
    pub fn report(&self) -> Option<&FidelityReport> {
        match self {
            CompileError::AppArmor(polc_apparmor::Error::Strict { report, .. })
            | CompileError::SeLinux(polc_selinux::Error::Strict { report, .. })
            | CompileError::Deploy(crate::deploy::DeployError::Spo(polc_spo::Error::Strict {
                report,
            })) => Some(report),
            _ => None,
        }
    }
}

/// Why a target's SELinux contexts could not be read: which file, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadContextsError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file_contexts file (or one of its companions) is malformed.
    #[error("`{}` is not a file_contexts file: {source}", path.display())]
    FileContexts {
        /// The file.
        path: PathBuf,
        /// Where and what.
        source: polc_selinux::FcParseError,
    },
    /// A port contexts listing is malformed.
    #[error("`{}` is not a port contexts listing: {source}", path.display())]
    PortContexts {
        /// The file.
        path: PathBuf,
        /// Where and what.
        source: polc_selinux::PortParseError,
    },
}

impl ReadContextsError {
    /// The file at fault.
    pub fn path(&self) -> &Path {
        match self {
            ReadContextsError::Read { path, .. }
            | ReadContextsError::FileContexts { path, .. }
            | ReadContextsError::PortContexts { path, .. } => path,
        }
    }
}

/// Read a target's file contexts as its policy build and libselinux do: the
/// `file_contexts` file at `path`, then its companions when present, `PATH.homedirs` and
/// `PATH.local` (entries after the main file's), and `PATH.subs_dist` (path aliases).
///
/// A missing or unreadable companion is skipped, as libselinux skips it; a malformed one
/// is an error naming it.
///
/// ```no_run
/// let fc = polc::compile::read_selinux_file_contexts(
///     "/etc/selinux/default/contexts/files/file_contexts".as_ref(),
/// )?;
/// let opts = polc::compile::CompileOptions {
///     selinux_file_contexts: Some(fc),
///     ..Default::default()
/// };
/// # let _ = opts;
/// # Ok::<(), polc::compile::ReadContextsError>(())
/// ```
pub fn read_selinux_file_contexts(path: &Path) -> Result<FileContexts, ReadContextsError> {
    let malformed = |file: &Path| {
        let path = file.to_path_buf();
        move |source: polc_selinux::FcParseError| ReadContextsError::FileContexts { path, source }
    };
    let text = read(path)?;
    let mut fc = FileContexts::parse(&text).map_err(malformed(path))?;
    let sibling = |suffix: &str| {
        let base = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        path.with_file_name(format!("{base}.{suffix}"))
    };
    for suffix in ["homedirs", "local"] {
        let extra = sibling(suffix);
        if let Some(t) = read_companion(&extra)? {
            let name = extra.to_string_lossy().into_owned();
            fc = fc.with_extra(&t, &name).map_err(malformed(&extra))?;
        }
    }
    let subs = sibling("subs_dist");
    if let Some(t) = read_companion(&subs)? {
        fc = fc.with_substitutions(&t).map_err(malformed(&subs))?;
    }
    Ok(fc)
}

/// Read a target's port contexts: the text `seinfo --portcon --initialsid -x POLICY`
/// prints (`portcon tcp 443 system_u:object_r:http_port_t:s0` lines, and `sid port` /
/// `sid node` lines; other lines are ignored).
pub fn read_selinux_port_contexts(path: &Path) -> Result<PortContexts, ReadContextsError> {
    let text = read(path)?;
    PortContexts::parse(&text).map_err(|source| ReadContextsError::PortContexts {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a contexts file, at most [`MAX_CONTEXTS_BYTES`](crate::limits::MAX_CONTEXTS_BYTES).
fn read(path: &Path) -> Result<String, ReadContextsError> {
    crate::limits::read_file(path, crate::limits::MAX_CONTEXTS_BYTES).map_err(|source| {
        ReadContextsError::Read {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// A companion file that may be absent (`None`), otherwise read as [`read`] does: one
/// too large is an error, not silently skipped.
fn read_companion(path: &Path) -> Result<Option<String>, ReadContextsError> {
    match read(path) {
        Ok(t) => Ok(Some(t)),
        Err(ReadContextsError::Read { source, .. })
            if source.kind() != std::io::ErrorKind::FileTooLarge =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Compile `policy` for `lsm`.
pub fn compile(policy: &Policy, lsm: Lsm, opts: &CompileOptions) -> Result<Artifact, CompileError> {
    let name = policy.name.as_str();
    match lsm {
        Lsm::AppArmor => {
            let c = polc_apparmor::compile(
                policy,
                &polc_apparmor::Config {
                    abi: opts.apparmor_abi,
                    strict: opts.strict,
                },
            )?;
            Ok(Artifact {
                lsm,
                text: c.text,
                file_name: format!("{name}.apparmor"),
                report: c.report,
            })
        }
        Lsm::Landlock => {
            let plan = landlock_plan(policy, opts)?;
            Ok(Artifact {
                lsm,
                text: plan.to_json(),
                file_name: format!("{name}.landlock.json"),
                report: plan.report,
            })
        }
        Lsm::SeLinux => {
            let c = polc_selinux::compile(
                policy,
                &polc_selinux::Config {
                    strict: opts.strict,
                    file_contexts: opts.selinux_file_contexts.clone(),
                    port_contexts: opts.selinux_port_contexts.clone(),
                    launchers: opts.selinux_launchers.clone(),
                    attributes: opts.selinux_attributes.clone(),
                },
            )?;
            Ok(Artifact {
                lsm,
                text: c.cil,
                file_name: format!("{}.cil", c.module_name),
                report: c.report,
            })
        }
    }
}

/// The fidelity report of `policy` for `lsm`: [`compile`]'s report, without making the
/// artifact's text when it is not needed (a Landlock plan's JSON is as large as the plan).
pub fn report(
    policy: &Policy,
    lsm: Lsm,
    opts: &CompileOptions,
) -> Result<FidelityReport, CompileError> {
    match lsm {
        Lsm::Landlock => Ok(landlock_plan(policy, opts)?.report),
        _ => Ok(compile(policy, lsm, opts)?.report),
    }
}

/// The Landlock plan of `policy` ([`compile`]'s artifact for Landlock before it is
/// serialised: [`polc_landlock::Plan::write_json`] writes it without building the text).
pub fn landlock_plan(
    policy: &Policy,
    opts: &CompileOptions,
) -> Result<polc_landlock::Plan, CompileError> {
    Ok(polc_landlock::plan(policy, &landlock_config(opts))?)
}

/// The Landlock backend's config for these options.
pub fn landlock_config(opts: &CompileOptions) -> polc_landlock::Config {
    polc_landlock::Config {
        abi: opts.landlock_abi,
        compatibility: if opts.strict {
            polc_landlock::Compatibility::Strict
        } else {
            polc_landlock::Compatibility::BestEffort
        },
        root: opts.landlock_root.clone(),
    }
}

/// The LSM the running kernel enforces, as `polc run` and [`crate::confine`] choose it
/// ([`crate::confine::active_lsm`]): from `/sys/kernel/security/lsm`, AppArmor or SELinux
/// when listed (the first of them), else Landlock when listed; when securityfs is not
/// mounted, from selinuxfs, AppArmor's module parameter and Landlock's ABI. `None` when
/// there is none.
pub fn host_lsm() -> Option<Lsm> {
    crate::confine::active_lsm(Path::new("/sys/kernel/security")).ok()
}

/// [`host_lsm`] on the text of `/sys/kernel/security/lsm`.
pub fn lsm_from_list(list: &str) -> Option<Lsm> {
    let names: Vec<&str> = list.trim().split(',').map(str::trim).collect();
    names
        .iter()
        .find_map(|n| match *n {
            "apparmor" => Some(Lsm::AppArmor),
            "selinux" => Some(Lsm::SeLinux),
            _ => None,
        })
        .or_else(|| names.contains(&"landlock").then_some(Lsm::Landlock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_lsm_wins_over_landlock() {
        assert_eq!(
            lsm_from_list("lockdown,capability,landlock,bpf\n"),
            Some(Lsm::Landlock)
        );
        assert_eq!(
            lsm_from_list("lockdown,capability,landlock,apparmor"),
            Some(Lsm::AppArmor)
        );
        assert_eq!(
            lsm_from_list("capability,selinux,landlock"),
            Some(Lsm::SeLinux)
        );
        assert_eq!(lsm_from_list("capability,bpf"), None);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn contexts_errors_name_the_file_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let fc = dir.path().join("file_contexts");
        let missing = read_selinux_file_contexts(&fc).unwrap_err();
        assert!(matches!(missing, ReadContextsError::Read { .. }));
        assert_eq!(missing.path(), fc);

        std::fs::write(&fc, "/srv(/.*)?  system_u:object_r:var_t:s0\n").unwrap();
        assert!(read_selinux_file_contexts(&fc).is_ok());
        let local = dir.path().join("file_contexts.local");
        std::fs::write(&local, "\n/srv/x\n").unwrap();
        let bad = read_selinux_file_contexts(&fc).unwrap_err();
        assert_eq!(bad.path(), local);
        assert_eq!(
            bad.to_string(),
            format!(
                "`{}` is not a file_contexts file: {}:2: expected `REGEX [MODE] CONTEXT`",
                local.display(),
                local.display()
            )
        );

        let ports = dir.path().join("ports");
        std::fs::write(&ports, "portcon tcp 443 system_u:object_r:http_port_t:s0\n").unwrap();
        let p = read_selinux_port_contexts(&ports).unwrap();
        assert_eq!(p.ports.len(), 1);
        std::fs::write(&ports, "portcon tcp 9-1 system_u:object_r:http_port_t:s0\n").unwrap();
        let bad = read_selinux_port_contexts(&ports).unwrap_err();
        assert_eq!(
            bad.to_string(),
            format!(
                "`{}` is not a port contexts listing: port contexts:1: bad port range",
                ports.display()
            )
        );
    }

    /// Every backend's errors reach the caller with their code and help, the same way.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn backend_errors_have_codes_and_help() {
        let src = polc_lang::Source::new(
            "a.pol",
            "policy a {\n    allow read \"/etc/hosts\"\n    allow net connect tcp 443\n}\n",
        );
        let policy = polc_lang::load(&src, &polc_lang::LoadOptions::default())
            .map_err(|f| f.diagnostics)
            .unwrap()
            .policy;
        let strict = CompileOptions {
            strict: true,
            ..CompileOptions::default()
        };
        let cases = [
            (Lsm::AppArmor, &strict, "polc::apparmor::strict"),
            (
                Lsm::SeLinux,
                &CompileOptions::default(),
                "polc::selinux::file_contexts",
            ),
        ];
        for (lsm, opts, code) in cases {
            let e = compile(&policy, lsm, opts).unwrap_err();
            assert_eq!(e.code().as_deref(), Some(code), "{e}");
            assert!(e.help().is_some_and(|h| !h.is_empty()), "{e}");
        }
        let landlock = CompileOptions {
            landlock_abi: 99,
            ..CompileOptions::default()
        };
        let e = compile(&policy, Lsm::Landlock, &landlock).unwrap_err();
        assert_eq!(e.code().as_deref(), Some("polc::landlock::abi"), "{e}");
        assert_eq!(e.help().as_deref(), Some("choose an ABI from 1 to 7"));
    }
}
