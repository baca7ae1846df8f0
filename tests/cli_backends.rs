//! The `polc` binary's backend and store commands: `compile --target apparmor|landlock`
//! with fidelity reports and strict mode (the AppArmor output judged by the real
//! apparmor_parser), and `install`/`list`/`show`/`rollback`/`remove` on a temporary store
//! (Landlock, whose loader has nothing to load; the AppArmor and SELinux loaders are
//! exercised in the kernel harness).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::process::Command;

mod support;

use support::{code, err, out, polc};

#[test]
fn apparmor_profile_of_the_example_is_accepted_by_apparmor_parser() {
    let o = polc(&["compile", "examples/webapp.pol", "--target", "apparmor"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let profile = out(&o);
    assert!(
        profile.contains("profile \"org.example.webapp\" \"/usr/bin/webapp\""),
        "{profile}"
    );
    if let Err(e) = polc_apparmor::validate(&profile) {
        panic!("apparmor_parser rejected the example's profile: {e}");
    }
}

fn assert_apparmor_report(report: &Value) {
    assert_eq!(report["backend"], "apparmor");
    let entries = report["entries"].as_array().unwrap();
    assert!(entries
        .iter()
        .any(|e| e["fidelity"] == "widened" && e["rule"] == "allow net connect tcp 443"));
    assert!(entries.iter().any(|e| e["fidelity"] == "exact"));
}

/// With `-o FILE`, the report goes to stdout, apart from the diagnostics on stderr.
#[test]
fn report_json_lists_every_rule_with_its_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("webapp.apparmor");
    let o = polc(&[
        "compile",
        "examples/webapp.pol",
        "--target",
        "apparmor",
        "--report",
        "json",
        "-o",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let report: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_apparmor_report(&report);
    assert!(std::fs::read_to_string(&profile)
        .unwrap()
        .contains("profile \"org.example.webapp\""));
}

/// `--report-file` gives the report its own destination: with JSON diagnostics (the
/// example has warnings) every line of stderr is a JSON object, and the report parses.
#[test]
fn report_file_keeps_the_report_apart_from_json_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.json");
    let o = polc(&[
        "--error-format",
        "json",
        "compile",
        "examples/webapp.pol",
        "--target",
        "apparmor",
        "--report",
        "json",
        "--report-file",
        report_file.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("profile \"org.example.webapp\""));
    let lines: Vec<Value> = err(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    assert!(lines.iter().any(|d| d["code"] == "W0201"), "{}", err(&o));
    // The widening summary is one of them.
    assert!(
        lines.iter().any(|d| d["severity"] == "warning"
            && d["message"].as_str().unwrap().contains("rules widened")),
        "{}",
        err(&o)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_apparmor_report(&report);
}

/// A compile or install that widens or drops rules says so on stderr in one line,
/// whatever `--report` (here: none) and `--error-format` say.
#[test]
fn widening_is_always_summed_up_on_stderr() {
    let o = polc(&["compile", "examples/webapp.pol", "--target", "apparmor"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let stderr = err(&o);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("polc: warning:"))
        .collect();
    // The policy's own widened rules: those of `base` and `network-client` are accepted
    // where they are written, so the line leaves them out (the report shows them).
    assert_eq!(
        summary,
        [
            "polc: warning: 3 rules widened by apparmor abi 3.0: the kernel allows more than \
          the policy says; see --report"
        ],
        "{}",
        err(&o)
    );
    for report in ["human", "json"] {
        let o = polc(&[
            "compile",
            "examples/webapp.pol",
            "--target",
            "apparmor",
            "--report",
            report,
        ]);
        assert!(
            err(&o).contains("polc: warning: 3 rules widened"),
            "{}",
            err(&o)
        );
    }
    // A policy every rule of which is exact: nothing to say.
    let root = tempfile::tempdir().unwrap();
    let exact = root.path().join("exact.pol");
    std::fs::write(
        &exact,
        "policy org.example.exact {\n    allow read \"/etc/app.conf\"\n}\n",
    )
    .unwrap();
    let o = polc(&["compile", exact.to_str().unwrap(), "--target", "apparmor"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(err(&o), "");
    // install says it too.
    let o = polc(&[
        "install",
        "examples/webapp.pol",
        "--target",
        "landlock",
        "--landlock-abi",
        "3",
        "--root",
        root.path().join("store").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        err(&o).contains("rules widened by landlock abi 3"),
        "{}",
        err(&o)
    );
}

/// The README's example on Debian's reference policy: `deny read "/etc/ssl/private/**"`
/// cannot be enforced (the target labels that directory with the type `allow read
/// "/etc/ssl/**"` reads), and the compile says so without `--report`.
#[test]
fn selinux_widening_of_the_readme_example_is_said() {
    let fc = "/etc/selinux/default/contexts/files/file_contexts";
    assert!(
        std::path::Path::new(fc).exists(),
        "{fc} is missing: install selinux-policy-default (tests/run-all.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("policy org.example.webapp {").unwrap();
    let end = start + readme[start..].find("\n}\n").unwrap() + 3;
    let file = dir.path().join("webapp.pol");
    std::fs::write(&file, &readme[start..end]).unwrap();
    let report = dir.path().join("report.json");
    let ports = dir.path().join("ports.txt");
    std::fs::write(
        &ports,
        "portcon tcp 8080-8089 system_u:object_r:http_cache_port_t:s0\n\
         sid port system_u:object_r:port_t:s0\n",
    )
    .unwrap();
    let o = polc(&[
        "compile",
        file.to_str().unwrap(),
        "--target",
        "selinux",
        "--selinux-file-contexts",
        fc,
        "--selinux-port-contexts",
        ports.to_str().unwrap(),
        "--report-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    // The deny is among the widened rules the line counts.
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(
        report["entries"].as_array().unwrap().iter().any(|e| e["rule"]
            == "deny read \"/etc/ssl/private/**\""
            && e["fidelity"] == "widened"),
        "{report:#}"
    );
    let line = err(&o)
        .lines()
        .find(|l| l.starts_with("polc: warning:"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no summary line: {}", err(&o)));
    assert!(line.contains("widened by selinux cil"), "{line}");
    assert!(line.ends_with("see --report"), "{line}");
}

#[test]
fn strict_mode_refuses_widened_rules_with_their_location() {
    let o = polc(&[
        "compile",
        "examples/webapp.pol",
        "--target",
        "apparmor",
        "--strict",
    ]);
    assert_eq!(code(&o), 1);
    let e = err(&o);
    assert!(
        e.contains("error[polc::apparmor::strict]: strict mode"),
        "{e}"
    );
    assert!(
        e.contains("widened: allow net connect tcp 443 at examples/webapp.pol:17:5"),
        "{e}"
    );
    assert!(e.contains("help:"), "{e}");
    assert!(out(&o).is_empty(), "no profile is written on failure");
}

#[test]
fn unknown_apparmor_abi_is_a_usage_error() {
    let o = polc(&[
        "compile",
        "examples/webapp.pol",
        "--target",
        "apparmor",
        "--apparmor-abi",
        "5.0",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("unknown AppArmor ABI `5.0`"),
        "{}",
        err(&o)
    );
}

#[test]
fn landlock_plan_is_json_with_a_report() {
    let o = polc(&[
        "compile",
        "examples/webapp.pol",
        "--target",
        "landlock",
        "--report",
        "human",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let plan: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(plan["policy"], "org.example.webapp");
    assert_eq!(plan["abi"], 7);
    assert!(err(&o).contains("fidelity (landlock"), "{}", err(&o));
}

#[test]
fn store_commands_install_upgrade_rollback_remove() {
    let root = std::env::temp_dir().join(format!("polc-cli-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let r = root.to_str().unwrap();
    let install = |file: &str| polc(&["install", file, "--target", "landlock", "--root", r]);

    let o = install("examples/webapp.pol");
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "installed org.example.webapp generation 1 for landlock\n"
    );
    let o = install("examples/webapp.pol");
    assert_eq!(
        out(&o),
        "installed org.example.webapp generation 2 for landlock\n"
    );

    let o = polc(&["list", "--root", r, "--format", "json"]);
    let list: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(list[0]["name"], "org.example.webapp");
    assert_eq!(list[0]["current"], 2);
    assert_eq!(list[0]["generations"].as_array().unwrap().len(), 2);

    let o = polc(&["show", "org.example.webapp", "--root", r]);
    assert!(
        out(&o).contains("generation 1: landlock from examples/webapp.pol"),
        "{}",
        out(&o)
    );

    let o = polc(&["rollback", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 0);
    assert_eq!(out(&o), "org.example.webapp is back at generation 1\n");
    let o = polc(&["rollback", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("no previous generation"), "{}", err(&o));

    let o = polc(&["remove", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 0);
    let o = polc(&["show", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("is not installed"), "{}", err(&o));

    let o = polc(&["show", "Not_A_Name", "--root", r]);
    assert_eq!(code(&o), 2);
    let _ = std::fs::remove_dir_all(&root);
}

/// Every path under `root` with its content, to prove a command changed nothing.
fn tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        if p.is_dir() {
            out.push((rel, Vec::new()));
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn store_commands_refuse_a_directory_that_is_not_a_store() {
    // `polc list --root /var/lib` used to delete every subdirectory named like a policy
    // that had no `current` file.
    let root = std::env::temp_dir().join(format!("polc-cli-foreign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("org.example.data")).unwrap();
    std::fs::write(root.join("org.example.data/records.db"), "precious").unwrap();
    std::fs::write(root.join("notes.txt"), "mine").unwrap();
    let r = root.to_str().unwrap();
    let before = tree(&root);
    for args in [
        vec!["list", "--root", r],
        vec!["show", "org.example.data", "--root", r],
        vec!["remove", "org.example.data", "--root", r],
        vec![
            "install",
            "examples/webapp.pol",
            "--target",
            "landlock",
            "--root",
            r,
        ],
    ] {
        let o = polc(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", err(&o));
        assert!(err(&o).contains("is not a polc store"), "{}", err(&o));
        assert!(err(&o).contains("help: name a polc store"), "{}", err(&o));
        assert_eq!(
            tree(&root),
            before,
            "{args:?} changed a directory that is not a store"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn list_and_show_never_write_and_report_what_is_in_flight_or_damaged() {
    let root = std::env::temp_dir().join(format!("polc-cli-readonly-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let r = root.to_str().unwrap();
    for _ in 0..2 {
        let o = polc(&[
            "install",
            "examples/webapp.pol",
            "--target",
            "landlock",
            "--root",
            r,
        ]);
        assert_eq!(code(&o), 0, "{}", err(&o));
    }
    // A rollback in flight (journaled, the pointer not moved yet), and a damaged policy.
    let dir = root.join("org.example.webapp");
    std::fs::write(dir.join("journal"), r#"{"op":"rollback","from":2,"to":1}"#).unwrap();
    std::fs::create_dir_all(root.join("org.example.broken/gen-1")).unwrap();
    std::fs::write(root.join("org.example.broken/current"), "one").unwrap();
    let before = tree(&root);
    let o = polc(&["list", "--root", r]);
    assert_eq!(
        out(&o),
        "org.example.broken  damaged: the store is damaged at {r}/org.example.broken/current: \
         `one` is not a generation number\n\
         org.example.webapp  current 2  landlock  generations 1,2\n  \
         pending: rollback from generation 2 to 1 in flight (the next change to the store repairs it)\n"
            .replace("{r}", r)
    );
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert_eq!(err(&o), "polc: error: 1 damaged policy in the store\n");
    let o = polc(&[
        "show",
        "org.example.webapp",
        "--root",
        r,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let info: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(info["current"], 2);
    assert_eq!(info["pending"], "rollback from generation 2 to 1 in flight");
    assert_eq!(tree(&root), before, "list or show changed the store");
    // The next change repairs the webapp (back on 2, the journal gone); the broken
    // policy does not block it.
    let o = polc(&["rollback", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "org.example.webapp is back at generation 1\n");
    assert!(!dir.join("journal").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_policy_with_errors_is_never_installed() {
    let root = std::env::temp_dir().join(format!("polc-cli-store-bad-{}", std::process::id()));
    let r = root.to_str().unwrap();
    let o = polc(&[
        "install",
        "tests/corpus/err/e0120-relative-path.pol",
        "--target",
        "landlock",
        "--root",
        r,
    ]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let o = polc(&["list", "--root", r]);
    assert_eq!(out(&o), "");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn run_confines_cat_with_landlock() {
    // An allowed file is read; a file the policy does not grant is refused by the kernel.
    let doc = std::fs::read_dir("/usr/share/doc")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path().join("copyright")))
        .find(|p| p.is_file())
        .expect("a /usr/share/doc/*/copyright file");
    let o = polc(&[
        "run",
        "--lsm",
        "landlock",
        "examples/viewer.pol",
        "--",
        "cat",
        doc.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(o.stdout, std::fs::read(&doc).unwrap());

    let secret = std::env::temp_dir().join(format!("polc-run-secret-{}", std::process::id()));
    std::fs::write(&secret, "not for the viewer").unwrap();
    let o = polc(&[
        "run",
        "--lsm",
        "landlock",
        "examples/viewer.pol",
        "--",
        "cat",
        secret.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&secret);
    assert_eq!(code(&o), 1, "cat's own exit status");
    assert!(err(&o).contains("Permission denied"), "{}", err(&o));
    assert!(out(&o).is_empty());
}

#[test]
fn run_exit_codes_follow_env() {
    let o = polc(&[
        "run",
        "--lsm",
        "landlock",
        "examples/viewer.pol",
        "--",
        "/nonexistent/program",
    ]);
    assert_eq!(code(&o), 127, "{}", err(&o));
    let o = polc(&[
        "run",
        "--lsm",
        "landlock",
        "tests/corpus/err/e0120-relative-path.pol",
        "--",
        "true",
    ]);
    assert_eq!(code(&o), 125, "{}", err(&o));
    assert!(err(&o).contains("E0120"), "{}", err(&o));
    // The policy does not grant exec on /usr/bin/id: polc refuses to start it, before
    // the fork, with the exit status of a program that cannot be executed.
    let o = polc(&[
        "run",
        "--lsm",
        "landlock",
        "examples/viewer.pol",
        "--",
        "/usr/bin/id",
    ]);
    assert_eq!(code(&o), 126, "{}", err(&o));
}

#[test]
fn run_under_an_lsm_that_is_not_active_never_starts_the_command() {
    let marker = std::env::temp_dir().join(format!("polc-run-marker-{}", std::process::id()));
    let o = polc(&[
        "run",
        "--lsm",
        "apparmor",
        "examples/viewer.pol",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    // Either way polc refuses before starting the command: AppArmor is not active, or it
    // is and the policy's profile was never installed.
    let why = if std::path::Path::new("/sys/kernel/security/apparmor").exists() {
        "is not loaded"
    } else {
        "apparmor is not active"
    };
    assert_eq!(code(&o), 125, "{}", err(&o));
    assert!(err(&o).contains(why), "wanted `{why}` in: {}", err(&o));
    assert!(!marker.exists(), "the command ran unconfined");
}

#[test]
fn selinux_module_needs_the_targets_contexts_and_says_so() {
    let o = polc(&["compile", "examples/webapp.pol", "--target", "selinux"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("--selinux-file-contexts"), "{}", err(&o));

    // Debian's reference policy (package selinux-policy-default) gives both.
    let fc = support::DEBIAN_FILE_CONTEXTS;
    let tmp = std::env::temp_dir().join(format!("polc-ports-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let ports_file = support::debian_port_contexts(&tmp);
    let o = polc(&[
        "compile",
        "examples/webapp.pol",
        "--target",
        "selinux",
        "--selinux-file-contexts",
        fc,
        "--selinux-port-contexts",
        ports_file.to_str().unwrap(),
        "--report",
        "human",
    ]);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("(block org_example_webapp"), "{}", out(&o));
    assert!(err(&o).contains("fidelity (selinux"), "{}", err(&o));
}

#[test]
fn selinux_launchers_and_attributes_join_the_target_policy() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("launched.pol");
    std::fs::write(
        &file,
        "policy org.example.launched {\n    attach \"/srv/launched/bin/app\"\n    owns \"/srv/launched/**\"\n    allow read \"/srv/launched/**\"\n}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "compile",
            file,
            "--target",
            "selinux",
            "--selinux-launcher",
            "unconfined_t:unconfined_r",
            "--selinux-attribute",
            "domain=domain",
            "--selinux-attribute",
            "file=file_type",
        ];
        v.extend_from_slice(extra);
        v
    };
    let o = polc(&args(&["--report", "human"]));
    assert_eq!(code(&o), 0, "{}", err(&o));
    for line in [
        "(roletype .unconfined_r domain)",
        "(typeattributeset .domain (domain))",
        "(typeattributeset .file_type (entry owned_0))",
        "(allow .unconfined_t domain (process (transition)))",
        "(typetransition .unconfined_t entry process domain)",
    ] {
        assert!(out(&o).contains(line), "{line}:\n{}", out(&o));
    }
    assert!(
        err(&o).contains("joins the target's attribute `domain`"),
        "{}",
        err(&o)
    );
    // the attribute's rules are more than the policy grants: strict mode refuses
    let o = polc(&args(&["--strict"]));
    assert_eq!(code(&o), 1, "{}", err(&o));
    // names that could inject into the module are refused before anything is compiled
    for (flag, bad) in [
        ("--selinux-launcher", "unconfined_t"),
        (
            "--selinux-launcher",
            "t) (allow t self (process (setcurrent:r",
        ),
        ("--selinux-attribute", "dir=file_type"),
        ("--selinux-attribute", "file=a.b"),
    ] {
        let o = polc(&["compile", file, "--target", "selinux", flag, bad]);
        assert_eq!(code(&o), 2, "{flag} {bad}: {}", err(&o));
        assert!(err(&o).contains(bad), "{}", err(&o));
    }
}

/// `polc install` without `--target` chooses the host's LSM as `polc run` does: on a
/// host where Landlock is the only one (the test machines), it installs for Landlock;
/// the policy may come from standard input.
#[test]
fn install_without_target_uses_the_lsm_run_uses() {
    let securityfs = std::path::Path::new("/sys/kernel/security");
    let active = polc::confine::active_lsm(securityfs).expect("an active LSM");
    assert_eq!(
        active,
        polc::Lsm::Landlock,
        "this test expects a host where Landlock is the only LSM (AppArmor and SELinux are \
         tested under qemu, tests/kernel)"
    );
    let root = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/webapp.pol"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["install", "-", "--root", root.path().to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "installed org.example.webapp generation 1 for landlock\n"
    );
    let o = polc(&[
        "show",
        "org.example.webapp",
        "--root",
        root.path().to_str().unwrap(),
    ]);
    assert!(out(&o).contains("from <stdin>"), "{}", out(&o));
}

/// `install --target apparmor` on a kernel without AppArmor says so once, without the
/// loader's noise, and installs nothing.
#[test]
fn install_for_an_inactive_lsm_says_so_once() {
    let securityfs = std::path::Path::new("/sys/kernel/security");
    assert!(
        !polc::confine::lsm_is_active(securityfs, polc::Lsm::AppArmor),
        "this test expects a host without AppArmor (AppArmor is tested under qemu, tests/kernel)"
    );
    let root = tempfile::tempdir().unwrap();
    let o = polc(&[
        "install",
        "examples/webapp.pol",
        "--target",
        "apparmor",
        "--root",
        root.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert_eq!(
        err(&o)
            .matches("AppArmor is not active on this kernel")
            .count(),
        1,
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("apparmor_parser"), "{}", err(&o));
    let o = polc(&["list", "--root", root.path().to_str().unwrap()]);
    assert_eq!(out(&o), "");
}

/// File names are untrusted: one with a newline and an escape sequence is shown on one
/// line, without the escape, in `--report human` and in `polc show`.
#[test]
fn file_names_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil\npolc: installed\u{1b}[2J.pol");
    std::fs::copy("examples/webapp.pol", &file).unwrap();
    let f = file.to_str().unwrap();
    let o = polc(&["compile", f, "--target", "apparmor", "--report", "human"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("fidelity (apparmor"), "{e}");
    assert!(e.contains("evil?polc: installed?[2J.pol:"), "{e}");
    assert!(!e.contains('\u{1b}'), "{e}");
    assert!(!e.lines().any(|l| l.starts_with("polc: installed")), "{e}");

    let o = polc(&[
        "explain",
        f,
        "--path",
        "/etc/ssl/private/key.pem",
        "--access",
        "read",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let s = out(&o);
    assert!(s.contains("evil?polc: installed?[2J.pol:15:5"), "{s}");
    assert!(!s.lines().any(|l| l.starts_with("polc: installed")), "{s}");

    let root = dir.path().join("store");
    let r = root.to_str().unwrap();
    let o = polc(&["install", f, "--target", "landlock", "--root", r]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = polc(&["show", "org.example.webapp", "--root", r]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let s = out(&o);
    assert!(s.contains("evil?polc: installed?[2J.pol ("), "{s}");
    assert!(!s.contains('\u{1b}'), "{s}");
    assert!(!s.lines().any(|l| l.starts_with("polc: installed")), "{s}");
}
