//! `polc learn --trace`: the first run of the command under `strace -yy`, unconfined, read as
//! the accesses a Landlock policy would have to allow.
//!
//! A run under Landlock stops at the first refusal the program cannot survive, so
//! learning from denials alone takes a run per kind of access. A trace sees every access
//! of one run, as AppArmor's complain mode does for `aa-genprof`. Each successful system
//! call that Landlock checks becomes an access in Landlock's own terms (what its denial
//! record would have said), and `polc suggest`'s engine turns them into rules:
//!
//! | system call | access |
//! | --- | --- |
//! | `open`, `openat`, `creat` of a file: read-only, write-only, read-write | `read`, `write`, both (the path as the kernel resolved it, `strace -y`) |
//! | the same of a directory | `list` |
//! | `O_CREAT` of a path that did not exist before the run (its birth time), `creat`, `mkdir`, `mknod`, `symlink`, `link`, the target of `rename` | `create` on the parent directory (as Landlock logs it) |
//! | `unlink`, `rmdir`, the source of `rename` | `delete` on the parent directory |
//! | `execve`, `execveat` | `exec` of the resolved program |
//! | `truncate` | `write` |
//! | `connect`, `bind` on a TCP or UDP socket | `net connect`/`bind` with the port |
//!
//! Failed calls are left out (an `ENOENT` probe is not refused by Landlock either), and
//! so is what Landlock does not restrict (`stat`, `readlink`, unix sockets by path).

use polc_lang::denial::{Access, Denial, Lsm, PathHint};
use polc_lang::ir::{NetOp, Proto};
use polc_lang::rights::Right;
use std::path::Path;

/// The system calls traced (`strace -e trace=...`).
pub const SYSCALLS: &str = "open,openat,openat2,creat,execve,execveat,mkdir,mkdirat,mknod,mknodat,\
unlink,unlinkat,rmdir,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,\
connect,bind";

/// The accesses of one traced process's lines (`strace -ff -yy` writes one file per
/// process, so no call is split across lines), in the order seen. `existed` says
/// whether a path opened with `O_CREAT` (without `O_EXCL`) existed before the run: such
/// an open creates nothing then (`> /dev/null`), and Landlock checks no creation.
pub fn accesses(trace: &str, existed: &dyn Fn(&str) -> bool) -> Vec<Access> {
    let mut out = Vec::new();
    // The process's directory, as the last `AT_FDCWD</dir>` showed it (the calls without
    // a dirfd take relative paths from it).
    let mut cwd: Option<String> = None;
    for line in trace.lines() {
        if let Some(d) = line
            .split("AT_FDCWD<")
            .nth(1)
            .and_then(|r| r.split('>').next())
            .filter(|d| d.starts_with('/'))
        {
            cwd = Some(d.to_string());
        }
        for a in line_accesses(line, cwd.as_deref(), existed) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// The accesses as one record for the suggestion engine.
pub fn as_denial(accesses: Vec<Access>) -> Denial {
    Denial {
        lsm: Lsm::Landlock,
        subject: None,
        subject_policy: None,
        permissions: Vec::new(),
        accesses,
        complain: true,
        notes: vec!["traced with strace in an unconfined run".into()],
        fields: Default::default(),
    }
}

/// `name(args) = result`, split; `None` for a failed or unfinished call.
fn call(line: &str) -> Option<(&str, &str, &str)> {
    let open = line.find('(')?;
    let name = line.get(..open)?.trim();
    let name = name.rsplit(' ').next()?;
    // strace pads the result to a column: `mkdir("d", 0777)       = 0`.
    let eq = line.rfind(" = ")?;
    let args = line.get(open + 1..eq)?.trim_end().strip_suffix(')')?;
    let result = line.get(eq + 3..)?.trim();
    // A non-blocking connect in progress passed the LSM's check.
    if (result.starts_with('-') && !result.contains("EINPROGRESS")) || result.starts_with('?') {
        return None;
    }
    Some((name, args, result))
}

/// The path of an fd annotation: `3</etc/hosts>` → `/etc/hosts`; `-yy` adds the
/// device of a device file: `3</dev/null<char 1:3>>` → `/dev/null`.
fn fd_path(s: &str) -> Option<&str> {
    let start = s.find('<')?;
    let end = s.rfind('>')?;
    let inner = s.get(start + 1..end)?;
    let inner = match inner.rfind('<') {
        Some(i) if inner.ends_with('>') => inner.get(..i)?,
        _ => inner,
    };
    Some(inner).filter(|p| p.starts_with('/'))
}

/// The string arguments (`"..."`, C escapes as strace writes them) in order.
fn strings(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('x') => {
                        let h: String = chars.by_ref().take(2).collect();
                        if let Ok(b) = u8::from_str_radix(&h, 16) {
                            s.push(char::from(b));
                        }
                    }
                    Some(o) => s.push(o),
                    None => {}
                },
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// An absolute path from a call's path argument: absolute as written, or relative to the
/// directory annotation of its `dirfd` (`AT_FDCWD</work>`, `3</tmp>`), then its
/// `.`/`..` components folded. `None` when it cannot be made absolute.
fn absolute(dir: Option<&str>, p: &str) -> Option<String> {
    let joined = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{p}", dir?.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

fn parent(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p.get(..i).unwrap_or("/").to_string(),
    }
}

fn file(path: &str, right: Right) -> Access {
    Access::File {
        path: PathHint::Exact(path.to_string()),
        right,
    }
}

fn entry(path: &str, right: Right) -> Access {
    Access::File {
        path: PathHint::ChildOf(parent(path)),
        right,
    }
}

fn line_accesses(line: &str, cwd: Option<&str>, existed: &dyn Fn(&str) -> bool) -> Vec<Access> {
    let Some((name, args, result)) = call(line) else {
        return Vec::new();
    };
    let strs = strings(args);
    let first_fd = args.split(", ").next().and_then(fd_path);
    // A path argument, made absolute against its dirfd (the `*at` calls) or the process's
    // directory.
    let path_at = |i: usize, dir: Option<&str>| strs.get(i).and_then(|p| absolute(dir.or(cwd), p));
    match name {
        "open" | "openat" | "openat2" | "creat" => {
            let Some(resolved) = fd_path(result)
                .map(str::to_string)
                .or_else(|| path_at(0, first_fd))
            else {
                return Vec::new();
            };
            let flags = if name == "creat" {
                "O_WRONLY|O_CREAT"
            } else {
                args.rsplit(", ")
                    .find(|a| a.starts_with("O_"))
                    .unwrap_or("O_RDONLY")
            };
            let mut out = Vec::new();
            if flags.contains("O_CREAT") && (flags.contains("O_EXCL") || !existed(&resolved)) {
                out.push(entry(&resolved, Right::Create));
            }
            if flags.contains("O_DIRECTORY") || Path::new(&resolved).is_dir() {
                out.push(file(&resolved, Right::List));
            } else if flags.contains("O_RDWR") {
                out.push(file(&resolved, Right::Read));
                out.push(file(&resolved, Right::Write));
            } else if flags.contains("O_WRONLY") {
                out.push(file(&resolved, Right::Write));
            } else if !flags.contains("O_PATH") {
                out.push(file(&resolved, Right::Read));
            }
            out
        }
        "execve" | "execveat" => {
            let dir = if name == "execveat" { first_fd } else { None };
            match path_at(0, dir) {
                Some(p) => {
                    let real = std::fs::canonicalize(&p)
                        .map(|r| r.display().to_string())
                        .unwrap_or(p);
                    vec![file(&real, Right::Exec)]
                }
                None => Vec::new(),
            }
        }
        "mkdir" | "mknod" | "symlink" | "link" => {
            // symlink(target, linkpath), link(old, new): the new name is the last.
            let i = if matches!(name, "symlink" | "link") {
                1
            } else {
                0
            };
            path_at(i, None)
                .map(|p| vec![entry(&p, Right::Create)])
                .unwrap_or_default()
        }
        "mkdirat" | "mknodat" => path_at(0, first_fd)
            .map(|p| vec![entry(&p, Right::Create)])
            .unwrap_or_default(),
        "symlinkat" => {
            // symlinkat(target, newdirfd, linkpath)
            let dir = args.split(", ").nth(1).and_then(fd_path);
            path_at(1, dir)
                .map(|p| vec![entry(&p, Right::Create)])
                .unwrap_or_default()
        }
        "linkat" => {
            let dir = args.split(", ").nth(2).and_then(fd_path);
            path_at(1, dir)
                .map(|p| vec![entry(&p, Right::Create)])
                .unwrap_or_default()
        }
        "unlink" | "rmdir" => path_at(0, None)
            .map(|p| vec![entry(&p, Right::Delete)])
            .unwrap_or_default(),
        "unlinkat" => path_at(0, first_fd)
            .map(|p| vec![entry(&p, Right::Delete)])
            .unwrap_or_default(),
        "rename" | "renameat" | "renameat2" => {
            let fds: Vec<Option<&str>> = args.split(", ").map(fd_path).collect();
            let (from_dir, to_dir) = if name == "rename" {
                (None, None)
            } else {
                (
                    fds.first().copied().flatten(),
                    fds.get(2).copied().flatten(),
                )
            };
            let mut out = Vec::new();
            if let Some(p) = path_at(0, from_dir) {
                out.push(entry(&p, Right::Delete));
            }
            if let Some(p) = path_at(1, to_dir) {
                out.push(entry(&p, Right::Create));
            }
            out
        }
        "truncate" => path_at(0, None)
            .map(|p| vec![file(&p, Right::Write)])
            .unwrap_or_default(),
        "connect" | "bind" => {
            let proto = if args.starts_with(|c: char| c.is_ascii_digit()) {
                let sock = args.split(", ").next().unwrap_or("");
                if sock.contains("<TCP") {
                    Some(Proto::Tcp)
                } else if sock.contains("<UDP") {
                    Some(Proto::Udp)
                } else {
                    None
                }
            } else {
                None
            };
            let port = args
                .split("_port=htons(")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|p| p.parse::<u16>().ok());
            match (proto, port) {
                (Some(proto), Some(port)) if port > 0 => vec![Access::Net {
                    op: Some(if name == "connect" {
                        NetOp::Connect
                    } else {
                        NetOp::Bind
                    }),
                    proto,
                    // Landlock's view: it does not tell IPv4 from IPv6.
                    family: None,
                    port: Some(port),
                }],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn strace_lines_become_landlock_accesses() {
        // Lines as strace 6.1 -ff -qq -yy writes them (Debian 12).
        let trace = r#"execve("/nonexistent/bin/tool", ["tool", "x"], 0x7ffc /* 39 vars */) = 0
openat(AT_FDCWD</tmp/st>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
openat(AT_FDCWD</tmp/st>, "/usr/share/locale/locale.alias", O_RDONLY|O_CLOEXEC) = 3</etc/locale.alias>
openat(AT_FDCWD</tmp/st>, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</tmp/st/out.txt>
openat(AT_FDCWD</tmp/st>, "/dev/null", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</dev/null<char 1:3>>
openat(AT_FDCWD</tmp/st>, "missing", O_RDONLY) = -1 ENOENT (No such file or directory)
openat(AT_FDCWD</tmp/st>, "rw", O_RDWR) = 3</tmp/st/rw>
openat(AT_FDCWD</tmp/st>, "d", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</tmp/st/d>
mkdir("d/e", 0777)                      = 0
unlinkat(3</tmp/st/d>, "old", 0)        = 0
renameat2(AT_FDCWD</tmp/st>, "a.tmp", AT_FDCWD</tmp/st>, "b/a", RENAME_NOREPLACE) = 0
connect(4<TCP:[45678]>, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)
connect(5<TCP:[45679]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0)}, 28) = -1 ECONNREFUSED (Connection refused)
bind(6<UDP:[1]>, {sa_family=AF_INET, sin_port=htons(5353), sin_addr=inet_addr("0.0.0.0")}, 16) = 0
connect(7<UNIX:[2]>, {sa_family=AF_UNIX, sun_path="/run/x.sock"}, 110) = 0
"#;
        let got: Vec<String> = accesses(trace, &|p| p == "/dev/null")
            .iter()
            .map(polc_lang::denial::Access::describe)
            .collect();
        assert_eq!(
            got,
            [
                "exec /nonexistent/bin/tool",
                "read /etc/ld.so.cache",
                "read /etc/locale.alias",
                "create an entry of /tmp/st",
                "write /tmp/st/out.txt",
                "write /dev/null",
                "read /tmp/st/rw",
                "write /tmp/st/rw",
                "list /tmp/st/d",
                "create an entry of /tmp/st/d",
                "delete an entry of /tmp/st/d",
                "delete an entry of /tmp/st",
                "create an entry of /tmp/st/b",
                "net connect tcp 8000",
                "net bind udp 5353",
            ],
            "{got:#?}"
        );
    }

    #[test]
    fn paths_are_made_absolute_and_folded() {
        assert_eq!(
            absolute(Some("/a/b"), "../c/./d").as_deref(),
            Some("/a/c/d")
        );
        assert_eq!(absolute(None, "rel"), None);
        assert_eq!(absolute(None, "/x//y/").as_deref(), Some("/x/y"));
        assert_eq!(strings(r#"3, "a\"b", "c\x41""#), ["a\"b", "cA"]);
    }
}
