//! Confining a child at exec: switch it to an installed profile, as libapparmor's
//! `aa_change_onexec` does.
//!
//! Before the fork, [`PreparedExec::new`] checks that AppArmor is active and that the profile
//! is loaded (it is listed in `/sys/kernel/security/apparmor/profiles`), reads its mode and
//! picks the kernel interface: `/proc/thread-self/attr/apparmor/exec` where the kernel has
//! it (5.8 and later, and every kernel with LSM stacking), else `/proc/thread-self/attr/exec`.
//! Between fork and exec the child writes `exec PROFILE` to that file with one `write`
//! (no allocation, no lock: async-signal-safe); the kernel then runs the next `execve`
//! under the profile. If the write fails (the profile was removed since the check, or the
//! caller may not change profile), the spawn fails with that error and the child never
//! runs: there is no fallback to running it unconfined.

use polc_lang::ir::PolicyName;
use serde::Serialize;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the kernel interfaces are (the defaults are the kernel's; tests and unusual mounts
/// change them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// The securityfs mount point (default `/sys/kernel/security`).
    pub securityfs: PathBuf,
    /// The calling thread's attribute directory as the child will see it (default
    /// `/proc/thread-self/attr`).
    pub attr_dir: PathBuf,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            securityfs: PathBuf::from("/sys/kernel/security"),
            attr_dir: PathBuf::from("/proc/thread-self/attr"),
        }
    }
}

/// What the child will run under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecStatus {
    /// The profile's name.
    pub profile: String,
    /// The profile's mode as the kernel lists it (`enforce`, `complain`, `kill`,
    /// `unconfined`...).
    pub mode: String,
    /// The file the child writes `exec PROFILE` to.
    pub interface: PathBuf,
}

impl ExecStatus {
    /// True when the kernel refuses what the profile does not allow (mode `enforce` or
    /// `kill`); in `complain` mode it only logs.
    pub fn enforcing(&self) -> bool {
        matches!(self.mode.as_str(), "enforce" | "kill")
    }
}

/// Why a child cannot be confined by AppArmor.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ExecError {
    /// AppArmor is not the running kernel's active LSM (or securityfs is not mounted).
    #[error("apparmor is not active: `{}` does not exist", .path.display())]
    #[diagnostic(code(polc::apparmor::not_active), help("boot with `lsm=...,apparmor` (see /sys/kernel/security/lsm) and mount securityfs (`mount -t securityfs securityfs /sys/kernel/security`), or confine with another LSM"))]
    NotActive {
        /// The file looked for.
        path: PathBuf,
    },
    /// The profile is not loaded into the kernel.
    #[error("the apparmor profile `{profile}` is not loaded")]
    #[diagnostic(code(polc::apparmor::not_loaded), help("install the policy first (`polc install --lsm apparmor FILE`); `aa-status` lists the loaded profiles"))]
    NotLoaded {
        /// The profile's name.
        profile: String,
    },
    /// The policy's name cannot be a profile name.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Name(#[from] crate::Error),
    /// Reading a kernel interface failed.
    #[error("cannot read `{}`: {source}", .path.display())]
    #[diagnostic(
        code(polc::apparmor::read),
        help("run as a user who may read the AppArmor interfaces")
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// A parsed line of `apparmor/profiles`: `NAME (MODE)`.
fn parse_profile_line(line: &str) -> Option<(&str, &str)> {
    let (name, mode) = line.trim_end().rsplit_once(" (")?;
    Some((name, mode.strip_suffix(')')?))
}

/// The profiles the kernel has loaded, with their modes, from the text of
/// `/sys/kernel/security/apparmor/profiles`.
pub fn loaded_profiles(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(parse_profile_line)
        .map(|(n, m)| (n.to_string(), m.to_string()))
        .collect()
}

/// A checked confinement, ready to be installed on a [`Command`].
#[derive(Debug)]
pub struct PreparedExec {
    interface: CString,
    request: Vec<u8>,
    status: ExecStatus,
}

impl PreparedExec {
    /// Check that AppArmor is active and the profile of `name` is loaded, and choose the
    /// kernel interface (before any fork).
    pub fn new(name: &PolicyName, opts: &ExecOptions) -> Result<PreparedExec, ExecError> {
        let profile = crate::profile_name(name)?;
        let aa = opts.securityfs.join("apparmor");
        let list = aa.join("profiles");
        if !aa.is_dir() {
            return Err(ExecError::NotActive { path: aa });
        }
        let text = std::fs::read_to_string(&list).map_err(|source| ExecError::Read {
            path: list.clone(),
            source,
        })?;
        let mode = loaded_profiles(&text)
            .into_iter()
            .find(|(n, _)| *n == profile)
            .map(|(_, m)| m)
            .ok_or_else(|| ExecError::NotLoaded {
                profile: profile.clone(),
            })?;
        let interface = choose_interface(&opts.attr_dir);
        let c = CString::new(interface.as_os_str().as_bytes()).map_err(|_| ExecError::Read {
            path: interface.clone(),
            source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
        })?;
        Ok(PreparedExec {
            interface: c,
            request: format!("exec {profile}").into_bytes(),
            status: ExecStatus {
                profile,
                mode,
                interface,
            },
        })
    }

    /// What the child will run under.
    pub fn status(&self) -> &ExecStatus {
        &self.status
    }

    /// Make `cmd` switch its child to the profile at exec: between fork and exec the child
    /// writes the request; if that fails, the spawn fails with the error and the child never
    /// runs.
    pub fn install(self, cmd: &mut Command) -> ExecStatus {
        let PreparedExec {
            interface,
            request,
            status,
        } = self;
        polc_launch::write_at_exec(cmd, interface, request);
        status
    }
}

/// `attr/apparmor/exec` where the kernel has it, else the shared `attr/exec`.
fn choose_interface(attr_dir: &Path) -> PathBuf {
    let own = attr_dir.join("apparmor").join("exec");
    if own.exists() {
        own
    } else {
        attr_dir.join("exec")
    }
}

pub use polc_launch::poison_command;

impl polc_launch::Prepared for PreparedExec {
    type Status = ExecStatus;

    fn install(self, cmd: &mut Command) -> ExecStatus {
        PreparedExec::install(self, cmd)
    }
}

/// Run the children of a [`Command`] under an installed AppArmor profile.
///
/// ```no_run
/// use polc_apparmor::CommandExt;
/// use polc_lang::ir::PolicyName;
/// use std::process::Command;
///
/// // `polc install` (or the store) loaded the profile of `org.example.webapp` before.
/// let name = PolicyName::new("org.example.webapp")?;
/// let mut cmd = Command::new("/usr/bin/webapp");
/// let status = cmd.confine(&name)?;
/// assert_eq!(status.profile, "org.example.webapp");
/// println!("confined by AppArmor profile {} ({})", status.profile, status.mode);
/// let child = cmd.spawn()?; // runs under the profile, or does not run at all
/// # drop(child);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait CommandExt {
    /// Run the child under the profile of policy `name` (see [`PreparedExec`]). On error, the
    /// command is poisoned: spawning it fails, so the child never runs unconfined.
    fn confine(&mut self, name: &PolicyName) -> Result<ExecStatus, ExecError>;

    /// [`CommandExt::confine`] with options.
    fn confine_with(
        &mut self,
        name: &PolicyName,
        opts: &ExecOptions,
    ) -> Result<ExecStatus, ExecError>;
}

impl CommandExt for Command {
    fn confine(&mut self, name: &PolicyName) -> Result<ExecStatus, ExecError> {
        self.confine_with(name, &ExecOptions::default())
    }

    fn confine_with(
        &mut self,
        name: &PolicyName,
        opts: &ExecOptions,
    ) -> Result<ExecStatus, ExecError> {
        polc_launch::confine_or_poison(self, PreparedExec::new(name, opts))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn profile_lines() {
        let l = loaded_profiles(
            "org.example.app (enforce)\n/usr/bin/x (complain)\nweird (name) (kill)\n\nbad\n",
        );
        assert_eq!(
            l,
            vec![
                ("org.example.app".into(), "enforce".into()),
                ("/usr/bin/x".into(), "complain".into()),
                ("weird (name)".into(), "kill".into()),
            ]
        );
    }
}
