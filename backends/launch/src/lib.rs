//! The launch core shared by the AppArmor and SELinux backends' `CommandExt`.
//!
//! Both confine a child the same way: check everything in the parent, then, between fork
//! and exec, write one request to a `/proc/.../attr/...` file so that the kernel switches
//! the child at exec; if the write fails, the spawn fails and the child never runs. When
//! the check in the parent fails, the command is poisoned instead, so that ignoring the
//! error can never start the child unconfined. This crate is that mechanism once; each
//! backend keeps what differs (which file, which request, what status it reports).
//!
//! It depends on no polc crate: backends still read only the IR.

use std::ffi::CString;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// A confinement checked in the parent, ready to be installed on a [`Command`].
pub trait Prepared {
    /// What the child will run under.
    type Status;

    /// Install the confinement on `cmd`; returns what the child will run under.
    fn install(self, cmd: &mut Command) -> Self::Status;
}

/// Install `prepared` on `cmd`, or, when preparing failed, poison `cmd` with `EACCES`
/// (see [`poison_command`]) and return the error.
pub fn confine_or_poison<P: Prepared, E>(
    cmd: &mut Command,
    prepared: Result<P, E>,
) -> Result<P::Status, E> {
    match prepared {
        Ok(p) => Ok(p.install(cmd)),
        Err(e) => {
            poison_command(cmd, libc::EACCES);
            Err(e)
        }
    }
}

/// Make `cmd` write `request` to `interface` between fork and exec: if the write fails,
/// the spawn fails with the error and the child never runs.
pub fn write_at_exec(cmd: &mut Command, interface: CString, request: Vec<u8>) {
    let hook = move || write_attr(&interface, &request);
    // SAFETY: the hook only calls open, write and close on buffers prepared before the
    // fork (no allocation, no lock), which is async-signal-safe.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Write `request` to `path` with one `write`. Async-signal-safe.
pub fn write_attr(path: &CString, request: &[u8]) -> std::io::Result<()> {
    // SAFETY: `path` is a valid C string; open takes no other pointer.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `request` is valid for reads of its length; `fd` is open.
    let n = unsafe { libc::write(fd, request.as_ptr().cast(), request.len()) };
    let err = std::io::Error::last_os_error();
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    match usize::try_from(n) {
        Ok(n) if n == request.len() => Ok(()),
        Ok(_) => Err(std::io::Error::from_raw_os_error(libc::EIO)),
        Err(_) => Err(err),
    }
}

/// Make every spawn of `cmd` fail with `errno` before exec (used when confinement could
/// not be prepared, so that ignoring the error can never start the child unconfined).
pub fn poison_command(cmd: &mut Command, errno: i32) {
    // SAFETY: the hook makes no call at all.
    unsafe {
        cmd.pre_exec(move || Err(std::io::Error::from_raw_os_error(errno)));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    struct Writes(CString, Vec<u8>);

    impl Prepared for Writes {
        type Status = usize;
        fn install(self, cmd: &mut Command) -> usize {
            let n = self.1.len();
            write_at_exec(cmd, self.0, self.1);
            n
        }
    }

    #[test]
    fn a_prepared_write_happens_in_the_child_before_exec() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("attr");
        std::fs::write(&file, "").unwrap();
        let path = CString::new(file.to_str().unwrap()).unwrap();
        let mut cmd = Command::new("true");
        let n = confine_or_poison::<_, ()>(&mut cmd, Ok(Writes(path, b"exec x".to_vec())));
        assert_eq!(n, Ok(6));
        assert!(cmd.status().unwrap().success());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "exec x");
    }

    #[test]
    fn a_failed_write_stops_the_spawn() {
        let path = CString::new("/nonexistent/polc-launch/attr").unwrap();
        let mut cmd = Command::new("true");
        write_at_exec(&mut cmd, path, b"exec x".to_vec());
        let err = cmd.spawn().expect_err("the child must not run");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn a_failed_preparation_poisons_the_command() {
        let mut cmd = Command::new("true");
        let r = confine_or_poison::<Writes, &str>(&mut cmd, Err("not loaded"));
        assert_eq!(r, Err("not loaded"));
        let err = cmd.spawn().expect_err("the child must not run");
        assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    }
}
