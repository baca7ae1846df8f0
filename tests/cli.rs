//! The `polc` binary as users run it: exit codes, diagnostics on stderr (human and
//! JSON), `fmt --check`, `explain` (deny over allow, globs, abstractions, variables,
//! transitions) and `compile --target ir`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run `polc` from the repository root (so `examples/...` paths work and appear as
/// given in messages), without a terminal, and with `stdin` fed in.
fn polc_in(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // polc may exit before reading its input (a usage error): a broken pipe is fine.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn polc(args: &[&str]) -> Output {
    polc_in(args, "")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("polc was killed by a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The JSON diagnostics of a run: one object per line of stderr.
fn json_lines(o: &Output) -> Vec<Value> {
    stderr(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

const WEBAPP: &str = "examples/webapp.pol";

// ----- check -----

#[test]
fn check_clean_policies_exits_0() {
    let o = polc(&[
        "check",
        WEBAPP,
        "examples/converter.pol",
        "examples/daemon.pol",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("checked 3 files: 0 errors"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_errors_exit_1_with_the_code_and_snippet() {
    let o = polc(&["check", "tests/corpus/err/e0121-dotdot.pol"]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("E0121"), "{err}");
    assert!(err.contains("tests/corpus/err/e0121-dotdot.pol"), "{err}");
    assert!(err.contains("/var/lib/app/../../../etc/shadow"), "{err}");
}

#[test]
fn check_warnings_only_exits_0() {
    let o = polc(&["check", "tests/corpus/err/w0203-unused-variable.pol"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("W0203"), "{}", stderr(&o));
}

#[test]
fn check_exit_code_is_the_worst_of_all_files() {
    let o = polc(&["check", WEBAPP, "tests/corpus/err/e0101-unknown-right.pol"]);
    assert_eq!(code(&o), 1);
    let o = polc(&[
        "check",
        "tests/corpus/err/e0101-unknown-right.pol",
        "no/such/file.pol",
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn unreadable_input_exits_2_with_e0400() {
    let o = polc(&["check", "no/such/file.pol"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("E0400"), "{}", stderr(&o));
    let o = polc(&["--error-format", "json", "check", "no/such/file.pol"]);
    assert_eq!(code(&o), 2);
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["code"], "E0400");
    assert_eq!(lines[0]["file"], "no/such/file.pol");
    assert_eq!(lines[0]["location"], Value::Null);
}

#[test]
fn endless_or_huge_inputs_are_refused_at_the_limit() {
    // `/dev/zero` says its size is 0 and never ends: polc used to read 4 GB of it.
    let o = polc(&["check", "/dev/zero"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(
            "error[E0400]: cannot read `/dev/zero`: it is larger than the limit of 16 MiB"
        ),
        "{}",
        stderr(&o)
    );
    // An abstraction file one byte over the limit.
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'#'; 16 * 1024 * 1024 + 1];
    fs::write(dir.path().join("big.pol"), &big).unwrap();
    let d = dir.path().to_str().unwrap();
    let o = polc(&["check", "--abstractions", d, WEBAPP]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("big.pol`: it is larger than the limit of 16 MiB"),
        "{}",
        stderr(&o)
    );
    // SELinux file contexts.
    let o = polc(&[
        "compile",
        WEBAPP,
        "--target",
        "selinux",
        "--selinux-file-contexts",
        "/dev/zero",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read `/dev/zero`: it is larger than the limit of 64 MiB"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&polc(&[])), 2);
    assert_eq!(code(&polc(&["check"])), 2);
    assert_eq!(code(&polc(&["check", "--no-such-flag", WEBAPP])), 2);
    assert_eq!(code(&polc(&["compile", WEBAPP, "--target", "nonsense"])), 2);
    assert_eq!(code(&polc(&["check", "--var", "novalue", WEBAPP])), 2);
    let o = polc(&["check", "--var", "a=/x", "--var", "a=/y", WEBAPP]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("more than once"), "{}", stderr(&o));
    let o = polc(&["check", "--abstractions", "no/such/dir", WEBAPP]);
    assert_eq!(code(&o), 2);
}

#[test]
fn help_teaches_with_examples() {
    let o = polc(&["--help"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for needle in [
        "polc check",
        "polc fmt --check",
        "polc explain",
        "--target ir",
        "Exit status",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
    assert!(
        !out.contains("gen-bench"),
        "hidden subcommand shown:\n{out}"
    );
    let o = polc(&["explain", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("--signal"));
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let o = polc(&[
        "--error-format",
        "json",
        "check",
        "tests/corpus/err/e0111-port-65536.pol",
    ]);
    assert_eq!(code(&o), 1);
    let lines = json_lines(&o);
    let d = lines
        .iter()
        .find(|d| d["code"] == "E0111")
        .unwrap_or_else(|| panic!("no E0111 in {lines:?}"));
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/corpus/err/e0111-port-65536.pol");
    assert_eq!(d["location"]["line"], 4);
    assert!(d["message"].as_str().unwrap().contains("65536"), "{d}");
    assert!(!d["help"].as_str().unwrap().is_empty());
    // No summary line in JSON mode: every line is a diagnostic.
    assert!(!stderr(&o).contains("checked"));
}

#[test]
fn hostile_input_never_reaches_the_terminal_raw() {
    let o = polc(&[
        "check",
        "tests/corpus/err/e0123-escape-sequence-in-path.pol",
    ]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("E0123"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "escape character on stderr: {err:?}"
    );
    assert!(!err.contains('\u{7}'), "bell character on stderr: {err:?}");
}

#[test]
fn no_colour_without_a_terminal() {
    let o = polc(&["check", "tests/corpus/err/e0101-unknown-right.pol"]);
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
}

// ----- fmt -----

const MESSY: &str = "policy   org.example.messy{allow read \"/a\"   allow   net connect tcp 443}\n";

#[test]
fn fmt_check_lists_files_to_reformat_and_fmt_rewrites_them() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("messy.pol");
    fs::write(&messy, MESSY).unwrap();
    let messy_s = messy.to_str().unwrap();

    let o = polc(&["fmt", "--check", messy_s]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), messy_s);
    assert_eq!(fs::read_to_string(&messy).unwrap(), MESSY, "--check wrote");

    let o = polc(&["fmt", messy_s]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let formatted = fs::read_to_string(&messy).unwrap();
    assert_ne!(formatted, MESSY);
    // Only the file itself is left: the temporary file was renamed over it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

    let o = polc(&["fmt", "--check", messy_s]);
    assert_eq!(code(&o), 0, "not idempotent: {}", stdout(&o));
    // The formatted policy means the same.
    let o = polc(&["compile", messy_s, "--target", "ir"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn fmt_reads_stdin_and_writes_stdout() {
    let o = polc_in(&["fmt", "-"], MESSY);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let formatted = stdout(&o);
    assert!(formatted.contains("org.example.messy"));
    let o = polc_in(&["fmt", "--check", "-"], &formatted);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = polc_in(&["fmt", "--check", "-"], MESSY);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o).trim(), "<stdin>");
}

#[test]
fn fmt_never_touches_a_file_with_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pol");
    let text = "policy org.example.bad {\n    allow read \"/a\"\n";
    fs::write(&bad, text).unwrap();
    let o = polc(&["fmt", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E0005"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&bad).unwrap(), text);
}

#[test]
fn shipped_examples_are_formatted() {
    let mut args = vec!["fmt", "--check"];
    let paths: Vec<String> = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pol"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    args.extend(paths.iter().map(String::as_str));
    let o = polc(&args);
    assert_eq!(code(&o), 0, "not formatted:\n{}{}", stdout(&o), stderr(&o));
}

// ----- explain -----

fn explain(args: &[&str]) -> (i32, String) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let o = polc(&all);
    (code(&o), stdout(&o) + &stderr(&o))
}

#[test]
fn explain_of_an_unknown_capability_or_signal_is_a_usage_error() {
    let (c, out) = explain(&[WEBAPP, "--capability", "net_bind_servic"]);
    assert_eq!(c, 2, "{out}");
    assert!(
        out.contains("unknown capability `net_bind_servic` (did you mean `net_bind_service`?); capabilities are chown, "),
        "{out}"
    );
    assert!(!out.contains("denied"), "{out}");
    let (c, out) = explain(&[WEBAPP, "--signal", "send:sigterm:self"]);
    assert_eq!(c, 2, "{out}");
    assert!(out.contains("unknown signal `sigterm`"), "{out}");
    assert!(out.contains("signals are exists, hup, int, "), "{out}");
    // A known one still gets its decision.
    let (c, out) = explain(&[WEBAPP, "--capability", "sys_admin"]);
    assert_eq!(c, 0, "{out}");
}

#[test]
fn explain_deny_wins_over_allow() {
    let (c, out) = explain(&[
        WEBAPP,
        "--path",
        "/etc/ssl/private/key.pem",
        "--access",
        "read",
    ]);
    assert_eq!(c, 0, "{out}");
    assert!(
        out.starts_with("denied: read /etc/ssl/private/key.pem"),
        "{out}"
    );
    assert!(out.contains("deny wins over allow"), "{out}");
    assert!(out.contains("deny read \"/etc/ssl/private/**\""), "{out}");
    assert!(out.contains("examples/webapp.pol:15:5"), "{out}");
    // The allow it overrode, and where it is.
    assert!(out.contains("overridden allow rule"), "{out}");
    assert!(out.contains("examples/webapp.pol:11:5"), "{out}");
}

#[test]
fn explain_globs() {
    let (_, out) = explain(&[
        WEBAPP,
        "--path",
        "/etc/ssl/certs/ca.pem",
        "--access",
        "read",
    ]);
    assert!(out.starts_with("allowed:"), "{out}");
    let (_, out) = explain(&[
        WEBAPP,
        "--path",
        "/usr/share/webapp/a/b/c.css",
        "--access",
        "read",
    ]);
    assert!(out.starts_with("allowed:"), "{out}");
    assert!(out.contains("examples/webapp.pol:11:5"), "{out}");
    let (_, out) = explain(&[
        WEBAPP,
        "--path",
        "/usr/share/webapp/a/b/c.css",
        "--access",
        "write",
    ]);
    assert!(out.starts_with("denied:"), "{out}");
    assert!(out.contains("default deny"), "{out}");
    let (_, out) = explain(&[
        WEBAPP,
        "--path",
        "/usr/share/webapp-other/x",
        "--access",
        "read",
    ]);
    assert!(out.starts_with("denied:"), "{out}");
}

#[test]
fn explain_variables_take_their_default_or_the_given_value() {
    let (_, out) = explain(&[WEBAPP, "--path", "/var/lib/webapp/db", "--access", "write"]);
    assert!(out.starts_with("allowed:"), "{out}");
    let (_, out) = explain(&[
        "--var",
        "state_dir=/srv/webapp",
        WEBAPP,
        "--path",
        "/srv/webapp/db",
        "--access",
        "write",
    ]);
    assert!(out.starts_with("allowed:"), "{out}");
    assert!(out.contains("\"/srv/webapp/**\""), "{out}");
    let (_, out) = explain(&[
        WEBAPP,
        "--var",
        "state_dir=/srv/webapp",
        "--path",
        "/var/lib/webapp/db",
        "--access",
        "write",
    ]);
    assert!(out.starts_with("denied:"), "{out}");
    // An unsafe value is refused.
    let (c, out) = explain(&[
        WEBAPP,
        "--var",
        "state_dir=/srv/*",
        "--path",
        "/srv/x",
        "--access",
        "read",
    ]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("E0106"), "{out}");
}

#[test]
fn explain_abstractions_shows_the_use_chain() {
    let worker = "examples/worker.pol";
    let o = polc(&["check", worker]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E0102"), "{}", stderr(&o));
    let (c, out) = explain(&[
        "--abstractions",
        "examples/abstractions",
        worker,
        "--path",
        "/var/log/site/worker.log",
        "--access",
        "append",
    ]);
    assert_eq!(c, 0, "{out}");
    assert!(out.starts_with("allowed:"), "{out}");
    assert!(
        out.contains("examples/abstractions/site-logging.pol:7:5"),
        "{out}"
    );
    assert!(out.contains("via use site-logging"), "{out}");
}

#[test]
fn explain_exec_transition() {
    let (_, out) = explain(&[WEBAPP, "--path", "/usr/bin/convert", "--access", "exec"]);
    assert!(out.starts_with("allowed:"), "{out}");
    assert!(out.contains("runs as: org.example.converter"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--path", "/usr/bin/webapp", "--access", "exec"]);
    assert!(
        out.contains("runs as: org.example.webapp (no transition)"),
        "{out}"
    );
}

#[test]
fn explain_net_capability_and_signal() {
    let (_, out) = explain(&[WEBAPP, "--net", "connect:tcp:443"]);
    assert!(out.starts_with("allowed: net connect tcp 443"), "{out}");
    assert!(out.contains("examples/webapp.pol:17:5"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--net", "bind:tcp:8085"]);
    assert!(out.starts_with("allowed:"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--net", "bind:tcp:8090"]);
    assert!(out.starts_with("denied:"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--capability", "setuid"]);
    assert!(out.starts_with("allowed:"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--capability", "sys_admin"]);
    assert!(out.starts_with("denied:"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--signal", "send:kill:self"]);
    assert!(
        out.starts_with("allowed: signal send kill to org.example.webapp"),
        "{out}"
    );
    let (_, out) = explain(&[WEBAPP, "--signal", "send:hup:org.example.webapp"]);
    assert!(out.starts_with("denied:"), "{out}");
    let (_, out) = explain(&[WEBAPP, "--signal", "receive:usr1:self"]);
    assert!(out.starts_with("allowed:"), "{out}");
}

#[test]
fn explain_json() {
    let o = polc(&[
        "explain",
        WEBAPP,
        "--path",
        "/etc/ssl/private/key.pem",
        "--access",
        "read",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["policy"], "org.example.webapp");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["reason"], "denied");
    assert_eq!(v["request"]["kind"], "file");
    assert_eq!(v["request"]["path"], "/etc/ssl/private/key.pem");
    assert_eq!(v["request"]["right"], "read");
    assert_eq!(v["deciding"][0]["effect"], "deny");
    assert_eq!(
        v["deciding"][0]["rule"],
        "deny read \"/etc/ssl/private/**\""
    );
    assert_eq!(v["deciding"][0]["origins"][0]["file"], WEBAPP);
    assert_eq!(v["deciding"][0]["origins"][0]["line"], 15);
    assert_eq!(v["overridden"][0]["effect"], "allow");
}

#[test]
fn explain_refuses_bad_requests() {
    for args in [
        &[WEBAPP, "--path", "etc/passwd", "--access", "read"][..],
        &[WEBAPP, "--path", "/etc/../passwd", "--access", "read"],
        &[WEBAPP, "--path", "/etc/passwd", "--access", "rw"],
        &[WEBAPP, "--net", "connect:tcp:0"],
        &[WEBAPP, "--net", "listen:tcp:80"],
        &[WEBAPP, "--signal", "send:term"],
        &[WEBAPP, "--path", "/etc/passwd"],
        &[WEBAPP],
    ] {
        let (c, out) = explain(args);
        assert_eq!(c, 2, "{args:?}: {out}");
    }
}

#[test]
fn explain_on_a_broken_policy_exits_1() {
    let (c, out) = explain(&[
        "tests/corpus/err/e0101-unknown-right.pol",
        "--path",
        "/etc/hosts",
        "--access",
        "read",
    ]);
    assert_eq!(c, 1, "{out}");
    assert!(out.contains("E0101"), "{out}");
}

// ----- compile -----

#[test]
fn compile_ir_to_stdout_and_to_a_file() {
    let o = polc(&["compile", WEBAPP, "--target", "ir"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ir = stdout(&o);
    let v: Value = serde_json::from_str(&ir).unwrap();
    assert_eq!(v["name"], "org.example.webapp");
    assert_eq!(v["mode"], "enforce");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("webapp.ir.json");
    let o = polc(&[
        "compile",
        WEBAPP,
        "--target",
        "ir",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&out).unwrap(), ir);
    assert!(stdout(&o).is_empty());
    // Deterministic: the same input gives the same bytes.
    let again = polc(&["compile", WEBAPP, "--target", "ir"]);
    assert_eq!(stdout(&again), ir);
}

fn file_type(p: &Path) -> fs::FileType {
    fs::symlink_metadata(p).unwrap().file_type()
}

fn run_tool(tool: &str, args: &[&str]) {
    let st = Command::new(tool).args(args).status().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` (coreutils: apt-get install coreutils): {e}")
    });
    assert!(st.success(), "`{tool} {args:?}` failed");
}

/// `-o FIFO` writes into the FIFO (a reader gets the output) and leaves it a FIFO.
#[test]
fn compile_output_to_a_fifo_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    run_tool("mkfifo", &[fifo.to_str().unwrap()]);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let o = polc(&[
        "compile",
        WEBAPP,
        "--target",
        "ir",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Checked before joining the reader, which waits forever if the FIFO was replaced.
    assert!(file_type(&fifo).is_fifo(), "the FIFO was replaced");
    let got = reader.join().unwrap();
    let v: Value = serde_json::from_str(&got).unwrap();
    assert_eq!(v["name"], "org.example.webapp");
    // Nothing else (no temporary file) was made beside it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `-o /dev/stdout` when standard output is a file opened for appending (`>> FILE`)
/// appends, as the redirection says: the file is neither replaced nor overwritten.
#[test]
fn compile_output_to_dev_stdout_appended_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("out.txt");
    fs::write(&log, "old line\n").unwrap();
    let out = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["compile", WEBAPP, "--target", "ir", "-o", "/dev/stdout"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = fs::read_to_string(&log).unwrap();
    let rest = text
        .strip_prefix("old line\n")
        .expect("the file's content was lost");
    let v: Value = serde_json::from_str(rest).unwrap();
    assert_eq!(v["name"], "org.example.webapp");
}

/// `fmt` on a FIFO reads the policy from it and writes the formatted text back into it,
/// leaving it a FIFO.
#[test]
fn fmt_of_a_fifo_writes_it_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("app.pol");
    run_tool("mkfifo", &[fifo.to_str().unwrap()]);
    let peer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            fs::write(&fifo, "policy a {\nallow   read \"/x\"\n}\n").unwrap();
            fs::read_to_string(&fifo).unwrap()
        })
    };
    let o = polc(&["fmt", fifo.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(file_type(&fifo).is_fifo(), "the FIFO was replaced");
    assert_eq!(
        peer.join().unwrap(),
        "policy a {\n    allow read \"/x\"\n}\n"
    );
}

/// As root, `-o` naming a character device (a copy of /dev/null made in a temporary
/// directory) writes to the device and never replaces the node with a regular file.
#[test]
fn compile_output_to_a_device_keeps_the_device() {
    use std::os::unix::fs::FileTypeExt;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "this test makes a device node with mknod: run the tests as root"
    );
    let dir = tempfile::tempdir().unwrap();
    let null = dir.path().join("null");
    run_tool("mknod", &[null.to_str().unwrap(), "c", "1", "3"]);
    for target in ["ir", "apparmor"] {
        let o = polc(&[
            "compile",
            WEBAPP,
            "--target",
            target,
            "-o",
            null.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(
            file_type(&null).is_char_device(),
            "`-o` replaced the device node with a regular file"
        );
    }
    // gen-bench writes its output file the same way.
    let o = polc(&["gen-bench", "--rules", "10", "-o", null.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(file_type(&null).is_char_device());
    // A symbolic link to the device is followed, and both stay as they were.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&null, &link).unwrap();
    let o = polc(&[
        "compile",
        WEBAPP,
        "--target",
        "ir",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(file_type(&link).is_symlink());
    assert!(file_type(&null).is_char_device());
}

/// `-o /dev/stdout` when standard output is a pipe writes to the pipe.
#[test]
fn compile_output_to_dev_stdout_in_a_pipe() {
    let o = polc(&["compile", WEBAPP, "--target", "ir", "-o", "/dev/stdout"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["name"], "org.example.webapp");
}

/// The JSON form of the web application gives the same IR as its text form, origins
/// included: they differ only where they must, in an origin in the policy's own file,
/// the file name and the place in it (line, column, span), and that place is the
/// statement's own in each form. Origins in abstractions, `use` chains, the number and
/// order of origins are equal.
#[test]
fn json_form_compiles_to_the_same_ir_as_the_text() {
    /// Set aside the place of every origin in `own`, after checking that its line holds
    /// a statement of the form.
    fn own_places(v: &mut Value, own: &str, lines: &[&str]) {
        match v {
            Value::Object(m) => {
                if m.get("file").and_then(Value::as_str) == Some(own) {
                    let line = m["line"].as_u64().unwrap() as usize;
                    let text = lines[line - 1].trim_start();
                    let statement = [
                        "allow",
                        "deny",
                        "attach",
                        "owns",
                        "\"effect\"",
                        "\"attach\"",
                        "\"owns\"",
                        "{\"effect\"",
                    ];
                    assert!(
                        statement.iter().any(|s| text.starts_with(s)),
                        "{own}:{line} is not a statement: {text}"
                    );
                    m.insert("file".into(), "<own>".into());
                    for k in ["line", "column", "span"] {
                        m.remove(k);
                    }
                }
                m.values_mut().for_each(|x| own_places(x, own, lines));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| own_places(x, own, lines)),
            _ => {}
        }
    }
    let ir = |file: &str| {
        let o = polc(&["compile", file, "--target", "ir"]);
        assert_eq!(code(&o), 0, "{file}: {}", stderr(&o));
        let mut v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        own_places(&mut v, file, &lines);
        v
    };
    let (json, text) = (ir("examples/webapp.json"), ir(WEBAPP));
    assert!(
        json.to_string().contains("\"via\":[\"base\"]"),
        "the comparison covers abstraction origins"
    );
    assert_eq!(json, text);
}

#[test]
fn compile_refuses_a_broken_policy_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.json");
    let o = polc(&[
        "compile",
        "tests/corpus/err/e0133-conflicting-transitions.pol",
        "--target",
        "ir",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E0133"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn gen_bench_writes_a_policy_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.pol");
    let o = polc(&["gen-bench", "--rules", "500", "-o", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = polc(&["check", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// `-` reads the policy from standard input wherever a policy file is read, named
/// `<stdin>` in messages; the result is the file's.
#[test]
fn dash_reads_the_policy_from_stdin_everywhere() {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(WEBAPP)).unwrap();
    let o = polc_in(&["check", "-"], &text);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("[<stdin>:"), "{}", stderr(&o));
    let by_file = polc(&["compile", WEBAPP, "--target", "apparmor"]);
    let o = polc_in(&["compile", "-", "--target", "apparmor"], &text);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&by_file));
    let o = polc_in(
        &[
            "explain",
            "-",
            "--path",
            "/etc/ssl/private/k",
            "--access",
            "read",
        ],
        &text,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("at <stdin>:"), "{}", stdout(&o));
    let o = polc_in(&["diff", "-", WEBAPP], &text);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = polc_in(&["diff", "-", "-"], &text);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = polc_in(&["fmt", "-"], &text);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Errors name `<stdin>`.
    let o = polc_in(&["check", "-"], "policy a {\n    allow \"/x\"\n}\n");
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("<stdin>:2:11"), "{}", stderr(&o));
}

#[test]
fn explain_dbus_decides_messages_and_names_and_refuses_a_malformed_request() {
    let policy = "tests/corpus/ok/dbus.pol";
    // A member of the rule's braces, to the bus's own name: allowed.
    let o = polc(&[
        "explain",
        policy,
        "--dbus",
        "send:system:unconfined:/org/freedesktop/DBus:org.freedesktop.DBus:AddMatch:org.freedesktop.DBus",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("allowed: dbus send bus system"),
        "{}",
        stdout(&o)
    );
    // Another member: no allow rule.
    let o = polc(&[
        "explain",
        policy,
        "--dbus",
        "send:system:unconfined:/org/freedesktop/DBus:org.freedesktop.DBus:ListNames:org.freedesktop.DBus",
    ]);
    assert!(
        stdout(&o).starts_with("denied: dbus send"),
        "{}",
        stdout(&o)
    );
    // A message without an interface matches no rule that names one.
    let o = polc(&[
        "explain",
        policy,
        "--dbus",
        "send:system:unconfined:/org/freedesktop/DBus::Hello:org.freedesktop.DBus",
    ]);
    assert!(
        stdout(&o).starts_with("denied: dbus send"),
        "{}",
        stdout(&o)
    );
    // Owning a name: `deny dbus bind` wins.
    let o = polc(&["explain", policy, "--dbus", "bind:session:org.example.dbus"]);
    assert!(
        stdout(&o).starts_with("denied: dbus bind"),
        "{}",
        stdout(&o)
    );
    for bad in [
        "send:system",
        "own:session:org.x",
        "send:system:Bad:/a:i.x:M:n.x",
    ] {
        let o = polc(&["explain", policy, "--dbus", bad]);
        assert_eq!(code(&o), 2, "{bad}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("is not a D-Bus request"),
            "{}",
            stderr(&o)
        );
    }
}
