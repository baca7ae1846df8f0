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
//!   A policy in `mode complain` is refused: Landlock can only refuse, not log and allow.
//!
//! Whatever the LSM, the child starts in a session of its own, without a controlling
//! terminal, so that it cannot push input into the caller's terminal (`TIOCSTI`), and
//! with only descriptors 0, 1, 2 and [`Options::pass_fds`] open (see [`Options`]).
//! [`command`] and [`run`] also check, before the fork, that the program exists and that
//! the policy lets it be executed ([`check_exec`]); [`run`] forwards termination signals
//! to the child ([`spawn_and_wait`]).
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
use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
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
    /// Start the child in a new session (`setsid`), without a controlling terminal, so
    /// that it cannot push input into the caller's terminal (`TIOCSTI`) nor reach it
    /// through `/dev/tty` (default: true). Its standard streams stay what they were, a
    /// terminal included.
    pub new_session: bool,
    /// File descriptors besides 0, 1 and 2 the child keeps (default: none). Every
    /// other descriptor is closed at exec, whatever its close-on-exec flag.
    pub pass_fds: Vec<RawFd>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            new_session: true,
            pass_fds: Vec::new(),
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
    /// The program is not found (on `PATH` for a bare name).
    #[error("no such program `{program}`")]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The policy does not allow executing the program, so the kernel would refuse to
    /// start it under the policy.
    #[error("policy `{policy}` does not allow executing `{path}`")]
    ExecDenied {
        /// The policy.
        policy: String,
        /// The program's file, symlinks resolved (what the kernel checks).
        path: String,
        /// The rule to add, or, when a `deny` rule refuses it, where that rule is.
        fix: ExecFix,
    },
    /// The policy is in complain mode, which Landlock cannot honour.
    #[error(
        "policy `{policy}` is in complain mode, which Landlock cannot honour: it can only refuse"
    )]
    Complain {
        /// The policy.
        policy: String,
    },
    /// A file descriptor to pass is not open.
    #[error("cannot pass file descriptor {fd} to the command: {source}")]
    PassFd {
        /// The descriptor.
        fd: RawFd,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How to let a policy execute a program it does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecFix {
    /// No rule allows it: the rule to add (`allow exec "/usr/bin/foo"`).
    Add(String),
    /// `deny` rules refuse it, at these places (`FILE:LINE:COLUMN`).
    Denied(Vec<String>),
}

impl Error {
    /// Advice for the user, with the details that depend on the error.
    pub fn advice(&self) -> Option<String> {
        match self {
            Error::ExecDenied {
                fix: ExecFix::Add(rule),
                ..
            } => Some(format!(
                "add `{rule}` to the policy; a policy's `attach` program needs it too (see \
                 docs/runtime.md)"
            )),
            Error::ExecDenied {
                fix: ExecFix::Denied(at),
                ..
            } => Some(format!(
                "a `deny` rule refuses it, at {}: a deny wins over any allow",
                at.join(", ")
            )),
            other => other.help(),
        }
    }
}

impl Error {
    /// Advice for the user.
    pub fn help(&self) -> Option<String> {
        let backend = |e: &dyn miette::Diagnostic| e.help().map(|h| h.to_string());
        let said = |s: &str| Some(s.to_string());
        match self {
            Error::NoLsm { .. } => said(
                "boot a kernel with AppArmor, SELinux or Landlock in `lsm=`, or name one with \
                 `--lsm`",
            ),
            Error::Landlock(e) => backend(e),
            Error::AppArmor(e) => backend(e),
            Error::SeLinux(e) => backend(e),
            Error::Spawn { .. } => said(
                "the child did not run; a confinement step that fails in the child (the \
                 profile or module was removed, or the kernel refused the change) is reported \
                 as this error",
            ),
            Error::NoCommand => said("give the command after `--`"),
            Error::NotFound { .. } => {
                said("give the program's path, or a name found in a directory of `PATH`")
            }
            Error::ExecDenied { .. } => said(
                "add an `allow exec` rule for the program (a policy's `attach` program \
                 needs one too)",
            ),
            Error::Complain { .. } => said(
                "to try the policy under Landlock, set `mode enforce` (polc run asks the \
                 kernel to log each denial where Landlock ABI >= 7 can); AppArmor \
                 (`--lsm apparmor`) and SELinux (`--lsm selinux`) honour complain mode",
            ),
            Error::PassFd { .. } => said("`--pass-fd` names a descriptor open in polc"),
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

/// The soft limit on open files: every descriptor is below it.
fn fd_limit() -> libc::c_int {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit the call writes.
    let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if r < 0 {
        return 1 << 20;
    }
    libc::c_int::try_from(lim.rlim_cur).unwrap_or(libc::c_int::MAX)
}

/// Mark every descriptor from 3 on close-on-exec. Async-signal-safe: system calls only.
fn cloexec_from_3(limit: libc::c_int) -> std::io::Result<()> {
    // SAFETY: close_range takes integers only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == 0 {
        return Ok(());
    }
    // Kernels before 5.11: one descriptor at a time.
    for fd in 3..limit {
        // SAFETY: fcntl on any integer is safe; a closed one gives EBADF.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
    Ok(())
}

/// Make the child of `cmd` start in a new session (when asked) with only its standard
/// streams and `options.pass_fds` open, and with no signal blocked.
pub fn isolate(cmd: &mut Command, options: &Options) -> Result<(), Error> {
    let mut pass: Vec<RawFd> = Vec::new();
    for &fd in &options.pass_fds {
        // SAFETY: F_GETFD reads the descriptor's flags, no memory.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(Error::PassFd {
                fd,
                source: std::io::Error::last_os_error(),
            });
        }
        if fd > 2 {
            pass.push(fd);
        }
    }
    let new_session = options.new_session;
    let limit = fd_limit();
    let hook = move || -> std::io::Result<()> {
        // SAFETY: each call takes integers or a local signal set, and is
        // async-signal-safe.
        unsafe {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            if new_session && libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        cloexec_from_3(limit)?;
        for &fd in &pass {
            // SAFETY: as above.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    };
    // SAFETY: the hook only makes system calls on data prepared before the fork (no
    // allocation, no lock).
    unsafe {
        cmd.pre_exec(hook);
    }
    Ok(())
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
            Lsm::Landlock if policy.mode == polc_lang::ir::Mode::Complain => {
                poison(self);
                Err(Error::Complain {
                    policy: policy.name.to_string(),
                })
            }
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
        if let Err(e) = isolate(self, options) {
            poison(self);
            return Err(e);
        }
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

/// Where `program` is found, as `execvp` looks for it: a name with a `/` is a path; a
/// bare name is searched in the directories of `PATH` (the first executable file).
pub fn find_program(program: &OsStr) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let is_file = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file());
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        return is_file(&p).then_some(p);
    }
    if program.is_empty() {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let candidates: Vec<PathBuf> = std::env::split_paths(&path)
        .map(|d| d.join(program))
        .filter(|p| is_file(p))
        .collect();
    let executable = candidates
        .iter()
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0));
    executable.or(candidates.first()).cloned()
}

/// Check, before any fork, that `policy` lets its child execute `program` on `lsm`:
/// the program must exist, and the evaluator must allow `exec` on its file (symlinks
/// resolved, as the kernel checks it), and `read` too on Landlock, where the kernel
/// checks both at exec. A policy's `attach` program is no exception (see
/// docs/runtime.md). Returns the program's path as found.
pub fn check_exec(policy: &Policy, program: &OsStr, lsm: Lsm) -> Result<PathBuf, Error> {
    use polc_lang::eval::{evaluate, Reason, Request};
    use polc_lang::rights::Right;
    let shown = program.to_string_lossy().into_owned();
    let found = find_program(program).ok_or(Error::NotFound {
        program: shown.clone(),
    })?;
    let real = std::fs::canonicalize(&found).map_err(|_| Error::NotFound { program: shown })?;
    let path = real.to_string_lossy().into_owned();
    let rights: &[Right] = match lsm {
        Lsm::Landlock => &[Right::Read, Right::Exec],
        Lsm::AppArmor | Lsm::SeLinux => &[Right::Exec],
    };
    let decisions: Vec<_> = rights
        .iter()
        .map(|&r| (r, evaluate(policy, &Request::file(&path, r))))
        .collect();
    if decisions.iter().all(|(_, d)| d.allowed) {
        return Ok(found);
    }
    let denied_at: Vec<String> = decisions
        .iter()
        .filter(|(_, d)| d.reason == Reason::Denied)
        .flat_map(|(_, d)| d.deciding.iter().flat_map(|r| r.origins.iter()))
        .map(|o| format!("{}:{}:{}", o.file, o.line, o.column))
        .collect();
    let fix = if denied_at.is_empty() {
        let missing: Vec<String> = decisions
            .iter()
            .filter(|(_, d)| !d.allowed)
            .map(|(r, _)| r.to_string())
            .collect();
        ExecFix::Add(format!(
            "allow {} {}",
            missing.join(" "),
            polc_lang::ir::text::quote(&path)
        ))
    } else {
        let mut at = denied_at;
        at.sort();
        at.dedup();
        ExecFix::Denied(at)
    };
    Err(Error::ExecDenied {
        policy: policy.name.to_string(),
        path,
        fix,
    })
}

/// A command line, confined under `policy` and ready to spawn (the library side of
/// `polc run`): the LSM is chosen and checked, then the program is looked up and
/// [`check_exec`] checked, all before any fork.
pub fn command(
    policy: &Policy,
    argv: &[OsString],
    options: &Options,
) -> Result<(Command, Status), Error> {
    let (program, args) = argv.split_first().ok_or(Error::NoCommand)?;
    let lsm = match options.lsm {
        Some(l) => l,
        None => active_lsm(&options.securityfs)?,
    };
    // The file found is the one started (the search is not repeated at exec).
    let found = find_program(program);
    let mut cmd = Command::new(
        found
            .as_deref()
            .map_or(program.as_os_str(), Path::as_os_str),
    );
    cmd.arg0(program).args(args);
    let options = Options {
        lsm: Some(lsm),
        ..options.clone()
    };
    // The LSM's own checks first (is it active, is the profile loaded), then the
    // policy's decision on the program.
    let status = cmd.confine(policy, &options)?;
    check_exec(policy, program, lsm)?;
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

/// The signals [`spawn_and_wait`] forwards to the child.
pub const FORWARDED_SIGNALS: [libc::c_int; 4] =
    [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT];

/// The calling thread's signal mask while [`spawn_and_wait`] runs: the forwarded
/// signals and `SIGCHLD` blocked, to be taken with `sigtimedwait`.
struct Blocked {
    set: libc::sigset_t,
    old: libc::sigset_t,
}

impl Blocked {
    fn new() -> Blocked {
        // SAFETY: the sets are plain data initialised by sigemptyset before use.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in FORWARDED_SIGNALS {
                libc::sigaddset(&mut set, s);
            }
            // Window size changes reach the child too: in a session of its own, it
            // no longer gets them from the terminal.
            libc::sigaddset(&mut set, libc::SIGWINCH);
            libc::sigaddset(&mut set, libc::SIGCHLD);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            Blocked { set, old }
        }
    }

    /// A signal taken within `ms` milliseconds, if any.
    fn wait(&self, ms: i64) -> Option<libc::c_int> {
        let timeout = libc::timespec {
            tv_sec: 0,
            tv_nsec: ms * 1_000_000,
        };
        // SAFETY: valid set and timeout; no siginfo asked for.
        let s = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &timeout) };
        (s > 0).then_some(s)
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        // Signals that arrived after the child ended are left pending: they act on
        // the caller when unblocked, as they would have without polc.
        // SAFETY: restores the mask saved in `new`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

/// Spawn `cmd` and wait for it, forwarding [`FORWARDED_SIGNALS`] (and `SIGWINCH`)
/// sent to this process to the child: to its process group when it leads one (it does with
/// [`Options::new_session`]), else to the child alone. The signals are blocked in the
/// calling thread while it waits and taken with `sigtimedwait`; another thread of the
/// caller that does not block them may receive them instead (the `polc` binary has one
/// thread).
pub fn spawn_and_wait(cmd: &mut Command) -> std::io::Result<ExitStatus> {
    spawn_and_wait_pid(cmd).map(|(_, exit)| exit)
}

/// [`spawn_and_wait`], also returning the child's pid (`polc learn` finds the kernel's
/// records of the run by it).
pub fn spawn_and_wait_pid(cmd: &mut Command) -> std::io::Result<(u32, ExitStatus)> {
    let blocked = Blocked::new();
    let mut child = cmd.spawn()?;
    let id = child.id();
    let pid = libc::pid_t::try_from(id).unwrap_or(0);
    loop {
        if let Some(exit) = child.try_wait()? {
            drop(blocked);
            return Ok((id, exit));
        }
        match blocked.wait(200) {
            Some(s) if s != libc::SIGCHLD && pid > 0 => {
                // The child is not reaped yet, so `pid` is still its own.
                // SAFETY: kill takes integers.
                unsafe {
                    let group = libc::getpgid(pid) == pid;
                    libc::kill(if group { -pid } else { pid }, s);
                }
            }
            _ => {}
        }
    }
}

/// `polc run`: start `argv` confined under `policy` on `options.lsm` (or the host's active
/// LSM), with the caller's standard streams, and wait for it, forwarding termination
/// signals ([`spawn_and_wait`]).
pub fn run(policy: &Policy, argv: &[OsString], options: &Options) -> Result<Ran, Error> {
    let (mut cmd, status) = command(policy, argv, options)?;
    let program = argv
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exit = spawn_and_wait(&mut cmd).map_err(|source| Error::Spawn { program, source })?;
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
