//! `polc run` on the host's Landlock as a caller meets it: the confined command cannot
//! reach the caller's terminal or inherited descriptors, termination signals sent to
//! polc reach it, `--report` parses, the program is checked against the policy before
//! the fork, and complain mode is refused rather than enforced silently.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn polc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_polc"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn require_landlock() {
    assert!(
        polc_landlock::kernel_abi() >= 1,
        "these tests need a kernel with Landlock (CONFIG_SECURITY_LANDLOCK=y, `landlock` in `lsm=`)"
    );
}

/// A policy file in a temp dir that lets the system's programs run (and read nothing
/// else), with `extra` rules.
fn policy_file(dir: &Path, extra: &str) -> PathBuf {
    let p = dir.join("p.pol");
    std::fs::write(
        &p,
        format!(
            "policy org.test.run {{\n    use base\n    allow read exec map-exec list \"/usr/**\"\n{extra}\n}}\n"
        ),
    )
    .unwrap();
    p
}

fn python() -> &'static str {
    let p = "/usr/bin/python3";
    assert!(
        Path::new(p).exists(),
        "{p} is missing: install python3 (apt-get install python3)"
    );
    p
}

/// A pseudo-terminal pair: (master, slave).
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on descriptors owned here.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let s = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(s >= 0, "open the pty slave");
        (std::fs::File::from_raw_fd(m), std::fs::File::from_raw_fd(s))
    }
}

/// Bytes waiting in the terminal's input queue.
fn pending_input(slave: &std::fs::File) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    let r = unsafe { libc::ioctl(slave.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(r, 0);
    n
}

/// What the probe reports for TIOCSTI on a descriptor: `ok` or the errno name.
const TIOCSTI_PROBE: &str = r#"
import errno, fcntl, os, sys, termios
def sti(fd):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"X")
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
out = ["stdin=" + sti(0)]
try:
    tty = os.open("/dev/tty", os.O_RDWR)
    out.append("tty=" + sti(tty))
except OSError as e:
    out.append("tty-open=" + errno.errorcode[e.errno])
sys.stderr.write(" ".join(out) + "\n")
"#;

#[test]
fn the_command_cannot_push_input_into_the_callers_terminal() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let pol = policy_file(dir.path(), "    allow read write \"/dev/tty\"\n");
    let (master, slave) = pty();
    let report = dir.path().join("report");
    let report_file = std::fs::File::create(&report).unwrap();
    let slave_fd = slave.as_raw_fd();
    let mut cmd = polc();
    cmd.args(["run", "--lsm", "landlock"])
        .arg(&pol)
        .args(["--", python(), "-I", "-S", "-c", TIOCSTI_PROBE])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(report_file);
    // polc runs with the pty as its controlling terminal and as its standard input, as
    // in an interactive shell.
    // SAFETY: async-signal-safe calls only.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0
                || libc::ioctl(slave_fd, libc::TIOCSCTTY, 0) < 0
                || libc::dup2(slave_fd, 0) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    let out = std::fs::read_to_string(&report).unwrap();
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(out.contains("stdin=EPERM"), "TIOCSTI on stdin: {out}");
    assert!(out.contains("tty-open=ENXIO"), "/dev/tty: {out}");
    assert_eq!(pending_input(&slave), 0, "input was injected: {out}");
    drop(master);
}

/// Spawn polc with `file` open as its descriptor 3 (not close-on-exec).
fn polc_with_fd3(args: &[&str], file: &Path) -> Output {
    let f = std::fs::File::open(file).unwrap();
    let fd: RawFd = f.as_raw_fd();
    let mut cmd = polc();
    cmd.args(args);
    // SAFETY: dup2 and fcntl are async-signal-safe; descriptor 3 ends up open and not
    // close-on-exec (dup2 onto itself would keep the flag).
    unsafe {
        cmd.pre_exec(move || {
            if (fd != 3 && libc::dup2(fd, 3) < 0) || libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    drop(f);
    o
}

#[test]
fn inherited_descriptors_are_closed_unless_passed() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let pol = policy_file(dir.path(), "");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "the secret\n").unwrap();
    let read3 = "read line <&3 && echo \"got: $line\"";
    let p = pol.to_str().unwrap();
    let o = polc_with_fd3(
        &["run", "--lsm", "landlock", p, "--", "/bin/sh", "-c", read3],
        &secret,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("the secret"), "read through fd 3: {out}");
    assert_ne!(o.status.code(), Some(0), "{}", err(&o));
    assert!(err(&o).contains("3: Bad file descriptor"), "{}", err(&o));
    // The policy does not allow the file itself.
    let o = polc_with_fd3(
        &[
            "run",
            "--lsm",
            "landlock",
            p,
            "--",
            "/usr/bin/cat",
            secret.to_str().unwrap(),
        ],
        &secret,
    );
    assert!(err(&o).contains("Permission denied"), "{}", err(&o));
    // Named, it is passed.
    let o = polc_with_fd3(
        &[
            "run",
            "--lsm",
            "landlock",
            "--pass-fd",
            "3",
            p,
            "--",
            "/bin/sh",
            "-c",
            read3,
        ],
        &secret,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "got: the secret\n");
    // A descriptor that is not open is refused before anything runs.
    let o = polc()
        .args([
            "run",
            "--lsm",
            "landlock",
            "--pass-fd",
            "917",
            p,
            "--",
            "/bin/true",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125), "{}", err(&o));
    assert!(
        err(&o).contains("cannot pass file descriptor 917"),
        "{}",
        err(&o)
    );
}

/// The pids of the children of `parent`.
fn children(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                // pid (comm) state ppid ...
                s.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
    })
}

#[test]
fn termination_signals_reach_the_command_and_polc_exits_with_its_status() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let pol = policy_file(dir.path(), "");
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
        let mut child = polc()
            .args(["run", "--lsm", "landlock"])
            .arg(&pol)
            .args(["--", "/usr/bin/sleep", "60"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let sleeper = loop {
            if let Some(&s) = children(child.id()).first() {
                if std::fs::read_link(format!("/proc/{s}/exe")).is_ok_and(|e| e.ends_with("sleep"))
                {
                    break s;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the sleeper never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // SAFETY: kill takes integers.
        unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "polc never ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.signal(), None, "signal {sig} killed polc itself");
        assert_eq!(status.code(), Some(128 + sig), "signal {sig}");
        assert!(!alive(sleeper), "the sleeper outlived polc (signal {sig})");
    }
}

#[test]
fn the_json_report_parses_and_the_human_one_has_the_fidelity_report() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let pol = policy_file(dir.path(), "");
    let o = polc()
        .args(["run", "--lsm", "landlock", "--report", "json"])
        .arg(&pol)
        .args(["--", "/bin/sh", "-c", "echo child >&2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = err(&o);
    let (first, rest) = text.split_once('\n').unwrap();
    let v: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(v["lsm"], "landlock");
    assert_eq!(v["name"], "org.test.run");
    assert_eq!(v["enforcing"], true);
    assert_eq!(v["detail"]["report"]["backend"], "landlock");
    assert_eq!(
        v["detail"]["denials_logged"],
        polc_landlock::kernel_abi() >= 7,
        "{first}"
    );
    assert_eq!(rest, "child\n");
    // --no-log-denials asks the kernel for nothing.
    let o = polc()
        .args([
            "run",
            "--lsm",
            "landlock",
            "--report",
            "json",
            "--no-log-denials",
        ])
        .arg(&pol)
        .args(["--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Value = serde_json::from_str(err(&o).trim_end()).unwrap();
    assert_eq!(v["detail"]["denials_logged"], false);

    let o = polc()
        .args(["run", "--lsm", "landlock", "--report", "human"])
        .arg(&pol)
        .args(["--", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = err(&o);
    assert!(
        text.starts_with(
            "confined by landlock as `org.test.run` (enforcing)\nfidelity (landlock abi "
        ),
        "{text}"
    );
    assert!(
        text.contains("widened     allow read list exec map-exec \"/usr/**\" [list]  at "),
        "{text}"
    );
}

#[test]
fn a_program_the_policy_cannot_execute_is_refused_before_the_fork_with_the_rule_to_add() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let pol = dir.path().join("p.pol");
    std::fs::write(
        &pol,
        "policy org.test.run {\n    attach \"/usr/bin/touch\"\n    use base\n    \
         allow read exec map-exec \"/usr/bin/cat\"\n}\n",
    )
    .unwrap();
    // Its own attach program is no exception: it needs the rule.
    let o = polc()
        .args(["run", "--lsm", "landlock"])
        .arg(&pol)
        .arg("--")
        .arg("touch")
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(126), "{}", err(&o));
    assert_eq!(
        err(&o),
        "polc: error: policy `org.test.run` does not allow executing `/usr/bin/touch`\n\
         polc: help: add `allow read exec \"/usr/bin/touch\"` to the policy; a policy's \
         `attach` program needs it too (see docs/runtime.md)\n"
    );
    assert!(!marker.exists());
    // A deny is named where it is.
    std::fs::write(
        &pol,
        "policy org.test.run {\n    use base\n    allow read exec map-exec \"/usr/bin/**\"\n    \
         deny exec \"/usr/bin/touch\"\n}\n",
    )
    .unwrap();
    let o = polc()
        .args(["run", "--lsm", "landlock"])
        .arg(&pol)
        .arg("--")
        .arg("touch")
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(126), "{}", err(&o));
    assert!(
        err(&o).contains(&format!(
            "help: a `deny` rule refuses it, at {}:4:5",
            pol.display()
        )),
        "{}",
        err(&o)
    );
    // A missing program is just that.
    let o = polc()
        .args(["run", "--lsm", "landlock"])
        .arg(&pol)
        .args(["--", "no-such-program-polc"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", err(&o));
    assert!(
        err(&o).starts_with("polc: error: no such program `no-such-program-polc`\n"),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("confinement step"), "{}", err(&o));
}

#[test]
fn complain_mode_is_refused_under_landlock_not_enforced() {
    require_landlock();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let pol = dir.path().join("p.pol");
    std::fs::write(
        &pol,
        "policy org.test.run {\n    mode complain\n    use base\n    \
         allow read exec map-exec \"/usr/**\"\n}\n",
    )
    .unwrap();
    let o = polc()
        .args(["run", "--lsm", "landlock"])
        .arg(&pol)
        .arg("--")
        .arg("/usr/bin/touch")
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125), "{}", err(&o));
    assert!(
        err(&o).starts_with(
            "polc: error: policy `org.test.run` is in complain mode, which Landlock cannot \
             honour: it can only refuse\npolc: help: "
        ),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("`mode enforce`"), "{}", err(&o));
    assert!(!marker.exists(), "the command ran");
}
