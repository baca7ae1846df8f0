//! A test helper: performs one file or network operation per argument and prints its
//! errno (0 for success), one line each, in order. The tests run it confined.
//!
//! Operations: `read:P`, `write:P`, `append:P`, `truncate:P`, `create:P` (mknod a
//! regular file), `mkdir:P`, `delete:P` (unlink, or rmdir for a directory), `list:P`,
//! `exec:P` (execve; a file whose interpreter is missing gives ENOENT once allowed),
//! `link:A>B`, `rename:A>B`, `connect:PORT`, `bind:PORT` (TCP on 127.0.0.1),
//! `kill:PID:SIG`, `unix-connect:@NAME` (a stream socket to an abstract address).
//!
//! With `--self PLAN.json` first, the probe restricts itself with that plan
//! (`polc_landlock::restrict_self`) and prints `status: JSON` (or `error: MESSAGE` and
//! stops) before the operations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::ffi::CString;
use std::io::Write;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
}

fn c(p: &str) -> CString {
    CString::new(p).unwrap()
}

fn rc(r: libc::c_int) -> i32 {
    if r < 0 {
        errno()
    } else {
        0
    }
}

fn open_close(p: &str, flags: libc::c_int) -> i32 {
    let fd = unsafe { libc::open(c(p).as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return errno();
    }
    unsafe { libc::close(fd) };
    0
}

/// A TCP connect or bind on the loopback address, IPv6 (`::1`) with `v6` (the standard
/// library's sockets: a bind also listens, which Landlock does not restrict).
fn tcp(port: u16, bind: bool, v6: bool) -> i32 {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
    let addr = if v6 {
        SocketAddr::from((Ipv6Addr::LOCALHOST, port))
    } else {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    };
    let r = if bind {
        TcpListener::bind(addr).map(drop)
    } else {
        TcpStream::connect(addr).map(drop)
    };
    match r {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap_or(-1),
    }
}

/// Connect a stream socket to the abstract unix address `@NAME`.
fn abstract_connect(addr: &str) -> i32 {
    let name = addr.strip_prefix('@').expect("@NAME");
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return errno();
    }
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (i, b) in name.bytes().enumerate() {
        sa.sun_path[1 + i] = b as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    let p = &sa as *const libc::sockaddr_un as *const libc::sockaddr;
    let e = rc(unsafe { libc::connect(fd, p, len as libc::socklen_t) });
    unsafe { libc::close(fd) };
    e
}

fn op(spec: &str) -> i32 {
    let (what, arg) = spec.split_once(':').expect("OP:ARG");
    let two = || arg.split_once('>').expect("A>B");
    match what {
        "read" => open_close(arg, libc::O_RDONLY),
        "write" => open_close(arg, libc::O_WRONLY),
        "append" => open_close(arg, libc::O_WRONLY | libc::O_APPEND),
        "truncate" => rc(unsafe { libc::truncate(c(arg).as_ptr(), 0) }),
        "create" => rc(unsafe { libc::mknod(c(arg).as_ptr(), libc::S_IFREG | 0o644, 0) }),
        "mkdir" => rc(unsafe { libc::mkdir(c(arg).as_ptr(), 0o755) }),
        "delete" => {
            let is_dir = std::fs::symlink_metadata(arg)
                .map(|m| m.is_dir())
                .unwrap_or(false);
            if is_dir {
                rc(unsafe { libc::rmdir(c(arg).as_ptr()) })
            } else {
                rc(unsafe { libc::unlink(c(arg).as_ptr()) })
            }
        }
        "list" => {
            let fd = unsafe {
                libc::open(
                    c(arg).as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return errno();
            }
            let mut buf = [0u8; 4096];
            let r = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
            let e = if r < 0 { errno() } else { 0 };
            unsafe { libc::close(fd) };
            e
        }
        "exec" => {
            let p = c(arg);
            let argv = [p.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null()];
            unsafe { libc::execve(p.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            errno()
        }
        "link" => {
            let (a, b) = two();
            rc(unsafe { libc::link(c(a).as_ptr(), c(b).as_ptr()) })
        }
        "rename" => {
            let (a, b) = two();
            rc(unsafe { libc::rename(c(a).as_ptr(), c(b).as_ptr()) })
        }
        "kill" => {
            let (pid, sig) = arg.split_once(':').expect("kill:PID:SIG");
            rc(unsafe { libc::kill(pid.parse().expect("pid"), sig.parse().expect("signal")) })
        }
        "unix-connect" => abstract_connect(arg),
        "connect" => tcp(arg.parse().expect("port"), false, false),
        "bind" => tcp(arg.parse().expect("port"), true, false),
        "connect6" => tcp(arg.parse().expect("port"), false, true),
        "bind6" => tcp(arg.parse().expect("port"), true, true),
        other => panic!("unknown operation `{other}`"),
    }
}

fn main() {
    let mut out = std::io::stdout().lock();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--self") {
        let text = std::fs::read_to_string(&args[1]).unwrap();
        let plan: polc_landlock::Plan = serde_json::from_str(&text).unwrap();
        match polc_landlock::restrict_self(&plan) {
            Ok(st) => writeln!(out, "status: {}", serde_json::to_string(&st).unwrap()).unwrap(),
            Err(e) => {
                writeln!(out, "error: {e}").unwrap();
                return;
            }
        }
        args.drain(..2);
    }
    for spec in args {
        let e = op(&spec);
        writeln!(out, "{e}").unwrap();
    }
}
