//! Confining a child at exec on any LSM: one [`Command`] extension over AppArmor, SELinux
//! and Landlock.
//!
//! A launcher that installed a policy (see [`crate::store`]) starts the app under it:
//!
//! - **AppArmor**: the child switches to the policy's profile at exec (`exec PROFILE`
//!   written to `/proc/thread-self/attr/apparmor/exec`, as `aa_change_onexec` does). The
//!   profile must be loaded; that is checked before the fork.
//! - **SELinux**: the child's exec context is set to the policy's domain
//!   (`system_u:system_r:BLOCK.domain`), as `setexeccon` does. The module must be loaded,
//!   and the caller allowed to enter the domain through the program; that is checked with
//!   the loaded policy before the fork.
//! - **Landlock**: the policy is planned for the running kernel and the ruleset enforced in
//!   the child, with `no_new_privs` and the capability sets reduced (nothing to install).
//!
//! Whatever the LSM, the child is never started unconfined: a check that fails before the
//! fork returns an error *and* poisons the command (spawning it fails), and a failure in
//! the child between fork and exec makes the spawn fail. [`Status`] says which LSM
//! confines the child and under what name. `polc run` is [`run`].
//!
//! ```no_run
//! use polc::confine::{CommandExt, Lsm, Options};
//! use polc::lang::{load, LoadOptions, Source};
//! use std::process::Command;
//!
//! let src = Source::new("webapp.pol", std::fs::read_to_string("webapp.pol")?);
//! let policy = load(&src, &LoadOptions::default()).map_err(|_| "the policy has errors")?.policy;
//!
//! // AppArmor: the profile was loaded by `polc install --lsm apparmor webapp.pol`.
//! let mut cmd = Command::new("/usr/bin/webapp");
//! let status = cmd.confine(&policy, &Options::for_lsm(Lsm::AppArmor))?;
//! assert_eq!((status.lsm, status.name.as_str()), (Lsm::AppArmor, "org.example.webapp"));
//!
//! // SELinux: the module was loaded and the files labelled by `polc install --lsm selinux`.
//! let mut cmd = Command::new("/usr/bin/webapp");
//! let status = cmd.confine(&policy, &Options::for_lsm(Lsm::SeLinux))?;
//! assert_eq!(status.name, "system_u:system_r:org_example_webapp.domain");
//!
//! // Landlock: nothing installed; planned and enforced in the child.
//! let mut cmd = Command::new("/usr/bin/webapp");
//! let status = cmd.confine(&policy, &Options::for_lsm(Lsm::Landlock))?;
//! println!("{} confines the child as {}", status.lsm, status.name);
//!
//! // Or the host's active LSM.
//! let mut cmd = Command::new("/usr/bin/webapp");
//! let status = cmd.confine(&policy, &Options::default())?;
//! let exit = cmd.status()?; // runs confined, or not at all
//! # let _ = (status, exit);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::store::Lsm;

use polc_lang::ir::{Policy, PolicyName};
use serde::Serialize;
use std::ffi::OsString;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::str::FromStr;

/// What to confine a child as.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// The AppArmor profile of this policy (loaded).
    AppArmor(&'a PolicyName),
    /// The SELinux domain of this policy (its module loaded).
    SeLinux(&'a PolicyName),
    /// This Landlock plan.
    Landlock(&'a polc_landlock::Plan),
}

/// How to confine.
#[derive(Clone, Debug)]
pub struct Options {
    /// The LSM; `None`: the host's active one ([`active_lsm`]).
    pub lsm: Option<Lsm>,
    /// The securityfs mount point, where `lsm` lists the active LSMs (default
    /// `/sys/kernel/security`).
    pub securityfs: PathBuf,
    /// How to plan for Landlock (default: the newest ABI, strict).
    pub landlock: polc_landlock::Config,
    /// How to enforce Landlock.
    pub landlock_enforce: polc_landlock::EnforceOptions,
    /// AppArmor's kernel interfaces.
    pub apparmor: polc_apparmor::ExecOptions,
    /// SELinux's kernel interfaces.
    pub selinux: polc_selinux::ExecOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lsm: None,
            securityfs: PathBuf::from("/sys/kernel/security"),
            landlock: polc_landlock::Config::default(),
            landlock_enforce: polc_landlock::EnforceOptions::default(),
            apparmor: polc_apparmor::ExecOptions::default(),
            selinux: polc_selinux::ExecOptions::default(),
        }
    }
}

impl Options {
    /// The defaults, with `lsm` chosen.
    pub fn for_lsm(lsm: Lsm) -> Options {
        Options {
            lsm: Some(lsm),
            ..Options::default()
        }
    }
}

/// Each LSM's own account of the confinement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// AppArmor.
    AppArmor(polc_apparmor::ExecStatus),
    /// SELinux.
    SeLinux(polc_selinux::ExecStatus),
    /// Landlock.
    Landlock(Box<polc_landlock::Status>),
}

/// What confines the child.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The LSM.
    pub lsm: Lsm,
    /// The name the child runs under: the AppArmor profile, the SELinux context, or the
    /// policy's name for Landlock.
    pub name: String,
    /// True when the kernel refuses what the policy does not allow; false when it only
    /// logs (AppArmor complain mode, a permissive SELinux domain or system) or, for
    /// Landlock, enforces nothing at all.
    pub enforcing: bool,
    /// The details.
    pub detail: Detail,
}

/// Why a child cannot be confined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No LSM polc can use is active.
    #[error("no LSM polc can confine with is active (active: `{active}`)")]
    NoLsm {
        /// What the kernel lists.
        active: String,
    },
    /// Landlock planning or enforcement failed.
    #[error(transparent)]
    Landlock(#[from] polc_landlock::Error),
    /// AppArmor confinement failed.
    #[error(transparent)]
    AppArmor(#[from] polc_apparmor::ExecError),
    /// SELinux confinement failed.
    #[error(transparent)]
    SeLinux(#[from] polc_selinux::ExecError),
    /// The command could not be started (the child never ran).
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The error (from the exec, or from confining the child before it).
        #[source]
        source: std::io::Error,
    },
    /// An empty command line.
    #[error("no command to run")]
    NoCommand,
}

impl Error {
    /// Advice for the user.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            Error::NoLsm { .. } => Some(
                "boot a kernel with AppArmor, SELinux or Landlock in `lsm=`, or name one with \
                 `--lsm`",
            ),
            Error::Landlock(e) => e.help(),
            Error::AppArmor(e) => e.help(),
            Error::SeLinux(e) => e.help(),
            Error::Spawn { .. } => Some(
                "the child did not run; a confinement step that fails in the child (the \
                 profile or module was removed, or the kernel refused the change) is reported \
                 as this error",
            ),
            Error::NoCommand => Some("give the command after `--`"),
        }
    }
}

/// An unknown LSM name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown LSM `{0}`: use `apparmor`, `selinux` or `landlock`")]
pub struct UnknownLsm(pub String);

impl FromStr for Lsm {
    type Err = UnknownLsm;
    fn from_str(s: &str) -> Result<Lsm, UnknownLsm> {
        match s {
            "apparmor" => Ok(Lsm::AppArmor),
            "selinux" => Ok(Lsm::SeLinux),
            "landlock" => Ok(Lsm::Landlock),
            other => Err(UnknownLsm(other.escape_default().to_string())),
        }
    }
}

/// The LSM to confine with, from the text of `/sys/kernel/security/lsm`: SELinux or
/// AppArmor when one is active (the first listed), else Landlock when it is active.
pub use crate::compile::lsm_from_list;

/// The host's active LSM: from `SECURITYFS/lsm`, or, when securityfs is not mounted, from
/// the presence of selinuxfs, AppArmor's module parameter and Landlock's ABI.
pub fn active_lsm(securityfs: &Path) -> Result<Lsm, Error> {
    if let Ok(list) = std::fs::read_to_string(securityfs.join("lsm")) {
        return lsm_from_list(&list).ok_or(Error::NoLsm {
            active: list.trim().to_string(),
        });
    }
    if Path::new("/sys/fs/selinux/enforce").is_file() {
        return Ok(Lsm::SeLinux);
    }
    let aa = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled");
    if aa.is_ok_and(|s| s.trim() == "Y") {
        return Ok(Lsm::AppArmor);
    }
    if polc_landlock::kernel_abi() > 0 {
        return Ok(Lsm::Landlock);
    }
    Err(Error::NoLsm {
        active: "unknown: securityfs is not mounted".into(),
    })
}

/// True when `lsm` is active on the running kernel, read as [`active_lsm`] reads it: listed
/// in `SECURITYFS/lsm`, or, when securityfs is not mounted, selinuxfs, AppArmor's module
/// parameter or Landlock's ABI.
pub fn lsm_is_active(securityfs: &Path, lsm: Lsm) -> bool {
    if let Ok(list) = std::fs::read_to_string(securityfs.join("lsm")) {
        return list.trim().split(',').any(|n| n.trim() == lsm.name());
    }
    match lsm {
        Lsm::SeLinux => Path::new("/sys/fs/selinux/enforce").is_file(),
        Lsm::AppArmor => std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|s| s.trim() == "Y"),
        Lsm::Landlock => polc_landlock::kernel_abi() > 0,
    }
}

/// Make every spawn of `cmd` fail before exec.
fn poison(cmd: &mut Command) {
    // SAFETY: the hook makes no call at all.
    unsafe {
        cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EACCES)));
    }
}

fn landlock_status(plan: &polc_landlock::Plan, s: polc_landlock::Status) -> Status {
    Status {
        lsm: Lsm::Landlock,
        name: plan.policy.clone(),
        enforcing: s.enforcement != polc_landlock::Enforcement::None,
        detail: Detail::Landlock(Box::new(s)),
    }
}

/// Confine the children of a [`Command`] on any LSM.
pub trait CommandExt {
    /// Confine the child this command spawns under `policy`, on `options.lsm` or the host's
    /// active LSM. On error the command is poisoned: spawning it fails.
    fn confine(&mut self, policy: &Policy, options: &Options) -> Result<Status, Error>;

    /// Confine the child as `target` (an installed policy by name, or a Landlock plan).
    /// On error the command is poisoned: spawning it fails.
    fn confine_as(&mut self, target: Target<'_>, options: &Options) -> Result<Status, Error>;
}

impl CommandExt for Command {
    fn confine(&mut self, policy: &Policy, options: &Options) -> Result<Status, Error> {
        let lsm = match options.lsm {
            Some(l) => l,
            None => match active_lsm(&options.securityfs) {
                Ok(l) => l,
                Err(e) => {
                    poison(self);
                    return Err(e);
                }
            },
        };
        match lsm {
            Lsm::AppArmor => self.confine_as(Target::AppArmor(&policy.name), options),
            Lsm::SeLinux => self.confine_as(Target::SeLinux(&policy.name), options),
            Lsm::Landlock => match polc_landlock::plan(policy, &options.landlock) {
                Ok(plan) => self.confine_as(Target::Landlock(&plan), options),
                Err(e) => {
                    poison(self);
                    Err(e.into())
                }
            },
        }
    }

    fn confine_as(&mut self, target: Target<'_>, options: &Options) -> Result<Status, Error> {
        match target {
            Target::AppArmor(name) => {
                use polc_apparmor::CommandExt as _;
                let s = self.confine_with(name, &options.apparmor)?;
                Ok(Status {
                    lsm: Lsm::AppArmor,
                    name: s.profile.clone(),
                    enforcing: s.enforcing(),
                    detail: Detail::AppArmor(s),
                })
            }
            Target::SeLinux(name) => {
                use polc_selinux::CommandExt as _;
                let s = self.confine_with(name, &options.selinux)?;
                Ok(Status {
                    lsm: Lsm::SeLinux,
                    name: s.context.clone(),
                    enforcing: s.enforcing && !s.permissive,
                    detail: Detail::SeLinux(s),
                })
            }
            Target::Landlock(plan) => {
                match polc_landlock::Prepared::new(plan, &options.landlock_enforce) {
                    Ok(p) => Ok(landlock_status(plan, p.install(self))),
                    Err(e) => {
                        poison(self);
                        Err(e.into())
                    }
                }
            }
        }
    }
}

/// A command line, confined under `policy` and ready to spawn (the library side of
/// `polc run`).
pub fn command(
    policy: &Policy,
    argv: &[OsString],
    options: &Options,
) -> Result<(Command, Status), Error> {
    let (program, args) = argv.split_first().ok_or(Error::NoCommand)?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    let status = cmd.confine(policy, options)?;
    Ok((cmd, status))
}

/// What [`run`] did.
#[derive(Debug)]
pub struct Ran {
    /// What confined the child.
    pub status: Status,
    /// How the child ended.
    pub exit: ExitStatus,
}

impl Ran {
    /// The exit code a launcher should end with: the child's, or 128 + the signal that
    /// killed it.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        self.exit
            .code()
            .or_else(|| self.exit.signal().map(|s| 128 + s))
            .unwrap_or(1)
    }
}

/// `polc run`: start `argv` confined under `policy` on `options.lsm` (or the host's active
/// LSM), with the caller's standard streams, and wait for it.
pub fn run(policy: &Policy, argv: &[OsString], options: &Options) -> Result<Ran, Error> {
    let (mut cmd, status) = command(policy, argv, options)?;
    let program = argv
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exit = cmd
        .status()
        .map_err(|source| Error::Spawn { program, source })?;
    Ok(Ran { status, exit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsm_lists() {
        assert_eq!(
            lsm_from_list("lockdown,capability,landlock,bpf\n"),
            Some(Lsm::Landlock)
        );
        assert_eq!(
            lsm_from_list("lockdown,capability,landlock,selinux"),
            Some(Lsm::SeLinux)
        );
        assert_eq!(
            lsm_from_list("capability,landlock,yama,apparmor,bpf"),
            Some(Lsm::AppArmor)
        );
        assert_eq!(lsm_from_list("capability,yama"), None);
        assert_eq!("selinux".parse::<Lsm>(), Ok(Lsm::SeLinux));
        assert!("smack".parse::<Lsm>().is_err());
    }
}
