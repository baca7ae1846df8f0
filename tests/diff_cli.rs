//! `polc diff` and `polc explain --denial/--target` on the command line: golden human and
//! JSON outputs, and exit codes. The policies are in `tests/diff/`; paths are relative
//! to the package root, where cargo runs the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clap::Parser;
use polc::command::{run, Cli, Ctx, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use std::process::Command;

struct Run {
    code: u8,
    stdout: String,
    stderr: String,
}

fn polc(args: &[&str]) -> Run {
    polc_in(args, "")
}

/// `polc ARGS < stdin`.
fn polc_in(args: &[&str], stdin: &str) -> Run {
    let cli = Cli::try_parse_from(std::iter::once("polc").chain(args.iter().copied())).unwrap();
    let mut input: &[u8] = stdin.as_bytes();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut ctx = Ctx {
        stdin: &mut input,
        stdout: &mut out,
        stderr: &mut err,
        color: false,
        width: 80,
    };
    let code = run(&cli, &mut ctx);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

const V1: &str = "tests/diff/v1.pol";
const V1_REWRITTEN: &str = "tests/diff/v1-rewritten.pol";
const V2: &str = "tests/diff/v2.pol";
const NARROWER: &str = "tests/diff/v2-narrower.pol";
const BROKEN: &str = "tests/diff/broken.pol";
const VIEWER_V1: &str = "tests/diff/viewer-v1.pol";
const VIEWER_V2: &str = "tests/diff/viewer-v2.pol";
/// The SELinux file contexts of the backend's small test base (Debian's full ones take
/// seconds to compile against).
const SELINUX_FC: &str = "tests/diff/selinux-base.file_contexts";

#[test]
fn human_output() {
    let r = polc(&["diff", V1, V2]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn json_output() {
    let r = polc(&["diff", "--format", "json", V1, V2]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["broadened"], 4);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn human_output_with_a_target() {
    // AppArmor's fidelity depends only on the policy (Landlock's also on this machine's
    // files), so its lines are golden.
    let r = polc(&["diff", "--target", "apparmor", V1, V2]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

/// `polc diff VIEWER_V1 VIEWER_V2 --target selinux ... --target apparmor`, with `args`.
fn viewer_on_selinux(args: &[&str]) -> Run {
    let mut all = vec![
        "diff",
        "--target",
        "selinux",
        "--selinux-file-contexts",
        SELINUX_FC,
        "--target",
        "apparmor",
    ];
    all.extend_from_slice(args);
    polc(&all)
}

#[test]
fn human_output_with_selinux() {
    // SELinux's fidelity depends only on the policy and the file contexts given.
    let r = viewer_on_selinux(&[VIEWER_V1, VIEWER_V2]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn json_output_with_selinux() {
    let r = viewer_on_selinux(&["--format", "json", VIEWER_V1, VIEWER_V2]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let (se, aa) = (&v["targets"][0], &v["targets"][1]);
    assert_eq!(
        (&se["backend"], &se["target"]),
        (&"selinux".into(), &"cil".into())
    );
    assert_eq!(aa["backend"], "apparmor");
    let changes = v["changes"].as_array().unwrap();
    let change = |within: &str| {
        changes
            .iter()
            .position(|c| c["paths"]["within"][0] == within)
            .unwrap()
    };
    let entry = |t: &serde_json::Value, i: usize| {
        t["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["change"] == i)
            .cloned()
    };
    // The new read of /usr/share/viewer: exact on AppArmor; widened on SELinux, where
    // the type of those files, `usr_t`, labels all of /usr.
    let read = change("/usr/share/viewer/**");
    assert_eq!(entry(aa, read).unwrap()["fidelity"], "exact");
    let e = entry(se, read).unwrap();
    assert_eq!(e["fidelity"], "widened");
    assert_eq!(e["old"], serde_json::json!([]));
    assert_eq!(e["new"][0]["rule"], r#"allow read "/usr/share/viewer/**""#);
    assert_eq!(e["new"][0]["fidelity"], "widened");
    assert!(
        e["new"][0]["reason"].as_str().unwrap().contains("`usr_t`"),
        "{e}"
    );
    // Owning /var/lib/viewer gives it a type of its own: the read both versions grant
    // there becomes exact on SELinux, and nothing changes on AppArmor.
    assert_eq!(se["rules"][0]["rule"], r#"allow read "/var/lib/viewer/**""#);
    assert_eq!(se["rules"][0]["old"][0]["fidelity"], "widened");
    assert_eq!(se["rules"][0]["new"][0]["fidelity"], "exact");
    assert_eq!(se["rules"].as_array().unwrap().len(), 1);
    assert_eq!(aa["rules"], serde_json::json!([]));
    // Owned paths are not rules a backend enforces.
    let owns = changes.iter().position(|c| c["kind"] == "owns").unwrap();
    assert_eq!(entry(se, owns), None);
}

#[test]
fn selinux_exit_codes_and_contexts() {
    // Version 1 only grants less than version 2, but SELinux would enforce its read of
    // /var/lib/viewer wider: not a pure narrowing on that target.
    let r = polc(&["diff", "--fail-on", "broaden", VIEWER_V2, VIEWER_V1]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let r = viewer_on_selinux(&["--fail-on", "broaden", VIEWER_V2, VIEWER_V1]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "selinux (cil): rules in both policies whose enforcement changed:\n  \
             allow read \"/var/lib/viewer/**\": exact → widened"
        ),
        "{}",
        r.stdout
    );
    // Without the target's file contexts there is no SELinux module to judge: an error
    // that says which option gives them.
    let r = polc(&["diff", "--target", "selinux", VIEWER_V1, VIEWER_V2]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("--selinux-file-contexts"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let r = polc(&[
        "diff",
        "--target",
        "selinux",
        "--selinux-file-contexts",
        VIEWER_V1,
        VIEWER_V1,
        VIEWER_V2,
    ]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(
        r.stderr.contains("not a file_contexts file"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_rewrite_is_no_difference() {
    let r = polc(&["diff", V1, V1_REWRITTEN]);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.ends_with("\nno difference in meaning\n"),
        "{}",
        r.stdout
    );
    let r = polc(&["diff", "--format", "json", V1_REWRITTEN, V1]);
    assert_eq!(r.code, EXIT_OK);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
}

#[test]
fn exit_codes() {
    // Different: 1; only narrower: 0 with --fail-on broaden, 1 without.
    assert_eq!(polc(&["diff", V1, V2]).code, EXIT_FINDINGS);
    assert_eq!(
        polc(&["diff", "--fail-on", "broaden", V1, V2]).code,
        EXIT_FINDINGS
    );
    assert_eq!(polc(&["diff", V1, NARROWER]).code, EXIT_FINDINGS);
    assert_eq!(
        polc(&["diff", "--fail-on", "broaden", V1, NARROWER]).code,
        EXIT_OK
    );
    assert_eq!(
        polc(&["diff", "--fail-on", "broaden", NARROWER, V1]).code,
        EXIT_FINDINGS
    );
    assert_eq!(
        polc(&["diff", "--fail-on", "any", V1, V1_REWRITTEN]).code,
        EXIT_OK
    );
    // Errors: 2, with the diagnostics on stderr.
    let r = polc(&["diff", V1, BROKEN]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("E0101"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = polc(&["diff", V1, "tests/diff/missing.pol"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("E0400"), "{}", r.stderr);
    let r = polc(&[
        "diff",
        "--target",
        "apparmor",
        "--apparmor-abi",
        "9.9",
        V1,
        V2,
    ]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("9.9"), "{}", r.stderr);
}

#[test]
fn exit_codes_of_the_program() {
    let code = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["diff", V1, V1_REWRITTEN]), Some(0));
    assert_eq!(code(&["diff", V1, V2]), Some(1));
    assert_eq!(
        code(&["diff", "--fail-on", "broaden", V1, NARROWER]),
        Some(0)
    );
    assert_eq!(code(&["diff", V1, BROKEN]), Some(2));
    assert_eq!(code(&["diff", V1]), Some(2));
}

const AA_SHADOW: &str = r#"audit: type=1400 audit(1700000000.123:45): apparmor="DENIED" operation="open" class="file" profile="org.example.webapp" name="/etc/ssl/private/key.pem" pid=1234 comm="webapp" requested_mask="r" denied_mask="r" fsuid=1000 ouid=0"#;
const SE_CONNECT: &str = r#"type=AVC msg=audit(1346832664.222:2491): avc:  denied  { name_connect } for  pid=3427 comm="webapp" dest=5432 scontext=system_u:system_r:org_example_webapp.domain:s0 tcontext=system_u:object_r:postgresql_port_t:s0 tclass=tcp_socket permissive=0"#;
const LL_CREATE: &str = r#"type=LANDLOCK_ACCESS msg=audit(1729738800.310:41): domain=195ba459b blockers=fs.make_reg path="/var/cache/webapp" dev="vda2" ino=365"#;

#[test]
fn explain_denials() {
    let r = polc(&["explain", V1, "--denial", AA_SHADOW]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    insta::assert_snapshot!("denial_apparmor", r.stdout);
    let r = polc(&["explain", V1, "--denial", SE_CONNECT]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    insta::assert_snapshot!("denial_selinux", r.stdout);
    let r = polc(&["explain", V1, "--denial", LL_CREATE, "--format", "json"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    insta::assert_snapshot!("denial_landlock_json", r.stdout);
    let r = polc(&["explain", V1, "--denial", "hello"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(
        r.stderr
            .contains("not an AppArmor, SELinux or Landlock denial record"),
        "{}",
        r.stderr
    );
}

/// Several denial records (an audit log, with records that are not denials) are each
/// explained, as they would be one by one; `--denial -` reads them from standard input.
#[test]
fn explain_several_denials_each_and_from_stdin() {
    let log = format!(
        "{AA_SHADOW}\ntype=SYSCALL msg=audit(1700000000.123:45): arch=c000003e syscall=257 success=no exit=-13\n\n{SE_CONNECT}\n{LL_CREATE}\n"
    );
    let one_by_one: Vec<String> = [AA_SHADOW, SE_CONNECT, LL_CREATE]
        .iter()
        .map(|d| polc(&["explain", V1, "--denial", d]).stdout)
        .collect();
    let r = polc_in(&["explain", V1, "--denial", "-"], &log);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(r.stdout, one_by_one.join("\n"));
    let r = polc(&["explain", V1, "--denial", &log]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(r.stdout, one_by_one.join("\n"));
    // JSON: an array of the explanations (one record: the object alone, as before).
    let r = polc_in(&["explain", V1, "--denial", "-", "--format", "json"], &log);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["denial"]["lsm"], "apparmor");
    assert_eq!(all[2]["denial"]["lsm"], "landlock");
    // A log without any denial is an error.
    let r = polc_in(&["explain", V1, "--denial", "-"], "hello\nworld\n");
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("none of the 2 lines"), "{}", r.stderr);
    // The policy and the denials cannot both come from standard input.
    let r = polc_in(&["explain", "-", "--denial", "-"], &log);
    assert_eq!(r.code, EXIT_USAGE);
}

/// A denial of what the policy allows says once that the kernel refused it for another
/// reason.
#[test]
fn explain_denial_of_an_allowed_access_says_so_once() {
    let allowed = AA_SHADOW.replace("/etc/ssl/private/key.pem", "/etc/ssl/certs/ca.pem");
    let r = polc(&["explain", V1, "--denial", &allowed]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(
        r.stdout.matches("refused it for another reason").count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn explain_with_a_target() {
    let r = polc(&[
        "explain",
        V1,
        "--path",
        "/etc/ssl/private/key.pem",
        "--access",
        "read",
        "--target",
        "apparmor",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
    let r = polc(&[
        "explain",
        V1,
        "--net",
        "bind:tcp:9000",
        "--target",
        "apparmor",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["targets"][0]["backend"], "apparmor");
    // Default deny; AppArmor 3.0's `network inet stream` allows every TCP port.
    assert_eq!(v["targets"][0]["fidelity"], "widened");
}

/// The examples of docs/diff.md are the real outputs.
#[test]
fn the_docs_show_real_output() {
    let doc = std::fs::read_to_string("docs/diff.md").unwrap();
    for (cmd, args) in [
        (
            "$ polc diff tests/diff/v1.pol tests/diff/v2.pol ",
            vec!["diff", V1, V2],
        ),
        (
            "$ polc explain tests/diff/v1.pol --denial '",
            vec!["explain", V1, "--denial", AA_SHADOW],
        ),
        (
            "$ polc diff tests/diff/viewer-v1.pol tests/diff/viewer-v2.pol --target selinux ",
            vec![
                "diff",
                VIEWER_V1,
                VIEWER_V2,
                "--target",
                "selinux",
                "--selinux-file-contexts",
                SELINUX_FC,
                "--target",
                "apparmor",
            ],
        ),
    ] {
        let start = doc
            .find(cmd)
            .unwrap_or_else(|| panic!("no `{cmd}` in docs/diff.md"));
        let after = &doc[start..];
        let body_start = after.find('\n').unwrap() + 1;
        let body = &after[body_start..after.find("```").unwrap()];
        let r = polc(&args);
        assert_eq!(
            body.trim(),
            r.stdout.trim(),
            "docs/diff.md shows other output for {cmd}"
        );
    }
}

#[test]
fn plug_and_connection_changes_are_privilege_changes() {
    let (v0, v1) = ("tests/diff/dockerctl-v0.pol", "examples/app-dockerctl.pol");
    let fw = ["--abstractions", "examples/abstractions"];
    let with = |args: &[&str]| polc(&[&fw[..], args].concat());
    // A plug added, not connected: no rule changes, but a difference that broadens.
    let r = with(&["diff", "--fail-on", "broaden", v0, v1]);
    assert_eq!(r.code, EXIT_FINDINGS, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "  + plug docker of io.docker.engine: added, not connected (an administrator can connect it)\n"
        ),
        "{}",
        r.stdout
    );
    // Removed: a difference, not a broadening.
    let r = with(&["diff", "--fail-on", "broaden", v1, v0]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("  - plug docker of io.docker.engine: removed\n"),
        "{}",
        r.stdout
    );
    assert_eq!(with(&["diff", v1, v0]).code, EXIT_FINDINGS);
    // JSON names the change (`--connect docker` would apply to OLD too, which does not
    // plug it: E0221).
    let r = with(&["diff", "--format", "json", v0, v1]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        j["plugs"],
        serde_json::json!([{"kind": "added", "interface": "docker",
            "framework": "io.docker.engine", "connected": false, "broadens": true}])
    );
    assert_eq!(j["summary"]["broadened"], 0, "{j}");
    // Identical apps: no plugs field, exit 0.
    let r = with(&["diff", "--format", "json", v1, v1]);
    assert_eq!(r.code, EXIT_OK);
    assert!(!r.stdout.contains("\"plugs\""), "{}", r.stdout);
}
