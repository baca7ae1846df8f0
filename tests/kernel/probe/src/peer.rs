//! Operations between processes and on behalf of another file owner: unix sockets
//! (a server to run in the background, a client, `socketpair`), ptrace, the label the
//! probe runs under, and an operation under another file-system uid.

use crate::ops::{cstr, errno, op, pid_arg};

fn sock_type(t: &str) -> Option<i32> {
    match t {
        "stream" => Some(libc::SOCK_STREAM),
        "dgram" => Some(libc::SOCK_DGRAM),
        "seqpacket" => Some(libc::SOCK_SEQPACKET),
        _ => None,
    }
}

/// A `sockaddr_un` for `addr`: `@NAME` is abstract (without the `@`), else a path.
fn unix_addr(addr: &str) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: sockaddr_un is plain old data; all zeroes is a valid value.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let (bytes, abstract_) = match addr.strip_prefix('@') {
        Some(n) => (n.as_bytes(), true),
        None => (addr.as_bytes(), false),
    };
    let start = usize::from(abstract_);
    let room = sa.sun_path.len() - 1 - start;
    for (i, b) in bytes.iter().take(room).enumerate() {
        sa.sun_path[start + i] = *b as libc::c_char;
    }
    let base = std::mem::size_of::<libc::sa_family_t>();
    let len = base + start + bytes.len().min(room) + usize::from(!abstract_);
    (sa, len as libc::socklen_t)
}

/// A new unix socket of type `t` (its descriptor and type), or the errno (254: no such
/// type).
fn new_socket(t: &str) -> Result<(i32, i32), i32> {
    let ty = sock_type(t).ok_or(254)?;
    // SAFETY: plain socket call.
    let fd = unsafe { libc::socket(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok((fd, ty))
    }
}

fn close(fd: i32) {
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
}

/// Send one byte on a connected socket: the errno.
fn send_byte(fd: i32) -> i32 {
    let b = [b'p'];
    // SAFETY: b is readable for its length.
    let n = unsafe { libc::send(fd, b.as_ptr().cast(), 1, libc::MSG_NOSIGNAL) };
    if n < 0 {
        errno()
    } else {
        0
    }
}

/// `unix-bind TYPE ADDR`: create and bind (stream and seqpacket also listen).
fn unix_bind(t: &str, addr: &str) -> i32 {
    let (fd, ty) = match new_socket(t) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let (sa, len) = unix_addr(addr);
    // SAFETY: sa is a valid sockaddr_un of length len.
    let mut r = unsafe { libc::bind(fd, (&sa as *const libc::sockaddr_un).cast(), len) };
    if r == 0 && ty != libc::SOCK_DGRAM {
        // SAFETY: fd is a bound socket.
        r = unsafe { libc::listen(fd, 8) };
    }
    let e = if r == 0 { 0 } else { errno() };
    close(fd);
    if !addr.starts_with('@') {
        let p = cstr(addr);
        // SAFETY: valid C string.
        unsafe { libc::unlink(p.as_ptr()) };
    }
    e
}

/// `unix-connect TYPE ADDR`: connect to a server and send it one byte.
fn unix_connect(t: &str, addr: &str) -> i32 {
    let (fd, _) = match new_socket(t) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let (sa, len) = unix_addr(addr);
    // SAFETY: sa is a valid sockaddr_un of length len.
    let r = unsafe { libc::connect(fd, (&sa as *const libc::sockaddr_un).cast(), len) };
    let e = if r == 0 { send_byte(fd) } else { errno() };
    close(fd);
    e
}

/// `unix-pair TYPE`: a socket pair; one end sends a byte, the other receives it.
fn unix_pair(t: &str) -> i32 {
    let Some(ty) = sock_type(t) else { return 254 };
    let mut fds = [0i32; 2];
    // SAFETY: fds has room for two descriptors.
    if unsafe { libc::socketpair(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } != 0
    {
        return errno();
    }
    let mut e = send_byte(fds[0]);
    if e == 0 {
        let mut b = [0u8; 1];
        // SAFETY: b is writable for its length.
        let n = unsafe { libc::recv(fds[1], b.as_mut_ptr().cast(), 1, libc::MSG_DONTWAIT) };
        e = if n < 0 { errno() } else { 0 };
    }
    close(fds[0]);
    close(fds[1]);
    e
}

/// `unix-serve TYPE ADDR`: bind, listen, and accept and read forever (a background peer).
fn unix_serve(t: &str, addr: &str) -> i32 {
    let (fd, ty) = match new_socket(t) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let (sa, len) = unix_addr(addr);
    // SAFETY: sa is a valid sockaddr_un of length len.
    if unsafe { libc::bind(fd, (&sa as *const libc::sockaddr_un).cast(), len) } != 0 {
        println!("POLC-SERVE-FAILED {addr} bind errno {}", errno());
        return errno();
    }
    let stream = ty != libc::SOCK_DGRAM;
    // SAFETY: fd is a bound socket.
    if stream && unsafe { libc::listen(fd, 64) } != 0 {
        println!("POLC-SERVE-FAILED {addr} listen errno {}", errno());
        return errno();
    }
    let mut buf = [0u8; 64];
    loop {
        let c = if stream {
            // SAFETY: fd listens; the peer's address is not asked for.
            unsafe { libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut()) }
        } else {
            fd
        };
        if c < 0 {
            continue;
        }
        // SAFETY: buf is writable for its length.
        unsafe { libc::recv(c, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if stream {
            close(c);
        }
    }
}

/// `ptrace-read PID`: an access the kernel checks with `PTRACE_MODE_READ` and nothing
/// else: `kcmp` of the two address spaces (reading `/proc/PID/...` would also need the
/// LSM's permission on the peer's proc files).
fn ptrace_read(pid: i32) -> i32 {
    const KCMP_VM: libc::c_long = 1;
    // SAFETY: kcmp compares kernel objects of two processes; no memory is passed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            libc::c_long::from(libc::getpid()),
            libc::c_long::from(pid),
            KCMP_VM,
            0 as libc::c_long,
            0 as libc::c_long,
        )
    };
    if r < 0 {
        errno()
    } else {
        0
    }
}

/// `ptrace-trace PID`: attach (`PTRACE_SEIZE`: `PTRACE_MODE_ATTACH`); the tracee is
/// released when the probe exits.
fn ptrace_trace(pid: i32) -> i32 {
    // SAFETY: seizing a process does not stop it; the probe exits right after.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    if r < 0 {
        errno()
    } else {
        0
    }
}

/// `label-is NAME`: 0 if the probe runs under NAME (AppArmor's `/proc/self/attr/current`,
/// without the mode), EPERM if under another label (printed as `POLC-LABEL`), 254 when
/// the label cannot be read.
fn label_is(want: &str) -> i32 {
    let Ok(cur) = std::fs::read_to_string("/proc/self/attr/current") else {
        return 254;
    };
    let cur = cur.trim_end_matches(['\n', '\0']);
    let label = cur
        .strip_suffix(" (enforce)")
        .or_else(|| cur.strip_suffix(" (complain)"))
        .unwrap_or(cur);
    if label == want {
        0
    } else {
        println!("POLC-LABEL {label}");
        libc::EPERM
    }
}

/// `fsuid UID OP ARGS...`: the operation with the file-system uid UID (owner rules).
fn with_fsuid(args: &[String]) -> i32 {
    let uid: u32 = args.first().and_then(|u| u.parse().ok()).unwrap_or(0);
    // SAFETY: setfsuid only changes this process's file-system uid.
    unsafe { libc::setfsuid(uid) };
    // setfsuid reports nothing: a second call returns the uid now in place.
    // SAFETY: as above, with the same value.
    if unsafe { libc::setfsuid(uid) } as u32 != uid {
        return 253;
    }
    op(args.get(1..).unwrap_or(&[]))
}

/// The operations of this module, or None when `args[0]` is none of them.
pub(crate) fn peer_op(args: &[String]) -> Option<i32> {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    Some(match a(0) {
        "unix-bind" => unix_bind(a(1), a(2)),
        "unix-connect" => unix_connect(a(1), a(2)),
        "unix-pair" => unix_pair(a(1)),
        "unix-serve" => unix_serve(a(1), a(2)),
        "ptrace-read" => pid_arg(a(1)).map_or(254, ptrace_read),
        "ptrace-trace" => pid_arg(a(1)).map_or(254, ptrace_trace),
        "label-is" => label_is(a(1)),
        "fsuid" => with_fsuid(args.get(1..).unwrap_or(&[])),
        _ => return None,
    })
}
