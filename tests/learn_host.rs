//! `polc learn` on this host's kernel: real programs start from a policy with only
//! `use base` and reach a working Landlock policy. Each test asserts how many runs it
//! took, that the command then succeeds under `polc run --lsm landlock`, and that the
//! learned rules hold no catch-all (`/**`, a whole top-level directory) and no
//! capability. The measured runs are printed (`--nocapture`) and recorded in
//! docs/cli.md. Git and the Python server are learned twice: from Landlock's denials
//! alone, and with the first run traced (`--trace`, strace).
//!
//! Needs: Landlock ABI >= 7 with audit (Linux >= 6.15), root (the audit log group),
//! and tar, python3, curl, git and strace (Debian packages listed in tests/run-all.sh). A
//! missing tool fails the test with the package to install.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One learner at a time, so that the runs are measured alone (learners may run
/// together: the last one to finish puts the audit back, see src/command/audit.rs).
static AUDIT: Mutex<()> = Mutex::new(());

const PATH: &str = "/usr/bin:/bin";

/// The program's path, or a failure that says which Debian package to install.
fn need(program: &str, package: &str) -> PathBuf {
    for dir in PATH.split(':') {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "`{program}` is not installed in {PATH}: install the Debian package `{package}` \
         (tests/run-all.sh installs it: apt-get install {package})"
    );
}

fn host_ready() {
    let abi = polc_landlock::kernel_abi();
    assert!(
        abi >= polc_landlock::LOG_DENIALS_ABI,
        "polc learn needs Landlock ABI >= {} (Linux >= 6.15); this kernel has {abi}",
        polc_landlock::LOG_DENIALS_ABI
    );
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "polc learn reads the kernel's audit records: run the tests as root"
    );
}

const START: &str = "policy org.example.learned {\n    use base\n}\n";

struct Learned {
    runs: usize,
    succeeded: bool,
    stdout: String,
    stderr: String,
}

/// `polc learn --write --iterations 8 POLICY -- sh -c SCRIPT`.
fn learn(policy: &Path, script: &str) -> Learned {
    learn_with(policy, script, &[])
}

/// [`learn`] with the first run traced (`--trace`).
fn learn_traced(policy: &Path, script: &str) -> Learned {
    need("strace", "strace");
    learn_with(policy, script, &["--trace"])
}

fn learn_with(policy: &Path, script: &str, extra: &[&str]) -> Learned {
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["learn", "--write", "--iterations", "8", "--format", "json"])
        .args(extra)
        .arg(policy)
        .args(["--", "sh", "-c", script])
        .env("PATH", PATH)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let runs = v["learn"]["runs"].as_array().unwrap().len();
    let succeeded = v["learn"]["succeeded"].as_bool().unwrap();
    assert_eq!(
        o.status.code(),
        Some(if succeeded { 0 } else { 1 }),
        "{stderr}"
    );
    Learned {
        runs,
        succeeded,
        stdout,
        stderr,
    }
}

/// `polc run --lsm landlock POLICY -- sh -c SCRIPT` succeeds.
fn runs_confined(policy: &Path, script: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["run", "--lsm", "landlock", "--no-log-denials"])
        .arg(policy)
        .args(["--", "sh", "-c", script])
        .env("PATH", PATH)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the command fails under the learned policy:\n{}\n{}",
        String::from_utf8_lossy(&o.stderr),
        std::fs::read_to_string(policy).unwrap()
    );
}

/// No rule of the learned policy grants a whole tree from the root or a top-level
/// directory, nor a capability.
fn no_catch_all(policy: &Path) {
    let text = std::fs::read_to_string(policy).unwrap();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        assert!(
            !line.contains("capability"),
            "a capability was learned: {line}"
        );
        for glob in line.split('"').skip(1).step_by(2) {
            let literal: Vec<&str> = glob
                .split('/')
                .filter(|c| !c.is_empty())
                .take_while(|c| !c.starts_with(['*', '{']) && *c != "**")
                .collect();
            let wild = glob.contains(['*', '{']);
            assert!(
                !wild || literal.len() >= 2,
                "`{glob}` is a catch-all: {line}\n{text}"
            );
        }
    }
}

fn report(program: &str, l: &Learned) {
    eprintln!(
        "learned {program}: {} run{}, last run {}",
        l.runs,
        if l.runs == 1 { "" } else { "s" },
        if l.succeeded { "succeeded" } else { "failed" }
    );
}

fn assert_learned(program: &str, l: &Learned, max_runs: usize) {
    report(program, l);
    assert!(
        l.succeeded,
        "{program}: the last run still fails:\n{}\n{}",
        l.stderr, l.stdout
    );
    assert!(
        l.runs <= max_runs,
        "{program}: {} runs, more than {max_runs}:\n{}",
        l.runs,
        l.stderr
    );
}

#[test]
fn tar_creates_and_extracts_an_archive() {
    need("tar", "tar");
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    std::fs::create_dir_all(dir.path().join("src/sub")).unwrap();
    std::fs::write(dir.path().join("src/a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.path().join("src/sub/b.txt"), "beta\n").unwrap();
    let policy = dir.path().join("tar.pol");
    std::fs::write(&policy, START).unwrap();
    let create = format!("tar -cf {d}/a.tar -C {d}/src .");
    let extract = format!("rm -rf {d}/out && mkdir {d}/out && tar -xf {d}/a.tar -C {d}/out");
    let l = learn(&policy, &create);
    assert_learned("tar (create)", &l, 3);
    let l = learn(&policy, &extract);
    assert_learned("tar (extract)", &l, 3);
    runs_confined(&policy, &format!("{create} && {extract}"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/sub/b.txt")).unwrap(),
        "beta\n"
    );
    no_catch_all(&policy);
}

/// The python3 server and curl client script, in `dir`, on a free port.
fn python_and_curl(dir: &Path) -> String {
    let d = dir.display().to_string();
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/index.txt"), "served by python\n").unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The server in the background, the client when it answers, then the server stopped.
    format!(
        "python3 -m http.server --bind 127.0.0.1 --directory {d}/www {port} & \
         for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do \
           curl -sf -o {d}/got.txt http://127.0.0.1:{port}/index.txt && break; sleep 0.3; \
         done; r=$?; kill $! 2>/dev/null; wait; test $r = 0 && test -s {d}/got.txt"
    )
}

#[test]
fn python_http_server_serves_a_directory_to_curl() {
    need("python3", "python3");
    need("curl", "curl");
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("web.pol");
    std::fs::write(&policy, START).unwrap();
    let script = python_and_curl(dir.path());
    let l = learn(&policy, &script);
    // Measured: 7 runs (the goal is 3). Each run stops at the first refusal the
    // programs cannot survive: the programs' execs, Python's standard library, its
    // site directories, the MIME table and the resolver's files, the served file.
    assert_learned("python3 -m http.server + curl", &l, 7);
    runs_confined(&policy, &script);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("got.txt")).unwrap(),
        "served by python\n"
    );
    no_catch_all(&policy);
}

#[test]
fn python_http_server_and_curl_learned_from_a_trace() {
    need("python3", "python3");
    need("curl", "curl");
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("web.pol");
    std::fs::write(&policy, START).unwrap();
    let script = python_and_curl(dir.path());
    let l = learn_traced(&policy, &script);
    // The traced run sees every access at once; the confined run after it checks.
    assert_learned("python3 -m http.server + curl (--trace)", &l, 3);
    runs_confined(&policy, &script);
    no_catch_all(&policy);
}

/// The git script, in `dir`.
fn git_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "rm -rf {d}/repo && git init -q {d}/repo && cd {d}/repo && echo x > f && git add f \
         && git -c user.name=t -c user.email=t@example.org commit -qm first && git log --oneline"
    )
}

#[test]
fn git_initialises_and_commits_in_a_repository() {
    need("git", "git");
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("git.pol");
    std::fs::write(&policy, START).unwrap();
    let script = git_script(dir.path());
    let l = learn(&policy, &script);
    // Measured: 6 runs (the goal is 3): rm, then git, then its configuration files,
    // the repository's directory, the templates and `git maintenance`.
    assert_learned("git", &l, 6);
    runs_confined(&policy, &script);
    no_catch_all(&policy);
}

#[test]
fn git_learned_from_a_trace() {
    need("git", "git");
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("git.pol");
    std::fs::write(&policy, START).unwrap();
    let script = git_script(dir.path());
    let l = learn_traced(&policy, &script);
    assert_learned("git (--trace)", &l, 3);
    let v: serde_json::Value = serde_json::from_str(&l.stdout).unwrap();
    assert_eq!(v["learn"]["runs"][0]["traced"], true, "{}", l.stdout);
    runs_confined(&policy, &script);
    no_catch_all(&policy);
}

#[test]
fn without_access_to_the_audit_records_learn_says_how_to_fix_it() {
    host_ready();
    let setpriv = need("setpriv", "util-linux");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.pol");
    std::fs::write(&policy, START).unwrap();
    // World-readable, so the unprivileged user reads the policy and fails only on the
    // audit records.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_polc"))
        .arg("learn")
        .arg(&policy)
        .args(["--", "true"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read the kernel's audit records")
            && err.contains("CAP_AUDIT_READ: run `polc learn` as root"),
        "{err}"
    );
}

#[test]
fn a_failure_without_denials_is_said_not_hidden() {
    host_ready();
    let _one = AUDIT.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.pol");
    std::fs::write(&policy, START).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["learn", "--iterations", "3", "--format", "json"])
        .arg(&policy)
        .args(["--", "false"])
        .env("PATH", PATH)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the command failed (exit 1) with no Landlock denial logged"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = v["learn"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{v}");
    assert_eq!(runs[0]["exit"], 1);
    assert_eq!(v["learn"]["succeeded"], false);
    // The program itself was learned before the run.
    assert_eq!(
        v["suggestions"]["rules"][0]["rule"],
        "allow read exec \"/usr/bin/false\""
    );
}
