//! The operations the probe performs, each returning its errno (0 on success).

use std::ffi::CString;

pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(255)
}

pub(crate) fn cstr(s: &str) -> CString {
    CString::new(s.as_bytes()).unwrap_or_default()
}

fn ret(ok: bool) -> i32 {
    if ok {
        0
    } else {
        errno()
    }
}

fn open_with(path: &str, flags: i32) -> i32 {
    let p = cstr(path);
    // SAFETY: p is a valid NUL-terminated string.
    let fd = unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
    if fd < 0 {
        return errno();
    }
    // SAFETY: fd is an open descriptor we own.
    unsafe { libc::close(fd) };
    0
}

/// Open read-only, run `f` on the descriptor, close it.
fn with_ro(path: &str, f: impl FnOnce(i32) -> i32) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return errno();
    }
    let r = f(fd);
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    r
}

fn read_file(path: &str) -> i32 {
    with_ro(path, |fd| {
        let mut buf = [0u8; 64];
        // SAFETY: buf is writable for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            errno()
        } else {
            0
        }
    })
}

fn list_dir(path: &str) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let fd = unsafe {
        libc::open(
            p.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return errno();
    }
    let mut buf = [0u8; 4096];
    // SAFETY: buf is writable for its length; fd is ours.
    let r = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
    let e = if r < 0 { errno() } else { 0 };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    e
}

fn map_exec(path: &str) -> i32 {
    with_ro(path, |fd| {
        // SAFETY: mapping a file we opened; the result is checked and unmapped.
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                fd,
                0,
            )
        };
        if m == libc::MAP_FAILED {
            errno()
        } else {
            // SAFETY: m was returned by mmap with this length.
            unsafe { libc::munmap(m, 4096) };
            0
        }
    })
}

fn lock_file(path: &str) -> i32 {
    // SAFETY: fd is ours.
    with_ro(path, |fd| {
        ret(unsafe { libc::flock(fd, libc::LOCK_EX) } == 0)
    })
}

/// `connect|bind PROTO PORT` on the loopback address: `tcp`, `udp` (and `tcp4`, `udp4`)
/// over IPv4, `tcp6`, `udp6` over IPv6.
fn inet_socket(proto: &str, port: &str, bind: bool) -> i32 {
    let (ty, pr) = match proto.trim_end_matches(['4', '6']) {
        "udp" => (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        _ => (libc::SOCK_STREAM, libc::IPPROTO_TCP),
    };
    let v6 = proto.ends_with('6');
    let port: u16 = port.parse().unwrap_or(0);
    let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    // SAFETY: plain socket call.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, pr) };
    if fd < 0 {
        return errno();
    }
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
        },
        sin_zero: [0; 8],
    };
    let mut loopback6 = [0u8; 16];
    loopback6[15] = 1;
    let addr6 = libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as libc::sa_family_t,
        sin6_port: port.to_be(),
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr { s6_addr: loopback6 },
        sin6_scope_id: 0,
    };
    let (ap, len) = if v6 {
        (
            (&addr6 as *const libc::sockaddr_in6).cast::<libc::sockaddr>(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        )
    } else {
        (
            (&addr as *const libc::sockaddr_in).cast::<libc::sockaddr>(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    // SAFETY: ap points to a valid sockaddr_in or sockaddr_in6 of length len.
    let rc = unsafe {
        if bind {
            libc::bind(fd, ap, len)
        } else {
            libc::connect(fd, ap, len)
        }
    };
    let r = ret(rc == 0);
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    // A refused connection means the LSM let the connect through.
    if r == libc::ECONNREFUSED {
        0
    } else {
        r
    }
}

/// `socket FAMILY TYPE PROTOCOL`: create a socket (families unix, inet, inet6, netlink,
/// packet; types stream, dgram, raw, seqpacket; the protocol as a number) and close it.
fn socket(family: &str, ty: &str, protocol: &str) -> i32 {
    let family = match family {
        "unix" => libc::AF_UNIX,
        "inet" => libc::AF_INET,
        "inet6" => libc::AF_INET6,
        "netlink" => libc::AF_NETLINK,
        "packet" => libc::AF_PACKET,
        _ => return 254,
    };
    let ty = match ty {
        "stream" => libc::SOCK_STREAM,
        "dgram" => libc::SOCK_DGRAM,
        "raw" => libc::SOCK_RAW,
        "seqpacket" => libc::SOCK_SEQPACKET,
        _ => return 254,
    };
    let protocol: i32 = protocol.parse().unwrap_or(0);
    // SAFETY: plain socket call.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return errno();
    }
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    0
}

/// A pid given as a number or as `@FILE` (a file holding the number; the runner reads it
/// before the exec, since the policy under test need not let the probe read it). None
/// when it cannot be read: never 0 or -1, which `kill` would take for a process group or
/// every process.
pub(crate) fn pid_arg(s: &str) -> Option<i32> {
    let n: i32 = match s.strip_prefix('@') {
        Some(f) => std::fs::read_to_string(f).ok()?.trim().parse().ok()?,
        None => s.parse().ok()?,
    };
    (n > 0).then_some(n)
}

fn exec(args: &[String]) -> i32 {
    let path = args.first().map(String::as_str).unwrap_or("");
    let mut argv: Vec<CString> = vec![cstr(path), cstr("op")];
    if args.len() > 1 {
        argv.extend(args.iter().skip(1).map(|a| cstr(a)));
    } else {
        argv.push(cstr("nop"));
    }
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: argv and env are NULL-terminated and their strings outlive the call.
    unsafe { libc::execve(argv[0].as_ptr(), ptrs.as_ptr(), env.as_ptr()) };
    errno()
}

/// Perform `args[0]` on the operands that follow; the errno (0: success, 254: unknown).
pub(crate) fn op(args: &[String]) -> i32 {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let c = |i: usize| cstr(a(i));
    // SAFETY (every arm below): plain system calls on NUL-terminated strings that outlive them.
    match a(0) {
        "nop" => 0,
        "read" => read_file(a(1)),
        "write" => open_with(a(1), libc::O_WRONLY),
        "append" => open_with(a(1), libc::O_WRONLY | libc::O_APPEND),
        "truncate" => ret(unsafe { libc::truncate(c(1).as_ptr(), 0) } == 0),
        "create" => ret(unsafe { libc::mknod(c(1).as_ptr(), libc::S_IFREG | 0o644, 0) } == 0),
        "mkdir" => ret(unsafe { libc::mkdir(c(1).as_ptr(), 0o755) } == 0),
        "delete" => ret(unsafe { libc::unlink(c(1).as_ptr()) } == 0),
        "rmdir" => ret(unsafe { libc::rmdir(c(1).as_ptr()) } == 0),
        "list" => list_dir(a(1)),
        "map-exec" => map_exec(a(1)),
        "lock" => lock_file(a(1)),
        "link" => ret(unsafe { libc::link(c(1).as_ptr(), c(2).as_ptr()) } == 0),
        "rename" => ret(unsafe { libc::rename(c(1).as_ptr(), c(2).as_ptr()) } == 0),
        "exec" => exec(args.get(1..).unwrap_or(&[])),
        "connect" => inet_socket(a(1), a(2), false),
        "bind" => inet_socket(a(1), a(2), true),
        "socket" => socket(a(1), a(2), a(3)),
        "chown" => ret(unsafe { libc::chown(c(1).as_ptr(), 1, 1) } == 0),
        "sethostname" => {
            let name = a(1);
            ret(unsafe { libc::sethostname(c(1).as_ptr(), name.len()) } == 0)
        }
        "setgid" => ret(unsafe { libc::setgid(a(1).parse().unwrap_or(1)) } == 0),
        "kill" => {
            let sig: i32 = a(1).parse().unwrap_or(0);
            match pid_arg(a(2)) {
                Some(pid) => ret(unsafe { libc::kill(pid, sig) } == 0),
                None => 254,
            }
        }
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(a(1).parse().unwrap_or(60)));
            0
        }
        "landlock" => crate::confine::landlock(args.get(1..).unwrap_or(&[])),
        _ => crate::peer::peer_op(args).unwrap_or(254),
    }
}
