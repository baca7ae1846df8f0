//! `polc-probe`: the program the kernel tests run inside the VM.
//!
//! Modes:
//!
//! - `polc-probe op OP ARGS...` performs one operation and exits with its errno (0 on
//!   success). It is the program a compiled policy confines (copied or linked to the
//!   policy's `attach` path, or started with an exec context). `op landlock PLAN OP ...`
//!   first restricts itself with a polc Landlock plan (JSON).
//! - `polc-probe run CASES` reads a case file and, for each case, forks, optionally sets
//!   the exec context of the child (`/proc/self/attr/exec`), executes `op` through the
//!   given path (with `POLC_CASE=<id>` in its environment), and prints
//!   `POLC-RESULT <id> <errno>` on the console. A failed `execve` is reported as
//!   `POLC-RESULT <id> exec:<errno>`, a failed exec context as `attr-failed`, a child
//!   killed by a signal as `signal:<n>`.
//! - `polc-probe spawn PIDFILE SETUP EXEC_PATH OP ARGS...` starts one such child in the
//!   background (a signal peer, say), writes its pid to PIDFILE and returns.
//! - `polc-probe label FILE` sets the `security.selinux` attribute of each path of FILE
//!   (lines `PATH<TAB>CONTEXT`, without following symlinks).
//!
//! Case file lines are tab-separated: `ID  SETUP  EXEC_PATH  OP  ARG...`, where SETUP is
//! `-` or `attr:<text to write to /proc/self/attr/exec>`.
#![allow(clippy::indexing_slicing)]

mod confine;
mod ops;
mod peer;

use ops::{cstr, errno};
use std::ffi::{CString, OsStr};
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Fork a child that sets its exec context and executes `path op ARGS...`; its pid.
fn start(id: &str, setup: &str, path: &str, op: &[&str]) -> i32 {
    let mut argv: Vec<CString> = vec![cstr(path), cstr("op")];
    argv.extend(op.iter().map(|s| cstr(&resolve(s))));
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env_case = cstr(&format!("POLC_CASE={id}"));
    let env = [env_case.as_ptr(), std::ptr::null()];
    let attr = setup.strip_prefix("attr:").map(cstr);
    let attr_file = cstr("/proc/self/attr/exec");
    let _ = std::io::stdout().lock().flush();
    // SAFETY: the child only calls async-signal-safe functions before execve/_exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: async-signal-safe calls on data prepared before the fork.
        unsafe {
            if let Some(attr) = &attr {
                let fd = libc::open(attr_file.as_ptr(), libc::O_WRONLY);
                let n = attr.count_bytes();
                if fd < 0 || libc::write(fd, attr.as_ptr().cast(), n) < 0 {
                    libc::_exit(252);
                }
                libc::close(fd);
            }
            libc::execve(ptrs[0], ptrs.as_ptr(), env.as_ptr());
            let e = errno();
            libc::_exit(if e > 0 && e < 50 { 200 + e } else { 253 });
        }
    }
    pid
}

/// `@/FILE` (a pid file of a background peer) is read here, by the unconfined runner: the
/// policy under test need not let the probe read it. Any other argument is kept.
fn resolve(arg: &str) -> String {
    arg.strip_prefix('@')
        .filter(|f| f.starts_with('/'))
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map_or_else(|| arg.to_string(), |t| t.trim().to_string())
}

fn run(cases: &str) -> i32 {
    let Ok(f) = std::fs::File::open(cases) else {
        println!("POLC-ERROR cannot open {cases}");
        return 1;
    };
    for line in std::io::BufReader::new(f).lines().map_while(Result::ok) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 4 {
            continue;
        }
        let id = fields[0];
        let pid = start(id, fields[1], fields[2], &fields[3..]);
        let mut status = 0;
        // SAFETY: waiting for our child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        let res = if libc::WIFEXITED(status) {
            match libc::WEXITSTATUS(status) {
                252 => "attr-failed".to_string(),
                c @ 200..=249 => format!("exec:{}", c - 200),
                c => c.to_string(),
            }
        } else if libc::WIFSIGNALED(status) {
            format!("signal:{}", libc::WTERMSIG(status))
        } else {
            "250".to_string()
        };
        println!("POLC-RESULT {id} {res}");
    }
    let _ = std::io::stdout().flush();
    0
}

fn spawn(args: &[String]) -> i32 {
    if args.len() < 4 {
        return 2;
    }
    let op: Vec<&str> = args[3..].iter().map(String::as_str).collect();
    let pid = start("spawn", &args[1], &args[2], &op);
    if pid < 0 || std::fs::write(&args[0], format!("{pid}\n")).is_err() {
        return 1;
    }
    0
}

fn label(file: &str) -> i32 {
    let Ok(text) = std::fs::read_to_string(file) else {
        println!("POLC-LABEL-FAILED cannot read {file}");
        return 1;
    };
    let name = cstr("security.selinux");
    let mut failed = 0;
    for line in text.lines() {
        let Some((path, ctx)) = line.split_once('\t') else {
            continue;
        };
        let p = cstr(path);
        // SAFETY: valid C strings; the value is read for its length.
        let rc = unsafe {
            libc::lsetxattr(p.as_ptr(), name.as_ptr(), ctx.as_ptr().cast(), ctx.len(), 0)
        };
        if rc != 0 {
            println!("POLC-LABEL-FAILED {path} {ctx} errno {}", errno());
            failed += 1;
        }
    }
    i32::from(failed > 0)
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| String::from_utf8_lossy(OsStr::as_bytes(&a)).into_owned())
        .collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let code = match args.first().map(String::as_str) {
        Some("op") => ops::op(rest),
        Some("run") => run(args.get(1).map(String::as_str).unwrap_or("/cases")),
        Some("spawn") => spawn(rest),
        Some("label") => label(args.get(1).map(String::as_str).unwrap_or("/labels")),
        _ => {
            eprintln!(
                "usage: polc-probe op OP ARGS... | run CASES | spawn PIDFILE SETUP PATH OP... | label FILE"
            );
            2
        }
    };
    std::process::exit(code);
}
