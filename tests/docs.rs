//! The commands shown in README.md and docs/**/*.md, run as shown.
//!
//! Every line `$ CMD` in a fenced code block of those files is run with `sh -c CMD`
//! (continuation lines ending in `\` included), the built `polc` first on `PATH`, from
//! a fresh copy of the repository's example files (one copy per Markdown file, the
//! commands of a file in order, so an `install` is seen by the `list` after it).
//! Standard output and standard error are read together, as a terminal shows them.
//!
//! - The lines after a command, up to the next `$ ` line or the end of the block, are
//!   its shown output, compared exactly with the real one. A line `...` alone (spaces
//!   around it allowed) stands for any number of lines. Paths under `/tmp/` in a
//!   command are run under the test's own temporary directory and shown as `/tmp/...`.
//! - A command without shown output is still run, and its exit status checked.
//! - `POLC_ABSTRACTIONS_PATH` is set empty: the host's abstraction directories are not
//!   searched.
//! - The exit status must be 0, unless the command ends with a comment saying
//!   `# exit N`.
//! - A command that cannot run here is listed in [`NOT_RUN`] with the reason; a listed
//!   command that no document shows any more fails the test, so the list stays true.
//!
//! `POLC_DOCS_UPDATE=1 cargo test --test docs` rewrites the shown outputs with the real
//! ones (keeping a `...` line and as many lines before and after it as were shown):
//! review the diff of the documents before committing it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Commands shown in the documents that this test does not run: (document, the
/// command as shown after `$ `, why).
const NOT_RUN: &[(&str, &str, &str)] = &[
    (
        "README.md",
        "polc install examples/webapp.pol            # the host's LSM; --target to choose",
        "writes the system store /var/lib/polc and loads the policy into the host's LSM \
         (tests/cli.rs and tests/store_transactions.rs install into temporary stores)",
    ),
    (
        "README.md",
        "polc rollback org.example.webapp",
        "changes the system store /var/lib/polc and the host's LSM",
    ),
    (
        "README.md",
        "polc list",
        "reads the system store /var/lib/polc, whose contents depend on the host",
    ),
    (
        "docs/cli.md",
        "polc compile examples/webapp.pol --target selinux \\\n      \
         --selinux-file-contexts /etc/selinux/default/contexts/files/file_contexts \\\n      \
         --selinux-port-contexts ports.txt \\\n      \
         --selinux-launcher unconfined_t:unconfined_r \\\n      \
         --selinux-attribute domain=domain --selinux-attribute file=file_type \\\n      \
         --selinux-attribute port=port_type -o webapp.cil   # for Debian's reference policy",
        "needs the host's copy of Debian's SELinux reference policy and its port list \
         (tests/cli_backends.rs compiles the same policy against them)",
    ),
];

/// The files and directories the documents' commands read, copied for each document.
const COPIED: &[&str] = &[
    "examples",
    "tests/corpus",
    "tests/diff",
    "tests/deploy",
    "tests/real-profiles",
    "tests/import",
    "tests/learn",
];

/// One `$ ` command of a document.
#[derive(Debug)]
struct Shown {
    /// 1-based line of the `$`.
    line: usize,
    /// The command after `$ `, continuation lines included.
    command: String,
    /// The exit status the document states (`# exit N`), else 0.
    exit: i32,
    /// The shown output lines, and where they are in the document (0-based, end
    /// exclusive).
    output: Vec<String>,
    output_lines: std::ops::Range<usize>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every Markdown file under docs/, sorted.
fn documents() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = vec![root().join("README.md")];
    walk(&root().join("docs"), &mut out);
    out.sort();
    out
}

/// The `# exit N` of a command, else 0.
fn stated_exit(command: &str) -> i32 {
    let Some((_, comment)) = command.rsplit_once('#') else {
        return 0;
    };
    let words: Vec<&str> = comment.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0] == "exit")
        .map(|w| {
            w[1].trim_end_matches([',', ':', ';', ')'])
                .parse()
                .unwrap_or_else(|_| panic!("`# exit N` with a number: `{command}`"))
        })
        .unwrap_or(0)
}

fn parse(text: &str) -> Vec<Shown> {
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = Vec::new();
    let mut in_block = false;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start().starts_with("```") {
            in_block = !in_block;
            i += 1;
            continue;
        }
        if !in_block || !l.starts_with("$ ") {
            i += 1;
            continue;
        }
        let start = i;
        let mut command = l[2..].to_string();
        while command.ends_with('\\') && i + 1 < lines.len() {
            i += 1;
            command.push('\n');
            command.push_str(lines[i]);
        }
        i += 1;
        let out_start = i;
        while i < lines.len()
            && !lines[i].starts_with("$ ")
            && !lines[i].trim_start().starts_with("```")
        {
            i += 1;
        }
        // Trailing blank lines separate commands: they are not output.
        let mut out_end = i;
        while out_end > out_start && lines[out_end - 1].trim().is_empty() {
            out_end -= 1;
        }
        shown.push(Shown {
            line: start + 1,
            exit: stated_exit(&command),
            command,
            output: lines[out_start..out_end]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            output_lines: out_start..out_end,
        });
    }
    shown
}

/// A command without its trailing `# comment`, so a reworded comment cannot make a
/// command listed in [`NOT_RUN`] run (against the system store) unnoticed.
fn uncommented(command: &str) -> &str {
    command.split(" #").next().unwrap_or(command).trim_end()
}

/// Does `actual` match `shown`, where a `...` line stands for any lines?
fn matches(shown: &[String], actual: &[String]) -> bool {
    match shown.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| a == first && matches(rest, arest)),
    }
}

/// The real output in the shape of the shown one: as many real lines before the first
/// `...` and after the last one as were shown, the shown lines between them kept; the
/// whole real output when that shape does not match it.
fn refreshed(shown: &[String], actual: &[String]) -> Vec<String> {
    let is_dots = |l: &String| l.trim() == "...";
    let (Some(first), Some(last)) = (
        shown.iter().position(is_dots),
        shown.iter().rposition(is_dots),
    ) else {
        return actual.to_vec();
    };
    let (head, tail) = (first, shown.len() - last - 1);
    if head + tail > actual.len() {
        return actual.to_vec();
    }
    let mut out = actual[..head].to_vec();
    out.extend_from_slice(&shown[first..=last]);
    out.extend_from_slice(&actual[actual.len() - tail..]);
    if matches(&out, actual) {
        out
    } else {
        actual.to_vec()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Run one command as the document shows it; its exit status and output lines.
fn run(command: &str, work: &Path) -> (i32, Vec<String>) {
    let bin = Path::new(env!("CARGO_BIN_EXE_polc")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let tmp = format!("{}/tmp/", work.display());
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{}", command.replace("/tmp/", &tmp)))
        .current_dir(work)
        .env("PATH", path)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("POLC_DOCS_UPDATE")
        // No abstraction directory of the host (/usr/share/polc/abstractions,
        // /etc/polc/abstractions) is searched: outputs are the same on every machine.
        .env("POLC_ABSTRACTIONS_PATH", "")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout)
        .replace(&tmp, "/tmp/")
        .replace(&format!("{}/", work.display()), "");
    let code = o.status.code().unwrap_or(-1);
    (code, text.lines().map(|s| s.to_string()).collect())
}

#[test]
fn every_command_shown_in_the_docs_runs_as_shown() {
    let update = std::env::var_os("POLC_DOCS_UPDATE").is_some_and(|v| v == "1");
    let mut failures = String::new();
    let mut not_run_seen = vec![false; NOT_RUN.len()];
    let (mut ran, mut compared) = (0, 0);
    for doc in documents() {
        let name = doc
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = fs::read_to_string(&doc).unwrap();
        let shown = parse(&text);
        if shown.is_empty() {
            continue;
        }
        let work = tempfile::tempdir().unwrap();
        for dir in COPIED {
            copy_dir(&root().join(dir), &work.path().join(dir));
        }
        fs::create_dir(work.path().join("tmp")).unwrap();
        let mut lines: Vec<String> = text.lines().map(|s| s.to_string()).collect();
        // Rewrites from the end of the document, so earlier ranges stay valid.
        let mut rewrites = Vec::new();
        for s in &shown {
            if let Some(k) = NOT_RUN
                .iter()
                .position(|(d, c, _)| *d == name && uncommented(c) == uncommented(&s.command))
            {
                not_run_seen[k] = true;
                continue;
            }
            assert!(
                s.command.starts_with("polc ") || s.command.starts_with("polc\n"),
                "{name}:{}: only `polc` commands are shown with `$ `: `{}`",
                s.line,
                s.command
            );
            let (code, actual) = run(&s.command, work.path());
            ran += 1;
            let mut problems = Vec::new();
            if code != s.exit {
                problems.push(format!("exit status {code}, the document says {}", s.exit));
            }
            if !s.output.is_empty() {
                compared += 1;
                if !matches(&s.output, &actual) {
                    if update {
                        rewrites.push((s.output_lines.clone(), refreshed(&s.output, &actual)));
                    } else {
                        problems.push(format!(
                            "output differs\n--- shown\n{}\n--- real\n{}",
                            s.output.join("\n"),
                            actual.join("\n")
                        ));
                    }
                }
            }
            if !problems.is_empty() {
                if s.output.is_empty() {
                    problems.push(format!("(real output:)\n{}", actual.join("\n")));
                }
                let _ = writeln!(
                    failures,
                    "\n{name}:{}: $ {}\n{}",
                    s.line,
                    s.command,
                    problems.join("\n"),
                );
            }
        }
        if !rewrites.is_empty() {
            for (range, new) in rewrites.into_iter().rev() {
                lines.splice(range, new);
            }
            let mut out = lines.join("\n");
            out.push('\n');
            fs::write(&doc, out).unwrap();
            eprintln!("updated the shown outputs of {name}");
        }
    }
    for (k, seen) in not_run_seen.iter().enumerate() {
        if !seen {
            let (d, c, _) = NOT_RUN[k];
            let _ = writeln!(
                failures,
                "\nNOT_RUN lists `$ {c}` in {d}, which no longer shows it: remove it from the list"
            );
        }
    }
    eprintln!(
        "{ran} commands run, {compared} outputs compared, {} not run (listed)",
        NOT_RUN.len()
    );
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn a_dots_line_stands_for_any_lines_and_nothing_else_does() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&v(&["a", "...", "d"]), &v(&["a", "b", "c", "d"])));
    assert!(matches(&v(&["a", "  ...", "d"]), &v(&["a", "d"])));
    assert!(!matches(&v(&["a", "...", "d"]), &v(&["a", "b", "c"])));
    assert!(!matches(&v(&["a", "b"]), &v(&["a", "b", "c"])));
    assert!(!matches(&v(&["a b"]), &v(&["a  b"])));
    assert_eq!(
        refreshed(&v(&["x", "...", "y"]), &v(&["a", "b", "c", "d"])),
        v(&["a", "...", "d"])
    );
    assert_eq!(
        refreshed(&v(&["...", "c", "..."]), &v(&["a", "b", "c", "d"])),
        v(&["...", "c", "..."])
    );
    assert_eq!(
        refreshed(&v(&["...", "x", "..."]), &v(&["a", "b"])),
        v(&["a", "b"])
    );
}

#[test]
fn commands_outputs_and_exit_statuses_are_read_from_the_blocks() {
    let doc = "text\n$ polc not-in-a-block\n```\n$ polc check a.pol    # exit 1\nE1\n  x\n\n$ polc b \\\n    --c\n```\n";
    let s = parse(doc);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0].command, "polc check a.pol    # exit 1");
    assert_eq!(s[0].exit, 1);
    assert_eq!(s[0].output, ["E1", "  x"]);
    assert_eq!(s[0].output_lines, 4..6);
    assert_eq!(s[1].command, "polc b \\\n    --c");
    assert_eq!(s[1].exit, 0);
    assert!(s[1].output.is_empty());
}
