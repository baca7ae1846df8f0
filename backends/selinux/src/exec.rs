//! Confining a child at exec: set its exec context to the policy's domain, as libselinux's
//! `setexeccon` does, through the kernel's own interfaces (`/sys/fs/selinux` and
//! `/proc/thread-self/attr/exec`), with no C library.
//!
//! Before the fork, [`PreparedExec::new`] checks with the loaded policy that
//!
//! - SELinux is active (selinuxfs is mounted),
//! - the domain's context `system_u:system_r:BLOCK.domain` (with `:s0` when the policy
//!   has MLS) is valid, i.e. the policy's module is loaded (`security_check_context`:
//!   a write to `/sys/fs/selinux/context`),
//! - the caller may set its exec context (`process setexec`), may enter the domain
//!   (`process transition` from its own context), and the domain may be entered through
//!   the program (`file entrypoint` on the program's label) — each through
//!   `security_compute_av` (`/sys/fs/selinux/access`), honouring permissive domains and a
//!   permissive system as the kernel does.
//!
//! Between fork and exec the child writes the context to `/proc/thread-self/attr/exec`
//! with one `write` (async-signal-safe); the kernel then runs the next `execve` in the
//! domain. If the write fails (the module was removed since the check), the spawn fails
//! with that error and the child never runs.

use crate::names::block_name;
use crate::{DOMAIN_ROLE, USER};
use polc_lang::ir::PolicyName;
use serde::Serialize;
use std::ffi::{CString, OsStr};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the kernel interfaces are (the defaults are the kernel's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// The selinuxfs mount point (default `/sys/fs/selinux`).
    pub selinuxfs: PathBuf,
    /// The calling thread's attribute directory (default `/proc/thread-self/attr`).
    pub attr_dir: PathBuf,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            selinuxfs: PathBuf::from("/sys/fs/selinux"),
            attr_dir: PathBuf::from("/proc/thread-self/attr"),
        }
    }
}

/// The program a child enters the domain through, and its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entrypoint {
    /// The program as resolved before the fork.
    pub program: PathBuf,
    /// Its SELinux label.
    pub label: String,
}

/// What the child will run under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecStatus {
    /// The exec context (`system_u:system_r:BLOCK.domain[:s0]`).
    pub context: String,
    /// The domain type (`BLOCK.domain`).
    pub domain: String,
    /// The caller's own context.
    pub from: String,
    /// The system is in enforcing mode (`/sys/fs/selinux/enforce`).
    pub enforcing: bool,
    /// The domain is permissive (the policy is in complain mode): the kernel logs and
    /// allows.
    pub permissive: bool,
    /// The checked entrypoint (`None` when the program could not be resolved before the
    /// fork; the kernel still checks it at exec).
    pub entrypoint: Option<Entrypoint>,
}

/// Why a child cannot be confined by SELinux.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum ExecError {
    /// SELinux is not active (or selinuxfs is not mounted).
    #[error("selinux is not active: `{}` does not exist", .path.display())]
    #[diagnostic(code(polc::selinux::not_active), help("boot with `selinux=1 security=selinux` and mount selinuxfs (`mount -t selinuxfs selinuxfs /sys/fs/selinux`), or confine with another LSM"))]
    NotActive {
        /// The file looked for.
        path: PathBuf,
    },
    /// The loaded policy has no such domain: the policy's module is not installed.
    #[error("the selinux context `{context}` is not valid in the loaded policy")]
    #[diagnostic(code(polc::selinux::not_loaded), help("install the policy first (`polc install --lsm selinux FILE`); `semodule -l` lists the loaded modules"))]
    DomainNotLoaded {
        /// The context.
        context: String,
    },
    /// The caller may not set its exec context.
    #[error("the selinux policy does not allow `{from}` to set an exec context (process setexec)")]
    #[diagnostic(code(polc::selinux::setexec_denied), help("launch from a domain the system policy allows to enter the policy's domain (e.g. unconfined_t), or add the transition to the system policy"))]
    SetexecDenied {
        /// The caller's context.
        from: String,
    },
    /// The caller may not enter the domain.
    #[error("the selinux policy does not allow `{from}` to enter `{to}` (process transition)")]
    #[diagnostic(code(polc::selinux::transition_denied), help("launch from a domain the system policy allows to enter the policy's domain (e.g. unconfined_t), or add the transition to the system policy"))]
    TransitionDenied {
        /// The caller's context.
        from: String,
        /// The domain's context.
        to: String,
    },
    /// The program is not an entrypoint of the domain.
    #[error("`{}` (label `{label}`) is not an entrypoint of `{domain}` (file entrypoint)", .program.display())]
    #[diagnostic(code(polc::selinux::entrypoint_denied), help("run the policy's `attach` executable, which `polc install` labels as the domain's entrypoint"))]
    EntrypointDenied {
        /// The program.
        program: PathBuf,
        /// Its label.
        label: String,
        /// The domain type.
        domain: String,
    },
    /// A kernel interface failed.
    #[error("cannot {what} (`{}`): {source}", .path.display())]
    #[diagnostic(code(polc::selinux::kernel))]
    Kernel {
        /// What polc was doing.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The domain type of a policy: `BLOCK.domain`.
pub fn domain_type(name: &PolicyName) -> String {
    format!("{}.domain", block_name(name))
}

/// The sub-domain of a policy's child policy: `BLOCK.child_CHILD`, with the child's name
/// mapped as [`block_name`] maps a policy name.
pub fn child_domain_type(parent: &PolicyName, child: &PolicyName) -> String {
    crate::names::qualified(&block_name(parent), &crate::names::child_local(child))
}

/// The exec context of a policy's domain (`:s0` appended when the policy has MLS).
pub fn domain_context(name: &PolicyName, mls: bool) -> String {
    let level = if mls { ":s0" } else { "" };
    format!("{USER}:{DOMAIN_ROLE}:{}{level}", domain_type(name))
}

/// The SELinux label of a file (its `security.selinux` attribute; symlinks followed when
/// `follow`).
pub fn file_label(path: &Path, follow: bool) -> std::io::Result<String> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let name = c"security.selinux";
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: both strings are valid C strings; `buf` is writable for its length.
        let n = unsafe {
            if follow {
                libc::getxattr(
                    c.as_ptr(),
                    name.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            } else {
                libc::lgetxattr(
                    c.as_ptr(),
                    name.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            }
        };
        match usize::try_from(n) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(trim_context(&buf));
            }
            Err(_) => {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ERANGE) && buf.len() < 65536 {
                    buf.resize(buf.len() * 4, 0);
                    continue;
                }
                return Err(e);
            }
        }
    }
}

fn trim_context(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches(['\0', '\n'])
        .to_string()
}

/// The kernel's access vector decision for one (source, target, class).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Av {
    allowed: u32,
    permissive: bool,
}

/// selinuxfs, as libselinux uses it.
struct Fs<'a> {
    root: &'a Path,
}

impl Fs<'_> {
    fn read(&self, rel: &str, what: &'static str) -> Result<String, ExecError> {
        let path = self.root.join(rel);
        std::fs::read_to_string(&path)
            .map(|s| s.trim_end_matches(['\0', '\n']).trim().to_string())
            .map_err(|source| ExecError::Kernel { what, path, source })
    }

    /// Write a request to a transaction file and read the answer.
    fn transact(&self, rel: &str, request: &[u8], what: &'static str) -> Result<String, ExecError> {
        let path = self.root.join(rel);
        let err = |source| ExecError::Kernel {
            what,
            path: path.clone(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(err)?;
        let n = f.write(request).map_err(err)?;
        if n != request.len() {
            return Err(err(std::io::Error::from(std::io::ErrorKind::WriteZero)));
        }
        let mut out = String::new();
        f.read_to_string(&mut out).map_err(err)?;
        Ok(out)
    }

    fn enforcing(&self) -> Result<bool, ExecError> {
        Ok(self.read("enforce", "read the enforcing mode")? == "1")
    }

    fn mls(&self) -> Result<bool, ExecError> {
        Ok(self.read("mls", "read whether the policy has MLS")? == "1")
    }

    /// `security_check_context`.
    fn context_valid(&self, context: &str) -> Result<bool, ExecError> {
        match self.transact("context", context.as_bytes(), "check a context") {
            Ok(_) => Ok(true),
            Err(ExecError::Kernel { source, .. })
                if source.raw_os_error() == Some(libc::EINVAL) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// The bit of `perm` in `class`, and the class number.
    fn class_perm(&self, class: &str, perm: &str) -> Result<(u16, u32), ExecError> {
        let bad = |path: PathBuf| ExecError::Kernel {
            what: "read the policy's class numbers",
            path,
            source: std::io::Error::from(std::io::ErrorKind::InvalidData),
        };
        let idx_rel = format!("class/{class}/index");
        let perm_rel = format!("class/{class}/perms/{perm}");
        let idx = self.read(&idx_rel, "read the policy's class numbers")?;
        let idx: u16 = idx.parse().map_err(|_| bad(self.root.join(&idx_rel)))?;
        let n = self.read(&perm_rel, "read the policy's permission numbers")?;
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=32).contains(n))
            .ok_or_else(|| bad(self.root.join(&perm_rel)))?;
        Ok((idx, 1u32 << (n - 1)))
    }

    /// `security_compute_av_flags`.
    fn compute_av(&self, scon: &str, tcon: &str, class: u16) -> Result<Av, ExecError> {
        let req = format!("{scon} {tcon} {class}");
        let out = self.transact("access", req.as_bytes(), "compute an access decision")?;
        let f: Vec<&str> = out.split_whitespace().collect();
        let hex = |i: usize| f.get(i).and_then(|s| u32::from_str_radix(s, 16).ok());
        match (hex(0), hex(5)) {
            (Some(allowed), flags) => Ok(Av {
                allowed,
                permissive: flags.unwrap_or(0) & 1 != 0,
            }),
            _ => Err(ExecError::Kernel {
                what: "read an access decision",
                path: self.root.join("access"),
                source: std::io::Error::from(std::io::ErrorKind::InvalidData),
            }),
        }
    }

    /// Whether the kernel would let `scon` do `perm` on `tcon` of `class`.
    fn allows(
        &self,
        scon: &str,
        tcon: &str,
        class: &str,
        perm: &str,
        enforcing: bool,
    ) -> Result<bool, ExecError> {
        let (c, bit) = self.class_perm(class, perm)?;
        let av = self.compute_av(scon, tcon, c)?;
        Ok(!enforcing || av.permissive || av.allowed & bit != 0)
    }
}

/// The program `cmd` will execute, resolved as `execvp` does (`None` if not found).
fn resolve_program(cmd: &Command) -> Option<PathBuf> {
    let prog = Path::new(cmd.get_program());
    if prog.as_os_str().as_bytes().contains(&b'/') {
        return Some(if prog.is_absolute() {
            prog.to_path_buf()
        } else {
            match cmd.get_current_dir() {
                Some(d) => d.join(prog),
                None => std::env::current_dir().ok()?.join(prog),
            }
        });
    }
    let from_cmd = cmd
        .get_envs()
        .find(|(k, _)| *k == OsStr::new("PATH"))
        .map(|(_, v)| v.map(OsStr::to_os_string));
    let path = match from_cmd {
        Some(v) => v?,
        None => std::env::var_os("PATH")?,
    };
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// A checked confinement, ready to be installed on a [`Command`].
#[derive(Debug)]
pub struct PreparedExec {
    interface: CString,
    context: Vec<u8>,
    status: ExecStatus,
}

impl PreparedExec {
    /// Check, with the loaded policy, that the child of `cmd` can run in the domain of
    /// policy `name` (before any fork; see the module docs).
    pub fn new(
        name: &PolicyName,
        cmd: &Command,
        opts: &ExecOptions,
    ) -> Result<PreparedExec, ExecError> {
        let fs = Fs {
            root: &opts.selinuxfs,
        };
        let probe = opts.selinuxfs.join("enforce");
        if !probe.is_file() {
            return Err(ExecError::NotActive { path: probe });
        }
        let enforcing = fs.enforcing()?;
        let mls = fs.mls()?;
        let context = domain_context(name, mls);
        let domain = domain_type(name);
        if !fs.context_valid(&context)? {
            return Err(ExecError::DomainNotLoaded { context });
        }
        let current = opts.attr_dir.join("current");
        let from = std::fs::read(&current)
            .map(|b| trim_context(&b))
            .map_err(|source| ExecError::Kernel {
                what: "read the caller's context",
                path: current.clone(),
                source,
            })?;
        if !fs.allows(&from, &from, "process", "setexec", enforcing)? {
            return Err(ExecError::SetexecDenied { from });
        }
        if !fs.allows(&from, &context, "process", "transition", enforcing)? {
            return Err(ExecError::TransitionDenied { from, to: context });
        }
        let (c, _) = fs.class_perm("process", "transition")?;
        let permissive = fs.compute_av(&context, &context, c)?.permissive;
        let entrypoint = match resolve_program(cmd) {
            Some(program) => {
                let label = file_label(&program, true).map_err(|source| ExecError::Kernel {
                    what: "read the program's label",
                    path: program.clone(),
                    source,
                })?;
                if !fs.allows(&context, &label, "file", "entrypoint", enforcing)? {
                    return Err(ExecError::EntrypointDenied {
                        program,
                        label,
                        domain,
                    });
                }
                Some(Entrypoint { program, label })
            }
            None => None,
        };
        let exec = opts.attr_dir.join("exec");
        let interface =
            CString::new(exec.as_os_str().as_bytes()).map_err(|_| ExecError::Kernel {
                what: "name the exec attribute",
                path: exec.clone(),
                source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
            })?;
        Ok(PreparedExec {
            interface,
            context: context.clone().into_bytes(),
            status: ExecStatus {
                context,
                domain,
                from,
                enforcing,
                permissive,
                entrypoint,
            },
        })
    }

    /// What the child will run under.
    pub fn status(&self) -> &ExecStatus {
        &self.status
    }

    /// Make `cmd` run its child in the domain: between fork and exec the child writes its
    /// exec context; if that fails, the spawn fails with the error and the child never runs.
    pub fn install(self, cmd: &mut Command) -> ExecStatus {
        let PreparedExec {
            interface,
            context,
            status,
        } = self;
        polc_launch::write_at_exec(cmd, interface, context);
        status
    }
}

impl polc_launch::Prepared for PreparedExec {
    type Status = ExecStatus;

    fn install(self, cmd: &mut Command) -> ExecStatus {
        PreparedExec::install(self, cmd)
    }
}

/// Run the children of a [`Command`] in an installed policy's SELinux domain.
///
/// ```no_run
/// use polc_selinux::CommandExt;
/// use polc_lang::ir::PolicyName;
/// use std::process::Command;
///
/// // `polc install` (or the store) loaded the module of `org.example.webapp` and labelled
/// // its `attach` executable as the domain's entrypoint.
/// let name = PolicyName::new("org.example.webapp")?;
/// let mut cmd = Command::new("/usr/bin/webapp");
/// let status = cmd.confine(&name)?;
/// assert_eq!(status.domain, "org_example_webapp.domain");
/// println!("confined in {} (enforcing: {})", status.context, status.enforcing);
/// let child = cmd.spawn()?; // runs in the domain, or does not run at all
/// # drop(child);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait CommandExt {
    /// Run the child in the domain of policy `name` (see [`PreparedExec::new`]). On error,
    /// the command is poisoned: spawning it fails, so the child never runs unconfined.
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
        let prepared = PreparedExec::new(name, self, opts);
        polc_launch::confine_or_poison(self, prepared)
    }
}

pub use polc_launch::poison_command;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn contexts() {
        let n = PolicyName::new("org.example.web-app").unwrap();
        assert_eq!(domain_type(&n), "org_example_web__app.domain");
        assert_eq!(
            domain_context(&n, false),
            "system_u:system_r:org_example_web__app.domain"
        );
        assert_eq!(
            domain_context(&n, true),
            "system_u:system_r:org_example_web__app.domain:s0"
        );
    }

    #[test]
    fn programs_resolve_like_execvp() {
        let mut c = Command::new("sh");
        c.env("PATH", "/nonexistent:/bin:/usr/bin");
        let p = resolve_program(&c).unwrap();
        assert!(p.ends_with("sh"), "{}", p.display());
        let mut c = Command::new("sh");
        c.env_remove("PATH");
        assert_eq!(resolve_program(&c), None);
        let c = Command::new("/x/y");
        assert_eq!(resolve_program(&c), Some(PathBuf::from("/x/y")));
    }
}
