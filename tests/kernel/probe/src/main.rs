//! `polc-probe`: the program the kernel tests run inside the VM.
//!
//! Two modes:
//!
//! - `polc-probe op OP ARGS...` performs one operation and exits with its errno (0 on
//!   success). It is the program a compiled policy confines (copied to the policy's
//!   `attach` path, or started with an exec context).
//! - `polc-probe run CASES` reads a case file and, for each case, forks, optionally sets
//!   the exec context of the child (`/proc/self/attr/exec`), executes `op` through the
//!   given path, and prints `POLC-RESULT <id> <errno>` on the console. A failed `execve` is
//!   reported as `POLC-RESULT <id> exec:<errno>`.
//!
//! Case file lines are tab-separated: `ID  SETUP  EXEC_PATH  OP  ARG...`, where SETUP is
//! `-`, `attr:<text to write to /proc/self/attr/exec>`.
#![allow(clippy::indexing_slicing)]

use std::ffi::{CString, OsStr};
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(255)
}

fn cstr(s: &str) -> CString {
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

fn read_file(path: &str) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return errno();
    }
    let mut buf = [0u8; 64];
    // SAFETY: buf is writable for its length.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    let r = if n < 0 { errno() } else { 0 };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    r
}

fn list_dir(path: &str) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let d = unsafe { libc::opendir(p.as_ptr()) };
    if d.is_null() {
        return errno();
    }
    // SAFETY: d is a valid DIR*.
    unsafe {
        libc::readdir(d);
        libc::closedir(d);
    }
    0
}

fn map_exec(path: &str) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return errno();
    }
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
    let r = if m == libc::MAP_FAILED {
        errno()
    } else {
        // SAFETY: m was returned by mmap with this length.
        unsafe { libc::munmap(m, 4096) };
        0
    };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    r
}

fn lock_file(path: &str) -> i32 {
    let p = cstr(path);
    // SAFETY: valid C string.
    let fd = unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return errno();
    }
    // SAFETY: fd is ours.
    let r = ret(unsafe { libc::flock(fd, libc::LOCK_EX) } == 0);
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    r
}

fn inet_socket(proto: &str, port: &str, bind: bool) -> i32 {
    let (ty, pr) = match proto {
        "udp" => (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        _ => (libc::SOCK_STREAM, libc::IPPROTO_TCP),
    };
    let port: u16 = port.parse().unwrap_or(0);
    // SAFETY: plain socket call.
    let fd = unsafe { libc::socket(libc::AF_INET, ty | libc::SOCK_CLOEXEC, pr) };
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
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let ap = (&addr as *const libc::sockaddr_in).cast::<libc::sockaddr>();
    // SAFETY: addr is a valid sockaddr_in of length len.
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

fn op(args: &[String]) -> i32 {
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match a(0) {
        "nop" => 0,
        "read" => read_file(a(1)),
        "write" => open_with(a(1), libc::O_WRONLY),
        "append" => open_with(a(1), libc::O_WRONLY | libc::O_APPEND),
        "create" => open_with(a(1), libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL),
        "mkdir" => ret(unsafe { libc::mkdir(cstr(a(1)).as_ptr(), 0o755) } == 0),
        "delete" => ret(unsafe { libc::unlink(cstr(a(1)).as_ptr()) } == 0),
        "rmdir" => ret(unsafe { libc::rmdir(cstr(a(1)).as_ptr()) } == 0),
        "list" => list_dir(a(1)),
        "map-exec" => map_exec(a(1)),
        "lock" => lock_file(a(1)),
        "link" => ret(unsafe { libc::link(cstr(a(1)).as_ptr(), cstr(a(2)).as_ptr()) } == 0),
        "rename" => ret(unsafe { libc::rename(cstr(a(1)).as_ptr(), cstr(a(2)).as_ptr()) } == 0),
        "exec" => {
            let p = cstr(a(1));
            let nop = cstr("nop");
            let opw = cstr("op");
            let argv = [p.as_ptr(), opw.as_ptr(), nop.as_ptr(), std::ptr::null()];
            // SAFETY: argv is NULL-terminated and its strings outlive the call.
            unsafe { libc::execv(p.as_ptr(), argv.as_ptr()) };
            errno()
        }
        "connect" => inet_socket(a(1), a(2), false),
        "bind" => inet_socket(a(1), a(2), true),
        "chown" => ret(unsafe { libc::chown(cstr(a(1)).as_ptr(), 1, 1) } == 0),
        "kill" => {
            let sig: i32 = a(1).parse().unwrap_or(0);
            let pid: i32 = a(2).parse().unwrap_or(0);
            // SAFETY: plain kill call.
            ret(unsafe { libc::kill(pid, sig) } == 0)
        }
        _ => 254,
    }
}

fn run(cases: &str) -> i32 {
    let Ok(f) = std::fs::File::open(cases) else {
        println!("POLC-ERROR cannot open {cases}");
        return 1;
    };
    let out = std::io::stdout();
    for line in std::io::BufReader::new(f).lines().map_while(Result::ok) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 4 {
            continue;
        }
        let (id, setup, path) = (fields[0], fields[1], fields[2]);
        let mut argv: Vec<CString> = vec![cstr(path), cstr("op")];
        argv.extend(fields[3..].iter().map(|s| cstr(s)));
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let attr = setup.strip_prefix("attr:").map(cstr);
        let _ = out.lock().flush();
        // SAFETY: the child only calls async-signal-safe functions before execv/_exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe {
                if let Some(attr) = &attr {
                    let f = cstr("/proc/self/attr/exec");
                    let fd = libc::open(f.as_ptr(), libc::O_WRONLY);
                    let n = attr.count_bytes();
                    if fd < 0 || libc::write(fd, attr.as_ptr().cast(), n) < 0 {
                        libc::_exit(252);
                    }
                    libc::close(fd);
                }
                libc::execv(ptrs[0], ptrs.as_ptr());
                let e = errno();
                libc::_exit(if e > 0 && e < 50 { 200 + e } else { 253 });
            }
        }
        let mut status = 0;
        // SAFETY: waiting for our child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            250
        };
        let res = match code {
            252 => "attr-failed".to_string(),
            200..=249 => format!("exec:{}", code - 200),
            c => c.to_string(),
        };
        println!("POLC-RESULT {id} {res}");
    }
    let _ = std::io::stdout().flush();
    0
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| String::from_utf8_lossy(OsStr::as_bytes(&a)).into_owned())
        .collect();
    let code = match args.first().map(String::as_str) {
        Some("op") => op(args.get(1..).unwrap_or(&[])),
        Some("run") => run(args.get(1).map(String::as_str).unwrap_or("/cases")),
        _ => {
            eprintln!("usage: polc-probe op OP ARGS... | polc-probe run CASES");
            2
        }
    };
    std::process::exit(code);
}
