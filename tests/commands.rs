//! The subcommands called in-process, as library functions, with in-memory streams:
//! what `main` does, minus the process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clap::Parser;
use polc::command::{run, Cli, Ctx, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};

struct Run {
    code: u8,
    stdout: String,
    stderr: String,
}

fn polc(args: &[&str], stdin: &str, color: bool) -> Run {
    let root = env!("CARGO_MANIFEST_DIR");
    // Paths relative to the repository root, as the tests of the binary use them.
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("examples/") || a.starts_with("tests/") {
                format!("{root}/{a}")
            } else {
                a.to_string()
            }
        })
        .collect();
    let cli = Cli::try_parse_from(std::iter::once("polc".to_string()).chain(args)).unwrap();
    let mut input = stdin.as_bytes();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut ctx = Ctx {
        stdin: &mut input,
        stdout: &mut out,
        stderr: &mut err,
        color,
        width: 80,
    };
    let code = run(&cli, &mut ctx);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

#[test]
fn colour_only_when_asked() {
    let file = "tests/corpus/err/e0101-unknown-right.pol";
    let plain = polc(&["check", file], "", false);
    assert_eq!(plain.code, EXIT_FINDINGS);
    assert!(plain.stderr.contains("E0101"), "{}", plain.stderr);
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
    let coloured = polc(&["check", file], "", true);
    assert_eq!(coloured.code, EXIT_FINDINGS);
    assert!(coloured.stderr.contains("\u{1b}["), "{:?}", coloured.stderr);
}

#[test]
fn compile_writes_the_ir_to_the_given_stream() {
    let r = polc(
        &["compile", "examples/daemon.pol", "--target", "ir"],
        "",
        false,
    );
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["name"], "org.example.timesyncd");
    assert_eq!(v["mode"], "complain");
}

#[test]
fn fmt_reads_the_given_stdin() {
    let r = polc(&["fmt", "-"], "policy a{allow read \"/x\"}", false);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(r.stdout.starts_with("policy a {\n"), "{}", r.stdout);
}

#[test]
fn a_bad_request_is_a_usage_error() {
    let r = polc(
        &[
            "explain",
            "examples/webapp.pol",
            "--net",
            "connect:tcp:99999",
        ],
        "",
        false,
    );
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("outside 1-65535"), "{}", r.stderr);
}
