//! Test support shared by the integration tests of the `polc` package: the SELinux
//! targets they compile against, and running the `polc` binary. Each test file that needs it says `mod support;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `polc` binary of this build, run with `args` in the package's directory (colours
/// left to the defaults).
pub fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

/// The exit code of a run.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("polc was killed by a signal")
}

/// The standard output of a run, as text.
pub fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The standard error of a run, as text.
pub fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Debian's reference policy's file contexts (package selinux-policy-default).
pub const DEBIAN_FILE_CONTEXTS: &str = "/etc/selinux/default/contexts/files/file_contexts";

/// Debian's port contexts, `seinfo --portcon -x` of its binary policy, written to
/// `dir/debian-ports`: what an installer on Debian passes as `--selinux-port-contexts`.
pub fn debian_port_contexts(dir: &Path) -> PathBuf {
    let policy = std::fs::read_dir("/etc/selinux/default/policy")
        .expect(
            "/etc/selinux/default/policy: install selinux-policy-default (tests/run-all.sh does)",
        )
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("policy."))
        })
        .expect("a binary policy in /etc/selinux/default/policy");
    let out = Command::new("seinfo")
        .args(["--portcon", "-x"])
        .arg(&policy)
        .output()
        .expect("seinfo: apt-get install setools (tests/run-all.sh does)");
    assert!(out.status.success(), "{out:?}");
    let ports = dir.join("debian-ports");
    std::fs::write(&ports, &out.stdout).unwrap();
    ports
}

/// The SELinux backend's minimal base policy (`backends/selinux/tests/selinux-base`)
/// compiled by secilc into `dir/base.33`: the path of the file contexts it writes.
pub fn minimal_base_file_contexts(dir: &Path) -> PathBuf {
    let fc = dir.join("file_contexts");
    let out = Command::new("secilc")
        .args(["-M", "false", "-c", "33", "-o"])
        .arg(dir.join("base.33"))
        .arg("-f")
        .arg(&fc)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("backends/selinux/tests/selinux-base/base.cil"),
        )
        .output()
        .expect("secilc: apt-get install secilc (tests/run-all.sh does)");
    assert!(out.status.success(), "{out:?}");
    fc
}

/// The package's root directory (the repository's).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `POLC_DOCS_UPDATE=1`: the tests that generate documents rewrite them.
pub fn updating() -> bool {
    std::env::var_os("POLC_DOCS_UPDATE").is_some_and(|v| v == "1")
}

/// Compare a generated document with the committed one, or rewrite it when
/// [`updating`]; a difference is added to `problems`, naming the test (`test`, a test
/// target of this package) that regenerates it.
pub fn compare_or_update(path: &Path, generated: &str, test: &str, problems: &mut Vec<String>) {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if updating() {
        std::fs::write(path, generated).unwrap();
    } else {
        problems.push(format!(
            "{} is not what the test generates; run `POLC_DOCS_UPDATE=1 cargo test -p polc --test {test}` and review the diff",
            path.strip_prefix(root()).unwrap_or(path).display()
        ));
    }
}
