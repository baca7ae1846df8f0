//! What `polc` offers a shell and a terminal: completions, manual pages, `--color`
//! (with NO_COLOR) and the progress line of long compiles (on a terminal only).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};

fn polc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_polc"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
    c
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn completions_name_every_subcommand_and_bash_loads_them() {
    for shell in ["bash", "zsh", "fish"] {
        let o = output(polc().args(["completions", shell]));
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        for sub in [
            "check",
            "compile",
            "explain",
            "install",
            "completions",
            "man",
        ] {
            assert!(script.contains(sub), "{shell} completions lack `{sub}`");
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("polc.bash");
    std::fs::write(&file, output(polc().args(["completions", "bash"])).stdout).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(". '{}' && complete -p polc", file.display()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("polc"), "{}", text(&o.stdout));
    let o = output(polc().args(["completions", "tcsh"]));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_manual_page_is_generated_from_the_command_line() {
    let o = output(polc().arg("man"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let page = text(&o.stdout);
    assert!(page.contains(".TH polc 1"), "{page}");
    assert!(page.contains("\\-\\-error\\-format"), "{page}");
    assert!(page.contains("\\-\\-color"), "{page}");

    let tmp = tempfile::tempdir().unwrap();
    let o = output(polc().arg("man").arg("--dir").arg(tmp.path().join("man1")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let compile = std::fs::read_to_string(tmp.path().join("man1/polc-compile.1")).unwrap();
    assert!(
        compile.contains("\\-\\-selinux\\-file\\-contexts"),
        "{compile}"
    );
    assert!(
        !tmp.path().join("man1/polc-gen-bench.1").exists(),
        "hidden commands get no page"
    );
    // A directory that cannot be made: its parent is a file.
    std::fs::write(tmp.path().join("file"), "").unwrap();
    let o = output(
        polc()
            .arg("man")
            .arg("--dir")
            .arg(tmp.path().join("file/man1")),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("E0400"), "{}", text(&o.stderr));
}

/// A policy with a warning, so diagnostics are drawn.
const WARNS: &str = "examples/webapp.pol";

fn has_ansi(b: &[u8]) -> bool {
    b.windows(2).any(|w| w == b"\x1b[")
}

#[test]
fn color_is_what_the_option_says_and_auto_follows_the_terminal_and_no_color() {
    let check = |args: &[&str], no_color: Option<&str>| {
        let mut c = polc();
        c.args(args).arg("check").arg(WARNS);
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let o = output(&mut c);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        has_ansi(&o.stderr)
    };
    assert!(!check(&[], None), "auto in a pipe is plain");
    assert!(check(&["--color", "always"], None));
    assert!(
        check(&["--color=always"], Some("1")),
        "always wins over NO_COLOR"
    );
    assert!(!check(&["--color", "never"], None));

    // On a terminal, auto colours unless NO_COLOR is set; never stays plain.
    let on_tty = |args: &[&str], no_color: Option<&str>| {
        let mut c = polc();
        c.args(args).arg("check").arg(WARNS);
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        has_ansi(&stderr_on_a_terminal(c).1)
    };
    assert!(on_tty(&[], None));
    assert!(!on_tty(&[], Some("1")));
    assert!(!on_tty(&["--color", "never"], None));

    // clap's own errors follow --color too.
    let o = output(polc().args(["--color", "always", "check", "--bogus"]));
    assert!(has_ansi(&o.stderr), "{}", text(&o.stderr));
    let o = output(polc().args(["--color", "never", "check", "--bogus"]));
    assert!(!has_ansi(&o.stderr), "{}", text(&o.stderr));
}

/// Run with stderr on a new pseudo-terminal (stdout a pipe); the exit code and what
/// the terminal received.
fn stderr_on_a_terminal(mut cmd: Command) -> (i32, Vec<u8>) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the out-parameters.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are new and owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The command holds our copy of the terminal's slave side: close it, so that reading
    // the master ends (EIO) when the child has exited.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut m = std::fs::File::from(master);
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = m.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), reader.join().unwrap())
}

fn selinux_compile() -> Command {
    let mut c = polc();
    c.args([
        "compile",
        "examples/viewer.pol",
        "--target",
        "selinux",
        "--selinux-file-contexts",
        "tests/diff/selinux-base.file_contexts",
    ]);
    c
}

#[test]
fn a_long_compile_shows_a_progress_line_on_a_terminal_only() {
    let (code, tty) = stderr_on_a_terminal(selinux_compile());
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&tty));
    let tty = String::from_utf8_lossy(&tty).into_owned();
    assert!(
        tty.contains("polc: compiling `org.example.viewer` for selinux...\r\x1b[K"),
        "no progress line erased after it: {tty:?}"
    );

    // Never in a pipe, never beside JSON.
    let o = output(&mut selinux_compile());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        !text(&o.stderr).contains("compiling"),
        "{}",
        text(&o.stderr)
    );
    let mut c = selinux_compile();
    c.args(["--report", "json"]);
    let (_, tty) = stderr_on_a_terminal(c);
    assert!(!String::from_utf8_lossy(&tty).contains("compiling"));
    let mut c = selinux_compile();
    c.args(["--error-format", "json"]);
    let (_, tty) = stderr_on_a_terminal(c);
    assert!(!String::from_utf8_lossy(&tty).contains("compiling"));
}

#[test]
fn help_points_at_the_manual_pages_and_installed_docs_not_at_repository_paths() {
    let o = output(polc().arg("--help"));
    assert_eq!(o.status.code(), Some(0));
    let help = text(&o.stdout);
    assert!(help.contains("man polc"), "{help}");
    assert!(help.contains("share/doc/polc/"), "{help}");
    assert!(
        !help.contains("Documentation: docs/"),
        "--help names a path of the source tree as the documentation:\n{help}"
    );
}
