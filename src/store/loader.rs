//! Loaders: put a generation's artifact into the kernel, or take it out.
//!
//! A loader that runs a tool (`apparmor_parser`, `semodule`) must not outlive the store
//! transaction that started it: [`fence`] makes the child die with the process that runs
//! the store (`PR_SET_PDEATHSIG`) and hold the store's lock while it lives, so the next
//! opener of the store waits until a loader orphaned by a crash is gone before it repairs.

use super::Lsm;
use polc_lang::ir::PolicyName;
use std::cell::Cell;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

thread_local! {
    /// The lock descriptor of the store whose transaction runs a loader on this thread.
    static LOCK_FD: Cell<Option<RawFd>> = const { Cell::new(None) };
}

/// While alive, loader children spawned on this thread through [`fence`] inherit `fd`.
pub(crate) struct LockFence {
    previous: Option<RawFd>,
}

impl LockFence {
    pub(crate) fn new(fd: Option<RawFd>) -> LockFence {
        LockFence {
            previous: LOCK_FD.with(|c| c.replace(fd)),
        }
    }
}

impl Drop for LockFence {
    fn drop(&mut self) {
        LOCK_FD.with(|c| c.set(self.previous));
    }
}

/// Fence a loader's child process to the store transaction running on this thread: the
/// child is killed (`SIGKILL`) when the thread that spawned it dies, and it keeps the
/// store's lock held (its descriptor stays open in the child and its own children) until
/// it exits. So a loader orphaned by a crash can neither change the kernel after the next
/// store command repaired it nor run beside that command. The built-in loaders use it;
/// a custom [`Loader`] that runs a tool should too.
pub fn fence(cmd: &mut Command) -> &mut Command {
    let lock = LOCK_FD.with(Cell::get);
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let hook = move || {
        // SAFETY: prctl, getppid and fcntl are async-signal-safe and take plain integers.
        unsafe {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the death signal was armed.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the store's process is gone"));
            }
            if let Some(fd) = lock {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe calls (see above).
    unsafe { cmd.pre_exec(hook) }
}

/// Loads and unloads one LSM's artifacts. Errors are the loader's message.
pub trait Loader: Send + Sync {
    /// The LSM this loader serves.
    fn lsm(&self) -> Lsm;
    /// Load (or replace) the policy from `artifact`. A failure must leave the previously
    /// loaded version in place.
    fn load(&self, name: &PolicyName, artifact: &Path) -> Result<(), String>;
    /// Unload the policy whose artifact is `artifact`. Unloading a policy that is not
    /// loaded succeeds (crash repair cannot know whether a load happened).
    fn unload(&self, name: &PolicyName, artifact: &Path) -> Result<(), String>;
}

fn run_tool(tool: &str, package: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
    let out = fence(Command::new(tool).args(args)).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("`{tool}` is not installed (Debian package `{package}`)")
        } else {
            format!("cannot run `{tool}`: {e}")
        }
    })?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("`{tool}` failed ({}): {}", out.status, err.trim()))
    }
}

/// AppArmor: `apparmor_parser -r` (atomic replace) and `apparmor_parser -R`.
#[derive(Clone, Debug, Default)]
pub struct AppArmorLoader {
    /// The parser binary (default `apparmor_parser` on the PATH).
    pub parser: Option<std::path::PathBuf>,
}

impl Loader for AppArmorLoader {
    fn lsm(&self) -> Lsm {
        Lsm::AppArmor
    }

    fn load(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let tool = self
            .parser
            .as_deref()
            .map_or("apparmor_parser".into(), |p| {
                p.to_string_lossy().into_owned()
            });
        run_tool(&tool, "apparmor", &["-r".as_ref(), artifact.as_os_str()])
    }

    fn unload(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let tool = self
            .parser
            .as_deref()
            .map_or("apparmor_parser".into(), |p| {
                p.to_string_lossy().into_owned()
            });
        match run_tool(&tool, "apparmor", &["-R".as_ref(), artifact.as_os_str()]) {
            // Unloading what is not loaded is done already (repair after a crash may ask).
            Err(e) if e.contains("doesn't exist") || e.contains("does not exist") => Ok(()),
            r => r,
        }
    }
}

/// SELinux: `semodule -i FILE.cil` and `semodule -r MODULE` (the module is named after the
/// artifact's file stem, as semodule does).
#[derive(Clone, Debug, Default)]
pub struct SeLinuxLoader {
    /// Extra arguments for semodule (e.g. `-p ROOT` for an alternate policy root).
    pub extra_args: Vec<String>,
}

impl Loader for SeLinuxLoader {
    fn lsm(&self) -> Lsm {
        Lsm::SeLinux
    }

    fn load(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let mut args: Vec<&std::ffi::OsStr> = self.extra_args.iter().map(|a| a.as_ref()).collect();
        args.push("-i".as_ref());
        args.push(artifact.as_os_str());
        run_tool("semodule", "policycoreutils", &args)
    }

    fn unload(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let module = artifact
            .file_stem()
            .ok_or_else(|| format!("no module name in {}", artifact.display()))?;
        let mut args: Vec<&std::ffi::OsStr> = self.extra_args.iter().map(|a| a.as_ref()).collect();
        args.push("-r".as_ref());
        args.push(module);
        match run_tool("semodule", "policycoreutils", &args) {
            // Unloading what is not loaded is done already (repair after a crash may ask).
            Err(e) if e.contains("No such file or directory") || e.contains("not installed") => {
                Ok(())
            }
            r => r,
        }
    }
}

/// A loader with nothing to load: Landlock rulesets are applied at exec time.
#[derive(Clone, Debug)]
pub struct NullLoader {
    lsm: Lsm,
}

impl NullLoader {
    /// A loader that accepts everything for `lsm`.
    pub fn new(lsm: Lsm) -> NullLoader {
        NullLoader { lsm }
    }
}

impl Loader for NullLoader {
    fn lsm(&self) -> Lsm {
        self.lsm
    }

    fn load(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        if artifact.is_file() {
            Ok(())
        } else {
            Err(format!("{} is missing", artifact.display()))
        }
    }

    fn unload(&self, _name: &PolicyName, _artifact: &Path) -> Result<(), String> {
        Ok(())
    }
}
